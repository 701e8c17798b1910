"""Every file scorecause writes goes through here: atomic writes (temporary file + rename) and one output guard.

:func:`atomic_path` stages one file; :func:`atomic_paths` stages several files that must appear together
(e.g. a data file and its true graph): either all of them are renamed into place or none is.

Data safety, in one place for every writer:

* a symlink is written *through*: the temporary file is made next to the link's target and renamed onto the
  target, so the link stays a link (never replaced by a regular file);
* an error while writing names the user's path, never the temporary file;
* inside :func:`guarded_outputs` (every command of the CLI) a write is refused when its destination is one of
  the command's input files (compared through symlinks and hard links) or an existing file the user did not
  allow to be replaced (``--overwrite``). Outside it (plain Python calls) existing files are replaced, as
  ``pandas.DataFrame.to_csv`` does.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from scorecause.errors import ConfigError


def write_target(path) -> Path:
    """The file a write to ``path`` really changes: the final target when ``path`` is a symlink, else ``path``.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "link.csv").symlink_to(d / "real.csv")
    >>> write_target(d / "link.csv").name
    'real.csv'
    """
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _same_file(a: Path, b: Path) -> bool:
    """True when ``a`` and ``b`` name the same file: same resolved path, or same inode (hard link)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist
        return False


def _inside(path: Path, folder: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))


@dataclass
class OutputPolicy:
    """What a command may write: never one of ``inputs``; an existing file only when ``overwrite``.

    ``inputs`` are files (or folders, protecting everything inside them) the command reads. A file this
    policy has already written may be written again (e.g. a figure and the page that embeds it).
    """

    inputs: tuple[Path, ...] = ()
    overwrite: bool = False
    written: set[str] = field(default_factory=set)

    def check(self, path) -> Path:
        """Raise :class:`ConfigError` naming ``path`` when writing it breaks the policy; return the target."""
        target = write_target(path)
        shown = str(path) if str(path) == str(target) else f"{path} (a link to {target})"
        for inp in self.inputs:
            if _same_file(target, inp) or (inp.is_dir() and _inside(target, inp)):
                what = "is the input file" if not inp.is_dir() else "lies inside the input folder"
                raise ConfigError(f"refusing to write {shown}: it {what} {str(inp)!r} of this command; "
                                  "choose another output path")
        if target.exists() and not self.overwrite and os.path.realpath(target) not in self.written:
            raise ConfigError(f"{shown} already exists; pass --overwrite to replace it, or choose another path")
        return target


_POLICY: contextvars.ContextVar[OutputPolicy | None] = contextvars.ContextVar("scorecause_output_policy",
                                                                                default=None)


def check_outputs(outputs=(), *, inputs=(), overwrite: bool = False) -> OutputPolicy:
    """Check ``outputs`` against an :class:`OutputPolicy` built from ``inputs`` and ``overwrite``; return it.

    None entries and missing inputs are skipped. Raises :class:`ConfigError` naming the first bad path.
    """
    policy = OutputPolicy(tuple(Path(p) for p in inputs if p is not None and Path(p).exists()), overwrite)
    for path in outputs:
        if path is not None:
            policy.check(path)
    return policy


@contextlib.contextmanager
def guarded_outputs(outputs=(), *, inputs=(), overwrite: bool = False):
    """Check ``outputs`` now (before any work) and guard every write inside the block by the same rules.

    Parameters
    ----------
    outputs : paths the block will write (None entries are skipped); checked at once so that a command fails
        before a long fit, not after it. Files written by library code inside the block are checked too.
    inputs : paths the command reads (None and missing ones are skipped); a folder protects its contents.
    overwrite : allow replacing existing files (the CLI's ``--overwrite``).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); data = d / "data.csv"; _ = data.write_text("a,b\\n1,2\\n")
    >>> with guarded_outputs([data], inputs=[data], overwrite=True):  # doctest: +ELLIPSIS
    ...     pass
    Traceback (most recent call last):
    scorecause.errors.ConfigError: refusing to write ... it is the input file ... of this command; ...
    """
    policy = check_outputs(outputs, inputs=inputs, overwrite=overwrite)
    token = _POLICY.set(policy)
    try:
        yield policy
    finally:
        _POLICY.reset(token)


def _guard(paths) -> list[Path]:
    """The write targets of ``paths``, checked against the active :class:`OutputPolicy` (if any)."""
    policy = _POLICY.get()
    return [policy.check(p) if policy is not None else write_target(p) for p in paths]


def _written(targets) -> None:
    policy = _POLICY.get()
    if policy is not None:
        policy.written.update(os.path.realpath(t) for t in targets)


def _named(exc: OSError, tmp, path) -> OSError:
    """``exc`` restated with the user's ``path`` instead of the temporary file ``tmp`` it happened on."""
    if exc.errno is not None:
        return OSError(exc.errno, exc.strerror or str(exc), str(path))  # OSError picks the subclass by errno
    named = OSError(f"cannot write {str(path)!r}: {str(exc).replace(str(tmp), str(path))}")
    named.filename = str(path)
    return named


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path next to ``path``'s target; on success rename it onto the target, on error
    delete it. Nothing half-written ever appears under ``path``; a symlink ``path`` stays a link.
    """
    (target,) = _guard([path])
    try:
        Path(os.path.realpath(target.parent)).mkdir(parents=True, exist_ok=True)  # through a dangling link too
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _named(exc, target, path) from None
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _named(exc, tmp, path) from None
        raise
    _written([target])


@contextlib.contextmanager
def atomic_paths(*paths):
    """Yield temporary paths next to ``paths`` (their targets, for symlinks), each keeping its final suffixes
    (``.csv.gz`` stays ``.csv.gz``, so writers that choose the format by suffix behave the same); rename all of
    them into place only when the block succeeds. On any error every temporary file is deleted and no final
    path is touched, so a failed command leaves no partial output (and an existing file is kept).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_paths(d / "a.csv", d / "b.json") as (ta, tb):
    ...     _ = ta.write_text("x"), tb.write_text("{}")
    >>> sorted(p.name for p in d.iterdir())
    ['a.csv', 'b.json']
    """
    import secrets

    targets = _guard(paths)
    if len({os.path.realpath(t) for t in targets}) != len(targets):
        raise ConfigError(f"output paths must differ, got {[str(p) for p in paths]}")
    token = secrets.token_hex(4)
    temps = [t.parent / f".{t.name.split('.')[0]}-partial-{token}{''.join(t.suffixes)}" for t in targets]
    current = None  # the index of the path being prepared or renamed, if any
    try:
        for k, t in enumerate(targets):
            current = k
            Path(os.path.realpath(t.parent)).mkdir(parents=True, exist_ok=True)  # through a dangling link too
        current = None
        yield temps
        for k, (tmp, t) in enumerate(zip(temps, targets)):
            current = k
            os.replace(tmp, t)
    except OSError as exc:
        # an error on a temporary file (or a rename) names the user's path; other OS errors pass unchanged
        if current is None:
            current = next((k for k, tmp in enumerate(temps) if str(tmp) == str(exc.filename) or str(tmp) in str(exc)),
                           None)
        if current is not None:
            raise _named(exc, temps[current], paths[current]) from None
        if exc.filename is None:  # e.g. a full disk while writing: the error names no file, say which ones
            shown = ", ".join(repr(str(p)) for p in paths)
            raise OSError(f"{exc.strerror or exc} while writing {shown}") from None
        raise
    finally:
        for tmp in temps:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    _written(targets)


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


def check_results_folder(path, markers=("spec.json", "parts", "results.parquet")) -> Path:
    """Refuse to use ``path`` as a results folder when it exists, is not empty and holds none of ``markers``.

    A results folder is rewritten in place (``--resume``); this keeps such a run from writing into (and
    replacing files of) an unrelated folder.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{str(path)!r} is a file; --out needs a results folder (new or from an earlier run)")
    if path.is_dir() and any(path.iterdir()) and not any((path / m).exists() for m in markers):
        raise ConfigError(f"{str(path)!r} is a folder with other files, not a results folder of an earlier run; "
                          "choose a new or empty folder for --out")
    return path
