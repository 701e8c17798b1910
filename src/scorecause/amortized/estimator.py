"""``AVICI``: amortized causal discovery with a pre-trained transformer (one forward pass, no search).

Lorch et al. (2022), "Amortized Inference for Causal Structure Learning", NeurIPS, arXiv:2205.12934.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch

from scorecause.amortized.model import AVICIModel, load_model
from scorecause.amortized.train import encode_data
from scorecause.base import CausalEstimator
from scorecause.constraints import BOOL, DEVICE, PATH, RANDOM_STATE, Interval
from scorecause.errors import ConfigError
from scorecause.scores.kernels import resolve_device

WEIGHTS_DIR = Path(__file__).parent / "weights"
SHIPPED = ("linear", "rff")


def read_manifest() -> dict:
    """The shipped weights' manifest: ``{name: {file, sha256, bytes, config, training, reference}}``."""
    path = WEIGHTS_DIR / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {}


def sha256_file(path) -> str:
    """Hex sha256 of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def weights_path(model: str | Path = "linear", *, verify: bool = True, shipped=SHIPPED, key_prefix: str = "",
                 family: str = "AVICI") -> Path:
    """The file of a shipped model name (manifest key ``key_prefix + name``; sha256 checked against the
    manifest when ``verify``) or of a path. ``shipped`` / ``family`` name the model family in messages."""
    name = str(model)
    if name in shipped:
        entry = read_manifest().get(key_prefix + name)
        if entry is None:
            raise ConfigError(f"shipped {family} weights {name!r} are missing from {WEIGHTS_DIR}/manifest.json; "
                              "reinstall scorecause or pass a path to a weight file")
        path = WEIGHTS_DIR / entry["file"]
        if verify and sha256_file(path) != entry["sha256"]:
            raise ConfigError(f"{path} does not match its sha256 in manifest.json (corrupted download?); "
                              "reinstall scorecause")
        return path
    path = Path(name)
    if not path.is_file():
        raise ConfigError(f"{family} model {name!r} is neither a shipped model {tuple(shipped)} nor an existing file")
    return path


def load_weights(model: str | Path = "linear", *, device: str = "cpu", verify: bool = True) -> AVICIModel:
    """Load a shipped model (``"linear"``, ``"rff"``) or a weight file / training checkpoint at a path.

    Files are read with ``torch.load(..., weights_only=True)`` (no pickled code). A shipped file's sha256 is
    checked against ``weights/manifest.json`` when ``verify`` (:func:`weights_path`). Returns the model in
    eval mode on ``device``.
    """
    path = weights_path(model, verify=verify)
    return model_from_blob(read_weight_file(path), path).to(resolve_device(device))


def read_weight_file(path) -> dict:
    """The contents of a weight file or checkpoint, read safely (``torch.load(weights_only=True)``: tensors and
    plain types, never pickled code). An unreadable, truncated or foreign file raises :class:`ConfigError`
    naming the file; torch's own message is not passed on (it may advise unsafe loading).
    """
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - UnpicklingError, RuntimeError, EOFError, ... all mean "not ours"
        raise ConfigError(f"{str(path)!r} is not a scorecause weight file (torch cannot read it as tensors: "
                          f"{type(exc).__name__}); pass a "
                          "file written by `scorecause train-amortized --export`, a run's last.pt, or a shipped "
                          "model name") from None
    if not isinstance(blob, dict):
        raise ConfigError(f"{str(path)!r} holds a {type(blob).__name__}, not a scorecause weight file (a dict with "
                          "state_dict and config)")
    return blob


def state_and_config(blob: dict, path) -> tuple[dict, dict]:
    """``(state_dict, model config)`` of a loaded weight file (``state_dict``/``config``) or training checkpoint
    (``model``/``model_config``); any other dict raises :class:`ConfigError` naming the file."""
    if "state_dict" in blob and "config" in blob:            # exported weight file
        state, config = blob["state_dict"], blob["config"]
    elif "model" in blob and "model_config" in blob:         # training checkpoint (last.pt)
        state, config = blob["model"], blob["model_config"]
    else:
        raise ConfigError(f"{path} is not a scorecause weight file or training checkpoint "
                          f"(keys {sorted(map(str, blob))})")
    if not isinstance(config, dict):
        raise ConfigError(f"{path} holds no model config; pass a weight file or a run's last.pt")
    return state, config


def model_from_blob(blob: dict, path) -> AVICIModel:
    """The AVICI model stored in a loaded weight file or training checkpoint (:func:`state_and_config`)."""
    state, config = state_and_config(blob, path)
    try:
        return load_model(state, config)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:  # wrong tensor shapes, missing keys, ...
        raise ConfigError(f"{str(path)!r} does not hold a loadable AVICI model: {type(exc).__name__}: "
                          f"{str(exc).splitlines()[0][:200]}") from None


class AVICI(CausalEstimator):
    """Amortized variational inference for causal discovery (AVICI) with a pre-trained transformer.

    The model maps a data set (values and intervention flags) to independent Bernoulli edge probabilities
    ``q(G_ij = 1 | D)``; it was trained on simulated (graph, data) pairs, so fitting is a single forward
    pass. Data are standardised per column (over all rows) exactly as in training.

    Parameters
    ----------
    model : {"linear", "rff"} or path
        Shipped weights (trained on our ``avici-linear`` / ``avici-rff`` simulators, d <= 30; see
        docs/amortized.md) or a path to a weight file / ``train-amortized`` checkpoint. The shipped models
        are small and CPU-trained: informative with interventional rows (LINEAR d = 20: AUROC 0.89), weak
        on purely observational data at d >= 20 (AUROC 0.71, below an absolute-correlation ranking; see
        BENCHMARKS.md). Rank edges by ``edge_probs_`` rather than trusting the 0.5 threshold there.
    threshold : float
        ``adjacency_ = edge_probs_ > threshold`` when ``acyclic`` is False.
    acyclic : bool
        If True, ``adjacency_`` is the most probable acyclic graph greedily built from ``edge_probs_``
        (:func:`scorecause.graph.most_probable_dag`), guaranteed acyclic (edges still need prob > threshold).
    chunk_size : int or None
        Rows per chunk: attention over samples runs within chunks of this many rows and the max-pool is taken
        over all rows, so memory is ``O(d * heads * chunk_size^2)`` whatever n is. None = all rows at once.
    chunks_per_pass : int
        Chunks encoded together in one batched pass (speed vs memory).
    random_state : int
        Seed of the row shuffle before chunking (so each chunk mixes observational and interventional rows).
    device : {"cpu", "cuda", "auto"}

    Attributes
    ----------
    edge_probs_ : ndarray (d, d) float -- ``edge_probs_[i, j]`` = probability of ``i -> j``, diagonal 0
    adjacency_ : ndarray (d, d) int8 -- ``A[i, j] = 1`` means ``i -> j``

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=500); X = np.c_[a, 2 * a + rng.normal(size=500), rng.normal(size=500)]
    >>> est = AVICI("linear").fit(X)
    >>> est.edge_probs_.shape
    (3, 3)

    References
    ----------
    Lorch, Sussex, Rothfuss, Krause, Schölkopf (2022). Amortized Inference for Causal Structure Learning.
    NeurIPS. arXiv:2205.12934.
    """

    tags = {"additive_noise": True, "causal_sufficiency": True, "acyclic": True}
    accepts_interventions = True  # uses the intervention mask when given (trained on obs + interventional rows)
    _parameter_constraints = {
        "model": PATH, "threshold": [Interval(float, 0, 1, closed="left")], "acyclic": [BOOL],
        "chunk_size": [None, Interval(int, 2, None)], "chunks_per_pass": [Interval(int, 1, None)],
        "random_state": RANDOM_STATE, "device": DEVICE,
    }
    min_rows = 2
    max_features = 100  # shipped models were trained on d <= 30
    memory_fix = "set chunk_size (e.g. --param chunk_size=500)"

    def _memory_bytes(self, n: int, d: int) -> float:
        """Attention over rows: about ``8 heads x d x m^2`` float32 per pass, ``m`` the rows per chunk."""
        m = n if self.chunk_size is None else min(n, self.chunk_size)
        per_pass = 1 if self.chunk_size is None else self.chunks_per_pass
        return 4.0 * 8 * d * m * m * per_pass

    def __init__(self, model="linear", threshold: float = 0.5, acyclic: bool = False, chunk_size: int | None = 500,
                 chunks_per_pass: int = 2, random_state: int = 0, device: str = "cpu"):
        self.model = model
        self.threshold = threshold
        self.acyclic = acyclic
        self.chunk_size = chunk_size
        self.chunks_per_pass = chunks_per_pass
        self.random_state = random_state
        self.device = device

    def _fit(self, data, prior) -> None:
        net = load_weights(self.model, device=self.device)
        self.edge_probs_ = predict_edge_probs(net, data.X, data.interventions, chunk_size=self.chunk_size,
                                              chunks_per_pass=self.chunks_per_pass,
                                              rng=np.random.default_rng(self.random_state))
        if self.acyclic:
            from scorecause.graph import most_probable_dag

            self.adjacency_ = most_probable_dag(self.edge_probs_, threshold=self.threshold)
        else:
            self.adjacency_ = (self.edge_probs_ > self.threshold).astype(np.int8)


def predict_edge_probs(net: AVICIModel, X: np.ndarray, mask: np.ndarray | None = None, *,
                       chunk_size: int | None = 500, chunks_per_pass: int = 2,
                       rng: np.random.Generator | None = None) -> np.ndarray:
    """Edge probabilities ``(d, d)`` (``P[i, j]`` for ``i -> j``, diagonal 0) of one data set ``X (n, d)``.

    Standardises each column over all rows, optionally shuffles rows with ``rng`` (so chunks mix row kinds),
    and runs :meth:`AVICIModel.predict_proba` with ``chunk_size`` rows per chunk.
    """
    x = encode_data(np.asarray(X, dtype=np.float64), mask)                 # [n, d, 2]
    if rng is not None:
        x = x[rng.permutation(len(x))]
    dev = next(net.parameters()).device
    xt = torch.from_numpy(x)[None].to(dev)                                 # [1, n, d, 2]
    P = net.predict_proba(xt, chunk_size=chunk_size, chunks_per_pass=chunks_per_pass)[0]
    P = P.double().cpu().numpy()
    np.fill_diagonal(P, 0.0)
    return P


# --- shipped weights: manifest with checksums and a stored reference prediction ------------------------
def reference_input(seed: int, n: int, d: int) -> np.ndarray:
    """The fixed input whose prediction the manifest stores: a linear chain ``X0 -> X1 -> ... `` (n, d)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    for j in range(1, d):
        X[:, j] += 1.5 * X[:, j - 1]
    return X


def ship_weights(checkpoint, name: str, *, weights_dir=None, command: str = "", seed: int = 0,
                 n: int = 64, d: int = 5) -> dict:
    """Export ``checkpoint`` as ``weights/<name>.pt`` and record it in ``manifest.json`` (atomic writes).

    The manifest entry holds the file's sha256 and size, the model config, the training record (step, wall
    time, config, ``command``) and a reference prediction (``edge_probs`` of :func:`reference_input`
    ``(seed, n, d)``, full attention) that tests reproduce after loading.
    """
    def predict(blob):
        net = load_model(blob["state_dict"], blob["config"])
        return predict_edge_probs(net, reference_input(seed, n, d), chunk_size=None)

    return ship_to_manifest(checkpoint, name, predict, weights_dir=weights_dir, command=command,
                            reference={"seed": seed, "n": n, "d": d})


def ship_to_manifest(checkpoint, key: str, predict, *, weights_dir=None, command: str = "",
                     reference: dict) -> dict:
    """Export ``checkpoint`` as ``weights/<key>.pt`` and record it under ``key`` in ``manifest.json`` (atomic
    writes): sha256, size, model config, training record (with ``command``) and the reference prediction
    ``predict(blob)`` (a ``(d, d)`` array) made from the exported file, with the ``reference`` settings."""
    from scorecause.amortized.train import export_weights
    from scorecause.fileio import atomic_write_text

    wdir = Path(weights_dir) if weights_dir is not None else WEIGHTS_DIR
    out = wdir / f"{key}.pt"
    digest = export_weights(checkpoint, out, extra={"command": command} if command else None)
    blob = read_weight_file(out)
    P = predict(blob)
    manifest_path = wdir / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest[key] = {
        "file": out.name, "sha256": digest, "bytes": out.stat().st_size, "config": blob["config"],
        "training": blob["info"], "reference": {**reference, "edge_probs": np.round(P, 6).tolist()},
    }
    atomic_write_text(manifest_path, json.dumps(manifest, indent=1) + "\n")
    return manifest[key]
