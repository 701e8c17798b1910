"""One parameter-validation mechanism: every registered method declares its constraints once, ``fit`` checks
them, and the CLI reports the same message in one line; ``--param`` / ``--help-method``; one default."""

from __future__ import annotations

import os

import numpy as np
import pytest
from click.testing import CliRunner

from scorecause.cli import _CRL_METHODS, main
from scorecause.constraints import _satisfies, constraint_text, validate_params
from scorecause.errors import ConfigError
from scorecause.registry import methods, register

#: values tried, in turn, until one violates a parameter's constraints
BAD_CANDIDATES = (-7, "bogus-value", 2.5, None)


def _bad_value(constraints):
    for value in BAD_CANDIDATES:
        if not any(_satisfies(value, c) for c in constraints):
            return value
    raise AssertionError(f"no bad value found for {constraints}")


def _fit(est):
    X = np.random.default_rng(0).normal(size=(40, 3))
    return est.fit([X, X + 1, X - 1] if est.__class__.__name__ in _crl_classes() else X)


def _crl_classes():
    return {methods[m].__name__ for m in _CRL_METHODS}


@pytest.mark.parametrize("name", sorted(methods))
def test_every_parameter_is_declared_once(name):
    cls = methods[name]
    assert set(cls._parameter_constraints) == set(cls().get_params()), name
    validate_params(cls())  # the defaults satisfy the declared constraints


@pytest.mark.parametrize("name", sorted(methods))
def test_bad_value_of_each_parameter_raises_one_line_error_from_fit(name):
    cls = methods[name]
    for param, constraints in cls._parameter_constraints.items():
        bad = _bad_value(constraints)
        with pytest.raises(ConfigError) as info:
            _fit(cls(**{param: bad}))
        msg = str(info.value)
        assert f"{cls.__name__} parameter {param}={bad!r} is invalid: must be " in msg
        assert "\n" not in msg


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory):
    from scorecause.simulate import simulate

    path = tmp_path_factory.mktemp("params") / "data.csv"
    simulate("score-gp-er", d=5, n=300, rng=np.random.default_rng(0)).to_file(path)
    return path


@pytest.mark.parametrize("name", sorted(set(methods) - set(_CRL_METHODS)))
def test_cli_bad_value_of_each_parameter_one_line(data_csv, tmp_path, name):
    cls = methods[name]
    for param, constraints in cls._parameter_constraints.items():
        bad = _bad_value(constraints)
        text = "none" if bad is None else str(bad)
        result = CliRunner().invoke(main, ["discover", str(data_csv), "-m", name, "--param", f"{param}={text}",
                                           "-o", str(tmp_path / "g.json")])
        assert result.exit_code == 1, (param, result.output)
        assert result.output == f"error: {cls.__name__} parameter {param}={bad!r} is invalid: must be " \
            f"{constraint_text(constraints)}\n", result.output


@pytest.mark.parametrize("args, expected", [
    (["-m", "pc", "--alpha", "5"], "PC parameter alpha=5.0 is invalid: must be a float in (0, 1)"),
    (["-m", "score", "--alpha", "-1"], "SCORE parameter alpha=-1.0 is invalid: must be a float in (0, 1)"),
    (["-m", "score", "--n-jobs", "0"], "SCORE parameter n_jobs=0 is invalid"),
    (["-m", "das", "--bootstrap", "-3"], "DAS parameter n_bootstrap=-3 is invalid: must be an int >= 0"),
    (["-m", "avici", "--param", "threshold=1.5"], "AVICI parameter threshold=1.5 is invalid"),
    (["-m", "pc", "--param", "foo=1"], "method 'pc' has no parameter foo; valid: alpha, indep_test, max_k, stable"),
    (["-m", "avici", "--alpha", "0.1"], "method 'avici' has no parameter alpha"),
    (["-m", "pc", "--param", "alpha"], "must look like NAME=VALUE"),
])
def test_cli_reports_the_same_error_in_one_line(data_csv, tmp_path, args, expected):
    out = tmp_path / "g.json"
    result = CliRunner().invoke(main, ["discover", str(data_csv), *args, "-o", str(out)])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], result.output
    assert "Traceback" not in result.output and not out.exists()


def test_param_reaches_the_estimator_and_values_are_parsed(data_csv, tmp_path):
    from scorecause.graph import read_graph

    out = tmp_path / "g.json"
    result = CliRunner().invoke(main, ["discover", str(data_csv), "-m", "avici", "--param", "model=rff",
                                       "--param", "threshold=0.99", "--param", "chunk_size=none", "-q",
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    adjacency, _, probs = read_graph(out)
    assert (adjacency == (probs > 0.99)).all()  # the threshold given by --param decided the edges


def test_parse_param_types():
    from scorecause.cli import _parse_param

    assert _parse_param("a=3") == ("a", 3) and isinstance(_parse_param("a=3")[1], int)
    assert _parse_param("a=0.5") == ("a", 0.5)
    assert _parse_param("a=True") == ("a", True) and _parse_param("a=none") == ("a", None)
    assert _parse_param("a=rff") == ("a", "rff")
    assert _parse_param("gamma_grid=0.5,1,2") == ("gamma_grid", (0.5, 1, 2))


@pytest.mark.parametrize("order", [["-m", "pc", "--help-method"], ["--help-method", "-m", "pc"]])
def test_help_method_lists_parameters_defaults_constraints(order):
    result = CliRunner().invoke(main, ["discover", *order])  # no DATA, no --out needed
    assert result.exit_code == 0, result.output
    assert "alpha = 0.05  [a float in (0, 1)]" in result.output
    assert "Significance level of each CI test" in result.output
    assert "indep_test = 'fisherz'" in result.output and "max_k = None" in result.output


def test_help_method_for_a_pipeline_method_takes_shared_descriptions():
    result = CliRunner().invoke(main, ["discover", "--help-method"])  # default method: score
    assert result.exit_code == 0, result.output
    assert "alpha = 0.001  [a float in (0, 1)]" in result.output
    assert "CAM pruning p-value cutoff" in result.output  # documented once, on the base class
    assert "max_rows = 5000" in result.output


def test_cli_and_python_pc_agree(data_csv, tmp_path):
    from scorecause.bench.baselines import PC
    from scorecause.data import Dataset
    from scorecause.graph import read_graph

    out = tmp_path / "pc.csv"
    result = CliRunner().invoke(main, ["discover", str(data_csv), "-m", "pc", "-q", "-o", str(out)])
    assert result.exit_code == 0, result.output
    A_cli, _, _ = read_graph(out)
    A_py = PC().fit(Dataset.from_file(data_csv)).adjacency_
    assert np.array_equal(A_cli, A_py)
    assert PC().alpha == 0.05


# --- --n-jobs reaches the bootstrap ---------------------------------------------------------------
from scorecause.discovery.sort import VarSort  # noqa: E402


class PidRecordingVarSort(VarSort):
    """VarSort (the bootstrap path shared with DAS, SCORE, NoGAM: OrderBasedEstimator) that leaves a file named after the process of every fit (main fit and bootstrap replicates)."""

    def _fit_once(self, X, *args, **kwargs):
        open(os.path.join(os.environ["SCORECAUSE_TEST_PIDS"], str(os.getpid())), "w").close()
        return super()._fit_once(X, *args, **kwargs)


@pytest.mark.slow  # spawns two loky workers (about 15 s on 2 busy cores)
def test_cli_n_jobs_reaches_the_bootstrap(data_csv, tmp_path, monkeypatch):
    pids = tmp_path / "pids"
    pids.mkdir()
    monkeypatch.setenv("SCORECAUSE_TEST_PIDS", str(pids))
    register("pid-varsort", f"{__name__}:PidRecordingVarSort")
    result = CliRunner().invoke(main, ["discover", str(data_csv), "-m", "pid-varsort", "--bootstrap", "4",
                                       "--n-jobs", "2", "--param", "prune=false", "-q",
                                       "-o", str(tmp_path / "g.json")])
    assert result.exit_code == 0, result.output
    workers = {int(p.name) for p in pids.iterdir()} - {os.getpid()}
    assert len(workers) == 2  # the 4 replicates ran in 2 worker processes


def test_constraints_docstring_examples():
    import doctest

    import scorecause.constraints

    result = doctest.testmod(scorecause.constraints)
    assert result.failed == 0 and result.attempted > 0
