"""Source of backend kernels (private; see :mod:`calckit.kernels.backends`).

The body is the NumPy generator's own (:func:`calckit.kernels.codegen._body`:
constants folded, shared ``expit``, CSE across all outputs, power chains,
temporaries deleted after their last use), printed by a
:class:`~calckit.kernels.backends.printer.BackendPrinter`. What differs is
what NumPy-only machinery did: there are no in-place writes (JAX arrays are
immutable; ``torch.compile`` and autograd prefer pure code), no block loop
(the engines fuse or tile themselves), and every ``Piecewise`` is a nested
``where`` (no masked gather: shapes stay static under ``jax.jit``, and the
engines do not warn on the untaken branch). The function reads:

.. code-block:: python

    def _kernel(x, y):
        (x, y), _shape, _dtype, _dev = _prepare((x, y,), ('x', 'y'), _default)
        _c1_0 = _xp.exp(x)
        ...
        return _assemble((v0, v1), (0, 1, None), (3,), _shape, _dtype, _dev)
"""

from __future__ import annotations

import math

import sympy as sp

from calckit.errors import CalckitTypeError, InvalidParameterError
from calckit.kernels.backends.printer import BackendPrinter
from calckit.kernels.codegen import _body, _check_derivatives, _Module
from calckit.kernels.inert import inert_extrema
from calckit.kernels.inputs import real_hint
from calckit.kernels.kernel import Kernel
from calckit.kernels.printer import UnsupportedError
from calckit.kernels.source import execute, undefined_names
from calckit.symbolic._coerce import _short

__all__ = ["BackendKernel", "build", "generate"]


class BackendKernel(Kernel):
    """A :class:`~calckit.Kernel` running on an array backend; its
    ``backend`` attribute names it (``"jax"``, ``"torch"``). The output has
    the inputs' floating dtype and device (the kernel's ``dtype`` when no
    input is floating)."""

    __slots__ = ("backend",)

    def __init__(self, *, backend: str, **kwargs):
        super().__init__(**kwargs)
        self.backend = backend

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, backend={self.backend!r})"


class _Functional(_Module):
    masked = False


def generate(entries, shape, args, backend, *, cse: bool = True, labels=None) -> str:
    """Source of a module defining ``_kernel(*args)`` for ``backend``
    (arguments as for :func:`calckit.kernels.codegen.generate`)."""
    printer = BackendPrinter(backend.name, backend.names, backend.cast)
    mod = _Functional(cse, printer)
    names = [str(a) for a in args]
    labels = tuple(labels) if labels is not None else tuple(names)
    entries = [inert_extrema(sp.sympify(e)) for e in entries]
    _check_derivatives(entries, args, labels)
    unique: list = []
    slots: list[int | None] = []
    for e in entries:
        if e.is_Number and e == 0:
            slots.append(None)
            continue
        if e not in unique:
            unique.append(e)
        slots.append(unique.index(e))
    lines, values = _body(mod, unique, indent="    ") if unique else ([], [])
    tup = f"({', '.join(names)},)"
    head = f"    {tup if names else '_args'}, _shape, _dtype, _dev = "
    head += f"_prepare({tup if names else '()'}, {labels!r}, _default)"
    src = [*mod.helpers, f"def _kernel({', '.join(names)}):", head, *lines]
    if shape == () or (len(entries) == 1 and math.prod(shape) == 1):
        value = values[0] if values else "0.0"
        if value in names:  # never hand an input array back
            value = f"({value}*1)"
        tail = "" if shape == () else f".reshape(_shape + {tuple(shape)!r})"
        src.append(f"    return _single({value}, _shape, _dtype, _dev){tail}")
    else:
        vals = f"({', '.join(values)}{',' if len(values) == 1 else ''})"
        src.append(f"    return _assemble({vals}, {tuple(slots)!r}, "
                   f"{tuple(shape)!r}, _shape, _dtype, _dev)")
    return "\n".join(src) + "\n"


def build(backend, *, structure, entries, printed, shape, wrt, params, args,
          labels, cse, stable, dtype) -> BackendKernel:
    """The :class:`BackendKernel` of the (stable, renamed) ``printed``
    entries; called by :func:`calckit.kernels._build`."""
    if dtype.kind == "c":
        raise InvalidParameterError(
            f"dtype {dtype}: backend={backend.name!r} kernels are real; compile "
            "complex kernels with backend='numpy'"
        )
    try:
        source = generate(printed, shape, args, backend, cse=cse, labels=labels)
    except UnsupportedError as exc:
        raise CalckitTypeError(
            f"cannot compile {_short(structure)} for backend={backend.name!r}: "
            f"{exc}{real_hint(args)}"
        ) from None
    unknown = [n for n in undefined_names(source)
               if n not in backend.namespace and n != "_default"]
    if unknown:
        raise CalckitTypeError(
            f"cannot compile {_short(structure)}: no {backend.name} translation "
            f"for {', '.join(unknown)}"
        )
    fn = execute(source, dtype, backend.namespace)
    return BackendKernel(
        backend=backend.name, exprs=structure, entries=entries, wrt=wrt,
        params=params, signature=tuple(labels), expr_shape=shape, source=source,
        dtype=dtype, cse=cse, stable=stable, fn=fn,
    )
