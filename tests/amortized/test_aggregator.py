"""The aggregator: equivariance, any d, feature-pool training (deterministic, resumable), weights, estimator."""

import json

import numpy as np
import pytest
import torch

import scorecause.amortized.train as T
from scorecause.amortized.aggregator import (
    AggregatorConfig,
    AggregatorModel,
    Amortized,
    load_aggregator,
    ship_aggregator,
)
from scorecause.amortized.features import NODE_CHANNELS, PAIR_CHANNELS
from scorecause.errors import ConfigError

SMALL = dict(dim=16, layers=2, heads=2, key_size=8, ff_mult=2, dropout=0.1)


def _inputs(d, B=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(B, d, d, len(PAIR_CHANNELS), generator=g), torch.randn(B, d, len(NODE_CHANNELS), generator=g))


def test_permutation_equivariance_and_masked_diagonal():
    torch.manual_seed(0)
    m = AggregatorModel(AggregatorConfig(**SMALL)).eval()
    torch.nn.init.normal_(m.out.weight)                  # the head starts at zero: make the test non-trivial
    pair, node = _inputs(7)
    perm = torch.tensor([3, 0, 6, 1, 5, 2, 4])
    with torch.no_grad():
        out = m(pair, node)
        out_p = m(pair[:, perm][:, :, perm], node[:, perm])
    off = ~torch.eye(7, dtype=torch.bool)
    np.testing.assert_allclose(out_p[:, off].numpy(), out[:, perm][:, :, perm][:, off].numpy(), atol=1e-5)
    assert torch.isinf(out.diagonal(dim1=1, dim2=2)).all()
    # i -> j and j -> i are distinguished (not a symmetric score)
    assert not torch.allclose(out[:, off], out.transpose(1, 2)[:, off])


@pytest.mark.parametrize("d", [2, 5, 200])
def test_one_model_serves_every_d(d):
    m = AggregatorModel(AggregatorConfig(**{**SMALL, "layers": 1})).eval()
    with torch.no_grad():
        assert m(*_inputs(d, B=1)).shape == (1, d, d)


def _cfg(**kw):
    base = dict(presets=["linear-gaussian", "gp-gaussian"], d_values=[3, 4], n=60, n_min=40, n_int=12,
                pool_size=12, batch_cells=12, min_batch=2, steps=6, warmup=2, lr=3e-3, lr_final=3e-4,
                dual_every=2, dual_lr=0.1, dual_warmup=2, penalty_avg=0.5, val_every=3, val_sets=2, val_d=[4],
                log_every=1, ckpt_every=1, workers=0, threads=1, seed=7,
                features={"n_subset_rows": 40, "n_score_rows": 60, "coverage": 2})
    base.update(kw)
    return T.TrainConfig(**base)


def test_pool_items_depend_on_seed_and_index_only(tmp_path):
    cfg = _cfg()
    T.build_pool(cfg, tmp_path / "a", progress=False)
    T.build_pool(T.TrainConfig(**{**cfg.__dict__, "workers": 2}), tmp_path / "b", progress=False)
    for f in sorted(p.name for p in (tmp_path / "a").glob("*.npz")):
        for x, y in zip(T._read_items(tmp_path / "a" / f), T._read_items(tmp_path / "b" / f)):
            for u, v in zip(x, y):
                np.testing.assert_array_equal(u, v)
    pool = T.FeaturePool(cfg, tmp_path / "a")
    (p1, n1), g1 = pool.batch(4)
    (p2, n2), g2 = pool.batch(4)
    assert torch.equal(p1, p2) and torch.equal(g1, g2) and p1.shape[1] == g1.shape[-1]
    other = T.TrainConfig(**{**cfg.__dict__, "seed": 8})
    with pytest.raises(ConfigError, match="other settings"):
        T.build_pool(other, tmp_path / "a", progress=False)


def test_training_resumes_exactly_and_exports_a_loadable_model(tmp_path):
    mcfg = AggregatorConfig(**SMALL)
    cfg = _cfg()
    T.train(mcfg, cfg, tmp_path / "full", progress=False)
    T.train(mcfg, cfg, tmp_path / "part", progress=False, stop_after=4)
    T.train(mcfg, cfg, tmp_path / "part", progress=False, resume=True)
    a = torch.load(tmp_path / "full" / "last.pt", weights_only=True)
    b = torch.load(tmp_path / "part" / "last.pt", weights_only=True)
    for k in a["model"]:
        np.testing.assert_allclose(a["model"][k].numpy(), b["model"][k].numpy(), rtol=1e-6, atol=1e-7)
    log = [json.loads(x) for x in (tmp_path / "full" / "log.jsonl").read_text().splitlines()]
    assert any("val_auprc" in r for r in log)
    entry = ship_aggregator(tmp_path / "full" / "last.pt", "general", weights_dir=tmp_path, command="test")
    assert entry["training"]["step"] == 6 and len(entry["reference"]["edge_probs"]) == 5
    net = load_aggregator(tmp_path / "amortized-general.pt")
    assert isinstance(net, AggregatorModel) and not net.training


def test_cli_trains_the_aggregator_from_yaml(tmp_path):
    import yaml
    from click.testing import CliRunner

    from scorecause.cli import main

    spec = {"model": {"kind": "aggregator", **SMALL}, "train": {**_cfg(steps=2, val_every=0).__dict__}}
    cfg_path = tmp_path / "agg.yaml"
    cfg_path.write_text(yaml.safe_dump(spec))
    res = CliRunner().invoke(main, ["train-amortized", str(cfg_path), "--out", str(tmp_path / "run"),
                                    "--export", str(tmp_path / "w.pt")])
    assert res.exit_code == 0, res.output
    X = np.random.default_rng(0).normal(size=(100, 4))
    est = Amortized(model=str(tmp_path / "w.pt")).fit(X)
    assert est.edge_probs_.shape == (4, 4) and np.all(np.diag(est.edge_probs_) == 0)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"model": {"kind": "aggregator"}, "train": {"steps": 2}}))
    res = CliRunner().invoke(main, ["train-amortized", str(bad)])
    assert res.exit_code == 1 and "pool_size" in res.output


def test_avici_weights_are_refused_with_a_clear_message(tmp_path):
    from scorecause.amortized.estimator import WEIGHTS_DIR

    with pytest.raises(ConfigError, match="avici"):
        load_aggregator(WEIGHTS_DIR / "linear.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a torch file")
    with pytest.raises(ConfigError, match="not a scorecause weight file") as info:
        load_aggregator(junk)
    assert "weights_only=False" not in str(info.value)
