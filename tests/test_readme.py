"""README.md runs as written: every ```python block, and every ```bash block's scorecause commands.

A ```yaml block whose first line is ``# file: NAME`` is written to NAME before the shell blocks run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from test_cli_help import run_shell_line

README = Path(__file__).parents[1] / "README.md"
BLOCKS = re.findall(r"^```(\w+)\n(.*?)^```", README.read_text(), flags=re.S | re.M)
SETUP = ("pip install ", "python -m pytest")  # install / test lines: what CI itself runs (.ci/run)


def test_readme_has_blocks():
    kinds = [kind for kind, _ in BLOCKS]
    assert kinds.count("python") >= 2 and kinds.count("bash") >= 3


@pytest.mark.parametrize("index", [i for i, (kind, _) in enumerate(BLOCKS) if kind == "python"])
def test_python_block_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(BLOCKS[index][1], f"README.md python block {index}", "exec"), {"__name__": "__readme__"})


def test_shell_blocks_run_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for kind, body in BLOCKS:
        first = body.splitlines()[0] if body.strip() else ""
        if kind == "yaml" and first.startswith("# file:"):
            (tmp_path / first.split()[2]).write_text(body)
        if kind != "bash":
            continue
        for line in filter(None, (raw.strip() for raw in body.splitlines())):
            for command in (c.strip() for c in line.split("&&")):
                if command.startswith(SETUP):
                    continue
                assert command.startswith("scorecause "), f"README shell line not understood: {command!r}"
                run_shell_line(command)
    assert {"graph.json", "report.html", "mydata.csv", "truth.json", "graph.graphml"} <= {
        p.name for p in tmp_path.iterdir()}
