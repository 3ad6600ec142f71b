"""Where an expression may not be smooth, and its smooth form on a box.

:func:`kink_surfaces` lists the expressions that vanish where an expression
may not be differentiable (used by :func:`calckit.gradcheck` to tell a kink
from a wrong derivative). :func:`smooth_on_box` decides, with interval
arithmetic (:mod:`calckit.symbolic._interval`), on which side of every kink a
box lies and returns the smooth expression that equals the given one on the
whole box; if a kink may lie on the box it raises instead (used by
:func:`calckit.symbolic.remainder.remainder_bound`, whose derivatives would
otherwise ignore the kink).

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> kink_surfaces(sp.Abs(x - 1) + sp.Max(x, 0))
[x - 1, -x]
>>> smooth_on_box(sp.Abs(x - 1) + sp.Max(x, 0), [x], [(1.5, 2)])
2*x - 1
>>> smooth_on_box(sp.Abs(x - 1), [x], [(0, 2)])
Traceback (most recent call last):
...
calckit.errors.NumericError: Abs(x - 1) has a kink where x - 1 = 0, ...
"""

from __future__ import annotations

import mpmath
import sympy as sp
from mpmath import iv

from calckit.errors import NumericError
from calckit.symbolic._interval import enclose, lower_end, upper_end

__all__ = ["kink_surfaces", "smooth_on_box"]

# functions of one argument that are smooth wherever the argument is not 0
_STEPS = (sp.Abs, sp.sign, sp.Heaviside, sp.DiracDelta)
_KINKY = (*_STEPS, sp.floor, sp.ceiling, sp.Max, sp.Min, sp.Piecewise)
_MAX_SPLITS = 64


def kink_surfaces(e) -> list:
    """Expressions that vanish where ``e`` may not be differentiable.

    Parameters
    ----------
    e : sympy.Expr

    Returns
    -------
    list of sympy.Expr
        The arguments of ``Abs``, ``sign``, ``Heaviside``, ``floor`` and
        ``ceiling``, the pairwise differences of the arguments of ``Max``
        and ``Min`` and ``lhs - rhs`` of every relation in a ``Piecewise``
        condition; duplicates and constants dropped.
    """
    out = []
    for node in sp.preorder_traversal(e):
        if isinstance(node, (sp.Abs, sp.sign, sp.Heaviside, sp.floor, sp.ceiling)):
            out.append(node.args[0])
        elif isinstance(node, (sp.Max, sp.Min)):
            args = node.args
            out += [a - b for i, a in enumerate(args) for b in args[i + 1:]]
        elif isinstance(node, sp.Piecewise):
            for _, cond in node.args:
                out += [r.lhs - r.rhs for r in _relationals(cond)]
    return [s for s in dict.fromkeys(out) if s.free_symbols]


def _relationals(cond) -> list:
    """The relations (``x > 0``, ...) inside a boolean condition."""
    if isinstance(cond, sp.core.relational.Relational):
        return [cond]
    if isinstance(cond, (sp.And, sp.Or, sp.Not)):
        return [r for a in cond.args for r in _relationals(a)]
    return []


def smooth_on_box(e, wrt, box):
    """``e`` with every kink function replaced by the branch it takes on the
    whole box.

    ``Abs``, ``sign``, ``Heaviside``, ``DiracDelta``, ``floor``,
    ``ceiling``, ``Max``, ``Min`` and ``Piecewise`` become one of their
    smooth pieces, chosen by the sign of their kink surfaces, which interval
    arithmetic proves constant on the box (bisecting it up to 64 times).

    Parameters
    ----------
    e : sympy.Expr
    wrt : sequence of sympy.Symbol
        The variables; every free symbol of ``e`` must be one.
    box : sequence of (lo, hi)
        One closed range per variable.

    Returns
    -------
    sympy.Expr
        Equal to ``e`` on the box and free of the functions above.

    Raises
    ------
    NumericError
        If a kink surface may vanish on the box (a kink on its boundary
        counts), naming the function and the surface; an answer interval
        arithmetic cannot prove counts as a kink.
    """
    e = sp.sympify(e)
    if not e.has(*_KINKY):
        return e
    box = [(mpmath.mpf(lo), mpmath.mpf(hi)) for lo, hi in box]
    return _resolve(e, list(wrt), box)


def _resolve(e, wrt, box):
    """``e`` with its kink functions resolved, innermost first."""
    if not e.args or not e.free_symbols:
        return e
    if isinstance(e, sp.Piecewise):
        return _resolve_piecewise(e, wrt, box)
    args = [_resolve(a, wrt, box) for a in e.args]
    if isinstance(e, (sp.Max, sp.Min)):
        return _resolve_extremum(e, args, wrt, box)
    if isinstance(e, (sp.floor, sp.ceiling)):
        return _resolve_rounding(e, args[0], wrt, box)
    if isinstance(e, _STEPS):
        s = _sign(args[0], wrt, box, e)
        return {sp.Abs: s * args[0], sp.sign: sp.Integer(s),
                sp.Heaviside: sp.Integer(s > 0), sp.DiracDelta: sp.S.Zero}[e.func]
    if all(new is old for new, old in zip(args, e.args, strict=True)):
        return e
    return e.func(*args)


def _resolve_extremum(e, args, wrt, box):
    """The argument of ``Max``/``Min`` that is the largest/smallest on the box."""
    best = args[0]
    for other in args[1:]:
        s = _sign(other - best, wrt, box, e)
        if (s > 0) == isinstance(e, sp.Max):
            best = other
    return best


def _resolve_rounding(e, u, wrt, box):
    """``floor(u)``/``ceiling(u)`` as a constant: no integer may lie between
    the values of ``u`` on the box."""
    middle = enclose(u, {s: iv.mpf((lo + hi) / 2)
                         for s, (lo, hi) in zip(wrt, box, strict=True)})
    k = mpmath.floor(lower_end(middle)) if mpmath.isfinite(lower_end(middle)) else 0
    k = sp.Integer(int(k))
    _sign(u - k, wrt, box, e, want=1)
    _sign(u - k - 1, wrt, box, e, want=-1)
    return k if isinstance(e, sp.floor) else k + 1


def _resolve_piecewise(e, wrt, box):
    """The first branch of a ``Piecewise`` whose condition holds on the box."""
    for piece, cond in e.args:
        if _holds(cond, wrt, box, e):
            return _resolve(piece, wrt, box)
    raise NumericError(f"{e} is undefined on the box: no condition holds there")


def _holds(cond, wrt, box, node) -> bool:
    """Truth of a ``Piecewise`` condition, the same on the whole box."""
    if cond in (sp.true, sp.false):
        return bool(cond)
    if isinstance(cond, sp.core.relational.Relational):
        s = _sign(_resolve(cond.lhs - cond.rhs, wrt, box), wrt, box, node)
        return {">": s > 0, ">=": s > 0, "<": s < 0, "<=": s < 0,
                "==": False, "!=": True}[cond.rel_op]
    if isinstance(cond, sp.And):
        return all(_holds(c, wrt, box, node) for c in cond.args)
    if isinstance(cond, sp.Or):
        return any(_holds(c, wrt, box, node) for c in cond.args)
    if isinstance(cond, sp.Not):
        return not _holds(cond.args[0], wrt, box, node)
    raise NumericError(f"cannot decide the condition {cond} of {node} on the box")


def _sign(surface, wrt, box, node, want=None) -> int:
    """+1 or -1: the sign of ``surface`` on the whole box, proved by interval
    arithmetic on up to ``_MAX_SPLITS`` bisections; with ``want``, that sign.

    Raises NumericError naming ``node`` and the surface when the sign is not
    proved constant (the surface may vanish on the box)."""
    pending, found, splits = [box], set(), 0
    while pending:
        part = pending.pop()
        s = _sign_of_enclosure(surface, wrt, part)
        if s:
            found.add(s)
        elif splits < _MAX_SPLITS and _widest(part) is not None:
            pending += _halves(part)
            splits += 1
        else:
            found = {1, -1}  # unproved: treat as a sign change
        if len(found) > 1 or (want is not None and found - {want}):
            raise NumericError(
                f"{node} has a kink where {surface} = 0, which may lie on "
                "the box"
            )
    return found.pop()


def _sign_of_enclosure(surface, wrt, part) -> int:
    """+1 or -1 if the interval enclosure of ``surface`` on ``part`` is
    positive or negative, else 0."""
    env = {s: iv.mpf([lo, hi]) for s, (lo, hi) in zip(wrt, part, strict=True)}
    try:
        value = enclose(surface, env)
    except NumericError:  # a function interval arithmetic cannot enclose
        return 0
    if lower_end(value) > 0:
        return 1
    if upper_end(value) < 0:
        return -1
    return 0


def _widest(part):
    """Index of the widest side of a box, or None for a point."""
    k = max(range(len(part)), key=lambda i: part[i][1] - part[i][0])
    return k if part[k][1] > part[k][0] else None


def _halves(part) -> list:
    k = _widest(part)
    lo, hi = part[k]
    mid = (lo + hi) / 2
    return [[*part[:k], side, *part[k + 1:]] for side in ((lo, mid), (mid, hi))]
