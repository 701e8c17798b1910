"""Score estimators: :math:`\\nabla_x \\log p(x)` and its derivatives from samples.

* :mod:`~scorecause.scores.kernels` -- RBF kernel pieces with SCORE's conventions (distances, median bandwidth).
* :mod:`~scorecause.scores.stein` -- Stein gradient estimator (Li & Turner 2018): score, Hessian diagonal
  (SCORE), full Hessian / chosen rows (DAS); :class:`SteinEstimator` for out-of-sample and Nyström.
* :mod:`~scorecause.scores.matching` -- neural score models: sliced score matching (SSM-VR), denoising (DSM).
* :mod:`~scorecause.scores.difference` -- score differences between two distributions (CRL).
"""

from scorecause.scores.difference import DensityRatioClassifier, score_difference
from scorecause.scores.kernels import downdate_sq_distances, median_bandwidth, rbf_kernel, sq_distances
from scorecause.scores.matching import ScoreModel
from scorecause.scores.stein import (
    RidgeSolver,
    SteinEstimator,
    SteinKernel,
    hessian_diag_from_kernel,
    hessian_rows_from_kernel,
    score_from_kernel,
    stein_hessian,
    stein_hessian_diag,
    stein_kernel,
    stein_score,
)

__all__ = [
    "sq_distances",
    "downdate_sq_distances",
    "median_bandwidth",
    "rbf_kernel",
    "RidgeSolver",
    "SteinKernel",
    "SteinEstimator",
    "stein_kernel",
    "score_from_kernel",
    "hessian_diag_from_kernel",
    "hessian_rows_from_kernel",
    "stein_score",
    "stein_hessian_diag",
    "stein_hessian",
    "ScoreModel",
    "score_difference",
    "DensityRatioClassifier",
]
