"""Lion (EvoLved Sign Momentum), as in Chen et al. 2023, "Symbolic Discovery
of Optimization Algorithms", Algorithm 2."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from calckit.optim._base import (
    Interval,
    LearningRate,
    Optimizer,
    Pair,
    Params,
    ScalarOrSchedule,
    tree_zeros_like,
)
from calckit.optim._transforms import decoupled_decay

__all__ = ["Lion", "LionState"]


class LionState(NamedTuple):
    """State of :class:`Lion`: steps taken and the momentum ``exp_avg``."""

    # shadows tuple.count (python/mypy#3950); public name used in docs and tests
    count: int  # type: ignore[assignment]
    exp_avg: Any


class Lion(Optimizer):
    r"""Lion: the sign of an interpolated momentum, decoupled weight decay.

    With :math:`(\beta_1, \beta_2)` = ``betas`` and :math:`m_0 = 0`:

    .. math::

        c_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
        \theta_t &= \theta_{t-1} - \mathrm{lr}\,(\operatorname{sign}(c_t)
            + \lambda\,\theta_{t-1}) \\
        m_t &= \beta_2 m_{t-1} + (1 - \beta_2)\, g_t

    computed as :math:`\theta_{t-1}(1 - \mathrm{lr}\,\lambda) - \mathrm{lr}\,
    \operatorname{sign}(c_t)`. Every coordinate moves by exactly ``lr`` (plus
    decay), so Lion wants a learning rate 3-10x smaller than Adam's.

    Examples
    --------
    >>> import numpy as np
    >>> opt = Lion(lr=0.1)
    >>> x, state = opt.step(np.array([1.0, -2.0]), np.array([0.3, -5.0]),
    ...                     opt.init(np.zeros(2)))
    >>> print(x)
    [ 0.9 -1.9]
    """

    _constraints = {
        "lr": LearningRate(),
        "betas": Pair(Interval(0, 1, closed="left")),
        "weight_decay": Interval(0, None),
    }
    State = LionState
    # hyperparameters, set by _setup
    lr: ScalarOrSchedule
    betas: tuple[float, float]
    weight_decay: float

    def __init__(
        self,
        lr: ScalarOrSchedule = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
    ) -> None:
        self._setup(lr=lr, betas=betas, weight_decay=weight_decay)

    def _buffers(self, params: Params) -> tuple:
        return (tree_zeros_like(params),)

    def _leaf(self, p, g, bufs, t, lr):
        (m,) = bufs
        beta1, beta2 = self.betas
        c = m * beta1 + (1.0 - beta1) * g
        p = decoupled_decay(p, lr, self.weight_decay) - lr * np.sign(c)
        m = m * beta2 + (1.0 - beta2) * g
        return p, (m,)
