"""Trust-region Newton methods: one driver step (``TrustRegion.step``) and
two subproblem solvers, the exact one (Moré and Sorensen 1983) and
Steihaug-Toint truncated CG that only needs Hessian-vector products."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple

import numpy as np

from calckit.errors import CalckitTypeError, ShapeError
from calckit.optim._base import Interval, Optimizer, Params, as_params
from calckit.optim._newton import _flat_grads, _flatten, _unflatten

__all__ = ["TrustExact", "TrustNCG", "TrustRegionState", "solve_exact",
           "solve_steihaug"]

_EPS = float(np.finfo(np.float64).eps)
#: Newton iterations on the secular equation of the exact subproblem; SciPy's
#: ``IterativeSubproblem`` caps its own loop at 25 after it was seen to hang
_MAX_SECULAR_ITER = 25
#: the exact subproblem is solved when | |p| - radius | <= K_EASY * radius
_K_EASY = 0.1
_ROUNDING = 16.0


class TrustRegionState(NamedTuple):
    """State of :class:`TrustExact` / :class:`TrustNCG`: steps taken, the
    trust radius, whether the last step was accepted, its ratio ``rho`` of
    actual to predicted reduction, and ``status`` (``"ok"``, or ``"flat"``
    when the predicted reduction fell below the rounding of f: the point is
    final)."""

    # shadows tuple.count (python/mypy#3950); public name used in docs and tests
    count: int  # type: ignore[assignment]
    radius: float
    accepted: bool = True
    rho: float = math.nan
    status: str = "ok"


def solve_exact(H: np.ndarray, g: np.ndarray, radius: float) -> tuple:
    """``(p, hits_boundary)``: the minimizer of ``g.p + p.H.p / 2`` over
    ``|p| <= radius`` (Moré and Sorensen 1983).

    The solution is ``p = -(H + lam I)^{-1} g`` with ``lam >= max(0,
    -lambda_min(H))`` and ``lam (radius - |p|) = 0``. ``lam`` solves the
    secular equation ``1/|p(lam)| = 1/radius`` by Moré and Sorensen's Newton
    iteration (safeguarded by bisection), with ``|p(lam)|`` and its
    derivative read from one eigendecomposition of ``H`` instead of a
    Cholesky factorization per iterate; the *hard case* (``g`` orthogonal to
    the eigenvectors of ``lambda_min``) adds the multiple of such an
    eigenvector that reaches the boundary.

    >>> import numpy as np
    >>> p, edge = solve_exact(np.diag([2.0, 4.0]), np.array([-2.0, -4.0]), 5.0)
    >>> p.tolist(), edge                       # the Newton step fits
    ([1.0, 1.0], False)
    >>> p, edge = solve_exact(np.diag([1.0, -1.0]), np.array([0.0, 0.0]), 2.0)
    >>> np.abs(p).round(12).tolist(), edge      # hard case: along -1's vector
    ([0.0, 2.0], True)
    """
    lam, Q = np.linalg.eigh(H)
    a = Q.T @ g
    lmin = float(lam[0])
    if lmin > 0:
        p = -Q @ (a / lam)
        if np.linalg.norm(p) <= radius:
            return p, False
    lo = max(0.0, -lmin)
    scale = max(abs(lmin), float(np.max(np.abs(lam))), 1.0)
    tiny = _EPS * scale * 10
    hard = np.abs(lam - lmin) <= tiny
    gnorm = float(np.linalg.norm(g))
    mask = ~hard if lmin <= 0 else np.ones_like(hard)

    def pnorm(lmb):
        d = lam[mask] + lmb
        return math.sqrt(float(np.sum((a[mask] / d) ** 2)))

    if lmin <= 0 and np.linalg.norm(a[hard]) <= math.sqrt(_EPS) * max(gnorm, 1e-300):
        # hard case candidate: p(lo) without the lmin components
        p_lo = np.zeros_like(a)
        p_lo[mask] = -a[mask] / (lam[mask] + lo)
        if np.linalg.norm(p_lo) <= radius:
            z = np.zeros_like(a)
            z[np.argmax(hard)] = 1.0
            tau = math.sqrt(max(radius**2 - float(p_lo @ p_lo), 0.0))
            return Q @ (p_lo + tau * z), True
        mask = np.ones_like(hard)
    mask = np.ones_like(hard, dtype=bool)
    hi = lo + gnorm / radius + tiny
    lmb = hi if lo == 0.0 else lo + max(tiny, 1e-3 * (hi - lo))
    for _ in range(_MAX_SECULAR_ITER):
        d = lam + lmb
        p_norm = pnorm(lmb)
        if abs(p_norm - radius) <= _K_EASY * radius:
            break
        if p_norm > radius:
            lo = lmb
        else:
            hi = lmb
        q2 = float(np.sum(a**2 / d**3))
        step = (p_norm / math.sqrt(q2)) ** 2 * (p_norm - radius) / radius
        lmb_new = lmb + step
        lmb = lmb_new if lo < lmb_new < hi else 0.5 * (lo + hi)
    p = -Q @ (a / (lam + lmb))
    norm = float(np.linalg.norm(p))
    if norm > radius:  # within K_EASY of the boundary, from outside: pull in
        p *= radius / norm
    return p, True


def solve_steihaug(hessp: Callable, g: np.ndarray, radius: float) -> tuple:
    """``(p, hits_boundary)``: Steihaug-Toint truncated CG on ``g.p + p.H.p /
    2`` inside ``|p| <= radius``, with ``H`` only through ``hessp(v) = H v``
    (Nocedal & Wright, Algorithm 7.2). Stops at the residual tolerance
    ``min(0.5, sqrt|g|) |g|``, at negative curvature or the boundary
    (following the direction to the boundary), or after ``n`` iterations.

    >>> import numpy as np
    >>> H = np.diag([2.0, 2.0])
    >>> p, edge = solve_steihaug(lambda v: H @ v, np.array([-2.0, -4.0]), 5.0)
    >>> np.round(p, 12).tolist(), edge
    ([1.0, 2.0], False)
    >>> p, edge = solve_steihaug(lambda v: H @ v, np.array([-2.0, -4.0]), 1.0)
    >>> round(float(np.linalg.norm(p)), 12), edge
    (1.0, True)
    """
    z = np.zeros_like(g)
    r = g.copy()
    d = -r
    gnorm = float(np.linalg.norm(g))
    tol = min(0.5, math.sqrt(gnorm)) * gnorm
    if gnorm <= tol or gnorm == 0.0:
        return z, False
    for _ in range(g.size):
        Bd = hessp(d)
        dBd = float(d @ Bd)
        if dBd <= 0:
            return _to_boundary(z, d, radius), True
        rr = float(r @ r)
        alpha = rr / dBd
        z_next = z + alpha * d
        if np.linalg.norm(z_next) >= radius:
            return _to_boundary(z, d, radius), True
        r = r + alpha * Bd
        if np.linalg.norm(r) < tol:
            return z_next, False
        beta = float(r @ r) / rr
        d = -r + beta * d
        z = z_next
    return z, False


def _to_boundary(z, d, radius):
    """``z + tau d`` with ``tau >= 0`` and ``|z + tau d| = radius``."""
    a, b, c = float(d @ d), 2 * float(z @ d), float(z @ z) - radius**2
    tau = (-b + math.sqrt(max(b * b - 4 * a * c, 0.0))) / (2 * a)
    return z + tau * d


class _TrustRegion(Optimizer):
    r"""Trust-region Newton (Nocedal & Wright, Algorithm 4.1, as SciPy's
    ``_minimize_trust_region``).

    With the model :math:`m(p) = f + g^\top p + \tfrac12 p^\top H p` and
    :math:`p` its (approximate) minimizer in :math:`|p| \le \Delta`:

    .. math::

        \rho = \frac{f(\theta) - f(\theta + p)}{m(0) - m(p)}, \qquad
        \Delta \leftarrow \begin{cases} \Delta / 4 & \rho < 1/4 \\
        \min(2\Delta, \Delta_{\max}) & \rho > 3/4,\ |p| = \Delta \end{cases}

    and the step is taken when :math:`\rho > \eta`; a rejected step returns
    ``params`` itself (the same object) with ``state.accepted == False``.
    When the predicted reduction is below 16 roundings of ``f`` the point is
    final: ``params`` is returned with ``state.status == "flat"``.
    """

    _constraints = {
        "initial_trust_radius": Interval(0, None, closed="neither"),
        "max_trust_radius": Interval(0, None, closed="neither"),
        "eta": Interval(0, 0.25, closed="left"),
    }
    State = TrustRegionState
    needs_hessian: ClassVar[bool]  # set by each subclass
    # hyperparameters, set by _setup
    initial_trust_radius: float
    max_trust_radius: float
    eta: float

    def __init__(self, initial_trust_radius: float = 1.0,
                 max_trust_radius: float = 1000.0, eta: float = 0.15) -> None:
        self._setup(initial_trust_radius=initial_trust_radius,
                    max_trust_radius=max_trust_radius, eta=eta)

    def _buffers(self, params: Params) -> tuple:
        return (float(self.initial_trust_radius), True, math.nan, "ok")

    def _solve(self, g, radius, hessian, hessp):  # pragma: no cover - abstract
        raise NotImplementedError

    def step(
        self,
        params: Params,
        grads: Params,
        state: TrustRegionState,
        *,
        hessian: Any = None,
        hessp: Callable | None = None,
        fun: Callable[[Params], float] | None = None,
        value: float | None = None,
    ) -> tuple[Params, TrustRegionState]:
        """One trust-region iteration; see the class docstring."""
        owner = type(self).__name__
        if not isinstance(state, TrustRegionState):
            raise CalckitTypeError(
                f"{owner}.step: state must be the TrustRegionState returned by "
                f"{owner}.init, got {type(state).__name__}"
            )
        if fun is None:
            raise CalckitTypeError(f"{owner}.step needs fun= (the loss)")
        params = as_params(params)
        x = _flatten(params)
        g = _flat_grads(params, as_params(grads, "grads"))
        n = x.size
        H = None
        if self.needs_hessian:
            if hessian is None:
                raise CalckitTypeError(f"{owner}.step needs hessian= (the Hessian "
                                       "at params)")
            H = np.asarray(hessian, dtype=np.float64)
            if H.shape != (n, n):
                raise ShapeError(f"{owner}.step: hessian must have shape ({n}, {n}),"
                                 f" got {H.shape}")
            H = 0.5 * (H + H.T)
            hessp = H.__matmul__
        elif hessp is None:
            raise CalckitTypeError(f"{owner}.step needs hessp= (v -> H v at params)")
        t = state.count + 1
        radius = state.radius
        if not (np.all(np.isfinite(g)) and (H is None or np.all(np.isfinite(H)))):
            return _unflatten(np.full(n, np.nan), params), TrustRegionState(
                t, radius, False, math.nan, "ok")
        with np.errstate(all="ignore"):
            f0 = float(fun(params)) if value is None else float(value)
            p, edge = self._solve(g, radius, H, hessp)
            predicted = -(float(g @ p) + 0.5 * float(p @ hessp(p)))
            if not predicted > _ROUNDING * _EPS * abs(f0):
                return params, TrustRegionState(t, radius, False, math.nan, "flat")
            x_new = x + p
            f_new = float(fun(_unflatten(x_new, params)))
        rho = (f0 - f_new) / predicted if math.isfinite(f_new) else -math.inf
        if rho < 0.25:
            radius *= 0.25
        elif rho > 0.75 and edge:
            radius = min(2 * radius, self.max_trust_radius)
        if rho > self.eta:
            return _unflatten(x_new, params), TrustRegionState(t, radius, True, rho)
        status = "flat" if radius <= _EPS * max(float(np.linalg.norm(x)), 1.0) else "ok"
        return params, TrustRegionState(t, radius, False, rho, status)


class TrustExact(_TrustRegion):
    __doc__ = (_TrustRegion.__doc__ or "") + r"""
    The subproblem is solved nearly exactly (:func:`solve_exact`, Moré and
    Sorensen), with the exact Hessian: :meth:`step` needs ``hessian=`` and
    ``fun=`` (:func:`calckit.minimize` with ``optimizer="trust-exact"``
    supplies both).

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda z: float(z[0] ** 2 + 10 * z[1] ** 2)
    >>> opt = TrustExact(initial_trust_radius=10.0)
    >>> x = np.array([3.0, -1.0])
    >>> x, state = opt.step(x, np.array([6.0, -20.0]), opt.init(x),
    ...                     hessian=np.diag([2.0, 20.0]), fun=f)
    >>> print(np.round(x, 12) + 0.0, state.accepted)
    [0. 0.] True
    """
    needs_hessian = True

    def _solve(self, g, radius, hessian, hessp):
        return solve_exact(hessian, g, radius)


class TrustNCG(_TrustRegion):
    __doc__ = (_TrustRegion.__doc__ or "") + r"""
    The subproblem is solved by Steihaug-Toint truncated CG
    (:func:`solve_steihaug`), which needs only Hessian-vector products:
    :meth:`step` needs ``hessp=`` (``v -> H v`` at ``params``, flat) and
    ``fun=``; :func:`calckit.minimize` with ``optimizer="trust-ncg"``
    compiles the exact product (no ``n x n`` matrix is formed).

    Examples
    --------
    >>> import numpy as np
    >>> H = np.diag([2.0, 2.0])
    >>> f = lambda z: float(z[0] ** 2 + z[1] ** 2)
    >>> opt = TrustNCG(initial_trust_radius=10.0)
    >>> x = np.array([3.0, -1.0])
    >>> x, state = opt.step(x, H @ x, opt.init(x), hessp=lambda v: H @ v, fun=f)
    >>> print(np.round(x, 12) + 0.0, state.accepted)
    [0. 0.] True
    """
    needs_hessian = False
    needs_hvp = True

    def _solve(self, g, radius, hessian, hessp):
        return solve_steihaug(hessp, g, radius)
