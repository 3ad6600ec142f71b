"""2-D convolution and max pooling on NCHW arrays, fully vectorised.

Windows come from :func:`numpy.lib.stride_tricks.sliding_window_view`;
one copy lays them out as im2col columns (C*kh*kw, N*OH*OW) and a single
GEMM does the convolution (and two more its backward). The only Python
loops run over the kernel offsets (kh * kw of them, in col2im), never over
pixels or samples.

>>> import numpy as np
>>> from calckit.nn import Conv2D, MaxPool2D
>>> conv = Conv2D(1, 2, 3, padding=1, rng=0)
>>> y = conv.forward(np.ones((4, 1, 5, 5)))
>>> y.shape, conv.backward(np.ones_like(y)).shape
((4, 2, 5, 5), (4, 1, 5, 5))
>>> pool = MaxPool2D(2)
>>> pool.forward(np.arange(16.0).reshape(1, 1, 4, 4))
array([[[[ 5.,  7.],
         [13., 15.]]]])
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from calckit.errors import InvalidParameterError
from calckit.nn._base import Layer, as_float_array, positive_int
from calckit.nn._init import as_rng, init_for

__all__ = ["Conv2D", "MaxPool2D"]


def _pair(value, name: str, owner: str, *, allow_zero: bool = False) -> tuple:
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    ok = len(items) == 2 and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool)
        and (v >= 0 if allow_zero else v >= 1) for v in items)
    if not ok:
        kind = "non-negative" if allow_zero else "positive"
        raise InvalidParameterError(
            f"The {name!r} parameter of {owner} must be a {kind} int or a pair of "
            f"them. Got {value!r} instead.")
    return int(items[0]), int(items[1])


def _out_size(size: int, k: int, s: int, p: int) -> int:
    return (size + 2 * p - k) // s + 1


class Conv2D(Layer):
    """2-D convolution (cross-correlation, as in PyTorch) on (N, C, H, W).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding : int or (int, int)
        Zero padding on every side.
    init, rng
        As for :class:`Dense` (fan_in = in_channels * kh * kw).

    Params ``W`` (out_channels, in_channels, kh, kw) and ``b`` (out_channels,).
    Output (N, out_channels, OH, OW) with ``OH = (H + 2 p - kh) // s + 1``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size,
                 stride=1, padding=0, *, init: str = "auto", rng=None) -> None:
        super().__init__()
        self.in_channels = positive_int(in_channels, "in_channels", "Conv2D")
        self.out_channels = positive_int(out_channels, "out_channels", "Conv2D")
        self.kernel_size = _pair(kernel_size, "kernel_size", "Conv2D")
        self.stride = _pair(stride, "stride", "Conv2D")
        self.padding = _pair(padding, "padding", "Conv2D", allow_zero=True)
        self.init = init
        init_for(init)
        kh, kw = self.kernel_size
        self._add_param("W", np.zeros((self.out_channels, self.in_channels, kh, kw)))
        self._add_param("b", np.zeros(self.out_channels))
        self.user_initialised = rng is not None
        self.reset_parameters(as_rng(rng))
        # (input shape, padded shape, im2col columns) of the last forward
        self._cache: tuple[tuple[int, ...], tuple[int, ...], np.ndarray] | None
        self._cache = None
        self._buffers: dict[str, np.ndarray] = {}

    def _scratch(self, name: str, shape: tuple) -> np.ndarray:
        """A work array kept between calls (fresh large arrays cost page
        faults on every call); only ever used inside forward/backward."""
        buf = self._buffers.get(name)
        if buf is None or buf.shape != shape:
            buf = self._buffers[name] = np.empty(shape)
        return buf

    def reset_parameters(self, rng, activation=None) -> None:
        kh, kw = self.kernel_size
        fn = init_for(self.init, activation)
        self.params["W"][...] = fn(
            self.params["W"].shape, fan_in=self.in_channels * kh * kw,
            fan_out=self.out_channels * kh * kw, rng=rng)
        self.params["b"][...] = 0.0

    def output_shape(self, input_shape):
        n, _, h, w = input_shape
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        return (n, self.out_channels, _out_size(h, kh, sh, ph),
                _out_size(w, kw, sw, pw))

    def forward(self, x, training: bool = True):
        x = as_float_array(x)
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise self._shape_error(f"expected (N, {self.in_channels}, H, W)", x.shape)
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        if x.shape[2] + 2 * ph < kh or x.shape[3] + 2 * pw < kw:
            raise self._shape_error(
                f"the padded image is smaller than the {kh}x{kw} kernel", x.shape)
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
        # (N, C, OH, OW, kh, kw) view without copying, then one im2col copy
        # into columns (C*kh*kw, N*OH*OW) (long contiguous rows) and one GEMM
        win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
        n, c, oh, ow = win.shape[:4]
        o = self.out_channels
        cols = self._scratch("cols", (c * kh * kw, n * oh * ow))
        np.copyto(cols.reshape(c, kh, kw, n, oh, ow), win.transpose(1, 4, 5, 0, 2, 3))
        out = self.params["W"].reshape(o, -1) @ cols
        out += self.params["b"][:, None]
        self._cache = (x.shape, xp.shape, cols)
        return out.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)

    def backward(self, grad_out):
        x_shape, xp_shape, cols = self._need_forward(self._cache)
        self._check_backward(grad_out, self.output_shape(x_shape))
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        n, o, oh, ow = grad_out.shape
        c = self.in_channels
        g2 = self._scratch("g2", (o, n * oh * ow))
        np.copyto(g2.reshape(o, n, oh, ow), grad_out.transpose(1, 0, 2, 3))
        np.matmul(g2, cols.T, out=self.grads["W"].reshape(o, -1))
        np.add.reduce(grad_out, axis=(0, 2, 3), out=self.grads["b"])
        if not self.input_grad:
            return None
        # col2im: scatter-add each kernel offset's block of columns
        dcols = self._scratch("dcols", cols.shape)
        np.matmul(self.params["W"].reshape(o, -1).T, g2, out=dcols)
        dcols = dcols.reshape(c, kh, kw, n, oh, ow)
        dxp = np.zeros((n, c, xp_shape[2], xp_shape[3]))
        dxp_t = dxp.transpose(1, 0, 2, 3)  # (C, N, Hp, Wp) view
        for i in range(kh):
            for j in range(kw):
                dxp_t[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += (
                    dcols[:, i, j])
        if ph or pw:
            dxp = dxp[:, :, ph:ph + x_shape[2], pw:pw + x_shape[3]]
        return dxp

    def __repr__(self) -> str:
        kh, kw = self.kernel_size
        extra = ""
        if self.stride != (1, 1):
            extra += f", stride={self.stride}"
        if self.padding != (0, 0):
            extra += f", padding={self.padding}"
        return (f"Conv2D({self.in_channels}, {self.out_channels}, "
                f"kernel_size=({kh}, {kw}){extra})")


class MaxPool2D(Layer):
    """Max pooling over (kh, kw) windows of (N, C, H, W); ``stride`` defaults to
    the kernel size. Ties send the gradient to the first maximum (row-major),
    as PyTorch does."""

    def __init__(self, kernel_size, stride=None) -> None:
        super().__init__()
        self.kernel_size = _pair(kernel_size, "kernel_size", "MaxPool2D")
        self.stride = (self.kernel_size if stride is None
                       else _pair(stride, "stride", "MaxPool2D"))
        self._cache: tuple[tuple[int, ...], np.ndarray] | None = None

    def output_shape(self, input_shape):
        n, c, h, w = input_shape
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        return (n, c, _out_size(h, kh, sh, 0), _out_size(w, kw, sw, 0))

    def forward(self, x, training: bool = True):
        x = as_float_array(x)
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        if x.ndim != 4 or x.shape[2] < kh or x.shape[3] < kw:
            raise self._shape_error(f"expected (N, C, H, W) with H >= {kh}, W >= {kw}",
                                    x.shape)
        win = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
        n, c, oh, ow = win.shape[:4]
        flat = win.reshape(n, c, oh, ow, kh * kw)
        arg = flat.argmax(axis=-1)
        self._cache = (x.shape, arg)
        return np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]

    def backward(self, grad_out):
        x_shape, arg = self._need_forward(self._cache)
        self._check_backward(grad_out, self.output_shape(x_shape))
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        _, _, oh, ow = grad_out.shape
        dx = np.zeros(x_shape)
        for i in range(kh):
            for j in range(kw):
                dx[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += (
                    np.where(arg == i * kw + j, grad_out, 0.0))
        return dx

    def __repr__(self) -> str:
        return f"MaxPool2D({self.kernel_size}, stride={self.stride})"
