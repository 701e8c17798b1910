"""Datasets and prior knowledge: validated once, here, for every estimator and command.

A :class:`Dataset` holds ``X`` (n x d, float64), variable names, an optional intervention mask
(``mask[r, j]`` true when variable ``j`` was intervened on in row ``r``), optional environment labels and
optional ground truth (``truth``: adjacency with ``A[i, j] = 1`` meaning ``i -> j``; ``meta``: anything a
simulator knows, e.g. the SCM for analytic scores, latents ``Z`` and the ``mixing`` for CRL data).

File convention (CSV / Parquet, used by the CLI): one column per variable; a column named
``do(<var>)`` holding 0/1 marks rows where ``<var>`` was intervened on; a column named ``env``
(or the name passed as ``env_column``) holds environment labels. Neither kind of column is a variable.
Every rule, error message and the prior-knowledge file format are described in ``docs/data.md``.

>>> import numpy as np, pandas as pd
>>> df = pd.DataFrame({"a": [0.1, 1.2, 2.3], "b": [1.0, 0.4, 2.2], "do(b)": [0, 1, 0], "env": ["o", "i", "o"]})
>>> ds = Dataset.from_dataframe(df)
>>> ds.names, ds.interventions[:, 1].tolist(), ds.environments.tolist()
(['a', 'b'], [False, True, False], ['o', 'i', 'o'])
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
_CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz", ".csv.bz2", ".csv.xz", ".csv.zip")
_PARQUET_SUFFIXES = (".parquet", ".pq")


def _show(v) -> str:
    """repr of a cell value without numpy's type wrapper (``2`` rather than ``np.int64(2)``)."""
    return repr(v.item() if isinstance(v, np.generic) else v)


def _suffix(path: Path) -> str:
    """Lower-case suffix, two levels for compressed files (``data.csv.gz`` -> ``.csv.gz``)."""
    sfx = [s.lower() for s in path.suffixes]
    if len(sfx) >= 2 and sfx[-1] in (".gz", ".bz2", ".xz", ".zip"):
        return "".join(sfx[-2:])
    return sfx[-1] if sfx else ""


def data_file_format(path) -> str:
    """``"csv"`` or ``"parquet"`` from the suffix of ``path``, else a DataError listing the supported suffixes.

    >>> data_file_format("run/data.csv.gz"), data_file_format("x.parquet")
    ('csv', 'parquet')
    """
    path = Path(path)
    sfx = _suffix(path)
    if sfx in _PARQUET_SUFFIXES:
        return "parquet"
    if sfx in _CSV_SUFFIXES:
        return "csv"
    raise DataError(f"unsupported data file suffix {sfx or '(none)'!r} in {str(path)!r}; "
                    f"use one of {', '.join(_CSV_SUFFIXES + _PARQUET_SUFFIXES)}")


_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz", b"PK\x03\x04": "zip", b"PAR1": "parquet"}


def _sniff(path: Path) -> str | None:
    """The compression (or ``"parquet"``) a file's first bytes announce, whatever its name says; None for text."""
    with open(path, "rb") as fh:
        head = fh.read(6)
    return next((kind for magic, kind in _MAGIC.items() if head.startswith(magic)), None)


def _read_table(path: Path) -> pd.DataFrame:
    """Read a data file into a DataFrame: format from the suffix, compression from the content (a gzip file
    named ``.csv`` is read as gzip). Raises :class:`DataError` for an unreadable or empty file, a header
    without rows, duplicate column names (which pandas would silently rename to ``X.1``) or an unnamed
    column (which pandas would call ``Unnamed: k``).
    """
    kind = _sniff(path)
    try:
        if data_file_format(path) == "parquet" or kind == "parquet":
            return _with_rows(pd.read_parquet(path), path)
        options = {"compression": kind}
        if _suffix(path).startswith(".tsv"):
            options["sep"] = "\t"
        elif _suffix(path).startswith(".txt"):
            options.update(sep=None, engine="python")
        header = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False, **options)
        names = [str(v) for v in header.iloc[0]] if len(header) else []
        dup = sorted({v for v in names if names.count(v) > 1})
        if dup:
            raise DataError(f"{str(path)!r} has duplicate column names {dup}; rename them so that each column "
                            "has its own name")
        unnamed = [k for k, v in enumerate(names) if not v.strip()]
        if unnamed:  # pandas would call it 'Unnamed: k' and use it as a variable
            hint = " (a saved row index? write the file with index=False)" if unnamed == [0] else ""
            raise DataError(f"{str(path)!r}: column {unnamed[0]} (counting from 0) has no name in the header"
                            f"{hint}; name every column or drop the unnamed ones")
        return _with_rows(pd.read_csv(path, **options), path)
    except pd.errors.EmptyDataError:
        raise DataError(f"{str(path)!r} is empty; a data file needs a header row and one row per sample") from None
    except (ValueError, OSError, pd.errors.ParserError, ImportError, EOFError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"cannot read {str(path)!r}: {exc}") from None


def _with_rows(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    if len(df) == 0:
        raise DataError(f"{str(path)!r} has no rows, only the header {[str(c) for c in df.columns]}; add one "
                        "row per sample")
    return df


def _numeric_matrix(X, names: list[str] | None) -> np.ndarray:
    """``X`` as float64, or a DataError naming the first non-numeric column (and row)."""
    if isinstance(X, pd.DataFrame):
        for k, c in enumerate(X.columns):
            col = X.iloc[:, k]
            if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)) or \
                    pd.api.types.is_complex_dtype(col):
                example = col.dropna().iloc[0] if col.notna().any() else None
                raise DataError(
                    f"column {str(c)!r} is not numeric (dtype {col.dtype}, e.g. {example!r}); encode it as numbers "
                    "or drop it. In files, mark intervention columns as 'do(<variable>)' and environments as 'env'"
                )
        return X.to_numpy(dtype=np.float64, na_value=np.nan)
    A = np.asarray(X)
    if A.dtype.kind == "c":
        raise DataError("data is complex-valued; pass real numbers (e.g. np.abs or .real)")
    try:
        return np.asarray(A, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        if A.ndim == 2:  # find the offending cell to name it
            for j in range(A.shape[1]):
                for r in range(A.shape[0]):
                    try:
                        float(A[r, j])
                    except (TypeError, ValueError):
                        name = names[j] if names is not None and j < len(names) else f"X{j}"
                        raise DataError(
                            f"column {name!r} is not numeric: value {_show(A[r, j])} at row {r}; encode it as "
                            "numbers or drop the column"
                        ) from None
        raise DataError(f"data must be numeric: {exc}; convert or drop non-numeric columns first") from None


def validate_data(X, names: Sequence[str] | None = None, interventions=None, environments=None,
                  *, allow_constant: bool = False):
    """Check a data table and return ``(X float64 (n, d), names, mask bool (n, d) | None, env (n,) | None)``.

    The one validation function every estimator and command goes through. ``X`` may be an array-like or a
    DataFrame (its column names are used when ``names`` is None). Rejects, with a :class:`DataError` naming the
    column/row/value and the fix: non-numeric or complex columns, fewer than 2 rows or columns, NaN or infinite
    values, constant columns (unless ``allow_constant``), duplicate, empty or wrongly counted names, an
    intervention mask (``mask[r, j]`` true when variable ``j`` was intervened on in row ``r``) that is not
    n x d or not 0/1, environment labels that are not one per row or are missing.

    >>> X, names, mask, env = validate_data([[1, 2], [3, 5], [4, 4]], names=["a", "b"])
    >>> X.shape, names, mask, env
    ((3, 2), ['a', 'b'], None, None)
    """
    if names is None and isinstance(X, pd.DataFrame):
        names = [str(c) for c in X.columns]
    X = _numeric_matrix(X, None if names is None else [str(v) for v in names])
    if X.ndim != 2:
        hint = "; for a single variable use X.reshape(-1, 1) (but causal discovery needs >= 2)" if X.ndim == 1 else ""
        raise DataError(f"data must be a 2-D table (rows = samples, columns = variables), got {X.ndim}-D{hint}")
    n, d = X.shape
    if names is None:
        names = [f"X{j}" for j in range(d)]
    if isinstance(names, str):
        raise DataError(f"names must be a list of strings, got the single string {names!r}")
    names = [str(v) for v in names]
    if len(names) != d:
        raise DataError(f"{len(names)} variable names given for {d} columns; pass exactly one name per column")
    seen: dict[str, int] = {}
    for j, v in enumerate(names):
        if not v.strip():
            raise DataError(f"column {j} has an empty name; give every variable a name")
        if v in seen:
            raise DataError(f"duplicate variable name {v!r} (columns {seen[v]} and {j}); rename one of them")
        seen[v] = j
    if n < 2:
        raise DataError(f"need at least 2 rows (samples), got {n}")
    if d < 2:
        raise DataError(f"need at least 2 columns (variables), got {d}: causal discovery needs two or more")
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
            ok = np.isin(mask, (0, 1)) if mask.dtype.kind in "biuf" else np.zeros(mask.shape, dtype=bool)
            if not ok.all():
                r, j = np.argwhere(~ok)[0]
                raise DataError(f"intervention mask for {names[j]!r} has value {_show(mask[r, j])} at row {r}; use 0/1 "
                                "or True/False")
            mask = mask.astype(bool)
    env = None
    if environments is not None:
        env = np.asarray(environments)
        if env.shape != (n,):
            raise DataError(f"environment labels have shape {env.shape}; need one label per row ({n},)")
        missing = pd.isna(env)
        if missing.any():
            raise DataError(f"environment label missing at row {int(np.flatnonzero(missing)[0])} "
                            f"({int(missing.sum())} row(s) in all); give every row an environment label")
    return X, names, mask, env


@dataclass(eq=False)
class Dataset:
    """A validated data table with optional interventions, environments and ground truth.

    Build one with :meth:`from_array`, :meth:`from_dataframe` or :meth:`from_file` (CSV / Parquet), or let an
    estimator's ``fit`` call :func:`as_dataset`. Construction validates everything (:func:`validate_data`).

    Attributes
    ----------
    X : ndarray (n, d) float64
    names : list of str, one per column
    interventions : bool ndarray (n, d) or None -- ``mask[r, j]`` true when ``j`` was intervened on in row ``r``
    environments : ndarray (n,) or None -- environment label per row
    truth : int8 ndarray (d, d) or None -- true graph, ``truth[i, j] = 1`` means ``i -> j`` (cycles allowed,
        e.g. the cyclic Sachs ``cdt18`` graph; metrics that need a DAG refuse those)
    meta : dict -- simulator ground truth (``scm``, ``Z``, ``mixing``, ``targets``, ...) and provenance
        (``source``, ``standardization``). ``meta["allow_constant"] = True`` accepts constant columns.

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
        self.meta = dict(self.meta or {})
        self.X, self.names, self.interventions, self.environments = validate_data(
            self.X, self.names, self.interventions, self.environments,
            allow_constant=self.interventions is not None or bool(self.meta.get("allow_constant", False)),
        )
        if self.truth is not None:
            from scorecause.graph import as_adjacency

            self.truth = as_adjacency(self.truth, d=self.d, name="ground-truth graph")

    # --- shape -------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of rows (samples)."""
        return self.X.shape[0]

    @property
    def d(self) -> int:
        """Number of variables (columns)."""
        return self.X.shape[1]

    @property
    def observational_rows(self) -> np.ndarray:
        """Boolean (n,): rows with no intervention at all."""
        if self.interventions is None:
            return np.ones(self.n, dtype=bool)
        return ~self.interventions.any(axis=1)

    # --- constructors ------------------------------------------------------------------------
    @classmethod
    def from_array(cls, X, names=None, *, interventions=None, environments=None, truth=None, meta=None,
                   standardize: bool = False) -> Dataset:
        """From an (n, d) array; ``names`` default to ``X0 .. X{d-1}``. ``standardize``: see :meth:`standardized`."""
        if names is None and isinstance(X, pd.DataFrame):
            names = [str(c) for c in X.columns]
        ds = cls(_numeric_matrix(X, None if names is None or isinstance(names, str) else [str(v) for v in names]),
                 names, interventions, environments, truth, dict(meta or {}))
        return ds.standardized() if standardize else ds

    @classmethod
    def from_dataframe(cls, df: pd.DataFrame, *, interventions=None, env_column: str | None = "env",
                       truth=None, meta=None, standardize: bool = False) -> Dataset:
        """Build from a DataFrame; ``do(<var>)`` columns become the intervention mask, ``env_column`` the labels.

        Parameters
        ----------
        df : DataFrame
            One numeric column per variable, plus optionally ``do(<var>)`` columns holding 0/1 (or True/False):
            1 marks rows where ``<var>`` was intervened on (absent columns mean "never"); and an environment
            column (default name ``env``; any labels, one per row). Neither kind is a variable.
        interventions : bool array (n, d), optional
            The mask given directly instead of ``do()`` columns (not both).
        env_column : str or None
            Name of the environment column. The default ``"env"`` is used when present; a different name
            must exist. None: no environment column.
        standardize : bool
            Centre and scale each variable (:meth:`standardized`).
        """
        if not isinstance(df, pd.DataFrame):
            raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}")
        cols = [str(c) for c in df.columns]
        dup = pd.Index(cols)[pd.Index(cols).duplicated()]
        if len(dup):
            raise DataError(f"duplicate column name {dup[0]!r}; rename one of the columns")
        df = df.set_axis(cols, axis=1)
        if env_column is not None and env_column not in cols and env_column != "env":
            raise DataError(f"environment column {env_column!r} not found; columns are {cols}")
        env_col = env_column if env_column in cols else None
        do_cols = {c: _DO_COLUMN.match(c).group(1) for c in cols if _DO_COLUMN.match(c)}
        var_cols = [c for c in cols if c not in do_cols and c != env_col]
        if var_cols and var_cols[0].startswith("Unnamed: 0") and len(df) > 1 and \
                np.array_equal(df[var_cols[0]].to_numpy(), np.arange(len(df))):
            raise DataError(f"column {var_cols[0]!r} looks like a saved row index (0, 1, 2, ...); write the file "
                            "without the index (DataFrame.to_csv(path, index=False)) or drop that column")
        env = df[env_col].to_numpy() if env_col is not None else None
        if do_cols:
            if interventions is not None:
                raise DataError("pass interventions either as do(<var>) columns or as the interventions= argument")
            targets = list(do_cols.values())
            for col, var in do_cols.items():
                if var not in var_cols:
                    raise DataError(f"intervention column {col!r} names no variable; variables are {var_cols}")
                if targets.count(var) > 1:
                    raise DataError(f"more than one intervention column for variable {var!r}; keep one do({var})")
            mask = np.zeros((len(df), len(var_cols)), dtype=bool)
            for col, var in do_cols.items():
                values = df[col].to_numpy()
                if values.dtype.kind in "biuf":
                    ok = np.isin(values, (0, 1))
                else:  # object column: only real booleans / 0 / 1, never strings such as "yes"
                    ok = np.array([isinstance(v, (bool, np.bool_, int, float, np.number)) and not pd.isna(v)
                                   and v in (0, 1) for v in values], dtype=bool)
                if not ok.all():
                    r = int(np.flatnonzero(~ok)[0])
                    raise DataError(f"intervention column {col!r} must hold 0/1 (or True/False), found "
                                    f"{_show(values[r])} at row {r}")
                mask[:, var_cols.index(var)] = values.astype(bool)
            interventions = mask
        return cls.from_array(df[var_cols], names=var_cols, interventions=interventions, environments=env,
                              truth=truth, meta=meta, standardize=standardize)

    @classmethod
    def from_file(cls, path, **kwargs) -> Dataset:
        """Read a table with a header: CSV (``.csv``, ``.tsv``, ``.txt``, optionally ``.gz``/``.bz2``/``.xz``/``.zip``)
        or Parquet (``.parquet``/``.pq``), then :meth:`from_dataframe` (``do(<var>)`` and ``env`` columns).

        Keyword arguments go to :meth:`from_dataframe`; ``meta["source"]`` records the path.
        """
        path = Path(path)
        if not path.exists():
            raise DataError(f"data file {str(path)!r} does not exist")
        if path.is_dir():
            raise DataError(f"{str(path)!r} is a directory, not a data file")
        df = _read_table(path)
        meta = dict(kwargs.pop("meta", None) or {}, source=str(path))
        return cls.from_dataframe(df, meta=meta, **kwargs)

    from_csv = from_file
    from_parquet = from_file

    # --- views and transforms ----------------------------------------------------------------
    def to_dataframe(self, *, with_interventions: bool = True) -> pd.DataFrame:
        """Inverse of :meth:`from_dataframe`: ``do(<var>)`` columns (for variables intervened on at least once)
        and an ``env`` column when present.
        """
        extra = with_interventions and (self.interventions is not None or self.environments is not None)
        if extra:
            for v in self.names:
                if _DO_COLUMN.match(v) or (v == "env" and self.environments is not None):
                    raise DataError(f"variable name {v!r} clashes with the file convention (do(<var>) marks "
                                    "interventions, 'env' environments); rename the variable")
        df = pd.DataFrame(self.X, columns=self.names)
        if with_interventions and self.interventions is not None:
            for j, v in enumerate(self.names):
                if self.interventions[:, j].any():
                    df[f"do({v})"] = self.interventions[:, j].astype(np.int8)
        if with_interventions and self.environments is not None:
            df["env"] = self.environments
        return df

    def to_file(self, path) -> Path:
        """Write CSV (optionally compressed, by suffix) or Parquet atomically: a temporary file renamed into
        place, so a failure leaves no partial file. Readable back with :meth:`from_file`.
        """
        from scorecause.fileio import atomic_path

        path = Path(path)
        fmt = data_file_format(path)
        df = self.to_dataframe()
        with atomic_path(path) as tmp:
            if fmt == "parquet":
                df.to_parquet(tmp, index=False)
            else:
                sfx = _suffix(path)
                comp = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zip": "zip"}.get(Path(sfx).suffix)
                df.to_csv(tmp, index=False, sep="\t" if sfx.startswith(".tsv") else ",", compression=comp)
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

    def by_environment(self) -> dict[Any, Dataset]:
        """One Dataset per environment label (in order of first appearance); the CRL input format."""
        if self.environments is None:
            raise DataError("this dataset has no environment labels; pass environments= or an 'env' column")
        labels = pd.unique(pd.Series(self.environments))
        return {lab: self.subset(self.environments == lab) for lab in labels}

    def standardized(self) -> Dataset:
        """Each column centred and scaled to unit variance (population sd, over all rows).

        Constant columns are only centred. ``meta["standardization"]`` keeps ``mean`` and ``scale`` (d,) so
        that ``X_original = X * scale + mean``.
        """
        mean = self.X.mean(axis=0)                         # (d,)
        sd = self.X.std(axis=0)                            # (d,)
        sd[sd == 0] = 1.0
        meta = dict(self.meta, standardization={"mean": mean, "scale": sd})
        return replace(self, X=(self.X - mean) / sd, meta=meta)

    def __repr__(self) -> str:
        extra = []
        if self.interventions is not None:
            extra.append(f"{int(self.interventions.any(axis=1).sum())} intervened rows")
        if self.environments is not None:
            extra.append(f"{len(pd.unique(pd.Series(self.environments)))} environments")
        if self.truth is not None:
            extra.append(f"truth with {int(self.truth.sum())} edges")
        return f"Dataset(n={self.n}, d={self.d}{''.join(', ' + e for e in extra)})"


def as_dataset(X, *, interventions=None, names=None) -> Dataset:
    """Coerce an ndarray, DataFrame or Dataset into a validated :class:`Dataset` (the estimators' entry point).

    ``interventions``: bool (n, d) mask, ``mask[r, j]`` true when variable ``j`` was intervened on in row ``r``.
    """
    if isinstance(X, Dataset):
        if interventions is not None:
            return replace(X, interventions=interventions)
        return X
    if isinstance(X, pd.DataFrame):
        if names is not None:
            X = X.set_axis([str(v) for v in names], axis=1)
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

    @staticmethod
    def _edge(e, kind: str) -> tuple:
        """An edge as a (cause, effect) pair; also accepts the string ``"a -> b"``."""
        if isinstance(e, str):
            parts = [p.strip() for p in e.split("->")]
            if len(parts) != 2 or not all(parts):
                raise PriorError(f"{kind} edge {e!r} must be a pair (cause, effect) or a string 'cause -> effect'")
            return tuple(parts)
        try:
            pair = tuple(e)
        except TypeError:
            raise PriorError(f"{kind} edge {e!r} must be a pair (cause, effect)") from None
        if len(pair) != 2:
            raise PriorError(f"{kind} edge {e!r} must be a pair (cause, effect)")
        return pair

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
                e = self._edge(e, kind)
                i, j = (self._index(v, names, f"{kind} edge {e!r}") for v in e)
                if i == j:
                    raise PriorError(f"{kind} edge {tuple(e)!r} is a self-loop")
                M[i, j] = True
        forb |= self._tier_order(names).T  # a later tier never causes an earlier one
        clash = np.argwhere(req & forb)
        if clash.size:
            i, j = clash[0]
            raise PriorError(
                f"edge {names[i]} -> {names[j]} is required but forbidden (directly or by the tiers); fix the prior"
            )
        from scorecause.graph import is_dag

        if not is_dag(req):
            left = np.ones(d, dtype=bool)  # peel sources and sinks; what remains lies on or between cycles
            changed = True
            while changed:
                sub = req & left[:, None] & left[None, :]
                keep = left & sub.any(axis=0) & sub.any(axis=1)
                changed = bool((keep != left).any())
                left = keep
            raise PriorError(f"the required edges form a directed cycle among {[names[i] for i in np.flatnonzero(left)]};"
                             " no DAG can satisfy them: drop one of those required edges")
        return req, forb

    def precedence(self, names: Sequence[str]) -> np.ndarray:
        """Bool d x d: ``P[i, j]`` true when ``i`` must come before ``j`` in any causal order.

        From required edges (transitively) and tiers.
        """
        from scorecause.graph import is_dag, transitive_closure

        req, _ = self.bind(names)
        P = req | self._tier_order([str(v) for v in names])
        if not is_dag(P):
            raise PriorError("required edges contradict the tiers (a variable would precede itself)")
        return transitive_closure(P).astype(bool)

    def _tier_order(self, names: list[str]) -> np.ndarray:
        """Bool d x d: ``T[i, j]`` true when ``i`` is in an earlier tier than ``j`` (validates the tiers)."""
        d = len(names)
        tier_of = np.full(d, -1)
        for t, group in enumerate(self.tiers):
            if isinstance(group, str) or not hasattr(group, "__iter__"):
                raise PriorError(f"tier {t} must be a list of variables, got {group!r} (write [{group!r}])")
            for v in group:
                i = self._index(v, names, f"tier {t}")
                if tier_of[i] >= 0:
                    raise PriorError(f"variable {names[i]!r} appears in tiers {tier_of[i]} and {t}")
                tier_of[i] = t
        both = tier_of >= 0
        return both[:, None] & both[None, :] & (tier_of[:, None] < tier_of[None, :])

    def is_empty(self) -> bool:
        return not (self.required or self.forbidden or self.tiers)

    @classmethod
    def from_dict(cls, spec: dict) -> Prior:
        unknown = set(spec) - {"required", "forbidden", "tiers"}
        if unknown:
            raise PriorError(f"unknown prior key(s) {sorted(unknown)}; use 'required', 'forbidden', 'tiers'")
        out = {}
        for key in ("required", "forbidden", "tiers"):
            value = spec.get(key) or []
            if isinstance(value, (str, dict)) or not hasattr(value, "__iter__"):
                raise PriorError(f"prior key {key!r} must be a list, got {value!r}")
            out[key] = list(value)
        return cls(required=[cls._edge(e, "required") for e in out["required"]],
                   forbidden=[cls._edge(e, "forbidden") for e in out["forbidden"]],
                   tiers=out["tiers"])

    def to_dict(self) -> dict:
        """``{"required": [[a, b], ...], "forbidden": [...], "tiers": [[...], ...]}`` (JSON/YAML ready)."""
        return {"required": [list(self._edge(e, "required")) for e in self.required],
                "forbidden": [list(self._edge(e, "forbidden")) for e in self.forbidden],
                "tiers": [list(t) for t in self.tiers]}

    @classmethod
    def from_file(cls, path) -> Prior:
        """Read a JSON or YAML file ``{"required": [[a, b], ...], "forbidden": [...], "tiers": [[...], ...]}``.

        Edges may also be written as strings ``"a -> b"``.
        """
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
