"""The amortized aggregator: a small axial transformer over the pair grid of statistics and score features.

*Sample, estimate, aggregate* (SEA: Wu, Bao, Barzilay, Jaakkola 2024, arXiv 2402.01929) with our score features:
:func:`scorecause.amortized.features.dataset_features` summarises a data set into a pair tensor
``[d, d, c]`` (correlations, partial correlations, SCORE orders and conditional dependence on random subsets of
variables, DAS cross-Hessians, interventional shifts) and a node tensor ``[d, c']`` (Stein leafness, var- and
R²-sortability, ...); this network turns them into edge logits. Its cost does not depend on n, and the
acyclicity penalty and its dual ascent are the AVICI training loop's (:mod:`scorecause.amortized.train`).

Architecture (``z``: one token per ordered pair ``(i, j)``, ``[B, d, d, k]``)
--------------------------------------------------------------------------
1. ``z_ij = W_p [f_ij, f_ji] + W_r g_i + W_c g_j (+ e_diag if i = j)``: pair features of both directions, the
   node features of the row (cause) and of the column (effect). The diagonal tokens ``z_ii`` are the **node
   tokens**: they carry node features and every row and column attends to its node token.
2. ``layers`` times: attention along each row (token ``(i, j)`` attends over ``(i, .)``), then along each
   column (over ``(., j)``), then a transpose mix ``z <- z + W_t LN(z^T)`` so that ``i -> j`` and ``j -> i``
   compete directly. Blocks are the pre-LN residual blocks of the AVICI model (:class:`~.model.AxisBlock`).
3. ``logit_ij = w^T LN(z_ij) + b`` (``b`` initialised at -3); diagonal ``-inf``.

No positional or identity embedding: the model is equivariant under any permutation of the variables (tested)
and serves every d.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from scorecause.amortized.features import NODE_CHANNELS, PAIR_CHANNELS, FeatureConfig, dataset_features
from scorecause.amortized.model import AxisBlock
from scorecause.base import CausalEstimator
from scorecause.constraints import BOOL, DEVICE, PATH, RANDOM_STATE, Interval
from scorecause.errors import ConfigError
from scorecause.scores.kernels import resolve_device


@dataclass
class AggregatorConfig:
    """Size of an :class:`AggregatorModel` (plain types only: it is stored in the weight file).

    ``kind`` is always ``"aggregator"`` (it tells a weight file of this model from an AVICI one).
    """

    kind: str = "aggregator"
    pair_channels: int = len(PAIR_CHANNELS)
    node_channels: int = len(NODE_CHANNELS)
    dim: int = 64
    layers: int = 3
    heads: int = 4
    key_size: int = 16
    ff_mult: int = 2
    dropout: float = 0.0
    bias_init: float = -3.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, spec: dict) -> AggregatorConfig:
        unknown = set(spec) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"unknown aggregator model option(s) {sorted(unknown)}; "
                              f"allowed: {sorted(cls.__dataclass_fields__)}")
        if spec.get("kind", "aggregator") != "aggregator":
            raise ConfigError(f"aggregator config has kind={spec.get('kind')!r}")
        return cls(**spec)


class AggregatorModel(nn.Module):
    """Edge logits from feature tensors; see the module docstring.

    Examples
    --------
    >>> m = AggregatorModel(AggregatorConfig(dim=16, layers=1, heads=2, key_size=8)).eval()
    >>> m(torch.zeros(1, 4, 4, len(PAIR_CHANNELS)), torch.zeros(1, 4, len(NODE_CHANNELS))).shape
    torch.Size([1, 4, 4])
    """

    def __init__(self, cfg: AggregatorConfig | dict | None = None):
        super().__init__()
        cfg = AggregatorConfig() if cfg is None else cfg
        self.cfg = AggregatorConfig.from_dict(cfg) if isinstance(cfg, dict) else cfg
        k = self.cfg.dim
        self.embed_pair = nn.Linear(2 * self.cfg.pair_channels, k)
        self.embed_row = nn.Linear(self.cfg.node_channels, k, bias=False)
        self.embed_col = nn.Linear(self.cfg.node_channels, k, bias=False)
        self.diag = nn.Parameter(torch.zeros(k))
        self.row_blocks = nn.ModuleList(AxisBlock(self.cfg) for _ in range(self.cfg.layers))
        self.col_blocks = nn.ModuleList(AxisBlock(self.cfg) for _ in range(self.cfg.layers))
        self.ln_t = nn.ModuleList(nn.LayerNorm(k) for _ in range(self.cfg.layers))
        self.mix_t = nn.ModuleList(nn.Linear(k, k) for _ in range(self.cfg.layers))
        self.ln_out = nn.LayerNorm(k)
        self.out = nn.Linear(k, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.constant_(self.out.bias, self.cfg.bias_init)

    def forward(self, pair: torch.Tensor, node: torch.Tensor,
                generator: torch.Generator | None = None) -> torch.Tensor:
        """Edge logits ``[B, d, d]`` from ``pair [B, d, d, c]`` and ``node [B, d, c']`` (``logit[b, i, j]``: i -> j)."""
        if pair.ndim != 4 or node.ndim != 3 or pair.shape[1] != pair.shape[2] or node.shape[1] != pair.shape[1]:
            raise ValueError(f"expected pair [B, d, d, c] and node [B, d, c']; got {tuple(pair.shape)}, "
                             f"{tuple(node.shape)}")
        d = pair.shape[1]
        eye = torch.eye(d, dtype=torch.bool, device=pair.device)
        both = torch.cat([pair, pair.transpose(1, 2)], dim=-1)                # [B, d, d, 2c]
        z = (self.embed_pair(both) + self.embed_row(node)[:, :, None, :]
             + self.embed_col(node)[:, None, :, :])                          # [B, d, d, k]
        z = z + eye[None, :, :, None] * self.diag                             # node tokens on the diagonal
        for row, col, ln, mix in zip(self.row_blocks, self.col_blocks, self.ln_t, self.mix_t):
            z = row(z, generator)                                             # (i, j) attends over (i, .)
            z = col(z.transpose(1, 2), generator).transpose(1, 2)            # (i, j) attends over (., j)
            z = z + mix(ln(z.transpose(1, 2)))                                # sees (j, i)
        logits = self.out(self.ln_out(z)).squeeze(-1)                         # [B, d, d]
        return logits.masked_fill(eye, -math.inf)


def build_model(config: dict) -> nn.Module:
    """The model of a stored config: an :class:`AggregatorModel` when ``config["kind"] == "aggregator"``, else
    an :class:`~scorecause.amortized.model.AVICIModel`."""
    if config.get("kind") == "aggregator":
        return AggregatorModel(AggregatorConfig.from_dict(config))
    from scorecause.amortized.model import AVICIModel, ModelConfig

    return AVICIModel(ModelConfig.from_dict(config))


def features_to_tensors(feats) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack a list of :class:`~.features.Features` with the same d: ``pair [B, d, d, c]``, ``node [B, d, c']``."""
    return (torch.from_numpy(np.stack([f.pair for f in feats])),
            torch.from_numpy(np.stack([f.node for f in feats])))


# --- shipped weights ------------------------------------------------------------------------------------
SHIPPED = ("general", "linear")
MANIFEST_PREFIX = "amortized-"          # manifest key of shipped model "general" is "amortized-general"


def aggregator_weights_path(model: str | Path = "general") -> Path:
    """The file of a shipped aggregator (sha256 checked against weights/manifest.json) or a path."""
    from scorecause.amortized.estimator import weights_path

    return weights_path(model, shipped=SHIPPED, key_prefix=MANIFEST_PREFIX, family="amortized")


def load_aggregator(model: str | Path = "general", device: str = "cpu") -> AggregatorModel:
    """Load a shipped aggregator or a weight file / checkpoint (``torch.load(weights_only=True)``), eval mode."""
    from scorecause.amortized.estimator import read_weight_file, state_and_config

    path = aggregator_weights_path(model)
    state, config = state_and_config(read_weight_file(path), path)
    return aggregator_from(state, config, path).to(resolve_device(device))


def aggregator_from(state: dict, config: dict, path) -> AggregatorModel:
    """The :class:`AggregatorModel` of a stored ``config`` with weights ``state``, eval mode; a config of another
    kind or weights that do not fit raise :class:`ConfigError` naming ``path``."""
    if config.get("kind") != "aggregator":
        raise ConfigError(f"{path} does not hold an amortized aggregator model (use method 'avici' for AVICI weights)")
    try:
        net = AggregatorModel(AggregatorConfig.from_dict(config))
        net.load_state_dict(state)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:   # wrong shapes or keys
        raise ConfigError(f"{str(path)!r} does not hold a loadable aggregator model: {type(exc).__name__}") from None
    return net.eval()


@torch.no_grad()
def predict_from_features(net: AggregatorModel, feats) -> np.ndarray:
    """Edge probabilities ``(d, d)`` of one data set's :class:`~.features.Features`; diagonal 0."""
    pair, node = features_to_tensors([feats])
    dev = next(net.parameters()).device
    P = torch.sigmoid(net(pair.to(dev), node.to(dev)))[0].double().cpu().numpy()
    np.fill_diagonal(P, 0.0)
    return P


def reference_prediction(net: AggregatorModel, seed: int = 0, n: int = 200, d: int = 5) -> np.ndarray:
    """Edge probabilities on the fixed chain data of :func:`~.estimator.reference_input` (features seeded 0);
    the manifest stores them and a test reproduces them after loading the shipped file."""
    from scorecause.amortized.estimator import reference_input

    return predict_from_features(net, dataset_features(reference_input(seed, n, d), random_state=0))


def ship_aggregator(checkpoint, name: str, *, weights_dir=None, command: str = "", seed: int = 0,
                    n: int = 200, d: int = 5) -> dict:
    """Export ``checkpoint`` as ``weights/amortized-<name>.pt`` and record it in ``manifest.json`` under
    ``amortized-<name>`` (sha256, size, config, training record, reference prediction); atomic writes."""
    from scorecause.amortized.estimator import ship_to_manifest

    def predict(blob):
        return reference_prediction(aggregator_from(blob["state_dict"], blob["config"], checkpoint), seed, n, d)

    return ship_to_manifest(checkpoint, MANIFEST_PREFIX + name, predict, weights_dir=weights_dir, command=command,
                            reference={"seed": seed, "n": n, "d": d})


class Amortized(CausalEstimator):
    """Amortized causal discovery from statistics and score features (registered as ``"amortized"``).

    A small axial transformer (:class:`AggregatorModel`), trained by ``scorecause train-amortized`` on our
    simulators, reads the features of :func:`~scorecause.amortized.features.dataset_features` (correlations,
    shrinkage partial correlations, SCORE orders and conditional dependence on random variable subsets, Stein
    cross-Hessians, var-/R²-sortability and, with an intervention mask, the standardised shift of each variable
    under ``do(x_i)``) and returns independent edge probabilities. Fitting costs one feature computation and
    one forward pass; no search.

    Parameters
    ----------
    model : {"general", "linear"} or path
        Shipped weights: ``"general"`` (linear, RFF, GP and MLP mechanisms, Gaussian and non-Gaussian noise;
        the default) or ``"linear"``; or a weight file / checkpoint written by ``train-amortized``.
    threshold : float in [0, 1)
        ``adjacency_ = edge_probs_ > threshold`` (when ``acyclic`` is False).
    acyclic : bool
        If True, ``adjacency_`` is the most probable acyclic graph greedily built from ``edge_probs_``
        (:func:`scorecause.graph.most_probable_dag`).
    feature_config : FeatureConfig or None
        Work done by the features (defaults match training).
    random_state : int
        Seed of the row subsamples and variable subsets of the features.
    device : {"cpu", "cuda", "auto"}

    Attributes
    ----------
    edge_probs_ : ndarray (d, d) float -- probability of ``i -> j``, diagonal 0
    adjacency_ : ndarray (d, d) int8 -- ``A[i, j] = 1`` means ``i -> j``
    features_ : Features -- the inputs the network saw (named channels)

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=500); X = np.c_[a, 2 * a + rng.normal(size=500), rng.normal(size=500)]
    >>> Amortized().fit(X).edge_probs_.shape
    (3, 3)

    References
    ----------
    Wu, Bao, Barzilay, Jaakkola (2024). Sample, estimate, aggregate: a recipe for causal discovery foundation
    models. arXiv:2402.01929. Rolland et al. (2022) SCORE; Montagna et al. (2023) DAS; Lorch et al. (2022) AVICI.
    """

    tags = {"additive_noise": True, "causal_sufficiency": True, "acyclic": True}
    accepts_interventions = True
    _parameter_constraints = {
        "model": PATH, "threshold": [Interval(float, 0, 1, closed="left")], "acyclic": [BOOL],
        "feature_config": [None, FeatureConfig], "random_state": RANDOM_STATE, "device": DEVICE,
    }
    min_rows = 10
    max_features = 200           # one model serves d = 5..200 (trained on d <= 50)
    memory_fix = "use fewer variables"

    def _memory_bytes(self, n: int, d: int) -> float:
        """The Stein Hessian field on at most ``n_score_rows`` rows (float64 ``m x d x d``, about 3 copies) and the
        network's pair grid (``d^2`` tokens x width x a few dozen activations, float32)."""
        m = min(n, (self.feature_config or FeatureConfig()).n_score_rows)
        return 3 * 8.0 * m * d * d + 4.0 * 64 * 48 * d * d

    def __init__(self, model="general", threshold: float = 0.5, acyclic: bool = False,
                 feature_config: FeatureConfig | None = None, random_state: int = 0, device: str = "cpu"):
        self.model = model
        self.threshold = threshold
        self.acyclic = acyclic
        self.feature_config = feature_config
        self.random_state = random_state
        self.device = device

    def _fit(self, data, prior) -> None:
        net = load_aggregator(self.model, device=self.device)
        self.features_ = dataset_features(data.X, data.interventions, config=self.feature_config,
                                          random_state=self.random_state)
        self.edge_probs_ = predict_from_features(net, self.features_)
        if self.acyclic:
            from scorecause.graph import most_probable_dag

            self.adjacency_ = most_probable_dag(self.edge_probs_, threshold=self.threshold)
        else:
            self.adjacency_ = (self.edge_probs_ > self.threshold).astype(np.int8)
