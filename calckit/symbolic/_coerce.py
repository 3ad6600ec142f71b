"""Turn user arguments (strings, SymPy objects, numbers, names) into SymPy.

Every public function that takes ``expr``, ``wrt`` or ``var`` goes through
these helpers, so the conventions of API.md hold everywhere:

- ``expr`` is a SymPy expression or a string parsed by :func:`calckit.parse`;
- ``wrt`` is a sequence of symbols or names, or one string of names separated
  by spaces or commas; ``None`` means the free symbols sorted by name;
- names are looked up among the expression's own symbols first, so
  ``grad(x**2, "x")`` works whether ``x`` was created real or not; other names
  become new ``real=True`` symbols.

>>> import sympy as sp
>>> x = sp.Symbol("x")
>>> as_symbols("x y", x**2)
[x, y]
>>> as_symbols(None, as_expr("w*x + b"))
[b, w, x]
>>> as_symbols([x], as_expr("x**2"))[0].is_real   # the parser's real x
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import sympy as sp

from calckit.errors import CalckitTypeError, DifferentiationError
from calckit.symbolic._exprs import as_sympy, real_symbol
from calckit.symbolic._exprs import short as _short
from calckit.symbolic.parse import parse

__all__ = [
    "as_expr",
    "as_symbol",
    "as_symbols",
    "free_symbols",
    "real_symbol",
]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def as_expr(expr, *, name: str = "expr", symbols=None) -> sp.Expr:
    """Return ``expr`` as a SymPy expression.

    Strings go through the safe parser; numbers become exact SymPy numbers
    (floats stay floats). Anything else raises :class:`CalckitTypeError`.
    """
    if isinstance(expr, str):
        return parse(expr, symbols=symbols)
    return as_sympy(expr, name=name)


def free_symbols(exprs) -> set:
    """Union of the free symbols of one expression or an iterable of them."""
    if isinstance(exprs, sp.Basic):
        return set(exprs.free_symbols)
    out: set = set()
    for e in exprs:
        out |= free_symbols(e)
    return out


def as_symbol(var, expr=None, *, name: str = "var") -> sp.Symbol:
    """Return ``var`` as a SymPy symbol, preferring the one inside ``expr``.

    A name, or a symbol that ``expr`` does not hold, resolves to the one
    symbol of that name ``expr`` holds: ``grad("x**2", [sp.Symbol("x")])``
    would otherwise differentiate the parser's real ``x`` with respect to a
    different, non-real ``x`` and return 0.
    """
    return _resolve(var, _held(expr), name)


def _held(expr) -> tuple:
    """The symbols ``expr`` holds and a map name -> those symbols (once)."""
    held = set() if expr is None else free_symbols(expr)
    by_name: dict = {}
    for s in held:
        if isinstance(s, sp.Symbol):
            by_name.setdefault(s.name, []).append(s)
    return held, by_name


def _resolve(var, held: tuple, name: str) -> sp.Symbol:
    symbols, by_name = held
    if isinstance(var, sp.Symbol):
        if var in symbols:
            return var
        same = by_name.get(var.name, ())
        return same[0] if len(same) == 1 else var
    if isinstance(var, str):
        text = var.strip()
        if not _NAME.match(text):
            raise DifferentiationError(
                f"{name} must be a symbol or a variable name, got {var!r}"
            )
        same = by_name.get(text)
        return same[0] if same else real_symbol(text)
    raise CalckitTypeError(
        f"{name} must be a SymPy Symbol or a name, got {type(var).__name__}: "
        f"{_short(var)}"
    )


def as_symbols(wrt, expr=None, *, name: str = "wrt") -> list:
    """Return ``wrt`` as a list of distinct symbols (see module docstring)."""
    if wrt is None:
        if expr is None:
            raise DifferentiationError(f"{name} is needed when there is no expression")
        syms = [s for s in free_symbols(expr) if isinstance(s, sp.Symbol)]
        return sorted(syms, key=lambda s: s.name)
    if isinstance(wrt, str):
        parts = [p for p in re.split(r"[\s,]+", wrt.strip()) if p]
        if not parts:
            raise DifferentiationError(
                f"{name} is an empty string; give variable names"
            )
        items: Iterable = parts
    elif isinstance(wrt, sp.Symbol):
        items = [wrt]
    elif isinstance(wrt, Iterable) and not isinstance(wrt, sp.Basic):
        items = list(wrt)
    elif isinstance(wrt, sp.MatrixBase):
        items = list(wrt)
    else:
        raise CalckitTypeError(
            f"{name} must be a sequence of symbols or names, got "
            f"{type(wrt).__name__}: {_short(wrt)}"
        )
    held = _held(expr)
    out = [_resolve(v, held, name) for v in items]
    seen = set()
    for s in out:
        if s in seen:
            raise DifferentiationError(f"{name} names {s} twice: {_short(wrt)}")
        seen.add(s)
    return out
