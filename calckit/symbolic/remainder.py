"""Taylor terms and rigorous bounds of the Taylor remainder.

The terms and partial derivatives come from :mod:`calckit.symbolic.taylor`
(the same coefficients as :func:`calckit.taylor`); this module adds the
per-term view a table shows and the bounds.

The bound never comes from sampling: the largest ``|f^(n+1)|`` on the
interval (or every ``|D^alpha f|``, ``|alpha| = n + 1``, on a box) is
enclosed with interval arithmetic (:mod:`mpmath.iv`, outward rounding) on a
subdivision refined by branch and bound. Beside the bound, the result reports
the measured largest error on a grid (evaluated with 30-digit mpmath), so a
user sees that the bound holds and how tight it is.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> r = remainder_bound(sp.exp(x), x, at=0, order=5, interval=(-1, 1))
>>> r.measured <= r.bound, round(r.bound / r.measured, 1)
(True, 2.3)
>>> r = remainder_bound(sp.exp(x), x, order=5, interval=(-1, 1), method="integral")
>>> r.measured <= r.bound <= 1.05 * r.measured
True
"""

from __future__ import annotations

import contextlib
import itertools
import math
from dataclasses import dataclass

import mpmath
import sympy as sp
from mpmath import iv

from calckit import _progress
from calckit.errors import (
    CalckitTypeError,
    InvalidParameterError,
    NumericError,
    ShapeError,
)
from calckit.symbolic._coerce import as_expr, as_symbols
from calckit.symbolic._interval import interval_max_abs
from calckit.symbolic._interval import iv_const as _iv_const
from calckit.symbolic._interval import lower_end as _lo
from calckit.symbolic._interval import up as _up
from calckit.symbolic._interval import upper_end as _hi
from calckit.symbolic._kinks import smooth_on_box
from calckit.symbolic.taylor import _partials, taylor_coefficients
from calckit.symbolic.taylor import _point as _taylor_point

__all__ = [
    "TaylorTerm",
    "RemainderBound",
    "taylor_terms",
    "taylor_polynomial",
    "interval_max_abs",
    "remainder_bound",
]

_MAX_ORDER = 40
_MAX_TERMS = 2000


@dataclass(frozen=True)
class TaylorTerm:
    """One term ``coefficient * prod((x_i - a_i)**alpha_i)`` of a Taylor
    polynomial; ``derivative`` is ``D^alpha f(a)`` and ``coefficient`` is it
    divided by ``alpha!``."""

    alpha: tuple
    derivative: sp.Expr
    coefficient: sp.Expr
    term: sp.Expr


def _point(expr, wrt, at) -> tuple:
    """``at`` (number, sequence, or dict) as a tuple of real SymPy numbers,
    resolved by :func:`calckit.symbolic.taylor` 's own reading of ``at``."""
    try:
        _, values = _taylor_point(expr, list(wrt), at)
    except (ShapeError, CalckitTypeError) as exc:
        raise InvalidParameterError(str(exc)) from exc
    for v in values:
        if not v.is_number or v.is_real is False:
            raise InvalidParameterError(f"at must hold real numbers, got {v!r}")
    return tuple(values)


def _check_order(order) -> int:
    if isinstance(order, bool) or not isinstance(order, int) or order < 0:
        raise InvalidParameterError(
            f"order must be a non-negative integer, got {order!r}"
        )
    if order > _MAX_ORDER:
        raise InvalidParameterError(
            f"order {order} is above the supported maximum {_MAX_ORDER}"
        )
    return order


def _alpha_factorial(alpha) -> int:
    return math.prod(math.factorial(k) for k in alpha)


def _top_partials(expr, wrt, degree: int) -> list:
    """``[(alpha, D^alpha expr)]`` for the non-zero partials with
    ``|alpha| == degree`` (the zero ones add nothing to a bound)."""
    return [(alpha, d) for alpha, d in _partials(expr, list(wrt), degree)
            if sum(alpha) == degree]


def taylor_terms(expr, wrt=None, at=0, order: int = 3) -> tuple:
    """The terms of the Taylor polynomial of total degree ``<= order``.

    Returns
    -------
    tuple of TaylorTerm
        Graded by degree, zero terms included (a table shows them).

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> [t.coefficient for t in taylor_terms(sp.exp(x), x, order=3)]
    [1, 1, 1/2, 1/6]
    """
    expr = as_expr(expr)
    wrt = as_symbols(wrt, expr)
    order = _check_order(order)
    a = _point(expr, wrt, at)
    n_terms = math.comb(order + len(wrt), len(wrt))
    if n_terms > _MAX_TERMS:
        raise InvalidParameterError(
            f"a Taylor polynomial of order {order} in {len(wrt)} variables has "
            f"{n_terms} terms (more than {_MAX_TERMS}); lower the order"
        )
    coeffs = taylor_coefficients(expr, list(wrt), at=list(a), order=order)
    out = []
    for alpha, coeff in coeffs.items():
        d = coeff * _alpha_factorial(alpha)
        if d.is_Float and d == int(d):
            d = sp.nsimplify(d)
            coeff = d / _alpha_factorial(alpha)
        mono = sp.Mul(*[(s - ai) ** k for s, ai, k in zip(wrt, a, alpha, strict=True)])
        out.append(TaylorTerm(alpha, d, coeff, coeff * mono))
    return tuple(out)


def taylor_polynomial(expr, wrt=None, at=0, order: int = 3) -> sp.Expr:
    """Sum of :func:`taylor_terms` (no ``O`` term).

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> taylor_polynomial(sp.sin(x), x, order=3)
    -x**3/6 + x
    """
    return sp.Add(*[t.term for t in taylor_terms(expr, wrt, at, order)])


# --------------------------------------------------------------------------
# Remainder bounds
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class RemainderBound:
    """A Taylor polynomial with a rigorous bound of its error on a box.

    Attributes
    ----------
    expr, polynomial : sympy.Expr
        The function and its Taylor polynomial of total degree ``order``.
    wrt, at, box : tuple
        Variables, expansion point and the box (one ``(lo, hi)`` per variable).
    order : int
    bound : float
        Guaranteed upper bound of ``max |expr - polynomial|`` on the box.
    measured : float
        Largest ``|expr - polynomial|`` found on a grid (a lower estimate
        of the true maximum), so ``measured <= bound`` always.
    derivative_bound : float
        Upper bound of ``max |f^(n+1)|`` (univariate) or of the largest
        ``|D^alpha f|``, ``|alpha| = n + 1`` (box), used by the bound.
    method : str
        ``"lagrange"`` or ``"integral"``.
    """

    expr: sp.Expr
    polynomial: sp.Expr
    wrt: tuple
    at: tuple
    box: tuple
    order: int
    bound: float
    measured: float
    derivative_bound: float
    method: str

    @property
    def ratio(self) -> float:
        """``bound / measured`` (1 would be a perfect bound)."""
        return self.bound / self.measured if self.measured > 0 else math.inf

    @property
    def holds(self) -> bool:
        return self.measured <= self.bound

    def __str__(self) -> str:
        at = ", ".join(_num(a) for a in self.at)
        return (
            f"Taylor polynomial of order {self.order} of {self.expr} about "
            f"({at}) on {_box_text(self.box)}:\n"
            f"  p = {self.polynomial}\n"
            f"  error bound ({self.method}) {self.bound:.3e}, "
            f"measured max error {self.measured:.3e}, "
            f"bound/measured {self.ratio:.2f}"
        )


def _num(value) -> str:
    return f"{float(value):g}"


def _box(interval, wrt) -> tuple:
    if isinstance(interval, dict):
        lookup = {(k.name if isinstance(k, sp.Symbol) else str(k)): v
                  for k, v in interval.items()}
        missing = [s.name for s in wrt if s.name not in lookup]
        if missing:
            raise InvalidParameterError(
                f"interval gives no range for {', '.join(missing)}"
            )
        pairs = [lookup[s.name] for s in wrt]
    elif (isinstance(interval, (list, tuple)) and len(interval) == 2
          and all(isinstance(v, (int, float, sp.Number)) for v in interval)):
        pairs = [interval] * len(wrt)
    elif isinstance(interval, (list, tuple)) and len(interval) == len(wrt):
        pairs = list(interval)
    else:
        raise InvalidParameterError(
            "interval must be (lo, hi), one (lo, hi) per variable, or a dict "
            f"variable -> (lo, hi); got {interval!r}"
        )
    out = []
    for pair in pairs:
        try:
            lo, hi = (float(v) for v in pair)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(
                f"interval ends must be two numbers, got {pair!r}"
            ) from exc
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
            raise InvalidParameterError(
                f"interval ({lo}, {hi}) must be finite with lo <= hi"
            )
        out.append((lo, hi))
    return tuple(out)


def _box_text(box) -> str:
    return " x ".join(f"[{_num(lo)}, {_num(hi)}]" for lo, hi in box)


# |f - p| at a grid point loses up to this much of |f| + |p| to the 30-digit
# rounding of f and p; the measured error is lowered by it, so it stays a
# lower estimate of the true error (a polynomial equal to f measures 0).
_ROUNDING = mpmath.mpf("1e-25")


def _measure(expr, poly, wrt, box, samples: int) -> float:
    """Largest |expr - poly| on a grid, with 30-digit mpmath arithmetic.

    Raises NumericError if ``expr`` is not finite at a grid point (a pole,
    or a point outside its domain)."""
    per_dim = max(3, int(round(samples ** (1 / len(wrt)))))
    axes = [[mpmath.mpf(lo) + (mpmath.mpf(hi) - lo) * i / (per_dim - 1)
             for i in range(per_dim)] for lo, hi in box]
    with mpmath.workdps(30):
        evaluate = _mp_evaluator([expr, poly], wrt, [ax[0] for ax in axes])
        worst = mpmath.mpf(0)
        for pt in itertools.product(*axes):
            try:
                f, p = (_mp_number(v) for v in evaluate(pt))
            except ZeroDivisionError:
                f = p = mpmath.nan
            if not (mpmath.isfinite(f) and mpmath.isfinite(p)):
                raise _not_finite(expr, wrt, pt, box)
            worst = max(worst, abs(f - p) - _ROUNDING * (abs(f) + abs(p)))
    return float(worst)


def _not_finite(expr, wrt, pt, box) -> NumericError:
    at = ", ".join(f"{s}={_num(v)}" for s, v in zip(wrt, pt, strict=True))
    return NumericError(
        f"{expr} is not finite at ({at}) in the interval {_box_text(box)}: it "
        "has a pole there or is undefined; choose an interval that avoids it"
    )


def _mp_evaluator(exprs, wrt, first):
    """``pt -> [e(pt) for e in exprs]`` in mpmath; SymPy's ``evalf`` where
    ``lambdify`` cannot translate a function."""
    try:
        fn = sp.lambdify(wrt, exprs, modules="mpmath")
        with contextlib.suppress(ZeroDivisionError):  # judged with the others
            fn(*first)
    except (NameError, TypeError):
        return lambda pt: [e.evalf(30, subs=dict(zip(wrt, pt, strict=True)))
                           for e in exprs]
    return lambda pt: fn(*pt)


def _mp_number(value):
    """``value`` as an mpmath number; nan when it is not a finite number."""
    if isinstance(value, (mpmath.mpf, mpmath.mpc)):
        return value
    if isinstance(value, (sp.Float, float, int)):
        return mpmath.mpf(value)
    try:
        return mpmath.mpmathify(complex(value))
    except (TypeError, ValueError):  # zoo, symbolic leftovers
        return mpmath.nan


def remainder_bound(expr, wrt=None, at=0, order: int = 3, interval=(-1, 1), *,
                    method: str = "lagrange", rtol: float = 1e-2,
                    samples: int = 801, max_evals: int = 3000,
                    progress: bool | None = None) -> RemainderBound:
    """Rigorous bound of the Taylor remainder on an interval or a box.

    Parameters
    ----------
    expr : sympy.Expr or str
        A function smooth on the box.
    wrt : symbols or names, optional
        Variables (default: free symbols sorted by name).
    at : number, sequence or dict
        Expansion point.
    order : int
        Total degree of the Taylor polynomial.
    interval : (lo, hi), sequence of (lo, hi), or dict
        The interval (univariate) or box.
    method : {"lagrange", "integral"}
        ``"lagrange"``: ``max|f^(n+1)| / (n+1)! * max|x - a|^(n+1)``, the
        max bounded by interval arithmetic over the hull of the interval and
        ``at``. On a box, the smaller of the sum over ``|alpha| = n+1`` of
        ``max|D^alpha f| / alpha! * prod r_i^alpha_i`` and the joint sup over
        ``theta in [0, 1]``, ``h in box - a`` of ``|sum D^alpha f(a + theta
        h) h^alpha / alpha!|`` (both enclosed by branch and bound).
        ``"integral"`` (univariate only): the integral form
        ``int_a^x |f^(n+1)(t)| |x-t|^n / n! dt`` bounded piece by piece at
        both ends of the interval; much tighter.
    rtol : float
        Relative tolerance of the branch and bound for each maximum.
    samples : int
        Grid size for the measured error.
    progress : bool or None, default None
        A ``tqdm`` progress bar on stderr (never stdout) over the stages:
        the measured error, then each derivative maximum (and the joint
        bound on a box). ``None``: only when stderr is a terminal; ``False``
        never.

    Returns
    -------
    RemainderBound

    Raises
    ------
    NumericError
        If a kink of ``expr`` (where the argument of an ``Abs``, ``sign``,
        ``Heaviside``, ``floor`` or ``ceiling``, the difference of two
        arguments of a ``Max`` or ``Min``, or a side of a ``Piecewise``
        condition is 0) may lie on the box or between it and ``at``; if
        ``expr`` is not finite at a point of the box (a pole); if interval
        arithmetic cannot enclose a derivative. On one side of every kink
        the bound is that of the smooth branch ``expr`` takes there.
    """
    expr = as_expr(expr)
    wrt = tuple(as_symbols(wrt, expr))
    order = _check_order(order)
    a = _point(expr, wrt, at)
    box = _box(interval, wrt)
    if method not in ("lagrange", "integral"):
        raise InvalidParameterError(
            f"method must be 'lagrange' or 'integral', got {method!r}"
        )
    if method == "integral" and len(wrt) != 1:
        raise InvalidParameterError(
            "method='integral' is univariate; use 'lagrange' on a box"
        )
    extra = expr.free_symbols - set(wrt)
    if extra:
        raise NumericError(
            f"cannot bound {expr}: {', '.join(sorted(s.name for s in extra))} "
            "has no value; substitute parameters first"
        )
    hull = [(min(lo, float(ai)), max(hi, float(ai)))
            for (lo, hi), ai in zip(box, a, strict=True)]
    smooth = _smooth(expr, wrt, hull)
    poly = taylor_polynomial(smooth, list(wrt), list(a), order)
    top = _top_partials(smooth, wrt, order + 1)
    stages = 2 if method == "integral" else 1 + len(top) + (len(wrt) > 1)
    bar = _progress.counter(stages, enabled=progress, desc="remainder_bound")
    try:
        measured = _measure(expr, poly, wrt, box, samples)
        bar.update(1)
        bound, dmax = _bound(method, wrt, a, box, order, top, rtol, max_evals, bar)
    finally:
        bar.close()
    return RemainderBound(expr, poly, wrt, a, box, order, bound, measured,
                          dmax, method)


def _bound(method, wrt, a, box, order, top, rtol, max_evals, bar) -> tuple:
    """``(bound, largest derivative bound)`` by ``method``; ``bar`` advances
    by one after each maximum."""
    if method == "integral":
        d = top[0][1] if top else sp.S.Zero  # f^(n+1), univariate
        bound, dmax = _integral_bound(d, wrt[0], a[0], order, box[0], rtol)
        bar.update(1)
    else:
        hull = [(min(lo, float(ai)), max(hi, float(ai)))
                for (lo, hi), ai in zip(box, a, strict=True)]
        total = iv.mpf(0)
        dmax = 0.0
        for alpha, d in top:
            _, upper = interval_max_abs(d, list(wrt), hull, rtol=rtol,
                                        max_evals=max_evals)
            dmax = max(dmax, upper)
            term = iv.mpf(upper) / _alpha_factorial(alpha)
            for (lo, hi), ai, k in zip(box, a, alpha, strict=True):
                ai_iv = _iv_const(ai)
                r = iv.mpf(max(_hi(abs(iv.mpf(lo) - ai_iv)),
                               _hi(abs(iv.mpf(hi) - ai_iv))))
                term = term * r ** k
            total = total + term
            bar.update(1)
        bound = _up(_hi(total))
        if len(wrt) > 1:  # the joint form is often several times tighter
            bound = min(bound, _joint_lagrange_bound(wrt, a, box, top, rtol,
                                                     max_evals // 3))
            bar.update(1)
    return bound, dmax


def _smooth(expr, wrt, hull):
    """``expr`` as a smooth expression equal to it on the hull of the box and
    the expansion point (each kink function replaced by its branch there).

    Raises NumericError, naming ``expr`` and the kink, if a kink may lie on
    the hull: the derivatives there would not see it, so no bound would hold.
    """
    # widened: the hull's float ends may round the expansion point inward
    padded = [(lo - 4e-16 * max(abs(lo), abs(hi)), hi + 4e-16 * max(abs(lo), abs(hi)))
              for lo, hi in hull]
    try:
        return smooth_on_box(expr, wrt, padded)
    except NumericError as exc:
        raise NumericError(
            f"cannot bound the Taylor remainder of {expr} on {_box_text(hull)} "
            f"(the interval and the expansion point): {exc}; derivatives do "
            "not see a kink, so choose an interval and a point on one side of "
            "every kink"
        ) from exc


def _joint_lagrange_bound(wrt, a, box, top, rtol, max_evals):
    """sup over theta in [0, 1], h in box - a of
    |sum_{|alpha| = n+1} D^alpha f(a + theta h) h^alpha / alpha!|,
    the exact Lagrange remainder bound, enclosed by branch and bound."""
    theta = sp.Dummy("theta", real=True)
    hs = [sp.Dummy(f"h_{s.name}", real=True) for s in wrt]
    shift = {s: ai + theta * h for s, ai, h in zip(wrt, a, hs, strict=True)}
    total = sp.S.Zero
    for alpha, d in top:
        d = d.xreplace(shift)
        mono = sp.Mul(*[h**k for h, k in zip(hs, alpha, strict=True)])
        total += d * mono / _alpha_factorial(alpha)
    ranges = [(0.0, 1.0)]
    for (lo, hi), ai in zip(box, a, strict=True):
        lo_h, hi_h = lo - float(ai), hi - float(ai)  # widened: float(ai) rounds
        pad = 4e-16 * max(abs(lo_h), abs(hi_h), abs(float(ai))) + 1e-300
        ranges.append((lo_h - pad, hi_h + pad))
    _, upper = interval_max_abs(total, [theta, *hs], ranges, rtol=rtol,
                                max_evals=max_evals)
    return upper


def _integral_bound(d, x, a, order, interval, rtol, pieces: int = 64):
    """max over both ends e of int_a^e |d(t)| |e - t|^n / n! dt, where
    ``d = f^(n+1)``."""
    a_iv = _iv_const(a)
    fact = math.factorial(order + 1)
    worst = mpmath.mpf(0)
    dmax = 0.0
    for end in interval:
        e = iv.mpf(end)
        if float(end) == float(a):
            continue
        total = iv.mpf(0)
        lo_end, hi_end = (a_iv, e) if float(end) > float(a) else (e, a_iv)
        step = (hi_end - lo_end) / pieces
        for k in range(pieces):
            t0 = lo_end + step * k
            t1 = lo_end + step * (k + 1) if k + 1 < pieces else hi_end
            _, m = interval_max_abs(d, [x], [(_lo(t0), _hi(t1))], rtol=rtol,
                                    max_evals=40)
            dmax = max(dmax, m)
            # int over the piece of |e - t|^n / n! dt, enclosed
            w0, w1 = abs(e - t0), abs(e - t1)
            big = iv.mpf(max(_hi(w0), _hi(w1)))
            small = iv.mpf(min(_lo(w0), _lo(w1)))
            weight = (big ** (order + 1) - small ** (order + 1)) / fact
            total = total + iv.mpf(m) * iv.mpf([0, _hi(weight)])
        worst = max(worst, _hi(total))
    return _up(worst), dmax
