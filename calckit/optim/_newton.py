"""Newton's method with the exact Hessian, scale-invariant damping and a
watchdog (non-monotone) Armijo line search that stops at f's rounding floor."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from calckit.errors import CalckitTypeError, ShapeError
from calckit.optim._base import (
    Boolean,
    Interval,
    Optimizer,
    Params,
    _check_same_tree,
    _leaf_pair,
    as_params,
)

__all__ = ["Newton", "NewtonState", "damped_cholesky"]

_ARMIJO_C1 = 1e-4
_MAX_HALVINGS = 60
_MAX_DAMPING_TRIES = 200
#: the book's (Nocedal & Wright, Algorithm 3.3) first damping, for the
#: Jacobi-scaled Hessian whose nonzero diagonal entries are +-1
_BETA = 1e-3
_EPS = float(np.finfo(np.float64).eps)
#: a predicted decrease below this many roundings of f cannot be measured
_ROUNDING = 16.0
#: a relaxed step may raise f by at most this factor of |f| (Rosenbrock's
#: second Newton step raises it 300-fold; a step to f ~ 1e244 is no longer
#: a step worth watching)
_MAX_RISE = 1e4

#: ``NewtonState.status`` values
OK, RELAXED, FLAT, NO_DECREASE, NO_DAMPING = (
    "ok", "relaxed", "flat", "no decrease", "no damping")


class _Watch(NamedTuple):
    """The point a relaxed (watchdog) step left: flat ``x``, ``f``, Newton
    direction ``d`` and slope ``g.d`` there."""

    x: np.ndarray
    f: float
    d: np.ndarray
    slope: float


class NewtonState(NamedTuple):
    """State of :class:`Newton`.

    ``count`` steps taken; ``damping`` the scaled damping ``tau`` of the last
    step; ``step_size`` the step length taken (0.0 when none); ``status`` how
    the last step ended (``"ok"``; ``"relaxed"``: a full step taken without
    enough decrease, checked at the next step; ``"flat"``: f cannot decrease
    beyond its rounding along the Newton direction, the point is final;
    ``"no decrease"``: no step length decreased f; ``"no damping"``: no
    damping made the Hessian positive definite); ``watch`` the point a
    relaxed step left (``None`` otherwise); ``floor`` the gradient norm when
    the last step at f's rounding floor was taken (``inf`` before any).
    """

    # shadows tuple.count (python/mypy#3950); public name used in docs and tests
    count: int  # type: ignore[assignment]
    damping: float
    step_size: float
    status: str = OK
    watch: _Watch | None = None
    floor: float = math.inf


def _flatten(tree: Any) -> np.ndarray:
    if isinstance(tree, dict):
        if not tree:
            return np.zeros(0)
        return np.concatenate([np.ravel(v) for v in tree.values()])
    return np.ravel(tree)


def _flat_grads(params: Params, grads: Any) -> np.ndarray:
    """``grads`` flattened in the order of ``params`` (dict keys matched by
    name, not position); ShapeError unless it has the structure of ``params``."""
    _check_same_tree(params, grads, "Newton")
    if isinstance(params, dict):
        return _flatten(
            {k: _leaf_pair(v, grads[k], "Newton", k)[1] for k, v in params.items()}
        )
    return np.ravel(_leaf_pair(params, grads, "Newton")[1])


def _unflatten(flat: np.ndarray, like: Params) -> Params:
    if isinstance(like, dict):
        out, i = {}, 0
        for k, v in like.items():
            out[k] = flat[i : i + v.size].reshape(v.shape)
            i += v.size
        return out
    return flat.reshape(np.shape(like))


def damped_cholesky(hessian: np.ndarray, damping: float = 0.0) -> tuple:
    """Scale-invariant damping: ``(tau, chol, scale)`` with ``chol`` the
    Cholesky factor of ``S (H + damping I) S + tau I`` where ``S =
    diag(scale)`` makes the nonzero diagonal entries of the scaled Hessian
    +-1 (Jacobi scaling, so that rescaling a variable changes nothing), and
    ``tau`` the first tried value making it positive definite.

    Nocedal & Wright, Algorithm 3.3 on the scaled matrix: ``tau = 0`` when
    its diagonal is positive, else ``-min(diag) + 1e-3``; doubled (at least
    ``1e-3``) until the factorization succeeds. In the original variables the
    step solves ``(H + damping I + tau D^2) d = -g`` with ``D = 1/scale``
    (Marquardt's scaling). ``tau`` is ``inf`` (and ``chol`` ``None``) when no
    tried value works.

    >>> import numpy as np
    >>> tau, _, scale = damped_cholesky(np.array([[1.0, 0.0], [0.0, -2.0]]))
    >>> bool(tau > 2.0), scale.round(4).tolist()   # H scaled to diag(1, -1)
    (False, [1.0, 0.7071])
    >>> round(tau, 12)
    1.001
    """
    n = hessian.shape[0]
    h = hessian + damping * np.eye(n) if damping else hessian
    a = np.abs(np.diag(h))
    # a zero diagonal entry (a variable f does not curve along) keeps scale 1
    scale = 1.0 / np.sqrt(np.where(a > 0.0, a, 1.0))
    hs = h * scale[:, None] * scale[None, :]
    low = float(np.min(np.diag(hs))) if n else 1.0
    tau = 0.0 if low > 0 else -low + _BETA
    eye = np.eye(n)
    for _ in range(_MAX_DAMPING_TRIES):
        try:
            return tau, np.linalg.cholesky(hs + tau * eye), scale
        except np.linalg.LinAlgError:
            tau = max(2.0 * tau, _BETA)
    return math.inf, None, scale


def _direction(chol: np.ndarray, scale: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``-S (L L^T)^{-1} S g``: the damped Newton direction."""
    y = np.linalg.solve(chol, scale * g)
    return -scale * np.linalg.solve(chol.T, y)


def _is_flat(slope: float, f0: float) -> bool:
    """True when the predicted decrease ``-slope`` is below the rounding of
    ``f0``: no step along this direction can decrease f measurably."""
    return -slope <= _ROUNDING * _EPS * abs(f0)


class Newton(Optimizer):
    r"""Damped Newton's method with the exact Hessian, a scale-invariant
    damping and a watchdog line search.

    With gradient :math:`g` and Hessian :math:`H` at :math:`\theta`, and
    :math:`D = \mathrm{diag}(|H_{ii}|)^{1/2}` (Jacobi scaling):

    .. math::

        (H + \mathrm{damping}\, I + \tau D^2)\, d &= -g, \qquad
            \tau \ \text{the first tried making the matrix positive definite} \\
        \theta_{+} &= \theta + \alpha d, \qquad
            f(\theta + \alpha d) \le f(\theta) + 10^{-4}\,\alpha\, g^\top d

    ``tau`` is Nocedal & Wright's Algorithm 3.3 applied to the scaled
    Hessian :math:`D^{-1} H D^{-1}`, so the damping does not depend on the
    units of the variables (the unscaled rule damps a Hessian with entries
    of 1e12 and 80 by about 1e9 and crawls). Every direction is a descent
    direction.

    **Line search (watchdog, Chamberlain et al. 1982).** The full step
    ``alpha = 1`` is tried first. When it satisfies Armijo's condition it is
    taken. When it does not, but ``f`` is finite there, it is taken anyway
    as a *relaxed* step (``state.status == "relaxed"``) provided the Hessian
    needed no damping (the step is then the minimizer of a convex quadratic
    model, the curvature-aware part of the rule) and f rose by at most
    ``1e4 |f|``: at the next step
    the full Newton step from there must reach a sufficient decrease
    relative to the point the relaxed step left; otherwise the method goes
    back to that point and backtracks along its direction (safeguarded
    quadratic interpolation, ``alpha`` shrunk by a factor in [0.1, 0.5]).
    Newton's fast local steps are kept through curved valleys (6 iterations
    on Rosenbrock from (-1.2, 1) instead of 21 with monotone halving), and
    the method still converges like a monotone one.

    **Rounding floor.** When the predicted decrease ``-g.d`` is below 16
    roundings of ``f``, or the backtracking reaches steps whose predicted
    decrease is, ``f`` cannot decrease measurably any more: the parameters
    are returned unchanged with ``state.status == "flat"`` (the caller stops
    there and reports the gradient norm reached). ``"no decrease"`` means
    60 reductions found no decrease although one was predicted.

    With ``line_search=False`` the full step ``alpha = 1`` is always taken.
    :meth:`step` needs the keyword arguments ``hessian=`` (the Hessian at
    ``params``; for dict parameters, over the values flattened in the key
    order of ``params``) and ``fun=`` (the loss, for the line search).
    :func:`calckit.minimize` supplies both. ``grads`` must have the structure
    of ``params``: dict gradients are matched by key, and mismatched keys or
    shapes raise :class:`~calckit.errors.ShapeError`.

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda x: float(x[0] ** 2 + 10 * x[1] ** 2)
    >>> x = np.array([3.0, -1.0])
    >>> opt = Newton()
    >>> x, state = opt.step(x, np.array([6.0, -20.0]), opt.init(x),
    ...                     hessian=np.diag([2.0, 20.0]), fun=f)
    >>> print(np.round(x, 12) + 0.0, state.step_size)   # quadratic: one exact step
    [0. 0.] 1.0
    """

    _constraints = {"damping": Interval(0, None), "line_search": Boolean()}
    State = NewtonState
    needs_hessian = True
    # hyperparameters, set by _setup
    damping: float
    line_search: bool

    def __init__(self, damping: float = 0.0, *, line_search: bool = True) -> None:
        self._setup(damping=damping, line_search=line_search)

    def _buffers(self, params: Params) -> tuple:
        return (float(self.damping), 1.0, OK, None, math.inf)

    def step(
        self,
        params: Params,
        grads: Params,
        state: NewtonState,
        *,
        hessian: Any = None,
        fun: Callable[[Params], float] | None = None,
        value: float | None = None,
    ) -> tuple[Params, NewtonState]:
        """One damped Newton step; see the class docstring.

        ``value`` (optional) is ``fun(params)`` when the caller already has it,
        saving one evaluation.
        """
        if not isinstance(state, NewtonState):
            raise CalckitTypeError(
                "Newton.step: state must be the NewtonState returned by "
                f"Newton.init, got {type(state).__name__}"
            )
        if hessian is None:
            raise CalckitTypeError(
                "Newton.step needs hessian= (the Hessian at params); "
                "calckit.minimize(..., optimizer='newton') supplies it"
            )
        if self.line_search and fun is None:
            raise CalckitTypeError(
                "Newton.step needs fun= (the loss, for the line search), or "
                "build Newton(line_search=False)"
            )
        params = as_params(params)
        x = _flatten(params)
        g = _flat_grads(params, as_params(grads, "grads"))
        n = x.size
        h = np.asarray(hessian, dtype=np.float64)
        if h.shape != (n, n):
            raise ShapeError(
                f"Newton.step: hessian must have shape ({n}, {n}) for {n} "
                f"parameters, got {h.shape}"
            )
        # Cholesky reads one triangle only: a slightly asymmetric Hessian
        # (finite differences, hand-written) would silently lose the other
        h = 0.5 * (h + h.T)
        t = state.count + 1
        if not (np.all(np.isfinite(h)) and np.all(np.isfinite(g))):
            # no direction can be computed: report it as a non-finite point
            bad = np.full(n, np.nan)
            return _unflatten(bad, params), NewtonState(t, math.nan, math.nan)
        tau, chol, scale = damped_cholesky(h, self.damping)
        if chol is None:
            if state.watch is not None and fun is not None:
                # stuck where a relaxed step went: back to the watched point
                w = state.watch
                with np.errstate(all="ignore"):
                    fx = lambda z: float(fun(_unflatten(z, params)))  # noqa: E731
                    x_new, alpha, status, _ = _backtrack(
                        fx, w.x, w.f, w.d, w.slope, 0.5, fx(w.x + 0.5 * w.d))
                x_new = w.x if x_new is None else x_new
                return _unflatten(x_new, params), NewtonState(t, tau, alpha, OK)
            return params, NewtonState(t, tau, 0.0, NO_DAMPING)
        d = _direction(chol, scale, g)
        if not self.line_search or fun is None:  # fun is given when line_search
            return _unflatten(x + d, params), NewtonState(t, tau, 1.0)
        with np.errstate(all="ignore"):
            f0 = float(fun(params)) if value is None else float(value)
            slope = float(g @ d)
            fx = lambda z: float(fun(_unflatten(z, params)))  # noqa: E731
            floor = math.inf
            if state.watch is None and _is_flat(slope, f0):
                x_new, alpha, status, watch, floor = _at_floor(
                    fx, x, f0, d, float(np.linalg.norm(g)), state.floor)
            else:
                x_new, alpha, status, watch = _search(
                    fx, x, f0, d, slope, state.watch, relax=tau == 0.0)
        if x_new is None:
            return params, NewtonState(t, tau, 0.0, status, None, floor)
        return _unflatten(x_new, params), NewtonState(
            t, tau, alpha, status, watch, floor)


def _at_floor(f, x, f0, d, gnorm, last):
    """At f's rounding floor along ``d`` no line search can work, but the
    full Newton step may still shrink the gradient (quadratic convergence
    outlives the resolution of f): take it if f does not grow beyond its
    rounding and the last floor step (gradient norm ``last``) halved the
    gradient; else stop, ``"flat"``."""
    if gnorm < 0.5 * last:
        f1 = f(x + d)
        if f1 <= f0 + _ROUNDING * _EPS * abs(f0):
            return x + d, 1.0, OK, None, gnorm
    return None, 0.0, FLAT, None, math.inf


def _search(f, x, f0, d, slope, watch, *, relax):
    """``(x_new or None, alpha, status, watch)`` of one watchdog step; a
    relaxed step only when ``relax`` (the Hessian needed no damping, so the
    full step is the true Newton step of a convex model)."""
    if watch is not None:
        return _after_relaxed(f, x, f0, d, slope, watch)
    f1 = f(x + d)
    if f1 <= f0 + _ARMIJO_C1 * slope:
        return x + d, 1.0, OK, None
    if relax and f1 - f0 <= _MAX_RISE * (abs(f0) + _EPS):
        return x + d, 1.0, RELAXED, _Watch(x, f0, d, slope)
    return _backtrack(f, x, f0, d, slope, 1.0, f1)


def _after_relaxed(f, x, f0, d, slope, w):
    """At the point a relaxed step reached: accept the next full step if it
    decreases f enough relative to the watched point ``w``; else search from
    here if this point is below ``w.f``, or go back to ``w`` and search."""
    target = w.f + _ARMIJO_C1 * w.slope
    if not _is_flat(slope, f0):
        f2 = f(x + d)
        if f2 <= target:
            return x + d, 1.0, OK, None
        if f0 < w.f:
            return _backtrack(f, x, f0, d, slope, 1.0, f2)
    elif f0 <= w.f:
        return None, 0.0, FLAT, None
    f_half = f(w.x + 0.5 * w.d)
    x_new, alpha, status, _ = _backtrack(f, w.x, w.f, w.d, w.slope, 0.5, f_half)
    if x_new is None and status == FLAT:  # nothing better than w itself
        return w.x, 0.0, OK, None
    return x_new, alpha, status, None


def _backtrack(f, x, f0, d, slope, alpha, f_alpha):
    """Armijo backtracking from ``alpha`` (where f is ``f_alpha``) with
    safeguarded quadratic interpolation."""
    for _ in range(_MAX_HALVINGS):
        if math.isfinite(f_alpha):
            if f_alpha <= f0 + _ARMIJO_C1 * alpha * slope:
                return x + alpha * d, alpha, OK, None
            curv = f_alpha - f0 - slope * alpha
            trial = -slope * alpha * alpha / (2.0 * curv) if curv > 0 else 0.5 * alpha
            alpha = min(max(trial, 0.1 * alpha), 0.5 * alpha)
        else:
            alpha *= 0.1
        if _is_flat(alpha * slope, f0):
            return None, 0.0, FLAT, None
        f_alpha = f(x + alpha * d)
    return None, 0.0, NO_DECREASE, None
