"""Optimizers by lowercase name: :func:`get` and :func:`names`.

>>> get("adam", lr=0.01)
Adam(lr=0.01, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0, amsgrad=False, \
variant='pytorch')
>>> names()
('sgd', 'adagrad', 'rmsprop', 'adam', 'adamw', 'amsgrad', 'lion', 'newton', 'lbfgs', \
'trust-exact', 'trust-ncg')
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from calckit.errors import CalckitTypeError, UnknownNameError
from calckit.optim._adaptive import Adagrad, Adam, AdamW, RMSprop
from calckit.optim._base import Optimizer
from calckit.optim._lbfgs import LBFGS
from calckit.optim._lion import Lion
from calckit.optim._newton import Newton
from calckit.optim._sgd import SGD
from calckit.optim._trust_region import TrustExact, TrustNCG

__all__ = ["get", "names", "OPTIMIZERS"]

#: name -> optimizer class, or a preset of one (read-only)
OPTIMIZERS: MappingProxyType[str, Callable[..., Optimizer]] = MappingProxyType(
    {
        "sgd": SGD,
        "adagrad": Adagrad,
        "rmsprop": RMSprop,
        "adam": Adam,
        "adamw": AdamW,
        "amsgrad": functools.partial(Adam, amsgrad=True),
        "lion": Lion,
        "newton": Newton,
        "lbfgs": LBFGS,
        "trust-exact": TrustExact,
        "trust-ncg": TrustNCG,
    }
)


def names() -> tuple[str, ...]:
    """The names :func:`get` accepts."""
    return tuple(OPTIMIZERS)


def get(name: str, **kwargs: Any) -> Optimizer:
    """Build the optimizer called ``name`` (lowercase) with ``kwargs``.

    Unknown names raise :class:`~calckit.errors.UnknownNameError` listing close
    matches; arguments the optimizer does not take raise
    :class:`~calckit.errors.CalckitTypeError` listing the ones it does.

    >>> get("adm")
    Traceback (most recent call last):
    ...
    calckit.errors.UnknownNameError: Unknown optimizer 'adm'. Did you mean \
'adam' or 'adamw'? Known optimizers: sgd, adagrad, rmsprop, adam, adamw, amsgrad, \
lion, newton, lbfgs, trust-exact, trust-ncg.
    """
    if not isinstance(name, str):
        raise CalckitTypeError(
            f"The optimizer name must be a str, got {type(name).__name__}: {name!r}"
        )
    cls = OPTIMIZERS.get(name.lower())
    if cls is None:
        close = difflib.get_close_matches(name.lower(), OPTIMIZERS, n=3, cutoff=0.5)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise UnknownNameError(
            f"Unknown optimizer {name!r}.{hint} Known optimizers: "
            f"{', '.join(OPTIMIZERS)}."
        )
    accepted = [p for p in inspect.signature(cls).parameters if p != "self"]
    unknown = [k for k in kwargs if k not in accepted]
    if unknown:
        owner = getattr(cls, "func", cls).__name__  # a preset names its class
        raise CalckitTypeError(
            f"{owner} does not take {', '.join(repr(k) for k in unknown)}; "
            f"its arguments are {', '.join(accepted)}."
        )
    return cls(**kwargs)
