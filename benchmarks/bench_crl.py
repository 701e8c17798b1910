"""CRL accuracy benchmark (reference DGP: ER density 0.5, linear Gaussian latents, d = 100, N = 50,000).

Usage: python benchmarks/bench_crl.py METHOD INTERVENTION SCORES n SEEDS [N] [LATENT] [--start=S]
  METHOD in {lscale, lcd, umni, gscale} (gscale: INTERVENTION is the pairing, known|unknown); seeds are
  S..S+SEEDS-1 (default S = 0); prints per-seed metrics and the mean +- s.e. as a Markdown row.

       python benchmarks/bench_crl.py --lscale-soft [SEEDS] [--start=S] [--scores=gaussian] [--n=5,8]
                                      [--soft-encoder=auto|innovations|span]
  soft LSCALE-I (the JMLR paper's soft-intervention table: d = 100, N = 50,000): per seed SHD_tc, SHD_tr,
  SHD, MCC, l_pa, wall and CPU time of ``fit``; writes benchmarks/results/crl_lscale_soft_<scores>_seeds<S>-<S+SEEDS-1>.json.
       python benchmarks/bench_crl.py --gscale [SEEDS] [--start=S] [--pairing=known|unknown] [--out=PATH]
       python benchmarks/bench_crl.py --gscale-summary [PATH]   (Markdown table of a --gscale results file)
  GSCALE-I benchmark of the issue: n = 5, d = 100, N = 10,000, tanh-MLP mixing, estimated (classifier-mlp)
  score differences, known and unknown pairing (or the one given), SEEDS seeds (default 10); one JSON line per fit (wall and
  process CPU time of ``fit``, MCC, SHD, pairing recovered) appended to PATH
  (default benchmarks/results/gscale.jsonl), and a summary table per pairing.
Images (GSCALE-I on rendered balls / a robot arm, JMLR 2025 Table 14 and ROPES):
  python benchmarks/bench_crl.py --images SETTING SEEDS [N] [--start=S] [--out=FILE.jsonl] [--params=JSON]
  SETTING is KIND-COUNT-MECHANISM-PERNODE, e.g. balls-2-linear-2 (2 balls, linear SCM, two hard interventions
  per latent), balls-3-linear-2, balls-2-quadratic-2, balls-2-linear-1, balls-2-quadratic-1, arm-3-linear-2;
  N images per environment (default 2000). Per seed: MCC against the true latents (positions / angles) on the
  observational images, SHD (SHD of closures with one intervention per latent), pixel-PCA MCC (trivial
  baseline), wall and CPU seconds; the arm adds the pose read-out error (degrees, k = 10 and 100 labelled
  observational images, held-out: the observational images after the first 100) next to the supervised CNN's.
  Every run also records how much of the true latents the autoencoder codes hold (held-out linear and 10-NN
  R^2, ``code_recoverability``). --params: ImageGSCALE parameters as JSON, e.g. '{"ae_input_size": 16}'.
  Where MCC is lost (GSCALE-I's ceiling on ideal codes, code diagnostics): benchmarks/crl_images_diagnostics.py.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
from scipy.optimize import linear_sum_assignment

from scorecause.crl.metrics import align_ancestral, evaluate_crl, mcc, shd, shd_closure
from scorecause.registry import methods
from scorecause.simulate.latent import simulate_latent


def gscale_fit(scores, n, s, pairing="known", N=10000, d=100, n_steps=2000):
    """One GSCALE-I fit (tanh-MLP mixing, linear Gaussian latents, two hard interventions per node): metrics."""
    from scorecause.crl.gscale import GSCALE_I

    prob = simulate_latent(n, d, N, np.random.default_rng(s), per_node=2, mixing="mlp",
                           shuffle_pairing=pairing == "unknown")
    t, c = time.perf_counter(), time.process_time()
    est = GSCALE_I(scores=scores, pairing=pairing, n_steps=n_steps, random_state=s).fit(prob.environments)
    el, cpu = time.perf_counter() - t, time.process_time() - c
    Z = prob.environments[0].meta["Z"]
    ok = [b for a, b in est.pairing_] == list(prob.pairing)
    Zh = est.transform(prob.environments[0].X)
    inv = linear_sum_assignment(-np.abs(np.corrcoef(Z.T, Zh.T)[:n, n:]))[1]  # node -> latent (MCC matching)
    A = est.adjacency_[np.ix_(inv, inv)]
    # GSCALE-I identifies latents up to element-wise invertible maps; mcc_gauss scores the representative with
    # standard-normal observational marginals (rank -> normal quantile per latent), Pearson MCC as for mcc
    from scipy.stats import norm, rankdata

    Zg = norm.ppf((np.apply_along_axis(rankdata, 0, Zh) - 0.5) / len(Zh))
    return {"mcc": mcc(Z, Zh), "mcc_gauss": mcc(Z, Zg), "shd": shd(prob.graph, A), "n_edges": int(prob.graph.sum()),
            "pairing_correct": float(ok), "time_s": el, "cpu_s": cpu,
            "evidence": {"node_of_latent": np.argsort(inv).tolist(), "edge_evidence": est.edge_evidence_.tolist(),
                         "ancestral_evidence": est.ancestral_evidence_.tolist(), "sparsity": est.sparsity_.tolist(),
                         "true_graph": prob.graph.tolist()}}


def run_gscale(scores, n, seeds, pairing="known", N=10000, d=100, n_steps=2000, start=0, out=None):
    """GSCALE-I over seeds ``start..start+seeds-1``; one JSON line per fit appended to ``out`` (if given)."""
    import json
    import platform

    import torch

    torch.set_num_threads(1)
    rows = []
    for s in range(start, start + seeds):
        m = gscale_fit(scores, n, s, pairing=pairing, N=N, d=d, n_steps=n_steps)
        rows.append(m)
        print(s, {k: round(float(v), 3) for k, v in m.items() if k != "evidence"}, flush=True)
        if out is not None:
            rec = {"method": "gscale", "pairing": pairing, "scores": scores, "n": n, "d": d, "N": N, "seed": s,
                   "n_steps": n_steps, **m, "load_avg_1min": os.getloadavg()[0], "host_cpus": os.cpu_count(),
                   "python": platform.python_version(), "torch": torch.__version__,
                   "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            with open(out, "a") as fh:  # append-only results log (one line per fit)
                fh.write(json.dumps(rec) + "\n")
    keys = [k for k in rows[0] if k != "evidence"]
    print(f"| gscale | {pairing} pairing | {scores} | n={n} | {seeds} | " + " | ".join(
        f"{k} {np.mean([r[k] for r in rows]):.3f}±{np.std([r[k] for r in rows]) / np.sqrt(len(rows)):.3f}"
        for k in keys) + " |")


def gscale_summary(path):
    """Markdown rows (mean ± s.e. per pairing, then per seed) of a ``--gscale`` results file."""
    import json

    recs = [json.loads(line) for line in open(path) if line.strip()]
    keys = ["mcc", "mcc_gauss", "shd", "pairing_correct", "time_s", "cpu_s"]
    print("| pairing | seeds | " + " | ".join(keys) + " |")
    print("|---|---|" + "---|" * len(keys))
    for pairing in ("known", "unknown"):
        rs = sorted((r for r in recs if r["pairing"] == pairing), key=lambda r: r["seed"])
        if rs:
            cells = [f"{np.mean([r[k] for r in rs]):.3f} ± {np.std([r[k] for r in rs]) / np.sqrt(len(rs)):.3f}"
                     for k in keys]
            print(f"| {pairing} | {len(rs)} ({', '.join(str(r['seed']) for r in rs)}) | " + " | ".join(cells) + " |")
    print("\n| pairing | seed | " + " | ".join(keys) + " | true edges |")
    print("|---|---|" + "---|" * (len(keys) + 1))
    for r in sorted(recs, key=lambda r: (r["pairing"], r["seed"])):
        print(f"| {r['pairing']} | {r['seed']} | " + " | ".join(f"{r[k]:.3f}" for k in keys) + f" | {r['n_edges']} |")


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
        print(s, {k: round(float(v), 3) for k, v in m.items() if k != "evidence"}, flush=True)
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


def code_recoverability(C, Z):
    """Upper bound of what GSCALE-I can recover from autoencoder codes ``C`` (N, c): held-out R^2 of the true
    latents ``Z`` (N, n) regressed on the codes, linear and 10-nearest-neighbour (first half fits, second half
    scores). A low kNN R^2 means the autoencoder lost the latents; a high kNN but low linear R^2 means they are
    there but folded / strongly nonlinear."""
    from sklearn.linear_model import LinearRegression
    from sklearn.neighbors import KNeighborsRegressor

    h = len(C) // 2
    return {"code_linear_r2": float(LinearRegression().fit(C[:h], Z[:h]).score(C[h:], Z[h:])),
            "code_knn_r2": float(KNeighborsRegressor(10).fit(C[:h], Z[:h]).score(C[h:], Z[h:]))}


def run_images(setting, seeds, N=2000, start=0, out=None, params=None):
    """ImageGSCALE on simulated image environments (scorecause.simulate.images), one JSON line per seed."""
    import json
    import os

    import torch
    from sklearn.decomposition import PCA

    from scorecause.crl.images import ImageGSCALE, PoseMap, SupervisedPoseCNN, angle_error_deg
    from scorecause.graph import transitive_closure
    from scorecause.simulate.images import simulate_balls, simulate_robot_arm

    torch.set_num_threads(1)
    kind, count, mech, per = setting.split("-")
    count, per = int(count), int(per)
    rows = []
    for s in range(start, start + seeds):
        sim = simulate_balls if kind == "balls" else simulate_robot_arm
        t0 = time.perf_counter()
        prob = sim(count, N, np.random.default_rng(s), latent=mech, per_node=per)
        t_sim = time.perf_counter() - t0
        t, c = time.perf_counter(), time.process_time()
        est = ImageGSCALE(random_state=s, device="auto", **(params or {})).fit(prob.images, targets=prob.targets)
        el, cpu = time.perf_counter() - t, time.process_time() - c
        Z, X0 = prob.latents[0], prob.images[0]
        Zh = est.transform(X0)
        inv = linear_sum_assignment(-np.abs(np.corrcoef(Z.T, Zh.T)[:Z.shape[1], Z.shape[1]:]))[1]
        A = est.adjacency_[np.ix_(inv, inv)]
        truth = prob.graph if est.graph_kind_ == "dag" else transitive_closure(prob.graph)
        m = {"setting": setting, "seed": s, "N": N, "mcc": mcc(Z, Zh), "shd": shd(truth, A),
             "graph_kind": est.graph_kind_, "n_edges_true": int(np.asarray(truth).sum()),
             "pca_mcc": mcc(Z, PCA(Z.shape[1], random_state=0).fit_transform(X0.reshape(len(X0), -1)
                                                                             .astype(float))),
             "recon_mse": est.recon_mse_, "mean_image_mse": est.mean_image_mse_, "fit_s": el, "fit_cpu_s": cpu,
             "simulate_s": t_sim, "params": params or {}, "ae_epochs_run": len(est.ae_history_["val"]),
             **code_recoverability(est.codes(X0), Z)}
        if getattr(est, "chart_", None) is not None:
            m["chart_trustworthiness"] = est.chart_.trustworthiness_
        if kind == "arm":
            held = slice(100, None)
            for k in (10, 100):
                for kind_map in ("affine", "monotone"):
                    pm = PoseMap(kind_map).fit(Zh[:k], Z[:k])
                    m[f"pose_{kind_map}_k{k}_deg"] = angle_error_deg(pm.predict(Zh[held]), Z[held])
                cnn = SupervisedPoseCNN(random_state=s, input_size=est.ae_input_size).fit(X0[:k], Z[:k])
                m[f"cnn_k{k}_deg"] = angle_error_deg(cnn.predict(X0[held]), Z[held])
        rows.append(m)
        print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in m.items()}), flush=True)
        if out:
            with open(out, "a") as fh:
                fh.write(json.dumps(m) + "\n")
    keys = [k for k, v in rows[0].items() if isinstance(v, float)]
    print(f"| {setting} | N={N} | {len(rows)} seeds | host cpus {os.cpu_count()} | " + " | ".join(
        f"{k} {np.mean([r[k] for r in rows]):.3f}±{np.std([r[k] for r in rows]) / np.sqrt(len(rows)):.3f}"
        for k in keys) + " |")


if __name__ == "__main__":
    if "--lscale-soft" in sys.argv:
        opts = dict(x[2:].split("=", 1) for x in sys.argv[1:] if x.startswith("--") and "=" in x)
        pos = [x for x in sys.argv[1:] if not x.startswith("--")]
        run_lscale_soft(int(pos[0]) if pos else 10, start=int(opts.get("start", 0)),
                        scores=opts.get("scores", "gaussian"),
                        ns=tuple(int(v) for v in opts.get("n", "5,8").split(",")),
                        soft_encoder=opts.get("soft-encoder", "auto"))
        sys.exit(0)
    if "--images" in sys.argv:
        import json

        a = [x for x in sys.argv[1:] if not x.startswith("--")]
        opts = dict(x[2:].split("=", 1) for x in sys.argv[1:] if x.startswith("--") and "=" in x)
        run_images(a[0], int(a[1]), *(int(x) for x in a[2:3]), start=int(opts.get("start", 0)),
                   out=opts.get("out"), params=json.loads(opts["params"]) if "params" in opts else None)
        sys.exit(0)
    a = [x for x in sys.argv[1:] if not x.startswith("--")]
    start = sum(int(x.split("=")[1]) for x in sys.argv[1:] if x.startswith("--start="))
    if "--gscale-summary" in sys.argv:
        gscale_summary(a[0] if a else os.path.join(os.path.dirname(__file__), "results", "gscale.jsonl"))
        sys.exit(0)
    if "--gscale" in sys.argv:
        path = next((x.split("=", 1)[1] for x in sys.argv if x.startswith("--out=")),
                    os.path.join(os.path.dirname(__file__), "results", "gscale.jsonl"))
        only = [x.split("=", 1)[1] for x in sys.argv if x.startswith("--pairing=")]
        for pairing in only or ("known", "unknown"):
            run_gscale("classifier-mlp", 5, int(a[0]) if a else 10, pairing=pairing, start=start, out=path)
        sys.exit(0)
    run(a[0], a[1], a[2], int(a[3]), int(a[4]), *(int(x) for x in a[5:6]), *a[6:7], start=start)
