"""Dask arrays through NumPy kernels (private; imported when a kernel first
meets a dask array, see :class:`calckit.Kernel`).

``kernel(*args)`` with any argument a ``dask.array.Array`` returns a dask
array of the same shape ``broadcast_shape + expr_shape``: the NumPy kernel
applied chunk by chunk with ``dask.array.apply_gufunc`` (signature
``"(),(),()->(m)"``: every argument a loop dimension, the output's
trailing shape the core dimensions), lazily: nothing is computed until the
caller asks. NumPy arrays and numbers among the arguments are cut into the
chunks of the dask arguments (size-1 axes broadcast); dask arguments chunked
differently along one broadcast axis are refused with a
:class:`~calckit.errors.ShapeError` naming them (rechunk them alike; calckit
never moves data behind the user's back).

>>> import numpy as np
>>> import dask.array as da
>>> import calckit as ck
>>> k = ck.compile_grad("log(1 + exp(w*x + b))", wrt="w b", params="x")
>>> x = da.linspace(-3.0, 3.0, 8, chunks=4)
>>> g = k(0.5, 0.0, x)
>>> g.shape, g.chunks
((8, 2), ((4, 4), (2,)))
>>> bool(np.allclose(g.compute(), k(0.5, 0.0, x.compute())))
True
"""

from __future__ import annotations

import numpy

from calckit.errors import ShapeError
from calckit.kernels.backends._engines import require
from calckit.kernels.runtime import _asarray, _is_deferred

__all__ = ["evaluate"]

_CORE = "abcdefgh"


def _broadcast_shape(names, args) -> tuple:
    shapes = [tuple(a.shape) if _is_deferred(a) else numpy.shape(a) for a in args]
    try:
        return tuple(numpy.broadcast_shapes(*shapes))
    except ValueError:
        text = ", ".join(f"{n}: {s}" for n, s in zip(names, shapes, strict=True))
        raise ShapeError(f"kernel arguments do not broadcast together: {text}") \
            from None


def _common_chunks(names, args, nd) -> list:
    """Chunks of each broadcast axis (None: no dask argument spans it)."""
    chunks: list = [None] * nd
    owner: list = [None] * nd
    for a, n in zip(args, names, strict=True):
        if not _is_deferred(a):
            continue
        for i, (size, c) in enumerate(zip(a.shape, a.chunks, strict=True)):
            ax = nd - a.ndim + i
            if size == 1:
                continue  # broadcast
            if chunks[ax] is None:
                chunks[ax], owner[ax] = c, n
            elif chunks[ax] != c:
                raise ShapeError(
                    f"dask arguments {owner[ax]} and {n} are chunked differently "
                    f"along broadcast axis {ax}: {owner[ax]}: {_brief(chunks[ax])}, "
                    f"{n}: {_brief(c)}; rechunk them alike, e.g. "
                    f"{n} = {n}.rechunk({owner[ax]}.chunks)"
                )
    return chunks


def _brief(chunks) -> str:
    text = str(tuple(chunks))
    return text if len(text) < 60 else text[:57] + "...)"


def _as_dask(da, a, name, dtype, chunks, nd):
    if _is_deferred(a):
        return a
    arr = _asarray(a, dtype, name)  # the kernel's own checks and messages
    if arr.ndim == 0:
        return arr
    cut = tuple(
        chunks[nd - arr.ndim + i] if size > 1 and chunks[nd - arr.ndim + i] else size
        for i, size in enumerate(arr.shape)
    )
    return da.from_array(arr, chunks=cut)


def evaluate(kernel, args):
    """``kernel(*args)`` as a dask array, chunk by chunk (lazy)."""
    da = require("dask.array", "dask", "a dask array argument")
    names = kernel.signature
    nd = len(_broadcast_shape(names, args))
    chunks = _common_chunks(names, args, nd)
    conv = [_as_dask(da, a, n, kernel.dtype, chunks, nd)
            for a, n in zip(args, names, strict=True)]
    core = _CORE[: len(kernel.expr_shape)]
    sig = ",".join("()" for _ in args) + f"->({','.join(core)})"
    return da.apply_gufunc(
        kernel.function, sig, *conv, output_dtypes=kernel.dtype,
        output_sizes=dict(zip(core, kernel.expr_shape, strict=True)),
    )
