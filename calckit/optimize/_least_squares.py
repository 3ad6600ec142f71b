"""Nonlinear least squares with the exact symbolic Jacobian:
:func:`least_squares` (Levenberg-Marquardt with Moré's scaling, Powell's
dogleg, Gauss-Newton with a line search)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
import sympy as sp

from calckit.errors import CalckitTypeError, InvalidParameterError, ShapeError
from calckit.kernels import compile
from calckit.optimize._driver import _raw
from calckit.optimize._lsq_steps import dogleg_step, gauss_newton_step, lm_step
from calckit.symbolic._coerce import as_expr, as_symbols, free_symbols
from calckit.symbolic.derive import jacobian

__all__ = ["least_squares", "LeastSquaresResult", "Residuals", "METHODS",
           "compile_residuals"]

METHODS = ("lm", "gauss-newton", "dogleg")

#: status -> meaning (read-only)
LSQ_STATUS = MappingProxyType({
    "gtol": "the gradient is orthogonal to the residuals within gtol",
    "ftol": "the relative reduction of the cost fell below ftol",
    "xtol": "the step (or trust region) fell below xtol relative to x",
    "max evaluations": "the budget of residual evaluations ran out",
    "flat": "the cost no longer decreases beyond its rounding",
    "no decrease": "the line search found no decrease along the Gauss-Newton step",
    "diverged": "a non-finite residual or Jacobian appeared",
})
_CONVERGED = ("gtol", "ftol", "xtol", "flat")
_EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True, repr=False)
class LeastSquaresResult:
    """The outcome of :func:`least_squares`.

    Attributes
    ----------
    x : ndarray (n,)
        The solution.
    cost : float
        ``0.5 * sum(fun**2)`` at ``x`` (SciPy's convention).
    fun : ndarray (m,)
        The residuals at ``x``.
    jac : ndarray (m, n)
        The exact Jacobian at ``x``.
    grad : ndarray (n,)
        ``jac.T @ fun``, the gradient of ``cost``.
    nit, nfev, njev : int
        Iterations, residual and Jacobian evaluations made by the iteration.
        As in MINPACK (and SciPy's ``lm``), the convergence tests come before
        the next Jacobian: ``jac`` of the result is one more evaluation, not
        counted.
    status : str
        One of ``LSQ_STATUS`` (``"gtol"``, ``"ftol"``, ``"xtol"``,
        ``"flat"``, ``"max evaluations"``, ``"diverged"``).
    message : str
        How the run ended.
    converged : bool
        ``True`` when a convergence test stopped the run.
    wrt : tuple of str
        The variables, in the order of ``x``.
    method : str
    """

    x: np.ndarray
    cost: float
    fun: np.ndarray
    jac: np.ndarray
    grad: np.ndarray
    nit: int
    nfev: int
    njev: int
    status: str
    message: str
    converged: bool
    wrt: tuple = ()
    method: str = "lm"
    path: np.ndarray = field(default=None)

    def __repr__(self) -> str:
        x = np.array2string(self.x, precision=6, separator=", ")
        return (
            f"LeastSquaresResult(x={x}, cost={self.cost:.6g}, nit={self.nit}, "
            f"nfev={self.nfev}, njev={self.njev}, status={self.status!r}, "
            f"message={self.message!r})"
        )


class Residuals(NamedTuple):
    """Compiled residuals of flat ``x``: ``fun(x) -> (m,)``,
    ``jac(x) -> (m, n)``; ``names`` of the variables."""

    fun: Callable
    jac: Callable
    names: tuple


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
                and 0 <= v < 1):
            raise InvalidParameterError(
                f"The {name!r} parameter of least_squares must be a float in "
                f"[0, 1). Got {v!r} instead."
            )
    if max_nfev is not None and not (isinstance(max_nfev, numbers.Integral)
                                     and not isinstance(max_nfev, bool)
                                     and max_nfev >= 1):
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


class _Counter:
    def __init__(self, res: Residuals):
        self.res, self.nfev, self.njev = res, 0, 0

    def fun(self, x):
        self.nfev += 1
        return self.res.fun(x)

    def jac(self, x):
        self.njev += 1
        return self.res.jac(x)


def solve(res: Residuals, x, method, *, ftol=1e-8, xtol=1e-8, gtol=1e-8,
          max_nfev=None) -> LeastSquaresResult:
    """Run ``method`` on compiled residuals from the flat point ``x``."""
    c = _Counter(res)
    budget = 100 * (x.size + 1) if max_nfev is None else max_nfev
    run = {"lm": _trust_region, "dogleg": _trust_region,
           "gauss-newton": _gauss_newton}[method]
    with np.errstate(all="ignore"):
        x, r, J, nit, status, path = run(c, x, method, ftol, xtol, gtol, budget)
    cost = 0.5 * float(r @ r) if np.all(np.isfinite(r)) else math.inf
    grad = J.T @ r
    return LeastSquaresResult(
        x=x, cost=cost, fun=r, jac=J, grad=grad, nit=nit, nfev=c.nfev,
        njev=c.njev, status=status,
        message=_lsq_message(status, nit, cost, grad),
        converged=status in _CONVERGED, wrt=res.names, method=method,
        path=np.array(path),
    )


def _lsq_message(status, nit, cost, grad) -> str:
    gn = float(np.linalg.norm(grad)) if np.all(np.isfinite(grad)) else math.inf
    what = LSQ_STATUS[status]
    head = ("Converged" if status in _CONVERGED else "Stopped")
    return (f"{head} after {nit} iteration{'s' if nit != 1 else ''}: {what} "
            f"(cost {cost:.6g}, gradient norm {gn:.3g}).")


def _finite(*arrays) -> bool:
    return all(np.all(np.isfinite(a)) for a in arrays)


def _gtol_met(J, r, gtol) -> bool:
    """MINPACK's test: max_j |J_j . r| / (|J_j| |r|) <= gtol."""
    rn = float(np.linalg.norm(r))
    if rn == 0.0:
        return True
    cn = np.linalg.norm(J, axis=0)
    cos = np.abs(J.T @ r) / np.where(cn > 0, cn, 1.0) / rn
    return float(np.max(cos, initial=0.0)) <= gtol


def _trust_region(c, x, method, ftol, xtol, gtol, budget):
    """Levenberg-Marquardt (MINPACK lmder's loop) or dogleg in the trust
    region scaled by ``D = max column norms of J`` (Moré 1978, mode 1)."""
    r = c.fun(x)
    J = c.jac(x)
    path = [x.copy()]
    if not _finite(r, J):
        return x, r, J, 0, "diverged", path
    fnorm = float(np.linalg.norm(r))
    diag = np.linalg.norm(J, axis=0)
    diag[diag == 0] = 1.0
    xnorm = float(np.linalg.norm(diag * x))
    radius = 100.0 * xnorm if xnorm > 0 else 100.0
    lam = 0.0
    nit = 0
    first = True
    while True:
        if _gtol_met(J, r, gtol):
            return x, r, J, nit, "gtol", path
        nit += 1
        diag = np.maximum(diag, np.linalg.norm(J, axis=0))
        Js = J / diag
        while True:  # until a step is accepted or a test stops the run
            if method == "lm":
                ps, lam = lm_step(Js, r, radius, lam)
            else:
                ps, lam = dogleg_step(Js, r, radius), 0.0
            p = ps / diag
            pnorm = float(np.linalg.norm(ps))
            if first:
                radius = min(radius, pnorm)
                first = False
            x_new = x + p
            r_new = c.fun(x_new)
            fnorm1 = float(np.linalg.norm(r_new)) if _finite(r_new) else math.inf
            actred = 1.0 - (fnorm1 / fnorm) ** 2 if 0.1 * fnorm1 < fnorm else -1.0
            jp = float(np.linalg.norm(J @ p)) / fnorm if fnorm else 0.0
            t2 = math.sqrt(lam) * pnorm / fnorm if fnorm else 0.0
            prered = jp * jp + 2.0 * t2 * t2
            dirder = -(jp * jp + t2 * t2)
            ratio = actred / prered if prered != 0 else 0.0
            if ratio <= 0.25:
                temp = 0.5 if actred >= 0 else 0.5 * dirder / (dirder + 0.5 * actred)
                if 0.1 * fnorm1 >= fnorm or temp < 0.1:
                    temp = 0.1
                radius = temp * min(radius, pnorm / 0.1)
                lam = lam / temp
            elif lam == 0.0 or ratio >= 0.75:
                radius = pnorm / 0.5
                lam *= 0.5
            accepted = ratio >= 1e-4
            if accepted:
                x, r = x_new, r_new
                fnorm = fnorm1
                xnorm = float(np.linalg.norm(diag * x))
                path.append(x.copy())
            # the tests come before the next Jacobian (as in lmder): the
            # Jacobian at the final point is evaluated once, for the result
            status = ""
            if abs(actred) <= ftol and prered <= ftol and 0.5 * ratio <= 1.0:
                status = "ftol"
            elif radius <= xtol * xnorm:
                status = "xtol"
            elif fnorm == 0.0:
                status = "gtol"
            elif c.nfev >= budget:
                status = "max evaluations"
            elif (abs(actred) <= _EPS and prered <= _EPS and 0.5 * ratio <= 1.0) \
                    or radius <= _EPS * xnorm:
                # MINPACK's "tolerances too small": nothing measurable left
                status = "flat"
            if status:
                return x, r, (c.res.jac(x) if accepted else J), nit, status, path
            if accepted:
                J = c.jac(x)
                if not _finite(J):
                    return x, r, J, nit, "diverged", path
                break


#: trial points of one Gauss-Newton line search
_MAX_TRIALS = 8


def _armijo(c, x, p, cost, slope):
    """``(alpha, r, cost)`` of the first step meeting Armijo's condition,
    backtracking by safeguarded quadratic interpolation (factor in [0.1,
    0.5]); ``alpha = 0`` when ``_MAX_TRIALS`` trials or f's rounding floor
    end the search."""
    alpha = 1.0
    for _ in range(_MAX_TRIALS):
        r_new = c.fun(x + alpha * p)
        cost_new = 0.5 * float(r_new @ r_new) if _finite(r_new) else math.inf
        if cost_new <= cost + 1e-4 * alpha * slope:
            return alpha, r_new, cost_new
        curv = cost_new - cost - slope * alpha
        trial = (-slope * alpha * alpha / (2 * curv)
                 if math.isfinite(curv) and curv > 0 else 0.1 * alpha)
        alpha = min(max(trial, 0.1 * alpha), 0.5 * alpha)
        if alpha * -slope <= 16 * _EPS * cost:
            return 0.0, None, cost
    return 0.0, r_new, cost


def _gauss_newton(c, x, method, ftol, xtol, gtol, budget):
    """Gauss-Newton steps with Armijo backtracking on the cost."""
    r = c.fun(x)
    J = c.jac(x)
    path = [x.copy()]
    if not _finite(r, J):
        return x, r, J, 0, "diverged", path
    cost = 0.5 * float(r @ r)
    nit = 0
    while True:
        if _gtol_met(J, r, gtol):
            return x, r, J, nit, "gtol", path
        nit += 1
        p = gauss_newton_step(J, r)
        g = J.T @ r
        slope = float(g @ p)
        predicted = -slope - 0.5 * float(np.sum((J @ p) ** 2))  # m(0) - m(p)
        alpha, r_new, cost_new = _armijo(c, x, p, cost, slope)
        if alpha == 0.0:
            status = ("max evaluations" if c.nfev >= budget
                      else "flat" if r_new is None else "no decrease")
            return x, r, J, nit, status, path
        x = x + alpha * p
        actred = (cost - cost_new) / cost if cost else 0.0
        prered = predicted / cost if cost else 0.0
        r, cost = r_new, cost_new
        J = c.jac(x)
        path.append(x.copy())
        if not _finite(J):
            return x, r, J, nit, "diverged", path
        if actred <= ftol and prered <= ftol:
            return x, r, J, nit, "ftol", path
        if alpha * float(np.linalg.norm(p)) <= xtol * (xtol + float(np.linalg.norm(x))):
            return x, r, J, nit, "xtol", path
        if cost == 0.0:
            return x, r, J, nit, "gtol", path
        if c.nfev >= budget:
            return x, r, J, nit, "max evaluations", path
