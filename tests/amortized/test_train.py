"""Training loop: resume reproduces an uninterrupted run; data stream independent of worker count; CLI."""

import json

import numpy as np
import pytest
import torch

import scorecause.amortized.train as T
from scorecause.amortized.train import TrainConfig, train
from scorecause.errors import ConfigError

from .conftest import TINY, assert_close


def _cfg(**kw):
    base = dict(presets=["avici-linear"], d_values=[3, 4], n=16, n_int=4, batch_cells=12, min_batch=2,
                steps=6, warmup=2, lr=3e-3, lr_final=3e-4, dual_every=2, dual_lr=0.1, dual_warmup=2,
                penalty_avg=0.5, val_every=3, val_sets=2, val_d=[4], log_every=1, ckpt_every=1,
                workers=0, threads=1, seed=7)
    base.update(kw)
    return TrainConfig(**base)


def _state(run_dir):
    return torch.load(run_dir / "last.pt", weights_only=True)


def test_batches_are_a_function_of_seed_and_step(standin):
    cfg = _cfg()
    x1, g1 = T.make_batch(cfg, 5)
    x2, g2 = T.make_batch(cfg, 5)
    assert_close(x1, x2)
    assert_close(g1, g2)
    assert x1.shape[-1] == 2 and x1.shape[2] == g1.shape[-1]
    # d varies between steps
    assert len({T.make_batch(cfg, s)[1].shape[-1] for s in range(8)}) == 2


def test_worker_processes_give_the_same_stream(standin):
    cfg = _cfg()
    ref = [T.make_batch(cfg, s)[0] for s in range(2, 6)]
    loader = torch.utils.data.DataLoader(T.SimulatedBatches(cfg, 2, 6), batch_size=None, num_workers=2)
    got = list(loader)
    assert [s for s, _, _ in got] == [2, 3, 4, 5]
    for (_, x, _), r in zip(got, ref):
        assert_close(x, r)


def test_resume_after_interruption_reproduces_uninterrupted_training(standin, tiny_cfg, tmp_path):
    cfg = _cfg()
    full = tmp_path / "full"
    train(tiny_cfg, cfg, full, progress=False)
    part = tmp_path / "part"
    train(tiny_cfg, cfg, part, progress=False, stop_after=4)          # "interrupted" after step 4
    assert _state(part)["state"]["step"] == 4
    train(tiny_cfg, cfg, part, progress=False, resume=True)            # continue to step 6
    a, b = _state(full), _state(part)
    wall = lambda st: {k: v for k, v in st.items() if k != "wall"}    # noqa: E731  (wall time differs)
    assert wall(a["state"]) == wall(b["state"])                        # step, lambda, penalty average
    assert b["state"]["lam"] > 0                                       # the dual variable moved
    for k in a["model"]:
        assert_close(a["model"][k], b["model"][k], rtol=0, atol=0)
    for sa, sb in zip(a["optimizer"]["state"].values(), b["optimizer"]["state"].values()):
        for k in sa:
            assert_close(sa[k], sb[k], rtol=0, atol=0)
    assert a["scheduler"] == b["scheduler"]
    assert torch.equal(a["rng"], b["rng"])
    # the log of the resumed run has each step exactly once, and validation AUPRC entries
    steps = [json.loads(line)["step"] for line in (part / "log.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 7))
    logged = [json.loads(line) for line in (part / "log.jsonl").read_text().splitlines()]
    assert any("val_auprc" in r for r in logged)


@pytest.fixture
def _no_wall(monkeypatch):
    """Wall-clock time is the one thing a resume cannot reproduce: freeze it."""
    monkeypatch.setattr(T.time, "time", lambda: 0.0)


@pytest.mark.usefixtures("_no_wall")
def test_resume_state_equal_including_wall(standin, tiny_cfg, tmp_path):
    cfg = _cfg(steps=3, val_every=0)
    train(tiny_cfg, cfg, tmp_path / "a", progress=False)
    train(tiny_cfg, cfg, tmp_path / "b", progress=False, stop_after=1)
    train(tiny_cfg, cfg, tmp_path / "b", progress=False, resume=True)
    assert _state(tmp_path / "a")["state"] == _state(tmp_path / "b")["state"]


def test_training_lowers_the_loss(standin, tiny_cfg, tmp_path):
    cfg = _cfg(steps=40, d_values=[4], batch_cells=32, val_every=0, log_every=1, ckpt_every=40, lr=1e-2)
    train(tiny_cfg, cfg, tmp_path, progress=False)
    bce = [json.loads(line)["bce"] for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert np.mean(bce[-10:]) < np.mean(bce[:5])


def test_init_from_starts_at_the_given_weights(standin, tiny_cfg, tmp_path):
    train(tiny_cfg, _cfg(steps=3), tmp_path / "a", progress=False)
    first = _state(tmp_path / "a")["model"]
    cfg = _cfg(steps=1, lr=1e-9, lr_final=1e-9, warmup=0, init_from=str(tmp_path / "a" / "last.pt"))
    train(tiny_cfg, cfg, tmp_path / "b", progress=False)       # lr ~0: weights stay those of run a
    second = _state(tmp_path / "b")
    for k, v in first.items():
        assert torch.allclose(v, second["model"][k], atol=1e-6), k
    assert second["train_config"]["init_from"] == str(tmp_path / "a" / "last.pt")
    warm = second["state"]["warm_start"]                       # provenance of the first phase
    assert warm["step"] == 3 and warm["train_config"]["steps"] == 3
    sha = T.export_weights(tmp_path / "b" / "last.pt", tmp_path / "b.pt")
    info = torch.load(tmp_path / "b.pt", weights_only=True)["info"]
    assert info["warm_start"]["sha256"] == warm["sha256"] and len(sha) == 64


def test_init_from_with_another_model_size_is_refused(standin, tiny_cfg, tmp_path):
    train(tiny_cfg, _cfg(steps=1), tmp_path / "a", progress=False)
    other = T.ModelConfig(**{**tiny_cfg.to_dict(), "dim": 12})
    with pytest.raises(ConfigError, match="dim"):
        train(other, _cfg(steps=1, init_from=str(tmp_path / "a" / "last.pt")), tmp_path / "b", progress=False)


def test_lr_schedule_warms_up_and_decays():
    cfg = _cfg(steps=100, warmup=10, lr=1e-3, lr_final=1e-4)
    f = [T.lr_factor(cfg, s) for s in range(100)]
    assert f[0] < f[5] < f[9] == pytest.approx(1.0)
    assert f[-1] == pytest.approx(0.1, abs=0.01)
    assert all(a >= b for a, b in zip(f[10:], f[11:]))


def test_config_file_errors(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("model: {dim: 8}\ntrain: {stepz: 3}\n")
    with pytest.raises(ConfigError, match="stepz"):
        T.load_config(p)
    p.write_text("model: {width: 8}\n")
    with pytest.raises(ConfigError, match="width"):
        T.load_config(p)


def test_shipped_configs_parse():
    from pathlib import Path

    import scorecause.amortized as A

    for name in ("linear", "linear-continue", "rff", "rff-continue"):
        model, cfg = T.load_config(Path(A.__file__).parent / "configs" / f"{name}.yaml")
        assert model.dim > 0 and cfg.steps > 0 and cfg.presets == [f"avici-{name.split('-')[0]}"]


def test_cli_trains_resumes_and_exports(standin, tmp_path):
    from click.testing import CliRunner

    from scorecause.cli import main

    spec = {"model": TINY, "train": {**_cfg(steps=2, val_every=0).__dict__}}
    import yaml

    cfg_path = tmp_path / "tiny.yaml"
    cfg_path.write_text(yaml.safe_dump(spec))
    out = tmp_path / "run"
    res = CliRunner().invoke(main, ["train-amortized", str(cfg_path), "--out", str(out),
                                    "--export", str(tmp_path / "w.pt")])
    assert res.exit_code == 0, res.output
    assert (out / "last.pt").exists() and (tmp_path / "w.pt").exists()
    blob = torch.load(tmp_path / "w.pt", weights_only=True)
    assert set(blob) == {"state_dict", "config", "info"} and blob["info"]["step"] == 2
    res = CliRunner().invoke(main, ["train-amortized", str(cfg_path), "--out", str(out), "--resume"])
    assert res.exit_code == 0, res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: {nope: 1}\n")
    res = CliRunner().invoke(main, ["train-amortized", str(bad)])
    assert res.exit_code == 1 and "nope" in res.output


def test_cli_stop_at_then_resume_finishes_the_same_schedule(standin, tmp_path):
    import yaml
    from click.testing import CliRunner

    from scorecause.cli import main

    cfg_path = tmp_path / "tiny.yaml"
    cfg_path.write_text(yaml.safe_dump({"model": TINY, "train": {**_cfg(steps=3, val_every=0).__dict__}}))
    out = tmp_path / "run"
    res = CliRunner().invoke(main, ["train-amortized", str(cfg_path), "--out", str(out), "--stop-at", "2"])
    assert res.exit_code == 0, res.output
    assert _state(out)["state"]["step"] == 2
    res = CliRunner().invoke(main, ["train-amortized", str(cfg_path), "--out", str(out), "--resume"])
    assert res.exit_code == 0, res.output
    assert _state(out)["state"]["step"] == 3
