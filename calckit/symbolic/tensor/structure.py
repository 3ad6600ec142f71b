"""Structural constructors of the tensor IR (private): matrix products,
transposes, reductions along an axis and linear algebra, each
canonicalizing as it builds (see :mod:`calckit.symbolic.tensor.expr`).

>>> from calckit.symbolic.tensor.expr import var
>>> X, w = var("X", ("n", "d")), var("w", ("d",))
>>> transpose(transpose(X)) is X, matmul(X, w).shape
(True, ('n',))
"""

from __future__ import annotations

from calckit.errors import ShapeError
from calckit.symbolic.tensor.expr import (
    ONE,
    Tensor,
    _axis,
    _count,
    add,
    bcast,
    coefficient,
    elem,
    mul,
    scalar,
)
from calckit.symbolic.tensor.shapes import fmt

__all__ = ["matmul", "transpose", "tsum", "rows_equal", "expand", "lse", "softmax",
           "diag", "trace", "outer", "inv", "logdet", "eye"]


# -- linear algebra -----------------------------------------------------------------
def matmul(a: Tensor, b: Tensor) -> Tensor:
    """NumPy ``a @ b`` for vectors and matrices; scalar factors pulled out."""
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: operands must be vectors or matrices, got shapes "
                         f"{fmt(a.shape)} and {fmt(b.shape)}; use * for scalars")
    if a.shape[-1] != b.shape[0]:
        raise ShapeError(
            f"matmul: shapes {fmt(a.shape)} and {fmt(b.shape)} do not fit: dim "
            f"{a.shape[-1]} against {b.shape[0]}"
        )
    fa, a = _rank0_factors(a)
    fb, b = _rank0_factors(b)
    if a.op == "eye":
        out = b
    elif b.op == "eye":
        out = a
    elif a.op == "bcast" and a.args[0].op == "scalar" and b.ndim == 1 == a.ndim:
        out = mul(a.args[0], tsum(b))
    elif b.op == "bcast" and b.args[0].op == "scalar" and b.ndim == 1:
        out = mul(b.args[0], tsum(a, a.ndim - 1))
    elif b.op == "outer" and a.ndim == 2:  # A @ outer(u, v) = outer(A @ u, v)
        out = outer(matmul(a, b.args[0]), b.args[1])
    elif a.op == "diag" and b.op == "bcast" and b.args[0].op == "expand" \
            and b.args[0].attr == (0,) and a.args[0].ndim == 1:
        out = outer(a.args[0], b.args[0].args[0])  # diag(c) @ (1 v^T) = outer(c, v)
    else:
        out = Tensor("matmul", (a, b), (), a.shape[:-1] + b.shape[1:])
    return mul(*fa, *fb, out) if fa or fb else out


def _rank0_factors(node: Tensor) -> tuple:
    """``(factors of shape (), rest)`` of ``node``: they move out of ``@``."""
    if node.op == "scalar" or node.ndim == 0:
        return [], node
    if node.op != "mul":
        return [], node
    out = [f for f in node.args if f.ndim == 0]
    if not out:
        return [], node
    rest = [f for f in node.args if f.ndim > 0]
    return out, rest[0] if len(rest) == 1 else Tensor("mul", tuple(rest), (),
                                                      node.shape)


def transpose(a: Tensor) -> Tensor:
    """``a.T``: reverses the axes (vectors and scalars are unchanged)."""
    if a.ndim < 2:
        return a
    c, a = coefficient(a)
    if a.op == "T":
        out = a.args[0]
    elif a.op in ("eye",):
        out = a
    elif a.op == "matmul":
        out = matmul(transpose(a.args[1]), transpose(a.args[0]))
    elif a.op == "bcast" and a.args[0].ndim == 0:
        out = bcast(a.args[0], a.shape[::-1])
    else:
        out = Tensor("T", (a,), (), a.shape[::-1])
    return out if c == 1 else mul(scalar(c), out)


def tsum(a: Tensor, axis=None, keepdims: bool = False) -> Tensor:
    """Sum over all entries (``axis=None``) or one axis."""
    if a.ndim == 0:
        return a
    if axis is not None:
        axis = _axis(axis, a.ndim, "sum")
        if a.ndim == 1:
            axis = None if not keepdims else axis
    c, rest = coefficient(a)
    if c != 1:
        return mul(scalar(c), tsum(rest, axis, keepdims))
    if a.op == "bcast" and a.args[0].op == "scalar" and not keepdims:
        return mul(a.args[0], scalar(_count(a.shape, axis)))
    if axis == 0 and a.ndim == 2 and not keepdims:
        row = rows_equal(a)
        if row is not None:  # sum(1 v^T M, axis=0) = n * (v @ M): no unbound n
            return mul(scalar(_count(a.shape, 0)), row)
    if axis is not None and a.shape[axis] == 1 and a.op == "expand" \
            and a.attr == (axis,) and not keepdims:
        return a.args[0]
    if axis is None:
        shape = (1,) * a.ndim if keepdims else ()
    else:
        shape = a.shape[:axis] + ((1,) if keepdims else ()) + a.shape[axis + 1:]
    return Tensor("sum", (a,), (axis, bool(keepdims)), shape)


def rows_equal(node: Tensor):
    """The common row of a matrix whose rows are all equal by construction
    (a broadcast row, and what elementwise operations and ``@`` make of it),
    else None."""
    if node.ndim != 2 or node.shape[0] == 1:
        return None
    op = node.op
    if op == "bcast":
        inner = node.args[0]
        if inner.ndim < 2:
            return bcast(inner, node.shape[1:])
        return _squeeze0(inner)
    if op == "matmul":
        row = rows_equal(node.args[0])
        return None if row is None else matmul(row, node.args[1])
    if op in ("add", "mul", "elem"):
        rows = []
        for a in node.args:
            if a.ndim < 2:
                rows.append(a)
            elif a.shape[0] == 1:
                rows.append(_squeeze0(a))
            else:
                r = rows_equal(a)
                if r is None:
                    return None
                rows.append(r)
        if any(r is None for r in rows):
            return None
        if op == "elem":
            return elem(node.attr[0], *rows, label=node.attr[1])
        return add(*rows) if op == "add" else mul(*rows)
    return None


def _squeeze0(a: Tensor):
    """A (1, k) matrix as a (k,) vector (None if not built from one)."""
    if a.op == "expand" and a.attr == (0,):
        return a.args[0]
    if a.op == "sum" and a.attr == (0, True):
        return tsum(a.args[0], 0)
    if a.op in ("add", "mul", "elem"):
        rows = [x if x.ndim < 2 else _squeeze0(x) for x in a.args]
        if any(r is None for r in rows):
            return None
        if a.op == "elem":
            return elem(a.attr[0], *rows, label=a.attr[1])
        return add(*rows) if a.op == "add" else mul(*rows)
    return None


def expand(a: Tensor, axis: int) -> Tensor:
    """A new axis of length 1 at ``axis`` (``v[:, None]`` is axis 1)."""
    if a.ndim >= 2 or not 0 <= axis <= a.ndim:
        raise ShapeError(f"expand_dims: axis {axis} for shape {fmt(a.shape)}")
    if a.op == "scalar":
        return a
    if a.op == "sum" and a.attr == (axis, False):
        return Tensor("sum", a.args, (axis, True), a.shape[:axis] + (1,)
                      + a.shape[axis:])
    return Tensor("expand", (a,), (axis,), a.shape[:axis] + (1,) + a.shape[axis:])


def lse(a: Tensor, axis=None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(a), axis))``."""
    if a.ndim == 0:
        return a
    if axis is not None:
        axis = _axis(axis, a.ndim, "logsumexp")
        if a.ndim == 1 and not keepdims:
            axis = None
    if axis is None:
        shape = (1,) * a.ndim if keepdims else ()
    else:
        shape = a.shape[:axis] + ((1,) if keepdims else ()) + a.shape[axis + 1:]
    return Tensor("lse", (a,), (axis, bool(keepdims)), shape)


def softmax(a: Tensor, axis=None) -> Tensor:
    """``exp(a - logsumexp(a, axis, keepdims=True))``."""
    if a.ndim == 0:
        return ONE
    if axis is not None:
        axis = _axis(axis, a.ndim, "softmax")
        if a.ndim == 1:
            axis = None
    return Tensor("softmax", (a,), (axis,), a.shape)


def _square(a: Tensor, op: str) -> None:
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ShapeError(f"{op}: needs a square matrix, got shape {fmt(a.shape)}")


def diag(a: Tensor) -> Tensor:
    """A vector's diagonal matrix, or a square matrix's diagonal."""
    if a.ndim == 1:
        return Tensor("diag", (a,), (), (a.shape[0], a.shape[0]))
    _square(a, "diag")
    if a.op == "diag":
        return a.args[0]
    if a.op == "eye":
        return bcast(ONE, a.shape[:1])
    return Tensor("diag", (a,), (), a.shape[:1])


def trace(a: Tensor) -> Tensor:
    _square(a, "trace")
    c, rest = coefficient(a)
    if c != 1:
        return mul(scalar(c), trace(rest))
    if rest.op == "eye":
        return scalar(_count(rest.shape[:1], None))
    return Tensor("trace", (a,), (), ())


def outer(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"outer: needs two vectors, got shapes {fmt(a.shape)} and "
                         f"{fmt(b.shape)}")
    ca, a = coefficient(a)
    cb, b = coefficient(b)
    out = Tensor("outer", (a, b), (), (a.shape[0], b.shape[0]))
    return out if ca * cb == 1 else mul(scalar(ca * cb), out)


def inv(a: Tensor) -> Tensor:
    _square(a, "inv")
    if a.op == "inv":
        return a.args[0]
    return Tensor("inv", (a,), (), a.shape)


def logdet(a: Tensor) -> Tensor:
    """``log(det(a))`` of a matrix with positive determinant."""
    _square(a, "logdet")
    return Tensor("logdet", (a,), (), ())


def eye(dim) -> Tensor:
    return Tensor("eye", (), (dim,), (dim, dim))
