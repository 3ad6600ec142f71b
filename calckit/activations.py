"""Activation functions as exact SymPy definitions (PyTorch conventions).

Each is a function from a SymPy expression (or a string) to a SymPy
expression; :func:`get` looks one up by name and :func:`names` lists them.
The definitions live in :mod:`calckit.symbolic.activations`.

>>> import sympy as sp
>>> import calckit as ck
>>> x = sp.Symbol("x", real=True)
>>> ck.activations.get("softplus")(x), ck.activations.names()[-1]
(softplus(x), 'tanh')
>>> ck.activations.swish is ck.activations.silu
True
"""

from calckit.symbolic.activations import (
    REGISTRY,
    SELU_ALPHA,
    SELU_SCALE,
    elu,
    gelu,
    gelu_tanh,
    get,
    hard_sigmoid,
    hard_tanh,
    identity,
    leaky_relu,
    log_sigmoid,
    mish,
    names,
    relu,
    selu,
    silu,
    softsign,
    swish,
    tanh,
)
from calckit.symbolic.activations import sigmoid_ as sigmoid
from calckit.symbolic.activations import softplus_ as softplus

__all__ = [
    "get",
    "names",
    "REGISTRY",
    "SELU_ALPHA",
    "SELU_SCALE",
    "identity",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "gelu_tanh",
    "swish",
    "silu",
    "softplus",
    "mish",
    "softsign",
    "hard_sigmoid",
    "hard_tanh",
    "log_sigmoid",
]
