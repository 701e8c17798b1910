"""SCORE: causal order from the Stein estimate of the Hessian diagonal of ``log p`` (Rolland et al., ICML 2022).

For an additive noise model with Gaussian noise, a leaf (sink) ``l`` has ``d^2 log p / dx_l^2 = -1 / sigma_l^2``,
a constant, so the leaf is the variable whose estimated Hessian diagonal varies least over the samples:

.. math:: l = \\arg\\min_j \\widehat{\\mathrm{Var}}_{x^{(k)}}\\big[\\hat H_{jj}(x^{(k)})\\big],

iterated on the remaining variables (``d - 1`` rounds), then CAM pruning (:mod:`scorecause.discovery.cam`).

Estimator (Li & Turner's Stein gradient estimator, conventions of ``paulrolland1307/SCORE``), in matrix-product
form with no ``n x n x d`` tensor: ``K = exp(-D^2 / 2 s^2) / s`` (``s`` = median distance), ``k = K 1``,

.. math::
    \\hat G = (K + \\eta I)^{-1} (K X - k \\odot X) / s^2, \\qquad
    \\hat H_{diag} = -\\hat G^{\\odot 2} + (K + \\eta I)^{-1}
        \\big[-k 1^\\top / s^2 + (X^{\\odot 2} \\odot k - 2 X \\odot K X + K X^{\\odot 2}) / s^4\\big].

Work reused exactly between rounds: the squared-distance matrix is **downdated** in ``O(n^2)`` when a leaf is
removed (:func:`scorecause.scores.kernels.downdate_sq_distances`), and one Cholesky factorisation serves both
the score and the Hessian solve (``eta_G = eta_H``). Per round: one median (selection), one kernel, one
``O(n^3/3)`` Cholesky and ``O(n^2 m)`` products; memory ``O(n^2)``. The kernel algebra is
:mod:`scorecause.scores.stein` (torch, float64; ``device="cuda"`` runs it on a GPU).
"""

from __future__ import annotations

import copy

import numpy as np

from scorecause.constraints import Options
from scorecause.discovery.base import (
    NYSTROM_CONSTRAINTS,
    PIPELINE_CONSTRAINTS,
    STEIN_CONSTRAINTS,
    STEIN_KERNEL_MATRICES,
    OrderBasedEstimator,
    leaf_loop,
)
from scorecause.scores import stein
from scorecause.scores.kernels import downdate_sq_distances, median_bandwidth, sq_distances

__all__ = ["SCORE", "SteinState", "NystromSteinState", "stein_state"]


class SteinState:
    """Stein quantities for a shrinking set of columns of ``X``, built on :mod:`scorecause.scores.stein`.

    ``remove(j)`` drops column ``j`` (an index into the original columns) by downdating the squared
    distances in ``O(n^2)`` (exact up to rounding); ``compute(cols)`` refreshes bandwidth, kernel and the shared
    Cholesky factor for the current columns ``cols`` (the columns not yet removed) via
    :func:`scorecause.scores.stein.stein_kernel`. Memory ``O(n^2)``.
    """

    def __init__(self, X: np.ndarray, eta: float = 1e-3, device="cpu"):
        self.X = np.asarray(X, dtype=np.float64)
        self.eta = float(eta)
        self.device = device
        self.D2 = sq_distances(self.X - self.X.mean(axis=0))  # (n, n), downdated in place

    def remove(self, j: int) -> None:
        downdate_sq_distances(self.D2, np.array(self.X[:, j]), out=self.D2)

    def compute(self, cols) -> None:
        self.cols = np.asarray(cols, dtype=int)
        self.sk = stein.stein_kernel(self.X[:, self.cols], D2=self.D2, bandwidth=median_bandwidth(self.D2),
                                     etas=(self.eta,), device=self.device)
        self.G = None

    def score(self) -> np.ndarray:
        """Stein estimate of ``grad log p`` on the current columns, (n, m)."""
        self.G = stein.score_from_kernel(self.sk, self.eta)
        return self.G.cpu().numpy()

    def hessian_diag(self) -> np.ndarray:
        """Stein estimate of the Hessian diagonal of ``log p`` on the current columns, (n, m)."""
        H, self.G = stein.hessian_diag_from_kernel(self.sk, self.eta, G=self.G)
        return H.cpu().numpy()

    def hessian_rows(self, rows) -> np.ndarray:
        """Full-Hessian rows ``H[:, c, :]`` for ``c`` in ``rows`` (original indices), (n, len(rows), m)."""
        pos = {int(v): i for i, v in enumerate(self.cols)}
        local = [pos[int(c)] for c in rows]
        if self.G is None:
            self.score()
        return stein.hessian_rows_from_kernel(self.sk, rows=local, eta=self.eta, G=self.G).cpu().numpy()


    def predecessor_hessian_rows(self, order) -> dict:
        """``{l: (n, d)}`` Hessian entries ``H[:, l, j]`` for the predecessors ``j`` of ``l`` (DAS), on all columns."""
        from scorecause.discovery.das import _predecessor_hessian_rows

        return _predecessor_hessian_rows(self, order)


class NystromSteinState:
    """The same interface as :class:`SteinState`, with the Nyström Stein estimator (memory ``O(n r)``).

    ``r = min(n_landmarks, n)`` landmark rows are drawn once (seeded); each ``compute(cols)`` builds
    :class:`scorecause.scores.stein.NystromStein` on the current columns (the ``r x n`` distances are
    recomputed, ``O(n r m)``, cheaper than the ``O(n r^2)`` solve). Nothing ``n x n`` is ever formed.
    """

    def __init__(self, X: np.ndarray, eta: float = 1e-3, device="cpu", *, n_landmarks: int = stein.N_LANDMARKS,
                 random_state=None, rank_tol: float = 1e-4):
        self.X = np.asarray(X, dtype=np.float64)
        self.eta = float(eta)
        self.device = device
        self.rank_tol = rank_tol
        self.landmarks = stein.landmark_rows(self.X.shape[0], n_landmarks, random_state)  # (r,)

    def remove(self, j: int) -> None:
        """Nothing to downdate: the landmark distances are rebuilt from the remaining columns."""

    def compute(self, cols) -> None:
        self.cols = np.asarray(cols, dtype=int)
        self.ny = stein.NystromStein(self.X[:, self.cols], self.landmarks, etas=(self.eta,), rank_tol=self.rank_tol,
                                     device=self.device)
        self.G = None

    def score(self) -> np.ndarray:
        self.G = self.ny.score(self.eta)
        return self.G.cpu().numpy()

    def hessian_diag(self) -> np.ndarray:
        H, self.G = self.ny.hessian_diag(self.eta, G=self.G)
        return H.cpu().numpy()

    def hessian_rows(self, rows) -> np.ndarray:
        pos = {int(v): i for i, v in enumerate(self.cols)}
        if self.G is None:
            self.score()
        return self.ny.hessian_rows([pos[int(c)] for c in rows], eta=self.eta, G=self.G).cpu().numpy()

    def predecessor_hessian_rows(self, order) -> dict:
        """``{l: (n, d)}`` full Hessian rows of every node (the predecessors' entries are the ones DAS reads)."""
        order = [int(v) for v in order]
        H = self.hessian_rows(order)  # (n, d, d), rows in the order's sequence
        return {leaf: H[:, i, :] for i, leaf in enumerate(order)}


def stein_state(X, *, eta: float = 1e-3, device="cpu", scores: str = "exact", n_landmarks: int = stein.N_LANDMARKS,
                random_state=None):
    """The Stein quantities of a leaf-removal loop: :class:`SteinState` (``scores="exact"``, ``O(n^2)`` memory)
    or :class:`NystromSteinState` (``scores="nystrom"``, ``O(n r)``)."""
    if scores == "exact":
        return SteinState(X, eta, device)
    if scores == "nystrom":
        return NystromSteinState(X, eta, device, n_landmarks=n_landmarks, random_state=random_state)
    from scorecause.errors import ConfigError

    raise ConfigError(f"scores must be 'exact' or 'nystrom', got {scores!r}")


def dispersion(H: np.ndarray, kind: str = "var") -> np.ndarray:
    """Column dispersion of ``H`` (n, m): ``"var"`` (SCORE paper) or ``"median"`` (mean |H - median H|)."""
    if kind == "var":
        return H.var(axis=0)
    if kind == "median":
        return np.mean(np.abs(H - np.median(H, axis=0)), axis=0)
    from scorecause.errors import ConfigError

    raise ConfigError(f"dispersion must be 'var' or 'median', got {kind!r}")


def stein_leaf_order(X, criterion, precedence=None, *, eta: float = 1e-3, device="cpu", bar=None,
                     first_state=None, scores: str = "exact", n_landmarks: int = stein.N_LANDMARKS,
                     random_state=None):
    """Leaf-removal ordering where ``criterion(state) -> (m,)`` scores the current columns (smaller = leaf).

    ``first_state``, if a list, receives a copy of the quantities of the first round (all columns) -- DAS
    reuses them for the full Hessian. ``scores``, ``n_landmarks``, ``random_state``: see :func:`stein_state`.
    """
    X = np.asarray(X, dtype=np.float64)
    state = stein_state(X, eta=eta, device=device, scores=scores, n_landmarks=n_landmarks, random_state=random_state)

    def crit(remaining):
        state.compute(remaining)
        c = criterion(state)
        if first_state is not None and not first_state:
            first_state.append(copy.copy(state))  # shares K, KX, cf, G of the first round (not D2)
        return c

    return leaf_loop(X.shape[1], crit, precedence, on_remove=lambda leaf, pos: state.remove(leaf), bar=bar)


def stein_leaf_orders(Xb, *, eta: float = 1e-3, chunk: int = 32):
    """SCORE's order (variance criterion, no prior) of many small data sets at once, batched over sets.

    ``Xb``: array ``(K, n, m)``, K sample sets of the same shape (e.g. the variable subsets of
    :mod:`scorecause.amortized.features`). Each round computes the Stein Hessian diagonal of the remaining
    columns of every set in one batched pass (:mod:`scorecause.scores.stein` with leading batch axes),
    removes each set's leaf and downdates its distance matrix, exactly as :func:`stein_leaf_order` does one
    set at a time (same orders, up to rounding ties).

    ``chunk`` sets are processed together: 32 sets of 200 rows keep the ``(chunk, n, n)`` kernels small enough
    for the CPU cache (1.7x faster than 128 here).

    Returns ``orders`` int ``(K, m)`` (sources first) and the Stein Hessians of the first round (all columns)
    ``(K, n, m, m)``, which DAS-style cross-Hessian features reuse.
    """
    import torch

    Xb = np.asarray(Xb, dtype=np.float64)
    K, n, m = Xb.shape
    orders = np.empty((K, m), dtype=np.int64)
    hessians = np.empty((K, n, m, m))
    for a in range(0, K, chunk):
        X = torch.from_numpy(Xb[a:a + chunk])                                 # (k, n, m)
        X = X - X.mean(1, keepdim=True)
        k = X.shape[0]
        rows = torch.arange(k)
        D2 = sq_distances(X)                                                   # (k, n, n)
        rem = torch.arange(m).repeat(k, 1)                                     # (k, r) remaining columns
        leaves = []
        for r in range(m, 1, -1):
            Xr = torch.gather(X, 2, rem[:, None, :].expand(k, n, r))           # (k, n, r)
            sk = stein.stein_kernel(Xr, D2=D2, bandwidth=median_bandwidth(D2), etas=(eta,))
            H, G = stein.hessian_diag_from_kernel(sk, eta)                     # (k, n, r)
            if r == m:
                hessians[a:a + k] = stein.hessian_rows_from_kernel(sk, eta=eta, G=G).numpy()
            crit = H.var(dim=1, correction=0)                                  # (k, r)
            crit = torch.where(torch.isfinite(crit), crit, torch.inf)
            pos = crit.argmin(dim=1)                                           # first minimum, as pick_leaf
            leaf = rem[rows, pos]
            leaves.append(leaf)
            D2 = downdate_sq_distances(D2, X[rows, :, leaf])
            keep = torch.ones_like(rem, dtype=torch.bool)
            keep[rows, pos] = False
            rem = rem[keep].reshape(k, r - 1)
        leaves.append(rem[:, 0])
        orders[a:a + k] = torch.stack(leaves[::-1], dim=1).numpy()
    return orders, hessians


class SCORE(OrderBasedEstimator):
    """SCORE (Rolland et al. 2022): leaf = least-varying Stein Hessian diagonal, then CAM pruning.

    Assumes a nonlinear additive noise model with Gaussian noise (``tags``).

    Parameters
    ----------
    eta : float, default 1e-3
        Ridge of the Stein estimator (``eta_G = eta_H``).
    device : {"cpu", "cuda", "auto"}, default "cpu"
        Where the kernel algebra runs (torch, float64).
    dispersion : {"var", "median"}, default "var"
        Leaf criterion: variance of the Hessian diagonal (paper) or mean absolute deviation from its median.
    max_rows : int or None, default 5000
        Above this many rows, fit on a seeded random subsample of ``max_rows`` rows (warning): its ``n x n``
        kernels then need under 2 GB. None uses every row. Ignored with ``scores="nystrom"`` (every row is used).
    scores : {"exact", "nystrom"}, default "exact"
        Stein estimator of the score and Hessian: ``"exact"`` (``n x n`` kernel, ``O(n^3)`` per round) or
        ``"nystrom"`` (:class:`~scorecause.scores.stein.NystromStein` on ``n_landmarks`` seeded landmark rows:
        ``O(n r^2)`` time and about ``3 n r`` floats of memory per round, never ``n x n``) for large ``n``.
    n_landmarks : int, default 500
        Nyström rank ``r`` (``scores="nystrom"`` only; capped at ``n``). Memory about ``24 n r`` bytes:
        n = 50,000 and r = 500 need ~0.6 GB.
    prune, alpha, pns, n_splines, cam_backend, n_bootstrap, random_state, n_jobs, progress
        See :class:`~scorecause.discovery.base.OrderBasedEstimator` (``alpha`` = CAM cutoff, default 0.001;
        ``random_state`` also draws the Nyström landmarks, None = seed 0).

    Attributes
    ----------
    order_ : list of int, causal order (sources first).
    adjacency_ : int8 (d, d), ``A[i, j] = 1`` means ``i -> j``.
    edge_probs_ : float (d, d), bootstrap edge frequencies (only when ``n_bootstrap > 0``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=300); b = np.sin(2 * a) + 0.5 * rng.normal(size=300)
    >>> SCORE().fit(np.c_[b, a]).order_
    [1, 0]

    References
    ----------
    Rolland, Cevher, Kleindessner, Russell, Janzing, Schölkopf, Locatello. *Score matching enables causal
    discovery of nonlinear additive noise models.* ICML 2022 (arXiv 2203.04413).
    """

    tags = {**OrderBasedEstimator.tags, "gaussian_noise": True}
    _parameter_constraints = {**PIPELINE_CONSTRAINTS, **STEIN_CONSTRAINTS, **NYSTROM_CONSTRAINTS,
                              "dispersion": [Options({"var", "median"})]}
    kernel_matrices = STEIN_KERNEL_MATRICES

    def __init__(self, eta: float = 1e-3, dispersion: str = "var", *, device="cpu", max_rows: int | None = 5000,
                 scores: str = "exact", n_landmarks: int = stein.N_LANDMARKS, prune: bool = True,
                 alpha: float = 1e-3, pns: bool = False, n_splines: int = 10, cam_backend: str = "bspline",
                 n_bootstrap: int = 0, random_state=None, n_jobs: int | None = 1, progress: bool = False):
        self.eta = eta
        self.dispersion = dispersion
        self.device = device
        self.max_rows = max_rows
        self.scores = scores
        self.n_landmarks = n_landmarks
        self._set_common(prune, alpha, pns, n_splines, cam_backend, n_bootstrap, random_state, n_jobs, progress)

    def _order(self, X, precedence, rng, bar=None, first_state=None):
        kind = self.dispersion
        return stein_leaf_order(X, lambda st: dispersion(st.hessian_diag(), kind), precedence, eta=self.eta,
                                device=self.device, bar=bar, first_state=first_state, scores=self.scores,
                                n_landmarks=self.n_landmarks, random_state=self.random_state)
