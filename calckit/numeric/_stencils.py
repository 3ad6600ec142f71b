"""Finite-difference stencils: exact weights and the plan of each method.

A *plan* says where to evaluate ``f`` (integer offsets, in units of the step
``h``) and how to combine the values: row 0 of ``weights`` gives the estimate,
row 1 a second estimate of a different order whose distance from the first,
times ``error_factor``, estimates the truncation error.

Weights are computed exactly with fractions (so the stencils are correct to the
last bit) and cached in a small bounded cache.

>>> fd_weights((-1, 1), 1)
(-0.5, 0.5)
>>> fd_weights((-1, 0, 1), 2)
(1.0, -2.0, 1.0)
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from math import factorial
from typing import NamedTuple

import numpy as np

__all__ = [
    "HESSIAN_LEVELS",
    "HESSIAN_SCALES",
    "Plan",
    "RICHARDSON_LEVELS",
    "fd_weights",
    "plan_1d",
    "read_only",
    "richardson_weights",
    "richardson_weights_at",
]

#: Number of Richardson levels (central differences at steps h, 2h, ..., K*h).
#: For a first derivative this is the 12-point, 12th-order central stencil: the
#: accuracy panel reaches 1e-12 relative error with it (1e-11 with K = 4).
RICHARDSON_LEVELS = 6
#: Scales t of the Richardson Hessian: second differences at t*h along every
#: axis and every diagonal e_i + e_j (K n (n + 1) + 1 points for K scales: 2K
#: per unique entry plus the centre). Geometric-like spacing lets each entry
#: pick, by its error estimate, a window of fine scales (functions that vary
#: on the scale of |x|) or of coarse ones (less rounding error).
HESSIAN_SCALES = (1, 2, 3, 4, 6, 8)
#: Number of Hessian Richardson scales.
HESSIAN_LEVELS = len(HESSIAN_SCALES)


class Plan(NamedTuple):
    """Offsets (in units of h) and weights (rows: estimate, comparison)."""

    offsets: np.ndarray  # (S,) int
    weights: np.ndarray  # (2, S) float
    error_factor: float  # truncation error ~ error_factor * |row0 - row1|


def _solve_exact(matrix: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction]:
    """Gaussian elimination over the rationals (small systems only)."""
    size = len(rhs)
    a = [row[:] + [b] for row, b in zip(matrix, rhs, strict=True)]
    for col in range(size):
        pivot = next(r for r in range(col, size) if a[r][col] != 0)
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(size):
            if r != col and a[r][col] != 0:
                ratio = a[r][col] / a[col][col]
                a[r] = [u - ratio * v for u, v in zip(a[r], a[col], strict=True)]
    return [a[r][size] / a[r][r] for r in range(size)]


@lru_cache(maxsize=128)
def _fd_weights_exact(offsets: tuple[int, ...], n: int) -> tuple[Fraction, ...]:
    matrix = [[Fraction(o) ** k for o in offsets] for k in range(len(offsets))]
    rhs = [Fraction(factorial(n) if k == n else 0) for k in range(len(offsets))]
    return tuple(_solve_exact(matrix, rhs))


def fd_weights(offsets: tuple[int, ...], n: int) -> tuple[float, ...]:
    """Weights ``w`` with ``sum(w * f(x + o*h)) / h**n`` = n-th derivative.

    The stencil has the highest order the offsets allow.
    """
    return tuple(float(w) for w in _fd_weights_exact(tuple(offsets), n))


@lru_cache(maxsize=32)
def richardson_weights(levels: int) -> tuple[float, ...]:
    """Weights ``c_t`` (t = 1..levels) cancelling t**2, ..., t**(2*levels-2).

    For a formula ``B(t*h) = D + a1 (t h)**2 + a2 (t h)**4 + ...`` the sum
    ``sum(c_t * B(t*h))`` equals ``D + O(h**(2*levels))``.

    >>> richardson_weights(2)
    (1.3333333333333333, -0.3333333333333333)
    """
    return richardson_weights_at(tuple(range(1, levels + 1)))


@lru_cache(maxsize=64)
def richardson_weights_at(scales: tuple[int, ...]) -> tuple[float, ...]:
    """Richardson weights for the formula evaluated at ``t*h``, t in ``scales``.

    Cancels the terms in t**2, ..., t**(2*len(scales)-2).

    >>> richardson_weights_at((2, 4))
    (1.3333333333333333, -0.3333333333333333)
    """
    size = len(scales)
    matrix = [[Fraction(t) ** (2 * k) for t in scales] for k in range(size)]
    rhs = [Fraction(1) if k == 0 else Fraction(0) for k in range(size)]
    return tuple(float(c) for c in _solve_exact(matrix, rhs))


def _on(offsets: tuple[int, ...], sub: tuple[int, ...], n: int) -> np.ndarray:
    """Weights of the stencil ``sub`` spread onto the index set ``offsets``."""
    weights = dict(zip(sub, fd_weights(sub, n), strict=True))
    return np.array([weights.get(o, 0.0) for o in offsets])


@lru_cache(maxsize=64)
def plan_1d(method: str, n: int, levels: int | None = None) -> Plan:
    """The plan of ``method`` for the n-th derivative along one direction.

    - forward/backward: offsets 0..n+L-1 (order L = ``levels``, default 1),
      compared with 0..n+L (order L+1);
    - central: offsets -p..p (order 2), compared with the order-4 stencil;
    - richardson: offsets -(p+K-1)..(p+K-1) (order 2K), compared with the
      order 2K-2 stencil (a conservative error estimate).

    Zero weights (the centre of odd derivatives) are dropped.

    >>> plan_1d("central", 1).offsets.tolist()
    [-2, -1, 1, 2]
    """
    p = (n + 1) // 2
    if method in ("forward", "backward"):
        top = n + (levels or 1)
        main, alt, factor = tuple(range(top)), tuple(range(top + 1)), 1.0
        if method == "backward":
            main, alt = tuple(-o for o in main), tuple(-o for o in alt)
    elif method == "central":
        main, alt, factor = tuple(range(-p, p + 1)), tuple(range(-p - 1, p + 2)), 1.0
    elif method == "richardson":
        top = p + (levels or RICHARDSON_LEVELS) - 1
        main, alt = tuple(range(-top, top + 1)), tuple(range(-top + 1, top))
        factor = 1.0
    else:  # pragma: no cover - validated by callers
        raise ValueError(method)
    union = tuple(sorted(set(main) | set(alt)))
    weights = np.stack([_on(union, main, n), _on(union, alt, n)])
    keep = np.any(weights != 0.0, axis=0)
    offsets = np.array(union)[keep]
    return Plan(read_only(offsets), read_only(weights[:, keep]), factor)


def read_only(a: np.ndarray) -> np.ndarray:
    """``a``, no longer writeable: cached plans are shared by every caller."""
    a.setflags(write=False)
    return a
