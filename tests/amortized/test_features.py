"""Aggregator features: every channel against a slow, direct computation of its formula."""

import numpy as np
import pytest

from scorecause.amortized import features as Fm
from scorecause.amortized.features import NODE_CHANNELS, PAIR_CHANNELS, FeatureConfig, dataset_features
from scorecause.errors import DataError


@pytest.fixture(scope="module")
def chain():
    """x0 -> x1 -> x2 (nonlinear), x3 independent; 300 rows; plus 120 rows intervening on x0 / x1."""
    rng = np.random.default_rng(3)
    n = 300

    def sample(n, do=None):
        x0 = rng.normal(size=n) if do != 0 else rng.normal(3.0, 1.0, size=n)
        x1 = np.tanh(x0) * 2 + 0.5 * rng.normal(size=n) if do != 1 else rng.normal(-2.0, 0.3, size=n)
        x2 = np.sin(x1) + 0.5 * rng.normal(size=n)
        x3 = 3 * rng.normal(size=n)
        return np.c_[x0, x1, x2, x3]

    X = np.vstack([sample(n), sample(60, do=0), sample(60, do=1)])
    mask = np.zeros(X.shape, bool)
    mask[n:n + 60, 0] = True
    mask[n + 60:, 1] = True
    return X, mask


def _ols_residual(y, Z):
    Z1 = np.c_[np.ones(len(Z)), Z]
    return y - Z1 @ np.linalg.lstsq(Z1, y, rcond=None)[0]


def test_shapes_names_and_dtypes(chain):
    X, mask = chain
    f = dataset_features(X, mask)
    assert f.pair.shape == (4, 4, len(PAIR_CHANNELS)) and f.node.shape == (4, len(NODE_CHANNELS))
    assert f.pair.dtype == np.float32 and np.isfinite(f.pair).all() and np.isfinite(f.node).all()
    for name in PAIR_CHANNELS:
        assert f.channel(name).shape == (4, 4)
        assert np.all(np.diag(f.channel(name)) == 0) or name == "sub_before"


def test_partial_correlation_equals_residual_correlation():
    """-P_ij / sqrt(P_ii P_jj) of the sample precision = corr of OLS residuals of i and j on the rest."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5)) @ rng.normal(size=(5, 5))
    pc = Fm.partial_correlation(np.linalg.inv(np.cov(X, rowvar=False)))
    for i in range(5):
        for j in range(i + 1, 5):
            rest = [k for k in range(5) if k not in (i, j)]
            ri, rj = _ols_residual(X[:, i], X[:, rest]), _ols_residual(X[:, j], X[:, rest])
            assert pc[i, j] == pytest.approx(np.corrcoef(ri, rj)[0, 1], abs=1e-10)


def test_shrinkage_precision_is_finite_when_rows_are_fewer_than_columns():
    Z = Fm.standardize_columns(np.random.default_rng(0).normal(size=(8, 30)))
    P = Fm.shrinkage_precision(Z)
    assert np.isfinite(P).all() and np.all(np.linalg.eigvalsh(P) > 0)
    f = dataset_features(np.random.default_rng(1).normal(size=(25, 40)))
    assert np.isfinite(f.pair).all()


def test_global_channels_against_direct_formulas(chain):
    X, mask = chain
    f = dataset_features(X, mask)
    Xo = X[~mask.any(axis=1)]
    R = np.corrcoef(Xo, rowvar=False)
    np.testing.assert_allclose(f.channel("abs_corr"), np.abs(R) * (1 - np.eye(4)), atol=1e-6)
    P = Fm.shrinkage_precision(Fm.standardize_columns(Xo))
    s = np.sqrt(np.diag(P))
    np.testing.assert_allclose(f.channel("abs_pcorr"), np.abs(P / np.outer(s, s)) * (1 - np.eye(4)), atol=1e-6)
    # var-sortability: rank of the raw variance (x3 has the largest)
    assert f.channel("var_rank")[3] == 1.0 and sorted(f.channel("var_rank")) == [0, 1 / 3, 2 / 3, 1]
    # R^2 of each node on the others (the shrinkage is tiny at n = 300, d = 4): close to OLS R^2
    Z = Fm.standardize_columns(Xo)
    for j in range(4):
        res = _ols_residual(Z[:, j], np.delete(Z, j, axis=1))
        assert f.channel("r2")[j] == pytest.approx(1 - res.var() / Z[:, j].var(), abs=0.03)
    assert f.channel("int_frac")[0] == pytest.approx(60 / len(X))
    assert f.channel("log_d")[0] == pytest.approx(np.log(4) / np.log(100))


def test_normalized_cross_hessian_matches_a_loop():
    H = np.random.default_rng(0).normal(size=(50, 3, 3))
    got = Fm.normalized_cross_hessian(H)
    for i in range(3):
        for j in range(3):
            a = np.mean([abs(H[k, i, j]) for k in range(50)])
            di = np.mean([abs(H[k, i, i]) for k in range(50)])
            dj = np.mean([abs(H[k, j, j]) for k in range(50)])
            assert got[i, j] == pytest.approx(0.0 if i == j else a / np.sqrt(di * dj))


def test_score_channels_use_the_stein_hessian(chain):
    """leaf_logvar / das_hess = SCORE's Var_n(H_jj) and DAS's cross-Hessian on the same row subsample."""
    from scorecause.scores.stein import stein_hessian

    X, _ = chain
    cfg = FeatureConfig(n_score_rows=10**6, n_subset_rows=10**6)      # all rows: no subsample to replay
    f = dataset_features(X, config=cfg)
    H = stein_hessian(Fm.standardize_columns(X))
    leaf = np.var(np.stack([H[:, j, j] for j in range(4)], axis=1), axis=0)
    np.testing.assert_allclose(f.channel("leaf_logvar"), Fm.zscore(np.log(leaf + 1e-12)), atol=1e-4)
    np.testing.assert_allclose(f.channel("leaf_rank"), Fm.rank01(leaf), atol=1e-6)
    np.testing.assert_allclose(f.channel("das_hess"), Fm.normalized_cross_hessian(H), atol=1e-4)


def test_subset_statistics_match_scores_order_and_ols_per_subset(chain):
    """Aggregates over subsets = a slow loop running the SCORE estimator and OLS on each subset."""
    from scorecause.discovery import SCORE
    from scorecause.scores.stein import stein_hessian

    X, _ = chain
    Z = Fm.standardize_columns(X[:300])
    R = np.corrcoef(Z, rowvar=False)
    subsets = np.array([[0, 1, 2], [1, 2, 3], [2, 0, 3], [0, 1, 2]])
    before, count, pcorr_sum, hess_sum = Fm.subset_statistics(Z, R, subsets, eta=1e-3)
    exp_before, exp_count = np.zeros((4, 4)), np.zeros((4, 4))
    exp_pcorr, exp_hess = np.zeros((4, 4)), np.zeros((4, 4))
    for S in subsets:
        order = SCORE(prune=False).fit(Z[:, S]).order_
        pos = {int(S[v]): p for p, v in enumerate(order)}
        Hs = stein_hessian(Z[:, S])
        for a, i in enumerate(S):
            for b, j in enumerate(S):
                if i == j:
                    continue
                exp_count[i, j] += 1
                exp_before[i, j] += pos[i] < pos[j]
                rest = [k for k in S if k not in (i, j)]
                ri, rj = _ols_residual(Z[:, i], Z[:, rest]), _ols_residual(Z[:, j], Z[:, rest])
                exp_pcorr[i, j] += abs(np.corrcoef(ri, rj)[0, 1])
                exp_hess[i, j] += np.mean(np.abs(Hs[:, a, b])) / np.sqrt(
                    np.mean(np.abs(Hs[:, a, a])) * np.mean(np.abs(Hs[:, b, b])))
    np.testing.assert_array_equal(count, exp_count)
    np.testing.assert_array_equal(before, exp_before)
    np.testing.assert_allclose(pcorr_sum, exp_pcorr, atol=1e-5)
    np.testing.assert_allclose(hess_sum, exp_hess, atol=1e-6)
    assert before[0, 2] >= 1 and before[2, 0] == 0      # SCORE orders the chain's source before its sink


def test_intervention_shifts_match_a_loop(chain):
    X, mask = chain
    obs = ~mask.any(axis=1)
    ms, vs = Fm.intervention_shifts(X, mask, obs)
    for i in range(4):
        for j in range(4):
            if i == j or mask[:, i].sum() == 0:
                assert ms[i, j] == 0 and vs[i, j] == 0
                continue
            a, b = X[mask[:, i], j], X[obs, j]
            assert ms[i, j] == pytest.approx(abs(a.mean() - b.mean()) / b.std())
            assert vs[i, j] == pytest.approx(np.log(a.var() / b.var()), rel=1e-6)
    f = dataset_features(X, mask)
    assert f.channel("int_mean_shift")[0, 1] > 1.0 and f.channel("int_mean_shift")[1, 0] < 0.5   # do(x0) moves x1
    np.testing.assert_allclose(f.channel("int_mean_shift_t"), f.channel("int_mean_shift").T)


def test_subsets_cover_every_pair_and_prefer_dependent_pairs():
    rng = np.random.default_rng(0)
    d = 12
    w = np.full((d, d), 0.05)
    w[0, 1] = w[1, 0] = 5.0
    np.fill_diagonal(w, 0)
    cfg = FeatureConfig(subset_size=5, coverage=8)
    subsets = Fm.sample_subsets(w, Fm.n_subsets_for(d, cfg), cfg.subset_size, rng)
    assert all(len(set(S)) == 5 for S in subsets)
    cover = np.zeros((d, d))
    for S in subsets:
        cover[np.ix_(S, S)] += 1
    np.fill_diagonal(cover, 0)
    assert (cover + np.eye(d) > 0).all()
    anchored = sum(S[0] in (0, 1) for S in subsets)              # a subset anchored at 0 almost surely holds 1
    assert cover[0, 1] >= anchored - 1 and cover[0, 1] > np.median(cover[cover > 0])


def test_global_channels_are_permutation_equivariant(chain):
    X, mask = chain
    perm = np.array([2, 0, 3, 1])
    a, b = dataset_features(X, mask), dataset_features(X[:, perm], mask[:, perm])
    for name in ("abs_corr", "abs_pcorr", "das_hess", "int_mean_shift", "int_var_shift"):
        np.testing.assert_allclose(b.channel(name), a.channel(name)[np.ix_(perm, perm)], atol=1e-5)
    for name in ("var_rank", "logvar", "r2", "int_frac", "leaf_rank"):
        np.testing.assert_allclose(b.channel(name), a.channel(name)[perm], atol=1e-5)


def test_deterministic_for_a_seed_and_bad_input(chain):
    X, mask = chain
    a, b = dataset_features(X, mask, random_state=5), dataset_features(X, mask, random_state=5)
    np.testing.assert_array_equal(a.pair, b.pair)
    with pytest.raises(DataError, match="at least 2 variables"):
        dataset_features(X[:, :1])
