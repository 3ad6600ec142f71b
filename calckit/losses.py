"""Per-sample losses as exact SymPy definitions (PyTorch conventions).

Each is a function from SymPy expressions (targets first; sequences for the
vector losses) to a SymPy expression; :func:`get` looks one up by name and
:func:`names` lists them. The definitions live in
:mod:`calckit.symbolic.losses`.

>>> import sympy as sp
>>> import calckit as ck
>>> y, z = sp.symbols("y z", real=True)
>>> ck.losses.hinge(y, z)
Piecewise((-y*z + 1, y*z < 1), (0, True))
>>> "focal" in ck.losses.names()
True
"""

from calckit.symbolic.losses import (
    ARGUMENT_KINDS,
    REGISTRY,
    argument_kinds,
    bce_with_logits,
    binary_cross_entropy,
    focal,
    get,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mae,
    mse,
    names,
    poisson_nll,
    softmax_cross_entropy,
    squared_hinge,
)

__all__ = [
    "get",
    "names",
    "argument_kinds",
    "REGISTRY",
    "ARGUMENT_KINDS",
    "mse",
    "mae",
    "huber",
    "log_cosh",
    "binary_cross_entropy",
    "bce_with_logits",
    "softmax_cross_entropy",
    "hinge",
    "squared_hinge",
    "focal",
    "kl_divergence",
    "poisson_nll",
]
