"""CLI foundation commands: simulate, evaluate, datasets (via click's CliRunner)."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from scorecause.cli import main
from scorecause.data import Dataset
from scorecause.graph import read_graph, write_graph


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


def _files(path):
    return sorted(p.name for p in path.iterdir())


def _one_line_error(res, *needles):
    assert res.exit_code != 0
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    for s in needles:
        assert s in lines[0], lines[0]


# --- simulate ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("data, graph", [("data.csv", "truth.json"), ("data.parquet", "truth.csv"),
                                         ("data.csv.gz", "truth.graphml"), ("data.csv", "truth.dot")])
def test_simulate_writes_data_and_truth(run, tmp_path, data, graph):
    res = run("simulate", "--preset", "linear-gaussian", "--d", 5, "--n", 100, "--seed", 3,
              "--out", data, "--graph-out", graph)
    assert res.exit_code == 0, res.output
    assert _files(tmp_path) == sorted([data, graph])  # no temporary leftovers
    ds = Dataset.from_file(tmp_path / data)
    A, names, _ = read_graph(tmp_path / graph)
    assert (ds.n, ds.d) == (100, 5) and names == ds.names == [f"X{j}" for j in range(5)]
    # same seed -> same data and graph as the library call
    from scorecause.simulate import simulate

    ref = simulate("linear-gaussian", d=5, n=100, rng=np.random.default_rng(3))
    np.testing.assert_allclose(ds.X, ref.X, rtol=0, atol=0)
    np.testing.assert_array_equal(A, ref.truth)
    assert f"{int(A.sum())} edges" in res.output


def test_simulate_interventional_rows_become_do_and_env_columns(run, tmp_path):
    res = run("simulate", "--preset", "avici-linear", "--d", 4, "--n", 50, "--n-interventional", 20,
              "--out", "d.csv")
    assert res.exit_code == 0, res.output
    ds = Dataset.from_file(tmp_path / "d.csv")
    assert ds.n == 70 and ds.interventions[50:].any(axis=1).all() and not ds.interventions[:50].any()
    assert ds.environments is not None and set(ds.environments[:50]) == {0}
    assert _files(tmp_path) == ["d.csv"]


def test_simulate_heteroscedastic_flag_reaches_the_scm(run, tmp_path):
    from scorecause.simulate import HeteroscedasticNoise, simulate

    res = run("simulate", "--preset", "linear-gaussian", "--d", 4, "--n", 60, "--seed", 2, "--heteroscedastic",
              "--out", "h.csv")
    assert res.exit_code == 0, res.output
    ref = simulate("linear-gaussian", d=4, n=60, rng=np.random.default_rng(2), heteroscedastic=True)
    assert all(isinstance(e, HeteroscedasticNoise) for e in ref.meta["scm"].noises)
    np.testing.assert_array_equal(Dataset.from_file(tmp_path / "h.csv").X, ref.X)


def test_simulate_target_count_and_unknown_targets(run, tmp_path):
    args = ("simulate", "--preset", "avici-linear", "--d", 6, "--n", 40, "--n-interventional", 30,
            "--n-targets", 2, "--seed", 1)
    assert run(*args, "--out", "known.csv").exit_code == 0
    known = Dataset.from_file(tmp_path / "known.csv")
    assert known.interventions[40:].sum(axis=0).tolist().count(15) == 2  # two targets, 15 rows each
    assert known.interventions[40:].sum() == 30 and not known.interventions[:40].any()
    res = run(*args, "--unknown-targets", "--out", "unknown.csv")
    assert res.exit_code == 0 and "targets unknown" in res.output
    unknown = Dataset.from_file(tmp_path / "unknown.csv")
    assert unknown.interventions is None  # no do() columns: the learner does not see the targets
    np.testing.assert_array_equal(unknown.X, known.X)  # same seed, same rows
    np.testing.assert_array_equal(unknown.environments, known.environments)  # env labels kept
    _one_line_error(run("simulate", "--preset", "avici-linear", "--d", 3, "--n", 10, "--n-interventional", 5,
                        "--n-targets", 4, "--out", "x.csv"), "n_targets must be in 1..d=3")


@pytest.mark.parametrize("args, needle", [
    (["--preset", "no-such-preset"], "unknown simulation preset 'no-such-preset'"),
    (["--preset", "linear-gaussian", "--d", 1], "d must be an integer >= 2"),
    (["--preset", "linear-gaussian", "--graph", "zzz"], "zzz"),
])
def test_simulate_failure_leaves_no_file(run, tmp_path, args, needle):
    res = run("simulate", *args, "--n", 20, "--out", "data.csv", "--graph-out", "truth.json")
    _one_line_error(res, needle)
    assert _files(tmp_path) == []


def test_simulate_bad_suffixes_fail_before_work(run, tmp_path):
    _one_line_error(run("simulate", "--preset", "linear-gaussian", "--out", "d.xlsx"), "'.xlsx'")
    _one_line_error(run("simulate", "--preset", "linear-gaussian", "--out", "d.csv", "--graph-out", "g.txt"),
                    "g.txt")
    assert _files(tmp_path) == []


def test_simulate_does_not_clobber_on_failure(run, tmp_path):
    (tmp_path / "data.csv").write_text("keep me\n")
    res = run("simulate", "--preset", "bogus", "--out", "data.csv")
    assert res.exit_code == 1
    assert (tmp_path / "data.csv").read_text() == "keep me\n"


def test_simulate_overrides_reach_the_library(run, tmp_path):
    res = run("simulate", "--preset", "linear-gaussian", "--d", 6, "--n", 50, "--seed", 2, "--graph", "sf",
              "--edges-per-node", 2, "--noise", "laplace", "--out", "d.csv", "--graph-out", "g.json")
    assert res.exit_code == 0, res.output
    from scorecause.simulate import simulate

    ref = simulate("linear-gaussian", d=6, n=50, rng=np.random.default_rng(2), graph="sf", edges_per_node=2.0,
                   noise="laplace")
    np.testing.assert_array_equal(Dataset.from_file(tmp_path / "d.csv").X, ref.X)
    np.testing.assert_array_equal(read_graph(tmp_path / "g.json")[0], ref.truth)


def test_simulate_same_output_paths_refused(run, tmp_path):
    _one_line_error(run("simulate", "--preset", "linear-gaussian", "--out", "x.csv", "--graph-out", "x.csv"),
                    "must differ")
    assert _files(tmp_path) == []


def test_simulate_list_presets(run):
    res = run("simulate", "--list-presets")
    assert res.exit_code == 0 and "score-gp-er" in res.output.split()


# --- evaluate ---------------------------------------------------------------------------------------------
def _chain(tmp_path):
    T = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])  # a -> b -> c
    write_graph(tmp_path / "true.json", T, ["a", "b", "c"])
    return T


def test_evaluate_table_and_json(run, tmp_path):
    _chain(tmp_path)
    P = np.array([[0, 1, 0], [0, 0, 0], [0, 1, 0]])  # a -> b <- c: one reversed edge
    write_graph(tmp_path / "pred.csv", P, ["a", "b", "c"])
    res = run("evaluate", "pred.csv", "true.json", "--metrics", "shd,shd2,f1")
    assert res.exit_code == 0, res.output
    rows = dict(line.split() for line in res.output.splitlines()[2:])
    assert rows == {"shd": "1", "shd2": "2", "f1": "0.5000"}
    res = run("evaluate", "pred.csv", "true.json", "--json")
    out = json.loads(res.output)
    assert out["shd"] == 1 and out["sid"] >= 1 and out["precision"] == 0.5


def test_evaluate_matches_nodes_by_name(run, tmp_path):
    _chain(tmp_path)
    # the same chain a -> b -> c, nodes listed in another order
    P = np.zeros((3, 3), dtype=int)
    names = ["c", "a", "b"]
    P[names.index("a"), names.index("b")] = 1
    P[names.index("b"), names.index("c")] = 1
    write_graph(tmp_path / "pred.json", P, names)
    out = json.loads(run("evaluate", "pred.json", "true.json", "--json").output)
    assert out["shd"] == 0 and out["sid"] == 0 and out["f1"] == 1


def test_evaluate_uses_edge_probabilities(run, tmp_path):
    T = _chain(tmp_path)
    probs = np.array([[0, 0.9, 0.2], [0.1, 0, 0.8], [0.05, 0.3, 0]])
    write_graph(tmp_path / "pred.json", T, ["a", "b", "c"], edge_probs=probs)
    out = json.loads(run("evaluate", "pred.json", "true.json", "--json").output)
    assert out["auroc"] == 1.0 and "ece" in out


def test_evaluate_errors(run, tmp_path):
    _chain(tmp_path)
    write_graph(tmp_path / "other.json", np.zeros((3, 3)), ["a", "b", "z"])
    _one_line_error(run("evaluate", "other.json", "true.json"), "node names differ", "'c'", "'z'")
    _one_line_error(run("evaluate", "true.json", "true.json", "--metrics", "shd,bogus"), "bogus")
    _one_line_error(run("evaluate", "missing.json", "true.json"), "missing.json")
    (tmp_path / "broken.json").write_text("{")
    _one_line_error(run("evaluate", "broken.json", "true.json"), "broken.json")


def test_evaluate_against_cyclic_sachs_truth(run, tmp_path):
    assert run("datasets", "export", "sachs-cdt18", "--out", "cdt18.json").exit_code == 0
    assert run("datasets", "export", "sachs-bn17", "--out", "bn17.csv").exit_code == 0
    res = run("evaluate", "bn17.csv", "cdt18.json", "--json")
    out = json.loads(res.output)
    assert out["sid"] is None and out["shd"] > 0  # SID undefined for a cyclic truth; SHD still works
    table = run("evaluate", "bn17.csv", "cdt18.json").output
    assert any(ln.split() == ["sid", "n/a"] for ln in table.splitlines()), table
    _one_line_error(run("evaluate", "bn17.csv", "cdt18.json", "--metrics", "sid"), "cycl")


# --- datasets ---------------------------------------------------------------------------------------------
def test_datasets_list_and_describe(run):
    res = run("datasets")
    assert res.exit_code == 0
    assert "sachs-cdt18" in res.output and "cyclic" in res.output and "7466 x 11" in res.output
    assert run("datasets", "list").output == res.output
    res = run("datasets", "describe", "sachs")
    assert "cd3cd28: 853" in res.output and "unverified" in res.output
    info = json.loads(run("datasets", "describe", "sachs-tetrad20", "--json").output)
    assert info["n_edges"] == 20 and info["acyclic"] is True
    _one_line_error(run("datasets", "describe", "iris"), "unknown dataset 'iris'")


def test_datasets_export(run, tmp_path):
    assert run("datasets", "export", "sachs-observational", "--out", "obs.parquet").exit_code == 0
    ds = Dataset.from_file(tmp_path / "obs.parquet")
    assert (ds.n, ds.d) == (853, 11) and ds.environments is None
    assert run("datasets", "export", "sachs", "--out", "all.csv.gz", "--log", "--interventions").exit_code == 0
    ds = Dataset.from_file(tmp_path / "all.csv.gz")
    assert ds.n == 7466 and ds.environments[0] == "cd3cd28" and ds.interventions.any(axis=1).sum() == 5711
    assert ds.X.max() < 10  # log scale
    assert run("datasets", "export", "sachs-bn17", "--out", "g.graphml").exit_code == 0
    A, names, _ = read_graph(tmp_path / "g.graphml")
    assert int(A.sum()) == 17 and names[0] == "Raf"
    _one_line_error(run("datasets", "export", "sachs-bn17", "--out", "g.parquet"), "g.parquet")
    _one_line_error(run("datasets", "export", "sachs-observational", "--out", "x.csv", "--interventions"),
                    "--interventions")
    assert _files(tmp_path) == ["all.csv.gz", "g.graphml", "obs.parquet"]


def test_help_and_version(run):
    for cmd in (["--help"], ["-h"], ["simulate", "--help"], ["evaluate", "--help"], ["datasets", "--help"],
                ["datasets", "list", "--help"], ["datasets", "describe", "--help"],
                ["datasets", "export", "--help"]):
        res = run(*cmd)
        assert res.exit_code == 0 and res.output.startswith("Usage: "), (cmd, res.output)
    assert "0.1.0" in run("--version").output
