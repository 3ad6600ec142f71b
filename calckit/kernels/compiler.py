"""The plain compile pipeline: expressions -> checked, stabilised, CSE'd
NumPy source -> :class:`~calckit.kernels.kernel.Kernel`, behind a bounded
cache (re-exported by :mod:`calckit.kernels`)."""

from __future__ import annotations

from typing import Any

import numpy
import sympy as sp

from calckit.errors import CalckitTypeError, InvalidParameterError, WorkLimitError
from calckit.kernels import backends, tensor
from calckit.kernels.cache import _LRU, CacheInfo
from calckit.kernels.codegen import generate
from calckit.kernels.dag import check_budget
from calckit.kernels.inert import inert_extrema
from calckit.kernels.inputs import as_dtype, check_real, normalize, real_hint, resolve
from calckit.kernels.kernel import Kernel
from calckit.kernels.printer import UnsupportedError
from calckit.kernels.runtime import _F64
from calckit.kernels.source import execute, safe_names, undefined_names
from calckit.symbolic._coerce import _short
from calckit.symbolic.stable import stabilize
from calckit.symbolic.tensor.api import is_tensor
from calckit.symbolic.tensor.expr import Tensor

__all__ = ["compile", "cache_info", "cache_clear", "CACHE_SIZE", "MAX_OPS"]

#: Maximum number of kernels kept by the compile cache.
CACHE_SIZE = 256
#: Default work budget of :func:`compile`, :func:`compile_grad` and
#: :func:`compile_hessian`: distinct operations (subexpressions counted once)
#: of the expressions to compile.
MAX_OPS = 1_000_000


# -- cache ------------------------------------------------------------------------
_CACHE = _LRU(CACHE_SIZE)


def cache_info() -> CacheInfo:
    """Hits, misses, maximum and current size of the kernel cache.

    >>> cache_clear()
    >>> cache_info().currsize
    0
    """
    return _CACHE.info()


def cache_clear() -> None:
    """Empty the kernel cache (and reset its counters)."""
    _CACHE.clear()


# -- compile ---------------------------------------------------------------------
def compile(  # noqa: A001 - the public name is part of the API
    exprs,
    wrt=None,
    params=(),
    *,
    cse: bool = True,
    stable: bool = True,
    dtype: Any = numpy.float64,
    max_ops: int | None = MAX_OPS,
    shapes=None,
    backend: str = "numpy",
) -> Kernel | tensor.TensorKernel:
    """Compile expressions into a broadcasting NumPy :class:`Kernel`.

    Parameters
    ----------
    exprs : sympy.Expr, str, sequence of them, or sympy.Matrix
        One expression (output trailing shape ``()``), a list of ``m``
        (``(m,)``) or a matrix ``(m, n)`` (``(m, n)``).
    wrt : sequence of symbols or names, or str, optional
        Variables; default: the free symbols sorted by name, minus
        ``params``.
    params : sequence of symbols or names, or str, optional
        Further arguments, after ``wrt``.
    cse : bool, default True
        Compute common subexpressions once across all outputs.
    stable : bool, default True
        Rewrite every entry into overflow-free forms first
        (:func:`calckit.symbolic.stable.stabilize`).
    max_ops : int or None, default :data:`MAX_OPS`
        Work budget: compiling expressions of more distinct operations
        (subexpressions counted once) raises
        :class:`~calckit.errors.WorkLimitError` before the expensive passes
        (CSE, printing) run; ``None`` for no budget.
    backend : {"numpy", "jax", "torch"}, default "numpy"
        Array library of the generated code. ``"jax"`` and ``"torch"`` write
        the same stable, CSE'd code against ``jax.numpy`` / ``torch``
        (jit-able with ``jax.jit`` / ``torch.compile``); the output keeps the
        inputs' floating dtype and device (``dtype`` applies when no input is
        floating). See :mod:`calckit.kernels.backends`. NumPy kernels also
        accept dask arrays and return dask arrays, evaluated chunk by chunk.
    shapes : dict, optional
        Shapes of the names of string expressions (``{"X": ("n", "d"), "w":
        "d"}``): they are tensor expressions, compiled to BLAS calls by
        :mod:`calckit.kernels.tensor`; so are expressions built from
        :func:`calckit.vector` / :func:`calckit.matrix`.
    dtype : numpy dtype, default float64
        Inputs are converted to it and the output has it. With a real dtype
        the expressions must be real: one holding the imaginary unit ``I``
        (``sqrt(-1)``, ``log(-1)`` and ``acosh(0)`` parse to such constants)
        is refused. A complex dtype (``complex``) compiles them, but a
        kernel using a function without a complex implementation (SciPy's
        ``expit`` behind ``sigmoid``, ``floor``, ``heaviside``, ...) raises
        :class:`~calckit.errors.CalckitTypeError` when called, naming the
        function (the check is NumPy's own, at no cost to real kernels).

    Returns
    -------
    Kernel
        ``kernel(*args)`` with one array-like per symbol of ``wrt + params``
        returns an array of shape ``broadcast_shape + expr_shape``.

    Raises
    ------
    CalckitTypeError
        Unsupported input, a complex constant with a real ``dtype``, or a
        subexpression that cannot be compiled (e.g. an unevaluated
        ``Derivative``; the message names it).
    InvalidParameterError
        A free symbol in neither ``wrt`` nor ``params``, or a symbol in both.

    Examples
    --------
    >>> import numpy as np
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y", real=True)
    >>> k = compile(sp.Matrix([[x*y, 3], [0, x**2]]))
    >>> k(np.arange(4.0), 2.0)[3]
    array([[6., 3.],
           [0., 9.]])
    >>> compile(["x + 1", "2"])(np.zeros(2))
    array([[1., 2.],
           [1., 2.]])
    """
    engine = backends.get(backend)
    if _any_tensor(exprs, shapes):  # matrix calculus: calckit.kernels.tensor
        numpy_only(engine, "tensor expressions")
        return tensor.compile_expr(exprs, wrt, params or None, shapes=shapes)
    with _nesting_guard(exprs):
        return _compile(exprs, wrt, params, cse=cse, stable=stable, dtype=dtype,
                        max_ops=_budget(max_ops), backend=engine)


def _any_tensor(exprs, shapes) -> bool:
    """True when ``exprs`` (or one of a list of them) is a tensor expression."""
    if isinstance(exprs, (list, tuple)):
        return shapes is not None or any(isinstance(e, Tensor) for e in exprs)
    return is_tensor(exprs, shapes)


def numpy_only(engine, what: str) -> None:
    """Refuse a jax / torch ``engine`` for ``what`` (NumPy kernels only)."""
    if engine is not None:
        raise InvalidParameterError(
            f"backend={engine.name!r}: {what} compile to NumPy kernels only; "
            "use backend='numpy'")


def _compile(exprs, wrt, params, *, cse, stable, dtype, max_ops,
             backend=None) -> Kernel:
    """:func:`compile` without its guard (called by :func:`_derived` too)."""
    structure, entries, shape = normalize(exprs)
    wrt_syms, param_syms = resolve(entries, wrt, params)
    dtype = as_dtype(dtype)
    if dtype == numpy.float64:
        dtype = _F64  # one object, so that ``x.dtype is dtype`` is a fast check
    flags = (bool(cse), bool(stable), dtype.str, backend and backend.name)
    key = ("compile", entries, shape, wrt_syms, param_syms, flags)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    check_budget(entries, max_ops, "compile")  # before any pass (cached: free)
    kernel = _build(structure, entries, shape, wrt_syms, param_syms,
                    cse=bool(cse), stable=bool(stable), dtype=dtype, max_ops=max_ops,
                    backend=backend)
    _CACHE.put(key, kernel)
    return kernel


def _build(structure, entries, shape, wrt, params, *, cse, stable, dtype,
           max_ops, backend=None) -> Kernel:
    if dtype.kind != "c":
        check_real(structure, entries, dtype)
    if stable:
        done = {}
        final = []
        for e in entries:
            if e.is_number:
                final.append(e)
                continue
            if e not in done:
                done[e] = stabilize(e)
            final.append(done[e])
        entries_final = tuple(final)
        check_budget(entries_final, max_ops, "compile (after stable rewriting)")
    else:
        entries_final = tuple(entries)
    args = wrt + params
    safe = safe_names(args)
    # the one place mapping arguments to source identifiers: the printer
    # prints a plain Symbol by its name, so every other argument (a Dummy is
    # printed ``x_<index>``, which another argument may be named) and every
    # unsafe name becomes a plain Symbol named by _safe_names
    rename = {s: sp.Symbol(n, **s.assumptions0)
              for s, n in zip(args, safe, strict=True)
              if s.name != n or type(s) is not sp.Symbol}
    renamed: dict = {}
    printed = []
    for e in entries_final:
        if e.is_Number or not rename:
            printed.append(e)
            continue
        if e not in renamed:  # no Max of many arguments rebuilt (evaluated)
            renamed[e] = inert_extrema(e).xreplace(rename)
        printed.append(renamed[e])
    if backend is not None:  # jax, torch: calckit.kernels.backends
        return backends.build(
            backend, structure=structure, entries=entries_final, printed=printed,
            shape=shape, wrt=wrt, params=params, args=[rename.get(s, s) for s in args],
            labels=[s.name for s in args], cse=cse, stable=stable, dtype=dtype)
    try:
        source = generate(printed, shape, [rename.get(s, s) for s in args], cse=cse,
                          labels=[s.name for s in args])
    except UnsupportedError as exc:
        raise CalckitTypeError(
            f"cannot compile {_short(structure)}: {exc}{real_hint(args)}"
        ) from None
    unknown = undefined_names(source)
    if unknown:  # a construct printed as a bare name: never a NameError later
        raise CalckitTypeError(
            f"cannot compile {_short(structure)}: no NumPy translation for "
            f"{', '.join(unknown)}"
        )
    fn = execute(source, dtype)
    return Kernel(
        exprs=structure, entries=entries_final, wrt=wrt, params=params,
        signature=tuple(s.name for s in args), expr_shape=shape, source=source,
        dtype=dtype, cse=cse, stable=stable, fn=fn,
    )


def _budget(max_ops) -> int | None:
    """``max_ops`` checked: a positive integer or None."""
    if max_ops is None:
        return None
    if isinstance(max_ops, bool) or not isinstance(max_ops, (int, numpy.integer)) \
            or max_ops < 1:
        raise InvalidParameterError(
            f"max_ops must be a positive integer or None, got {max_ops!r}"
        )
    return int(max_ops)


class _nesting_guard:
    """Turns Python's ``RecursionError`` (SymPy and the printer recurse once
    per level of nesting) into a :class:`~calckit.errors.WorkLimitError`
    naming the expression."""

    def __init__(self, expr):
        self.expr = expr

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if kind is not None and issubclass(kind, RecursionError):
            raise WorkLimitError(
                f"{_short(self.expr)} is nested too deeply to derive and compile "
                "(beyond Python's recursion limit); write it with intermediate "
                "variables or fewer levels"
            ) from None
        return False
