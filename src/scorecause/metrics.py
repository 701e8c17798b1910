"""Metrics for learned graphs, edge probabilities, causal orders and learned representations.

Adjacency convention: ``A[i, j] = 1`` means ``i -> j`` (row causes column), int8; a CPDAG marks an undirected
edge ``i - j`` with both cells 1. Argument order is always ``(true, pred)``.

=====================  ==========================================================================
structure              :func:`shd` (reversal costs 1, or 2; mixed graphs too), :func:`sid` (gadjid),
                       :func:`shd_closure`, :func:`precision_recall_f1`, :func:`bidirected_f1`,
                       :func:`error_rates` (FNR, FPR)
edge probabilities     :func:`auroc`, :func:`auprc` (average precision), :func:`ece`, :func:`brier`
causal order           :func:`order_divergence` (D_top of Rolland et al. 2022)
representations        :func:`mcc` (mean correlation coefficient after Hungarian matching)
all at once            :func:`evaluate`, :data:`METRICS`
no ground truth        :func:`self_compatibility` (from :mod:`scorecause.trust`; Faller et al. 2024)
=====================  ==========================================================================

Degenerate cases follow AVICI (Lorch et al. 2022, ``avici/metrics.py``): with no true edges and no predicted
edges every classification score is 1; when exactly one side is empty it is 0 (AUROC 0.5).
"""

from __future__ import annotations

import math

import numpy as np

from scorecause.errors import ConfigError, DataError, GraphError
from scorecause.graph import as_adjacency, as_edge_probs, is_dag, transitive_closure


def _pair(true, pred) -> tuple[np.ndarray, np.ndarray]:
    T = as_adjacency(true, name="true graph")
    P = as_adjacency(pred, name="predicted graph")
    if T.shape != P.shape:
        raise GraphError(f"true graph has {T.shape[0]} nodes but predicted graph has {P.shape[0]}; "
                         "compare graphs over the same variables")
    return T, P


# ---------------------------------------------------------------------------------------------------------
# structural distances
# ---------------------------------------------------------------------------------------------------------


def _pair_states(A: np.ndarray) -> np.ndarray:
    """Endpoint state of each unordered pair i < j: 0 none, 1 i->j, 2 j->i, 3 undirected (both cells)."""
    iu = np.triu_indices(A.shape[0], 1)
    return A[iu].astype(np.int64) + 2 * A.T[iu].astype(np.int64)


def _bidirected_pair(true_bidirected, pred_bidirected, d: int) -> tuple[np.ndarray, np.ndarray]:
    """The upper-triangle bits (i < j) of two bidirected matrices (None = no bidirected edge)."""
    from scorecause.graph import as_bidirected

    iu = np.triu_indices(d, 1)
    out = []
    for B, which in ((true_bidirected, "true"), (pred_bidirected, "predicted")):
        out.append(np.zeros(len(iu[0]), dtype=np.int64) if B is None else
                   as_bidirected(B, d=d, name=f"{which} bidirected matrix")[iu].astype(np.int64))
    return out[0], out[1]


def shd(true, pred, reversal_cost: float = 1, *, true_bidirected=None, pred_bidirected=None) -> int | float:
    """Structural Hamming distance between two DAGs, CPDAGs or mixed graphs (``A[i, j] = 1`` means ``i -> j``).

    For every unordered node pair the endpoint state is one of *none*, ``i -> j``, ``j -> i`` or
    undirected ``i - j`` (both cells 1). A pair whose states differ costs 1 (a missing, extra, or
    wrongly-(un)directed edge), except a pure reversal (``i -> j`` vs ``j -> i``), which costs
    ``reversal_cost``. The default 1 matches gadjid, causal-learn, pgmpy and AVICI; ``reversal_cost=2`` matches
    cdt's ``double_for_anticausal=True`` (for DAGs it equals ``sum |A_true - A_pred|``).
    Comparing CPDAGs (see :func:`scorecause.graph.dag_to_cpdag`) scores a PC/GES output fairly.

    **Mixed graphs** (bidirected edges in separate symmetric matrices ``true_bidirected`` / ``pred_bidirected``,
    see :func:`scorecause.graph.as_bidirected`): a pair's state is its directed state above together with
    whether ``i <-> j`` is present, i.e. one of *none*, ``i -> j``, ``j -> i``, undirected, ``i <-> j`` (or a bow,
    ``i -> j`` plus ``i <-> j``); any mismatch costs 1, a pure reversal (neither side bidirected) costs
    ``reversal_cost``. Without bidirected matrices the result is the usual SHD.

    >>> shd([[0, 1], [0, 0]], [[0, 0], [1, 0]]), shd([[0, 1], [0, 0]], [[0, 0], [1, 0]], reversal_cost=2)
    (1, 2)
    >>> shd([[0, 1], [0, 0]], [[0, 0], [0, 0]], pred_bidirected=[[0, 1], [1, 0]])   # i -> j vs i <-> j
    1
    """
    T, P = _pair(true, pred)
    bt, bp = _bidirected_pair(true_bidirected, pred_bidirected, T.shape[0])
    st, sp = _pair_states(T) + 4 * bt, _pair_states(P) + 4 * bp
    diff = st != sp
    reversal = diff & (st + sp == 3) & (st * sp == 2)  # {1, 2}: i->j vs j->i
    return int(np.sum(diff & ~reversal)) + reversal_cost * int(np.sum(reversal))


def _require_dag(A: np.ndarray, which: str) -> None:
    both = A.astype(bool) & A.T.astype(bool)
    if both.any():
        i, j = np.argwhere(both)[0]
        raise GraphError(f"SID needs DAGs, but the {which} has an undirected/two-way edge between nodes {i} "
                         f"and {j}; orient it (e.g. with a DAG from the CPDAG) or compare with shd instead")
    if not is_dag(A):
        import networkx as nx

        cycle = [int(u) for u, _ in nx.find_cycle(nx.DiGraph(A))]
        raise GraphError(f"SID needs DAGs, but the {which} has a directed cycle through nodes {cycle}; "
                         "remove a cycle edge or use shd")


def sid(true, pred, normalize: bool = False) -> int | float:
    """Structural intervention distance SID(true, pred) (Peters & Bühlmann 2015), computed by gadjid.

    The number of ordered pairs ``(i, j)`` for which the parent adjustment set of ``i`` in ``pred`` is not a
    valid adjustment set for the effect of ``i`` on ``j`` in ``true``. Asymmetric: ``sid(chain, empty) = 3``
    but ``sid(empty, chain) = 0`` for the chain 0 -> 1 -> 2. Both graphs must be DAGs (``A[i, j] = 1``
    means ``i -> j``); a cyclic or partly undirected graph raises :class:`GraphError` naming which one.
    With ``normalize=True`` the count is divided by ``d (d - 1)``.

    References: Peters & Bühlmann (2015), Neural Computation 27(3); Henckel, Würtzen & Weichwald (2024),
    arXiv:2402.08616 (gadjid).

    >>> sid([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [[0, 0, 0], [0, 0, 0], [0, 0, 0]])
    3
    """
    T, P = _pair(true, pred)
    _require_dag(T, "true graph")
    _require_dag(P, "predicted graph")
    d = T.shape[0]
    if d < 2:
        return 0.0 if normalize else 0
    import gadjid

    _, count = gadjid.sid(np.ascontiguousarray(T, dtype=np.int8), np.ascontiguousarray(P, dtype=np.int8),
                          edge_direction="from row to column")
    return count / (d * (d - 1)) if normalize else int(count)


def shd_closure(true, pred, reversal_cost: float = 1) -> int | float:
    """SHD between the transitive closures of ``true`` and ``pred`` (``A[i, j] = 1`` means ``i -> j``).

    Compares which ancestor relations the graphs imply, so an edge that is implied by a path costs nothing.

    >>> shd_closure([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [[0, 1, 1], [0, 0, 1], [0, 0, 0]])
    0
    """
    T, P = _pair(true, pred)
    return shd(transitive_closure(T), transitive_closure(P), reversal_cost=reversal_cost)


def precision_recall_f1(true, pred) -> dict[str, float]:
    """Precision, recall and F1 of the predicted directed edges (``A[i, j] = 1`` means ``i -> j``).

    Counts cells: a predicted ``i -> j`` is a true positive iff ``true[i, j] = 1``. An undirected CPDAG
    edge ``i - j`` (both cells) counts as the two directed edges ``i -> j`` and ``j -> i``, so against a true
    ``i -> j`` it yields one true and one false positive. No true and no predicted edges gives 1, 1, 1;
    exactly one of them empty gives 0, 0, 0 (AVICI's convention).

    >>> precision_recall_f1([[0, 1, 1], [0, 0, 0], [0, 0, 0]], [[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    {'precision': 0.5, 'recall': 0.5, 'f1': 0.5}
    """
    T, P = _pair(true, pred)
    return _precision_recall_f1(T, P)


def _precision_recall_f1(t, p) -> dict[str, float]:
    """Precision, recall, F1 of the predicted cells ``p`` against the true cells ``t`` (same shape, 0/1); none on
    either side gives 1, 1, 1; exactly one side empty gives 0, 0, 0."""
    t, p = np.asarray(t, dtype=bool), np.asarray(p, dtype=bool)
    n_true, n_pred = int(t.sum()), int(p.sum())
    if n_true == 0 and n_pred == 0:
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    if n_true == 0 or n_pred == 0:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    tp = int((t & p).sum())
    prec, rec = tp / n_pred, tp / n_true
    f1 = 0.0 if tp == 0 else 2 * prec * rec / (prec + rec)
    return {"precision": prec, "recall": rec, "f1": f1}


def bidirected_f1(true_bidirected, pred_bidirected) -> dict[str, float]:
    """Precision, recall and F1 of the predicted bidirected edges ``i <-> j`` (unordered pairs).

    Both arguments are symmetric 0/1 (d, d) matrices (:func:`scorecause.graph.as_bidirected`); a predicted
    ``i <-> j`` is a true positive iff the truth has ``i <-> j``. Degenerate cases as
    :func:`precision_recall_f1`: none on either side gives 1, 1, 1; one side empty gives 0, 0, 0.

    >>> T = [[0, 1, 0], [1, 0, 0], [0, 0, 0]]; P = [[0, 1, 1], [1, 0, 0], [1, 0, 0]]
    >>> bidirected_f1(T, P)
    {'precision': 0.5, 'recall': 1.0, 'f1': 0.6666666666666666}
    """
    from scorecause.graph import as_bidirected

    Bt = as_bidirected(true_bidirected, name="true bidirected matrix")
    return _precision_recall_f1(*_bidirected_pair(Bt, pred_bidirected, Bt.shape[0]))


def error_rates(true, pred) -> dict[str, float]:
    """False negative and false positive rates of the predicted directed edges (``A[i, j] = 1``: ``i -> j``).

    ``FNR = missed true edges / true edges`` and ``FPR = false edges / true non-edges``, counted on the
    off-diagonal cells as :func:`precision_recall_f1` does (the rates of Montagna et al., NeurIPS 2023):
    a true ``i -> j`` is found iff ``pred[i, j] = 1``; a predicted cell ``(i, j)`` is false iff
    ``true[i, j] = 0``; the non-edges are the ``d (d - 1) - |E|`` off-diagonal cells without a true edge.
    **Orientation rule**: a reversed edge is one miss and one false edge; an undirected CPDAG edge ``i - j``
    (both cells) finds a true ``i -> j`` and adds one false edge ``j -> i``. A rate with an empty denominator
    (no true edges / a complete graph) is 0.

    >>> error_rates([[0, 1, 1], [0, 0, 0], [0, 0, 0]], [[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    {'fnr': 0.5, 'fpr': 0.25}
    """
    T, P = _pair(true, pred)
    off = ~np.eye(T.shape[0], dtype=bool)
    t, p = T.astype(bool) & off, P.astype(bool) & off
    n_true, n_non = int(t.sum()), int((off & ~t).sum())
    return {"fnr": float((t & ~p).sum()) / n_true if n_true else 0.0,
            "fpr": float((p & ~t).sum()) / n_non if n_non else 0.0}


# ---------------------------------------------------------------------------------------------------------
# edge probabilities
# ---------------------------------------------------------------------------------------------------------


def _flat(true, probs) -> tuple[np.ndarray, np.ndarray]:
    """Off-diagonal labels (bool) and probabilities, flattened row-major (validated by ``as_edge_probs``)."""
    T = as_adjacency(true, name="true graph")
    P = as_edge_probs(probs, d=T.shape[0])
    off = ~np.eye(T.shape[0], dtype=bool)
    return T[off].astype(bool), P[off]


def auroc(true, probs) -> float:
    """Area under the ROC curve of the edge probabilities (diagonal masked; scikit-learn).

    ``probs[i, j]`` is the probability of ``i -> j`` (``true[i, j] = 1`` means ``i -> j``); every off-diagonal
    cell is one binary example. Degenerate cases (AVICI): no true edges and all probabilities 0 -> 1.0;
    no true edges, or all probabilities 0 -> 0.5; every off-diagonal cell a true edge -> NaN (undefined).

    >>> auroc([[0, 1], [0, 0]], [[0, .9], [.2, 0]])
    1.0
    """
    y, p = _flat(true, probs)
    if not y.any() or not p.any():
        return 1.0 if not y.any() and not p.any() else 0.5
    if y.all():
        return math.nan
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def auprc(true, probs) -> float:
    """Area under the precision-recall curve as average precision (AP; diagonal masked; scikit-learn).

    AP = sum_k (R_k - R_{k-1}) P_k is the step-wise (non-interpolated) area, the honest version of AUPRC;
    trapezoidal AUPRC is optimistic. ``probs[i, j]`` is the probability of ``i -> j`` (``true[i, j] = 1``
    means ``i -> j``). Degenerate cases (AVICI): no true edges and all probabilities 0 -> 1.0; no true
    edges, or all probabilities 0 -> 0.0.

    >>> auprc([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [[0, .9, .1], [.8, 0, .7], [.1, .2, 0]])
    0.8333333333333333
    """
    y, p = _flat(true, probs)
    if not y.any() or not p.any():
        return 1.0 if not y.any() and not p.any() else 0.0
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y, p))


def ece(true, probs, n_bins: int = 10) -> float:
    """Expected calibration error of the edge probabilities (Guo et al. 2017, arXiv:1706.04599).

    The off-diagonal probabilities are put into ``n_bins`` equal-width bins ``[0, 1/B), ..., [(B-1)/B, 1]``;
    ECE = sum_b (n_b / N) |mean(true in b) - mean(probs in b)|, empty bins skipped (as AVICI).
    ``true[i, j] = 1`` means ``i -> j``; ``probs[i, j]`` is the probability of that edge.

    >>> round(ece([[0, 1], [0, 0]], [[0, .8], [.2, 0]]), 12)      # bins: {0.2 -> 0}, {0.8 -> 1}
    0.2
    """
    if not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ConfigError(f"n_bins must be a positive integer, got {n_bins!r}")
    y, p = _flat(true, probs)
    # bin index: floor(p * B), with p = 1 in the last bin
    b = np.minimum((p * n_bins).astype(int), n_bins - 1)
    counts = np.bincount(b, minlength=n_bins)  # (B,)
    sum_p = np.bincount(b, weights=p, minlength=n_bins)
    sum_y = np.bincount(b, weights=y.astype(float), minlength=n_bins)
    nz = counts > 0
    gap = np.abs(sum_y[nz] - sum_p[nz]) / counts[nz]
    return float(np.sum(gap * counts[nz]) / p.size)


def brier(true, probs) -> float:
    """Brier score: mean squared difference between edge probabilities and the true edges (diagonal masked).

    ``true[i, j] = 1`` means ``i -> j``; ``probs[i, j]`` is the probability of that edge.

    >>> brier([[0, 1], [0, 0]], [[0, .5], [0, 0]])
    0.125
    """
    y, p = _flat(true, probs)
    return float(np.mean((p - y) ** 2))


# ---------------------------------------------------------------------------------------------------------
# causal order
# ---------------------------------------------------------------------------------------------------------


def order_divergence(true, order, normalize: bool = False) -> int | float:
    """Topological order divergence D_top (Rolland et al. 2022, arXiv:2203.04413, eq. 10).

    The number of true edges ``i -> j`` (``true[i, j] = 1``) for which ``order`` (a permutation of the node
    indices, sources first) places ``j`` before ``i``: edges that no DAG consistent with the order can
    contain, a lower bound on the SHD of any graph pruned from that order. With ``normalize=True`` the count
    is divided by the number of true edges (0.0 for an empty graph).

    >>> order_divergence([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [2, 0, 1])
    1
    """
    T = as_adjacency(true, name="true graph")
    d = T.shape[0]
    o = np.asarray(order)
    if o.ndim != 1 or o.size != d or o.dtype.kind not in "iu" or sorted(o.tolist()) != list(range(d)):
        raise DataError(f"order must be a permutation of the {d} node indices 0..{d - 1} (sources first), "
                        f"got {np.asarray(order).tolist()}")
    pos = np.empty(d, dtype=int)
    pos[o] = np.arange(d)  # pos[v] = place of node v in the order
    i, j = np.nonzero(T)
    count = int(np.sum(pos[j] < pos[i]))
    if normalize:
        return count / i.size if i.size else 0.0
    return count


# ---------------------------------------------------------------------------------------------------------
# representations
# ---------------------------------------------------------------------------------------------------------


def mcc(Z_true, Z_hat, method: str = "pearson") -> float:
    """Mean correlation coefficient between true and learned latents, after the best matching.

    ``Z_true`` (n, k) and ``Z_hat`` (n, m): the absolute correlation matrix C[a, b] = |corr(Z_true[:, a],
    Z_hat[:, b])| (Pearson, or Spearman = Pearson on ranks) is matched one-to-one by the Hungarian algorithm
    (scipy ``linear_sum_assignment``, maximising total correlation); MCC is the mean over the min(k, m)
    matched pairs. 1 means every latent is recovered up to permutation and (for Pearson) affine
    rescaling, (for Spearman) any monotone transform. A constant column has correlation 0 with everything.
    Used throughout CRL (e.g. Khemakhem et al. 2020, iVAE; Varici et al., LSCALE-I/GSCALE-I).

    >>> Z = np.random.default_rng(0).normal(size=(100, 3))
    >>> round(mcc(Z, -2 * Z[:, [2, 0, 1]] + 1), 6)
    1.0
    """
    if method not in ("pearson", "spearman"):
        raise ConfigError(f"mcc method must be 'pearson' or 'spearman', got {method!r}")
    A, B = _latents(Z_true, "Z_true"), _latents(Z_hat, "Z_hat")
    if A.shape[0] != B.shape[0]:
        raise DataError(f"Z_true has {A.shape[0]} rows but Z_hat has {B.shape[0]}; pass the same samples")
    if method == "spearman":
        from scipy.stats import rankdata

        A, B = rankdata(A, axis=0), rankdata(B, axis=0)
    C = np.abs(_cross_corr(A, B))  # (k, m)
    from scipy.optimize import linear_sum_assignment

    r, c = linear_sum_assignment(C, maximize=True)
    return float(C[r, c].mean())


def _latents(Z, name: str) -> np.ndarray:
    Z = np.asarray(Z, dtype=float)
    if Z.ndim == 1:
        Z = Z[:, None]
    if Z.ndim != 2 or Z.shape[0] < 2 or Z.shape[1] < 1:
        raise DataError(f"{name} must be an (n, k) array with n >= 2, got shape {Z.shape}")
    if not np.all(np.isfinite(Z)):
        raise DataError(f"{name} contains NaN or infinite values")
    return Z


def _cross_corr(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Pearson correlations between the columns of A (n, k) and B (n, m); constant columns give 0."""
    A = A - A.mean(axis=0)
    B = B - B.mean(axis=0)
    na, nb = np.linalg.norm(A, axis=0), np.linalg.norm(B, axis=0)  # (k,), (m,)
    denom = np.outer(na, nb)
    with np.errstate(invalid="ignore", divide="ignore"):
        C = (A.T @ B) / denom
    return np.where(denom > 0, C, 0.0)


# ---------------------------------------------------------------------------------------------------------
# everything at once
# ---------------------------------------------------------------------------------------------------------

#: metric names understood by :func:`evaluate` (and ``CausalEstimator.score``)
METRICS = ("shd", "shd2", "sid", "precision", "recall", "f1", "auroc", "auprc", "ece", "brier",
           "order_divergence", "shd_closure", "n_edges", "fnr", "fpr", "bidirected_precision", "bidirected_recall",
           "bidirected_f1")
_NEEDS_BIDIRECTED = ("bidirected_precision", "bidirected_recall", "bidirected_f1")
_NEEDS_PROBS = ("auroc", "auprc", "ece", "brier")


def n_edges(A) -> int:
    """Number of adjacent node pairs of ``A`` (an undirected CPDAG edge counts once).

    >>> n_edges([[0, 1, 1], [1, 0, 0], [0, 0, 0]])
    2
    """
    return int(np.count_nonzero(_pair_states(as_adjacency(A))))


def evaluate(true, pred, metrics=None, edge_probs=None, order=None, *, true_bidirected=None,
             pred_bidirected=None) -> dict[str, float]:
    """Compare a predicted graph with the truth by several metrics; returns ``{name: value}``.

    Parameters
    ----------
    true, pred : (d, d) adjacency, ``A[i, j] = 1`` means ``i -> j`` (DAG or CPDAG; cycles allowed except
        for ``sid``).
    metrics : names from :data:`METRICS`, or None for every metric the inputs allow.
        ``shd2`` is the SHD with reversal cost 2; ``n_edges`` counts the predicted adjacencies.
    edge_probs : (d, d) float, probability of ``i -> j``; needed by auroc, auprc, ece, brier.
    order : permutation of the node indices (sources first); needed by order_divergence.
    true_bidirected, pred_bidirected : symmetric (d, d) bidirected matrices of mixed graphs (``i <-> j``);
        ``shd`` / ``shd2`` then use the mixed-graph rule of :func:`shd`, ``bidirected_*`` are computed
        (:func:`bidirected_f1`; a missing side counts as no bidirected edge), ``sid`` is NaN; precision /
        recall / f1 stay on the directed cells.

    With ``metrics=None`` the metrics whose input is missing are left out, and ``sid`` is NaN when either
    graph is not a DAG (cyclic or with undirected edges). Naming a metric explicitly whose input is missing
    raises :class:`ConfigError`; an explicit ``sid`` on a non-DAG raises :class:`GraphError`.

    >>> evaluate([[0, 1], [0, 0]], [[0, 0], [1, 0]], metrics=["shd", "shd2", "f1"])
    {'shd': 1.0, 'shd2': 2.0, 'f1': 0.0}
    """
    T, P = _pair(true, pred)
    explicit = metrics is not None
    mixed = true_bidirected is not None or pred_bidirected is not None
    if metrics is None:
        names = [m for m in METRICS if not (edge_probs is None and m in _NEEDS_PROBS)
                 and not (order is None and m == "order_divergence") and not (not mixed and m in _NEEDS_BIDIRECTED)]
    else:
        names = [metrics] if isinstance(metrics, str) else list(metrics)
        unknown = [m for m in names if m not in METRICS]
        if unknown:
            raise ConfigError(f"unknown metric(s) {unknown}; choose from {list(METRICS)}")
        for m in names:
            if m in _NEEDS_PROBS and edge_probs is None:
                raise ConfigError(f"metric {m!r} needs edge probabilities; pass edge_probs (e.g. an "
                                  "estimator's edge_probs_) or drop it")
            if m in _NEEDS_BIDIRECTED and not mixed:
                raise ConfigError(f"metric {m!r} needs bidirected edges; pass true_bidirected / pred_bidirected "
                                  "(mixed graphs) or drop it")
            if m == "order_divergence" and order is None:
                raise ConfigError("metric 'order_divergence' needs a causal order; pass order (e.g. an "
                                  "estimator's order_) or drop it")
    out: dict[str, float] = {}
    prf = None
    for m in names:
        if m == "shd":
            v = shd(T, P, true_bidirected=true_bidirected, pred_bidirected=pred_bidirected)
        elif m == "shd2":
            v = shd(T, P, reversal_cost=2, true_bidirected=true_bidirected, pred_bidirected=pred_bidirected)
        elif m in _NEEDS_BIDIRECTED:
            Bt = np.zeros_like(T) if true_bidirected is None else true_bidirected
            Bp = np.zeros_like(P) if pred_bidirected is None else pred_bidirected
            v = bidirected_f1(Bt, Bp)[m.removeprefix("bidirected_")]
        elif m == "sid":
            if not explicit and (mixed or not (_is_plain_dag(T) and _is_plain_dag(P))):
                v = math.nan
            else:
                v = sid(T, P)
        elif m in ("precision", "recall", "f1"):
            prf = prf or precision_recall_f1(T, P)
            v = prf[m]
        elif m == "auroc":
            v = auroc(T, edge_probs)
        elif m == "auprc":
            v = auprc(T, edge_probs)
        elif m == "ece":
            v = ece(T, edge_probs)
        elif m == "brier":
            v = brier(T, edge_probs)
        elif m == "order_divergence":
            v = order_divergence(T, order)
        elif m == "shd_closure":
            v = shd_closure(T, P)
        elif m in ("fnr", "fpr"):
            v = error_rates(T, P)[m]
        else:  # n_edges
            v = n_edges(P)
        out[m] = float(v)
    return out


def _is_plain_dag(A: np.ndarray) -> bool:
    return not (A.astype(bool) & A.T.astype(bool)).any() and is_dag(A)


# ---------------------------------------------------------------------------------------------------------
# without ground truth: self-compatibility (Faller et al., AISTATS 2024) is implemented in scorecause.trust
# (generic over estimators, nothing from discovery/) and re-exported here
# ---------------------------------------------------------------------------------------------------------

from scorecause.trust import self_compatibility  # noqa: E402, F401
