"""fileio: atomic single- and multi-file writes leave either the complete outputs or nothing."""

import os

import pytest

from scorecause.errors import ConfigError
from scorecause.fileio import atomic_path, atomic_paths, atomic_write_text


def test_atomic_path_keeps_old_file_on_error(tmp_path):
    target = atomic_write_text(tmp_path / "a.txt", "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer failed")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_atomic_paths_all_or_nothing_and_suffixes_kept(tmp_path):
    with atomic_paths(tmp_path / "data.csv.gz", tmp_path / "sub" / "truth.json") as (a, b):
        assert a.name.endswith(".csv.gz") and b.name.endswith(".json")  # writers pick the format by suffix
        a.write_text("x")
        b.write_text("{}")
    assert (tmp_path / "data.csv.gz").read_text() == "x" and (tmp_path / "sub" / "truth.json").exists()
    with pytest.raises(ValueError), atomic_paths(tmp_path / "new.csv", tmp_path / "data.csv.gz") as (a, b):
        a.write_text("partial")
        raise ValueError("second writer failed")
    assert not (tmp_path / "new.csv").exists() and (tmp_path / "data.csv.gz").read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv.gz", "sub"]  # no temporary leftovers
    with pytest.raises(ConfigError, match="output paths must differ"), atomic_paths(tmp_path / "x", tmp_path / "x"):
        pass


# --- the output guard: never an input, an existing file only with overwrite, symlinks written through -----------
def test_guard_refuses_inputs_through_symlinks_and_hard_links(tmp_path):
    from scorecause.fileio import guarded_outputs

    data = atomic_write_text(tmp_path / "data.csv", "a,b\n1,2\n")
    (tmp_path / "soft.csv").symlink_to(data)
    os.link(data, tmp_path / "hard.csv")
    for out in (data, tmp_path / "soft.csv", tmp_path / "hard.csv", tmp_path / "." / "data.csv"):
        with pytest.raises(ConfigError, match="it is the input file"), \
                guarded_outputs([out], inputs=[data], overwrite=True):
            pass
    folder = tmp_path / "envs"
    folder.mkdir()
    with pytest.raises(ConfigError, match="inside the input folder"), \
            guarded_outputs([folder / "latents.csv"], inputs=[folder]):
        pass
    assert data.read_text() == "a,b\n1,2\n"


def test_guard_refuses_existing_files_unless_overwrite_also_inside_library_writers(tmp_path):
    import numpy as np

    from scorecause.data import Dataset
    from scorecause.fileio import guarded_outputs

    old = atomic_write_text(tmp_path / "old.csv", "keep me")
    with pytest.raises(ConfigError, match=r"old\.csv already exists; pass --overwrite"), guarded_outputs([old]):
        pass
    ds = Dataset.from_array(np.arange(6.0).reshape(3, 2) ** [1, 2])
    with guarded_outputs([]), pytest.raises(ConfigError, match="--overwrite"):  # checked at the write, too
        ds.to_file(old)
    assert old.read_text() == "keep me"
    with guarded_outputs([old], overwrite=True):
        ds.to_file(old)
        ds.to_file(tmp_path / "new.csv")
        ds.to_file(tmp_path / "new.csv")  # a file this command wrote may be written again
    assert Dataset.from_file(old).n == 3
    ds.to_file(old)  # outside a guarded block (plain Python) files are replaced, as pandas does


def test_symlink_is_written_through_never_replaced(tmp_path):
    target = atomic_write_text(tmp_path / "real" / "g.json", "old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    atomic_write_text(link, "new")
    assert link.is_symlink() and target.read_text() == "new"
    with atomic_paths(link, tmp_path / "other.txt") as (a, b):
        assert a.parent == target.parent  # staged next to the target: the rename cannot cross file systems
        a.write_text("newer")
        b.write_text("x")
    assert link.is_symlink() and os.readlink(link) == str(target) and target.read_text() == "newer"
    assert sorted(p.name for p in target.parent.iterdir()) == ["g.json"]


_FULL_DISK = """
import resource, signal, sys
from scorecause.fileio import atomic_paths, atomic_write_bytes
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))  # the disk "fills up" after 1000 bytes
try:
    atomic_write_bytes("one.bin", b"x" * 5000)
except OSError as exc:
    print(exc)
try:
    with atomic_paths("small.txt", "big.bin") as (a, b):
        a.write_text("ok")
        b.write_bytes(b"x" * 5000)
except OSError as exc:
    print(exc)
"""


def test_write_errors_name_the_users_path_not_the_temporary_file(tmp_path):
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-c", _FULL_DISK], cwd=tmp_path, capture_output=True, text=True,
                         timeout=60)
    lines = res.stdout.splitlines()
    assert res.returncode == 0 and len(lines) == 2, res.stdout + res.stderr
    assert lines[0].endswith("File too large: 'one.bin'") and lines[1] == "File too large while writing 'small.txt', 'big.bin'"
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no temporary file left behind
    assert not (tmp_path / "small.txt").exists()  # all or nothing


def test_results_folder_check(tmp_path):
    from scorecause.fileio import check_results_folder

    check_results_folder(tmp_path / "new")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(ConfigError, match="not a results folder"):
        check_results_folder(tmp_path / "mine")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "spec.json").write_text("{}")
    check_results_folder(tmp_path / "run")
    with pytest.raises(ConfigError, match="is a file"):
        check_results_folder(tmp_path / "mine" / "thesis.tex")


def test_output_folder_that_is_a_dangling_symlink_is_written_through(tmp_path):
    """``-o link`` where ``link`` points to a folder not made yet: the folder is created behind the link."""
    from scorecause.fileio import atomic_path, atomic_paths

    (tmp_path / "link").symlink_to(tmp_path / "real")
    with atomic_paths(tmp_path / "link" / "a.csv") as (ta,):
        ta.write_text("x")
    with atomic_path(tmp_path / "link" / "b.json") as tb:
        tb.write_text("{}")
    assert (tmp_path / "link").is_symlink()
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["a.csv", "b.json"]
