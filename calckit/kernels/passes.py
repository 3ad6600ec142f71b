"""Expression-level passes of the kernel generator (private; used by
:mod:`calckit.kernels.codegen`): constants folded to floats, shared chains of
integer powers, alias-free statements and the last use of each temporary.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> fold_numbers(sp.sqrt(2) / sp.sqrt(sp.pi) * x)
0.797884560802865*x
"""

from __future__ import annotations

import sympy as sp

from calckit.kernels.printer import out_of_range

__all__ = ["drop_aliases", "fold_numbers", "power_chains", "with_deaths"]

_POW_PREFIX = "p"


def drop_aliases(stmts, reduced):
    """Remove ``a = b`` statements; reuse an existing name for a repeated
    value (``sympy.cse`` may leave an output equal to a replacement)."""
    alias: dict = {}
    seen: dict = {}
    out = []
    for sym, value in stmts:
        if alias:
            value = value.xreplace(alias)
        if value.is_Symbol:
            alias[sym] = value
        elif value in seen:
            alias[sym] = seen[value]
        else:
            seen[value] = sym
            out.append((sym, value))
    reduced = [r.xreplace(alias) if alias else r for r in reduced]
    return out, [seen.get(r, r) for r in reduced]


def with_deaths(stmts, reduced):
    """Yield ``(sym, value, dead)``: ``dead`` are the temporaries last used by
    this statement (deleted right after it, so large arrays are freed early)."""
    names = {sym for sym, _ in stmts}
    last: dict = {}
    for i, (_, value) in enumerate(stmts):
        for s in value.free_symbols & names:
            last[s] = i
    keep = set()
    for r in reduced:
        keep |= r.free_symbols
    dying: dict = {}
    for s, i in last.items():
        if s not in keep:
            dying.setdefault(i, []).append(s)
    for i, (sym, value) in enumerate(stmts):
        yield sym, value, sorted(dying.get(i, []), key=str)


def fold_numbers(expr):
    """Replace constant subexpressions (``sqrt(2)/sqrt(pi)``) by floats."""
    repl: dict = {}

    def visit(node) -> bool:
        if node.is_Atom:
            return bool(node.is_number)
        flags = [visit(a) for a in node.args]
        if not all(flags) or not isinstance(node, sp.Expr):
            return False
        if isinstance(node.func, sp.core.function.UndefinedFunction):
            return False
        return True

    def collect(node):
        if node.is_Atom:
            return
        if isinstance(node, sp.Expr) and visit(node):
            value = node.evalf(20)
            if value.is_Float and value.is_finite:
                # beyond float64 (10**400*sqrt(2)): exact, printed scaled
                big = out_of_range(value)
                repl[node] = sp.Rational(value) if big else sp.Float(float(value))
                return
        for a in node.args:
            collect(a)

    collect(expr)
    return expr.xreplace(repl) if repl else expr


def power_chains(mod, repl, reduced):
    """Share integer powers of one symbol: ``x2 = x*x; x3 = x2*x; ...``.

    Returns new ``(repl, reduced, lines)`` where ``lines`` maps the symbol
    after whose definition the chain goes (None: before everything) to a list
    of ``(name, expr)`` assignments.
    """
    exprs = [v for _, v in repl] + list(reduced)
    needed: dict = {}
    for e in exprs:
        for node in e.atoms(sp.Pow):
            b, x = node.base, node.exp
            if b.is_Symbol and x.is_Integer and abs(int(x)) >= 2:
                needed.setdefault(b, set()).add(abs(int(x)))
    defined = {s for s, _ in repl}
    lines: dict = {}
    subs = {}
    for base, powers in needed.items():
        top = max(powers)
        if len(powers) < 2 or top > 64:
            continue
        stem = mod.fresh(_POW_PREFIX)
        chain = []
        prev = base
        for k in range(2, top + 1):
            sym = sp.Symbol(f"{stem}_{k}")
            chain.append((sym, sp.Mul(prev, base, evaluate=False)))
            prev = sym
        where = base if base in defined else None
        lines.setdefault(where, []).extend(chain)
        for k in powers:
            sym = chain[k - 2][0]
            subs[sp.Pow(base, k)] = sym
            subs[sp.Pow(base, -k)] = 1 / sym
    if not subs:
        return repl, reduced, lines
    repl = [(s, v.xreplace(subs)) for s, v in repl]
    reduced = [r.xreplace(subs) for r in reduced]
    return repl, reduced, lines
