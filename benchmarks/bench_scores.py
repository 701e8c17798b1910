"""Benchmarks for scorecause.scores (tables in BENCHMARKS.md, section "scores").

Usage
-----
python benchmarks/bench_scores.py hessian [--n 500 1000 2000 5000] [--d 10 50 200] [--naive-budget-gb 3]
    Time and peak memory of the Stein Hessian diagonal (SCORE's estimator): our matrix-product version vs a
    straightforward n x n x d implementation (the reference codes' layout), each run in its own subprocess
    (peak RSS from resource.getrusage), one BLAS thread each, same data, results compared entrywise.
    The naive run is skipped where its three n x n x d float64 arrays would exceed --naive-budget-gb.
python benchmarks/bench_scores.py accuracy [--n 250 500 1000 2000 4000] [--seed 0]
    Relative RMSE vs analytic scores at held-out points for Stein (exact, out of sample), Nystrom, SSM, DSM
    (5-d Gaussian and 5-d GP-ANM "score-gp-er"), and of score differences (classifier-logistic, classifier-mlp,
    dsm, stein) between two 5-d Gaussians; plus the Nystrom approximation error relative to exact Stein.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

# ------------------------------------------------------------------------------------------ hessian (child)


def _naive_hessian_diag(X, eta=1e-3):
    """Straightforward SCORE-style Hessian diagonal with explicit (n, n, d) differences and two inverses."""
    import torch

    X = torch.as_tensor(X)
    n = X.shape[0]
    diff = X[:, None, :] - X[None, :, :]  # (n, n, d)
    dist = diff.norm(dim=2)
    s = dist.flatten().median()
    K = torch.exp(-dist**2 / (2 * s**2)) / s
    eye = torch.eye(n, dtype=X.dtype)
    nablaK = -torch.einsum("ika,ik->ia", diff, K) / s**2
    G = torch.inverse(K + eta * eye) @ nablaK
    nabla2K = torch.einsum("ika,ik->ia", -1 / s**2 + diff**2 / s**4, K)
    return (-G**2 + torch.inverse(K + eta * eye) @ nabla2K).numpy()


def _child(kind: str, n: int, d: int, out: str) -> None:
    import torch

    torch.set_num_threads(1)
    from scorecause.scores import stein_hessian_diag

    X = np.random.default_rng(0).normal(size=(n, d))
    if kind == "fast":
        stein_hessian_diag(X[:50])  # warm-up (lazy torch init), not timed
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    H = stein_hessian_diag(X) if kind == "fast" else _naive_hessian_diag(X)
    el = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    np.save(out + ".npy", H)
    with open(out + ".json", "w") as f:
        json.dump({"time_s": el, "peak_mb": peak / 1024, "base_mb": base / 1024}, f)


def _run_child(kind, n, d, tmp):
    out = os.path.join(tmp, f"{kind}_{n}_{d}")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    r = subprocess.run([sys.executable, __file__, "_child", kind, str(n), str(d), out], env=env,
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None, {"error": r.stderr.strip().splitlines()[-1] if r.stderr else f"rc={r.returncode}"}
    with open(out + ".json") as f:
        info = json.load(f)
    return np.load(out + ".npy"), info


def bench_hessian(ns, ds, budget_gb):
    print("| n | d | ours time (s) | ours peak RSS (MB) | naive time (s) | naive peak RSS (MB) | speed-up | "
          "max abs diff (max abs H) |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in ns:
            for d in ds:
                H, fi = _run_child("fast", n, d, tmp)
                need_gb = 3 * n * n * d * 8 / 1e9
                if need_gb > budget_gb:
                    nv = f"skipped (needs ~{need_gb:.0f} GB)"
                    print(f"| {n} | {d} | {fi['time_s']:.2f} | {fi['peak_mb']:.0f} | {nv} | – | – | – |", flush=True)
                    continue
                H0, ni = _run_child("naive", n, d, tmp)
                if H0 is None:
                    print(f"| {n} | {d} | {fi['time_s']:.2f} | {fi['peak_mb']:.0f} | failed: {ni['error']} | – | – "
                          "| – |", flush=True)
                    continue
                diff = float(np.abs(H - H0).max())
                print(f"| {n} | {d} | {fi['time_s']:.2f} | {fi['peak_mb']:.0f} | {ni['time_s']:.2f} | "
                      f"{ni['peak_mb']:.0f} | {ni['time_s'] / fi['time_s']:.1f}x | {diff:.1e} ({np.abs(H0).max():.1f}) |",
                      flush=True)
        print(f"\n(peak RSS includes the Python + torch baseline of ~{fi['base_mb']:.0f} MB)")


# ------------------------------------------------------------------------------------------------ accuracy


def _rel(est, true):
    return float(np.sqrt(((est - true) ** 2).mean() / (true**2).mean()))


def _timed(f):
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def bench_accuracy(ns, seed):
    import torch

    torch.set_num_threads(1)
    from scorecause.scores import SteinEstimator
    from scorecause.scores.difference import score_difference
    from scorecause.scores.matching import ScoreModel
    from scorecause.simulate import simulate

    d = 5
    L = np.linalg.cholesky(0.5 * np.eye(d) + 0.3)
    P = np.linalg.inv(L @ L.T)
    rng = np.random.default_rng(seed)
    gauss_test = rng.normal(size=(2000, d)) @ L.T
    anm = simulate("score-gp-er", d=d, n=max(ns), rng=np.random.default_rng(seed))
    scm = anm.meta["scm"]
    anm_test, _ = scm.sample(1000, np.random.default_rng(seed + 1))
    problems = {
        "gaussian": (rng.normal(size=(max(ns), d)) @ L.T, gauss_test, -gauss_test @ P),
        "gp-anm": (anm.X, anm_test, scm.score(anm_test)),
    }
    print("Relative RMSE vs analytic score at held-out points (time in s):\n")
    print("| data | n | Stein exact | Nyström r=200, rank_tol=1e-10 (approx. err. vs exact) | Nyström r=200, rank_tol=1e-4 "
          "(approx. err.) | SSM | DSM |")
    print("|---|---|---|---|---|---|---|")
    for name, (Xall, Y, true) in problems.items():
        for n in ns:
            X = Xall[:n]
            ex, te = _timed(lambda X=X, Y=Y: SteinEstimator().fit(X).score(Y))
            ny, tn = _timed(lambda X=X, Y=Y: SteinEstimator("nystrom", n_landmarks=200, rank_tol=1e-10,
                                                            random_state=seed).fit(X).score(Y))
            nt, tt = _timed(lambda X=X, Y=Y: SteinEstimator("nystrom", n_landmarks=200, rank_tol=1e-4,
                                                            random_state=seed).fit(X).score(Y))
            ss, ts = _timed(lambda X=X, Y=Y: ScoreModel("ssm", random_state=seed).fit(X).score(Y))
            ds_, td = _timed(lambda X=X, Y=Y: ScoreModel("dsm", random_state=seed).fit(X).score(Y))
            print(f"| {name} | {n} | {_rel(ex, true):.3f} ({te:.1f}) | {_rel(ny, true):.3f} ({tn:.1f}; "
                  f"{_rel(ny, ex):.3f}) | {_rel(nt, true):.3f} ({tt:.1f}; {_rel(nt, ex):.3f}) | "
                  f"{_rel(ss, true):.3f} ({ts:.1f}) | {_rel(ds_, true):.3f} ({td:.1f}) |",
                  flush=True)

    # large n: Nystrom only (the exact estimator would need several n x n float64 matrices)
    for n_big in (20000, 100000):
        Xb = rng.normal(size=(n_big, d)) @ L.T
        for tol in (1e-10, 1e-4):
            nb, tb = _timed(lambda Xb=Xb, tol=tol: SteinEstimator("nystrom", n_landmarks=500, rank_tol=tol,
                                                                 random_state=seed).fit(Xb).score(gauss_test))
            print(f"| gaussian | {n_big} | – | Nyström r=500, rank_tol={tol:g}: {_rel(nb, -gauss_test @ P):.3f} "
                  f"({tb:.1f}) | | | |", flush=True)

    # score differences between N(0, S0) and N(mu1, B S0 B^T) (a shifted, sheared "intervention")
    B = np.eye(d)
    B[0, 1] = 0.8
    S0 = L @ L.T
    S1 = B @ S0 @ B.T
    mu1 = np.r_[0.5, np.zeros(d - 1)]
    X0 = rng.multivariate_normal(np.zeros(d), S0, size=max(ns))
    X1 = rng.multivariate_normal(mu1, S1, size=max(ns))
    at = rng.multivariate_normal(np.zeros(d), S0, size=1000)
    true = -(at - mu1) @ np.linalg.inv(S1) + at @ np.linalg.inv(S0)
    methods = ["classifier-logistic", "classifier-mlp", "dsm", "ssm", "stein"]
    print("\nScore difference grad log p_1 - grad log p_0, relative RMSE at 1000 held-out reference points "
          "(time in s):\n")
    print("| n per set | " + " | ".join(methods) + " |")
    print("|---|" + "---|" * len(methods))
    for n in ns:
        cells = []
        for m in methods:
            D, t = _timed(lambda m=m, n=n: score_difference(X0[:n], X1[:n], at, method=m, random_state=seed))
            cells.append(f"{_rel(D, true):.3f} ({t:.1f})")
        print(f"| {n} | " + " | ".join(cells) + " |", flush=True)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_child":
        _child(argv[1], int(argv[2]), int(argv[3]), argv[4])
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("hessian")
    h.add_argument("--n", type=int, nargs="+", default=[500, 1000, 2000, 5000])
    h.add_argument("--d", type=int, nargs="+", default=[10, 50, 200])
    h.add_argument("--naive-budget-gb", type=float, default=3.0)
    a = sub.add_parser("accuracy")
    a.add_argument("--n", type=int, nargs="+", default=[250, 500, 1000, 2000, 4000])
    a.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.cmd == "hessian":
        bench_hessian(args.n, args.d, args.naive_budget_gb)
    else:
        bench_accuracy(args.n, args.seed)


if __name__ == "__main__":
    main()
