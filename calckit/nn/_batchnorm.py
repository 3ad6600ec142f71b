"""Batch normalisation with PyTorch semantics.

Training mode normalises with the batch mean and the biased batch variance
and updates the running statistics as PyTorch does::

    running_mean = (1 - momentum) * running_mean + momentum * mean
    running_var  = (1 - momentum) * running_var  + momentum * var_unbiased

Eval mode (``training=False``) normalises with the running statistics.

>>> import numpy as np
>>> from calckit.nn import BatchNorm
>>> bn = BatchNorm(2)
>>> x = np.array([[1.0, 2.0], [3.0, 6.0]])
>>> y = bn.forward(x)
>>> np.round(y, 4)
array([[-1., -1.],
       [ 1.,  1.]])
>>> bn.buffers["running_mean"], bn.buffers["running_var"]
(array([0.2, 0.4]), array([1.1, 1.7]))
"""

from __future__ import annotations

import numpy as np

from calckit._validate import Interval, check
from calckit.nn._base import Layer, as_float_array, positive_int

__all__ = ["BatchNorm"]



class BatchNorm(Layer):
    """Batch normalisation over the channel axis 1 of (N, C) or (N, C, H, W).

    Parameters
    ----------
    num_features : int
        Number of channels C.
    momentum : float
        Weight of the new batch statistics in the running averages.
    eps : float
        Added to the variance before the square root.

    Params ``gamma`` (ones) and ``beta`` (zeros); buffers ``running_mean``
    (zeros) and ``running_var`` (ones).
    """

    def __init__(self, num_features: int, momentum: float = 0.1,
                 eps: float = 1e-5) -> None:
        super().__init__()
        self.num_features = positive_int(num_features, "num_features", "BatchNorm")
        check(momentum, Interval(0.0, 1.0), "momentum", "BatchNorm")
        check(eps, Interval(0.0, None, closed="neither"), "eps", "BatchNorm")
        self.momentum = float(momentum)
        self.eps = float(eps)
        self._add_param("gamma", np.ones(self.num_features))
        self._add_param("beta", np.zeros(self.num_features))
        self.buffers["running_mean"] = np.zeros(self.num_features)
        self.buffers["running_var"] = np.ones(self.num_features)
        self._cache: tuple[str, tuple[int, ...], tuple[int, ...], np.ndarray,
                           np.ndarray] | None = None

    def reset_parameters(self, rng, activation=None) -> None:
        self.params["gamma"][...] = 1.0
        self.params["beta"][...] = 0.0

    def _axes_shape(self, x):
        if x.ndim not in (2, 4) or x.shape[1] != self.num_features:
            raise self._shape_error(
                f"expected (N, {self.num_features}) or (N, {self.num_features}, H, W)",
                x.shape)
        if x.ndim == 2:
            return (0,), (1, self.num_features)
        return (0, 2, 3), (1, self.num_features, 1, 1)

    def forward(self, x, training: bool = True):
        x = as_float_array(x)
        axes, bshape = self._axes_shape(x)
        gamma = self.params["gamma"].reshape(bshape)
        beta = self.params["beta"].reshape(bshape)
        if not training:
            rm = self.buffers["running_mean"].reshape(bshape)
            rv = self.buffers["running_var"].reshape(bshape)
            inv_std = 1.0 / np.sqrt(rv + self.eps)
            xhat = (x - rm) * inv_std
            self._cache = ("eval", axes, bshape, xhat, inv_std)
            return xhat * gamma + beta
        m = x.size // self.num_features
        if m < 2:
            raise self._shape_error(
                "training mode needs more than one value per channel "
                "(in fit use batch_size >= 2; use training=False for single "
                "samples)", x.shape)
        mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        var = np.mean(xc * xc, axis=axes, keepdims=True)
        inv_std = 1.0 / np.sqrt(var + self.eps)
        xhat = xc * inv_std
        mom = self.momentum
        rm, rv = self.buffers["running_mean"], self.buffers["running_var"]
        rm *= 1.0 - mom
        rm += mom * mean.reshape(-1)
        rv *= 1.0 - mom
        rv += mom * var.reshape(-1) * (m / (m - 1))
        self._cache = ("train", axes, bshape, xhat, inv_std)
        return xhat * gamma + beta

    def backward(self, grad_out):
        mode, axes, bshape, xhat, inv_std = self._need_forward(self._cache)
        gamma = self.params["gamma"].reshape(bshape)
        self._check_backward(grad_out, xhat.shape)
        dgamma = np.sum(grad_out * xhat, axis=axes)
        dbeta = np.sum(grad_out, axis=axes)
        self.grads["gamma"][...] = dgamma
        self.grads["beta"][...] = dbeta
        if mode == "eval":  # an affine map of x with fixed statistics
            return grad_out * (gamma * inv_std)
        m = xhat.size // self.num_features
        dxhat = grad_out * gamma
        return (inv_std / m) * (
            m * dxhat - dbeta.reshape(bshape) * gamma
            - xhat * (dgamma.reshape(bshape) * gamma)
        )

    def __repr__(self) -> str:
        return f"BatchNorm({self.num_features})"
