"""AVICI estimator: contract, shapes, acyclic option, chunked inference, registry, errors."""

import numpy as np
import pytest
import torch

from scorecause import methods
from scorecause.amortized import AVICI, AVICIModel, ModelConfig, load_weights
from scorecause.errors import ConfigError
from scorecause.graph import is_dag

from .conftest import TINY


@pytest.fixture
def weight_file(tmp_path):
    torch.manual_seed(0)
    m = AVICIModel(ModelConfig(**TINY))
    with torch.no_grad():
        m.temp.fill_(3.0)
        m.bias.fill_(0.0)            # probabilities spread around 0.5, so thresholds matter
    path = tmp_path / "tiny.pt"
    torch.save({"state_dict": m.state_dict(), "config": m.cfg.to_dict()}, path)
    return path


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    n, d = 300, 6
    X = rng.normal(size=(n, d))
    X[:, 1] += 2 * X[:, 0]
    X[:, 2] += X[:, 1]
    mask = np.zeros((n, d), bool)
    mask[250:, 3] = True
    return X, mask


def test_fit_sets_probabilities_and_thresholded_adjacency(weight_file, data):
    X, mask = data
    est = AVICI(model=str(weight_file), chunk_size=None).fit(X, interventions=mask)
    P = est.edge_probs_
    assert P.shape == (6, 6) and np.all(np.diag(P) == 0) and np.all((P >= 0) & (P <= 1))
    np.testing.assert_array_equal(est.adjacency_, (P > 0.5).astype(np.int8))
    assert est.adjacency_.dtype == np.int8
    assert est.graph_.number_of_nodes() == 6


def test_acyclic_option_returns_a_dag(weight_file, data):
    X, _ = data
    cyclic = AVICI(model=str(weight_file), threshold=0.3).fit(X)
    est = AVICI(model=str(weight_file), threshold=0.3, acyclic=True).fit(X)
    assert not is_dag(cyclic.adjacency_)          # the probabilities alone do contain cycles here
    assert is_dag(est.adjacency_)
    assert np.all(est.adjacency_ <= cyclic.adjacency_)   # a subset of the thresholded edges


def test_interventions_change_the_prediction(weight_file, data):
    X, mask = data
    a = AVICI(model=str(weight_file)).fit(X).edge_probs_
    b = AVICI(model=str(weight_file)).fit(X, interventions=mask).edge_probs_
    assert not np.allclose(a, b)


def test_chunked_inference_handles_many_rows_and_is_deterministic(weight_file):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5000, 4))
    a = AVICI(model=str(weight_file), chunk_size=400, random_state=3).fit(X).edge_probs_
    b = AVICI(model=str(weight_file), chunk_size=400, random_state=3).fit(X).edge_probs_
    np.testing.assert_array_equal(a, b)


def test_standardisation_makes_scale_irrelevant(weight_file, data):
    X, _ = data
    a = AVICI(model=str(weight_file)).fit(X).edge_probs_
    b = AVICI(model=str(weight_file)).fit(X * 100 + 7).edge_probs_
    np.testing.assert_allclose(a, b, atol=1e-4)


def test_registered_as_avici_and_loads_training_checkpoints(weight_file, tmp_path, data):
    assert methods["avici"] is AVICI
    blob = torch.load(weight_file, weights_only=True)
    ckpt = tmp_path / "last.pt"
    torch.save({"model": blob["state_dict"], "model_config": blob["config"]}, ckpt)
    a = AVICI(model=str(weight_file)).fit(data[0]).edge_probs_
    b = AVICI(model=str(ckpt)).fit(data[0]).edge_probs_
    np.testing.assert_array_equal(a, b)
    assert not load_weights(ckpt).training


def test_bad_model_and_options_raise(weight_file, data, tmp_path):
    with pytest.raises(ConfigError, match="neither a shipped model"):
        AVICI(model=str(tmp_path / "missing.pt")).fit(data[0])
    with pytest.raises(ConfigError, match="threshold"):
        AVICI(model=str(weight_file), threshold=1.5).fit(data[0])
    with pytest.raises(ConfigError, match="chunk_size"):
        AVICI(model=str(weight_file), chunk_size=1).fit(data[0])
    other = tmp_path / "other.pt"
    torch.save({"foo": torch.zeros(1)}, other)
    with pytest.raises(ConfigError, match="not a scorecause weight file|not an AVICI weight file"):
        AVICI(model=str(other)).fit(data[0])
