"""Kernels of tensor expressions: :func:`compile_tensor` and the tensor
paths of :func:`calckit.compile`, :func:`calckit.compile_grad`,
:func:`calckit.compile_hessian` and :func:`calckit.compile_value_and_grad`.

A kernel takes one array per variable (``wrt`` first, then the remaining
symbols sorted by name, or ``params`` in the given order), binds the named
dims from their shapes (a mismatch is a :class:`~calckit.errors.ShapeError`
naming the argument, the expected dims and what each dim was bound to) and
runs generated NumPy code (see :mod:`calckit.kernels.tensor_codegen`):
BLAS products, one computation per shared subexpression, calckit's stable
forms, float32 kept float32.

>>> import numpy as np
>>> import calckit as ck
>>> X, w, y = ck.matrix("X", "n", "d"), ck.vector("w", "d"), ck.vector("y", "n")
>>> from calckit.symbolic.tensor import ops
>>> loss = ops.mean(ops.apply("softplus", X @ w) - y * (X @ w))
>>> k = ck.compile_value_and_grad(loss, wrt=w)
>>> k.signature
('w', 'X', 'y')
>>> value, g = k(np.array([1.0, 0.0]), np.array([[1000.0, 0.0], [-1000.0, 1.0]]),
...               np.ones(2))       # z = X @ w = [1000, -1000]: no overflow
>>> float(value), g
(500.0, array([500. ,  -0.5]))
>>> print(k.source[k.source.index("    _t1"):])
    _t1 = X @ w
    _t2 = (numpy.logaddexp(0, _t1) - _t1*y).sum()/n
    _t3 = (X.T @ (scipy.special.expit(_t1) - y))/n
    return _t2, _t3
<BLANKLINE>
"""

from __future__ import annotations

import builtins
import hashlib
import linecache

import numpy
import scipy
import scipy.special
import sympy as sp

from calckit.errors import InvalidParameterError
from calckit.kernels.cache import _LRU
from calckit.kernels.kernel import Kernel
from calckit.kernels.runtime import RUNTIME
from calckit.kernels.tensor_codegen import generate
from calckit.kernels.tensor_runtime import TENSOR_RUNTIME
from calckit.symbolic.tensor import derive as D
from calckit.symbolic.tensor import expr as E
from calckit.symbolic.tensor.grammar import as_tensor_expr

__all__ = [
    "TensorKernel", "compile_tensor", "compile_tensor_grad",
    "compile_tensor_hessian", "compile_tensor_value_and_grad",
]

_CACHE = _LRU(128)
_GLOBALS = {"numpy": numpy, "scipy": scipy, **RUNTIME, **TENSOR_RUNTIME}


class TensorKernel(Kernel):
    """A compiled tensor expression (a :class:`calckit.Kernel`).

    ``kernel(*arrays)`` takes ``signature`` in order; ``source`` is the
    generated NumPy code; ``shapes`` maps each argument to its dims;
    ``exprs`` holds the compiled expressions (value, gradients, ...).
    """

    __slots__ = ("shapes",)
    shapes: dict[str, tuple]  # set by compile_tensor

    def __repr__(self) -> str:
        text = ", ".join(str(e) for e in self.exprs)
        if len(text) > 60:
            text = text[:57] + "..."
        return f"TensorKernel({text}, signature={self.signature})"


def _arguments(exprs: list, wrt_nodes: list, params) -> list:
    """``wrt`` then ``params`` (given) or the other variables sorted by name."""
    held: dict = {}
    for e in exprs:
        held.update(e.free_vars())
    wrt_names = [_vname(v) for v in wrt_nodes]
    if params is None or params == ():
        rest = [held[k] for k in sorted(held) if k not in wrt_names]
    else:
        names = params.replace(",", " ").split() if isinstance(params, str) else [
            _vname(p) if not isinstance(p, str) else p for p in params]
        missing = [n for n in names if n not in held]
        if missing:
            raise InvalidParameterError(
                f"params {missing} do not occur in the expression; its variables "
                f"are {sorted(held)}")
        rest = [held[n] for n in names]
        uncovered = sorted(set(held) - set(wrt_names) - set(names))
        if uncovered:
            raise InvalidParameterError(
                f"the expression has variable(s) {uncovered} that are neither in wrt "
                f"{wrt_names} nor in params {names}; add them to params")
    both = set(wrt_names) & {_vname(r) for r in rest}
    if both:
        raise InvalidParameterError(f"{sorted(both)} are in both wrt and params")
    return list(wrt_nodes) + rest


def _vname(v) -> str:
    return v.attr[0] if isinstance(v, E.Tensor) else v.name


def _shape(v) -> tuple:
    return v.shape if isinstance(v, E.Tensor) else ()


def compile_tensor(exprs, args: list, *, kind: str, source_exprs=None,
                   returns: str | None = None) -> TensorKernel:
    """Compile tensor expressions ``exprs`` into a kernel of ``args``."""
    exprs = list(exprs)
    key = (kind, tuple(exprs), tuple(args), returns)
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    spec = [_shape(a) for a in args]
    if returns is None:
        returns = ", ".join(f"{{{i}}}" for i in range(len(exprs)))
    source = generate(exprs, args, spec, returns=returns)
    names = tuple(_vname(a) for a in args)
    fn = _exec(source, tuple(zip(names, spec, strict=True)))
    kernel = TensorKernel(
        exprs=tuple(source_exprs or exprs), entries=tuple(exprs),
        wrt=tuple(args), params=(), signature=names, expr_shape=exprs[0].shape,
        source=source, dtype=numpy.dtype(numpy.float64), cse=True, stable=True,
        fn=fn)
    kernel.shapes = dict(zip(names, spec, strict=True))
    _CACHE.put(key, kernel)
    return kernel


def _exec(source: str, spec):
    digest = hashlib.sha1(source.encode()).hexdigest()[:12]
    filename = f"<calckit-tensor-kernel-{digest}>"
    namespace = {**_GLOBALS, "_SPEC": spec}
    exec(builtins.compile(source, filename, "exec"), namespace)  # our own source
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return namespace["_kernel"]


def _single(wrt) -> bool:
    return isinstance(wrt, (E.Tensor, sp.Symbol)) or (
        isinstance(wrt, str) and len(wrt.replace(",", " ").split()) == 1)


def _grads(loss, wrt):
    targets = D.resolve_wrt(loss, wrt)
    g = D.grad(loss, targets)
    g = g if isinstance(g, tuple) else (g,)
    return targets, list(g)


def compile_expr(expr, wrt=None, params=(), *, shapes=None) -> TensorKernel:
    """Kernel of a tensor expression itself (``calckit.compile``); a list of
    them gives a kernel returning a tuple."""
    many = isinstance(expr, (list, tuple))
    es = [as_tensor_expr(x, shapes) for x in (expr if many else [expr])]
    both = E.add(*[E.tsum(x) for x in es]) if many else es[0]
    targets = D.resolve_wrt(both, wrt) if wrt is not None else []
    args = _arguments(es, targets, params)
    return compile_tensor(es, args, kind="value",
                          returns=_tuple(len(es)) if many else None)


def compile_tensor_grad(loss, wrt=None, params=(), *, shapes=None) -> TensorKernel:
    """Kernel of the gradient (an array, or a tuple for several ``wrt``)."""
    e = as_tensor_expr(loss, shapes)
    D._check_scalar(e, "compile_grad")
    targets, grads = _grads(e, wrt)
    args = _arguments([e], targets, params)
    ret = "{0}" if _single(wrt) or len(grads) == 1 else _tuple(len(grads))
    return compile_tensor(grads, args, kind="grad", returns=ret)


def compile_tensor_hessian(loss, wrt=None, params=(), *, shapes=None) -> TensorKernel:
    """Kernel of the matrix-form Hessian for one vector variable."""
    e = as_tensor_expr(loss, shapes)
    targets = D.resolve_wrt(e, wrt)
    h = D.hessian(e, targets)
    args = _arguments([e], targets, params)
    return compile_tensor([h], args, kind="hessian")


def _tuple(k: int, start: int = 0) -> str:
    return "(" + ", ".join(f"{{{i}}}" for i in range(start, start + k)) + ",)"


def compile_tensor_value_and_grad(loss, wrt=None, params=(), *,
                                  shapes=None) -> TensorKernel:
    """Kernel of ``(value, grad)`` of a tensor loss with the work shared
    between them; the gradient is one array for one variable (given as one
    name or node) and a tuple of arrays for several."""
    e = as_tensor_expr(loss, shapes)
    D._check_scalar(e, "compile_value_and_grad")
    targets, grads = _grads(e, wrt)
    args = _arguments([e], targets, params)
    inner = "{1}" if _single(wrt) or len(grads) == 1 else _tuple(len(grads), 1)
    return compile_tensor([e, *grads], args, kind="value_and_grad",
                          returns="{0}, " + inner)
