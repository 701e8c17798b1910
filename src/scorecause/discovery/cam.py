"""CAM pruning: keep an edge ``p -> j`` when the additive spline term of ``p`` in the regression of ``j`` matters.

Given a causal order (passed **explicitly**) and a candidate matrix ``C`` (``C[i, j] = 1``: ``i`` may cause
``j``; ``A[i, j] = 1`` means ``i -> j`` everywhere), each node ``j`` is regressed on an additive model

.. math:: x_j = \\beta_0 + \\sum_{p \\in C_j} f_p(x_p) + \\varepsilon, \\qquad f_p(x) = \\sum_b \\beta_{pb} B_b(x),

with cubic B-splines ``B_b`` (knots at quantiles, each block centred so it carries no intercept), and the
parent ``p`` is kept when the partial F test of ``H0: beta_p = 0`` gives a p-value below ``cutoff``
(Bühlmann, Peters & Ernest, *CAM: Causal additive models*, Ann. Statist. 2014; cutoff 0.001 as in the
SCORE paper, Rolland et al. 2022).

Two regression engines (``backend``):

``"bspline"`` (default)
    Our own regression spline: ``scipy.interpolate.BSpline`` design, one Cholesky factorisation of the
    Gram matrix, and the exact partial F statistic of every block from the inverse Gram matrix
    (``F_p = beta_p' [V_pp]^{-1} beta_p / (k_p sigma^2)``, ``F(k_p, n - q)``). With ``penalty = 0`` the test
    is the classical nested-model F test, exactly calibrated under Gaussian noise; ``penalty > 0`` adds a
    second-difference (P-spline) ridge ``lambda * D'D`` and uses the sandwich covariance.
``"statsmodels"``
    ``statsmodels.gam.GLMGam`` with ``BSplines`` and its Wald test per smooth term (for comparison;
    slower, see BENCHMARKS.md).

The number of basis functions follows the R ``CAM`` package: ``k = n_splines`` unless ``n / p < 3 k``, then
``k = ceil(n / (3 p))`` (floored at ``degree + 1``), ``p`` being the number of candidates of the node.

Pitfall avoided: dodiscover's ``CAMPruning`` re-derives the order from the (possibly sparse) candidate matrix
and silently drops true edges; here the order is an argument and only edges consistent with it are tested.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import linalg, stats
from scipy.interpolate import BSpline
from threadpoolctl import threadpool_limits

from scorecause.errors import ConfigError

__all__ = ["cam_pruning", "spline_design", "additive_f_tests", "preliminary_neighbours", "full_dag"]


def full_dag(order) -> np.ndarray:
    """The complete DAG of ``order`` (sources first): ``A[i, j] = 1`` (``i -> j``) iff ``i`` precedes ``j``.

    >>> full_dag([2, 0, 1]).tolist()
    [[0, 1, 0], [0, 0, 0], [1, 1, 0]]
    """
    order = [int(v) for v in order]
    d = len(order)
    pos = np.empty(d, dtype=int)
    pos[order] = np.arange(d)
    return (pos[:, None] < pos[None, :]).astype(np.int8)


def _n_basis(n: int, n_parents: int, n_splines: int, degree: int) -> int:
    """Basis size per parent (R ``CAM`` rule: shrink when ``n / p < 3 k``, floor ``degree + 1``)."""
    k = n_splines
    if n_parents > 0 and n / n_parents < 3 * k:
        k = math.ceil(n / (3 * n_parents))
    return max(k, degree + 1)


def spline_design(x: np.ndarray, n_basis: int, degree: int = 3) -> np.ndarray:
    """Centred cubic B-spline block for one covariate: ``(n, n_basis - 1)``, no intercept.

    Interior knots at quantiles of ``x`` (so the basis is invariant to rescaling ``x``); the B-spline basis
    sums to one, so one column is dropped after centring to keep the design full rank next to an intercept.
    """
    x = np.asarray(x, dtype=np.float64)
    lo, hi = float(x.min()), float(x.max())
    if hi <= lo:
        return np.zeros((x.size, 0))
    n_inner = n_basis - degree - 1
    inner = np.quantile(x, np.linspace(0, 1, n_inner + 2)[1:-1]) if n_inner > 0 else np.empty(0)
    inner = np.unique(inner[(inner > lo) & (inner < hi)])
    t = np.concatenate([np.full(degree + 1, lo), inner, np.full(degree + 1, hi)])
    B = BSpline.design_matrix(np.clip(x, lo, hi), t, degree).toarray()  # (n, len(t) - degree - 1)
    B = B[:, :-1]
    return B - B.mean(axis=0)


def _difference_penalty(k: int, order: int = 2) -> np.ndarray:
    """P-spline penalty ``D'D`` with ``D`` the ``order``-th difference matrix, (k, k)."""
    if k <= order:
        return np.eye(k)
    D = np.diff(np.eye(k), n=order, axis=0)
    return D.T @ D


def additive_f_tests(y: np.ndarray, Z: np.ndarray, *, n_splines: int = 10, degree: int = 3,
                     penalty: float = 0.0) -> np.ndarray:
    """p-values of the per-covariate partial F tests in the additive spline regression of ``y`` on ``Z``.

    Parameters
    ----------
    y : (n,) response.
    Z : (n, p) candidate covariates.
    n_splines, degree : basis size and spline degree (R CAM rule applied for large ``p``).
    penalty : ridge strength ``lambda`` of the second-difference penalty relative to the mean diagonal of
        the Gram matrix; 0 gives the exact nested-model F test.

    Returns
    -------
    (p,) p-values; 1.0 for a constant covariate.
    """
    y = np.asarray(y, dtype=np.float64)
    Z = np.asarray(Z, dtype=np.float64).reshape(len(y), -1)
    n, p = Z.shape
    if p == 0:
        return np.empty(0)
    k = _n_basis(n, p, n_splines, degree)
    blocks = [spline_design(Z[:, i], k, degree) for i in range(p)]
    sizes = np.array([b.shape[1] for b in blocks])
    Xd = np.hstack(blocks)  # (n, q) centred, so the intercept is y.mean() and is profiled out
    q = Xd.shape[1]
    yc = y - y.mean()
    dof = n - q - 1
    if dof <= 0:
        raise ConfigError(f"too few rows ({n}) for {p} candidate parents with {k} splines each; reduce candidates "
                          "(pns=True) or n_splines")
    G = Xd.T @ Xd  # (q, q)
    jitter = 1e-10 * np.trace(G) / max(q, 1)
    A = G + jitter * np.eye(q)
    if penalty > 0:
        S = linalg.block_diag(*[_difference_penalty(s) for s in sizes])
        A = A + penalty * np.trace(G) / q * S
    cf = linalg.cho_factor(A, lower=True, check_finite=False)
    beta = linalg.cho_solve(cf, Xd.T @ yc, check_finite=False)
    resid = yc - Xd @ beta
    if penalty > 0:
        Ainv = linalg.cho_solve(cf, np.eye(q), check_finite=False)
        V = Ainv @ G @ Ainv  # sandwich covariance / sigma^2
        edf = float(np.sum(Ainv * G))  # trace of the hat matrix
        dof = max(n - edf - 1, 1.0)
    else:
        V = linalg.cho_solve(cf, np.eye(q), check_finite=False)  # (X'X)^-1, the coefficient covariance / sigma^2
    sigma2 = float(resid @ resid) / dof
    pvals = np.ones(p)
    start = 0
    for i, s in enumerate(sizes):
        sl = slice(start, start + s)
        start += s
        if s == 0:
            continue
        b = beta[sl]
        Vbb = V[sl, sl]
        stat = float(b @ np.linalg.lstsq(Vbb, b, rcond=None)[0]) / (s * sigma2)
        pvals[i] = float(stats.f.sf(stat, s, dof))
    return pvals


def _statsmodels_f_tests(y: np.ndarray, Z: np.ndarray, *, n_splines: int = 10, degree: int = 3,
                         penalty: float = 0.0) -> np.ndarray:
    """Same test with ``statsmodels.gam.GLMGam`` + ``BSplines`` (Wald test per smooth term)."""
    from statsmodels.gam.api import BSplines, GLMGam

    n, p = Z.shape
    k = _n_basis(n, p, n_splines, degree)
    bs = BSplines(Z, df=[k] * p, degree=[degree] * p)
    model = GLMGam(y, exog=np.ones((n, 1)), smoother=bs, alpha=[penalty] * p)
    res = model.fit()
    pvals = np.ones(p)
    names = res.model.exog_names
    for i in range(p):
        idx = [c for c, nm in enumerate(names) if nm.startswith(f"x{i}_s") or nm.startswith(f"{bs.variable_names[i]}_s")]
        if not idx:
            continue
        R = np.zeros((len(idx), len(names)))
        R[np.arange(len(idx)), idx] = 1.0
        pvals[i] = float(res.wald_test(R, scalar=True).pvalue)
    return pvals


def _prune_node(X, j, cand, cutoff, n_splines, degree, penalty, backend, keep):
    """Return the kept parents of node ``j`` among ``cand`` (1-D index array)."""
    if cand.size == 0:
        return cand
    test = additive_f_tests if backend == "bspline" else _statsmodels_f_tests
    p = test(X[:, j], X[:, cand], n_splines=n_splines, degree=degree, penalty=penalty)
    return cand[(p < cutoff) | keep[cand]]


def preliminary_neighbours(X: np.ndarray, candidates: np.ndarray, *, n_estimators: int = 100,
                           threshold: float = 1.0, max_neighbours: int | None = None,
                           rng: np.random.Generator | None = None) -> np.ndarray:
    """Preliminary neighbour selection (PNS, Bühlmann et al. 2014): shrink ``candidates`` before CAM.

    For each node ``j`` an extra-trees regression on all other columns gives feature importances; ``i`` stays a
    candidate parent of ``j`` when its importance is at least ``threshold`` times the mean (and among the
    ``max_neighbours`` largest). Returns an int8 mask with ``M[i, j] = 1`` (``i -> j`` kept), and ``candidates``.
    """
    from sklearn.ensemble import ExtraTreesRegressor

    rng = np.random.default_rng(rng)
    n, d = X.shape
    M = np.zeros((d, d), dtype=np.int8)
    for j in range(d):
        others = np.array([i for i in range(d) if i != j])
        model = ExtraTreesRegressor(n_estimators=n_estimators, random_state=int(rng.integers(2**31 - 1)),
                                    max_features=max(1, int(math.sqrt(d - 1))))
        model.fit(X[:, others], X[:, j])
        imp = model.feature_importances_
        keep = imp >= threshold * imp.mean()
        if max_neighbours is not None and keep.sum() > max_neighbours:
            top = np.argsort(-imp)[:max_neighbours]
            keep = np.zeros_like(keep)
            keep[top] = True
        M[others[keep], j] = 1
    return (M & (np.asarray(candidates) != 0)).astype(np.int8)


def cam_pruning(X, order, candidates=None, *, cutoff: float = 1e-3, n_splines: int = 10, degree: int = 3,
                penalty: float = 0.0, backend: str = "bspline", required=None, pns: bool = False,
                pns_kwargs: dict | None = None, n_jobs: int | None = 1, rng=None) -> np.ndarray:
    """CAM pruning of the candidate edges consistent with ``order``.

    Parameters
    ----------
    X : (n, d) data.
    order : causal order (sources first) -- passed explicitly, never re-derived from ``candidates``.
    candidates : int/bool (d, d), ``C[i, j] = 1`` when ``i -> j`` may be an edge; default the full DAG of
        ``order``. Entries against the order are ignored.
    cutoff : keep ``i -> j`` when the partial F-test p-value is below it (default 0.001, SCORE paper).
    n_splines, degree, penalty, backend : see :func:`additive_f_tests`; ``backend`` in {"bspline", "statsmodels"}.
    required : bool (d, d) edges always kept (and used as covariates).
    pns : apply :func:`preliminary_neighbours` first (keeps ``required``).
    n_jobs : joblib workers over nodes.
    rng : seed or ``numpy.random.Generator`` (PNS only).

    Returns
    -------
    int8 (d, d) adjacency, ``A[i, j] = 1`` means ``i -> j``; acyclic (a subgraph of the order's full DAG).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=500); b = np.sin(2 * a) + 0.3 * rng.normal(size=500); c = rng.normal(size=500)
    >>> cam_pruning(np.c_[a, b, c], [0, 1, 2]).tolist()
    [[0, 1, 0], [0, 0, 0], [0, 0, 0]]
    """
    from joblib import Parallel, delayed

    if backend not in ("bspline", "statsmodels"):
        raise ConfigError(f"unknown CAM backend {backend!r}; use 'bspline' or 'statsmodels'")
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    allowed = full_dag(order).astype(bool)
    C = allowed if candidates is None else (np.asarray(candidates) != 0) & allowed
    req = np.zeros((d, d), dtype=bool) if required is None else np.asarray(required, dtype=bool)
    if pns:
        C = preliminary_neighbours(X, C, rng=rng, **(pns_kwargs or {})).astype(bool)
    C = C | (req & allowed)
    jobs = [(j, np.flatnonzero(C[:, j])) for j in range(d)]
    run = delayed(_prune_node)
    # the per-node matrices are small (q <= a few hundred): one BLAS thread each is fastest, and avoids
    # OpenBLAS spin-waiting on a busy machine
    with threadpool_limits(1):
        kept = Parallel(n_jobs=n_jobs)(
            run(X, j, cand, cutoff, n_splines, degree, penalty, backend, req[:, j]) for j, cand in jobs
        )
    A = np.zeros((d, d), dtype=np.int8)
    for (j, _), parents in zip(jobs, kept):
        A[parents, j] = 1
    return A
