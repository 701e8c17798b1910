"""Training the AVICI model on simulated (graph, data) pairs: ``scorecause train-amortized CONFIG.yaml``.

Recipe (Lorch et al. 2022, arXiv:2205.12934, Sec. 4 and App. C; sizes scaled down for a CPU):

* **Data**: every step draws one number of variables ``d`` (all data sets of a batch share it, no padding),
  then ``batch_cells // d`` data sets from our simulators (:func:`scorecause.simulate.simulate` with the
  presets named in the config, e.g. ``avici-linear`` / ``avici-rff``: ER and scale-free graphs). With
  probability ``p_obs_only`` a data set has ``n`` observational rows, otherwise ``n - n_int`` observational
  and ``n_int`` interventional rows. Each data set is standardised per variable, rows shuffled.
  The batch of step ``t`` is a pure function of ``SeedSequence(seed, spawn_key=(t,))``, generated in
  DataLoader worker processes (worker ``w`` of ``W`` makes steps ``t = w, w + W, ...``; the DataLoader reads
  workers round-robin), so the stream is identical for any worker count and after a resume.
* **Loss**: mean BCE over the off-diagonal entries + ``lambda * mean_b rho(P_b)``, where ``rho`` is the
  spectral radius of the edge-probability matrix (power iteration, :func:`~.model.spectral_radius`).
* **Dual ascent**: ``F <- (1 - a) F + a * max(mean rho, 0)`` every step; every ``dual_every`` steps
  ``lambda <- lambda + eta_t F`` with ``eta_t`` warmed up linearly over ``dual_warmup`` steps.
* **Optimiser**: AdamW, global-norm gradient clipping, linear warm-up then cosine decay to ``lr_final``.
* **Validation**: AUPRC on fixed held-out simulated sets every ``val_every`` steps.
* **Checkpoints**: model, optimiser, scheduler, step, dual variable, penalty average and RNG state, written
  atomically every ``ckpt_every`` steps; ``resume=True`` continues bit-for-bit (a test proves it).
* **Logs**: one JSON line per ``log_every`` steps in ``log.jsonl``; a tqdm progress bar.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from scorecause.amortized.aggregator import AggregatorConfig, build_model
from scorecause.amortized.features import standardize_columns
from scorecause.amortized.model import AVICIModel, ModelConfig, spectral_radius
from scorecause.errors import ConfigError
from scorecause.fileio import atomic_path, atomic_write_text
from scorecause.scores.kernels import resolve_device


@dataclass
class TrainConfig:
    """Everything a training run needs (read from YAML: ``model:`` and ``train:`` sections).

    Attributes
    ----------
    presets : simulator presets mixed uniformly per data set (e.g. ``["avici-linear"]``)
    d_values : numbers of variables, one drawn per step (uniformly)
    n : rows per training data set; ``n_int`` of them interventional when the set has interventions
    p_obs_only : probability that a data set is purely observational
    batch_cells : data sets per step = ``max(min_batch, batch_cells // d)``
    steps, lr, lr_final, warmup, weight_decay, clip : optimisation
    dual_every, dual_lr, dual_warmup, penalty_avg : dual ascent on the acyclicity penalty
    val_every, val_sets, val_d : validation (``val_sets`` data sets per d in ``val_d``, per preset)
    log_every, ckpt_every : logging and checkpoint frequency
    workers : data worker processes (0 = in the main process); threads : torch threads for the model
    seed : root seed for data, initialisation and dropout
    init_from : warm start: initial model weights from a shipped name, weight file or checkpoint (the
        optimiser, schedule and dual variable start fresh); the model config must match that file's
    n_min : aggregator only: rows per data set drawn uniformly from ``n_min..n`` (None: always ``n``)
    pool_size : aggregator only: simulated training data sets whose features are computed once (in ``workers``
        processes, cached under ``OUT/pool``) and sampled by every step
    features : aggregator only: :class:`~scorecause.amortized.features.FeatureConfig` options
    """

    presets: list = field(default_factory=lambda: ["avici-linear"])
    d_values: list = field(default_factory=lambda: [5, 10, 15, 20, 25, 30])
    n: int = 100
    n_int: int = 25
    p_obs_only: float = 0.5
    batch_cells: int = 320
    min_batch: int = 4
    steps: int = 2000
    lr: float = 1e-3
    lr_final: float = 1e-4
    warmup: int = 100
    weight_decay: float = 1e-4
    clip: float = 1.0
    dual_every: int = 50
    dual_lr: float = 1e-3
    dual_warmup: int = 500
    penalty_avg: float = 0.01
    power_iters: int = 10
    val_every: int = 250
    val_sets: int = 8
    val_d: list = field(default_factory=lambda: [10, 20])
    log_every: int = 10
    ckpt_every: int = 100
    workers: int = 1
    threads: int = 1
    seed: int = 0
    device: str = "cpu"
    init_from: str | None = None
    n_min: int | None = None
    pool_size: int = 0
    features: dict = field(default_factory=dict)

    def batch_size(self, d: int) -> int:
        """Data sets per step with ``d`` variables: ``max(min_batch, batch_cells // d)``."""
        return max(self.min_batch, self.batch_cells // d)


def load_config(path) -> tuple[ModelConfig | AggregatorConfig, TrainConfig]:
    """Read a YAML file with ``model:`` and ``train:`` sections; unknown keys raise ConfigError.

    ``model: {kind: aggregator, ...}`` selects the statistics-fed :class:`~.aggregator.AggregatorModel`;
    otherwise the raw-sample :class:`~.model.AVICIModel`.
    """
    import yaml

    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    extra = set(spec) - {"model", "train", "name", "description"}
    if extra:
        raise ConfigError(f"{path}: unknown section(s) {sorted(extra)}; use 'model:' and 'train:'")
    model_spec = spec.get("model") or {}
    try:
        model = (AggregatorConfig.from_dict(model_spec) if model_spec.get("kind") == "aggregator"
                 else ModelConfig.from_dict({k: v for k, v in model_spec.items() if k != "kind"}))
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    train_spec = spec.get("train") or {}
    unknown = set(train_spec) - set(TrainConfig.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"{path}: unknown train option(s) {sorted(unknown)}; "
                          f"allowed: {sorted(TrainConfig.__dataclass_fields__)}")
    cfg = TrainConfig(**train_spec)
    if isinstance(model, AggregatorConfig) and cfg.pool_size < 1:
        raise ConfigError(f"{path}: the aggregator trains on a feature pool; set train.pool_size (e.g. 2000)")
    from scorecause.amortized.features import FeatureConfig

    bad = set(cfg.features) - set(FeatureConfig.__dataclass_fields__)
    if bad:
        raise ConfigError(f"{path}: unknown train.features option(s) {sorted(bad)}; "
                          f"allowed: {sorted(FeatureConfig.__dataclass_fields__)}")
    return model, cfg


# --- data ------------------------------------------------------------------------------------------
def encode_data(X: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """Model input for one data set: ``[n, d, 2]`` float32 (standardised value, intervention flag)."""
    flag = np.zeros_like(X) if mask is None else mask.astype(X.dtype)
    return np.stack([standardize_columns(X), flag], axis=-1).astype(np.float32)  # all rows, as AVICI


def simulate_example(preset: str, d: int, n_obs: int, n_int: int, rng: np.random.Generator):
    """One training example from our simulators: ``(x [n, d, 2] float32, G [d, d] float32)``, rows shuffled.

    ``G[i, j] = 1`` means ``i -> j``.
    """
    from scorecause.simulate import simulate

    ds = simulate(preset, d=d, n=n_obs, rng=rng, n_interventional=n_int)
    mask = ds.interventions
    if mask is not None and len(mask) == 0:
        mask = None
    x = encode_data(ds.X, mask)
    x = x[rng.permutation(len(x))]
    return x, ds.truth.astype(np.float32)


def make_batch(cfg: TrainConfig, step: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The batch of training step ``step``: ``x [B, n, d, 2]``, ``G [B, d, d]``; a pure function of (seed, step)."""
    rng = np.random.default_rng(np.random.SeedSequence(cfg.seed, spawn_key=(step,)))
    d = int(rng.choice(cfg.d_values))
    B = cfg.batch_size(d)
    xs, gs = [], []
    for _ in range(B):
        preset = str(cfg.presets[rng.integers(len(cfg.presets))])
        n_int = 0 if rng.random() < cfg.p_obs_only else cfg.n_int
        x, g = simulate_example(preset, d, cfg.n - n_int, n_int, rng)
        xs.append(x)
        gs.append(g)
    return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(gs))


class SimulatedBatches(torch.utils.data.IterableDataset):
    """Endless stream of the batches of steps ``start, start + 1, ...`` (see :func:`make_batch`).

    Worker ``w`` of ``W`` produces steps ``start + w, start + w + W, ...``; torch's DataLoader reads its
    workers round-robin, so the stream order is the step order for any ``W``.
    """

    def __init__(self, cfg: TrainConfig, start: int, stop: int):
        self.cfg, self.start, self.stop = cfg, start, stop

    def __iter__(self) -> Iterator[tuple[int, torch.Tensor, torch.Tensor]]:
        info = torch.utils.data.get_worker_info()
        w, W = (0, 1) if info is None else (info.id, info.num_workers)
        torch.set_num_threads(1)
        for step in range(self.start + w, self.stop, W):
            x, g = make_batch(self.cfg, step)
            yield step, x, g


def validation_sets(cfg: TrainConfig) -> list[tuple[str, int, torch.Tensor, torch.Tensor]]:
    """Fixed held-out sets (seed ``10**6 + seed``, disjoint from the training stream): one batch per (preset, d).

    Half of the data sets in each batch are observational, half carry ``n_int`` interventional rows.
    """
    out = []
    for p_i, preset in enumerate(cfg.presets):
        for d in cfg.val_d:
            rng = np.random.default_rng(np.random.SeedSequence(10**6 + cfg.seed, spawn_key=(p_i, d)))
            xs, gs = [], []
            for k in range(cfg.val_sets):
                n_int = cfg.n_int if k % 2 else 0
                x, g = simulate_example(preset, d, cfg.n - n_int, n_int, rng)
                xs.append(x)
                gs.append(g)
            out.append((preset, d, torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(gs))))
    return out


# --- the aggregator's feature pool ----------------------------------------------------------------------
POOL_SHARD = 25            # data sets per pool file
_POOL_KEYS = ("seed", "presets", "d_values", "n", "n_min", "n_int", "p_obs_only", "features", "val_sets", "val_d")


def feature_example(cfg: TrainConfig, preset: str, d: int, n_obs: int, n_int: int, rng: np.random.Generator):
    """One aggregator training example: ``(Features, G [d, d] float32)`` from :func:`simulate` data."""
    from scorecause.amortized.features import FeatureConfig, dataset_features
    from scorecause.simulate import simulate

    ds = simulate(preset, d=d, n=n_obs, rng=rng, n_interventional=n_int)
    mask = ds.interventions if n_int else None
    feats = dataset_features(ds.X, mask, config=FeatureConfig(**cfg.features), random_state=rng)
    return feats, ds.truth.astype(np.float32)


def pool_item(cfg: TrainConfig, k: int):
    """Training data set ``k`` of the pool, a pure function of ``(seed, k)``: d, n, preset and interventions
    drawn as in :func:`make_batch` (``n`` uniform in ``n_min..n`` when ``n_min`` is set)."""
    rng = np.random.default_rng(np.random.SeedSequence(cfg.seed, spawn_key=(7, k)))
    d = int(rng.choice(cfg.d_values))
    n = int(rng.integers(cfg.n_min, cfg.n + 1)) if cfg.n_min else int(cfg.n)
    preset = str(cfg.presets[rng.integers(len(cfg.presets))])
    n_int = 0 if rng.random() < cfg.p_obs_only else int(cfg.n_int)
    return feature_example(cfg, preset, d, n, n_int, rng)


def _val_items(cfg: TrainConfig, p_i: int, d: int):
    """Held-out validation sets of (preset ``p_i``, ``d``): seed ``10**6 + seed``, alternately obs / + int."""
    rng = np.random.default_rng(np.random.SeedSequence(10**6 + cfg.seed, spawn_key=(p_i, d)))
    n = int(cfg.n)
    return [feature_example(cfg, str(cfg.presets[p_i]), d, n, int(cfg.n_int) if k % 2 else 0, rng)
            for k in range(cfg.val_sets)]


def _write_items(path: Path, items) -> None:
    arrays = {}
    for k, (f, G) in enumerate(items):
        arrays[f"pair{k}"], arrays[f"node{k}"], arrays[f"G{k}"] = f.pair, f.node, G
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)


def _read_items(path: Path) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    with np.load(path, allow_pickle=False) as z:
        return [(z[f"pair{k}"], z[f"node{k}"], z[f"G{k}"]) for k in range(len(z.files) // 3)]


def _pool_job(cfg: TrainConfig, path: Path, kind: str, index: int) -> None:
    torch.set_num_threads(1)
    if kind == "train":
        items = [pool_item(cfg, k) for k in range(index, min(index + POOL_SHARD, cfg.pool_size))]
    else:
        p_i, d = divmod(index, 10**4)
        items = _val_items(cfg, p_i, d)
    _write_items(path, items)


def build_pool(cfg: TrainConfig, pool_dir, *, progress: bool = True) -> None:
    """Compute (or complete) the feature pool under ``pool_dir`` in ``cfg.workers`` processes.

    Files: ``train-<first index>.npz`` (``POOL_SHARD`` data sets each), ``val-<preset>-<d>.npz`` and
    ``pool.json`` (the settings that define the items; a pool built with other settings is refused).
    Existing files are kept, so an interrupted build resumes; the items do not depend on the worker count.
    """
    from joblib import Parallel, delayed

    pool_dir = Path(pool_dir)
    pool_dir.mkdir(parents=True, exist_ok=True)
    spec = {k: getattr(cfg, k) for k in _POOL_KEYS}
    meta = pool_dir / "pool.json"
    if meta.exists() and json.loads(meta.read_text()) != json.loads(json.dumps(spec)):
        raise ConfigError(f"{pool_dir} holds a feature pool built with other settings; use a new --out folder")
    atomic_write_text(meta, json.dumps(spec, indent=1))
    jobs = [(pool_dir / f"train-{i:06d}.npz", "train", i) for i in range(0, cfg.pool_size, POOL_SHARD)]
    if cfg.val_every > 0:
        jobs += [(pool_dir / f"val-{p_i}-{d}.npz", "val", p_i * 10**4 + d)
                 for p_i in range(len(cfg.presets)) for d in cfg.val_d]
    todo = [j for j in jobs if not j[0].exists()]
    if not todo:
        return
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), initial=len(jobs) - len(todo), desc="feature pool", unit="file")
    run = Parallel(n_jobs=max(1, cfg.workers), return_as="generator_unordered")
    for _ in run(delayed(_pool_job)(cfg, path, kind, index) for path, kind, index in todo):
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()


class FeaturePool:
    """The training pool in memory, grouped by d; batch of step ``t`` is a pure function of ``(seed, t)``."""

    def __init__(self, cfg: TrainConfig, pool_dir):
        self.cfg = cfg
        items = []
        for i in range(0, cfg.pool_size, POOL_SHARD):
            items += _read_items(Path(pool_dir) / f"train-{i:06d}.npz")
        by_d: dict[int, list] = {}
        for pair, node, G in items:
            by_d.setdefault(G.shape[0], []).append((pair, node, G))
        self.ds = sorted(by_d)
        self.groups = {d: tuple(torch.from_numpy(np.stack(a)) for a in zip(*by_d[d])) for d in self.ds}
        counts = np.array([len(by_d[d]) for d in self.ds], dtype=float)
        self.p_d = counts / counts.sum()
        self.val = []
        for p_i, preset in enumerate(cfg.presets):
            for d in cfg.val_d if cfg.val_every > 0 else []:
                pair, node, G = (torch.from_numpy(np.stack(a))
                                 for a in zip(*_read_items(Path(pool_dir) / f"val-{p_i}-{d}.npz")))
                self.val.append((preset, d, (pair, node), G))

    def batch(self, step: int):
        """``((pair [B, d, d, c], node [B, d, c']), G [B, d, d])`` for training step ``step``."""
        rng = np.random.default_rng(np.random.SeedSequence(self.cfg.seed, spawn_key=(step,)))
        d = int(rng.choice(self.ds, p=self.p_d))
        pair, node, G = self.groups[d]
        B = self.cfg.batch_size(d)
        idx = torch.from_numpy(rng.choice(len(G), size=B, replace=len(G) < B))
        return (pair[idx], node[idx]), G[idx]

    def stream(self, start: int, stop: int):
        for step in range(start, stop):
            inputs, G = self.batch(step)
            yield step, inputs, G


def average_precision(G: np.ndarray, P: np.ndarray) -> float:
    """AUPRC (average precision) over the off-diagonal entries of a batch ``G, P: [B, d, d]``, pooled."""
    from sklearn.metrics import average_precision_score

    off = ~np.eye(G.shape[-1], dtype=bool)
    y = G[:, off].ravel()
    return float(average_precision_score(y, P[:, off].ravel())) if y.any() else float("nan")


# --- losses ----------------------------------------------------------------------------------------
def edge_bce(logits: torch.Tensor, G: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of the per-data-set BCE averaged over the ``d(d-1)`` off-diagonal entries."""
    d = G.shape[-1]
    off = ~torch.eye(d, dtype=torch.bool, device=G.device)
    return F.binary_cross_entropy_with_logits(logits[:, off], G[:, off])


def lr_factor(cfg: TrainConfig, step: int) -> float:
    """Learning-rate multiplier: linear warm-up over ``warmup`` steps, then cosine to ``lr_final / lr``."""
    if step < cfg.warmup:
        return (step + 1) / cfg.warmup
    frac = min(1.0, (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    floor = cfg.lr_final / cfg.lr
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * frac))


# --- the loop --------------------------------------------------------------------------------------
@dataclass
class TrainState:
    """Everything besides the model and optimiser that a resume must restore."""

    step: int = 0
    lam: float = 0.0
    penalty_avg: float = 0.0
    wall: float = 0.0
    warm_start: dict | None = None     # training record of the init_from weights (provenance)


def save_checkpoint(path, model, opt, sched, state: TrainState, gen: torch.Generator,
                    model_cfg: ModelConfig, cfg: TrainConfig) -> None:
    """Write a resumable checkpoint atomically (plain types and tensors only: loads with weights_only=True)."""
    blob = {
        "model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
        "state": asdict(state), "rng": gen.get_state(),
        "model_config": model_cfg.to_dict(), "train_config": asdict(cfg),
    }
    with atomic_path(path) as tmp:
        torch.save(blob, tmp)


def _checkpoint_info(blob: dict) -> dict:
    """Training record of a loaded checkpoint: step, wall time, train config and its warm start (if any)."""
    st = blob["state"]
    info = {"step": st["step"], "wall_s": round(st["wall"], 1), "train_config": blob["train_config"]}
    if st.get("warm_start"):
        info["warm_start"] = st["warm_start"]
    return info


def export_weights(checkpoint, out, *, extra: dict | None = None) -> str:
    """Write the shippable weight file ``{"state_dict", "config", "info"}`` from a checkpoint; returns sha256."""
    from scorecause.amortized.estimator import sha256_file

    blob = torch.load(checkpoint, map_location="cpu", weights_only=True)
    info = {**_checkpoint_info(blob), **(extra or {})}
    payload = {"state_dict": blob["model"], "config": blob["model_config"], "info": info}
    with atomic_path(out) as tmp:
        torch.save(payload, tmp)
    return sha256_file(out)


def _warm_start(model: AVICIModel, model_cfg: ModelConfig, source: str) -> dict:
    """Copy the weights of ``source`` (shipped name, weight file or checkpoint) into ``model``.

    Returns the training record of ``source`` (step, wall time, train config, its own warm start), kept in
    the new run's checkpoints and exported weights so a shipped file names every phase that made it.
    """
    from scorecause.amortized.estimator import read_weight_file, state_and_config

    path = _source_path(source, model_cfg)
    blob = read_weight_file(path)
    state, config = state_and_config(blob, path)
    theirs = {k: v for k, v in config.items() if k != "dropout"}
    ours = {k: v for k, v in model_cfg.to_dict().items() if k != "dropout"}
    if theirs != ours:
        diff = {k: (ours[k], theirs[k]) for k in ours if ours[k] != theirs.get(k)}
        raise ConfigError(f"init_from {source!r}: model config differs (ours, theirs): {diff}; "
                          "use the same model: section as the run that produced it")
    model.load_state_dict(state)
    return _record(source, path, blob)


def _source_path(source, model_cfg) -> Path:
    """Weight file of a warm-start source: a shipped name of the same model family, or a path."""
    if isinstance(model_cfg, AggregatorConfig):
        from scorecause.amortized.aggregator import aggregator_weights_path

        return aggregator_weights_path(source)
    from scorecause.amortized.estimator import weights_path

    return weights_path(source)


def training_record(source) -> dict:
    """Provenance of a weight file or checkpoint: source, sha256, step, wall time, train config, warm start."""
    from scorecause.amortized.estimator import read_weight_file, weights_path

    path = weights_path(source)
    return _record(source, path, read_weight_file(path))


def _record(source, path, blob: dict) -> dict:
    from scorecause.amortized.estimator import sha256_file

    info = dict(blob["info"]) if "info" in blob else _checkpoint_info(blob)
    return {"source": str(source), "sha256": sha256_file(path), **info}


def _trim_log(log_path: Path, step: int) -> None:
    """Drop log lines written after the checkpoint at ``step`` (they are redone after a resume)."""
    if not log_path.exists():
        return
    keep = [ln for ln in log_path.read_text().splitlines() if ln and json.loads(ln).get("step", 0) <= step]
    atomic_write_text(log_path, "".join(k + "\n" for k in keep))


def train(model_cfg: ModelConfig | AggregatorConfig, cfg: TrainConfig, out_dir, *, resume: bool = False,
          progress: bool = True, stop_after: int | None = None) -> Path:
    """Train an :class:`AVICIModel` (raw rows, streamed simulator batches) or an
    :class:`~.aggregator.AggregatorModel` (features of a pool of simulated data sets, built first in worker
    processes under ``out_dir/pool``) and return the path of the final checkpoint ``out_dir/last.pt``.

    Parameters
    ----------
    model_cfg, cfg : model size and training recipe (see :class:`TrainConfig`)
    out_dir : directory for ``last.pt`` (resumable checkpoint), ``log.jsonl`` and ``config.json``
    resume : continue from ``out_dir/last.pt`` if it exists (same state as an uninterrupted run)
    stop_after : stop (with a checkpoint) once this step is reached: simulates an interruption in tests
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ckpt, log_path = out_dir / "last.pt", out_dir / "log.jsonl"
    device = resolve_device(cfg.device)
    torch.set_num_threads(max(1, cfg.threads))

    gen = torch.Generator().manual_seed(cfg.seed)          # init, dropout and power-iteration draws
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
        model = build_model(model_cfg.to_dict())
    model.to(device)
    aggregator = isinstance(model_cfg, AggregatorConfig)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(cfg, s))
    state = TrainState()
    if resume and ckpt.exists():
        blob = torch.load(ckpt, map_location=device, weights_only=True)
        model.load_state_dict(blob["model"])
        opt.load_state_dict(blob["optimizer"])
        sched.load_state_dict(blob["scheduler"])
        # ignore keys a checkpoint of an earlier version may carry (e.g. "best_auprc")
        state = TrainState(**{k: v for k, v in blob["state"].items() if k in TrainState.__dataclass_fields__})
        gen.set_state(blob["rng"])
        _trim_log(log_path, state.step)
    else:
        if log_path.exists():
            log_path.unlink()
        if cfg.init_from:
            state.warm_start = _warm_start(model, model_cfg, cfg.init_from)
    atomic_write_text(out_dir / "config.json",
                      json.dumps({"model": model_cfg.to_dict(), "train": asdict(cfg)}, indent=2))

    stop = cfg.steps if stop_after is None else min(cfg.steps, stop_after)
    if aggregator:
        build_pool(cfg, out_dir / "pool", progress=progress)
        pool = FeaturePool(cfg, out_dir / "pool")
        val, loader = pool.val, pool.stream(state.step, stop)
    else:
        val = [(p, d, (x,), G) for p, d, x, G in validation_sets(cfg)] if cfg.val_every > 0 else []
        loader = ((step, (x,), G) for step, x, G in torch.utils.data.DataLoader(
            SimulatedBatches(cfg, state.step, stop), batch_size=None, num_workers=cfg.workers,
            prefetch_factor=2 if cfg.workers else None, persistent_workers=False))

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=cfg.steps, initial=state.step, desc="train-amortized", unit="step")
    t0 = time.time() - state.wall
    model.train()
    with open(log_path, "a") as log:
        for step, inputs, G in loader:
            assert step == state.step, (step, state.step)
            inputs, G = tuple(t.to(device) for t in inputs), G.to(device)
            logits = model(*inputs, generator=gen)
            bce = edge_bce(logits, G)
            rho = spectral_radius(torch.sigmoid(logits), iters=cfg.power_iters, generator=gen).mean()
            loss = bce + state.lam * rho
            opt.zero_grad(set_to_none=True)
            loss.backward()
            gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
            opt.step()
            sched.step()
            # dual ascent on the smoothed acyclicity penalty
            a = cfg.penalty_avg
            state.penalty_avg = (1 - a) * state.penalty_avg + a * max(float(rho.detach()), 0.0)
            state.step += 1
            if state.step % cfg.dual_every == 0:
                eta = cfg.dual_lr * min(1.0, state.step / max(1, cfg.dual_warmup))
                state.lam += eta * state.penalty_avg
            state.wall = time.time() - t0
            record = None
            if state.step % cfg.log_every == 0:
                record = {"step": state.step, "loss": loss.item(), "bce": bce.item(), "rho": rho.item(),
                          "lambda": state.lam, "lr": sched.get_last_lr()[0], "grad_norm": float(gnorm),
                          "d": int(G.shape[-1]), "batch": int(G.shape[0]), "wall_s": round(state.wall, 1)}
            if val and (state.step % cfg.val_every == 0 or state.step == cfg.steps):
                record = record or {"step": state.step, "wall_s": round(state.wall, 1)}
                record.update(validate(model, val, device))
                model.train()
            if record:
                log.write(json.dumps(record) + "\n")
                log.flush()
                if bar is not None:
                    bar.set_postfix(bce=record.get("bce"), val=record.get("val_auprc"))
            if bar is not None:
                bar.update(1)
            if state.step % cfg.ckpt_every == 0 or state.step == stop:
                save_checkpoint(ckpt, model, opt, sched, state, gen, model_cfg, cfg)
    if bar is not None:
        bar.close()
    if state.step == stop:
        save_checkpoint(ckpt, model, opt, sched, state, gen, model_cfg, cfg)
    return ckpt


@torch.no_grad()
def validate(model, val, device) -> dict:
    """AUPRC per (preset, d) on the held-out sets ``(preset, d, inputs, G)``, and their mean as ``val_auprc``."""
    model.eval()
    out, scores = {}, []
    for preset, d, inputs, G in val:
        P = torch.sigmoid(model(*(t.to(device) for t in inputs))).cpu().numpy()
        ap = average_precision(G.numpy(), P)
        out[f"val_auprc/{preset}/d={d}"] = round(ap, 4)
        scores.append(ap)
    out["val_auprc"] = round(float(np.nanmean(scores)), 4)
    return out


def train_from_file(config_path, out_dir=None, *, resume: bool = False, device: str | None = None,
                    progress: bool = True, stop_after: int | None = None) -> Path:
    """Entry point of ``scorecause train-amortized``: read the YAML, train, return the checkpoint path.

    ``out_dir`` defaults to ``runs/<config stem>``; ``device`` overrides the config's ``train.device``;
    ``stop_after`` ends the run (with a checkpoint) at that step, keeping the configured LR schedule.
    """
    model_cfg, cfg = load_config(config_path)
    if device is not None:
        cfg.device = device
    out_dir = Path(out_dir) if out_dir is not None else Path("runs") / Path(config_path).stem
    return train(model_cfg, cfg, out_dir, resume=resume, progress=progress, stop_after=stop_after)
