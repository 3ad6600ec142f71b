"""Dense (fully connected) and Flatten layers.

>>> import numpy as np
>>> from calckit.nn import Dense
>>> layer = Dense(3, 2, rng=0)
>>> y = layer.forward(np.ones((4, 3)))
>>> dx = layer.backward(np.ones((4, 2)))
>>> y.shape, dx.shape, layer.grads["W"].shape
((4, 2), (4, 3), (3, 2))
>>> bool(np.allclose(layer.grads["W"], 4.0))
True
"""

from __future__ import annotations

import numpy as np

from calckit.nn._base import Layer, as_float_array, positive_int
from calckit.nn._init import as_rng, init_for

__all__ = ["Dense", "Flatten"]


class Dense(Layer):
    """Fully connected layer ``y = x @ W + b``.

    Parameters
    ----------
    in_features, out_features : int
        ``W`` has shape (in_features, out_features), ``b`` (out_features,).
    init : {"auto", "glorot", "he", ...}
        Weight scheme. ``"auto"`` is Glorot, or He when a :class:`Sequential`
        sees a ReLU-like activation right after this layer.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights. Without it the layer starts from
        ``default_rng(0)`` and a ``Sequential`` re-initialises it from its
        own seed.

    Inputs have shape (N, in_features) (or (..., in_features)).
    """

    def __init__(self, in_features: int, out_features: int, *, init: str = "auto",
                 rng=None) -> None:
        super().__init__()
        self.in_features = positive_int(in_features, "in_features", "Dense")
        self.out_features = positive_int(out_features, "out_features", "Dense")
        self.init = init
        init_for(init)  # validate now
        self._add_param("W", np.zeros((self.in_features, self.out_features)))
        self._add_param("b", np.zeros(self.out_features))
        self.user_initialised = rng is not None
        self.reset_parameters(as_rng(rng))
        self._x: np.ndarray | None = None

    def reset_parameters(self, rng, activation=None) -> None:
        fn = init_for(self.init, activation)
        self.params["W"][...] = fn(self.params["W"].shape, fan_in=self.in_features,
                                   fan_out=self.out_features, rng=rng)
        self.params["b"][...] = 0.0

    def forward(self, x, training: bool = True):
        if type(x) is not np.ndarray or x.dtype != np.float64:
            x = as_float_array(x)
        if x.ndim < 2 or x.shape[-1] != self.in_features:
            raise self._shape_error(f"expected (N, {self.in_features})", x.shape)
        self._x = x
        out = x @ self.params["W"]
        out += self.params["b"]
        return out

    def backward(self, grad_out):
        x = self._x
        if x is None:
            x = self._need_forward(x)
        if grad_out.shape[:-1] != x.shape[:-1] or grad_out.shape[-1] != (
                self.out_features):
            self._check_backward(grad_out, x.shape[:-1] + (self.out_features,))
        if x.ndim == 2:
            np.matmul(x.T, grad_out, out=self.grads["W"])
            np.add.reduce(grad_out, axis=0, out=self.grads["b"])
        else:
            x2 = x.reshape(-1, self.in_features)
            g2 = grad_out.reshape(-1, self.out_features)
            np.matmul(x2.T, g2, out=self.grads["W"])
            np.add.reduce(g2, axis=0, out=self.grads["b"])
        if not self.input_grad:
            return None
        return grad_out @ self.params["W"].T

    def output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.out_features,)

    def __repr__(self) -> str:
        return f"Dense({self.in_features}, {self.out_features})"


class Flatten(Layer):
    """Flatten every axis but the first: (N, d1, d2, ...) -> (N, d1*d2*...)."""

    def __init__(self) -> None:
        super().__init__()
        self._shape: tuple[int, ...] | None = None

    def forward(self, x, training: bool = True):
        x = as_float_array(x)
        if x.ndim < 1:
            raise self._shape_error("expected at least (N,)", x.shape)
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out):
        shape = self._need_forward(self._shape)
        self._check_backward(grad_out, self.output_shape(shape))
        return grad_out.reshape(shape)

    def output_shape(self, input_shape):
        return (input_shape[0], int(np.prod(input_shape[1:], dtype=np.int64)))
