"""Small file helpers shared by writers: atomic writes (temporary file + rename).

:func:`atomic_path` stages one file; :func:`atomic_paths` stages several files that must appear together
(e.g. a data file and its true graph): either all of them are renamed into place or none is.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path next to ``path``; on success rename it onto ``path``, on error delete it.

    Nothing half-written ever appears under ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_paths(*paths):
    """Yield temporary paths next to ``paths``, each keeping its final suffixes (``.csv.gz`` stays
    ``.csv.gz``, so writers that choose the format by suffix behave the same); rename all of them into
    place only when the block succeeds. On any error every temporary file is deleted and no final path is
    touched, so a failed command leaves no partial output (and an existing file is kept).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_paths(d / "a.csv", d / "b.json") as (ta, tb):
    ...     _ = ta.write_text("x"), tb.write_text("{}")
    >>> sorted(p.name for p in d.iterdir())
    ['a.csv', 'b.json']
    """
    import secrets

    from scorecause.errors import ConfigError

    finals = [Path(p) for p in paths]
    if len({f.resolve() for f in finals}) != len(finals):
        raise ConfigError(f"output paths must differ, got {[str(f) for f in finals]}")
    token = secrets.token_hex(4)
    temps = [f.parent / f".{f.name.split('.')[0]}-partial-{token}{''.join(f.suffixes)}" for f in finals]
    for f in finals:
        f.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield temps
        for tmp, final in zip(temps, finals):
            os.replace(tmp, final)
    finally:
        for tmp in temps:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)
    return Path(path)


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)
    return Path(path)
