"""The read-only name tables: look-ups in the registries of
:mod:`calckit.symbolic.activations` and :mod:`calckit.symbolic.losses`, and
the whitelist of functions :func:`calckit.parse` may call.

>>> import types
>>> table = types.MappingProxyType({"relu": abs})
>>> lookup(table, " ReLU ", "activation") is abs
True
>>> normalize("Leaky-ReLU")
'leaky_relu'
>>> function_table()["atan2"].hi, function_table()["softmax_cross_entropy"].registry
(2, True)
"""

from __future__ import annotations

import difflib
import functools
import inspect
import math
import types
from collections.abc import Callable, Mapping
from typing import NamedTuple

import sympy as sp

from calckit.errors import UnknownNameError

__all__ = ["normalize", "lookup", "FunctionEntry", "function_table", "function_names"]


def normalize(name: str) -> str:
    """The registry key of ``name``: stripped, lower case, ``-`` as ``_``."""
    return name.strip().lower().replace("-", "_")


def lookup(registry: Mapping, name, kind: str) -> Callable:
    """``registry[name]`` or :class:`UnknownNameError` naming close matches."""
    if not isinstance(name, str):
        raise UnknownNameError(
            f"{kind} names are strings; got {type(name).__name__}: {name!r}"
        )
    key = normalize(name)
    if key in registry:
        return registry[key]
    close = difflib.get_close_matches(key, list(registry), n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    raise UnknownNameError(
        f"unknown {kind} {name!r}.{hint} Known {kind}s: {', '.join(sorted(registry))}."
    )


class FunctionEntry(NamedTuple):
    """A function the parser may call, with its number of arguments."""

    func: object
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


@functools.lru_cache(maxsize=1)
def function_table() -> Mapping[str, FunctionEntry]:
    """Whitelisted functions: SymPy's, the stable primitives, the registries.

    Built once (the registries are read-only after import); SymPy's own
    functions win over a registry entry of the same name.
    """
    from calckit.symbolic import activations, functions, losses

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


def function_names() -> tuple[str, ...]:
    """Sorted names of every function :func:`calckit.parse` accepts.

    >>> {"exp", "atan2", "Max"} <= set(function_names())
    True
    """
    return tuple(sorted(function_table()))
