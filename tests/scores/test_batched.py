"""Stein estimators with leading batch axes: each set of a batch gives what it gives alone."""

import numpy as np
import torch

from scorecause.discovery.score import dispersion, stein_leaf_order, stein_leaf_orders
from scorecause.scores import stein
from scorecause.scores.kernels import median_bandwidth, sq_distances


def _sets(K=5, n=80, m=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(K, n, m))
    X[..., 2] += np.tanh(2 * X[..., 0])
    X[..., 3] += np.sin(X[..., 2]) * rng.uniform(0.5, 2, size=(K, 1))
    return X


def test_batched_kernel_score_and_hessians_equal_one_set_at_a_time():
    X = _sets()
    Xt = torch.from_numpy(X)
    D2 = sq_distances(Xt)
    s = median_bandwidth(D2)
    assert s.shape == (5,)
    sk = stein.stein_kernel(Xt, D2=D2, bandwidth=s)
    Hd, G = stein.hessian_diag_from_kernel(sk)
    Hr = stein.hessian_rows_from_kernel(sk, G=G)
    for k in range(5):
        assert median_bandwidth(sq_distances(X[k])) == s[k]
        np.testing.assert_allclose(G[k].numpy(), stein.stein_score(X[k]), atol=1e-9)
        np.testing.assert_allclose(Hd[k].numpy(), stein.stein_hessian_diag(X[k]), atol=1e-8)
        np.testing.assert_allclose(Hr[k].numpy(), stein.stein_hessian(X[k]), atol=1e-8)


def test_batched_leaf_orders_equal_score_orders():
    X = _sets(K=7, n=150)
    orders, H = stein_leaf_orders(X, chunk=3)
    for k in range(7):
        ref = stein_leaf_order(X[k], lambda st: dispersion(st.hessian_diag()))
        assert orders[k].tolist() == ref
        np.testing.assert_allclose(H[k], stein.stein_hessian(X[k]), atol=1e-8)
    assert set(orders[:, -1]) <= {2, 3, 1}            # a sink of each set's graph comes last
