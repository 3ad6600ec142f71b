"""The tensor paths of calckit's public functions (``shapes=`` or a tensor
expression): :func:`grad`, :func:`derivative`, :func:`jacobian`,
:func:`hessian`, :func:`hvp`, :func:`latex`, :func:`parse`.

>>> import calckit as ck
>>> shapes = {"X": ("n", "d"), "w": "d", "y": "n"}
>>> ck.grad("mean(softplus(X @ w) - y * (X @ w))", wrt="w", shapes=shapes)
X.T @ (sigmoid(X @ w) - y) / n
"""

from __future__ import annotations

import sympy as sp

from calckit.errors import DifferentiationError
from calckit.symbolic._coerce import as_expr
from calckit.symbolic.tensor import derive as D
from calckit.symbolic.tensor import tex as L
from calckit.symbolic.tensor.expr import Tensor
from calckit.symbolic.tensor.grammar import as_tensor_expr, parse_tensor

__all__ = ["is_tensor", "grad", "derivative", "jacobian", "hessian", "hvp",
           "latex", "parse"]


def is_tensor(expr, shapes=None) -> bool:
    """True when ``expr`` goes down the tensor path."""
    return shapes is not None or isinstance(expr, Tensor)


def parse(text: str, shapes) -> Tensor:
    return parse_tensor(text, shapes)


def grad(expr, wrt=None, *, shapes=None):
    """Matrix-form gradient: the shape of ``wrt`` (a tuple for several)."""
    return D.grad(as_tensor_expr(expr, shapes), wrt)


def derivative(expr, var, n: int = 1, *, shapes=None):
    """``d expr / d var``: the gradient for a scalar ``expr`` (any shape of
    ``var``), the Jacobian for a vector one; ``n = 2`` is the Hessian."""
    e = as_tensor_expr(expr, shapes)
    if isinstance(var, (list, tuple)) or (isinstance(var, str)
                                          and len(var.replace(",", " ").split()) > 1):
        raise DifferentiationError(f"derivative takes one variable, got {var!r}")
    if n == 0:
        return e
    if n == 1:
        return D.grad(e, var) if e.shape == () else D.jacobian(e, var)
    if n == 2:
        return D.hessian(e, var)
    raise DifferentiationError(
        f"derivative of order n={n} of a tensor expression: only n = 1 and 2 have "
        "a matrix form; use hvp for directional higher-order products")


def jacobian(exprs, wrt=None, *, shapes=None):
    return D.jacobian(as_tensor_expr(exprs, shapes), wrt)


def hessian(expr, wrt=None, *, shapes=None):
    return D.hessian(as_tensor_expr(expr, shapes), wrt)


def hvp(expr, wrt, v, *, shapes=None):
    """Hessian-vector product of a tensor expression (or text with
    ``shapes=``): an expression of the shape of ``wrt``; ``v`` is a tensor
    of that shape or a name. (:func:`calckit.hvp` also takes scalar SymPy
    expressions.)"""
    return D.hvp(as_tensor_expr(expr, shapes), wrt, v)


def latex(expr, *, shapes=None) -> str:
    """Textbook LaTeX: tensor expressions as in a course, others as SymPy's
    ``latex``.

    >>> import calckit as ck
    >>> ck.latex("x**2/2")
    '\\\\frac{x^{2}}{2}'
    """
    if is_tensor(expr, shapes):
        return L.latex(as_tensor_expr(expr, shapes))
    if isinstance(expr, (tuple, list)):
        return ",\\quad ".join(latex(e) for e in expr)

    if isinstance(expr, sp.MatrixBase):
        return sp.latex(expr)
    return sp.latex(as_expr(expr))
