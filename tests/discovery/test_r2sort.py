"""R²-SortnRegress (Reisach et al. 2023) and VarSort's sortnregress step: orders, scale invariance, Lasso-IC."""

import numpy as np
import pytest

from scorecause.discovery import R2Sort, VarSort
from scorecause.discovery.sort import lasso_ic, r2_coefficients
from scorecause.errors import ConfigError
from scorecause.metrics import order_divergence
from scorecause.registry import methods


def _collider(n=2000, seed=0):
    """a, b sources (unit variance); c = a + b + 0.5 e: population R^2 = 0.8, 0.8, 1 - 1/9 (sources smallest)."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(2, n))
    c = a + b + 0.5 * rng.normal(size=n)
    A = np.zeros((3, 3), dtype=np.int8)
    A[0, 2] = A[1, 2] = 1
    return np.c_[c, a, b], A[np.ix_([2, 0, 1], [2, 0, 1])]  # columns (c, a, b)


def _chain(n=2000, seed=0):
    """a -> b -> c with weights 2 and unit noise: variances 1, 5, 21 (var-sortable)."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = 2 * a + rng.normal(size=n)
    c = 2 * b + rng.normal(size=n)
    return np.c_[c, a, b]


def test_registered():
    assert methods["r2sort"] is R2Sort


def test_r2_matches_the_population_value_and_orders_an_r2_sortable_graph():
    X, A = _collider(20000)
    np.testing.assert_allclose(r2_coefficients(X), [1 - 1 / 9, 0.8, 0.8], atol=0.01)
    X, A = _collider()
    est = R2Sort().fit(X)
    assert est.order_[-1] == 0 and order_divergence(A, est.order_) == 0
    np.testing.assert_array_equal(est.adjacency_, A)  # c <- a, c <- b found by the Lasso (BIC)


def test_chain_var_sortable_varsort_exact_r2sort_source_and_skeleton():
    """In a linear chain the middle node has the largest R^2 (its precision gets a term from parent and child),
    so R^2-sorting swaps the last two (then b is regressed on a and c and the Lasso adds a -> c); VarSort
    recovers the order and the graph."""
    X = _chain()
    true = np.zeros((3, 3), dtype=np.int8)
    true[1, 2] = true[2, 0] = 1  # a -> b -> c in columns (c, a, b)
    for pruning in ("lasso", "cam"):
        v = VarSort(pruning=pruning).fit(X)
        assert v.order_ == [1, 2, 0]
        np.testing.assert_array_equal(v.adjacency_, true)
    r = R2Sort().fit(X)
    r2 = r2_coefficients(X)
    assert r2[1] < r2[0] < r2[2]  # source < sink < middle
    assert r.order_ == [1, 0, 2] and order_divergence(true, r.order_) == 1


def test_scale_invariance_r2sort_but_not_varsort():
    X, _ = _collider()
    scales = np.array([1e-2, 30.0, 3.0])  # shrink the sink: it becomes the smallest-variance column
    r0, r1 = R2Sort().fit(X), R2Sort().fit(X * scales)
    assert r0.order_ == r1.order_
    np.testing.assert_array_equal(r0.adjacency_, r1.adjacency_)
    v0, v1 = VarSort(pruning="lasso").fit(X), VarSort(pruning="lasso").fit(X * scales)
    assert v0.order_[-1] == 0 and v1.order_[0] == 0  # VarSort now calls the sink a source


def test_lasso_ic_support_and_criteria():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(1000, 8))
    Z[:, 1] += Z[:, 0]
    y = Z[:, 0] - Z[:, 3] + rng.normal(size=1000)
    bic = lasso_ic(Z, y, "bic")
    assert np.flatnonzero(bic).tolist() == [0, 3]
    np.testing.assert_allclose(bic[[0, 3]], [1, -1], atol=0.1)
    assert set(np.flatnonzero(bic)) <= set(np.flatnonzero(lasso_ic(Z, y, "aic")))  # AIC penalises less
    assert not lasso_ic(Z, rng.normal(size=1000), "bic").any()  # pure noise: the empty model


def test_bad_hyperparameters():
    X, _ = _collider(100)
    with pytest.raises(ConfigError, match="pruning"):
        R2Sort(pruning="ridge").fit(X)
    with pytest.raises(ConfigError, match="lasso_criterion"):
        VarSort(lasso_criterion="cv").fit(X)
