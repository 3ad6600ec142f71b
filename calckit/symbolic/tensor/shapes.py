"""Static shapes of tensor expressions (private).

A shape is a tuple of at most two dims; a dim is a positive ``int`` or a
name (``"n"``, ``"d"``) whose size is bound when a kernel is called.
Broadcasting follows NumPy: shapes are aligned on the right and a dim
broadcasts against an equal dim or against the literal ``1``.

>>> broadcast("add", ("n", "d"), ("d",))
('n', 'd')
>>> broadcast("add", ("n",), ("n", 1))
('n', 'n')
>>> broadcast("add", ("n",), ("d",))
Traceback (most recent call last):
...
calckit.errors.ShapeError: add: shapes (n,) and (d,) do not broadcast (dim n against d)
"""

from __future__ import annotations

import keyword
import numbers
import re

import sympy as sp

from calckit.errors import ShapeError

__all__ = ["DimSymbol", "dim_size", "MAX_RANK", "as_dim", "as_shape", "broadcast",
           "fmt", "is_broadcast_of"]

#: tensor expressions have at most this many axes (vectors and matrices)
MAX_RANK = 2

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class DimSymbol(sp.Symbol):
    """The size of a named dim (a positive integer), e.g. ``n`` in ``/ n``."""

    def __new__(cls, name):
        return super().__new__(cls, name, integer=True, positive=True)


def dim_size(dim) -> sp.Expr:
    """The size of ``dim`` as a SymPy value: an Integer or a :class:`DimSymbol`."""
    return DimSymbol(dim) if isinstance(dim, str) else sp.Integer(dim)


def as_dim(dim, *, what: str = "dim"):
    """``dim`` as a positive int or a valid name; :class:`ShapeError` otherwise.

    >>> as_dim(3), as_dim(" n ")
    (3, 'n')
    """
    if isinstance(dim, bool):
        raise ShapeError(f"{what} must be a positive int or a name, got {dim!r}")
    if isinstance(dim, numbers.Integral):
        if dim < 1:
            raise ShapeError(f"{what} must be a positive int or a name, got {dim!r}")
        return int(dim)
    if isinstance(dim, str):
        text = dim.strip()
        if not _NAME.match(text) or keyword.iskeyword(text) or text.startswith("_"):
            raise ShapeError(
                f"{what} {dim!r} is not a valid dim name (letters, digits and '_', "
                "not starting with a digit or '_')"
            )
        return text
    raise ShapeError(
        f"{what} must be a positive int or a name, got {type(dim).__name__}: {dim!r}"
    )


def as_shape(shape, *, what: str = "shape") -> tuple:
    """A shape from ``()``, one dim, or a sequence of dims.

    >>> as_shape("d"), as_shape(("n", 3)), as_shape(())
    (('d',), ('n', 3), ())
    """
    if isinstance(shape, (str, numbers.Integral)):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise ShapeError(
            f"{what} must be a dim or a tuple of dims, got {type(shape).__name__}: "
            f"{shape!r}"
        ) from None
    if len(dims) > MAX_RANK:
        raise ShapeError(
            f"{what} {dims!r} has {len(dims)} axes; tensor expressions have at most "
            f"{MAX_RANK} (vectors and matrices)"
        )
    return tuple(as_dim(d, what=f"{what} dim") for d in dims)


def fmt(shape: tuple) -> str:
    """``(n, d)``, ``(d,)`` or ``()``: a shape as it reads in messages."""
    inner = ", ".join(str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def broadcast(op: str, *shapes: tuple) -> tuple:
    """NumPy broadcast of ``shapes``, or :class:`ShapeError` naming ``op``."""
    out: tuple = ()
    for s in shapes:
        out = _pair(op, out, s)
    if len(out) > MAX_RANK:
        raise ShapeError(
            f"{op}: result shape {fmt(out)} has more than {MAX_RANK} axes"
        )
    return out


def _pair(op, a: tuple, b: tuple) -> tuple:
    if a == b:
        return a
    n = max(len(a), len(b))
    pa = (1,) * (n - len(a)) + a
    pb = (1,) * (n - len(b)) + b
    out = []
    for x, y in zip(pa, pb, strict=True):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            raise ShapeError(
                f"{op}: shapes {fmt(a)} and {fmt(b)} do not broadcast (dim {x} "
                f"against {y})"
            )
    return tuple(out)


def is_broadcast_of(small: tuple, big: tuple) -> bool:
    """True if ``small`` broadcasts to exactly ``big``.

    >>> is_broadcast_of((), ("n",)), is_broadcast_of(("n", 1), ("n", "d"))
    (True, True)
    >>> is_broadcast_of(("d",), ("n",))
    False
    """
    if len(small) > len(big):
        return False
    tail = big[len(big) - len(small):]
    return all(s == b or s == 1 for s, b in zip(small, tail, strict=True))
