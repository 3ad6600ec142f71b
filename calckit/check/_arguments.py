"""Arguments of :func:`calckit.gradcheck`: the points, the fixed parameters,
the order and the tolerances, as arrays, or a clear error naming the input."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import sympy as sp

from calckit._validate import Interval, Options, check
from calckit.errors import (
    CalckitTypeError,
    InvalidParameterError,
    ShapeError,
    UnknownNameError,
)
from calckit.symbolic._coerce import as_symbol, as_symbols

__all__ = ["check_order", "check_tolerances", "params", "points", "wrt_symbols"]



_ORDER = Options(1, 2, description="the int 1 (gradient) or 2 (Hessian)")
_TOLERANCE = Interval(0.0, None)


def check_order(order) -> int:
    """``order`` as the int 1 or 2."""
    return int(check(order, _ORDER, "order", "gradcheck"))


def check_tolerances(rtol, atol) -> None:
    """``rtol`` and ``atol``: finite numbers >= 0."""
    check(rtol, _TOLERANCE, "rtol", "gradcheck")
    check(atol, _TOLERANCE, "atol", "gradcheck")


def wrt_symbols(e: sp.Expr, wrt, params) -> list:
    """The variables to check: ``wrt``, or the free symbols minus ``params``."""
    param_names = set()
    if isinstance(params, Mapping):
        param_names = {k.name if isinstance(k, sp.Symbol) else str(k) for k in params}
    if wrt is None:
        syms = [s for s in as_symbols(None, e) if s.name not in param_names]
    else:
        syms = as_symbols(wrt, e)
    if not syms:
        raise InvalidParameterError(f"{e} has no variables to check; give wrt")
    return syms


def points(at, wrt_syms) -> np.ndarray:
    """``at`` as a finite float array (k, n) in the order of ``wrt``."""
    names = [s.name for s in wrt_syms]
    n = len(names)
    if at is None or at is Ellipsis:
        raise InvalidParameterError(
            f"gradcheck needs at=: a dict {{name: value}}, a sequence of {n} values "
            f"for {names}, or an array (k, {n}) of points"
        )
    pts = _from_mapping(at, names) if isinstance(at, Mapping) else _from_array(
        at, names)
    if pts.shape[0] == 0:
        raise ShapeError(f"at holds no points: {at!r:.80}; give at least one")
    if not np.all(np.isfinite(pts)):
        bad = np.argwhere(~np.isfinite(pts))[0]
        raise InvalidParameterError(
            f"at must be finite; point {bad[0]} has {names[bad[1]]}="
            f"{pts[tuple(bad)]}"
        )
    return pts


def _from_mapping(at: Mapping, names: list) -> np.ndarray:
    by_name = {}
    for key, value in at.items():
        name = key.name if isinstance(key, sp.Symbol) else str(key)
        if name not in names:
            raise UnknownNameError(
                f"at names {name!r}, which is not a variable of the check; "
                f"the variables (wrt) are {names} (fixed values go in params)"
            )
        by_name[name] = value
    missing = [m for m in names if m not in by_name]
    if missing:
        raise InvalidParameterError(
            f"at has no value for {missing}; give all of {names}"
        )
    given = [numbers(by_name[m], f"at[{m!r}]") for m in names]
    try:
        cols = np.broadcast_arrays(*given)
    except ValueError:
        shapes = {m: np.shape(c) for m, c in zip(names, given, strict=True)}
        raise ShapeError(f"the values in at do not broadcast: {shapes}") from None
    if cols[0].ndim > 1:
        shapes = {m: np.shape(by_name[m]) for m in names}
        raise ShapeError(
            f"values in at must be scalars or 1-D arrays of points, got {shapes}"
        )
    return np.stack([np.atleast_1d(c) for c in cols], axis=-1)


def _from_array(at, names: list) -> np.ndarray:
    n = len(names)
    pts = numbers(at, "at")
    if pts.ndim == 0 and n == 1:
        pts = pts.reshape(1, 1)
    elif pts.ndim == 1:
        pts = pts.reshape(-1, 1) if n == 1 else pts.reshape(1, -1)
    if pts.ndim != 2 or pts.shape[1] != n:
        raise ShapeError(
            f"at has shape {np.shape(at)}, but wrt has {n} variable"
            f"{'s' if n != 1 else ''} {names}: give {n} values, or an array "
            f"(k, {n}) of k points"
        )
    return pts


def numbers(value, label) -> np.ndarray:
    """``value`` as a new float array (a copy: the report keeps the points, and
    must not change when the caller reuses its array)."""
    try:
        return np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise CalckitTypeError(f"{label} must be numbers; got {value!r}") from None


def params(values, expr, k):
    """(symbols, values) of the fixed parameters; values scalars or (k,)."""
    if not values:
        return (), ()
    if not isinstance(values, Mapping):
        raise CalckitTypeError(
            f"params must be a dict {{name: value}} of fixed values; got {values!r}"
        )
    syms, out = [], []
    for key, value in values.items():
        sym = as_symbol(key, expr, name="params")
        arr = numbers(value, f"params[{sym.name!r}]")
        if arr.ndim > 1 or (arr.ndim == 1 and arr.size not in (1, k)):
            raise ShapeError(
                f"params[{sym.name!r}] must be a scalar or have one value per point "
                f"({k}); got shape {arr.shape}"
            )
        if not np.all(np.isfinite(arr)):
            raise InvalidParameterError(
                f"params[{sym.name!r}] must be finite; got {value!r}"
            )
        syms.append(sym)
        # one value for all points, or one per point
        per_point = arr.ndim and arr.size == k
        out.append(arr.reshape(-1) if per_point else arr.reshape(()))
    return tuple(syms), tuple(out)
