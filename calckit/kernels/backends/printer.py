"""The printer of backend kernels (private): calckit's
:class:`~calckit.kernels.printer.KernelPrinter` with every NumPy/SciPy
function written as ``_xp.<numpy name>``.

Everything the NumPy printer (and calckit's stable primitives, through their
``_numpycode``) prints goes through ``_module_format("numpy.exp")``; this
printer maps that one call through the backend's table (the names of its
``_xp`` namespace) and so changes no printing rule. A function the backend
lacks raises :class:`~calckit.kernels.printer.UnsupportedError` naming the
function and the backend at compile time. Boolean masks cast with
``.astype(float)`` become the backend's cast to the kernel's dtype, so that
``float32`` stays ``float32``; ``And``/``Or`` are nested ``logical_and``/
``logical_or`` (no ``ufunc.reduce`` outside NumPy).

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> p = BackendPrinter("jax", frozenset({"exp", "logaddexp"}), ".astype(_dtype)")
>>> p.doprint(sp.exp(x) + sp.Symbol("y"))
'y + _xp.exp(x)'
>>> p.doprint(sp.gamma(x))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
calckit.kernels.printer.UnsupportedError: scipy.special.gamma (gamma) has no jax ...
"""

from __future__ import annotations

from calckit.kernels.printer import KernelPrinter, UnsupportedError

__all__ = ["BackendPrinter"]

_PREFIXES = ("numpy.", "scipy.special.", "scipy.")


class BackendPrinter(KernelPrinter):
    """:class:`KernelPrinter` printing ``numpy.f``/``scipy.special.f`` as
    ``_xp.f`` when ``f`` is in ``names`` (see the module docstring)."""

    def __init__(self, backend: str, names: frozenset, cast: str):
        super().__init__()
        self.backend = backend
        self.names = names
        self.cast = cast

    def _module_format(self, fqn, register=True):
        for prefix in _PREFIXES:
            if fqn.startswith(prefix):
                name = fqn[len(prefix):]
                if name in self.names:
                    return f"_xp.{name}"
                break
        raise UnsupportedError(
            f"{fqn} ({fqn.rsplit('.', 1)[-1]}) has no {self.backend} "
            "implementation in calckit"
        )

    def doprint(self, expr, assign_to=None):
        return super().doprint(expr, assign_to).replace(".astype(float)", self.cast)

    def _print_And(self, expr):
        return self._chain("numpy.logical_and", expr.args)

    def _print_Or(self, expr):
        return self._chain("numpy.logical_or", expr.args)

    def _chain(self, name, args):
        fn = self._module_format(name)
        text = self._print(args[0])
        for a in args[1:]:
            text = f"{fn}({text}, {self._print(a)})"
        return text
