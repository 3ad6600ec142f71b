"""The :class:`Kernel` object :func:`calckit.compile` returns: the generated
function with its signature, source and argument checks (private module;
the class is public as :class:`calckit.Kernel`)."""

from __future__ import annotations

from calckit.errors import CalckitTypeError
from calckit.kernels.runtime import Deferred
from calckit.symbolic._coerce import _short

__all__ = ["Kernel"]


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
    >>> from calckit.kernels import compile
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
        except Deferred:  # a dask array: a dask array out, chunk by chunk
            from calckit.kernels.backends.dask import evaluate
            return evaluate(self, args)

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
