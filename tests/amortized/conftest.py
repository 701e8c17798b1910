"""Fixtures for the amortized tests: a tiny model config and a fast stand-in data source.

The stand-in (linear-Gaussian SEM on a random lower-triangular graph) replaces the simulator call inside
``train.simulate_example`` so that training tests take a second and do not depend on simulator presets.
"""

import numpy as np
import pytest

import scorecause.amortized.train as T
from scorecause.amortized.model import ModelConfig

TINY = dict(dim=8, layers=1, heads=2, key_size=4, ff_mult=2, dropout=0.1)


def tiny_example(preset, d, n_obs, n_int, rng):
    """``(x [n, d, 2], G [d, d])`` from a random linear SEM; ``G[i, j] = 1`` means ``i -> j``."""
    G = np.triu(rng.random((d, d)) < 0.4, 1).astype(np.float32)
    W = G * rng.uniform(1, 2, (d, d)) * rng.choice([-1, 1], (d, d))
    n = n_obs + n_int
    mask = np.zeros((n, d), bool)
    mask[n_obs:, :] = np.eye(d, dtype=bool)[np.arange(n_int) % d]
    X = np.zeros((n, d))
    for j in range(d):
        X[:, j] = X @ W[:, j] + rng.normal(size=n)
        X[mask[:, j], j] = rng.normal(2, 1, mask[:, j].sum())
    x = T.encode_data(X, mask if n_int else None)
    return x[rng.permutation(n)], G


@pytest.fixture
def tiny_cfg():
    return ModelConfig(**TINY)


@pytest.fixture
def standin(monkeypatch):
    monkeypatch.setattr(T, "simulate_example", tiny_example)
    return tiny_example


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny models run fastest single-threaded on a loaded shared machine; restore the setting afterwards."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def assert_close(a, b, rtol=1e-6, atol=1e-6):
    """numpy comparison of tensors (torch.testing's first call costs seconds of imports)."""
    np.testing.assert_allclose(np.asarray(a.detach()), np.asarray(b.detach()), rtol=rtol, atol=atol)
