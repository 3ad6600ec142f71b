"""Public constructors of tensor expressions (re-exported by
:mod:`calckit.symbolic.tensor`): shaped symbols, reductions, linear algebra
and every calckit function applied elementwise.

>>> import calckit as ck
>>> X, w, y = ck.matrix("X", "n", "d"), ck.vector("w", "d"), ck.vector("y", "n")
>>> mean(apply("softplus", X @ w) - y * (X @ w))
mean(softplus(X @ w) - y * (X @ w))
>>> logsumexp(X, axis=1).shape
('n',)
"""

from __future__ import annotations

import sympy as sp

from calckit.errors import CalckitTypeError, ShapeError, UnknownNameError
from calckit.symbolic._registry import lookup
from calckit.symbolic._whitelist import function_table
from calckit.symbolic.tensor import expr as E
from calckit.symbolic.tensor.shapes import as_dim, as_shape, fmt

__all__ = [
    "vector", "matrix", "tensor_symbol", "apply", "elementwise_names",
    "sum", "mean", "logsumexp", "softmax", "norm", "trace", "diag", "outer", "inv",
    "logdet", "transpose", "dot", "softmax_cross_entropy", "kl_divergence",
]

#: registry functions that take sequences, not elementwise arguments
_NOT_ELEMENTWISE = frozenset({"softmax_cross_entropy", "kl_divergence", "logsumexp"})


def _name(name) -> str:
    if not isinstance(name, str) or not name.strip().isidentifier() \
            or name.strip().startswith("_"):
        raise CalckitTypeError(f"a symbol name must be an identifier not starting "
                               f"with '_', got {name!r}")
    return name.strip()


def vector(name: str, dim) -> E.Tensor:
    """A shaped symbol of one axis: ``vector("w", "d")`` or ``vector("b", 3)``.

    >>> vector("w", "d").shape
    ('d',)
    """
    return E.var(_name(name), (as_dim(dim, what=f"dim of {name}"),))


def matrix(name: str, rows, cols) -> E.Tensor:
    """A shaped symbol of two axes: ``matrix("X", "n", "d")``.

    >>> matrix("X", "n", 3).shape
    ('n', 3)
    """
    return E.var(_name(name), as_shape((rows, cols), what=f"shape of {name}"))


def tensor_symbol(name: str, shape) -> E.Tensor | sp.Symbol:
    """A symbol of ``shape`` (``()`` gives a real SymPy symbol)."""
    shape = as_shape(shape, what=f"shape of {name}")
    if not shape:
        return sp.Symbol(_name(name), real=True)
    return E.var(_name(name), shape)


def elementwise_names() -> tuple:
    """Names :func:`apply` accepts (calckit's whitelist of functions)."""
    return tuple(sorted(set(function_table()) - _NOT_ELEMENTWISE))


def apply(name: str, *args, **params) -> E.Tensor:
    """The calckit function ``name`` (activation, loss, elementary or stable
    primitive) applied elementwise, with NumPy broadcasting of ``args``.

    >>> import calckit as ck
    >>> apply("huber", ck.vector("y", "n"), ck.vector("p", "n"), delta=2)
    huber(y, p)
    """
    if name in _NOT_ELEMENTWISE:
        raise UnknownNameError(f"{name} is not elementwise; use the tensor function "
                               f"calckit.symbolic.tensor.{name}")
    entry = lookup(function_table(), name, "function")
    nodes = [E.as_tensor(a) for a in args]
    if not entry.lo <= len(nodes) <= entry.hi:
        raise CalckitTypeError(f"{name} takes {entry.lo}..{entry.hi} arguments, got "
                               f"{len(nodes)}")
    dummies = [E.dummy(i) for i in range(len(nodes))]
    try:
        fn = sp.sympify(entry.func(*dummies, **params))
    except TypeError as exc:
        raise CalckitTypeError(f"{name}{tuple(params)}: {exc}") from None
    plain = isinstance(fn, sp.Function) and type(fn).__name__ == name \
        and fn.args == tuple(dummies)
    return E.elem(fn, *nodes, label=None if plain or fn.is_Pow else name)


def _t(x) -> E.Tensor:
    return E.as_tensor(x)


def sum(x, axis=None, keepdims: bool = False) -> E.Tensor:  # noqa: A001
    """Sum of all entries, or along ``axis``."""
    return E.tsum(_t(x), axis, keepdims)


def mean(x, axis=None, keepdims: bool = False) -> E.Tensor:
    """Mean of all entries, or along ``axis``."""
    return _t(x).mean(axis, keepdims)


def logsumexp(x, axis=None, keepdims: bool = False) -> E.Tensor:
    """``log(sum(exp(x), axis))``, compiled without overflow."""
    return E.lse(_t(x), axis, keepdims)


def softmax(x, axis=None) -> E.Tensor:
    """``exp(x - logsumexp(x, axis, keepdims=True))``."""
    return E.softmax(_t(x), axis)


def norm(x, axis=None) -> E.Tensor:
    """Euclidean (Frobenius) norm: ``sqrt(sum(x**2, axis))``."""
    return E.power(E.tsum(E.power(_t(x), 2), axis), sp.S.Half)


def trace(x) -> E.Tensor:
    return E.trace(_t(x))


def diag(x) -> E.Tensor:
    """A vector's diagonal matrix, or a square matrix's diagonal."""
    return E.diag(_t(x))


def outer(a, b) -> E.Tensor:
    return E.outer(_t(a), _t(b))


def inv(x) -> E.Tensor:
    return E.inv(_t(x))


def logdet(x) -> E.Tensor:
    """``log(det(x))`` (for a matrix with positive determinant)."""
    return E.logdet(_t(x))


def transpose(x) -> E.Tensor:
    return E.transpose(_t(x))


def dot(a, b) -> E.Tensor:
    """``a @ b``."""
    return E.matmul(_t(a), _t(b))


def softmax_cross_entropy(y, z, axis=-1) -> E.Tensor:
    """Per-sample ``sum(y * (logsumexp(z) - z), axis)``, as
    :func:`calckit.losses.softmax_cross_entropy` along ``axis``."""
    y, z = _t(y), _t(z)
    if y.shape != z.shape:
        raise ShapeError(f"softmax_cross_entropy: shapes {fmt(y.shape)} and "
                         f"{fmt(z.shape)} differ")
    axis = axis % z.ndim
    return E.add(E.mul(E.tsum(y, axis), E.lse(z, axis)),
                 E.mul(E.scalar(-1), E.tsum(E.mul(y, z), axis)))


def kl_divergence(p, q, axis=-1) -> E.Tensor:
    """``sum(p * log(p / q), axis)``."""
    p, q = _t(p), _t(q)
    ratio = E.elem(E.dummy(0) * sp.log(E.dummy(0) / E.dummy(1)), p, q)
    return E.tsum(ratio, axis % max(ratio.ndim, 1))
