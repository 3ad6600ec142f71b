"""Rigorous interval enclosures of SymPy expressions (mpmath.iv).

Used by :mod:`calckit.symbolic.remainder`. Every operation rounds outward, so
an enclosure always contains the true range; functions mpmath.iv lacks are
written in terms of rigorous primitives (``tanh(u) = 1 - 2/(exp(2u) + 1)``)
or, when increasing, enclosed from their end values at 80 bits.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> lo, hi = interval_max_abs(sp.sin(x) * sp.exp(-x), [x], [(0, 3)])
>>> lo <= 0.3224 <= hi, hi / lo < 1.01
(True, True)
"""

from __future__ import annotations

import heapq
import itertools
import math
from typing import Any

import mpmath
import sympy as sp
from mpmath import iv

from calckit.errors import NumericError
from calckit.symbolic._coerce import as_expr, as_symbols

__all__ = ["enclose", "interval_max_abs", "iv_const", "lower_end", "upper_end", "up"]


# --------------------------------------------------------------------------

def iv_const(value: sp.Expr) -> Any:
    """``value`` (an exact SymPy constant) as an mpmath interval (an
    ``iv.mpf``, untyped)."""
    if value.is_Integer:
        return iv.mpf(int(value))
    if value.is_Rational:
        return iv.mpf(int(value.p)) / iv.mpf(int(value.q))
    if value.is_Float:
        return iv.mpf(mpmath.mpf(value._mpf_))
    if value is sp.pi:
        return iv.pi
    if value is sp.E:
        return iv.e
    raise NumericError(f"cannot enclose the constant {value} in an interval")


def _monotone(fn, x):
    """Enclosure of an increasing function: endpoints at 80 bits, widened."""
    with mpmath.workprec(80):
        lo = fn(mpmath.mpf(lower_end(x)))
        hi = fn(mpmath.mpf(upper_end(x)))
    pad_lo = abs(lo) * mpmath.mpf(2) ** -60 + mpmath.mpf(2) ** -1000
    pad_hi = abs(hi) * mpmath.mpf(2) ** -60 + mpmath.mpf(2) ** -1000
    return iv.mpf([lo - pad_lo, hi + pad_hi])


def lower_end(interval):
    """Lower end of an mpmath interval as an mpf."""
    return mpmath.mpf(interval._mpi_[0])


def upper_end(interval):
    """Upper end of an mpmath interval as an mpf."""
    return mpmath.mpf(interval._mpi_[1])


def _iv_max(items):
    return iv.mpf([max(lower_end(i) for i in items),
                   max(upper_end(i) for i in items)])


def _iv_min(items):
    return iv.mpf([min(lower_end(i) for i in items),
                   min(upper_end(i) for i in items)])


def _iv_logsumexp(items):
    m = _iv_max(items)
    return m + iv.ln(sum((iv.exp(i - m) for i in items), iv.mpf(0)))


# SymPy function name -> enclosure built from rigorous mpmath.iv primitives.
# Each form uses its argument once where possible, so intervals stay tight.
_FUNCTIONS = {
    "exp": lambda u: iv.exp(u),
    "log": lambda u: iv.ln(u),
    "sin": lambda u: iv.sin(u),
    "cos": lambda u: iv.cos(u),
    "tan": lambda u: iv.tan(u),
    "sinh": lambda u: (iv.exp(u) - iv.exp(-u)) / 2,
    "cosh": lambda u: (iv.exp(u) + iv.exp(-u)) / 2,
    "tanh": lambda u: 1 - 2 / (iv.exp(2 * u) + 1),
    "sigmoid": lambda u: 1 / (1 + iv.exp(-u)),
    "softplus": lambda u: iv.ln(1 + iv.exp(u)),
    "Abs": lambda u: abs(u),
    "erf": lambda u: _monotone(mpmath.erf, u),
    "atan": lambda u: _monotone(mpmath.atan, u),
    "asinh": lambda u: _monotone(mpmath.asinh, u),
    "cbrt": lambda u: _monotone(lambda v: mpmath.sign(v) * mpmath.cbrt(abs(v)), u),
    "log1p": lambda u: iv.ln(1 + u),
    "expm1": lambda u: iv.exp(u) - 1,
}
_VARIADIC = {"Max": _iv_max, "Min": _iv_min, "logsumexp": _iv_logsumexp}


def _iv_eval(expr, env, memo):
    if expr in memo:
        return memo[expr]
    if expr.is_Symbol:
        if expr not in env:
            raise NumericError(
                f"cannot bound: the symbol {expr} has no value; give it one "
                "(a variable interval or a parameter)"
            )
        out = env[expr]
    elif expr.is_Number or expr.is_NumberSymbol:
        out = iv_const(expr)
    elif expr.is_Add:
        out = iv.mpf(0)
        for arg in expr.args:
            out = out + _iv_eval(arg, env, memo)
    elif expr.is_Mul:
        out = iv.mpf(1)
        for arg in expr.args:
            out = out * _iv_eval(arg, env, memo)
    elif expr.is_Pow:
        base, ex = expr.args
        b = _iv_eval(base, env, memo)
        if ex.is_Integer:
            out = b ** int(ex)
        elif ex == sp.S.Half:
            out = iv.sqrt(b)
        else:
            out = iv.exp(_iv_eval(ex, env, memo) * iv.ln(b))
    else:
        name = type(expr).__name__
        args = [_iv_eval(a, env, memo) for a in expr.args]
        if name in _FUNCTIONS and len(args) == 1:
            out = _FUNCTIONS[name](args[0])
        elif name in _VARIADIC:
            out = _VARIADIC[name](args)
        else:
            raise NumericError(
                f"cannot bound {name} with interval arithmetic (in {expr}); "
                "supported: +, -, *, /, powers, "
                f"{', '.join(sorted([*_FUNCTIONS, *_VARIADIC]))}"
            )
    memo[expr] = out
    return out


def enclose(expr, env):
    """Interval enclosing ``expr`` for the variables in ``env`` (intervals)."""
    try:
        return _iv_eval(expr, env, {})
    except mpmath.libmp.ComplexResult:
        # outside the real domain somewhere on the box (log/sqrt of negatives)
        return iv.mpf([-mpmath.inf, mpmath.inf])
    except ZeroDivisionError:
        return iv.mpf([-mpmath.inf, mpmath.inf])


def up(value) -> float:
    """Smallest float >= the mpf ``value``."""
    f = float(value)
    if not math.isinf(f) and mpmath.mpf(f) < value:
        f = math.nextafter(f, math.inf)
    return f


def _abs_upper(interval) -> float:
    return up(max(abs(lower_end(interval)), abs(upper_end(interval))))


def _abs_lower(interval) -> float:
    lo, hi = lower_end(interval), upper_end(interval)
    if lo <= 0 <= hi:
        return 0.0
    value = min(abs(lo), abs(hi))
    f = float(value)
    return math.nextafter(f, -math.inf) if mpmath.mpf(f) > value else f


def interval_max_abs(expr, wrt, box, *, rtol: float = 1e-2,
                     max_evals: int = 3000, params=None) -> tuple:
    """Rigorous enclosure ``(lower, upper)`` of ``max |expr|`` over a box.

    Branch and bound: the sub-box with the largest interval upper bound is
    bisected along its widest side until that upper bound is within ``rtol``
    of the best value found at a sub-box midpoint (or ``max_evals`` interval
    evaluations are spent). ``upper`` is always a guaranteed upper bound.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> lo, hi = interval_max_abs(sp.sin(x) * sp.exp(-x), [x], [(0, 3)])
    >>> lo <= 0.3224 <= hi, hi / lo < 1.01
    (True, True)
    """
    expr = as_expr(expr)
    wrt = as_symbols(wrt, expr)
    fixed = {}
    for key, value in (params or {}).items():
        sym = key if isinstance(key, sp.Symbol) else sp.Symbol(str(key), real=True)
        for s in expr.free_symbols:
            if s.name == sym.name:
                sym = s
        fixed[sym] = iv_const(sp.sympify(value))
    box = [(mpmath.mpf(lo), mpmath.mpf(hi)) for lo, hi in box]

    def evaluate(b):
        env = dict(fixed)
        env.update({s: iv.mpf([lo, hi]) for s, (lo, hi) in zip(wrt, b, strict=True)})
        return enclose(expr, env)

    def midpoint_lower(b):
        env = dict(fixed)
        mids = [iv.mpf((lo + hi) / 2) for lo, hi in b]
        env.update(zip(wrt, mids, strict=True))
        return _abs_lower(enclose(expr, env))

    best = max(midpoint_lower(box), _abs_lower(evaluate([(lo, lo) for lo, _ in box])),
               _abs_lower(evaluate([(hi, hi) for _, hi in box])))
    counter = itertools.count()
    heap = [(-_abs_upper(evaluate(box)), next(counter), box)]
    evals = 4
    while evals < max_evals:
        neg_upper, _, b = heap[0]
        if -neg_upper <= best * (1 + rtol):
            break
        heapq.heappop(heap)
        widths = [hi - lo for lo, hi in b]
        k = max(range(len(b)), key=widths.__getitem__)
        if widths[k] == 0:  # a point; cannot split further
            heapq.heappush(heap, (neg_upper, next(counter), b))
            break
        lo, hi = b[k]
        mid = (lo + hi) / 2
        for part in ((lo, mid), (mid, hi)):
            child = list(b)
            child[k] = part
            up = _abs_upper(evaluate(child))
            best = max(best, midpoint_lower(child))
            heapq.heappush(heap, (-up, next(counter), child))
            evals += 2
    return best, -heap[0][0]
