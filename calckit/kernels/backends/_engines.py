"""Importing an optional engine (JAX, PyTorch, Dask) only when asked for."""

from __future__ import annotations

import importlib
from typing import Any

from calckit.errors import BackendUnavailableError

__all__ = ["require"]


def require(engine: str, extra: str, what: str) -> Any:
    """Import the optional ``engine`` module, or raise
    :class:`~calckit.errors.BackendUnavailableError` naming the extra to
    install.

    >>> require("math", "none", "a test").sqrt(4.0)
    2.0
    """
    try:
        return importlib.import_module(engine)
    except ImportError as exc:
        raise BackendUnavailableError(
            f"{what} needs {engine}, which is not installed ({exc}); install it "
            f"with: pip install 'calckit[{extra}]'"
        ) from None
