"""Nonlinear least squares with the exact symbolic Jacobian:
:func:`least_squares` (Levenberg-Marquardt with Moré's scaling, Powell's
dogleg, Gauss-Newton with a line search)."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy as sp

from calckit.errors import CalckitTypeError, InvalidParameterError, ShapeError
from calckit.kernels import compile
from calckit.optimize._driver import _raw
from calckit.optimize._lsq_solve import (
    LSQ_STATUS,
    LeastSquaresResult,
    Residuals,
    solve,
)
from calckit.symbolic._coerce import as_expr, as_symbols, free_symbols
from calckit.symbolic.derive import jacobian

__all__ = ["least_squares", "LeastSquaresResult", "LSQ_STATUS", "Residuals",
           "METHODS", "compile_residuals", "solve"]

METHODS = ("lm", "gauss-newton", "dogleg")

def _as_residual_list(residuals) -> list:
    if isinstance(residuals, (str, sp.Expr, numbers.Number)):
        return [as_expr(residuals, name="residuals")]
    if isinstance(residuals, sp.MatrixBase):
        return [as_expr(e, name="residuals") for e in residuals]
    if isinstance(residuals, (list, tuple)) and residuals:
        return [as_expr(e, name=f"residuals[{i}]") for i, e in enumerate(residuals)]
    raise CalckitTypeError(
        "least_squares: residuals must be an expression or a non-empty list of "
        f"them, got {type(residuals).__name__}: {residuals!r:.80}"
    )


def _data(params, exprs, owner):
    if params is None:
        return [], []
    if not isinstance(params, Mapping):
        raise CalckitTypeError(
            f"{owner}: params must be a dict name -> array of data, got "
            f"{type(params).__name__}"
        )
    syms = as_symbols(list(params), exprs, name="params") if params else []
    arrays = []
    for name, value in params.items():
        try:
            a = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise CalckitTypeError(
                f"{owner}: params[{name!r}] must be an array of real numbers"
            ) from exc
        if not np.all(np.isfinite(a)):
            bad = int(np.flatnonzero(~np.isfinite(a.ravel()))[0])
            raise InvalidParameterError(
                f"{owner}: params[{name!r}] has a non-finite value "
                f"({a.ravel()[bad]}) at index {bad}; remove or fix it"
            )
        arrays.append(a)
    try:
        np.broadcast_shapes(*[a.shape for a in arrays])
    except ValueError as exc:
        shapes = {str(k): a.shape for k, a in zip(params, arrays, strict=True)}
        raise ShapeError(
            f"{owner}: the data arrays in params do not broadcast: {shapes}"
        ) from exc
    return syms, arrays


def compile_residuals(residuals, wrt=None, params=None, *,
                      owner: str = "least_squares") -> Residuals:
    """Compile ``residuals`` (over data ``params``) and their exact Jacobian.

    Each residual expression is broadcast over the data arrays; the residual
    vector is all of them, flattened (sample-major).

    >>> import numpy as np
    >>> res = compile_residuals("a*t - y", "a", {"t": [1.0, 2.0], "y": [2.0, 3.0]})
    >>> res.fun(np.array([1.0])).tolist(), res.jac(np.array([1.0])).tolist()
    ([-1.0, -1.0], [[1.0], [2.0]])
    """
    exprs = _as_residual_list(residuals)
    data_syms, data = _data(params, exprs, owner)
    if wrt is None:
        xs = [s for s in as_symbols(None, exprs) if s not in set(data_syms)]
    else:
        xs = as_symbols(wrt, exprs)
    if not xs:
        raise InvalidParameterError(f"{owner}: the residuals have no variables")
    unused = set().union(*(free_symbols(e) for e in exprs)) - set(xs) - set(data_syms)
    if unused:
        raise InvalidParameterError(
            f"{owner}: the residuals have symbols {sorted(map(str, unused))} that "
            "are neither variables (wrt) nor data (params)"
        )
    n = len(xs)
    rk = _raw(compile(exprs, xs, data_syms))
    jk = _raw(compile(jacobian(exprs, xs), xs, data_syms))

    def fun(x):
        return np.ravel(rk(*x, *data))

    def jac(x):
        return np.reshape(jk(*x, *data), (-1, n))

    return Residuals(fun, jac, tuple(str(s) for s in xs))


def _check_options(method, ftol, xtol, gtol, max_nfev):
    if method not in METHODS:
        raise InvalidParameterError(
            f"The 'method' parameter of least_squares must be one of "
            f"{', '.join(repr(m) for m in METHODS)}. Got {method!r} instead."
        )
    for name, v in (("ftol", ftol), ("xtol", xtol), ("gtol", gtol)):
        if not (isinstance(v, numbers.Real) and not isinstance(v, bool)
                and 0 <= float(v) < 1):  # float(): numbers.Real lacks >=
            raise InvalidParameterError(
                f"The {name!r} parameter of least_squares must be a float in "
                f"[0, 1). Got {v!r} instead."
            )
    if max_nfev is not None and not (isinstance(max_nfev, numbers.Integral)
                                     and not isinstance(max_nfev, bool)
                                     and int(max_nfev) >= 1):
        raise InvalidParameterError(
            "The 'max_nfev' parameter of least_squares must be an int >= 1 or "
            f"None. Got {max_nfev!r} instead."
        )


def least_squares(
    residuals: Any,
    wrt: Any = None,
    x0: Any = None,
    params: Mapping[str, Any] | None = None,
    method: str = "lm",
    *,
    ftol: float = 1e-8,
    xtol: float = 1e-8,
    gtol: float = 1e-8,
    max_nfev: int | None = None,
) -> LeastSquaresResult:
    """Minimize ``0.5 * sum(r_i(x)**2)`` with the exact symbolic Jacobian.

    Parameters
    ----------
    residuals : str, sympy.Expr or list of them
        The residuals ``r_i``. With ``params`` each is broadcast over the
        data arrays (one residual per sample).
    wrt : sequence of symbols or names, or str, optional
        The variables (default: the free symbols that are not data, sorted
        by name).
    x0 : sequence or dict
        Starting point (a dict maps names to values). Required.
    params : dict, optional
        Data: name -> array.
    method : {"lm", "gauss-newton", "dogleg"}
        ``"lm"``: Levenberg-Marquardt as MINPACK's ``lmder`` (Moré 1978):
        a trust region in variables scaled by the largest column norms of
        the Jacobian seen so far, the damping parameter by Moré's
        safeguarded Newton iteration. ``"dogleg"``: Powell's dogleg in the
        same scaled trust region. ``"gauss-newton"``: the minimum-norm
        Gauss-Newton step with an Armijo backtracking line search.
    ftol, xtol, gtol : float
        MINPACK's tests: relative reduction of the cost (actual and
        predicted) below ``ftol``; trust region (or step) below ``xtol``
        relative to ``|D x|``; largest cosine between the residual vector
        and a Jacobian column below ``gtol``.
    max_nfev : int, optional
        Budget of residual evaluations (default ``100 * (n + 1)``).

    Returns
    -------
    LeastSquaresResult

    Examples
    --------
    >>> r = least_squares(["10*(y - x**2)", "1 - x"], "x y", [-1.2, 1.0])
    >>> r.status, r.x.round(8).tolist(), r.cost < 1e-20
    ('gtol', [1.0, 1.0], True)
    >>> import numpy as np
    >>> t = np.linspace(0, 1, 5)
    >>> r = least_squares("a*t + b - y", "a b", [0, 0],
    ...                   params={"t": t, "y": 2 * t + 1}, method="gauss-newton")
    >>> r.x.round(10).tolist(), r.converged
    ([2.0, 1.0], True)
    """
    _check_options(method, ftol, xtol, gtol, max_nfev)
    res = compile_residuals(residuals, wrt, params)
    x = _start(x0, res.names, "least_squares")
    n = x.size
    budget = 100 * (n + 1) if max_nfev is None else int(max_nfev)
    return solve(res, x, method, ftol=ftol, xtol=xtol, gtol=gtol, max_nfev=budget)


def _start(x0, names, owner) -> np.ndarray:
    if x0 is None:
        raise CalckitTypeError(
            f"{owner} needs a starting point x0 (one value per variable: "
            f"{', '.join(names)})"
        )
    if isinstance(x0, Mapping):
        by_name = {str(k): v for k, v in x0.items()}
        missing = [s for s in names if s not in by_name]
        extra = sorted(set(by_name) - set(names))
        if missing or extra:
            raise ShapeError(
                f"{owner}: x0 must give exactly the variables {list(names)}; "
                f"missing {missing}, unknown {extra}"
            )
        x0 = [by_name[s] for s in names]
    try:
        x = np.array(x0, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise CalckitTypeError(f"{owner}: x0 must be numbers, got {x0!r:.80}") from exc
    if x.size != len(names):
        raise ShapeError(
            f"{owner}: x0 has {x.size} values but there are {len(names)} "
            f"variables ({', '.join(names)})"
        )
    if not np.all(np.isfinite(x)):
        raise InvalidParameterError(f"{owner}: x0 must be finite, got {x}")
    return x
