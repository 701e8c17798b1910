"""bench-report: summary statistics, markdown, self-contained HTML, figures; the CLI commands end to end."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from scorecause.bench import report
from scorecause.cli import main


def fake_results():
    rows = []
    for method, shift in (("a", 0.0), ("b", 1.0)):
        for d in (5, 10):
            for seed, shd in enumerate((1.0, 3.0, 5.0)):
                rows.append({"cell_id": f"{method}{d}{seed}", "index": len(rows), "dataset": "lin", "d": d, "n": 100,
                             "seed": seed, "method": method, "status": "ok", "error": None, "shd": shd + shift + d,
                             "f1": 0.5, "fit_time_s": 0.1 * d, "calibration": None})
    rows.append(dict(rows[0], cell_id="x", seed=9, status="timeout", error="time limit", shd=np.nan))
    return pd.DataFrame(rows)


def test_summary_mean_and_standard_error():
    s = report.summarize(fake_results(), metrics=["shd"])
    r = s[(s["method"] == "a") & (s["d"] == 5)].iloc[0]
    assert r["shd_mean"] == pytest.approx(8.0)  # 5 + mean(1, 3, 5); the timed-out row is excluded
    assert r["shd_se"] == pytest.approx(2.0 / np.sqrt(3))  # sd(1, 3, 5) = 2
    assert (r["cells"], r["ok"]) == (4, 3)
    table = report.markdown_table(s)
    assert "| a | lin | 5 | 100 | 8 ± 1.2 |" in table and "3/4" in table


def test_summary_unknown_metric():
    from scorecause.errors import ConfigError

    with pytest.raises(ConfigError, match="nope"):
        report.summarize(fake_results(), metrics=["nope"])


def test_cli_bench_and_report(tmp_path):
    spec = {"name": "cli", "datasets": [{"simulate": "linear-gaussian", "d": [3, 5], "n": 150, "seeds": 2}],
            "methods": ["empty", "random"], "metrics": ["shd", "f1", "ece"]}
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec))
    out = tmp_path / "run"
    runner = CliRunner()
    res = runner.invoke(main, ["bench", str(spec_path), "--out", str(out), "--n-jobs", "1", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "8 cells" in res.output and "8 ok" in res.output
    html, md = tmp_path / "r.html", tmp_path / "t.md"
    res = runner.invoke(main, ["bench-report", str(out), "--html", str(html), "--markdown", str(md)])
    assert res.exit_code == 0, res.output
    text = html.read_text()
    assert text.count("data:image/png;base64,") >= 4  # shd, f1, ece vs d, time vs d, calibration
    assert "src='http" not in text and "<link" not in text  # self-contained
    assert (out / "figures" / "shd_vs_d.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "figures" / "calibration.png").exists()  # "random" reports edge probabilities
    lines = md.read_text().splitlines()
    table = [line for line in lines if line.startswith("|")]
    assert lines[0].startswith("| method | dataset | d | n | shd ↓ | f1 | ece ↓") and len(table) == 2 + 4
    # a second run without --resume is refused with a one-line error, and writes nothing
    res = runner.invoke(main, ["bench", str(spec_path), "--out", str(out), "--no-progress"])
    assert res.exit_code == 1 and "--resume" in res.output
    assert json.loads((out / "spec.json").read_text())["n_cells"] == 8


def test_cli_bad_spec(tmp_path):
    spec_path = tmp_path / "bad.yaml"
    spec_path.write_text("datasets: []\nmethods: [empty]\n")
    res = CliRunner().invoke(main, ["bench", str(spec_path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "non-empty 'datasets'" in res.output
    assert not (tmp_path / "o").exists()


def test_figures_time_vs_n_and_split_lines():
    df = fake_results()
    df = pd.concat([df, df.assign(n=1000, cell_id=df["cell_id"] + "b", fit_time_s=df["fit_time_s"] * 10)])
    figs = report.figures(df, metrics=["shd"])
    assert {"shd_vs_d", "time_vs_d", "time_vs_n"} <= set(figs)
    labels = [t.get_text() for t in figs["shd_vs_d"].legends[0].get_texts()]
    assert sorted(labels) == ["a (n=100)", "a (n=1000)", "b (n=100)", "b (n=1000)"]
    assert figs["time_vs_n"].axes[0].get_xscale() == "log"
