"""Benchmark of the shipped AVICI models against PC, GES, DirectLiNGAM, GIES and DAS -> BENCHMARKS.md.

Protocol (Lorch et al. 2022, arXiv:2205.12934, Sec. 6; see docs/amortized.md):

* domains ``linear`` / ``rff``; in-distribution presets ``avici-linear`` / ``avici-rff`` and
  out-of-distribution ``avici-linear-ood`` / ``avici-rff-ood`` (WS, SBM, geometric and SF(power 0.5/1.5)
  graphs; weights / length scales outside the training ranges; heteroscedastic Laplace or Cauchy noise);
* d in {10, 20, 30}; each data set is drawn with 1000 observational + 500 interventional rows:
  the *obs* variant gives the methods the 1000 observational rows, the *int* variant all 1500 rows with the
  intervention mask;
* AVICI (the model of the domain) on both variants; PC, GES, DirectLiNGAM, DAS on *obs*; GIES on *int*;
* metrics: AUROC, AUPRC, ECE (edge probabilities; AVICI only), F1 (AVICI at threshold 0.5; CPDAG outputs
  count an undirected edge as in :func:`scorecause.metrics.precision_recall_f1`), SID (AVICI: most probable
  DAG; CPDAG outputs: undirected edges oriented by the true order, the paper's "oracle" expansion).

Results are appended one line per (data set, method) to ``benchmarks/results/amortized.jsonl`` so the run
can be interrupted and continued; ``--render`` writes the tables into BENCHMARKS.md (own section only) and
the calibration figure ``benchmarks/figures/amortized_calibration.png``.

Usage::

    python benchmarks/bench_amortized.py --datasets 5              # accuracy grid (resumable)
    python benchmarks/bench_amortized.py --timing                  # inference time / memory
    python benchmarks/bench_amortized.py --render                  # tables + figure
    python benchmarks/bench_amortized.py --compare OLD.pt linear   # weights side by side, LINEAR in d=20
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "amortized.jsonl"
TIMING = ROOT / "results" / "amortized_timing.json"
FIGURE = ROOT / "figures" / "amortized_calibration.png"
BENCH_MD = ROOT.parent / "BENCHMARKS.md"
MARKER = "<!-- section: amortized -->"

DOMAINS = ("linear", "rff")
DISTS = {"in": "avici-{}", "ood": "avici-{}-ood"}
DS = (10, 20, 30)
OBS_METHODS = ("pc", "ges", "directlingam", "das")
INT_METHODS = ("gies",)


def make_dataset(domain: str, dist: str, d: int, k: int):
    """Data set ``k`` of a cell: 1000 observational + 500 interventional rows (fixed seed per cell and k)."""
    from scorecause.simulate import simulate

    seed = np.random.SeedSequence(2026, spawn_key=(DOMAINS.index(domain), list(DISTS).index(dist), d, k))
    return simulate(DISTS[dist].format(domain), d=d, n=1000, rng=np.random.default_rng(seed),
                    n_interventional=500)


def oracle_orient(A: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Orient the undirected edges of a CPDAG ``A`` along a topological order of ``truth`` (``A[i, j]``: i -> j)."""
    from scorecause.graph import topological_order

    pos = np.empty(len(truth), dtype=int)
    pos[topological_order(truth)] = np.arange(len(truth))
    B = A.copy()
    und = (A != 0) & (A.T != 0)
    for i, j in zip(*np.nonzero(und)):
        B[i, j] = 1 if pos[i] < pos[j] else 0
    return B


def score(truth, adjacency, probs=None, dag=None) -> dict:
    from scorecause import metrics
    from scorecause.graph import is_dag

    out = metrics.evaluate(truth, adjacency, metrics=["f1", "shd"])
    sid_graph = dag if dag is not None else oracle_orient(adjacency, truth)
    out["sid"] = float(metrics.sid(truth, sid_graph)) if is_dag(sid_graph) else math.nan
    if probs is not None:
        out.update(auroc=metrics.auroc(truth, probs), auprc=metrics.auprc(truth, probs),
                   ece=metrics.ece(truth, probs))
    return out


def run_method(name: str, ds, variant: str) -> dict:
    from scorecause import methods
    from scorecause.graph import most_probable_dag

    obs = ds.observational_rows
    X = ds.X[obs] if variant == "obs" else ds.X
    mask = None if variant == "obs" else ds.interventions
    t = time.perf_counter()
    if name.startswith("avici"):
        est = methods["avici"](model=name.split("-")[1]).fit(X, interventions=mask)
        sec = time.perf_counter() - t
        res = score(ds.truth, est.adjacency_, est.edge_probs_, most_probable_dag(est.edge_probs_))
        res["probs"] = np.round(est.edge_probs_, 4).tolist()
    else:
        est = methods[name]().fit(X, interventions=mask) if mask is not None else methods[name]().fit(X)
        sec = time.perf_counter() - t
        res = score(ds.truth, est.adjacency_)
    res["seconds"] = round(sec, 3)
    return res


def accuracy(n_datasets: int, domains, dists, ds_values, skip: set) -> None:
    from scorecause import methods

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if RESULTS.exists():
        for line in RESULTS.read_text().splitlines():
            r = json.loads(line)
            done.add((r["domain"], r["dist"], r["d"], r["k"], r["variant"], r["method"]))
    available = set(methods)
    for k in range(n_datasets):
        for domain in domains:
            for dist in dists:
                for d in ds_values:
                    ds = None
                    for variant, names in (("obs", (f"avici-{domain}", *OBS_METHODS)),
                                           ("int", (f"avici-{domain}", *INT_METHODS))):
                        for name in names:
                            key = (domain, dist, d, k, variant, name)
                            base = name.split("-")[0]
                            if key in done or name in skip or base not in available:
                                continue
                            ds = ds if ds is not None else make_dataset(domain, dist, d, k)
                            try:
                                res = run_method(name, ds, variant)
                            except Exception as exc:  # noqa: BLE001 - record the failure, keep going
                                res = {"error": f"{type(exc).__name__}: {exc}"[:300]}
                            rec = {"domain": domain, "dist": dist, "d": d, "k": k, "variant": variant,
                                   "method": name, **res}
                            with open(RESULTS, "a") as f:
                                f.write(json.dumps(rec) + "\n")
                            print(json.dumps({kk: v for kk, v in rec.items() if kk != "probs"}), flush=True)


YARDSTICKS = ("|correlation|", "|partial correlation|")


def yardsticks(X: np.ndarray) -> dict[str, np.ndarray]:
    """Symmetric edge scores ``[d, d]`` without learning: absolute correlation and partial correlation."""
    C = np.corrcoef(X, rowvar=False)                                   # [d, d]
    K = np.linalg.inv(C)                                               # precision of the standardised data
    partial = -K / np.sqrt(np.outer(np.diag(K), np.diag(K)))
    out = dict(zip(YARDSTICKS, (np.abs(C), np.abs(partial))))
    for S in out.values():
        np.fill_diagonal(S, 0.0)
    return out


def compare(weights: list[str], n_sets: int, domain: str = "linear", dist: str = "in", d: int = 20) -> None:
    """AUROC / AUPRC / F1 of several AVICI weight files (shipped name or path) on the same data sets.

    Data sets ``k = 0 .. n_sets - 1`` of the accuracy grid's cell ``(domain, dist, d)``, both variants; the
    means go to ``benchmarks/results/amortized_compare.json`` (used to decide whether new weights ship).
    Two untrained yardsticks are scored on the same sets: ``|correlation|`` and ``|partial correlation|``
    (from the inverse covariance) of the standardised rows as symmetric edge scores (no F1: no threshold).
    """
    from scorecause import metrics
    from scorecause.amortized import AVICI

    rows = []
    for k in range(n_sets):
        ds = make_dataset(domain, dist, d, k)
        obs = ds.observational_rows
        for variant, X, mask in (("obs", ds.X[obs], None), ("int", ds.X, ds.interventions)):
            for w in weights:
                P = AVICI(w).fit(X, interventions=mask).edge_probs_
                f1 = metrics.precision_recall_f1(ds.truth, (P > 0.5).astype(np.int8))["f1"]
                rows.append({"weights": w, "variant": variant, "k": k, "auroc": metrics.auroc(ds.truth, P),
                             "auprc": metrics.auprc(ds.truth, P), "f1": f1})
            for name, S in yardsticks(X).items():
                rows.append({"weights": name, "variant": variant, "k": k, "auroc": metrics.auroc(ds.truth, S),
                             "auprc": metrics.auprc(ds.truth, S), "f1": math.nan})
    summary = []
    for w in [*weights, *YARDSTICKS]:
        for variant in ("obs", "int"):
            sel = [r for r in rows if r["weights"] == w and r["variant"] == variant]
            summary.append({"weights": w, "variant": variant, "sets": len(sel),
                            **{m: round(float(np.mean([r[m] for r in sel])), 3) for m in ("auroc", "auprc", "f1")}})
            print(json.dumps(summary[-1]), flush=True)
    out = ROOT / "results" / "amortized_compare.json"
    from scorecause.fileio import atomic_write_text

    atomic_write_text(out, json.dumps({"domain": domain, "dist": dist, "d": d, "summary": summary,
                                       "rows": rows}, indent=1) + "\n")


# --- timing and memory ---------------------------------------------------------------------------------
_PROBE = """
import resource, sys, time, numpy as np, torch
torch.set_num_threads({threads})
from scorecause.amortized import AVICI
rng = np.random.default_rng(0)
X = rng.normal(size=({n}, {d}))
est = AVICI("linear", chunk_size={chunk})
est.fit(X[:50])                                       # warm-up (weights loaded, kernels compiled)
ts, cpu = [], []
for _ in range({reps}):
    t, c = time.perf_counter(), time.process_time()
    est.fit(X)
    ts.append(time.perf_counter() - t); cpu.append(time.process_time() - c)
print(min(ts), np.median(ts), min(cpu), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def probe(n: int, d: int, chunk, threads: int = 2, reps: int = 3) -> dict:
    """Time ``AVICI.fit`` on an (n, d) table in a fresh process; peak RSS (MB) of that process."""
    code = _PROBE.format(n=n, d=d, chunk=chunk, threads=threads, reps=reps)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    best, med, cpu, rss = map(float, out.stdout.split())
    return {"n": n, "d": d, "chunk_size": chunk, "threads": threads, "best_s": round(best, 3),
            "median_s": round(med, 3), "cpu_s": round(cpu, 3), "peak_rss_mb": round(rss, 1)}


def timing() -> None:
    rows = [probe(1000, 100, 500), probe(1000, 100, 250), probe(1000, 100, None),
            probe(20000, 20, 500, reps=1), probe(1000, 20, 500)]
    TIMING.parent.mkdir(parents=True, exist_ok=True)
    info = {"machine": f"{os.cpu_count()} CPU cores ({platform.processor() or platform.machine()}), no GPU",
            "load_avg_1min_at_start": os.getloadavg()[0], "rows": rows}
    TIMING.write_text(json.dumps(info, indent=1) + "\n")
    print(json.dumps(info, indent=1))


# --- report --------------------------------------------------------------------------------------------
def _fmt(v, digits=2):
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def _targets(ok) -> list[str]:
    """The issue's targets, checked against the numbers in the tables."""
    cell = ok[(ok.domain == "linear") & (ok.dist == "in") & (ok.d == 20) & (ok.variant == "obs")]
    m = cell.groupby("method")[["auroc", "f1"]].mean()
    out = ["**Targets** (LINEAR, in-distribution, d = 20, observational):", ""]
    if "avici-linear" in m.index:
        a = m.loc["avici-linear"]
        f1s = {b: m.loc[b, "f1"] for b in ("pc", "ges") if b in m.index}
        beat = all(a["f1"] > v for v in f1s.values()) and bool(f1s)
        out.append(f"- AUROC >= 0.9: {a['auroc']:.2f} -> **{'met' if a['auroc'] >= 0.9 else 'NOT met'}**")
        out.append(f"- F1 above PC and GES: AVICI {a['f1']:.2f} vs "
                   + ", ".join(f"{b.upper()} {v:.2f}" for b, v in f1s.items())
                   + f" -> **{'met' if beat else 'NOT met'}**")
    if TIMING.exists():
        rows = [r for r in json.loads(TIMING.read_text())["rows"] if r["d"] == 100 and r["chunk_size"] == 500]
        if rows:
            r = rows[0]
            out.append(f"- inference d = 100, n = 1000 under 3 s on 2 cores: {r['best_s']:.1f} s wall on the loaded "
                       f"machine, {r['cpu_s'] / r['threads']:.1f} s CPU per thread (idle-machine estimate) -> "
                       f"**{'met' if r['best_s'] < 3 else 'met only by the CPU-time estimate' if r['cpu_s'] / r['threads'] < 3 else 'NOT met'}**")
    out += ["", _training_note(), ""]
    return out


def _compare_note() -> list[str]:
    """The old-vs-new weights comparison of ``--compare`` (if it was run), as a small table."""
    path = ROOT / "results" / "amortized_compare.json"
    if not path.exists():
        return []
    c = json.loads(path.read_text())
    names = list(dict.fromkeys(r["weights"] for r in c["summary"]))
    out = [f"Weights compared on the same data sets (LINEAR {c['dist']}-distribution, d = {c['d']}; command "
           f"`python benchmarks/bench_amortized.py --compare {' '.join(names)} --compare-sets "
           f"{c['summary'][0]['sets']}`):", "",
           "| weights | variant | sets | AUROC | AUPRC | F1 |", "|---|---|---|---|---|---|"]
    out += [f"| `{r['weights']}` | {r['variant']} | {r['sets']} | {r['auroc']:.3f} | {r['auprc']:.3f} | "
            f"{_fmt(r['f1'], 3)} |" for r in c["summary"]]
    return out + [""]


def _phases(info: dict) -> list[dict]:
    """The training phases of a shipped model, first to last (warm starts are chained in its record)."""
    chain = [info]
    while chain[-1].get("warm_start"):
        chain.append(chain[-1]["warm_start"])
    return chain[::-1]


def _data_sets(train_config: dict, steps: int) -> float:
    """Expected simulated data sets in ``steps`` steps (one d per step, drawn uniformly from ``d_values``)."""
    from scorecause.amortized.train import TrainConfig

    cfg = TrainConfig(**train_config)
    return steps * np.mean([cfg.batch_size(d) for d in cfg.d_values])


def _training_note() -> str:
    """How long the shipped models were trained (read from the weights manifest, all phases)."""
    from scorecause.amortized.estimator import read_manifest

    parts = []
    for name, entry in read_manifest().items():
        phases = _phases(entry["training"])
        steps = sum(p["step"] for p in phases)
        hours = sum(p["wall_s"] for p in phases) / 3600
        sets = sum(_data_sets(p["train_config"], p["step"]) for p in phases)
        parts.append(f"`{name}` {steps} steps in {len(phases)} phase(s), {hours:.1f} wall-clock hours on "
                     f"2 CPU cores, about {sets / 1000:.0f}k simulated data sets")
    return ("Training budget of the shipped models (" + "; ".join(parts) + "), against about 2 x 10^7 data "
            "sets in the paper (300k steps of about 64 on 8 GPUs). See docs/amortized.md.")


def _failure_lines(errors) -> list[str]:
    """Markdown lines listing recorded failures (method, count, message); none when there were none."""
    if not len(errors):
        return []
    out = ["Failures (recorded, not averaged):", ""]
    for (method, err), g in errors.groupby(["method", "error"]):
        out.append(f"- {method}: {len(g)} x `{err[:160]}`")
    return out + [""]


def render() -> None:
    import pandas as pd

    recs = [json.loads(line) for line in RESULTS.read_text().splitlines()]
    df = pd.DataFrame([{k: v for k, v in r.items() if k != "probs"} for r in recs])
    errors = df[df.get("error").notna()] if "error" in df else df.iloc[:0]
    ok = df[df["error"].isna()] if "error" in df else df
    lines = [MARKER, "", "## Amortized causal discovery (AVICI)", "",
             "Machine: 2 CPU cores shared with other jobs, no GPU. Shipped models `linear` / `rff` (see "
             "docs/amortized.md for their training). Data: `scorecause.simulate` presets, 1000 observational "
             "rows (*obs*) or 1000 + 500 interventional rows (*int*). Mean over data sets (count in column "
             "*sets*); AUROC/AUPRC/ECE need edge probabilities, so only AVICI has them. F1 at threshold 0.5; "
             "SID of AVICI's most probable DAG, of PC/GES CPDAGs after orienting undirected edges along the "
             "true order (oracle expansion, as the paper).", "",
             "Command: `python benchmarks/bench_amortized.py --datasets 3 && python benchmarks/bench_amortized.py "
             "--timing && python benchmarks/bench_amortized.py --render` (baselines stopped at the time budget, "
             "so some cells have fewer sets). *seconds* of AVICI include loading the weights. When a model is "
             "re-trained (same architecture), only its rows are re-run; baseline rows and the timing table are "
             "kept: delete the `avici-<domain>` lines of `benchmarks/results/amortized.jsonl`, then "
             "`python benchmarks/bench_amortized.py --datasets 3 --domains <domain> --skip pc ges directlingam "
             "das gies --threads 1 && python benchmarks/bench_amortized.py --render`. The target cell (LINEAR "
             "in-distribution, d = 20) has 10 data sets for AVICI, PC and GES: `python "
             "benchmarks/bench_amortized.py --datasets 10 --domains linear --dists in --d 20 --skip das gies "
             "directlingam --threads 1`.", ""]
    lines += _compare_note()
    lines += _targets(ok)
    for domain in DOMAINS:
        for dist in DISTS:
            sub = ok[(ok.domain == domain) & (ok.dist == dist)]
            if sub.empty:
                continue
            lines += [f"### {domain}, {'in-distribution' if dist == 'in' else 'out-of-distribution'} "
                      f"(`{DISTS[dist].format(domain)}`)", "",
                      "| d | variant | method | sets | AUROC | AUPRC | F1 | SID | ECE | seconds |",
                      "|---|---|---|---|---|---|---|---|---|---|"]
            for (d, variant, method), g in sub.groupby(["d", "variant", "method"], sort=True):
                m = g.mean(numeric_only=True)
                lines.append(f"| {d} | {variant} | {method} | {len(g)} | {_fmt(m.get('auroc'))} | "
                             f"{_fmt(m.get('auprc'))} | {_fmt(m.get('f1'))} | {_fmt(m.get('sid'), 1)} | "
                             f"{_fmt(m.get('ece'), 3)} | {_fmt(m.get('seconds'), 1)} |")
            lines.append("")
    lines += _failure_lines(errors)
    if TIMING.exists():
        t = json.loads(TIMING.read_text())
        lines += ["### Inference time and memory (`--timing`)", "",
                  f"Machine: {t['machine']}; 1-min load average at start {t['load_avg_1min_at_start']:.1f} "
                  "(other jobs running). `AVICI('linear').fit(X)` in a fresh process, best of 3 "
                  "(n = 20,000: one run); *CPU s* is the process CPU time of the best run (summed over "
                  "threads), so *CPU s / threads* is the wall time to expect on an otherwise idle machine; "
                  "peak RSS of the whole process (Python + torch included).", "",
                  "| n | d | chunk_size | threads | best wall s | median wall s | CPU s | CPU s / threads | "
                  "peak RSS MB |", "|---|---|---|---|---|---|---|---|---|"]
        for r in t["rows"]:
            lines.append(f"| {r['n']} | {r['d']} | {r['chunk_size']} | {r['threads']} | {r['best_s']} | "
                         f"{r['median_s']} | {r['cpu_s']} | {r['cpu_s'] / r['threads']:.2f} | {r['peak_rss_mb']} |")
        lines.append("")
    if FIGURE.exists():
        lines += [f"Calibration (AVICI, pooled edges of all data sets): ![calibration](benchmarks/figures/{FIGURE.name})",
                  ""]
    text = BENCH_MD.read_text()
    start = text.index(MARKER)
    nxt = text.find("<!-- section:", start + len(MARKER))
    tail = text[nxt:] if nxt >= 0 else ""
    from scorecause.fileio import atomic_write_text

    atomic_write_text(BENCH_MD, text[:start] + "\n".join(lines) + "\n" + tail)


def figure() -> None:
    from scorecause.plot import calibration_plot

    recs = [json.loads(line) for line in RESULTS.read_text().splitlines()]
    curves = {}
    for r in recs:
        if not r["method"].startswith("avici") or "probs" not in r:
            continue
        label = f"{r['domain']} {r['dist']} {r['variant']}"
        ds = make_dataset(r["domain"], r["dist"], r["d"], r["k"])
        curves.setdefault(label, ([], []))
        curves[label][0].append(ds.truth)
        curves[label][1].append(np.array(r["probs"]))
    fig = calibration_plot(dict(sorted(curves.items())), title="AVICI edge-probability calibration")
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    from scorecause.fileio import atomic_path

    with atomic_path(FIGURE) as tmp:
        fig.savefig(tmp, dpi=110, format="png")


# --- the statistics- and score-fed aggregator (`amortized`), issue "amortized that beats the classics" ----
AGG_RESULTS = ROOT / "results" / "amortized_aggregator.jsonl"
AGG_MARKER = "<!-- section: amortized-aggregator -->"
_LIN_OBS = ("amortized", "amortized-linear", "avici-linear", "pcorr", "pc", "ges", "directlingam")
_LIN_INT = ("amortized", "amortized-linear", "avici-linear", "gies")
_NL_OBS = ("amortized", "avici-rff", "pcorr", "pc", "ges", "das", "score")
_NL_INT = ("amortized", "avici-rff", "gies")
#: cell -> (preset, d, observational rows, interventional rows, data sets, obs methods, int methods)
AGG_CELLS = {
    "linear-in-d10": ("avici-linear", 10, 1000, 500, 10, _LIN_OBS, _LIN_INT),
    "linear-in-d20": ("avici-linear", 20, 1000, 500, 10, _LIN_OBS, _LIN_INT),
    "linear-in-d50": ("avici-linear", 50, 1000, 500, 3, ("amortized", "amortized-linear", "pcorr", "pc"),
                      ("amortized", "amortized-linear")),        # GES: 49 s to over 10 min per set at d = 50
    "linear-er-d100": ("linear-er", 100, 1000, 500, 3, ("amortized", "amortized-linear", "pcorr"),
                       ("amortized", "amortized-linear")),
    "rff-in-d10": ("avici-rff", 10, 1000, 500, 10, _NL_OBS, _NL_INT),
    "rff-in-d20": ("avici-rff", 20, 1000, 500, 10, _NL_OBS, _NL_INT),
    "linear-ood-d20": ("avici-linear-ood", 20, 1000, 500, 10, _LIN_OBS, _LIN_INT),
    "rff-ood-d20": ("avici-rff-ood", 20, 1000, 500, 10, _NL_OBS, _NL_INT),
    "score-gp-er-d20": ("score-gp-er", 20, 1000, 0, 5, ("amortized", "score", "das", "pcorr", "pc", "ges"), ()),
}


def agg_dataset(cell: str, k: int):
    """Data set ``k`` of an aggregator cell (fixed seed per cell and k; 1000 obs + 500 interventional rows).

    ``linear-er`` is the avici-linear distribution restricted to ER graphs (2 edges per node)."""
    from scorecause.simulate import simulate

    preset, d, n, n_int, *_ = AGG_CELLS[cell]
    seed = np.random.SeedSequence(2027, spawn_key=(list(AGG_CELLS).index(cell), k))
    extra = {}
    if preset == "linear-er":
        preset, extra = "avici-linear", {"graph": {"kind": "er", "edges_per_node": 2.0}}
    return simulate(preset, d=d, n=n, rng=np.random.default_rng(seed), n_interventional=n_int, **extra)


def _family(ds) -> str:
    cfg = ds.meta["config"]
    return f"{cfg['graph']['kind']}/{cfg['noise'].get('kind', '?')}"


def run_agg_method(name: str, ds, variant: str) -> dict:
    """One method on one data set: metrics (F1 at the method's default output; SHD/SID of a DAG) and time."""
    from scorecause import methods
    from scorecause.amortized.aggregator import Amortized
    from scorecause.graph import most_probable_dag

    obs = ds.observational_rows
    X = ds.X[obs] if variant == "obs" else ds.X
    mask = None if variant == "obs" else ds.interventions
    t = time.perf_counter()
    if name == "pcorr":
        P = yardsticks(X)["|partial correlation|"]
        sec = time.perf_counter() - t
        from scorecause import metrics

        res = {"auroc": metrics.auroc(ds.truth, P), "auprc": metrics.auprc(ds.truth, P)}
    elif name.startswith(("amortized", "avici")):
        if name.startswith("amortized"):
            est = Amortized(model="linear" if name.endswith("linear") else "general")
        else:
            est = methods["avici"](model=name.split("-")[1])
        est.fit(X, interventions=mask)
        sec = time.perf_counter() - t
        dag = most_probable_dag(est.edge_probs_, threshold=0.5)
        res = score(ds.truth, est.adjacency_, est.edge_probs_, dag)
        res["shd_dag"] = float(__import__("scorecause").metrics.shd(ds.truth, dag))
    else:
        est = methods[name]().fit(X, interventions=mask) if mask is not None else methods[name]().fit(X)
        sec = time.perf_counter() - t
        res = score(ds.truth, est.adjacency_)
        res["shd_dag"] = res["shd"]
    res["seconds"] = round(sec, 3)
    return res


def aggregator_grid(cells, n_max: int | None = None, skip: set = frozenset()) -> None:
    """Run the aggregator grid (resumable: one JSON line per (cell, k, variant, method))."""
    from scorecause import methods

    AGG_RESULTS.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if AGG_RESULTS.exists():
        for line in AGG_RESULTS.read_text().splitlines():
            r = json.loads(line)
            done.add((r["cell"], r["k"], r["variant"], r["method"]))
    available = set(methods) | {"pcorr", "amortized-linear", "avici-linear", "avici-rff"}
    for cell in cells:
        _, _, _, n_int, n_sets, obs_methods, int_methods = AGG_CELLS[cell]
        for k in range(min(n_sets, n_max or n_sets)):
            ds = None
            for variant, names in (("obs", obs_methods), ("int", int_methods if n_int else ())):
                for name in names:
                    if (cell, k, variant, name) in done or name not in available or name in skip:
                        continue
                    ds = ds if ds is not None else agg_dataset(cell, k)
                    try:
                        res = run_agg_method(name, ds, variant)
                    except Exception as exc:  # noqa: BLE001 - record the failure, keep going
                        res = {"error": f"{type(exc).__name__}: {exc}"[:300]}
                    rec = {"cell": cell, "k": k, "variant": variant, "method": name, "family": _family(ds), **res}
                    with open(AGG_RESULTS, "a") as f:
                        f.write(json.dumps(rec) + "\n")
                    print(json.dumps(rec), flush=True)


def sachs_aggregator() -> dict:
    """``amortized`` on the 853 observational Sachs rows against the bn17 consensus graph."""
    from scorecause import metrics
    from scorecause.amortized.aggregator import Amortized
    from scorecause.datasets import load_sachs

    ds = load_sachs("bn17", observational_only=True)
    out = {}
    for model in ("general", "linear"):
        for log in (False, True):
            X = np.log(ds.X) if log else ds.X
            t = time.perf_counter()
            est = Amortized(model=model, acyclic=True).fit(X)
            out[f"{model}{' (log data)' if log else ''}"] = {
                "shd": float(metrics.shd(ds.truth, est.adjacency_)),
                "f1": metrics.evaluate(ds.truth, est.adjacency_, metrics=["f1"])["f1"],
                "auroc": metrics.auroc(ds.truth, est.edge_probs_), "n_edges": int(est.adjacency_.sum()),
                "seconds": round(time.perf_counter() - t, 2)}
    return out


AGG_SACHS = ROOT / "results" / "amortized_aggregator_sachs.json"
AGG_FIGURE = ROOT / "figures" / "amortized_aggregator_auroc.png"
_AGG_METRICS = (("auroc", 3), ("auprc", 3), ("f1", 3), ("shd_dag", 1), ("sid", 1), ("ece", 3), ("seconds", 1))


def _agg_frame():
    import pandas as pd

    df = pd.DataFrame([json.loads(x) for x in AGG_RESULTS.read_text().splitlines()])
    return df[df["error"].isna()] if "error" in df else df, (df[df["error"].notna()] if "error" in df else df[:0])


def _agg_targets(ok) -> list[str]:
    """The issue's targets, each computed from the recorded rows (same data sets side by side)."""
    def cell(c, v, m, metric):
        g = ok[(ok.cell == c) & (ok.variant == v) & (ok.method == m)]
        return (float(g[metric].mean()), len(g)) if len(g) and metric in g else (math.nan, 0)

    rows = []
    au, n = cell("linear-in-d20", "obs", "amortized-linear", "auroc")
    ap, _ = cell("linear-in-d20", "obs", "amortized-linear", "auprc")
    rows.append(("LINEAR in-dist. d = 20 obs: AUROC >= 0.95 and AUPRC >= 0.6 (`linear` model)",
                 f"AUROC {au:.3f}, AUPRC {ap:.3f} ({n} sets)", au >= 0.95 and ap >= 0.6))
    au, n = cell("linear-in-d20", "obs", "amortized", "auroc")
    ap, _ = cell("linear-in-d20", "obs", "amortized", "auprc")
    rows.append(("same, default `general` model", f"AUROC {au:.3f}, AUPRC {ap:.3f} ({n} sets)",
                 au >= 0.95 and ap >= 0.6))
    for model in ("amortized-linear", "amortized"):
        f1, _ = cell("linear-in-d20", "obs", model, "f1")
        pc, _ = cell("linear-in-d20", "obs", "pc", "f1")
        ges, _ = cell("linear-in-d20", "obs", "ges", "f1")
        rows.append((f"LINEAR d = 20 obs: F1 at threshold 0.5 above PC and GES (`{model}`)",
                     f"F1 {f1:.3f} vs PC {pc:.3f}, GES {ges:.3f}", f1 > pc and f1 > ges))
    for model in ("amortized-linear", "amortized"):
        ap, n = cell("linear-er-d100", "int", model, "auprc")
        rows.append((f"LINEAR ER d = 100 with interventional rows: AUPRC >= 0.9 (`{model}`)",
                     f"AUPRC {ap:.3f} ({n} sets)", ap >= 0.9))
    au, n = cell("rff-in-d20", "obs", "amortized", "auroc")
    rows.append(("RFF in-dist. d = 20 obs: AUROC >= 0.85", f"AUROC {au:.3f} ({n} sets)", au >= 0.85))
    f1, _ = cell("rff-in-d20", "obs", "amortized", "f1")
    others = {m: cell("rff-in-d20", "obs", m, "f1")[0] for m in ("pc", "ges", "das")}
    rows.append(("RFF d = 20 obs: F1 above PC, GES and DAS",
                 f"F1 {f1:.3f} vs " + ", ".join(f"{k.upper()} {v:.3f}" for k, v in others.items()),
                 all(f1 > v for v in others.values())))
    shd_a, n = cell("score-gp-er-d20", "obs", "amortized", "shd_dag")
    shd_s, _ = cell("score-gp-er-d20", "obs", "score", "shd_dag")
    rows.append(("`score-gp-er` d = 20, n = 1000: mean SHD no worse than SCORE's",
                 f"SHD {shd_a:.1f} vs SCORE {shd_s:.1f} ({n} sets)", shd_a <= shd_s))
    for dom, model in (("linear", "amortized-linear"), ("linear", "amortized"), ("rff", "amortized")):
        ind, _ = cell(f"{dom}-in-d20", "obs", model, "auroc")
        g = ok[(ok.cell == f"{dom}-ood-d20") & (ok.variant == "obs") & (ok.method == model)]
        fams = g.groupby("family")["auroc"].mean() if len(g) else {}
        worst = min(fams.values) if len(fams) else math.nan
        rows.append((f"o.o.d. {dom.upper()} (`{model}`): AUROC at most 0.05 below in-dist. for each family",
                     f"in-dist. {ind:.3f}; worst family {worst:.3f} ("
                     + ", ".join(f"{k} {v:.2f}" for k, v in dict(fams).items()) + ")", worst >= ind - 0.05))
    if AGG_SACHS.exists():
        sachs = json.loads(AGG_SACHS.read_text())
        best = min(sachs.values(), key=lambda r: r["shd"])
        rows.append(("Sachs (853 obs rows) SHD <= 12 against bn17",
                     "; ".join(f"{k}: SHD {v['shd']:.0f}" for k, v in sachs.items()), best["shd"] <= 12))
    if FEATURE_TIMING.exists():
        t = {r["d"]: r["seconds_best"] for r in json.loads(FEATURE_TIMING.read_text())["rows"]}
        if 100 in t:
            rows.append(("features at d = 100, n = 1000 (here 1000 + 500 interventional rows) under 5 s on 2 cores",
                         f"{t[100]} s (best of 3, `--feature-timing`)", t[100] < 5))
    for model in ("amortized-linear", "amortized"):
        e, n = cell("linear-in-d20", "obs", model, "ece")
        e2, _ = cell("rff-in-d20", "obs", model, "ece")
        vals = [x for x in (e, e2) if not math.isnan(x)]
        rows.append((f"in-distribution ECE <= 0.05 (`{model}`)", f"LINEAR {e:.3f}, RFF {e2:.3f}",
                     bool(vals) and max(vals) <= 0.05))
    out = ["| target | measured | met |", "|---|---|---|"]
    out += [f"| {t} | {m} | {'yes' if ok_ else '**no**'} |" for t, m, ok_ in rows]
    return out + [""]


def agg_figure() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from scorecause.plot import method_colors

    ok, _ = _agg_frame()
    sub = ok[ok.variant == "obs"].dropna(subset=["auroc"])
    cells = [c for c in AGG_CELLS if c in set(sub.cell)]
    meths = [m for m in ("amortized", "amortized-linear", "avici-linear", "avici-rff", "pcorr") if m in set(sub.method)]
    colors = method_colors(meths)
    fig, ax = plt.subplots(figsize=(10, 4))
    w = 0.8 / max(1, len(meths))
    for i, m in enumerate(meths):
        vals = [sub[(sub.cell == c) & (sub.method == m)]["auroc"].mean() for c in cells]
        ax.bar(np.arange(len(cells)) + i * w, vals, w, label=m, color=colors[m])
    ax.set_xticks(np.arange(len(cells)) + 0.4 - w / 2, cells, rotation=20, ha="right")
    ax.set_ylim(0.4, 1.0)
    ax.set_ylabel("AUROC (observational rows)")
    ax.axhline(0.5, color="grey", lw=0.8, ls=":")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    AGG_FIGURE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(AGG_FIGURE, dpi=110)
    plt.close(fig)


def render_aggregator() -> None:
    """Write the `amortized` section of BENCHMARKS.md (before the AVICI section) from the recorded rows."""
    ok, errors = _agg_frame()
    lines = [AGG_MARKER, "", "## Amortized discovery from statistics and score features (`amortized`)", "",
             "Machine: 2 CPU cores shared with other jobs, no GPU. Shipped aggregator models `general` (method "
             "`amortized`, the default) and `linear` (row `amortized-linear`); see docs/amortized.md for their "
             "training. Same data sets side by side for every method: 1000 observational rows (*obs*) or 1000 + "
             "500 interventional rows (*int*, single-node hard interventions on every node). Mean over data sets "
             "(*sets*). AUROC/AUPRC/ECE from edge probabilities (`pcorr` = untrained |partial correlation| "
             "ranking, symmetric); F1 of each method's default output (aggregator: probabilities > 0.5; PC/GES: "
             "CPDAG, an undirected edge as in `scorecause.metrics`); *SHD (DAG)* of the aggregator's most "
             "probable DAG; SID of a DAG (CPDAGs oriented along the true order, the paper's oracle expansion).",
             "", "Command: `python benchmarks/bench_amortized.py --aggregator --sachs --feature-timing && "
             "python benchmarks/bench_amortized.py --render-aggregator` (rows resume from "
             "`benchmarks/results/amortized_aggregator.jsonl`).", "", "### Targets", ""]
    lines += _agg_targets(ok)
    lines += [f"![AUROC per cell](benchmarks/figures/{AGG_FIGURE.name})", ""]
    for c in AGG_CELLS:
        sub = ok[ok.cell == c]
        if sub.empty:
            continue
        preset, d, *_ = AGG_CELLS[c]
        lines += [f"### `{c}` (`{preset}`, d = {d})", "",
                  "| variant | method | sets | AUROC | AUPRC | F1 | SHD (DAG) | SID | ECE | seconds |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        order = {m: i for i, m in enumerate(["amortized", "amortized-linear", "avici-linear", "avici-rff", "pcorr",
                                              "pc", "ges", "directlingam", "score", "das", "gies"])}
        groups = sorted(sub.groupby(["variant", "method"]), key=lambda kv: (kv[0][0] != "obs", order.get(kv[0][1], 99)))
        for (variant, method), g in groups:
            m = g.mean(numeric_only=True)
            vals = " | ".join(_fmt(m.get(k), dg) for k, dg in _AGG_METRICS)
            lines.append(f"| {variant} | {method} | {len(g)} | {vals} |")
        if c.endswith("ood-d20"):
            fam = sub[(sub.variant == "obs") & sub.method.isin(["amortized", "amortized-linear"])]
            if len(fam):
                lines += ["", "AUROC of the aggregator per o.o.d. family (graph / noise):", "",
                          "| model | family | sets | AUROC |", "|---|---|---|---|"]
                for (model, f), g in fam.groupby(["method", "family"]):
                    lines.append(f"| {model} | {f} | {len(g)} | {_fmt(g['auroc'].mean(), 3)} |")
        lines.append("")
    if AGG_SACHS.exists():
        lines += ["### Sachs (853 observational rows, bn17: 17 edges)", "",
                  "| model | SHD | F1 | AUROC | edges | seconds |", "|---|---|---|---|---|---|"]
        for k, r in json.loads(AGG_SACHS.read_text()).items():
            lines.append(f"| {k} | {r['shd']:.0f} | {_fmt(r['f1'], 3)} | {_fmt(r['auroc'], 3)} | {r['n_edges']} | "
                         f"{r['seconds']} |")
        lines.append("")
    if FEATURE_TIMING.exists():
        t = json.loads(FEATURE_TIMING.read_text())
        lines += ["### Cost of the features (`--feature-timing`)", "",
                  f"{t['machine']}; 1-min load average {t['load_avg_start']:.1f} at the start, "
                  f"{t['load_avg_end']:.1f} at the end. `dataset_features(X, mask)` on 1000 + 500 rows, best of 3.",
                  "", "| d | seconds (best) | all runs |", "|---|---|---|"]
        lines += [f"| {r['d']} | {r['seconds_best']} | {r['seconds_all']} |" for r in t["rows"]]
        lines.append("")
    lines += _failure_lines(errors)
    text = BENCH_MD.read_text()
    if AGG_MARKER in text:
        start = text.index(AGG_MARKER)
        nxt = text.find("<!-- section:", start + len(AGG_MARKER))
        text = text[:start] + "\n".join(lines) + "\n" + (text[nxt:] if nxt >= 0 else "")
    else:
        at = text.index(MARKER)
        text = text[:at] + "\n".join(lines) + "\n" + text[at:]
    from scorecause.fileio import atomic_write_text

    atomic_write_text(BENCH_MD, text)


FEATURE_TIMING = ROOT / "results" / "amortized_feature_timing.json"


def feature_timing(reps: int = 3) -> None:
    """Wall time of :func:`dataset_features` (the cost of an ``amortized`` fit; the network adds milliseconds)
    at n = 1000 (+ 500 interventional rows) and d in {20, 50, 100, 200}; best of ``reps``."""
    import torch

    from scorecause.amortized.features import dataset_features

    torch.set_num_threads(2)
    out = {"machine": f"{os.cpu_count()} CPU cores, torch threads 2", "load_avg_start": os.getloadavg()[0],
           "rows": []}
    for d in (20, 50, 100, 200):
        ds = agg_dataset("linear-in-d20", 0) if d == 20 else None
        if ds is None:
            from scorecause.simulate import simulate

            ds = simulate("avici-linear", d=d, n=1000, rng=np.random.default_rng(d), n_interventional=500)
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            dataset_features(ds.X, ds.interventions)
            times.append(time.perf_counter() - t)
        out["rows"].append({"d": d, "n": 1500, "seconds_best": round(min(times), 2),
                            "seconds_all": [round(x, 2) for x in times]})
        print(out["rows"][-1], flush=True)
    out["load_avg_end"] = os.getloadavg()[0]
    FEATURE_TIMING.write_text(json.dumps(out, indent=1) + "\n")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datasets", type=int, default=0, help="data sets per cell for the accuracy grid")
    ap.add_argument("--domains", nargs="+", default=list(DOMAINS))
    ap.add_argument("--dists", nargs="+", default=list(DISTS))
    ap.add_argument("--d", nargs="+", type=int, default=list(DS))
    ap.add_argument("--skip", nargs="*", default=[], help="method names to leave out")
    ap.add_argument("--threads", type=int, default=1, help="torch threads for AVICI / DAS in the grid")
    ap.add_argument("--timing", action="store_true")
    ap.add_argument("--render", action="store_true")
    ap.add_argument("--compare", nargs="+", metavar="WEIGHTS", default=None,
                    help="compare weight files (shipped name or path) on LINEAR in-distribution d=20 sets")
    ap.add_argument("--compare-sets", type=int, default=10)
    ap.add_argument("--aggregator", nargs="*", default=None, metavar="CELL",
                    help=f"run the `amortized` aggregator grid (cells: {', '.join(AGG_CELLS)}; none = all)")
    ap.add_argument("--aggregator-sets", type=int, default=None, help="cap on data sets per aggregator cell")
    ap.add_argument("--sachs", action="store_true", help="`amortized` on Sachs (853 obs rows) vs bn17")
    ap.add_argument("--feature-timing", action="store_true", help="time the `amortized` features, d = 20..200")
    ap.add_argument("--render-aggregator", action="store_true", help="write the `amortized` section + figure")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    if args.datasets:
        accuracy(args.datasets, args.domains, args.dists, args.d, set(args.skip))
    if args.compare:
        compare(args.compare, args.compare_sets)
    if args.aggregator is not None:
        aggregator_grid(args.aggregator or list(AGG_CELLS), args.aggregator_sets, set(args.skip))
    if args.sachs:
        AGG_SACHS.write_text(json.dumps(sachs_aggregator(), indent=1) + "\n")
        print(AGG_SACHS.read_text())
    if args.feature_timing:
        feature_timing()
    if args.render_aggregator:
        agg_figure()
        render_aggregator()
    if args.timing:
        timing()
    if args.render:
        figure()
        render()
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
