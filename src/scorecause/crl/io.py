"""Reading CRL environments from files and writing CRL results.

**Input format** (also in docs/crl.md). Either

* a **directory** of CSV / Parquet files, one per environment, sorted by file name (numbers in numeric
  order: ``env2`` before ``env10``); the first file
  (e.g. ``env0.csv``) is the observational environment. Every file has the same header (one column per
  observed variable); or
* **one file** with an ``env`` column: rows with the first label (in sorted order) are observational.

An optional ``targets.json`` in the directory lists intervention targets per interventional environment
(``[[0], [2], [1, 3], ...]``, latent indices).

**Output**: ``latents.csv`` (latents ``Z0..`` of the observational rows), ``graph.json``
(``A[i, j] = 1`` means ``Z_i -> Z_j``), ``encoder.csv`` (linear methods: ``z = E (x - mean)``, with the
mean in the last column). All written atomically; nothing is written when fitting fails.
"""

from __future__ import annotations

import json
import re
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
