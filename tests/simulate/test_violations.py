"""Assumption-violation presets: seeded determinism, knob off = vanilla, and each knob measured on the output."""

import numpy as np
import pytest

from scorecause.errors import ConfigError
from scorecause.simulate import PRESETS, simulate
from scorecause.simulate.violations import VIOLATIONS, simulate_violation

NAMES = [f"violation-{v}" for v in VIOLATIONS]


def _rng(seed=0):
    return np.random.default_rng(seed)


def dcor(x, y, m=800):
    """Distance correlation of the first ``m`` rows (0 iff independent, in the population)."""
    def centred(v):
        D = np.abs(v[:m, None] - v[None, :m])
        return D - D.mean(0) - D.mean(1)[:, None] + D.mean()

    a, b = centred(x), centred(y)
    return float(np.sqrt(max((a * b).mean(), 0.0) / np.sqrt((a * a).mean() * (b * b).mean())))


@pytest.mark.parametrize("preset", NAMES)
def test_registered_and_seeded_deterministic(preset):
    assert preset in PRESETS
    a = simulate(preset, d=5, n=120, rng=_rng(3))
    b = simulate(preset, d=5, n=120, rng=_rng(3))
    c = simulate(preset, d=5, n=120, rng=_rng(4))
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.truth, b.truth)
    assert not np.allclose(a.X, c.X)
    assert a.truth.shape == (5, 5) and np.isfinite(a.X).all()


@pytest.mark.parametrize("name", [v for v in VIOLATIONS if v != "vanilla"])
def test_knob_off_is_the_vanilla_data(name):
    """Same seed, knob at its 'off' value: the vanilla dataset (only the violation differs between presets)."""
    v = VIOLATIONS[name]
    base = simulate_violation("vanilla", d=6, n=150, rng=_rng(1), edges_per_node=1.5)
    off = simulate_violation(name, d=6, n=150, rng=_rng(1), edges_per_node=1.5, knob=0.0)
    np.testing.assert_array_equal(base.truth, off.truth)
    np.testing.assert_allclose(off.X, base.X, atol=1e-12, err_msg=v.knob)


def test_measurement_error_variance_ratio_measured():
    for gamma in (0.2, 1.0):
        ds = simulate_violation("measurement-error", d=5, n=4000, rng=_rng(0), knob=gamma, edges_per_node=0.0)
        clean = ds.meta["X_clean"]
        ratio = (ds.X - clean).var(axis=0) / clean.var(axis=0)
        np.testing.assert_allclose(ratio, gamma, rtol=0.1)


def test_unfaithful_cancels_the_marginal_dependence_along_the_path():
    A = np.zeros((3, 3), dtype=np.int8)
    A[0, 1] = A[1, 2] = A[0, 2] = 1  # 0 -> 1 -> 2 and 0 -> 2
    on = simulate_violation("unfaithful", d=3, n=1000, rng=_rng(0), graph=A, knob=1.0)
    off = simulate_violation("unfaithful", d=3, n=1000, rng=_rng(0), graph=A, knob=0.0)
    assert on.meta["cancelled"] == [(0, 1, 2)] and off.meta["cancelled"] == []
    np.testing.assert_array_equal(on.truth, A)  # both edges stay in the truth

    assert dcor(on.X[:, 0], on.X[:, 2]) < 0.1  # 800 rows: dcor of independent columns ~ 0.05
    assert dcor(on.X[:, 1], on.X[:, 2]) > 0.2  # the mediator still drives the child
    assert dcor(off.X[:, 0], off.X[:, 2]) > 0.2


def test_confounded_truth_is_over_the_observed_variables_only():
    A = np.zeros((4, 4), dtype=np.int8)  # no edges: any dependence comes from latent confounders
    on = simulate_violation("confounded", d=4, n=300, rng=_rng(2), graph=A, knob=1.0)
    off = simulate_violation("confounded", d=4, n=300, rng=_rng(2), graph=A, knob=0.0)
    assert on.X.shape == (300, 4) and on.truth.shape == (4, 4) and on.truth.sum() == 0
    assert len(on.meta["latent_pairs"]) == 6 and on.meta["bidirected"].sum() == 12
    assert off.meta["latent_pairs"] == [] and not off.meta["bidirected"].any()
    two_on = simulate_violation("confounded", d=2, n=1000, rng=_rng(0), graph=A[:2, :2], knob=1.0)
    two_off = simulate_violation("confounded", d=2, n=1000, rng=_rng(0), graph=A[:2, :2], knob=0.0)
    assert dcor(*two_off.X.T) < 0.1 < 0.3 < dcor(*two_on.X.T)  # measured: 0.08 vs 0.44


def test_autoregressive_knob_is_the_lag1_autocorrelation_of_sources():
    for a in (0.3, 0.8):
        ds = simulate_violation("autoregressive", d=4, n=5000, rng=_rng(0), graph=np.zeros((4, 4)), knob=a)
        r = [np.corrcoef(ds.X[1:, j], ds.X[:-1, j])[0, 1] for j in range(4)]
        np.testing.assert_allclose(np.abs(r), a, atol=0.05)
        np.testing.assert_array_equal(np.sign(r), np.sign(ds.meta["ar_coefs"]))


def test_nongaussian_knob_moves_the_noise_away_from_gaussian():
    from scipy.stats import kurtosis, skew

    def gap(knob):
        E = simulate_violation("nongaussian", d=6, n=5000, rng=_rng(0), knob=knob, edges_per_node=0.0).meta["noise"]
        return np.mean(np.abs(kurtosis(E, axis=0)) + np.abs(skew(E, axis=0)))

    assert gap(0.05) < 0.15 < 0.5 < gap(1.0)


def test_heteroscedastic_knob_makes_the_noise_scale_depend_on_the_parents():
    A = np.zeros((2, 2), dtype=np.int8)
    A[0, 1] = 1
    off = simulate_violation("heteroscedastic", d=2, n=1500, rng=_rng(0), graph=A, knob=0.0)
    on = simulate_violation("heteroscedastic", d=2, n=1500, rng=_rng(0), graph=A, knob=2.0)
    assert np.ptp(off.meta["sigma"][:, 1]) == 0
    s = on.meta["sigma"][:, 1]
    e = on.X[:, 1] - (off.X[:, 1] - off.meta["noise"][:, 1] * off.meta["sigma"][:, 1])  # X - f(X_pa)
    lo, hi = s < np.quantile(s, 0.25), s > np.quantile(s, 0.75)
    assert e[hi].var() / e[lo].var() > 3.0  # measured residual variance, high- vs low-scale rows


def test_pnl_output_bounded_by_tanh():
    ds = simulate("violation-pnl", d=6, n=1000, rng=_rng(0), pnl=1.0, edges_per_node=2.0)
    nonroot = ds.truth.any(axis=0)
    assert nonroot.any() and np.abs(ds.X[:, nonroot]).max() < 1.0
    assert np.abs(ds.X[:, ~nonroot]).max() > 1.0  # sources are left alone


def test_scale_free_graph_and_bad_knob():
    ds = simulate("violation-vanilla", d=8, n=50, rng=_rng(0), graph="sf")
    assert ds.truth.sum() == 7  # BA with m = 1: a tree
    with pytest.raises(ConfigError, match="gamma"):
        simulate("violation-measurement-error", d=4, n=50, rng=_rng(0), gamma=-1)
    with pytest.raises(ConfigError, match="allowed"):
        simulate("violation-pnl", d=4, n=50, rng=_rng(0), gamma=0.3)
    with pytest.raises(ConfigError, match="observational"):
        simulate("violation-pnl", d=4, n=50, rng=_rng(0), n_interventional=10)


def test_cli_simulate_writes_a_violation_preset(tmp_path):
    from click.testing import CliRunner

    from scorecause.cli import main
    from scorecause.graph import read_graph

    out, truth = tmp_path / "x.csv", tmp_path / "g.json"
    res = CliRunner().invoke(main, ["simulate", "--preset", "violation-confounded", "-d", "5", "-n", "80",
                                    "--graph", "sf", "-o", str(out), "--graph-out", str(truth)])
    assert res.exit_code == 0, res.output
    ds = simulate("violation-confounded", d=5, n=80, rng=_rng(0), graph="sf")
    np.testing.assert_array_equal(read_graph(truth)[0], ds.truth)


def test_unfaithful_node_both_mediator_and_cancelled_child():
    """A node can carry p1's effect for one triplet and be the child of another (seed 1, d = 20 found this)."""
    ds = simulate("violation-unfaithful", d=20, n=60, rng=_rng(1))
    kids = {c for _, _, c in ds.meta["cancelled"]}
    mediators = {b for _, b, _ in ds.meta["cancelled"]}
    assert kids & mediators and np.isfinite(ds.X).all()
