"""The docstring examples of the foundation modules run and print what they claim (they are the docs)."""

import doctest
import importlib

import pytest

MODULES = ["scorecause.graph", "scorecause.metrics", "scorecause.data", "scorecause.fileio", "scorecause.datasets",
           "scorecause.simulate", "scorecause.simulate.graphs", "scorecause.simulate.mechanisms",
           "scorecause.simulate.noise", "scorecause.simulate.scm", "scorecause.simulate.presets"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (see output above)"
    assert result.attempted > 0, f"{name} has no runnable docstring example"
