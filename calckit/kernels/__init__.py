"""Compile SymPy expressions into fast, stable, broadcasting NumPy kernels.

:func:`compile` turns one expression, a list of them or a matrix into a
:class:`Kernel`: a callable taking one array-like per symbol of ``wrt +
params`` that broadcasts them NumPy-style and returns a float array of shape
``broadcast_shape + expr_shape``. :func:`compile_grad` and
:func:`compile_hessian` compile exact derivatives.

The generated source (``kernel.source``) is plain NumPy: common
subexpressions are computed once across all outputs, integer powers are
products, each ``Piecewise`` branch is evaluated only where its condition
holds, constants and structural zeros fill full float arrays, each output
entry is written in place by its last ufunc. Large inputs of kernels with
more than a few operations are evaluated block by block along the leading
axis so that temporaries stay in cache (short kernels such as ``relu'`` run
on whole arrays, exactly as a hand-written ``(x > 0).astype(float)``); many
entries sharing one form (the Hessian of a long sum such as N-dimensional
Rosenbrock) are evaluated once per form on gathered arguments.
See :mod:`calckit.kernels.codegen` for the details.

Kernels are cached: compiling the same expressions with the same ``wrt``,
``params`` and flags returns the same :class:`Kernel` object. The cache is a
bounded LRU (:data:`CACHE_SIZE` entries, shared by :func:`compile`,
:func:`compile_grad` and :func:`compile_hessian`); :func:`cache_info` reports
on it and :func:`cache_clear` empties it.

>>> import numpy as np
>>> import calckit as ck
>>> k = ck.compile_grad("log(1 + exp(w*x + b))", wrt="w b", params="x")
>>> k.signature
('w', 'b', 'x')
>>> k(0.5, 0.0, np.array([0.0, 1.0, 2.0])).shape
(3, 2)
>>> k(1.0, 0.0, 1000.0)          # no overflow: sigmoid(1000) * 1000, sigmoid(1000)
array([1000.,    1.])
"""

from __future__ import annotations

import builtins
import hashlib
import keyword
import linecache
import unicodedata
from typing import Any

import numpy
import scipy
import scipy.special
import sympy as sp

from calckit.errors import CalckitTypeError, InvalidParameterError
from calckit.kernels.cache import _LRU, CacheInfo
from calckit.kernels.codegen import generate
from calckit.kernels.printer import UnsupportedError
from calckit.kernels.runtime import _F64, RUNTIME
from calckit.symbolic._coerce import as_expr, as_symbols, free_symbols
from calckit.symbolic.tensor.expr import Tensor as _Tensor

__all__ = [
    "Kernel",
    "compile",
    "compile_grad",
    "compile_hessian",
    "cache_info",
    "cache_clear",
    "CACHE_SIZE",
]

#: Maximum number of kernels kept by the compile cache.
CACHE_SIZE = 256

#: the globals of every generated kernel (plus ``_dtype``, see :func:`_exec`)
_GLOBALS = {"numpy": numpy, "scipy": scipy, **RUNTIME}
#: names the generated code may refer to: the builtins it calls (``range``,
#: ``min``, ``float`` in ``.astype(float)``, ...), its globals and its local
#: output ``out``. An argument named like one of them (or starting with
#: ``_``, the prefix of every generated name) is renamed in the source.
_RESERVED = frozenset(
    {*dir(builtins), *_GLOBALS, "_dtype", "out", "functools", "math", "mpmath"}
)


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


# -- the Kernel object ---------------------------------------------------------------
class Kernel:
    """A compiled NumPy function of ``wrt + params``; see :func:`compile`.

    Attributes
    ----------
    exprs : sympy.Expr, tuple of sympy.Expr or sympy.ImmutableMatrix
        What was compiled (after parsing; before stable rewriting).
    entries : tuple of sympy.Expr
        The output entries actually compiled (row-major, after rewriting).
    wrt, params : tuple of sympy.Symbol
        The variables and parameters; the kernel takes ``wrt + params``.
    signature : tuple of str
        Argument names, in call order.
    expr_shape : tuple of int
        Trailing shape of the output: ``()``, ``(m,)`` or ``(m, n)``.
    source : str
        The generated Python source.
    dtype : numpy.dtype
        Type of the inputs (after conversion) and of the output.

    Examples
    --------
    >>> import numpy as np
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y", real=True)
    >>> k = compile([x * y, x + y], [x], params=[y])
    >>> k
    Kernel((x*y, x + y), wrt=(x,), params=(y,), expr_shape=(2,))
    >>> k(np.array([1.0, 2.0]), 3.0)
    array([[3., 4.],
           [6., 5.]])
    >>> print([line for line in k.source.splitlines() if "out[..., 0]" in line][0])
        numpy.multiply(x, y, out=out[..., 0])
    """

    __slots__ = (
        "exprs", "entries", "wrt", "params", "signature", "expr_shape",
        "source", "dtype", "cse", "stable", "_fn", "_nargs", "__weakref__",
    )

    def __init__(self, *, exprs, entries, wrt, params, signature, expr_shape,
                 source, dtype, cse, stable, fn):
        self.exprs = exprs
        self.entries = entries
        self.wrt = wrt
        self.params = params
        self.signature = signature
        self.expr_shape = expr_shape
        self.source = source
        self.dtype = dtype
        self.cse = cse
        self.stable = stable
        self._fn = fn
        self._nargs = len(signature)

    @property
    def function(self):
        """The generated Python function itself (no argument-count check)."""
        return self._fn

    def __call__(self, *args, **kwargs):
        """Evaluate at ``args`` (one array-like per name of ``signature``;
        keywords by name also work); NumPy broadcasting applies."""
        if kwargs:
            args = self._bind(args, kwargs)
        if len(args) != self._nargs:
            raise CalckitTypeError(
                f"kernel{_sig(self.signature)} takes {self._nargs} argument"
                f"{'' if self._nargs == 1 else 's'} (wrt + params, in that order), "
                f"got {len(args)}"
            )
        try:
            return self._fn(*args)
        except TypeError as exc:  # free unless raised (zero-cost try)
            if isinstance(exc, CalckitTypeError):
                raise
            raise self._evaluation_error(exc) from exc

    def _evaluation_error(self, exc) -> CalckitTypeError:
        """The error of a NumPy/SciPy function refusing this kernel's dtype
        (``scipy.special.expit``, behind ``sigmoid``, has no complex loop)."""
        hint = ""
        if self.dtype.kind == "c":
            hint = ("; a function in it has no complex implementation: compile "
                    "it with a real dtype")
        return CalckitTypeError(
            f"kernel{_sig(self.signature)} of {_short(self.exprs, 60)} cannot be "
            f"evaluated in {self.dtype}: {exc}{hint}"
        )

    def _bind(self, args, kwargs):
        values = list(args) + [None] * (self._nargs - len(args))
        if len(args) > self._nargs:
            return args  # reported by __call__
        for name, value in kwargs.items():
            if name not in self.signature:
                raise CalckitTypeError(
                    f"kernel{_sig(self.signature)} has no argument {name!r}"
                )
            i = self.signature.index(name)
            if i < len(args):
                raise CalckitTypeError(f"argument {name!r} given twice")
            values[i] = value
        missing = [n for n, v in zip(self.signature, values, strict=True) if v is None]
        if missing:
            raise CalckitTypeError(
                f"kernel{_sig(self.signature)} is missing argument(s) {missing}"
            )
        return tuple(values)

    def __repr__(self) -> str:
        text = str(self.exprs)
        if len(text) > 60:
            text = text[:57] + "..."
        return (
            f"Kernel({text}, wrt={_names(self.wrt)}, params={_names(self.params)}, "
            f"expr_shape={self.expr_shape})"
        )


def _sig(names) -> str:
    return "(" + ", ".join(names) + ")"


def _names(syms) -> str:
    inner = ", ".join(s.name for s in syms)
    return f"({inner}{',' if len(syms) == 1 else ''})"


# -- public functions ----------------------------------------
def compile(  # noqa: A001 - the public name is part of the API
    exprs,
    wrt=None,
    params=(),
    *,
    cse: bool = True,
    stable: bool = True,
    dtype: Any = numpy.float64,
    shapes=None,
) -> Kernel:
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
    if shapes is not None or isinstance(exprs, _Tensor) or (  # tensor expressions
            isinstance(exprs, (list, tuple)) and any(isinstance(e, _Tensor)
                                                     for e in exprs)):
        from calckit.kernels import tensor  # it subclasses Kernel: imported late

        return tensor.compile_expr(exprs, wrt, params or None, shapes=shapes)
    structure, entries, shape = _normalize(exprs)
    wrt_syms, param_syms = _resolve(entries, wrt, params)
    dtype = numpy.dtype(dtype)
    if dtype == numpy.float64:
        dtype = _F64  # one object, so that ``x.dtype is dtype`` is a fast check
    flags = (bool(cse), bool(stable), dtype.str)
    key = ("compile", entries, shape, wrt_syms, param_syms, flags)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    kernel = _build(structure, entries, shape, wrt_syms, param_syms,
                    cse=bool(cse), stable=bool(stable), dtype=dtype)
    _CACHE.put(key, kernel)
    return kernel


def compile_grad(
    expr, wrt=None, params=(), *, cse: bool = True, dtype: Any = numpy.float64,
    shapes=None,
) -> Kernel:
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
    cse, dtype
        As for :func:`compile`.

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
    if shapes is not None or isinstance(expr, _Tensor):  # tensor expressions
        from calckit.kernels import tensor  # it subclasses Kernel: imported late

        return tensor.compile_tensor_grad(expr, wrt, params or None, shapes=shapes)
    return _derived("grad", expr, wrt, params, cse, dtype)


def compile_hessian(
    expr, wrt=None, params=(), *, cse: bool = True, dtype: Any = numpy.float64,
    shapes=None,
) -> Kernel:
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
    if shapes is not None or isinstance(expr, _Tensor):  # tensor expressions
        from calckit.kernels import tensor  # it subclasses Kernel: imported late

        return tensor.compile_tensor_hessian(expr, wrt, params or None, shapes=shapes)
    return _derived("hessian", expr, wrt, params, cse, dtype)


# -- internals ----------------------------------------
def _derived(kind, expr, wrt, params, cse, dtype) -> Kernel:
    e = as_expr(expr)
    wrt_syms, param_syms = _resolve((e,), wrt, params, check=False)
    dtype = numpy.dtype(dtype)
    key = (kind, e, wrt_syms, param_syms, bool(cse), dtype.str)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    if dtype.kind != "c":  # before deriving: name the user's expression
        _check_real(e, (e,), dtype)
    from calckit.symbolic import derive

    stable_e = _stabilizer()(e)
    if kind == "grad":
        out = list(derive.grad(stable_e, list(wrt_syms)))
    else:
        out = derive.hessian(stable_e, list(wrt_syms))
    kernel = compile(out, wrt_syms, param_syms, cse=cse, stable=True, dtype=dtype)
    _CACHE.put(key, kernel)
    return kernel


def _normalize(exprs):
    """(structure, entries tuple, expr_shape) of the user's ``exprs``."""
    if isinstance(exprs, sp.MatrixBase):
        m = sp.ImmutableMatrix(exprs)
        entries = tuple(_entry(e) for row in m.tolist() for e in row)
        return m, entries, tuple(m.shape)
    if isinstance(exprs, numpy.ndarray) and exprs.ndim == 2:
        return _normalize(sp.ImmutableMatrix(exprs.tolist()))
    if isinstance(exprs, (list, tuple, numpy.ndarray)):
        items = list(exprs)
        if items and all(isinstance(r, (list, tuple)) for r in items):
            widths = {len(r) for r in items}
            if len(widths) != 1:
                raise CalckitTypeError(
                    f"exprs: rows of a nested list must have equal lengths, got "
                    f"lengths {sorted(widths)}"
                )
            return _normalize(sp.ImmutableMatrix(items))
        entries = tuple(_entry(e, i) for i, e in enumerate(items))
        return entries, entries, (len(entries),)
    e = as_expr(exprs, name="exprs")
    return e, (e,), ()


def _entry(e, i=None):
    if isinstance(e, sp.Expr):  # fast path for large matrices
        return e
    return as_expr(e, name="exprs entry" if i is None else f"exprs[{i}]")


def _resolve(entries, wrt, params, *, check=True):
    """(wrt, params) as tuples of symbols; checks coverage and overlap."""
    entries = {e for e in entries if not e.is_Number}
    # names resolve against the free symbols; computed once (not per name)
    held = sorted(free_symbols(entries), key=str)
    param_syms = tuple(as_symbols(params, held, name="params")) if params else ()
    if wrt is None:
        wrt_syms = tuple(
            s for s in sorted(held, key=lambda s: s.name)
            if isinstance(s, sp.Symbol) and s not in param_syms
        )
    else:
        wrt_syms = tuple(as_symbols(wrt, held, name="wrt"))
    both = set(wrt_syms) & set(param_syms)
    if both:
        raise InvalidParameterError(
            f"symbol(s) {sorted(map(str, both))} are in both wrt and params; "
            "give each once"
        )
    if check:
        missing = set(held) - set(wrt_syms) - set(param_syms)
        if missing:
            names = sorted(map(str, missing))
            raise InvalidParameterError(
                f"the expression has free symbol(s) {names} that are neither in "
                f"wrt {[s.name for s in wrt_syms]} nor in params "
                f"{[s.name for s in param_syms]}; add them to params"
            )
    return wrt_syms, param_syms


def _stabilizer():
    try:
        from calckit.symbolic.stable import stabilize
    except ModuleNotFoundError as exc:  # pragma: no cover - transitional
        if exc.name != "calckit.symbolic.stable":
            raise
        return lambda e: e
    return stabilize


def _build(structure, entries, shape, wrt, params, *, cse, stable, dtype) -> Kernel:
    if dtype.kind != "c":
        _check_real(structure, entries, dtype)
    if stable:
        stabilize = _stabilizer()
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
    else:
        entries_final = tuple(entries)
    args = wrt + params
    safe = _safe_names(args)
    # the printer prints symbols by name: rename only the unsafe ones
    rename = {s: sp.Symbol(n, **s.assumptions0)
              for s, n in zip(args, safe, strict=True) if s.name != n}
    renamed: dict = {}
    printed = []
    for e in entries_final:
        if e.is_Number or not rename:
            printed.append(e)
            continue
        if e not in renamed:
            renamed[e] = e.xreplace(rename)
        printed.append(renamed[e])
    try:
        source = generate(printed, shape, [rename.get(s, s) for s in args], cse=cse,
                          labels=[s.name for s in args])
    except UnsupportedError as exc:
        raise CalckitTypeError(
            f"cannot compile {_short(structure)}: {exc}{_real_hint(args)}"
        ) from None
    fn = _exec(source, dtype)
    return Kernel(
        exprs=structure, entries=entries_final, wrt=wrt, params=params,
        signature=tuple(s.name for s in args), expr_shape=shape, source=source,
        dtype=dtype, cse=cse, stable=stable, fn=fn,
    )


def _check_real(structure, entries, dtype) -> None:
    """:class:`CalckitTypeError` if an entry holds the imaginary unit ``I``
    (``sqrt(-1)``, ``log(-1)``, ``acosh(0)`` parse to expressions in ``I``):
    a real kernel would drop its imaginary part."""
    for e in dict.fromkeys(entries):  # distinct entries, in order
        if not e.is_Number and e.has(sp.I):
            raise CalckitTypeError(
                f"cannot compile {_short(structure)}: complex-valued: contains I "
                f"(the imaginary unit) in {_short(e)}, but dtype is {dtype}; "
                "compile with dtype=complex for complex values"
            )


def _real_hint(args) -> str:
    """A hint when some arguments are not known to be real (SymPy then keeps
    derivatives such as ``d|x|/dx`` unevaluated)."""
    loose = [s.name for s in args if not s.is_extended_real]
    if not loose:
        return ""
    return (
        f"; symbol(s) {loose} are not known to be real: create them with "
        "real=True (as calckit.parse does)"
    )


def _safe_names(args) -> list[str]:
    """Source names of the arguments: the symbol's name when it is a plain
    identifier that shadows nothing the generated code uses, else ``_a{i}``.

    Python reads identifiers in NFKC form (``ｒａｎｇｅ`` is ``range``), so
    names are compared in that form.
    """
    names: list[str] = []
    seen: set[str] = set()
    for i, s in enumerate(args):
        n = s.name
        key = unicodedata.normalize("NFKC", n)
        if (not n.isidentifier() or keyword.iskeyword(key) or key.startswith("_")
                or key in _RESERVED or key in seen):
            n = key = f"_a{i}"
        names.append(n)
        seen.add(key)
    return names


def _exec(source: str, dtype):
    """Compile and run the generated ``source``; return its ``_kernel``."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:12]
    filename = f"<calckit-kernel-{digest}>"
    namespace = {**_GLOBALS, "_dtype": dtype}
    code = builtins.compile(source, filename, "exec")
    exec(code, namespace)  # our own generated source, never user text
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return namespace["_kernel"]


def _short(obj, limit: int = 80) -> str:
    text = repr(obj)
    return text if len(text) <= limit else text[: limit - 3] + "..."
