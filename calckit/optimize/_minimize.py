"""Minimize a symbolic loss with the optimizers of :mod:`calckit.optim`.

The loss, its exact gradient (and, for Newton, its exact Hessian) are
compiled once into NumPy kernels; the loop itself is plain NumPy. With
``params=`` the loss is a per-sample expression over data arrays, and the
loss and gradient are averaged over the samples.

>>> import calckit as ck
>>> r = ck.minimize("(x - 1)**2 + 2*(y + 3)**2", x0=[0.0, 0.0],
...                 optimizer="sgd", lr=0.1, steps=500, tol=1e-8)
>>> r.converged, r.nit, r.x.round(6).tolist()
(True, 86, [1.0, -3.0])
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from calckit import _progress, optim
from calckit._validate import positive_int
from calckit.errors import CalckitTypeError, InvalidParameterError, ShapeError
from calckit.kernels import compile, compile_grad, compile_hessian
from calckit.optimize._driver import STATUS, Objective, OptimizeResult, _raw, run
from calckit.optimize._hvp import compile_hvp
from calckit.optimize._tensor_objective import minimize_tensor
from calckit.symbolic._coerce import as_expr, as_symbols, free_symbols
from calckit.symbolic.tensor.api import is_tensor

__all__ = ["minimize", "OptimizeResult", "STATUS"]

def minimize(
    expr: Any,
    wrt: Any = None,
    x0: Any = None,
    optimizer: str | optim.Optimizer = "adam",
    *,
    steps: int = 1000,
    tol: float = 1e-8,
    params: Mapping[str, Any] | None = None,
    callback: Callable[[int, np.ndarray, float, float], Any] | None = None,
    progress: bool | None = None,
    shapes: Mapping[str, Any] | None = None,
    batch_size: int | None = None,
    seed: Any = 0,
    path_every: int = 1,
    **opt_kwargs: Any,
) -> OptimizeResult:
    """Minimize ``expr`` over ``wrt`` from ``x0``.

    Parameters
    ----------
    expr : str or sympy.Expr
        The loss (per sample when ``params`` is given).
    wrt : sequence of symbols or names, or str, optional
        The variables to optimize; default: the free symbols of ``expr`` that
        are not data, sorted by name.
    x0 : float, sequence or dict
        Starting point: one value per variable of ``wrt`` (a dict maps names
        or symbols to values). Required.
    optimizer : str or Optimizer
        A name for :func:`calckit.optim.get` (``calckit.optim.names()``:
        ``sgd``, ``adagrad``, ``rmsprop``, ``adam``, ``adamw``, ``amsgrad``,
        ``lion``, ``newton``, ``lbfgs``, ``trust-exact``, ``trust-ncg``),
        built with ``opt_kwargs``, or an optimizer instance. Second-order
        methods get the compiled exact Hessian (``trust-ncg``: a compiled
        Hessian-vector product), ``lbfgs`` the value-and-gradient closure.
        A step of ``lbfgs`` is one ``torch.optim.LBFGS.step`` (up to
        ``max_iter`` iterations; ``max_iter=1`` makes ``nit`` count
        iterations).
    steps : int
        Maximum number of steps.
    tol : float
        Stop (converged) when the gradient norm is below ``tol``.
    params : dict, optional
        Data: name -> array. The loss and gradient are the means over the
        broadcast samples (e.g. least squares over arrays ``x``, ``y``).
    **opt_kwargs
        Hyperparameters of the named optimizer, such as ``lr``.
    callback : callable, optional
        Called after every step as ``callback(step, x, loss, grad_norm)``
        (``x`` a copy); a true return value stops the run (for progress
        lines, plots, or early stopping).
    progress : bool or None, default None
        A ``tqdm`` progress bar over the steps on stderr (never stdout).
        ``None``: only for a long run (``steps >=`` :data:`LONG_RUN`) when
        stderr is a terminal; ``True`` always; ``False`` never.
    shapes : dict, optional
        Tensor losses (text with ``shapes=``, or built with ``ck.vector`` /
        ``ck.matrix``): ``params`` are whole data arrays, ``wrt`` may name
        several shaped variables (``x0`` a dict of arrays) and the result
        is a :class:`~calckit.optimize.TensorOptimizeResult`
        (see docs/howto-matrix-calculus.md, "Train").
    batch_size : int, optional
        Tensor losses: each step uses ``batch_size`` rows of every data array,
        drawn along the row dim (a data dim no variable has) without
        replacement within an epoch, seeded by ``seed``.
    path_every : int
        Keep every ``path_every``-th point (and the last) in ``path``.

    Returns
    -------
    OptimizeResult
        A diverging or oscillating run is reported (``diverged``,
        ``converged=False`` and ``message``), never raised.

    Examples
    --------
    Least squares over data:

    >>> import numpy as np
    >>> xs = np.array([0.0, 1.0, 2.0, 3.0])
    >>> r = minimize("(w*x + b - y)**2", "w b", x0=[0, 0], optimizer="newton",
    ...              params={"x": xs, "y": 2 * xs + 1})
    >>> r.converged, r.x.round(8).tolist()
    (True, [2.0, 1.0])

    A learning rate that is too large is reported, not raised:

    >>> r = minimize("x**2 + 10", x0=1.0, optimizer="sgd", lr=1.1, steps=5000)
    >>> r.diverged, r.message   # doctest: +ELLIPSIS
    (True, 'Diverged: a non-finite loss appeared at step 19...')
    """
    opt = _as_optimizer(optimizer, opt_kwargs)
    steps, tol = _check_loop_args(steps, tol)
    path_every = _check_path_every(path_every)
    if is_tensor(expr, shapes):  # matrix calculus: _tensor_objective
        return minimize_tensor(expr, wrt, x0, opt, steps=steps, tol=tol,
                               params=params, callback=callback, shapes=shapes,
                               batch_size=batch_size, seed=seed,
                               path_every=path_every)
    if batch_size is not None:
        raise InvalidParameterError(
            "minimize: batch_size is for tensor losses (give shapes= or build the "
            "loss with ck.vector / ck.matrix)")
    e = as_expr(expr)
    data_syms, data = _data(params, e)
    if wrt is None:
        xs = [s for s in as_symbols(None, e) if s not in set(data_syms)]
    else:
        xs = as_symbols(wrt, e)
    if not xs:
        raise InvalidParameterError(
            f"minimize: the loss {e} has no variables to optimize; give wrt"
        )
    clash = set(xs) & set(data_syms)
    if clash:
        raise InvalidParameterError(
            f"minimize: {sorted(map(str, clash))} is both a variable (wrt) and "
            "data (params); use it in only one of them"
        )
    x = _start(x0, xs)
    fun, value_and_grad, hess, hvp = _objective(
        e, xs, data_syms, data, hessian=_needs(opt, "needs_hessian"),
        hvp=_needs(opt, "needs_hvp"),
    )
    names = tuple(str(s) for s in xs)
    if callback is not None and not callable(callback):
        raise CalckitTypeError(
            f"minimize: callback must be callable, got {type(callback).__name__}"
        )
    bar = _progress.counter(steps, enabled=_bar_wanted(progress, steps),
                            desc=f"minimize ({_name(opt)})")
    try:
        return run(opt, Objective(fun, value_and_grad, hess, hvp), x, steps, tol,
                   names, _advancing(bar, callback), path_every)
    finally:
        bar.close()


#: Steps from which ``minimize(progress=None)`` shows a bar on a terminal.
LONG_RUN = 1000


def _bar_wanted(progress: Any, steps: int) -> bool | None:
    """``progress`` for :func:`calckit._progress.counter`: ``None`` (a bar on
    a terminal) stays ``None`` only for long runs."""
    if progress is None and steps < LONG_RUN:
        return False
    return progress


def _name(opt) -> str:
    return str(getattr(opt, "name", type(opt).__name__.lower()))


def _advancing(bar, callback):
    """``callback`` that also advances ``bar`` by a step (``callback`` itself
    when there is no bar, so the loop pays nothing)."""
    if bar.disable:
        return callback

    def step(k, x, loss, gnorm):
        bar.update(1)
        return callback(k, x, loss, gnorm) if callback is not None else None

    return step


def _check_path_every(path_every) -> int:
    return positive_int(path_every, "path_every", "minimize")


def _needs(opt, what: str) -> bool:
    return bool(getattr(opt, what, False))


def _as_optimizer(optimizer, opt_kwargs) -> optim.Optimizer:
    if isinstance(optimizer, str):
        return optim.get(optimizer, **opt_kwargs)
    if isinstance(optimizer, optim.Optimizer):
        if opt_kwargs:
            raise CalckitTypeError(
                f"minimize: optimizer is already built ({optimizer!r}); "
                f"the extra arguments {sorted(opt_kwargs)} are for a name, such "
                "as optimizer='adam', lr=0.01"
            )
        return optimizer
    raise CalckitTypeError(
        "minimize: optimizer must be a name such as 'adam' or a calckit.optim "
        f"optimizer, got {type(optimizer).__name__}: {optimizer!r:.60}"
    )


def _check_loop_args(steps, tol):
    if not (isinstance(steps, numbers.Integral) and not isinstance(steps, bool)
            and int(steps) >= 0):  # int(): the numbers ABCs lack >= in typeshed
        raise InvalidParameterError(
            f"The 'steps' parameter of minimize must be an int >= 0. "
            f"Got {steps!r} instead."
        )
    if not (isinstance(tol, numbers.Real) and not isinstance(tol, bool)
            and float(tol) >= 0):
        raise InvalidParameterError(
            f"The 'tol' parameter of minimize must be a float >= 0. "
            f"Got {tol!r} instead."
        )
    return int(steps), float(tol)


def _data(params, e):
    if params is None:
        return [], []
    if not isinstance(params, Mapping):
        raise CalckitTypeError(
            "minimize: params must be a dict name -> array of data, got "
            f"{type(params).__name__}"
        )
    syms = as_symbols(list(params), e, name="params") if params else []
    arrays = []
    for name, value in params.items():
        try:
            arrays.append(np.asarray(value, dtype=np.float64))
        except (TypeError, ValueError) as exc:
            raise CalckitTypeError(
                f"minimize: params[{name!r}] must be an array of real numbers"
            ) from exc
    shapes = {str(k): a.shape for k, a in zip(params, arrays, strict=True)}
    try:
        shape = np.broadcast_shapes(*[a.shape for a in arrays])
    except ValueError as exc:
        raise ShapeError(
            f"minimize: the data arrays in params do not broadcast: {shapes}"
        ) from exc
    if math.prod(shape) == 0:
        # the mean over no samples is nan: refuse instead of "diverging"
        raise ShapeError(
            f"minimize: the data in params has no samples (shapes {shapes}); "
            "give at least one value per data array"
        )
    return syms, arrays


def _start(x0, xs) -> np.ndarray:
    n = len(xs)
    if x0 is None:
        raise CalckitTypeError(
            "minimize needs a starting point x0 (one value per variable: "
            f"{', '.join(map(str, xs))})"
        )
    if isinstance(x0, Mapping):
        by_name = {str(k): v for k, v in x0.items()}
        missing = [str(s) for s in xs if str(s) not in by_name]
        extra = sorted(set(by_name) - {str(s) for s in xs})
        if missing or extra:
            raise ShapeError(
                f"minimize: x0 must give exactly the variables {[str(s) for s in xs]}"
                f"; missing {missing}, unknown {extra}"
            )
        x0 = [by_name[str(s)] for s in xs]
    try:
        x = np.array(x0, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise CalckitTypeError(
            f"minimize: x0 must be numbers, got {x0!r:.80}"
        ) from exc
    if x.size != n:
        raise ShapeError(
            f"minimize: x0 has {x.size} values but there are {n} variables "
            f"({', '.join(map(str, xs))})"
        )
    if not np.all(np.isfinite(x)):
        raise InvalidParameterError(f"minimize: x0 must be finite, got {x}")
    return x


def _objective(e, xs, data_syms, data, *, hessian=False, hvp=False):
    """(fun, value_and_grad, hess, hvp) closures over the compiled kernels
    (``hess`` / ``hvp`` are ``None`` unless asked for).

    The loss and the exact gradient entries of ``compile_grad`` are also
    compiled together into one kernel, so each step makes one call that
    shares common subexpressions between value and gradient.
    """
    unused = free_symbols(e) - set(xs) - set(data_syms)
    if unused:
        raise InvalidParameterError(
            f"minimize: the loss has symbols {sorted(map(str, unused))} that are "
            "neither variables (wrt) nor data (params)"
        )
    fk = _raw(compile(e, xs, data_syms))
    grad_entries = list(compile_grad(e, xs, data_syms).entries)
    vgk = _raw(compile([e, *grad_entries], xs, data_syms))
    n = len(xs)
    if not data:
        def fun(x):
            return float(fk(*x))

        def value_and_grad(x):
            out = vgk(*x)
            return float(out[0]), out[1:]
    else:
        def fun(x):
            return float(np.mean(fk(*x, *data)))

        def value_and_grad(x):
            out = vgk(*x, *data).reshape(-1, n + 1).mean(axis=0)
            return float(out[0]), out[1:]

    hess = _hess(_raw(compile_hessian(e, xs, data_syms)), data, n) if hessian else None
    hessp = _hessp(_raw(compile_hvp(e, xs, data_syms)), data, n) if hvp else None
    return fun, value_and_grad, hess, hessp


def _hess(hk: Callable, data: Sequence, n: int) -> Callable:
    """``x -> (n, n)`` Hessian from its kernel (mean over the data rows)."""
    if not data:
        return lambda x: hk(*x)
    return lambda x: hk(*x, *data).reshape(-1, n, n).mean(axis=0)


def _hessp(hvk: Callable, data: Sequence, n: int) -> Callable:
    """``(x, v) -> (n,)`` Hessian-vector product from its kernel (mean over
    the data rows)."""
    if not data:
        return lambda x, v: hvk(*x, *v)
    return lambda x, v: hvk(*x, *v, *data).reshape(-1, n).mean(axis=0)
