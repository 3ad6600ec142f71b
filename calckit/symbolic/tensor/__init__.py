"""Tensor expressions: losses over weight vectors and data matrices, with
matrix-form derivatives (see docs/howto-matrix-calculus.md).

Shaped symbols (:func:`vector`, :func:`matrix`) combine with NumPy
operators; this namespace also holds the tensor functions (``sum``,
``mean``, ``logsumexp``, ``softmax``, ``norm``, ``trace``, ``diag``,
``outer``, ``inv``, ``logdet``) and every calckit function applied
elementwise by name (``T.sigmoid(X @ w)``, ``T.huber(y, p, delta=2)``).
Names load on first use, so the package is light to import.

>>> import calckit as ck
>>> import calckit.symbolic.tensor as T
>>> X, w = ck.matrix("X", "n", "d"), ck.vector("w", "d")
>>> T.sigmoid(X @ w)
sigmoid(X @ w)
>>> ck.grad(T.sum(T.softplus(X @ w)), wrt=w)
X.T @ sigmoid(X @ w)
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Tensor": "expr",
    "vector": "ops", "matrix": "ops", "tensor_symbol": "ops", "apply": "ops",
    "elementwise_names": "ops", "sum": "ops", "mean": "ops", "logsumexp": "ops",
    "softmax": "ops", "norm": "ops", "trace": "ops", "diag": "ops", "outer": "ops",
    "inv": "ops", "logdet": "ops", "transpose": "ops", "dot": "ops",
    "softmax_cross_entropy": "ops", "kl_divergence": "ops",
    "grad": "api", "derivative": "api", "jacobian": "api", "hessian": "api",
    "hvp": "api", "latex": "api", "parse": "api", "is_tensor": "api",
    "name_shared": "shared",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    if name.startswith("_"):
        raise AttributeError(name)
    ops = importlib.import_module(f"{__name__}.ops")
    if name in ops.elementwise_names():
        return lambda *args, **params: ops.apply(name, *args, **params)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__
