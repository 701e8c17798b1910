"""Size guards (scorecause.limits): a large n takes the documented row-subsample path or stops with the fix,
tiny n / huge d give an error naming the method's limit, CRL checks its environment and row counts."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from scorecause.cli import main
from scorecause.data import Dataset
from scorecause.discovery import DAS, SCORE
from scorecause.errors import DataError
from scorecause.limits import MEMORY_BUDGET, SizeWarning, check_size


@pytest.fixture(scope="module")
def big():
    """200,000 rows x 20 variables: the n x n kernels of all rows would need about 3 TB."""
    return Dataset.from_array(np.random.default_rng(0).normal(size=(200_000, 20)))


@pytest.mark.parametrize("cls", [SCORE, DAS])
def test_default_large_n_path_subsamples_under_the_budget(big, cls):
    est = cls(random_state=1)
    with pytest.warns(SizeWarning, match="random subsample of 5000 of the 200000 rows"):
        used = check_size(est, big)
    assert (used.n, used.d) == (5000, 20)
    assert est._memory_bytes(used.n, used.d) < MEMORY_BUDGET
    with pytest.warns(SizeWarning):
        again = check_size(cls(random_state=1), big)  # seeded: the same rows again
    assert np.array_equal(used.X, again.X)


def test_200000_rows_fit_quickly_on_a_smaller_subsample(big):
    with pytest.warns(SizeWarning, match="subsample of 150 of the 200000 rows.*max_rows"):
        est = SCORE(max_rows=150, prune=False, random_state=0).fit(big)
    assert est.adjacency_.shape == (20, 20) and sorted(est.order_) == list(range(20))


def test_hours_long_run_warns_first():
    from scorecause.discovery import NoGAM

    X = Dataset.from_array(np.random.default_rng(0).normal(size=(4000, 30)))
    with pytest.warns(SizeWarning, match=r"NoGAM on 4000 rows x 30 variables may take roughly \d+ hours"):
        check_size(NoGAM(krr_rank=4000), X)  # 450 regressions of rank 4000


def test_all_rows_beyond_memory_stop_with_the_fix_before_allocating(big):
    with pytest.raises(DataError, match=r"SCORE on 200000 rows x 20 variables needs about .* GB of memory.*"
                                        r"max_rows"):
        SCORE(max_rows=None).fit(big)


def test_kernel_ci_test_on_many_rows_stops_with_its_fix(big):
    from scorecause.bench.baselines import PC

    with pytest.raises(DataError, match="PC on 200000 rows.*use indep_test='fisherz'"):
        PC(indep_test="kci").fit(big)


def test_five_rows_ten_thousand_columns():
    X = np.random.default_rng(0).normal(size=(5, 10_000))
    with pytest.raises(DataError, match="SCORE needs at least 10 rows, the data have 5"):
        SCORE().fit(X)
    from scorecause.bench.baselines import PC

    with pytest.raises(DataError, match="far beyond its reach; select at most 300 variables"):
        PC().fit(np.random.default_rng(0).normal(size=(20, 10_000)))


def test_n_not_above_d_warns_or_stops_by_method():
    from scorecause.bench.baselines import DirectLiNGAM, EmptyGraph

    X = np.random.default_rng(0).normal(size=(12, 15))
    with pytest.warns(SizeWarning, match=r"only 12 rows for 15 variables \(n <= d\)"):
        EmptyGraph().fit(X)
    with pytest.raises(DataError, match="DirectLiNGAM needs more rows than variables"):
        DirectLiNGAM().fit(X)


def test_d_beyond_reach_warns_with_the_limit():
    from scorecause.bench.baselines import EmptyGraph

    class Small(EmptyGraph):
        max_features = 4

    with pytest.warns(SizeWarning, match="built for up to about 4 variables, the data have 6"):
        Small().fit(np.random.default_rng(0).normal(size=(50, 6)))


def test_cli_tiny_table_one_line_error_and_subsample_notice(tmp_path):
    tiny = tmp_path / "tiny.csv"
    np.savetxt(tiny, np.random.default_rng(0).normal(size=(5, 300)), delimiter=",",
               header=",".join(f"x{j}" for j in range(300)), comments="")
    result = CliRunner().invoke(main, ["discover", str(tiny), "-m", "das", "-o", str(tmp_path / "g.json")])
    assert result.exit_code == 1
    assert result.output.strip() == ("error: DAS needs at least 10 rows, the data have 5 (x 300 variables); "
                                     "give more rows")
    data = tmp_path / "data.csv"
    np.savetxt(data, np.random.default_rng(0).normal(size=(400, 3)), delimiter=",", header="a,b,c", comments="")
    with pytest.warns(SizeWarning, match="random subsample of 100 of the 400 rows") as record:
        result = CliRunner().invoke(main, ["discover", str(data), "-m", "score", "--param", "max_rows=100",
                                           "-q", "-o", str(tmp_path / "g2.json")])
    assert result.exit_code == 0, result.output
    from scorecause.cli import _one_line_warning

    w = record[0]
    line = _one_line_warning(w.message, w.category, w.filename, w.lineno)
    assert line.startswith("warning: SCORE: using a random subsample") and line.count("\n") == 1


# --- CRL: environments and rows per environment ---------------------------------------------------
@pytest.mark.parametrize("name", ["lscale", "umni", "lcd", "gscale"])
def test_crl_two_environments_is_a_clear_error(name):
    from scorecause.registry import methods

    X = np.random.default_rng(0).normal(size=(200, 4))
    with pytest.raises(DataError, match=r"needs at least 3 environments .*got 2"):
        methods.create(name).fit([X, X + 1])


@pytest.mark.parametrize("name", ["lscale", "umni", "lcd"])
def test_crl_three_rows_per_environment_is_a_clear_error(name):
    from scorecause.registry import methods

    rng = np.random.default_rng(0)
    envs = [rng.normal(size=(3, 5)) for _ in range(4)]
    with pytest.raises(DataError, match=r"environment 0 has 3 rows; .* needs at least 10 rows per environment "
                                        r"for 3 latents"):
        methods.create(name).fit(envs)


def test_crl_cli_two_environments_one_line(tmp_path):
    folder = tmp_path / "envs"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for m in range(2):
        np.savetxt(folder / f"env{m}.csv", rng.normal(size=(50, 4)), delimiter=",", header="a,b,c,d",
                   comments="")
    result = CliRunner().invoke(main, ["crl", str(folder), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "LSCALE_I needs at least 3 environments" in lines[0]
