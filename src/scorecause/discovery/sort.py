"""Shortcut baselines: VarSort (marginal variance), R2Sort (R^2 on all others) and ScoreSort (score variance).

Both exploit a regularity of common synthetic benchmarks rather than an identifiability theorem for general
data, and are shipped so that every benchmark can show how far a method beats the shortcut.

* **VarSort** (Reisach, Seiler & Weichwald, *Beware of the simulated DAG!*, NeurIPS 2021; ``sortnregress``):
  in many simulated linear/additive models the marginal variance grows along the causal order, so the order is
  ``argsort(Var X_j)`` (sources first); followed by CAM pruning (default) or, with ``pruning="lasso"``, by the
  paper's sparse linear regression on the predecessors (``sortnregress``). Not scale invariant by design.
* **R2Sort** = R²-SortnRegress (Reisach, Tami, Seiler, Chambaz, Weichwald, *A scale-invariant sorting criterion
  to find a causal order in additive noise models*, NeurIPS 2023, arXiv 2303.18211): the coefficient of
  determination of each variable regressed (linearly) on **all** other variables,
  ``R^2_j = 1 - 1 / (C^{-1})_{jj}`` with ``C`` the correlation matrix, tends to grow along the causal order
  ("R²-sortability"); the order is ``argsort(R^2)`` (sources first), then each variable is regressed on its
  predecessors with an adaptive Lasso chosen by BIC (:func:`lasso_ic`, as ``sortnregress``'s
  ``LassoLarsIC(criterion="bic")`` on OLS-weighted columns). Invariant to rescaling the columns.
* **ScoreSort** (Montagna, Noceti, Rosasco, Locatello, *Shortcuts for causal discovery of nonlinear models by
  score matching*, arXiv 2310.14246): the leaf is ``argmin_j Var_n(s_j)`` with ``s`` the Stein score of the
  remaining variables, iterated like SCORE. With Gaussian noise
  ``Var[s_i] = 1/sigma_i^2 + sum_{j in CH_i} E[(d_i h_j)^2] / sigma_j^2``, so with equal noise variances a sink
  has the smallest score variance.

Adjacency convention: ``A[i, j] = 1`` means ``i -> j``.
"""

from __future__ import annotations

import numpy as np

from scorecause.constraints import Options
from scorecause.discovery.base import (
    PIPELINE_CONSTRAINTS,
    STEIN_CONSTRAINTS,
    STEIN_KERNEL_MATRICES,
    OrderBasedEstimator,
    leaf_loop,
)
from scorecause.discovery.score import stein_leaf_order

__all__ = ["VarSort", "R2Sort", "ScoreSort", "r2_coefficients", "lasso_ic", "lasso_regress"]

#: the sort-and-regress baselines' extra hyperparameters
SORT_REGRESS_CONSTRAINTS = {"pruning": [Options({"cam", "lasso"})], "lasso_criterion": [Options({"bic", "aic"})]}


def r2_coefficients(X: np.ndarray) -> np.ndarray:
    """R^2 of each column regressed linearly on all the others: ``1 - 1 / (C^{-1})_{jj}``, C the correlations.

    Scale invariant (a correlation matrix). ``X`` (n, d) -> (d,).

    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=2000); b = a + rng.normal(size=2000)
    >>> np.round(r2_coefficients(np.c_[a, b]), 1).tolist()
    [0.5, 0.5]
    """
    C = np.corrcoef(np.asarray(X, dtype=np.float64), rowvar=False)  # (d, d)
    prec_diag = np.diag(np.linalg.solve(C, np.eye(C.shape[0])))
    return 1.0 - 1.0 / prec_diag


def lasso_ic(Z: np.ndarray, y: np.ndarray, criterion: str = "bic", n_lambdas: int = 60) -> np.ndarray:
    """Lasso coefficients (p,) of ``y`` (n,) on ``Z`` (n, p), the penalty chosen by an information criterion.

    Coordinate descent (warm starts) on a geometric grid of ``n_lambdas`` penalties from
    ``lambda_max = max |Z_c^T y_c| / n`` down to ``1e-4 lambda_max`` on the centred data, columns **not**
    rescaled (as ``LassoLarsIC`` without normalisation, so an adaptive Lasso's column weights act); the selected
    model minimises ``n log(RSS / n) + k c`` with ``k`` the non-zero coefficients (the Lasso's degrees of
    freedom, Zou, Hastie & Tibshirani 2007) and ``c = log n`` (BIC) or 2 (AIC) -- the criterion of scikit-learn's
    ``LassoLarsIC`` used by ``sortnregress``, computed on a grid instead of the LARS path. The empty model is
    a candidate.
    """
    Z = np.asarray(Z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, p = Z.shape
    pen = np.log(n) if criterion == "bic" else 2.0
    Zc = Z - Z.mean(axis=0)  # (n, p)
    yc = y - y.mean()
    G = Zc.T @ Zc / n  # (p, p)
    c = Zc.T @ yc / n  # (p,)
    best_ic, best = n * np.log(max(yc @ yc / n, 1e-300)), np.zeros(p)
    lam_max = np.abs(c).max() if p else 0.0
    if lam_max == 0:
        return best
    active = np.diag(G) > 1e-12 * max(np.diag(G).max(), 1e-300)  # constant columns stay at 0
    beta = np.zeros(p)
    for lam in lam_max * np.logspace(0, -4, n_lambdas):
        for _ in range(1000):  # coordinate descent sweeps
            delta = 0.0
            for j in np.flatnonzero(active):
                r = c[j] - G[j] @ beta + G[j, j] * beta[j]
                new = np.sign(r) * max(abs(r) - lam, 0.0) / G[j, j]
                delta = max(delta, abs(new - beta[j]) * np.sqrt(G[j, j]))
                beta[j] = new
            if delta < 1e-9 * np.sqrt(yc @ yc / n):
                break
        res = yc - Zc @ beta
        ic = n * np.log(max(res @ res / n, 1e-300)) + pen * np.count_nonzero(beta)
        if ic < best_ic:
            best_ic, best = ic, beta.copy()
    return best


def lasso_regress(X: np.ndarray, order, allowed: np.ndarray, criterion: str = "bic") -> np.ndarray:
    """``sortnregress``'s edge step: each node on its allowed predecessors by an adaptive Lasso (IC-selected).

    For the node at position k of ``order`` the candidates are ``allowed[:, node]`` among ``order[:k]``; their
    columns are weighted by the absolute OLS coefficients (adaptive Lasso, as in Reisach et al.'s
    ``sort_regress``) and :func:`lasso_ic` picks the support. Returns int8 (d, d), ``A[i, j] = 1`` = ``i -> j``.
    """
    d = X.shape[1]
    A = np.zeros((d, d), dtype=np.int8)
    for k, node in enumerate(order):
        cand = [int(p) for p in order[:k] if allowed[p, node]]
        if not cand:
            continue
        Z = X[:, cand]  # (n, m)
        Zc = Z - Z.mean(axis=0)
        w = np.abs(np.linalg.lstsq(Zc, X[:, node] - X[:, node].mean(), rcond=None)[0])  # OLS weights (m,)
        coef = lasso_ic(Zc * w, X[:, node], criterion) * w
        A[[p for p, b in zip(cand, coef) if b != 0], node] = 1
    return A


class _SortnRegress:
    """Mixin: ``pruning="lasso"`` replaces CAM pruning by :func:`lasso_regress` (``prune=False`` keeps all)."""

    def _prune(self, X, order, candidates, required, forbidden, rng, n_jobs) -> np.ndarray:
        from scorecause.discovery.cam import full_dag

        if self.pruning == "cam" or not self.prune:
            return super()._prune(X, order, candidates, required, forbidden, rng, n_jobs)
        allowed = full_dag(order).astype(bool) & ~forbidden
        A = lasso_regress(X, order, allowed, self.lasso_criterion).astype(bool)
        return ((A | required) & ~forbidden).astype(np.int8)


class VarSort(_SortnRegress, OrderBasedEstimator):
    """VarSort: order by increasing marginal variance, then CAM pruning or Lasso (a shortcut baseline).

    Parameters
    ----------
    pruning : {"cam", "lasso"}, default "cam"
        Edge step after the order: CAM pruning (``alpha``), or the paper's ``sortnregress`` -- an adaptive
        Lasso of each node on its predecessors chosen by ``lasso_criterion`` (:func:`lasso_regress`).
    lasso_criterion : {"bic", "aic"}, default "bic"
        Information criterion of the Lasso step (``pruning="lasso"``).
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
    _parameter_constraints = {**PIPELINE_CONSTRAINTS, **SORT_REGRESS_CONSTRAINTS}

    def __init__(self, *, pruning: str = "cam", lasso_criterion: str = "bic", prune: bool = True,
                 alpha: float = 1e-3, pns: bool = False, n_splines: int = 10, cam_backend: str = "bspline",
                 n_bootstrap: int = 0, random_state=None, n_jobs: int | None = 1, progress: bool = False):
        self.pruning = pruning
        self.lasso_criterion = lasso_criterion
        self._set_common(prune, alpha, pns, n_splines, cam_backend, n_bootstrap, random_state, n_jobs, progress)

    def _order(self, X, precedence, rng, bar=None):
        var = X.var(axis=0)
        return leaf_loop(X.shape[1], lambda rem: -var[rem], precedence, bar=bar)  # leaf = largest variance


class R2Sort(_SortnRegress, OrderBasedEstimator):
    """R²-SortnRegress: order by increasing R² on all other variables, then an adaptive Lasso (BIC).

    A scale-invariant shortcut baseline: ``R^2_j = 1 - 1 / (C^{-1})_{jj}`` (:func:`r2_coefficients`, C the
    correlation matrix) is computed once on all variables, sources are the smallest; the edges are the
    support of an adaptive Lasso of each variable on its predecessors chosen by BIC (:func:`lasso_regress`),
    or CAM pruning with ``pruning="cam"``.

    Parameters
    ----------
    pruning : {"lasso", "cam"}, default "lasso"
        Edge step: the paper's Lasso regression on the predecessors, or CAM pruning (``alpha``).
    lasso_criterion : {"bic", "aic"}, default "bic"
        Information criterion of the Lasso step.
    prune, alpha, pns, n_splines, cam_backend, n_bootstrap, random_state, n_jobs, progress
        See :class:`~scorecause.discovery.base.OrderBasedEstimator`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=(2, 500)); c = a + b + 0.5 * rng.normal(size=500)
    >>> est = R2Sort().fit(np.c_[c, 100 * a, b])  # R^2 = 0.89 for c, 0.8 for the sources
    >>> est.order_[-1], est.adjacency_[:, 0].tolist()
    (0, [0, 1, 1])

    References
    ----------
    Reisach, Tami, Seiler, Chambaz, Weichwald. A scale-invariant sorting criterion to find a causal order in
    additive noise models. NeurIPS 2023 (arXiv 2303.18211).
    """

    tags = {**OrderBasedEstimator.tags, "additive_noise": True, "linear": True}
    _parameter_constraints = {**PIPELINE_CONSTRAINTS, **SORT_REGRESS_CONSTRAINTS}

    def __init__(self, *, pruning: str = "lasso", lasso_criterion: str = "bic", prune: bool = True,
                 alpha: float = 1e-3, pns: bool = False, n_splines: int = 10, cam_backend: str = "bspline",
                 n_bootstrap: int = 0, random_state=None, n_jobs: int | None = 1, progress: bool = False):
        self.pruning = pruning
        self.lasso_criterion = lasso_criterion
        self._set_common(prune, alpha, pns, n_splines, cam_backend, n_bootstrap, random_state, n_jobs, progress)

    def _order(self, X, precedence, rng, bar=None):
        r2 = r2_coefficients(X)
        return leaf_loop(X.shape[1], lambda rem: -r2[rem], precedence, bar=bar)  # leaf = largest R^2


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
