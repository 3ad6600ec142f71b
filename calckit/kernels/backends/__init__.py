"""Array backends of calckit kernels: the same stable, CSE'd code written
against ``jax.numpy`` or ``torch`` instead of NumPy (see
:func:`calckit.compile`'s ``backend=``).

A backend is one small module (:mod:`calckit.kernels.backends.jax`,
:mod:`calckit.kernels.backends.torch`) holding a :class:`Backend`: its
name, the namespace the generated code runs in (``_xp``: the engine's
functions under their NumPy names, stable forms written in the engine's
primitives where it has none) and the argument preparation (conversion,
common dtype and device, broadcast shape). The engine is imported only when
a backend is asked for; asking for one that is not installed raises
:class:`BackendUnavailableError` naming the extra to install. The capability
table :func:`capabilities` (function by backend) is derived from the
namespaces, so it never disagrees with what compiles.

Dask arrays are not a backend: NumPy kernels accept them and return dask
arrays, evaluated chunk by chunk (:mod:`calckit.kernels.backends.dask`).

>>> get("numpy") is None
True
>>> get("tensorflow")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
calckit.errors.InvalidParameterError: backend: 'tensorflow' is not one of ...
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from calckit.errors import BackendUnavailableError, InvalidParameterError
from calckit.kernels.backends._engines import require

__all__ = ["BACKENDS", "Backend", "BackendKernel", "BackendUnavailableError",
           "build", "capabilities", "get"]

#: backend name -> (engine module, calckit module, extra to install)
BACKENDS = {
    "numpy": None,
    "jax": ("jax", "calckit.kernels.backends.jax", "jax"),
    "torch": ("torch", "calckit.kernels.backends.torch", "torch"),
}


@dataclass(frozen=True)
class Backend:
    """What generated code for one engine needs.

    Attributes
    ----------
    name : str
        ``"jax"`` or ``"torch"``.
    namespace : dict
        Globals of the generated module: ``_xp`` (functions under their NumPy
        names), ``_prepare``, ``_single``, ``_assemble`` and the runtime
        helpers ``_ipow``, ``_reduce``, ``_logsumexp``.
    cast : str
        Source text turning a boolean array into the kernel's float dtype
        (``.astype(_dtype)``, ``.to(_dtype)``).
    array_types : tuple of type
        The engine's array types (its tensors).
    """

    name: str
    namespace: dict = field(repr=False)
    cast: str
    array_types: tuple = field(repr=False)

    @property
    def names(self) -> frozenset:
        """NumPy/SciPy function names the backend implements."""
        return frozenset(vars(self.namespace["_xp"]))


def get(name) -> Backend | None:
    """The :class:`Backend` called ``name`` (None for ``"numpy"``).

    Raises
    ------
    InvalidParameterError
        ``name`` is no backend.
    BackendUnavailableError
        Its engine is not installed.
    """
    if isinstance(name, Backend):
        return name
    if not isinstance(name, str) or name not in BACKENDS:
        options = ", ".join(repr(n) for n in BACKENDS)
        raise InvalidParameterError(f"backend: {name!r} is not one of {options}")
    spec = BACKENDS[name]
    if spec is None:
        return None
    engine, module, extra = spec
    require(engine, extra, f"backend={name!r}")
    return importlib.import_module(module).BACKEND


def capabilities(names=None) -> dict:
    """``{function: {backend: bool}}`` for the NumPy/SciPy functions kernels
    print, over the installed backends (a backend whose engine is missing
    is left out).

    >>> table = capabilities(["exp"])
    >>> all(table["exp"].values())
    True
    """
    found = {}
    for b in BACKENDS:
        if b == "numpy":
            continue
        try:
            engine = get(b)
            assert engine is not None  # only "numpy" maps to None
            found[b] = engine.names
        except BackendUnavailableError:
            continue
    if names is None:
        names = sorted(set().union(*found.values())) if found else []
    return {n: {b: n in have for b, have in found.items()} for n in names}


# after Backend and the error: codegen imports nothing from here
from calckit.kernels.backends.codegen import BackendKernel, build  # noqa: E402
