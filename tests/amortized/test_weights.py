"""Shipped weights: size, checksums, safe loading, and a stored reference prediction reproduced."""

import numpy as np
import pytest
import torch

from scorecause.amortized.estimator import (
    SHIPPED,
    WEIGHTS_DIR,
    load_weights,
    predict_edge_probs,
    read_manifest,
    reference_input,
    sha256_file,
    ship_weights,
)
from scorecause.errors import ConfigError


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_weights_checksum_size_and_reference_prediction(name):
    entry = read_manifest()[name]
    path = WEIGHTS_DIR / entry["file"]
    assert path.stat().st_size <= 10 * 2**20 and path.stat().st_size == entry["bytes"]
    assert sha256_file(path) == entry["sha256"]
    blob = torch.load(path, weights_only=True)                      # plain tensors + plain-type config
    assert set(blob) == {"state_dict", "config", "info"}
    ref = entry["reference"]
    net = load_weights(name)
    P = predict_edge_probs(net, reference_input(ref["seed"], ref["n"], ref["d"]), chunk_size=None)
    np.testing.assert_allclose(P, np.array(ref["edge_probs"]), atol=2e-5)


def test_corrupted_weights_are_rejected(tmp_path, monkeypatch):
    import scorecause.amortized.estimator as E

    from .conftest import TINY

    torch.manual_seed(0)
    from scorecause.amortized.model import AVICIModel, ModelConfig

    m = AVICIModel(ModelConfig(**TINY))
    ckpt = tmp_path / "last.pt"
    torch.save({"model": m.state_dict(), "model_config": m.cfg.to_dict(), "train_config": {},
                "state": {"step": 3, "wall": 1.0}}, ckpt)
    entry = ship_weights(ckpt, "linear", weights_dir=tmp_path, command="test")
    assert entry["training"]["step"] == 3 and len(entry["reference"]["edge_probs"]) == 5
    monkeypatch.setattr(E, "WEIGHTS_DIR", tmp_path)
    load_weights("linear")                                          # verifies the checksum
    (tmp_path / "linear.pt").write_bytes((tmp_path / "linear.pt").read_bytes() + b"x")
    with pytest.raises(ConfigError, match="sha256"):
        load_weights("linear")
    with pytest.raises(ConfigError, match="missing from"):
        load_weights("rff")
