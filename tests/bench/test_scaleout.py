"""Scale-out with real estimators: Dask (embedded cluster and --scheduler) and Ray give the local backend's rows;
a SIGKILLed ``bench`` leaves no process behind; the untimed warm-up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from scorecause.bench import TIMING_COLUMNS, load_spec, run_bench
from scorecause.bench.report import metric_columns
from scorecause.bench.runner import run_cell

HELPERS = "bench._helpers"  # importable in workers: tests/ is on sys.path (pytest rootdir insertion)
TESTS_DIR = str(Path(__file__).resolve().parents[1])

#: real estimators on small data: SCORE and DAS (Stein scores + CAM pruning, whose joblib call deadlocked in a
#: forked cell process under joblib's Dask backend) and PC (causal-learn)
SPEC = {"datasets": [{"simulate": "gp-gaussian", "d": 5, "n": 200, "seeds": 1}],
        "methods": ["score", "das", "pc"], "metrics": ["shd", "f1", "precision", "recall"], "time_limit": 60}


def _comparable(df):
    cols = [c for c in df.columns if c not in TIMING_COLUMNS]
    return df[cols].sort_values("cell_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def local_rows(tmp_path_factory):
    df = run_bench(SPEC, tmp_path_factory.mktemp("local") / "out", n_jobs=1, progress=False)
    assert (df["status"] == "ok").all(), df["error"].tolist()
    assert df["shd"].notna().all() and len(df) == 3
    return df


@pytest.fixture(scope="module")
def dask_scheduler():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_dask_embedded_matches_local(local_rows, tmp_path):
    pytest.importorskip("distributed")
    df = run_bench(SPEC, tmp_path / "dask", backend="dask", n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(_comparable(local_rows), _comparable(df))
    assert metric_columns(df) == SPEC["metrics"]  # warmup_time_s is a timing column, not a metric


@pytest.mark.parametrize("isolate", ["process", "fork", "none"])
def test_dask_scheduler_matches_local(local_rows, dask_scheduler, tmp_path, isolate):
    df = run_bench(SPEC, tmp_path / "dask", backend="dask", scheduler=dask_scheduler, isolate=isolate,
                   progress=False)
    pd.testing.assert_frame_equal(_comparable(local_rows), _comparable(df))


def test_ray_matches_local(local_rows, tmp_path):
    pytest.importorskip("ray", reason="Ray is part of the 'distributed' extra: pip install -e '.[distributed]'")
    df = run_bench(SPEC, tmp_path / "ray", backend="ray", n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(_comparable(local_rows), _comparable(df))


def test_warm_up_once_per_method_and_process():
    """The first cell of a method in a process is preceded by an untimed fit (``warmup_time_s``), later ones not."""
    spec = {"datasets": [{"simulate": "linear-gaussian", "d": 3, "n": 50, "seeds": 2}],
            "methods": [{"name": f"{HELPERS}:Sleep", "params": {"seconds": 0.3}}],
            "memory_limit": "7GB"}  # a limit no other test uses: a fresh cell process
    cells = load_spec(spec).cells()
    first, second = (run_cell(c, "process") for c in cells)
    assert first["status"] == second["status"] == "ok"
    assert first["warmup_time_s"] >= 0.3 and second["warmup_time_s"] == 0.0  # the warm-up slept once
    forked = [run_cell(c, "fork") for c in cells]  # a fresh process per cell: each one warms up
    assert all(r["warmup_time_s"] >= 0.3 for r in forked)
    cold = run_cell(load_spec(dict(spec, warmup=False)).cells()[0], "fork")
    assert cold["warmup_time_s"] == 0.0 and cold["status"] == "ok"


# ------------------------------------------------------------------------------------------------
# SIGKILL of bench: its workers and cell processes exit within seconds
# ------------------------------------------------------------------------------------------------
def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat[stat.rfind(")") + 2:].split()[1])
            out.setdefault(ppid, []).append(int(entry))
    return out


def _descendants(pid: int) -> set[int]:
    children, found, todo = _children(), set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            found.add(c)
            todo.append(c)
    return found


def _start_time(pid: int) -> int | None:
    """Start time of ``pid`` (clock ticks since boot); None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    return None if fields[0] == "Z" else int(fields[19])


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc (Linux)")
@pytest.mark.parametrize("backend", ["local", pytest.param("dask", marks=pytest.mark.slow)])  # dask: ~20 s
def test_sigkill_of_bench_leaves_no_process(tmp_path, backend):
    """``kill -9`` of the driver: loky workers / LocalCluster workers and their cell processes exit within 10 s."""
    if backend == "dask":
        pytest.importorskip("distributed")
    markers = tmp_path / "started"
    markers.mkdir()
    spec = {"datasets": [{"simulate": "linear-gaussian", "d": 3, "n": 50, "seeds": 2}], "warmup": False,
            "methods": [{"name": f"{HELPERS}:Sleep", "params": {"seconds": 300, "marker_dir": str(markers)}}]}
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec))
    cmd = [sys.executable, "-m", "scorecause.cli", "bench", str(spec_path), "--out", str(tmp_path / "out"),
           "--n-jobs", "2", "--backend", backend, "--no-progress"]
    env = dict(os.environ, PYTHONPATH=TESTS_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    procs: dict[int, int | None] = {}  # pid -> start time (tells a reused pid apart)

    def alive():
        return {p for p, started in procs.items() if started is not None and _start_time(p) == started}

    try:
        deadline = time.monotonic() + 120
        while len(list(markers.iterdir())) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        cells = {int(f.name) for f in markers.iterdir()}
        assert len(cells) == 2, "the two cells did not start"
        procs.update({p: _start_time(p) for p in _descendants(proc.pid)})
        assert cells <= set(procs)
        proc.send_signal(signal.SIGKILL)  # the driver only, as `kill -9 PID` does
        proc.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and alive():
            time.sleep(0.2)
        left = {p: Path(f"/proc/{p}/cmdline").read_text().replace("\0", " ")[:80] for p in alive()}
        assert not left, f"alive 10 s after SIGKILL of bench: {left}"
    finally:
        for p in alive():  # never leave a process of this test behind, whatever happened
            os.kill(p, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
