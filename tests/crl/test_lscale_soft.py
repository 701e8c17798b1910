"""Soft LSCALE-I: innovation encoder, order refinement, calibrated read-out (scorecause.crl.lscale)."""

import numpy as np
import pytest

from scorecause.crl.lscale import (
    LSCALE_I,
    SOFT_KAPPA,
    cross_moments,
    innovation_encoder,
    latent_moments,
    moment_encoder,
    moment_misfit,
    order_violation,
    refine_order,
)
from scorecause.crl.metrics import evaluate_crl
from scorecause.errors import ConfigError
from scorecause.graph import transitive_closure
from scorecause.simulate.latent import (
    LatentIntervention,
    perfect_score_differences,
    random_latent_scm,
    simulate_latent,
)


def _chain_with_shortcut():
    """Linear SCM 0 -> 1 -> 2 and 0 -> 2 (node index = causal position)."""
    A = np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]])
    return random_latent_scm(3, np.random.default_rng(3), graph=A)


def test_innovation_encoder_gives_exogenous_noise():
    # rows mixing each node with its ancestors, Gram-Schmidt in the observational metric -> eps_m / sd
    scm = _chain_with_shortcut()
    Z = scm.sample(200000, np.random.default_rng(0))
    L = np.array([[1.0, 0, 0], [0.7, 1.0, 0], [-0.4, 2.0, 1.0]])  # row m: z_m + ancestors
    H = innovation_encoder(L, [0, 1, 2], np.cov(Z, rowvar=False))
    E = Z @ H.T  # innovations
    eps = Z - Z @ scm.weights  # Z_m - w_m^T Z_pa(m)
    corr = np.abs(np.corrcoef(E.T, eps.T)[:3, 3:])
    assert np.all(np.diag(corr) > 0.999)
    assert np.max(np.abs(np.corrcoef(E.T) - np.eye(3))) < 0.01  # uncorrelated, unit variance
    assert np.allclose(E.std(axis=0), 1.0, atol=0.01)


def test_moment_encoder_cross_moments_and_misfit():
    # all environments' covariances pin down the exogenous noises that one eigenvector row per environment
    # leaves noisy; the cross moments read the ancestors; the misfit separates an order from a swapped pair
    scm = _chain_with_shortcut()
    rng = np.random.default_rng(1)
    envs = [None] + [LatentIntervention((m,), "soft", 5.0) for m in range(3)]
    Zs = [scm.sample(100000, rng, iv) for iv in envs]
    covs = np.stack([np.cov(Z, rowvar=False) for Z in Zs])
    eps = Zs[0] - Zs[0] @ scm.weights
    exact = innovation_encoder(np.eye(3) - scm.weights.T, [0, 1, 2], covs[0])  # rows: eps_m / sd
    noisy = exact + 0.05 * rng.standard_normal((3, 3))  # start rows off by ~10x the sampling error
    start = innovation_encoder(noisy, [0, 1, 2], covs[0])
    H = moment_encoder(start, [0, 1, 2], covs)
    err = lambda M: np.max(np.abs(np.corrcoef((Zs[0] @ M.T).T, eps.T)[:3, 3:] - np.eye(3)))  # noqa: E731
    assert err(start) > 0.02 and err(H) < 0.005
    T = cross_moments(H, covs)  # T[m, j] = Cov_m(z_m, z_j): ancestors of m only (0 -> 1 -> 2, 0 -> 2)
    assert np.all(np.abs(T[[1, 2, 2], [0, 0, 1]]) > 0.05)
    assert np.all(np.abs(T[[0, 0, 1], [1, 2, 2]]) < 0.02)
    N = [len(Z) for Z in Zs]
    good = moment_misfit(H, [0, 1, 2], covs, N)
    assert good < 30  # about chi^2 with 16 degrees of freedom
    swapped = moment_encoder(innovation_encoder(exact, [0, 2, 1], covs[0]), [0, 2, 1], covs)
    assert moment_misfit(swapped, [0, 2, 1], covs, N) > 10 * good


def _soft_problem(seed, n=4, N=20000):
    return simulate_latent(n, 10, N, np.random.default_rng(seed), intervention="soft", min_edge_strength=0.02)


def _reduced(prob):
    """Reduced data (true column space), perfect score differences and their second moments."""
    n = prob.scm.n
    B = np.linalg.qr(prob.mixing.G)[0]  # (d, n)
    Ys = [ds.X @ B for ds in prob.environments]
    DS = perfect_score_differences(prob.environments) @ B  # (n, N, n)
    R = np.einsum("mik,mil->mkl", DS, DS) / DS.shape[1]
    H0 = np.stack([np.linalg.eigh(r)[1][:, -1] for r in R])
    return Ys, R, H0, n


def test_order_violation_and_refine_order_with_perfect_scores():
    prob = _soft_problem(6)
    Ys, R, H0, n = _reduced(prob)
    node = [iv.targets[0] for iv in prob.interventions]  # latent m <-> node node[m]
    lat = np.argsort(node)
    true_order = [int(lat[v]) for v in prob.scm.order]
    C0 = np.cov(Ys[0], rowvar=False)
    floor = 1e-6 * np.max(np.einsum("mkk->mk", R), axis=1)
    wrong = true_order[::-1]
    assert order_violation(H0, true_order, C0, R, None, floor) < 1e-3 * order_violation(H0, wrong, C0, R, None,
                                                                                        floor)
    order = refine_order(H0, wrong, C0, R, None, floor)
    TC = transitive_closure(prob.graph).astype(bool)
    pos = np.empty(n, dtype=int)
    pos[order] = np.arange(n)
    # every ancestor pair (in latent indices) comes in the right order
    assert all(pos[lat[j]] < pos[lat[i]] for j in range(n) for i in range(n) if TC[j, i])
    # with the innovation encoder of that order the read-out is supported on ancestors (closure) only; the
    # sample covariance (N = 20,000) leaves <= 1e-4 (relative) elsewhere, ancestors carry >= 5e-3
    Q = latent_moments(innovation_encoder(H0, order, C0), R)
    S = Q > 1e-3 * Q.max(axis=1, keepdims=True)
    for m in range(n):
        for j in range(n):
            assert S[m, j] == (j == m or TC[node[j], node[m]])


@pytest.mark.parametrize("seed", [6, 11])
def test_soft_gaussian_innovations_recover_closure(seed):
    # seeds where the eigenvector ("span") soft encoder misses ancestor edges with estimated scores
    prob = _soft_problem(seed)
    tg = [iv.targets for iv in prob.interventions]
    est = LSCALE_I(intervention="soft", random_state=0, n_eval=2000).fit(prob.environments, targets=tg)
    m = evaluate_crl(est, prob)
    assert m["shd_tc"] == 0
    assert m["l_pa"] < 0.08  # latents up to mixing with parents
    assert est.noise_moments_.shape == (4, 4)
    span = LSCALE_I(intervention="soft", soft_encoder="span", random_state=0, n_eval=2000).fit(
        prob.environments, targets=tg)
    assert evaluate_crl(span, prob)["shd_tc"] > 0


def test_soft_encoder_defaults_and_validation():
    est = LSCALE_I(intervention="soft")
    assert est._soft_encoder() == "innovations" and est._kappa_value() == SOFT_KAPPA and est._splits() == 8
    assert LSCALE_I(intervention="soft", scores="perfect")._soft_encoder() == "span"
    hard = LSCALE_I()
    assert hard._kappa_value() == 10.0 and hard._splits() == 2
    prob = _soft_problem(0, n=3, N=500)
    with pytest.raises(ConfigError, match="soft_encoder"):
        LSCALE_I(intervention="soft", soft_encoder="qr").fit(prob.environments)


def test_soft_kappa_is_a_bonferroni_f_quantile():
    from scipy.stats import f

    from scorecause.crl.lscale import soft_kappa

    assert soft_kappa(8, 8) == pytest.approx(f.ppf(1 - 0.01 / 28, 1, 8))
    assert 34 < soft_kappa(8, 8) < 36 and 25 < soft_kappa(5, 8) < 26
    assert soft_kappa(5, 8, alpha=0.05) < soft_kappa(5, 8)
