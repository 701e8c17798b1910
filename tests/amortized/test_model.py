"""AVICIModel: shapes, symmetries (equivariance over variables, invariance over samples), chunking, penalty."""

import numpy as np
import torch

from scorecause.amortized.model import AVICIModel, ModelConfig, spectral_radius

from .conftest import assert_close


def _model(seed=0, **kw):
    torch.manual_seed(seed)
    cfg = dict(dim=16, layers=2, heads=2, key_size=8, ff_mult=2, **kw)
    return AVICIModel(ModelConfig(**cfg)).eval()


def _data(B=2, n=40, d=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, n, d, 2, generator=g)
    x[..., 1] = (torch.rand(B, n, d, generator=g) < 0.2).float()
    return x


def test_shapes_and_masked_diagonal():
    m = _model()
    logits = m(_data())
    assert logits.shape == (2, 6, 6)
    assert torch.isneginf(torch.diagonal(logits, dim1=-2, dim2=-1)).all()
    P = torch.sigmoid(logits)
    assert (torch.diagonal(P, dim1=-2, dim2=-1) == 0).all()
    off = ~torch.eye(6, dtype=torch.bool)
    assert torch.isfinite(logits[:, off]).all()


def test_initial_logits_bounded_by_temperature_and_bias():
    m = _model()
    logits = m(_data())[:, ~torch.eye(6, dtype=torch.bool)]
    t, b = m.temp.exp().item(), m.bias.item()
    assert (logits >= b - t - 1e-5).all() and (logits <= b + t + 1e-5).all()


def test_permutation_equivariance_over_variables():
    m, x = _model(), _data()
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    out = torch.sigmoid(m(x)).detach()             # compare probabilities (finite everywhere)
    out_perm = torch.sigmoid(m(x[:, :, perm])).detach()
    # relabelling variables relabels rows and columns of the edge matrix the same way
    assert_close(out_perm, out[:, perm][:, :, perm], rtol=1e-5, atol=1e-5)


def test_permutation_invariance_over_samples():
    m, x = _model(), _data()
    perm = torch.randperm(x.shape[1], generator=torch.Generator().manual_seed(1))
    assert_close(torch.sigmoid(m(x[:, perm])).detach(), torch.sigmoid(m(x)).detach(),
                               rtol=1e-5, atol=1e-5)


def test_dropout_only_in_training_and_reproducible_with_generator():
    m, x = _model(dropout=0.5), _data()
    m.train()
    a = torch.sigmoid(m(x, torch.Generator().manual_seed(3))).detach()
    b = torch.sigmoid(m(x, torch.Generator().manual_seed(3))).detach()
    c = torch.sigmoid(m(x, torch.Generator().manual_seed(4))).detach()
    assert_close(a, b)
    assert not torch.allclose(a, c)
    m.eval()
    assert_close(torch.sigmoid(m(x)).detach(), torch.sigmoid(m(x)).detach())


def test_chunked_prediction_equals_full_when_chunk_covers_all_rows_and_is_close_otherwise():
    m, x = _model(), _data(B=1, n=60)
    full = m.predict_proba(x)
    assert_close(m.predict_proba(x, chunk_size=60), full)
    chunked = m.predict_proba(x, chunk_size=20, chunks_per_pass=2)   # 3 chunks, 2 passes
    assert chunked.shape == full.shape
    assert (chunked - full).abs().max() < 0.5                       # an approximation, not exact


def test_size_is_configurable():
    small = AVICIModel(ModelConfig(dim=8, layers=1, heads=2, key_size=4))
    big = AVICIModel(ModelConfig(dim=32, layers=3, heads=4, key_size=8))
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(small) < count(big)
    assert len(big.blocks) == 6


def test_spectral_radius_matches_eigenvalues_and_vanishes_on_dags():
    rng = np.random.default_rng(0)
    P = rng.uniform(0, 1, (3, 7, 7))
    for b in range(3):
        np.fill_diagonal(P[b], 0)
    est = spectral_radius(torch.tensor(P), iters=50, generator=torch.Generator().manual_seed(0))
    true = np.abs(np.linalg.eigvals(P)).max(axis=-1)
    np.testing.assert_allclose(est.numpy(), true, rtol=1e-4)
    dag = torch.tensor(np.triu(rng.uniform(0, 1, (1, 7, 7)), 1))
    assert spectral_radius(dag, iters=10).item() < 1e-3


def test_spectral_radius_gradient_flows_through_P():
    P = torch.rand(2, 5, 5, generator=torch.Generator().manual_seed(0), requires_grad=True)
    spectral_radius(P, generator=torch.Generator().manual_seed(0)).sum().backward()
    assert P.grad is not None and torch.isfinite(P.grad).all() and P.grad.abs().sum() > 0
