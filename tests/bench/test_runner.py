"""The benchmark runner: grid expansion, isolation (errors, time-outs, crashes), resume after SIGKILL, backends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from scorecause.bench import load_spec, run_bench
from scorecause.bench.runner import read_parts, run_cell
from scorecause.errors import ConfigError

from ._helpers import linear_sem

HELPERS = "bench._helpers"  # importable in workers: tests/ is on sys.path (pytest rootdir insertion)
TESTS_DIR = str(Path(__file__).resolve().parents[1])


@pytest.fixture
def data_file(tmp_path):
    X, A = linear_sem(5, 300, seed=0)
    path = tmp_path / "data.csv"
    pd.DataFrame(X, columns=[f"v{j}" for j in range(5)]).to_csv(path, index=False)
    truth = tmp_path / "truth.csv"
    pd.DataFrame(A, index=[f"v{j}" for j in range(5)], columns=[f"v{j}" for j in range(5)]).to_csv(truth)
    return path, truth


def small_spec(data_file, methods, seeds=2, **extra):
    path, _ = data_file
    return {"name": "t", "datasets": [{"file": str(path), "seeds": seeds}], "methods": methods, **extra}


def test_cell_ids_are_stable_and_distinct(data_file):
    spec = small_spec(data_file, ["empty", "random", {"name": "random", "params": {"edge_prob": 0.5}}], seeds=3)
    cells = load_spec(spec).cells()
    assert len(cells) == 9 and len({c.id for c in cells}) == 9
    # a label, metric or time-limit change keeps the ids; a hyperparameter change does not
    spec2 = dict(spec, metrics=["shd"], time_limit=5)
    spec2["methods"] = ["empty", {"name": "random", "label": "rnd"}, {"name": "random", "params": {"edge_prob": 0.5}}]
    assert [c.id for c in load_spec(spec2).cells()] == [c.id for c in cells]
    spec3 = dict(spec, methods=["empty", "random", {"name": "random", "params": {"edge_prob": 0.4}}])
    assert [c.id for c in load_spec(spec3).cells()][2::3] != [c.id for c in cells][2::3]


@pytest.mark.parametrize("bad, match", [
    ({"methods": ["nope"]}, "unknown method 'nope'"),
    ({"methods": ["empty", "empty"]}, "used twice"),
    ({"datasets": [{"simulate": "x", "d": 5}]}, "needs 'n'"),
    ({"datasets": [{"file": "/no/such.csv"}]}, "does not exist"),
    ({"time_limit": -1}, "time_limit"),
    ({"memory_limit": "lots"}, "memory_limit"),
    ({"colour": "red"}, "unknown spec key"),
    ({"warmup": "yes"}, "warmup must be true or false"),
    # the whole spec is checked before any cell runs: presets, options, datasets, hyperparameters
    ({"datasets": [{"simulate": ["linear-gaussian", "linear-gausian"], "d": 5, "n": 50}]},
     r"datasets\[0\] \(simulate: linear-gausian\): unknown simulation preset 'linear-gausian'; available presets"),
    ({"datasets": [{"simulate": "linear-gaussian", "d": 5, "n": 50, "params": {"edge_per_node": 2}}]},
     r"unknown simulate option\(s\) \['edge_per_node'\]; allowed: .*edges_per_node"),
    ({"datasets": [{"real": "sachs", "params": {"graf": "bn17"}}]},
     r"datasets\[0\] \(real: sachs\): unknown load_sachs option\(s\) \['graf'\]; valid: .*graph"),
    ({"datasets": [{"real": "sachz"}]}, r"datasets\[0\]: no bundled dataset 'sachz'; available: sachs"),
    ({"methods": ["empty", {"name": "pc", "params": {"alpah": 0.01}}]},
     r"methods\[1\] \(pc\): unknown hyperparameter\(s\) \['alpah'\]; valid: alpha, indep_test, max_k, stable"),
])
def test_spec_errors_name_the_problem(data_file, bad, match):
    spec = {**small_spec(data_file, ["empty"]), **bad}
    with pytest.raises(ConfigError, match=match):
        load_spec(spec).cells()


@pytest.mark.parametrize("isolate", ["process", "fork"])
def test_failures_are_rows(data_file, tmp_path, isolate):
    methods = ["empty", f"{HELPERS}:Fail", f"{HELPERS}:Crash",
               {"name": f"{HELPERS}:Sleep", "params": {"seconds": 30}}]
    spec = small_spec(data_file, methods, seeds=1, time_limit=2)
    df = run_bench(spec, tmp_path / "out", n_jobs=2, progress=False, isolate=isolate)
    status = dict(zip(df["method_name"], df["status"]))
    assert status == {"empty": "ok", f"{HELPERS}:Fail": "error", f"{HELPERS}:Crash": "crashed",
                      f"{HELPERS}:Sleep": "timeout"}
    err = dict(zip(df["method_name"], df["error"]))
    assert "deliberate failure" in err[f"{HELPERS}:Fail"] and "signal 11" in err[f"{HELPERS}:Crash"]
    assert len(read_parts(tmp_path / "out")) == 4
    slept = df[df["status"] == "timeout"].iloc[0]
    assert 2 <= slept["total_time_s"] < 30  # killed at its 2 s limit, long before the 30 s sleep ended


def test_cell_process_replaced_after_crash_and_timeout(data_file):
    """In one worker: a crash and a time-out each kill the cell process; the next cells still run."""
    methods = [f"{HELPERS}:Crash", "empty", {"name": f"{HELPERS}:Sleep", "params": {"seconds": 30}}, "random"]
    cells = load_spec(small_spec(data_file, methods, seeds=1, time_limit=1)).cells()
    status = [run_cell(c)["status"] for c in cells]
    assert status == ["crashed", "ok", "timeout", "ok"]


def test_memory_limit(data_file):
    spec = small_spec(data_file, [{"name": f"{HELPERS}:Hog", "params": {"gigabytes": 3}}], seeds=1,
                      memory_limit="1.5GB")
    rec = run_cell(load_spec(spec).cells()[0])
    assert rec["status"] == "error" and "MemoryError" in rec["error"]


def test_bad_spec_stops_before_any_cell(data_file, tmp_path):
    """CLI: an unknown method hyperparameter is a one-line error (exit 1), and nothing is written."""
    from click.testing import CliRunner

    from scorecause.cli import main

    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(small_spec(data_file, ["empty", {"name": "score", "params": {"alfa": 1}}])))
    res = CliRunner().invoke(main, ["bench", str(spec), "--out", str(tmp_path / "out"), "--no-progress"])
    assert res.exit_code == 1
    (line,) = res.output.strip().splitlines()
    assert line.startswith("error: methods[1] (score): unknown hyperparameter(s) ['alfa']; valid: ")
    assert "alpha" in line and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


def test_refuses_to_mix_runs(data_file, tmp_path):
    spec = small_spec(data_file, ["empty"])
    run_bench(spec, tmp_path / "o", progress=False)
    with pytest.raises(ConfigError, match="--resume"):
        run_bench(spec, tmp_path / "o", progress=False)
    # resume with nothing left to do is a no-op that keeps every row
    df = run_bench(spec, tmp_path / "o", resume=True, progress=False)
    assert len(df) == 2 and (df["status"] == "ok").all()


def test_kill_midway_then_resume(data_file, tmp_path):
    """SIGKILL the whole run (driver, workers, cells) midway; --resume loses and duplicates nothing."""
    spec = small_spec(data_file, [{"name": f"{HELPERS}:Sleep", "params": {"seconds": 0.3}}, "empty"], seeds=6)
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "scorecause.cli", "bench", str(spec_path), "--out", str(out), "--n-jobs", "2",
           "--no-progress"]
    env = dict(os.environ, PYTHONPATH=TESTS_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    parts = out / "parts"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(parts.glob("*.parquet"))) < 4:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = read_parts(out)
    n_cells = len(load_spec(spec_path).cells())
    assert 4 <= len(before) < n_cells, "the kill did not land midway"
    assert proc.returncode == -signal.SIGKILL
    res = subprocess.run(cmd + ["--resume", "--csv"], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    df = pd.read_parquet(out / "results.parquet")
    assert len(df) == n_cells and df["cell_id"].is_unique
    assert set(df["cell_id"]) == {c.id for c in load_spec(spec_path).cells()}
    assert (df["status"] == "ok").all()
    assert df["index"].tolist() == list(range(n_cells))
    kept = df.set_index("cell_id").loc[before["cell_id"], "finished_at"]
    assert kept.tolist() == before["finished_at"].tolist()  # finished cells were not run again
    assert len(pd.read_csv(out / "results.csv")) == n_cells


def test_seeded_methods_reproducible(data_file, tmp_path):
    spec = small_spec(data_file, ["random"], seeds=3)
    a = run_bench(spec, tmp_path / "a", n_jobs=2, progress=False)
    b = run_bench(spec, tmp_path / "b", n_jobs=1, progress=False)
    assert a["n_edges_pred"].tolist() == b["n_edges_pred"].tolist()
    assert np.ptp(a["n_edges_pred"].to_numpy(dtype=float)) > 0  # the cell seed reaches random_state


def test_unreadable_part_runs_again(data_file, tmp_path):
    spec = small_spec(data_file, ["empty"], seeds=2)
    out = tmp_path / "o"
    run_bench(spec, out, progress=False)
    (out / "results.parquet").unlink()
    victim = sorted((out / "parts").glob("*.parquet"))[0]
    victim.write_bytes(b"not parquet")
    with pytest.warns(UserWarning, match="unreadable result part"):
        df = run_bench(spec, out, resume=True, progress=False)
    assert len(df) == 2 and df["cell_id"].is_unique and (df["status"] == "ok").all()


def test_backend_options_checked(data_file, tmp_path):
    spec = small_spec(data_file, ["empty"])
    with pytest.raises(ConfigError, match="Dask scheduler"):
        run_bench(spec, tmp_path / "o", backend="ray", scheduler="tcp://x:1", progress=False)
    with pytest.raises(ConfigError, match="unknown backend"):
        run_bench(spec, tmp_path / "o", backend="spark", progress=False)
    assert not (tmp_path / "o").exists()


def test_calibration_bins():
    from scorecause.bench.runner import calibration_bins

    truth = np.array([[0, 1], [0, 0]])
    probs = np.array([[0.0, 0.95], [0.05, 0.0]])
    b = calibration_bins(truth, probs, n_bins=10)
    assert b["count"][0] == 1 and b["count"][9] == 1 and b["positive"][9] == 1 and b["positive"][0] == 0
    assert b["psum"][9] == pytest.approx(0.95)


def test_unknown_metric_in_spec(data_file):
    with pytest.raises(ConfigError, match="unknown metric"):
        load_spec(small_spec(data_file, ["empty"], metrics=["shd", "accuracy"]))
