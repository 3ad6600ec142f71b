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

from calckit.symbolic.losses import *  # noqa: F403  (every name of __all__)
from calckit.symbolic.losses import __all__  # noqa: F401
