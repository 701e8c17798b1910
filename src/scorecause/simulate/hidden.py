"""Hidden variables: choose latent confounders in a simulated DAG and marginalise them out.

``simulate(..., hide=K)`` (and ``scorecause simulate --hide K``) simulates the full SCM, then drops ``K``
variables chosen among those with at least two children that stay observed, so that each hidden variable is a
common cause of observed variables (a confounder). The true graph over the observed variables is the
**latent projection** (Verma & Pearl 1990, :func:`scorecause.graph.latent_projection`): ``i -> j`` when a
directed path from ``i`` to ``j`` runs through hidden variables only, ``i <-> j`` when a hidden variable reaches
both through hidden variables only.

Adjacency convention: ``A[i, j] = 1`` means ``i -> j``; bidirected edges live in a separate symmetric matrix.
"""

from __future__ import annotations

import numpy as np

from scorecause.errors import ConfigError

__all__ = ["choose_confounders", "hide_variables"]


def choose_confounders(A, k: int, rng: np.random.Generator) -> list[int] | None:
    """``k`` distinct nodes of the DAG ``A`` each with >= 2 children outside the chosen set, or None.

    Candidates (nodes with >= 2 children) are visited in a random order (``rng``); a candidate is taken when,
    with it, every chosen node keeps at least two observed children.

    >>> A = np.zeros((5, 5), int); A[0, [1, 2]] = 1; A[3, [2, 4]] = 1
    >>> sorted(choose_confounders(A, 2, np.random.default_rng(0)))
    [0, 3]
    """
    M = np.asarray(A) != 0
    chosen: list[int] = []
    for c in rng.permutation(np.flatnonzero(M.sum(axis=1) >= 2)).tolist():
        trial = chosen + [int(c)]
        observed = np.ones(M.shape[0], dtype=bool)
        observed[trial] = False
        if all(int(M[h, observed].sum()) >= 2 for h in trial):
            chosen = trial
        if len(chosen) == k:
            return sorted(chosen)
    return None


def hide_variables(ds, hidden):
    """The Dataset ``ds`` with the columns ``hidden`` (indices) dropped and its truth replaced by the latent
    projection: ``truth`` = directed part, ``meta["truth_bidirected"]`` = bidirected part (symmetric int8),
    ``meta["hidden"]`` = names of the hidden variables, ``meta["truth_full"]`` = the full DAG,
    ``meta["X_hidden"]`` = the hidden columns. Names of the observed columns are kept (``X0``, ``X2``, ...).
    """
    from scorecause.data import Dataset
    from scorecause.graph import latent_projection

    hidden = sorted(int(h) for h in hidden)
    if ds.interventions is not None or ds.environments is not None:
        raise ConfigError("hiding variables is only supported for observational data; drop n_interventional "
                          "or hide")
    D, B = latent_projection(ds.truth, hidden)
    obs = [j for j in range(ds.d) if j not in hidden]
    meta = dict(ds.meta, truth_bidirected=B, hidden=[ds.names[h] for h in hidden], truth_full=ds.truth,
                X_hidden=ds.X[:, hidden])
    return Dataset(ds.X[:, obs], [ds.names[j] for j in obs], None, None, D, meta)
