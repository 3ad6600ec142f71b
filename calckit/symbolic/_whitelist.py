"""The whitelist of functions :func:`calckit.parse` may call: SymPy's
elementary functions, the stable primitives of
:mod:`calckit.symbolic.functions`, and every activation and loss of the
registries. The parser owns it: this module imports the registries, and
nothing it imports imports the parser (no circle).

>>> FUNCTIONS["atan2"].hi, FUNCTIONS["softmax_cross_entropy"].registry
(2, True)
>>> "relu" in function_names() and "exp" in function_names()
True
"""

from __future__ import annotations

import inspect
import math
import types
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import sympy as sp

from calckit.symbolic import activations, functions, losses

__all__ = ["FunctionEntry", "FUNCTIONS", "function_table", "function_names"]


class FunctionEntry(NamedTuple):
    """A function the parser may call, with its number of arguments."""

    func: Callable[..., Any]
    lo: int
    hi: float  # math.inf for variadic
    registry: bool  # activations/losses: may take (a, b, ...) tuples


def _sympy_functions() -> dict:
    one = [
        "exp", "log", "sqrt", "sin", "cos", "tan", "cot", "sec", "csc",
        "asin", "acos", "atan", "acot", "sinh", "cosh", "tanh", "coth", "asinh",
        "acosh", "atanh", "erf", "erfc", "sign", "floor", "ceiling",
    ]  # fmt: skip
    table = {name: FunctionEntry(getattr(sp, name), 1, 1, False) for name in one}
    table.update(
        log=FunctionEntry(sp.log, 1, 2, False),
        ln=FunctionEntry(sp.log, 1, 1, False),
        atan2=FunctionEntry(sp.atan2, 2, 2, False),
        Abs=FunctionEntry(sp.Abs, 1, 1, False),
        abs=FunctionEntry(sp.Abs, 1, 1, False),
        Max=FunctionEntry(sp.Max, 1, math.inf, False),
        max=FunctionEntry(sp.Max, 1, math.inf, False),
        Min=FunctionEntry(sp.Min, 1, math.inf, False),
        min=FunctionEntry(sp.Min, 1, math.inf, False),
        Heaviside=FunctionEntry(sp.Heaviside, 1, 2, False),
    )
    return table


def _arity(func) -> tuple[int, float]:
    nargs = getattr(func, "nargs", None)
    if isinstance(nargs, sp.FiniteSet) and nargs and all(n.is_Integer for n in nargs):
        return int(min(nargs)), int(max(nargs))
    if isinstance(func, type) and issubclass(func, sp.Function):
        return 1, math.inf
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return 1, math.inf
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    pos = [p for p in params if p.kind in kinds]
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        hi: float = math.inf
    else:
        hi = len(pos)
    lo = sum(p.default is inspect.Parameter.empty for p in pos)
    return lo, hi


def _build() -> Mapping[str, FunctionEntry]:
    """Whitelisted functions: SymPy's, the stable primitives, the registries;
    SymPy's own functions win over a registry entry of the same name."""
    table = {}
    for registry in (losses, activations):
        for name in registry.names():
            fn = registry.get(name)
            table[name] = FunctionEntry(fn, *_arity(fn), True)
    for name in functions.__all__:
        fn = getattr(functions, name)
        table[name] = FunctionEntry(fn, *_arity(fn), False)
    table.update(_sympy_functions())
    return types.MappingProxyType(table)


#: name -> :class:`FunctionEntry`; read-only, built once at import (the
#: registries it reads are read-only too)
FUNCTIONS: Mapping[str, FunctionEntry] = _build()


def function_table() -> Mapping[str, FunctionEntry]:
    """The read-only whitelist :data:`FUNCTIONS`."""
    return FUNCTIONS


def function_names() -> tuple[str, ...]:
    """Sorted names of every function :func:`calckit.parse` accepts.

    >>> {"exp", "atan2", "Max"} <= set(function_names())
    True
    """
    return tuple(sorted(function_table()))
