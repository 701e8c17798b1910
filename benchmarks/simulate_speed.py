"""Speed of scorecause.simulate: milliseconds per dataset for each preset, and the GP draw vs scikit-learn.

Usage: python benchmarks/simulate_speed.py [--d 30] [--n 1000] [--reps 20]

Prints a markdown table. The GP comparison draws the same kind of sample (RBF kernel, length scale 1, on the
same n points) with our Cholesky-based GPMechanism and with ``GaussianProcessRegressor().sample_y`` (the route
of the GraN-DAG / SCORE era generators), measured in the same run so machine load affects both.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np


def _median_ms(fn, reps):
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return 1e3 * float(np.median(ts))


def main():
    from scorecause.simulate import PRESETS, GPMechanism, simulate

    ap = argparse.ArgumentParser()
    ap.add_argument("--d", type=int, default=30)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=20)
    a = ap.parse_args()
    print(f"machine: {os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}, "
          f"load average at start {os.getloadavg()[0]:.1f}")
    print(f"\n| preset | d | n obs + n int | ms / dataset (median of {a.reps}) |\n|---|---|---|---|")
    for name in sorted(PRESETS):
        if name == "mlp-gaussian":
            continue
        reps = max(2, a.reps // 10) if "gp" in name else a.reps
        rng = np.random.default_rng(0)
        ms = _median_ms(lambda name=name, rng=rng: simulate(name, d=a.d, n=a.n, rng=rng), reps)
        rng = np.random.default_rng(0)
        ms_int = _median_ms(lambda name=name, rng=rng: simulate(name, d=a.d, n=600, rng=rng,
                                                                 n_interventional=200), reps)
        print(f"| {name} | {a.d} | {a.n} + 0 | {ms:.1f} |")
        print(f"| {name} | {a.d} | 600 + 200 | {ms_int:.1f} |")

    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF

    rng = np.random.default_rng(0)
    P = rng.normal(size=(a.n, 2))

    def ours():
        g = GPMechanism(2, length_scale=1.0, output_scale=1.0)
        g.bind(P, rng)
        g(P)

    def sk():
        GaussianProcessRegressor(kernel=RBF(1.0)).sample_y(P, random_state=int(rng.integers(1 << 31)))

    reps = max(3, a.reps // 5)
    t_ours, t_sk = _median_ms(ours, reps), _median_ms(sk, reps)
    print(f"\nGP draw on n={a.n} points (2 parents): ours {t_ours:.0f} ms, sklearn sample_y {t_sk:.0f} ms, "
          f"ratio {t_sk / t_ours:.1f}x")
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
