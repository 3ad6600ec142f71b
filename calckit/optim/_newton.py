"""Newton's method with the exact Hessian, Levenberg-Marquardt damping and a
backtracking Armijo line search."""

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

__all__ = ["Newton", "NewtonState"]

_ARMIJO_C1 = 1e-4
_MAX_HALVINGS = 60
_MAX_DAMPING_TRIES = 200


class NewtonState(NamedTuple):
    """State of :class:`Newton`: steps taken, the damping ``tau`` added to the
    Hessian's diagonal in the last step and the step length ``alpha`` the line
    search accepted (0.0 when no decrease was found)."""

    count: int
    damping: float
    step_size: float


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
    """Smallest tried ``tau >= damping`` making ``hessian + tau*I`` positive
    definite, and its Cholesky factor.

    Nocedal & Wright, Algorithm 3.3: start at ``damping`` (or just above
    ``-min(diag)`` when a diagonal entry is not positive), double until the
    factorization succeeds.

    >>> import numpy as np
    >>> tau, _ = damped_cholesky(np.array([[1.0, 0.0], [0.0, -2.0]]))
    >>> bool(tau > 2.0)
    True
    """
    n = hessian.shape[0]
    eye = np.eye(n)
    diag = np.diag(hessian)
    beta = 1e-3 * max(1.0, float(np.max(np.abs(diag)))) if n else 1e-3
    tau = damping
    if n and float(np.min(diag)) <= 0.0:
        tau = max(damping, -float(np.min(diag)) + beta)
    for _ in range(_MAX_DAMPING_TRIES):
        try:
            return tau, np.linalg.cholesky(hessian + tau * eye)
        except np.linalg.LinAlgError:
            tau = max(2.0 * tau, beta)
    return math.inf, None


class Newton(Optimizer):
    r"""Damped Newton's method with the exact Hessian and a line search.

    With gradient :math:`g` and Hessian :math:`H` at :math:`\theta`:

    .. math::

        (H + \tau I)\, d &= -g, \qquad \tau \ge \mathrm{damping}
            \ \text{smallest tried making } H + \tau I \text{ positive definite} \\
        \theta_{+} &= \theta + \alpha d, \qquad \alpha = 2^{-k},\ k = 0, 1,
            \dots \ \text{first with}\
            f(\theta + \alpha d) \le f(\theta) + 10^{-4}\,\alpha\, g^\top d

    ``tau`` starts at ``damping`` and is doubled (Levenberg-Marquardt style)
    while the Cholesky factorization fails, so every direction is a descent
    direction. With ``line_search=False`` the full step ``alpha = 1`` is
    taken. When no step length in ``2**-60 .. 1`` decreases ``f`` the
    parameters are returned unchanged (``state.step_size == 0``).

    :meth:`step` needs the keyword arguments ``hessian=`` (the Hessian at
    ``params``; for dict parameters, over the values flattened in the key
    order of ``params``) and ``fun=`` (the loss, for the line search).
    :func:`calckit.minimize` supplies both. As for the other optimizers,
    ``grads`` must have the structure of ``params``: dict gradients are
    matched to the parameters by key (their own order does not matter) and
    mismatched keys or shapes raise :class:`~calckit.errors.ShapeError`.

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

    def __init__(self, damping: float = 0.0, *, line_search: bool = True) -> None:
        self._setup(damping=damping, line_search=line_search)

    def _buffers(self, params: Params) -> tuple:
        return (float(self.damping), 1.0)

    def step(  # type: ignore[override]
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
        saving one evaluation in the line search.
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
        if not (np.all(np.isfinite(h)) and np.all(np.isfinite(g))):
            # no direction can be computed: report it as a non-finite point
            bad = np.full(n, np.nan)
            return _unflatten(bad, params), NewtonState(
                state.count + 1, math.nan, math.nan
            )
        tau, chol = damped_cholesky(h, self.damping)
        if chol is None:
            return params, NewtonState(state.count + 1, tau, 0.0)
        d = -np.linalg.solve(chol.T, np.linalg.solve(chol, g))
        alpha = 1.0
        if self.line_search:
            f0 = float(fun(params)) if value is None else float(value)
            alpha = _backtrack(fun, params, x, d, float(g @ d), f0)
        x_new = x + alpha * d if alpha else x.copy()
        return _unflatten(x_new, params), NewtonState(state.count + 1, tau, alpha)


def _backtrack(fun, params, x, d, slope, f0) -> float:
    """First ``alpha = 2**-k`` meeting Armijo's condition, else 0.0."""
    alpha = 1.0
    with np.errstate(all="ignore"):
        for _ in range(_MAX_HALVINGS + 1):
            f_new = float(fun(_unflatten(x + alpha * d, params)))
            if math.isfinite(f_new) and f_new <= f0 + _ARMIJO_C1 * alpha * slope:
                return alpha
            alpha *= 0.5
    return 0.0
