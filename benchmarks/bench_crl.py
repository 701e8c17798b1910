"""CRL accuracy benchmark (reference DGP: ER density 0.5, linear Gaussian latents, d = 100, N = 50,000).

Usage: python benchmarks/bench_crl.py METHOD INTERVENTION SCORES n SEEDS [N] [LATENT] [--start=S]
  METHOD in {lscale, lcd, umni, gscale} (gscale: INTERVENTION is the pairing, known|unknown); seeds are
  S..S+SEEDS-1 (default S = 0); prints per-seed metrics and the mean +- s.e. as a Markdown row.

       python benchmarks/bench_crl.py --lscale-soft [SEEDS] [--start=S] [--scores=gaussian] [--n=5,8]
                                      [--soft-encoder=auto|innovations|span]
  soft LSCALE-I (the JMLR paper's soft-intervention table: d = 100, N = 50,000): per seed SHD_tc, SHD_tr,
  SHD, MCC, l_pa, wall and CPU time of ``fit``; writes benchmarks/results/crl_lscale_soft_<scores>_seeds<S>-<S+SEEDS-1>.json.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from scipy.optimize import linear_sum_assignment

from scorecause.crl.metrics import align_ancestral, evaluate_crl, mcc, shd, shd_closure
from scorecause.registry import methods
from scorecause.simulate.latent import simulate_latent


def run_gscale(scores, n, seeds, pairing="known", N=10000, d=100, n_steps=1000, start=0):
    """GSCALE-I on a one-hidden-layer tanh mixing, linear Gaussian latents, two hard interventions per node."""
    import torch

    from scorecause.crl.gscale import GSCALE_I

    torch.set_num_threads(1)
    rows = []
    for s in range(start, start + seeds):
        prob = simulate_latent(n, d, N, np.random.default_rng(s), per_node=2, mixing="mlp",
                               shuffle_pairing=pairing == "unknown")
        t = time.perf_counter()
        est = GSCALE_I(scores=scores, pairing=pairing, n_steps=n_steps, random_state=s).fit(prob.environments)
        el = time.perf_counter() - t
        Z = prob.environments[0].meta["Z"]
        ok = [b for a, b in est.pairing_] == list(prob.pairing)
        Zh = est.transform(prob.environments[0].X)
        inv = linear_sum_assignment(-np.abs(np.corrcoef(Z.T, Zh.T)[:n, n:]))[1]  # node -> latent (MCC matching)
        A = est.adjacency_[np.ix_(inv, inv)]
        m = {"mcc": mcc(Z, Zh), "shd": shd(prob.graph, A), "pairing_correct": float(ok), "time_s": el}
        rows.append(m)
        print(s, {k: round(float(v), 3) for k, v in m.items()}, flush=True)
    keys = rows[0].keys()
    print(f"| gscale | {pairing} pairing | {scores} | n={n} | {seeds} | " + " | ".join(
        f"{k} {np.mean([r[k] for r in rows]):.3f}±{np.std([r[k] for r in rows]) / np.sqrt(len(rows)):.3f}"
        for k in keys) + " |")


def run(method, intervention, scores, n, seeds, N=50000, latent="linear", d=100, start=0):
    if method == "gscale":
        return run_gscale(scores, n, seeds, pairing=intervention, start=start)
    rows = []
    for s in range(start, start + seeds):
        multi = method == "umni"
        prob = simulate_latent(n, d if not multi else 50, N, np.random.default_rng(s), intervention=intervention,
                               multi_node=multi, latent=latent, min_edge_strength=0.0 if multi else 0.02)
        params = {"random_state": s}
        if method != "lcd":
            params.update(intervention=intervention, scores=scores)
        est = methods.create(method, **params)
        t = time.perf_counter()
        if multi:
            est.fit(prob.environments)
        else:
            est.fit(prob.environments, targets=[iv.targets for iv in prob.interventions])
        el = time.perf_counter() - t
        if multi:  # align latents to nodes: ancestor-mixed latents match the node they add to their ancestors
            Z, Zh = prob.environments[0].meta["Z"], est.transform(prob.environments[0].X)
            inv = np.argsort(align_ancestral(est.encoder_, prob.mixing.G, prob.graph))  # node -> latent
            A = est.adjacency_[np.ix_(inv, inv)]
            m = {"mcc": mcc(Z, Zh), "shd": shd(prob.graph, A), "shd_tc": shd_closure(prob.graph, A)}
        else:
            m = evaluate_crl(est, prob)
        m["time_s"] = el
        rows.append(m)
        print(s, {k: round(float(v), 3) for k, v in m.items()}, flush=True)
    keys = rows[0].keys()
    mean = {k: np.mean([r[k] for r in rows]) for k in keys}
    se = {k: np.std([r[k] for r in rows]) / np.sqrt(len(rows)) for k in keys}
    print(f"| {method} | {intervention} | {scores} | n={n} | {seeds} | "
          + " | ".join(f"{k} {mean[k]:.3f}±{se[k]:.3f}" for k in keys) + " |")


def run_lscale_soft(seeds=10, start=0, scores="gaussian", ns=(5, 8), N=50000, d=100, soft_encoder="auto"):
    """Soft LSCALE-I on the reference DGP for each ``n`` in ``ns``; per-seed rows and mean +- s.e. to JSON."""
    import json
    from pathlib import Path

    from scorecause.crl.lscale import LSCALE_I
    from scorecause.fileio import atomic_write_text

    rows, summary = [], []
    for n in ns:
        block = []
        for s in range(start, start + seeds):
            prob = simulate_latent(n, d, N, np.random.default_rng(s), intervention="soft", min_edge_strength=0.02)
            t, c = time.perf_counter(), time.process_time()
            est = LSCALE_I(intervention="soft", scores=scores, soft_encoder=soft_encoder, random_state=s).fit(
                prob.environments, targets=[iv.targets for iv in prob.interventions])
            el, cpu = time.perf_counter() - t, time.process_time() - c
            m = evaluate_crl(est, prob)
            rec = {"n": n, "seed": s, "shd_tc": m["shd_tc"], "shd_tr": m["shd_tr"], "shd": m["shd"],
                   "mcc": m["mcc"], "l_pa": m["l_pa"], "time_s": el, "cpu_s": cpu}
            block.append(rec)
            print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in rec.items()}), flush=True)
        agg = {"n": n, "seeds": f"{start}..{start + seeds - 1}", "scores": scores, "soft_encoder": soft_encoder}
        for k in ("shd_tc", "shd_tr", "shd", "mcc", "l_pa", "time_s", "cpu_s"):
            v = np.array([r[k] for r in block], float)
            agg[k] = float(v.mean())
            agg[k + "_se"] = float(v.std() / np.sqrt(len(v)))
        summary.append(agg)
        rows += block
        print(f"| LSCALE-I soft | {scores} | n={n} | {seeds} | SHD_tc {agg['shd_tc']:.2f} ± {agg['shd_tc_se']:.2f} | "
              f"SHD {agg['shd']:.2f} ± {agg['shd_se']:.2f} | MCC {agg['mcc']:.3f} | l_pa {agg['l_pa']:.3f} | "
              f"{agg['time_s']:.1f} s |", flush=True)
    tag = "" if soft_encoder == "auto" else f"_{soft_encoder}"
    out = Path(__file__).parent / "results" / f"crl_lscale_soft_{scores}{tag}_seeds{start}-{start + seeds - 1}.json"
    atomic_write_text(out, json.dumps({"setting": {"d": d, "N": N, "intervention": "soft", "latent": "linear",
                                                   "min_edge_strength": 0.02}, "summary": summary,
                                       "rows": rows}, indent=1) + "\n")
    print("wrote", out)


if __name__ == "__main__":
    if "--lscale-soft" in sys.argv:
        opts = dict(x[2:].split("=", 1) for x in sys.argv[1:] if x.startswith("--") and "=" in x)
        pos = [x for x in sys.argv[1:] if not x.startswith("--")]
        run_lscale_soft(int(pos[0]) if pos else 10, start=int(opts.get("start", 0)),
                        scores=opts.get("scores", "gaussian"),
                        ns=tuple(int(v) for v in opts.get("n", "5,8").split(",")),
                        soft_encoder=opts.get("soft-encoder", "auto"))
        sys.exit(0)
    a = [x for x in sys.argv[1:] if not x.startswith("--start=")]
    start = sum(int(x.split("=")[1]) for x in sys.argv[1:] if x.startswith("--start="))
    run(a[0], a[1], a[2], int(a[3]), int(a[4]), *(int(x) for x in a[5:6]), *a[6:7], start=start)
