"""Can this graph be trusted? Checks of a learned graph that need no true graph.

=============================  =============================================================================
self-compatibility             :func:`self_compatibility` (Faller et al., AISTATS 2024): refit the method on
                               random subsets of the variables and compare each subset graph with the
                               marginal of the full graph; :func:`marginal_graph` (latent projection)
sortability                    :func:`var_sortability`, :func:`r2_sortability` (Reisach et al. 2021, 2023)
noise assumptions              :func:`residual_normality` (Shapiro-Wilk of each variable's residuals given its
                               learned parents), :func:`assumption_warnings`
all at once (reports, CLI)     :func:`assess`
=============================  =============================================================================

Adjacency convention: ``A[i, j] = 1`` means ``i -> j``; both cells set is an undirected (CPDAG) edge.

Layering: this module sits next to :mod:`scorecause.metrics` and imports nothing from ``discovery/`` at module
level: :func:`self_compatibility` takes any estimator with ``fit`` / ``adjacency_`` (cloned per subset with
scikit-learn's ``clone``). Only :func:`residual_normality` with ``regression="additive"`` borrows the B-spline
design of :mod:`scorecause.discovery.cam`, imported inside the function.

References
----------
Faller, Vankadara, Mastakouri, Locatello, Janzing. "Self-compatibility: evaluating causal discovery without
ground truth." AISTATS 2024 (arXiv 2307.09552).
Reisach, Seiler, Weichwald. "Beware of the simulated DAG! Causal discovery benchmarks may be easy to game."
NeurIPS 2021.
Reisach, Tami, Seiler, Weichwald, Weichwald. "A scale-invariant sorting criterion to find a causal order in
additive noise models." NeurIPS 2023.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from scorecause.errors import ConfigError, DataError
from scorecause.graph import as_adjacency

__all__ = ["MarginalGraph", "SelfCompatibility", "marginal_graph", "draw_subsets", "pair_disagreement",
           "self_compatibility", "var_sortability", "r2_sortability", "r2_coefficients", "residual_normality",
           "assumption_warnings", "TrustAssessment", "assess", "SORTABILITY_WARN", "NORMALITY_ALPHA"]

#: sortability at or above this (or at or below 1 minus it) triggers the "trivial benchmark" warning
SORTABILITY_WARN = 0.9
#: family-wise level of the residual normality tests (Bonferroni over the variables)
NORMALITY_ALPHA = 0.05


# ---------------------------------------------------------------------------------------------------------
# marginal graph (latent projection)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarginalGraph:
    """Latent projection of a graph onto kept variables ``nodes`` (indices into the full graph).

    ``directed`` : int8 (k, k), ``directed[a, b] = 1`` means ``nodes[a] -> nodes[b]`` in the marginal (both cells
    set: an undirected edge of a CPDAG input between two kept nodes). ``bidirected`` : int8 (k, k), symmetric,
    ``nodes[a] <-> nodes[b]``: a common ancestor among the removed variables.
    """

    nodes: tuple[int, ...]
    directed: np.ndarray
    bidirected: np.ndarray


def _reflexive_closure(M: np.ndarray) -> np.ndarray:
    """``R[u, v]`` true when ``v`` is reachable from ``u`` in ``M`` by a path of length >= 0 (bool, square)."""
    R = M.astype(bool) | np.eye(M.shape[0], dtype=bool)
    while True:  # repeated squaring: at most log2(m) rounds
        R2 = R | ((R.astype(np.int64) @ R.astype(np.int64)) > 0)
        if np.array_equal(R2, R):
            return R
        R = R2


def marginal_graph(A, keep) -> MarginalGraph:
    """Latent projection of the DAG ``A`` onto the variables ``keep`` (the others are marginalised out).

    With ``S`` the kept and ``R`` the removed variables (Verma & Pearl's latent projection, as used by Faller et
    al. 2024 for the graphical notion of compatibility):

    * ``i -> j`` (``i, j`` in ``S``) when ``A`` has a directed path ``i -> r_1 -> ... -> r_m -> j`` with every
      intermediate ``r`` in ``R`` (``m >= 0``; ``m = 0`` is an edge of ``A``);
    * ``i <-> j`` when some ``u`` in ``R`` has directed paths to ``i`` and to ``j`` whose intermediates all lie
      in ``R`` (a common ancestor through removed variables only: a hidden confounder of ``i`` and ``j``).

    In matrices: ``C = (A_RR)^*`` (reflexive-transitive closure), ``T = C A_RS`` (``T[u, s]``: ``u`` reaches
    ``s`` through ``R``), ``D = A_SS + A_SR T``, ``B = T' T`` off the diagonal.

    An undirected edge of a CPDAG input (both cells set) is kept between two kept variables but not followed
    through removed ones (only the directed part is projected).

    Parameters
    ----------
    A : int (d, d), ``A[i, j] = 1`` means ``i -> j``.
    keep : sequence of int, the kept variables (their order is the marginal's node order).

    Returns
    -------
    MarginalGraph with ``directed`` (k, k) and ``bidirected`` (k, k).

    Examples
    --------
    Chain 0 -> 1 -> 2 without 1, and a confounder 0 <- 1 -> 2 without 1:

    >>> chain = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    >>> marginal_graph(chain, [0, 2]).directed.tolist()
    [[0, 1], [0, 0]]
    >>> fork = np.array([[0, 0, 0], [1, 0, 1], [0, 0, 0]])
    >>> m = marginal_graph(fork, [0, 2]); m.directed.tolist(), m.bidirected.tolist()
    ([[0, 0], [0, 0]], [[0, 1], [1, 0]])
    """
    A = as_adjacency(A).astype(bool)
    d = A.shape[0]
    S = [int(v) for v in keep]
    if len(set(S)) != len(S) or any(v < 0 or v >= d for v in S):
        raise ConfigError(f"kept variables {S} must be distinct indices in 0..{d - 1}")
    R = [v for v in range(d) if v not in set(S)]
    undirected = A & A.T
    Dir = A & ~A.T  # directed part only is propagated
    D = A[np.ix_(S, S)].copy()  # (k, k), undirected edges between kept nodes stay undirected
    k = len(S)
    B = np.zeros((k, k), dtype=bool)
    if R:
        C = _reflexive_closure(Dir[np.ix_(R, R)])  # (r, r)
        T = (C.astype(np.int64) @ Dir[np.ix_(R, S)].astype(np.int64)) > 0  # (r, k)
        D |= (Dir[np.ix_(S, R)].astype(np.int64) @ T.astype(np.int64)) > 0
        B = (T.T.astype(np.int64) @ T.astype(np.int64)) > 0
        np.fill_diagonal(B, False)
    D |= undirected[np.ix_(S, S)]
    np.fill_diagonal(D, False)
    return MarginalGraph(tuple(S), D.astype(np.int8), B.astype(np.int8))


def pair_disagreement(marginal: MarginalGraph, G_sub) -> np.ndarray:
    """Which pairs of a subset graph contradict the full graph's marginal: bool (k, k), symmetric.

    Per unordered pair ``{a, b}`` of the subset, the marginal implies one of: no edge; ``a -> b`` (or
    ``b -> a``); undirected ``a - b`` (CPDAG input); ``a <-> b`` only (a hidden common cause). The subset graph
    ``G_sub`` (learned on the subset's columns, same node order, ``G_sub[a, b] = 1`` means ``a -> b``) says no
    edge, ``a -> b``, ``b -> a`` or ``a - b``. The pair *disagrees* when

    * the marginal has no edge and ``G_sub`` has one, or the reverse;
    * the marginal has ``a -> b`` and ``G_sub`` has ``b -> a`` (a reversal);

    an undirected edge on either side asserts no orientation and matches any edge of the pair, and a bidirected
    ``a <-> b`` (without a directed edge) is compared as "adjacent" only, since a DAG learned on the subset can
    only express the hidden confounder as some edge.

    >>> m = marginal_graph(np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]]), [0, 2])
    >>> pair_disagreement(m, np.array([[0, 0], [1, 0]])).tolist()  # reversed 0 -> 2
    [[False, True], [True, False]]
    """
    D = marginal.directed.astype(bool)
    Bi = marginal.bidirected.astype(bool)
    G = as_adjacency(G_sub, d=D.shape[0], name="subset graph").astype(bool)
    adj_m = D | D.T | Bi
    adj_g = G | G.T
    oriented_m = D & ~D.T  # a -> b asserted by the marginal
    oriented_g = G & ~G.T
    reversed_ = oriented_m & oriented_g.T  # marginal a -> b, subset b -> a
    out = (adj_m != adj_g) | reversed_ | reversed_.T
    np.fill_diagonal(out, False)
    return out


# ---------------------------------------------------------------------------------------------------------
# self-compatibility
# ---------------------------------------------------------------------------------------------------------


def _subset_size(subset_size, d: int) -> int:
    """Variables per subset: ``ceil(subset_size * d)`` for a fraction in (0, 1), else the number itself."""
    if d < 3:
        raise DataError(f"self-compatibility needs at least 3 variables (subsets of 2 or more that leave one out); "
                        f"the data have {d}")
    if isinstance(subset_size, (float, np.floating)) and 0 < subset_size < 1:
        k = int(math.ceil(float(subset_size) * d))
    elif isinstance(subset_size, (int, np.integer)) or (isinstance(subset_size, (float, np.floating))
                                                          and float(subset_size).is_integer()):
        k = int(subset_size)
    else:
        raise ConfigError(f"subset_size={subset_size!r}: give a fraction in (0, 1) or a number of variables "
                          f"in 2..{d - 1}")
    if not 2 <= k <= d - 1:
        raise ConfigError(f"subset_size={subset_size} gives {k} variables per subset; it must be 2..{d - 1} "
                          f"(d = {d}); e.g. subset_size=0.5")
    return k


def draw_subsets(d: int, subset_size=0.5, n_subsets: int = 20, min_pair_coverage: int = 2,
                 random_state=0) -> list[tuple[int, ...]]:
    """The subset scheme: ``n_subsets`` seeded random subsets of ``k`` variables, topped up until every pair of
    variables lies together in at least ``min_pair_coverage`` subsets.

    ``k = ceil(subset_size * d)`` for a fraction ``subset_size`` in (0, 1) (the paper's default is half the
    variables), else ``subset_size`` itself; ``2 <= k <= d - 1``. Each subset is a uniform draw without
    replacement (``numpy.random.Generator.choice``). The top-up subsets start from the least covered pair (first
    in index order) and fill the other ``k - 2`` places at random, so the scheme is deterministic per seed and
    the edge-level score of every edge rests on at least ``min_pair_coverage`` subsets. A pair lies in a given
    subset with probability ``k (k - 1) / (d (d - 1))`` (about 1/4 for ``k = d / 2``).

    Returns a list of sorted index tuples.

    >>> subs = draw_subsets(6, 0.5, n_subsets=4, min_pair_coverage=1)
    >>> all(len(s) == 3 for s in subs) and len(subs) >= 5  # 4 draws cannot cover all 15 pairs with 3 each
    True
    """
    k = _subset_size(subset_size, d)
    if int(n_subsets) < 1 or int(min_pair_coverage) < 0:
        raise ConfigError(f"n_subsets={n_subsets} must be >= 1 and min_pair_coverage={min_pair_coverage} >= 0")
    rng = np.random.default_rng(random_state)
    cover = np.zeros((d, d), dtype=np.int64)
    subsets = []

    def add(sub):
        sub = tuple(sorted(int(v) for v in sub))
        subsets.append(sub)
        idx = np.array(sub)
        cover[np.ix_(idx, idx)] += 1

    for _ in range(int(n_subsets)):
        add(rng.choice(d, size=k, replace=False))
    iu = np.triu_indices(d, 1)
    while True:
        c = cover[iu]
        low = int(np.argmin(c))
        if c[low] >= min_pair_coverage:
            return subsets
        a, b = int(iu[0][low]), int(iu[1][low])
        others = np.setdiff1d(np.arange(d), [a, b])
        add([a, b, *rng.choice(others, size=k - 2, replace=False)])


@dataclass
class SelfCompatibility:
    """Result of :func:`self_compatibility` (indices refer to the columns of ``X``).

    Attributes
    ----------
    incompatibility : float in [0, 1], the graph-level score
        ``kappa = (1 / |S|) sum_S  #{disagreeing pairs of S} / (k (k - 1) / 2)``: the mean, over the subsets
        ``S``, of the fraction of variable pairs on which the graph learned on ``S`` contradicts the marginal of
        the full graph (an SHD with reversals costing 1, normalised by the number of pairs). 0: every subset
        graph is the full graph's marginal.
    edge_scores : dict ``(i, j) -> float`` in [0, 1] for every edge ``i -> j`` of the full graph (an undirected
        edge once, as ``i < j``): the fraction of the subsets containing both ``i`` and ``j`` whose graph
        contradicts the marginal on that pair (misses the edge, or reverses it).
    edge_scores_paths : dict ``(i, j) -> float`` for every directed edge: the path-level variant. The edge is also
        tested in subsets that leave one or both endpoints out, through the marginal edges it implies (a path
        ``a ~> i -> j ~> b`` through left-out variables gives ``a -> b``); its score is the fraction of those
        implications that the subset graphs contradict (:func:`_path_blame`).
    pair_scores : float (d, d), symmetric, the same fraction for every pair (NaN: never together in a subset).
    pair_counts : int (d, d), in how many subsets each pair lies.
    subset_incompatibility : float (m,), each subset's normalised disagreement.
    subsets : list of index tuples; subset_graphs : list of int8 (k, k), the graphs learned on them
        (``G[a, b] = 1`` means ``subsets[s][a] -> subsets[s][b]``).
    graph : int8 (d, d), the full graph (``A[i, j] = 1`` means ``i -> j``).
    names : variable names; subset_size, n_subsets, min_pair_coverage, random_state : the scheme used.
    """

    incompatibility: float
    edge_scores: dict
    pair_scores: np.ndarray
    pair_counts: np.ndarray
    subset_incompatibility: np.ndarray
    subsets: list
    subset_graphs: list
    graph: np.ndarray
    names: list
    subset_size: int = 0
    n_subsets: int = 0
    min_pair_coverage: int = 0
    random_state: object = 0
    fit_seconds: float = 0.0
    edge_scores_paths: dict = field(default_factory=dict)

    def edge_table(self) -> list[tuple[str, float, int]]:
        """``(edge text, score, subsets with both endpoints)`` per edge of the full graph, worst first."""
        G = self.graph.astype(bool)
        rows = []
        for (i, j), s in self.edge_scores.items():
            arrow = "—" if G[i, j] and G[j, i] else "→"
            rows.append((f"{self.names[i]} {arrow} {self.names[j]}", s, int(self.pair_counts[i, j])))
        return sorted(rows, key=lambda r: (-(r[1] if not math.isnan(r[1]) else -1), r[0]))

    def contradicted_non_edges(self, min_score: float = 0.5) -> list[tuple[str, float, int]]:
        """``(pair text, score, subsets with both)`` for pairs *without* an edge in the full graph whose score is
        at least ``min_score`` (the subsets keep finding an edge the full graph's marginal lacks, or miss a
        marginal edge that runs through left-out variables), worst first."""
        G = self.graph.astype(bool)
        rows = []
        for i, j in zip(*np.triu_indices(len(self.names), 1)):
            s = self.pair_scores[i, j]
            if not (G[i, j] or G[j, i]) and not math.isnan(s) and s >= min_score:
                rows.append((f"{self.names[i]} · {self.names[j]}", float(s), int(self.pair_counts[i, j])))
        return sorted(rows, key=lambda r: (-r[1], r[0]))


def _path_blame(G: np.ndarray, keep, bad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Blame of each directed edge ``u -> v`` of ``G`` (d, d) for the disagreements ``bad`` (k, k) of one subset.

    Edge ``u -> v`` *implies* the marginal edge ``a -> b`` (``a, b`` kept) when ``a ~> u -> v ~> b`` with every
    intermediate left out (``a = u`` when ``u`` is kept, ``b = v`` when ``v`` is kept). With ``In[a, u]`` (k, d):
    ``a`` reaches ``u`` through left-out variables, and ``Out[v, b]`` (d, k) likewise, the edge is blamed
    ``(In' bad Out')[u, v]`` times out of ``(In' (1 - I) Out')[u, v]`` implications.
    Returns ``(blame, implications)``, both (d, d), zero off the directed edges of ``G``.
    """
    Gb = G.astype(bool)
    Dir = Gb & ~Gb.T
    d = G.shape[0]
    S = list(keep)
    R = [v for v in range(d) if v not in set(S)]
    k = len(S)
    In = np.zeros((k, d))
    Out = np.zeros((d, k))
    In[np.arange(k), S] = 1.0
    Out[S, np.arange(k)] = 1.0
    if R:
        C = _reflexive_closure(Dir[np.ix_(R, R)]).astype(float)  # (r, r)
        In[:, R] = (Dir[np.ix_(S, R)].astype(float) @ C) > 0  # a -> r_1 ... -> u, u left out
        Out[R, :] = (C @ Dir[np.ix_(R, S)].astype(float)) > 0  # v -> ... -> b, v left out
    blame = In.T @ bad.astype(float) @ Out.T  # (d, d)
    implications = In.T @ (1.0 - np.eye(k)) @ Out.T
    return blame * Dir, implications * Dir


def _fresh(estimator_or_factory):
    """A new unfitted estimator: ``clone`` of an estimator (sklearn ``get_params``), or the factory's result."""
    if hasattr(estimator_or_factory, "fit") and hasattr(estimator_or_factory, "get_params"):
        from sklearn.base import clone

        est = clone(estimator_or_factory)
    elif callable(estimator_or_factory):
        est = estimator_or_factory()
    else:
        raise ConfigError(f"{estimator_or_factory!r} is neither an estimator (fit + get_params) nor a factory "
                          "that returns one")
    params = est.get_params() if hasattr(est, "get_params") else {}
    quiet = {k: v for k, v in (("progress", False), ("n_jobs", 1)) if k in params}
    if quiet:
        est.set_params(**quiet)
    return est


def _fit_subset(estimator_or_factory, X: np.ndarray, names, subset) -> np.ndarray:
    import pandas as pd

    est = _fresh(estimator_or_factory)
    cols = list(subset)
    est.fit(pd.DataFrame(X[:, cols], columns=[names[c] for c in cols]))
    return as_adjacency(est.adjacency_, d=len(cols), name="subset graph")


def self_compatibility(estimator_or_factory, X, *, graph=None, subset_size=0.5, n_subsets: int = 20,
                       min_pair_coverage: int = 2, random_state=0, n_jobs: int = 1,
                       progress: bool = False) -> SelfCompatibility:
    """Self-compatibility of a causal discovery method on ``X`` (Faller et al., AISTATS 2024).

    The method learns a graph ``G`` on all variables and graphs ``G_S`` on random subsets ``S`` of the
    variables. If the method were right, each ``G_S`` would be the marginal (latent projection,
    :func:`marginal_graph`) of ``G`` onto ``S``; every disagreement falsifies a part of ``G`` without any true
    graph. Subsets: :func:`draw_subsets` (``n_subsets`` seeded draws of ``k`` variables, topped up until every
    pair lies together in ``min_pair_coverage`` subsets). Pairs are compared with :func:`pair_disagreement`
    (missing / extra / reversed edge; a bidirected edge of the marginal matches any edge).

    Graph level: ``kappa = mean_S  #{disagreeing pairs in S} / C(k, 2)`` in [0, 1] (the paper's graphical
    incompatibility with its SHD normalised by the number of pairs). Edge level: for an edge ``i -> j`` of ``G``,
    the fraction of the subsets containing ``i`` and ``j`` whose graph disagrees with the marginal on that pair.
    Passing the check is necessary, not sufficient: a method that is consistently wrong in the same way on every
    subset scores 0. The subset fits get the columns only: no prior knowledge and no intervention mask.

    Parameters
    ----------
    estimator_or_factory : an estimator (``fit(X)`` sets ``adjacency_``; cloned per subset with scikit-learn's
        ``clone``, ``progress`` off and ``n_jobs=1`` where those parameters exist) or a function returning one.
    X : ndarray (n, d), DataFrame or Dataset.
    graph : int (d, d) or None, the full graph when already learned (``A[i, j] = 1`` means ``i -> j``); None
        fits the method on all of ``X`` first.
    subset_size : fraction in (0, 1) of the variables (rounded up) or a number of variables; default 0.5.
    n_subsets, min_pair_coverage, random_state : the subset scheme (deterministic per ``random_state``).
    n_jobs : joblib workers for the subset fits (-1: all cores).
    progress : show a tqdm bar over the subset fits.

    Returns
    -------
    SelfCompatibility

    Examples
    --------
    An estimator that always returns the chain 0 -> 1 -> ... is self-compatible only where the marginal of a
    chain is again a chain, which it is:

    >>> class Chain:
    ...     def get_params(self, deep=True): return {}
    ...     def set_params(self, **p): return self
    ...     def fit(self, X):
    ...         d = np.shape(X)[1]; self.adjacency_ = np.eye(d, k=1, dtype=np.int8); return self
    >>> res = self_compatibility(Chain(), np.random.default_rng(0).normal(size=(5, 6)), n_subsets=5)
    >>> res.incompatibility, sorted(set(res.edge_scores.values()))
    (0.0, [0.0])
    """
    import time

    from joblib import Parallel, delayed

    from scorecause.data import as_dataset

    ds = as_dataset(X)
    Xa, names, d = np.asarray(ds.X, dtype=float), [str(v) for v in ds.names], ds.d
    t0 = time.perf_counter()
    if graph is None:
        graph = _fit_subset(estimator_or_factory, Xa, names, range(d))
    G = as_adjacency(graph, d=d, name="full graph")
    subsets = draw_subsets(d, subset_size, n_subsets, min_pair_coverage, random_state)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(subsets), desc="self-compatibility subsets", leave=False)
    graphs = []
    jobs = (delayed(_fit_subset)(estimator_or_factory, Xa, names, s) for s in subsets)
    for Gs in Parallel(n_jobs=n_jobs, return_as="generator")(jobs):
        graphs.append(Gs)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    disagree = np.zeros((d, d))
    counts = np.zeros((d, d), dtype=np.int64)
    blame, implied = np.zeros((d, d)), np.zeros((d, d))
    per_subset = np.zeros(len(subsets))
    for s, (sub, Gs) in enumerate(zip(subsets, graphs)):
        idx = np.array(sub)
        bad = pair_disagreement(marginal_graph(G, sub), Gs)  # (k, k)
        b, m = _path_blame(G, sub, bad)
        blame += b
        implied += m
        disagree[np.ix_(idx, idx)] += bad
        counts[np.ix_(idx, idx)] += 1
        k = len(sub)
        per_subset[s] = bad.sum() / 2 / (k * (k - 1) / 2)
    np.fill_diagonal(counts, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        pair_scores = np.where(counts > 0, disagree / np.maximum(counts, 1), np.nan)
    np.fill_diagonal(pair_scores, np.nan)
    Gb = G.astype(bool)
    edges, paths = {}, {}
    for i, j in zip(*np.nonzero(Gb)):
        i, j = int(i), int(j)
        if Gb[j, i] and j < i:
            continue  # undirected edge once
        edges[(i, j)] = float(pair_scores[i, j])
        if not Gb[j, i]:
            paths[(i, j)] = float(blame[i, j] / implied[i, j]) if implied[i, j] > 0 else float("nan")
    return SelfCompatibility(
        incompatibility=float(per_subset.mean()), edge_scores=edges, edge_scores_paths=paths,
        pair_scores=pair_scores, pair_counts=counts,
        subset_incompatibility=per_subset, subsets=subsets, subset_graphs=graphs, graph=G, names=names,
        subset_size=len(subsets[0]), n_subsets=len(subsets), min_pair_coverage=int(min_pair_coverage),
        random_state=random_state, fit_seconds=time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------------------
# sortability (Reisach et al.)
# ---------------------------------------------------------------------------------------------------------


def _sortability(A, values: np.ndarray) -> float:
    """Fraction of causal paths along which ``values`` increase (ties count 1/2), NaN without a directed path.

    Following Reisach et al. (2021, 2023): for each path length ``l = 1 .. d - 1`` every ordered pair ``(i, j)``
    joined by a directed path of length ``l`` counts once; the score is
    ``sum_l sum_{(i,j) in P_l} [1(v_i < v_j) + 1/2 1(v_i = v_j)] / sum_l |P_l|``.
    Undirected (CPDAG) edges carry no direction and are left out.
    """
    A = as_adjacency(A)
    E = (A.astype(bool) & ~A.T.astype(bool)).astype(np.int64)
    d = E.shape[0]
    v = np.asarray(values, dtype=float)
    scale = np.maximum(np.abs(v[:, None]), np.abs(v[None, :]))
    tie = np.abs(v[:, None] - v[None, :]) <= 1e-9 * np.maximum(scale, 1e-300)
    up = (v[:, None] < v[None, :]) & ~tie  # up[i, j]: value increases from i to j
    Ek = E.copy()
    paths = good = 0.0
    for _ in range(d - 1):
        P = Ek > 0
        if not P.any():
            break
        paths += P.sum()
        good += (P & up).sum() + 0.5 * (P & tie).sum()
        Ek = np.minimum(Ek @ E, 1)
    return float(good / paths) if paths else float("nan")


def var_sortability(X, A) -> float:
    """Var-sortability of data ``X`` (n, d) with respect to the graph ``A`` (Reisach et al., NeurIPS 2021).

    The fraction of directed paths ``i ~> j`` of ``A`` along which the marginal variance increases
    (``Var X_i < Var X_j``; ties 1/2), counted once per path length (see :func:`_sortability`). Near 1: sorting
    the variables by variance already gives the causal order ("VarSort"); 0.5: variance says nothing. Depends
    on the units: standardising the columns makes it 0.5. NaN when ``A`` has no directed edge.

    >>> rng = np.random.default_rng(0); x = rng.normal(size=500); y = 2 * x + rng.normal(size=500)
    >>> var_sortability(np.c_[x, y], [[0, 1], [0, 0]])
    1.0
    """
    Xa = np.asarray(X, dtype=float)
    return _sortability(A, Xa.var(axis=0))


def r2_coefficients(X) -> np.ndarray:
    """``R^2_j`` of the linear regression of each column on all others: ``1 - 1 / (C^{-1})_jj`` with ``C`` the
    correlation matrix (scale-invariant). Shape (d,)."""
    Xa = np.asarray(X, dtype=float)
    C = np.corrcoef(Xa, rowvar=False)
    C = np.atleast_2d(C)
    P = np.linalg.pinv(C, hermitian=True)
    return np.clip(1.0 - 1.0 / np.diag(P), 0.0, 1.0)


def r2_sortability(X, A) -> float:
    """R²-sortability (Reisach et al., NeurIPS 2023): :func:`var_sortability` with the variance replaced by
    ``R^2_j``, the share of ``X_j``'s variance explained linearly by all other variables
    (:func:`r2_coefficients`). Scale-invariant; near 1, "R²-SortnRegress" recovers the order.

    Collider x -> z <- y with z = x + y + noise/2: R² is 0.8 for x and y (given the others) and 0.89 for z:

    >>> rng = np.random.default_rng(0); x, y, e = rng.normal(size=(3, 2000))
    >>> X = np.c_[x, y, x + y + 0.5 * e]
    >>> r2_coefficients(X).round(2).tolist(), r2_sortability(X, [[0, 0, 1], [0, 0, 1], [0, 0, 0]])
    ([0.8, 0.8, 0.89], 1.0)
    """
    return _sortability(A, r2_coefficients(X))


# ---------------------------------------------------------------------------------------------------------
# residual normality
# ---------------------------------------------------------------------------------------------------------


def residual_normality(X, A, *, regression: str = "additive", max_rows: int = 1000, random_state=0,
                       n_splines: int = 10) -> dict:
    """Shapiro-Wilk test of the residuals of each variable regressed on its parents in ``A``.

    For each ``j`` the residual is ``x_j - f_j(x_pa(j))`` with ``f_j`` a least-squares fit: ``"linear"`` (an
    intercept and the parents) or ``"additive"`` (a sum of cubic B-splines per parent, the CAM model of the
    score-matching methods; :func:`scorecause.discovery.cam.spline_design`); a root's residual is
    ``x_j - mean``. The Shapiro-Wilk test (exact for up to 5000 rows) runs on a seeded subsample of at most
    ``max_rows`` rows; a variable is called non-Gaussian when its p-value is below ``NORMALITY_ALPHA / d``
    (Bonferroni over the ``d`` variables).

    Parameters
    ----------
    X : float (n, d); A : int (d, d), ``A[i, j] = 1`` means ``i -> j`` (undirected edges: both ends are
        treated as parents of each other, a crude but harmless choice for a noise check).
    regression : ``"additive"`` or ``"linear"``.

    Returns
    -------
    dict with ``p_values`` (d,), ``statistic`` (d,), ``non_gaussian`` bool (d,), ``alpha`` (the per-test level),
    ``regression``, ``rows`` (rows tested).

    >>> rng = np.random.default_rng(0); x = rng.normal(size=800); y = x + rng.uniform(-1, 1, size=800)
    >>> residual_normality(np.c_[x, y], [[0, 1], [0, 0]], regression="linear")["non_gaussian"].tolist()
    [False, True]
    """
    from scipy import stats

    if regression not in ("additive", "linear"):
        raise ConfigError(f"regression={regression!r}: use 'additive' or 'linear'")
    Xa = np.asarray(X, dtype=float)
    n, d = Xa.shape
    A = as_adjacency(A, d=d).astype(bool)
    rng = np.random.default_rng(random_state)
    rows = np.sort(rng.choice(n, size=min(n, max_rows), replace=False))
    pvals, statistic = np.ones(d), np.full(d, np.nan)
    for j in range(d):
        pa = np.flatnonzero(A[:, j])
        y = Xa[:, j]
        if len(pa) == 0:
            Z = np.ones((n, 1))
        elif regression == "linear":
            Z = np.c_[np.ones(n), Xa[:, pa]]
        else:
            from scorecause.discovery.cam import _n_basis, spline_design

            kb = _n_basis(n, len(pa), n_splines, 3)
            Z = np.hstack([np.ones((n, 1))] + [spline_design(Xa[:, p], kb) for p in pa])
        beta = np.linalg.lstsq(Z, y, rcond=None)[0]
        r = (y - Z @ beta)[rows]
        if np.ptp(r) <= 1e-12 * max(1.0, float(np.abs(y).max())) or len(r) < 3:
            continue  # a (near-)deterministic variable: nothing to test
        res = stats.shapiro(r)
        statistic[j], pvals[j] = float(res.statistic), float(res.pvalue)
    alpha = NORMALITY_ALPHA / max(d, 1)
    return {"p_values": pvals, "statistic": statistic, "non_gaussian": pvals < alpha, "alpha": alpha,
            "regression": regression, "rows": int(len(rows))}


def assumption_warnings(tags: dict, method: str, normality: dict | None, var_sort: float,
                        r2_sort: float) -> list[str]:
    """Plain-words warnings from the method's assumption ``tags`` (see :data:`scorecause.base.ASSUMPTIONS`), the
    residual normality check and the sortabilities of the data along the learned graph.

    >>> assumption_warnings({"gaussian_noise": True}, "SCORE",
    ...     {"non_gaussian": np.array([True, True, False])}, 0.5, 0.5)[0][:60]
    '2 of 3 variables have clearly non-Gaussian residuals, but SC'
    """
    out = []
    name = method or "the method"
    if normality is not None:
        ng = np.asarray(normality["non_gaussian"], dtype=bool)
        d, k = len(ng), int(ng.sum())
        if tags.get("gaussian_noise") is True and k > 0 and k >= d / 4:
            out.append(f"{k} of {d} variables have clearly non-Gaussian residuals, but {name} assumes additive "
                       "Gaussian noise: its causal order (and so the edge directions) may be wrong on these data.")
        if tags.get("linear") and tags.get("gaussian_noise") is False and d - k >= d / 2:
            out.append(f"{d - k} of {d} variables have residuals that look Gaussian, but {name} needs non-Gaussian "
                       "noise to orient edges (LiNGAM); with Gaussian noise only the equivalence class (CPDAG) is "
                       "identifiable, so its edge directions are not supported by the data.")
        if tags.get("linear") and tags.get("gaussian_noise") is True:
            out.append(f"{name} assumes linear-Gaussian data: then only the Markov equivalence class (CPDAG) is "
                       "identifiable; directions that the class does not compel come from the search, not from "
                       "the data.")
    for label, s, how in (("var-sortability", var_sort, "sorts the variables by their variance"),
                          ("R²-sortability", r2_sort, "sorts the variables by R² (how well the others predict "
                                                      "them)")):
        if not math.isnan(s) and (s >= SORTABILITY_WARN or s <= 1 - SORTABILITY_WARN):
            direction = "this order" if s >= SORTABILITY_WARN else "this order reversed"
            out.append(f"{label} is {s:.2f}: a method that only {how} would already get {direction} along "
                       "the learned graph. On simulated data like these, benchmark results are close to trivial; "
                       "on real data, check that the variables' scales (units) are not what decides the order.")
    return out


# ---------------------------------------------------------------------------------------------------------
# everything a report needs
# ---------------------------------------------------------------------------------------------------------


@dataclass
class TrustAssessment:
    """Checks of one learned graph without a true graph (:func:`assess`); rendered by the discover report."""

    var_sortability: float
    r2_sortability: float
    normality: dict | None
    warnings: list
    tags: dict
    self_compat: SelfCompatibility | None = None
    skipped: str | None = None  # why self-compatibility did not run


def assess(estimator, data, *, self_compat: bool = False, subset_size=0.5, n_subsets: int = 20,
           min_pair_coverage: int = 2, random_state=0, n_jobs: int = 1, progress: bool = False,
           max_seconds: float | None = None, fit_seconds: float | None = None) -> TrustAssessment:
    """All no-ground-truth checks of a fitted ``estimator`` on ``data`` (ndarray, DataFrame or Dataset).

    Sortabilities along the learned graph, residual normality (linear regression for methods tagged
    ``linear``, additive splines otherwise) and, when ``self_compat``, :func:`self_compatibility` with the
    learned graph as the full graph. Cost guard: with ``max_seconds`` and ``fit_seconds`` (the full fit's
    wall time) the subset fits are estimated as ``n_subsets' * fit_seconds * k / d`` (``n_subsets'`` after
    the coverage top-up) and skipped, with the reason in ``skipped``, when that exceeds ``max_seconds``.
    """
    from scorecause.data import as_dataset

    ds = as_dataset(data)
    X = np.asarray(ds.X, dtype=float)
    A = as_adjacency(estimator.adjacency_, d=ds.d)
    tags = dict(getattr(estimator, "tags", {}) or {})
    method = type(estimator).__name__
    vs, rs = var_sortability(X, A), r2_sortability(X, A)
    normality = residual_normality(X, A, regression="linear" if tags.get("linear") else "additive",
                                   random_state=random_state)
    result = TrustAssessment(vs, rs, normality, assumption_warnings(tags, method, normality, vs, rs), tags)
    if not self_compat:
        return result
    if ds.d < 3:
        result.skipped = f"self-compatibility needs at least 3 variables; the data have {ds.d}"
        return result
    subsets = draw_subsets(ds.d, subset_size, n_subsets, min_pair_coverage, random_state)
    if max_seconds is not None and fit_seconds is not None:
        from joblib import effective_n_jobs

        est_s = len(subsets) * fit_seconds * len(subsets[0]) / ds.d / max(effective_n_jobs(n_jobs), 1)
        if est_s > max_seconds:
            result.skipped = (f"self-compatibility skipped: {len(subsets)} subset fits would take about "
                              f"{est_s:.0f} s (limit {max_seconds:.0f} s); use fewer subsets (--trust-subsets), "
                              "more workers (--n-jobs) or a higher --trust-max-seconds")
            return result
    result.self_compat = self_compatibility(estimator, ds, graph=A, subset_size=subset_size, n_subsets=n_subsets,
                                            min_pair_coverage=min_pair_coverage, random_state=random_state,
                                            n_jobs=n_jobs, progress=progress)
    return result
