"""Reading CRL environments from files and writing CRL results.

**Input format** (also in docs/crl.md). Either

* a **directory** of CSV / Parquet files, one per environment, sorted by file name (numbers in numeric
  order: ``env2`` before ``env10``); the first file
  (e.g. ``env0.csv``) is the observational environment. Every file has the same header (one column per
  observed variable); or
* **one file** with an ``env`` column: rows with the first label (in sorted order) are observational.

An optional ``targets.json`` in the directory lists intervention targets per interventional environment
(``[[0], [2], [1, 3], ...]``, latent indices).

**Image environments** (:func:`read_image_environments`; ``scorecause simulate --preset crl-balls`` /
``crl-robot-arm`` write them): a directory of NumPy ``.npz`` files, one per environment, sorted by file name as
above (``env0.npz`` observational, ``env1.npz``, ...), each holding

* ``images``: uint8 ``(N, H, W)`` (grey) or ``(N, H, W, C)`` (``C`` = 1, 3 or 4 channels); ``H, W, C`` the
  same in every file, ``N`` may differ;
* ``latents`` (optional; simulated data): float ``(N, k)``, the true latents of the rows, ``k`` the same in
  every file; either every file has them or none;
* any other array with ``N`` rows (e.g. ``z``, the latent SCM's variables), kept in ``extras``;

plus the optional ``targets.json`` (as above; indices into the latents). The true latent graph is a separate
graph file (``--graph-out``; nodes ``Z0..Z{k-1}``, ``A[i, j] = 1`` means ``Zi -> Zj``).

**Output**: ``latents.csv`` (latents ``Z0..`` of the observational rows), ``graph.json``
(``A[i, j] = 1`` means ``Z_i -> Z_j``), ``encoder.csv`` (linear methods: ``z = E (x - mean)``, with the
mean in the last column). All written atomically; nothing is written when fitting fails.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from scorecause.data import Dataset
from scorecause.errors import DataError

_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".csv.gz")


def _natural(p: Path):
    """Sort key: file names with numbers in numeric order (env2 before env10)."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)]


def read_environments(path) -> tuple[list[Dataset], list | None]:
    """Read environments from a directory or a single file with an ``env`` column -> (environments, targets)."""
    path = Path(path)
    targets = None
    if path.is_dir():
        files = sorted((p for p in path.iterdir() if "".join(p.suffixes).lower().endswith(_SUFFIXES)),
                       key=_natural)
        if not files:
            if any(p.suffix.lower() == ".npz" for p in path.iterdir()):
                raise DataError(f"directory {str(path)!r} holds .npz image environments, not tables; read them "
                                "with scorecause.crl.io.read_image_environments (scorecause crl --images)")
            raise DataError(f"directory {str(path)!r} holds no .csv/.parquet environment files")
        envs = [Dataset.from_file(p, env_column=None) for p in files]
        tfile = path / "targets.json"
        if tfile.exists():
            targets = json.loads(tfile.read_text())
        return envs, targets
    ds = Dataset.from_file(path, env_column="env")
    if ds.environments is None:
        raise DataError(f"{str(path)!r} has no 'env' column; add one (first label = observational) or pass a "
                        "directory with one file per environment")
    labels = sorted(np.unique(ds.environments), key=lambda v: _natural(Path(str(v))))
    return [ds.subset(ds.environments == lab) for lab in labels], targets


def environment_paths(out, n_envs: int) -> list[Path]:
    """Where :func:`write_environments` puts ``n_envs`` environments: ``[out]`` when ``out`` is a data file
    (one file with an ``env`` column), else ``out/env0.csv .. out/env{n_envs-1}.csv`` and ``out/targets.json``.
    """
    out = Path(out)
    if "".join(out.suffixes).lower().endswith(_SUFFIXES):
        return [out]
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DataError(f"{str(out)!r} exists and is not an empty folder; give a new folder for the environment "
                        "files (or a .csv/.parquet file name for one file with an 'env' column)")
    return [out / f"env{m}.csv" for m in range(n_envs)] + [out / "targets.json"]


def write_environments(envs, paths, targets=None) -> None:
    """Write environments (observational first) in the format :func:`read_environments` reads.

    ``paths`` come from :func:`environment_paths`: one data file (an ``env`` column holds 0, 1, ...; no
    targets), or one CSV per environment followed by ``targets.json`` (``targets``: one list of latent
    indices per interventional environment; ``null`` when unknown).
    """
    paths = [Path(p) for p in paths]
    if len(paths) == 1:
        labels = np.concatenate([np.full(e.n, m) for m, e in enumerate(envs)])
        X = np.concatenate([e.X for e in envs])
        Dataset.from_array(X, names=list(envs[0].names), environments=labels,
                           meta={"allow_constant": True}).to_file(paths[0])
        return
    for env, path in zip(envs, paths[:-1]):
        env.to_file(path)
    paths[-1].write_text(json.dumps(None if targets is None else [list(map(int, t)) for t in targets]))


# ------------------------------------------------------------------------------------------------
# Image environments: a directory of .npz files (+ targets.json)
# ------------------------------------------------------------------------------------------------
@dataclass
class ImageEnvironments:
    """Image environments read by :func:`read_image_environments` (environment 0 observational).

    Attributes
    ----------
    images : per environment, uint8 (N_m, H, W) or (N_m, H, W, C)
    latents : per environment, float64 (N_m, k) true latents, or None when the files hold none
    targets : per interventional environment, a list of latent indices; None when unknown
    files : the .npz file of each environment
    extras : per environment, the other arrays of its file (each with N_m rows)
    """

    images: list[np.ndarray]
    latents: list[np.ndarray] | None
    targets: list[list[int]] | None
    files: list[Path]
    extras: list[dict] = field(default_factory=list)

    @property
    def n_envs(self) -> int:
        return len(self.images)

    @property
    def image_shape(self) -> tuple[int, ...]:
        """``(H, W)`` or ``(H, W, C)``."""
        return tuple(self.images[0].shape[1:])


def _load_npz(p: Path) -> dict[str, np.ndarray]:
    if not zipfile.is_zipfile(p):
        raise DataError(f"{str(p)!r} is not a readable .npz file (not a zip archive); write it with numpy.savez")
    try:
        with np.load(p, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DataError(f"{str(p)!r} is not a readable .npz file ({exc}); write it with numpy.savez") from None
    except ValueError as exc:  # object arrays need pickle: refused
        raise DataError(f"{str(p)!r} holds an array numpy cannot load without pickle ({exc}); save plain "
                        "numeric arrays") from None


def _check_targets(targets, n_envs: int, k: int | None, tfile: Path):
    if targets is None:
        return None
    if not isinstance(targets, list) or len(targets) != n_envs - 1:
        got = f"{len(targets)} entries" if isinstance(targets, list) else type(targets).__name__
        raise DataError(f"{str(tfile)!r} must be null or a list with one list of latent indices per "
                        f"interventional environment ({n_envs - 1}), got {got}")
    out = []
    for m, t in enumerate(targets, start=1):
        if not isinstance(t, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in t):
            raise DataError(f"{str(tfile)!r}: entry {m} (environment {m}) must be a list of latent indices, "
                            f"got {t!r}")
        bad = [i for i in t if i < 0 or (k is not None and i >= k)]
        if bad:
            raise DataError(f"{str(tfile)!r}: environment {m} names latent {bad[0]}, outside 0..{(k or 1) - 1} "
                            f"(the files hold {k} latents)")
        out.append(list(t))
    return out


def read_image_environments(path) -> ImageEnvironments:
    """Read image environments from a directory of ``.npz`` files (format in the module docstring).

    Every problem raises :class:`~scorecause.errors.DataError` naming the file and the fix: no .npz file, a
    missing ``images`` array, images that are not uint8 or not ``(N, H, W[, C])``, image or latent shapes that
    differ between files, latents with another row count than the images, latents in some files only,
    targets that do not match the environments.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for m in range(2):
    ...     np.savez(d / f"env{m}.npz", images=np.zeros((5, 8, 8), np.uint8), latents=np.zeros((5, 2)))
    >>> _ = (d / "targets.json").write_text("[[1]]")
    >>> envs = read_image_environments(d)
    >>> envs.n_envs, envs.image_shape, envs.latents[1].shape, envs.targets
    (2, (8, 8), (5, 2), [[1]])
    """
    path = Path(path)
    if not path.is_dir():
        raise DataError(f"{str(path)!r} is not a directory; image environments are a folder of .npz files "
                        "(env0.npz observational, env1.npz, ...)")
    files = sorted((p for p in path.iterdir() if p.suffix.lower() == ".npz" and p.is_file()), key=_natural)
    if not files:
        raise DataError(f"directory {str(path)!r} holds no .npz image environment files; save one per "
                        "environment with numpy.savez(..., images=uint8 (N, H, W[, C]), latents=(N, k))")
    images, latents, extras = [], [], []
    for p in files:
        arrays = _load_npz(p)
        if "images" not in arrays:
            raise DataError(f"{str(p)!r} has no 'images' array (it holds: {', '.join(sorted(arrays)) or 'nothing'})"
                            "; save the images under the key 'images'")
        im = arrays.pop("images")
        if im.dtype != np.uint8:
            raise DataError(f"{str(p)!r}: images are {im.dtype}, expected uint8; convert with "
                            "(255 * x).round().astype(numpy.uint8) for values in [0, 1]")
        if im.ndim not in (3, 4) or (im.ndim == 4 and im.shape[3] not in (1, 3, 4)) or im.shape[0] < 1:
            raise DataError(f"{str(p)!r}: images have shape {im.shape}, expected (N, H, W) or (N, H, W, C) "
                            "with N >= 1 and C in 1, 3, 4")
        if images and im.shape[1:] != images[0].shape[1:]:
            raise DataError(f"{str(p)!r}: images are {im.shape[1:]} but {str(files[0])!r} has "
                            f"{images[0].shape[1:]}; every environment needs the same image size and channels")
        lat = arrays.pop("latents", None)
        if lat is not None:
            if lat.ndim == 1:
                lat = lat[:, None]
            if lat.ndim != 2 or lat.shape[0] != im.shape[0] or not np.issubdtype(lat.dtype, np.number):
                raise DataError(f"{str(p)!r}: latents have shape {lat.shape} ({lat.dtype}), expected numbers "
                                f"(N, k) with N = {im.shape[0]} rows like the images")
            lat = lat.astype(np.float64)
            if latents and latents[0] is not None and lat.shape[1] != latents[0].shape[1]:
                raise DataError(f"{str(p)!r}: {lat.shape[1]} latents but {str(files[0])!r} has "
                                f"{latents[0].shape[1]}; every environment needs the same latents")
        if latents and (lat is None) != (latents[0] is None):
            has, lacks = (p, files[0]) if lat is not None else (files[0], p)
            raise DataError(f"{str(lacks)!r} has no 'latents' array but {str(has)!r} has; give true latents in "
                            "every file or in none")
        for key, arr in arrays.items():
            if arr.ndim == 0 or arr.shape[0] != im.shape[0]:
                raise DataError(f"{str(p)!r}: array {key!r} has shape {arr.shape}, expected {im.shape[0]} rows "
                                "like the images; drop it or give one row per image")
        images.append(im)
        latents.append(lat)
        extras.append(arrays)
    k = None if latents[0] is None else latents[0].shape[1]
    tfile = path / "targets.json"
    targets = None
    if tfile.exists():
        try:
            targets = json.loads(tfile.read_text())
        except json.JSONDecodeError as exc:
            raise DataError(f"{str(tfile)!r} is not valid JSON ({exc}); write a list like [[0], [1]] or null") from None
        targets = _check_targets(targets, len(files), k, tfile)
    return ImageEnvironments(images, None if k is None else latents, targets, files, extras)


def image_environment_paths(out, n_envs: int) -> list[Path]:
    """Where :func:`write_image_environments` puts ``n_envs`` environments: ``out/env0.npz ..
    out/env{n_envs-1}.npz`` and ``out/targets.json``.

    Refuses (:class:`~scorecause.errors.DataError`) a file ``out`` and a folder holding other ``.npz`` files
    (they would be read as extra environments); existing files among the outputs are left to the output guard
    (``--overwrite``).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DataError(f"{str(out)!r} is a file; image environments need a folder (env0.npz, env1.npz, ...)")
    paths = [out / f"env{m}.npz" for m in range(n_envs)]
    if out.is_dir():
        ours = {p.name for p in paths}
        stale = sorted((p.name for p in out.iterdir() if p.suffix.lower() == ".npz" and p.name not in ours),
                       key=lambda name: _natural(Path(name)))
        if stale:
            raise DataError(f"{str(out)!r} holds {stale[0]}, which would be read as another environment; give a "
                            "new or empty folder")
    return paths + [out / "targets.json"]


def write_image_environments(images, paths, targets=None, latents=None, extras=None) -> None:
    """Write image environments (observational first) in the format :func:`read_image_environments` reads.

    Parameters
    ----------
    images : per environment, uint8 (N_m, H, W) or (N_m, H, W, C)
    paths : from :func:`image_environment_paths` (one .npz per environment, then ``targets.json``); usually
        temporary paths of :func:`scorecause.fileio.atomic_paths`
    targets : per interventional environment, a list of latent indices; None writes ``null`` (unknown)
    latents : per environment, (N_m, k) true latents, or None
    extras : per environment, a dict of further arrays with N_m rows (e.g. ``{"z": ...}``), or None

    The arrays are stored compressed (``numpy.savez_compressed``).
    """
    paths = [Path(p) for p in paths]
    if len(paths) != len(images) + 1:
        raise DataError(f"need {len(images) + 1} paths ({len(images)} environments + targets.json), got {len(paths)}")
    for m, (im, p) in enumerate(zip(images, paths[:-1])):
        arrays = {"images": np.asarray(im, dtype=np.uint8)}
        if latents is not None:
            arrays["latents"] = np.asarray(latents[m], dtype=np.float64)
        if extras is not None:
            arrays.update(extras[m])
        with open(p, "wb") as fh:  # a file handle: savez adds no second suffix to a temporary name
            np.savez_compressed(fh, **arrays)
    paths[-1].write_text(json.dumps(None if targets is None else [list(map(int, t)) for t in targets]))


def fit_from_path(data, *, method: str, out_dir, intervention: str = "hard", scores: str | None = None,
                  random_state=0) -> list[Path]:
    """Fit CRL method ``method`` on environments at ``data`` and write the results to ``out_dir``."""
    from scorecause.fileio import atomic_path, atomic_write_text
    from scorecause.registry import methods

    envs, targets = read_environments(data)
    params = {"random_state": random_state}
    if method in ("lscale", "umni"):
        params["intervention"] = intervention
    if scores is not None and method != "lcd":
        params["scores"] = scores
    est = methods.create(method, **params)
    est.fit(envs, targets=targets if method != "umni" else None)
    out = Path(out_dir)
    Z = est.transform(envs[0].X)
    names = est.latent_names_
    written = []
    with atomic_path(out / "latents.csv") as tmp:
        pd.DataFrame(Z, columns=names).to_csv(tmp, index=False)
    written.append(out / "latents.csv")
    graph = {"nodes": names, "adjacency": est.adjacency_.tolist(), "order": [names[i] for i in est.order_],
             "convention": "adjacency[i][j] = 1 means nodes[i] -> nodes[j]", "method": method}
    written.append(atomic_write_text(out / "graph.json", json.dumps(graph, indent=2)))
    if isinstance(getattr(est, "encoder_", None), np.ndarray):
        E = pd.DataFrame(est.encoder_, index=names, columns=list(envs[0].names))
        E["mean"] = np.nan
        E = pd.concat([E, pd.DataFrame([[*est.mean_, np.nan]], index=["mean"], columns=E.columns)])
        with atomic_path(out / "encoder.csv") as tmp:
            E.to_csv(tmp)
        written.append(out / "encoder.csv")
    return written
