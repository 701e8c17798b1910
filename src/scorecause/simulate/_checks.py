"""Argument checks shared by the simulators (one place for each message)."""

from __future__ import annotations

import numpy as np

from scorecause.errors import ConfigError


def check_rng(rng) -> np.random.Generator:
    """``rng`` itself, or a ConfigError when it is not a ``numpy.random.Generator`` (no global seeding)."""
    if not isinstance(rng, np.random.Generator):
        raise ConfigError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
                          f"got {type(rng).__name__}")
    return rng


def check_count(value, name: str, minimum: int, meaning: str) -> int:
    """``value`` as an int ``>= minimum``, else a ConfigError such as ``d must be an integer >= 2 (number of
    variables), got d=1``. Booleans and floats are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum} ({meaning}), got {name}={value!r}")
    return int(value)
