"""scorecause: causal discovery and causal representation learning with score functions.

Adjacency convention everywhere: ``A[i, j] = 1`` means ``i -> j`` (row causes column).

Names are imported lazily (PEP 562) so that ``import scorecause`` and ``scorecause --help`` stay fast.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "CausalEstimator": "scorecause.base",
    "Dataset": "scorecause.data",
    "Prior": "scorecause.data",
    "as_dataset": "scorecause.data",
    "DataError": "scorecause.errors",
    "GraphError": "scorecause.errors",
    "PriorError": "scorecause.errors",
    "methods": "scorecause.registry",
}

__all__ = [*_LAZY, "__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'scorecause' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
