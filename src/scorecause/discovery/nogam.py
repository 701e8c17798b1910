"""NoGAM -- Not only Gaussian Additive Models (Montagna, Noceti, Rosasco, Zhang, Locatello, CLeaR 2023).

For an additive noise model with *any* noise distribution, let ``R_j = X_j - E[X_j | X_{-j}]``. A sink ``s``
has ``R_s = N_s`` (up to its mean) and its score ``s_s = (log p_{N_s})'(N_s)`` is a function of ``N_s`` only, so

.. math:: X_j \\text{ is a sink} \\iff \\mathbb E\\big[(\\mathbb E[s_j \\mid R_j] - s_j)^2\\big] = 0 .

Each round, on the remaining variables: Stein score ``S`` (:mod:`scorecause.scores.stein`), residuals
``R_j`` by kernel ridge regression (KRR) of ``X_j`` on ``X_{-j}``, then the error of predicting ``S_j`` from
``R_j`` (a one-dimensional penalised spline, :func:`spline_loo`); the leaf is the smallest error. Then CAM
pruning.

Both regressions are **out of sample** and tuned by cross-validation in closed form: with the
eigendecomposition ``K = U diag(lam) U'`` the hat matrix of ridge ``a`` is ``H_a = U diag(lam / (lam + a)) U'``
and the leave-one-out (LOO) residuals are ``e_i = (y_i - (H_a y)_i) / (1 - (H_a)_ii)``: one ``O(n^3)``
factorisation per kernel serves the whole ``alpha`` grid (dodiscover refits 5-fold ``KernelRidge`` per
candidate). The RBF kernel width is ``gamma = c / median(D^2)`` (median heuristic, ``c`` in ``gamma_grid``)
on standardised data -- not the fixed ``gamma = 0.01`` that the public implementation ends up using (its
``ridge_gamma`` argument is silently replaced by ``ridge_alpha``). The squared distances of ``X_{-j}`` come from
the remaining variables' distances by an ``O(n^2)`` downdate.

Adjacency convention: ``A[i, j] = 1`` means ``i -> j``.
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from scorecause.constraints import BOOL, POSITIVE_FLOATS
from scorecause.discovery.base import PIPELINE_CONSTRAINTS, STEIN_CONSTRAINTS, OrderBasedEstimator, leaf_loop
from scorecause.discovery.score import SteinState

__all__ = ["NoGAM", "krr_loo", "spline_loo"]

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


class NoGAM(OrderBasedEstimator):
    """NoGAM: leaf = score best predicted by its own regression residual (any noise law); CAM pruning.

    Parameters
    ----------
    eta : float, default 1e-3
        Ridge of the Stein score estimator.
    gamma_grid : tuple of float, default (1.0,)
        RBF widths ``c / median(D^2)`` tried by leave-one-out (each extra value costs one more
        eigendecomposition per regression; e.g. ``(0.5, 1.0, 2.0)`` for a wider search).
    alphas : tuple of float
        KRR ridges tried by leave-one-out (free once the kernel is factorised).
    standardize : bool, default True
        Scale each column to unit variance first (the kernel widths are then comparable).
    device : {"cpu", "cuda", "auto"}
        Where the Stein score runs.
    max_rows : int or None, default 4000
        Above this many rows, fit on a seeded random subsample of ``max_rows`` rows (warning): its ``n x n``
        kernels then need under 2 GB. None uses every row.
    prune, alpha, pns, n_splines, cam_backend, n_bootstrap, random_state, n_jobs, progress
        See :class:`~scorecause.discovery.base.OrderBasedEstimator` (``alpha`` = CAM cutoff, default 0.001).

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
    arbitrary noise. CLeaR 2023 (arXiv 2304.03265).
    """

    _parameter_constraints = {**PIPELINE_CONSTRAINTS, **STEIN_CONSTRAINTS, "gamma_grid": POSITIVE_FLOATS,
                              "alphas": POSITIVE_FLOATS, "standardize": [BOOL]}
    kernel_matrices = 12  # Stein state + per-column KRR eigendecomposition (peak RSS measured)
    max_features = 50  # d^2 / 2 eigendecompositions of n x n matrices

    def __init__(self, eta: float = 1e-3, gamma_grid=(1.0,), alphas=DEFAULT_ALPHAS,
                 standardize: bool = True, *, device="cpu", max_rows: int | None = 4000, prune: bool = True,
                 alpha: float = 1e-3, pns: bool = False, n_splines: int = 10, cam_backend: str = "bspline",
                 n_bootstrap: int = 0, random_state=None, n_jobs: int | None = 1, progress: bool = False):
        self.eta = eta
        self.gamma_grid = gamma_grid
        self.alphas = alphas
        self.standardize = standardize
        self.device = device
        self.max_rows = max_rows
        self._set_common(prune, alpha, pns, n_splines, cam_backend, n_bootstrap, random_state, n_jobs, progress)

    def _seconds(self, n: int, d: int) -> float:
        """``d^2 / 2`` eigendecompositions of ``n x n`` kernels (about ``10 n^3`` flops each, ~10 GFLOP/s)."""
        from joblib import effective_n_jobs

        fits = 1 + self.n_bootstrap / max(effective_n_jobs(self.n_jobs), 1)
        return fits * d * d / 2 * 10 * n**3 / 1e10

    def _order(self, X, precedence, rng, bar=None):
        Z = (X - X.mean(0)) / X.std(0) if self.standardize else np.asarray(X, dtype=np.float64)
        state = SteinState(Z, self.eta, self.device)

        def criterion(remaining):
            state.compute(remaining)
            S = state.score()  # (n, m)
            errs = np.empty(len(remaining))
            for i, j in enumerate(remaining):
                xj = Z[:, j]
                D2_rest = state.D2 - (xj[:, None] - xj[None, :]) ** 2  # distances of X_{-j}, (n, n)
                np.clip(D2_rest, 0.0, None, out=D2_rest)
                R, _, _ = krr_loo(D2_rest, xj, gamma_grid=self.gamma_grid, alphas=self.alphas)
                del D2_rest
                _, errs[i], _ = spline_loo(R, S[:, i])
            return errs

        # n x n eigendecompositions below ~600 rows and the tiny spline systems run fastest on one BLAS thread
        with threadpool_limits(1 if Z.shape[0] <= 600 else None):
            return leaf_loop(Z.shape[1], criterion, precedence, on_remove=lambda leaf, pos: state.remove(leaf),
                             bar=bar)
