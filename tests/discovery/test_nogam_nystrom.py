"""Fast NoGAM (Nyström residual regressions) and the Nyström Stein path (``scores="nystrom"``) of SCORE/DAS/NoGAM.

Tolerances measured on this machine (2 CPU cores): see the comments at each assertion.
"""

import numpy as np
import pytest
from click.testing import CliRunner

from scorecause.data import Dataset
from scorecause.discovery import DAS, SCORE, NoGAM
from scorecause.discovery.base import leaf_loop
from scorecause.discovery.nogam import nystrom_krr_loo, spline_loo
from scorecause.limits import MEMORY_BUDGET, SizeWarning, check_size
from scorecause.metrics import order_divergence
from scorecause.scores.kernels import sq_distances
from scorecause.scores.stein import NystromStein, stein_hessian, stein_hessian_diag, stein_score
from scorecause.simulate import simulate


def _chain(n, seed=0):
    """x0 -> x1 -> x2 -> x3 with non-Gaussian (uniform / Laplace) noise: true order [0, 1, 2, 3]."""
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(-2, 2, n)
    x1 = np.sin(1.5 * x0) + 0.3 * rng.laplace(size=n)
    x2 = np.tanh(2 * x1) + 0.4 * x0**2 / 4 + 0.3 * rng.uniform(-1, 1, n)
    x3 = np.cos(2 * x2) + 0.3 * rng.laplace(size=n)
    return np.c_[x2, x0, x3, x1]  # shuffled columns: true order [1, 3, 0, 2]


def test_nystrom_krr_loo_equals_brute_force_leave_one_out():
    rng = np.random.default_rng(0)
    n, r = 60, 25
    X = rng.normal(size=(n, 2))
    y = np.sin(X[:, 0]) + X[:, 1] ** 2 + 0.2 * rng.normal(size=n)
    L = np.sort(rng.choice(n, r, replace=False))
    D2 = np.asarray(sq_distances(X, X[L]))
    e, mse, (gamma, a) = nystrom_krr_loo(D2, L, y, alphas=(0.05,))
    # the same model refitted n times: ridge on the fixed Nyström features with an unpenalised intercept
    C = np.exp(-gamma * D2)
    w, V = np.linalg.eigh(C[L])
    keep = w > 1e-8 * w.max()
    Phi = C @ (V[:, keep] / np.sqrt(w[keep]))
    brute = np.empty(n)
    for i in range(n):
        m = np.arange(n) != i
        mu_p, mu_y = Phi[m].mean(0), y[m].mean()
        P = Phi[m] - mu_p
        beta = np.linalg.solve(P.T @ P + a * np.eye(P.shape[1]), P.T @ (y[m] - mu_y))
        brute[i] = y[i] - (mu_y + (Phi[i] - mu_p) @ beta)
    np.testing.assert_allclose(e, brute, atol=1e-8)
    assert mse == pytest.approx(np.mean(brute**2))


def _reference_nogam_order(X, gamma_c=1.0, alphas=(1e-3, 1e-2, 1e-1, 1.0)):
    """Slow direct NoGAM: exact RBF kernel ridge regression, LOO residuals by n explicit (n-1) x (n-1) solves."""
    Z = (X - X.mean(0)) / X.std(0)
    n = Z.shape[0]

    def loo_residuals(Xr, y):
        D2 = np.asarray(sq_distances(Xr))
        K = np.exp(-gamma_c / np.median(D2) * D2)
        best, best_mse = None, np.inf
        for a in alphas:
            e = np.empty(n)
            for i in range(n):
                m = np.arange(n) != i
                mu = y[m].mean()
                coef = np.linalg.solve(K[np.ix_(m, m)] + a * np.eye(n - 1), y[m] - mu)
                e[i] = y[i] - mu - K[i, m] @ coef
            if np.mean(e * e) < best_mse:
                best, best_mse = e, np.mean(e * e)
        return best

    def criterion(remaining):
        S = stein_score(Z[:, remaining])
        errs = []
        for i, j in enumerate(remaining):
            others = [k for k in remaining if k != j]
            R = loo_residuals(Z[:, others], Z[:, j])
            errs.append(spline_loo(R, S[:, i])[1])
        return np.array(errs)

    return leaf_loop(Z.shape[1], criterion)


def test_fast_nogam_gives_the_order_of_the_direct_reference():
    X = _chain(120)
    ref = _reference_nogam_order(X)
    assert ref == [1, 3, 0, 2]
    assert NoGAM(prune=False).fit(X).order_ == ref  # krr_rank >= n: every row a landmark
    assert NoGAM(prune=False, krr_rank=40).fit(X).order_ == ref  # rank 40 of 120 rows


def test_nystrom_hessian_diag_approaches_exact_as_landmarks_grow():
    X = 2 * np.random.default_rng(3).normal(size=(200, 3))
    H, G = stein_hessian_diag(X, bandwidth=1.5, return_score=True)
    errs = []
    for r in (25, 100, 200):
        Hn, Gn = NystromStein(X, np.arange(0, 200, 200 // r), bandwidth=1.5, rank_tol=1e-13).hessian_diag()
        errs.append(np.abs(Hn.numpy() - H).mean() / np.abs(H).mean())
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 1e-5  # measured 1e-7 .. 1e-6 with every row a landmark
    # the Hessian rows (DAS) agree with the exact ones the same way, their diagonal with hessian_diag
    ny = NystromStein(X, np.arange(200), bandwidth=1.5, rank_tol=1e-13)
    rows = ny.hessian_rows([0, 2]).numpy()
    exact = stein_hessian(X, rows=[0, 2], bandwidth=1.5)
    assert np.abs(rows - exact).mean() / np.abs(exact).mean() < 1e-5
    np.testing.assert_allclose(rows[:, 1, 2], ny.hessian_diag()[0].numpy()[:, 2], atol=1e-9)


@pytest.mark.parametrize("cls, seed", [(SCORE, 1), (DAS, 1), (NoGAM, 2)])
def test_nystrom_score_path_recovers_an_easy_order(cls, seed):
    # measured, d = 5, n = 2000, 200 landmarks: SCORE D_top 0 on seeds 1-3; NoGAM 2, 0, 1 on seeds 1-3 (its
    # residual-vs-score fit is more sensitive to the coarser Nyström score; exact NoGAM: 0, 0, 0)
    ds = simulate("score-gp-er", d=5, n=2000, rng=np.random.default_rng(seed))
    est = cls(scores="nystrom", n_landmarks=200, prune=False).fit(ds)
    assert order_divergence(ds.truth, est.order_) == 0


def test_nystrom_limits_use_every_row_at_50000():
    data = Dataset.from_array(np.random.default_rng(0).normal(size=(50_000, 20)))
    est = SCORE(scores="nystrom")
    with __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("error", SizeWarning)  # no subsample, no long-run warning
        used = check_size(est, data)
    assert used.n == 50_000
    assert est._memory_bytes(50_000, 20) < MEMORY_BUDGET
    with pytest.warns(SizeWarning, match="subsample of 5000 of the 50000 rows"):
        assert check_size(SCORE(), data).n == 5000  # the exact path still subsamples, with its notice


def test_cli_param_scores_nystrom(tmp_path):
    from scorecause.cli import main

    path = tmp_path / "data.csv"
    simulate("score-gp-er", d=4, n=400, rng=np.random.default_rng(0)).to_file(path)
    out = tmp_path / "g.json"
    result = CliRunner().invoke(main, ["discover", str(path), "-m", "score", "--param", "scores=nystrom",
                                       "--param", "n_landmarks=100", "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert out.exists()
    bad = CliRunner().invoke(main, ["discover", str(path), "-m", "nogam", "--param", "scores=lowrank",
                                    "-o", str(tmp_path / "h.json")])
    assert bad.exit_code == 1 and "NoGAM parameter scores='lowrank' is invalid" in bad.output
