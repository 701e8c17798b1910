"""Datasets and prior knowledge: validated once, here, for every estimator and command.

A :class:`Dataset` holds ``X`` (n x d, float64), variable names, an optional intervention mask
(``mask[r, j]`` true when variable ``j`` was intervened on in row ``r``), optional environment labels and
optional ground truth (``truth``: adjacency with ``A[i, j] = 1`` meaning ``i -> j``; ``meta``: anything a
simulator knows, e.g. the SCM for analytic scores, latents ``Z`` and the ``mixing`` for CRL data).

File convention (CSV / Parquet, used by the CLI): one column per variable; a column named
``do(<var>)`` holding 0/1 marks rows where ``<var>`` was intervened on; a column named ``env``
(or the name passed as ``env_column``) holds environment labels. Neither kind of column is a variable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scorecause.errors import DataError, PriorError

_DO_COLUMN = re.compile(r"^do\((.+)\)$")


def validate_data(X, names: Sequence[str] | None = None, interventions=None, environments=None,
                  *, allow_constant: bool = False):
    """Check a data table and return ``(X float64 (n, d), names, mask bool (n, d) | None, env (n,) | None)``.

    Rejects, with a message naming the column/row and the fix: fewer than 2 rows or columns, NaN or
    infinite values, constant columns (unless ``allow_constant``), duplicate or wrongly counted names,
    a mask or environment vector of the wrong shape.
    """
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"data must be numeric: {exc}. Convert or drop non-numeric columns first") from None
    if X.ndim != 2:
        raise DataError(f"data must be a 2-D table (rows = samples, columns = variables), got {X.ndim}-D")
    n, d = X.shape
    if names is None:
        names = [f"X{j}" for j in range(d)]
    names = [str(v) for v in names]
    if len(names) != d:
        raise DataError(f"{len(names)} variable names given for {d} columns; pass exactly one name per column")
    seen: dict[str, int] = {}
    for j, v in enumerate(names):
        if v in seen:
            raise DataError(f"duplicate variable name {v!r} (columns {seen[v]} and {j}); rename one of them")
        seen[v] = j
    if n < 2:
        raise DataError(f"need at least 2 rows (samples), got {n}")
    if d < 2:
        raise DataError(f"need at least 2 columns (variables), got {d}")
    bad = ~np.isfinite(X)
    if bad.any():
        r, j = np.argwhere(bad)[0]
        count = int(bad.sum())
        raise DataError(
            f"column {names[j]!r} has a non-finite value ({X[r, j]}) at row {r} ({count} such cell(s) in all); "
            "remove or impute missing values before fitting"
        )
    if not allow_constant:
        const = np.flatnonzero(np.ptp(X, axis=0) == 0)
        if const.size:
            raise DataError(
                f"column {names[const[0]]!r} is constant (value {X[0, const[0]]}); a constant variable carries "
                "no causal information: drop it"
            )
    mask = None
    if interventions is not None:
        mask = np.asarray(interventions)
        if mask.shape != (n, d):
            raise DataError(
                f"intervention mask has shape {mask.shape} but the data is {n} x {d}; "
                "pass one boolean per cell (mask[r, j] true when variable j was intervened on in row r)"
            )
        if mask.dtype != bool:
            if not np.isin(mask, (0, 1)).all():
                r, j = np.argwhere(~np.isin(mask, (0, 1)))[0]
                raise DataError(f"intervention mask for {names[j]!r} has value {mask[r, j]!r} at row {r}; use 0/1")
            mask = mask.astype(bool)
    env = None
    if environments is not None:
        env = np.asarray(environments)
        if env.shape != (n,):
            raise DataError(f"environment labels have shape {env.shape}; need one label per row ({n},)")
    return X, names, mask, env


@dataclass
class Dataset:
    """A validated data table with optional interventions, environments and ground truth.

    Attributes
    ----------
    X : ndarray (n, d) float64
    names : list of str, one per column
    interventions : bool ndarray (n, d) or None -- ``mask[r, j]`` true when ``j`` was intervened on in row ``r``
    environments : ndarray (n,) or None -- environment label per row
    truth : int8 ndarray (d, d) or None -- true graph, ``truth[i, j] = 1`` means ``i -> j``
    meta : dict -- simulator ground truth (``scm``, ``Z``, ``mixing``, ``targets``, ...) and provenance

    Examples
    --------
    >>> import numpy as np
    >>> ds = Dataset.from_array(np.random.default_rng(0).normal(size=(10, 3)), names=["a", "b", "c"])
    >>> ds.n, ds.d
    (10, 3)
    """

    X: np.ndarray
    names: list[str]
    interventions: np.ndarray | None = None
    environments: np.ndarray | None = None
    truth: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        self.X, self.names, self.interventions, self.environments = validate_data(
            self.X, self.names, self.interventions, self.environments,
            allow_constant=self.interventions is not None or self.meta.get("allow_constant", False),
        )
        if self.truth is not None:
            from scorecause.graph import as_adjacency

            self.truth = as_adjacency(self.truth, d=self.d, name="ground-truth graph")

    # --- shape -------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[1]

    @property
    def observational_rows(self) -> np.ndarray:
        """Boolean (n,): rows with no intervention at all."""
        if self.interventions is None:
            return np.ones(self.n, dtype=bool)
        return ~self.interventions.any(axis=1)

    # --- constructors ------------------------------------------------------------------------
    @classmethod
    def from_array(cls, X, names=None, *, interventions=None, environments=None, truth=None, meta=None):
        return cls(np.asarray(X), names, interventions, environments, truth, dict(meta or {}))

    @classmethod
    def from_dataframe(cls, df: pd.DataFrame, *, interventions=None, env_column: str | None = "env",
                       truth=None, meta=None) -> Dataset:
        """Build from a DataFrame; ``do(<var>)`` columns become the intervention mask, ``env_column`` the labels."""
        if not isinstance(df, pd.DataFrame):
            raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}")
        do_cols = {c: _DO_COLUMN.match(str(c)).group(1) for c in df.columns if _DO_COLUMN.match(str(c))}
        env = None
        if env_column is not None and env_column in df.columns:
            env = df[env_column].to_numpy()
        var_cols = [c for c in df.columns if c not in do_cols and c != env_column]
        for c in var_cols:
            if not (pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c])):
                example = df[c].dropna().iloc[0] if df[c].notna().any() else None
                raise DataError(
                    f"column {c!r} is not numeric (dtype {df[c].dtype}, e.g. {example!r}); encode it as numbers "
                    "or drop it; mark intervention columns as 'do(<variable>)' and environments as 'env'"
                )
        names = [str(c) for c in var_cols]
        if do_cols:
            if interventions is not None:
                raise DataError("pass interventions either as do(<var>) columns or as the interventions= argument")
            unknown = [v for v in do_cols.values() if v not in names]
            if unknown:
                raise DataError(f"intervention column do({unknown[0]}) names no variable; variables are {names}")
            mask = np.zeros((len(df), len(names)), dtype=bool)
            for col, var in do_cols.items():
                values = df[col].to_numpy()
                if not np.isin(values, (0, 1, True, False)).all():
                    r = int(np.flatnonzero(~np.isin(values, (0, 1, True, False)))[0])
                    raise DataError(f"column {col!r} must hold 0/1, found {values[r]!r} at row {r}")
                mask[:, names.index(var)] = values.astype(bool)
            interventions = mask
        return cls(df[var_cols].to_numpy(dtype=np.float64, na_value=np.nan), names, interventions, env,
                   truth, dict(meta or {}))

    @classmethod
    def from_file(cls, path, **kwargs) -> Dataset:
        """Read a CSV (``.csv``, ``.tsv``, optionally gzipped) or Parquet (``.parquet``/``.pq``) table with a header."""
        path = Path(path)
        if not path.exists():
            raise DataError(f"data file {str(path)!r} does not exist")
        suffixes = "".join(path.suffixes).lower()
        try:
            if suffixes.endswith((".parquet", ".pq")):
                df = pd.read_parquet(path)
            elif ".tsv" in suffixes:
                df = pd.read_csv(path, sep="\t")
            else:
                df = pd.read_csv(path)
        except (ValueError, OSError, pd.errors.ParserError) as exc:
            raise DataError(f"cannot read {str(path)!r}: {exc}") from None
        meta = dict(kwargs.pop("meta", None) or {}, source=str(path))
        return cls.from_dataframe(df, meta=meta, **kwargs)

    from_csv = from_file
    from_parquet = from_file

    # --- views and transforms ----------------------------------------------------------------
    def to_dataframe(self, *, with_interventions: bool = True) -> pd.DataFrame:
        """Inverse of :meth:`from_dataframe` (``do(<var>)`` and ``env`` columns included when present)."""
        df = pd.DataFrame(self.X, columns=self.names)
        if with_interventions and self.interventions is not None:
            for j, v in enumerate(self.names):
                if self.interventions[:, j].any():
                    df[f"do({v})"] = self.interventions[:, j].astype(np.int8)
        if with_interventions and self.environments is not None:
            df["env"] = self.environments
        return df

    def to_file(self, path) -> Path:
        """Write CSV or Parquet (by suffix) atomically: a temporary file renamed into place."""
        from scorecause.fileio import atomic_path

        path = Path(path)
        with atomic_path(path) as tmp:
            df = self.to_dataframe()
            if path.suffix.lower() in (".parquet", ".pq"):
                df.to_parquet(tmp, index=False)
            else:
                df.to_csv(tmp, index=False)
        return path

    def subset(self, rows) -> Dataset:
        """Rows ``rows`` (index or boolean array) as a new Dataset with the same names and truth."""
        rows = np.asarray(rows)
        return replace(
            self, X=self.X[rows],
            interventions=None if self.interventions is None else self.interventions[rows],
            environments=None if self.environments is None else self.environments[rows],
            meta=dict(self.meta, allow_constant=True),
        )

    def observational(self) -> Dataset:
        """The rows without any intervention."""
        return replace(self.subset(self.observational_rows), interventions=None)

    def standardized(self) -> Dataset:
        """Each column centred and scaled to unit variance (over all rows)."""
        sd = self.X.std(axis=0)
        sd[sd == 0] = 1.0
        return replace(self, X=(self.X - self.X.mean(axis=0)) / sd)

    def __repr__(self) -> str:
        extra = []
        if self.interventions is not None:
            extra.append(f"{int(self.interventions.any(axis=1).sum())} intervened rows")
        if self.environments is not None:
            extra.append(f"{len(np.unique(self.environments))} environments")
        if self.truth is not None:
            extra.append(f"truth with {int(self.truth.sum())} edges")
        return f"Dataset(n={self.n}, d={self.d}{''.join(', ' + e for e in extra)})"


def as_dataset(X, *, interventions=None, names=None) -> Dataset:
    """Coerce an ndarray, DataFrame or Dataset into a validated :class:`Dataset` (the estimators' entry point)."""
    if isinstance(X, Dataset):
        if interventions is not None:
            return replace(X, interventions=interventions)
        return X
    if isinstance(X, pd.DataFrame):
        return Dataset.from_dataframe(X, interventions=interventions)
    return Dataset.from_array(X, names=names, interventions=interventions)


# ------------------------------------------------------------------------------------------------
# Prior knowledge
# ------------------------------------------------------------------------------------------------
@dataclass
class Prior:
    """Prior knowledge: required edges, forbidden edges and tiers (a partial temporal order).

    Edges are pairs ``(cause, effect)`` given by variable name or column index. ``tiers`` is a list of
    groups; a variable in an earlier tier can cause one in a later tier, never the reverse. Edges within
    a tier are allowed. Variables not in any tier are unconstrained. Validated against variable names by
    :meth:`bind`, which every estimator calls.

    >>> p = Prior(required=[("a", "b")], tiers=[["a"], ["b", "c"]])
    >>> req, forb = p.bind(["a", "b", "c"])
    >>> bool(req[0, 1]), bool(forb[1, 0])
    (True, True)
    """

    required: list = field(default_factory=list)
    forbidden: list = field(default_factory=list)
    tiers: list = field(default_factory=list)

    def _index(self, v, names: list[str], where: str) -> int:
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            if not 0 <= v < len(names):
                raise PriorError(f"{where}: index {v} out of range for {len(names)} variables")
            return int(v)
        if str(v) not in names:
            raise PriorError(f"{where}: unknown variable {v!r}; variables are {names}")
        return names.index(str(v))

    def bind(self, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Validate against ``names``; return bool ``(required, forbidden)`` d x d matrices (``[i, j]``: ``i -> j``).

        Tier constraints are folded into ``forbidden``. Raises :class:`PriorError` on unknown names, an edge
        both required and forbidden, a required edge against the tiers, or required edges forming a cycle.
        """
        names = [str(v) for v in names]
        d = len(names)
        req = np.zeros((d, d), dtype=bool)
        forb = np.zeros((d, d), dtype=bool)
        for kind, edges, M in (("required", self.required, req), ("forbidden", self.forbidden, forb)):
            for e in edges:
                if len(e) != 2:
                    raise PriorError(f"{kind} edge {e!r} must be a pair (cause, effect)")
                i, j = (self._index(v, names, f"{kind} edge {tuple(e)!r}") for v in e)
                if i == j:
                    raise PriorError(f"{kind} edge {tuple(e)!r} is a self-loop")
                M[i, j] = True
        tier_of = np.full(d, -1)
        for t, group in enumerate(self.tiers):
            for v in group:
                i = self._index(v, names, f"tier {t}")
                if tier_of[i] >= 0:
                    raise PriorError(f"variable {names[i]!r} appears in tiers {tier_of[i]} and {t}")
                tier_of[i] = t
        both = tier_of >= 0
        forb |= both[:, None] & both[None, :] & (tier_of[:, None] > tier_of[None, :])
        clash = np.argwhere(req & forb)
        if clash.size:
            i, j = clash[0]
            raise PriorError(
                f"edge {names[i]} -> {names[j]} is required but forbidden (directly or by the tiers); fix the prior"
            )
        from scorecause.graph import is_dag

        if not is_dag(req):
            raise PriorError("the required edges form a directed cycle; no DAG can satisfy them")
        return req, forb

    def precedence(self, names: Sequence[str]) -> np.ndarray:
        """Bool d x d: ``P[i, j]`` true when ``i`` must come before ``j`` in any causal order.

        From required edges (transitively) and tiers.
        """
        req, _ = self.bind(names)
        names = [str(v) for v in names]
        d = len(names)
        P = req.copy()
        tier_of = np.full(d, -1)
        for t, group in enumerate(self.tiers):
            for v in group:
                tier_of[self._index(v, names, f"tier {t}")] = t
        both = tier_of >= 0
        P |= both[:, None] & both[None, :] & (tier_of[:, None] < tier_of[None, :])
        # transitive closure (Warshall on booleans), d is small
        for k in range(d):
            P |= P[:, [k]] & P[[k], :]
        if np.any(np.diag(P)):
            raise PriorError("required edges contradict the tiers (a variable would precede itself)")
        return P

    def is_empty(self) -> bool:
        return not (self.required or self.forbidden or self.tiers)

    @classmethod
    def from_dict(cls, spec: dict) -> Prior:
        unknown = set(spec) - {"required", "forbidden", "tiers"}
        if unknown:
            raise PriorError(f"unknown prior key(s) {sorted(unknown)}; use 'required', 'forbidden', 'tiers'")
        return cls(required=[tuple(e) for e in spec.get("required", [])],
                   forbidden=[tuple(e) for e in spec.get("forbidden", [])],
                   tiers=[list(t) for t in spec.get("tiers", [])])

    @classmethod
    def from_file(cls, path) -> Prior:
        """Read a JSON or YAML file ``{"required": [[a, b], ...], "forbidden": [...], "tiers": [[...], ...]}``."""
        path = Path(path)
        if not path.exists():
            raise PriorError(f"prior file {str(path)!r} does not exist")
        text = path.read_text()
        try:
            if path.suffix.lower() in (".yaml", ".yml"):
                import yaml

                spec = yaml.safe_load(text) or {}
            else:
                spec = json.loads(text)
        except Exception as exc:  # noqa: BLE001 - any parse error becomes a PriorError naming the file
            raise PriorError(f"cannot parse prior file {str(path)!r}: {exc}") from None
        if not isinstance(spec, dict):
            raise PriorError(f"prior file {str(path)!r} must hold a mapping with required/forbidden/tiers")
        return cls.from_dict(spec)


def as_prior(prior) -> Prior | None:
    """Accept None, a :class:`Prior`, a dict or a path."""
    if prior is None or isinstance(prior, Prior):
        return prior
    if isinstance(prior, dict):
        return Prior.from_dict(prior)
    if isinstance(prior, (str, Path)):
        return Prior.from_file(prior)
    raise PriorError(f"prior must be a Prior, dict or file path, got {type(prior).__name__}")
