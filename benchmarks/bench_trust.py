"""Benchmark of the self-compatibility check (Faller et al., AISTATS 2024): does the edge-level incompatibility
of SCORE's output separate its wrong edges from its right ones, without the true graph?

Regenerates the ``trust`` section of BENCHMARKS.md:

    python benchmarks/bench_trust.py --d 20 --n 1000 --seeds 10 --subset-size 0.5 --n-subsets 30 \\
        --coverage 3 --out benchmarks/results/trust_score_gp_er.jsonl

For each seed: ``simulate("score-gp-er", d, n)`` (SCORE's GP setting, ER with d expected edges), SCORE (or
``--method``) with its defaults on all variables, then :func:`scorecause.trust.self_compatibility` with the same
method on the subsets. An edge of the output is *wrong* when the true DAG lacks it with that orientation (extra or reversed).
Reported: the AUROC of the edge-level score for wrong-vs-right, pooled over the seeds and per seed (n/a when a
seed has only right or only wrong edges), the graph-level incompatibility next to SCORE's SHD, and the CPU time
(``time.process_time``, not inflated by other processes) of the subset fits. Threads are set to 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402


def _auroc(labels, scores) -> float:
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels, dtype=int)
    if labels.min() == labels.max():
        return float("nan")
    return float(roc_auc_score(labels, scores))


def run_seed(seed: int, args) -> dict:
    from scorecause.metrics import shd
    from scorecause.registry import methods
    from scorecause.simulate import simulate
    from scorecause.trust import self_compatibility

    extra = {"edges_per_node": args.edges_per_node} if args.edges_per_node else {}
    ds = simulate(args.preset, d=args.d, n=args.n, rng=np.random.default_rng(seed), **extra)
    T = np.asarray(ds.truth, dtype=bool)
    est = methods[args.method]()
    if "progress" in est.get_params():
        est.set_params(progress=False)
    c0, t0 = time.process_time(), time.perf_counter()
    est.fit(ds.X)
    full_cpu, full_wall = time.process_time() - c0, time.perf_counter() - t0
    c0, t0 = time.process_time(), time.perf_counter()
    res = self_compatibility(est, ds.X, graph=est.adjacency_, subset_size=args.subset_size,
                             n_subsets=args.n_subsets, min_pair_coverage=args.coverage, random_state=seed)
    sc_cpu, sc_wall = time.process_time() - c0, time.perf_counter() - t0
    edges = []
    for (i, j), s in res.edge_scores.items():
        kind = "correct" if T[i, j] else ("reversed" if T[j, i] else "extra")
        edges.append({"i": i, "j": j, "score": s, "score_paths": res.edge_scores_paths.get((i, j), float("nan")),
                      "n": int(res.pair_counts[i, j]), "wrong": kind != "correct", "kind": kind})
    # pairs without any edge in SCORE's graph: does the pair score flag the ones that are adjacent in the truth?
    G = est.adjacency_.astype(bool)
    iu = np.triu_indices(args.d, 1)
    loose = ~(G | G.T)[iu]
    missing = (T | T.T)[iu][loose]
    pair = res.pair_scores[iu][loose]
    ok = ~np.isnan(pair)
    non_edges = {"n": int(ok.sum()), "n_missing": int(missing[ok].sum()),
                 "auroc": _auroc(missing[ok], pair[ok]) if ok.any() else float("nan"),
                 "missing_scores": pair[ok][missing[ok]].tolist()}
    return {"seed": seed, "method": args.method, "d": args.d, "n": args.n, "preset": args.preset, "edges_per_node": args.edges_per_node, "subset_size": res.subset_size,
            "n_subsets": res.n_subsets, "coverage": args.coverage, "shd": int(shd(ds.truth, est.adjacency_)),
            "incompatibility": res.incompatibility, "n_edges": len(edges),
            "n_wrong": int(sum(e["wrong"] for e in edges)),
            "auroc": _auroc([e["wrong"] for e in edges], [e["score"] for e in edges]),
            "auroc_paths": _auroc([e["wrong"] for e in edges], [e["score_paths"] for e in edges]),
            "full_fit_cpu_s": full_cpu, "full_fit_wall_s": full_wall, "subsets_cpu_s": sc_cpu,
            "subsets_wall_s": sc_wall, "edges": edges, "non_edges": non_edges}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="score-gp-er")
    p.add_argument("--method", default="score", help="registry name of the method under test (default score)")
    p.add_argument("--d", type=int, default=20)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--edges-per-node", type=float, default=None, help="graph density override (ER k)")
    p.add_argument("--seeds", type=int, default=10, help="number of seeds")
    p.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1")
    p.add_argument("--subset-size", type=float, default=0.5)
    p.add_argument("--n-subsets", type=int, default=30)
    p.add_argument("--coverage", type=int, default=3)
    p.add_argument("--out", default=None, help="JSON-lines file of the per-seed rows (with every edge)")
    args = p.parse_args(argv)
    if args.subset_size >= 1:
        args.subset_size = int(args.subset_size)
    rows = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        row = run_seed(seed, args)
        rows.append(row)
        if args.out:  # after every seed, so a long run interrupted keeps what it measured
            from scorecause.fileio import atomic_write_text

            atomic_write_text(args.out, "".join(json.dumps(r) + "\n" for r in rows))
        print(f"seed {seed}: SHD {row['shd']}, {row['n_edges']} edges ({row['n_wrong']} wrong), "
              f"incompatibility {row['incompatibility']:.3f}, edge AUROC {row['auroc']:.3f} "
              f"(path-level {row['auroc_paths']:.3f}), "
              f"{row['n_subsets']} subsets of {row['subset_size']}: CPU {row['subsets_cpu_s']:.1f} s "
              f"(full fit {row['full_fit_cpu_s']:.1f} s)", flush=True)
    labels = [e["wrong"] for r in rows for e in r["edges"]]
    scores = [e["score"] for r in rows for e in r["edges"]]
    pooled = _auroc(labels, scores)
    pooled_paths = _auroc(labels, [e["score_paths"] for r in rows for e in r["edges"]])
    per_seed = [r["auroc"] for r in rows]
    wrong = np.array(labels, dtype=bool)
    sc = np.array(scores)
    rho = float(np.corrcoef([r["incompatibility"] for r in rows], [r["shd"] for r in rows])[0, 1])
    print("\n| seeds | edges | wrong | pooled AUROC | per-seed AUROC mean (min-max) | mean score wrong / right "
          "| corr(incompatibility, SHD) | subset-fit CPU s per seed |")
    print("|---|---|---|---|---|---|---|---|")
    finite = [a for a in per_seed if not np.isnan(a)]
    spread = f"{np.mean(finite):.3f} ({np.min(finite):.2f}-{np.max(finite):.2f}), {len(finite)} seeds" if finite \
        else "n/a (no seed has both wrong and right edges)"
    mean_wrong = f"{sc[wrong].mean():.3f}" if wrong.any() else "n/a"
    print(f"| {len(rows)} | {len(labels)} | {int(wrong.sum())} | {pooled:.3f} | {spread} "
          f"| {mean_wrong} / {sc[~wrong].mean():.3f} "
          f"| {rho:.2f} | {np.mean([r['subsets_cpu_s'] for r in rows]):.1f} |")
    print(f"\npath-level edge score: pooled AUROC {pooled_paths:.3f}")
    ne = [r["non_edges"] for r in rows]
    print(f"non-edges of SCORE's graph: {sum(x['n'] for x in ne)} pairs, {sum(x['n_missing'] for x in ne)} adjacent "
          f"in the truth (missed); per-seed AUROC of the pair score for 'missed': "
          + ", ".join(f"{x['auroc']:.2f}" for x in ne))
    print("per seed: " + ", ".join(f"{r['seed']}: {r['auroc']:.2f}" for r in rows))
    if args.out:
        from scorecause.fileio import atomic_write_text

        summary = {"summary": True, "command": "python " + " ".join(sys.argv), "pooled_auroc": pooled, "pooled_auroc_paths": pooled_paths,
                   "per_seed_auroc": per_seed, "corr_incompatibility_shd": rho}
        atomic_write_text(args.out, "".join(json.dumps(r) + "\n" for r in rows) + json.dumps(summary) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
