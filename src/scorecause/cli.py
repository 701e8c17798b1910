"""The ``scorecause`` command: parse arguments, call the public API, write results. No algorithm here.

Every command exits non-zero with a one-line ``error: ...`` message on bad input, and writes its output
files atomically (temporary name + rename), so a failed command leaves no partial file.
"""

from __future__ import annotations

import functools
import sys

import click

from scorecause import __version__
from scorecause.errors import ScorecauseError


def friendly_errors(func):
    """Turn scorecause (and file) errors into ``error: <message>`` and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (ScorecauseError, FileNotFoundError, PermissionError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="scorecause")
def main():
    """scorecause: causal discovery and causal representation learning with score functions.

    Adjacency convention in every file: A[i, j] = 1 means i -> j (row causes column).
    """


# --- foundation commands: simulate, evaluate, datasets ---

# --- discovery commands: discover ---

# --- amortized commands: train-amortized ---

# --- crl commands: crl ---

# --- bench commands: bench, bench-report ---


if __name__ == "__main__":  # pragma: no cover
    main()
