"""Walks over expressions as DAGs: each distinct subexpression once
(private; used by the kernel generator).

SymPy's ``free_symbols``, ``has`` and ``atoms`` walk the expression *tree*:
a Hessian whose entries share subexpressions at every level (``Abs`` nested
90 deep) has a few hundred distinct nodes but a tree of millions, and those
walks took seconds. These visit each distinct node once, and
:func:`check_budget` bounds the work of compiling by counting them.

>>> import sympy as sp
>>> x, y = sp.symbols("x y", real=True)
>>> e = sp.sin(x + y) * sp.cos(x + y)
>>> sorted(map(str, symbols_of([e]))), holds([e], sp.cos), size([e])
(['x', 'y'], True, 6)
"""

from __future__ import annotations

from calckit.errors import WorkLimitError

__all__ = ["check_budget", "holds", "nodes", "size", "symbols_of"]


def nodes(exprs):
    """Yield each distinct node of ``exprs`` once (parents before children)."""
    seen: set = set()
    stack = list(exprs)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        yield node
        stack.extend(node.args)


def symbols_of(exprs) -> set:
    """The free symbols of ``exprs`` (none of them binds a variable: the
    kernel generator refuses ``Sum``, ``Integral`` limits are numbers)."""
    out = set()
    for node in nodes(exprs):
        if node.is_Symbol:
            out.add(node)
    return out if not _binds(exprs) else _tree_symbols(exprs)


def holds(exprs, *types) -> bool:
    """True if some node of ``exprs`` is an instance of ``types`` or equal to
    one of them (``holds(es, sp.I)``)."""
    classes = tuple(t for t in types if isinstance(t, type))
    values = [t for t in types if not isinstance(t, type)]
    for node in nodes(exprs):
        if isinstance(node, classes) or any(node is v for v in values):
            return True
    return False


def size(exprs, limit: int | None = None) -> int:
    """Number of distinct nodes of ``exprs`` (counting stops past ``limit``)."""
    n = 0
    for _ in nodes(exprs):
        n += 1
        if limit is not None and n > limit:
            break
    return n


def check_budget(exprs, max_ops: int | None, step: str) -> None:
    """:class:`~calckit.errors.WorkLimitError` if ``exprs`` has more than
    ``max_ops`` distinct operations (``None``: no budget); counted lazily,
    so a huge input is refused after ``max_ops`` steps."""
    if max_ops is None:
        return
    n = size(exprs, max_ops)
    if n > max_ops:
        raise WorkLimitError(
            f"{step}: the expressions have more than max_ops={max_ops} distinct "
            f"operations; pass a larger max_ops (or max_ops=None for no "
            f"budget) to compile them anyway"
        )


def _binds(exprs) -> bool:
    return any(getattr(node, "bound_symbols", None) for node in nodes(exprs)
               if not node.is_Atom)


def _tree_symbols(exprs) -> set:
    out: set = set()
    for e in exprs:
        out |= e.free_symbols
    return out
