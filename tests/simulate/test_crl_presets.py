"""``scorecause simulate --preset crl-*``: environments that ``scorecause crl`` reads, without Python."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from scorecause.cli import main
from scorecause.crl.io import read_environments
from scorecause.graph import read_graph
from scorecause.metrics import shd
from scorecause.simulate.latent import CRL_PRESETS, simulate_crl


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_folder_round_trip_through_crl(tmp_path):
    envs_dir, out = tmp_path / "envs", tmp_path / "crl-out"
    res = cli("simulate", "--preset", "crl-linear", "--latents", 3, "-d", 6, "-n", 3000, "--seed", 0,
              "-o", envs_dir, "--graph-out", tmp_path / "truth.json")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in envs_dir.iterdir()) == ["env0.csv", "env1.csv", "env2.csv", "env3.csv",
                                                         "targets.json"]
    prob = simulate_crl("crl-linear", n_latents=3, d=6, n=3000, rng=np.random.default_rng(0))  # same seed
    envs, targets = read_environments(envs_dir)
    assert targets == [list(iv.targets) for iv in prob.interventions]
    assert all(np.array_equal(a.X, b.X) for a, b in zip(envs, prob.environments))  # CSV keeps every digit
    T, names, _ = read_graph(tmp_path / "truth.json")
    assert names == ["Z0", "Z1", "Z2"] and np.array_equal(T, prob.graph)

    res = cli("crl", envs_dir, "--method", "lscale", "-o", out)
    assert res.exit_code == 0, res.output
    learned = json.loads((out / "graph.json").read_text())
    assert learned["nodes"] == names  # known targets: latent Zi is the truth's node Zi
    assert shd(T, np.array(learned["adjacency"])) <= 1  # measured 1 at seed 0 (2 true edges, Gaussian scores)
    assert len((out / "latents.csv").read_text().splitlines()) == 3001


def test_one_file_with_env_column(tmp_path):
    res = cli("simulate", "--preset", "crl-multi-node", "--latents", 2, "-d", 4, "-n", 500, "-o",
              tmp_path / "envs.csv")
    assert res.exit_code == 0, res.output
    envs, targets = read_environments(tmp_path / "envs.csv")
    assert len(envs) == 3 and targets is None and all(e.n == 500 for e in envs)
    res = cli("crl", tmp_path / "envs.csv", "--method", "umni", "-o", tmp_path / "out")
    assert res.exit_code == 0, res.output


def test_unknown_targets_write_null(tmp_path):
    res = cli("simulate", "--preset", "crl-linear-soft", "--latents", 2, "-d", 3, "-n", 200, "--unknown-targets",
              "-o", tmp_path / "envs")
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "envs" / "targets.json").read_text()) is None


@pytest.mark.parametrize("args, message", [
    (["--preset", "crl-linear", "--mechanism", "gp"], "--mechanism does not apply to the CRL preset"),
    (["--preset", "crl-linear", "--n-interventional", "5"], "--n-interventional does not apply"),
    (["--preset", "linear-gaussian", "--latents", "2"], "--latents does not apply to preset 'linear-gaussian'"),
    (["--preset", "crl-linear", "--latents", "7", "-d", "4"], "needs 1 <= latents <= d"),
])
def test_options_that_do_not_apply_are_refused(tmp_path, args, message):
    res = cli("simulate", *args, "-o", tmp_path / "envs")
    assert res.exit_code == 1 and message in res.output and "Traceback" not in res.output
    assert not (tmp_path / "envs").exists()


def test_non_empty_folder_is_refused(tmp_path):
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "env9.csv").write_text("X0\n1\n")  # a stale environment would join the next crl run
    res = cli("simulate", "--preset", "crl-linear", "-d", 4, "-o", tmp_path / "envs")
    assert res.exit_code == 1 and "not an empty folder" in res.output
    assert sorted(p.name for p in (tmp_path / "envs").iterdir()) == ["env9.csv"]


def test_presets_listed():
    out = cli("simulate", "--list-presets").output
    assert all(name in out for name in CRL_PRESETS) and "score-gp-er" in out
