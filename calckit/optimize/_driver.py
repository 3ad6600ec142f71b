"""The loop that drives a :mod:`calckit.optim` optimizer on compiled
callables, its result object and its messages.

Shared by :func:`calckit.minimize` and the benchmarks: every evaluation of
the loss, the gradient, the Hessian or a Hessian-vector product is counted
(``nfev``, ``njev``, ``nhev``), and every way a run can end has a
:data:`STATUS` and a sentence in ``message``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from calckit.errors import CalckitTypeError

__all__ = ["OptimizeResult", "Objective", "STATUS", "run"]

_CHUNK = 4096  # rows of the path buffer allocated up front

#: status -> meaning (read-only)
STATUS = MappingProxyType({
    "converged": "the gradient norm fell below tol",
    "max steps": "the step budget ran out",
    "flat": "f no longer decreases beyond its rounding",
    "no decrease": "the line search found no decrease",
    "no damping": "no damping made the Hessian positive definite",
    "no progress": "the point stopped changing",
    "diverged": "a non-finite value appeared",
    "callback": "the callback asked to stop",
})
#: optimizer statuses that end a run
_STOPS = ("flat", "no decrease", "no damping", "no progress")


class Objective(NamedTuple):
    """Callables of a flat point ``x``: ``fun(x) -> float``,
    ``value_and_grad(x) -> (float, ndarray)``, and, when the optimizer needs
    them, ``hess(x) -> (n, n)`` and ``hvp(x, v) -> (n,)``."""

    fun: Callable
    value_and_grad: Callable
    hess: Callable | None = None
    hvp: Callable | None = None


@dataclass(frozen=True, repr=False)
class OptimizeResult:
    """The outcome of :func:`minimize`.

    Attributes
    ----------
    x : ndarray (n,)
        The final point (the last finite one if the run diverged).
    fun : float
        The loss at ``x``.
    grad : ndarray (n,)
        The gradient at ``x``.
    nit : int
        Steps taken.
    converged : bool
        ``True`` when the gradient norm at ``x`` is below ``tol``.
    diverged : bool
        ``True`` when a non-finite loss, gradient or point appeared; the run
        stopped there and ``message`` names the step.
    path : ndarray (nit + 1, n)
        Every point visited, ``x0`` first.
    losses : ndarray (nit + 1,)
        The loss at each point of ``path``.
    message : str
        What happened, in one or two sentences.
    wrt : tuple of str
        The variables, in the order of ``x``.
    optimizer : Optimizer
        The optimizer that ran.
    status : str
        Why the run stopped, one of :data:`STATUS` (``"converged"``,
        ``"max steps"``, ``"flat"``, ...); ``message`` says it in words.
    nfev, njev, nhev : int
        Evaluations of the loss, the gradient and the Hessian (or of a
        Hessian-vector product) made by the run; one fused value-and-gradient
        call counts as one of each.
    """

    x: np.ndarray
    fun: float
    grad: np.ndarray
    nit: int
    converged: bool
    diverged: bool
    path: np.ndarray
    losses: np.ndarray
    message: str
    wrt: tuple = ()
    optimizer: Any = field(default=None)
    status: str = ""
    nfev: int = 0
    njev: int = 0
    nhev: int = 0

    @property
    def grad_norm(self) -> float:
        """Euclidean norm of :attr:`grad` (no overflow for large finite
        entries)."""
        return _norm(self.grad)

    def __repr__(self) -> str:
        x = np.array2string(self.x, precision=6, separator=", ")
        return (
            f"OptimizeResult(x={x}, fun={self.fun:.6g}, nit={self.nit}, "
            f"converged={self.converged}, diverged={self.diverged}, "
            f"status={self.status!r}, message={self.message!r})"
        )

    def __str__(self) -> str:
        pairs = ", ".join(
            f"{n} = {v:.8g}" for n, v in zip(self.wrt, self.x, strict=False)
        )
        status = (
            "converged" if self.converged
            else "diverged" if self.diverged else "not converged"
        )
        return (
            f"{status}: {self.message}\n"
            f"  x: {pairs}\n  loss: {self.fun:.8g}\n"
            f"  |grad|: {self.grad_norm:.3g}\n  steps: {self.nit} "
            f"(evaluations: {self.nfev} f, {self.njev} grad, {self.nhev} Hessian)"
        )


class _Counted:
    """The objective's callables, counting their calls."""

    def __init__(self, obj: Objective) -> None:
        self.obj = obj
        self.nfev = self.njev = self.nhev = 0
        self._hess_at = self._hess = None

    def fun(self, x):
        self.nfev += 1
        return self.obj.fun(x)

    def value_and_grad(self, x):
        self.nfev += 1
        self.njev += 1
        return self.obj.value_and_grad(x)

    def hess(self, x):
        # a rejected trust-region step hands back the same point object:
        # its Hessian is not evaluated again
        if x is not self._hess_at:
            hess = self.obj.hess
            if hess is None:
                raise CalckitTypeError(
                    "this optimizer needs the Hessian, but the Objective has no hess"
                )
            self.nhev += 1
            self._hess_at, self._hess = x, hess(x)
        return self._hess

    def hvp_at(self, x):
        hvp_of = self.obj.hvp
        if hvp_of is None:
            raise CalckitTypeError(
                "this optimizer needs Hessian-vector products, but the Objective "
                "has no hvp"
            )

        def hvp(v):
            self.nhev += 1
            return hvp_of(x, v)
        return hvp


def _message(status, bad, k_bad, k, gn, tol, f, losses, hint) -> str:
    """One or two sentences on how the run ended."""
    if status == "diverged":
        if not k_bad:
            return f"Diverged: the {bad} is not finite at x0."
        return (
            f"Diverged: a non-finite {bad} appeared at step {k_bad}; stopped "
            f"there and kept the last finite point (step {k}). "
            f"{hint[0].upper()}{hint[1:]}."
        )
    if status == "converged":
        return f"Converged after {_steps(k)}: gradient norm {gn:.3g} < tol {tol:g}."
    if status == "flat":
        return (
            f"Stopped at step {k}: f = {f:.10g} no longer decreases beyond its "
            f"rounding; gradient norm reached {gn:.3g} (tol {tol:g})."
        )
    if status == "no decrease":
        return (
            f"Stopped at step {k}: the line search found no decrease along the "
            f"search direction (gradient norm {gn:.3g} >= tol {tol:g})."
        )
    if status == "no damping":
        return (
            f"Stopped at step {k}: no damping made the Hessian positive "
            f"definite (gradient norm {gn:.3g} >= tol {tol:g})."
        )
    if status == "no progress":
        return (
            f"Stopped at step {k}: the point stopped changing (gradient norm "
            f"{gn:.3g} >= tol {tol:g})."
        )
    if status == "callback":
        return f"Stopped by the callback at step {k} (gradient norm {gn:.3g})."
    message = (
        f"Did not converge in {_steps(k)}: gradient norm {gn:.3g} >= tol {tol:g}."
    )
    l0, l1 = losses[0], losses[k]
    if k and l1 > l0 + 1e-9 * abs(l0):
        message += (
            f" The loss grew from {l0:.4g} to {l1:.4g}: the iteration is "
            f"diverging; {hint}."
        )
    elif k and l1 >= l0 - 1e-9 * abs(l0):
        message += (
            f" The loss did not decrease ({l0:.4g} -> {l1:.4g}): the steps "
            f"oscillate; {hint}."
        )
    return message


def _steps(k: int) -> str:
    return "1 step" if k == 1 else f"{k} steps"


def _norm(g: np.ndarray) -> float:
    """Euclidean norm without overflow for large finite entries."""
    scale = float(np.max(np.abs(g))) if g.size else 0.0
    if scale == 0.0 or not math.isfinite(scale):
        return scale
    return scale * math.sqrt(float((g / scale) @ (g / scale)))


def _raw(kernel):
    """The generated function itself when the Kernel exposes it (less call
    overhead), else the kernel."""
    return getattr(kernel, "function", kernel)


def _step_function(opt, c: _Counted) -> Callable:
    """``step(x, g, f, state) -> (x_new, state)`` feeding ``opt`` what it
    needs: the Hessian or a Hessian-vector product at ``x`` and the loss
    (second-order methods), the value-and-gradient closure (L-BFGS), or
    nothing (first-order methods)."""
    step = opt.step
    if getattr(opt, "uses_closure", False):
        return lambda x, g, f, s: step(x, g, s, fun=c.value_and_grad, value=f)
    if getattr(opt, "needs_hvp", False):
        return lambda x, g, f, s: step(x, g, s, hessp=c.hvp_at(x), fun=c.fun,
                                       value=f)
    if getattr(opt, "needs_hessian", False):
        return lambda x, g, f, s: step(x, g, s, hessian=c.hess(x), fun=c.fun,
                                       value=f)
    return lambda x, g, f, s: step(x, g, s)


def path_steps(nit: int, every: int = 1) -> np.ndarray:
    """The steps whose points a run keeps in ``path`` with ``path_every=every``:
    every ``every``-th step from 0, and the last step ``nit``.

    >>> path_steps(7, 3).tolist()
    [0, 3, 6, 7]
    """
    kept = np.arange(0, nit + 1, every)
    return kept if kept[-1] == nit else np.append(kept, nit)


def _kept_path(path, x, k, every):
    """The rows of ``path`` filled by a run of ``k`` steps, with the last
    point appended when ``k`` is not a multiple of ``every``."""
    rows = path[: k // every + 1]
    return rows.copy() if k % every == 0 else np.vstack([rows, x[None]])


def run(opt, obj: Objective, x, steps, tol, names=(), callback=None,
        path_every: int = 1):
    """Drive ``opt`` from the flat point ``x`` for at most ``steps`` steps;
    return an :class:`OptimizeResult`. A step an optimizer rejects (it
    returns its input ``x`` itself, as a trust region does) counts as a step
    and repeats the point in ``path``; an optimizer status in
    ``("flat", "no decrease", "no damping", "no progress")`` ends the run.
    ``path`` keeps the points of :func:`path_steps` (``path_every``)."""
    c = _Counted(obj)
    n = x.size
    cap = min(steps // path_every + 2, _CHUNK)  # grown by doubling: steps may be huge
    path = np.empty((cap, n))
    losses = np.empty(min(steps + 1, _CHUNK))
    state = opt.init(x)
    step = _step_function(opt, c)
    closure = bool(getattr(opt, "uses_closure", False))
    isfinite, sqrt = math.isfinite, math.sqrt
    k = k_bad = 0
    bad = status = ""
    with np.errstate(all="ignore"):
        f, g = c.value_and_grad(x)
        gn = _norm(g)
        path[0] = x
        losses[0] = f
        if not (isfinite(f) and isfinite(gn)):
            bad = "loss" if not isfinite(f) else "gradient"
        while not bad and k < steps and not gn < tol:
            x_new, state = step(x, g, f, state)
            damping = getattr(state, "damping", 0.0)
            if damping != damping:  # nan: the Hessian is not finite
                bad, k_bad = "Hessian", k
                break
            stop = getattr(state, "status", "")
            stop = stop if stop in _STOPS else ""
            if closure and stop == "" and np.array_equal(x_new, x):
                # L-BFGS ends a step without moving when its tests on the
                # change of f or x fire: nothing more will happen
                stop = "no progress"
                x_new = x
            if x_new is x:  # rejected (trust region) or final
                if stop:
                    status = stop
                    break
                f_new, g_new, gn_new = f, g, gn
            else:
                f_new, g_new = c.value_and_grad(x_new)
                gn_new = sqrt(float(g_new @ g_new))
                if not isfinite(gn_new):
                    gn_new = _norm(g_new)
                if not (isfinite(f_new) and isfinite(gn_new)
                        and isfinite(x_new.sum())):
                    bad = (
                        "point" if not isfinite(x_new.sum())
                        else "loss" if not isfinite(f_new) else "gradient"
                    )
                    k_bad = k + 1
                    break
            k += 1
            x, f, g, gn = x_new, f_new, g_new, gn_new
            if k == losses.size:
                losses = np.resize(losses, min(2 * k, steps + 1))
            losses[k] = f
            if k % path_every == 0:
                if k // path_every == cap:
                    cap = min(2 * cap, steps // path_every + 2)
                    path = np.resize(path, (cap, n))
                path[k // path_every] = x
            if stop:
                status = stop
                break
            if callback is not None and callback(k, x.copy(), f, gn):
                status = "callback"
                break
    converged = gn < tol
    if bad:
        status = "diverged"
    elif converged:
        status = "converged"
    elif not status:
        status = "max steps"
    hint = (
        "try a smaller lr" if "lr" in opt.hyperparameters
        else "try another x0 or a larger damping"
    )
    message = _message(status, bad, k_bad, k, gn, tol, f, losses, hint)
    return OptimizeResult(
        x=x.copy(),
        fun=float(f),
        grad=np.array(g, dtype=np.float64),
        nit=k,
        converged=bool(converged),
        diverged=bool(bad),
        path=_kept_path(path, x, k, path_every),
        losses=losses[: k + 1].copy(),
        message=message,
        wrt=tuple(names),
        optimizer=opt,
        status=status,
        nfev=c.nfev,
        njev=c.njev,
        nhev=c.nhev,
    )
