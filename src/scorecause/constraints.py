"""Parameter constraints: declared once per estimator, checked in ``fit``, listed by the CLI.

Every estimator class declares ``_parameter_constraints``, a mapping ``parameter name -> list of
constraints`` (scikit-learn's convention): a value is valid when it satisfies **any** constraint of its list.
A constraint is ``None`` (the value ``None``), a type (``str``), an :class:`Interval`, an :class:`Options`
set or a :class:`Predicate`. :func:`validate_params` checks an estimator's current parameters and raises a
:class:`~scorecause.errors.ConfigError` naming the class, the parameter, the value and what is allowed;
:func:`describe_params` lists default, allowed values and a one-line description per parameter (the CLI's
``discover --help-method``).

>>> class Demo:
...     _parameter_constraints = {"alpha": [Interval(float, 0, 1, closed="neither")]}
...     def get_params(self, deep=False): return {"alpha": 5.0}
>>> validate_params(Demo())
Traceback (most recent call last):
...
scorecause.errors.ConfigError: Demo parameter alpha=5.0 is invalid: must be a float in (0, 1)
"""

from __future__ import annotations

import inspect
import numbers
import os
import re
from collections.abc import Callable, Sequence

import numpy as np

from scorecause.errors import ConfigError

__all__ = ["Interval", "Options", "Predicate", "validate_params", "describe_params", "constraint_text",
           "BOOL", "RANDOM_STATE", "N_JOBS", "DEVICE", "PROBABILITY", "POSITIVE", "PATH"]


class Interval:
    """Numbers of ``kind`` (``int``, ``float`` = any real) between ``left`` and ``right`` (None: unbounded).

    ``closed`` is one of ``"both"``, ``"left"``, ``"right"``, ``"neither"``. Booleans are never numbers here.

    >>> 0.5 in Interval(float, 0, 1, closed="neither"), 1 in Interval(float, 0, 1, closed="neither")
    (True, False)
    >>> str(Interval(int, 1, None))
    'an int >= 1'
    """

    def __init__(self, kind, left=None, right=None, *, closed: str = "both"):
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def __contains__(self, value) -> bool:
        if isinstance(value, (bool, np.bool_)):
            return False
        want = numbers.Integral if self.kind is int else numbers.Real
        if not isinstance(value, want) or (isinstance(value, numbers.Real) and not np.isfinite(value)):
            return False
        if self.left is not None and (value < self.left or (value == self.left and self.closed in
                                                             ("right", "neither"))):
            return False
        return not (self.right is not None and (value > self.right or (value == self.right and self.closed in
                                                                      ("left", "neither"))))

    def __str__(self) -> str:
        noun = "an int" if self.kind is int else "a float"
        lo, hi = self.left, self.right
        if lo is not None and hi is not None:
            brackets = {"both": "[]", "left": "[)", "right": "(]", "neither": "()"}[self.closed]
            return f"{noun} in {brackets[0]}{lo:g}, {hi:g}{brackets[1]}"
        if lo is not None:
            return f"{noun} {'>=' if self.closed in ('both', 'left') else '>'} {lo:g}"
        if hi is not None:
            return f"{noun} {'<=' if self.closed in ('both', 'right') else '<'} {hi:g}"
        return noun


class Options:
    """One of a fixed set of values (compared with ``==``, never matching a bool to 0/1).

    >>> str(Options({"var", "median"}))
    "one of 'median', 'var'"
    """

    def __init__(self, values):
        self.values = set(values)

    def __contains__(self, value) -> bool:
        try:
            return value in self.values and not isinstance(value, (bool, np.bool_))
        except TypeError:  # unhashable value
            return False

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in sorted(self.values, key=str))


class Predicate:
    """Any value for which ``test(value)`` is true; ``text`` says what that is (for messages)."""

    def __init__(self, test: Callable[[object], bool], text: str):
        self.test, self.text = test, text

    def __contains__(self, value) -> bool:
        try:
            return bool(self.test(value))
        except Exception:  # a test that cannot handle the value rejects it
            return False

    def __str__(self) -> str:
        return self.text


def _is_bool(v) -> bool:
    return isinstance(v, (bool, np.bool_))


def _device_ok(v) -> bool:
    if isinstance(v, str):
        return v in ("cpu", "cuda", "auto") or re.fullmatch(r"cuda:\d+", v) is not None
    return type(v).__name__ == "device" and type(v).__module__.startswith("torch")


def positive_floats(v) -> bool:
    """True for a non-empty sequence of finite positive numbers (e.g. a grid of ridges)."""
    return (isinstance(v, Sequence) and not isinstance(v, str) and len(v) > 0
            and all(x in Interval(float, 0, None, closed="neither") for x in v))


BOOL = Predicate(_is_bool, "True or False")
RANDOM_STATE = [None, Interval(int, 0, None), np.random.Generator]
N_JOBS = [None, Interval(int, 1, None), Interval(int, None, -1)]
DEVICE = [Predicate(_device_ok, "'cpu', 'cuda', 'cuda:<index>', 'auto' or a torch.device")]
PROBABILITY = [Interval(float, 0, 1, closed="neither")]
POSITIVE = [Interval(float, 0, None, closed="neither")]
PATH = [str, os.PathLike]
POSITIVE_FLOATS = [Predicate(positive_floats, "a non-empty sequence of floats > 0")]


def constraint_text(constraints) -> str:
    """Plain-words description of a constraint list, e.g. ``"an int >= 1 or None"``."""
    parts = []
    for c in constraints:
        if c is None:
            parts.append("None")
        elif isinstance(c, type):
            parts.append({str: "a string", os.PathLike: "a path", np.random.Generator: "a numpy Generator"}
                         .get(c, f"a {c.__name__}"))
        else:
            text = str(c)
            if c is N_JOBS[2]:
                text = "an int <= -1 (-1: all cores)"
            parts.append(text)
    return " or ".join(parts)


def _satisfies(value, constraint) -> bool:
    if constraint is None:
        return value is None
    if isinstance(constraint, type):
        return isinstance(value, constraint)
    return value in constraint


def validate_params(estimator) -> None:
    """Check every parameter of ``estimator`` against its class's ``_parameter_constraints``.

    Raises
    ------
    ConfigError
        ``"<Class> parameter <name>=<value> is invalid: must be <allowed>"`` for the first bad value.
    """
    table = getattr(type(estimator), "_parameter_constraints", None)
    if table is None:
        return
    name = type(estimator).__name__
    for param, value in estimator.get_params(deep=False).items():
        constraints = table.get(param)
        if constraints is None:
            continue
        if not any(_satisfies(value, c) for c in constraints):
            raise ConfigError(f"{name} parameter {param}={value!r} is invalid: must be "
                              f"{constraint_text(constraints)}")


def _doc_descriptions(cls) -> dict[str, str]:
    """``name -> first sentence`` from the numpydoc ``Parameters`` sections of ``cls`` and its bases."""
    found: dict[str, str] = {}
    for klass in cls.__mro__:
        doc = inspect.cleandoc(klass.__dict__.get("__doc__") or "")
        lines = doc.splitlines()
        if "Parameters" not in lines:
            continue
        start = lines.index("Parameters") + 2
        for i in range(start, len(lines)):
            line = lines[i]
            if line and not line.startswith(" ") and i + 1 < len(lines) and set(lines[i + 1]) == {"-"}:
                break  # next section
            m = re.match(r"^([A-Za-z_][\w]*)(?:\s*:\s*(.*))?$", line)
            if not m:
                continue
            body = []
            for nxt in lines[i + 1:]:
                if not nxt.startswith(" "):
                    break
                body.append(nxt.strip())
            text = " ".join(body) or (m.group(2) or "")
            text = re.split(r"(?<=\.)\s", text, maxsplit=1)[0]
            found.setdefault(m.group(1), text)
    return found


def describe_params(cls) -> list[dict]:
    """One dict per parameter of ``cls``: ``name``, ``default``, ``allowed`` (text), ``description``."""
    signature = inspect.signature(cls.__init__)
    docs = _doc_descriptions(cls)
    table = getattr(cls, "_parameter_constraints", {}) or {}
    rows = []
    for name, p in signature.parameters.items():
        if name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        rows.append({"name": name, "default": None if p.default is p.empty else p.default,
                     "allowed": constraint_text(table[name]) if name in table else "any",
                     "description": docs.get(name, "")})
    return rows
