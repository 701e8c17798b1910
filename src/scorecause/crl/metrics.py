"""CRL metrics: MCC, SHD (DAG, transitive closure and reduction), mixing-pattern errors l_scale and l_pa.

Definitions follow the score-based CRL reference code (docs/crl.md, reference note section 5):

* **MCC**: centre, |Pearson| (or Spearman) correlation between true and estimated latents, Hungarian
  matching, mean of matched entries (:func:`scorecause.metrics.mcc`).
* **SHD**: additions + deletions + reversals (a reversal counts once); ``shd_tc`` / ``shd_tr`` compare
  transitive closures / reductions (soft interventions identify the graph only up to those).
* **Effective mixing** ``E = H_hat G`` (n x n) with rows scaled to unit norm and a positive diagonal;
  ``E[i, j]`` is the weight of true latent ``j`` in estimated latent ``i`` (rows aligned to the truth).
* ``l_scale = ||E * (1 - I)||_2`` -- distance from a pure scaling (element-wise identification);
* ``l_pa = ||E * not(I or Pa^T)||_2`` -- distance from mixing with parents (``Pa^T[i, j] = A[j, i]``);
  with the closure instead of ``A``: ``l_an`` (mixing with ancestors). ``||.||_2`` is the spectral norm.
"""

from __future__ import annotations

import numpy as np

from scorecause.errors import DataError


def mcc(Z_true, Z_hat, method: str = "pearson") -> float:
    """Mean correlation coefficient after Hungarian matching (delegates to :func:`scorecause.metrics.mcc`)."""
    try:
        from scorecause.metrics import mcc as _mcc
    except ImportError:  # pragma: no cover - fallback while the metrics module is absent
        _mcc = None
    if _mcc is not None:
        return float(_mcc(Z_true, Z_hat, method=method))
    from scipy.optimize import linear_sum_assignment
    from scipy.stats import rankdata

    A, B = np.asarray(Z_true, float), np.asarray(Z_hat, float)
    if method == "spearman":
        A, B = np.apply_along_axis(rankdata, 0, A), np.apply_along_axis(rankdata, 0, B)
    A = (A - A.mean(0)) / A.std(0)
    B = (B - B.mean(0)) / B.std(0)
    C = np.abs(A.T @ B) / len(A)
    r, c = linear_sum_assignment(-C)
    return float(C[r, c].mean())


def shd(true, pred) -> int:
    """Structural Hamming distance between DAGs (``A[i, j] = 1`` means ``i -> j``); a reversal counts once."""
    T, P = np.asarray(true) != 0, np.asarray(pred) != 0
    if T.shape != P.shape:
        raise DataError(f"graphs have shapes {T.shape} and {P.shape}; compare graphs over the same latents")
    diff = T != P
    reversed_ = T & P.T & ~P & ~T.T
    return int(diff.sum() - reversed_.sum())


def shd_closure(true, pred) -> int:
    """SHD between the transitive closures."""
    from scorecause.graph import transitive_closure

    return shd(transitive_closure(true), transitive_closure(pred))


def shd_reduction(true, pred) -> int:
    """SHD between the transitive reductions."""
    from scorecause.graph import transitive_reduction

    return shd(transitive_reduction(true), transitive_reduction(pred))


def effective_mixing(encoder, G) -> np.ndarray:
    """``E = encoder @ G`` (n x n), rows scaled to unit norm with a positive diagonal."""
    E = np.asarray(encoder, float) @ np.asarray(G, float)
    E = E / np.linalg.norm(E, axis=1, keepdims=True)
    s = np.sign(np.diag(E))
    return E * np.where(s == 0, 1, s)[:, None]


def l_scale(E) -> float:
    """``||E * (1 - I)||_2``: distance of the effective mixing from a scaling (0 = element-wise recovery)."""
    E = np.asarray(E, float)
    return float(np.linalg.norm(E * (1 - np.eye(len(E))), 2))


def l_pa(E, graph, *, closure: bool = False) -> float:
    """``||E * not(I or Pa^T)||_2``: distance from mixing with parents (``closure=True``: ancestors)."""
    A = np.asarray(graph) != 0
    if closure:
        from scorecause.graph import transitive_closure

        A = transitive_closure(A).astype(bool)
    allowed = np.eye(len(A), dtype=bool) | A.T
    return float(np.linalg.norm(np.asarray(E, float) * ~allowed, 2))


def align_ancestral(encoder, G, graph) -> np.ndarray:
    """Match estimated latents to true nodes when they are identified only up to ancestors.

    Estimated latent ``k`` of node ``j`` mixes ``Z_j`` with ``Z_an(j)`` only, so the rows of ``E = encoder G``
    have (almost) no mass outside the closed ancestor set ``cl(j) = an(j) + {j}``. Cost of ``k -> j``: the
    squared row-normalised mass of ``E[k]`` outside ``cl(j)`` plus a 1e-3 tie-break per element of
    ``cl(j)`` (a descendant's ``cl`` also holds ``cl(j)``); Hungarian matching. Unlike MCC matching this
    stays correct when an ancestor carries most of a latent's variance. ``graph``: int8 (n, n),
    ``A[i, j] = 1`` means ``i -> j``. Returns ``perm`` with ``perm[k]`` the node of estimated latent ``k``.
    """
    from scipy.optimize import linear_sum_assignment

    from scorecause.graph import transitive_closure

    E = np.asarray(encoder, float) @ np.asarray(G, float)
    E2 = E**2 / np.sum(E**2, axis=1, keepdims=True)
    cl = (transitive_closure(np.asarray(graph) != 0).astype(bool) | np.eye(len(E), dtype=bool)).T  # cl[j, i]
    cost = E2 @ (~cl).T.astype(float) + 1e-3 * cl.sum(axis=1)[None, :]
    rows, cols = linear_sum_assignment(cost)
    perm = np.empty(len(E), dtype=int)
    perm[rows] = cols
    return perm


def evaluate_crl(estimator, problem, *, env: int = 0) -> dict[str, float]:
    """All CRL metrics of a fitted linear-mixing estimator on a simulated problem (latents aligned to nodes).

    The estimator must have been fitted with ``targets`` (so latent ``i`` is true node ``i``).
    ``problem`` is a :class:`scorecause.simulate.latent.LatentProblem`.
    """
    ds = problem.environments[env]
    Z = ds.meta["Z"]
    Zh = estimator.transform(ds.X)
    true = problem.graph
    out = {"mcc": mcc(Z, Zh), "shd": shd(true, estimator.adjacency_),
           "shd_tc": shd_closure(true, estimator.adjacency_),
           "shd_tr": shd_reduction(true, estimator.adjacency_)}
    if getattr(estimator, "encoder_", None) is not None and problem.mixing.kind == "linear":
        E = effective_mixing(estimator.encoder_, problem.mixing.G)
        out.update(l_scale=l_scale(E), l_pa=l_pa(E, true), l_an=l_pa(E, true, closure=True))
    return out
