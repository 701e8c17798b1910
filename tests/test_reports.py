"""Reports that tell the truth: the discovery report, the CRL report and bench-report, read back from their HTML
(html.parser) and their matplotlib figures."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from scorecause import plot
from scorecause.cli import main
from scorecause.metrics import n_edges, shd
from scorecause.report import discovery_report, why_no_edges, write_crl_report, write_discovery_report


class Page(HTMLParser):
    """Headings, tables (lists of rows of cell texts), paragraphs and image alts of an HTML page."""

    def __init__(self, text: str):
        super().__init__()
        self.h2, self.tables, self.paragraphs, self.images = [], [], [], []
        self._cell = self._para = self._h2 = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = ""
        elif tag in ("p", "li"):
            self._para = ""
        elif tag == "h2":
            self._h2 = ""
        elif tag == "img":
            self.images.append(dict(attrs).get("alt"))

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append(self._cell.strip())
            self._cell = None
        elif tag in ("p", "li") and self._para is not None:
            self.paragraphs.append(" ".join(self._para.split()))
            self._para = None
        elif tag == "h2":
            self.h2.append(self._h2.strip())
            self._h2 = None

    def handle_data(self, data):
        for name in ("_cell", "_para", "_h2"):
            if getattr(self, name) is not None:
                setattr(self, name, getattr(self, name) + data)

    def table(self, first_header: str) -> list[dict]:
        """Rows (dicts by header) of the table whose first header cell is ``first_header``."""
        for t in self.tables:
            if t and t[0][0] == first_header:
                return [dict(zip(t[0], r)) for r in t[1:]]
        raise AssertionError(f"no table starting with {first_header!r}; have {[t[0] for t in self.tables]}")


# truth: 0 -> 1 -> 2 -> 3 and 0 -> 2; learned CPDAG: 0 - 1 undirected, 2 - 1 undirected, 1 -> 3 (extra),
# 3 -> 2 (reversed); 0 -> 2 missing
TRUTH = np.array([[0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]])
CPDAG = np.array([[0, 1, 0, 0], [1, 0, 1, 1], [0, 1, 0, 0], [0, 0, 1, 0]])
NAMES = ["a", "b", "c", "e"]


def test_cpdag_undirected_edges_counted_once_and_scored_as_shd():
    text = discovery_report(CPDAG, NAMES, truth=TRUTH, method="PC")
    assert "align-items:flex-start" in text  # drawings of different heights side by side keep their aspect
    page = Page(text)
    assert n_edges(CPDAG) == 4
    assert any("4 edges (2 undirected)" in p for p in page.paragraphs)
    edges = page.table("edge")
    learned = [r for r in edges if r["vs truth"] != "missing"]
    assert len(learned) == n_edges(CPDAG)  # one row per adjacent pair, not one per matrix cell
    assert sorted(r["edge"] for r in learned if "—" in r["edge"]) == ["a — b", "b — c"]
    kinds = {r["edge"]: r["vs truth"] for r in edges}
    assert kinds == {"a — b": "undirected", "b — c": "undirected", "b → e": "extra", "e → c": "reversed",
                     "a → c": "missing"}
    wrong = sum(r["vs truth"] != "correct" for r in edges)
    metrics = {r["metric"]: r["value"] for r in page.table("metric")}
    assert wrong == shd(TRUTH, CPDAG) == int(metrics["shd"]) == 5
    assert int(metrics["n_edges"]) == 4 and int(metrics["true edges"]) == n_edges(TRUTH)
    assert any(f"total {wrong}" in p for p in page.paragraphs)

    # the comparison legend: its counts add up to the learned edges, the true edges and the SHD
    fig = plot.draw_comparison(TRUTH, CPDAG, NAMES)
    counts = {m.group(1): int(m.group(2)) for t in fig.axes[0].get_legend().get_texts()
              if (m := re.fullmatch(r"(\w+) \((\d+)\)", t.get_text()))}
    assert sum(v for k, v in counts.items() if k != "missing") == n_edges(CPDAG)
    assert sum(v for k, v in counts.items() if k != "extra") == n_edges(TRUTH)
    assert sum(v for k, v in counts.items() if k != "correct") == shd(TRUTH, CPDAG)


def test_undirected_edges_drawn_without_heads_same_layout_nothing_clipped():
    from matplotlib.patches import FancyArrowPatch

    g = plot.draw_graph(CPDAG, NAMES)
    c = plot.draw_comparison(TRUTH, CPDAG, NAMES)
    arrows = [p for p in g.axes[0].patches if isinstance(p, FancyArrowPatch)]
    heads = sorted(type(p.get_arrowstyle()).__name__ == "Curve" for p in arrows)
    assert len(arrows) == n_edges(CPDAG) and heads.count(True) == 2  # the two undirected pairs: plain lines
    nodes = [ax.collections[0].get_offsets() for ax in (g.axes[0], c.axes[0])]
    assert np.allclose(nodes[0], nodes[1])  # the same node layout in both drawings
    for fig in (g, c):
        ax = fig.axes[0]
        fig.canvas.draw()
        # every node disc (centre +- its radius in data units) lies inside the visible axes
        radius_pt = np.sqrt(ax.collections[0].get_sizes()[0]) / 2
        radius = radius_pt / 72 * fig.dpi / ax.transData.get_matrix()[0, 0]
        xy = ax.collections[0].get_offsets()
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        assert (xy[:, 0] - radius > x0).all() and (xy[:, 0] + radius < x1).all()
        assert (xy[:, 1] - radius > y0).all() and (xy[:, 1] + radius < y1).all()


@pytest.fixture(scope="module")
def chain_data():
    from scorecause.data import Dataset

    rng = np.random.default_rng(0)
    a = rng.normal(size=300)
    b = np.tanh(a) + 0.3 * rng.normal(size=300)
    c = rng.normal(size=300)
    truth = np.array([[0, 1, 0], [0, 0, 0], [0, 0, 0]])
    return Dataset(np.c_[a, b, c], names=["a", "b", "c"], truth=truth)


def test_bootstrap_wording_only_with_a_bootstrap(chain_data, tmp_path):
    from scorecause.discovery.sort import VarSort

    boot = VarSort(n_bootstrap=3, prune=False, random_state=0).fit(chain_data)
    page = write_discovery_report(tmp_path / "b.html", boot, chain_data).read_text()
    assert "bootstrap probability (3 resamples)" in page
    assert "bootstrap probability (3 resamples)" in Page(page).tables[1][0]  # the edge table's column
    plain = write_discovery_report(tmp_path / "p.html", VarSort(prune=False).fit(chain_data), chain_data).read_text()
    assert "bootstrap" not in plain.replace("n_bootstrap", "") and "width =" not in plain


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_avici_probabilities_and_the_no_edge_sentence(chain_data, tmp_path):
    from scorecause.amortized.estimator import AVICI

    est = AVICI(threshold=0.99).fit(chain_data)
    assert not est.adjacency_.any()
    page_text = write_discovery_report(tmp_path / "a.html", est, chain_data).read_text()
    page = Page(page_text)
    assert "bootstrap" not in page_text
    assert "edge probabilities" in page.images  # the heatmap of AVICI's own probabilities
    (missing,) = page.table("edge")  # no learned edge: the true edge is listed with AVICI's probability of it
    assert missing["AVICI edge probability"] == f"{est.edge_probs_[0, 1]:.2f}" and missing["vs truth"] == "missing"
    P = est.edge_probs_
    i, j = np.unravel_index(np.argmax(P), P.shape)
    sentence = (f"No edge was found. All edge probabilities are at or below the threshold 0.99; the maximum was "
                f"{P.max():.2f} ({'abc'[i]} → {'abc'[j]}).")
    assert sentence in page.paragraphs


def test_no_edge_sentence_names_the_cam_cutoff(chain_data):
    from scorecause.discovery.sort import VarSort

    est = VarSort(alpha=1e-300).fit(chain_data)
    assert not est.adjacency_.any()
    assert why_no_edges(est).startswith("No edge survived CAM pruning at alpha=1e-300 ")
    page = Page(discovery_report(est.adjacency_, ["a", "b", "c"], empty_reason=why_no_edges(est)))
    assert any(p.startswith("No edge was found. No edge survived CAM pruning") for p in page.paragraphs)
    assert "No edge was found" not in discovery_report(CPDAG, NAMES, empty_reason="x")


def test_crl_command_writes_a_report(tmp_path):
    from scorecause.graph import write_graph
    from scorecause.simulate.latent import simulate_latent

    prob = simulate_latent(3, 6, 1500, np.random.default_rng(0))
    for m, ds in enumerate(prob.environments):
        ds.to_file(tmp_path / "envs" / f"env{m}.csv")
    pd.DataFrame(prob.environments[0].meta["Z"], columns=["L0", "L1", "L2"]).to_csv(tmp_path / "z.csv", index=False)
    write_graph(tmp_path / "truth.json", prob.graph, ["L0", "L1", "L2"])
    res = CliRunner().invoke(main, ["crl", str(tmp_path / "envs"), "--out", str(tmp_path / "out"),
                                    "--truth", str(tmp_path / "truth.json"), "--true-latents", str(tmp_path / "z.csv")])
    assert res.exit_code == 0, res.output
    page = Page((tmp_path / "out" / "report.html").read_text())
    assert page.h2[:3] == ["Latent graph", "Metrics", "Learned vs true latents"]
    assert page.images == ["recovered latent graph", "comparison", "latent correlation", "latent scatter grid"]
    metrics = {r["metric"]: r["value"] for r in page.table("metric")}
    assert float(metrics["mcc (mean |corr| of matched latents)"]) > 0.9
    assert int(metrics["true latent edges"]) == n_edges(prob.graph) and "shd" in metrics
    # the same truth written in another node order is matched to the latent columns by name: same metrics
    perm = [2, 0, 1]
    write_graph(tmp_path / "perm.json", prob.graph[np.ix_(perm, perm)], [f"L{i}" for i in perm])
    write_crl_report(tmp_path / "out", truth=tmp_path / "perm.json", true_latents=tmp_path / "z.csv")
    again = Page((tmp_path / "out" / "report.html").read_text())
    assert {r["metric"]: r["value"] for r in again.table("metric")} == metrics

    # without truth: the recovered graph and the metrics that need no truth, and a note saying what is missing
    res = CliRunner().invoke(main, ["crl", str(tmp_path / "envs"), "--out", str(tmp_path / "o2")])
    assert res.exit_code == 0, res.output
    page = Page((tmp_path / "o2" / "report.html").read_text())
    assert page.images == ["recovered latent graph"] and "Learned vs true latents" not in page.h2
    assert any("--true-latents" in p for p in page.paragraphs)


# --- bench-report ---


def bench_results():
    rows = []
    for method in ("pc", "varsort", "random"):
        for d in (3, 5, 8):
            for n in (100, 400):
                for seed in range(2):
                    cpdag = method == "pc" and seed == 1  # SID undefined for one of the two cells
                    cal = ('{"count": [5, 5], "positive": [1, 3], "psum": [1.0, 3.5]}' if method == "random"
                           else None)
                    rows.append({"cell_id": f"{method}{d}{n}{seed}", "dataset": "lin", "d": d, "n": n, "seed": seed,
                                 "method": method, "status": "ok", "error": None, "shd": float(d + seed),
                                 "sid": np.nan if cpdag else float(d), "fit_time_s": 0.01 * d * n,
                                 "calibration": cal})
    return pd.DataFrame(rows)


def test_bench_report_explains_k_of_m():
    from scorecause.bench import report

    df = bench_results()
    summary = report.summarize(df, metrics=["shd", "sid"])
    page = Page(report.html_report(df, summary, {}, metrics=["shd", "sid"]))
    sid = [r["sid ↓"] for r in page.table("method") if r["method"] == "pc"]
    assert sid and all(s.endswith("[1/2]") for s in sid)
    assert any(p.startswith("A value followed by [k/m]: the mean is over only k of the m ok cells")
               for p in page.paragraphs)
    assert "[k/m]" in report.markdown_table(summary)


def test_bench_figures_integer_d_outside_legends_one_colour_per_method():
    from matplotlib.colors import to_rgba
    from matplotlib.ticker import FixedLocator

    from scorecause.bench import report

    figs = report.figures(bench_results(), metrics=["shd", "sid"])
    assert {"shd_vs_d", "sid_vs_d", "time_vs_d", "time_vs_n", "calibration"} <= set(figs)
    colours = {}
    for name, fig in figs.items():
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        legends = fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
        assert legends, name
        for legend in legends:  # no legend covers a data axes
            box = legend.get_window_extent(renderer)
            for ax in fig.axes:
                if ax.get_label() != "<colorbar>":
                    assert not box.overlaps(ax.get_window_extent(renderer)), name
        for ax in fig.axes:
            if name.endswith("_vs_d") or name == "time_vs_n":
                locator = ax.xaxis.get_major_locator()
                assert isinstance(locator, FixedLocator)
                want = [3, 5, 8] if name.endswith("_vs_d") else [100, 400]
                assert list(locator.locs) == want
                assert [t.get_text() for t in ax.get_xticklabels()] == [str(v) for v in want]
            lines = [(c.get_label(), c.lines[0]) for c in ax.containers] + [(v.get_label(), v) for v in ax.get_lines()]
            for label, line in lines:
                method = label.split(" (")[0]
                if method in ("pc", "varsort", "random"):
                    colours.setdefault(method, set()).add(tuple(np.round(to_rgba(line.get_color()), 6)))
    assert set(colours) == {"pc", "varsort", "random"}
    assert all(len(c) == 1 for c in colours.values())  # one colour per method in every figure
    assert len({next(iter(c)) for c in colours.values()}) == 3  # and different methods differ
