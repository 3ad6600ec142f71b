"""Weight initialisation: Glorot (Xavier) and He (Kaiming), explicit rng.

Every initialiser takes a :class:`numpy.random.Generator`; calckit never
touches NumPy's global random state.

>>> import numpy as np
>>> W = glorot_uniform((100, 50), fan_in=100, fan_out=50,
...                    rng=np.random.default_rng(0))
>>> bool(np.abs(W).max() <= np.sqrt(6 / 150))
True
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from calckit._validate import as_rng
from calckit.errors import InvalidParameterError

__all__ = ["as_rng", "glorot_uniform", "he_normal", "init_for", "INIT_SCHEMES"]

# activations after which He (Kaiming) initialisation is the usual choice;
# everything else (tanh, sigmoid, identity, ...) gets Glorot.
_HE_ACTIVATIONS = frozenset(
    {"relu", "leaky_relu", "elu", "selu", "gelu", "gelu_tanh", "swish", "silu",
     "mish", "softplus"}
)


def glorot_uniform(shape, *, fan_in: int, fan_out: int, rng: np.random.Generator):
    """Glorot/Xavier uniform: U(-a, a) with ``a = sqrt(6 / (fan_in + fan_out))``."""
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=shape)


def he_normal(shape, *, fan_in: int, fan_out: int, rng: np.random.Generator):
    """He/Kaiming normal: N(0, 2 / fan_in) (PyTorch ``kaiming_normal_``)."""
    del fan_out
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)


def uniform_fan_in(shape, *, fan_in: int, fan_out: int, rng: np.random.Generator):
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's default for RNN weights."""
    del fan_out
    a = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-a, a, size=shape)


#: scheme name -> initialiser (read-only)
INIT_SCHEMES = MappingProxyType({
    "glorot": glorot_uniform,
    "xavier": glorot_uniform,
    "he": he_normal,
    "kaiming": he_normal,
    "uniform_fan_in": uniform_fan_in,
})


def init_for(init: str, activation: str | None = None):
    """The initialiser for scheme ``init``; ``"auto"`` picks by ``activation``.

    >>> init_for("auto", "relu").__name__, init_for("auto", "tanh").__name__
    ('he_normal', 'glorot_uniform')
    """
    if init == "auto":
        return he_normal if activation in _HE_ACTIVATIONS else glorot_uniform
    try:
        return INIT_SCHEMES[init]
    except KeyError:
        raise InvalidParameterError(
            f"unknown init {init!r}; use 'auto' or one of {sorted(INIT_SCHEMES)}"
        ) from None
