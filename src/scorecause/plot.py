"""Plots: graph drawings, heatmaps, calibration curves and benchmark figures (matplotlib, Agg backend).

Every function returns a matplotlib Figure and never calls ``plt.show()``.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

# --- graph drawings and heatmaps (discovery) ---


def _layout(d: int, names, seed: int = 0):
    """Node positions: a circle (stable, readable for the d <= ~40 graphs a report shows)."""
    import numpy as np

    angles = np.linspace(0, 2 * np.pi, d, endpoint=False) + np.pi / 2
    return {names[i]: (float(np.cos(a)), float(np.sin(a))) for i, a in enumerate(angles)}


def draw_graph(A, names=None, edge_probs=None, *, ax=None, title: str | None = None, pos=None):
    """Draw the directed graph ``A`` (``A[i, j] = 1`` means ``i -> j``) on a circle.

    With ``edge_probs`` (d, d) the edge width and opacity grow with the probability of each drawn edge.
    Returns the matplotlib Figure.

    >>> import numpy as np
    >>> fig = draw_graph(np.array([[0, 1], [0, 0]]), ["a", "b"])
    """
    import matplotlib.pyplot as plt
    import networkx as nx
    import numpy as np

    from scorecause.graph import as_adjacency

    M = as_adjacency(A)
    d = M.shape[0]
    names = [f"X{i}" for i in range(d)] if names is None else [str(v) for v in names]
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 5.5))
    else:
        fig = ax.figure
    pos = pos or _layout(d, names)
    G = nx.DiGraph()
    G.add_nodes_from(names)
    edges = [(names[i], names[j]) for i, j in zip(*np.nonzero(M))]
    G.add_edges_from(edges)
    if edge_probs is not None:
        P = np.asarray(edge_probs, dtype=float)
        p = [float(P[i, j]) for i, j in zip(*np.nonzero(M))]
        widths = [0.5 + 3.5 * v for v in p]
        colors = [(0.1, 0.2, 0.5, 0.25 + 0.75 * v) for v in p]
    else:
        widths, colors = 1.6, "#1f3d7a"
    nx.draw_networkx_nodes(G, pos, ax=ax, node_color="#dfe8f5", edgecolors="#1f3d7a", node_size=900)
    nx.draw_networkx_labels(G, pos, ax=ax, font_size=8)
    nx.draw_networkx_edges(G, pos, ax=ax, edgelist=edges, width=widths, edge_color=colors, arrowsize=14,
                           node_size=900, connectionstyle="arc3,rad=0.08")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


#: colours of :func:`draw_comparison`
COMPARISON_COLORS = {"correct": "#2a9d3f", "reversed": "#e38b00", "extra": "#d62828", "missing": "#9a9a9a"}


def edge_comparison(true, pred) -> dict[str, list[tuple[int, int]]]:
    """Classify edges of ``pred`` against ``true`` (both ``A[i, j] = 1`` meaning ``i -> j``).

    Returns ``{"correct", "reversed", "extra", "missing"}`` -> list of ``(i, j)`` as drawn: correct/reversed/
    extra edges in the predicted direction, missing edges in the true direction.

    >>> edge_comparison([[0, 1], [0, 0]], [[0, 0], [1, 0]])["reversed"]
    [(1, 0)]
    """
    import numpy as np

    T = np.asarray(true) != 0
    P = np.asarray(pred) != 0
    out: dict[str, list[tuple[int, int]]] = {k: [] for k in COMPARISON_COLORS}
    for i, j in zip(*np.nonzero(P)):
        if T[i, j]:
            out["correct"].append((int(i), int(j)))
        elif T[j, i]:
            out["reversed"].append((int(i), int(j)))
        else:
            out["extra"].append((int(i), int(j)))
    for i, j in zip(*np.nonzero(T)):
        if not P[i, j] and not P[j, i]:
            out["missing"].append((int(i), int(j)))
    return out


def draw_comparison(true, pred, names=None, *, ax=None, title: str | None = None):
    """Draw ``pred`` against ``true``: correct (green), reversed (orange), extra (red), missing (grey, dashed).

    Both adjacencies use ``A[i, j] = 1`` for ``i -> j``. Returns the Figure.
    """
    import matplotlib.pyplot as plt
    import networkx as nx
    from matplotlib.lines import Line2D

    from scorecause.graph import as_adjacency

    T = as_adjacency(true)
    d = T.shape[0]
    names = [f"X{i}" for i in range(d)] if names is None else [str(v) for v in names]
    kinds = edge_comparison(T, as_adjacency(pred, d=d))
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 5.5))
    else:
        fig = ax.figure
    pos = _layout(d, names)
    G = nx.DiGraph()
    G.add_nodes_from(names)
    nx.draw_networkx_nodes(G, pos, ax=ax, node_color="#f2f2f2", edgecolors="#444444", node_size=900)
    nx.draw_networkx_labels(G, pos, ax=ax, font_size=8)
    for kind, edges in kinds.items():
        el = [(names[i], names[j]) for i, j in edges]
        if el:
            nx.draw_networkx_edges(G, pos, ax=ax, edgelist=el, edge_color=COMPARISON_COLORS[kind], width=2.0,
                                   style="dashed" if kind == "missing" else "solid", arrowsize=14,
                                   node_size=900, connectionstyle="arc3,rad=0.08")
    handles = [Line2D([], [], color=c, lw=2, ls="--" if k == "missing" else "-", label=f"{k} ({len(kinds[k])})")
               for k, c in COMPARISON_COLORS.items()]
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, -0.12), ncol=4, fontsize=8, frameon=False)
    ax.set_axis_off()
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
def _bench_groups(df, x: str, y: str):
    """(dataset, line label) -> (x values, mean of y, standard error of y) over the rows of a results table.

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
        label = key[1] + (f" ({other}={key[2]:g})" if split else "")
        out[(key[0], label)] = (stats.index.to_numpy(dtype=float), stats["mean"].to_numpy(), se.to_numpy())
    return out


def _bench_axes(df, title: str):
    import matplotlib.pyplot as plt

    datasets = list(dict.fromkeys(df["dataset"]))
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.2 * len(datasets), 3.4), squeeze=False)
    fig.suptitle(title)
    return fig, dict(zip(datasets, axes[0]))


def plot_bench_metric(df, metric: str, x: str = "d"):
    """Benchmark ``metric`` (e.g. SHD, F1, SID) against ``x``: one panel per dataset, one line per method,
    mean ± standard error over seeds. ``df`` is a results table (rows with status ``"ok"``)."""
    fig, axes = _bench_axes(df, f"{metric} vs {x} (mean ± s.e.)")
    for (dataset, method), (xs, mean, se) in _bench_groups(df, x, metric).items():
        axes[dataset].errorbar(xs, mean, yerr=se, marker="o", capsize=3, label=method)
    for dataset, ax in axes.items():
        ax.set(title=str(dataset), xlabel=x, ylabel=metric)
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def plot_bench_time(df, x: str = "d"):
    """Fit time (s) against ``x`` (``"d"`` or ``"n"``) on log-log axes, one line per method, per dataset."""
    fig, axes = _bench_axes(df, f"fit time vs {x} (log-log)")
    for (dataset, method), (xs, mean, se) in _bench_groups(df, x, "fit_time_s").items():
        axes[dataset].errorbar(xs, mean, yerr=se, marker="o", capsize=3, label=method)
    for dataset, ax in axes.items():
        ax.set(title=str(dataset), xlabel=x, ylabel="fit time (s)", xscale="log", yscale="log")
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def plot_bench_calibration(df):
    """Reliability diagram per method from the ``calibration`` bins a benchmark stores for probabilistic
    methods: observed edge frequency against mean predicted probability, pooled over cells."""
    import json

    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(4.5, 4.2))
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1)
    for method, g in df[df["calibration"].notna()].groupby("method", sort=False):
        bins = [json.loads(c) for c in g["calibration"]]
        count = np.sum([b["count"] for b in bins], axis=0)
        pos = np.sum([b["positive"] for b in bins], axis=0)
        psum = np.sum([b["psum"] for b in bins], axis=0)
        keep = count > 0
        ax.plot(psum[keep] / count[keep], pos[keep] / count[keep], marker="o", label=method)
    ax.set(xlabel="predicted edge probability", ylabel="observed edge frequency", xlim=(0, 1), ylim=(0, 1),
           title="calibration")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
