"""What users hand to :func:`calckit.compile`, made uniform (private): the
expressions as a flat tuple of entries with their shape, the arguments as
symbols (:func:`normalize`, :func:`resolve`, :func:`as_dtype`), checked for
real values with a real dtype (:func:`check_real`).

>>> import sympy as sp
>>> normalize(["x + 1", 2])[2]
(2,)
>>> as_dtype("float32")
dtype('float32')
"""

from __future__ import annotations

import numpy
import sympy as sp

from calckit.errors import CalckitTypeError, InvalidParameterError
from calckit.kernels.dag import holds, symbols_of
from calckit.symbolic._coerce import _short, as_expr, as_symbols

__all__ = ["as_dtype", "check_real", "normalize", "real_hint", "resolve"]


def as_dtype(dtype) -> numpy.dtype:
    """``dtype`` as a NumPy floating or complex dtype, else
    :class:`~calckit.errors.InvalidParameterError` naming it."""
    try:
        out = numpy.dtype(dtype)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"dtype: {_short(dtype, 60)} is not a NumPy dtype ({exc}); use a "
            "floating or complex one such as numpy.float64 or complex"
        ) from None
    if out.kind not in "fc":
        raise InvalidParameterError(
            f"dtype: {_short(dtype, 60)} ({out}) is not a floating or complex "
            "dtype; kernels compute in numpy.float64, float32, complex, ..."
        )
    return out


def normalize(exprs):
    """(structure, entries tuple, expr_shape) of the user's ``exprs``."""
    if isinstance(exprs, sp.MatrixBase):
        m = sp.ImmutableMatrix(exprs)
        entries = tuple(_entry(e) for row in m.tolist() for e in row)
        return m, entries, tuple(m.shape)
    if isinstance(exprs, numpy.ndarray) and exprs.ndim == 2:
        return normalize(sp.ImmutableMatrix(exprs.tolist()))
    if isinstance(exprs, (list, tuple, numpy.ndarray)):
        items = list(exprs)
        if items and all(isinstance(r, (list, tuple)) for r in items):
            widths = {len(r) for r in items}
            if len(widths) != 1:
                raise CalckitTypeError(
                    f"exprs: rows of a nested list must have equal lengths, got "
                    f"lengths {sorted(widths)}"
                )
            return normalize(sp.ImmutableMatrix(items))
        entries = tuple(_entry(e, i) for i, e in enumerate(items))
        return entries, entries, (len(entries),)
    e = as_expr(exprs, name="exprs")
    return e, (e,), ()


def _entry(e, i=None):
    if isinstance(e, sp.Expr):  # fast path for large matrices
        return e
    return as_expr(e, name="exprs entry" if i is None else f"exprs[{i}]")


def resolve(entries, wrt, params, *, check=True):
    """(wrt, params) as tuples of symbols; checks coverage and overlap."""
    entries = [e for e in dict.fromkeys(entries) if not e.is_Number]
    # names resolve against the free symbols; computed once (not per name)
    held = sorted(symbols_of(entries), key=str)
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


def check_real(structure, entries, dtype) -> None:
    """:class:`CalckitTypeError` if an entry holds the imaginary unit ``I``
    (``sqrt(-1)``, ``log(-1)``, ``acosh(0)`` parse to expressions in ``I``):
    a real kernel would drop its imaginary part."""
    if not holds(entries, sp.I):
        return
    for e in dict.fromkeys(entries):  # distinct entries, in order
        if not e.is_Number and e.has(sp.I):
            raise CalckitTypeError(
                f"cannot compile {_short(structure)}: complex-valued: contains I "
                f"(the imaginary unit) in {_short(e)}, but dtype is {dtype}; "
                "compile with dtype=complex for complex values"
            )


def real_hint(args) -> str:
    """A hint when some arguments are not known to be real (SymPy then keeps
    derivatives such as ``d|x|/dx`` unevaluated)."""
    loose = [s.name for s in args if not s.is_extended_real]
    if not loose:
        return ""
    return (
        f"; symbol(s) {loose} are not known to be real: create them with "
        "real=True (as calckit.parse does)"
    )
