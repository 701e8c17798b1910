"""NoGAM -- Not only Gaussian Additive Models (Montagna, Noceti, Rosasco, Zhang, Locatello, CLeaR 2023).

For an additive noise model with *any* noise distribution, let ``R_j = X_j - E[X_j | X_{-j}]``. A sink ``s``
has ``R_s = N_s`` (up to its mean) and its score ``s_s = (log p_{N_s})'(N_s)`` is a function of ``N_s`` only, so

.. math:: X_j \\text{ is a sink} \\iff \\mathbb E\\big[(\\mathbb E[s_j \\mid R_j] - s_j)^2\\big] = 0 .

Each round, on the remaining variables: Stein score ``S`` (:mod:`scorecause.scores.stein`), residuals
``R_j`` by kernel ridge regression (KRR) of ``X_j`` on ``X_{-j}``, then the error of predicting ``S_j`` from
``R_j`` (a one-dimensional penalised spline, :func:`spline_loo`); the leaf is the smallest error. Then CAM
pruning.

Both regressions are **out of sample** and tuned by leave-one-out (LOO) cross-validation in closed form: for
a linear smoother with hat matrix ``H`` the LOO residuals are ``e_i = (y_i - (H y)_i) / (1 - H_ii)``.

The residual regressions are **Nyström kernel ridge regressions** (:func:`nystrom_krr_loo`): ``r = krr_rank``
seeded landmark rows ``L`` (the same for every regression), ``K ~ C W^+ C'`` with ``C = K[:, L]``, i.e. ridge
regression on the ``(n, r)`` features ``Phi = C W^{-1/2}``; one ``O(n r^2)`` decomposition ``Phi_c = U S Q'``
gives ``H_a = 11'/n + U diag(s^2 / (s^2 + a)) U'`` for the whole ``alpha`` grid. A round with ``m`` variables
costs ``m`` such regressions: ``O(d^2 n r^2)`` over the run instead of the ``O(d^2 n^3)`` of one ``n x n``
eigendecomposition per regression (``krr_rank=None`` keeps that exact path, :func:`krr_loo`; dodiscover refits
5-fold ``KernelRidge`` per candidate). The RBF width is ``gamma = c / median(D^2)`` (median of the ``n x r``
row-to-landmark distances, ``c`` in ``gamma_grid``) on standardised data -- not the fixed ``gamma = 0.01`` that
the public implementation ends up using (its ``ridge_gamma`` argument is silently replaced by ``ridge_alpha``).
The ``(n, r)`` distances of ``X_{-j}`` come from those of the remaining variables by an ``O(n r)`` downdate,
which is also how a removed leaf leaves them.

Adjacency convention: ``A[i, j] = 1`` means ``i -> j``.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from threadpoolctl import threadpool_limits

from scorecause.constraints import BOOL, POSITIVE_FLOATS, Interval
from scorecause.discovery.base import (
    NYSTROM_CONSTRAINTS,
    PIPELINE_CONSTRAINTS,
    STEIN_CONSTRAINTS,
    STEIN_KERNEL_MATRICES,
    OrderBasedEstimator,
    leaf_loop,
)
from scorecause.discovery.score import stein_state
from scorecause.scores.kernels import sq_distances
from scorecause.scores.stein import N_LANDMARKS, landmark_rows

__all__ = ["NoGAM", "krr_loo", "nystrom_krr_loo", "spline_loo"]

DEFAULT_ALPHAS = (1e-3, 1e-2, 1e-1, 1.0)


def _median(D2: np.ndarray) -> float:
    flat = D2.reshape(-1)
    k = (flat.size - 1) // 2
    return float(np.partition(flat, k)[k])


def spline_loo(x: np.ndarray, y: np.ndarray, *, n_basis: int = 20, alphas=(1e-3, 1e-2, 1e-1, 1.0, 10.0)):
    """1-D penalised cubic B-spline regression (P-spline) with closed-form leave-one-out residuals.

    ``y ~ b + B(x) beta`` with a second-difference penalty ``a * tr(B'B)/k * D'D``; for each ``a`` the hat
    diagonal is ``h_i = 1/n + B_i (B'B + P_a)^{-1} B_i'`` and the LOO residual ``(y_i - yhat_i) / (1 - h_i)``.
    ``O(n k^2)`` per ridge -- used for NoGAM's one-dimensional regression of ``S_j`` on ``R_j``.

    Returns ``(residuals (n,), mse, alpha)`` of the best ridge.
    """
    from scipy import linalg

    from scorecause.discovery.cam import _difference_penalty, spline_design

    y = np.asarray(y, dtype=np.float64)
    yc = y - y.mean()
    n = y.size
    B = spline_design(x, n_basis)  # (n, k) centred
    k = B.shape[1]
    G = B.T @ B
    Bty = B.T @ yc
    P = _difference_penalty(k) * (np.trace(G) / max(k, 1))
    best = (None, np.inf, None)
    for a in alphas:
        cf = linalg.cho_factor(G + a * P + 1e-10 * np.trace(G) / k * np.eye(k), lower=True, check_finite=False)
        beta = linalg.cho_solve(cf, Bty, check_finite=False)
        h = 1.0 / n + np.einsum("ij,ji->i", B, linalg.cho_solve(cf, B.T, check_finite=False))
        e = (yc - B @ beta) / np.maximum(1.0 - h, 1e-12)
        mse = float(np.mean(e * e))
        if mse < best[1]:
            best = (e, mse, float(a))
    return best


def krr_loo(D2: np.ndarray, y: np.ndarray, *, gamma_grid=(1.0,), alphas=DEFAULT_ALPHAS):
    """Kernel ridge regression with leave-one-out residuals in closed form, tuned over a grid.

    Parameters
    ----------
    D2 : (n, n) squared distances of the inputs.
    y : (n,) response.
    gamma_grid : multipliers ``c`` of the RBF width ``gamma = c / median(D2)``; kernel ``exp(-gamma D2)``.
    alphas : ridge values.

    Returns
    -------
    (residuals (n,), mse, (gamma, alpha)) -- the LOO residuals ``y_i - f_{-i}(x_i)`` of the best pair.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-2, 2, 200); y = np.sin(2 * x) + 0.1 * rng.normal(size=200)
    >>> e, mse, _ = krr_loo((x[:, None] - x[None, :]) ** 2, y)
    >>> bool(0.005 < mse < 0.02)
    True
    """
    y = np.asarray(y, dtype=np.float64)
    yc = y - y.mean()
    med = _median(D2)
    if med <= 0:
        med = float(D2[D2 > 0].min()) if np.any(D2 > 0) else 1.0
    best = (None, np.inf, None)
    alphas = np.asarray(alphas, dtype=np.float64)
    for c in gamma_grid:
        gamma = float(c) / med
        lam, U = np.linalg.eigh(np.exp(-gamma * D2))  # (n,), (n, n)
        lam = np.clip(lam, 0.0, None)
        Uy = U.T @ yc  # (n,)
        U2 = U * U  # (n, n)
        for a in alphas:
            w = lam / (lam + a)  # (n,)
            fit = U @ (w * Uy)
            hdiag = U2 @ w
            e = (yc - fit) / np.maximum(1.0 - hdiag, 1e-12)
            mse = float(np.mean(e * e))
            if mse < best[1]:
                best = (e, mse, (gamma, float(a)))
    return best


def nystrom_krr_loo(D2_nl: np.ndarray, landmarks: np.ndarray, y: np.ndarray, *, gamma_grid=(1.0,),
                    alphas=DEFAULT_ALPHAS, rank_tol: float = 1e-8):
    """Nyström kernel ridge regression with an intercept and leave-one-out residuals in closed form.

    The RBF kernel ``K = exp(-gamma D^2)`` is replaced by its Nyström approximation on ``r`` landmark rows
    ``L`` (Williams & Seeger 2001), ``K ~ C W^+ C'`` with ``C = K[:, L]`` (n, r) and ``W = K[L, L]`` (r, r).
    With ``W = V diag(w) V'`` (eigenvalues below ``rank_tol * max(w)`` dropped) the feature map
    ``Phi = C V diag(w)^{-1/2}`` (n, k) satisfies ``Phi Phi' = C W^+ C'``, so kernel ridge regression with
    that kernel is ridge regression on ``Phi``. Centring ``Phi`` and ``y`` fits the intercept; with the thin
    decomposition ``Phi_c = U diag(sigma) Q'`` the hat matrix of ridge ``a`` is
    ``H_a = 1 1'/n + U diag(sigma^2 / (sigma^2 + a)) U'`` and the leave-one-out residuals are

    .. math:: e_i = \\frac{y_i - \\hat y_i}{1 - (H_a)_{ii}},

    for every ``a`` from one ``O(n k^2)`` decomposition (``k <= r``): ``O(n r^2)`` per kernel width instead of
    the ``O(n^3)`` eigendecomposition of the exact :func:`krr_loo`, memory ``O(n r)``.

    Parameters
    ----------
    D2_nl : (n, r) squared distances between all rows and the landmark rows (of the regression inputs).
    landmarks : (r,) int, row indices of the landmarks (so ``D2_nl[landmarks]`` is their (r, r) block).
    y : (n,) response.
    gamma_grid : multipliers ``c`` of the RBF width ``gamma = c / median(D2_nl)``.
    alphas : ridge values (on the scale of the kernel's eigenvalues, as in :func:`krr_loo`).
    rank_tol : relative eigenvalue cut-off of ``W``.

    Returns
    -------
    (residuals (n,), mse, (gamma, alpha)) -- LOO residuals ``y_i - f_{-i}(x_i)`` of the best pair.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-2, 2, 400); y = np.sin(2 * x) + 0.1 * rng.normal(size=400)
    >>> L = np.arange(0, 400, 4)
    >>> e, mse, _ = nystrom_krr_loo((x[:, None] - x[L][None, :]) ** 2, L, y)
    >>> bool(0.005 < mse < 0.02)
    True
    """
    y = np.asarray(y, dtype=np.float64)
    yc = y - y.mean()
    n = yc.size
    med = _median(D2_nl)
    if med <= 0:
        med = float(D2_nl[D2_nl > 0].min()) if np.any(D2_nl > 0) else 1.0
    alphas = np.asarray(alphas, dtype=np.float64)
    best = (None, np.inf, None)
    for c in gamma_grid:
        gamma = float(c) / med
        C = np.exp(-gamma * D2_nl)  # (n, r)
        w, V = np.linalg.eigh(C[landmarks])  # W = K[L, L], (r,), (r, r)
        keep = w > rank_tol * w.max()
        P = V[:, keep] / np.sqrt(w[keep])  # (r, k): Phi = C P
        C -= C.mean(axis=0)  # centred features fit the intercept
        s2, Q = np.linalg.eigh(P.T @ (C.T @ C) @ P)  # sigma^2 of Phi_c = C P, (k,), (k, k)
        ok = s2 > 1e-8 * alphas.min()  # directions with sigma^2 << alpha carry no weight
        s2 = s2[ok]
        U = C @ (P @ (Q[:, ok] / np.sqrt(s2)))  # (n, k') orthonormal columns spanning Phi_c
        del C
        Uy = U.T @ yc
        U2 = U * U
        for a in alphas:
            f = s2 / (s2 + a)  # shrinkage factors
            fit = U @ (f * Uy)
            hdiag = 1.0 / n + U2 @ f
            e = (yc - fit) / np.maximum(1.0 - hdiag, 1e-12)
            mse = float(np.mean(e * e))
            if mse < best[1]:
                best = (e, mse, (gamma, float(a)))
    return best


class NoGAM(OrderBasedEstimator):
    """NoGAM: leaf = score best predicted by its own regression residual (any noise law); CAM pruning.

    Each round costs one Stein score (``O(n^3)`` exact, ``O(n r^2)`` Nyström) plus, per remaining variable,
    a Nyström kernel ridge regression (:func:`nystrom_krr_loo`, ``O(n krr_rank^2)``) and a 1-D spline
    (:func:`spline_loo`): ``O(d n^3 + d^2 n krr_rank^2)`` in total instead of the ``O(d^2 n^3)`` of exact
    kernel ridge regressions.

    Parameters
    ----------
    eta : float, default 1e-3
        Ridge of the Stein score estimator.
    gamma_grid : tuple of float, default (1.0,)
        RBF widths ``c / median(D^2)`` tried by leave-one-out (each extra value costs one more
        ``O(n krr_rank^2)`` decomposition per regression; e.g. ``(0.5, 1.0, 2.0)`` for a wider search).
    alphas : tuple of float
        KRR ridges tried by leave-one-out (free once the features are decomposed).
    standardize : bool, default True
        Scale each column to unit variance first (the kernel widths are then comparable).
    krr_rank : int or None, default 200
        Landmark rows of the Nyström residual regressions (capped at ``n``); the same seeded rows for every
        regression. 200 gives the exact regressions' order divergence on the GP-ANM grid (BENCHMARKS.md).
        None: exact kernel ridge regressions (:func:`krr_loo`, one ``n x n`` eigendecomposition per
        regression, ``O(d^2 n^3)``; the reference path).
    device : {"cpu", "cuda", "auto"}
        Where the Stein score runs.
    max_rows : int or None, default 4000
        Above this many rows, fit on a seeded random subsample of ``max_rows`` rows (warning): its ``n x n``
        Stein kernels then need under 2 GB. None uses every row. Ignored with ``scores="nystrom"``.
    scores : {"exact", "nystrom"}, default "exact"
        Stein score estimator; ``"nystrom"`` (``n_landmarks`` landmarks) keeps every step ``O(n r)`` in memory,
        for large ``n`` (see :class:`~scorecause.discovery.score.SCORE`).
    n_landmarks : int, default 500
        Nyström rank of the Stein score (``scores="nystrom"`` only).
    prune, alpha, pns, n_splines, cam_backend, n_bootstrap, random_state, n_jobs, progress
        See :class:`~scorecause.discovery.base.OrderBasedEstimator` (``alpha`` = CAM cutoff, default 0.001;
        ``random_state`` also draws the landmarks, None = seed 0).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.uniform(-2, 2, size=300); b = np.sin(2 * a) + 0.3 * rng.laplace(size=300)
    >>> NoGAM().fit(np.c_[b, a]).order_
    [1, 0]

    References
    ----------
    Montagna, Noceti, Rosasco, Zhang, Locatello. Causal discovery with score matching on additive models with
    arbitrary noise. CLeaR 2023 (arXiv 2304.03265). Williams & Seeger. Using the Nyström method to speed up
    kernel machines. NIPS 2001.
    """

    _parameter_constraints = {**PIPELINE_CONSTRAINTS, **STEIN_CONSTRAINTS, **NYSTROM_CONSTRAINTS,
                              "gamma_grid": POSITIVE_FLOATS, "alphas": POSITIVE_FLOATS, "standardize": [BOOL],
                              "krr_rank": [None, Interval(int, 10, None)]}
    kernel_matrices = STEIN_KERNEL_MATRICES  # the Stein state; the regressions are O(n krr_rank)
    max_features = 100  # d^2 / 2 regressions of O(n krr_rank^2) each

    def __init__(self, eta: float = 1e-3, gamma_grid=(1.0,), alphas=DEFAULT_ALPHAS, standardize: bool = True,
                 krr_rank: int = 200, *, device="cpu", max_rows: int | None = 4000, scores: str = "exact",
                 n_landmarks: int = N_LANDMARKS, prune: bool = True, alpha: float = 1e-3, pns: bool = False,
                 n_splines: int = 10, cam_backend: str = "bspline", n_bootstrap: int = 0, random_state=None,
                 n_jobs: int | None = 1, progress: bool = False):
        self.eta = eta
        self.gamma_grid = gamma_grid
        self.alphas = alphas
        self.standardize = standardize
        self.krr_rank = krr_rank
        self.device = device
        self.max_rows = max_rows
        self.scores = scores
        self.n_landmarks = n_landmarks
        self._set_common(prune, alpha, pns, n_splines, cam_backend, n_bootstrap, random_state, n_jobs, progress)

    def _memory_bytes(self, n: int, d: int) -> float:
        """The Stein path's (base class) plus the regressions' ``(n, krr_rank)`` buffers (about 5)."""
        return super()._memory_bytes(n, d) + 8.0 * 5 * n * self._krr_rank(n)

    def _krr_rank(self, n: int) -> int:
        return n if self.krr_rank is None else min(int(self.krr_rank), n)

    def _seconds(self, n: int, d: int) -> float:
        """The Stein path's rounds plus ``d^2 / 2`` regressions of about ``4 n krr_rank^2`` flops (~10 GFLOP/s)."""
        from joblib import effective_n_jobs

        fits = 1 + self.n_bootstrap / max(effective_n_jobs(self.n_jobs), 1)
        r = self._krr_rank(n)
        per_regression = 4 * n * r * r if self.krr_rank is not None else 10 * n**3  # exact: an n x n eigh
        return super()._seconds(n, d) + fits * d * d / 2 * per_regression * len(self.gamma_grid) / 1e10

    def _order(self, X, precedence, rng, bar=None):
        Z = (X - X.mean(0)) / X.std(0) if self.standardize else np.asarray(X, dtype=np.float64)
        n = Z.shape[0]
        exact = self.krr_rank is None  # exact kernel ridge regressions: every row, n x n eigendecompositions
        L = np.arange(n) if exact else landmark_rows(n, self.krr_rank, self.random_state)  # (r,) landmarks
        D2_nl = np.asarray(sq_distances(Z, Z[L]))  # (n, r) distances of the remaining columns, downdated
        regress = krr_loo if exact else partial(nystrom_krr_loo, landmarks=L)
        state = stein_state(Z, eta=self.eta, device=self.device, scores=self.scores, n_landmarks=self.n_landmarks,
                            random_state=self.random_state)

        def criterion(remaining):
            state.compute(remaining)
            S = state.score()  # (n, m)
            errs = np.empty(len(remaining))
            for i, j in enumerate(remaining):
                xj = Z[:, j]
                D2_rest = D2_nl - (xj[:, None] - xj[L][None, :]) ** 2  # distances of X_{-j}, (n, r)
                np.clip(D2_rest, 0.0, None, out=D2_rest)
                R, _, _ = regress(D2_rest, y=xj, gamma_grid=self.gamma_grid, alphas=self.alphas)
                _, errs[i], _ = spline_loo(R, S[:, i])
            return errs

        def remove(leaf, pos):
            state.remove(leaf)
            xl = Z[:, leaf]
            D2_nl[...] = np.clip(D2_nl - (xl[:, None] - xl[L][None, :]) ** 2, 0.0, None)

        # the (n, r) regressions and the tiny spline systems run fastest on one BLAS thread below ~600 rows
        with threadpool_limits(1 if n <= 600 else None):
            return leaf_loop(Z.shape[1], criterion, precedence, on_remove=remove, bar=bar)
