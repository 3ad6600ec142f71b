"""Look-ups by name in the read-only registries of
:mod:`calckit.symbolic.activations` and :mod:`calckit.symbolic.losses`
(the whitelist of functions the parser may call lives in
:mod:`calckit.symbolic.parse`, which imports those registries).

>>> import types
>>> table = types.MappingProxyType({"relu": abs})
>>> lookup(table, " ReLU ", "activation") is abs
True
>>> normalize("Leaky-ReLU")
'leaky_relu'
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TypeVar

from calckit.errors import UnknownNameError

__all__ = ["normalize", "lookup"]

_V = TypeVar("_V")


def normalize(name: str) -> str:
    """The registry key of ``name``: stripped, lower case, ``-`` as ``_``."""
    return name.strip().lower().replace("-", "_")


def lookup(registry: Mapping[str, _V], name: object, kind: str) -> _V:
    """``registry[name]`` or :class:`UnknownNameError` naming close matches."""
    if not isinstance(name, str):
        raise UnknownNameError(
            f"{kind} names are strings; got {type(name).__name__}: {name!r}"
        )
    key = normalize(name)
    if key in registry:
        return registry[key]
    close = difflib.get_close_matches(key, list(registry), n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    raise UnknownNameError(
        f"unknown {kind} {name!r}.{hint} Known {kind}s: {', '.join(sorted(registry))}."
    )
