"""Runtime helpers of tensor kernels (private; see :mod:`calckit.kernels.tensor`).

Argument conversion that keeps float32 float32 (``_float_dtype``), a
:class:`~calckit.errors.ShapeError` naming the argument, its expected dims
and what each dim name was bound to (``_bad_shape``), and overflow-free
reductions along an axis (``_lse``, ``_softmax``, ``_logdet``).

>>> import numpy as np
>>> x = np.array([[1000.0, 0.0], [-1000.0, -1000.0]])
>>> _lse(x, 1, False)
array([1000.        , -999.30685282])
>>> _softmax(x, 1)[0]
array([1., 0.])
"""

from __future__ import annotations

import numpy

from calckit.errors import CalckitTypeError, ShapeError

__all__ = ["TENSOR_RUNTIME", "split_flat"]

_F64 = numpy.dtype(numpy.float64)
_F32 = numpy.dtype(numpy.float32)


def _float_dtype(*args):
    """float32 if every array argument is float32 (Python numbers adapt),
    float64 otherwise; a :class:`CalckitTypeError` for non-real input."""
    dt: numpy.dtype | None = None
    for a in args:
        t = getattr(a, "dtype", None)
        if t is None:
            if isinstance(a, (bool, int, float)):
                continue
            t = numpy.asarray(a).dtype
        if t == _F32 and dt is None:
            dt = _F32
        elif t.kind in "fiub":
            if t != _F32:
                dt = _F64
        else:
            raise CalckitTypeError(
                f"tensor kernel arguments must be real numbers or arrays, got dtype {t}"
            )
    return _F64 if dt is None else dt


def _arg(x, dt, name):
    if type(x) is numpy.ndarray and x.dtype is dt:
        return x
    try:
        return numpy.asarray(x, dt)
    except (TypeError, ValueError) as exc:
        raise CalckitTypeError(f"argument {name!r} must be an array of numbers, got "
                               f"{type(x).__name__}: {exc}") from None


def _fmt(shape) -> str:
    inner = ", ".join(map(str, shape))
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _bad_shape(spec, arrays):
    """Raise the :class:`ShapeError` for arguments that do not fit ``spec``
    (pairs ``(name, expected dims)``)."""
    bound: dict = {}
    for (name, dims), a in zip(spec, arrays, strict=True):
        got = numpy.shape(a)
        if len(got) != len(dims):
            raise ShapeError(
                f"argument {name!r} must have shape {_fmt(dims)} ({len(dims)} axes), "
                f"got shape {_fmt(got)}"
            )
        for d, g in zip(dims, got, strict=True):
            if isinstance(d, int):
                if g != d:
                    raise ShapeError(f"argument {name!r} must have shape {_fmt(dims)}"
                                     f", got shape {_fmt(got)}")
                continue
            if d in bound and bound[d][0] != g:
                size, who, shape = bound[d]
                raise ShapeError(
                    f"argument {name!r} has shape {_fmt(got)} but expected "
                    f"{_fmt(dims)} with {d} = {size} (bound by {who!r} of shape "
                    f"{_fmt(shape)})"
                )
            bound.setdefault(d, (g, name, got))
    raise ShapeError("tensor kernel arguments do not fit their shapes")  # unreachable


def _lse(a, axis, keepdims):
    """``log(sum(exp(a), axis))`` without overflow (max shifted out)."""
    m = a.max(axis=axis, keepdims=True)
    if not numpy.all(numpy.isfinite(m)):
        m = numpy.where(numpy.isfinite(m), m, 0)
    out = numpy.log(numpy.exp(a - m).sum(axis=axis, keepdims=True)) + m
    if keepdims:
        return out
    return out.reshape(()) if axis is None else out.squeeze(axis)


def _softmax(a, axis):
    e = numpy.exp(a - a.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def _logdet(a):
    """``log(det(a))``; ``nan`` when the determinant is not positive."""
    sign, value = numpy.linalg.slogdet(a)
    return value if sign > 0 else a.dtype.type(numpy.nan)


TENSOR_RUNTIME = {
    "_ndarray": numpy.ndarray,
    "_FLOATS": frozenset({_F32, _F64}),
    "_float_dtype": _float_dtype,
    "_arg": _arg,
    "_bad_shape": _bad_shape,
    "_lse": _lse,
    "_softmax": _softmax,
    "_logdet": _logdet,
}


def split_flat(flat, shapes) -> list:
    """The arrays of shapes ``shapes.values()`` packed one after another,
    row-major, in the flat vector ``flat`` (how the optimizers and the
    gradient check see several tensor variables as one point).

    >>> [a.tolist() for a in split_flat(numpy.arange(5.0), {"w": (2,), "M": (1, 3)})]
    [[0.0, 1.0], [[2.0, 3.0, 4.0]]]
    """
    out, i = [], 0
    for shape in shapes.values():
        size = int(numpy.prod(shape, dtype=int))
        out.append(flat[i:i + size].reshape(shape))
        i += size
    return out
