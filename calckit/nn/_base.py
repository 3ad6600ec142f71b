"""The layer protocol shared by every calckit.nn layer.

A layer holds ``params`` (name -> float64 ndarray), ``grads`` (same keys and
shapes; ``backward`` writes into these arrays in place) and ``buffers``
(non-trained state such as BatchNorm running statistics). ``forward(x,
training=True)`` caches what ``backward(grad_out)`` needs; ``backward``
returns the gradient with respect to the input.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

from calckit._validate import positive_int
from calckit.errors import CalckitTypeError, ShapeError

__all__ = ["Layer", "as_float_array", "positive_int"]

_T = TypeVar("_T")


def as_float_array(x, *, name: str = "x") -> np.ndarray:
    """``x`` as a float64 ndarray (no copy when it already is one).

    Raises
    ------
    CalckitTypeError
        ``x`` is None or complex (casting would drop the imaginary part).
    ShapeError
        ``x`` is not numeric (strings, ragged lists).

    >>> as_float_array(None, name="X")
    Traceback (most recent call last):
    ...
    calckit.errors.CalckitTypeError: X must be a real numeric array, got None
    """
    if type(x) is np.ndarray and x.dtype == np.float64:
        return x
    if x is None:
        raise CalckitTypeError(f"{name} must be a real numeric array, got None")
    if np.iscomplexobj(x):
        raise CalckitTypeError(
            f"{name} must be real, got complex values (dtype "
            f"{np.asarray(x).dtype}); calckit.nn computes in float64, and casting "
            "would drop the imaginary part")
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ShapeError(f"{name} must be a numeric array, got {type(x).__name__}"
                         ) from exc


class Layer:
    """Base class: parameters, gradients, buffers and a name for messages."""

    #: scheme used by :meth:`reset_parameters` ("auto" = by next activation)
    init: str = "auto"
    #: False lets ``backward`` skip the input gradient and return None
    #: (Sequential sets it on its first layer while training)
    input_grad: bool = True

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        self.where = ""  # set by Sequential, e.g. " (layer 2)"
        self.user_initialised = False

    # -- parameters -----------------------------------------------------
    def _add_param(self, name: str, value: np.ndarray) -> None:
        value = np.array(value, dtype=np.float64)
        self.params[name] = value
        self.grads[name] = np.zeros_like(value)

    def reset_parameters(self, rng: np.random.Generator,
                         activation: str | None = None) -> None:
        """Re-draw the parameters from ``rng`` (no-op for parameter-free layers)."""

    def zero_grad(self) -> None:
        for g in self.grads.values():
            g.fill(0.0)

    # -- protocol ---------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def output_shape(self, input_shape: tuple) -> tuple:
        """Shape of ``forward(x)`` for ``x.shape == input_shape``."""
        return input_shape

    # -- helpers ----------------------------------------------------------
    def _shape_error(self, what: str, got) -> ShapeError:
        return ShapeError(f"{self!r}{self.where}: {what}, got input of shape "
                          f"{tuple(got)}")

    def _check_backward(self, grad_out: np.ndarray, expected: tuple) -> None:
        if grad_out.shape != expected:
            raise ShapeError(
                f"{self!r}{self.where}: backward expected grad_out of shape "
                f"{expected} (the output shape of the last forward), got "
                f"{grad_out.shape}"
            )

    def _need_forward(self, cache: _T | None) -> _T:
        """``cache`` itself, or a ShapeError when forward has not run yet."""
        if cache is None:
            raise ShapeError(f"{self!r}{self.where}: backward called before forward")
        return cache

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
