"""Exceptions raised by scorecause.

Every message names the offending column, row, value or file and says how to fix it.
The classes subclass ``ValueError`` / ``RuntimeError`` so generic handlers keep working.
"""

from __future__ import annotations


class ScorecauseError(Exception):
    """Base class of every scorecause exception."""


class DataError(ScorecauseError, ValueError):
    """Input data is unusable (NaN, non-numeric or constant column, wrong shape, ...)."""


class GraphError(ScorecauseError, ValueError):
    """A graph is malformed (wrong shape, self-loop, cycle where a DAG is required, ...)."""


class PriorError(ScorecauseError, ValueError):
    """Prior knowledge is inconsistent or names unknown variables."""


class ConfigError(ScorecauseError, ValueError):
    """A configuration (YAML spec, option combination) is invalid."""


class NotFittedError(ScorecauseError, RuntimeError):
    """An estimator was used before ``fit``."""


class MissingDependencyError(ScorecauseError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


def require(module: str, extra: str):
    """Import an optional dependency or raise :class:`MissingDependencyError` naming the extra.

    >>> np = require("numpy", "core")
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised only when the extra is absent
        raise MissingDependencyError(
            f"optional dependency {module!r} is not installed; install it with "
            f"`pip install 'scorecause[{extra}]'`"
        ) from exc
