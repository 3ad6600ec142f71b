"""Derivatives through inner sums: the chain rule over a small outer function
(private).

The loss of a linear model, ``log(1 + exp(-y*(w1*a1 + ... + wd*ad)))``, is a
small function ``F(s)`` of a long inner sum ``s = S(w)``. Differentiated
term by term, every one of the ``d*(d+1)/2`` Hessian entries holds the
whole sum again (``dsigmoid(-y*s)*a_i*a_j*y**2`` with ``s`` written out),
and compiling them costs seconds. :func:`chain` replaces each inner sum of
at least :data:`~calckit.symbolic._templates.MIN_ROWS` terms of few shapes
by a symbol ``s_k``, differentiates the small ``F`` with respect to the
``s_k`` and the variables it still holds, differentiates each sum through
its templates, and assembles (reverse mode over the two-level DAG):

``grad_i = sum_a F_a J_ai``,
``H_ij = sum_ab F_ab J_ai J_bj + sum_k F_sk (d2 S_k / dx_i dx_j)``,

where ``a, b`` run over the arguments of ``F`` and ``J_ai`` is the
derivative of argument ``a`` with respect to ``x_i`` (rewritten into stable
forms). The partial
derivatives ``F_a``, ``F_ab`` are named by *helper* symbols whose values
(with the sums put back) are returned separately, so every entry stays
small and each shared subexpression is computed once.

>>> import sympy as sp
>>> w = sp.symbols("w1:9", real=True)
>>> a = sp.symbols("a1:9", real=True)
>>> f = sp.log(1 + sp.exp(-sum(wi * ai for wi, ai in zip(w, a))))
>>> c = chain(f, "grad", w, a)
>>> c.entries[0]
-a1*h0
>>> (h0, value), = c.helpers
>>> value.has(sp.Add)  # the sum is only in the helper
True
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from calckit.symbolic import derive
from calckit.symbolic._templates import MIN_ROWS, split_sum
from calckit.symbolic.stable import stabilize

__all__ = ["Chain", "chain"]


@dataclass(frozen=True)
class Chain:
    """A derivative as small entries in helper symbols.

    Attributes
    ----------
    entries : tuple of sympy.Expr
        Row-major: ``n`` gradient entries or ``n*n`` Hessian entries, in the
        variables, parameters and helpers.
    helpers : tuple of (sympy.Symbol, sympy.Expr)
        Each helper and its value in the variables and parameters.
    """

    entries: tuple
    helpers: tuple


def chain(expr, kind: str, wrt, params=()) -> Chain | None:
    """The ``kind`` (``"grad"`` or ``"hessian"``) derivative of ``expr``
    through its inner sums, or ``None`` if it has none."""
    wrt, params = tuple(wrt), tuple(params)
    symbols = wrt + params
    taken = {s.name for s in sp.Add(expr, *symbols).free_symbols}
    inner: list = []
    outer = _abstract(expr, symbols, len(wrt), inner, taken, top=True)
    if not inner:
        return None
    index = {s: i for i, s in enumerate(wrt)}
    args = [s for s, _, _ in inner] + [s for s in wrt if s in outer.free_symbols]
    jac = {s: _stable_values(_sum_grad(split, index)) for s, _, split in inner}
    jac.update({s: {index[s]: sp.S.One} for s in args if s in index})
    helpers: list = []
    named: dict = {}
    values = {s: total for s, total, _ in inner}

    def helper(value):
        if value.is_number:
            return value
        h = named.get(value)
        if h is None:
            h = named[value] = sp.Symbol(_fresh(f"h{len(helpers)}", taken), real=True)
            helpers.append((h, value.xreplace(values)))
        return h

    n = len(wrt)
    if kind == "grad":
        out: list[list[sp.Expr]] = [[] for _ in range(n)]
        for a, d in zip(args, derive.grad(outer, args), strict=True):
            if d != 0:
                h = helper(d)
                for i, ji in jac[a].items():
                    out[i].append(sp.Mul(h, ji))
        return Chain(tuple(sp.Add(*p) for p in out), tuple(helpers))
    upper: dict = {}
    grad_outer = derive.grad(outer, args)
    hess_outer = derive.hessian(outer, args)
    for ka, a in enumerate(args):
        for kb, b in enumerate(args):
            if hess_outer[ka, kb] == 0:
                continue
            h = helper(hess_outer[ka, kb])
            for i, ji in jac[a].items():
                for j, jj in jac[b].items():
                    if i <= j:
                        upper.setdefault((i, j), []).append(sp.Mul(h, ji, jj))
    for k, (_, _, split) in enumerate(inner):
        if grad_outer[k] != 0:
            second = _stable_values(_sum_hessian(split, index))
            if second:
                h = helper(grad_outer[k])
                for ij, v in second.items():
                    upper.setdefault(ij, []).append(sp.Mul(h, v))
    entries = [sp.S.Zero] * (n * n)
    for (i, j), parts in upper.items():
        entries[i * n + j] = entries[j * n + i] = sp.Add(*parts)
    return Chain(tuple(entries), tuple(helpers))


def _stable_values(d: dict) -> dict:
    """``d`` with its values rewritten into stable forms (each distinct one
    once): the entries are products of these and of helper symbols."""
    done: dict = {}
    return {k: v if v.is_number else done.setdefault(v, stabilize(v))
            for k, v in d.items()}


def _fresh(name: str, taken: set) -> str:
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def _abstract(e, symbols, n_wrt, inner, taken, top=False):
    """``e`` with each inner sum of templated terms replaced by a symbol
    (appended to ``inner`` as ``(symbol, sum, split)``)."""
    if not e.args:
        return e
    if isinstance(e, sp.Add) and not top and len(e.args) >= MIN_ROWS:
        split = split_sum(e, symbols, n_wrt)
        if split is not None and sum(g.rows for g in split.groups) >= MIN_ROWS:
            s = sp.Symbol(_fresh(f"s{len(inner)}", taken), real=True)
            inner.append((s, e, split))
            return s
    args = [_abstract(a, symbols, n_wrt, inner, taken) for a in e.args]
    if all(a is b for a, b in zip(args, e.args, strict=True)):
        return e
    return e.func(*args)


def _template_vars(g, index):
    """The template's differentiated variables with, per row, their
    positions among the variables."""
    tvars, where = [], []
    for s in g.fixed:
        if s in index:
            tvars.append(s)
            where.append([index[s]] * g.rows)
    for k, s in enumerate(g.slots):
        if g.slot_index[0, k] < len(index):
            tvars.append(s)
            where.append([int(i) for i in g.slot_index[:, k]])
    return tvars, where


def _sum_grad(split, index) -> dict:
    """``{i: d sum / d x_i}`` of a split sum, through its templates."""
    parts: dict = {}
    for g in split.groups:
        tvars, where = _template_vars(g, index)
        if not tvars:
            continue
        subs = [g.substitution(r) for r in range(g.rows)]
        for a, d in enumerate(derive.grad(g.template, tvars)):
            if d != 0:
                for r in range(g.rows):
                    parts.setdefault(where[a][r], []).append(d.xreplace(subs[r]))
    own = [s for s in index if s in split.rest.free_symbols]
    if own:
        for s, d in zip(own, derive.grad(split.rest, own), strict=True):
            if d != 0:
                parts.setdefault(index[s], []).append(d)
    return {i: sp.Add(*p) for i, p in parts.items()}


def _sum_hessian(split, index) -> dict:
    """``{(i, j): d2 sum / dx_i dx_j}`` for ``i <= j`` (non-zero only)."""
    parts: dict = {}

    def add(i, j, v):
        parts.setdefault((min(i, j), max(i, j)), []).append(v)

    for g in split.groups:
        tvars, where = _template_vars(g, index)
        if not tvars:
            continue
        h = derive.hessian(g.template, tvars)
        subs = [g.substitution(r) for r in range(g.rows)]
        for a in range(len(tvars)):
            for b in range(a, len(tvars)):
                if h[a, b] != 0:
                    for r in range(g.rows):
                        add(where[a][r], where[b][r], h[a, b].xreplace(subs[r]))
    own = [s for s in index if s in split.rest.free_symbols]
    if own:
        h = derive.hessian(split.rest, own)
        for a in range(len(own)):
            for b in range(a, len(own)):
                if h[a, b] != 0:
                    add(index[own[a]], index[own[b]], h[a, b])
    return {ij: sp.Add(*p) for ij, p in parts.items()}
