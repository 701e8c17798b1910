"""fileio: atomic single- and multi-file writes leave either the complete outputs or nothing."""

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
