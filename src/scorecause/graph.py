"""Graphs as adjacency matrices.

Convention (everywhere in scorecause): ``A[i, j] = 1`` means the edge ``i -> j`` (row causes column),
dtype ``int8``, shape ``(d, d)``, zero diagonal. A CPDAG marks an undirected edge ``i - j`` with
``A[i, j] = A[j, i] = 1``.

=====================  ==========================================================================
validation             :func:`as_adjacency`, :func:`as_edge_probs`, :func:`is_dag`, :func:`topological_order`
neighbourhoods         :func:`parents`, :func:`children`, :func:`ancestors`, :func:`descendants`
closure / reduction    :func:`transitive_closure`, :func:`transitive_reduction`
equivalence class      :func:`dag_to_cpdag` (v-structures + Meek rules)
from probabilities     :func:`most_probable_dag` (greedy, always acyclic)
other libraries        :func:`to_networkx` / :func:`from_networkx`, :func:`to_causallearn` /
                       :func:`from_causallearn` (endpoint codes), :func:`to_lingam` / :func:`from_lingam`
                       (column -> row), :func:`to_pcalg` / :func:`from_pcalg` (column -> row ``amat``)
files                  :func:`read_graph`, :func:`write_graph` (``.csv``, ``.json``, ``.graphml``, ``.dot``),
                       :func:`read_mixed_graph`, :func:`graph_file_format`
mixed graphs           :func:`as_bidirected` (the convention: a separate symmetric matrix ``B``, ``B[i, j] = 1``
                       means ``i <-> j``), :func:`latent_projection` (hidden variables -> ADMG)
=====================  ==========================================================================
"""

from __future__ import annotations

import numpy as np

from scorecause.errors import GraphError, require
from scorecause.fileio import atomic_path


def as_adjacency(A, *, d: int | None = None, allow_cycles: bool = True, name: str = "adjacency") -> np.ndarray:
    """Validate ``A`` and return it as an int8 0/1 matrix (``A[i, j] = 1`` means ``i -> j``).

    Any non-zero entry counts as an edge. Raises :class:`GraphError` for a non-square matrix, a wrong
    size, NaN, a self-loop, or (with ``allow_cycles=False``) a directed cycle.

    >>> as_adjacency([[0, 1], [0, 0]]).dtype
    dtype('int8')
    """
    M = np.asarray(A)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise GraphError(f"{name} must be a square d x d matrix, got shape {M.shape}")
    if d is not None and M.shape[0] != d:
        raise GraphError(f"{name} has {M.shape[0]} nodes but the data has {d} variables")
    if M.dtype.kind == "f" and not np.all(np.isfinite(M)):
        raise GraphError(f"{name} contains NaN or infinite entries")
    out = (M != 0).astype(np.int8)
    loops = np.flatnonzero(np.diag(out))
    if loops.size:
        raise GraphError(f"{name} has self-loops at node(s) {loops.tolist()}; set the diagonal to 0")
    if not allow_cycles and not is_dag(out):
        raise GraphError(f"{name} contains a directed cycle but a DAG is required")
    return out


def topological_order(A) -> list[int]:
    """A topological order (sources first) of the DAG ``A`` (Kahn's algorithm, smallest index first).

    Raises :class:`GraphError` if ``A`` has a directed cycle.

    >>> topological_order([[0, 0], [1, 0]])
    [1, 0]
    """
    M = np.asarray(A) != 0
    d = M.shape[0]
    indegree = M.sum(axis=0).astype(int)
    ready = sorted(np.flatnonzero(indegree == 0).tolist())
    order: list[int] = []
    import heapq

    heapq.heapify(ready)
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for j in np.flatnonzero(M[i]):
            indegree[j] -= 1
            if indegree[j] == 0:
                heapq.heappush(ready, int(j))
    if len(order) != d:
        raise GraphError("graph contains a directed cycle; no topological order exists")
    return order


def is_dag(A) -> bool:
    """True when the directed graph ``A`` (``A[i, j]`` = ``i -> j``) has no directed cycle.

    >>> is_dag([[0, 1], [1, 0]])
    False
    """
    try:
        topological_order(A)
    except GraphError:
        return False
    return True


# ---------------------------------------------------------------------------------------------------------
# neighbourhoods, closure, reduction
# ---------------------------------------------------------------------------------------------------------


def _bool(A, name: str = "adjacency") -> np.ndarray:
    """``A`` validated by :func:`as_adjacency`, as a bool matrix (``A[i, j]`` true means ``i -> j``)."""
    return as_adjacency(A, name=name).astype(bool)


def _node(A: np.ndarray, j, what: str = "node") -> int:
    d = A.shape[0]
    if isinstance(j, (bool, np.bool_)) or not isinstance(j, (int, np.integer)) or not 0 <= int(j) < d:
        raise GraphError(f"{what} must be an integer index in [0, {d - 1}], got {j!r}")
    return int(j)


def parents(A, j) -> list[int]:
    """Indices ``i`` with ``A[i, j] = 1`` (``A[i, j] = 1`` means ``i -> j``), increasing.

    In a CPDAG an undirected edge ``i - j`` (both cells 1) makes ``i`` appear among the parents *and* the
    children of ``j``.

    >>> parents([[0, 1, 1], [0, 0, 1], [0, 0, 0]], 2)
    [0, 1]
    """
    M = _bool(A)
    return np.flatnonzero(M[:, _node(M, j)]).tolist()


def children(A, i) -> list[int]:
    """Indices ``j`` with ``A[i, j] = 1`` (``A[i, j] = 1`` means ``i -> j``), increasing.

    >>> children([[0, 1, 1], [0, 0, 1], [0, 0, 0]], 0)
    [1, 2]
    """
    M = _bool(A)
    return np.flatnonzero(M[_node(M, i)]).tolist()


def _reach(M: np.ndarray, start: int) -> set[int]:
    """Nodes reachable from ``start`` by a directed path of length >= 1 in bool matrix ``M`` (row -> col)."""
    seen: set[int] = set()
    stack = [start]
    while stack:
        u = stack.pop()
        for v in np.flatnonzero(M[u]).tolist():
            if v not in seen:
                seen.add(v)
                stack.append(v)
    return seen


def ancestors(A, j) -> set[int]:
    """Nodes with a directed path to ``j`` (``A[i, j] = 1`` means ``i -> j``); ``j`` itself excluded
    unless it lies on a directed cycle.

    >>> sorted(ancestors([[0, 1, 0], [0, 0, 1], [0, 0, 0]], 2))
    [0, 1]
    """
    M = _bool(A)
    return _reach(M.T, _node(M, j))


def descendants(A, i) -> set[int]:
    """Nodes reachable from ``i`` by a directed path (``A[i, j] = 1`` means ``i -> j``); ``i`` excluded
    unless it lies on a directed cycle.

    >>> sorted(descendants([[0, 1, 0], [0, 0, 1], [0, 0, 0]], 0))
    [1, 2]
    """
    M = _bool(A)
    return _reach(M, _node(M, i))


def _closure_bool(M: np.ndarray) -> np.ndarray:
    """Reachability by paths of length >= 1 (Warshall's algorithm, one vectorised update per node)."""
    R = M.copy()
    for k in range(R.shape[0]):
        # every i that reaches k also reaches everything k reaches
        R |= R[:, k : k + 1] & R[k : k + 1, :]
    return R


def transitive_closure(A) -> np.ndarray:
    """Transitive closure: ``C[i, j] = 1`` iff a directed path ``i -> ... -> j`` exists (int8, ``A[i, j] = 1``
    means ``i -> j``).

    Computed with Warshall's algorithm, O(d^3) bit operations vectorised per node. The diagonal is kept
    at 0 (the adjacency convention), so on a cyclic graph a node's reachability of itself is dropped.
    An undirected CPDAG edge (both cells 1) is read as both directions.

    >>> transitive_closure([[0, 1, 0], [0, 0, 1], [0, 0, 0]]).tolist()
    [[0, 1, 1], [0, 0, 1], [0, 0, 0]]
    """
    R = _closure_bool(_bool(A))
    np.fill_diagonal(R, False)
    return R.astype(np.int8)


def transitive_reduction(A) -> np.ndarray:
    """Transitive reduction of a DAG (int8, ``A[i, j] = 1`` means ``i -> j``; Aho, Garey & Ullman 1972).

    The unique smallest subgraph with the same transitive closure: an edge ``i -> j`` is dropped when
    another path ``i -> k -> ... -> j`` exists, i.e. when ``A[i, k]`` and ``closure[k, j]`` for some ``k``.
    Raises :class:`GraphError` for a cyclic graph (its reduction is not unique).

    >>> transitive_reduction([[0, 1, 1], [0, 0, 1], [0, 0, 0]]).tolist()
    [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    """
    M = as_adjacency(A, allow_cycles=False).astype(bool)
    R = _closure_bool(M)
    # redundant[i, j]: some child k of i reaches j
    redundant = (M.astype(np.int64) @ R.astype(np.int64)) > 0  # (d, d)
    return (M & ~redundant).astype(np.int8)


# ---------------------------------------------------------------------------------------------------------
# CPDAG (essential graph) of a DAG
# ---------------------------------------------------------------------------------------------------------


def dag_to_cpdag(A) -> np.ndarray:
    """The CPDAG (essential graph) of the DAG ``A``: compelled edges directed, reversible edges undirected.

    ``A[i, j] = 1`` means ``i -> j``; in the result an undirected edge ``i - j`` has both cells 1 (int8).
    Two DAGs are Markov equivalent iff they have the same CPDAG (Verma & Pearl 1990), so comparing CPDAGs
    is the fair way to score PC/GES output.

    Algorithm (Meek 1995, "Causal inference and causal explanation with background knowledge"): keep the
    skeleton; direct every edge that takes part in a v-structure ``a -> c <- b`` (``a``, ``b`` not adjacent);
    then repeatedly apply Meek's rules, each orienting an undirected edge the way the DAG does:

    * R1: ``a -> b - c``, ``a``, ``c`` not adjacent  =>  ``b -> c``;
    * R2: ``a -> c -> b`` and ``a - b``  =>  ``a -> b``;
    * R3: ``a - c1 -> b``, ``a - c2 -> b``, ``a - b``, ``c1``, ``c2`` not adjacent  =>  ``a -> b``.

    R1-R3 are complete when starting from the pattern of a DAG (Meek 1995, Theorem 2); R4 is only needed
    with background knowledge. Raises :class:`GraphError` if ``A`` has a directed cycle.

    >>> dag_to_cpdag([[0, 1, 0], [0, 0, 1], [0, 0, 0]]).tolist()      # chain: all reversible
    [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    >>> dag_to_cpdag([[0, 0, 1], [0, 0, 1], [0, 0, 0]]).tolist()      # v-structure: compelled
    [[0, 0, 1], [0, 0, 1], [0, 0, 0]]
    """
    D = as_adjacency(A, allow_cycles=False).astype(bool)
    adj = D | D.T  # skeleton, symmetric
    directed = np.zeros_like(D)  # directed[i, j]: i -> j is known to be compelled
    # v-structures: i -> k <- j with i, j non-adjacent
    for k in range(D.shape[0]):
        pa = np.flatnonzero(D[:, k])
        for x in range(len(pa)):
            for y in range(x + 1, len(pa)):
                i, j = pa[x], pa[y]
                if not adj[i, j]:
                    directed[i, k] = directed[j, k] = True

    def undirected(i, j):
        return adj[i, j] and not directed[i, j] and not directed[j, i]

    changed = True
    while changed:
        changed = False
        for a, b in zip(*np.nonzero(D)):  # candidate a -> b, the DAG's direction
            if not undirected(a, b):
                continue
            into_a = np.flatnonzero(directed[:, a])
            # R1: c -> a - b with c, b non-adjacent
            r1 = any(not adj[c, b] for c in into_a)
            # R2: a -> c -> b
            r2 = bool(np.any(directed[a] & directed[:, b]))
            # R3: a - c1 -> b, a - c2 -> b, c1 and c2 non-adjacent
            cs = [c for c in np.flatnonzero(directed[:, b]) if undirected(a, c)]
            r3 = any(not adj[c1, c2] for x, c1 in enumerate(cs) for c2 in cs[x + 1 :])
            if r1 or r2 or r3:
                directed[a, b] = True
                changed = True
    out = adj & ~directed.T  # undirected edges keep both cells; compelled ones only their direction
    return out.astype(np.int8)


# ---------------------------------------------------------------------------------------------------------
# mixed graphs: bidirected edges, latent projection
# ---------------------------------------------------------------------------------------------------------


def as_bidirected(B, *, d: int | None = None, name: str = "bidirected") -> np.ndarray:
    """Validate a bidirected-edge matrix: int8 0/1 (d, d), symmetric, zero diagonal.

    Mixed-graph convention (one place for the whole package): a mixed graph is a pair ``(A, B)``.
    ``A`` is the usual adjacency (``A[i, j] = 1`` means ``i -> j``; both cells = undirected CPDAG edge ``i - j``);
    ``B[i, j] = B[j, i] = 1`` means ``i <-> j`` (a hidden common cause). ``A`` and ``B`` may both mark a pair
    (a "bow" ``i -> j`` plus ``i <-> j``, which a latent projection can produce). Graph files store the pair
    (:func:`write_graph` ``bidirected=``, :func:`read_mixed_graph`); :func:`scorecause.metrics.shd` compares
    mixed graphs pair by pair.

    >>> as_bidirected([[0, 1], [1, 0]]).tolist()
    [[0, 1], [1, 0]]
    """
    M = as_adjacency(B, d=d, name=name)
    asym = M != M.T
    if asym.any():
        i, j = np.argwhere(asym)[0]
        raise GraphError(f"{name} must be symmetric (i <-> j sets both cells); cell ({i}, {j}) is {M[i, j]} but "
                         f"({j}, {i}) is {M[j, i]}")
    return M


def latent_projection(A, hidden) -> tuple[np.ndarray, np.ndarray]:
    """The latent projection of the DAG ``A`` onto the variables not in ``hidden`` (Verma & Pearl 1990).

    For observed ``i != j`` (``A[i, j] = 1`` means ``i -> j``):

    * ``i -> j`` iff ``A`` has a directed path ``i -> h1 -> ... -> hk -> j`` whose intermediate nodes
      ``h1..hk`` (k >= 0) are all hidden;
    * ``i <-> j`` iff some hidden ``h`` has directed paths ``h -> ... -> i`` and ``h -> ... -> j`` whose
      intermediate nodes are all hidden (a hidden common ancestor reaching both through hidden nodes only).

    The result is an acyclic directed mixed graph (ADMG) with the same conditional independences among the
    observed variables as the DAG (Richardson et al. 2023); it may hold both ``i -> j`` and ``i <-> j``.

    Returns ``(D, B)``: int8 (m, m) directed and symmetric bidirected matrices over the observed variables in
    their original order (m = d - len(hidden)).

    >>> A = np.zeros((4, 4), int); A[0, 1] = A[0, 2] = A[3, 0] = 1    # 3 -> 0 -> {1, 2}, hide 0
    >>> D, B = latent_projection(A, [0])
    >>> D.tolist(), B.tolist()                                           # observed 1, 2, 3
    ([[0, 0, 0], [0, 0, 0], [1, 1, 0]], [[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    """
    M = as_adjacency(A, allow_cycles=False).astype(bool)
    d = M.shape[0]
    hid = np.zeros(d, dtype=bool)
    for h in hidden:
        hid[_node(M, h, "hidden variable")] = True
    obs = np.flatnonzero(~hid)
    # Rh[u, v]: a path u -> ... -> v of length >= 1 whose intermediate nodes are hidden
    Mh = M & hid[None, :]  # edges into hidden nodes
    reach_h = _closure_bool(Mh[np.ix_(hid, hid)]) | np.eye(int(hid.sum()), dtype=bool)  # hidden -> hidden (refl.)
    Hh = np.flatnonzero(hid)
    into_h = M[:, Hh]  # (d, |H|) u -> h
    out_h = M[Hh, :]  # (|H|, d) h -> v
    via = (into_h.astype(np.int64) @ reach_h.astype(np.int64) @ out_h.astype(np.int64)) > 0  # u -> H* -> v
    D = (M | via)[np.ix_(obs, obs)]
    # hidden h reaches observed v through hidden intermediates: h ->H* -> v (incl. h -> v)
    hv = (reach_h.astype(np.int64) @ out_h.astype(np.int64) > 0)[:, obs]  # (|H|, m)
    B = (hv.T.astype(np.int64) @ hv.astype(np.int64)) > 0
    np.fill_diagonal(B, False)
    np.fill_diagonal(D, False)
    return D.astype(np.int8), B.astype(np.int8)


# ---------------------------------------------------------------------------------------------------------
# most probable DAG from edge probabilities
# ---------------------------------------------------------------------------------------------------------


def as_edge_probs(P, *, d: int | None = None, name: str = "edge probabilities") -> np.ndarray:
    """Validate an edge-probability matrix: float64 (d, d), ``P[i, j]`` = probability of ``i -> j``.

    The one check used by :func:`most_probable_dag`, the graph writers and the probability metrics. The
    off-diagonal cells must be finite and lie in [0, 1]; the diagonal is ignored and returned as 0. Raises
    :class:`GraphError` naming the shape, or the first bad cell ``(i, j)`` and its value.

    >>> as_edge_probs([[0.3, 0.9], [0.2, float("nan")]]).tolist()
    [[0.0, 0.9], [0.2, 0.0]]
    """
    M = np.array(P, dtype=float)  # a copy: the diagonal is overwritten
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise GraphError(f"{name} must be a square d x d matrix, got shape {M.shape}")
    if d is not None and M.shape[0] != d:
        raise GraphError(f"{name} have shape {M.shape} but the graph has {d} nodes; pass a ({d}, {d}) matrix "
                         "with P[i, j] = probability of i -> j")
    np.fill_diagonal(M, 0.0)
    bad = ~np.isfinite(M) | (M < 0) | (M > 1)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise GraphError(f"{name} must be finite and lie in [0, 1] off the diagonal; found {M[i, j]} at ({i}, {j})"
                         f"{f' and {int(bad.sum()) - 1} more cell(s)' if bad.sum() > 1 else ''}")
    return M


def most_probable_dag(P, threshold: float = 0.5) -> np.ndarray:
    """A DAG from an edge-probability matrix by greedy insertion (int8, ``A[i, j] = 1`` means ``i -> j``).

    Candidate edges are the off-diagonal cells with ``P[i, j] > threshold`` (``P[i, j]`` is the probability
    of ``i -> j``, same orientation as the adjacency). They are inserted in decreasing probability (ties
    broken by row, then column index); an edge is skipped when it would close a directed cycle, i.e. when
    ``j`` already reaches ``i``. The result is therefore **always acyclic**, contains every candidate that
    does not conflict with a more probable one, and equals ``P > threshold`` whenever that is already a DAG.
    Reachability is updated incrementally, O(|ancestors(i)| d) per inserted edge ``i -> j``.

    Parameters
    ----------
    P : array (d, d) of float in [0, 1], ``P[i, j]`` = probability of ``i -> j``; the diagonal is ignored.
    threshold : float, edges need a probability strictly above it.

    >>> most_probable_dag([[0, .9, .2], [.6, 0, .8], [.7, .1, 0]]).tolist()
    [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    """
    M = as_edge_probs(P)
    d = M.shape[0]
    off = ~np.eye(d, dtype=bool)
    rows, cols = np.nonzero(off & (M > threshold))
    order = np.lexsort((cols, rows, -M[rows, cols]))  # decreasing probability, then (row, col)
    A = np.zeros((d, d), dtype=np.int8)
    R = np.eye(d, dtype=bool)  # R[u, v]: u reaches v (reflexive)
    for k in order:
        i, j = rows[k], cols[k]
        if R[j, i]:  # j already reaches i: i -> j would close a cycle
            continue
        A[i, j] = 1
        R[R[:, i]] |= R[j]  # every node reaching i (i included) now reaches everything j reaches
    return A


# ---------------------------------------------------------------------------------------------------------
# converters: networkx, causal-learn, lingam, pcalg
# ---------------------------------------------------------------------------------------------------------


def _names(names, d: int) -> list[str]:
    if names is None:
        return [f"X{j}" for j in range(d)]
    names = [str(v) for v in names]
    if len(names) != d:
        raise GraphError(f"{len(names)} names given for a graph with {d} nodes; pass one name per node")
    if len(set(names)) != d:
        dup = next(v for v in names if names.count(v) > 1)
        raise GraphError(f"node name {dup!r} appears more than once; node names must be unique")
    return names


def _probs(edge_probs, d: int) -> np.ndarray | None:
    return None if edge_probs is None else as_edge_probs(edge_probs, d=d, name="edge_probs")


def to_networkx(A, names=None, edge_probs=None):
    """A ``networkx.DiGraph`` with node labels ``names`` (default ``X0, X1, ...``).

    ``A[i, j] = 1`` means ``i -> j``; an undirected CPDAG edge becomes two opposite edges. With
    ``edge_probs`` (d x d, same orientation) each edge carries the attribute ``probability``.

    >>> sorted(to_networkx([[0, 1], [0, 0]], names=["a", "b"]).edges)
    [('a', 'b')]
    """
    import networkx as nx

    M = as_adjacency(A)
    d = M.shape[0]
    labels = _names(names, d)
    P = _probs(edge_probs, d)
    G = nx.DiGraph()
    G.add_nodes_from(labels)
    for i, j in zip(*np.nonzero(M)):
        attrs = {"probability": float(P[i, j])} if P is not None else {}
        G.add_edge(labels[i], labels[j], **attrs)
    return G


def _from_networkx(G) -> tuple[np.ndarray, list[str], np.ndarray | None]:
    """(A, names, probabilities of the edges or None) of a networkx graph; undirected graphs give both cells."""
    nodes = list(G.nodes)
    index = {v: k for k, v in enumerate(nodes)}
    d = len(nodes)
    A = np.zeros((d, d), dtype=np.int8)
    P = np.zeros((d, d))
    has_p = False
    directed = G.is_directed()
    for u, v, data in G.edges(data=True):
        i, j = index[u], index[v]
        if i == j:
            raise GraphError(f"graph has a self-loop at node {u!r}; remove it")
        pairs = [(i, j)] if directed else [(i, j), (j, i)]
        for a, b in pairs:
            A[a, b] = 1
            if "probability" in data:
                has_p = True
                try:
                    P[a, b] = float(data["probability"])
                except (TypeError, ValueError):
                    raise GraphError(
                        f"edge {u!r} -> {v!r} has a non-numeric probability {data['probability']!r}"
                    ) from None
    return A, [str(v) for v in nodes], (P if has_p else None)


def from_networkx(G) -> tuple[np.ndarray, list[str]]:
    """``(A, names)`` from a networkx graph; ``A[i, j] = 1`` means ``names[i] -> names[j]`` (int8).

    Node order is ``list(G.nodes)``. An undirected ``nx.Graph`` gives a symmetric (CPDAG-style) matrix.
    Edge probabilities (attribute ``probability``) are read by :func:`read_graph` for GraphML files.

    >>> import networkx as nx
    >>> A, names = from_networkx(nx.DiGraph([("a", "b")]))
    >>> A.tolist(), names
    ([[0, 1], [0, 0]], ['a', 'b'])
    """
    A, names, _ = _from_networkx(G)
    return A, names


def to_causallearn(A, names=None, *, as_object: bool = False):
    """causal-learn endpoint matrix (or ``GeneralGraph``) of ``A`` (``A[i, j] = 1`` means ``i -> j``).

    causal-learn codes ``i -> j`` as ``G[j, i] = 1`` (arrowhead at j) and ``G[i, j] = -1`` (tail at i); an
    undirected edge ``i - j`` (both cells of ``A`` set) as ``G[i, j] = G[j, i] = -1``. Returns an int ndarray,
    or with ``as_object=True`` a ``causallearn.graph.GeneralGraph.GeneralGraph`` over ``names`` (needs the
    ``baselines`` extra).

    >>> to_causallearn([[0, 1], [0, 0]]).tolist()
    [[0, -1], [1, 0]]
    """
    M = as_adjacency(A).astype(bool)
    und = M & M.T
    G = np.zeros(M.shape, dtype=int)
    G[M] = -1  # tail at the cause
    G[M.T & ~und] = 1  # arrowhead at the effect: G[j, i] = 1 for i -> j
    if not as_object:
        return G
    require("causallearn", "baselines")
    from causallearn.graph.Edge import Edge
    from causallearn.graph.Endpoint import Endpoint
    from causallearn.graph.GeneralGraph import GeneralGraph
    from causallearn.graph.GraphNode import GraphNode

    nodes = [GraphNode(v) for v in _names(names, M.shape[0])]
    out = GeneralGraph(nodes)
    for i, j in zip(*np.nonzero(M)):
        if und[i, j]:
            if i < j:
                out.add_edge(Edge(nodes[i], nodes[j], Endpoint.TAIL, Endpoint.TAIL))
        else:
            out.add_directed_edge(nodes[i], nodes[j])
    return out


def from_causallearn(G) -> np.ndarray:
    """Adjacency (int8, ``A[i, j] = 1`` means ``i -> j``) from causal-learn endpoint codes.

    ``G`` is a raw endpoint matrix, or an object with ``.graph`` (``GeneralGraph``) or ``.G.graph``
    (``CausalGraph`` from ``pc``; the dict returned by ``ges`` works via ``rec["G"]``). Per pair:
    ``G[j, i] = 1, G[i, j] = -1`` is ``i -> j``; ``-1/-1`` is undirected (both cells of ``A``); ``0/0`` no
    edge. Bidirected (``1/1``, a latent confounder) and PAG circle (``2``) endpoints have no adjacency
    representation and raise :class:`GraphError`.

    >>> from_causallearn([[0, -1, 0], [-1, 0, -1], [0, -1, 0]]).tolist()
    [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    """
    if isinstance(G, dict) and "G" in G:
        G = G["G"]
    if hasattr(G, "G") and hasattr(G.G, "graph"):
        G = G.G.graph
    elif hasattr(G, "graph"):
        G = G.graph
    M = np.asarray(G)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise GraphError(f"causal-learn graph must be a square endpoint matrix, got shape {M.shape}")
    M = M.astype(int)
    d = M.shape[0]
    A = np.zeros((d, d), dtype=np.int8)
    for i in range(d):
        if M[i, i] != 0:
            raise GraphError(f"causal-learn graph has a non-zero diagonal entry at node {i}")
        for j in range(i + 1, d):
            a, b = M[i, j], M[j, i]  # M[i, j]: mark at i's end of the i-j edge; M[j, i]: mark at j's end
            if (a, b) == (0, 0):
                continue
            if (a, b) == (-1, 1):
                A[i, j] = 1
            elif (a, b) == (1, -1):
                A[j, i] = 1
            elif (a, b) == (-1, -1):
                A[i, j] = A[j, i] = 1
            elif (a, b) == (1, 1):
                raise GraphError(f"causal-learn graph has a bidirected edge {i} <-> {j} (latent confounder), "
                                 "which an adjacency matrix cannot represent")
            else:
                raise GraphError(f"causal-learn graph has unsupported endpoint codes ({a}, {b}) between nodes "
                                 f"{i} and {j}; only -1 (tail), 1 (arrow) and 0 are supported")
    return A


def to_lingam(A) -> np.ndarray:
    """lingam's column -> row matrix: ``B[i, j]`` is the effect of ``x_j`` on ``x_i`` (float).

    ``A`` is row -> column (``A[i, j] != 0`` means ``i -> j``) and may be weighted: the values are kept,
    so ``B = A.T``.

    >>> to_lingam([[0, 2.0], [0, 0]]).tolist()
    [[0.0, 0.0], [2.0, 0.0]]
    """
    W = np.asarray(A, dtype=float)
    as_adjacency(W)  # shape, finiteness and self-loop checks
    return W.T.copy()


def from_lingam(B, *, weights: bool = False) -> np.ndarray:
    """From lingam's column -> row ``B`` (``B[i, j]`` = effect of ``x_j`` on ``x_i``) to row -> column.

    Returns the int8 adjacency (``A[i, j] = 1`` means ``i -> j``; any non-zero weight is an edge), or with
    ``weights=True`` the float matrix ``W = B.T`` (``W[i, j]`` = effect of ``x_i`` on ``x_j``).

    >>> from_lingam([[0, 0], [1.99, 0]]).tolist()
    [[0, 1], [0, 0]]
    """
    W = np.asarray(B, dtype=float)
    A = as_adjacency(W, name="lingam matrix B").T.copy()
    return W.T.copy() if weights else A


def to_pcalg(A) -> np.ndarray:
    """R pcalg ``amat`` (column -> row): ``amat[b, a] = 1, amat[a, b] = 0`` codes ``a -> b``; undirected
    ``a - b`` is ``1/1``. ``A[i, j] = 1`` means ``i -> j``, so ``amat = A.T`` (int8).

    >>> to_pcalg([[0, 1], [0, 0]]).tolist()
    [[0, 0], [1, 0]]
    """
    return as_adjacency(A).T.copy()


def from_pcalg(amat) -> np.ndarray:
    """Adjacency (int8, ``A[i, j] = 1`` means ``i -> j``) from a pcalg ``amat`` (column -> row, ``A = amat.T``).

    >>> from_pcalg([[0, 0], [1, 0]]).tolist()
    [[0, 1], [0, 0]]
    """
    return as_adjacency(amat, name="pcalg amat").T.copy()


# ---------------------------------------------------------------------------------------------------------
# file formats: CSV, JSON, GraphML, DOT
# ---------------------------------------------------------------------------------------------------------

CONVENTION = "A[i,j]=1 means i->j"
#: top-left cell of a written CSV adjacency: row names are causes, column names effects
CSV_CORNER = "cause->effect"
GRAPH_SUFFIXES = (".csv", ".json", ".graphml", ".dot", ".gv")


def graph_file_format(path) -> str:
    """The graph file format of ``path`` from its suffix: ``"csv"``, ``"json"``, ``"graphml"`` or ``"dot"``.

    Raises :class:`GraphError` naming the file and the supported suffixes otherwise (the one suffix check
    used by :func:`read_graph`, :func:`write_graph` and the command line).

    >>> graph_file_format("truth.JSON"), graph_file_format("g.gv")
    ('json', 'dot')
    """
    from pathlib import Path

    suffix = Path(path).suffix.lower()
    if suffix not in GRAPH_SUFFIXES:
        raise GraphError(f"graph file {str(path)!r} has unsupported suffix {suffix or '(none)'!r}; use one of "
                         f"{', '.join(GRAPH_SUFFIXES)}")
    return "dot" if suffix == ".gv" else suffix[1:]


def write_graph(path, A, names=None, edge_probs=None, *, bidirected=None):
    """Write the graph ``A`` (``A[i, j] = 1`` means ``i -> j``) to ``path``; format from the suffix.

    ``bidirected`` (optional, symmetric (d, d), :func:`as_bidirected`) adds the bidirected edges ``i <-> j`` of a
    mixed graph, stored per format as: CSV cell code ``A[i, j] + 2 * B[i, j]`` (0 none, 1 ``i -> j``,
    2 ``i <-> j``, 3 both); a JSON edge ``{"source", "target", "type": "bidirected"}`` once per pair; GraphML
    edge attributes ``directed`` / ``bidirected`` (booleans); DOT ``a -> b [dir=both, style=dashed]``.
    :func:`read_mixed_graph` reads all four back.

    * ``.csv``: a plain CSV table (``pandas.read_csv(path, index_col=0)`` reads it): a header row of
      names, an index column of names, and the corner cell ``cause->effect`` (rows are causes, columns
      effects: ``A[i, j] = 1`` means ``i -> j``). Holds no probabilities: ``edge_probs`` is not
      written (a :class:`UserWarning` says so); use ``.json`` to keep them.
    * ``.json``: ``{"convention", "nodes", "edges": [{"source", "target", "probability"?}], "edge_probs"?}``;
      with ``edge_probs`` each edge has its ``probability`` and the full (d, d) matrix is stored too, so
      probabilities of absent edges survive (lossless).
    * ``.graphml``: networkx GraphML, edge attribute ``probability``.
    * ``.dot`` / ``.gv``: Graphviz ``digraph``; undirected CPDAG edges as ``a -> b [dir=none]``.

    Undirected CPDAG edges (both cells 1) are written as two directed edges in CSV, JSON and GraphML.
    The write is atomic (temporary file + rename). Returns the path.
    """
    import warnings
    from pathlib import Path

    fmt = graph_file_format(path)
    M = as_adjacency(A)
    d = M.shape[0]
    labels = _names(names, d)
    P = _probs(edge_probs, d)
    B = None if bidirected is None else as_bidirected(bidirected, d=d)
    if B is not None and not B.any():
        B = None
    if fmt == "csv":
        if P is not None:
            warnings.warn(f"{path}: CSV adjacency files hold no edge probabilities; they were not written "
                          "(use a .json file to keep them)", UserWarning, stacklevel=2)
        text = _csv_text(M if B is None else M + 2 * B, labels)
    elif fmt == "json":
        text = _json_text(M, labels, P, B)
    elif fmt == "graphml":
        text = None
    else:
        text = _dot_text(M, labels, P, B)
    with atomic_path(path) as tmp:
        if text is None:
            import networkx as nx

            G = to_networkx(M, labels, P)
            if B is not None:  # mixed graph: every edge states what it carries
                nx.set_edge_attributes(G, True, "directed")
                nx.set_edge_attributes(G, False, "bidirected")
                for i, j in zip(*np.nonzero(np.triu(B, 1))):
                    if G.has_edge(labels[i], labels[j]):
                        G.edges[labels[i], labels[j]]["bidirected"] = True
                    else:
                        G.add_edge(labels[i], labels[j], directed=False, bidirected=True)
            G.graph["convention"] = CONVENTION
            nx.write_graphml(G, tmp)
        else:
            Path(tmp).write_text(text, encoding="utf-8")
    return Path(path)


def read_graph(path, *, threshold: float | None = None) -> tuple[np.ndarray, list[str], np.ndarray | None]:
    """Read ``(A, names, edge_probs or None)`` from a graph file written by :func:`write_graph` (or by hand).

    ``A[i, j] = 1`` means ``names[i] -> names[j]`` (int8). The format follows the suffix (``.csv``, ``.json``,
    ``.graphml``, ``.dot``/``.gv``). JSON edges may also be ``[cause, effect]`` pairs. Cycles are allowed
    (e.g. the cyclic Sachs graph); self-loops are not. Any problem raises :class:`GraphError` naming the
    file and what is wrong.

    Parameters
    ----------
    path : a graph file.
    threshold : float, optional
        For weighted or probability graphs. Without it every cell of a CSV adjacency must be 0 or 1 (a cell
        holding e.g. 0.5 or 2 is an error naming it). With it, a CSV cell is an edge when ``|value| >
        threshold`` and, when all cells lie in [0, 1], the cells are also returned as edge probabilities;
        in the other formats an edge needs a stored probability above ``threshold``.

    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "w.csv"
    >>> _ = f.write_text("cause->effect,a,b\\na,0,0.9\\nb,0.2,0\\n")
    >>> read_graph(f, threshold=0.5)[0].tolist()
    [[0, 1], [0, 0]]
    """
    A, B, names, P = _read_any(path, threshold)
    if B.any():
        i, j = np.argwhere(np.triu(B, 1))[0]
        raise GraphError(f"graph file {str(path)!r} holds {int(np.triu(B, 1).sum())} bidirected edge(s) (e.g. "
                         f"{names[i]} <-> {names[j]}), a mixed graph; read it with read_mixed_graph")
    return A, names, P


def read_mixed_graph(path, *, threshold: float | None = None):
    """Read ``(A, B, names, edge_probs or None)`` of a mixed graph written by :func:`write_graph`.

    ``A[i, j] = 1`` means ``i -> j`` (both cells: undirected); ``B`` is the symmetric int8 matrix of bidirected
    edges ``i <-> j`` (all zeros for a plain DAG / CPDAG file). CSV cells 2 / 3 are read as bidirected (plus
    ``i -> j`` for 3) only without ``threshold``. Otherwise as :func:`read_graph`.

    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "m.json"
    >>> _ = write_graph(f, [[0, 1, 0], [0, 0, 0], [0, 0, 0]], bidirected=[[0, 0, 0], [0, 0, 1], [0, 1, 0]])
    >>> A, B, names, _ = read_mixed_graph(f)
    >>> A.tolist(), B.tolist()
    ([[0, 1, 0], [0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 1], [0, 1, 0]])
    """
    return _read_any(path, threshold)


def _read_any(path, threshold):
    """``(A, B, names, P)`` of any graph file; ``B`` the (possibly empty) bidirected matrix."""
    from pathlib import Path

    fmt = graph_file_format(path)
    if threshold is not None and not (np.isfinite(threshold) and threshold >= 0):
        raise GraphError(f"threshold must be a finite number >= 0 (an edge where |value| > threshold), "
                         f"got {threshold}")
    p = Path(path)
    if not p.is_file():
        raise GraphError(f"cannot read graph file {str(path)!r}: no such file")
    try:
        B = None
        if fmt == "csv":
            W, names, _ = _read_csv(p)
            if (threshold is None and np.isin(W, (0.0, 1.0, 2.0, 3.0)).all() and (W >= 2).any()
                    and np.array_equal(W >= 2, (W >= 2).T)):  # bidirected bits are symmetric; else a weight
                Wi = W.astype(np.int64)
                W, B = (Wi & 1).astype(float), ((Wi & 2) > 0).astype(np.int8)  # cell code A + 2 B
            A, P = _cells_to_graph(W, names, threshold)
        else:
            A, names, P, B = {"json": _read_json, "graphml": _read_graphml, "dot": _read_dot}[fmt](p)
            if threshold is not None:
                if P is None:
                    raise GraphError("it stores no edge probabilities to threshold; drop --threshold "
                                     "(threshold=)")
                A = (P > threshold).astype(np.int8)
        A = as_adjacency(A, name="graph")
        names = _names(names, A.shape[0])
        P = _probs(P, A.shape[0])
        B = np.zeros_like(A) if B is None else as_bidirected(B, d=A.shape[0], name="bidirected edges")
    except GraphError as exc:
        raise GraphError(f"graph file {str(path)!r}: {exc}") from None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise GraphError(f"graph file {str(path)!r} is not a valid {fmt} graph: {exc}") from None
    return A, B, names, P


# -- CSV --


def _cells_to_graph(W: np.ndarray, names: list[str], threshold: float | None):
    """``(A, edge_probs or None)`` from the cells ``W`` of an adjacency table: 0/1 cells, or with ``threshold``
    weights (edge where ``|w| > threshold``) / probabilities (also returned when all cells lie in [0, 1])."""
    bad = np.isnan(W) if threshold is not None else ~np.isin(W, (0.0, 1.0))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        hint = ("give every cell a number" if threshold is not None else
                "adjacency cells must be 0 or 1; for a weighted or probability graph pass a threshold "
                "(evaluate --threshold T, read_graph(..., threshold=T)): an edge where |value| > T")
        raise GraphError(f"cell (row {names[i]!r}, column {names[j]!r}) holds {W[i, j]:g} "
                         f"({int(bad.sum())} such cell(s)); {hint}")
    if threshold is None:
        return W.astype(np.int8), None
    A = (np.abs(W) > threshold).astype(np.int8)
    off = ~np.eye(len(W), dtype=bool)
    is_prob = bool(np.all((W[off] >= 0) & (W[off] <= 1)))
    return A, (np.where(off, W, 0.0) if is_prob else None)


def _csv_text(M: np.ndarray, labels: list[str]) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([CSV_CORNER] + labels)  # the corner cell states the orientation: rows cause columns
    for i, v in enumerate(labels):
        w.writerow([v] + M[i].tolist())
    return buf.getvalue()


def _read_csv(p):
    import csv

    with open(p, encoding="utf-8-sig", newline="") as fh:
        lines = fh.readlines()
    while lines and lines[0].startswith("#"):  # leading comment lines (files written by hand or older versions)
        lines.pop(0)
    rows = [r for r in csv.reader(lines) if r]
    if not rows:
        raise GraphError("the file is empty")
    header, body = rows[0], rows[1:]
    d = len(body)
    if d == 0:
        raise GraphError("no rows below the header")
    if len(header) == d + 1:  # index column of names
        names = header[1:]
        index = [r[0] for r in body]
        if index != names:
            raise GraphError(f"row names {index} differ from column names {names}; the index column and the "
                             "header must list the nodes in the same order")
        cells = [r[1:] for r in body]
    elif len(header) == d:  # header only
        names, cells = header, body
    else:
        raise GraphError(f"header has {len(header)} fields for {d} rows; expected an index column plus "
                         f"{d} node names")
    A = np.zeros((d, d))
    for i, r in enumerate(cells):
        if len(r) != d:
            raise GraphError(f"row {i + 1} ({names[i]!r}) has {len(r)} values, expected {d}")
        for j, v in enumerate(r):
            try:
                A[i, j] = float(v)
            except ValueError:
                raise GraphError(f"row {names[i]!r}, column {names[j]!r} holds {v!r}, not a number") from None
    return A, names, None


# -- JSON --


def _json_text(M, labels, P, B=None) -> str:
    import json

    edges = []
    for i, j in zip(*np.nonzero(M)):
        e = {"source": labels[i], "target": labels[j]}
        if P is not None:
            e["probability"] = float(P[i, j])
        edges.append(e)
    if B is not None:
        edges += [{"source": labels[i], "target": labels[j], "type": "bidirected"}
                  for i, j in zip(*np.nonzero(np.triu(B, 1)))]
    doc = {"convention": CONVENTION, "nodes": labels, "edges": edges}
    if P is not None:
        doc["edge_probs"] = P.tolist()
    return json.dumps(doc, indent=1) + "\n"


def _read_json(p):
    import json

    try:
        doc = json.loads(p.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise GraphError(f"invalid JSON ({exc})") from None
    if not isinstance(doc, dict) or "nodes" not in doc or "edges" not in doc:
        raise GraphError('expected an object with "nodes" and "edges" keys')
    names = [str(v) for v in doc["nodes"]]
    index = {v: k for k, v in enumerate(names)}
    d = len(names)
    A = np.zeros((d, d), dtype=np.int8)
    B = np.zeros((d, d), dtype=np.int8)
    P = np.zeros((d, d))
    has_p = False
    for k, e in enumerate(doc["edges"]):
        if isinstance(e, dict):
            if "source" not in e or "target" not in e:
                raise GraphError(f'edge #{k} lacks "source" or "target": {e!r}')
            s, t = str(e["source"]), str(e["target"])
        elif isinstance(e, (list, tuple)) and len(e) == 2:
            s, t = str(e[0]), str(e[1])
        else:
            raise GraphError(f"edge #{k} must be an object with source/target or a [cause, effect] pair: {e!r}")
        for v in (s, t):
            if v not in index:
                raise GraphError(f"edge #{k} names node {v!r}, which is not in \"nodes\"")
        kind = e.get("type", "directed") if isinstance(e, dict) else "directed"
        if kind == "bidirected":
            B[index[s], index[t]] = B[index[t], index[s]] = 1
            continue
        if kind != "directed":
            raise GraphError(f'edge #{k} has type {kind!r}; use "directed" (default) or "bidirected"')
        A[index[s], index[t]] = 1
        if isinstance(e, dict) and e.get("probability") is not None:
            P[index[s], index[t]] = float(e["probability"])
            has_p = True
    if doc.get("edge_probs") is not None:
        full = np.asarray(doc["edge_probs"], dtype=float)
        if full.shape != (d, d):
            raise GraphError(f'"edge_probs" has shape {full.shape}, expected ({d}, {d})')
        P, has_p = full, True
    return A, names, (P if has_p else None), B


# -- GraphML --


def _read_graphml(p):
    import networkx as nx

    try:
        G = nx.read_graphml(p)
    except Exception as exc:  # networkx raises several XML/parse errors
        raise GraphError(f"invalid GraphML ({exc})") from None
    A, names, P = _from_networkx(G)
    B = np.zeros_like(A)
    index = {str(v): k for k, v in enumerate(G.nodes)}
    for u, v, data in G.edges(data=True):  # mixed-graph attributes written by write_graph
        i, j = index[str(u)], index[str(v)]
        if str(data.get("bidirected", False)).lower() in ("true", "1"):
            B[i, j] = B[j, i] = 1
        if str(data.get("directed", True)).lower() in ("false", "0"):
            A[i, j] = 0
    return A, names, P, B


# -- DOT --


def _dot_id(v: str) -> str:
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_text(M, labels, P, B=None) -> str:
    lines = [f"// {CONVENTION}; undirected CPDAG edges carry dir=none; bidirected edges (i <-> j) dir=both",
             "digraph G {"]
    lines += [f"  {_dot_id(v)};" for v in labels]
    for i, j in zip(*np.nonzero(M)):
        und = bool(M[j, i])
        if und and j < i:
            continue
        attrs = []
        if und:
            attrs.append("dir=none")
        if P is not None:
            attrs.append(f"probability={float(P[i, j])!r}")
        tail = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  {_dot_id(labels[i])} -> {_dot_id(labels[j])}{tail};")
    if B is not None:
        lines += [f"  {_dot_id(labels[i])} -> {_dot_id(labels[j])} [dir=both, style=dashed];"
                  for i, j in zip(*np.nonzero(np.triu(B, 1)))]
    lines.append("}")
    return "\n".join(lines) + "\n"


_DOT_TOKEN = None


def _dot_tokens(text: str) -> list[str]:
    """Tokens of a DOT text: quoted strings, ``->``, ``--``, punctuation, bare words; comments dropped."""
    import re

    global _DOT_TOKEN
    if _DOT_TOKEN is None:
        _DOT_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|//[^\n]*|/\*.*?\*/|^[ \t]*#[^\n]*|->|--|[{}\[\];,=]'
                                r'|[^\s{}\[\];,="/]+|\S', re.S | re.M)
    return [t for t in _DOT_TOKEN.findall(text) if not t.startswith(("//", "/*")) and not t.lstrip().startswith("#")]


def _dot_unquote(tok: str) -> str:
    if tok.startswith('"'):
        import re

        return re.sub(r"\\(.)", r"\1", tok[1:-1])
    return tok


def _read_dot(p):
    """A small DOT reader: node statements, edge chains ``a -> b -> c [attrs];``, quoted names, comments.

    Edge attributes read: ``probability`` (float) and ``dir=none`` (undirected). Subgraphs are not supported.
    """
    toks = _dot_tokens(p.read_text(encoding="utf-8"))
    k = 0
    while k < len(toks) and toks[k] != "{":
        k += 1
    if k == len(toks) or not any(t.lower() in ("digraph", "graph") for t in toks[:k]):
        raise GraphError('expected "digraph NAME {" (or "graph NAME {")')
    undirected_graph = not any(t.lower() == "digraph" for t in toks[:k])
    k += 1
    names: list[str] = []
    index: dict[str, int] = {}
    edges: list[tuple[str, str, dict]] = []

    def node(v):
        if v not in index:
            index[v] = len(names)
            names.append(v)

    def attrs(pos):
        out = {}
        pos += 1
        while pos < len(toks) and toks[pos] != "]":
            key = _dot_unquote(toks[pos])
            if pos + 2 < len(toks) and toks[pos + 1] == "=":
                out[key.lower()] = _dot_unquote(toks[pos + 2])
                pos += 3
            else:
                pos += 1
            if pos < len(toks) and toks[pos] in ",;":
                pos += 1
        if pos >= len(toks):
            raise GraphError("unclosed attribute list '['")
        return out, pos + 1

    closed = False
    while k < len(toks):
        t = toks[k]
        if t == "}":
            closed = True
            break
        if t in (";", ","):
            k += 1
            continue
        if t == "{" or t.lower() == "subgraph":
            raise GraphError("subgraphs are not supported; write one 'a -> b;' statement per edge")
        if t.lower() in ("graph", "node", "edge") and k + 1 < len(toks) and toks[k + 1] == "[":
            _, k = attrs(k + 1)
            continue
        if k + 1 < len(toks) and toks[k + 1] == "=":  # graph attribute a = b
            k += 3
            continue
        chain = [_dot_unquote(t)]
        k += 1
        ops = []
        while k < len(toks) and toks[k] in ("->", "--"):
            if k + 1 >= len(toks):
                raise GraphError(f"edge from {chain[-1]!r} has no target")
            ops.append(toks[k])
            chain.append(_dot_unquote(toks[k + 1]))
            k += 2
        a: dict = {}
        if k < len(toks) and toks[k] == "[":
            a, k = attrs(k)
        for v in chain:
            node(v)
        for (s, tgt), op in zip(zip(chain[:-1], chain[1:]), ops):
            und = op == "--" or undirected_graph or a.get("dir", "").lower() == "none"
            edges.append((s, tgt, {**a, "_und": und, "_bi": a.get("dir", "").lower() == "both"}))
    if not closed:
        raise GraphError("missing closing '}'")
    d = len(names)
    A = np.zeros((d, d), dtype=np.int8)
    B = np.zeros((d, d), dtype=np.int8)
    P = np.zeros((d, d))
    has_p = False
    for s, tgt, a in edges:
        i, j = index[s], index[tgt]
        if i == j:
            raise GraphError(f"self-loop at node {s!r}")
        if a["_bi"]:
            B[i, j] = B[j, i] = 1
            continue
        cells = [(i, j), (j, i)] if a["_und"] else [(i, j)]
        for x, y in cells:
            A[x, y] = 1
            if "probability" in a:
                try:
                    P[x, y] = float(a["probability"])
                except ValueError:
                    raise GraphError(f"edge {s!r} -> {tgt!r} has non-numeric probability "
                                     f"{a['probability']!r}") from None
                has_p = True
    return A, names, (P if has_p else None), B
