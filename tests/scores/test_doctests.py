"""The docstring examples of scorecause.scores run and print what they claim (they are the docs)."""

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["kernels", "stein", "matching", "difference"])
def test_docstring_examples(name):
    mod = importlib.import_module(f"scorecause.scores.{name}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {mod.__name__} failed"
    assert result.attempted > 0
