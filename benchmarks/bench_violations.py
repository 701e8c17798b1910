"""Report of the assumption-violation benchmark (Montagna et al., NeurIPS 2023): tables and figures.

The runs themselves go through the bench harness (specs under benchmarks/specs/):

    nice -n 10 scorecause bench benchmarks/specs/assumption-violations-fast.yaml \\
        -o benchmarks/results/violations --resume --n-jobs 1
    nice -n 10 scorecause bench benchmarks/specs/assumption-violations-nogam-small.yaml \\
        -o benchmarks/results/violations --resume --n-jobs 1
    # later, once adascore exists (the finished cells are skipped by id):
    scorecause bench benchmarks/specs/assumption-violations.yaml -o benchmarks/results/violations --resume
    nice -n 10 scorecause bench benchmarks/specs/violations-hyperparameters.yaml \\
        -o benchmarks/results/violations-hparams --n-jobs 1

This script reads every finished cell of those folders (their ``parts/*.parquet``, so rows of several partial
specs in one folder all count) and prints markdown:

    python benchmarks/bench_violations.py table [--d 20 --n 1000]   # FNR, FPR, SHD, SID per violation x method
    python benchmarks/bench_violations.py overview --metric shd      # violation x method, averaged over d, n
    python benchmarks/bench_violations.py full  > benchmarks/results/violations_summary.md  # every d x n
    python benchmarks/bench_violations.py figures                     # benchmarks/figures/violations_<metric>.png
    python benchmarks/bench_violations.py stability                   # hyperparameter-stability table
    python benchmarks/bench_violations.py table --d 10 --results benchmarks/results/violations-unfaithful-dense
    python benchmarks/bench_violations.py export                      # benchmarks/results/violations*.csv

The part files (~17 KB each) stay out of git; ``export`` writes every finished row of both folders to
``benchmarks/results/violations.csv`` and ``violations-hparams.csv`` (the committed raw results, which the other
parts read when the folders are absent). To add rows to a folder, run the bench command on it with ``--resume``.

Means +- standard deviation over seeds. SID (defined on DAGs) is left blank for the CPDAG methods PC and GES.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "violations"
HPARAMS = ROOT / "results" / "violations-hparams"
DENSE = ROOT / "results" / "violations-unfaithful-dense"  # vanilla vs unfaithful on ER(2), d = 10
FIGURES = ROOT / "figures"
VIOLATIONS = ("vanilla", "confounded", "measurement-error", "unfaithful", "autoregressive", "nongaussian",
              "heteroscedastic", "pnl")
METHODS = ("score", "das", "nogam", "adascore", "pc", "ges", "directlingam", "varsort", "r2sort")
METRICS = ("fnr", "fpr", "shd", "sid")
#: methods whose output is a CPDAG: SID (defined on DAGs) is left out for them, also on the runs where their
#: CPDAG happened to have no undirected edge (otherwise their SID would average a biased subset of seeds)
CPDAG_METHODS = ("pc", "ges")


def load(folder: Path) -> pd.DataFrame:
    """Every finished cell of a bench folder (its part files; else the committed ``<folder>.csv``)."""
    from scorecause.bench.runner import read_parts

    df = read_parts(folder)
    if df.empty and Path(f"{folder}.csv").exists():
        df = pd.read_csv(f"{folder}.csv")
    if df.empty:
        sys.exit(f"no results under {folder}; run the specs first (see the module docstring)")
    df = df[df["status"] == "ok"].copy()
    df["violation"] = df["preset"].str.replace("violation-", "", regex=False)
    if "sid" in df:
        df.loc[df["method_name"].isin(CPDAG_METHODS), "sid"] = np.nan
    return df


def _fmt(mean: float, std: float, metric: str) -> str:
    if not np.isfinite(mean):
        return ""
    digits = 2 if metric in ("fnr", "fpr", "f1") else 1
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def _agg(df: pd.DataFrame, keys) -> pd.DataFrame:
    return df.groupby(list(keys), sort=False).agg(
        **{f"{m}_{s}": (m, s) for m in METRICS for s in ("mean", "std")}, cells=("shd", "size"),
        fit_s=("fit_time_s", "median"))


def _ordered(values, order):
    return [v for v in order if v in set(values)] + sorted(set(values) - set(order))


def table(df: pd.DataFrame, d: int, n: int) -> str:
    """Markdown: rows = violation x method at one (d, n); FNR, FPR, SHD, SID mean ± std over seeds."""
    sub = df[(df["d"] == d) & (df["n"] == n)]
    g = _agg(sub, ("violation", "method"))
    lines = [f"d = {d}, n = {n} (ER, d expected edges); mean ± std over seeds", "",
             "| violation | method | seeds | FNR ↓ | FPR ↓ | SHD ↓ | SID ↓ | fit (s, median) |",
             "|---|---|---|---|---|---|---|---|"]
    for v in _ordered(sub["violation"], VIOLATIONS):
        for m in _ordered(sub.loc[sub["violation"] == v, "method"], METHODS):
            r = g.loc[(v, m)]
            cells = [_fmt(r[f"{k}_mean"], r[f"{k}_std"], k) for k in METRICS]
            lines.append(f"| {v} | {m} | {int(r['cells'])} | " + " | ".join(cells) + f" | {r['fit_s']:.2f} |")
    return "\n".join(lines)


def overview(df: pd.DataFrame, metric: str = "fnr") -> str:
    """Markdown: violation x method, ``metric`` averaged over every (d, n, seed) cell (SHD divided by the true
    edge count first, so that d = 20 does not dominate)."""
    df = df.copy()
    if metric == "shd":
        df["shd"] = df["shd"] / df["n_edges_true"].clip(lower=1)
    g = df.groupby(["violation", "method"])[metric].mean().unstack()
    meths = _ordered(g.columns, METHODS)
    name = "SHD / true edges" if metric == "shd" else metric.upper()
    lines = [f"{name}, mean over d in {{5, 10, 20}}, n in {{100, 1000}} and the seeds run", "",
             "| violation | " + " | ".join(meths) + " |", "|---|" + "---|" * len(meths)]
    for v in _ordered(g.index, VIOLATIONS):
        row = g.loc[v, meths]
        best = row.min()
        lines.append(f"| {v} | " + " | ".join("" if not np.isfinite(x) else (f"**{x:.2f}**" if x == best else f"{x:.2f}")
                                             for x in row) + " |")
    return "\n".join(lines)


def full(df: pd.DataFrame) -> str:
    """Every (d, n) table, one after another."""
    parts = ["# Assumption-violation benchmark: every setting", "",
             "Generated by `python benchmarks/bench_violations.py full` from benchmarks/results/violations.", ""]
    for d in sorted(df["d"].unique()):
        for n in sorted(df["n"].unique()):
            parts += [f"## d = {d}, n = {n}", "", table(df, int(d), int(n)), ""]
    return "\n".join(parts)


def figures(df: pd.DataFrame, out: Path = FIGURES) -> list[Path]:
    """One PNG per metric: panels d (columns) x n (rows); x = violation, one colour per method, mean ± std."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from scorecause.fileio import atomic_path

    out.mkdir(parents=True, exist_ok=True)
    viols = _ordered(df["violation"], VIOLATIONS)
    meths = _ordered(df["method"], METHODS)
    ds, ns = sorted(df["d"].unique()), sorted(df["n"].unique())
    colours = dict(zip(meths, plt.get_cmap("tab10").colors))
    g = _agg(df, ("violation", "method", "d", "n"))
    written = []
    for metric in METRICS:
        fig, axes = plt.subplots(len(ns), len(ds), figsize=(5.2 * len(ds), 3.4 * len(ns)), squeeze=False,
                                 sharey=metric in ("fnr", "fpr"))
        width = 0.8 / max(len(meths), 1)
        for r, n in enumerate(ns):
            for c, d in enumerate(ds):
                ax = axes[r][c]
                for k, m in enumerate(meths):
                    xs, ys, es = [], [], []
                    for i, v in enumerate(viols):
                        if (v, m, d, n) in g.index:
                            row = g.loc[(v, m, d, n)]
                            if np.isfinite(row[f"{metric}_mean"]):
                                xs.append(i - 0.4 + width * (k + 0.5))
                                ys.append(row[f"{metric}_mean"])
                                es.append(row[f"{metric}_std"])
                    if xs:
                        ax.errorbar(xs, ys, yerr=es, fmt="o", ms=3.5, lw=0.8, color=colours[m],
                                    label=m if (r, c) == (0, 0) else None)
                ax.set_xticks(range(len(viols)))
                ax.set_xticklabels(viols, rotation=35, ha="right", fontsize=8)
                ax.set_title(f"d = {d}, n = {n}", fontsize=10)
                ax.grid(axis="y", alpha=0.3)
                for i in range(1, len(viols)):
                    ax.axvline(i - 0.5, color="0.85", lw=0.5)
                if c == 0:
                    ax.set_ylabel(metric.upper())
        fig.suptitle(f"{metric.upper()} under assumption violations (mean ± std over seeds; lower is better)",
                     y=0.995, fontsize=11)
        fig.legend(loc="upper center", bbox_to_anchor=(0.5, 0.965), ncol=len(meths), fontsize=9, frameon=False)
        fig.tight_layout(rect=(0, 0, 1, 0.92))
        path = out / f"violations_{metric}.png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=110, format="png")
        plt.close(fig)
        written.append(path)
    return written


#: the grid of each method in benchmarks/specs/violations-hyperparameters.yaml, in words
GRIDS = {"score": "CAM alpha {1e-3, 1e-2, 5e-2} x Stein eta {1e-3, 1e-1} (5 settings)",
         "das": "CAM alpha {1e-3, 1e-2, 5e-2} x Stein eta {1e-3, 1e-1} (5 settings)",
         "nogam": "CAM alpha {1e-3, 5e-2} x Stein eta {1e-3, 1e-1} (3 settings)",
         "pc": "CI level alpha {0.01, 0.05, 0.1}", "ges": "BIC penalty lambda {0.5, 1, 2}",
         "directlingam": "threshold on abs(weight) {0, 0.1, 0.3}",
         "varsort": "edge step {Lasso-BIC, Lasso-AIC, CAM}", "r2sort": "Lasso criterion {BIC, AIC}"}


def stability(df: pd.DataFrame) -> str:
    """Markdown: per method and preset, SHD averaged over the grid and its spread (max - min of setting means)."""
    per = df.groupby(["method_name", "method", "violation"])["shd"].mean().reset_index()
    viols = _ordered(per["violation"], VIOLATIONS)
    lines = ["SHD mean over the hyperparameter grid (spread = max - min over the grid of the per-setting mean "
             "over seeds); d = 10, n = 1000", "",
             "| method | grid | " + " | ".join(viols) + " |", "|---|---|" + "---|" * len(viols)]
    skipped = []
    for name in _ordered(per["method_name"], METHODS):
        sub = per[per["method_name"] == name]
        if sub["method"].nunique() < 2:  # a spread needs two settings
            skipped.append(name)
            continue
        cells = []
        for v in viols:
            s = sub.loc[sub["violation"] == v, "shd"]
            cells.append(f"{s.mean():.1f} (spread {s.max() - s.min():.1f})" if len(s) else "")
        lines.append(f"| {name} | {GRIDS.get(name, sub['method'].nunique())} | " + " | ".join(cells) + " |")
    if skipped:
        lines += ["", f"Fewer than two settings finished (no spread yet): {', '.join(skipped)}."]
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("part", choices=("table", "overview", "full", "figures", "stability", "export"))
    p.add_argument("--metric", default="fnr", choices=("fnr", "fpr", "shd"), help="overview: which metric")
    p.add_argument("--d", type=int, default=20)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--results", type=Path, default=None, help="bench folder (default: the part's own)")
    a = p.parse_args(argv)
    if a.part == "export":
        from scorecause.bench.runner import read_parts
        from scorecause.fileio import atomic_path

        for folder in (RESULTS, HPARAMS, DENSE):
            if not (folder / "parts").is_dir():
                print(f"skipped {folder}: no bench folder here (its committed {folder.name}.csv is kept)")
                continue
            df = read_parts(folder).drop(columns=["traceback", "calibration"], errors="ignore")
            df = df.sort_values(["preset", "d", "n", "seed", "method"], kind="stable")
            with atomic_path(Path(f"{folder}.csv")) as tmp:
                df.to_csv(tmp, index=False)
            print(f"wrote {folder}.csv ({len(df)} rows)")
        return
    folder = a.results or (HPARAMS if a.part == "stability" else RESULTS)
    df = load(folder)
    if a.part == "table":
        print(table(df, a.d, a.n))
    elif a.part == "overview":
        print(overview(df, a.metric))
    elif a.part == "full":
        print(full(df))
    elif a.part == "figures":
        for path in figures(df):
            print(f"wrote {path}")
    else:
        print(stability(df))


if __name__ == "__main__":
    main()
