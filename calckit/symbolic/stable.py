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

import sympy as sp
from sympy.codegen.cfunctions import log1p

from calckit.symbolic._coerce import as_expr
from calckit.symbolic._exp_rules import exp_difference_rule, exp_softplus_rule
from calckit.symbolic._kinked import softsign_rule
from calckit.symbolic._stable_sums import (
    _add_rules,
    _delta_rules,
    _is_neg,
    _lse_of_sum,
    _piecewise_rules,
)
from calckit.symbolic._tails import tail_rule
from calckit.symbolic.functions import (
    dsigmoid,
    logcosh,
    quotient,
    sigmoid,
    softplus,
)

__all__ = ["stabilize", "RULES"]

_MAX_PASSES = 6
_MAX_RULE_STEPS = 12


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
    if not ex.is_number:
        return None
    # (sum of exps)**r -> exp(r*logsumexp) for r < 0 and for 0 < r < 1: the
    # sum overflows where exp(u) does, the power not yet (sqrt(1 + exp(u)) is
    # finite up to u ~ 1419); integer and larger powers overflow with the sum
    if ex.is_negative or (ex.is_positive and bool(ex < 1)):
        lse = _lse_of_sum(base)
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


def _cancels(terms, v, n) -> bool:
    """True if a term holds ``exp(r*(-v))`` with ``1 <= r <= n`` (which a
    factor ``sigmoid(v)**n`` turns into sigmoids)."""
    for t in terms:
        for h in sp.Mul.make_args(t):
            p = _exp_power(h)
            if p is not None and any(
                sp.Add(p[0] * p[1], r * v) == 0 for r in range(1, n + 1)
            ):
                return True
    return False


def _merge_exps(node):
    """``exp(a)*exp(b)`` -> ``exp(a + b)``: keeps ``exp(1000)*exp(-1000)``
    from being ``inf*0``."""
    if not isinstance(node, sp.Mul):
        return None
    factors = list(node.args)
    exps = [(i, _exp_power(f)) for i, f in enumerate(factors)]
    exps = [(i, p) for i, p in exps if p is not None]
    if len(exps) >= 2:
        merged = sp.exp(sp.Add(*[a * k for _, (a, k) in exps]))
        drop = {i for i, _ in exps}
        rest = [f for i, f in enumerate(factors) if i not in drop]
        return sp.Mul(merged, *rest)
    return None


def _one_exp_times_sum_or_sigmoid(node):
    """``exp(c)*(exp(a) + b)**k`` multiplied out (exponents cancel before
    anything overflows), and ``exp(r*u)*sigmoid(-u)**n`` ->
    ``sigmoid(u)**r*sigmoid(-u)**(n-r)`` for ``1 <= r <= n``."""
    if not isinstance(node, sp.Mul):
        return None
    factors = list(node.args)
    exps = [(i, _exp_power(f)) for i, f in enumerate(factors)]
    exps = [(i, p) for i, p in exps if p is not None]
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
    return None


def _multiply_out_exp_sums(node):
    """(sum of exps)*(sum of exps), and ``sigmoid(-v)**n`` times a sum with
    ``exp(r*v)``, multiplied out so their exponents can cancel."""
    if not isinstance(node, sp.Mul):
        return None
    factors = list(node.args)
    # multiply out small sums of exps so their exponents can cancel:
    # (sum of exps)*(sum of exps), sigmoid(-v)**n*(sum with exp(r*v))
    sums = []
    for j, f in enumerate(factors):
        base, k = f.as_base_exp()
        if isinstance(base, sp.Add) and _has_exp_term(base) and k.is_Integer:
            if k == 1:
                sums.append((j, base.args))
            elif 2 <= k and len(base.args) ** int(k) <= 64:
                sums.append((j, sp.Add.make_args(sp.expand_multinomial(f))))
    if len(sums) >= 2 and len(sums[0][1]) * len(sums[1][1]) <= 16:
        (i, t1), (j, t2) = sums[:2]
        rest = [g for m, g in enumerate(factors) if m not in (i, j)]
        return sp.Mul(sp.Add(*[a * b for a in t1 for b in t2]), *rest)
    for j, terms in sums:
        for m, g in enumerate(factors):
            sig = _sig_power(g)
            if sig is not None and _cancels(terms, *sig):
                rest = [h for q, h in enumerate(factors) if q not in (j, m)]
                return sp.Mul(sp.Add(*[g * t for t in terms]), *rest)
    return None


def _sign_times_itself(node):
    """``u*sign(u)`` -> ``|u|`` for real ``u``."""
    if not isinstance(node, sp.Mul):
        return None
    factors = list(node.args)
    for i, f in enumerate(factors):
        if isinstance(f, sp.sign) and f.args[0] in factors and f.args[0].is_real:
            j = factors.index(f.args[0])
            rest = [g for q, g in enumerate(factors) if q not in (i, j)]
            return sp.Mul(sp.Abs(f.args[0]), *rest)
    return None


def _sigmoid_pairs(node):
    """``sigmoid(u)**a*sigmoid(-u)**b`` -> ``dsigmoid(u)**min(a, b)*...``."""
    if not isinstance(node, sp.Mul):
        return None
    factors = list(node.args)
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
    return None


def _softplus_base_times_sigmoid(node):
    """``(1 + exp(v))**k*sigmoid(-v)**n`` -> ``sigmoid(-v)**(n - k)``,
    ``k <= n`` (and the same against ``dsigmoid``)."""
    if not isinstance(node, sp.Mul):
        return None
    factors = list(node.args)
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
    return None


def _sinh_over_cosh(node):
    """``sinh(u)**k*cosh(u)**-k`` -> ``tanh(u)**k``."""
    if not isinstance(node, sp.Mul):
        return None
    factors = list(node.args)
    for i, f in enumerate(factors):
        base, k = f.as_base_exp()
        if isinstance(base, sp.sinh) and k.is_number:
            target = sp.cosh(base.args[0]) ** (-k)
            if target in factors:
                j = factors.index(target)
                rest = [g for m, g in enumerate(factors) if m not in (i, j)]
                return sp.Mul(sp.tanh(base.args[0]) ** k, *rest)
    return None


def _quotients(node):
    """``y*p**-k`` -> ``(y/p)/p...``: ``p*p`` would underflow (0/0) or go
    subnormal; ``a**k*p**-k`` -> ``(a/p)**k`` (no ``inf/inf`` either)."""
    if not isinstance(node, sp.Mul):
        return None
    factors = list(node.args)
    for i, f in enumerate(factors):
        if (
            isinstance(f, sp.Pow)
            and f.exp.is_Integer
            and f.exp <= -2
            and not f.base.is_number
            and not (f.base - 1).is_nonnegative  # a base >= 1 cannot underflow
        ):
            k = -int(f.exp)
            for j, g in enumerate(factors):  # a**m*p**-k -> (a/p)**k*a**(m - k)
                a, m = g.as_base_exp()
                if j != i and m.is_Integer and m >= k and not a.is_number:
                    rest = [h for q, h in enumerate(factors) if q not in (i, j)]
                    # (1 - x)**2/x**2 at x = 1e308: 1 where inf/inf was nan
                    return sp.Mul(quotient(a, f.base) ** k, a ** (m - k), *rest)
            out = sp.Mul(*factors[:i], *factors[i + 1 :])
            for _ in range(k):
                out = quotient(out, f.base)
            return out
    return None


def _sum_content(node):
    """``c*(2*x - 2)/x`` -> ``2*c*(x - 1)/x``: a sum's integer content taken
    out, so that ``2*x`` does not overflow where ``x - 1`` does not (a factor
    of a product of three or more, which SymPy does not distribute again)."""
    if not isinstance(node, sp.Mul) or len(node.args) < 3:
        return None
    for i, f in enumerate(node.args):
        if isinstance(f, sp.Add):
            content, prim = f.primitive()
            if content.is_Integer and abs(content) > 1:
                rest = [g for j, g in enumerate(node.args) if j != i]
                return sp.Mul(content, prim, *rest)
    return None


RULES: tuple = (
    exp_difference_rule,
    exp_softplus_rule,
    softsign_rule,
    _log_rules,
    _log1p_rules,
    _pow_rules,
    _merge_exps,
    _one_exp_times_sum_or_sigmoid,
    _multiply_out_exp_sums,
    _sign_times_itself,
    _sigmoid_pairs,
    _softplus_base_times_sigmoid,
    _sinh_over_cosh,
    _quotients,
    _sum_content,
    _add_rules,
    _delta_rules,
    _piecewise_rules,
)


# ----------------------------------------------------------------- driver --


#: the last pass, once the rules above are at their fixed point: it bounds
#: polynomial factors next to a factor that vanishes in a tail (see
#: :mod:`calckit.symbolic._tails`), which would hide their patterns
TAIL_RULES: tuple = (tail_rule,)


def _rewrite_node(node, rules=RULES):
    for _ in range(_MAX_RULE_STEPS):
        for rule in rules:
            out = rule(node)
            if out is not None and out != node:
                node = out
                break
        else:
            return node
    return node


def _pass(expr, memo, rules=RULES):
    if expr in memo:
        return memo[expr]
    if expr.is_Atom or not expr.args:
        memo[expr] = expr
        return expr
    args = [_pass(a, memo, rules) for a in expr.args]
    node = expr.func(*args) if any(
        a is not b for a, b in zip(args, expr.args, strict=True)
    ) else expr
    out = _rewrite_node(node, rules) if isinstance(node, sp.Expr) else node
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
        expr = as_expr(expr)
    expr = sp.sympify(expr)
    for _ in range(_MAX_PASSES):
        new = _pass(expr, {})
        if new == expr:
            break
        expr = new
    return _pass(expr, {}, TAIL_RULES)
