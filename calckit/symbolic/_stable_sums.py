"""The sum, step and kink rules of :mod:`calckit.symbolic.stable`, and the
small helpers all rules share. Each rule maps one node to a new node or None;
:data:`calckit.symbolic.stable.RULES` is the table that uses them."""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp
from sympy.codegen.cfunctions import expm1

from calckit.symbolic._kinked import clip, ramp
from calckit.symbolic.functions import logsumexp, ndtr, sigmoid, softplus, step

_EXPAND_LIMIT = 60  # count_ops bound for expanding a combined coefficient
_FLOAT_ULPS = 8  # Float exponents equal within 2**8 units in the last place


# --------------------------------------------------------------- helpers --


def _is_neg(a: sp.Expr, b: sp.Expr) -> bool:
    """True if ``a == -b`` structurally (cheap: one Add construction)."""
    return sp.Add(a, b) == 0


def _exp_exponent(term: sp.Expr):
    """Exponent ``a`` with ``term == exp(a)`` (positive constants allowed).

    ``exp(a)`` -> ``a``; ``c*exp(a)`` with a positive number ``c`` ->
    ``a + log(c)``; a positive number ``c`` -> ``log(c)``. Else None.
    """
    if isinstance(term, sp.exp):
        return term.args[0]
    if term.is_Number and term.is_positive and term.is_finite:
        return sp.log(term)
    if isinstance(term, sp.Mul):
        coeff, rest = term.as_coeff_Mul()
        if isinstance(rest, sp.exp) and coeff.is_positive and coeff.is_finite:
            return rest.args[0] + sp.log(coeff)
    return None


def _lse_of_sum(add: sp.Expr):
    """``log(add)`` as softplus/logsumexp if ``add`` is a sum of exps, else None."""
    if not isinstance(add, sp.Add):
        return None
    exps = [_exp_exponent(t) for t in add.args]
    if any(e is None for e in exps) or not any(isinstance(t, sp.exp) or (
        isinstance(t, sp.Mul) and any(isinstance(f, sp.exp) for f in t.args)
    ) for t in add.args):
        return None
    return _lse(exps)


def _lse(exponents) -> sp.Expr:
    """logsumexp of ``exponents``, as softplus when one of two is zero."""
    exponents = list(exponents)
    if len(exponents) == 2:
        if exponents[0] == 0:
            return softplus(exponents[1])
        if exponents[1] == 0:
            return softplus(exponents[0])
    return logsumexp(*exponents)


def _split(term: sp.Expr, pred: Callable[[sp.Expr], bool]):
    """Yield ``(coeff, factor)`` with ``term == coeff*factor`` and pred(factor)."""
    if pred(term):
        yield sp.Integer(1), term
    for i, f in enumerate(sp.Mul.make_args(term)):
        rest = sp.Mul.make_args(term)[:i] + sp.Mul.make_args(term)[i + 1 :]
        if isinstance(term, sp.Mul) and pred(f):
            yield sp.Mul(*rest), f
        elif (  # sigmoid(u)**k = sigmoid(u)**(k-1) * sigmoid(u)
            isinstance(f, sp.Pow)
            and isinstance(f.base, sigmoid)
            and f.exp.is_Integer
            and f.exp >= 2
            and pred(f.base)
        ):
            yield sp.Mul(*rest, f.base ** (f.exp - 1)), f.base


def _cheap_expand(e: sp.Expr) -> sp.Expr:
    if sp.count_ops(e) <= _EXPAND_LIMIT:
        return sp.expand(e)
    return e


# ------------------------------------------------------------ add rules --


def _complement(f):
    """For ``1 - f`` and ``1 + f``: (minus_form, plus_form), None if unsafe.

    Returns the overflow- and cancellation-free forms of ``1 - f`` and
    ``1 + f`` (either may be None when no rewrite is needed).
    """
    if isinstance(f, sigmoid):
        return sigmoid(-f.args[0]), None
    if isinstance(f, sp.erf):
        u = sp.sqrt(2) * f.args[0]  # erfc(-u) would auto-evaluate to 2 - erfc(u)
        return 2 * ndtr(-u), 2 * ndtr(u)
    if isinstance(f, sp.tanh):
        u = f.args[0]
        return 2 * sigmoid(-2 * u), 2 * sigmoid(2 * u)
    if isinstance(f, sp.Pow) and isinstance(f.base, sp.tanh) and f.exp == 2:
        u = f.base.args[0]
        return 4 * sigmoid(2 * u) * sigmoid(-2 * u), None
    if isinstance(f, sp.exp):
        a = f.args[0]
        form = _softmax_complement(a)
        return (form if form is not None else -expm1(a)), None  # 1 - e^a
    return None


def _softmax_complement(a):
    """``1 - exp(a)`` for ``a = a_i - logsumexp(A)`` with ``a_i`` in ``A``:
    ``exp(logsumexp(A without a_i) - logsumexp(A))``; else None.

    ``a_i`` is matched up to the rounding of Float constants (see
    :func:`_same_exponent`), so float weights such as ``0.3*exp(b)`` match.
    """
    for t in sp.Add.make_args(a):
        c, lse = t.as_coeff_Mul()
        if c == -1 and isinstance(lse, (logsumexp, softplus)):
            args = lse.args if isinstance(lse, logsumexp) else (0, lse.args[0])
            ai = a + lse
            for k, arg in enumerate(args):
                if _same_exponent(arg, ai):
                    return sp.exp(_lse(args[:k] + args[k + 1 :]) - lse)
    return None


def _same_exponent(x: sp.Expr, y: sp.Expr) -> bool:
    """True if ``x == y``, or if they differ by a number within Float rounding.

    Float weights reach exponents through ``log`` and ``exp`` at the Float's
    precision (``exp(b - 1.2039728)`` becomes ``0.29999999*exp(b)``), so one
    weight may appear with its last bits changed, or once as a Float and once
    exact (``b - 0.69314718`` and ``b - log(2)``). A difference of a few
    units in the last place of the largest Float involved counts as equal.

    Parameters
    ----------
    x, y : sympy.Expr
        Exponents, such as ``b - 1.20397280432594``.

    Returns
    -------
    bool
    """
    if x == y:
        return True
    diff = sp.Add(x, -y)
    if not (diff.is_number and diff.has(sp.Float)):
        return False
    floats = x.atoms(sp.Float) | y.atoms(sp.Float)
    if not floats:
        return False
    prec = min(f._prec for f in floats)
    scale = max(1.0, *(abs(float(f)) for f in floats))
    gap = abs(float(sp.N(diff, int(prec * 0.302) + 10)))
    return gap <= scale * 2.0 ** (_FLOAT_ULPS - prec)


def _is_candidate(f) -> bool:
    return isinstance(f, (sigmoid, sp.erf, sp.tanh, sp.exp)) or (
        isinstance(f, sp.Pow) and isinstance(f.base, sp.tanh) and f.exp == 2
    )


def _add_complement(node):
    """``c - c*f`` / ``c + c*f`` -> ``c*(1 - f)`` in a stable form."""
    terms = list(node.args)
    index: dict = {}
    for k, t in enumerate(terms):
        index.setdefault(t, k)
    for i, t in enumerate(terms):
        for d, f in _split(t, _is_candidate):
            for j, which in ((index.get(-d), 0), (index.get(d), 1)):
                if j is None or j == i:
                    continue
                comp = _complement(f)  # s - s*f (which=0) or s + s*f (which=1)
                form = None if comp is None else comp[which]
                if form is None:
                    continue
                rest = [x for k, x in enumerate(terms) if k not in (i, j)]
                return sp.Add(terms[j] * form, *rest)
        out = _numeric_complement(terms, i)
        if out is not None:
            return out
    return None


def _numeric_complement(terms, i):
    """``k + d*exp(a)`` (numbers ``k``, ``d`` of opposite signs) in ``terms``
    -> ``k*(1 - r*exp(a))`` with ``r = -d/k`` in the stable softmax form.

    SymPy splits a number off an exponent (``exp(a - log(2))`` is
    ``exp(a)/2``, ``exp(a - 1.2039728)`` is ``0.29999999*exp(a)``), so the
    weight ``r`` is put back as ``a + log(r)`` before matching. Rational and
    Float numbers are treated alike.

    Parameters
    ----------
    terms : list of sympy.Expr
        The arguments of a sum.
    i : int
        Index of the candidate term ``d*exp(a)``.

    Returns
    -------
    sympy.Expr or None
        The rewritten sum, or None if ``terms[i]`` does not fit.
    """
    d, f = terms[i].as_coeff_Mul()
    if not (isinstance(f, sp.exp) and d.is_finite and d != 0):
        return None
    for j, k in enumerate(terms):
        if j == i or not k.is_Number or not k.is_finite or k == 0:
            continue
        ratio = -d / k
        if not ratio.is_positive:
            continue
        form = _softmax_complement(f.args[0] + sp.log(ratio))
        if form is not None:
            rest = [x for m, x in enumerate(terms) if m not in (i, j)]
            return sp.Add(k * form, *rest)
    return None


def _add_sigmoid_pairs(node):
    """``a*sigmoid(u) + b*sigmoid(-u)`` -> ``(a - b)*sigmoid(u) + b``."""
    terms = list(node.args)
    by_arg: dict = {}
    for i, t in enumerate(terms):
        for d, f in _split(t, lambda g: isinstance(g, sigmoid)):
            if not d.has(sigmoid):
                by_arg.setdefault(f.args[0], []).append((i, d))
    for u, entries in by_arg.items():
        partners = by_arg.get(-u)
        if not partners:
            continue
        for i, a in entries:
            for j, b in partners:
                if j == i:
                    continue
                if u.could_extract_minus_sign():
                    a, b, u = b, a, -u
                piece = _common_factor(_cheap_expand(a - b), sigmoid(u), b)
                rest = [x for k, x in enumerate(terms) if k not in (i, j)]
                return sp.Add(piece, *rest)
    return None


def _common_factor(coeff, f, b):
    """``coeff*f + b`` with the factors common to ``coeff`` and ``b`` pulled out
    (a cheap, non-recursive ``factor_terms``)."""
    ca, cb = list(sp.Mul.make_args(coeff)), list(sp.Mul.make_args(b))
    common = []
    for g in list(ca):
        if not g.is_Number and g in cb:
            ca.remove(g)
            cb.remove(g)
            common.append(g)
    if coeff.could_extract_minus_sign() and b.could_extract_minus_sign():
        return -_common_factor(-coeff, f, -b)
    return sp.Mul(*common, sp.Add(sp.Mul(*ca) * f, sp.Mul(*cb)))


def _add_softplus_minus(node):
    """``c*softplus(u) - c*u`` -> ``c*softplus(-u)`` (c a number)."""
    terms = list(node.args)
    for i, t in enumerate(terms):
        for d, f in _split(t, lambda g: isinstance(g, softplus)):
            if not d.is_Number:
                continue
            need = list(sp.Add.make_args(sp.Mul(-d, f.args[0])))
            rest = terms[:i] + terms[i + 1 :]
            pool = list(rest)
            for x in need:
                if x in pool:
                    pool.remove(x)
                else:
                    break
            else:
                return sp.Add(d * softplus(-f.args[0]), *pool)
    return None


def _add_common_denominator(node):
    """``n1/a**k1 + n2/a**k2 + ...`` -> ``(sum n_i*a**(K - k_i))/a**K`` when the
    numerator collapses (e.g. softsign': ``1/a - |x|/a**2`` with
    ``a = 1 + |x|`` -> ``1/a**2``). Small sums only; kept only if smaller."""
    if len(node.args) > 6:
        return None
    base, parts = None, []
    for t in node.args:
        found = None
        for f in sp.Mul.make_args(t):
            b, k = f.as_base_exp()
            if k.is_Integer and k < 0 and not b.is_number:
                if found is not None:
                    return None
                found = (b, -int(k), f)
        if found is None or (base is not None and found[0] != base):
            return None
        base = found[0]
        parts.append((sp.Mul(*[g for g in sp.Mul.make_args(t) if g is not found[2]]),
                      found[1]))
    if base is None or len(parts) < 2 or max(k for _, k in parts) > 3:
        return None
    top = max(k for _, k in parts)
    num = _cheap_expand(sp.Add(*[n * base ** (top - k) for n, k in parts]))
    out = num / base**top
    return out if sp.count_ops(out) < sp.count_ops(node) else None


def _add_rules(node):
    if not isinstance(node, sp.Add):
        return None
    for rule in (
        _add_complement,
        _add_sigmoid_pairs,
        _add_softplus_minus,
        _add_common_denominator,
    ):
        out = rule(node)
        if out is not None:
            return out
    return None


# ------------------------------------------------------- kink convention --


def _step(cond):
    """``cond`` as a product of unit steps, or None.

    ``a > b`` -> ``step(a - b, 0)``, ``a >= b`` -> ``step(a - b, 1)`` (and
    mirrored for ``<``, ``<=``); ``And`` multiplies its steps.
    """
    if isinstance(cond, sp.And):
        steps = [_step(c) for c in cond.args]
        return None if any(t is None for t in steps) else sp.Mul(*steps)
    table = {
        sp.StrictGreaterThan: (1, 0),
        sp.GreaterThan: (1, 1),
        sp.StrictLessThan: (-1, 0),
        sp.LessThan: (-1, 1),
    }
    if type(cond) not in table:
        return None
    sign, at_zero = table[type(cond)]
    return step(sign * (cond.lhs - cond.rhs), at_zero)


def _affine(v) -> bool:
    """True for expressions of degree <= 1 (sign/Abs allowed): they cannot
    overflow for finite inputs, so evaluating them everywhere is safe."""
    if v.is_number:
        return bool(v.is_finite)
    if v.is_Symbol:
        return True
    if isinstance(v, sp.Add):
        return all(_affine(a) for a in v.args)
    if isinstance(v, sp.Mul):
        rest = [a for a in v.args if not a.is_number]
        return len(rest) <= 1 and all(_affine(a) for a in rest)
    if isinstance(v, (sp.sign, sp.Abs)):
        return _affine(v.args[0])
    return False


def _clip(pieces):
    """``Piecewise((k*u, |u| < d), (k*d*sign(u), True))`` -> ``k*clip(u, -d, d)``
    (the derivative of Huber's loss)."""
    if len(pieces) != 2 or pieces[1].cond is not sp.true:
        return None
    (a, cond), (b, _) = pieces
    if not (isinstance(cond, sp.StrictLessThan) and isinstance(cond.lhs, sp.Abs)):
        return None
    u, d = cond.lhs.args[0], cond.rhs
    if not d.is_positive:
        return None
    for k in (sp.Integer(1), sp.Integer(-1)):
        if sp.Add(a, -k * u) == 0 and sp.Add(b, -k * d * sp.sign(u)) == 0:
            return sp.Min(sp.Max(k * u, -d), d)  # clip is odd: k*clip(u) = clip(k*u)
    return None


_GAP = {
    sp.StrictGreaterThan: (1, 0),
    sp.GreaterThan: (1, 1),
    sp.StrictLessThan: (-1, 0),
    sp.LessThan: (-1, 1),
}
_KINK_OPS = 40  # count_ops bound for matching a kink's branches


def _gap(cond):
    """``(c, h)`` with ``cond`` equivalent to ``c > 0`` (``h = 0``) or
    ``c >= 0`` (``h = 1``), or None."""
    if type(cond) not in _GAP:
        return None
    sign, h = _GAP[type(cond)]
    return sign * (cond.lhs - cond.rhs), h


def _ramp_form(pieces):
    """``Piecewise((A, c > 0), (B, True))`` with ``A - B = k*c`` (a kink of
    ``relu``, ``leaky_relu``, ``hinge``) -> ``B + k*ramp(c, 0)``: finite at
    ``c = -inf`` (``relu(-inf) = 0``, where ``c*step(c)`` is ``nan``), one
    ``numpy.maximum``, and the same derivative (``k*step(c, 0)*c'``)."""
    if len(pieces) != 2 or pieces[1].cond is not sp.true:
        return None
    (a, cond), (b, _) = pieces
    gap = _gap(cond)
    if gap is None or sp.count_ops(a) + sp.count_ops(b) > _KINK_OPS:
        return None
    c, h = gap
    k = sp.cancel((a - b) / c)
    if b != 0 or not k.is_number or k == 0:
        return None  # (B + k*ramp(c) would round on the A side)
    return k * ramp(c, h)


def _bounds(cond):
    """``(u, lo, hi)`` for ``(u > lo) & (u < hi)`` with number bounds."""
    if not (isinstance(cond, sp.And) and len(cond.args) == 2):
        return None
    lo = hi = u = None
    for rel in cond.args:
        gap = _gap(rel)
        if gap is None or gap[1] != 0:
            return None
        c = gap[0]  # c > 0 with c = +-(u - bound)
        bound, rest = c.as_coeff_Add()
        coeff, var = rest.as_coeff_Mul()
        if coeff == 1:  # var + bound > 0: var > -bound
            lo, u_here = -bound, var
        elif coeff == -1:  # bound - var > 0: var < bound
            hi, u_here = bound, var
        else:
            return None
        if u is not None and u_here != u:
            return None
        u = u_here
    if lo is None or hi is None or not bool(lo < hi):
        return None
    return u, lo, hi


def _clip_form(pieces):
    """``Piecewise((p*u + q, lo < u < hi), (p*lo + q, u <= lo), (p*hi + q,
    True))`` (``hard_tanh``, ``hard_sigmoid``) -> ``p*clip(u, lo, hi) + q``:
    finite at ``u = +-inf`` (``hard_sigmoid(+-inf) = 1, 0``) and the same
    derivative (``p`` strictly inside, 0 at and outside the ends)."""
    if len(pieces) != 3 or pieces[2].cond is not sp.true:
        return None
    (a, cond), (at_lo, cond_lo), (at_hi, _) = pieces
    found = _bounds(cond)
    if found is None or sp.count_ops(a) > _KINK_OPS:
        return None
    u, lo, hi = found
    below = _gap(cond_lo)
    if below is None or below[1] != 1 or sp.expand(below[0] - (lo - u)) != 0:
        return None
    p = sp.cancel((a - a.subs(u, lo)) / (u - lo))
    q = a - p * u
    if not p.is_number or q.has(u):
        return None
    if sp.expand(at_lo - (p * lo + q)) != 0 or sp.expand(at_hi - (p * hi + q)) != 0:
        return None
    return p * clip(u, lo, hi) + q


def _piecewise_rules(node):
    """``Piecewise`` of affine pieces -> ``A*H + B*(1 - H)`` with unit steps
    ``H`` whose value at 0 follows the condition (strict -> 0): one
    comparison per condition instead of masked branches, the same value
    everywhere (including at the kinks) and the same derivatives."""
    if not isinstance(node, sp.Piecewise):
        return None
    pieces = node.args
    for form in (_clip, _ramp_form, _clip_form):
        out = form(pieces)
        if out is not None:
            return out
    if pieces[-1].cond is not sp.true or not all(_affine(e) for e, _ in pieces):
        return None
    acc = pieces[-1].expr
    for expr, cond in reversed(pieces[:-1]):
        h = _step(cond)
        if h is None:
            return None
        acc = expr * h + (acc * (1 - h) if acc != 0 else 0)
    return acc



def _delta_rules(node):
    """``DiracDelta(u)`` -> 0: the derivative of ``sign``/``Heaviside`` as
    autograd defines it (0 everywhere, including the kink)."""
    if isinstance(node, sp.DiracDelta):
        return sp.S.Zero
    return None


#: The rewrite table: each rule maps one node to a new node or None.
