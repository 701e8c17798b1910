"""CAM pruning: calibrated p-values, explicit order, candidate handling, backends."""

import numpy as np
import pytest

from scorecause.discovery.cam import (
    additive_f_tests,
    cam_pruning,
    full_dag,
    preliminary_neighbours,
    spline_design,
)
from scorecause.errors import ConfigError


def test_independent_candidate_kept_at_nominal_rate():
    # y depends nonlinearly on a and b; z is independent. Over many seeds the test of z must reject at
    # about alpha (binomial 3-sigma band around 0.05 for 400 draws: [0.017, 0.083]).
    alpha, hits, reps = 0.05, 0, 400
    for seed in range(reps):
        rng = np.random.default_rng(seed)
        n = 200
        a, b, z = rng.normal(size=n), rng.uniform(-2, 2, size=n), rng.normal(size=n)
        y = np.sin(a) + b**2 / 2 + 0.5 * rng.normal(size=n)
        p = additive_f_tests(y, np.c_[a, b, z])
        hits += p[2] < alpha
    assert 0.017 <= hits / reps <= 0.083


def test_penalised_variant_also_calibrated():
    alpha, hits, reps = 0.05, 0, 300
    for seed in range(reps):
        rng = np.random.default_rng(1000 + seed)
        n = 200
        a, z = rng.normal(size=n), rng.normal(size=n)
        y = np.tanh(2 * a) + 0.5 * rng.standard_t(5, size=n)
        hits += additive_f_tests(y, np.c_[a, z], penalty=1.0)[1] < alpha
    assert 0.01 <= hits / reps <= 0.095


def test_true_parents_detected():
    rng = np.random.default_rng(3)
    n = 400
    a, b, z = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)
    y = np.sin(2 * a) + np.abs(b) + 0.3 * rng.normal(size=n)
    p = additive_f_tests(y, np.c_[a, b, z])
    assert p[0] < 1e-6 and p[1] < 1e-6 and p[2] > 1e-3


def test_statsmodels_backend_agrees_on_clear_signal():
    pytest.importorskip("statsmodels")
    rng = np.random.default_rng(4)
    n = 300
    a, z = rng.normal(size=n), rng.normal(size=n)
    b = np.sin(2 * a) + 0.3 * rng.normal(size=n)
    X = np.c_[a, b, z]
    A1 = cam_pruning(X, [0, 2, 1])
    A2 = cam_pruning(X, [0, 2, 1], backend="statsmodels")
    assert A1.tolist() == A2.tolist() == [[0, 1, 0], [0, 0, 0], [0, 0, 0]]


def _chain_data(n=500, seed=0):
    rng = np.random.default_rng(seed)
    x0 = rng.normal(size=n)
    x1 = np.sin(2 * x0) + 0.3 * rng.normal(size=n)
    x2 = np.cos(1.5 * x1) + x0 + 0.3 * rng.normal(size=n)
    x3 = np.tanh(2 * x2) + 0.3 * rng.normal(size=n)
    return np.c_[x0, x1, x2, x3]


def test_order_is_explicit_not_rederived_from_sparse_candidates():
    # Sparse candidates whose row sums suggest a different order (dodiscover's full_adj_to_order bug):
    # node 3 has the most outgoing candidates but is last in the true order.
    X = _chain_data()
    order = [0, 1, 2, 3]
    C = np.zeros((4, 4), dtype=int)
    C[0, 1] = C[1, 2] = C[0, 2] = C[2, 3] = 1
    A = cam_pruning(X, order, C)
    truth = np.zeros((4, 4), dtype=int)
    truth[0, 1] = truth[1, 2] = truth[0, 2] = truth[2, 3] = 1
    assert A.tolist() == truth.tolist()
    # candidates against the order are ignored, never tested
    A_rev = cam_pruning(X, [3, 2, 1, 0], C)
    assert A_rev.sum() == 0


def test_required_kept_and_result_consistent_with_order():
    X = _chain_data(seed=1)
    req = np.zeros((4, 4), dtype=bool)
    req[0, 3] = True
    A = cam_pruning(X, [0, 1, 2, 3], required=req)
    assert A[0, 3] == 1
    assert not np.any(A & ~full_dag([0, 1, 2, 3]).astype(bool))


def test_scale_invariance():
    X = _chain_data(seed=2)
    A = cam_pruning(X, [0, 1, 2, 3])
    assert cam_pruning(X * np.array([2.0, 0.1, 5.0, 3.0]), [0, 1, 2, 3]).tolist() == A.tolist()


def test_pns_drops_irrelevant_candidates_and_keeps_parent():
    rng = np.random.default_rng(3)
    n = 400
    x0 = rng.normal(size=n)
    x1 = np.sin(2 * x0) + 0.2 * rng.normal(size=n)
    Z = rng.normal(size=(n, 4))  # independent of everything
    X = np.c_[x0, Z, x1]
    M = preliminary_neighbours(X, full_dag(range(6)), n_estimators=50, rng=0)
    assert M[0, 5] == 1
    assert M[1:5, 5].sum() <= 1
    A = cam_pruning(X, list(range(6)), pns=True, pns_kwargs={"n_estimators": 50}, rng=0)
    assert A[0, 5] == 1 and A.sum() == 1


def test_spline_design_shape_and_centring():
    x = np.random.default_rng(0).normal(size=100)
    B = spline_design(x, 10)
    assert B.shape == (100, 9)
    assert np.allclose(B.mean(axis=0), 0)


def test_bad_backend_and_too_few_rows():
    X = _chain_data(n=50)
    with pytest.raises(ConfigError, match="backend"):
        cam_pruning(X, [0, 1, 2, 3], backend="pygam")
    with pytest.raises(ConfigError, match="too few rows"):
        additive_f_tests(np.arange(8.0), np.random.default_rng(0).normal(size=(8, 3)))
