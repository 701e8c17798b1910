"""Benchmark specifications: a YAML file -> a grid of cells, each with a stable id.

A spec names **datasets**, **methods** and **metrics**; the grid is every dataset instance crossed with
every method. Example (all keys except ``datasets`` and ``methods`` optional)::

    name: small-linear
    datasets:
      - simulate: linear-gaussian        # a scorecause.simulate PRESET (or a list of presets)
        d: [5, 10]                        # grid axes: d, n, seeds (an int k means seeds 0..k-1)
        n: [200]
        seeds: 3
        params: {edges_per_node: 1.0}     # passed to simulate(preset, d=, n=, rng=, **params)
        standardize: false
      - real: sachs                       # bundled real data: scorecause.datasets.load_<name>(**params)
        params: {}
      - file: data/my.csv                 # a data file (CSV/Parquet; do(<var>) columns = interventions)
        truth: data/my_graph.csv          # optional true graph (A[i, j] = 1 means i -> j)
        label: my-data
    methods:
      - pc                                # a registry name ...
      - {name: pc, params: {alpha: 0.01}, label: pc-0.01}   # ... or name + hyperparameters + label
      - {name: "mypkg.methods:MyEstimator"}  # ... or any CausalEstimator subclass by import string
    metrics: [shd, f1, sid]               # names in scorecause.metrics.METRICS
    time_limit: 300                       # seconds per cell (hard: the cell's process is killed)
    memory_limit: 4GB                     # address-space limit per cell (local fork isolation only)
    threads: 1                            # BLAS/torch threads inside each cell
    warmup: true                          # one untimed fit per method and process before the timed ones

Relative file paths are resolved against the spec file's folder. The whole spec is validated when it is
loaded, before any cell runs: an unknown key, preset, simulate option, bundled dataset, method or method
hyperparameter stops with a :class:`~scorecause.errors.ConfigError` that names the entry and the valid choices.

The **cell id** is the first 12 hex digits of the SHA-256 of the canonical JSON of the cell's dataset
instance and method (name, params); metrics, limits and labels are not part of it, so the same cell keeps
its id across runs, machines and spec edits that do not change what is computed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scorecause.errors import ConfigError

_TOP_KEYS = {"name", "datasets", "methods", "metrics", "time_limit", "memory_limit", "threads", "warmup",
             "description"}
_DATASET_KEYS = {"simulate", "real", "file", "truth", "d", "n", "seeds", "params", "standardize", "label",
                 "n_interventional"}
_METHOD_KEYS = {"name", "params", "label"}
DEFAULT_METRICS = ("shd", "f1", "precision", "recall")


def canonical_json(obj) -> str:
    """Key-sorted compact JSON: the hash input for cell ids (identical configs -> identical text)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def parse_memory(value) -> int | None:
    """``"4GB"``, ``"512MB"``, ``"2GiB"`` or a byte count -> bytes (None stays None).

    >>> parse_memory("1.5GB")
    1500000000
    """
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    m = re.fullmatch(r"\s*([0-9.]+)\s*([KMGT]?I?B?)\s*", str(value).upper())
    if not m:
        raise ConfigError(f"memory_limit {value!r} is not a size; write e.g. 4GB, 512MB or a byte count")
    units = {"": 1, "B": 1, "K": 1e3, "KB": 1e3, "M": 1e6, "MB": 1e6, "G": 1e9, "GB": 1e9, "T": 1e12, "TB": 1e12,
             "KI": 2**10, "KIB": 2**10, "MI": 2**20, "MIB": 2**20, "GI": 2**30, "GIB": 2**30, "TIB": 2**40}
    if m.group(2) not in units:
        raise ConfigError(f"memory_limit {value!r}: unknown unit {m.group(2)!r}; use B, KB, MB, GB, GiB")
    return int(float(m.group(1)) * units[m.group(2)])


@dataclass(frozen=True)
class Cell:
    """One unit of work: a dataset instance x a method. ``id`` is stable (see module docstring)."""

    id: str
    index: int  # position in the grid (report order)
    dataset: dict  # {"source": "simulate"|"real"|"file", ... , "seed": int}
    dataset_label: str
    method: str  # registry name (or import string)
    target: str  # "module:Class" the worker imports
    params: dict
    method_label: str
    metrics: tuple
    time_limit: float | None
    memory_limit: int | None
    threads: int | None
    warmup: bool = True  # an untimed fit of the method first (once per method and process; runner.warm_up)


@dataclass
class BenchSpec:
    """A parsed, validated spec. :meth:`cells` expands the grid."""

    name: str
    datasets: list[dict]
    methods: list[dict]
    metrics: tuple = DEFAULT_METRICS
    time_limit: float | None = None
    memory_limit: int | None = None
    threads: int | None = 1
    warmup: bool = True
    source: str | None = None
    raw: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dict(cls, spec: dict, *, base_dir=None, source: str | None = None) -> BenchSpec:
        """Validate ``spec`` (the YAML mapping); relative paths are resolved against ``base_dir``."""
        if not isinstance(spec, dict):
            raise ConfigError("a benchmark spec must be a mapping with 'datasets' and 'methods'")
        unknown = set(spec) - _TOP_KEYS
        if unknown:
            raise ConfigError(f"unknown spec key(s) {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}")
        for key in ("datasets", "methods"):
            if not spec.get(key):
                raise ConfigError(f"the spec needs a non-empty {key!r} list")
        base = Path(base_dir) if base_dir is not None else Path.cwd()
        datasets = [_parse_dataset(ds, k, base) for k, ds in enumerate(_as_list(spec["datasets"], "datasets"))]
        methods = [_parse_method(m, k) for k, m in enumerate(_as_list(spec["methods"], "methods"))]
        labels = [m["label"] for m in methods]
        dup = {v for v in labels if labels.count(v) > 1}
        if dup:
            raise ConfigError(f"method label(s) {sorted(dup)} used twice; give each entry a distinct 'label'")
        metrics = tuple(spec.get("metrics") or DEFAULT_METRICS)
        if any(not isinstance(m, str) for m in metrics):
            raise ConfigError(f"metrics must be a list of names, got {list(metrics)!r}")
        from scorecause.metrics import METRICS

        unknown_metrics = [m for m in metrics if m not in METRICS]
        if unknown_metrics:
            raise ConfigError(f"unknown metric(s) {unknown_metrics}; available: {', '.join(METRICS)}")
        time_limit = spec.get("time_limit")
        if time_limit is not None and (not isinstance(time_limit, (int, float)) or time_limit <= 0):
            raise ConfigError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
        threads = spec.get("threads", 1)
        if threads is not None and (not isinstance(threads, int) or threads < 1):
            raise ConfigError(f"threads must be a positive integer (or null for the library default), got {threads!r}")
        warmup = spec.get("warmup", True)
        if not isinstance(warmup, bool):
            raise ConfigError(f"warmup must be true or false, got {warmup!r}")
        return cls(name=str(spec.get("name") or (Path(source).stem if source else "bench")), datasets=datasets,
                   methods=methods, metrics=metrics, time_limit=time_limit,
                   memory_limit=parse_memory(spec.get("memory_limit")), threads=threads, warmup=warmup,
                   source=source, raw=spec)

    @classmethod
    def from_file(cls, path) -> BenchSpec:
        """Read a YAML (or JSON) spec file."""
        import yaml

        path = Path(path)
        if not path.exists():
            raise ConfigError(f"spec file {str(path)!r} does not exist")
        try:
            spec = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise ConfigError(f"cannot parse spec file {str(path)!r}: {exc}") from None
        return cls.from_dict(spec, base_dir=path.resolve().parent, source=str(path))

    # ------------------------------------------------------------------ grid
    def dataset_instances(self) -> list[tuple[dict, str]]:
        """Every dataset instance ``(config, label)`` in spec order (presets x d x n x seeds)."""
        out = []
        for ds in self.datasets:
            if ds["source"] == "simulate":
                for preset, d, n, seed in itertools.product(ds["presets"], ds["d"], ds["n"], ds["seeds"]):
                    cfg = {"source": "simulate", "preset": preset, "d": d, "n": n, "seed": seed,
                           "params": ds["params"], "standardize": ds["standardize"],
                           "n_interventional": ds["n_interventional"]}
                    out.append((cfg, ds["label"] or preset))
            else:
                for seed in ds["seeds"]:
                    cfg = {k: ds[k] for k in ("source", "name", "path", "truth", "params", "standardize")
                           if k in ds}
                    cfg["seed"] = seed
                    out.append((cfg, ds["label"] or ds.get("name") or Path(ds["path"]).stem))
        return out

    def cells(self) -> list[Cell]:
        """The grid: every dataset instance x every method, in spec order, each with its stable id."""
        cells = []
        for cfg, dlabel in self.dataset_instances():
            for m in self.methods:
                key = canonical_json({"dataset": cfg, "method": {"name": m["name"], "params": m["params"]}})
                cid = hashlib.sha256(key.encode()).hexdigest()[:12]
                cells.append(Cell(id=cid, index=len(cells), dataset=cfg, dataset_label=dlabel, method=m["name"],
                                  target=m["target"], params=m["params"], method_label=m["label"], metrics=self.metrics,
                                  time_limit=self.time_limit, memory_limit=self.memory_limit,
                                  threads=self.threads, warmup=self.warmup))
        ids = [c.id for c in cells]
        if len(set(ids)) != len(ids):
            raise ConfigError("the spec lists the same (dataset, method) cell twice; remove the duplicate entry")
        return cells


def load_spec(spec) -> BenchSpec:
    """A :class:`BenchSpec` from a path, a mapping or a BenchSpec."""
    if isinstance(spec, BenchSpec):
        return spec
    if isinstance(spec, dict):
        return BenchSpec.from_dict(spec)
    return BenchSpec.from_file(spec)


def _as_list(value, key: str) -> list:
    if not isinstance(value, list):
        raise ConfigError(f"{key!r} must be a list, got {type(value).__name__}")
    return value


def _int_list(value, key: str, where: str) -> list[int]:
    values = value if isinstance(value, list) else [value]
    if not values or any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in values):
        raise ConfigError(f"{where}: {key!r} must be a non-negative integer or a list of them, got {value!r}")
    return values


def _parse_dataset(ds, k: int, base: Path) -> dict:
    where = f"datasets[{k}]"
    if isinstance(ds, str):
        ds = {"real": ds}
    if not isinstance(ds, dict):
        raise ConfigError(f"{where} must be a mapping (simulate:/real:/file:), got {ds!r}")
    unknown = set(ds) - _DATASET_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_DATASET_KEYS)}")
    kinds = [key for key in ("simulate", "real", "file") if key in ds]
    if len(kinds) != 1:
        raise ConfigError(f"{where} needs exactly one of 'simulate', 'real' or 'file' (got {kinds or 'none'})")
    params = ds.get("params") or {}
    if not isinstance(params, dict):
        raise ConfigError(f"{where}: 'params' must be a mapping, got {params!r}")
    seeds = ds.get("seeds", 1 if "simulate" in ds else [0])
    seeds = list(range(seeds)) if isinstance(seeds, int) and not isinstance(seeds, bool) else seeds
    out = {"params": params, "standardize": bool(ds.get("standardize", False)), "label": ds.get("label"),
           "seeds": _int_list(seeds, "seeds", where)}
    if "simulate" in ds:
        presets = ds["simulate"] if isinstance(ds["simulate"], list) else [ds["simulate"]]
        for key in ("d", "n"):
            if key not in ds:
                raise ConfigError(f"{where}: a simulated dataset needs {key!r} (an integer or a list)")
        out.update(source="simulate", presets=[str(p) for p in presets], d=_int_list(ds["d"], "d", where),
                   n=_int_list(ds["n"], "n", where), n_interventional=int(ds.get("n_interventional", 0)))
        from scorecause.simulate import resolve_preset

        for preset in out["presets"]:
            try:  # the preset name and the option names in params
                resolve_preset(preset, **params)
            except ConfigError as exc:
                raise ConfigError(f"{where} (simulate: {preset}): {exc}") from None
        if out["label"] is not None and len(presets) > 1:
            raise ConfigError(f"{where}: 'label' with several presets would merge them; drop it or split the entry")
    elif "real" in ds:
        out.update(source="real", name=str(ds["real"]))
        import scorecause.datasets as bundled

        loader = getattr(bundled, f"load_{out['name']}", None)
        if loader is None:
            names = sorted(a[len("load_"):] for a in dir(bundled) if a.startswith("load_") and a != "load_graph")
            raise ConfigError(f"{where}: no bundled dataset {out['name']!r}; available: {', '.join(names)}")
        check_params(params, _parameter_names(loader), f"{where} (real: {out['name']})", f"load_{out['name']} option")
    else:
        path = (base / ds["file"]).resolve()
        if not path.exists():
            raise ConfigError(f"{where}: data file {str(path)!r} does not exist")
        out.update(source="file", path=str(path))
        from scorecause.data import Dataset

        check_params(params, [a for a in _parameter_names(Dataset.from_dataframe) if a not in ("df", "meta")],
                     f"{where} (file: {ds['file']})", "data-file option")
        if ds.get("truth") is not None:
            truth = (base / ds["truth"]).resolve()
            if not truth.exists():
                raise ConfigError(f"{where}: truth graph file {str(truth)!r} does not exist")
            out["truth"] = str(truth)
    return out


def _parse_method(m: Any, k: int) -> dict:
    where = f"methods[{k}]"
    if isinstance(m, str):
        m = {"name": m}
    if not isinstance(m, dict) or "name" not in m:
        raise ConfigError(f"{where} must be a registry name or a mapping with 'name', got {m!r}")
    unknown = set(m) - _METHOD_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: name, params, label")
    name = str(m["name"])
    cls = method_class(name, where)
    target = f"{cls.__module__}:{cls.__qualname__}"
    name = name if ":" in name else name.lower()
    params = m.get("params") or {}
    if not isinstance(params, dict):
        raise ConfigError(f"{where}: 'params' must be a mapping of hyperparameters, got {params!r}")
    check_params(params, cls._get_param_names(), f"{where} ({name})", "hyperparameter")
    label = m.get("label") or (name if not params else name + "(" + ",".join(
        f"{key}={params[key]}" for key in sorted(params)) + ")")
    return {"name": name, "params": params, "label": str(label), "target": target}


def check_params(params: dict, allowed, where: str, what: str) -> None:
    """Raise a ConfigError naming ``where``, the unknown key(s) of ``params`` and the ``allowed`` names.

    ``allowed=None`` (a function taking ``**kwargs``) accepts any name.
    """
    unknown = [] if allowed is None else sorted(set(params) - set(allowed))
    if unknown:
        raise ConfigError(f"{where}: unknown {what}(s) {unknown}; valid: {', '.join(sorted(allowed))}")


def _parameter_names(func) -> list[str] | None:
    """Keyword names ``func`` accepts; None when it takes ``**kwargs`` (any name)."""
    import inspect

    params = inspect.signature(func).parameters.values()
    if any(p.kind == p.VAR_KEYWORD for p in params):
        return None
    return [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            and p.name not in ("self", "cls")]


def resolve_method(name: str, where: str = "method") -> str:
    """``"module:Class"`` of a registry name, or of an import string given directly (own, unregistered classes).

    The cell carries this string, so a worker on any backend imports the class without the driver's registry.
    """
    cls = method_class(name, where)
    return f"{cls.__module__}:{cls.__qualname__}"


def method_class(name: str, where: str = "method") -> type:
    """The :class:`~scorecause.base.CausalEstimator` subclass of a registry name or an import string."""
    import importlib

    from scorecause.base import CausalEstimator
    from scorecause.registry import methods

    if ":" in name:
        module, _, attr = name.partition(":")
        try:
            cls = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"{where}: cannot import method class {name!r}: {exc}") from None
    else:
        if name.lower() not in list(methods):  # names only: no method module is imported yet
            raise ConfigError(f"{where}: unknown method {name!r}; available: {', '.join(methods)}, "
                              "or an import string 'package.module:Class'")
        try:
            cls = methods[name]
        except ImportError as exc:
            raise ConfigError(f"{where}: method {name!r} cannot be imported: {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, CausalEstimator)):
        raise ConfigError(f"{where}: {name!r} is not a scorecause.base.CausalEstimator subclass")
    return cls
