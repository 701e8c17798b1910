"""Shortcut baselines: VarSort (sort by marginal variance) and ScoreSort (sort by score variance).

Both exploit a regularity of common synthetic benchmarks rather than an identifiability theorem for general
data, and are shipped so that every benchmark can show how far a method beats the shortcut.

* **VarSort** (Reisach, Seiler & Weichwald, *Beware of the simulated DAG!*, NeurIPS 2021; ``sortnregress``):
  in many simulated linear/additive models the marginal variance grows along the causal order, so the order is
  ``argsort(Var X_j)`` (sources first); here followed by CAM pruning. Not scale invariant by design.
* **ScoreSort** (Montagna, Noceti, Rosasco, Locatello, *Shortcuts for causal discovery of nonlinear models by
  score matching*, arXiv 2310.14246): the leaf is ``argmin_j Var_n(s_j)`` with ``s`` the Stein score of the
  remaining variables, iterated like SCORE. With Gaussian noise
  ``Var[s_i] = 1/sigma_i^2 + sum_{j in CH_i} E[(d_i h_j)^2] / sigma_j^2``, so with equal noise variances a sink
  has the smallest score variance.

Adjacency convention: ``A[i, j] = 1`` means ``i -> j``.
"""

from __future__ import annotations

from scorecause.discovery.base import (
    PIPELINE_CONSTRAINTS,
    STEIN_CONSTRAINTS,
    STEIN_KERNEL_MATRICES,
    OrderBasedEstimator,
    leaf_loop,
)
from scorecause.discovery.score import stein_leaf_order

__all__ = ["VarSort", "ScoreSort"]


class VarSort(OrderBasedEstimator):
    """VarSort: order by increasing marginal variance, then CAM pruning (a shortcut baseline).

    Parameters
    ----------
    prune, alpha, pns, n_splines, cam_backend, n_bootstrap, random_state, n_jobs, progress
        See :class:`~scorecause.discovery.base.OrderBasedEstimator`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=500); b = 2 * a + rng.normal(size=500)
    >>> VarSort().fit(np.c_[b, a]).order_
    [1, 0]

    References
    ----------
    Reisach, Seiler, Weichwald. Beware of the simulated DAG! NeurIPS 2021.
    """

    tags = {**OrderBasedEstimator.tags, "additive_noise": True}
    _parameter_constraints = PIPELINE_CONSTRAINTS

    def __init__(self, *, prune: bool = True, alpha: float = 1e-3, pns: bool = False, n_splines: int = 10,
                 cam_backend: str = "bspline", n_bootstrap: int = 0, random_state=None, n_jobs: int | None = 1,
                 progress: bool = False):
        self._set_common(prune, alpha, pns, n_splines, cam_backend, n_bootstrap, random_state, n_jobs, progress)

    def _order(self, X, precedence, rng, bar=None):
        var = X.var(axis=0)
        return leaf_loop(X.shape[1], lambda rem: -var[rem], precedence, bar=bar)  # leaf = largest variance


class ScoreSort(OrderBasedEstimator):
    """ScoreSort: leaf = smallest variance of the Stein score, iterated; then CAM pruning (shortcut baseline).

    Parameters
    ----------
    eta : float, default 1e-3
        Ridge of the Stein score estimator.
    device : {"cpu", "cuda", "auto"}
        Where the Stein score runs.
    max_rows : int or None, default 5000
        Above this many rows, fit on a seeded random subsample of ``max_rows`` rows (warning). None: every row.
    prune, alpha, pns, n_splines, cam_backend, n_bootstrap, random_state, n_jobs, progress
        See :class:`~scorecause.discovery.base.OrderBasedEstimator`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=300); b = np.sin(2 * a) + 0.5 * rng.normal(size=300)
    >>> ScoreSort().fit(np.c_[b, a]).order_
    [1, 0]

    References
    ----------
    Montagna, Noceti, Rosasco, Locatello. Shortcuts for causal discovery of nonlinear models by score
    matching. arXiv 2310.14246.
    """

    tags = {**OrderBasedEstimator.tags, "gaussian_noise": True}
    _parameter_constraints = {**PIPELINE_CONSTRAINTS, **STEIN_CONSTRAINTS}
    kernel_matrices = STEIN_KERNEL_MATRICES

    def __init__(self, eta: float = 1e-3, *, device="cpu", max_rows: int | None = 5000, prune: bool = True,
                 alpha: float = 1e-3, pns: bool = False, n_splines: int = 10, cam_backend: str = "bspline",
                 n_bootstrap: int = 0, random_state=None, n_jobs: int | None = 1, progress: bool = False):
        self.eta = eta
        self.device = device
        self.max_rows = max_rows
        self._set_common(prune, alpha, pns, n_splines, cam_backend, n_bootstrap, random_state, n_jobs, progress)

    def _order(self, X, precedence, rng, bar=None):
        return stein_leaf_order(X, lambda st: st.score().var(axis=0), precedence, eta=self.eta,
                                device=self.device, bar=bar)
