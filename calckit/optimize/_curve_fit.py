"""Fit a formula to data: :func:`curve_fit`, in the spirit of
``scipy.optimize.curve_fit`` with the model written as an expression."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from calckit.errors import CalckitTypeError, InvalidParameterError, ShapeError
from calckit.kernels import compile
from calckit.optimize._least_squares import (
    LeastSquaresResult,
    _check_options,
    _start,
    compile_residuals,
    solve,
)
from calckit.symbolic._coerce import as_expr, as_symbols, free_symbols

__all__ = ["curve_fit", "CurveFitResult", "CovarianceWarning"]


class CovarianceWarning(UserWarning):
    """The covariance of the fitted parameters cannot be estimated (too few
    points, or a Jacobian of deficient rank): it is filled with ``inf``."""


@dataclass(frozen=True, repr=False)
class CurveFitResult:
    """The outcome of :func:`curve_fit`.

    Attributes
    ----------
    names : tuple of str
        The fitted parameters, in the order of ``popt``.
    popt : ndarray (n,)
        Their fitted values.
    pcov : ndarray (n, n)
        Their covariance, from the Jacobian at ``popt`` scaled by the
        residual variance (SciPy's ``absolute_sigma=False``).
    perr : ndarray (n,)
        Standard errors, ``sqrt(diag(pcov))``.
    model : sympy.Expr
    x : str
        The independent variable.
    xdata, ydata, residuals : ndarray (m,)
        The data and ``model(xdata) - ydata`` at ``popt``.
    lsq : LeastSquaresResult
        The underlying least-squares run (status, message, evaluations).
    """

    names: tuple
    popt: np.ndarray
    pcov: np.ndarray
    perr: np.ndarray
    model: Any
    x: str
    xdata: np.ndarray
    ydata: np.ndarray
    residuals: np.ndarray
    lsq: LeastSquaresResult

    @property
    def params(self) -> dict:
        """``{name: fitted value}``."""
        return dict(zip(self.names, map(float, self.popt), strict=True))

    @property
    def errors(self) -> dict:
        """``{name: standard error}``."""
        return dict(zip(self.names, map(float, self.perr), strict=True))

    @property
    def status(self) -> str:
        return self.lsq.status

    @property
    def message(self) -> str:
        return self.lsq.message

    @property
    def converged(self) -> bool:
        return self.lsq.converged

    def predict(self, x: Any) -> np.ndarray:
        """The fitted model at ``x``."""
        xs = [sp.Symbol(n, real=True) for n in self.names]
        k = compile(self.model, xs, [sp.Symbol(self.x, real=True)])
        return np.asarray(k(*self.popt, np.asarray(x, dtype=np.float64)))

    def __repr__(self) -> str:
        width = max(len(n) for n in self.names)
        rows = "\n".join(
            f"  {n:<{width}} = {v:<14.8g} +- {e:.3g}"
            for n, v, e in zip(self.names, self.popt, self.perr, strict=True)
        )
        rss = float(self.residuals @ self.residuals)
        return (
            f"CurveFitResult({self.model}, x={self.x!r}, {self.xdata.size} points,"
            f" status={self.status!r})\n{rows}\n"
            f"  residual sum of squares: {rss:.6g}"
        )


def _column(values, name) -> np.ndarray:
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CalckitTypeError(
            f"curve_fit: {name} must be an array of real numbers, got "
            f"{type(values).__name__}"
        ) from exc
    if a.ndim != 1:
        raise ShapeError(f"curve_fit: {name} must be one-dimensional, got shape "
                         f"{a.shape}")
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        raise InvalidParameterError(
            f"curve_fit: {name} has {bad.size} non-finite value(s) (first "
            f"{a[bad[0]]} at index {bad[0]}); remove or fix them"
        )
    return a


def _covariance(J: np.ndarray, cost: float, m: int, n: int) -> np.ndarray:
    """SciPy's ``pcov``: ``(J^T J)^+`` from the SVD of ``J`` (singular values
    below ``eps * max(J.shape) * s[0]`` dropped), times ``2 cost / (m -
    n)``; ``inf`` with a warning when ``m <= n`` or ``J`` is rank deficient."""
    _, s, vt = np.linalg.svd(J, full_matrices=False)
    threshold = np.finfo(float).eps * max(J.shape) * (s[0] if s.size else 0.0)
    keep = s > threshold
    if m <= n or not np.all(keep):
        why = (f"{m} points for {n} parameters leave no degree of freedom"
               if m <= n else "the Jacobian at the solution is rank deficient")
        warnings.warn(f"curve_fit: the covariance cannot be estimated: {why}",
                      CovarianceWarning, stacklevel=3)
        return np.full((n, n), np.inf)
    pcov = (vt.T / s**2) @ vt
    return pcov * (2.0 * cost / (m - n))


def curve_fit(
    model: Any,
    x: Any,
    xdata: Any,
    ydata: Any,
    p0: Any = None,
    *,
    method: str = "lm",
    ftol: float = 1e-8,
    xtol: float = 1e-8,
    gtol: float = 1e-8,
) -> CurveFitResult:
    """Fit the parameters of ``model`` (a formula in ``x``) to data.

    Minimizes ``sum((model(xdata) - ydata)**2)`` by :func:`least_squares`
    with the exact Jacobian.

    Parameters
    ----------
    model : str or sympy.Expr
        The model, such as ``"a*exp(-b*t) + c"``; every free symbol other
        than ``x`` is a parameter (sorted by name).
    x : str or sympy.Symbol
        The independent variable.
    xdata, ydata : array-like (m,)
        The data: finite, the same length, at least as many points as
        parameters.
    p0 : sequence or dict, optional
        Starting values (default: all ones, as SciPy).
    method : {"lm", "gauss-newton", "dogleg"}
    ftol, xtol, gtol : float
        Stopping tolerances of :func:`least_squares`.

    Returns
    -------
    CurveFitResult
        ``params`` and ``errors`` (dicts), ``popt``, ``pcov``, ``perr``.

    Raises
    ------
    InvalidParameterError
        Non-finite data; ShapeError: lengths differ or fewer points than
        parameters.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0, 4, 30)
    >>> y = 2.5 * np.exp(-1.3 * t) + 0.5 + 0.01 * np.sin(7 * t)
    >>> fit = curve_fit("a*exp(-b*t) + c", x="t", xdata=t, ydata=y, p0=[1, 1, 0])
    >>> {k: round(v, 2) for k, v in fit.params.items()}
    {'a': 2.5, 'b': 1.3, 'c': 0.5}
    >>> bool(fit.errors["b"] < 0.01)
    True
    """
    e = as_expr(model, name="model")
    xsym = as_symbols([x], e, name="x")[0] if not isinstance(x, (list, tuple)) \
        else None
    if xsym is None:
        raise CalckitTypeError("curve_fit: x must be one variable name or symbol")
    if xsym not in free_symbols(e):
        raise InvalidParameterError(
            f"curve_fit: the model {e} does not depend on x = {xsym}")
    names = sorted((s for s in free_symbols(e) if s != xsym), key=str)
    if not names:
        raise InvalidParameterError(f"curve_fit: the model {e} has no parameters")
    xd = _column(xdata, "xdata")
    yd = _column(ydata, "ydata")
    if xd.size != yd.size:
        raise ShapeError(
            f"curve_fit: xdata has {xd.size} points but ydata has {yd.size}")
    n, m = len(names), xd.size
    if m < n:
        raise ShapeError(
            f"curve_fit: {m} data points cannot determine {n} parameters "
            f"({', '.join(map(str, names))}); give at least {n} points")
    taken = {str(s) for s in free_symbols(e)}
    yname = "y_data"
    while yname in taken:
        yname += "_"
    ysym = sp.Symbol(yname, real=True)
    res = compile_residuals(e - ysym, names, {str(xsym): xd, yname: yd},
                            owner="curve_fit")
    if p0 is None:
        start = np.ones(n)
    elif isinstance(p0, Mapping):
        start = _start(p0, res.names, "curve_fit")
    else:
        start = _start(p0, res.names, "curve_fit")
    _check_options(method, ftol, xtol, gtol, None)
    out = solve(res, start, method, ftol=ftol, xtol=xtol, gtol=gtol)
    pcov = _covariance(out.jac, out.cost, m, n)
    return CurveFitResult(
        names=res.names, popt=out.x, pcov=pcov, perr=np.sqrt(np.diag(pcov)),
        model=e, x=str(xsym), xdata=xd, ydata=yd, residuals=out.fun, lsq=out,
    )
