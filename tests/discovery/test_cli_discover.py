"""The ``scorecause discover`` command: files in, graph + report out, errors leave nothing behind."""

import json

import numpy as np
from click.testing import CliRunner

from scorecause.cli import main
from scorecause.graph import read_graph
from scorecause.simulate import simulate


def test_discover_csv_with_prior_bootstrap_and_report(tmp_path):
    ds = simulate("score-gp-er", d=4, n=200, rng=np.random.default_rng(0))
    data = tmp_path / "data.csv"
    ds.to_file(data)
    prior = tmp_path / "prior.json"
    prior.write_text(json.dumps({"required": [["X3", "X0"]], "forbidden": [["X1", "X2"]]}))
    out, report = tmp_path / "g.json", tmp_path / "r.html"
    res = CliRunner().invoke(main, ["discover", str(data), "--method", "varsort", "--prior", str(prior),
                                    "--bootstrap", "3", "--seed", "1", "--out", str(out), "--report", str(report)])
    assert res.exit_code == 0, res.output
    A, names, P = read_graph(out)
    assert names == ds.names
    assert A[3, 0] == 1 and A[1, 2] == 0
    assert P is not None and P[3, 0] == 1.0
    page = report.read_text()
    assert page.startswith("<!DOCTYPE html>") and "data:image/png;base64," in page and "X3" in page
    assert "<script" not in page and "http" not in page.split("<body>")[1].split("data:image")[0]


def test_discover_example_sachs_report_has_metrics(tmp_path):
    out, report = tmp_path / "graph.json", tmp_path / "report.html"
    res = CliRunner().invoke(main, ["discover", "--example", "sachs", "--out", str(out), "--report", str(report),
                                    "--quiet"])
    assert res.exit_code == 0, res.output
    A, names, _ = read_graph(out)
    assert len(names) == 11 and "Raf" in names
    page = report.read_text()
    for word in ("shd", "sid", "missing", "vs truth", "precision"):
        assert word in page


def test_discover_errors_leave_no_file(tmp_path):
    out = tmp_path / "g.json"
    res = CliRunner().invoke(main, ["discover", "--out", str(out)])
    assert res.exit_code == 1 and "error:" in res.output and not out.exists()
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,x\n2,y\n")
    res = CliRunner().invoke(main, ["discover", str(bad), "--out", str(out)])
    assert res.exit_code == 1 and "'b'" in res.output and not out.exists()
    res = CliRunner().invoke(main, ["discover", "--example", "sachs", "--out", str(tmp_path / "g.txt")])
    assert res.exit_code == 1 and "suffix" in res.output


def test_report_without_truth_and_with_cyclic_truth():
    from scorecause.plot import edge_comparison
    from scorecause.report import discovery_report

    A = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    P = np.array([[0, 0.9, 0.1], [0.05, 0, 0.6], [0, 0, 0]])
    page = discovery_report(A, ["a", "b", "c"], edge_probs=P, order=[0, 1, 2])
    assert "0.90" in page and "edge probabilities" in page and "Metrics" not in page
    cyclic = np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    page = discovery_report(A, ["a", "b", "c"], truth=cyclic)
    assert "n/a" in page  # SID is undefined for a cyclic truth; the report says so instead of failing
    kinds = edge_comparison(cyclic, np.array([[0, 0, 0], [1, 0, 1], [0, 1, 0]]))
    assert kinds == {"correct": [], "reversed": [(1, 0)], "undirected": [(1, 2)], "oriented": [], "extra": [],
                     "missing": [(2, 0)]}  # 1 - 2 is undirected: one pair, not a correct plus a reversed edge
