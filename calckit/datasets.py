"""Small seeded toy datasets for demos and tests (no download).

Every generator takes ``seed`` (an int or a :class:`numpy.random.Generator`;
default 0) and returns float64 inputs with integer class labels (or float
targets for regression), so results are reproducible.

>>> from calckit import datasets
>>> X, y = datasets.moons(100, noise=0.1, seed=1)
>>> X.shape, y.shape, sorted(set(y.tolist()))
((100, 2), (100,), [0, 1])
>>> X, y = datasets.xor()
>>> y
array([0, 1, 1, 0])
"""

from __future__ import annotations

import numpy as np

from calckit._validate import Integer, Interval, as_rng, check
from calckit.errors import CalckitTypeError, ShapeError

__all__ = [
    "xor",
    "moons",
    "circles",
    "spirals",
    "blobs",
    "linear_regression",
    "seasonal_series",
    "windows",
]


def _rng(seed) -> np.random.Generator:
    return as_rng(seed=seed)


def _real(value, name: str, *, low: float | None = None, strict: bool = False,
          high: float | None = None) -> float:
    """``value`` as a finite float in the given range (``strict``: ``low``
    excluded; ``high`` always excluded), else InvalidParameterError naming
    ``name``."""
    closed = "neither" if strict else "left"
    if high is None and not strict:
        closed = "left"
    return float(check(value, Interval(low, high, closed=closed), name))


def _count(n, name="n_samples", minimum=1) -> int:
    return int(check(n, Integer(minimum), name))


def _noise(noise) -> float:
    return _real(noise, "noise", low=0.0)


def xor(n_samples: int = 4, *, noise: float = 0.0, seed=None):
    """The XOR problem.

    With the defaults, the four corners of the unit square and their XOR
    labels (the classic truth table). With ``n_samples > 4``, samples cycle
    through the corners and get Gaussian ``noise``.
    """
    n = _count(n_samples)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0])
    idx = np.arange(n) % 4
    X = corners[idx] + _noise(noise) * _rng(seed).standard_normal((n, 2))
    return X, labels[idx]


def moons(n_samples: int = 200, *, noise: float = 0.1, seed=None):
    """Two interleaving half circles (as scikit-learn's ``make_moons``),
    shuffled. Class 0 is the upper moon."""
    n = _count(n_samples, minimum=2)
    gen = _rng(seed)
    n0 = n // 2 + n % 2
    n1 = n // 2
    t0 = np.linspace(0, np.pi, n0)
    t1 = np.linspace(0, np.pi, n1)
    X = np.concatenate([np.c_[np.cos(t0), np.sin(t0)],
                        np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]])
    y = np.r_[np.zeros(n0, np.int64), np.ones(n1, np.int64)]
    X += _noise(noise) * gen.standard_normal(X.shape)
    perm = gen.permutation(n)
    return X[perm], y[perm]


def circles(n_samples: int = 200, *, noise: float = 0.05, factor: float = 0.5,
            seed=None):
    """A small circle (class 1, radius ``factor``) inside a unit circle
    (class 0), shuffled."""
    n = _count(n_samples, minimum=2)
    factor = _real(factor, "factor", low=0.0, strict=True, high=1.0)
    gen = _rng(seed)
    n_out = n // 2 + n % 2
    n_in = n // 2
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.concatenate([np.c_[np.cos(t_out), np.sin(t_out)],
                        factor * np.c_[np.cos(t_in), np.sin(t_in)]])
    y = np.r_[np.zeros(n_out, np.int64), np.ones(n_in, np.int64)]
    X += _noise(noise) * gen.standard_normal(X.shape)
    perm = gen.permutation(n)
    return X[perm], y[perm]


def spirals(n_samples: int = 300, *, n_classes: int = 3, noise: float = 0.2,
            turns: float = 1.0, seed=None):
    """``n_classes`` interleaved spiral arms (the CS231n toy problem), labels
    ``0 .. n_classes - 1``, shuffled."""
    n = _count(n_samples, minimum=1)
    k = _count(n_classes, "n_classes", minimum=2)
    turns = _real(turns, "turns")
    gen = _rng(seed)
    y = np.arange(n) % k
    # radius grows along each arm; arm j is rotated by 2*pi*j/k
    per = np.bincount(y, minlength=k)
    r = np.concatenate([np.linspace(0.05, 1.0, c) for c in per])
    yy = np.repeat(np.arange(k), per)
    t = (2 * np.pi * turns * r + 2 * np.pi * yy / k
         + _noise(noise) * gen.standard_normal(n) * 0.5)
    X = np.c_[r * np.sin(t), r * np.cos(t)]
    perm = gen.permutation(n)
    return X[perm], yy[perm].astype(np.int64)


def blobs(n_samples: int = 200, *, n_features: int = 2, separation: float = 4.0,
          std: float = 0.5, seed=None):
    """Two Gaussian blobs that are linearly separable (labels 0/1).

    The centres sit at ``+-separation/2`` along a random unit direction; any
    sample more than ``separation/2`` from its centre along that direction
    is pulled back, so the classes are separable by construction.
    """
    n = _count(n_samples, minimum=2)
    d = _count(n_features, "n_features")
    separation = _real(separation, "separation", low=0.0, strict=True)
    std = _real(std, "std", low=0.0)
    gen = _rng(seed)
    u = gen.standard_normal(d)
    u /= np.linalg.norm(u)
    y = np.r_[np.zeros(n - n // 2, np.int64), np.ones(n // 2, np.int64)]
    sign = np.where(y == 1, 1.0, -1.0)
    X = float(std) * gen.standard_normal((n, d))
    along = X @ u
    half = float(separation) / 2
    # keep every point on its side: clip the component along u
    clipped = np.clip(along, -0.9 * half, 0.9 * half)
    X += np.outer(clipped - along, u)
    X += np.outer(sign * half, u)
    perm = gen.permutation(n)
    return X[perm], y[perm]


def linear_regression(n_samples: int = 100, *, n_features: int = 1,
                      noise: float = 0.1, seed=None, return_coef: bool = False):
    """``y = X @ w + b + noise * N(0, 1)`` with X ~ U(-1, 1) and random w, b.

    With ``return_coef=True`` also returns ``(w, b)``.
    """
    n = _count(n_samples)
    d = _count(n_features, "n_features")
    gen = _rng(seed)
    w = gen.uniform(-2, 2, d)
    b = float(gen.uniform(-1, 1))
    X = gen.uniform(-1, 1, (n, d))
    y = X @ w + b + _noise(noise) * gen.standard_normal(n)
    return (X, y, (w, b)) if return_coef else (X, y)


def seasonal_series(n_steps: int = 400, *, period: float = 50.0, trend: float = 0.002,
                    amplitude: float = 1.0, noise: float = 0.1, seed=None):
    """A noisy seasonal time series ``t -> amplitude*sin(2 pi t/period) +
    trend*t + noise``; returns ``(t, values)``, both (n_steps,)."""
    n = _count(n_steps, "n_steps")
    period = _real(period, "period", low=0.0, strict=True)
    trend = _real(trend, "trend")
    amplitude = _real(amplitude, "amplitude")
    gen = _rng(seed)
    t = np.arange(n, dtype=np.float64)
    values = (float(amplitude) * np.sin(2 * np.pi * t / float(period))
              + float(trend) * t + _noise(noise) * gen.standard_normal(n))
    return t, values


def windows(series, width: int, *, horizon: int = 1):
    """Supervised pairs from a 1-D series: ``X[i] = series[i:i+width]`` and
    ``y[i] = series[i+width+horizon-1]``.

    Returns X (n - width - horizon + 1, width) and y of matching length
    (add an axis, ``X[..., None]``, to feed an RNN).

    >>> X, y = windows(np.arange(6.0), 3)
    >>> X.tolist(), y.tolist()
    ([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0], [2.0, 3.0, 4.0]], [3.0, 4.0, 5.0])
    """
    try:
        s = np.asarray(series, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CalckitTypeError(
            f"series must be a 1-D array of numbers, got {series!r:.60}") from exc
    if s.ndim != 1:
        raise ShapeError(f"series must be 1-D, got shape {s.shape}")
    w = _count(width, "width")
    h = _count(horizon, "horizon")
    m = len(s) - w - h + 1
    if m < 1:
        raise ShapeError(
            f"a series of length {len(s)} is too short for width {w} and "
            f"horizon {h}")
    X = np.lib.stride_tricks.sliding_window_view(s, w)[:m].copy()
    y = s[w + h - 1: w + h - 1 + m].copy()
    return X, y
