"""Bad-input corpus (issue 12): bad files and bad output paths through every command that reads or writes them.

Every case asserts three things:

* no Python traceback: commands run under click's CliRunner with ``catch_exceptions=False``, so any exception
  other than ``SystemExit`` fails the test; a refusal is exit status 1 with one ``error: ...`` line (or 2 with
  click's usage message);
* no silent wrong result: a command that succeeds returned what the file says (checked against an independent
  reading of the file);
* no file lost or replaced: every file in the working folder is hashed before and after (symlinks by target).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scorecause.cli import main
from scorecause.errors import ConfigError


def _snapshot(folder: Path) -> dict:
    """{relative path: sha256 of the content, or the link target for a symlink} of every entry under ``folder``."""
    out = {}
    for p in sorted(folder.rglob("*")):
        key = str(p.relative_to(folder))
        if p.is_symlink():
            out[key] = "link -> " + os.readlink(p)
        elif p.is_file():
            out[key] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _cli(*args):
    """Run the command in-process; an uncaught exception (a traceback) propagates and fails the test."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _refused(res, *needles) -> str:
    """Assert a clean refusal: exit 1 and one ``error:`` line (containing ``needles``), or a usage error (2)."""
    assert res.exit_code in (1, 2), res.output
    if res.exit_code == 1:
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    for s in needles:
        assert s in res.output, res.output
    return res.output


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A working folder with a valid data file, a truth graph, a prior, an existing report and graph."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    X[:, 1] += X[:, 0]
    (tmp_path / "data.csv").write_text("a,b,c\n" + "".join(",".join(f"{v:.17g}" for v in r) + "\n" for r in X))
    (tmp_path / "truth.json").write_text(json.dumps({"nodes": ["a", "b", "c"], "edges": [["a", "b"]]}))
    (tmp_path / "prior.json").write_text(json.dumps({"required": [["a", "b"]]}))
    (tmp_path / "existing.json").write_text("my old graph")
    (tmp_path / "existing.html").write_text("my old report")
    (tmp_path / "existing.csv").write_text("my old data")
    return tmp_path


# --- data safety: never the input, never an existing file without --overwrite, symlinks written through ----------
@pytest.mark.parametrize("out, extra", [
    ("data.csv", []), ("data.csv", ["--overwrite"]),               # the input itself
    ("soft.csv", ["--overwrite"]), ("hard.csv", ["--overwrite"]),  # the input through a symlink / hard link
    ("truth.json", ["--truth", "truth.json", "--overwrite"]),      # the truth graph it reads
    ("prior.json", ["--prior", "prior.json", "--overwrite"]),      # the prior it reads
])
def test_discover_never_writes_onto_its_inputs(work, out, extra):
    (work / "soft.csv").symlink_to(work / "data.csv")
    os.link(work / "data.csv", work / "hard.csv")
    before = _snapshot(work)
    _refused(_cli("discover", "data.csv", "-m", "empty", "--out", out, *extra), "refusing to write",
             "input file")
    assert _snapshot(work) == before


def test_discover_replaces_an_existing_file_only_with_overwrite(work):
    before = _snapshot(work)
    _refused(_cli("discover", "data.csv", "-m", "empty", "--out", "existing.json"), "existing.json already exists",
             "--overwrite")
    _refused(_cli("discover", "data.csv", "-m", "empty", "--out", "new.json", "--report", "existing.html"),
             "existing.html", "--overwrite")
    assert _snapshot(work) == before  # nothing written, not even new.json: the check runs before the fit
    res = _cli("discover", "data.csv", "-m", "empty", "--out", "existing.json", "--overwrite")
    assert res.exit_code == 0, res.output
    assert json.loads((work / "existing.json").read_text())["nodes"] == ["a", "b", "c"]


def test_a_symlinked_output_is_written_through_not_replaced(work):
    (work / "results").mkdir()
    (work / "results" / "g.json").write_text("old")
    (work / "link.json").symlink_to(work / "results" / "g.json")
    _refused(_cli("discover", "data.csv", "-m", "empty", "--out", "link.json"), "already exists")
    res = _cli("discover", "data.csv", "-m", "empty", "--out", "link.json", "--overwrite")
    assert res.exit_code == 0, res.output
    assert (work / "link.json").is_symlink() and os.readlink(work / "link.json") == str(work / "results" / "g.json")
    assert json.loads((work / "results" / "g.json").read_text())["nodes"] == ["a", "b", "c"]


@pytest.mark.parametrize("args, needle", [
    (["simulate", "--preset", "linear-gaussian", "-d", 3, "-n", 20, "--out", "existing.csv"], "--overwrite"),
    (["simulate", "--preset", "linear-gaussian", "-d", 3, "-n", 20, "--out", "new.csv", "--graph-out",
      "existing.json"], "--overwrite"),
    (["simulate", "--preset", "linear-gaussian", "-d", 3, "-n", 20, "--out", "data.csv"], "--overwrite"),
    (["datasets", "export", "sachs-bn17", "--out", "existing.json"], "--overwrite"),
    (["crl", "envs", "--out", "envs"], "inside the input folder"),
    (["crl", "envs", "--out", "done"], "--overwrite"),
    (["bench", "spec.yaml", "--out", "."], "not a results folder"),
    (["bench-report", "run", "--markdown", "run/results.csv"], "input file"),
    (["bench-report", "run", "--html", "existing.html"], "--overwrite"),
    (["train-amortized", "spec.yaml", "--export", "spec.yaml"], "input file"),
    (["train-amortized", "spec.yaml", "--export", "existing.json"], "--overwrite"),
])
def test_every_writing_command_keeps_existing_files(work, args, needle):
    (work / "envs").mkdir()
    for k in range(3):
        (work / "envs" / f"env{k}.csv").write_text((work / "data.csv").read_text())
    (work / "done").mkdir()
    (work / "done" / "latents.csv").write_text("an earlier result")
    (work / "spec.yaml").write_text("methods: [empty]\n")
    (work / "run").mkdir()
    (work / "run" / "results.csv").write_text("method,shd\nempty,3\n")
    before = _snapshot(work)
    _refused(_cli(*args), needle)
    assert _snapshot(work) == before


def test_simulate_and_export_overwrite_when_told(work):
    res = _cli("simulate", "--preset", "linear-gaussian", "-d", 3, "-n", 20, "--out", "existing.csv",
               "--graph-out", "existing.json", "--overwrite")
    assert res.exit_code == 0, res.output
    assert _cli("datasets", "export", "sachs-bn17", "--out", "existing.json", "--overwrite").exit_code == 0
    import scorecause.datasets as bundled

    shipped = Path(bundled.__file__).parent / "sachs-bn17.json"
    before = _snapshot(shipped.parent)
    _refused(_cli("datasets", "export", "sachs-cdt18", "--out", shipped, "--overwrite"), "inside the input folder")
    assert _snapshot(shipped.parent) == before
    from scorecause import fileio

    assert fileio._POLICY.get() is None  # the guard ends with the command (CliRunner runs many in one process)


# --- bad input files ---------------------------------------------------------------------------------------------
_BAD_DATA = {
    "dup.csv": (b"a,b,a\n1,2,3\n2,1,5\n3,3,1\n", "duplicate column names ['a']"),
    "header.csv": (b"a,b,c\n", "has no rows"),
    "empty.csv": (b"", "is empty"),
    "text.csv": (b"a,b\n1,x\n2,3\n", "not numeric"),
    "nan.csv": (b"a,b\n1,\n2,3\n4,1\n", "non-finite value"),
    "binary.csv": (bytes(range(256)) * 4, "cannot read"),
}


@pytest.mark.parametrize("name", sorted(_BAD_DATA))
@pytest.mark.parametrize("command", ["discover", "crl"])
def test_bad_data_files_give_one_line_errors(work, name, command):
    content, needle = _BAD_DATA[name]
    (work / name).write_bytes(content)
    before = _snapshot(work)
    args = ["discover", name, "-m", "empty", "--out", "g.json"] if command == "discover" else \
        ["crl", name, "--out", "crl-out"]
    _refused(_cli(*args), needle if command == "discover" or name != "binary.csv" else "")
    assert _snapshot(work) == before


def test_gzip_data_named_csv_is_read_by_content(work):
    (work / "zipped.csv").write_bytes(gzip.compress((work / "data.csv").read_bytes()))
    res = _cli("discover", "zipped.csv", "-m", "empty", "--out", "g.json")
    assert res.exit_code == 0, res.output
    from scorecause.data import Dataset

    assert np.array_equal(Dataset.from_file(work / "zipped.csv").X, Dataset.from_file(work / "data.csv").X)


@pytest.mark.parametrize("value", ["0.5", "2"])
def test_weighted_graph_cells_are_refused_or_thresholded(work, value):
    (work / "w.csv").write_text(f"cause->effect,a,b,c\na,0,{value},0\nb,0,0,1\nc,0,0,0\n")
    _refused(_cli("evaluate", "w.csv", "truth.json"), "row 'a', column 'b'", value, "--threshold")
    _refused(_cli("evaluate", "truth.json", "w.csv"), "row 'a', column 'b'")
    _refused(_cli("discover", "data.csv", "-m", "empty", "--truth", "w.csv", "--out", "g.json"), "row 'a'")
    res = _cli("evaluate", "w.csv", "truth.json", "--threshold", "0.4", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["shd"] == 1  # a -> b found, b -> c extra


def test_garbage_avici_weights_give_a_clear_error_never_unsafe_advice(work):
    pytest.importorskip("torch")
    from scorecause.amortized.estimator import AVICI

    (work / "garbage.pt").write_bytes(b"not a torch file" * 50)
    with pytest.raises(ConfigError, match="is not a scorecause weight file") as info:
        AVICI(model=str(work / "garbage.pt")).fit(np.random.default_rng(0).normal(size=(20, 3)))
    assert "weights_only" not in str(info.value) and "garbage.pt" in str(info.value)
    (work / "warm.yaml").write_text("model: {dim: 8, layers: 1}\ntrain: {steps: 2, init_from: garbage.pt}\n")
    before = _snapshot(work)
    output = _refused(_cli("train-amortized", "warm.yaml", "--out", "run"), "garbage.pt", "not a scorecause weight file")
    assert "weights_only" not in output and _snapshot(work) == before


# --- property-based: random tables and random adjacency files ---------------------------------------------------
_CELLS = st.one_of(st.floats(-1e3, 1e3, allow_nan=False).map(repr), st.integers(-5, 5).map(str),
                   st.sampled_from(["", "nan", "inf", "-inf", "x", "1,5", '"2"']))
_TABLES = st.integers(0, 4).flatmap(lambda d: st.tuples(
    st.lists(st.sampled_from(["a", "b", "c", "d", "a.1", "x y", ""]), min_size=d, max_size=d),
    st.lists(st.lists(_CELLS, min_size=d, max_size=d), min_size=0, max_size=5)))


def _expected_table(names, rows):
    """What a correct reader must give for this table: the (n, d) floats, or None when it must refuse it."""
    if len(names) < 2 or len(set(names)) != len(names) or "" in names or len(rows) < 2:
        return None
    try:
        X = np.array([[float(v) for v in r] for r in rows])
    except ValueError:
        return None
    if not np.isfinite(X).all() or (np.ptp(X, axis=0) == 0).any():
        return None
    return X


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=_TABLES)
@example(table=(["a", "b"], [["1", "2.5"], ["-3", "5"]]))  # always one valid table
@example(table=(["a", "b", "a"], [["1", "2", "3"], ["4", "5", "7"]]))
def test_random_tables_through_discover(tmp_path, table):
    names, rows = table
    folder = Path(tempfile.mkdtemp(dir=tmp_path))  # one folder per example (the fixture is shared)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    w.writerows(rows)
    data = folder / "data.csv"
    data.write_text(buf.getvalue())
    before = _snapshot(folder)
    res = _cli("discover", data, "-m", "empty", "--quiet", "--out", folder / "g.json")
    expected = _expected_table(names, rows)
    if expected is None:
        _refused(res)
    else:
        assert res.exit_code == 0, (buf.getvalue(), res.output)
        assert json.loads((folder / "g.json").read_text())["nodes"] == names
        from scorecause.data import Dataset

        assert np.array_equal(Dataset.from_file(data).X, expected)  # the values, not a renamed or shifted table
    assert all(_snapshot(folder)[k] == v for k, v in before.items())


_ADJ = st.integers(2, 4).flatmap(lambda d: st.lists(
    st.lists(st.sampled_from([0, 0, 0, 1, 1, 0.5, 2, -1, 0.25]), min_size=d, max_size=d), min_size=d, max_size=d))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=_ADJ, threshold=st.sampled_from([None, 0.3, 1.0]))
def test_random_adjacency_files_through_evaluate(tmp_path, cells, threshold):
    d = len(cells)
    names = [f"v{k}" for k in range(d)]
    W = np.array(cells, dtype=float)
    np.fill_diagonal(W, 0)
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    pred = folder / "pred.csv"
    pred.write_text("cause->effect," + ",".join(names) + "\n"
                    + "".join(f"{names[i]}," + ",".join(f"{v:g}" for v in W[i]) + "\n" for i in range(d)))
    (folder / "truth.json").write_text(json.dumps({"nodes": names, "edges": []}))
    before = _snapshot(folder)
    args = ["evaluate", pred, folder / "truth.json", "--json"]
    res = _cli(*args, *(["--threshold", threshold] if threshold is not None else []))
    # without a threshold, cells 2 / 3 placed symmetrically are a mixed graph (code A + 2 B: i <-> j)
    mixed = threshold is None and np.isin(W, (0, 1, 2, 3)).all() and np.array_equal(W >= 2, (W >= 2).T)
    if threshold is None and not np.isin(W, (0, 1)).all() and not mixed:
        _refused(res, "--threshold")
    else:
        assert res.exit_code == 0, res.output
        A = np.abs(W) > (0 if threshold is None else threshold)
        pairs = int(np.triu(A | A.T, 1).sum())  # truth is empty: each linked pair is one error (SHD)
        assert json.loads(res.output)["shd"] == pairs
    assert _snapshot(folder) == before
