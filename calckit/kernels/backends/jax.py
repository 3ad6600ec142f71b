"""The JAX backend of calckit kernels (private; imported only when
``backend="jax"`` is asked for, see :mod:`calckit.kernels.backends`).

Functions are ``jax.numpy``'s and ``jax.scipy.special``'s under their NumPy
and SciPy names; ``expit`` is ``jax.nn.sigmoid`` (``lax.logistic``, stable
in both tails), ``softplus`` prints ``logaddexp(0, x)`` (exact: no ``x > 20``
shortcut). Arguments may be JAX arrays (tracers under ``jax.jit``), NumPy
arrays or numbers; the kernel computes in the promoted floating dtype of its
array arguments (float32 stays float32), in the kernel's ``dtype``
(canonicalized by JAX: float32 unless ``jax_enable_x64``) when none is
floating.

>>> import jax.numpy as jnp
>>> import calckit as ck
>>> k = ck.compile("softplus(x)", backend="jax")
>>> k(jnp.array([0.0, 1000.0], jnp.float32))
Array([6.931472e-01, 1.000000e+03], dtype=float32)
"""

from __future__ import annotations

import types

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
import numpy

from calckit.errors import CalckitTypeError, ShapeError
from calckit.kernels.backends import Backend
from calckit.kernels.backends.names import NUMPY_NAMES, SPECIAL_NAMES
from calckit.kernels.runtime import _ipow, _reduce
from calckit.symbolic._coerce import _short

__all__ = ["BACKEND"]


def _logsumexp(*args):
    """``log(sum(exp(args)))`` over many arguments, max-shifted."""
    return jsp.logsumexp(jnp.stack(jnp.broadcast_arrays(*args), axis=-1), axis=-1)


def _namespace():
    ns = {n: getattr(jnp, n) for n in NUMPY_NAMES if hasattr(jnp, n)}
    ns.update({n: getattr(jsp, n) for n in SPECIAL_NAMES if hasattr(jsp, n)})
    ns["expit"] = jax.nn.sigmoid
    return types.SimpleNamespace(**ns)


def _is_floating(dtype) -> bool:
    return jnp.issubdtype(dtype, jnp.floating)


def _prepare(args, names, default):
    """Arguments as JAX arrays of one floating dtype, their broadcast shape,
    the dtype and (for symmetry with torch) the device, None."""
    floating = []
    for a, n in zip(args, names, strict=True):
        if isinstance(a, (jax.Array, numpy.ndarray)):
            if not (jnp.issubdtype(a.dtype, jnp.number) or a.dtype == bool):
                raise CalckitTypeError(
                    f"argument {n} must be numeric, got an array of dtype {a.dtype}"
                )
            if _is_floating(a.dtype):
                floating.append(a.dtype)
        elif not isinstance(a, (int, float, numpy.number)) or isinstance(a, bool):
            raise CalckitTypeError(
                f"argument {n} of a backend='jax' kernel must be a JAX or NumPy "
                f"array or a number, got {type(a).__name__}: {_short(a)}"
            )
    if floating:
        dtype = jnp.result_type(*floating)
    else:
        dtype = jax.dtypes.canonicalize_dtype(default)
    out = tuple(jnp.asarray(a, dtype) for a in args)
    try:
        shape = numpy.broadcast_shapes(*(a.shape for a in out))
    except ValueError:
        shapes = ", ".join(f"{n}: {a.shape}" for n, a in zip(names, out, strict=True))
        raise ShapeError(f"kernel arguments do not broadcast together: {shapes}") \
            from None
    return out, shape, dtype, None


def _single(value, shape, dtype, dev):
    return jnp.broadcast_to(jnp.asarray(value, dtype), shape)


def _assemble(values, slots, tail, shape, dtype, dev):
    cols = [jnp.zeros(shape, dtype) if s is None
            else _single(values[s], shape, dtype, dev) for s in slots]
    return jnp.stack(cols, axis=-1).reshape(shape + tail)


BACKEND = Backend(
    name="jax",
    namespace={
        "_xp": _namespace(), "_prepare": _prepare, "_single": _single,
        "_assemble": _assemble, "_ipow": _ipow, "_reduce": _reduce,
        "_logsumexp": _logsumexp,
    },
    cast=".astype(_dtype)",
    array_types=(jax.Array,),
)
