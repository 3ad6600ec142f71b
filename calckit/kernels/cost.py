"""Cost of a kernel body (private; see :mod:`calckit.kernels.codegen`).

:func:`cost` counts the array operations of a kernel body; bodies of at
least :data:`BLOCK_COST` operations (or with a masked ``Piecewise``) are
evaluated block by block on large inputs. Below that, the per-block Python
overhead and the final copy cost more than cache-resident temporaries save:
``relu'`` is one comparison and one cast, exactly the hand-written
``(x > 0).astype(float)``.

>>> cost(["    c = numpy.exp(x) + 1"], ["2*c"])
3
"""

from __future__ import annotations

import ast

__all__ = ["BLOCK_COST", "cost"]

#: bodies with at least this many array operations are evaluated in blocks
BLOCK_COST = 5

_OPS = (ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.Call)
_FREE_CALLS = {"_finish", "_ipow"}


def cost(lines, values) -> int:
    """Number of array operations (operators and calls) in the statements
    ``lines`` and the output expressions ``values`` of a kernel body."""
    n = 0
    for line in [*lines, *values]:
        text = line.strip()
        if not text or text.startswith("del "):
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, _OPS) and not _free(node):
                n += 1
    return n


def _free(node) -> bool:
    if isinstance(node, ast.UnaryOp):  # a literal such as -1
        return isinstance(node.operand, ast.Constant)
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FREE_CALLS
    )


