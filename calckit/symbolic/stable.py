"""Rewrite expressions into overflow-free, cancellation-free forms.

:func:`stabilize` walks an expression bottom-up once per pass and applies
one table of local patterns, :data:`RULES`, at every node until nothing
changes (at most a few passes). Each rule looks only at one node and its
direct arguments, so the cost is linear in the size of the expression
times a small constant; nothing calls ``simplify``. The result is a fixed
point, so ``stabilize`` is idempotent.

>>> import sympy as sp
>>> u, a, b, y = sp.symbols("u a b y", real=True)
>>> stabilize(sp.log(1 + sp.exp(u)))
softplus(u)
>>> stabilize(sp.exp(u) / (1 + sp.exp(u))), stabilize(1 / (1 + sp.exp(-u)))
(sigmoid(u), sigmoid(u))
>>> stabilize(sp.log(sp.exp(a) + sp.exp(b)))
logsumexp(a, b)
>>> stabilize(sp.log(1 - sigmoid(u)))
-softplus(u)
>>> stabilize(sp.exp(u) / (sp.exp(u) + 1)**2)
dsigmoid(u)
>>> stabilize((1 - y) * sigmoid(u) - y * sigmoid(-u))
-y + sigmoid(u)
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

from calckit.symbolic.functions import (
    dsigmoid,
    logcosh,
    logsumexp,
    ndtr,
    quotient,
    sigmoid,
    softplus,
    step,
)

__all__ = ["stabilize", "RULES"]

_MAX_PASSES = 6
_MAX_RULE_STEPS = 12
_EXPAND_LIMIT = 60  # count_ops bound for expanding a combined coefficient


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


# ------------------------------------------------------------ log rules --


def _log_rules(node):
    if not isinstance(node, sp.log):
        return None
    arg = node.args[0]
    if isinstance(arg, sigmoid):  # log(sigmoid(u)) -> -softplus(-u)
        return -softplus(-arg.args[0])
    if isinstance(arg, sp.cosh):  # log(cosh(u)) -> logcosh(u)
        return logcosh(arg.args[0])
    if isinstance(arg, sp.Mul):  # log(sigmoid(u)**k * rest) handled factorwise
        sig = [f for f in arg.args if isinstance(f, sigmoid)]
        if sig and all(f.is_positive for f in arg.args):
            return sp.Add(*[sp.log(f) for f in arg.args])
    lse = _lse_of_sum(arg)
    if lse is not None:  # log(exp(a) + exp(b) + ...) -> logsumexp
        return lse
    if isinstance(arg, sp.Add) and sp.Integer(1) in arg.args:
        rest = arg - 1  # log(1 + p) -> log1p(p)
        return log1p(rest)
    return None


def _log1p_rules(node):
    if not isinstance(node, log1p):
        return None
    arg = node.args[0]
    coeff, rest = arg.as_coeff_Mul()
    if coeff == -1 and isinstance(rest, sigmoid):  # log1p(-sigmoid(u))
        return -softplus(rest.args[0])
    if isinstance(arg, sp.exp):  # log1p(exp(u)) -> softplus(u)
        return softplus(arg.args[0])
    return None


# ------------------------------------------------------------ pow rules --


def _pow_rules(node):
    if not isinstance(node, sp.Pow):
        return None
    base, ex = node.args
    if ex.is_negative and ex.is_number:
        lse = _lse_of_sum(base)  # (sum of exps)**-k -> exp(-k*logsumexp)
        if lse is not None:
            if isinstance(lse, softplus) and ex.is_Integer:
                return sigmoid(-lse.args[0]) ** (-ex)  # 1/(1+e^v) = sigmoid(-v)
            return sp.exp(ex * lse)
    return None


# ------------------------------------------------------------ mul rules --


def _exp_power(f):
    """``(a, k)`` with ``f == exp(a)**k``, else None."""
    if isinstance(f, sp.exp):
        return f.args[0], sp.Integer(1)
    if isinstance(f, sp.Pow) and isinstance(f.base, sp.exp):
        return f.base.args[0], f.exp
    return None


def _sig_power(f):
    """``(u, k)`` with ``f == sigmoid(u)**k`` (k a positive integer), else None."""
    if isinstance(f, sigmoid):
        return f.args[0], 1
    if (
        isinstance(f, sp.Pow)
        and isinstance(f.base, sigmoid)
        and f.exp.is_Integer
        and f.exp > 0
    ):
        return f.base.args[0], int(f.exp)
    return None


def _has_exp_term(add) -> bool:
    return any(
        _exp_power(g) or any(_exp_power(h) for h in sp.Mul.make_args(g))
        for g in add.args
    )


def _mul_rules(node):
    if not isinstance(node, sp.Mul):
        return None
    factors = list(node.args)
    # exp(a)*exp(b) -> exp(a + b): keeps exp(1000)*exp(-1000) from being inf*0
    exps = [(i, _exp_power(f)) for i, f in enumerate(factors)]
    exps = [(i, p) for i, p in exps if p is not None]
    if len(exps) >= 2:
        merged = sp.exp(sp.Add(*[a * k for _, (a, k) in exps]))
        drop = {i for i, _ in exps}
        rest = [f for i, f in enumerate(factors) if i not in drop]
        return sp.Mul(merged, *rest)
    # exp(r*u)*sigmoid(-u)**n -> sigmoid(u)**r*sigmoid(-u)**(n-r), 1 <= r <= n
    if len(exps) == 1:
        i, (a, k) = exps[0]
        a = a * k
        # exp(c)*(exp(a) + b)**k -> exp(a + c)*... + b*exp(c)*...: exponents
        # cancel before anything overflows (k a small positive integer)
        for j, f in enumerate(factors):
            base, k = f.as_base_exp()
            if not (isinstance(base, sp.Add) and _has_exp_term(base)):
                continue
            if k == 1:
                terms = base.args
            elif k.is_Integer and 2 <= k and len(base.args) ** int(k) <= 64:
                terms = sp.Add.make_args(sp.expand_multinomial(f))
            else:
                continue
            rest = [g for m, g in enumerate(factors) if m not in (i, j)]
            return sp.Mul(sp.Add(*[factors[i] * g for g in terms]), *rest)
        for j, f in enumerate(factors):
            sig = _sig_power(f)
            if sig is None:
                continue
            v, n = sig
            for r in range(1, n + 1):
                if sp.Add(a, r * v) == 0:
                    rest = [g for m, g in enumerate(factors) if m not in (i, j)]
                    return sp.Mul(sigmoid(-v) ** r, sigmoid(v) ** (n - r), *rest)
    # u*sign(u) -> |u| for real u
    for i, f in enumerate(factors):
        if isinstance(f, sp.sign) and f.args[0] in factors and f.args[0].is_real:
            j = factors.index(f.args[0])
            rest = [g for q, g in enumerate(factors) if q not in (i, j)]
            return sp.Mul(sp.Abs(f.args[0]), *rest)
    # sigmoid(u)**a * sigmoid(-u)**b -> dsigmoid(u)**min(a, b) * ...
    sigs = [(i, _sig_power(f)) for i, f in enumerate(factors)]
    sigs = [(i, p) for i, p in sigs if p is not None]
    for n, (i, (u, ka)) in enumerate(sigs):
        for j, (v, kb) in sigs[n + 1 :]:
            if _is_neg(u, v):
                m = min(ka, kb)
                canon = v if u.could_extract_minus_sign() else u
                rest = [g for q, g in enumerate(factors) if q not in (i, j)]
                return sp.Mul(
                    dsigmoid(canon) ** m,
                    sigmoid(u) ** (ka - m),
                    sigmoid(v) ** (kb - m),
                    *rest,
                )
    # (1 + exp(v))**k * sigmoid(-v)**n -> sigmoid(-v)**(n - k), k <= n
    for j, f in enumerate(factors):
        base, k = f.as_base_exp()
        if not (isinstance(base, sp.Add) and k.is_Integer and k > 0):
            continue
        lse = _lse_of_sum(base)
        if not isinstance(lse, softplus):
            continue
        v = lse.args[0]
        for m, g in enumerate(factors):
            rest = [h for q, h in enumerate(factors) if q not in (j, m)]
            sig = _sig_power(g)
            if sig is not None and sig[1] >= k and _is_neg(sig[0], v):
                return sp.Mul(sigmoid(-v) ** (sig[1] - k), *rest)
            gb, gk = g.as_base_exp()  # dsigmoid(v) = sigmoid(v)*sigmoid(-v)
            if (
                isinstance(gb, dsigmoid)
                and gk.is_Integer
                and gk >= k
                and (gb.args[0] == v or _is_neg(gb.args[0], v))
            ):
                return sp.Mul(gb ** (gk - k), sigmoid(v) ** k, *rest)
    # sinh(u)**k * cosh(u)**-k -> tanh(u)**k
    for i, f in enumerate(factors):
        base, k = f.as_base_exp()
        if isinstance(base, sp.sinh) and k.is_number:
            target = sp.cosh(base.args[0]) ** (-k)
            if target in factors:
                j = factors.index(target)
                rest = [g for m, g in enumerate(factors) if m not in (i, j)]
                return sp.Mul(sp.tanh(base.args[0]) ** k, *rest)
    # y*p**-k -> (y/p)/p...: p*p would underflow (0/0) or go subnormal
    for i, f in enumerate(factors):
        if (
            isinstance(f, sp.Pow)
            and f.exp.is_Integer
            and f.exp <= -2
            and not f.base.is_number
            and not (f.base - 1).is_nonnegative  # a base >= 1 cannot underflow
        ):
            out = sp.Mul(*factors[:i], *factors[i + 1 :])
            for _ in range(-int(f.exp)):
                out = quotient(out, f.base)
            return out
    return None


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
    ``exp(logsumexp(A without a_i) - logsumexp(A))``; else None."""
    for t in sp.Add.make_args(a):
        c, lse = t.as_coeff_Mul()
        if c == -1 and isinstance(lse, (logsumexp, softplus)):
            args = lse.args if isinstance(lse, logsumexp) else (0, lse.args[0])
            ai = a + lse
            if ai in args:
                rest = list(args)
                rest.remove(ai)
                return sp.exp(_lse(rest) - lse)
    return None


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
        # s - s*|d|*exp(a) with SymPy's exp(a + log|d|) = |d|*exp(a) split off
        d, f = t.as_coeff_Mul()
        if isinstance(f, sp.exp) and d.is_Rational and d not in (0, 1, -1):
            sgn = sp.Integer(1 if d > 0 else -1)
            j = index.get(-sgn)
            form = _softmax_complement(f.args[0] + sp.log(abs(d)))
            if j is not None and j != i and form is not None:
                rest = [x for k, x in enumerate(terms) if k not in (i, j)]
                return sp.Add(terms[j] * form, *rest)
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
    if len(parts) < 2 or max(k for _, k in parts) > 3:
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
            return k * sp.Min(sp.Max(u, -d), d)
    return None


def _piecewise_rules(node):
    """``Piecewise`` of affine pieces -> ``A*H + B*(1 - H)`` with unit steps
    ``H`` whose value at 0 follows the condition (strict -> 0): one
    comparison per condition instead of masked branches, the same value
    everywhere (including at the kinks) and the same derivatives."""
    if not isinstance(node, sp.Piecewise):
        return None
    pieces = node.args
    clip = _clip(pieces)
    if clip is not None:
        return clip
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
RULES: tuple = (
    _log_rules,
    _log1p_rules,
    _pow_rules,
    _mul_rules,
    _add_rules,
    _delta_rules,
    _piecewise_rules,
)


# ----------------------------------------------------------------- driver --


def _rewrite_node(node):
    for _ in range(_MAX_RULE_STEPS):
        for rule in RULES:
            out = rule(node)
            if out is not None and out != node:
                node = out
                break
        else:
            return node
    return node


def _pass(expr, memo):
    if expr in memo:
        return memo[expr]
    if expr.is_Atom or not expr.args:
        memo[expr] = expr
        return expr
    args = [_pass(a, memo) for a in expr.args]
    node = expr.func(*args) if any(
        a is not b for a, b in zip(args, expr.args, strict=True)
    ) else expr
    out = _rewrite_node(node) if isinstance(node, sp.Expr) else node
    memo[expr] = out
    return out


def stabilize(expr):
    """Rewrite ``expr`` into an overflow-free form, equal in exact arithmetic.

    Parameters
    ----------
    expr : sympy.Expr, sympy.Matrix or str
        The expression (strings are parsed; matrices are rewritten entrywise).

    Returns
    -------
    sympy.Expr or sympy.ImmutableMatrix
        The rewritten expression. ``stabilize(stabilize(e)) == stabilize(e)``.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> stabilize(sp.diff(sigmoid(x), x))
    dsigmoid(x)
    >>> stabilize(sp.log(1 - x))
    log1p(-x)
    """
    if isinstance(expr, sp.MatrixBase):
        return sp.ImmutableMatrix(expr.shape[0], expr.shape[1],
                                  [stabilize(e) for e in expr])
    if isinstance(expr, str):
        from calckit.symbolic._coerce import as_expr

        expr = as_expr(expr)
    expr = sp.sympify(expr)
    for _ in range(_MAX_PASSES):
        new = _pass(expr, {})
        if new == expr:
            return new
        expr = new
    return expr
