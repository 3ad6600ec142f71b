"""Adaptive optimizers: Adagrad, RMSprop, Adam (and AMSGrad), AdamW, each
matching ``torch.optim`` in argument names, defaults and float64 arithmetic."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from calckit.optim._base import (
    Boolean,
    Interval,
    LearningRate,
    Optimizer,
    Options,
    Pair,
    Params,
    ScalarOrSchedule,
    tree_full_like,
    tree_zeros_like,
)
from calckit.optim._transforms import (
    addcdiv,
    coupled_decay,
    decoupled_decay,
    ema_square,
    lerp,
)

__all__ = [
    "Adagrad",
    "AdagradState",
    "RMSprop",
    "RMSpropState",
    "Adam",
    "AdamState",
    "AdamW",
]

_NONNEG = Interval(0, None)
_BETAS = Pair(Interval(0, 1, closed="left"))


class AdagradState(NamedTuple):
    """State of :class:`Adagrad`: steps taken and the sum of squared
    gradients."""

    # shadows tuple.count (python/mypy#3950); public name used in docs and tests
    count: int  # type: ignore[assignment]
    sum: Any


class Adagrad(Optimizer):
    r"""Adagrad, as ``torch.optim.Adagrad``.

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1} \\
        \eta_t &= \mathrm{lr} / (1 + (t - 1)\,\mathrm{lr\_decay}) \\
        s_t &= s_{t-1} + g_t^2, \qquad s_0 = \mathrm{initial\_accumulator\_value} \\
        \theta_t &= \theta_{t-1} - \eta_t\, g_t / (\sqrt{s_t} + \epsilon)

    Examples
    --------
    >>> import numpy as np
    >>> opt = Adagrad(lr=0.5)
    >>> params, state = opt.step(np.array([2.0]), np.array([4.0]),
    ...                          opt.init(np.array([2.0])))
    >>> print(np.round(params, 6))
    [1.5]
    """

    _constraints = {
        "lr": LearningRate(),
        "lr_decay": _NONNEG,
        "weight_decay": _NONNEG,
        "initial_accumulator_value": _NONNEG,
        "eps": _NONNEG,
    }
    State = AdagradState
    # hyperparameters, set by _setup
    lr: ScalarOrSchedule
    lr_decay: float
    weight_decay: float
    initial_accumulator_value: float
    eps: float

    def __init__(
        self,
        lr: ScalarOrSchedule = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        self._setup(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )

    def _buffers(self, params: Params) -> tuple:
        return (tree_full_like(params, self.initial_accumulator_value),)

    def _leaf(self, p, g, bufs, t, lr):
        g = coupled_decay(g, p, self.weight_decay)
        clr = lr / (1 + (t - 1) * self.lr_decay)
        s = bufs[0] + g * g
        std = np.sqrt(s) + self.eps
        return addcdiv(p, -clr, g, std), (s,)


class RMSpropState(NamedTuple):
    """State of :class:`RMSprop`: steps taken, running mean of squared
    gradients, momentum buffer and running mean of gradients (``None`` when
    unused)."""

    # shadows tuple.count (python/mypy#3950); public name used in docs and tests
    count: int  # type: ignore[assignment]
    square_avg: Any
    momentum_buffer: Any
    grad_avg: Any


class RMSprop(Optimizer):
    r"""RMSprop, as ``torch.optim.RMSprop`` (optionally centered, with
    momentum).

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1} \\
        v_t &= \alpha\, v_{t-1} + (1 - \alpha)\, g_t^2, \qquad v_0 = 0 \\
        \bar g_t &= \alpha\, \bar g_{t-1} + (1 - \alpha)\, g_t
            \quad\text{(centered only; } \bar g_0 = 0) \\
        d_t &= \sqrt{v_t - \bar g_t^2} + \epsilon \ \text{if centered else}
            \ \sqrt{v_t} + \epsilon \\
        b_t &= \mu\, b_{t-1} + g_t / d_t, \qquad b_0 = 0 \\
        \theta_t &= \theta_{t-1} - \mathrm{lr}\; b_t \ \text{if}\ \mu > 0
            \ \text{else}\ \theta_{t-1} - \mathrm{lr}\; g_t / d_t

    Unlike SGD's, the momentum buffer of RMSprop starts at zero (PyTorch).

    Examples
    --------
    >>> import numpy as np
    >>> opt = RMSprop(lr=0.01)
    >>> params, state = opt.step(np.array([1.0]), np.array([2.0]),
    ...                          opt.init(np.array([1.0])))
    >>> print(np.round(params, 6))
    [0.9]
    """

    _constraints = {
        "lr": LearningRate(),
        # torch only checks alpha >= 0, but alpha > 1 makes the running mean
        # of squares negative and every step nan
        "alpha": Interval(0, 1),
        "eps": _NONNEG,
        "weight_decay": _NONNEG,
        "momentum": _NONNEG,
        "centered": Boolean(),
    }
    State = RMSpropState
    # hyperparameters, set by _setup
    lr: ScalarOrSchedule
    alpha: float
    eps: float
    weight_decay: float
    momentum: float
    centered: bool

    def __init__(
        self,
        lr: ScalarOrSchedule = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        *,
        centered: bool = False,
    ) -> None:
        self._setup(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
        )

    def _buffers(self, params: Params) -> tuple:
        return (
            tree_zeros_like(params),
            tree_zeros_like(params) if self.momentum > 0 else None,
            tree_zeros_like(params) if self.centered else None,
        )

    def _leaf(self, p, g, bufs, t, lr):
        v, buf, gbar = bufs
        g = coupled_decay(g, p, self.weight_decay)
        v = ema_square(v, g, self.alpha)
        if self.centered:
            gbar = lerp(gbar, g, 1.0 - self.alpha)
            avg = np.sqrt(v + (-1.0 * gbar) * gbar)
        else:
            avg = np.sqrt(v)
        avg = avg + self.eps
        if self.momentum > 0:
            buf = buf * self.momentum + g / avg
            return p - lr * buf, (v, buf, gbar)
        return addcdiv(p, -lr, g, avg), (v, buf, gbar)


class AdamState(NamedTuple):
    """State of :class:`Adam` and :class:`AdamW`: steps taken, first and
    second moment estimates, and the running maximum of the second moment
    (AMSGrad only, else ``None``)."""

    # shadows tuple.count (python/mypy#3950); public name used in docs and tests
    count: int  # type: ignore[assignment]
    exp_avg: Any
    exp_avg_sq: Any
    max_exp_avg_sq: Any


class Adam(Optimizer):
    r"""Adam, as ``torch.optim.Adam``; AMSGrad with ``amsgrad=True``.

    With :math:`(\beta_1, \beta_2)` = ``betas`` and :math:`m_0 = v_0 = 0`:

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1}
            \quad\text{(L2 weight\_decay, coupled)} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2 \\
        \hat v_t &= \max(\hat v_{t-1}, v_t)\ \text{(amsgrad) else}\ v_t \\
        \theta_t &= \theta_{t-1} - \frac{\mathrm{lr}}{1 - \beta_1^t}\,
            \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    AMSGrad takes the maximum of the raw second moments, then bias-corrects
    (PyTorch's order).

    ``variant`` (keyword-only) selects where epsilon goes, as libraries
    differ:

    - ``"pytorch"`` (default): the formula above.
    - ``"tensorflow"``: epsilon added to the *uncorrected* root, as Keras,
      scikit-learn and Algorithm 1's footnote in Kingma & Ba:
      :math:`\theta_t = \theta_{t-1} - \mathrm{lr}\,
      \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}\,
      \frac{m_t}{\sqrt{\hat v_t} + \epsilon}`.
    - ``"eps_inside_sqrt"``: :math:`\theta_t = \theta_{t-1} - \mathrm{lr}\,
      \frac{m_t / (1 - \beta_1^t)}{\sqrt{\hat v_t / (1 - \beta_2^t) +
      \epsilon}}`.

    Examples
    --------
    >>> import numpy as np
    >>> opt = Adam(lr=0.1)
    >>> x = np.array([1.0, -3.0])
    >>> x, state = opt.step(x, 2 * x, opt.init(x))
    >>> print(np.round(x, 6))   # the first step has size lr in each coordinate
    [ 0.9 -2.9]
    """

    _constraints = {
        "lr": LearningRate(),
        "betas": _BETAS,
        "eps": _NONNEG,
        "weight_decay": _NONNEG,
        "amsgrad": Boolean(),
        "variant": Options("pytorch", "tensorflow", "eps_inside_sqrt"),
    }
    State = AdamState
    _decoupled = False
    # hyperparameters, set by _setup
    lr: ScalarOrSchedule
    betas: tuple[float, float]
    eps: float
    weight_decay: float
    amsgrad: bool
    variant: str

    def __init__(
        self,
        lr: ScalarOrSchedule = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        amsgrad: bool = False,
        variant: str = "pytorch",
    ) -> None:
        self._setup(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            variant=variant,
        )

    def _buffers(self, params: Params) -> tuple:
        return (
            tree_zeros_like(params),
            tree_zeros_like(params),
            tree_zeros_like(params) if self.amsgrad else None,
        )

    def _leaf(self, p, g, bufs, t, lr):
        if self._decoupled:
            p = decoupled_decay(p, lr, self.weight_decay)
        else:
            g = coupled_decay(g, p, self.weight_decay)
        m, v, vmax = bufs
        beta1, beta2 = self.betas
        m = lerp(m, g, 1.0 - beta1)
        v = ema_square(v, g, beta2)
        if self.amsgrad:
            vmax = np.maximum(vmax, v)
            vhat = vmax
        else:
            vhat = v
        bc1 = 1 - beta1**t
        bc2 = 1 - beta2**t
        if self.variant == "pytorch":
            denom = np.sqrt(vhat) / bc2**0.5 + self.eps
            p = addcdiv(p, -(lr / bc1), m, denom)
        elif self.variant == "tensorflow":
            p = p - (lr * bc2**0.5 / bc1) * m / (np.sqrt(vhat) + self.eps)
        else:  # eps_inside_sqrt
            p = p - lr * (m / bc1) / np.sqrt(vhat / bc2 + self.eps)
        return p, (m, v, vmax)


class AdamW(Adam):
    r"""Adam with decoupled weight decay, as ``torch.optim.AdamW``.

    The parameters are first shrunk, then updated by :class:`Adam` with no L2
    term:

    .. math::

        \theta'_{t-1} &= \theta_{t-1}\,(1 - \mathrm{lr}\,\lambda) \\
        \theta_t &= \mathrm{Adam}(\theta'_{t-1}, g_t)

    Same arguments as :class:`Adam` (``weight_decay`` defaults to ``1e-2``).

    Examples
    --------
    >>> import numpy as np
    >>> opt = AdamW(lr=0.1, weight_decay=0.5)
    >>> x, _ = opt.step(np.array([2.0]), np.array([1.0]), opt.init(np.array([2.0])))
    >>> print(np.round(x, 6))   # 2 * (1 - 0.05) - 0.1
    [1.8]
    """

    _decoupled = True

    def __init__(
        self,
        lr: ScalarOrSchedule = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        *,
        amsgrad: bool = False,
        variant: str = "pytorch",
    ) -> None:
        super().__init__(
            lr, betas, eps, weight_decay, amsgrad=amsgrad, variant=variant
        )
