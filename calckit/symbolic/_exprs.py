"""SymPy values from Python values, without parsing: the base of the
symbolic layer (the library definitions use it; :mod:`calckit.symbolic._coerce`
adds strings through the parser on top).

>>> as_sympy(2), as_sympy(0.5), as_sympy("x").is_real
(2, 0.500000000000000, True)
>>> as_sympy("2*x")
Traceback (most recent call last):
...
calckit.errors.CalckitTypeError: expr is the string '2*x', which is not a variable ...
"""

from __future__ import annotations

import numbers
import re

import sympy as sp

from calckit.errors import CalckitTypeError

__all__ = ["as_sympy", "real_symbol", "short"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def real_symbol(name: str) -> sp.Symbol:
    """The ``real=True`` symbol calckit uses for ``name``."""
    return sp.Symbol(name, real=True)


def short(obj, limit: int = 80) -> str:
    """``repr(obj)``, cut to ``limit`` characters for messages (an
    expression too deep for SymPy's recursive printer is named by its type).

    >>> short("x" * 100, 10)
    "'xxxxxx..."
    """
    try:
        text = repr(obj)
    except RecursionError:
        text = f"<{type(obj).__name__} nested too deep to print>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def as_sympy(expr, *, name: str = "expr") -> sp.Expr:
    """``expr`` as a scalar SymPy expression: SymPy expressions as they are,
    numbers as exact SymPy numbers (floats stay floats), a variable name as
    its real symbol. Other strings are refused here
    (:func:`calckit.symbolic._coerce.as_expr` parses them)."""
    if isinstance(expr, str):
        if _NAME.match(expr.strip()) and "__" not in expr:
            return real_symbol(expr.strip())
        raise CalckitTypeError(
            f"{name} is the string {short(expr)}, which is not a variable name: "
            "parse it first (calckit.parse) or pass a SymPy expression"
        )
    if isinstance(expr, sp.Basic):
        if isinstance(expr, sp.MatrixBase) or not isinstance(expr, sp.Expr):
            raise CalckitTypeError(
                f"{name} must be a scalar SymPy expression or a string, "
                f"got {type(expr).__name__}: {short(expr)}"
            )
        return expr
    if isinstance(expr, bool):
        raise CalckitTypeError(f"{name} must be an expression, got the bool {expr!r}")
    if isinstance(expr, numbers.Integral):
        return sp.Integer(int(expr))
    if isinstance(expr, numbers.Real):
        return sp.Float(float(expr))
    raise CalckitTypeError(
        f"{name} must be a SymPy expression or a string, "
        f"got {type(expr).__name__}: {short(expr)}"
    )
