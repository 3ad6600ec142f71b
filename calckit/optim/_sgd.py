"""Stochastic gradient descent with momentum, dampening, Nesterov and weight
decay, exactly as ``torch.optim.SGD``."""

from __future__ import annotations

from typing import Any, NamedTuple

from calckit.optim._base import (
    Boolean,
    Interval,
    LearningRate,
    Optimizer,
    Params,
    ScalarOrSchedule,
    tree_zeros_like,
)
from calckit.optim._transforms import coupled_decay

__all__ = ["SGD", "SGDState"]

_NONNEG = Interval(0, None)


class SGDState(NamedTuple):
    """State of :class:`SGD`: steps taken and the momentum buffer (``None``
    without momentum)."""

    # shadows tuple.count (python/mypy#3950); public name used in docs and tests
    count: int  # type: ignore[assignment]
    momentum_buffer: Any


class SGD(Optimizer):
    r"""Gradient descent with optional (Nesterov) momentum, as PyTorch.

    With gradient :math:`g_t` at step :math:`t = 1, 2, \dots`:

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1}
            \quad\text{(weight\_decay } \lambda\text{)} \\
        b_1 &= g_1, \qquad b_t = \mu\, b_{t-1} + (1 - \tau)\, g_t
            \quad\text{(momentum } \mu\text{, dampening } \tau\text{)} \\
        d_t &= g_t + \mu\, b_t \ \text{if nesterov else}\ b_t
            \quad (d_t = g_t \text{ when } \mu = 0) \\
        \theta_t &= \theta_{t-1} - \mathrm{lr}\; d_t

    The momentum buffer starts at the first gradient, not at zero (PyTorch's
    convention), so the first step is plain gradient descent.

    Parameters
    ----------
    lr : float or schedule
        Learning rate (a callable ``step -> lr`` for a schedule).
    momentum, dampening : float
        Momentum factor and dampening of the momentum buffer.
    nesterov : bool
        Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
    weight_decay : float
        L2 penalty added to the gradient.

    Examples
    --------
    >>> import numpy as np
    >>> opt = SGD(lr=0.1, momentum=0.9)
    >>> params = np.array([1.0, -2.0])
    >>> state = opt.init(params)
    >>> params, state = opt.step(params, 2 * params, state)
    >>> print(params, state.count)
    [ 0.8 -1.6] 1
    """

    _constraints = {
        "lr": LearningRate(),
        "momentum": _NONNEG,
        "dampening": _NONNEG,
        "weight_decay": _NONNEG,
        "nesterov": Boolean(),
    }
    _checks = (
        (
            lambda h: not h["nesterov"] or (h["momentum"] > 0 and h["dampening"] == 0),
            "nesterov=True requires momentum > 0 and dampening = 0",
        ),
    )
    State = SGDState
    # hyperparameters, set by _setup
    lr: ScalarOrSchedule
    momentum: float
    dampening: float
    weight_decay: float
    nesterov: bool

    def __init__(
        self,
        lr: ScalarOrSchedule = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        *,
        nesterov: bool = False,
    ) -> None:
        self._setup(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
        )

    def _buffers(self, params: Params) -> tuple:
        return (tree_zeros_like(params) if self.momentum else None,)

    def _leaf(self, p, g, bufs, t, lr):
        g = coupled_decay(g, p, self.weight_decay)
        (buf,) = bufs
        mu = self.momentum
        if mu:
            buf = g.copy() if t == 1 else buf * mu + (1.0 - self.dampening) * g
            g = g + mu * buf if self.nesterov else buf
        return p - lr * g, (buf,)
