"""gradcheck: an expression's exact derivative kernels against numeric
differentiation (the pipeline of :mod:`calckit.check.pipeline`)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from calckit.check import _arguments as arguments
from calckit.check._complex import complex_form
from calckit.check._tensor import tensor_gradcheck
from calckit.check.kinks import near_kinks
from calckit.check.pipeline import Problem, Verdict, run
from calckit.check.report import GradcheckReport, GradcheckRow
from calckit.kernels import compile as compile_kernel
from calckit.kernels import compile_grad, compile_hessian
from calckit.numeric._evaluate import call_vector
from calckit.numeric._hessian import HESSIAN_METHODS
from calckit.numeric._steps import METHODS, check_method
from calckit.symbolic._coerce import _short, as_expr
from calckit.symbolic.tensor.api import is_tensor

__all__ = ["gradcheck"]


def gradcheck(
    expr: sp.Expr | str,
    wrt: Any = None,
    at: Mapping | ArrayLike | None = None,
    params: Mapping | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    method: str = "richardson",
    order: int = 1,
    *,
    shapes: Mapping | None = None,
) -> GradcheckReport:
    """Check the exact gradient (or Hessian) of ``expr`` numerically.

    Parameters
    ----------
    expr : sympy.Expr or str
        Scalar expression.
    wrt : sequence of symbols or names, or str, optional
        Variables to differentiate in; default: the free symbols sorted by
        name, minus the ``params``.
    at : dict, sequence or array (k, n)
        Where to check: ``{"x": 1.0, "y": 2.0}`` (values may be 1-D arrays,
        one per point), ``n`` values in the order of ``wrt``, or ``k`` points
        as an array of shape ``(k, n)``.
    params : dict, optional
        Fixed values of the other symbols (scalars, or one value per point).
    rtol, atol : float
        An entry is ``ok`` when ``|exact - numeric| <= atol + rtol *
        max(|exact|, |numeric|) + 2 * error_estimate``; ``uncertain`` (a
        failure) when it passes only thanks to an error estimate above ten
        times ``atol + rtol * max(...)``.
    method : str
        Numeric method: ``richardson`` (default), ``central``, ``complex``
        (complex step on a complex-valued kernel; most accurate), ``forward``,
        ``backward`` (order 1 only).
    order : {1, 2}
        1 checks :func:`calckit.compile_grad`, 2 :func:`calckit.compile_hessian`
        (upper triangle entries).
    shapes : dict, optional
        Tensor losses (text with ``shapes=``, or built with ``ck.vector`` /
        ``ck.matrix``): ``at`` maps each variable to an array, ``params``
        holds the data arrays, and the report has one row per entry
        (``w[3]``, ``W1[2, 0]``); see :mod:`calckit.check._tensor`.

    Returns
    -------
    GradcheckReport
        ``ok``, ``max_abs_error``, ``max_rel_error``, ``rows`` (one per
        entry: point, component, exact, numeric, abs/rel error, step, error
        estimate, status ``ok``/``kink``/``FAIL``/``uncertain``/``nan``, note),
        ``worst``; ``str()`` is an aligned table, ``_repr_markdown_`` and
        ``_repr_html_`` render it in notebooks.

    Raises
    ------
    InvalidParameterError, ShapeError, UnknownNameError, CalckitTypeError
        Bad ``at`` (wrong length, unknown or missing names, non-finite or
        non-numeric values), ``params``, ``method``, ``order`` or tolerances;
        the message names the input.
    NumericError
        ``method="complex"`` on an expression whose NumPy kernel rejects
        complex input.

    Examples
    --------
    >>> import numpy as np
    >>> r = gradcheck("x**2*y + sin(y)", at=np.array([[1.0, 2.0], [0.5, -1.0]]),
    ...               order=2)
    >>> r.ok, len(r.rows), r.exact.shape
    (True, 6, (2, 2, 2))
    >>> gradcheck("relu(x)", at={"x": 0.0}).rows[0].status
    'kink'
    """
    order = arguments.check_order(order)
    if is_tensor(expr, shapes):  # matrix calculus: calckit.check._tensor
        arguments.check_tolerances(rtol, atol)
        return tensor_gradcheck(expr, wrt, at, params, shapes=shapes, rtol=rtol,
                                atol=atol, method=method, order=order, row=row)
    check_method(method, allowed=METHODS if order == 1 else HESSIAN_METHODS)
    arguments.check_tolerances(rtol, atol)
    e = as_expr(expr)
    wrt_syms = arguments.wrt_symbols(e, wrt, params)
    pts = arguments.points(at, wrt_syms)
    param_syms, param_values = arguments.params(params, e, len(pts))
    problem, nfev = _problem(e, wrt_syms, param_syms, param_values, pts, method,
                             order, float(rtol), float(atol))
    verdict = run(problem, nfev)
    return GradcheckReport(
        expr=e, wrt=[s.name for s in wrt_syms], points=pts, order=order,
        method=method, rtol=float(rtol), atol=float(atol),
        rows=_rows(problem.exact, verdict, wrt_syms, order), exact=problem.exact,
        numeric=verdict.value, error_estimate=verdict.error, nfev=verdict.nfev,
    )


def _batched(kernel, e, k, param_values):
    """``kernel`` as a function of a batch of points (m, n), m a multiple of
    k, with the fixed parameters repeated to match."""

    def fvec(rows):
        reps = rows.shape[0] // k
        extra = [np.repeat(v, reps) if v.ndim else v for v in param_values]
        return kernel(*rows.T, *extra)

    fvec.__qualname__ = f"compiled({_short(e, 50)})"
    return fvec


def _problem(e, wrt_syms, param_syms, param_values, pts, method, order, rtol,
             atol) -> tuple[Problem, int]:
    """The :class:`Problem` of checking ``e`` (and evaluations made for it)."""
    k, n = pts.shape
    batched = partial(_batched, e=e, k=k, param_values=param_values)
    real_f = batched(compile_kernel(e, wrt_syms, param_syms))
    f, undefined, nfev = real_f, None, 0
    if method == "complex":  # the complex step needs a complex, unrewritten kernel
        f = batched(compile_kernel(complex_form(e), wrt_syms, param_syms,
                                   stable=False, dtype=np.complex128))
        # complex only outside the real domain, where entries are nan (below)
        f.real_continuation = True
        # the complex step never evaluates f(x) itself: where f(x) is not
        # finite the entry is nan, as for the other methods
        with np.errstate(all="ignore"):
            f0, nfev = call_vector(real_f, pts, vectorized=True)
        undefined = ~np.isfinite(f0)
    exact_kernel = (compile_grad if order == 1 else compile_hessian)(
        e, wrt_syms, param_syms)
    with np.errstate(all="ignore"):
        exact = np.broadcast_to(exact_kernel(*pts.T, *param_values),
                                (k,) + (n,) * order).astype(float)
    grad = batched(compile_grad(e, wrt_syms, param_syms)) if order == 2 else None
    near = partial(near_kinks, e, wrt_syms, param_syms, param_values)
    problem = Problem(f=f, real_f=real_f, pts=pts, exact=exact, method=method,
                      order=order, rtol=rtol, atol=atol, near=near, grad=grad,
                      undefined=undefined)
    return problem, nfev


def _rows(exact, v: Verdict, wrt_syms, order) -> list:
    k, n = exact.shape[:2]
    names = [s.name for s in wrt_syms]
    entries: list[tuple[tuple[int, ...], str]]
    if order == 1:
        entries = [((j,), f"d/d{names[j]}") for j in range(n)]
    else:
        entries = [
            ((i, j), f"d2/d{names[i]}2" if i == j else f"d2/d{names[i]}d{names[j]}")
            for i in range(n) for j in range(i, n)
        ]
    return [row(p, label, exact[(p,) + idx], v, (p,) + idx)
            for p in range(k) for idx, label in entries]


def row(point: int, label: str, exact, v: Verdict, at) -> GradcheckRow:
    """The report row of entry ``at`` of the verdict ``v``."""
    ex, nu = float(exact), float(v.value[at])
    diff = abs(ex - nu)
    scale = max(abs(ex), abs(nu))
    rel = diff / scale if scale > 0 else (0.0 if diff == 0 else float("inf"))
    if not (np.isfinite(ex) and np.isfinite(nu)):
        diff = rel = float("nan")
    return GradcheckRow(point, label, ex, nu, diff, rel, float(v.step[at]),
                        float(v.error[at]), str(v.status[at]), v.note[at])
