"""gradcheck: exact derivative kernels against numeric differentiation.

:func:`gradcheck` compiles the exact gradient (or Hessian, ``order=2``) of an
expression with :func:`calckit.compile_grad` / :func:`calckit.compile_hessian`
and compares it, entry by entry, with :mod:`calckit.numeric` applied to the
compiled expression itself, at one point or many. The result is a
:class:`GradcheckReport`: per entry the exact and numeric values, absolute and
relative error, the step used and the numeric error estimate, and a status.

An entry passes when ``|exact - numeric| <= atol + rtol * max(|exact|,
|numeric|) + 2 * error_estimate``: the numeric side's own error estimate
widens the tolerance, so a check never fails because finite differences are
inaccurate, and never passes a wrong derivative by luck of a loose constant.
Entries that fail, or whose error estimate is too large to judge by, are
recomputed (noted in the row): on steps / 16 and / 256 (a kink or the edge of
the domain inside the wide Richardson stencil), with narrow central
differences, on steps scaled to ``max(|x|, 1)`` (a tiny coordinate) and to
``min(|x|, 1)`` (a large one: ``sin(30 x)`` at 10 aliases on steps of 1.6 %
of ``|x|``); a new step reference is trusted only where steps 4x shorter
agree. Entries that still disagree where the expression is not
differentiable (the condition of a ``Piecewise``, ``Abs``, ``Max``,
``Heaviside``... changes sign within the stencils' reach along that
coordinate, or ``floor``/``ceiling`` meet an integer) and whose one-sided
derivatives differ (or cannot be resolved) are reported as ``kink``, not as
failures; elsewhere the expression is smooth and a mismatch is a ``FAIL``
(also next to a kink, when both one-sided derivatives agree with each other
but not with the exact value).

With ``method="complex"`` the kernel is compiled for complex input with
``Abs(u)`` continued analytically on each side of ``u = 0`` (``|u|`` itself
would drop the imaginary part) and calckit's stable primitives (``sigmoid``,
``softplus``...) written in elementary functions; where that unrewritten
kernel overflows, the entry is rechecked with ``richardson`` on the stable
real kernel, and where ``f(x)`` itself is not finite the entry is ``nan``.

>>> import calckit as ck
>>> report = ck.gradcheck("log(1 + exp(w*x + b))", wrt="w b",
...                       at={"w": 0.5, "b": -1.0}, params={"x": 2.0})
>>> report.ok, report.max_rel_error < 1e-10
(True, True)
>>> print(report)  # doctest: +ELLIPSIS
gradcheck OK: order 1, method richardson, 1 point, 2 entries; max abs error ...
point 0: w=0.5, b=-1
point  component  exact  numeric  abs err  rel err     step  err est  status
    0  d/dw           1        1  ...  ok <- worst
    0  d/db         0.5      0.5  ...  ok
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real
from typing import Any, NamedTuple

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from calckit.errors import (
    CalckitTypeError,
    InvalidParameterError,
    ShapeError,
    UnknownNameError,
)
from calckit.numeric._differences import directional_estimate
from calckit.numeric._evaluate import call_vector
from calckit.numeric._hessian import HESSIAN_METHODS, hessian_estimate
from calckit.numeric._report import GradcheckReport, GradcheckRow
from calckit.numeric._steps import METHODS, check_method
from calckit.symbolic._coerce import _short, as_expr, as_symbol, as_symbols
from calckit.symbolic._kinks import kink_surfaces

__all__ = ["GradcheckReport", "GradcheckRow", "gradcheck"]



# -- argument handling ---------------------------------------------------------


def _points(at, wrt_syms) -> np.ndarray:
    """``at`` as a finite float array (k, n) in the order of ``wrt``."""
    names = [s.name for s in wrt_syms]
    n = len(names)
    if at is None or at is Ellipsis:
        raise InvalidParameterError(
            f"gradcheck needs at=: a dict {{name: value}}, a sequence of {n} values "
            f"for {names}, or an array (k, {n}) of points"
        )
    if isinstance(at, Mapping):
        by_name = {}
        for key, value in at.items():
            name = key.name if isinstance(key, sp.Symbol) else str(key)
            if name not in names:
                raise UnknownNameError(
                    f"at names {name!r}, which is not a variable of the check; "
                    f"the variables (wrt) are {names} (fixed values go in params)"
                )
            by_name[name] = value
        missing = [m for m in names if m not in by_name]
        if missing:
            raise InvalidParameterError(
                f"at has no value for {missing}; give all of {names}"
            )
        cols = [_numbers(by_name[m], f"at[{m!r}]") for m in names]
        try:
            cols = np.broadcast_arrays(*cols)
        except ValueError:
            shapes = {m: np.shape(c) for m, c in zip(names, cols, strict=True)}
            raise ShapeError(f"the values in at do not broadcast: {shapes}") from None
        if cols[0].ndim > 1:
            shapes = {m: np.shape(by_name[m]) for m in names}
            raise ShapeError(
                f"values in at must be scalars or 1-D arrays of points, got {shapes}"
            )
        pts = np.stack([np.atleast_1d(c) for c in cols], axis=-1)
    else:
        pts = _numbers(at, "at")
        if pts.ndim == 0 and n == 1:
            pts = pts.reshape(1, 1)
        elif pts.ndim == 1:
            pts = pts.reshape(-1, 1) if n == 1 else pts.reshape(1, -1)
        if pts.ndim != 2 or pts.shape[1] != n:
            raise ShapeError(
                f"at has shape {np.shape(at)}, but wrt has {n} variable"
                f"{'s' if n != 1 else ''} {names}: give {n} values, or an array "
                f"(k, {n}) of k points"
            )
    if pts.shape[0] == 0:
        raise ShapeError(f"at holds no points: {at!r:.80}; give at least one")
    if not np.all(np.isfinite(pts)):
        bad = np.argwhere(~np.isfinite(pts))[0]
        raise InvalidParameterError(
            f"at must be finite; point {bad[0]} has {names[bad[1]]}="
            f"{pts[tuple(bad)]}"
        )
    return pts


def _numbers(value, label) -> np.ndarray:
    """``value`` as a new float array (a copy: the report keeps the points, and
    must not change when the caller reuses its array)."""
    try:
        return np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise CalckitTypeError(f"{label} must be numbers; got {value!r}") from None


def _params(params, expr, k):
    """(symbols, values) of the fixed parameters; values scalars or (k,)."""
    if not params:
        return (), ()
    if not isinstance(params, Mapping):
        raise CalckitTypeError(
            f"params must be a dict {{name: value}} of fixed values; got {params!r}"
        )
    syms, values = [], []
    for key, value in params.items():
        sym = as_symbol(key, expr, name="params")
        arr = _numbers(value, f"params[{sym.name!r}]")
        if arr.ndim > 1 or (arr.ndim == 1 and arr.size not in (1, k)):
            raise ShapeError(
                f"params[{sym.name!r}] must be a scalar or have one value per point "
                f"({k}); got shape {arr.shape}"
            )
        if not np.all(np.isfinite(arr)):
            raise InvalidParameterError(
                f"params[{sym.name!r}] must be finite; got {value!r}"
            )
        syms.append(sym)
        # one value for all points, or one per point
        per_point = arr.ndim and arr.size == k
        values.append(arr.reshape(-1) if per_point else arr.reshape(()))
    return tuple(syms), tuple(values)


# -- the check -----------------------------------------------------------------


def gradcheck(
    expr: sp.Expr | str,
    wrt: Any = None,
    at: Mapping | ArrayLike | None = None,
    params: Mapping | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    method: str = "richardson",
    order: int = 1,
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
    from calckit.kernels import compile as compile_kernel
    from calckit.kernels import compile_grad, compile_hessian

    if (isinstance(order, bool) or not isinstance(order, (int, np.integer))
            or order not in (1, 2)):
        raise InvalidParameterError(
            f"order must be the int 1 (gradient) or 2 (Hessian); got {order!r}"
        )
    order = int(order)
    check_method(method, allowed=METHODS if order == 1 else HESSIAN_METHODS)
    for label, tol in (("rtol", rtol), ("atol", atol)):
        if (isinstance(tol, bool) or not isinstance(tol, Real)
                or not np.isfinite(tol) or tol < 0):
            raise InvalidParameterError(
                f"{label} must be a finite number >= 0; got {tol!r}"
            )
    e = as_expr(expr)
    param_names = set()
    if isinstance(params, Mapping):
        param_names = {k.name if isinstance(k, sp.Symbol) else str(k) for k in params}
    if wrt is None:
        wrt_syms = [s for s in as_symbols(None, e) if s.name not in param_names]
    else:
        wrt_syms = as_symbols(wrt, e)
    if not wrt_syms:
        raise InvalidParameterError(f"{e} has no variables to check; give wrt")
    pts = _points(at, wrt_syms)
    k, n = pts.shape
    param_syms, param_values = _params(params, e, k)
    real_f = compile_kernel(e, wrt_syms, param_syms)
    if method == "complex":  # the complex step needs a complex, unrewritten kernel
        f = compile_kernel(_analytic_abs(_elementary(e)), wrt_syms, param_syms,
                           stable=False, dtype=np.complex128)
    else:
        f = real_f
    compile_exact = compile_grad if order == 1 else compile_hessian
    exact_kernel = compile_exact(e, wrt_syms, param_syms)

    def batched(kernel):
        def fvec(rows):
            reps = rows.shape[0] // k
            extra = [np.repeat(v, reps) if v.ndim else v for v in param_values]
            return kernel(*rows.T, *extra)

        fvec.__qualname__ = f"compiled({_short(e, 50)})"
        return fvec

    fvec = batched(f)
    gvec = batched(compile_grad(e, wrt_syms, param_syms)) if order == 2 else None

    with np.errstate(all="ignore"):
        exact = np.broadcast_to(exact_kernel(*pts.T, *param_values),
                                (k,) + (n,) * order).astype(float)
        undefined, nfev = np.zeros(k, dtype=bool), 0
        if method == "complex":
            # the complex step never evaluates f(x) itself, and the complex
            # kernel continues f beyond its real domain (log(-1 + i h) = i pi):
            # where f(x) is not finite the entry is nan, as for the others
            f0, nfev = call_vector(batched(real_f), pts, vectorized=True)
            undefined = ~np.isfinite(f0)

        def estimate(kernel, recheck, scale_to=None):
            out = _estimate(kernel, pts, recheck, order, scale_to)
            if recheck != "complex" or not undefined.any():
                return out
            nan = _per_point(undefined, order)
            return (np.where(nan, np.nan, out[0]), np.where(nan, np.nan, out[1]),
                    *out[2:])

        value, error, step, n_nfev = estimate(fvec, method)
        nfev += n_nfev
        status = _judge(exact, value, error, rtol, atol)
        note = np.full(status.shape, "", dtype=object)
        rough = np.zeros(status.shape, dtype=bool)  # wide and narrow disagree
        # steps follow |x| down to where ref / 256 is still a normal float
        ref = np.where(pts != 0, np.maximum(np.abs(pts), 256 * _TINY), 1.0)
        shrink = method != "complex" or order == 2  # the stencil has a width
        rechecks = [
            # the complex kernel is not rewritten for stability: where it
            # overflows, richardson on the stable real kernel
            ("richardson" if method == "complex" else None, None,
             "{} on the stable real kernel"),
            # a kink or the domain's edge inside the wide stencil spoils it:
            # the same method on shorter steps, then narrow central differences
            (method if shrink else None, ref / 16, "{} steps / 16"),
            (method if shrink else None, ref / 256, "{} steps / 256"),
            (_NARROW.get((order, method)), None, "narrow {} differences"),
            # a coordinate tiny next to the function's scale: |x|-scaled steps
            # drown in rounding; steps scaled to max(|x|, 1) do not
            # (longer steps: only trusted where steps 4x shorter agree)
            (method, np.maximum(np.abs(pts), 1.0), "{} steps scaled to max(|x|, 1)"),
            # a coordinate large next to the scale on which f varies (sin(30 x)
            # at x = 10): |x|-scaled steps alias; steps scaled to 1 do not
            (method if shrink else None, np.minimum(ref, 1.0),
             "{} steps scaled to min(|x|, 1)"),
        ]
        for recheck, scale_to, label in rechecks:
            doubtful = _doubtful(exact, value, error, status, rtol, atol)
            if recheck is None or not np.any(doubtful):
                continue
            kernel = fvec if recheck == method else batched(real_f)
            n_value, n_error, n_step, n_nfev = estimate(kernel, recheck, scale_to)
            nfev += n_nfev
            if recheck == method and np.any((scale_to > ref) | (scale_to < ref / 16)):
                # a new reference for the steps: trusted where 4x shorter steps
                # agree (aliasing and rounding do not survive that)
                c_value, c_error, _, c_nfev = estimate(kernel, recheck, scale_to / 4)
                nfev += c_nfev
                consistent = np.abs(n_value - c_value) <= 2.0 * (n_error + c_error)
                n_value = np.where(consistent, n_value, np.nan)
            n_status = _judge(exact, n_value, n_error, rtol, atol)
            if recheck != method:  # wide and narrow stencils disagree: f not smooth
                rough = np.abs(value - n_value) > 2.0 * (error + n_error) + atol
            use = doubtful & np.isfinite(n_value) & (
                (n_error < error)
                | ((status != "ok") & (n_status == "ok"))
                | ~np.isfinite(value)
            )
            value = np.where(use, n_value, value)
            error = np.where(use, n_error, error)
            step = np.where(use, n_step, step)
            status = np.where(use, n_status, status)
            note[use] = "rechecked with " + label.format(recheck)
        fail = status == "FAIL"
        if np.any(fail):
            sides = _one_sided(e, wrt_syms, param_syms, param_values, pts, order,
                               batched(real_f), gvec, rtol, atol)
            nfev += sides.nfev
            # where f is not smooth (a kink surface, or wide and narrow stencils
            # disagree) but both one-sided derivatives agree with the exact
            # value, the exact value is right
            mean = 0.5 * (sides.left + sides.right)
            spread = 0.5 * np.abs(sides.left - sides.right) + sides.error
            agree = fail & ~sides.disagree & (sides.surface | rough) & (
                _judge(exact, mean, spread, rtol, atol) == "ok"
            )
            value = np.where(agree, mean, value)
            error = np.where(agree, spread, error)
            step = np.where(agree, sides.step, step)
            status[agree] = "ok"
            note[agree] = "one-sided check: f not smooth enough for central differences"
            # a kink only where the expression has one (Piecewise, Abs, Max...
            # conditions holding with equality): elsewhere it is smooth, and
            # one-sided estimates that disagree are inaccurate, not evidence.
            # And only where the one-sided derivatives differ (or cannot be
            # trusted): two that agree with each other but not with the exact
            # value show f differentiable there, with another derivative
            mark = fail & ~agree & sides.surface & sides.disagree
            status[mark] = "kink"
            for idx in zip(*np.nonzero(mark), strict=True):
                note[idx] = (
                    f"one-sided {sides.left[idx]:.6g} | {sides.right[idx]:.6g}"
                )
        # passed only thanks to a large error estimate: the check cannot judge
        scale = np.maximum(np.abs(exact), np.abs(value))
        tolerance = atol + rtol * scale
        vague = (status == "ok") & (np.abs(exact - value) > tolerance) & (
            error > 10.0 * tolerance
        )
        status[vague] = "uncertain"
        note[vague] = "numeric error estimate too large to judge here"
    rows = _rows(exact, value, error, step, status, note, wrt_syms, order)
    return GradcheckReport(
        expr=e, wrt=[s.name for s in wrt_syms], points=pts, order=order,
        method=method, rtol=float(rtol), atol=float(atol), rows=rows, exact=exact,
        numeric=value, error_estimate=error, nfev=nfev,
    )


#: Elementary forms of calckit's stable primitives, in order of preference
#: (``sigmoid`` -> exp, ``softplus`` -> log, ``ndtr`` -> erf, ...).
_ELEMENTARY = ("exp", "log", "erf", "cosh", "Mul")


def _elementary(e):
    """``e`` with calckit's stable primitives (``sigmoid``, ``softplus``,
    ``logsumexp``, ``ndtr``, ``logcosh``...) written in elementary functions.

    Their NumPy forms (``expit``, ``logaddexp``...) have no complex loops, so
    the complex step refused every expression using them; the elementary
    forms take complex input (where they overflow, the entry is rechecked on
    the stable real kernel).
    """
    from calckit.symbolic.functions import _StablePrimitive

    def rewrite(node):
        for target in _ELEMENTARY:
            method = getattr(node, f"_eval_rewrite_as_{target}", None)
            if method is not None:
                return method(*node.args)
        return node

    for _ in range(8):  # a rewrite may hold another primitive (dsigmoid)
        if not e.has(_StablePrimitive):
            break
        e = e.replace(lambda n: isinstance(n, _StablePrimitive), rewrite)
    return e


def _analytic_abs(e):
    """``e`` with ``Abs(u)`` written ``u`` or ``-u`` by the sign of ``u``.

    Equal for real ``u``, but analytic on each side of ``u = 0``: the complex
    step of ``|u|`` (whose imaginary part is lost) gives 0 for the derivative
    of ``|x|``; of this form, ``sign(x)``. NumPy orders complex numbers by
    their real part first, so the condition reads the sign of ``Re u``.
    """
    if isinstance(e, sp.Abs):
        u = _analytic_abs(e.args[0])
        return sp.Piecewise((u, u >= 0), (-u, True))
    if isinstance(e, sp.Piecewise):  # conditions keep Abs: no derivative there
        return sp.Piecewise(*((_analytic_abs(v), c) for v, c in e.args))
    if not e.args or not e.has(sp.Abs):
        return e
    return e.func(*(_analytic_abs(a) for a in e.args))


_TINY = float(np.finfo(float).tiny)  # the smallest normal float64

# wide stencils whose failures are rechecked with a narrow one (kinks nearby)
_NARROW = {(1, "richardson"): "central", (2, "richardson"): "central",
           (2, "complex"): "central"}


def _doubtful(exact, value, error, status, rtol, atol):
    """Entries to recheck: failed, not evaluable, or too uncertain to judge."""
    scale = np.maximum(np.abs(exact), np.abs(value))
    return (status == "FAIL") | (error > atol + rtol * scale) | (
        (status == "nan") & np.isfinite(exact)  # e.g. a stencil leaving the domain
    )


def _estimate(fvec, pts, method, order, scale=None):
    """(value, error, step per entry, nfev) of the numeric derivatives."""
    if order == 1:
        est = directional_estimate(fvec, pts, method, scale=scale, vectorized=True)
        return est.value, est.error, est.step, est.nfev
    est = hessian_estimate(fvec, pts, method, scale=scale, vectorized=True)
    step = np.broadcast_to(est.step[:, None, :], est.value.shape)
    return est.value, est.error, step, est.nfev


def _per_point(mask, order):
    """A (k,) mask shaped to broadcast against (k, n) or (k, n, n) entries."""
    return mask.reshape((-1,) + (1,) * order)


def _judge(exact, numeric, error, rtol, atol):
    diff = np.abs(exact - numeric)
    scale = np.maximum(np.abs(exact), np.abs(numeric))
    ok = diff <= atol + rtol * scale + 2.0 * error
    status = np.where(ok, "ok", "FAIL").astype(object)
    status[~(np.isfinite(exact) & np.isfinite(numeric))] = "nan"
    return status


class _Sides(NamedTuple):
    surface: np.ndarray  # on a Piecewise/Abs/Max/... boundary
    disagree: np.ndarray  # one-sided derivatives differ
    left: np.ndarray
    right: np.ndarray
    error: np.ndarray  # sum of both error estimates
    step: np.ndarray
    nfev: int  # evaluations of the expression (order 1; order 2 uses gvec)


def _one_sided(e, wrt_syms, param_syms, param_values, pts, order, fvec, gvec,
               rtol, atol) -> _Sides:
    """One-sided derivatives per entry and where the expression has kinks."""
    from calckit.kernels import compile as compile_kernel

    k, n = pts.shape
    shape = (k,) + (n,) * order
    near = _near_kinks(_surfaces(e), wrt_syms, param_syms, param_values, pts,
                       compile_kernel)
    # one-sided derivatives (of f for order 1, of the exact gradient for order 2)
    # (4th-order stencils, steps scaled to |x| and to max(|x|, 1): per entry the
    # pair with the smaller error estimate)
    g = fvec if order == 1 else gvec
    best, nfev = None, 0
    for scale_to in (None, np.maximum(np.abs(pts), 1.0)):
        fwd = directional_estimate(g, pts, "forward", scale=scale_to,
                                   vectorized=True, levels=4)
        bwd = directional_estimate(g, pts, "backward", scale=scale_to,
                                   vectorized=True, levels=4)
        nfev += (fwd.nfev + bwd.nfev) if order == 1 else 0
        step = fwd.step if order == 1 else np.broadcast_to(fwd.step[:, None, :],
                                                           shape)
        pair = (bwd.value, fwd.value, np.nan_to_num(fwd.error + bwd.error, nan=np.inf),
                step)
        if best is None:
            best = pair
        else:
            better = pair[2] < best[2]
            best = tuple(np.where(better, new, old) for new, old in zip(pair, best,
                                                                          strict=True))
    left, right, error, step = best
    gap = np.abs(right - left)
    scale = np.maximum(np.abs(left), np.abs(right))
    one_sided = gap > atol + rtol * scale + 4.0 * error
    # a one-sided estimate with a large error estimate sees a jump: not smooth
    one_sided |= ~(error <= 1e-4 * scale + atol)
    one_sided |= ~(np.isfinite(left) & np.isfinite(right))
    if order == 1:
        surface = near
    else:
        surface = near[:, :, None] | near[:, None, :]
    return _Sides(surface, one_sided, left, right, error, step, nfev)


def _surfaces(e) -> list:
    """Expressions vanishing where ``e`` may not be differentiable: the
    :func:`~calckit.symbolic._kinks.kink_surfaces`, and ``sin(pi u)`` for every
    ``floor(u)``, ``ceiling(u)`` and ``frac(u)``, which jump wherever ``u`` is
    an integer (not only where ``u = 0``)."""
    steps = {node.args[0] for node in sp.preorder_traversal(e)
             if isinstance(node, (sp.floor, sp.ceiling, sp.frac))}
    extra = [sp.sin(sp.pi * u) for u in sorted(steps, key=sp.default_sort_key)
             if u.free_symbols]
    return list(dict.fromkeys([*kink_surfaces(e), *extra]))


#: Reach of the widest stencil gradcheck uses, relative to max-ish |x_j| (the
#: richardson stencil spans +-6 steps of 1.6 % of |x_j|).
_REACH = 0.1


def _near_kinks(surfaces, wrt_syms, param_syms, param_values, pts, compile_kernel):
    """(k, n): a kink surface of the expression within the stencils' reach of
    point p along coordinate j (one that varies along ``e_j`` and changes sign
    between ``x -+ r e_j``, or vanishes at ``x``).

    A surface that does not vary along ``e_j`` (``y`` for ``Abs(y)``, seen
    along ``x``) is no kink of the partial derivatives in ``x_j``, even where
    it vanishes: ``f`` is as smooth in ``x_j`` as the rest of it."""
    k, n = pts.shape
    if not surfaces:
        return np.zeros((k, n), dtype=bool)
    kernel = compile_kernel(surfaces, wrt_syms, param_syms, stable=False)
    ref = np.where(pts != 0, np.abs(pts), 1.0)
    shifts = _REACH * ref[:, None, :] * np.eye(n)  # (k, n, n): row j along e_j
    probe = np.concatenate([pts[:, None, :], pts[:, None, :] - shifts,
                            pts[:, None, :] + shifts], axis=1)  # (k, 1 + 2n, n)
    extra = [np.repeat(v, 1 + 2 * n) if v.ndim else v for v in param_values]
    with np.errstate(all="ignore"):
        values = np.broadcast_to(kernel(*probe.reshape(-1, n).T, *extra),
                                 (k * (1 + 2 * n), len(surfaces)))
    values = values.reshape(k, 1 + 2 * n, len(surfaces))
    at, lo, hi = values[:, :1], values[:, 1:1 + n], values[:, 1 + n:]
    # on the surface: 0 up to rounding, measured against how much it changes
    # within reach along e_j (not against the largest coordinate: y = 1e-3
    # is no kink of Abs(y) because x = 1e10)
    change = np.maximum(np.abs(lo - at), np.abs(hi - at))  # (k, n, S)
    on = np.abs(at) <= 1e-12 * change
    crossed = np.sign(lo) * np.sign(hi) <= 0  # (k, n, S)
    varies = (lo != at) | (hi != at)  # (k, n, S): depends on x_j here
    return np.any(varies & (on | crossed), axis=2)


def _rows(exact, value, error, step, status, note, wrt_syms, order):
    k, n = exact.shape[:2]
    names = [s.name for s in wrt_syms]
    rows = []
    for p in range(k):
        if order == 1:
            entries = [((j,), f"d/d{names[j]}") for j in range(n)]
        else:
            entries = [
                ((i, j), f"d2/d{names[i]}2" if i == j else f"d2/d{names[i]}d{names[j]}")
                for i in range(n) for j in range(i, n)
            ]
        for idx, label in entries:
            at = (p, *idx)
            ex, nu = float(exact[at]), float(value[at])
            diff = abs(ex - nu)
            scale = max(abs(ex), abs(nu))
            rel = diff / scale if scale > 0 else (0.0 if diff == 0 else float("inf"))
            if not (np.isfinite(ex) and np.isfinite(nu)):
                diff = rel = float("nan")
            rows.append(GradcheckRow(p, label, ex, nu, diff, rel, float(step[at]),
                                     float(error[at]), str(status[at]), note[at]))
    return rows
