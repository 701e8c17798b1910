"""Amortized causal discovery: the AVICI transformer (Lorch et al. 2022, arXiv:2205.12934).

* :class:`AVICI` -- estimator with shipped weights ``"linear"`` and ``"rff"`` (``scorecause.methods["avici"]``).
* :class:`AVICIModel`, :class:`ModelConfig` -- the torch model (``model.py``).
* :func:`train_from_file` (and ``train.train``) -- the training loop behind ``scorecause train-amortized`` (``train.py``).
"""

from scorecause.amortized.estimator import AVICI, load_weights, predict_edge_probs
from scorecause.amortized.model import AVICIModel, ModelConfig, spectral_radius
from scorecause.amortized.train import TrainConfig, export_weights, load_config, train_from_file

__all__ = ["AVICI", "AVICIModel", "ModelConfig", "TrainConfig", "load_config", "load_weights",
           "predict_edge_probs", "spectral_radius", "train_from_file", "export_weights"]
