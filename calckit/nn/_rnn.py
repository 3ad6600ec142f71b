"""Elman RNN with tanh, trained by backpropagation through time.

>>> import numpy as np
>>> from calckit.nn import RNN
>>> rnn = RNN(3, 4, rng=0)
>>> hs = rnn.forward(np.ones((2, 5, 3)))
>>> hs.shape, rnn.backward(np.ones_like(hs)).shape
((2, 5, 4), (2, 5, 3))
"""

from __future__ import annotations

import numpy as np

from calckit.nn._base import Layer, as_float_array, positive_int
from calckit.nn._init import as_rng, init_for

__all__ = ["RNN"]


class RNN(Layer):
    """``h_t = tanh(x_t @ W_xh + h_{t-1} @ W_hh + b)`` with ``h_0 = 0``.

    Parameters
    ----------
    input_size, hidden_size : int
        ``W_xh`` (input_size, hidden_size), ``W_hh`` (hidden_size, hidden_size),
        ``b`` (hidden_size,).
    init : str
        ``"auto"`` draws every parameter from U(-1/sqrt(hidden), 1/sqrt(hidden))
        as PyTorch does; ``"glorot"`` etc. apply to the weights.
    rng : Generator or int, optional

    Input (batch, time, input_size); output all hidden states
    (batch, time, hidden_size). Note PyTorch's ``nn.RNN`` stores the
    transposes (``weight_ih_l0 = W_xh.T``) and two biases (``b = b_ih + b_hh``).
    """

    def __init__(self, input_size: int, hidden_size: int, *, init: str = "auto",
                 rng=None) -> None:
        super().__init__()
        self.input_size = positive_int(input_size, "input_size", "RNN")
        self.hidden_size = positive_int(hidden_size, "hidden_size", "RNN")
        self.init = init
        init_for(init)
        h = self.hidden_size
        self._add_param("W_xh", np.zeros((self.input_size, h)))
        self._add_param("W_hh", np.zeros((h, h)))
        self._add_param("b", np.zeros(h))
        self.user_initialised = rng is not None
        self.reset_parameters(as_rng(rng))
        self._cache: tuple[np.ndarray, np.ndarray] | None = None

    def reset_parameters(self, rng, activation=None) -> None:
        h = self.hidden_size
        if self.init == "auto":
            a = 1.0 / np.sqrt(h)
            for name in ("W_xh", "W_hh", "b"):
                p = self.params[name]
                p[...] = rng.uniform(-a, a, size=p.shape)
            return
        fn = init_for(self.init)
        self.params["W_xh"][...] = fn((self.input_size, h), fan_in=self.input_size,
                                      fan_out=h, rng=rng)
        self.params["W_hh"][...] = fn((h, h), fan_in=h, fan_out=h, rng=rng)
        self.params["b"][...] = 0.0

    def output_shape(self, input_shape):
        return tuple(input_shape[:2]) + (self.hidden_size,)

    def forward(self, x, training: bool = True):
        x = as_float_array(x)
        if x.ndim != 3 or x.shape[2] != self.input_size:
            raise self._shape_error(
                f"expected (batch, time, {self.input_size})", x.shape)
        n, t_len, _ = x.shape
        W_hh = self.params["W_hh"]
        hs = x @ self.params["W_xh"] + self.params["b"]  # pre-activations, in place
        h = np.zeros((n, self.hidden_size))
        for t in range(t_len):
            a = hs[:, t]
            a += h @ W_hh
            h = np.tanh(a, out=a)
        self._cache = (x, hs)
        return hs

    def backward(self, grad_out):
        x, hs = self._need_forward(self._cache)
        self._check_backward(grad_out, hs.shape)
        n, t_len, h_size = hs.shape
        W_hh = self.params["W_hh"]
        da = np.empty_like(hs)
        dh_next = np.zeros((n, h_size))
        for t in range(t_len - 1, -1, -1):
            h_t = hs[:, t]
            da[:, t] = (grad_out[:, t] + dh_next) * (1.0 - h_t * h_t)
            dh_next = da[:, t] @ W_hh.T
        # h_{t-1} for t = 0 .. T-1 (h_{-1} = 0); empty when T = 0
        h_prev = np.concatenate([np.zeros((n, 1, h_size)), hs[:, :-1]],
                                axis=1)[:, :t_len]
        self.grads["W_hh"][...] = np.tensordot(h_prev, da, axes=((0, 1), (0, 1)))
        self.grads["W_xh"][...] = np.tensordot(x, da, axes=((0, 1), (0, 1)))
        np.sum(da, axis=(0, 1), out=self.grads["b"])
        return da @ self.params["W_xh"].T

    def __repr__(self) -> str:
        return f"RNN({self.input_size}, {self.hidden_size})"
