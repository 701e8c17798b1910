"""Plots: graph drawings, heatmaps, calibration curves and benchmark figures (matplotlib, Agg backend).

Every function returns a matplotlib Figure and never calls ``plt.show()``.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

# --- graph drawings and heatmaps (discovery) ---

_NODE_SIZE = 900  # points^2; the axes limits below leave room for a node of this size at the circle's rim
_RADIUS_MARGIN = 1.35  # axes half-width in layout units (circle radius 1): nodes are never clipped


def graph_layout(names) -> dict:
    """Node positions on the unit circle, first node on top, clockwise order of ``names``.

    Every graph drawing of a report takes the same positions, so the drawings can be compared node by node.

    >>> sorted(graph_layout(["a", "b"]))
    ['a', 'b']
    """
    import numpy as np

    d = len(names)
    angles = np.pi / 2 - np.linspace(0, 2 * np.pi, d, endpoint=False)
    return {str(names[i]): (float(np.cos(a)), float(np.sin(a))) for i, a in enumerate(angles)}


def split_edges(A) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Directed edges ``(i, j)`` (only ``A[i, j] = 1``) and undirected edges ``(i, j)``, ``i < j`` (both cells).

    >>> split_edges([[0, 1, 1], [1, 0, 0], [0, 0, 0]])
    ([(0, 2)], [(0, 1)])
    """
    import numpy as np

    M = np.asarray(A) != 0
    directed = [(int(i), int(j)) for i, j in zip(*np.nonzero(M & ~M.T))]
    undirected = [(int(i), int(j)) for i, j in zip(*np.nonzero(np.triu(M & M.T, 1)))]
    return directed, undirected


def _graph_axes(ax, pos):
    """A square axes showing the whole circle layout (node discs included), without frame."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 5.5))
    ax.set_xlim(-_RADIUS_MARGIN, _RADIUS_MARGIN)
    ax.set_ylim(-_RADIUS_MARGIN, _RADIUS_MARGIN)
    # an invisible frame over the whole view, so a tight bounding box keeps the same scale in every drawing
    ax.add_patch(Rectangle((-_RADIUS_MARGIN, -_RADIUS_MARGIN), 2 * _RADIUS_MARGIN, 2 * _RADIUS_MARGIN,
                           fill=False, edgecolor="none"))
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax.figure, ax


def _draw_nodes(G, pos, ax, face: str, edge: str):
    import networkx as nx

    nx.draw_networkx_nodes(G, pos, ax=ax, node_color=face, edgecolors=edge, node_size=_NODE_SIZE)
    nx.draw_networkx_labels(G, pos, ax=ax, font_size=8)


def _draw_edges(G, pos, ax, edges, *, undirected: bool, **style):
    """Draw ``edges`` (name pairs); undirected ones as straight lines without arrow heads."""
    import networkx as nx

    if not edges:
        return
    if undirected:
        style.update(arrowstyle="-")
    else:
        style.update(arrowsize=14, connectionstyle="arc3,rad=0.08")
    nx.draw_networkx_edges(G, pos, ax=ax, edgelist=edges, node_size=_NODE_SIZE, arrows=True, **style)


def _node_graph(names):
    import networkx as nx

    G = nx.DiGraph()
    G.add_nodes_from(names)
    return G


#: colour of bidirected edges (i <-> j, a hidden common cause) in every drawing
BIDIRECTED_COLOR = "#c2185b"


def draw_bidirected(names, pos, ax, pairs, **style) -> None:
    """Draw bidirected edges ``i <-> j`` (index pairs): dashed, an arrow head at both ends, curved a little."""
    import networkx as nx

    if not pairs:
        return
    G = _node_graph(names)
    style = {"edge_color": BIDIRECTED_COLOR, "width": 1.6, **style}
    nx.draw_networkx_edges(G, pos, ax=ax, edgelist=[(names[i], names[j]) for i, j in pairs], node_size=_NODE_SIZE,
                           arrows=True, arrowstyle="<|-|>", arrowsize=12, style="dashed",
                           connectionstyle="arc3,rad=-0.25", **style)


def draw_graph(A, names=None, edge_probs=None, *, ax=None, title: str | None = None, pos=None, bidirected=None):
    """Draw the graph ``A`` (``A[i, j] = 1`` means ``i -> j``; both cells = undirected CPDAG edge ``i - j``).

    Directed edges get an arrow head, undirected edges are plain lines (one per pair). With ``edge_probs``
    (d, d) the width and opacity of each edge grow with its probability (an undirected edge: the larger of
    its two directions). ``bidirected`` (symmetric (d, d), ``i <-> j``: a hidden common cause) adds dashed
    edges with two heads, curved so that a pair with both a directed and a bidirected edge shows both.
    ``pos`` defaults to :func:`graph_layout`. Returns the matplotlib Figure.

    >>> import numpy as np
    >>> fig = draw_graph(np.array([[0, 1], [0, 0]]), ["a", "b"])
    """
    import numpy as np
    from matplotlib.lines import Line2D

    from scorecause.graph import as_adjacency

    M = as_adjacency(A)
    d = M.shape[0]
    names = [f"X{i}" for i in range(d)] if names is None else [str(v) for v in names]
    pos = pos or graph_layout(names)
    fig, ax = _graph_axes(ax, pos)
    G = _node_graph(names)
    _draw_nodes(G, pos, ax, "#dfe8f5", "#1f3d7a")
    P = None if edge_probs is None else np.asarray(edge_probs, dtype=float)
    for undirected, edges in zip((False, True), split_edges(M)):
        if P is None:
            widths, colors = 1.6, "#1f3d7a"
        else:
            p = [max(P[i, j], P[j, i]) if undirected else P[i, j] for i, j in edges]
            widths = [0.5 + 3.5 * v for v in p]
            colors = [(0.1, 0.2, 0.5, 0.25 + 0.75 * v) for v in p]
        _draw_edges(G, pos, ax, [(names[i], names[j]) for i, j in edges], undirected=undirected,
                    width=widths, edge_color=colors)
    bi = [] if bidirected is None else [(int(i), int(j)) for i, j in zip(*np.nonzero(np.triu(np.asarray(bidirected), 1)))]
    draw_bidirected(names, pos, ax, bi)
    if any(split_edges(M)[1]) or bi:
        handles = [Line2D([], [], color="#1f3d7a", marker=">", lw=1.6, label="directed")]
        if any(split_edges(M)[1]):
            handles.append(Line2D([], [], color="#1f3d7a", lw=1.6, label="undirected (orientation unknown)"))
        if bi:
            handles.append(Line2D([], [], color=BIDIRECTED_COLOR, lw=1.6, ls="--", marker="<",
                                  label="bidirected (hidden common cause)"))
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(handles), fontsize=8,
                  frameon=False)
    if title:
        ax.set_title(title)
    return fig


#: colours of :func:`draw_comparison`, by edge kind of :func:`edge_comparison`
COMPARISON_COLORS = {"correct": "#2a9d3f", "reversed": "#e38b00", "undirected": "#7b4fb0",
                     "oriented": "#1d7fb8", "extra": "#d62828", "missing": "#9a9a9a"}
#: what each kind means (legend and report text)
COMPARISON_MEANING = {
    "correct": "same edge as the truth (direction, or undirected, as in the truth)",
    "reversed": "adjacency right, direction opposite to the truth",
    "undirected": "adjacency right, left undirected where the truth has a direction",
    "oriented": "adjacency right, directed where the truth is undirected",
    "extra": "edge not in the truth",
    "missing": "true edge not found",
}


def edge_comparison(true, pred) -> dict[str, list[tuple[int, int]]]:
    """Classify every adjacent node pair of ``pred`` and ``true`` (``A[i, j] = 1`` means ``i -> j``).

    Uses the endpoint states of :func:`scorecause.metrics.shd` (none, ``i -> j``, ``j -> i``, undirected), so
    each pair is counted once and every kind except ``"correct"`` costs exactly 1 in the SHD:
    ``sum(len(v) for k, v in out.items() if k != "correct") == shd(true, pred)``.

    Returns ``{"correct", "reversed", "undirected", "oriented", "extra", "missing"}`` -> list of ``(i, j)``:
    the predicted edge as drawn (``i < j`` for an undirected one), or for ``"missing"`` the true edge.

    >>> edge_comparison([[0, 1], [0, 0]], [[0, 0], [1, 0]])["reversed"]
    [(1, 0)]
    >>> edge_comparison([[0, 1], [0, 0]], [[0, 1], [1, 0]])["undirected"]
    [(0, 1)]
    """
    import numpy as np

    from scorecause.graph import as_adjacency
    from scorecause.metrics import _pair_states

    T, P = as_adjacency(true), as_adjacency(pred)
    d = T.shape[0]
    st, sp = _pair_states(T), _pair_states(P)
    out: dict[str, list[tuple[int, int]]] = {k: [] for k in COMPARISON_COLORS}
    # state 0 none, 1 i->j, 2 j->i, 3 undirected (as metrics._pair_states)
    drawn = {1: lambda i, j: (i, j), 2: lambda i, j: (j, i), 3: lambda i, j: (i, j)}
    for (i, j), t, p in zip(zip(*np.triu_indices(d, 1)), st.tolist(), sp.tolist()):
        i, j = int(i), int(j)
        if t == 0 and p == 0:
            continue
        if p == 0:
            kind = "missing"
        elif t == 0:
            kind = "extra"
        elif t == p:
            kind = "correct"
        elif p == 3:
            kind = "undirected"
        elif t == 3:
            kind = "oriented"
        else:
            kind = "reversed"
        out[kind].append(drawn[t if kind == "missing" else p](i, j))
    return out


def draw_comparison(true, pred, names=None, *, ax=None, title: str | None = None, pos=None):
    """Draw ``pred`` against ``true``, one line per adjacent pair, coloured by :func:`edge_comparison`.

    Correct green, reversed orange, undirected purple, extra red, missing grey dashed (drawn as in the truth);
    undirected edges without arrow heads. Both adjacencies use ``A[i, j] = 1`` for ``i -> j``; ``pos`` defaults
    to :func:`graph_layout`, the layout of :func:`draw_graph`. The legend (below the drawing, never over it)
    gives the count of each kind. Returns the Figure.
    """
    from matplotlib.lines import Line2D

    from scorecause.graph import as_adjacency

    T = as_adjacency(true)
    d = T.shape[0]
    P = as_adjacency(pred, d=d)
    names = [f"X{i}" for i in range(d)] if names is None else [str(v) for v in names]
    kinds = edge_comparison(T, P)
    pos = pos or graph_layout(names)
    fig, ax = _graph_axes(ax, pos)
    G = _node_graph(names)
    _draw_nodes(G, pos, ax, "#f2f2f2", "#444444")
    for kind, edges in kinds.items():
        drawn_from = T if kind == "missing" else P
        for undirected in (False, True):
            el = [(names[i], names[j]) for i, j in edges if bool(drawn_from[i, j] and drawn_from[j, i]) == undirected]
            _draw_edges(G, pos, ax, el, undirected=undirected, edge_color=COMPARISON_COLORS[kind], width=2.0,
                        style="dashed" if kind == "missing" else "solid")
    shown = [k for k in COMPARISON_COLORS if kinds[k] or k not in ("undirected", "oriented")]
    handles = [Line2D([], [], color=COMPARISON_COLORS[k], lw=2, ls="--" if k == "missing" else "-",
                      label=f"{k} ({len(kinds[k])})") for k in shown]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(len(handles), 3),
              fontsize=8, frameon=False)
    if title:
        ax.set_title(title)
    return fig


def edge_prob_heatmap(P, names=None, *, ax=None, title: str | None = "edge probabilities"):
    """Heatmap of edge probabilities ``P[i, j]`` (probability of ``i -> j``; rows = causes). Returns the Figure."""
    import matplotlib.pyplot as plt
    import numpy as np

    P = np.asarray(P, dtype=float)
    d = P.shape[0]
    names = [f"X{i}" for i in range(d)] if names is None else [str(v) for v in names]
    if ax is None:
        fig, ax = plt.subplots(figsize=(0.35 * d + 2.5, 0.35 * d + 2))
    else:
        fig = ax.figure
    im = ax.imshow(P, vmin=0, vmax=1, cmap="Blues")
    ax.set_xticks(range(d), names, rotation=90, fontsize=7)
    ax.set_yticks(range(d), names, fontsize=7)
    ax.set_xlabel("effect")
    ax.set_ylabel("cause")
    fig.colorbar(im, ax=ax, fraction=0.046)
    if title:
        ax.set_title(title)
    return fig


def latent_correlation_heatmap(C, true_names, learned_names, match=None, *, title: str | None = "|correlation|"):
    """Heatmap of ``C[a, b]`` = |corr(true latent a, learned latent b)| (rows true, columns learned), values
    written in the cells; ``match[a]`` (learned latent of true latent ``a``) outlined. Returns the Figure."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Rectangle

    C = np.asarray(C, dtype=float)
    k, m = C.shape
    fig, ax = plt.subplots(figsize=(0.6 * m + 2.6, 0.6 * k + 1.6))
    im = ax.imshow(C, vmin=0, vmax=1, cmap="Blues")
    for a in range(k):
        for b in range(m):
            ax.text(b, a, f"{C[a, b]:.2f}", ha="center", va="center", fontsize=8,
                    color="white" if C[a, b] > 0.6 else "black")
    if match is not None:
        for a, b in enumerate(match):
            if b >= 0:
                ax.add_patch(Rectangle((b - 0.5, a - 0.5), 1, 1, fill=False, edgecolor="#d62828", lw=2))
    ax.set_xticks(range(m), [str(v) for v in learned_names], fontsize=8)
    ax.set_yticks(range(k), [str(v) for v in true_names], fontsize=8)
    ax.set_xlabel("learned latent")
    ax.set_ylabel("true latent")
    fig.colorbar(im, ax=ax, fraction=0.046)
    if title:
        ax.set_title(title)
    return fig


def latent_scatter_grid(Z_true, Z_hat, true_names, learned_names, match=None, *, max_points: int = 600):
    """Grid of scatter plots: true latent ``a`` (row) against learned latent ``b`` (column), ``max_points``
    evenly spaced rows; the matched cells (``match[a]`` = learned latent of true latent ``a``) are outlined.
    Returns the Figure."""
    import matplotlib.pyplot as plt
    import numpy as np

    Zt, Zh = np.asarray(Z_true, float), np.asarray(Z_hat, float)
    idx = np.linspace(0, len(Zt) - 1, min(max_points, len(Zt))).astype(int)
    k, m = Zt.shape[1], Zh.shape[1]
    fig, axes = plt.subplots(k, m, figsize=(1.45 * m + 0.6, 1.45 * k + 0.4), squeeze=False)
    for a in range(k):
        for b in range(m):
            ax = axes[a, b]
            hit = match is not None and match[a] == b
            ax.scatter(Zh[idx, b], Zt[idx, a], s=2, alpha=0.5, color="#d62828" if hit else "#4a6fa5", lw=0)
            ax.set_xticks([])
            ax.set_yticks([])
            if hit:
                for side in ax.spines.values():
                    side.set_edgecolor("#d62828")
                    side.set_linewidth(2)
            if a == k - 1:
                ax.set_xlabel(str(learned_names[b]), fontsize=8)
            if b == 0:
                ax.set_ylabel(f"true {true_names[a]}", fontsize=8)
    fig.suptitle("true (rows) vs learned (columns) latents", fontsize=9)
    fig.tight_layout()
    return fig


def image_grid(rows, row_labels=None, *, max_cols: int = 8):
    """Rows of images (each a float array (m, h, w[, C]) in [0, 1]), e.g. inputs over reconstructions.
    Returns the Figure."""
    import matplotlib.pyplot as plt
    import numpy as np

    cols = min(max_cols, max(len(r) for r in rows))
    fig, axes = plt.subplots(len(rows), cols, figsize=(1.1 * cols + 0.8, 1.15 * len(rows)), squeeze=False)
    for i, batch in enumerate(rows):
        for j in range(cols):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j < len(batch):
                im = np.clip(np.asarray(batch[j], float), 0, 1)
                if im.ndim == 3 and im.shape[2] == 1:
                    im = im[..., 0]
                ax.imshow(im, cmap="gray" if im.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
            if j == 0 and row_labels:
                ax.set_ylabel(row_labels[i], fontsize=8)
    fig.tight_layout()
    return fig


# --- calibration (amortized) ---
def calibration_plot(curves: dict, *, n_bins: int = 10, title: str | None = None):
    """Reliability diagram of edge probabilities: observed edge frequency against predicted probability.

    Parameters
    ----------
    curves : dict ``label -> (true_graphs, edge_probs)``, each a list of (d, d) arrays (``A[i, j] = 1`` means
        ``i -> j``; ``P[i, j]`` the probability of that edge); off-diagonal entries of all graphs are pooled.
    n_bins : equal-width probability bins (as :func:`scorecause.metrics.ece`).

    Returns a Figure: left the reliability curves with the diagonal (perfect calibration), right the
    histogram of predicted probabilities (log counts). The legend shows each curve's ECE.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    from scorecause.metrics import ece

    fig, (ax, axh) = plt.subplots(1, 2, figsize=(9, 4))
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="perfect")
    edges = np.linspace(0, 1, n_bins + 1)
    for label, (trues, probs) in curves.items():
        ys, ps = [], []
        for T, P in zip(trues, probs):
            off = ~np.eye(len(T), dtype=bool)
            ys.append(np.asarray(T)[off] != 0)
            ps.append(np.asarray(P, dtype=float)[off])
        y, p = np.concatenate(ys), np.concatenate(ps)
        b = np.minimum((p * n_bins).astype(int), n_bins - 1)
        cnt = np.bincount(b, minlength=n_bins)
        nz = cnt > 0
        conf = np.bincount(b, weights=p, minlength=n_bins)[nz] / cnt[nz]
        acc = np.bincount(b, weights=y.astype(float), minlength=n_bins)[nz] / cnt[nz]
        e = float(np.mean([ece(T, P, n_bins) for T, P in zip(trues, probs)]))
        ax.plot(conf, acc, marker="o", label=f"{label} (ECE {e:.3f})")
        axh.hist(p, bins=edges, histtype="step", log=True, label=label)
    ax.set(xlabel="predicted edge probability", ylabel="observed edge frequency", xlim=(0, 1), ylim=(0, 1),
           title=title or "calibration")
    ax.legend(fontsize=7)
    axh.set(xlabel="predicted edge probability", ylabel="count (log)", title="probability histogram")
    fig.tight_layout()
    return fig

# --- benchmark figures (bench) ---
_LINESTYLES = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "^", "D", "v", "P")


def method_colors(methods) -> dict[str, tuple]:
    """One fixed colour per method name (tab10, then tab20), by sorted name: pass the same map to every
    benchmark figure so a method has one colour throughout a report.

    >>> method_colors(["b", "a"])["a"] == method_colors(["a", "c"])["a"]
    True
    """
    import matplotlib

    names = sorted({str(m) for m in methods})
    cmap = matplotlib.colormaps["tab10" if len(names) <= 10 else "tab20"]
    return {m: tuple(float(c) for c in cmap(k % cmap.N)) for k, m in enumerate(names)}


def _bench_groups(df, x: str, y: str):
    """(dataset, method, split value or None) -> (x values, mean of y, standard error of y) over the rows.

    One line per method, split by the other size axis (n when ``x`` is d, and vice versa) when it varies.
    """
    import numpy as np

    other = {"d": "n", "n": "d"}.get(x)  # one line per value of the other size axis when it varies
    split = other is not None and other in df and df[other].nunique() > 1
    keys = ["dataset", "method"] + ([other] if split else [])
    out = {}
    for key, g in df.groupby(keys, sort=False):
        stats = g.groupby(x)[y].agg(["mean", "std", "count"]).sort_index()
        se = (stats["std"] / np.sqrt(stats["count"])).where(stats["count"] > 1, 0.0).fillna(0.0)
        out[(key[0], key[1], key[2] if split else None)] = (stats.index.to_numpy(dtype=float),
                                                           stats["mean"].to_numpy(), se.to_numpy())
    return out, (other if split else None)


def _bench_figure(df, x: str, y: str, title: str, ylabel: str, colors: dict | None, log: bool = False):
    """One panel per dataset, one line per method (colour from ``colors``; line style per value of the other
    size axis), mean ± s.e.; one legend right of the panels (never over data); integer ticks for d and n."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import FixedLocator, NullLocator

    datasets = list(dict.fromkeys(df["dataset"]))
    colors = colors or method_colors(df["method"])
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.2 * len(datasets), 3.4), squeeze=False)
    axes = dict(zip(datasets, axes[0]))
    groups, other = _bench_groups(df, x, y)
    splits = sorted({s for (_, _, s) in groups if s is not None})
    for (dataset, method, value), (xs, mean, se) in groups.items():
        if not np.isfinite(mean).any():  # e.g. ece of a method without edge probabilities: no line, no legend
            continue
        k = splits.index(value) if value is not None else 0
        label = str(method) + (f" ({other}={value:g})" if value is not None else "")
        axes[dataset].errorbar(xs, mean, yerr=se, color=colors[str(method)], ls=_LINESTYLES[k % 4],
                               marker=_MARKERS[k % 6], capsize=3, label=label)
    for dataset, ax in axes.items():
        ax.set(title=str(dataset), xlabel=x, ylabel=ylabel)
        if log:
            ax.set(xscale="log", yscale="log")
        if x in ("d", "n"):  # sizes are integers: ticks exactly at the sizes run
            ticks = sorted({float(v) for v in df.loc[df["dataset"] == dataset, x].dropna()})
            ax.xaxis.set_major_locator(FixedLocator(ticks))
            ax.xaxis.set_minor_locator(NullLocator())
            ax.set_xticklabels([f"{v:g}" for v in ticks])
    handles, labels = next(iter(axes.values())).get_legend_handles_labels()
    for ax in list(axes.values())[1:]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.suptitle(title)
    fig.tight_layout()
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize="small", frameon=False)
    return fig


def plot_bench_metric(df, metric: str, x: str = "d", colors: dict | None = None):
    """Benchmark ``metric`` (e.g. SHD, F1, SID) against ``x``: one panel per dataset, one line per method,
    mean ± standard error over seeds. ``df`` is a results table (rows with status ``"ok"``); ``colors`` is
    the method -> colour map shared by all figures (default :func:`method_colors` of ``df``)."""
    return _bench_figure(df, x, metric, f"{metric} vs {x} (mean ± s.e.)", metric, colors)


def plot_bench_time(df, x: str = "d", colors: dict | None = None):
    """Fit time (s) against ``x`` (``"d"`` or ``"n"``) on log-log axes, one line per method, per dataset."""
    return _bench_figure(df, x, "fit_time_s", f"fit time vs {x} (log-log)", "fit time (s)", colors, log=True)


def plot_bench_calibration(df, colors: dict | None = None):
    """Reliability diagram per method from the ``calibration`` bins a benchmark stores for probabilistic
    methods: observed edge frequency against mean predicted probability, pooled over cells."""
    import json

    import matplotlib.pyplot as plt
    import numpy as np

    colors = colors or method_colors(df["method"])
    fig, ax = plt.subplots(figsize=(4.5, 4.2))
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfect calibration")
    for method, g in df[df["calibration"].notna()].groupby("method", sort=False):
        bins = [json.loads(c) for c in g["calibration"]]
        count = np.sum([b["count"] for b in bins], axis=0)
        pos = np.sum([b["positive"] for b in bins], axis=0)
        psum = np.sum([b["psum"] for b in bins], axis=0)
        keep = count > 0
        ax.plot(psum[keep] / count[keep], pos[keep] / count[keep], marker="o", color=colors[str(method)],
                label=str(method))
    ax.set(xlabel="predicted edge probability", ylabel="observed edge frequency", xlim=(0, 1), ylim=(0, 1),
           title="calibration")
    fig.tight_layout()
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize="small", frameon=False)
    return fig
