"""Random DAGs for simulation.

Every generator returns an int8 adjacency ``A`` (d, d) with ``A[i, j] = 1`` meaning ``i -> j`` and a zero
diagonal. Each graph is built in a causal order and then relabelled by a random permutation drawn from
the passed ``numpy.random.Generator``, so the column index order is *not* a causal order.

Kinds (:func:`sample_graph`; the o.o.d. models follow AVICI, Lorch et al. 2022, arXiv 2205.12934):

=========  =========================================================================================
``er``     Erdős–Rényi: each of the d(d-1)/2 pairs is an edge with probability
           ``p = min(2 k / (d - 1), 0.99)``, i.e. ``k = edges_per_node`` expected edges per node (k d in all)
``sf``     scale-free (Barabási–Albert): nodes arrive one by one, each new node receives edges *from*
           ``m = round(edges_per_node)`` earlier nodes chosen with probability proportional to
           ``outdegree^power + 1``: hubs are causes with many children (power-law out-degree).
           This is AVICI's ``ScaleFreeTranspose`` (``scale_free_inv``).
``sf-in``  the transpose of ``sf``: each new node sends edges *to* earlier hubs, which become effects with
           many parents (power-law in-degree). This is AVICI's ``ScaleFree`` and the igraph
           ``Barabasi(directed=True)`` orientation (new nodes point to old ones). SCORE-style
           ``simulate_dag(..., triu=True)`` orients an undirected BA graph old -> new instead, i.e. ``"sf"``
           (see the ``score-gp-sf`` preset).
``ws``     Watts–Strogatz: a periodic lattice of ``dim`` dimensions and side ``ceil(d^(1/dim))``, vertices
           within lattice distance ``nei`` joined, each edge rewired with probability ``p``; surplus
           vertices removed at random; oriented along the lattice's vertex order
``sbm``    stochastic block model: a random split into ``n_blocks`` blocks, within-block edge probability
           ``q`` and between-block ``damp * q``, with ``q`` solved so the expected edge count is ``k d``
           (capped at 0.99)
``geo``    geometric random graph: d uniform points in the unit square joined when closer than ``radius``;
           edges point along increasing x coordinate (igraph's GRG sorts its points by x)
=========  =========================================================================================
"""

from __future__ import annotations

import math

import numpy as np

from scorecause.errors import ConfigError
from scorecause.simulate._checks import check_count, check_rng

GRAPH_KINDS = ("er", "sf", "sf-in", "ws", "sbm", "geo")
_ALIASES = {"erdos-renyi": "er", "scale-free": "sf", "sf-out": "sf", "ba": "sf", "sf-transpose": "sf",
            "watts-strogatz": "ws", "grg": "geo", "geometric": "geo", "stochastic-block": "sbm"}


def _permute(A: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Relabel nodes by a random permutation: node ``i`` of ``A`` becomes node ``perm[i]``."""
    d = A.shape[0]
    perm = rng.permutation(d)
    out = np.zeros_like(A)
    out[np.ix_(perm, perm)] = A
    return out


def _orient_upper(U: np.ndarray) -> np.ndarray:
    """Orient an undirected 0/1 matrix ``U`` along index order (``i -> j`` for ``i < j``), int8."""
    return np.triu((U != 0) | (U.T != 0), k=1).astype(np.int8)


def erdos_renyi(d: int, rng: np.random.Generator, *, edges_per_node: float = 1.0) -> np.ndarray:
    """ER DAG with ``edges_per_node * d`` expected edges (``A[i, j] = 1`` means ``i -> j``), permuted."""
    p = min(edges_per_node * d / (d * (d - 1) / 2.0), 0.99)
    A = np.triu(rng.random((d, d)) < p, k=1).astype(np.int8)
    return _permute(A, rng)


def scale_free(d: int, rng: np.random.Generator, *, edges_per_node: float = 1.0, power: float = 1.0,
               in_degree: bool = False) -> np.ndarray:
    """Barabási–Albert DAG with ``m = max(1, round(edges_per_node))`` edges per arriving node.

    Node ``t`` (arrival order) links to ``min(m, t)`` distinct earlier nodes chosen with probability
    proportional to ``degree^power + 1`` (``degree`` counts the earlier node's edges to later nodes, as
    igraph's default ``outpref=False`` counts in-degree only). With ``in_degree=False`` the edges point
    from the earlier node to the new one (hubs are causes; power-law out-degree); ``in_degree=True``
    reverses them (hubs are effects; power-law in-degree). ``A[i, j] = 1`` means ``i -> j``; permuted.
    """
    m = max(1, int(round(edges_per_node)))
    A = np.zeros((d, d), dtype=np.int8)  # A[old, new] = 1 in arrival order
    deg = np.zeros(d)
    for t in range(1, d):
        w = deg[:t] ** power + 1.0
        # m distinct nodes by successive weighted draws without replacement: the m smallest E_i / w_i
        keys = rng.standard_exponential(t) / w
        chosen = np.argpartition(keys, m - 1)[:m] if t > m else np.arange(t)
        A[chosen, t] = 1
        deg[chosen] += 1
    if in_degree:
        A = A.T.copy()
    return _permute(A, rng)


def watts_strogatz(d: int, rng: np.random.Generator, *, dim: int = 2, nei: int = 1, p: float = 0.3) -> np.ndarray:
    """Watts–Strogatz small-world DAG (AVICI's o.o.d. ``WattsStrogatz(dim, nei, p)``), permuted.

    Periodic lattice with side ``ceil(d^(1/dim))``; vertices at lattice (torus Manhattan) distance
    ``<= nei`` are joined; each edge's second endpoint is rewired with probability ``p`` to a uniform
    vertex (no loops or multi-edges); surplus vertices are deleted at random; edges are oriented along the
    lattice's vertex order (as AVICI's upper triangle), then nodes are permuted. ``A[i, j] = 1`` means ``i -> j``.
    """
    dim, nei = int(dim), int(nei)
    if dim < 1 or nei < 1:
        raise ConfigError(f"Watts-Strogatz needs dim >= 1 and nei >= 1, got dim={dim}, nei={nei}")
    side = math.ceil(d ** (1.0 / dim) - 1e-9)
    N = side**dim
    coords = np.array(np.unravel_index(np.arange(N), (side,) * dim)).T  # (N, dim)
    diff = np.abs(coords[:, None, :] - coords[None, :, :])
    dist = np.minimum(diff, side - diff).sum(-1)  # torus Manhattan distance (N, N)
    U = np.triu((dist >= 1) & (dist <= nei), k=1)
    edges = np.argwhere(U)
    U = U | U.T
    for u, v in edges[rng.permutation(len(edges))]:
        if rng.random() >= p:
            continue
        free = np.flatnonzero(~U[u])
        free = free[free != u]
        if free.size == 0:
            continue
        w = free[rng.integers(free.size)]
        U[u, v] = U[v, u] = False
        U[u, w] = U[w, u] = True
    keep = np.sort(rng.choice(N, size=d, replace=False))
    U = U[np.ix_(keep, keep)]
    return _permute(_orient_upper(U), rng)


def stochastic_block(d: int, rng: np.random.Generator, *, edges_per_node: float = 2.0, n_blocks: int = 5,
                     damp: float = 0.1) -> np.ndarray:
    """Stochastic-block-model DAG (AVICI's o.o.d. ``SBM``), ``A[i, j] = 1`` means ``i -> j``; permuted.

    Blocks: ``min(n_blocks, d) - 1`` distinct cut points drawn from ``0..d-1`` (as AVICI; a cut at 0 leaves
    one block empty) split a random order of the nodes. Within-block pairs are edges with probability
    ``q``, between-block pairs with ``damp * q``, where ``q = min(k d / (W + damp B), 0.99)`` (W, B:
    within/between pair counts) gives ``k d`` expected edges.
    """
    b = max(1, min(int(n_blocks), d))
    cuts = np.sort(rng.choice(d, size=b - 1, replace=False))
    sizes = np.diff(np.concatenate([[0], cuts, [d]]))
    block = np.repeat(np.arange(b), sizes)
    W = float((sizes * (sizes - 1) / 2).sum())
    B = d * (d - 1) / 2.0 - W
    q = min(edges_per_node * d / max(W + damp * B, 1e-12), 0.99)
    P = np.where(block[:, None] == block[None, :], q, min(damp * q, 1.0))
    U = rng.random((d, d)) < P
    order = rng.permutation(d)  # orientation independent of block labels
    U = U[np.ix_(order, order)]
    return _permute(_orient_upper(np.triu(U, 1)), rng)


def geometric(d: int, rng: np.random.Generator, *, radius: float = 0.1) -> np.ndarray:
    """Geometric random graph in the unit square (AVICI's o.o.d. ``GRG``), permuted.

    d uniform points; ``i, j`` joined when ``|x_i - x_j| <= radius``; the edge points from the point with
    smaller x coordinate to the larger one. ``A[i, j] = 1`` means ``i -> j``.
    """
    pts = rng.random((d, 2))
    pts = pts[np.argsort(pts[:, 0])]
    D2 = ((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1)
    U = np.triu(D2 <= radius**2, k=1)
    return _permute(U.astype(np.int8), rng)


def sample_graph(kind: str, d: int, rng: np.random.Generator, *, edges_per_node: float = 1.0, **kw) -> np.ndarray:
    """Sample a random DAG of ``kind`` on ``d`` nodes: int8 (d, d), ``A[i, j] = 1`` means ``i -> j``.

    Parameters
    ----------
    kind : {"er", "sf", "sf-in", "ws", "sbm", "geo"}
        See the module docstring. ``edges_per_node`` is used by er, sf, sf-in (as ``m``) and sbm.
    d : int, at least 2
    rng : numpy.random.Generator -- the only source of randomness
    **kw : generator options: sf/sf-in ``power``; ws ``dim``, ``nei``, ``p``; sbm ``n_blocks``, ``damp``;
        geo ``radius``.

    Returns
    -------
    A : int8 ndarray (d, d), acyclic, nodes in random order.

    Examples
    --------
    >>> import numpy as np
    >>> A = sample_graph("er", 10, np.random.default_rng(0), edges_per_node=2)
    >>> A.shape, A.dtype
    ((10, 10), dtype('int8'))
    """
    check_rng(rng)
    d = check_count(d, "d", 2, "number of nodes")
    key = _ALIASES.get(str(kind).lower(), str(kind).lower())
    if edges_per_node < 0:
        raise ConfigError(f"edges_per_node must be >= 0, got {edges_per_node}")
    try:
        if key == "er":
            return erdos_renyi(d, rng, edges_per_node=edges_per_node, **kw)
        if key in ("sf", "sf-in"):
            return scale_free(d, rng, edges_per_node=edges_per_node, in_degree=key == "sf-in", **kw)
        if key == "ws":
            return watts_strogatz(d, rng, **kw)
        if key == "sbm":
            return stochastic_block(d, rng, edges_per_node=edges_per_node, **kw)
        if key == "geo":
            return geometric(d, rng, **kw)
    except TypeError as exc:
        raise ConfigError(f"bad options for graph kind {kind!r}: {exc}") from None
    raise ConfigError(f"unknown graph kind {kind!r}; choose one of {list(GRAPH_KINDS)}")
