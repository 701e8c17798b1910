"""Noise families, mechanisms, the additive noise SCM: exact scores vs finite differences, interventions."""

import numpy as np
import pytest
from scipy import stats

from scorecause.errors import ConfigError, DataError
from scorecause.simulate import (
    MECHANISMS,
    NOISES,
    AdditiveNoiseSCM,
    Gaussian,
    GPMechanism,
    Intervention,
    Linear,
    SignedUniform,
    make_mechanism,
    make_noise,
    sample_graph,
    sample_interventional,
)

H_FD = 1e-5


def _fd(f, x, h=H_FD):
    return (f(x + h) - f(x - h)) / (2 * h)


# ----------------------------------------------------------------------------------------------
# noise
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["gaussian", "laplace", "cauchy", "gumbel"])
def test_noise_log_density_derivatives(kind):
    nz = make_noise(kind, 0.7)
    e = np.linspace(-3, 3, 41) + 0.013  # avoid the Laplace kink at 0
    np.testing.assert_allclose(nz.dlog(e), _fd(nz.log_prob, e), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(nz.d2log(e), _fd(nz.dlog, e), rtol=1e-6, atol=1e-8)
    # the density integrates to one
    grid = np.linspace(-60, 60, 200001)
    mass = np.trapezoid(np.exp(nz.log_prob(grid)), grid)
    assert abs(mass - 1) < (2e-2 if kind == "cauchy" else 1e-6)  # Cauchy tails beyond +-60 hold ~0.7%


@pytest.mark.parametrize("kind, ref", [("gaussian", stats.norm(0, 0.7)), ("laplace", stats.laplace(0, 0.7)),
                                       ("cauchy", stats.cauchy(0, 0.7))])
def test_noise_log_prob_matches_scipy(kind, ref):
    e = np.linspace(-4, 4, 9)
    np.testing.assert_allclose(make_noise(kind, 0.7).log_prob(e), ref.logpdf(e), rtol=1e-12)


def test_gumbel_is_centred_and_samples_follow_scale():
    rng = np.random.default_rng(0)
    x = make_noise("gumbel", 2.0).sample(200_000, rng)
    assert abs(x.mean()) < 0.02
    g = make_noise("gaussian", 2.0).sample(200_000, rng)
    assert abs(g.std() - 2.0) < 0.02


def test_uniform_noise_has_no_analytic_score():
    nz = make_noise("uniform", 1.0)
    assert np.isfinite(nz.log_prob(np.array([0.5]))).all() and np.isinf(nz.log_prob(np.array([1.5]))).all()
    with pytest.raises(ConfigError, match="uniform noise has no differentiable log-density"):
        nz.dlog(np.array([0.1]))


def test_bad_noise_input():
    with pytest.raises(ConfigError, match=r"unknown noise 'student'.*'gaussian'"):
        make_noise("student")
    with pytest.raises(ConfigError, match="positive finite"):
        make_noise("gaussian", -1.0)
    assert sorted(NOISES) == ["cauchy", "gaussian", "gumbel", "laplace", "uniform"]


# ----------------------------------------------------------------------------------------------
# mechanisms
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(MECHANISMS))
def test_mechanism_derivatives_match_finite_differences(kind):
    rng = np.random.default_rng(1)
    params = {"length_scale": 1.5, "output_scale": 2.0} if kind == "rff" else {}
    f = make_mechanism(kind, 3, rng, **params)
    P = rng.normal(size=(150, 3))
    f.bind(P, rng)
    h = 1e-4 if kind == "gp" else H_FD  # the GP interpolant's weights are large: less round-off at 1e-4
    G, Hd = f.grad(P), f.hess_diag(P)
    for i in range(3):
        E = np.zeros_like(P)
        E[:, i] = h
        np.testing.assert_allclose(G[:, i], (f(P + E) - f(P - E)) / (2 * h), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(Hd[:, i], (f.grad(P + E)[:, i] - f.grad(P - E)[:, i]) / (2 * h),
                                   rtol=1e-5, atol=1e-6)


def test_linear_weights_are_signed_uniform():
    f = make_mechanism("linear", 1000, np.random.default_rng(0), weight_range=(1.0, 3.0))
    a = np.abs(f.w)
    assert a.min() >= 1.0 and a.max() <= 3.0 and 0.4 < (f.w > 0).mean() < 0.6


def test_gp_mechanism_is_an_exact_gp_draw_and_needs_binding():
    f = GPMechanism(1, length_scale=1.0, output_scale=1.5)
    with pytest.raises(ConfigError, match="not bound"):
        f(np.zeros((3, 1)))
    # many independent draws on two points at distance 1: covariance c^2 [[1, e^-1/2], [e^-1/2, 1]]
    P = np.array([[0.0], [1.0]])
    rng = np.random.default_rng(0)
    vals = []
    for _ in range(2500):
        g = GPMechanism(1, length_scale=1.0, output_scale=1.5)
        g.bind(P, rng)
        vals.append(g(P))
    C = np.cov(np.array(vals).T)
    np.testing.assert_allclose(C, 2.25 * np.array([[1, np.exp(-0.5)], [np.exp(-0.5), 1]]), atol=0.2)
    # beyond max_anchors a random subset of rows anchors the draw
    h = GPMechanism(1, max_anchors=50)
    h.bind(rng.normal(size=(400, 1)), rng)
    assert h.anchors.shape == (50, 1)


def test_unknown_mechanism_lists_families():
    with pytest.raises(ConfigError, match=r"unknown mechanism 'spline'.*'gp'.*'rff'"):
        make_mechanism("spline", 2, np.random.default_rng(0))
    with pytest.raises(ConfigError, match="bad options for mechanism 'linear'"):
        make_mechanism("linear", 2, np.random.default_rng(0), length_scale=3)


# ----------------------------------------------------------------------------------------------
# SCM: exact scores
# ----------------------------------------------------------------------------------------------
def _scm(mechanism, noise, hetero, seed=1, d=5, n=120):
    rng = np.random.default_rng(seed)
    A = sample_graph("er", d, rng, edges_per_node=1.5)
    params = {"length_scale": (1.0, 2.0), "output_scale": (1.0, 2.0)} if mechanism == "rff" else {}
    scm = AdditiveNoiseSCM.random(A, rng, mechanism=mechanism, mechanism_params=params, noise=noise,
                                  noise_scale=(0.5, 1.0), heteroscedastic=hetero)
    X, _ = scm.sample(n, rng)
    return scm, X


def _rows_away_from_kinks(scm, X, noise):
    if noise != "laplace":
        return X
    ok = np.ones(len(X), dtype=bool)
    for j in range(scm.d):
        P = X[:, scm.parents[j]]
        nz = scm.noises[j]
        sig = nz.sigma(P) if hasattr(nz, "sigma") else nz.scale
        ok &= np.abs((X[:, j] - scm.mechanisms[j](P)) / sig) > 1e-2
    return X[ok]


@pytest.mark.parametrize("hetero", [None, True], ids=["homo", "hetero"])
@pytest.mark.parametrize("noise", ["gaussian", "laplace", "cauchy", "gumbel"])
@pytest.mark.parametrize("mechanism", ["linear", "rff", "gp", "mlp", "quadratic"])
def test_score_and_hessian_diag_equal_finite_differences(mechanism, noise, hetero):
    scm, X = _scm(mechanism, noise, hetero)
    X = _rows_away_from_kinks(scm, X, noise)
    h = 1e-4 if mechanism == "gp" else H_FD
    S, Hd = scm.score(X), scm.hessian_diag(X)
    assert S.shape == Hd.shape == X.shape
    for j in range(scm.d):
        E = np.zeros_like(X)
        E[:, j] = h
        fd_s = (scm.log_prob(X + E) - scm.log_prob(X - E)) / (2 * h)
        fd_h = (scm.score(X + E)[:, j] - scm.score(X - E)[:, j]) / (2 * h)
        np.testing.assert_allclose(S[:, j], fd_s, rtol=1e-5, atol=1e-5 * (1 + np.abs(fd_s).max()))
        np.testing.assert_allclose(Hd[:, j], fd_h, rtol=1e-5, atol=1e-5 * (1 + np.abs(fd_h).max()))


def test_hessian_diag_against_second_difference_of_log_prob():
    scm, X = _scm("rff", "gaussian", True)
    h = 1e-4
    Hd = scm.hessian_diag(X)
    for j in range(scm.d):
        E = np.zeros_like(X)
        E[:, j] = h
        fd = (scm.log_prob(X + E) - 2 * scm.log_prob(X) + scm.log_prob(X - E)) / h**2
        np.testing.assert_allclose(Hd[:, j], fd, rtol=1e-4, atol=1e-4 * (1 + np.abs(fd).max()))


def test_linear_gaussian_score_is_minus_precision_times_x():
    # Independent closed form: x = W^T x + e, e ~ N(0, D) => precision Theta = (I - W) D^{-1} (I - W)^T,
    # score(x) = -Theta x, Hessian diagonal = -diag(Theta); log_prob is the multivariate normal density.
    rng = np.random.default_rng(3)
    A = sample_graph("er", 6, rng, edges_per_node=2)
    scm = AdditiveNoiseSCM.random(A, rng, mechanism="linear", noise="gaussian", noise_scale=(0.5, 2.0))
    W = np.zeros((6, 6))
    for j, m in enumerate(scm.mechanisms):
        W[scm.parents[j], j] = m.w
    D = np.array([nz.scale**2 for nz in scm.noises])
    I_W = np.eye(6) - W
    Theta = I_W @ np.diag(1 / D) @ I_W.T
    X, _ = scm.sample(50, rng)
    np.testing.assert_allclose(scm.score(X), -X @ Theta, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(scm.hessian_diag(X), np.broadcast_to(-np.diag(Theta), X.shape), rtol=1e-10)
    ref = stats.multivariate_normal(np.zeros(6), np.linalg.inv(Theta)).logpdf(X)
    np.testing.assert_allclose(scm.log_prob(X), ref, rtol=1e-9)


def test_sink_score_is_its_own_noise_score():
    # For a sink l, s_l(x) = (log p_l)'(e_l): the basis of SCORE (Rolland et al. 2022).
    scm, X = _scm("mlp", "gaussian", None, seed=4)
    sinks = [j for j in range(scm.d) if scm.graph[j].sum() == 0]
    E = scm.residuals(X)
    for j in sinks:
        np.testing.assert_allclose(scm.score(X)[:, j], -E[:, j] / scm.noises[j].scale**2, rtol=1e-10)
        np.testing.assert_allclose(scm.hessian_diag(X)[:, j], -1 / scm.noises[j].scale**2)


def test_uniform_noise_score_raises_naming_the_node():
    rng = np.random.default_rng(0)
    scm = AdditiveNoiseSCM.random(sample_graph("er", 4, rng), rng, noise="uniform")
    X, _ = scm.sample(10, rng)
    assert np.isfinite(scm.log_prob(X)).all()
    with pytest.raises(ConfigError, match=r"node 0 has uniform noise.*not differentiable"):
        scm.score(X)
    with pytest.raises(ConfigError, match="not differentiable"):
        scm.hessian_diag(X)


def test_scm_bad_inputs():
    rng = np.random.default_rng(0)
    A = np.array([[0, 1], [0, 0]])
    with pytest.raises(ConfigError, match="takes 0 parents but the graph gives it 1"):
        AdditiveNoiseSCM(A, [Linear([]), Linear([])], [Gaussian(), Gaussian()])
    with pytest.raises(ConfigError, match="one mechanism and one noise per node"):
        AdditiveNoiseSCM(A, [Linear([])], [Gaussian()])
    with pytest.raises(Exception, match="cycle"):
        AdditiveNoiseSCM(np.array([[0, 1], [1, 0]]), [Linear([1.0]), Linear([1.0])], [Gaussian(), Gaussian()])
    scm = AdditiveNoiseSCM(A, [Linear([]), Linear([2.0])], [Gaussian(), Gaussian()])
    with pytest.raises(DataError, match=r"shape \(n, 2\)"):
        scm.score(np.zeros((3, 3)))
    with pytest.raises(ConfigError, match="n must be an integer >= 1"):
        scm.sample(0, rng)
    with pytest.raises(ConfigError, match="numpy.random.Generator"):
        scm.sample(5, 42)


# ----------------------------------------------------------------------------------------------
# sampling and interventions
# ----------------------------------------------------------------------------------------------
def _chain():
    """0 -> 1 -> 2 and 0 -> 2, linear Gaussian with known weights."""
    A = np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]])
    mechs = [Linear([]), Linear([2.0]), Linear([1.0, -1.5])]  # f_2 = x0 - 1.5 x1
    return AdditiveNoiseSCM(A, mechs, [Gaussian(1.0), Gaussian(0.5), Gaussian(0.5)])


def test_sampling_is_deterministic_per_seed():
    scm, _ = _scm("rff", "cauchy", True)
    X1, m1 = scm.sample(50, np.random.default_rng(9))
    X2, m2 = scm.sample(50, np.random.default_rng(9))
    X3, _ = scm.sample(50, np.random.default_rng(10))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(m1, m2)
    assert not np.allclose(X1, X3) and not m1.any()


def test_hard_intervention_cuts_exactly_the_incoming_edges():
    scm = _chain()
    iv = Intervention(1, value=3.0)
    sub = scm.intervene(iv)
    expected = scm.graph.copy()
    expected[:, 1] = 0
    np.testing.assert_array_equal(sub.graph, expected)
    X, mask = scm.sample(4000, np.random.default_rng(0), intervention=iv)
    assert (X[:, 1] == 3.0).all()  # do(x1 = 3)
    assert mask[:, 1].all() and not mask[:, [0, 2]].any()
    # children still respond: x2 = x0 - 1.5 * 3 + noise
    coef = np.linalg.lstsq(np.column_stack([X[:, 0], np.ones(len(X))]), X[:, 2], rcond=None)[0]
    np.testing.assert_allclose(coef, [1.0, -4.5], atol=0.05)


def test_random_value_hard_intervention_makes_target_independent_of_parents():
    scm = _chain()
    X, _ = scm.sample(20000, np.random.default_rng(1), intervention=Intervention(1, value=Gaussian(1.0)))
    Xo, _ = scm.sample(20000, np.random.default_rng(1))
    assert abs(np.corrcoef(Xo[:, 0], Xo[:, 1])[0, 1]) > 0.9  # observational: x1 = 2 x0 + noise
    assert abs(np.corrcoef(X[:, 0], X[:, 1])[0, 1]) < 0.03  # intervened: independent of its parent
    assert abs(X[:, 1].std() - 1.0) < 0.03
    assert np.corrcoef(X[:, 1], X[:, 2])[0, 1] < -0.5  # child x2 still responds (weight -1.5)
    # the intervened SCM has exact scores too (x1 is now a root with N(0, 1) "noise")
    sub = scm.intervene(Intervention(1, value=Gaussian(1.0)))
    E = np.zeros((50, 3))
    E[:, 1] = H_FD
    np.testing.assert_allclose(sub.score(X[:50])[:, 1],
                               (sub.log_prob(X[:50] + E) - sub.log_prob(X[:50] - E)) / (2 * H_FD), rtol=1e-6)


def test_multi_node_hard_intervention_with_per_target_values():
    scm = _chain()
    X, mask = scm.sample(4000, np.random.default_rng(0), intervention=Intervention([0, 2], value=[1.0, -2.0]))
    assert (X[:, 0] == 1.0).all() and (X[:, 2] == -2.0).all()
    assert mask[:, [0, 2]].all() and not mask[:, 1].any()
    resid = X[:, 1] - 2.0 * X[:, 0]  # x1 still follows its parent x0 = 1
    assert abs(resid.mean()) < 0.03 and abs(resid.std() - 0.5) < 0.03
    with pytest.raises(ConfigError, match="2 intervention values for 1 targets"):
        scm.sample(5, np.random.default_rng(0), intervention=Intervention([0], value=[1.0, 2.0]))


def test_fixed_value_intervention_has_no_density():
    sub = _chain().intervene(Intervention(0, value=1.0))
    with pytest.raises(ConfigError, match="has no density"):
        sub.log_prob(np.zeros((2, 3)))


def test_unknown_targets_leave_mask_empty():
    X, mask = _chain().sample(20, np.random.default_rng(0), intervention=Intervention(1, value=5.0, known=False))
    assert (X[:, 1] == 5.0).all() and not mask.any()


def test_soft_intervention_resamples_only_the_target_mechanism():
    scm, X = _scm("rff", "gaussian", None, seed=2)
    t = int(np.flatnonzero(scm.graph.sum(axis=0))[0])  # a node with parents
    sub = scm.intervene(Intervention(t, kind="soft"), np.random.default_rng(0))
    np.testing.assert_array_equal(sub.graph, scm.graph)  # soft: edges kept
    assert sub.mechanisms[t] is not scm.mechanisms[t] and sub.mechanisms[t].kind == "rff"
    assert all(sub.mechanisms[j] is scm.mechanisms[j] for j in range(scm.d) if j != t)
    P = X[:, scm.parents[t]]
    assert not np.allclose(sub.mechanisms[t](P), scm.mechanisms[t](P))
    # the new mechanism's analytic score is still exact
    h = H_FD
    E = np.zeros_like(X)
    E[:, t] = h
    np.testing.assert_allclose(sub.score(X)[:, t], (sub.log_prob(X + E) - sub.log_prob(X - E)) / (2 * h),
                               rtol=1e-5, atol=1e-6)


def test_soft_intervention_noise_scale_and_shift():
    scm = _chain()
    iv = Intervention(2, kind="soft", noise_scale=3.0, shift=1.0)
    X, mask = scm.sample(40000, np.random.default_rng(0), intervention=iv)
    resid = X[:, 2] - (X[:, 0] - 1.5 * X[:, 1])
    assert abs(resid.mean() - 1.0) < 0.03 and abs(resid.std() - 1.5) < 0.03  # 0.5 * 3
    assert mask[:, 2].all()
    np.testing.assert_array_equal(scm.intervene(iv).graph, scm.graph)


def test_intervention_validation():
    with pytest.raises(ConfigError, match="kind must be 'hard'"):
        Intervention(0, kind="weird")
    with pytest.raises(ConfigError, match="duplicates"):
        Intervention([1, 1])
    with pytest.raises(ConfigError, match="use kind='soft'"):
        Intervention(0, noise_scale=2.0)
    with pytest.raises(ConfigError, match="node indices"):
        Intervention("x")
    with pytest.raises(ConfigError, match=r"target\(s\) \[7\] out of range.*d=3"):
        _chain().sample(5, np.random.default_rng(0), intervention=Intervention(7))
    assert Intervention(0, kind="do").kind == "hard"


def test_sample_interventional_avici_style():
    scm = _chain()
    X, mask, env = sample_interventional(scm, 31, np.random.default_rng(0))
    assert mask.sum(axis=1).tolist() == [1] * 31  # single-node interventions
    counts = mask.sum(axis=0)
    assert counts.max() - counts.min() <= 1  # interleaved, balanced
    np.testing.assert_array_equal(env, mask.argmax(axis=1) + 1)
    vals = np.abs(X[mask])
    assert vals.min() >= 1.0 and vals.max() <= 3.0  # +-U(1, 3)
    X2, mask2, _ = sample_interventional(scm, 20, np.random.default_rng(0), n_targets=2,
                                         value=SignedUniform(1, 5))
    assert (mask2.sum(axis=0) > 0).sum() == 2 and np.abs(X2[mask2]).max() <= 5
    with pytest.raises(ConfigError, match="n_targets must be between 1 and d=3"):
        sample_interventional(scm, 5, np.random.default_rng(0), n_targets=4)
