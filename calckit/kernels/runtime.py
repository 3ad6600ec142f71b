"""Runtime helpers of generated calckit kernels (private).

Every kernel made by :mod:`calckit.kernels.codegen` runs with :data:`RUNTIME` in its
namespace: argument conversion and checks (``_asarray``, ``_bshape``,
``_shape_error``, ``_stack_args``), output assembly (``_finish``), block
evaluation of large inputs (``_block_rows``, ``_cut``), integer powers
(``_ipow``) and masked ``Piecewise`` evaluation (``_piecewise``).

>>> import numpy as np
>>> _ipow(np.array([2.0, 3.0]), 9)
array([  512., 19683.])
>>> _bshape((np.ones((3, 1)), np.ones(4), np.float64(1.0)))
(3, 4)
"""

from __future__ import annotations

import math

import numpy

from calckit.errors import CalckitTypeError, ShapeError
from calckit.symbolic._coerce import _short

__all__ = ["RUNTIME", "BLOCK", "Deferred"]

#: elements per block when large inputs are evaluated block by block
BLOCK = 16384


class Deferred(Exception):  # noqa: N818 - a signal, not an error
    """Raised (and caught by :class:`~calckit.Kernel`) when an argument is a
    lazy dask array: the kernel is then mapped over its chunks
    (:mod:`calckit.kernels.backends.dask`) instead of converting it (which
    would compute it)."""


def _is_deferred(x) -> bool:
    """True for a dask array (checked without importing dask)."""
    return type(x).__module__.startswith("dask.array") and hasattr(x, "chunks")


def _bshape(arrays):
    """Broadcast shape of ``arrays`` (plain ``ValueError`` if impossible)."""
    shape = ()
    for a in arrays:  # fast path: scalars and one common shape
        s = a.shape
        if s == shape or not s:
            continue
        if shape:
            return numpy.broadcast_shapes(*[a.shape for a in arrays])
        shape = s
    return shape


def _finish(value, shape, dtype, out=None):
    """Return ``value`` as a fresh array of exactly ``shape`` and ``dtype``
    (written into ``out`` when given)."""
    if out is not None:
        out[...] = value
        return out
    if type(value) is numpy.ndarray and value.shape == shape and value.dtype == dtype:
        return value
    out = numpy.empty(shape, dtype)
    out[...] = value
    return out


def _block_rows(shape):
    """Rows of the leading axis per block, or 0 to evaluate in one go.

    Large inputs are evaluated in blocks of about :data:`BLOCK` elements so
    that the temporaries stay in cache (1.2-2x faster than whole arrays).
    """
    if not shape:
        return 0
    inner = math.prod(shape[1:])
    if not inner:
        return 0
    rows = max(1, BLOCK // inner)
    return rows if shape[0] >= 2 * rows else 0


def _cut(a, i, j, n, nd):
    """Rows ``i:j`` of argument ``a`` if it spans the leading axis."""
    if a.ndim == nd and a.shape[0] == n:
        return a[i:j]
    return a


def _ipow(x, n):
    """``x**n`` for an integer ``n >= 2`` by repeated squaring."""
    result = None
    base = x
    while True:
        if n & 1:
            result = base if result is None else result * base
        n >>= 1
        if not n:
            return result
        base = base * base


def _logsumexp(*args):
    """``log(sum(exp(args)))`` over many arguments: one max-shifted sum over
    a stacked trailing axis (nested ``logaddexp`` calls would nest deeper
    than Python's parser allows).

    >>> float(_logsumexp(1000.0, 1000.0, numpy.array(-numpy.inf)))
    1000.6931471805599
    """
    a = numpy.stack(numpy.broadcast_arrays(*args), axis=-1)
    top = a.max(axis=-1)
    shift = numpy.where(numpy.isfinite(top), top, 0.0)  # all -inf, an inf
    total = numpy.exp(a - shift[..., None]).sum(axis=-1)
    with numpy.errstate(divide="ignore"):  # log(0) = -inf: every term -inf
        return numpy.log(total) + shift


def _reduce(ufunc, *args):
    """``ufunc(ufunc(a, b), c)...`` over many arguments, without nesting
    the calls in the source (``Max`` of 300 symbols).

    >>> _reduce(numpy.maximum, 1.0, numpy.array([0.0, 5.0]), 2.0)
    array([2., 5.])
    """
    result = args[0]
    for a in args[1:]:
        result = ufunc(result, a)
    return result


def _piecewise(shape, dtype, branches, args):
    """Evaluate a lowered ``Piecewise``: each branch only where it applies.

    ``branches`` is a sequence of ``(condition, value)`` functions of
    ``args`` (``condition`` None means ``True``). Each condition sees only
    the elements no earlier condition selected, each value only the elements
    its condition selected (gathered with flat indices). Elements no
    condition selects are ``nan``, as SymPy leaves them undefined.
    """
    sub = [numpy.broadcast_to(a, shape).reshape(-1) for a in args]
    out = numpy.full(math.prod(shape), numpy.nan, dtype)
    idx = None  # flat indices of the unassigned elements; None: all of them
    for cond, value in branches:
        if cond is None:
            if idx is None:
                out[...] = value(*sub)
            else:
                out[idx] = value(*sub)
            break
        c = numpy.broadcast_to(cond(*sub), out.shape if idx is None else idx.shape)
        yes = numpy.flatnonzero(c)
        no = numpy.flatnonzero(~c)
        if yes.size:
            out[yes if idx is None else idx[yes]] = value(*[a.take(yes) for a in sub])
        if not no.size:
            break
        sub = [a.take(no) for a in sub]
        idx = no if idx is None else idx[no]
    return out.reshape(shape)


_NUMERIC_KINDS = {"b", "i", "u", "f"}
_F64 = numpy.dtype(numpy.float64)
_F64_SCALAR = numpy.float64


def _asarray(x, dtype, name=None):
    """``x`` as an array (or NumPy scalar) of ``dtype``; a calckit error for
    non-numeric input."""
    t = type(x)
    if t is numpy.ndarray:
        if x.dtype is dtype or x.dtype == dtype:
            return x
        a = x
    elif (t is float or t is numpy.float64) and dtype is _F64:
        return _F64_SCALAR(x)
    else:
        if _is_deferred(x):
            raise Deferred(name)
        if x is None or isinstance(x, (str, bytes, dict, set)):
            raise CalckitTypeError(
                f"argument {name or ''} must be a number or an array of numbers, "
                f"got {type(x).__name__}: {_short(x)}"
            )
        try:
            a = numpy.asarray(x)
        except (ValueError, TypeError) as exc:
            raise CalckitTypeError(
                f"argument {name or ''} must be a number or an array of numbers, "
                f"got {_short(x)} ({exc})"
            ) from None
    kinds = _NUMERIC_KINDS | ({"c"} if dtype.kind == "c" else set())
    if a.dtype.kind not in kinds:
        raise CalckitTypeError(
            f"argument {name or ''} must be numeric, got an array of dtype "
            f"{a.dtype}: {_short(x)}"
        )
    return a.astype(dtype, copy=False)


def _shape_error(names, arrays):
    pairs = zip(names, arrays, strict=True)
    shapes = ", ".join(f"{n}: {numpy.shape(a)}" for n, a in pairs)
    raise ShapeError(f"kernel arguments do not broadcast together: {shapes}")



def _stack_args(args, dtype, names):
    """All arguments broadcast and stacked along a new trailing axis."""
    if any(_is_deferred(x) for x in args):
        raise Deferred(names)
    try:
        a = numpy.asarray(args)
    except ValueError:  # shapes differ: broadcast below
        a = None
    kinds = _NUMERIC_KINDS | ({"c"} if dtype.kind == "c" else set())
    if a is not None and a.dtype.kind in kinds:
        return numpy.moveaxis(a, 0, -1).astype(dtype, copy=False)
    arrays = [_asarray(x, dtype, n) for x, n in zip(args, names, strict=True)]
    try:
        shape = _bshape(arrays)
    except ValueError:
        _shape_error(names, arrays)
    out = numpy.empty(shape + (len(arrays),), dtype)
    for i, x in enumerate(arrays):
        out[..., i] = x
    return out


def _empty_last(shape, tail, dtype, zeros=False):
    """An output of shape ``shape + tail`` laid out so that each entry
    ``out[..., i]`` is one contiguous block: kernels fill entry by entry, and
    strided writes into a C-ordered array cost up to 1.5x at large N.

    >>> out = _empty_last((4,), (3,), float)
    >>> out.shape, out[..., 0].flags.c_contiguous
    ((4, 3), True)
    """
    make = numpy.zeros if zeros else numpy.empty
    if not shape:
        return make(tail, dtype)
    k, nd = len(tail), len(shape)
    return make(tail + shape, dtype).transpose((*range(k, k + nd), *range(k)))


RUNTIME = {
    "_empty_last": _empty_last,
    "_block_rows": _block_rows,
    "_cut": _cut,
    "_asarray": _asarray,
    "_shape_error": _shape_error,
    "_stack_args": _stack_args,
    "_bshape": _bshape,
    "_finish": _finish,
    "_ipow": _ipow,
    "_piecewise": _piecewise,
    "_logsumexp": _logsumexp,
    "_reduce": _reduce,
}
