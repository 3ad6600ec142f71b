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

from calckit.kernels.compiler import (
    CACHE_SIZE,
    MAX_OPS,
    cache_clear,
    cache_info,
    compile,
)
from calckit.kernels.derived import (
    compile_grad,
    compile_hessian,
    compile_value_and_grad,
)
from calckit.kernels.kernel import Kernel

__all__ = [
    "Kernel",
    "compile",
    "compile_grad",
    "compile_hessian",
    "compile_value_and_grad",
    "cache_info",
    "cache_clear",
    "CACHE_SIZE",
    "MAX_OPS",
]
