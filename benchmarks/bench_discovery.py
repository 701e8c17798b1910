"""Benchmarks of score-matching discovery (SCORE, DAS, NoGAM, ScoreSort, VarSort, CAM pruning).

Regenerates the tables of the ``discovery`` section of BENCHMARKS.md. Parts (run one at a time):

    python benchmarks/bench_discovery.py sachs
    python benchmarks/bench_discovery.py sweep --d 10 20 50 --graphs er1 er4 --seeds 5 --n 1000
    python benchmarks/bench_discovery.py cam-backends
    python benchmarks/bench_discovery.py speed-dodiscover --d 50 --n 1000
    python benchmarks/bench_discovery.py das-vs-score --d 100 --n 1000
    python benchmarks/bench_discovery.py large --d 500 --n 5000 [--rounds 5]
    python benchmarks/bench_discovery.py adascore --settings linear gp hidden --seeds 5 \
        --out benchmarks/results/adascore.jsonl      # AdaScore vs GES / SCORE, BENCHMARKS.md "adascore"
    python benchmarks/bench_discovery.py --nogam --d 10 20 50 --seeds 5 [--peer-max-d 20] [--peer-seeds 1] [--exact-max-d 20] [--standardize no]
    python benchmarks/bench_discovery.py --nystrom --n 50000 --d 20 [--sub 5000] [--method score]

``--nogam`` times NoGAM's ordering (fast Nyström regressions, ``krr_rank=200``) against the exact kernel ridge
path (``krr_rank=None``) and dodiscover's NoGAM on the same data (wall and CPU time, D_top). ``--nystrom`` fits
one method with ``scores="nystrom"`` on all ``n`` rows (full fit, CAM pruning included; wall, CPU, peak RSS)
and the exact estimator on a seeded ``--sub``-row subsample of the same data; run it under
``/usr/bin/time -v`` for an independent peak-RSS figure.

``speed-dodiscover`` and ``--nogam`` compare with the public dodiscover implementation (py-why/dodiscover on
GitHub) **if it is importable** (e.g. ``PYTHONPATH=/path/to/dodiscover``); otherwise they say so and skip
those columns. Nothing here downloads or builds it. Each part prints a markdown table; ``--csv FILE`` also
writes the raw rows. BLAS/torch threads are set to 1 (``--threads``) so timings on a shared machine are
comparable; every ratio is measured in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time


def _threads(k: int) -> None:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(k)


if __name__ == "__main__":
    _pre = argparse.ArgumentParser(add_help=False)
    _pre.add_argument("--threads", type=int, default=1)
    _threads(_pre.parse_known_args()[0].threads)

import numpy as np  # noqa: E402

METHODS = ("score", "das", "nogam", "scoresort", "varsort")


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # Linux: kB


def _table(header, rows) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _write_csv(path, header, rows) -> None:
    if path:
        import csv

        from scorecause.fileio import atomic_path

        with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)


def _evaluate(truth, est) -> dict:
    from scorecause.metrics import order_divergence, precision_recall_f1, shd, sid

    return {"shd": shd(truth, est.adjacency_), "sid": sid(truth, est.adjacency_),
            "f1": precision_recall_f1(truth, est.adjacency_)["f1"],
            "dtop": order_divergence(truth, est.order_)}


def _machine() -> str:
    import platform

    return f"{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}, no GPU"


# ---------------------------------------------------------------------------------------------------
def part_sachs(args):
    """All methods on the 853 observational Sachs rows against the bn17 consensus graph."""
    from scorecause.datasets import load_sachs
    from scorecause.registry import methods

    ds = load_sachs()
    rows = []
    for name in args.methods:
        t = time.perf_counter()
        est = methods.create(name).fit(ds)
        dt = time.perf_counter() - t
        m = _evaluate(ds.truth, est)
        rows.append([name, m["shd"], m["sid"], f"{m['f1']:.2f}", m["dtop"], int(est.adjacency_.sum()), f"{dt:.1f}"])
        print(rows[-1], flush=True)
    header = ["method", "SHD", "SID", "F1", "D_top", "edges", "time (s)"]
    print(_table(header, rows))
    _write_csv(args.csv, header, rows)


def part_sweep(args):
    """GP-ANM (score-gp-er) grid: d x graph density x seeds, every method; mean +- s.e. per cell."""
    from scorecause.registry import methods
    from scorecause.simulate import simulate

    raw = []
    for d in args.d:
        for g in args.graphs:
            k = float(g.replace("er", ""))
            for seed in range(args.seeds):
                ds = simulate("score-gp-er", d=d, n=args.n, rng=np.random.default_rng(seed), edges_per_node=k)
                for name in args.methods:
                    if name == "nogam" and d > args.nogam_max_d:
                        continue
                    t = time.perf_counter()
                    est = methods.create(name).fit(ds)
                    dt = time.perf_counter() - t
                    m = _evaluate(ds.truth, est)
                    raw.append([d, g, seed, name, m["shd"], m["sid"], m["f1"], m["dtop"], dt, int(ds.truth.sum())])
                    print(raw[-1], flush=True)
    header = ["d", "graph", "seed", "method", "shd", "sid", "f1", "dtop", "time_s", "true_edges"]
    _write_csv(args.csv, header, raw)
    rows = []
    for d in args.d:
        for g in args.graphs:
            for name in args.methods:
                sel = [r for r in raw if r[0] == d and r[1] == g and r[3] == name]
                if not sel:
                    continue
                cols = np.array([[r[4], r[5], r[6], r[7], r[8]] for r in sel], dtype=float)
                mean = cols.mean(0)
                se = cols.std(0, ddof=1) / np.sqrt(len(sel)) if len(sel) > 1 else np.zeros(5)
                rows.append([d, g, name, len(sel), f"{mean[0]:.1f} ± {se[0]:.1f}", f"{mean[1]:.1f} ± {se[1]:.1f}",
                             f"{mean[2]:.2f}", f"{mean[3]:.1f} ± {se[3]:.1f}", f"{mean[4]:.1f}"])
    print(_table(["d", "graph", "method", "seeds", "SHD", "SID", "F1", "D_top", "time (s)"], rows))


def part_cam_backends(args):
    """Own B-spline F test vs statsmodels GLMGam Wald test: time per fit and null rejection rate."""
    from scorecause.discovery.cam import _statsmodels_f_tests, additive_f_tests

    rows = []
    for label, fn, kw in (("bspline (own), penalty 0", additive_f_tests, {}),
                          ("bspline (own), penalty 1", additive_f_tests, {"penalty": 1.0}),
                          ("statsmodels GLMGam, alpha 0", _statsmodels_f_tests, {}),
                          ("statsmodels GLMGam, alpha 1", _statsmodels_f_tests, {"penalty": 1.0})):
        reps = args.reps if "own" in label else max(50, args.reps // 4)
        p_null, p_alt, t = [], [], 0.0
        for seed in range(reps):
            rng = np.random.default_rng(seed)
            n = args.n_cam
            Z = rng.normal(size=(n, args.p_cam))
            y = np.sin(Z[:, 0]) + Z[:, 1] ** 2 / 2 + 0.5 * rng.normal(size=n)
            t0 = time.perf_counter()
            p = fn(y, Z, **kw)
            t += time.perf_counter() - t0
            p_null.extend(p[2:])
            p_alt.extend(p[:2])
        p_null, p_alt = np.array(p_null), np.array(p_alt)
        rows.append([label, reps, f"{1e3 * t / reps:.1f}", f"{(p_null < 0.05).mean():.3f}",
                     f"{(p_null < 0.01).mean():.3f}", f"{(p_null < 0.001).mean():.4f}", f"{(p_alt < 1e-3).mean():.2f}"])
        print(rows[-1], flush=True)
    header = ["engine", "fits", "ms / fit", "null rate @0.05", "@0.01", "@0.001", "power @0.001"]
    print(f"n = {args.n_cam}, {args.p_cam} candidates (2 true parents), Gaussian noise")
    print(_table(header, rows))


def _dodiscover():
    try:
        import dodiscover  # noqa: F401
        from dodiscover import make_context
        from dodiscover.toporder import SCORE as DoSCORE
    except Exception as exc:  # noqa: BLE001 - any import failure means "absent"
        print(f"dodiscover is NOT importable ({type(exc).__name__}: {exc}); its columns are skipped. "
              "Install it from https://github.com/py-why/dodiscover outside this repository to compare.")
        return None
    return DoSCORE, make_context


def part_speed_dodiscover(args):
    """SCORE ordering: ours vs dodiscover on the same data (same conventions, so the same order expected)."""
    import pandas as pd

    from scorecause.discovery import SCORE
    from scorecause.metrics import order_divergence
    from scorecause.simulate import simulate

    do = _dodiscover()
    rows = []
    for d in args.d:
        for seed in range(args.seeds):
            ds = simulate("score-gp-er", d=d, n=args.n, rng=np.random.default_rng(seed))
            t = time.perf_counter()
            ours = SCORE(prune=False).fit(ds).order_
            t_ours = time.perf_counter() - t
            row = [d, args.n, seed, f"{t_ours:.2f}", order_divergence(ds.truth, ours)]
            if do is not None:
                DoSCORE, make_context = do
                df = pd.DataFrame(ds.X, columns=ds.names)
                model = DoSCORE(prune=False)
                t = time.perf_counter()
                model.learn_graph(df, make_context().variables(data=df).build())
                t_do = time.perf_counter() - t
                theirs = [int(v) for v in model.order_]
                row += [f"{t_do:.1f}", f"{t_do / t_ours:.1f}x", order_divergence(ds.truth, theirs),
                        "yes" if theirs == ours else f"no ({sum(a != b for a, b in zip(theirs, ours))} positions)"]
            else:
                row += ["absent", "-", "-", "-"]
            rows.append(row)
            print(row, flush=True)
    print(_table(["d", "n", "seed", "ours (s)", "D_top ours", "dodiscover (s)", "speed-up", "D_top dodiscover",
                  "same order"], rows))


def part_das_vs_score(args):
    """DAS vs SCORE + full CAM pruning on the same SCORE order: time of each stage and SHD."""
    from scorecause.discovery import DAS
    from scorecause.discovery.cam import cam_pruning
    from scorecause.metrics import shd
    from scorecause.simulate import simulate

    rows = []
    for d in args.d:
        for seed in range(args.seeds):
            ds = simulate("score-gp-er", d=d, n=args.n, rng=np.random.default_rng(seed))
            das = DAS()
            t = time.perf_counter()
            order = das._order(ds.X, None, None)  # SCORE ordering (keeps the first round's kernel)
            t_order = time.perf_counter() - t
            t = time.perf_counter()
            C = das._candidates(ds.X, order, None)  # full Hessian rows + Welch tests
            t_hess = time.perf_counter() - t
            t = time.perf_counter()
            A_das = cam_pruning(ds.X, order, C)
            t_das_cam = time.perf_counter() - t
            t = time.perf_counter()
            A_full = cam_pruning(ds.X, order)
            t_cam = time.perf_counter() - t
            das_total, score_total = t_order + t_hess + t_das_cam, t_order + t_cam
            row = [d, args.n, seed, f"{t_order:.1f}", f"{t_hess:.1f}", f"{t_das_cam:.1f}", f"{t_cam:.1f}",
                   f"{das_total:.1f}", f"{score_total:.1f}", f"{score_total / das_total:.2f}x",
                   f"{t_cam / (t_hess + t_das_cam):.2f}x", shd(ds.truth, A_das), shd(ds.truth, A_full),
                   int(C.sum())]
            rows.append(row)
            print(row, flush=True)
    print(_table(["d", "n", "seed", "order (s)", "DAS Hessian+tests (s)", "DAS CAM (s)", "full CAM (s)",
                  "DAS total (s)", "SCORE+CAM total (s)", "end-to-end ratio", "pruning ratio", "SHD DAS",
                  "SHD SCORE+CAM", "DAS candidates"], rows))


def part_large(args):
    """SCORE ordering at large d, n: time per round and peak memory (O(n^2), no n x n x d tensor)."""
    from scorecause.discovery.base import leaf_loop
    from scorecause.discovery.score import SteinState, dispersion

    d, n = args.d[0], args.n
    rng = np.random.default_rng(0)
    A = np.triu(rng.random((d, d)) < 1.0 / d, 1)  # sparse DAG, cheap tanh mechanisms (generation is not timed)
    X = rng.normal(size=(n, d))
    for j in range(d):
        pa = np.flatnonzero(A[:, j])
        if pa.size:
            X[:, j] += np.tanh(X[:, pa]).sum(1)
    t0 = time.perf_counter()
    state = SteinState(X)
    times = []

    class Stop(Exception):
        pass

    def crit(rem):
        if args.rounds and len(times) >= args.rounds:
            raise Stop
        t = time.perf_counter()
        state.compute(rem)
        c = dispersion(state.hessian_diag())
        times.append(time.perf_counter() - t)
        print(f"round {len(times)} (m = {len(rem)}): {times[-1]:.1f} s, peak RSS {_peak_gb():.2f} GB", flush=True)
        return c

    done = True
    try:
        leaf_loop(d, crit, None, on_remove=lambda leaf, pos: state.remove(leaf))
    except Stop:
        done = False
    total = time.perf_counter() - t0
    print(_table(["d", "n", "rounds run", "completed", "wall (s)", "mean s / round", "peak RSS (GB)"],
                 [[d, n, len(times), done, f"{total:.0f}", f"{np.mean(times):.1f}", f"{_peak_gb():.2f}"]]))


# --- AdaScore (issue 14): same data side by side; one JSON line per (setting, d, seed, method) ---

ADASCORE_SETTINGS = {
    # name: (preset, observed d values, hidden variables)
    "linear": ("linear-gaussian", [10], 0),
    "gp": ("score-gp-er", [10, 20], 0),
    "hidden": ("gp-gaussian", [12], 2),
}


def _adascore_rows(setting: str, d_obs: int, seed: int, n: int):
    """Simulate one dataset of ``setting`` and run AdaScore and its comparison method on the same data."""
    from scorecause.graph import dag_to_cpdag
    from scorecause.metrics import bidirected_f1, shd
    from scorecause.registry import methods
    from scorecause.simulate import simulate

    preset, _, hide = ADASCORE_SETTINGS[setting]
    ds = simulate(preset, d=d_obs + hide, n=n, rng=np.random.default_rng(seed), hide=hide)
    T = ds.truth
    Bt = ds.meta.get("truth_bidirected")
    others = {"linear": ["ges"], "gp": ["score"], "hidden": []}[setting]
    rows = []
    for name in ["adascore"] + others:
        est = methods.create(name)
        t0, c0 = time.perf_counter(), time.process_time()
        est.fit(ds.X)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        A = est.adjacency_
        Bp = getattr(est, "bidirected_", None)
        row = {"setting": setting, "preset": preset, "d": d_obs, "hidden": hide, "n": n, "seed": seed,
               "method": name, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
               "graph_type": getattr(est, "graph_type_", "cpdag" if name == "ges" else "dag"),
               "n_true_edges": int((T | T.T).sum() // 2)}
        if setting == "linear":
            row["shd_cpdag"] = int(shd(dag_to_cpdag(T), A))
        else:
            row["shd"] = int(shd(T, A, true_bidirected=Bt, pred_bidirected=Bp))
        if setting == "hidden":
            f = bidirected_f1(Bt, Bp)
            row.update({"bidirected_true": int(Bt.sum() // 2), "bidirected_pred": int(Bp.sum() // 2),
                        "bidirected_precision": f["precision"], "bidirected_recall": f["recall"],
                        "bidirected_f1": f["f1"]})
        if name == "adascore":
            row["regime_p"] = est.regime_p_value_
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def part_adascore(args):
    """AdaScore targets of issue 14 on the same data: linear-Gaussian CPDAG vs GES, GP grid vs SCORE, hidden."""
    import json as _json
    from pathlib import Path

    out = Path(args.out or "benchmarks/results/adascore.jsonl")
    done = set()
    if out.exists():
        for line in out.read_text().splitlines():
            r = _json.loads(line)
            done.add((r["setting"], r["d"], r["seed"]))
    for setting in args.settings:
        for d in (args.d if args.d_given else ADASCORE_SETTINGS[setting][1]):
            for seed in range(args.seeds):
                if (setting, d, seed) in done:
                    continue
                rows = _adascore_rows(setting, d, seed, args.n)
                with open(out, "a") as fh:  # append-only raw results (resumable)
                    fh.write("".join(_json.dumps(r) + "\n" for r in rows))
    print(adascore_tables(out))


def adascore_tables(path) -> str:
    """Markdown tables (means over seeds) from the raw AdaScore results."""
    import json as _json
    from pathlib import Path

    import pandas as pd

    df = pd.DataFrame([_json.loads(x) for x in Path(path).read_text().splitlines() if x.strip()])
    parts = []
    for setting, metric in (("linear", "shd_cpdag"), ("gp", "shd"), ("hidden", "shd")):
        sub = df[df.setting == setting]
        if sub.empty:
            continue
        cols = {metric: "mean", "wall_s": "mean", "cpu_s": "mean", "seed": "count"}
        if setting == "hidden":
            cols.update({"bidirected_precision": "mean", "bidirected_recall": "mean", "bidirected_f1": "mean",
                         "bidirected_true": "mean", "bidirected_pred": "mean"})
        g = sub.groupby(["d", "method"]).agg(cols).round(2).reset_index()
        types = sub.groupby(["d", "method"]).graph_type.agg(lambda v: ", ".join(f"{k} {c}" for k, c in
                                                                               v.value_counts().items()))
        g["graph types"] = [types[(d, m)] for d, m in zip(g.d, g.method)]
        g = g.rename(columns={"seed": "seeds"})
        parts.append(f"**{setting}** ({sub.preset.iloc[0]}, n = {sub.n.iloc[0]}"
                     + (f", {sub.hidden.iloc[0]} hidden" if sub.hidden.iloc[0] else "") + ")\n\n"
                     + _table(list(g.columns), g.values.tolist()))
    return "\n\n".join(parts)
def _dodiscover_nogam():
    try:
        from dodiscover import make_context
        from dodiscover.toporder import NoGAM as DoNoGAM
    except Exception as exc:  # noqa: BLE001 - any import failure means "absent"
        print(f"dodiscover is NOT importable ({type(exc).__name__}: {exc}); its NoGAM columns are skipped. "
              "Put a dodiscover checkout on PYTHONPATH (outside this repository) to compare.")
        return None
    import dodiscover

    print(f"dodiscover imported from {os.path.dirname(dodiscover.__file__)}")
    return DoNoGAM, make_context


def _timed(fn, *args):
    t, c = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - t, time.process_time() - c


def part_nogam(args):
    """NoGAM ordering: Nyström residual regressions vs exact KRR vs dodiscover, same data, one run per row."""
    import pandas as pd

    from scorecause.discovery import NoGAM
    from scorecause.metrics import order_divergence
    from scorecause.simulate import simulate

    do = _dodiscover_nogam()
    raw = []
    for d in args.d:
        for seed in range(args.seeds):
            ds = simulate("score-gp-er", d=d, n=args.n, rng=np.random.default_rng(seed), edges_per_node=1)
            row = [d, args.n, seed]
            est, wall, cpu = _timed(NoGAM(prune=False, standardize=args.standardize == "yes").fit, ds)
            fast = (wall, cpu, order_divergence(ds.truth, est.order_))
            row += [f"{wall:.1f}", f"{cpu:.1f}", fast[2]]
            if d <= args.exact_max_d:
                est, wall, cpu = _timed(NoGAM(prune=False, krr_rank=None).fit, ds)
                row += [f"{wall:.1f}", f"{cpu:.1f}", order_divergence(ds.truth, est.order_)]
            else:
                row += ["-", "-", "-"]
            if do is not None and d <= args.peer_max_d and seed < args.peer_seeds:
                DoNoGAM, make_context = do
                df = pd.DataFrame(ds.X, columns=ds.names)
                model = DoNoGAM(prune=False)
                _, wall, cpu = _timed(model.learn_graph, df, make_context().variables(data=df).build())
                theirs = [int(v) for v in model.order_]
                row += [f"{wall:.1f}", f"{cpu:.1f}", order_divergence(ds.truth, theirs), f"{wall / fast[0]:.1f}x",
                        f"{cpu / fast[1]:.1f}x"]
            else:
                row += ["absent" if do is None else "-", "-", "-", "-", "-"]
            raw.append(row)
            print(row, flush=True)
    header = ["d", "n", "seed", "fast wall (s)", "fast CPU (s)", "D_top fast", "exact-KRR wall (s)",
              "exact-KRR CPU (s)", "D_top exact-KRR", "dodiscover wall (s)", "dodiscover CPU (s)", "D_top dodiscover",
              "speed-up wall", "speed-up CPU"]
    print(_table(header, raw))
    _write_csv(args.csv, header, raw)


def part_nystrom(args):
    """One method with scores="nystrom" on all rows vs the exact estimator on a row subsample of the same data."""
    from scorecause.metrics import order_divergence, shd
    from scorecause.registry import methods
    from scorecause.simulate import simulate

    d, n = args.d[0], args.n
    ds = simulate("score-gp-er", d=d, n=n, rng=np.random.default_rng(args.data_seed), edges_per_node=1)
    rows = []
    est, wall, cpu = _timed(methods.create(args.method, scores="nystrom", n_landmarks=args.landmarks).fit, ds)
    rows.append([args.method, "nystrom", args.landmarks, n, f"{wall:.1f}", f"{cpu:.1f}", f"{_peak_gb():.2f}",
                 order_divergence(ds.truth, est.order_), shd(ds.truth, est.adjacency_)])
    print(rows[-1], flush=True)
    if args.sub:
        sub = ds.subset(np.sort(np.random.default_rng(0).choice(n, args.sub, replace=False)))
        est, wall, cpu = _timed(methods.create(args.method).fit, sub)
        rows.append([args.method, "exact", "-", args.sub, f"{wall:.1f}", f"{cpu:.1f}", f"{_peak_gb():.2f}",
                     order_divergence(ds.truth, est.order_), shd(ds.truth, est.adjacency_)])
        print(rows[-1], flush=True)
    header = ["method", "scores", "landmarks", "rows", "wall (s)", "CPU (s)", "peak RSS so far (GB)", "D_top", "SHD"]
    print(f"d = {d}, score-gp-er ER1, data seed {args.data_seed}")
    print(_table(header, rows))
    _write_csv(args.csv, header, rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", nargs="?", choices=["sachs", "sweep", "cam-backends", "speed-dodiscover", "das-vs-score",
                                                "large", "nogam", "nystrom", "adascore"])
    ap.add_argument("--nogam", action="store_true", help="the NoGAM speed part (same as part 'nogam')")
    ap.add_argument("--nystrom", action="store_true", help="the scores='nystrom' large-n part (part 'nystrom')")
    ap.add_argument("--peer-max-d", type=int, default=20, help="nogam: run dodiscover up to this d")
    ap.add_argument("--peer-seeds", type=int, default=1, help="nogam: run dodiscover on the first K seeds only")
    ap.add_argument("--exact-max-d", type=int, default=20, help="nogam: run the exact-KRR NoGAM up to this d")
    ap.add_argument("--standardize", choices=["yes", "no"], default="yes", help="nogam: the fast NoGAM's standardize")
    ap.add_argument("--method", default="score", help="nystrom: score, das or nogam")
    ap.add_argument("--landmarks", type=int, default=500, help="nystrom: n_landmarks")
    ap.add_argument("--sub", type=int, default=5000, help="nystrom: rows of the exact fit's subsample (0: skip)")
    ap.add_argument("--data-seed", type=int, default=0)
    ap.add_argument("--settings", nargs="+", default=list(ADASCORE_SETTINGS), choices=list(ADASCORE_SETTINGS),
                    help="adascore: which settings")
    ap.add_argument("--out", default=None, help="adascore: raw JSON-lines results (appended; resumable)")
    ap.add_argument("--d", type=int, nargs="+", default=None)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--graphs", nargs="+", default=["er1", "er4"])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--methods", nargs="+", default=list(METHODS))
    ap.add_argument("--nogam-max-d", type=int, default=20, help="skip NoGAM above this d (O(d^2 n^3))")
    ap.add_argument("--reps", type=int, default=400)
    ap.add_argument("--n-cam", type=int, default=500)
    ap.add_argument("--p-cam", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=0, help="large: stop after this many rounds (0 = all)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--csv", default=None)
    args = ap.parse_args(argv)
    args.d_given = args.d is not None
    args.part = "nogam" if args.nogam else "nystrom" if args.nystrom else args.part
    if args.part is None:
        ap.error("give a part (or --nogam / --nystrom)")
    defaults = {"sweep": [10, 20, 50], "speed-dodiscover": [50], "das-vs-score": [100], "large": [500],
                "nogam": [20, 50], "nystrom": [20]}
    args.d = args.d or defaults.get(args.part, [10])
    print(f"machine: {_machine()}; threads per process: {args.threads}; command: "
          f"python benchmarks/bench_discovery.py {' '.join(sys.argv[1:] if argv is None else argv)}")
    {"sachs": part_sachs, "sweep": part_sweep, "cam-backends": part_cam_backends,
     "speed-dodiscover": part_speed_dodiscover, "das-vs-score": part_das_vs_score, "large": part_large,
     "nogam": part_nogam, "nystrom": part_nystrom, "adascore": part_adascore}[args.part](args)


if __name__ == "__main__":
    main()
