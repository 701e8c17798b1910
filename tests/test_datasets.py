"""Bundled Sachs data: checksums, provenance, condition blocks, graphs, loader options."""

import gzip
import hashlib
import io
import os
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scorecause import datasets
from scorecause.datasets import (
    SACHS_CONDITIONS,
    SACHS_NODES,
    describe,
    list_datasets,
    load,
    load_graph,
    load_sachs,
)
from scorecause.errors import DataError
from scorecause.graph import is_dag

PKG = resources.files("scorecause.datasets")
CDT_NAMES = ["praf", "pmek", "plcg", "PIP2", "PIP3", "p44/42", "pakts473", "PKA", "PKC", "P38", "pjnk"]


def _edges(name):
    A, names = load_graph(name)
    return {(names[i], names[j]) for i, j in zip(*np.nonzero(A))}


def test_checksums_match_code_and_provenance():
    text = PKG.joinpath("PROVENANCE.md").read_text()
    documented = dict(re.findall(r"\| `([^`]+)` \| `([0-9a-f]{64})` \|", text))
    assert documented == datasets._CHECKSUMS
    for fname, digest in datasets._CHECKSUMS.items():
        assert hashlib.sha256(PKG.joinpath(fname).read_bytes()).hexdigest() == digest, fname
    assert len(PKG.joinpath("sachs.csv.gz").read_bytes()) < 1_000_000


def test_shipped_table_reproduces_cdt_original_bytes():
    """Dropping `condition` and restoring cdt's names gives back cyto_full_data.csv byte for byte (md5)."""
    df = pd.read_csv(io.BytesIO(gzip.decompress(PKG.joinpath("sachs.csv.gz").read_bytes())))
    orig = df.drop(columns="condition").set_axis(CDT_NAMES, axis=1)
    raw = orig.to_csv(index=False, lineterminator="\n").encode()
    assert len(raw) == 427_677
    assert hashlib.md5(raw).hexdigest() == "88215b09fb2230dc2d3c83bcb925f865"


def test_condition_blocks_and_observational_slice():
    ds = load_sachs(graph=None, observational_only=False)
    assert (ds.n, ds.d) == (7466, 11) and ds.names == SACHS_NODES
    env = ds.environments
    assert (env[:853] == "cd3cd28").all() and env[853] == "cd3cd28+icam2"
    starts = np.flatnonzero(np.r_[True, env[1:] != env[:-1]])
    assert starts.tolist() == np.cumsum([0, *SACHS_CONDITIONS.values()])[:-1].tolist()
    assert list(pd.unique(env)) == list(SACHS_CONDITIONS)
    obs = load_sachs()
    assert (obs.n, obs.d) == (853, 11) and obs.environments is None and obs.interventions is None
    np.testing.assert_array_equal(obs.X, ds.X[:853])
    assert obs.X[0].tolist() == [26.4, 13.2, 8.82, 18.3, 58.8, 6.61, 17.0, 414.0, 17.0, 44.9, 40.0]
    # the MEK inhibitor u0126 lowers Erk, psitectorigenin lowers PIP2 (sanity of the labels)
    L = np.log(ds.X)
    erk, pip2 = SACHS_NODES.index("Erk"), SACHS_NODES.index("PIP2")
    assert np.median(L[env == "cd3cd28+u0126", erk]) < np.median(L[env == "cd3cd28", erk]) - 1
    assert np.median(L[env == "cd3cd28+psitect", pip2]) < np.median(L[env == "cd3cd28", pip2]) - 1


def test_graphs_exact_edges():
    bn17, cdt18, tet20 = _edges("bn17"), _edges("cdt18"), _edges("tetrad20")
    assert (len(bn17), len(cdt18), len(tet20)) == (17, 18, 20)
    assert {("Plcg", "PIP3"), ("PKC", "PKA"), ("Erk", "Akt"), ("Raf", "Mek"), ("Mek", "Erk")} <= bn17
    assert cdt18 - bn17 == {("PIP2", "PIP3"), ("PIP2", "PKC"), ("PIP3", "Akt"), ("PIP3", "Plcg"), ("Plcg", "PKC")}
    assert bn17 - cdt18 == {("Erk", "Akt"), ("PIP3", "PIP2"), ("PKC", "PKA"), ("Plcg", "PIP3")}
    assert tet20 - bn17 == {("PIP2", "PKC"), ("PIP3", "Akt"), ("PIP3", "Plcg"), ("Plcg", "PKC")}
    assert bn17 - tet20 == {("Plcg", "PIP3")}
    assert is_dag(load_graph("bn17")[0]) and is_dag(load_graph("sachs-tetrad20")[0])
    assert not is_dag(load_graph("cdt18")[0])
    assert {("Plcg", "PIP2"), ("PIP2", "PIP3"), ("PIP3", "Plcg")} <= cdt18  # the cycle


@pytest.mark.parametrize("graph, n_edges", [("bn17", 17), ("cdt18", 18), ("tetrad20", 20), ("sachs-bn17", 17)])
def test_load_sachs_attaches_truth(graph, n_edges):
    ds = load_sachs(graph=graph)
    assert ds.truth.dtype == np.int8 and int(ds.truth.sum()) == n_edges
    assert ds.meta["graph"] == (graph if graph.startswith("sachs-") else f"sachs-{graph}")
    assert "Sachs" in ds.meta["citation"]


def test_load_sachs_log_and_interventions():
    raw = load_sachs(graph=None, observational_only=False)
    ds = load_sachs(graph="cdt18", interventions=True, log=True)  # all rows implied
    assert ds.n == 7466 and int(ds.truth.sum()) == 18
    np.testing.assert_allclose(ds.X, np.log(raw.X))
    env, mask = ds.environments, ds.interventions
    assert not mask[env == "cd3cd28"].any() and not mask[env == "cd3cd28+icam2"].any()
    for cond, target in [("cd3cd28+u0126", "Mek"), ("b2camp", "PKA"), ("pma", "PKC"), ("cd3cd28+ly", "PIP3")]:
        rows = env == cond
        expected = np.zeros(11, dtype=bool)
        expected[SACHS_NODES.index(target)] = True
        assert (mask[rows] == expected).all(), cond
    assert int(mask.any(axis=1).sum()) == 7466 - 853 - 902
    assert ds.observational().n == 853 + 902


def test_load_sachs_errors():
    with pytest.raises(DataError, match="observational_only=False"):
        load_sachs(observational_only=True, interventions=True)
    with pytest.raises(DataError, match="unknown Sachs graph 'bn18'.*bn17"):
        load_sachs(graph="bn18")


def test_corrupt_file_is_detected(monkeypatch):
    datasets._sachs_table.cache_clear()
    monkeypatch.setitem(datasets._CHECKSUMS, "sachs.csv.gz", "0" * 64)
    try:
        with pytest.raises(DataError, match="'sachs.csv.gz' is corrupt.*reinstall"):
            load_sachs()
    finally:
        datasets._sachs_table.cache_clear()
    monkeypatch.setitem(datasets._CHECKSUMS, "sachs-bn17.json", "f" * 64)
    with pytest.raises(DataError, match="corrupt"):
        load_graph("bn17")


def test_list_describe_load():
    names = list_datasets()
    assert names == ["sachs", "sachs-observational", "sachs-bn17", "sachs-cdt18", "sachs-tetrad20"]
    info = describe("sachs")
    assert info["n_rows"] == 7466 and info["conditions"]["cd3cd28"] == 853
    assert info["sha256"] == datasets._CHECKSUMS["sachs.csv.gz"]
    g = describe("sachs-cdt18")
    assert g["kind"] == "graph" and g["n_edges"] == 18 and g["acyclic"] is False
    assert describe("sachs-tetrad20")["acyclic"] is True
    assert load("sachs-observational").n == 853 and load("sachs").environments is not None
    A, nodes = load("sachs-bn17")
    assert nodes == SACHS_NODES and int(A.sum()) == 17
    with pytest.raises(DataError, match="unknown dataset 'iris'"):
        describe("iris")


def _cdt_wheel():
    env = os.environ.get("SCORECAUSE_CDT_WHEEL")
    for p in [env, "/tmp/cdt/cdt-0.6.0-py3-none-any.whl"]:
        if p and Path(p).is_file():
            return Path(p)
    return None


@pytest.mark.skipif(_cdt_wheel() is None, reason="cdt 0.6.0 wheel not available (set SCORECAUSE_CDT_WHEEL)")
def test_rebuild_from_cdt_wheel_is_byte_identical(tmp_path):
    from scorecause.datasets._build import build

    pgmpy = Path("/tmp/pgmpy/pgmpy-1.1.2-py3-none-any.whl")
    assert build(_cdt_wheel(), tmp_path, pgmpy if pgmpy.is_file() else None) == datasets._CHECKSUMS


def test_cyclic_cdt18_truth_is_accepted_but_sid_refuses_it():
    from scorecause import metrics
    from scorecause.errors import GraphError

    ds = load_sachs(graph="cdt18")
    bn17, _ = load_graph("bn17")
    assert not is_dag(ds.truth)
    res = metrics.evaluate(ds.truth, bn17)
    assert np.isnan(res["sid"]) and res["shd"] > 0
    with pytest.raises(GraphError):
        metrics.sid(ds.truth, bn17)
