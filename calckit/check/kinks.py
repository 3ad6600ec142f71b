"""Kinks: where an expression may not be differentiable, and the one-sided
derivatives that tell a kink from a wrong derivative.

A failing entry is a *kink* when the function has one there (an expression:
a ``Piecewise``/``Abs``/``Max``... condition changes sign within the
stencils' reach, see :func:`near_kinks`; a model: any entry, its ReLUs and
max-pools being invisible) and its one-sided derivatives differ (or cannot
be resolved). Two one-sided derivatives that agree with each other but not
with the exact value show a wrong exact value: a failure.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import sympy as sp

from calckit.kernels import compile as compile_kernel
from calckit.numeric._differences import directional_estimate
from calckit.symbolic._kinks import kink_surfaces

__all__ = ["Sides", "near_kinks", "one_sided", "surfaces"]

#: Reach of the widest stencil gradcheck uses, relative to max-ish |x_j| (the
#: richardson stencil spans +-6 steps of 1.6 % of |x_j|).
REACH = 0.1


class Sides(NamedTuple):
    """One-sided derivatives of every entry."""

    surface: np.ndarray  # on a Piecewise/Abs/Max/... boundary (a kink may be there)
    disagree: np.ndarray  # one-sided derivatives differ
    left: np.ndarray
    right: np.ndarray
    error: np.ndarray  # sum of both error estimates
    step: np.ndarray
    nfev: int  # evaluations of f (order 1; order 2 differentiates the gradient)


def one_sided(g, pts, order: int, near, rtol: float, atol: float) -> Sides:
    """One-sided derivatives of ``g`` (``f`` for order 1, the exact gradient
    for order 2) at ``pts`` (k, n), and where they disagree.

    ``near`` (k, n) marks the coordinates along which ``f`` may have a kink.
    Fourth-order one-sided stencils on steps scaled to ``|x|`` and to
    ``max(|x|, 1)``: per entry the pair with the smaller error estimate.
    """
    k, n = pts.shape
    shape = (k,) + (n,) * order
    best: tuple[np.ndarray, ...] | None = None
    nfev = 0
    for scale_to in (None, np.maximum(np.abs(pts), 1.0)):
        fwd = directional_estimate(g, pts, "forward", scale=scale_to,
                                   vectorized=True, levels=4)
        bwd = directional_estimate(g, pts, "backward", scale=scale_to,
                                   vectorized=True, levels=4)
        nfev += (fwd.nfev + bwd.nfev) if order == 1 else 0
        step = fwd.step if order == 1 else np.broadcast_to(fwd.step[:, None, :],
                                                           shape)
        pair = (bwd.value, fwd.value,
                np.nan_to_num(fwd.error + bwd.error, nan=np.inf), step)
        if best is None:
            best = pair
        else:
            better = pair[2] < best[2]
            best = tuple(np.where(better, new, old)
                         for new, old in zip(pair, best, strict=True))
    assert best is not None  # the loop above runs twice
    left, right, error, step = best
    gap = np.abs(right - left)
    scale = np.maximum(np.abs(left), np.abs(right))
    disagree = gap > atol + rtol * scale + 4.0 * error
    # a one-sided estimate with a large error estimate sees a jump: not smooth
    disagree |= ~(error <= 1e-4 * scale + atol)
    disagree |= ~(np.isfinite(left) & np.isfinite(right))
    surface = near if order == 1 else near[:, :, None] | near[:, None, :]
    return Sides(surface, disagree, left, right, error, step, nfev)


def surfaces(e) -> list:
    """Expressions vanishing where ``e`` may not be differentiable: the
    :func:`~calckit.symbolic._kinks.kink_surfaces`, and ``sin(pi u)`` for every
    ``floor(u)``, ``ceiling(u)`` and ``frac(u)``, which jump wherever ``u`` is
    an integer (not only where ``u = 0``)."""
    steps = {node.args[0] for node in sp.preorder_traversal(e)
             if isinstance(node, (sp.floor, sp.ceiling, sp.frac))}
    extra = [sp.sin(sp.pi * u) for u in sorted(steps, key=sp.default_sort_key)
             if u.free_symbols]
    return list(dict.fromkeys([*kink_surfaces(e), *extra]))


def near_kinks(e, wrt_syms, param_syms, param_values, pts) -> np.ndarray:
    """(k, n): a kink surface of ``e`` within the stencils' reach of point p
    along coordinate j (one that varies along ``e_j`` and changes sign
    between ``x -+ r e_j``, or vanishes at ``x``).

    A surface that does not vary along ``e_j`` (``y`` for ``Abs(y)``, seen
    along ``x``) is no kink of the partial derivatives in ``x_j``, even where
    it vanishes: ``f`` is as smooth in ``x_j`` as the rest of it."""
    found = surfaces(e)
    k, n = pts.shape
    if not found:
        return np.zeros((k, n), dtype=bool)
    kernel = compile_kernel(found, wrt_syms, param_syms, stable=False)
    ref = np.where(pts != 0, np.abs(pts), 1.0)
    shifts = REACH * ref[:, None, :] * np.eye(n)  # (k, n, n): row j along e_j
    probe = np.concatenate([pts[:, None, :], pts[:, None, :] - shifts,
                            pts[:, None, :] + shifts], axis=1)  # (k, 1 + 2n, n)
    extra = [np.repeat(v, 1 + 2 * n) if v.ndim else v for v in param_values]
    with np.errstate(all="ignore"):
        values = np.broadcast_to(kernel(*probe.reshape(-1, n).T, *extra),
                                 (k * (1 + 2 * n), len(found)))
    values = values.reshape(k, 1 + 2 * n, len(found))
    at, lo, hi = values[:, :1], values[:, 1:1 + n], values[:, 1 + n:]
    # on the surface: 0 up to rounding, measured against how much it changes
    # within reach along e_j (not against the largest coordinate: y = 1e-3
    # is no kink of Abs(y) because x = 1e10)
    change = np.maximum(np.abs(lo - at), np.abs(hi - at))  # (k, n, S)
    on = np.abs(at) <= 1e-12 * change
    crossed = np.sign(lo) * np.sign(hi) <= 0  # (k, n, S)
    varies = (lo != at) | (hi != at)  # (k, n, S): depends on x_j here
    return np.any(varies & (on | crossed), axis=2)
