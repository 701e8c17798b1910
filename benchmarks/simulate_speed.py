"""Speed of scorecause.simulate: milliseconds per dataset for each preset, and the GP draw vs scikit-learn.

Usage: python benchmarks/simulate_speed.py [--d 30] [--n 1000] [--reps 20]
       OMP_NUM_THREADS=1 python benchmarks/simulate_speed.py --images [--n-images 2000]

``--images``: rendering speed of scorecause.simulate.images (balls and robot arm, 64 x 64, one core), images
per second of wall-clock and of process CPU time (contention on a shared machine inflates the former only),
the whole simulator (SCM draws + squashing + rendering) and the compressed .npz writer; the table is printed
and the raw figures written to benchmarks/results/simulate_images_speed.json.

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


def _timed(fn):
    """(result, wall seconds, process CPU seconds) of ``fn()``."""
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def _image_row(preset: str, count: int, n_images: int, reps: int) -> dict:
    """One simulator's speeds: renderer alone, whole simulator, compressed .npz writer (best of ``reps``)."""
    import tempfile
    from pathlib import Path

    from scorecause.crl.io import image_environment_paths, write_image_environments
    from scorecause.simulate.images import ArmGeometry, render_arm, render_balls, simulate_images

    prob = simulate_images(preset, count=count, N=n_images, rng=np.random.default_rng(0), per_node=1)
    lat = prob.latents[0]
    geometry = ArmGeometry(count)

    def render():
        return render_balls(lat) if preset == "crl-balls" else render_arm(lat, geometry)

    n_env = len(prob.images)
    per_env = n_images // n_env + 1

    def simulate():
        return simulate_images(preset, count=count, N=per_env, rng=np.random.default_rng(1), per_node=1)

    best = min((_timed(render)[1:] for _ in range(reps)), key=lambda t: t[1])
    sim = min((_timed(simulate)[1:] for _ in range(reps)), key=lambda t: t[1])
    n_all = sum(len(im) for im in prob.images)
    with tempfile.TemporaryDirectory() as tmp:
        paths = image_environment_paths(Path(tmp), n_env)
        _, w_write, c_write = _timed(lambda: write_image_environments(prob.images, paths, prob.targets,
                                                                       latents=prob.latents))
        size = sum(p.stat().st_size for p in paths)
    return {"preset": preset, "count": count, "image_shape": list(prob.images[0].shape[1:]),
            "render_images": n_images, "render_wall_s": best[0], "render_cpu_s": best[1],
            "render_per_s_wall": n_images / best[0], "render_per_s_cpu": n_images / best[1],
            "simulate_images": n_env * per_env, "simulate_per_s_wall": n_env * per_env / sim[0],
            "simulate_per_s_cpu": n_env * per_env / sim[1], "write_images": n_all,
            "write_per_s_wall": n_all / w_write, "write_per_s_cpu": n_all / c_write,
            "npz_bytes_per_image": size / n_all}


def image_speed(n_images: int, reps: int = 3) -> list[dict]:
    """Images per second of the renderers, the whole simulators and the .npz writer; table + JSON."""
    import json
    from pathlib import Path

    rows = [_image_row(preset, count, n_images, reps)
            for preset, count in [("crl-balls", 2), ("crl-balls", 3), ("crl-balls", 5), ("crl-robot-arm", 3),
                                  ("crl-robot-arm", 5)]]
    print("\n| simulator | image | render img/s (CPU) | render img/s (wall) | simulate img/s (CPU) | "
          "write .npz img/s (CPU) | bytes / image |\n|---|---|---|---|---|---|---|")
    for r in rows:
        what = f"{r['preset']} ({r['count']} {'balls' if 'balls' in r['preset'] else 'joints'})"
        print(f"| {what} | {'x'.join(map(str, r['image_shape']))} | {r['render_per_s_cpu']:.0f} | "
              f"{r['render_per_s_wall']:.0f} | {r['simulate_per_s_cpu']:.0f} | {r['write_per_s_cpu']:.0f} | "
              f"{r['npz_bytes_per_image']:.0f} |")
    out = Path(__file__).parent / "results" / "simulate_images_speed.json"
    meta = {"machine": f"{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}",
            "load_average_start": os.getloadavg()[0], "n_images": n_images, "reps": reps,
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}
    out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    print(f"wrote {out}")
    return rows


def main():
    from scorecause.simulate import PRESETS, GPMechanism, simulate

    ap = argparse.ArgumentParser()
    ap.add_argument("--d", type=int, default=30)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--images", action="store_true", help="only the image simulators' speed")
    ap.add_argument("--n-images", type=int, default=2000)
    a = ap.parse_args()
    if a.images:
        print(f"machine: {os.cpu_count()} CPU cores, load average at start {os.getloadavg()[0]:.1f}")
        image_speed(a.n_images)
        return
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
