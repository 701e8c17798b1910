"""Benchmark harness: YAML specs -> grids of cells -> resumable, parallel runs -> reports.

>>> from scorecause.bench import run_bench          # doctest: +SKIP
>>> df = run_bench("benchmarks/specs/smoke.yaml", "runs/smoke", n_jobs=2)  # doctest: +SKIP

See ``docs/benchmarks.md``. Baseline adapters (PC, GES, DirectLiNGAM, GIES, empty, random) live in
:mod:`scorecause.bench.baselines` and are registered in :data:`scorecause.methods`.
"""

from scorecause.bench.runner import TIMING_COLUMNS, load_results, run_bench, run_cell
from scorecause.bench.spec import BenchSpec, Cell, load_spec

__all__ = ["BenchSpec", "Cell", "TIMING_COLUMNS", "load_results", "load_spec", "run_bench", "run_cell"]
