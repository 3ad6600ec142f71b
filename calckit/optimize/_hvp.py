"""A compiled Hessian-vector product for scalar expressions.

``H(x) v`` is the gradient of the directional derivative ``grad f(x) . v``
with ``v`` held fixed, so it is one more :func:`calckit.compile_grad` of a
scalar expression: no ``n x n`` matrix is formed, which is what
Steihaug-Toint CG (``minimize(optimizer="trust-ncg")``) needs.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from calckit.kernels import Kernel, compile_grad
from calckit.symbolic._coerce import as_expr, as_symbols, free_symbols
from calckit.symbolic.derive import directional_derivative

__all__ = ["compile_hvp"]


def _direction_symbols(n: int, taken: set) -> list:
    """``n`` fresh real symbols ``v_0 .. v_{n-1}`` (primes added on a clash)."""
    out = []
    for i in range(n):
        name = f"v_{i}"
        while name in taken:
            name += "_"
        out.append(sp.Symbol(name, real=True))
    return out


def compile_hvp(expr: Any, wrt: Any = None, params: Any = ()) -> Kernel:
    """Kernel of the exact Hessian-vector product of a scalar expression.

    Parameters
    ----------
    expr : sympy.Expr or str
    wrt : sequence of symbols or names, or str, optional
        The ``n`` variables (default: free symbols sorted by name, minus
        ``params``).
    params : sequence of symbols or names, or str, optional
        Data arguments, after the vector.

    Returns
    -------
    Kernel
        ``kernel(*x, *v, *params)`` of trailing shape ``(n,)``: ``H(x) v``.
        Its signature names the vector's entries ``v_0 .. v_{n-1}``.

    Examples
    --------
    >>> import numpy as np
    >>> k = compile_hvp("x**2*y + y**3", "x y")
    >>> k.signature
    ('x', 'y', 'v_0', 'v_1')
    >>> k(1.0, 2.0, 1.0, 0.0)          # H = [[2y, 2x], [2x, 6y]] at (1, 2)
    array([4., 2.])
    """
    e = as_expr(expr)
    data = as_symbols(params, e, name="params") if params else []
    if wrt is None:
        xs = [s for s in as_symbols(None, e) if s not in set(data)]
    else:
        xs = as_symbols(wrt, e)
    taken = {str(s) for s in free_symbols(e) | set(xs) | set(data)}
    vs = _direction_symbols(len(xs), taken)
    gv = directional_derivative(e, vs, xs)
    return compile_grad(gv, xs, [*vs, *data])
