"""Small pure transforms the optimizers are composed of (optax-style).

Each takes arrays and returns new arrays; none modifies its inputs. The
arithmetic follows PyTorch's kernels operation by operation (``lerp``,
``addcmul``, ``addcdiv``), so float64 trajectories agree with ``torch.optim``
to the last few ulps.

>>> import numpy as np
>>> print(lerp(np.array([0.0]), np.array([1.0]), 0.1))
[0.1]
>>> print(decoupled_decay(np.array([2.0]), 0.1, 0.5))
[1.9]
"""

from __future__ import annotations

import numpy as np

__all__ = ["lerp", "coupled_decay", "decoupled_decay", "addcdiv", "ema_square"]


def lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``start + weight * (end - start)``, computed as ``torch.lerp`` does."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def coupled_decay(g: np.ndarray, p: np.ndarray, weight_decay: float) -> np.ndarray:
    """L2 penalty folded into the gradient: ``g + weight_decay * p``."""
    return g + weight_decay * p if weight_decay else g


def decoupled_decay(p: np.ndarray, lr: float, weight_decay: float) -> np.ndarray:
    """Decoupled weight decay (AdamW, Lion): ``p * (1 - lr * weight_decay)``."""
    return p * (1.0 - lr * weight_decay) if weight_decay else p


def addcdiv(p: np.ndarray, value: float, num: np.ndarray, den: np.ndarray):
    """``p + value * num / den`` in PyTorch's order: ``p + (value * num) / den``."""
    return p + (value * num) / den


def ema_square(v: np.ndarray, g: np.ndarray, decay: float) -> np.ndarray:
    """``decay * v + (1 - decay) * g**2`` as ``v.mul_(decay).addcmul_(g, g,
    value=1 - decay)``."""
    return v * decay + ((1.0 - decay) * g) * g
