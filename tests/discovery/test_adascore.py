"""AdaScore (issue 14): output type by identifiability, hidden confounders, mixed graphs in files, metrics, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from scorecause.cli import main
from scorecause.discovery.adascore import AdaScore, gaussian_cpdag, score_residual_error
from scorecause.errors import ConfigError, GraphError
from scorecause.graph import dag_to_cpdag, latent_projection, read_graph, read_mixed_graph, write_graph
from scorecause.metrics import bidirected_f1, evaluate, shd
from scorecause.registry import methods
from scorecause.simulate import simulate


def _collider(n, rng):
    a, c = rng.normal(size=n), rng.normal(size=n)
    return np.c_[a, a + c + rng.normal(size=n), c, 0.8 * c + rng.normal(size=n)]  # a -> b <- c -> e


def test_registered_with_constraints():
    assert methods["adascore"] is AdaScore
    with pytest.raises(ConfigError, match="delta_confounded"):
        AdaScore(delta_confounded=2.0).fit(np.random.default_rng(0).normal(size=(50, 2)))


def test_linear_gaussian_gives_the_cpdag():
    X = _collider(800, np.random.default_rng(0))
    est = AdaScore().fit(X)
    assert est.graph_type_ == "cpdag" and "linear-Gaussian" in est.graph_type_reason_
    assert est.regime_p_value_ > 0.05 and est.order_ is None
    truth = np.zeros((4, 4), int)
    truth[0, 1] = truth[2, 1] = truth[2, 3] = 1
    # the v-structure a -> b <- c is compelled, and so is c -> e (Meek R1): the CPDAG is the DAG itself
    assert est.adjacency_.tolist() == dag_to_cpdag(truth).tolist()
    assert not est.bidirected_.any()


def test_gaussian_cpdag_chain_is_undirected():
    rng = np.random.default_rng(1)
    a = rng.normal(size=1000)
    b = a + rng.normal(size=1000)
    c = b + rng.normal(size=1000)
    C, order = gaussian_cpdag(np.c_[a, b, c])
    assert C.tolist() == [[0, 1, 0], [1, 0, 1], [0, 1, 0]] and sorted(order) == [0, 1, 2]


def test_nonlinear_anm_gives_a_dag():
    rng = np.random.default_rng(0)
    a = rng.uniform(-2, 2, 300)
    b = np.sin(2 * a) + 0.3 * rng.normal(size=300)
    c = b**2 + 0.3 * rng.normal(size=300)
    est = AdaScore().fit(np.c_[c, a, b])
    assert est.graph_type_ == "dag" and est.regime_p_value_ <= 0.05
    assert est.adjacency_.tolist() == [[0, 0, 0], [0, 0, 1], [1, 0, 0]]  # a -> b -> c
    assert est.order_ == [1, 2, 0]


def test_hidden_confounder_gives_a_bidirected_edge():
    rng = np.random.default_rng(0)
    n = 500
    u = rng.uniform(0, 2, n)  # hidden
    x = np.sin(2 * u) + 0.2 * rng.normal(size=n)
    y = u**2 + 0.6 * rng.normal(size=n)
    z = np.tanh(y) + 0.2 * rng.normal(size=n)  # y -> z, unconfounded
    est = AdaScore(regime="identifiable").fit(np.c_[x, y, z])
    assert est.graph_type_ == "mixed"
    assert est.bidirected_.tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 0]]  # x <-> y
    assert est.adjacency_[1, 2] == 1 and est.adjacency_[:, :2].sum() == 0  # y -> z kept, nothing into x, y


def test_score_residual_error_separates_sinks_confounded_and_nonsinks():
    rng = np.random.default_rng(0)
    n = 400
    u = rng.uniform(0, 2, n)  # hidden
    x = np.sin(2 * u) + 0.2 * rng.normal(size=n)
    y = u**2 + 0.6 * rng.normal(size=n)
    a = rng.uniform(-2, 2, n)
    b = np.sin(2 * a) + 0.3 * rng.normal(size=n)
    Z = np.c_[x, y, a, b]
    Z = (Z - Z.mean(0)) / Z.std(0)
    sink, confounded, nonsink = (score_residual_error(Z, 3, [2]), score_residual_error(Z, 0, [1]),
                                 score_residual_error(Z, 2, [3]))
    assert sink < 0.1 < 0.2 < confounded < 0.6 < nonsink


# --- mixed-graph convention: projection, files, metrics ----------------------------------------------------------
def test_latent_projection_by_hand():
    # h0 -> a, h0 -> h1 -> b, c -> h1, a -> c ; hide h0, h1  (indices: a 0, b 1, c 2, h0 3, h1 4)
    A = np.zeros((5, 5), int)
    A[3, 0] = A[3, 4] = A[4, 1] = A[2, 4] = A[0, 2] = 1
    D, B = latent_projection(A, [3, 4])
    assert D.tolist() == [[0, 0, 1], [0, 0, 0], [0, 1, 0]]  # a -> c kept, c -> h1 -> b becomes c -> b
    assert B.tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 0]]  # h0 reaches a and (via h1) b: a <-> b


def test_simulate_hide_picks_confounders_and_projects():
    ds = simulate("gp-gaussian", d=10, n=50, rng=np.random.default_rng(3), hide=2)
    full = ds.meta["truth_full"]
    hidden = [int(h[1:]) for h in ds.meta["hidden"]]
    assert ds.X.shape == (50, 8) and len(ds.names) == 8
    for h in hidden:  # each hidden variable has >= 2 observed children
        assert sum(full[h, j] for j in range(10) if j not in hidden) >= 2
    D, B = latent_projection(full, hidden)
    assert np.array_equal(ds.truth, D) and np.array_equal(ds.meta["truth_bidirected"], B) and B.any()
    again = simulate("gp-gaussian", d=10, n=50, rng=np.random.default_rng(3), hide=2)
    assert np.array_equal(again.X, ds.X)  # seeded
    with pytest.raises(ConfigError, match="hide fewer"):
        simulate("gp-gaussian", d=3, n=20, rng=np.random.default_rng(0), hide=3)


@pytest.mark.parametrize("suffix", [".csv", ".json", ".graphml", ".dot"])
def test_mixed_graph_file_round_trip(tmp_path, suffix):
    A = np.zeros((4, 4), np.int8)
    A[0, 1] = 1  # a -> b
    A[2, 3] = A[3, 2] = 1  # c - d (undirected)
    B = np.zeros((4, 4), np.int8)
    B[0, 1] = B[1, 0] = 1  # a <-> b as well (a bow)
    B[1, 2] = B[2, 1] = 1  # b <-> c
    path = tmp_path / f"g{suffix}"
    write_graph(path, A, ["a", "b", "c", "d"], bidirected=B)
    A2, B2, names, _ = read_mixed_graph(path)
    assert names == ["a", "b", "c", "d"] and A2.tolist() == A.tolist() and B2.tolist() == B.tolist()
    with pytest.raises(GraphError, match="read_mixed_graph"):  # never silently drop the bidirected edges
        read_graph(path)
    write_graph(tmp_path / f"plain{suffix}", A)  # a plain graph reads back with no bidirected edge
    assert not read_mixed_graph(tmp_path / f"plain{suffix}")[1].any()


def test_mixed_shd_and_bidirected_f1_by_hand():
    T = np.zeros((3, 3), int)
    T[0, 1] = 1  # 0 -> 1
    Bt = np.zeros((3, 3), int)
    Bt[1, 2] = Bt[2, 1] = 1  # 1 <-> 2
    # prediction: 0 <-> 1 (state differs: 1), 1 <-> 2 (same: 0), 0 -> 2 (extra: 1)
    P = np.zeros((3, 3), int)
    P[0, 2] = 1
    Bp = np.zeros((3, 3), int)
    Bp[0, 1] = Bp[1, 0] = Bp[1, 2] = Bp[2, 1] = 1
    assert shd(T, P, true_bidirected=Bt, pred_bidirected=Bp) == 2
    assert shd(T, T, true_bidirected=Bt, pred_bidirected=None) == 1  # the missing 1 <-> 2
    bow = T.copy()  # 0 -> 1 plus 0 <-> 1 against plain 0 -> 1: a different state, cost 1
    assert shd(T, bow, pred_bidirected=[[0, 1, 0], [1, 0, 0], [0, 0, 0]]) == 1
    assert shd(T, T.T, true_bidirected=Bt, pred_bidirected=Bt) == 1  # a pure reversal still costs 1
    assert bidirected_f1(Bt, Bp) == {"precision": 0.5, "recall": 1.0, "f1": 2 / 3}
    res = evaluate(T, P, true_bidirected=Bt, pred_bidirected=Bp)
    assert res["shd"] == 2 and res["bidirected_f1"] == pytest.approx(2 / 3) and np.isnan(res["sid"])
    with pytest.raises(ConfigError, match="bidirected"):
        evaluate(T, P, metrics=["bidirected_f1"])


# --- command line -------------------------------------------------------------------------------------------------
def test_cli_simulate_hide_and_discover_adascore(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = CliRunner()
    res = run.invoke(main, ["simulate", "--preset", "gp-gaussian", "-d", "6", "-n", "150", "--hide", "1",
                            "--seed", "2", "-o", "data.csv", "--graph-out", "truth.json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "bidirected" in res.output and "hidden: X" in res.output
    doc = json.loads((tmp_path / "truth.json").read_text())
    assert len(doc["nodes"]) == 5 and any(e.get("type") == "bidirected" for e in doc["edges"])
    res = run.invoke(main, ["discover", "data.csv", "--method", "adascore", "--truth", "truth.json", "-o", "g.json",
                            "--report", "r.html"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "[dag:" in res.output or "[mixed:" in res.output or "[cpdag:" in res.output
    A, B, names, _ = read_mixed_graph(tmp_path / "g.json")
    assert names == doc["nodes"]
    page = (tmp_path / "r.html").read_text()
    assert "Graph type:" in page and "alt=\"true mixed graph\"" in page and "bidirected_f1" in page
    res = run.invoke(main, ["evaluate", "g.json", "truth.json", "--json"], catch_exceptions=False)
    assert res.exit_code == 0 and "bidirected_f1" in json.loads(res.output)
