"""The calckit error hierarchy.

Every error calckit raises is a :class:`CalckitError` and also the matching
builtin, so ``except ValueError`` keeps working for users who do not know
calckit. Messages name the offending input and say what to do.

>>> from calckit.errors import ParseError
>>> err = ParseError("unexpected token '@'", text="x @ y", position=2, token="@")
>>> isinstance(err, ValueError), err.position
(True, 2)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CalckitError",
    "ParseError",
    "ShapeError",
    "UnknownNameError",
    "CalckitTypeError",
    "InvalidParameterError",
    "DifferentiationError",
    "NumericError",
    "WorkLimitError",
    "BackendUnavailableError",
]


class CalckitError(Exception):
    """Base class of every error raised by calckit."""


class ParseError(CalckitError, ValueError):
    """Text that :func:`calckit.parse` refuses.

    Attributes
    ----------
    text : str or None
        The input (possibly truncated for display).
    position : int or None
        0-based index of the offending token in ``text``.
    token : str or None
        The offending token.
    """

    def __init__(self, message, *, text=None, position=None, token=None):
        super().__init__(message)
        self.text = text
        self.position = position
        self.token = token


class ShapeError(CalckitError, ValueError):
    """Arrays whose shapes do not fit (do not broadcast, wrong length, ...)."""


class UnknownNameError(CalckitError, LookupError):
    """A name that is not in a registry (activation, loss, optimizer, ...)."""

    def __str__(self):  # LookupError/KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class CalckitTypeError(CalckitError, TypeError):
    """An argument of the wrong type."""


class InvalidParameterError(CalckitError, ValueError):
    """A hyperparameter or option outside its allowed range."""


class DifferentiationError(CalckitError, ValueError):
    """A derivative that cannot be formed (bad variable, bad order, ...)."""


class NumericError(CalckitError, ValueError):
    """Numeric evaluation that cannot be done as asked (e.g. complex step
    on a function that does not accept complex input).

    When ``Sequential.fit`` diverges with ``on_divergence="raise"``, the
    error also carries ``history``, the training record up to that epoch.
    """

    history: Any  # set only by calckit.nn's fit (a calckit.nn History)


class WorkLimitError(CalckitError, RuntimeError):
    """Symbolic work (derivation, expansion, compilation) that would exceed
    its explicit budget. The message names the step, the budget
    (``max_ops``) and how to raise it."""


class BackendUnavailableError(CalckitError, ImportError):
    """An optional engine (JAX, PyTorch, Dask) is asked for but not
    installed; the message names the extra to install."""
