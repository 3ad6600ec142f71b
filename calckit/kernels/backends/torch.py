"""The PyTorch backend of calckit kernels (private; imported only when
``backend="torch"`` is asked for, see :mod:`calckit.kernels.backends`).

Functions are ``torch``'s and ``torch.special``'s under their NumPy and SciPy
names. PyTorch's binary functions (``maximum``, ``logaddexp``, ``heaviside``,
comparisons, ...) refuse a Python number where NumPy broadcasts it: here
they take one and make it a 0-d tensor of the other operand's dtype and
device. ``softplus`` prints ``logaddexp(0, x)``: exact, unlike
``torch.nn.functional.softplus``, which returns ``x`` itself beyond its
``threshold`` (20). ``cbrt`` is ``sign(x)*|x|**(1/3)``; ``gamma`` and
SciPy's orthogonal polynomials have no translation (compiling them raises).

Arguments are tensors (one device) or numbers; NumPy arrays only when no
argument is a tensor (then the kernel works on CPU tensors). The kernel
computes in the promoted floating dtype of its tensor arguments (float32
stays float32), in the kernel's ``dtype`` when none is floating.

>>> import torch
>>> import calckit as ck
>>> k = ck.compile("softplus(x)", backend="torch")
>>> k(torch.tensor([0.0, 1000.0]))
tensor([6.9315e-01, 1.0000e+03])
"""

from __future__ import annotations

import types

import numpy
import torch

from calckit.errors import CalckitTypeError, ShapeError
from calckit.kernels.backends import Backend
from calckit.kernels.backends.names import NUMPY_NAMES, SPECIAL_NAMES
from calckit.kernels.runtime import _ipow, _reduce
from calckit.symbolic._coerce import _short

__all__ = ["BACKEND"]

#: functions of two arrays that refuse a Python number in torch
_BINARY = ("maximum", "minimum", "logaddexp", "logaddexp2", "arctan2", "hypot",
           "heaviside", "ldexp", "copysign", "fmod", "greater", "greater_equal",
           "less", "less_equal", "equal", "not_equal", "logical_and",
           "logical_or", "mod")


def _like(value, ref):
    """The number ``value`` as a 0-d tensor of ``ref``'s (floating) dtype."""
    dtype = ref.dtype if ref.is_floating_point() else torch.float64
    return torch.tensor(value, dtype=dtype, device=ref.device)


def _binary(f):
    def call(a, b):
        if not isinstance(a, torch.Tensor):
            a = _like(a, b)
        elif not isinstance(b, torch.Tensor):
            b = _like(b, a)
        return f(a, b)

    call.__name__ = getattr(f, "__name__", "binary")
    return call


def _cbrt(x):
    return torch.sign(x) * torch.abs(x) ** (1.0 / 3.0)


def _ndtr(x):
    """The normal CDF through ``erfc``: accurate in the lower tail, where
    ``torch.special.ndtr`` rounds to 0 (``ndtr(-37)`` is ``5.7e-300``)."""
    return 0.5 * torch.special.erfc(x * -0.7071067811865476)


def _logsumexp(*args):
    """``log(sum(exp(args)))`` over many arguments, max-shifted."""
    ref = next(a for a in args if isinstance(a, torch.Tensor))
    ts = [a if isinstance(a, torch.Tensor) else _like(a, ref) for a in args]
    return torch.logsumexp(torch.stack(torch.broadcast_tensors(*ts), dim=-1), dim=-1)


def _namespace():
    ns = {n: getattr(torch, n) for n in NUMPY_NAMES if hasattr(torch, n)}
    ns.update({n: getattr(torch.special, n) for n in SPECIAL_NAMES
               if hasattr(torch.special, n)})
    ns.update(cbrt=_cbrt, ndtr=_ndtr, power=torch.pow, mod=torch.remainder,
              conjugate=torch.conj)
    for n in _BINARY:
        ns[n] = _binary(ns[n])
    return types.SimpleNamespace(**ns)


def _torch_dtype(dtype) -> torch.dtype:
    return torch.from_numpy(numpy.empty(0, dtype)).dtype


def _prepare(args, names, default):
    """Arguments as tensors of one floating dtype on one device, their
    broadcast shape, the dtype and the device."""
    tensors = [(a, n) for a, n in zip(args, names, strict=True)
               if isinstance(a, torch.Tensor)]
    floating = [a.dtype for a, _ in tensors if a.is_floating_point()]
    dtype = _torch_dtype(default) if not floating else floating[0]
    for d in floating[1:]:
        dtype = torch.promote_types(dtype, d)
    device = tensors[0][0].device if tensors else torch.device("cpu")
    for a, n in tensors:
        if a.device != device:
            raise CalckitTypeError(
                f"kernel arguments are on different devices: {tensors[0][1]} on "
                f"{device}, {n} on {a.device}; move them to one device"
            )
        if a.is_complex():
            raise CalckitTypeError(f"argument {n} is complex ({a.dtype}); "
                                   "backend='torch' kernels are real")
    out = []
    for a, n in zip(args, names, strict=True):
        if isinstance(a, torch.Tensor):
            out.append(a if a.dtype == dtype else a.to(dtype))
            continue
        if isinstance(a, numpy.ndarray) and a.ndim and tensors:
            raise CalckitTypeError(
                f"argument {n} is a NumPy array but {tensors[0][1]} is a torch "
                f"tensor: convert it first, e.g. torch.as_tensor({n}, "
                f"device={str(device)!r})"
            )
        if isinstance(a, bool) or not isinstance(a, (int, float, numpy.number,
                                                      numpy.ndarray)):
            raise CalckitTypeError(
                f"argument {n} of a backend='torch' kernel must be a tensor or a "
                f"number, got {type(a).__name__}: {_short(a)}"
            )
        if isinstance(a, numpy.ndarray) and a.dtype.kind not in "biuf":
            raise CalckitTypeError(
                f"argument {n} must be numeric, got an array of dtype {a.dtype}"
            )
        out.append(torch.as_tensor(a, dtype=dtype, device=device))
    try:
        shape = torch.broadcast_shapes(*(a.shape for a in out))
    except RuntimeError:
        shapes = ", ".join(f"{n}: {tuple(a.shape)}"
                           for n, a in zip(names, out, strict=True))
        raise ShapeError(f"kernel arguments do not broadcast together: {shapes}") \
            from None
    return tuple(out), tuple(shape), dtype, device


def _single(value, shape, dtype, dev):
    if not isinstance(value, torch.Tensor):
        return torch.full(shape, value, dtype=dtype, device=dev)
    value = value if value.dtype == dtype else value.to(dtype)
    if tuple(value.shape) == shape:
        return value
    return value.expand(shape).clone()


def _assemble(values, slots, tail, shape, dtype, dev):
    cols = [torch.zeros(shape, dtype=dtype, device=dev) if s is None
            else _single(values[s], shape, dtype, dev) for s in slots]
    return torch.stack(cols, dim=-1).reshape(shape + tail)


BACKEND = Backend(
    name="torch",
    namespace={
        "_xp": _namespace(), "_prepare": _prepare, "_single": _single,
        "_assemble": _assemble, "_ipow": _ipow, "_reduce": _reduce,
        "_logsumexp": _logsumexp,
    },
    cast=".to(_dtype)",
    array_types=(torch.Tensor,),
)
