"""Benchmark reports: mean ± standard error tables, figures, a self-contained HTML page, markdown.

The input is a results folder written by :func:`scorecause.bench.run_bench` (one row per cell). Rows with
``status != "ok"`` are counted (``ok`` / ``cells`` columns) but excluded from the means. The standard error
of a mean over ``k`` cells is ``s / sqrt(k)`` with ``s`` the sample standard deviation (ddof = 1); it is
blank for ``k < 2``. ``[k/m]`` after a value: defined for only k of the m ok cells (:data:`TABLE_NOTES`).
"""

from __future__ import annotations

import base64
import html as html_lib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from scorecause.bench.runner import load_results

#: record columns that are not metrics (everything else numeric in a results table is a metric)
META_COLUMNS = {"cell_id", "index", "dataset", "source", "preset", "d", "n", "seed", "method", "method_name",
                "params", "status", "error", "n_edges_true", "n_edges_pred", "metric_errors", "calibration", "traceback",
                "data_time_s", "warmup_time_s", "fit_time_s", "total_time_s", "cpu_time_s", "max_rss_mb", "worker",
                "finished_at"}
SETTING = ("dataset", "d", "n")
#: metrics where smaller is better (for the reader; marked with a down arrow in tables)
LOWER_IS_BETTER = {"shd", "sid", "shd_closure", "order_divergence", "ece", "brier", "d_top", "fnr", "fpr"}

__all__ = ["load_results", "metric_columns", "summarize", "markdown_table", "figures", "html_report",
           "write_report"]


def metric_columns(df: pd.DataFrame) -> list[str]:
    """The metric columns of a results table (numeric columns that are not record metadata), in order."""
    return [c for c in df.columns if c not in META_COLUMNS and pd.api.types.is_numeric_dtype(df[c])]


def summarize(df: pd.DataFrame, metrics=None, by=("method",) + SETTING) -> pd.DataFrame:
    """Mean and standard error of each metric and of the fit time per group ``by`` (method, dataset, d, n).

    Returns one row per group with columns ``<m>_mean``, ``<m>_se`` for every metric ``m`` (and
    ``fit_time_s``), plus ``cells`` (rows in the group) and ``ok`` (rows with status ``"ok"``).
    """
    metrics = list(metrics) if metrics else metric_columns(df)
    missing = [m for m in metrics if m not in df.columns]
    if missing:
        from scorecause.errors import ConfigError

        raise ConfigError(f"metric(s) {missing} are not in the results; available: {metric_columns(df)}")
    by = [b for b in by if b in df.columns]
    df = df.copy()
    for b in by:  # group keys must not be NaN (real data has no d/n in its config)
        df[b] = df[b].astype(object).where(df[b].notna(), "-")
    ok = df[df["status"] == "ok"]
    rows = []
    for key, group in df.groupby(by, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        good = ok.loc[ok.index.intersection(group.index)]
        row = dict(zip(by, key), cells=len(group), ok=len(good))
        for m in [*metrics, "fit_time_s"]:
            v = pd.to_numeric(good[m], errors="coerce").dropna().to_numpy(dtype=float)
            row[f"{m}_mean"] = v.mean() if v.size else np.nan
            row[f"{m}_se"] = v.std(ddof=1) / np.sqrt(v.size) if v.size > 1 else np.nan
            row[f"{m}_k"] = v.size  # cells where the metric is defined (SID: DAG outputs only)
        rows.append(row)
    return pd.DataFrame(rows)


def _fmt(mean, se, digits=3, k=None, ok=None) -> str:
    """``"mean ± se"``; ``[k/ok]`` appended when the metric is defined for only ``k`` of the ``ok`` cells."""
    if mean is None or not np.isfinite(mean):
        return "–"
    text = f"{mean:.{digits}g}"
    if se is not None and np.isfinite(se):
        text += f" ± {se:.2g}"
    if k is not None and ok is not None and k < ok:
        text += f" [{k}/{ok}]"
    return text


#: what the table's notation means; printed under the HTML table and the markdown table
TABLE_NOTES = (
    "Each cell: mean ± standard error over the seeds of that setting (cells with status ok only).",
    "A value followed by [k/m]: the mean is over only k of the m ok cells, because the metric is undefined for "
    "the other m - k (e.g. SID of a CPDAG or cyclic output, ece without edge probabilities).",
    "–: the metric is undefined for every ok cell of that row.",
    "ok/cells: cells that finished / cells run (failed and timed-out cells are listed below the table).",
    "↓: smaller is better.",
)


def _cell(r, m) -> str:
    return _fmt(r[f"{m}_mean"], r[f"{m}_se"], k=r.get(f"{m}_k"), ok=r["ok"])


def markdown_table(summary: pd.DataFrame, metrics=None) -> str:
    """A GitHub markdown table: one row per (method, setting); cells "mean ± se"; fit time in seconds.

    ``[k/ok]`` after a value: the metric was defined for only k of the ok cells (e.g. SID of CPDAG outputs).
    """
    metrics = list(metrics) if metrics else [c[:-5] for c in summary.columns
                                             if c.endswith("_mean") and c != "fit_time_s_mean"]
    keys = [k for k in ("method", *SETTING) if k in summary.columns]
    heads = keys + [m + (" ↓" if m in LOWER_IS_BETTER else "") for m in metrics] + ["fit time (s)", "ok/cells"]
    lines = ["| " + " | ".join(heads) + " |", "|" + "|".join("---" for _ in heads) + "|"]
    for _, r in summary.iterrows():
        cells = [str(r[k]) for k in keys]
        cells += [_cell(r, m) for m in metrics]
        cells += [_fmt(r["fit_time_s_mean"], r["fit_time_s_se"]), f"{r['ok']}/{r['cells']}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {note}" for note in TABLE_NOTES) + "\n"


def figures(df: pd.DataFrame, metrics=None) -> dict:
    """Matplotlib figures by name: ``<metric>_vs_d`` (SHD/F1/SID ... vs d), ``time_vs_d``, ``time_vs_n``
    (log-log) and ``calibration`` (when any method reported edge probabilities). Empty plots are skipped.
    Every figure colours a method with the same colour (:func:`scorecause.plot.method_colors` of all methods)."""
    from scorecause import plot

    metrics = list(metrics) if metrics else metric_columns(df)
    colors = plot.method_colors(df["method"])  # one colour per method, the same in every figure
    ok = df[df["status"] == "ok"]
    out = {}
    if ok.empty:
        return out
    sim = ok[ok["d"].notna()] if "d" in ok else ok.iloc[0:0]
    for m in metrics:
        if sim[m].notna().any() and sim["d"].nunique() > 1:
            out[f"{m}_vs_d"] = plot.plot_bench_metric(sim, m, x="d", colors=colors)
    for x in ("d", "n"):
        if x in sim and sim[x].nunique() > 1:
            out[f"time_vs_{x}"] = plot.plot_bench_time(sim, x=x, colors=colors)
    if "calibration" in ok and ok["calibration"].notna().any():
        out["calibration"] = plot.plot_bench_calibration(ok, colors=colors)
    return out


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def html_report(df: pd.DataFrame, summary: pd.DataFrame, images: dict, *, title: str = "scorecause benchmark",
                metrics=None) -> str:
    """A self-contained HTML page: the summary table, failures, and every figure inlined as base64 PNG."""
    esc = html_lib.escape
    metrics = list(metrics) if metrics else [c[:-5] for c in summary.columns
                                             if c.endswith("_mean") and c != "fit_time_s_mean"]
    keys = [k for k in ("method", *SETTING) if k in summary.columns]
    head = "".join(f"<th>{esc(h)}</th>" for h in keys + [m + (" ↓" if m in LOWER_IS_BETTER else "") for m in metrics]
                   + ["fit time (s)", "ok/cells"])
    notes = "<ul class='notes'>" + "".join(f"<li>{esc(n)}</li>" for n in TABLE_NOTES) + "</ul>"
    body = []
    for _, r in summary.iterrows():
        tds = [esc(str(r[k])) for k in keys] + [esc(_cell(r, m)) for m in metrics]
        tds += [esc(_fmt(r["fit_time_s_mean"], r["fit_time_s_se"])), f"{r['ok']}/{r['cells']}"]
        body.append("<tr>" + "".join(f"<td>{t}</td>" for t in tds) + "</tr>")
    failed = df[df["status"] != "ok"]
    fail_html = ""
    if len(failed):
        rows = "".join(f"<tr><td>{esc(str(r.method))}</td><td>{esc(str(r.dataset))}</td><td>{esc(str(r.seed))}</td>"
                       f"<td>{esc(str(r.status))}</td><td>{esc(str(r.error))}</td></tr>" for r in failed.itertuples())
        fail_html = ("<h2>Failed cells</h2><table><tr><th>method</th><th>dataset</th><th>seed</th><th>status</th>"
                     f"<th>error</th></tr>{rows}</table>")
    imgs = "".join(f"<figure><img alt='{esc(name)}' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"
                   f"<figcaption>{esc(name)}</figcaption></figure>" for name, png in images.items())
    if not imgs:
        imgs = ("<p class='notes'>No figure: the figures plot each metric and the fit time against d or n, and "
                "this run has a single d and a single n (and no edge probabilities for a calibration plot).</p>")
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
             "padding:3px 8px;text-align:right}th{background:#eee}figure{display:inline-block;margin:1em}"
             ".notes{color:#555;font-size:.9em}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{esc(title)}</title><style>{style}</style>"
            f"</head><body><h1>{esc(title)}</h1><p>{len(df)} cells, {int((df['status'] == 'ok').sum())} ok. "
            "Cells: mean ± standard error over seeds; adjacency convention A[i, j] = 1 means i → j.</p>"
            f"<table><tr>{head}</tr>{''.join(body)}</table>{notes}{fail_html}<h2>Figures</h2>{imgs}</body></html>\n")


def write_report(results, *, html=None, markdown=None, figures_dir=None, metrics=None) -> list[Path]:
    """Summarise the results folder ``results``; write the HTML page, markdown table and PNGs asked for.

    PNGs go to ``figures_dir`` (default ``<results>/figures`` when ``html`` is given). Returns written paths.
    """
    from scorecause.fileio import atomic_path, atomic_write_bytes, atomic_write_text

    results = Path(results)
    df = load_results(results)
    summary = summarize(df, metrics=metrics)
    written = []
    if markdown:
        written.append(atomic_write_text(markdown, markdown_table(summary, metrics)))
    if html or figures_dir:
        pngs = {name: _png(fig) for name, fig in figures(df, metrics).items()}
        folder = Path(figures_dir) if figures_dir else results / "figures"
        for name, png in pngs.items():
            written.append(atomic_write_bytes(folder / f"{name}.png", png))
        if html:
            title = "scorecause benchmark"
            spec_file = results / "spec.json"
            if spec_file.exists():
                title += ": " + str(json.loads(spec_file.read_text()).get("name", ""))
            with atomic_path(html) as tmp:
                Path(tmp).write_text(html_report(df, summary, pngs, title=title, metrics=metrics), encoding="utf-8")
            written.append(Path(html))
    return written

