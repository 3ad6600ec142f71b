"""Declared constraints on arguments: the one home of calckit's validation.

A constraint is data (``is_satisfied_by(value)``, ``describe()``), in the
manner of scikit-learn's ``_parameter_constraints``; :func:`check` and
:func:`validate` turn a broken one into an :class:`InvalidParameterError`
that names the parameter, its owner and the value, always worded the same:

>>> check(1.5, Interval(0, 1, closed="left"), "beta", "Adam")
Traceback (most recent call last):
...
calckit.errors.InvalidParameterError: The 'beta' parameter of Adam must be \
a float in [0, 1). Got 1.5 instead.
>>> Pair(Interval(0, 1, closed="left")).describe()
'two floats in [0, 1)'
>>> positive_int(3, "epochs", "fit"), positive_int(None, "b", "f", none_ok=True)
(3, None)
>>> float(as_rng(seed=3).integers(10)) == float(as_rng(3).integers(10))
True

NumPy and the standard library only: every layer may import it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from calckit.errors import InvalidParameterError, NumericError

__all__ = [
    "Boolean",
    "Integer",
    "Interval",
    "Options",
    "Pair",
    "Seed",
    "as_rng",
    "check",
    "finite",
    "is_real",
    "positive_int",
    "validate",
]


def is_real(value: Any) -> bool:
    """A finite real number (not a bool; an int beyond the float range is not
    finite)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an int such as 10**400
        return False


class Interval:
    """A finite real number in an interval; ``None`` bounds are infinite.

    ``closed`` is ``"both"``, ``"left"``, ``"right"`` or ``"neither"``.
    """

    def __init__(self, low=None, high=None, *, closed: str = "both"):
        self.low, self.high, self.closed = low, high, closed

    def is_satisfied_by(self, value: Any) -> bool:
        if not is_real(value):
            return False
        v = float(value)
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and (v < self.low or (v == self.low and not left)):
            return False
        if self.high is not None and (v > self.high or (v == self.high and not right)):
            return False
        return True

    def _range(self) -> str:
        left = "[" if self.closed in ("both", "left") and self.low is not None else "("
        right = (
            "]" if self.closed in ("both", "right") and self.high is not None else ")"
        )
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"{left}{low}, {high}{right}"

    def describe(self) -> str:
        return f"a float in {self._range()}"


class Integer:
    """An int (not a bool) ``>= low``; ``None`` too when ``none_ok``."""

    def __init__(self, low: int = 1, *, none_ok: bool = False):
        self.low, self.none_ok = low, none_ok

    def is_satisfied_by(self, value: Any) -> bool:
        if value is None:
            return self.none_ok
        if (not isinstance(value, (numbers.Integral, np.integer))
                or isinstance(value, (bool, np.bool_))):
            return False
        return int(value) >= self.low

    def describe(self) -> str:
        kind = "a positive int" if self.low == 1 else f"an int >= {self.low}"
        return kind + (" or None" if self.none_ok else "")


class Pair:
    """Two numbers, each satisfying ``inner``."""

    def __init__(self, inner: Interval):
        self.inner = inner

    def is_satisfied_by(self, value: Any) -> bool:
        return (
            isinstance(value, (tuple, list))
            and len(value) == 2
            and all(self.inner.is_satisfied_by(v) for v in value)
        )

    def describe(self) -> str:
        return f"two floats in {self.inner._range()}"


class Boolean:
    """``True`` or ``False`` (not 0/1)."""

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, (bool, np.bool_))

    def describe(self) -> str:
        return "a bool (True or False)"


class Options:
    """One of a fixed set of values (strings, usually; an int or bool option
    also takes its NumPy scalar, but an int option never a bool or a float).
    ``description`` replaces the default "one of ..." in messages."""

    def __init__(self, *options: Any, description: str | None = None):
        self.options, self.description = options, description

    def is_satisfied_by(self, value: Any) -> bool:
        if isinstance(value, np.bool_):
            value = bool(value)
        elif isinstance(value, np.integer):
            value = int(value)
        return any(type(value) is type(o) and value == o for o in self.options)

    def describe(self) -> str:
        return self.description or "one of " + ", ".join(repr(o) for o in self.options)


class Seed:
    """A random seed: an int >= 0, or a ``numpy.random.Generator``."""

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, np.random.Generator) or Integer(0).is_satisfied_by(
            value)

    def describe(self) -> str:
        return "an int >= 0 or a numpy.random.Generator"


def check(value: Any, constraint: Any, name: str, owner: str | None = None) -> Any:
    """``value`` when it satisfies ``constraint``, else
    :class:`InvalidParameterError` naming ``name`` (and ``owner``)."""
    if not constraint.is_satisfied_by(value):
        of = f" of {owner}" if owner else ""
        raise InvalidParameterError(
            f"The {name!r} parameter{of} must be {constraint.describe()}. "
            f"Got {value!r} instead."
        )
    return value


def validate(owner: str, constraints: Mapping[str, Any], values: Mapping) -> None:
    """:func:`check` every ``values[name]`` against ``constraints[name]``.

    >>> validate("Adam", {"betas": Pair(Interval(0, 1, closed="left"))},
    ...          {"betas": (1.5, 0.9)})
    Traceback (most recent call last):
    ...
    calckit.errors.InvalidParameterError: The 'betas' parameter of Adam must be \
two floats in [0, 1). Got (1.5, 0.9) instead.
    """
    for name, constraint in constraints.items():
        check(values[name], constraint, name, owner)


def positive_int(value, name: str, owner: str, *, none_ok: bool = False):
    """``value`` as an int >= 1 (or None when ``none_ok``), else
    :class:`InvalidParameterError` naming ``name`` and ``owner``."""
    check(value, Integer(1, none_ok=none_ok), name, owner)
    return None if value is None else int(value)


def finite(arr: np.ndarray, name: str) -> np.ndarray:
    """``arr`` when every entry is finite, else :class:`NumericError` naming
    ``name`` and the first bad entry.

    >>> finite(np.array([1.0, np.nan]), "x")
    Traceback (most recent call last):
    ...
    calckit.errors.NumericError: x must be finite; x[1] = nan
    """
    ok = np.isfinite(arr)
    if ok.all():
        return arr
    bad = tuple(int(i) for i in np.argwhere(~ok)[0])
    index = ", ".join(map(str, bad))
    raise NumericError(f"{name} must be finite; {name}[{index}] = {arr[bad]}")


def as_rng(rng=None, seed=None, *, default_seed: int = 0) -> np.random.Generator:
    """A Generator from ``rng`` (a Generator or an int seed) or ``seed``.

    With neither, a fresh ``default_rng(default_seed)``: deterministic, and
    no global state is used.
    """
    if rng is not None and seed is not None:
        raise InvalidParameterError("give either rng or seed, not both")
    name = "rng" if rng is not None else "seed"
    if rng is None:
        rng = default_seed if seed is None else seed
    check(rng, Seed(), name)
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(int(rng))
