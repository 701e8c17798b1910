"""Presets and simulate(): determinism, paper settings, interventional rows, overrides, errors."""

import numpy as np
import pytest

from scorecause.data import Dataset
from scorecause.errors import ConfigError
from scorecause.graph import is_dag
from scorecause.simulate import PRESETS, RFF, AdditiveNoiseSCM, HeteroscedasticNoise, Linear, simulate

REQUIRED = ["score-gp-er", "score-gp-sf", "avici-linear", "avici-rff", "avici-linear-ood", "avici-rff-ood",
            "linear-gaussian", "gp-gaussian", "nonlinear"]


def test_required_presets_exist():
    assert set(REQUIRED) <= set(PRESETS)


@pytest.mark.parametrize("preset", sorted(p for p in PRESETS if "violation" not in PRESETS[p]))
def test_every_preset_is_deterministic_per_seed(preset):  # violation-* presets: tests/simulate/test_violations.py
    a = simulate(preset, d=6, n=60, rng=np.random.default_rng(11), n_interventional=12)
    b = simulate(preset, d=6, n=60, rng=np.random.default_rng(11), n_interventional=12)
    c = simulate(preset, d=6, n=60, rng=np.random.default_rng(12), n_interventional=12)
    assert isinstance(a, Dataset) and a.X.shape == (72, 6)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.truth, b.truth)
    np.testing.assert_array_equal(a.interventions, b.interventions)
    assert not np.array_equal(a.X, c.X)
    assert is_dag(a.truth) and a.truth.dtype == np.int8
    assert isinstance(a.meta["scm"], AdditiveNoiseSCM) and a.meta["preset"] == preset
    np.testing.assert_array_equal(a.meta["scm"].graph, a.truth)


def test_observational_dataset_has_no_mask_and_analytic_scores():
    ds = simulate("score-gp-er", d=5, n=150, rng=np.random.default_rng(0))
    assert ds.interventions is None and ds.environments is None and ds.meta["targets"] == []
    S = ds.meta["scm"].score(ds.X)
    assert S.shape == (150, 5) and np.isfinite(S).all()
    assert ds.names == ["X0", "X1", "X2", "X3", "X4"]


def test_score_presets_follow_the_paper():
    ds = simulate("score-gp-er", d=8, n=100, rng=np.random.default_rng(0))
    scm = ds.meta["scm"]
    for j in range(8):
        assert scm.noises[j].name == "gaussian" and scm.noises[j].scale == 1.0
        m = scm.mechanisms[j]
        assert m.kind == ("constant" if scm.parents[j].size == 0 else "gp")
        if m.kind == "gp":
            assert m.length_scale == 1.0 and m.output_scale == 1.0
    sf = simulate("score-gp-sf", d=12, n=50, rng=np.random.default_rng(0))
    assert sf.truth.sum() == 11  # Barabasi-Albert with m = 1: a tree
    dense = simulate("score-gp-er", d=8, n=50, rng=np.random.default_rng(0), edges_per_node=4)
    assert dense.meta["config"]["graph"]["edges_per_node"] == 4


def _linear_weights(scm):
    return np.concatenate([m.w for m in scm.mechanisms if isinstance(m, Linear)])


def test_avici_training_settings():
    for seed in range(6):
        ds = simulate("avici-linear", d=12, n=40, rng=np.random.default_rng(seed))
        scm = ds.meta["scm"]
        w = np.abs(_linear_weights(scm))
        assert w.size == 0 or (w.min() >= 1 and w.max() <= 3)
        assert all(-3 <= m.bias <= 3 for m in scm.mechanisms)
        assert all(nz.name == "gaussian" and 0.2 <= nz.scale <= 2.0 for nz in scm.noises)
        g = ds.meta["config"]["graph"]
        assert g["kind"] in ("er", "sf", "sf-in") and g["edges_per_node"] in (1, 2, 3)
        rff = simulate("avici-rff", d=12, n=40, rng=np.random.default_rng(seed)).meta["scm"]
        for m in rff.mechanisms:
            assert isinstance(m, RFF) and m.omega.shape[1] == 100
            assert 7 <= m.length_scale <= 10 and 10 <= m.output_scale <= 20


def test_avici_ood_settings():
    kinds = set()
    for seed in range(12):
        ds = simulate("avici-linear-ood", d=30, n=40, rng=np.random.default_rng(seed), n_interventional=30)
        scm = ds.meta["scm"]
        kinds.add(ds.meta["config"]["graph"]["kind"])
        w = np.abs(_linear_weights(scm))
        lo, hi = ds.meta["config"]["mechanism"]["weight_range"]
        assert (lo, hi) in ((0.5, 2.0), (2.0, 4.0)) and w.min() >= lo and w.max() <= hi
        for nz in scm.noises:
            assert isinstance(nz, HeteroscedasticNoise) and nz.base.name in ("laplace", "cauchy")
            assert nz.h.length_scale == 10.0 and nz.h.output_scale == 2.0
        assert len(ds.meta["targets"]) == 15  # 15 of 30 nodes
        vals = np.abs(ds.X[ds.interventions])
        assert vals.min() >= 1 and vals.max() <= 5  # +-U(1, 5)
        rff = simulate("avici-rff-ood", d=10, n=20, rng=np.random.default_rng(seed)).meta["scm"]
        m = rff.mechanisms[0]
        assert (5 <= m.length_scale <= 8 or 8 <= m.length_scale <= 12)
        assert (8 <= m.output_scale <= 12 or 18 <= m.output_scale <= 22)
    assert kinds == {"sf", "ws", "sbm", "geo"}


def test_interventional_rows():
    ds = simulate("avici-rff", d=5, n=100, rng=np.random.default_rng(0), n_interventional=52)
    assert ds.n == 152 and not ds.interventions[:100].any()
    assert (ds.interventions[100:].sum(axis=1) == 1).all()
    assert (ds.interventions[100:].sum(axis=0) >= 10).all()  # all 5 nodes targeted, balanced
    np.testing.assert_array_equal(ds.environments[:100], 0)
    np.testing.assert_array_equal(ds.environments[100:], ds.interventions[100:].argmax(axis=1) + 1)
    assert ds.meta["targets"] == [0, 1, 2, 3, 4]
    unknown = simulate("avici-rff", d=5, n=100, rng=np.random.default_rng(0), n_interventional=52,
                       known_targets=False)
    assert unknown.interventions is None and unknown.environments is not None
    np.testing.assert_array_equal(unknown.X, ds.X)


def test_overrides():
    ds = simulate("linear-gaussian", d=8, n=50, rng=np.random.default_rng(0), graph="sf-in", edges_per_node=2,
                  mechanism="mlp", noise="laplace", heteroscedastic=True, noise_scale=0.3)
    cfg = ds.meta["config"]
    assert cfg["graph"] == {"kind": "sf-in", "edges_per_node": 2.0}
    assert cfg["mechanism"]["kind"] == "mlp"
    scm = ds.meta["scm"]
    assert all(isinstance(nz, HeteroscedasticNoise) and nz.base.name == "laplace" and nz.scale == 0.3
               for nz in scm.noises)
    ds2 = simulate("avici-rff", d=4, n=30, rng=np.random.default_rng(0),
                   mechanism_params={"length_scale": 2.0, "output_scale": 1.0})
    assert all(m.length_scale == 2.0 for m in ds2.meta["scm"].mechanisms)


def test_bad_input_messages():
    rng = np.random.default_rng(0)
    with pytest.raises(ConfigError, match=r"unknown simulation preset 'nope'; available presets: .*avici-linear"):
        simulate("nope", d=5, n=10, rng=rng)
    with pytest.raises(ConfigError, match="d must be an integer >= 2"):
        simulate("linear-gaussian", d=1, n=10, rng=rng)
    with pytest.raises(ConfigError, match="n must be an integer >= 1"):
        simulate("linear-gaussian", d=3, n=0, rng=rng)
    with pytest.raises(ConfigError, match="n_interventional must be an integer >= 0"):
        simulate("linear-gaussian", d=3, n=5, rng=rng, n_interventional=-1)
    with pytest.raises(ConfigError, match=r"unknown simulate option\(s\) \['colour'\]; allowed"):
        simulate("linear-gaussian", d=3, n=5, rng=rng, colour="red")
    with pytest.raises(ConfigError, match="numpy.random.Generator"):
        simulate("linear-gaussian", d=3, n=5, rng=0)
    with pytest.raises(ConfigError, match="unknown graph kind 'zzz'"):
        simulate("linear-gaussian", d=3, n=5, rng=rng, graph="zzz")
    with pytest.raises(ConfigError, match="n_targets must be in 1..d=3"):
        simulate("linear-gaussian", d=3, n=5, rng=rng, n_interventional=4, n_targets=7)
