"""Calckit's rules for one first derivative of a scalar SymPy expression
(:func:`_diff`), used by the public functions of :mod:`calckit.symbolic.derive`
and, elementwise, by the tensor calculus of :mod:`calckit.symbolic.tensor`.

Each term is differentiated only by its own variables, Piecewise
branchwise, ``|u|`` and ``sign(u)`` as real functions, stepwise functions
to 0, calckit's functions by their own ``fdiff``; nothing is expanded.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> _diff(sp.Abs(x) * sp.sin(x), x)
sin(x)*sign(x) + cos(x)*Abs(x)
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import ArgumentIndexError

from calckit.symbolic.budget import Budget

__all__ = ["_diff", "_holds", "_terms", "first_derivative"]


def first_derivative(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    """``d expr / d var`` by calckit's rules, with no budget (for the small
    elementwise functions of tensor expressions).

    >>> x = sp.Symbol("x", real=True)
    >>> first_derivative(sp.exp(2 * x), x)
    2*exp(2*x)
    """
    return _diff(expr, var) if _holds(expr, var) else sp.S.Zero


#: functions constant between jumps: derivative 0 (almost everywhere; at the
#: jumps too, PyTorch's autograd convention), never ``Derivative(floor(x), x)``
_STEPWISE = (sp.floor, sp.ceiling)


def _terms(expr: sp.Expr) -> tuple:
    """The top-level terms of ``expr`` (one term if it is not a sum)."""
    return expr.args if isinstance(expr, sp.Add) else (expr,)


def _diff(expr: sp.Expr, var: sp.Symbol, budget: Budget | None = None) -> sp.Expr:
    """d expr / d var: the chain rule applied node by node.

    Sums, products, powers with an exponent free of ``var``, ``floor`` and
    ``ceiling`` (derivative 0) and functions that differentiate through
    their ``fdiff`` (exp, log, sin, erf, the stable primitives, ...) are
    handled here (``Max``/``Min`` too, and powers ``b**u`` through
    ``exp(u*log(b))``), skipping every subtree free of ``var``; anything
    else goes to SymPy's own ``diff``, whose
    derivatives of ``floor`` and ``ceiling`` inside are set to 0. ``memo``
    lives for one call only, so shared subtrees are differentiated once and
    no state outlives the call. ``budget`` (optional) is charged, as the
    work grows, per node built: one per derivative node, one per non-zero
    term of a sum's derivative, one per factor of a product and of each
    product term built, one per argument of a function that holds ``var``
    (a logsumexp of 250 arguments costs 2 per variable, not 251).
    """
    memo: dict = {}
    holds: dict = {}  # node -> whether var occurs in it (DAG-linear, not tree)
    charge = budget.charge if budget is not None else _no_charge

    def has_var(e) -> bool:
        if e.is_Atom:
            return e == var
        hit = holds.get(e)
        if hit is None:
            hit = holds[e] = any(has_var(a) for a in e.args)
        return hit

    def d(e):
        if e == var:
            return sp.S.One
        if not has_var(e):
            return sp.S.Zero
        hit = memo.get(e)
        if hit is not None:
            return hit
        if not isinstance(e, (sp.Add, sp.Mul)):  # functions, powers: per argument
            charge(1 + sum(1 for a in e.args if has_var(a)))  # that holds var
        if isinstance(e, sp.Add):
            parts = [d(a) for a in e.args]
            charge(1 + sum(1 for p in parts if p != 0))
            out = sp.Add(*parts)
        elif isinstance(e, sp.Mul) and e.is_commutative:
            charge(1 + len(e.args))
            args = e.args
            parts = []
            for k, a in enumerate(args):
                da = d(a)
                if da != 0:
                    charge(len(args))
                    parts.append(sp.Mul(*args[:k], da, *args[k + 1 :]))
            out = sp.Add(*parts)
        elif isinstance(e, sp.Pow) and var not in e.exp.free_symbols:
            base, ex = e.args
            out = sp.Mul(ex, sp.Pow(base, ex - 1), d(base))
        elif isinstance(e, sp.Pow):  # b**u = exp(u*log(b)): (u' log b + u b'/b) b**u
            base, ex = e.args
            out = e * (d(ex) * sp.log(base) + ex * d(base) / base)
        elif isinstance(e, _STEPWISE):
            out = sp.S.Zero
        elif isinstance(e, sp.Piecewise):  # branchwise, with the rules here
            out = sp.Piecewise(*[(d(val), cond) for val, cond in e.args])
        elif isinstance(e, sp.Abs) and _real_symbols(e):
            # real calculus: |u|' = sign(u)*u' even when SymPy cannot prove
            # u real (log(x), x/y, sqrt(x) - 1), where its own rule goes
            # through re/im and atan2 or stays an unevaluated Derivative
            out = sp.sign(e.args[0]) * d(e.args[0])
        elif isinstance(e, sp.sign) and _real_symbols(e):
            # SymPy's rule for a real argument, whether or not it is provable
            out = 2 * sp.DiracDelta(e.args[0]) * d(e.args[0])
        elif isinstance(e, (sp.Max, sp.Min)) or (
            isinstance(e, sp.Function)
            and type(e)._eval_derivative is sp.Function._eval_derivative
        ):
            out = _chain(e, d)
        else:
            out = _flat_steps(e.diff(var))
        memo[e] = out
        return out

    return d(expr)


def _holds(expr: sp.Basic, var: sp.Symbol) -> bool:
    """``var`` occurs in ``expr``: each distinct subexpression visited once
    (``free_symbols`` walks the tree, which derivatives make exponential)."""
    seen: set = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if node == var:
            return True
        for a in node.args:
            if a not in seen:
                seen.add(a)
                stack.append(a)
    return False


def _no_charge(n: int) -> None:
    """The charge of an unbudgeted derivation: nothing."""


def _real_symbols(e: sp.Expr) -> bool:
    """True if every free symbol of ``e`` is real (as calckit's are): the
    function is then read as a real function where it is defined."""
    return all(s.is_extended_real for s in e.free_symbols)


def _flat_steps(expr: sp.Expr) -> sp.Expr:
    """``expr`` (from SymPy's ``diff``) with the derivatives of ``floor`` and
    ``ceiling`` it left unevaluated (``Derivative(floor(x), x)``, or
    ``Subs(Derivative(floor(_xi), _xi), _xi, u)`` inside a chain rule) set
    to 0."""
    if not expr.has(sp.Derivative):
        return expr

    def is_step_derivative(node) -> bool:
        if isinstance(node, sp.Subs):
            node = node.expr
        return isinstance(node, sp.Derivative) and isinstance(node.expr, _STEPWISE)

    # xreplace works top-down: a Subs goes as a whole, not just its inside
    zero = {n: sp.S.Zero for n in expr.atoms(sp.Subs, sp.Derivative)
            if is_step_derivative(n)}
    return expr.xreplace(zero) if zero else expr


def _chain(e: sp.Function, d) -> sp.Expr:
    """Chain rule through ``fdiff`` (SymPy's generic Function rule)."""
    parts = []
    for i, a in enumerate(e.args, start=1):
        da = d(a)
        if da == 0:
            continue
        try:
            df = e.fdiff(i)
        except ArgumentIndexError:
            df = sp.Function.fdiff(e, i)
        parts.append(df * da)
    return sp.Add(*parts)
