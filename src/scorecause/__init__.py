"""scorecause: causal discovery and causal representation learning with score functions.

Adjacency convention everywhere: ``A[i, j] = 1`` means ``i -> j`` (row causes column).
"""

from scorecause.base import CausalEstimator
from scorecause.data import Dataset, Prior, as_dataset
from scorecause.errors import DataError, GraphError, PriorError
from scorecause.registry import methods

__version__ = "0.1.0"

__all__ = ["CausalEstimator", "Dataset", "Prior", "as_dataset", "methods", "DataError", "GraphError", "PriorError", "__version__"]
