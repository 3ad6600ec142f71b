"""Shared subexpressions of derived formulas, named (``delta_1 = ...``):
:func:`name_shared`.

Backprop equations read as a course writes them when the subexpressions
several gradients use are given names. Every node used at least twice
across ``exprs`` (not a symbol, a number or a mere view such as ``.T``)
becomes a shaped symbol ``prefix_1, prefix_2, ...`` in the order it is
computed.

>>> import calckit as ck
>>> import calckit.symbolic.tensor as T
>>> X, w, y = ck.matrix("X", "n", "d"), ck.vector("w", "d"), ck.vector("y", "n")
>>> defs, (value, grad) = name_shared([T.sum(T.softplus(X @ w)),
...                                    ck.grad(T.sum(T.softplus(X @ w)), w)])
>>> defs
[('z_1', X @ w)]
>>> value, grad
(sum(softplus(z_1)), X.T @ sigmoid(z_1))
"""

from __future__ import annotations

import sympy as sp

from calckit.symbolic.tensor import expr as E

__all__ = ["name_shared"]

_CHEAP = frozenset({"var", "scalar", "T", "expand", "bcast", "eye"})


def name_shared(exprs, prefix: str = "z") -> tuple[list, list]:
    """``(definitions, rewritten)``: ``definitions`` is a list of
    ``(name, expression)`` in evaluation order, each expression written
    with the names before it; ``rewritten`` are ``exprs`` with the names."""
    exprs = list(exprs)
    parents: dict = {}
    order: list = []
    for e in exprs:
        for node in E.walk(e):
            if node not in parents:
                parents[node] = set()
                order.append(node)
            for a in node.args:
                parents.setdefault(a, set()).add(node)
    for i, e in enumerate(exprs):
        parents[e].add(i)
    held = set()
    for e in exprs:
        held |= set(e.free_vars())
    shared = [n for n in order if len(parents[n]) >= 2 and n.op not in _CHEAP]
    rename: dict = {}
    defs = []
    k = 0
    for node in shared:
        k += 1
        name = f"{prefix}_{k}"
        while name in held:
            k += 1
            name = f"{prefix}_{k}"
        defs.append((name, _substitute(node, rename, top=True)))
        rename[node] = (E.var(name, node.shape) if node.shape
                        else E.scalar(sp.Symbol(name, real=True)))
    return defs, [_substitute(e, rename) for e in exprs]


def _substitute(node, rename: dict, top: bool = False):
    """``node`` with the named subexpressions replaced (not ``node`` itself
    when ``top``)."""
    memo: dict = {}

    def go(n, is_top=False):
        if not is_top and n in rename:
            return rename[n]
        hit = memo.get(n)
        if hit is not None:
            return hit
        args = tuple(go(a) for a in n.args)
        out = n if args == n.args else E.Tensor(n.op, args, n.attr,
                                                n.shape)
        memo[n] = out
        return out

    return go(node, top)
