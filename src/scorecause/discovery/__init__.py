"""Score-matching causal discovery: order -> prune estimators (SCORE, DAS, NoGAM, ScoreSort, VarSort, R2Sort).

Every estimator finds a causal order (sources first, ``order_``) and CAM-prunes it into ``adjacency_``
(``A[i, j] = 1`` means ``i -> j``); prior knowledge is enforced in both steps and ``n_bootstrap`` gives
``edge_probs_``. See :mod:`scorecause.discovery.base` for the shared pipeline.
"""

from scorecause.discovery.base import OrderBasedEstimator
from scorecause.discovery.cam import cam_pruning
from scorecause.discovery.das import DAS
from scorecause.discovery.nogam import NoGAM
from scorecause.discovery.score import SCORE
from scorecause.discovery.sort import R2Sort, ScoreSort, VarSort

__all__ = ["OrderBasedEstimator", "cam_pruning", "SCORE", "DAS", "NoGAM", "ScoreSort", "VarSort", "R2Sort"]
