"""L-BFGS as ``torch.optim.LBFGS``: the same two-loop recursion, constants,
first step, stopping tests and strong-Wolfe line search (cubic
interpolation, from minFunc by way of Lua torch), in float64 NumPy."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from calckit.errors import CalckitTypeError, InvalidParameterError
from calckit.optim._base import Interval, Optimizer, Params, as_params
from calckit.optim._newton import _flat_grads, _flatten, _unflatten

__all__ = ["LBFGS", "LBFGSState"]


class LBFGSState(NamedTuple):
    """State of :class:`LBFGS` (PyTorch's ``optimizer.state`` as a value).

    ``count`` calls of :meth:`LBFGS.step`; ``func_evals`` and ``n_iter``
    closure evaluations and iterations over all calls; ``d`` and ``t`` the
    last direction and step length; ``old_dirs``, ``old_stps``, ``ro`` the
    curvature pairs ``y``, ``s`` and ``1 / y.s`` (tuples, oldest first);
    ``H_diag`` the initial inverse-Hessian scale; ``prev_flat_grad`` and
    ``prev_loss`` the gradient and loss at the start of the last iteration;
    ``loss`` the loss at the parameters the last step started from (what
    ``torch.optim.LBFGS.step`` returns).
    """

    # shadows tuple.count (python/mypy#3950); public name used in docs and tests
    count: int  # type: ignore[assignment]
    func_evals: int = 0
    n_iter: int = 0
    d: Any = None
    t: Any = None
    old_dirs: tuple = ()
    old_stps: tuple = ()
    ro: tuple = ()
    H_diag: float = 1.0
    prev_flat_grad: Any = None
    prev_loss: Any = None
    loss: Any = None


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimizer of the cubic through two points with slopes, clipped to
    ``bounds`` (default: between the points); their midpoint when the cubic
    has no minimizer."""
    if bounds is not None:
        lo, hi = bounds
    else:
        lo, hi = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, lo), hi)
    return (lo + hi) / 2.0


def _strong_wolfe(obj, x, t, d, f, g, gtd, c1=1e-4, c2=0.9,
                  tolerance_change=1e-9, max_ls=25):
    """A step ``t`` along ``d`` meeting the strong Wolfe conditions, as
    torch's ``_strong_wolfe``: bracket (extrapolating by cubic
    interpolation), then zoom. Returns ``(f_new, g_new, t, evaluations)``."""
    d_norm = float(np.max(np.abs(d)))
    f_new, g_new = obj(x, t, d)
    evals = 1
    gtd_new = float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    bracket_gtd: list[float] = []  # set whenever the zoom loop below runs
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = obj(x, t, d)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]
    insuf_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        # keep t away from the ends of the bracket (insufficient progress)
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj(x, t, d)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high] = t, f_new
            bracket_g[high], bracket_gtd[high] = g_new, gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high] = bracket_g[low]
                bracket_gtd[high] = bracket_gtd[low]
            bracket[low], bracket_f[low] = t, f_new
            bracket_g[low], bracket_gtd[low] = g_new, gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals


class LBFGS(Optimizer):
    r"""L-BFGS, as ``torch.optim.LBFGS`` step for step (float64).

    One :meth:`step` is one call of PyTorch's ``step(closure)``: up to
    ``max_iter`` iterations, each with the direction of the two-loop
    recursion over the last ``history_size`` curvature pairs,

    .. math::

        d = -H_k g, \qquad H_k^0 = \frac{y^\top s}{y^\top y} I, \qquad
        x_{+} = x + t\, d,

    a pair ``(s, y)`` kept only when ``y.s > 1e-10``, first step length
    ``t = min(1, 1/|g|_1) lr``, then ``t = lr`` or a strong-Wolfe line search
    (``line_search_fn="strong_wolfe"``). The iterations stop at
    ``max|g| <= tolerance_grad``, at ``max_eval`` (default ``max_iter * 5 //
    4``) evaluations, or when the step, the change of the loss or ``g.d``
    falls below ``tolerance_change``.

    **The pure API.** L-BFGS evaluates the loss several times per step, so
    :meth:`step` takes the closure as a keyword: ``params, state =
    opt.step(params, grads, state, fun=value_and_grad)`` where
    ``value_and_grad(params) -> (loss, grads)`` (same structure as
    ``params``) and ``grads`` is the gradient at ``params``. ``value=`` (the
    loss at ``params``) saves the first evaluation; PyTorch makes it inside
    ``step`` and it is counted in ``state.func_evals`` either way.
    ``state.loss`` is the loss at the parameters the step started from
    (what ``torch.optim.LBFGS.step`` returns). Without a line search the last
    iteration of a step does not evaluate the closure at its new point
    (PyTorch's behaviour), so ``state`` holds no value there.
    :func:`calckit.minimize` (``optimizer="lbfgs"``) supplies the closure.

    Examples
    --------
    >>> import numpy as np
    >>> def value_and_grad(x):
    ...     return float(x @ x), 2 * x
    >>> opt = LBFGS(line_search_fn="strong_wolfe")
    >>> x = np.array([3.0, -4.0])
    >>> f, g = value_and_grad(x)
    >>> x, state = opt.step(x, g, opt.init(x), fun=value_and_grad, value=f)
    >>> print(np.round(x, 12) + 0.0, state.loss)
    [0. 0.] 25.0
    """

    _constraints = {
        "lr": Interval(0, None),
        "max_iter": Interval(1, None),
        "tolerance_grad": Interval(0, None),
        "tolerance_change": Interval(0, None),
        "history_size": Interval(1, None),
    }
    State = LBFGSState
    uses_closure = True
    # hyperparameters, set by _setup and __init__
    lr: float
    max_iter: int
    max_eval: int
    tolerance_grad: float
    tolerance_change: float
    history_size: int
    line_search_fn: str | None

    def __init__(
        self,
        lr: float = 1.0,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        for name, v in (("max_iter", max_iter), ("history_size", history_size),
                        ("max_eval", max_eval)):
            if v is not None and (not isinstance(v, (int, np.integer))
                                  or isinstance(v, bool) or v < 1):
                raise InvalidParameterError(
                    f"The {name!r} parameter of LBFGS must be an int >= 1. "
                    f"Got {v!r} instead."
                )
        if line_search_fn not in (None, "strong_wolfe"):
            raise InvalidParameterError(
                "The 'line_search_fn' parameter of LBFGS must be None or "
                f"'strong_wolfe'. Got {line_search_fn!r} instead."
            )
        self._setup(lr=lr, max_iter=max_iter, tolerance_grad=tolerance_grad,
                    tolerance_change=tolerance_change, history_size=history_size)
        object.__setattr__(self, "_frozen", False)
        self._hyper.update(max_eval=max_eval, line_search_fn=line_search_fn)
        self.max_eval = max_iter * 5 // 4 if max_eval is None else max_eval
        self.line_search_fn = line_search_fn
        self._freeze()

    def _buffers(self, params: Params) -> tuple:
        return ()

    def init(self, params: Params) -> LBFGSState:
        """The empty state (no history)."""
        as_params(params)
        return LBFGSState(0)

    def step(
        self,
        params: Params,
        grads: Params,
        state: LBFGSState,
        *,
        fun: Callable[[Params], tuple] | None = None,
        value: float | None = None,
    ) -> tuple[Params, LBFGSState]:
        """One ``torch.optim.LBFGS.step``; see the class docstring."""
        if not isinstance(state, LBFGSState):
            raise CalckitTypeError(
                "LBFGS.step: state must be the LBFGSState returned by "
                f"LBFGS.init, got {type(state).__name__}"
            )
        if fun is None:
            raise CalckitTypeError(
                "LBFGS.step needs fun= (a closure params -> (loss, grads)); "
                "calckit.minimize(..., optimizer='lbfgs') supplies it"
            )
        params = as_params(params)
        like = params

        def closure(flat):
            loss, g = fun(_unflatten(flat, like))
            return float(loss), _flat_grads(like, as_params(g, "grads"))

        x = _flatten(params).copy()
        flat_grad = _flat_grads(params, as_params(grads, "grads"))
        if value is None:
            loss, flat_grad = closure(x)
        else:
            loss = float(value)
        with np.errstate(all="ignore"):
            x, new = self._iterate(closure, x, loss, flat_grad, state)
        return _unflatten(x, like), new

    def _iterate(self, closure, x, loss, flat_grad, st):
        lr, max_iter, max_eval = self.lr, self.max_iter, self.max_eval
        tol_change = self.tolerance_change
        orig_loss = loss
        current_evals = 1
        func_evals = st.func_evals + 1
        total_iter = st.n_iter
        d, t = st.d, st.t
        old_dirs, old_stps, ro = list(st.old_dirs), list(st.old_stps), list(st.ro)
        H_diag = st.H_diag
        prev_flat_grad, prev_loss = st.prev_flat_grad, st.prev_loss

        def done():
            return x, LBFGSState(st.count + 1, func_evals, total_iter, d, t,
                                 tuple(old_dirs), tuple(old_stps), tuple(ro),
                                 H_diag, prev_flat_grad, prev_loss, orig_loss)

        if float(np.max(np.abs(flat_grad), initial=0.0)) <= self.tolerance_grad:
            return done()
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            total_iter += 1
            if total_iter == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y @ s)
                if ys > 1e-10:
                    if len(old_dirs) == self.history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / float(y @ y)
                d = _two_loop(flat_grad, old_dirs, old_stps, ro, H_diag)
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            if total_iter == 1:
                t = min(1.0, 1.0 / float(np.sum(np.abs(flat_grad)))) * lr
            else:
                t = lr
            gtd = float(flat_grad @ d)
            if gtd > -tol_change:
                break
            if self.line_search_fn is not None:
                def obj(x0, step, direction):
                    return closure(x0 + step * direction)

                loss, flat_grad, t, ls_evals = _strong_wolfe(
                    obj, x, t, d, loss, flat_grad, gtd,
                    max_ls=max_eval - current_evals)
                x = x + t * d
                opt_cond = float(np.max(np.abs(flat_grad))) <= self.tolerance_grad
            else:
                x = x + t * d
                ls_evals = 0
                opt_cond = False
                if n_iter != max_iter:
                    loss, flat_grad = closure(x)
                    opt_cond = (float(np.max(np.abs(flat_grad)))
                                <= self.tolerance_grad)
                    ls_evals = 1
            current_evals += ls_evals
            func_evals += ls_evals
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if float(np.max(np.abs(d * t))) <= tol_change:
                break
            if abs(loss - prev_loss) < tol_change:
                break
        return done()


def _two_loop(g, old_dirs, old_stps, ro, H_diag):
    """``-H g`` by the two-loop recursion (Nocedal & Wright, Algorithm 7.4)."""
    q = -g
    al = [0.0] * len(old_dirs)
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = float(old_stps[i] @ q) * ro[i]
        q = q - al[i] * old_dirs[i]
    r = q * H_diag
    for i in range(len(old_dirs)):
        be_i = float(old_dirs[i] @ r) * ro[i]
        r = r + (al[i] - be_i) * old_stps[i]
    return r
