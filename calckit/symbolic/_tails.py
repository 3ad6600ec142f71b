"""Products whose factor vanishes in a tail (private; the last pass of
:func:`calckit.symbolic.stable.stabilize`).

``x*sigmoid(x)`` (silu) at ``x = -inf``, ``x*(0.13*x**2 + 1)*dsigmoid(E(x))``
(``gelu_tanh'``) at ``x = 1e200``, ``(1 - x**2/2)*exp(-x**2/2)`` (``gelu''``)
at ``x = 1e200``: a polynomial factor overflows to ``inf`` where the other
factor has underflowed to exactly 0, and the kernel returns ``inf*0 = nan``
where the limit is 0.

:func:`tail_rule` bounds the polynomial occurrences of ``x`` instead:
``P(x)*D(E(x))`` -> ``P(c)*D(E(x))`` with ``c = clip(x, -L, L)``, where
``D`` is ``exp``, ``sigmoid``, ``ndtr`` (vanishing where ``E -> -oo``) or
``dsigmoid`` (vanishing at both ends), ``E`` a polynomial in ``x`` with
numeric coefficients, and ``L`` far enough out that ``|E(x)| >= 3000`` (plus
the growth of ``P``) for every ``|x| >= L``: there ``D`` is exactly 0 in
float32 and float64 and the exact product is below the smallest subnormal.
A side where ``D`` does not vanish keeps ``x`` (its bound is infinite). So
the kernel value is unchanged wherever it was a number, and 0 where it was
``nan``. ``D`` keeps its own argument (kernels share one ``expit`` per
argument), and bounded factors (``tanh``, ``sigmoid``, ``erf``, ...) of
``x`` stay as they are.

>>> import sympy as sp
>>> from calckit.symbolic.functions import dsigmoid, sigmoid
>>> x = sp.Symbol("x", real=True)
>>> tail_rule(x * sigmoid(x))
clip(x, -4096, oo)*sigmoid(x)
>>> tail_rule((1 - x**2 / 2) * sp.exp(-x**2 / 2))
(1 - clip(x, -128, 128)**2/2)*exp(-x**2/2)
>>> tail_rule(x * sp.tanh(x) * dsigmoid(x))
tanh(x)*clip(x, -4096, 4096)*dsigmoid(x)
>>> tail_rule(sp.exp(x**3) * dsigmoid(x)) is None  # exp(x**3) grows too fast
True
"""

from __future__ import annotations

import math

import sympy as sp

from calckit.symbolic._kinked import clip
from calckit.symbolic._step import step
from calckit.symbolic.functions import dsigmoid, ndtr, sigmoid

__all__ = ["tail_rule"]

#: |E| at and beyond the bound: exp(-3000) is 0 in float64 with a margin of
#: e^-1500 for the other factors
_TARGET = 3000.0

#: functions of x bounded by 1 in absolute value (the coefficients of P)
_BOUNDED = (sp.tanh, sp.sin, sp.cos, sp.erf, sp.sign, sigmoid, dsigmoid, ndtr,
            step, clip)


#: the rule looks at products of at most this many nodes (walks of larger,
#: shared trees would cost more than the rule is worth)
_MAX_NODES = 400


def _small(*exprs) -> bool:
    """True if ``exprs`` hold at most :data:`_MAX_NODES` nodes together."""
    count = 0
    stack = list(exprs)
    while stack:
        count += 1
        if count > _MAX_NODES:
            return False
        stack.extend(stack.pop().args)
    return True


def _vanishing(f):
    """``(E, lower, upper)`` if the factor ``f`` vanishes where its argument
    ``E`` goes to -oo (``lower``/``upper``: E -> -oo at x -> -oo / +oo) or at
    both ends (dsigmoid), else None. ``f`` may be a positive integer power."""
    # not as_base_exp: exp(a) is E**a there
    base, k = (f.base, f.exp) if isinstance(f, sp.Pow) else (f, sp.S.One)
    if not (k.is_Integer and k > 0):
        return None
    if isinstance(base, dsigmoid):
        return base.args[0], True, True
    if isinstance(base, (sp.exp, sigmoid, ndtr)):
        return base.args[0], None, None  # sides from the polynomial
    return None


def _bound(coeffs, extra_degree: int) -> float | None:
    """The smallest power of two ``L >= 1`` with ``|E(x)| >= 3000 + d*log|x|``
    for every ``|x| >= L`` (``E`` of degree >= 1 with ``coeffs``, leading
    first), or None if out of reach."""
    lead, rest = abs(coeffs[0]), sum(abs(c) for c in coeffs[1:])
    n = len(coeffs) - 1
    if lead == 0:
        return None
    L = 1.0
    for _ in range(1100):
        # |E(x)| >= |x|**(n - 1)*(lead*|x| - rest) for |x| >= 1, increasing
        low = L ** (n - 1) * (lead * L - rest)
        if lead * L > rest and low >= _TARGET + (extra_degree + 1) * math.log(L):
            return L
        L *= 2.0
    return None


def _poly(e, x, depth: int = 0) -> dict | None:
    """``{degree: coefficient}`` (floats) of ``e`` as a polynomial in ``x``
    with real numeric coefficients (degree <= 64), else None."""
    if e == x:
        return {1: 1.0}
    if e.is_number:
        if not e.is_extended_real:
            return None  # exp(I*x) does not vanish
        try:
            return {0: float(e)}
        except (TypeError, ValueError):
            return None
    if depth > 20:
        return None
    if isinstance(e, sp.Add):
        out: dict = {}
        for a in e.args:
            t = _poly(a, x, depth + 1)
            if t is None:
                return None
            for k, v in t.items():
                out[k] = out.get(k, 0.0) + v
        return out
    if isinstance(e, sp.Mul):
        product: dict | None = {0: 1.0}
        for a in e.args:
            t = _poly(a, x, depth + 1)
            if t is None or product is None:
                return None
            product = _times(product, t)
        return product
    if isinstance(e, sp.Pow) and e.exp.is_Integer and 0 <= e.exp <= 64:
        base = _poly(e.base, x, depth + 1)
        power: dict | None = {0: 1.0}
        for _ in range(int(e.exp)):
            power = None if base is None or power is None else _times(power, base)
        return power
    return None


def _times(a: dict, b: dict) -> dict | None:
    out: dict = {}
    for i, u in a.items():
        for j, v in b.items():
            out[i + j] = out.get(i + j, 0.0) + u * v
    return out if max(out) <= 64 else None


def _one_sided(f, sides) -> bool:
    """True for a clip unbounded on one of ``sides`` (``(lower, upper)``: where
    the bound is needed), as this rule makes for ``x*ndtr(x)``."""
    return isinstance(f, clip) and (
        (sides[0] and not f.args[1].is_finite) or (sides[1] and not f.args[2].is_finite)
    )


def _degree(f, x, sides) -> int | None:
    """The degree of ``f`` in the polynomial occurrences of ``x`` (bounded
    functions count as constants), or None if ``f`` is not of that kind."""
    if f == x:
        return 1
    if _one_sided(f, sides):  # unbounded on a side that matters: as its argument
        return _degree(f.args[0], x, sides)
    if f.is_number or x not in f.free_symbols or isinstance(f, _BOUNDED):
        return 0
    if isinstance(f, (sp.Add, sp.Mul)):
        found = [_degree(a, x, sides) for a in f.args]
        degs = [d for d in found if d is not None]
        if len(degs) < len(found):
            return None
        return max(degs) if isinstance(f, sp.Add) else sum(degs)
    if isinstance(f, sp.Pow) and f.exp.is_Integer and f.exp >= 0:
        d = _degree(f.base, x, sides)
        return None if d is None else d * int(f.exp)
    return None


def _bounded_occurrences(f, x, c, sides):
    """``f`` with ``x`` replaced by ``c`` outside bounded functions."""
    if f == x:
        return c
    if _one_sided(f, sides):  # clip(clip(x, -L, L), lo, oo): the same for |x| <= L
        return f.func(_bounded_occurrences(f.args[0], x, c, sides), *f.args[1:])
    if f.is_Atom or x not in f.free_symbols or isinstance(f, _BOUNDED):
        return f
    return f.func(*[_bounded_occurrences(a, x, c, sides) for a in f.args])


def tail_rule(node):
    """``P(x)*D(E(x))*rest`` -> ``P(clip(x, ...))*D(E(x))*rest`` (see the
    module docstring), else None."""
    if not isinstance(node, sp.Mul):
        return None
    factors = node.args
    if not _small(*factors):
        return None
    for i, f in enumerate(factors):
        found = _vanishing(f)
        if found is None:
            continue
        e, lower, upper = found
        syms = e.free_symbols
        if len(syms) != 1:
            continue
        (x,) = syms
        if not x.is_extended_real:
            continue
        terms = _poly(e, x)  # not sp.Poly: milliseconds per call
        if terms is None or max(terms) < 1:
            continue
        n = max(terms)
        coeffs = [terms.get(k, 0.0) for k in range(n, -1, -1)]
        if not all(map(math.isfinite, coeffs)) or coeffs[0] == 0:
            continue
        positive = coeffs[0] > 0
        if lower is None:  # vanishes where E -> -oo
            upper = not positive
            lower = positive == (n % 2 == 1)
        if not (lower or upper):
            continue
        sides = (lower, upper)
        others = [g for j, g in enumerate(factors) if j != i]
        found = [_degree(g, x, sides) for g in others]
        degs = [d for d in found if d is not None]
        if len(degs) < len(found) or sum(degs) == 0:
            continue
        L = _bound(coeffs, sum(degs))
        if L is None:
            continue
        c = clip(x, -sp.Integer(int(L)) if lower else -sp.oo,
                 sp.Integer(int(L)) if upper else sp.oo)
        return sp.Mul(f, *[_bounded_occurrences(g, x, c, sides) for g in others])
    return None
