"""`scorecause discover --method NAME` reaches every single-table method of the registry."""

import numpy as np
import pytest
from click.testing import CliRunner

from scorecause.cli import main
from scorecause.graph import read_graph
from scorecause.simulate import simulate


@pytest.fixture
def data_file(tmp_path):
    ds = simulate("linear-gaussian", d=5, n=300, rng=np.random.default_rng(3))
    path = tmp_path / "data.csv"
    ds.to_file(path)
    return path


@pytest.mark.parametrize("method", ["avici", "pc", "varsort"])
def test_discover_runs_registry_methods(tmp_path, data_file, method):
    out = tmp_path / f"{method}.json"
    result = CliRunner().invoke(main, ["discover", str(data_file), "--method", method, "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    A, names, _ = read_graph(out)
    assert names == [f"X{j}" for j in range(5)] and A.shape == (5, 5)


def test_discover_rejects_unknown_and_crl_methods(tmp_path, data_file):
    for method in ("nope", "lscale"):
        result = CliRunner().invoke(main, ["discover", str(data_file), "--method", method,
                                           "--out", str(tmp_path / "g.json")])
        assert result.exit_code != 0 and "unknown method" in result.output
        assert not (tmp_path / "g.json").exists()


def test_bootstrap_refused_for_methods_without_it(tmp_path, data_file):
    result = CliRunner().invoke(main, ["discover", str(data_file), "--method", "pc", "--bootstrap", "3",
                                       "--out", str(tmp_path / "g.json")])
    assert result.exit_code == 1 and "no bootstrap option" in result.output


def test_discover_keeps_interventions_for_avici(tmp_path):
    ds = simulate("avici-linear", d=5, n=200, rng=np.random.default_rng(4), n_interventional=100)
    path = tmp_path / "int.csv"
    ds.to_file(path)
    result = CliRunner().invoke(main, ["discover", str(path), "--method", "avici", "--out",
                                       str(tmp_path / "g.json"), "-q"])
    assert result.exit_code == 0, result.output
    assert "observational rows only" not in result.output
