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

from calckit.symbolic import activations as _definitions
from calckit.symbolic.activations import *  # noqa: F403  (every name of __all__)

# The defining module calls two entries ``sigmoid_`` and ``softplus_`` (there
# ``sigmoid`` and ``softplus`` are the SymPy functions); here they go by their
# own names.
sigmoid = _definitions.sigmoid_
softplus = _definitions.softplus_
del sigmoid_, softplus_  # noqa: F405, F821
__all__ = [name.removesuffix("_") for name in _definitions.__all__]
