"""The iterations of :func:`calckit.least_squares` on compiled residuals:
MINPACK's Levenberg-Marquardt loop (also driving the dogleg step) and
Gauss-Newton with a line search, and their result object."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from calckit.optimize._lsq_steps import dogleg_step, gauss_newton_step, lm_step

__all__ = ["LeastSquaresResult", "LSQ_STATUS", "Residuals", "solve"]

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
    path: np.ndarray | None = field(default=None)

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
