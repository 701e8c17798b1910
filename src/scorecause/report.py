"""Self-contained HTML report of one discovery run (figures embedded as base64 PNG; no external files).

Contents: a drawing of the learned graph (edge width by bootstrap probability when present), the edge table,
an edge-probability heatmap when probabilities exist (bootstrap frequencies, or a model's own such as AVICI's), and -- when the true graph is known -- the metrics
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

__all__ = ["discovery_report", "write_discovery_report", "trust_section"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1000px;margin:2em auto;
color:#222;padding:0 1em} h1{font-size:1.5em} h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.9em} td,th{border:1px solid #ccc;padding:3px 9px;text-align:left}
th{background:#f2f4f8} .figs{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}  /* no stretched (distorted) drawings */
.figs img{max-width:470px;height:auto}
.meta{color:#555;font-size:.9em} .empty{background:#fff4e0;padding:.6em;border-left:4px solid #e38b00}
code{background:#f4f4f4;padding:1px 4px}
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


def _edge_text(names, i, j, undirected: bool) -> str:
    return f"{names[i]} {'—' if undirected else '→'} {names[j]}"


def discovery_report(adjacency, names, *, edge_probs=None, order=None, truth=None, method: str = "",
                     data_description: str = "", params: dict | None = None, runtime_s: float | None = None,
                     command: str | None = None, probability_source: str | None = None,
                     empty_reason: str | None = None, trust=None, bidirected=None, truth_bidirected=None,
                     graph_type: str | None = None, graph_type_reason: str | None = None) -> str:
    """Build the HTML report and return it as a string.

    Parameters
    ----------
    adjacency : int (d, d), learned graph, ``A[i, j] = 1`` means ``i -> j``; both cells set is an undirected
        (CPDAG) edge ``i - j``, drawn without arrow head and counted once.
    names : list of str, variable names.
    edge_probs : float (d, d) or None, probabilities of ``i -> j`` (bootstrap frequencies or a model's).
    order : causal order (sources first) or None.
    truth : int (d, d) or None, the true graph (same convention); adds metrics and the comparison drawing.
        Edges are compared pair by pair with the SHD's rule (:func:`scorecause.plot.edge_comparison`).
    method, data_description, params, runtime_s, command : shown in the header.
    probability_source : what ``edge_probs`` are, e.g. ``"bootstrap probability (50 resamples)"``; default
        ``"edge probability"``. Only a bootstrap is ever called one.
    empty_reason : why the learned graph has no edge (shown when it has none).
    trust : :class:`scorecause.trust.TrustAssessment` or None; adds the section "Can this graph be trusted?"
        (:func:`trust_section`).
    bidirected, truth_bidirected : symmetric int (d, d) or None, bidirected edges ``i <-> j`` (hidden common
        causes) of the learned / true mixed graph (:func:`scorecause.graph.as_bidirected`); drawn dashed with two
        heads, listed in the edge table, scored by the mixed-graph SHD and ``bidirected_f1``.
    graph_type, graph_type_reason : what kind of graph was learned (``"dag"``, ``"cpdag"``, ``"mixed"``) and
        why (AdaScore's ``graph_type_`` / ``graph_type_reason_``), shown in the header.

    Examples
    --------
    >>> page = discovery_report(np.array([[0, 1], [0, 0]]), ["a", "b"], truth=np.array([[0, 1], [0, 0]]))
    >>> "<html" in page and "shd" in page
    True
    """
    from scorecause import plot
    from scorecause.graph import as_adjacency, as_bidirected
    from scorecause.metrics import n_edges

    A = as_adjacency(adjacency)
    d = A.shape[0]
    names = [str(v) for v in names]
    directed, undirected = plot.split_edges(A)
    Bp = None if bidirected is None or not np.any(bidirected) else as_bidirected(bidirected, d=d)
    Bt = None if truth_bidirected is None or not np.any(truth_bidirected) else as_bidirected(truth_bidirected, d=d)
    bi_pred = [] if Bp is None else [(int(i), int(j)) for i, j in zip(*np.nonzero(np.triu(Bp, 1)))]
    prob_name = probability_source or "edge probability"
    parts = [f"<h1>scorecause discovery report{': ' + html.escape(method) if method else ''}</h1>"]
    count = f"{n_edges(A)} edge{'' if n_edges(A) == 1 else 's'}" + (f" ({len(undirected)} undirected)" if undirected else "")
    if bi_pred:
        count += f" + {len(bi_pred)} bidirected"
    meta = [f"generated {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}", f"{d} variables, {count}"]
    if data_description:
        meta.append(html.escape(data_description))
    if runtime_s is not None:
        meta.append(f"fit time {runtime_s:.1f} s")
    parts.append(f'<p class="meta">{" &middot; ".join(meta)}</p>')
    if command:
        parts.append(f'<p class="meta">command: <code>{html.escape(command)}</code></p>')
    if graph_type:
        parts.append(f"<p><strong>Graph type: {html.escape(graph_type.upper())}</strong>"
                     + (f" &mdash; {html.escape(graph_type_reason)}" if graph_type_reason else "") + "</p>")
    parts.append('<p class="meta">Convention: an edge a &rarr; b means a causes b '
                 "(adjacency A[i, j] = 1 means i &rarr; j); a &mdash; b is an undirected edge (both cells set: "
                 "the data do not decide its direction), counted once."
                 + (" a &harr; b (dashed, two heads) is a bidirected edge: a hidden common cause of a and b."
                    if bi_pred or Bt is not None else "") + "</p>")
    if not directed and not undirected and not bi_pred:
        parts.append('<p class="empty"><strong>No edge was found.</strong> '
                     + html.escape(empty_reason or "The method returned an empty graph.") + "</p>")

    pos = plot.graph_layout(names)  # one layout for every drawing
    title = "learned graph" + (f"\nwidth = {prob_name}" if edge_probs is not None else "")
    figs = [_img(plot.draw_graph(A, names, edge_probs, title=title, pos=pos, bidirected=Bp), "learned graph")]
    T = None
    mixed = Bp is not None or Bt is not None
    if truth is not None:
        T = as_adjacency(truth, d=d)
        comp = plot.draw_comparison(T, A, names, title="learned vs true graph"
                                    + (" (directed part)" if mixed else ""), pos=pos)
        figs.append(_img(comp, "comparison"))
        if Bt is not None:
            figs.append(_img(plot.draw_graph(T, names, title="true graph (latent projection)", pos=pos,
                                             bidirected=Bt), "true mixed graph"))
    parts.append("<h2>Graph</h2><div class='figs'>" + "".join(figs) + "</div>")

    kinds = None
    if T is not None:
        from scorecause.metrics import evaluate

        wanted = ["shd", "sid", "precision", "recall", "f1", "n_edges"]
        if order is not None:
            wanted.append("order_divergence")
        if edge_probs is not None:
            wanted += ["auroc", "auprc"]
        if mixed:
            wanted += ["bidirected_precision", "bidirected_recall", "bidirected_f1"]
        res = evaluate(T, A, metrics=None, edge_probs=edge_probs, order=order,
                       true_bidirected=Bt if mixed else None,
                       pred_bidirected=(Bp if Bp is not None else np.zeros_like(A)) if mixed else None)
        rows = [(k, _fmt(res[k])) for k in wanted if k in res]
        rows.append(("true edges", n_edges(T)))
        kinds = plot.edge_comparison(T, A)
        note = ("<p class='meta'>shd counts each node pair once: every edge in the comparison that is not "
                "<em>correct</em> costs 1 (" + ", ".join(f"{k} {len(v)}" for k, v in kinds.items() if k != "correct")
                + f"; total {sum(len(v) for k, v in kinds.items() if k != 'correct')}). "
                "precision / recall / f1 count matrix cells, so an undirected edge counts as both directions "
                "(as <code>scorecause evaluate</code>).</p>")
        if mixed:
            note += ("<p class='meta'>Mixed graphs: shd compares each pair's state among none, i &rarr; j, "
                     "j &rarr; i, undirected, i &harr; j (a mismatch costs 1), so a bidirected edge that is "
                     "missing, extra, or drawn where the truth has a directed edge costs 1; the comparison drawing "
                     "shows the directed part only; bidirected_* score the i &harr; j pairs.</p>")
        parts.append("<h2>Metrics against the true graph</h2>" + _table(["metric", "value"], rows) + note)

    status = {}
    if kinds is not None:
        for k, edges in kinds.items():
            for e in edges:
                status[e] = k

    def prob_cell(i, j, undirected_edge):
        if undirected_edge:
            return f"{float(edge_probs[i, j]):.2f} / {float(edge_probs[j, i]):.2f}"
        return f"{float(edge_probs[i, j]):.2f}"

    rows = []
    for undirected_edge, edges in ((False, directed), (True, undirected)):
        for i, j in edges:
            row = [_edge_text(names, i, j, undirected_edge)]
            if edge_probs is not None:
                row.append(prob_cell(i, j, undirected_edge))
            if kinds is not None:
                row.append(status.get((i, j), ""))
            rows.append(row)
    if kinds is not None:
        for i, j in kinds["missing"]:
            both = bool(T[i, j] and T[j, i])
            rows.append([_edge_text(names, i, j, both)]
                        + ([prob_cell(i, j, both)] if edge_probs is not None else []) + ["missing"])
    pad = [""] if edge_probs is not None else []
    for i, j in bi_pred:
        rows.append([f"{names[i]} ↔ {names[j]}"] + pad
                    + ([("correct" if Bt is not None and Bt[i, j] else "extra")] if kinds is not None else []))
    if kinds is not None and Bt is not None:
        for i, j in zip(*np.nonzero(np.triu(Bt, 1))):
            if Bp is None or not Bp[i, j]:
                rows.append([f"{names[i]} ↔ {names[j]}"] + pad + ["missing"])
    header = ["edge"] + ([prob_name + (" (both directions)" if undirected else "")]
                         if edge_probs is not None else []) + (["vs truth"] if kinds is not None else [])
    parts.append("<h2>Edges</h2>" + (_table(header, rows) if rows else "<p>No edge.</p>"))

    if edge_probs is not None:
        parts.append("<h2>Edge probabilities</h2><p class='meta'>Cell (row i, column j): " + html.escape(prob_name)
                     + " of i &rarr; j.</p><div class='figs'>"
                     + _img(plot.edge_prob_heatmap(edge_probs, names, title=prob_name), "edge probabilities")
                     + "</div>")
    if order is not None:
        parts.append("<h2>Causal order</h2><p>" + " &rarr; ".join(html.escape(names[i]) for i in order)
                     + " (sources first)</p>")
    if trust is not None:
        parts.append(trust_section(trust, names, method=method))
    if params:
        parts.append("<h2>Parameters</h2>" + _table(["parameter", "value"], sorted(params.items())))
    return _page("scorecause discovery report", parts)


def _page(title: str, parts) -> str:
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{_CSS}</style></head><body>{''.join(parts)}</body></html>")


def probability_source(estimator) -> str | None:
    """What ``estimator.edge_probs_`` are: bootstrap frequencies (when it ran a bootstrap) or its own
    probabilities; None when it has none.

    >>> probability_source(type("E", (), {"edge_probs_": np.zeros((2, 2)), "n_bootstrap": 20})())
    'bootstrap probability (20 resamples)'
    """
    if getattr(estimator, "edge_probs_", None) is None:
        return None
    n_boot = int(getattr(estimator, "n_bootstrap", 0) or 0)
    if n_boot > 0:
        return f"bootstrap probability ({n_boot} resamples)"
    return f"{type(estimator).__name__} edge probability"


def why_no_edges(estimator) -> str:
    """One sentence: why a fitted ``estimator`` returned a graph without edges (what cut-off removed them).

    Reads the parameter that decides which edges are kept: a probability ``threshold`` (with the largest
    probability seen), the CAM pruning ``alpha`` of order-based methods, the independence-test ``alpha`` of PC.

    >>> est = type("E", (), {"edge_probs_": np.array([[0, .08], [.02, 0]]), "threshold": .5,
    ...                      "feature_names_in_": ["a", "b"]})()
    >>> why_no_edges(est)
    'All edge probabilities are at or below the threshold 0.5; the maximum was 0.08 (a → b).'
    """
    from scorecause.discovery.base import OrderBasedEstimator

    names = list(getattr(estimator, "feature_names_in_", []))
    P = getattr(estimator, "edge_probs_", None)
    threshold = getattr(estimator, "threshold", None)
    alpha = getattr(estimator, "alpha", None)
    if len(names) == 1:
        return "The data have a single variable."
    if P is not None and isinstance(threshold, (int, float)) and not getattr(estimator, "n_bootstrap", 0):
        i, j = np.unravel_index(int(np.argmax(P)), P.shape)
        edge = f" ({names[i]} → {names[j]})" if names else ""
        return (f"All edge probabilities are at or below the threshold {threshold:g}; the maximum was "
                f"{float(P[i, j]):.2f}{edge}.")
    if getattr(estimator, "graph_type_", None) == "cpdag" and hasattr(estimator, "alpha_markov"):
        return (f"Every pair was found conditionally independent at alpha_markov={estimator.alpha_markov:g} "
                "(partial-correlation tests of the Gaussian score's Jacobian); a larger value keeps more edges.")
    if (isinstance(estimator, OrderBasedEstimator) and getattr(estimator, "prune", False)
            or getattr(estimator, "graph_type_", None) in ("dag", "mixed")) and alpha is not None:
        return (f"No edge survived CAM pruning at alpha={alpha:g} (an edge is kept when its p-value is below "
                "alpha; a larger alpha keeps more edges).")
    if alpha is not None:
        return (f"Every pair of variables was found independent (given some set of others) at alpha={alpha:g}; "
                "a larger alpha keeps more edges.")
    if isinstance(threshold, (int, float)):
        return f"No edge weight exceeded the threshold {threshold:g}."
    return f"{type(estimator).__name__} found no edge that its criterion supports on these data."


def write_discovery_report(path, estimator, data, *, truth=None, runtime_s=None, command=None,
                           data_description: str = "", trust=None):
    """Write the report of a fitted discovery ``estimator`` on ``data`` (a Dataset) to ``path`` (atomic).

    ``truth`` defaults to ``data.truth``; ``trust`` (a :class:`scorecause.trust.TrustAssessment`) adds the
    section "Can this graph be trusted?". Returns the path.
    """
    from scorecause.fileio import atomic_write_text

    truth = data.truth if truth is None else truth
    params = {k: v for k, v in estimator.get_params().items() if k not in ("progress",)}
    empty = not np.any(estimator.adjacency_)
    truth_bidirected = data.meta.get("truth_bidirected") if truth is data.truth else None
    page = discovery_report(estimator.adjacency_, list(estimator.feature_names_in_),
                            edge_probs=getattr(estimator, "edge_probs_", None),
                            order=getattr(estimator, "order_", None), truth=truth,
                            bidirected=getattr(estimator, "bidirected_", None), truth_bidirected=truth_bidirected,
                            graph_type=getattr(estimator, "graph_type_", None),
                            graph_type_reason=getattr(estimator, "graph_type_reason_", None),
                            method=type(estimator).__name__, data_description=data_description,
                            params=params, runtime_s=runtime_s, command=command,
                            probability_source=probability_source(estimator),
                            empty_reason=why_no_edges(estimator) if empty else None, trust=trust)
    return atomic_write_text(path, page)


#: edge-level incompatibility bands of the trust section: (upper bound, background colour, words)
TRUST_BANDS = ((0.2, "#d8f0d8", "rarely contradicted"), (0.5, "#fdebc0", "often contradicted"),
               (1.0, "#f6c9c9", "mostly contradicted"))
_WARN_STYLE = "background:#fff4e0;padding:.6em;border-left:4px solid #e38b00"


def _band(score: float) -> tuple[str, str]:
    if math.isnan(score):
        return "#eeeeee", "not tested"
    for upper, colour, words in TRUST_BANDS:
        if score <= upper:
            return colour, words
    return TRUST_BANDS[-1][1], TRUST_BANDS[-1][2]


def trust_section(trust, names, *, method: str = "") -> str:
    """HTML of the section "Can this graph be trusted?" from a :class:`scorecause.trust.TrustAssessment`.

    Plain-words warnings first, then the self-compatibility scores (graph level, and an edge table coloured by
    :data:`TRUST_BANDS`, worst edges first), the var- and R²-sortability of the data along the learned graph
    and the residual normality test per variable.
    """
    names = [str(v) for v in names]
    esc = html.escape
    parts = ["<h2>Can this graph be trusted?</h2>",
             "<p class='meta'>Checks that need no true graph: does the method agree with itself on subsets of the "
             "variables (self-compatibility, Faller et al. 2024), could a trivial sort have produced the order "
             "(sortability, Reisach et al. 2021 / 2023), and do the residuals fit the method's noise assumption. "
             "Passing them is necessary, not sufficient.</p>"]
    for w in trust.warnings:
        parts.append(f"<p style='{_WARN_STYLE}'><strong>Warning:</strong> {esc(w)}</p>")
    sc = trust.self_compat
    parts.append("<h3>Self-compatibility</h3>")
    if sc is None:
        why = trust.skipped or ("not run: add <code>--trust</code> to <code>scorecause discover</code> (it refits "
                                "the method on about 20 random halves of the variables: roughly 20 x the fit "
                                "time of a half-size problem)")
        parts.append(f"<p class='meta'>{why if trust.skipped is None else esc(why)}</p>")
    else:
        k = sc.subset_size
        pairs = k * (k - 1) // 2
        parts.append(
            f"<p>Graph-level incompatibility <strong>{sc.incompatibility:.3f}</strong>: on average "
            f"{sc.incompatibility * pairs:.1f} of the {pairs} variable pairs of a subset are contradicted "
            f"(0 = every subset graph is the marginal of the full graph).</p>"
            f"<p class='meta'>Scheme: {sc.n_subsets} subsets of {k} of the {len(names)} variables, drawn at random "
            f"(seed {esc(str(sc.random_state))}) and topped up until every pair lies together in at least "
            f"{sc.min_pair_coverage} subsets; {esc(method or 'the method')} refitted on each "
            f"({sc.fit_seconds:.1f} s in all). Each subset graph is compared with the latent projection of the full graph "
            "onto the subset (a path through left-out variables becomes an edge; a common cause among them, a "
            "confounded pair that any edge matches). Graph level: mean over subsets of the fraction of pairs with a "
            "missing, extra or reversed edge. Edge level: the fraction of the subsets containing both endpoints "
            "whose graph misses or reverses the edge.</p>")
        rows = []
        for text, score, count in sc.edge_table():
            colour, words = _band(score)
            rows.append(f"<tr><td>{esc(text)}</td><td style='background:{colour}'>"
                        f"{'n/a' if math.isnan(score) else f'{score:.2f}'}</td><td>{count}</td>"
                        f"<td style='background:{colour}'>{esc(words)}</td></tr>")
        legend = ", ".join(f"up to {u:g}: {w}" for u, _, w in TRUST_BANDS)
        parts.append("<table><tr><th>edge (self-compatibility)</th><th>incompatibility</th>"
                     "<th>subsets with both</th><th>verdict</th></tr>" + "".join(rows) + "</table>"
                     if rows else "<p>No edge to score.</p>")
        loose = sc.contradicted_non_edges(0.5)
        if loose:
            parts.append("<p>Pairs <em>without</em> an edge in the full graph on which at least half of the subsets "
                         "disagree with its marginal (candidate missing edges, or edges that only appear when "
                         "a confounder is left out):</p>"
                         + _table(["pair (no edge in the full graph)", "incompatibility", "subsets with both"],
                                  [(t, f"{v:.2f}", c) for t, v, c in loose[:10]])
                         + ("" if len(loose) <= 10 else f"<p class='meta'>and {len(loose) - 10} more.</p>"))
        parts.append(f"<p class='meta'>Colours: {esc(legend)}. A contradicted edge is one the method does not "
                     "reproduce when other variables are left out: a candidate error (on simulated GP data "
                     "with SCORE, see BENCHMARKS.md, section trust).</p>")
    parts.append("<h3>Sortability</h3>")
    srows = [("var-sortability", _fmt(trust.var_sortability),
              "fraction of the learned graph's causal paths along which the variance increases"),
             ("R²-sortability", _fmt(trust.r2_sortability),
              "same with R² (variance explained linearly by all other variables); scale-invariant")]
    parts.append(_table(["measure", "value", "meaning"], srows)
                 + "<p class='meta'>Computed along the <em>learned</em> graph (there is no true one): 1 means a "
                   "sort by that quantity gives the learned order, 0.5 that it says nothing. Warned at "
                   "&ge; 0.9 or &le; 0.1.</p>")
    nm = trust.normality
    if nm is not None:
        parts.append("<h3>Residual normality</h3>")
        tags = trust.tags or {}
        if tags.get("gaussian_noise") is True:
            need = "assumes Gaussian noise"
        elif tags.get("linear") and tags.get("gaussian_noise") is False:
            need = "needs non-Gaussian noise (LiNGAM)"
        else:
            need = "makes no assumption on the noise distribution that this test checks"
        nrows = [(names[j], _fmt(float(nm["p_values"][j])),
                  "non-Gaussian" if nm["non_gaussian"][j] else "consistent with Gaussian")
                 for j in range(len(names))]
        parts.append(f"<p class='meta'>Each variable regressed on its learned parents ({esc(nm['regression'])} "
                     f"least squares), Shapiro-Wilk test of the residuals on {nm['rows']} seeded rows; non-Gaussian "
                     f"when p &lt; {nm['alpha']:.2g} (0.05 Bonferroni-corrected over the variables). "
                     f"{esc(method or 'The method')} {esc(need)}.</p>"
                     + _table(["variable (residuals)", "Shapiro-Wilk p", "residuals"], nrows))
    return "".join(parts)


# --- causal representation learning (the `crl` command) ---


def match_latents(Z_true, Z_hat) -> tuple[np.ndarray, np.ndarray]:
    """``(|C|, match)``: absolute correlations ``|C[a, b]| = |corr(Z_true[:, a], Z_hat[:, b])|`` (k, m) and,
    for every true latent ``a``, the learned latent ``match[a]`` paired with it by the Hungarian matching of
    :func:`scorecause.metrics.mcc` (the same pairing that MCC averages over).

    >>> Z = np.random.default_rng(0).normal(size=(50, 2))
    >>> match_latents(Z, Z[:, ::-1])[1].tolist()
    [1, 0]
    """
    from scipy.optimize import linear_sum_assignment

    from scorecause.metrics import _cross_corr

    C = np.abs(_cross_corr(np.asarray(Z_true, dtype=float), np.asarray(Z_hat, dtype=float)))
    rows, cols = linear_sum_assignment(C, maximize=True)
    match = np.full(C.shape[0], -1)
    match[rows] = cols
    return C, match


def crl_report(latents, adjacency, latent_names, *, true_latents=None, truth=None, true_names=None,
               method: str = "", data_description: str = "", order=None, command: str | None = None,
               images=None, extra_metrics: dict | None = None, graph_kind: str = "dag") -> str:
    """HTML report of a causal representation learning run (the ``crl`` command's ``report.html``).

    Parameters
    ----------
    latents : float (n, k), learned latents of the observational environment's rows.
    adjacency : int (k, k), learned latent graph, ``A[i, j] = 1`` means ``Z_i -> Z_j``.
    latent_names : list of str, names of the learned latents (``Z0, Z1, ...``).
    true_latents : float (n, k) or None, the true latents of the same rows: adds MCC and the
        |correlation| heatmap (true x learned).
    truth : int (k, k) or None, the true latent graph (same convention). Compared after pairing each true latent
        with its learned latent by :func:`match_latents` (needs ``true_latents``), edge by edge with the SHD rule.
    true_names : names of the true latents (columns of ``true_latents``, nodes of ``truth``); default 0, 1, ...
    method, data_description, order, command : shown in the header.
    images : optional pair ``(inputs, reconstructions)`` of float (m, h, w[, C]) arrays in [0, 1] (image runs):
        a grid of sample images over their autoencoder reconstructions.
    extra_metrics : optional dict of further numbers for the metrics table (e.g. reconstruction MSE, pose
        errors of an image run).
    graph_kind : "dag", or "ancestral" when ``adjacency`` is the transitive closure (image runs with one
        intervention per latent); the comparison with ``truth`` is then made against the truth's closure.
    """
    from scorecause import plot
    from scorecause.graph import as_adjacency
    from scorecause.metrics import evaluate, mcc, n_edges

    Zh = np.asarray(latents, dtype=float)
    A = as_adjacency(adjacency)
    names = [str(v) for v in latent_names]
    k = A.shape[0]
    parts = [f"<h1>scorecause CRL report{': ' + html.escape(method) if method else ''}</h1>"]
    meta = [f"generated {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
            f"{k} latents, {n_edges(A)} latent edges", f"{Zh.shape[0]} observational rows"]
    if data_description:
        meta.append(html.escape(data_description))
    parts.append(f'<p class="meta">{" &middot; ".join(meta)}</p>')
    if command:
        parts.append(f'<p class="meta">command: <code>{html.escape(command)}</code></p>')
    parts.append('<p class="meta">Convention: Z<sub>i</sub> &rarr; Z<sub>j</sub> means latent i causes latent j '
                 "(adjacency A[i, j] = 1).</p>")
    pos = plot.graph_layout(names)
    figs = []
    rows = [("latents", k), ("latent edges", n_edges(A))]
    heat = ""
    if true_latents is not None:
        Zt = np.asarray(true_latents, dtype=float)
        if Zt.shape[0] != Zh.shape[0]:
            from scorecause.errors import DataError

            raise DataError(f"the true latents have {Zt.shape[0]} rows but the observational environment has "
                            f"{Zh.shape[0]}; give the true latents of the observational rows, in order")
        C, match = match_latents(Zt, Zh)
        true_names = [str(v) for v in (true_names or range(Zt.shape[1]))]
        rows.append(("mcc (mean |corr| of matched latents)", _fmt(mcc(Zt, Zh))))
        heat = ("<h2>Learned vs true latents</h2><p class='meta'>|correlation| between each true latent (row) and "
                "each learned latent (column) on the observational rows; outlined: the matching MCC averages.</p>"
                "<div class='figs'>" + _img(plot.latent_correlation_heatmap(C, [f"true {v}" for v in true_names], names,
                                                                        match), "latent correlation") + "</div>")
        if truth is not None and Zt.shape[1] == k:
            T = as_adjacency(truth, d=k)
            if graph_kind == "ancestral":
                from scorecause.graph import transitive_closure

                T = np.asarray(transitive_closure(T), dtype=np.int8)
            inv = np.argsort(match)  # learned latent -> true node
            aligned = np.zeros_like(A)
            aligned[np.ix_(inv, inv)] = A  # learned graph in the true latents' order
            res = evaluate(T, aligned, metrics=["shd", "precision", "recall", "f1"])
            rows += [(m, _fmt(v)) for m, v in res.items()] + [("true latent edges", n_edges(T))]
            labels = [f"{names[match[a]]}\n({true_names[a]})" for a in range(k)]
            true_pos = plot.graph_layout(labels)
            pos = {names[match[a]]: true_pos[labels[a]] for a in range(k)}  # both drawings: one place per latent
            figs.append(_img(plot.draw_comparison(T, aligned, labels, title="recovered vs true latent graph",
                                                  pos=true_pos), "comparison"))
    elif truth is not None:
        rows.append(("true graph", "given, but not compared: pair learned and true latents with --true-latents"))
    figs.insert(0, _img(plot.draw_graph(A, names, title="recovered latent graph", pos=pos),
                        "recovered latent graph"))
    parts.append("<h2>Latent graph</h2><div class='figs'>" + "".join(figs) + "</div>")
    if len(figs) > 1:
        parts.append("<p class='meta'>Each learned latent sits at the place of the true latent it is matched with "
                     "(in brackets; the matching of the MCC), in both drawings.</p>")
    if graph_kind == "ancestral":
        parts.append("<p class='meta'>One intervention per latent: the graph is the <b>ancestral</b> graph "
                     "(transitive closure), compared with the true graph's closure.</p>")
    for key, val in (extra_metrics or {}).items():
        if key != "mcc" or true_latents is None:
            text = (f"{val:.4g}" if isinstance(val, float) and not float(val).is_integer() else _fmt(val)) \
                if isinstance(val, (int, float)) else str(val)
            rows.append((key.replace("_", " "), text))
    parts.append("<h2>Metrics</h2>" + _table(["metric", "value"], rows))
    if images is not None:
        parts.append("<h2>Sample images and reconstructions</h2><p class='meta'>Top: observational images (at the "
                     "autoencoder's working resolution); bottom: their reconstructions from the codes.</p>"
                     "<div class='figs'>" + _img(plot.image_grid(list(images), ["input", "reconstruction"]),
                                                 "images and reconstructions") + "</div>")
    if true_latents is None:
        parts.append("<p class='meta'>No true latents given: MCC and the latent correlation heatmap need them "
                     "(<code>--true-latents</code>).</p>")
    parts.append(heat)
    if true_latents is not None:
        parts.append("<h2>Learned vs true latents: scatter</h2><p class='meta'>Each true latent (row) against "
                     "each learned latent (column), observational rows; outlined: the matched pairs.</p>"
                     "<div class='figs'>" + _img(plot.latent_scatter_grid(Zt, Zh, true_names, names, match),
                                                 "latent scatter grid") + "</div>")
    directed, undirected = plot.split_edges(A)
    edge_rows = [[_edge_text(names, i, j, False)] for i, j in directed]
    edge_rows += [[_edge_text(names, i, j, True)] for i, j in undirected]
    parts.append("<h2>Latent edges</h2>" + (_table(["edge"], edge_rows) if edge_rows else "<p>No edge.</p>"))
    if order is not None:
        parts.append("<h2>Causal order</h2><p>" + " &rarr; ".join(html.escape(names[i]) for i in order)
                     + " (sources first)</p>")
    return _page("scorecause CRL report", parts)


def write_crl_report(out_dir, *, truth=None, true_latents=None, data_description: str = "",
                     command: str | None = None, images=None, extra_metrics: dict | None = None):
    """Write ``out_dir/report.html`` from the files a CRL run wrote there (``latents.csv``, ``graph.json``).

    ``truth``: a graph file of the true latent graph; ``true_latents``: a CSV/Parquet file with the true latents
    of the observational rows (one column per latent), or an array (n, k) of them. ``images`` and
    ``extra_metrics``: as in :func:`crl_report` (image runs). When the graph's node names are the latents' column names
    the graph is put in the columns' order; otherwise its node order is taken to be the columns'. Returns the path.
    """
    import json
    from pathlib import Path

    from scorecause.data import Dataset
    from scorecause.fileio import atomic_write_text
    from scorecause.graph import read_graph

    out = Path(out_dir)
    graph = json.loads((out / "graph.json").read_text())
    names = graph["nodes"]
    Zh = Dataset.from_file(out / "latents.csv").X
    Zt = true_names = T = None
    if isinstance(true_latents, np.ndarray):
        Zt, true_names = true_latents, [f"Z{a}" for a in range(true_latents.shape[1])]
    elif true_latents is not None:
        true_ds = Dataset.from_file(true_latents)
        Zt, true_names = true_ds.X, list(true_ds.names)
    if truth is not None:
        T, tnames, _ = read_graph(truth)
        if len(tnames) != len(names):
            from scorecause.errors import GraphError

            raise GraphError(f"true latent graph {str(truth)!r} has {len(tnames)} nodes, the run learned "
                             f"{len(names)} latents; give the graph of the same latents")
        if true_names is not None and sorted(tnames) == sorted(true_names):
            idx = [tnames.index(v) for v in true_names]
            T = T[np.ix_(idx, idx)]
        else:
            true_names = true_names or tnames
    order = [names.index(v) for v in graph.get("order", [])] or None
    page = crl_report(Zh, np.asarray(graph["adjacency"]), names, true_latents=Zt, truth=T, true_names=true_names,
                      method=str(graph.get("method", "")), data_description=data_description, order=order,
                      command=command, images=images, extra_metrics=extra_metrics,
                      graph_kind=str(graph.get("graph_kind", "dag")))
    return atomic_write_text(out / "report.html", page)
