"""Graphs as adjacency matrices.

Convention (everywhere in scorecause): ``A[i, j] = 1`` means the edge ``i -> j`` (row causes column),
dtype ``int8``, shape ``(d, d)``, zero diagonal. A CPDAG marks an undirected edge ``i - j`` with
``A[i, j] = A[j, i] = 1``.
"""

from __future__ import annotations

import numpy as np

from scorecause.errors import GraphError


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
