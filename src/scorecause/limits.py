"""Size guards: one place that decides, before any O(n^2) / O(n^3) work, whether a fit can run as asked.

Every estimator class states its reach with three class attributes and one method:

``min_rows``
    fewest rows the method can use at all (fewer: :class:`~scorecause.errors.DataError` naming the limit);
``max_features``
    number of variables beyond which the method is far outside what it was built or measured for
    (a :class:`SizeWarning` naming the limit; the run continues; beyond ten times the limit a
    :class:`~scorecause.errors.DataError`);
``max_rows`` parameter (kernel methods)
    the **large-n path** of ``n x n`` kernels: above ``max_rows`` rows a seeded random subsample of ``max_rows``
    rows is used, with a :class:`SizeWarning` notice; ``max_rows=None`` uses every row. An estimator whose
    ``_row_cap()`` returns None uses every row whatever ``max_rows`` says (SCORE, DAS, NoGAM with
    ``scores="nystrom"``: their memory is ``O(n r)``, and ``_memory_bytes`` knows it);
``_memory_bytes(n, d)``
    the estimated peak memory of the fit on ``n`` rows (e.g. 10 float64 ``n x n`` matrices for the Stein
    kernel methods, measured); ``memory_fix`` says what to change when it is too large;
``_seconds(n, d)``
    a rough run-time estimate (flop count at about 10 GFLOP/s); above an hour a :class:`SizeWarning`.

:func:`check_size` applies them: when the memory estimate of the rows actually used exceeds this machine's
memory, it stops with a one-line error that gives the fix (``max_rows``) instead of attempting the allocation.
Fewer rows than variables gives a warning (estimates are unreliable there), or an error for a method that
sets ``needs_more_rows_than_variables`` (its regression needs ``n > d``).
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from scorecause.errors import DataError

__all__ = ["SizeWarning", "check_size", "physical_memory", "kernel_bytes", "MEMORY_BUDGET"]

#: memory the default ``max_rows`` of a kernel method is chosen to stay under (bytes)
MEMORY_BUDGET = 2 * 2**30
#: estimated run time (``_seconds``) above which a fit warns first
LONG_RUN_S = 3600.0


class SizeWarning(UserWarning):
    """The data are outside a method's comfortable range (subsampled rows, n <= d, d beyond its reach)."""


def physical_memory() -> int:
    """Total memory of this machine in bytes (16 GiB when the platform cannot tell)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 16 * 2**30


def kernel_bytes(n: int, n_matrices: float) -> float:
    """Bytes of ``n_matrices`` float64 ``n x n`` matrices."""
    return float(n_matrices) * 8.0 * float(n) ** 2


def _fmt_bytes(b: float) -> str:
    return f"{b / 2**30:.1f} GB" if b >= 2**30 else f"{b / 2**20:.0f} MB"


def _seed(random_state):
    return random_state if isinstance(random_state, (int, np.integer, np.random.Generator)) else 0


def check_size(estimator, data):
    """Apply ``estimator``'s size limits to ``data`` (a Dataset); returns the Dataset to fit on.

    Raises :class:`DataError` for too few rows or an estimated memory above this machine's; warns
    (:class:`SizeWarning`) for a subsample, ``n <= d`` and ``d > max_features``.
    """
    name = type(estimator).__name__
    n, d = data.n, data.d
    min_rows = int(getattr(estimator, "min_rows", 2))
    if n < min_rows:
        raise DataError(f"{name} needs at least {min_rows} rows, the data have {n} (x {d} variables); "
                        "give more rows")
    max_features = getattr(estimator, "max_features", None)
    if max_features is not None and d > 10 * max_features:
        raise DataError(f"{name} handles up to about {max_features} variables, the data have {d}: far beyond "
                        f"its reach; select at most {max_features} variables (or use a method built for more)")
    if max_features is not None and d > max_features:
        warnings.warn(f"{name} is built for up to about {max_features} variables, the data have {d}: expect a "
                      "very long run and poor accuracy; select variables first", SizeWarning, stacklevel=3)
    if n <= d and getattr(estimator, "needs_more_rows_than_variables", False):
        raise DataError(f"{name} needs more rows than variables, the data have {n} rows x {d} variables; give "
                        "more rows or select fewer variables")
    if n <= d:
        warnings.warn(f"{name}: only {n} rows for {d} variables (n <= d); the learned graph is unreliable, "
                      "give more rows than variables", SizeWarning, stacklevel=3)
    row_cap = getattr(estimator, "_row_cap", None)  # e.g. None for a Nyström score path, which uses every row
    max_rows = row_cap() if row_cap is not None else estimator.get_params(deep=False).get("max_rows")
    if max_rows is not None and n > max_rows:
        rows = np.sort(np.random.default_rng(_seed(getattr(estimator, "random_state", None)))
                       .choice(n, size=int(max_rows), replace=False))
        warnings.warn(f"{name}: using a random subsample of {max_rows} of the {n} rows (seeded; its kernels "
                      f"need about {_fmt_bytes(estimator._memory_bytes(max_rows, d))}, all rows would need "
                      f"{_fmt_bytes(estimator._memory_bytes(n, d))}); set max_rows (--param max_rows=N) to "
                      "change it", SizeWarning, stacklevel=3)
        data, n = data.subset(rows), int(max_rows)
    need, have = estimator._memory_bytes(n, d), physical_memory()
    if need > have:
        fix = ("set max_rows (e.g. --param max_rows=5000) to fit on a row subsample" if "max_rows" in
               estimator.get_params(deep=False) else getattr(estimator, "memory_fix", "use fewer rows"))
        raise DataError(f"{name} on {n} rows x {d} variables needs about {_fmt_bytes(need)} of memory, this "
                        f"machine has {_fmt_bytes(have)}; {fix}")
    seconds = estimator._seconds(n, d)
    if seconds > LONG_RUN_S:
        fix = "lower max_rows" if "max_rows" in estimator.get_params(deep=False) else "use fewer rows or variables"
        warnings.warn(f"{name} on {n} rows x {d} variables may take roughly {seconds / 3600:.0f} hours on one "
                      f"core (a rough estimate); {fix} for a quicker run", SizeWarning, stacklevel=3)
    return data
