"""Bundled real data: the Sachs et al. (2005) flow-cytometry data and three of its consensus graphs.

Everything here works offline: the files ship inside the package, their sha256 is checked on every load
(see ``PROVENANCE.md`` next to this file for where they come from and how they were made).

Names (``list_datasets()``):

- ``sachs`` -- all 7,466 rows x 11 proteins, nine experimental conditions (``Dataset.environments``).
- ``sachs-observational`` -- rows 0..852, the 853-row cd3cd28 block used by SCORE-family papers.
- ``sachs-bn17``, ``sachs-cdt18``, ``sachs-tetrad20`` -- the consensus graphs. ``sachs-cdt18`` is **cyclic**
  (Plcg -> PIP2 -> PIP3 -> Plcg): it loads as ground truth, but SID (gadjid) refuses cyclic graphs.

Adjacency convention: ``A[i, j] = 1`` means ``i -> j`` (row causes column), int8.

Examples
--------
>>> from scorecause.datasets import load_sachs
>>> ds = load_sachs()                      # 853 observational rows, bn17 graph attached
>>> ds.X.shape, int(ds.truth.sum())
((853, 11), 17)

References
----------
Sachs, Perez, Pe'er, Lauffenburger, Nolan (2005). Causal protein-signaling networks derived from
multiparameter single-cell data. Science 308(5721), 523-529.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import json
from importlib import resources

import numpy as np
import pandas as pd

from scorecause.data import Dataset
from scorecause.errors import DataError

#: standard protein names, in column order
SACHS_NODES = ["Raf", "Mek", "Plcg", "PIP2", "PIP3", "Erk", "Akt", "PKA", "PKC", "P38", "Jnk"]

#: condition label -> rows in that block (file order of Sachs et al. 2005; sizes sum to 7466)
SACHS_CONDITIONS = {"cd3cd28": 853, "cd3cd28+icam2": 902, "cd3cd28+aktinhib": 911, "cd3cd28+g0076": 723,
                    "cd3cd28+psitect": 810, "cd3cd28+u0126": 799, "cd3cd28+ly": 848, "pma": 913,
                    "b2camp": 707}

#: condition -> intervened protein(s): standard file order, UNVERIFIED (see PROVENANCE.md).
#: cd3cd28 and cd3cd28+icam2 are general stimuli (no target). Inhibitors: aktinhib -> Akt, g0076 -> PKC,
#: psitect -> PIP2, u0126 -> Mek, ly (LY294002, a PI3K inhibitor) -> PIP3. Activators: pma -> PKC,
#: b2camp -> PKA.
SACHS_TARGETS = {"cd3cd28": (), "cd3cd28+icam2": (), "cd3cd28+aktinhib": ("Akt",), "cd3cd28+g0076": ("PKC",),
                 "cd3cd28+psitect": ("PIP2",), "cd3cd28+u0126": ("Mek",), "cd3cd28+ly": ("PIP3",),
                 "pma": ("PKC",), "b2camp": ("PKA",)}

SACHS_GRAPHS = ("bn17", "cdt18", "tetrad20")

#: sha256 of every shipped file; PROVENANCE.md lists the same values (a test keeps them in sync)
_CHECKSUMS = {
    "sachs.csv.gz": "11e3efe1b85d084db06dfb01de76c6eea8a107b76162768a6dda2226782bb684",
    "sachs-bn17.json": "0fac8fc5dd2643d39be304281cbe4e3251bcea8944c9d05a04639d5b4a3abf9a",
    "sachs-cdt18.json": "d190ea42f98fbe7b8d603fb66e1b5d83df7e0c9e22fdad554a9666eba17bd7ad",
    "sachs-tetrad20.json": "e24f6751e4042244e5fe4de32f6fbaaa8e78df3aa0f07940803fa19b2caf4e82",
}

_CITATION = ("Sachs K, Perez O, Pe'er D, Lauffenburger DA, Nolan GP (2005). Causal protein-signaling networks "
             "derived from multiparameter single-cell data. Science 308(5721):523-529.")

_DATA = {
    "sachs": ("data", "Sachs et al. (2005) flow cytometry: 7466 rows x 11 proteins (raw concentrations), "
                      "9 conditions as environments; load_sachs(observational_only=False)"),
    "sachs-observational": ("data", "the cd3cd28 block of Sachs (rows 0..852): 853 observational rows x 11 "
                                    "proteins; load_sachs()"),
}


def _read_bytes(fname: str) -> bytes:
    """The bytes of a shipped file, after checking its sha256 (raises DataError when corrupt or missing)."""
    try:
        blob = resources.files(__name__).joinpath(fname).read_bytes()
    except (FileNotFoundError, OSError) as exc:
        raise DataError(f"bundled file {fname!r} is missing from the scorecause installation ({exc}); "
                        "reinstall scorecause") from None
    digest = hashlib.sha256(blob).hexdigest()
    if digest != _CHECKSUMS[fname]:
        raise DataError(f"bundled file {fname!r} is corrupt: sha256 {digest} != expected {_CHECKSUMS[fname]}; "
                        "reinstall scorecause (see datasets/PROVENANCE.md)")
    return blob


@functools.lru_cache(maxsize=1)
def _sachs_table() -> pd.DataFrame:
    """The full 7466 x 12 table (11 proteins + ``condition``); cached, callers must copy."""
    df = pd.read_csv(io.BytesIO(gzip.decompress(_read_bytes("sachs.csv.gz"))))
    if list(df.columns) != [*SACHS_NODES, "condition"] or len(df) != sum(SACHS_CONDITIONS.values()):
        raise DataError(f"bundled Sachs table has an unexpected layout {df.shape}; reinstall scorecause")
    return df


def _graph_name(name: str) -> str:
    key = name if name.startswith("sachs-") else f"sachs-{name}"
    if key.removeprefix("sachs-") not in SACHS_GRAPHS:
        raise DataError(f"unknown Sachs graph {name!r}; choose one of {list(SACHS_GRAPHS)} "
                        "(or the full names sachs-bn17, sachs-cdt18, sachs-tetrad20)")
    return key


def _graph_doc(name: str) -> dict:
    key = _graph_name(name)
    return json.loads(_read_bytes(f"{key}.json"))


def load_graph(name: str) -> tuple[np.ndarray, list[str]]:
    """A bundled consensus graph as ``(A, names)``; ``A[i, j] = 1`` means ``names[i] -> names[j]`` (int8).

    Parameters
    ----------
    name : {"bn17", "cdt18", "tetrad20"} or the full name ``"sachs-bn17"`` etc.

    Notes
    -----
    ``cdt18`` contains the directed cycle Plcg -> PIP2 -> PIP3 -> Plcg.

    >>> A, names = load_graph("tetrad20")
    >>> int(A.sum()), names[0]
    (20, 'Raf')
    """
    doc = _graph_doc(name)
    nodes = list(doc["nodes"])
    index = {v: k for k, v in enumerate(nodes)}
    A = np.zeros((len(nodes), len(nodes)), dtype=np.int8)  # (d, d), A[i, j] = 1: i -> j
    for cause, effect in doc["edges"]:
        A[index[cause], index[effect]] = 1
    return A, nodes


def sachs_intervention_mask(conditions) -> np.ndarray:
    """Bool (n, 11) mask from condition labels via :data:`SACHS_TARGETS` (standard mapping, unverified).

    ``mask[r, j]`` is true when protein ``SACHS_NODES[j]`` is the target of row ``r``'s condition.
    """
    conditions = np.asarray(conditions)
    mask = np.zeros((len(conditions), len(SACHS_NODES)), dtype=bool)
    for cond, targets in SACHS_TARGETS.items():
        rows = conditions == cond
        for t in targets:
            mask[rows, SACHS_NODES.index(t)] = True
    unknown = sorted(set(conditions.tolist()) - set(SACHS_TARGETS))
    if unknown:
        raise DataError(f"unknown Sachs condition(s) {unknown}; known: {list(SACHS_TARGETS)}")
    return mask


def load_sachs(graph: str | None = "bn17", observational_only: bool | None = None, log: bool = False,
               interventions: bool = False) -> Dataset:
    """The Sachs et al. (2005) protein-signalling data as a :class:`~scorecause.data.Dataset`.

    Parameters
    ----------
    graph : {"bn17", "cdt18", "tetrad20"} or None
        Consensus graph attached as ``truth`` (``truth[i, j] = 1`` means ``i -> j``, int8). ``"cdt18"`` is
        cyclic: it is stored as is, and metrics that need a DAG (SID) refuse it. None attaches no graph.
    observational_only : bool, optional
        True: only rows 0..852, the cd3cd28 block (853 rows) that SCORE, DAS, NoGAM, DiffAN and CAM report on.
        False: all 7,466 rows with ``environments`` = the condition label of each row.
        Default: True, unless ``interventions=True``.
    log : bool
        Natural logarithm of the raw concentrations (all values are >= 1, so the log is finite).
    interventions : bool
        Attach the intervention mask from the condition -> target mapping :data:`SACHS_TARGETS`
        (standard file order of Sachs et al. 2005; **unverified**, see PROVENANCE.md). Needs all rows.

    Returns
    -------
    Dataset
        ``X`` (n, 11) float64, ``names`` = :data:`SACHS_NODES`, ``meta`` with ``source``, ``graph``,
        ``citation``.

    Examples
    --------
    >>> ds = load_sachs(graph="cdt18", observational_only=False, interventions=True, log=True)
    >>> ds.n, sorted(set(ds.environments))[:2], int(ds.interventions.any(axis=1).sum())
    (7466, ['b2camp', 'cd3cd28'], 5711)
    """
    if observational_only is None:
        observational_only = not interventions
    if observational_only and interventions:
        raise DataError("interventions=True needs the interventional rows; pass observational_only=False")
    df = _sachs_table()
    if observational_only:
        df = df.iloc[: SACHS_CONDITIONS["cd3cd28"]]
    X = df[SACHS_NODES].to_numpy(dtype=np.float64, copy=True)  # (n, 11)
    if log:
        X = np.log(X)
    conditions = df["condition"].to_numpy(dtype=object, copy=True)
    truth, gname = None, None
    if graph is not None:
        gname = _graph_name(graph)
        A, nodes = load_graph(gname)
        assert nodes == SACHS_NODES
        truth = A
    meta = {"source": "cdt 0.6.0 cdt/data/resources/cyto_full_data.csv (see scorecause/datasets/PROVENANCE.md)",
            "graph": gname, "log": log, "citation": _CITATION}
    return Dataset(
        X, list(SACHS_NODES),
        interventions=sachs_intervention_mask(conditions) if interventions else None,
        environments=None if observational_only else conditions,
        truth=truth, meta=meta,
    )


def list_datasets() -> list[str]:
    """Names of the bundled datasets and graphs (see :func:`describe`)."""
    return [*_DATA, *(f"sachs-{g}" for g in SACHS_GRAPHS)]


def describe(name: str) -> dict:
    """A dict describing a bundled dataset or graph: kind, shape or edges, source, citation, files, sha256."""
    if name in _DATA:
        kind, text = _DATA[name]
        n = sum(SACHS_CONDITIONS.values()) if name == "sachs" else SACHS_CONDITIONS["cd3cd28"]
        info = {"name": name, "kind": kind, "description": text, "n_rows": n, "n_columns": len(SACHS_NODES),
                "columns": list(SACHS_NODES), "file": "sachs.csv.gz"}
        if name == "sachs":
            info["conditions"] = dict(SACHS_CONDITIONS)
            info["targets"] = {c: list(t) for c, t in SACHS_TARGETS.items()}
            info["targets_note"] = "standard file order of Sachs et al. (2005), unverified: see PROVENANCE.md"
    elif name in list_datasets():
        doc = _graph_doc(name)
        A, _ = load_graph(name)
        from scorecause.graph import is_dag

        info = {"name": name, "kind": "graph", "description": doc["description"], "n_nodes": len(doc["nodes"]),
                "n_edges": len(doc["edges"]), "acyclic": bool(is_dag(A)), "nodes": doc["nodes"],
                "edges": [f"{a} -> {b}" for a, b in doc["edges"]], "file": f"{name}.json"}
    else:
        raise DataError(f"unknown dataset {name!r}; available: {list_datasets()}")
    info["sha256"] = _CHECKSUMS[info["file"]]
    info["citation"] = _CITATION
    return info


def load(name: str):
    """Load a bundled item by its :func:`list_datasets` name: a Dataset for data, ``(A, names)`` for a graph."""
    if name == "sachs":
        return load_sachs(observational_only=False)
    if name == "sachs-observational":
        return load_sachs(observational_only=True)
    if name in list_datasets():
        return load_graph(name)
    raise DataError(f"unknown dataset {name!r}; available: {list_datasets()}")


__all__ = ["SACHS_CONDITIONS", "SACHS_GRAPHS", "SACHS_NODES", "SACHS_TARGETS", "describe", "list_datasets",
           "load", "load_graph", "load_sachs", "sachs_intervention_mask"]
