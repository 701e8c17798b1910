"""Amortized causal discovery: networks trained on simulated (graph, data) pairs.

* :class:`Amortized` -- the statistics- and score-fed aggregator (``scorecause.methods["amortized"]``, shipped
  weights ``"general"`` and ``"linear"``); features in ``features.py``, model in ``aggregator.py``.
* :class:`AVICI` -- estimator with shipped weights ``"linear"`` and ``"rff"`` (``scorecause.methods["avici"]``).
* :class:`AVICIModel`, :class:`ModelConfig` -- the raw-sample transformer of Lorch et al. 2022,
  arXiv:2205.12934 (``model.py``).
* :func:`train_from_file` (and ``train.train``) -- the training loop behind ``scorecause train-amortized`` (``train.py``).
"""

from scorecause.amortized.aggregator import AggregatorConfig, AggregatorModel, Amortized
from scorecause.amortized.estimator import AVICI, load_weights, predict_edge_probs
from scorecause.amortized.features import FeatureConfig, Features, dataset_features
from scorecause.amortized.model import AVICIModel, ModelConfig, spectral_radius
from scorecause.amortized.train import TrainConfig, export_weights, load_config, train_from_file

__all__ = ["Amortized", "AggregatorConfig", "AggregatorModel", "FeatureConfig", "Features", "dataset_features",
           "AVICI", "AVICIModel", "ModelConfig", "TrainConfig", "load_config", "load_weights",
           "predict_edge_probs", "spectral_radius", "train_from_file", "export_weights"]
