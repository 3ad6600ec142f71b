"""Kernels of exact derivatives: :func:`compile_grad` and
:func:`compile_hessian` (re-exported by :mod:`calckit.kernels`). A sum of
terms of few shapes goes through its templates
(:mod:`calckit.kernels.templated`); anything else is stabilised,
differentiated and compiled by :func:`calckit.kernels.compiler.compile`."""

from __future__ import annotations

from typing import Any

import numpy

from calckit.errors import InvalidParameterError
from calckit.kernels import backends, tensor
from calckit.kernels.compiler import (
    _CACHE,
    MAX_OPS,
    _budget,
    _compile,
    _nesting_guard,
    compile,
    numpy_only,
)
from calckit.kernels.inputs import as_dtype, check_real, resolve
from calckit.kernels.kernel import Kernel
from calckit.kernels.templated import derived_kernel
from calckit.symbolic import derive
from calckit.symbolic._coerce import as_expr, as_symbols
from calckit.symbolic.budget import DEFAULT_MAX_OPS
from calckit.symbolic.stable import stabilize
from calckit.symbolic.tensor.api import is_tensor

__all__ = ["compile_grad", "compile_hessian", "compile_value_and_grad"]


def compile_grad(
    expr, wrt=None, params=(), *, cse: bool = True, dtype: Any = numpy.float64,
    max_ops: int | None = MAX_OPS, shapes=None, backend: str = "numpy",
) -> Kernel | tensor.TensorKernel:
    """Kernel of the exact gradient of ``expr``: output trailing shape ``(n,)``.

    The expression is rewritten into stable forms, differentiated
    (:func:`calckit.grad`), rewritten again and compiled with ``stable=True``.

    Parameters
    ----------
    expr : sympy.Expr or str
        A scalar expression.
    wrt : sequence of symbols or names, or str, optional
        The ``n`` variables (default: free symbols sorted by name, minus
        ``params``). A variable absent from ``expr`` has derivative 0.
    params : sequence of symbols or names, or str, optional
        Further kernel arguments (data), after ``wrt``.
    cse, dtype, backend
        As for :func:`calckit.kernels.compile`.
    max_ops : int or None, optional
        Work budget of the derivation and of the compilation (each counted in
        its own operations; :class:`~calckit.errors.WorkLimitError` past it).
        The default applies each step's own default budget
        (:data:`calckit.symbolic.budget.DEFAULT_MAX_OPS` for the derivation,
        :data:`MAX_OPS` for the compilation); ``None`` lifts both.
    shapes : dict, optional
        Shapes of the names of a string ``expr`` (``{"X": ("n", "d"), "w":
        "d"}``): the expression is a tensor loss and the kernel computes its
        matrix-form derivative (:mod:`calckit.kernels.tensor`); so is an
        ``expr`` built from :func:`calckit.vector` / :func:`calckit.matrix`.

    Returns
    -------
    Kernel
        ``kernel(*wrt_values, *param_values)`` of shape
        ``broadcast_shape + (n,)``.

    Examples
    --------
    >>> import numpy as np
    >>> k = compile_grad("w**2*x + b", wrt="w b", params="x")
    >>> k(3.0, 1.0, np.array([1.0, 2.0]))
    array([[ 6.,  1.],
           [12.,  1.]])
    """
    engine = backends.get(backend)
    if is_tensor(expr, shapes):  # matrix calculus: calckit.kernels.tensor
        numpy_only(engine, "tensor expressions")
        return tensor.compile_tensor_grad(expr, wrt, params or None, shapes=shapes)
    return _derived("grad", expr, wrt, params, cse, dtype, _budget(max_ops), engine)


def compile_hessian(
    expr, wrt=None, params=(), *, cse: bool = True, dtype: Any = numpy.float64,
    max_ops: int | None = MAX_OPS, shapes=None, backend: str = "numpy",
) -> Kernel | tensor.TensorKernel:
    """Kernel of the exact Hessian of ``expr``: trailing shape ``(n, n)``.

    Arguments as for :func:`compile_grad`. Each unordered pair of variables
    is computed once; structural zeros stay zeros of a float array.

    Examples
    --------
    >>> k = compile_hessian("x**2*y + 3*y")
    >>> k(1.0, 2.0)
    array([[4., 2.],
           [2., 0.]])
    """
    engine = backends.get(backend)
    if is_tensor(expr, shapes):  # matrix calculus: calckit.kernels.tensor
        numpy_only(engine, "tensor expressions")
        return tensor.compile_tensor_hessian(expr, wrt, params or None, shapes=shapes)
    return _derived("hessian", expr, wrt, params, cse, dtype, _budget(max_ops),
                    engine)


def _derived(kind, expr, wrt, params, cse, dtype, max_ops, backend=None) -> Kernel:
    e = as_expr(expr)
    wrt_syms, param_syms = resolve((e,), wrt, params, check=False)
    dtype = as_dtype(dtype)
    key = (kind, e, wrt_syms, param_syms, bool(cse), dtype.str,
           backend and backend.name)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    if dtype.kind != "c":  # before deriving: name the user's expression
        check_real(e, (e,), dtype)
    fast = None
    if backend is None:  # templated kernels are NumPy kernels
        fast = derived_kernel(kind, e, wrt_syms, param_syms, cse=bool(cse),
                              dtype=dtype)
    if fast is not None:  # a sum of terms of few shapes: through its templates
        _CACHE.put(key, fast)
        return fast
    with _nesting_guard(e):
        stable_e = stabilize(e)
        budget = _derivation_budget(max_ops)
        if kind == "grad":
            out = list(derive.grad(stable_e, list(wrt_syms), max_ops=budget))
        else:
            out = derive.hessian(stable_e, list(wrt_syms), max_ops=budget)
        kernel = _compile(out, wrt_syms, param_syms, cse=cse, stable=True,
                          dtype=dtype, max_ops=max_ops, backend=backend)
    _CACHE.put(key, kernel)
    return kernel




def _derivation_budget(max_ops: int | None) -> int | None:
    """The derivation's budget for a kernel budget ``max_ops``: the
    derivation's own default under the kernels' default, else as given.

    >>> _derivation_budget(MAX_OPS) == DEFAULT_MAX_OPS, _derivation_budget(None)
    (True, None)
    >>> _derivation_budget(500)
    500
    """
    return DEFAULT_MAX_OPS if max_ops == MAX_OPS else max_ops


def compile_value_and_grad(loss, wrt=None, params=(), *, shapes=None,
                           **options: Any):
    """Kernel returning ``(value, grad)`` with the work shared between them.

    For a tensor loss (built from :func:`calckit.vector` /
    :func:`calckit.matrix`, or a string with ``shapes=``) the gradient is one
    array for one variable and a tuple of arrays for several, and the
    kernel is :func:`calckit.kernels.tensor.compile_tensor_value_and_grad`'s;
    for a scalar SymPy loss it is the array :func:`compile_grad` computes
    (trailing ``(n,)``), from one kernel of the value and the gradient
    (``options`` are :func:`calckit.kernels.compile`'s).

    Examples
    --------
    >>> k = compile_value_and_grad("x**2*y", wrt="x y")
    >>> k(3.0, 2.0)
    (array(18.), array([12.,  9.]))
    """
    if is_tensor(loss, shapes):
        if options:
            raise InvalidParameterError(
                f"options {sorted(options)} are not supported for tensor "
                "expressions")
        return tensor.compile_tensor_value_and_grad(loss, wrt, params or None,
                                                    shapes=shapes)
    e = as_expr(loss)
    syms = as_symbols(wrt, e) if wrt is not None else None
    if syms is None:
        held = sorted(e.free_symbols, key=lambda s: s.name)
        fixed = set(as_symbols(params, e)) if params else set()
        syms = [s for s in held if s not in fixed]
    g = list(derive.grad(e, syms))
    return _ValueAndGrad(compile([e, *g], syms, params, **options))


class _ValueAndGrad:
    """``(value, grad)`` of a scalar SymPy expression from one kernel."""

    def __init__(self, kernel: Kernel):
        self.kernel = kernel
        self.signature = kernel.signature
        self.source = kernel.source

    def __call__(self, *args, **kwargs):
        out = self.kernel(*args, **kwargs)
        return out[..., 0], out[..., 1:]

    def __repr__(self) -> str:
        return f"value_and_grad of {self.kernel!r}"
