"""Self-contained HTML report of one discovery run (figures embedded as base64 PNG; no external files).

Contents: a drawing of the learned graph (edge width by bootstrap probability when present), the edge table,
an edge-probability heatmap when probabilities exist, and -- when the true graph is known -- the metrics
(:func:`scorecause.metrics.evaluate`) and a drawing of correct / reversed / extra / missing edges.

Adjacency convention: ``A[i, j] = 1`` means ``i -> j``.
"""

from __future__ import annotations

import base64
import html
import io
import math
from datetime import datetime, timezone

import numpy as np

__all__ = ["discovery_report", "write_discovery_report"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1000px;margin:2em auto;
color:#222;padding:0 1em} h1{font-size:1.5em} h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.9em} td,th{border:1px solid #ccc;padding:3px 9px;text-align:left}
th{background:#f2f4f8} .figs{display:flex;flex-wrap:wrap;gap:1em} .figs img{max-width:480px}
.meta{color:#555;font-size:.9em} code{background:#f4f4f4;padding:1px 4px}
"""


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _img(fig, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="{_png(fig)}">'


def _table(header, rows) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _fmt(v) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "n/a"
        return f"{v:.3f}" if abs(v - round(v)) > 1e-9 else str(int(round(v)))
    return str(v)


def discovery_report(adjacency, names, *, edge_probs=None, order=None, truth=None, method: str = "",
                     data_description: str = "", params: dict | None = None, runtime_s: float | None = None,
                     command: str | None = None) -> str:
    """Build the HTML report and return it as a string.

    Parameters
    ----------
    adjacency : int (d, d), learned graph, ``A[i, j] = 1`` means ``i -> j``.
    names : list of str, variable names.
    edge_probs : float (d, d) or None, bootstrap probabilities of ``i -> j``.
    order : causal order (sources first) or None.
    truth : int (d, d) or None, the true graph (same convention); adds metrics and the comparison drawing.
    method, data_description, params, runtime_s, command : shown in the header.

    Examples
    --------
    >>> page = discovery_report(np.array([[0, 1], [0, 0]]), ["a", "b"], truth=np.array([[0, 1], [0, 0]]))
    >>> "<html" in page and "shd" in page
    True
    """
    from scorecause import plot
    from scorecause.graph import as_adjacency

    A = as_adjacency(adjacency)
    d = A.shape[0]
    names = [str(v) for v in names]
    parts = [f"<h1>scorecause discovery report{': ' + html.escape(method) if method else ''}</h1>"]
    meta = [f"generated {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
            f"{d} variables, {int(A.sum())} edges"]
    if data_description:
        meta.append(html.escape(data_description))
    if runtime_s is not None:
        meta.append(f"fit time {runtime_s:.1f} s")
    parts.append(f'<p class="meta">{" &middot; ".join(meta)}</p>')
    if command:
        parts.append(f'<p class="meta">command: <code>{html.escape(command)}</code></p>')
    parts.append('<p class="meta">Convention: an edge a &rarr; b means a causes b '
                 "(adjacency A[i, j] = 1 means i &rarr; j).</p>")

    figs = [_img(plot.draw_graph(A, names, edge_probs, title="learned graph"
                                 + (" (width = bootstrap probability)" if edge_probs is not None else "")),
                 "learned graph")]
    T = None
    if truth is not None:
        T = as_adjacency(truth, d=d)
        figs.append(_img(plot.draw_comparison(T, A, names, title="learned vs true graph"), "comparison"))
    parts.append("<h2>Graph</h2><div class='figs'>" + "".join(figs) + "</div>")

    if T is not None:
        from scorecause.metrics import evaluate

        wanted = ["shd", "sid", "precision", "recall", "f1", "n_edges"]
        if order is not None:
            wanted.append("order_divergence")
        if edge_probs is not None:
            wanted += ["auroc", "auprc"]
        res = evaluate(T, A, metrics=None, edge_probs=edge_probs, order=order)
        rows = [(k, _fmt(res[k])) for k in wanted if k in res]
        rows.append(("true edges", int(T.sum())))
        parts.append("<h2>Metrics against the true graph</h2>" + _table(["metric", "value"], rows))

    rows = []
    kinds = plot.edge_comparison(T, A) if T is not None else None
    status = {}
    if kinds is not None:
        for k, edges in kinds.items():
            for e in edges:
                status[e] = k
    for i, j in zip(*np.nonzero(A)):
        row = [names[i], names[j]]
        if edge_probs is not None:
            row.append(f"{float(edge_probs[i, j]):.2f}")
        if kinds is not None:
            row.append(status.get((int(i), int(j)), ""))
        rows.append(row)
    if kinds is not None:
        for i, j in kinds["missing"]:
            rows.append([names[i], names[j]] + (["-"] if edge_probs is not None else []) + ["missing"])
    header = ["cause", "effect"] + (["probability"] if edge_probs is not None else []) + (
        ["vs truth"] if kinds is not None else [])
    parts.append("<h2>Edges</h2>" + _table(header, rows))

    if edge_probs is not None:
        parts.append("<h2>Edge probabilities</h2><div class='figs'>"
                     + _img(plot.edge_prob_heatmap(edge_probs, names), "edge probabilities") + "</div>")
    if order is not None:
        parts.append("<h2>Causal order</h2><p>" + " &rarr; ".join(html.escape(names[i]) for i in order)
                     + " (sources first)</p>")
    if params:
        parts.append("<h2>Parameters</h2>" + _table(["parameter", "value"], sorted(params.items())))
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>scorecause discovery report"
            f"</title><style>{_CSS}</style></head><body>{''.join(parts)}</body></html>")


def write_discovery_report(path, estimator, data, *, truth=None, runtime_s=None, command=None,
                           data_description: str = ""):
    """Write the report of a fitted discovery ``estimator`` on ``data`` (a Dataset) to ``path`` (atomic).

    ``truth`` defaults to ``data.truth``. Returns the path.
    """
    from scorecause.fileio import atomic_write_text

    truth = data.truth if truth is None else truth
    params = {k: v for k, v in estimator.get_params().items() if k not in ("progress",)}
    page = discovery_report(estimator.adjacency_, list(estimator.feature_names_in_),
                            edge_probs=getattr(estimator, "edge_probs_", None),
                            order=getattr(estimator, "order_", None), truth=truth,
                            method=type(estimator).__name__, data_description=data_description,
                            params=params, runtime_s=runtime_s, command=command)
    return atomic_write_text(path, page)
