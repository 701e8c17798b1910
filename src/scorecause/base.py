"""The estimator contract shared by every method (discovery, amortized, CRL, baselines).

``__init__`` stores hyperparameters only; ``fit(X, *, interventions=None, prior=None)`` validates the data
once (``X`` may be an ndarray, a DataFrame or a :class:`~scorecause.data.Dataset`), calls the subclass's
``_fit(dataset, prior)`` and returns ``self``. The subclass sets ``adjacency_`` (int8, ``A[i, j] = 1``
means ``i -> j``) and, where defined, ``order_`` (sources first) and ``edge_probs_``.
``graph_`` is derived: a networkx DiGraph over the variable names.

Each class declares the assumptions it relies on in ``tags`` (readable by tools and the benchmark harness),
its parameter constraints once in ``_parameter_constraints`` (:mod:`scorecause.constraints`, checked at the
start of :meth:`fit`, listed by ``scorecause discover --method NAME --help-method``) and its reach in
``min_rows`` / ``max_features`` / ``_memory_bytes`` (:mod:`scorecause.limits`, applied before any work).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from sklearn.base import BaseEstimator

from scorecause.constraints import validate_params
from scorecause.data import Dataset, Prior, as_dataset, as_prior
from scorecause.errors import NotFittedError
from scorecause.limits import check_size

#: assumption tags a method may declare (True when it relies on it)
ASSUMPTIONS = ("additive_noise", "gaussian_noise", "linear", "causal_sufficiency", "acyclic", "interventional")


class CausalEstimator(BaseEstimator, ABC):
    """Base class: validation in :meth:`fit`, ``graph_``, :meth:`score`. Subclasses implement ``_fit``."""

    tags: dict[str, bool] = {"causal_sufficiency": True, "acyclic": True}
    supports_prior: bool = False
    #: parameter name -> allowed values (:mod:`scorecause.constraints`); every subclass declares all of its own
    _parameter_constraints: dict = {}
    #: fewest rows the method can use; variables beyond which it is far out of its reach (None: no limit)
    min_rows: int = 3
    max_features: int | None = None
    #: what to change when the memory estimate exceeds the machine's (see :mod:`scorecause.limits`)
    memory_fix: str = "fit on a random subsample of the rows"

    def _memory_bytes(self, n: int, d: int) -> float:
        """Estimated peak memory (bytes) of a fit on ``n`` rows x ``d`` variables (0: negligible)."""
        return 0.0

    def _seconds(self, n: int, d: int) -> float:
        """Rough run time (seconds, within a factor of a few) of a fit on ``n`` x ``d`` (0: not estimated)."""
        return 0.0

    def fit(self, X, *, interventions=None, prior=None):
        """Learn the graph from ``X`` (ndarray n x d, DataFrame or Dataset); returns ``self``.

        The parameters are checked first (:func:`scorecause.constraints.validate_params`), then the data's
        size against the method's limits (:func:`scorecause.limits.check_size`; kernel methods may continue
        on a seeded row subsample of ``max_rows`` rows, with a warning).
        """
        validate_params(self)
        data = as_dataset(X, interventions=interventions)
        prior = as_prior(prior)
        if prior is not None and not prior.is_empty():
            if not self.supports_prior:
                from scorecause.errors import PriorError

                raise PriorError(f"{type(self).__name__} does not accept prior knowledge")
            prior.bind(data.names)  # validate against the variable names before any work
        data = check_size(self, data)
        self.n_features_in_ = data.d
        self.feature_names_in_ = np.asarray(data.names, dtype=object)
        self._fit(data, prior)
        from scorecause.graph import as_adjacency

        self.adjacency_ = as_adjacency(self.adjacency_, d=data.d)
        return self

    @abstractmethod
    def _fit(self, data: Dataset, prior: Prior | None) -> None:
        """Learn from the validated ``data``; set ``adjacency_`` (and ``order_`` / ``edge_probs_`` where defined)."""

    def _check_fitted(self) -> None:
        if not hasattr(self, "adjacency_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet; call fit(X) first")

    @property
    def graph_(self):
        """networkx DiGraph over ``feature_names_in_``; edges carry ``probability`` when ``edge_probs_`` exists."""
        self._check_fitted()
        import networkx as nx

        names = list(self.feature_names_in_)
        G = nx.DiGraph()
        G.add_nodes_from(names)
        probs = getattr(self, "edge_probs_", None)
        for i, j in zip(*np.nonzero(self.adjacency_)):
            attrs = {"probability": float(probs[i, j])} if probs is not None else {}
            G.add_edge(names[i], names[j], **attrs)
        return G

    def score(self, true_graph, metric: str = "shd"):
        """Compare ``adjacency_`` with ``true_graph`` (``A[i, j] = 1`` means ``i -> j``) by ``metric``.

        ``metric`` is any name in :data:`scorecause.metrics.METRICS` (e.g. ``"shd"``, ``"sid"``, ``"f1"``).
        """
        self._check_fitted()
        from scorecause import metrics

        return metrics.evaluate(true_graph, self.adjacency_, metrics=[metric],
                                edge_probs=getattr(self, "edge_probs_", None))[metric]
