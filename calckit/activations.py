"""Activation functions as exact SymPy definitions (PyTorch conventions).

Each is a function from a SymPy expression to a SymPy expression;
:func:`get` looks one up by name and :func:`names` lists them. The
definitions live in :mod:`calckit.symbolic.activations`; this module
re-exports them as ``calckit.activations``.

>>> import sympy as sp
>>> import calckit as ck
>>> x = sp.Symbol("x", real=True)
>>> ck.activations.get("softplus")(x), ck.activations.names()[-1]
(softplus(x), 'tanh')
>>> ck.activations.swish is ck.activations.silu
True
"""

from calckit.symbolic.activations import *  # noqa: F403  (every name of __all__)
from calckit.symbolic.activations import __all__  # noqa: F401
