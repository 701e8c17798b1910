"""The method registry: ``scorecause.methods`` maps a method name to its estimator class.

Entries are import strings resolved on first use, so importing scorecause stays fast and optional
dependencies (causal-learn, lingam, ...) are only imported when their method is asked for.
A new method is one class plus one line in ``_METHODS``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

# name -> "module:ClassName"
_METHODS: dict[str, str] = {
    # --- discovery (issue: score-matching discovery) ---
    "score": "scorecause.discovery.score:SCORE",
    "das": "scorecause.discovery.das:DAS",
    "nogam": "scorecause.discovery.nogam:NoGAM",
    "scoresort": "scorecause.discovery.sort:ScoreSort",
    "varsort": "scorecause.discovery.sort:VarSort",
    "adascore": "scorecause.discovery.adascore:AdaScore",
    "r2sort": "scorecause.discovery.sort:R2Sort",
    # --- amortized ---
    "avici": "scorecause.amortized.estimator:AVICI",
    "amortized": "scorecause.amortized.aggregator:Amortized",
    # --- crl ---
    "lscale": "scorecause.crl.lscale:LSCALE_I",
    "gscale": "scorecause.crl.gscale:GSCALE_I",
    "umni": "scorecause.crl.umni:UMNI",
    "lcd": "scorecause.crl.squires:LinearCausalDisentanglement",
    # --- baselines ---
    "pc": "scorecause.bench.baselines:PC",
    "ges": "scorecause.bench.baselines:GES",
    "directlingam": "scorecause.bench.baselines:DirectLiNGAM",
    "gies": "scorecause.bench.baselines:GIES",
    "empty": "scorecause.bench.baselines:EmptyGraph",
    "random": "scorecause.bench.baselines:RandomDAG",
}


class MethodRegistry(Mapping):
    """Read-only, lazily importing mapping ``name -> estimator class``."""

    def __init__(self, table: dict[str, str]):
        self._table = table

    def __getitem__(self, name: str):
        try:
            target = self._table[name.lower()]
        except KeyError:
            raise KeyError(
                f"unknown method {name!r}; available: {', '.join(sorted(self._table))}"
            ) from None
        module, _, cls = target.partition(":")
        return getattr(importlib.import_module(module), cls)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._table))

    def __len__(self) -> int:
        return len(self._table)

    def create(self, name: str, **params):
        """Instantiate method ``name`` with hyperparameters ``params``."""
        return self[name](**params)


def register(name: str, target: str) -> None:
    """Register ``target`` ("module:Class") under ``name`` (used by plug-ins and tests)."""
    _METHODS[name.lower()] = target


methods = MethodRegistry(_METHODS)
