"""Numeric Hessians: central second differences with Richardson extrapolation.

At scale ``t`` the diagonal uses ``(f(x + t h_i e_i) - 2 f(x) + f(x - t h_i e_i))
/ (t h_i)**2`` and the off-diagonal entries the four-point formula
``(f(++) - f(+-) - f(-+) + f(--)) / (4 t**2 h_i h_j)``. Both expand in even
powers of ``t``, so Richardson weights over ``t = 1..K`` cancel the first
``K - 1`` error terms. ``central`` is ``K = 1`` (compared with ``K = 2`` for
its error estimate); ``richardson`` uses ``K = HESSIAN_LEVELS`` (compared
with ``K - 1``). All points go to ``f`` in one batch.
"""

from __future__ import annotations

import numpy as np

from calckit.errors import ShapeError
from calckit.numeric._differences import _EPS, _ROUNDING, Estimate
from calckit.numeric._evaluate import call_vector, fname
from calckit.numeric._stencils import (
    HESSIAN_LEVELS,
    RICHARDSON_LEVELS,
    plan_1d,
    richardson_weights,
)
from calckit.numeric._steps import check_method, step_sizes

__all__ = ["HESSIAN_METHODS", "hessian_estimate"]

HESSIAN_METHODS = ("central", "richardson", "complex")
_SIGNS = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])
_MIXED = np.array([1.0, -1.0, -1.0, 1.0])


def _levels(method: str, with_error: bool):
    """Scales t, main Richardson weights and comparison weights over t."""
    if method == "central":
        main = np.array([1.0])
        alt = np.array(richardson_weights(2))
        count = 2 if with_error else 1
    else:
        top = HESSIAN_LEVELS
        main = np.array(richardson_weights(top))
        alt = np.append(richardson_weights(top - 1), 0.0)
        count = top
    main = np.pad(main, (0, count - main.size))[:count]
    alt = np.pad(alt, (0, max(0, count - alt.size)))[:count]
    return np.arange(1.0, count + 1.0), np.stack([main, alt])


def hessian_estimate(
    f, x, method: str = "central", h=None, *, scale=None, vectorized=None,
    with_error: bool = True,
) -> Estimate:
    """Hessians of scalar ``f`` at the rows of ``x`` (shape ``(B, d)``).

    Returns values of shape ``(B, d, d)``.
    """
    check_method(method, allowed=HESSIAN_METHODS)
    if method == "complex":
        return _complex_hessian(f, x, h, scale, vectorized, with_error)
    batch, dim = x.shape
    order = 2 if method == "central" else 2 * HESSIAN_LEVELS
    steps = step_sizes(x, method=method, n=2, h=h, scale=scale, order=order)
    scales, weights = _levels(method, with_error)
    nt = scales.size
    rows, cols = np.triu_indices(dim, 1)
    axes = steps[:, :, None] * np.eye(dim)  # (B, d, d): row i is h_i e_i
    diag = scales[None, :, None, None, None] * (
        np.array([1.0, -1.0])[None, None, None, :, None] * axes[:, None, :, None, :]
    )  # (B, T, d, 2, d)
    mixed = scales[None, :, None, None, None] * (
        _SIGNS[None, None, None, :, 0:1] * axes[:, None, rows, None, :]
        + _SIGNS[None, None, None, :, 1:2] * axes[:, None, cols, None, :]
    )  # (B, T, P, 4, d)
    points = np.concatenate(
        [
            x[:, None, :],
            (x[:, None, None, None, :] + diag).reshape(batch, -1, dim),
            (x[:, None, None, None, :] + mixed).reshape(batch, -1, dim),
        ],
        axis=1,
    )
    values, nfev = call_vector(f, points.reshape(-1, dim), vectorized=vectorized)
    if values.ndim != 1:
        raise ShapeError(
            f"hessian needs a scalar function R^n -> R, but {fname(f)} returns "
            f"shape {values.shape[1:]} per point"
        )
    values = values.reshape(batch, -1)
    f0 = values[:, :1]
    split = 1 + nt * dim * 2
    fd = values[:, 1:split].reshape(batch, nt, dim, 2)
    fm = values[:, split:].reshape(batch, nt, rows.size, 4)
    t2 = scales[None, :, None] ** 2
    hd = steps[:, None, :] ** 2 * t2  # (B, T, d)
    hm = 4.0 * steps[:, None, rows] * steps[:, None, cols] * t2  # (B, T, P)
    base_d = (fd[..., 0] - 2.0 * f0[:, :, None] + fd[..., 1]) / hd
    base_m = (fm @ _MIXED) / hm
    est_d = np.einsum("rt,btd->rbd", weights, base_d)
    est_m = np.einsum("rt,btp->rbp", weights, base_m)
    value = _assemble(est_d[0], est_m[0], rows, cols)
    error = None
    if with_error:
        round_d = (np.abs(fd).sum(-1) + 2.0 * np.abs(f0)[:, :, None]) / hd
        round_m = np.abs(fm).sum(-1) / hm
        rd = np.abs(est_d[0] - est_d[1]) + _ROUNDING * _EPS * np.einsum(
            "t,btd->bd", np.abs(weights[0]), round_d
        )
        rm = np.abs(est_m[0] - est_m[1]) + _ROUNDING * _EPS * np.einsum(
            "t,btp->bp", np.abs(weights[0]), round_m
        )
        error = _assemble(rd, rm, rows, cols)
    return Estimate(value, error, steps, nfev)


def _complex_hessian(f, x, h, scale, vectorized, with_error) -> Estimate:
    """Complex step along e_i, Richardson central differences along e_j.

    ``Im f(x + i c e_i + s e_j) / c`` is the first partial derivative along
    ``e_i`` at ``x + s e_j`` to rounding; differentiating it along ``e_j``
    with the first-derivative Richardson stencil (offsets +-1..+-K) gives
    ``H_ij`` without the cancellation of second differences. 2K evaluations
    per entry of the upper triangle.
    """
    batch, dim = x.shape
    plan = plan_1d("richardson", 1)
    offsets, weights = plan.offsets.astype(float), plan.weights
    if not with_error:
        weights = weights[:1]
    steps = step_sizes(x, method="richardson", n=1, h=h, scale=scale,
                       order=2 * RICHARDSON_LEVELS)
    tiny = step_sizes(x, method="complex", scale=scale)
    rows, cols = np.triu_indices(dim)
    eye = np.eye(dim)
    imag = (tiny[:, rows, None] * eye[rows])[:, None]  # (B, 1, P, d)
    real = offsets[None, :, None, None] * (steps[:, cols, None] * eye[cols])[:, None]
    points = x[:, None, None, :] + real + 1j * imag  # (B, S, P, d)
    values, nfev = call_vector(
        f, points.reshape(-1, dim), vectorized=vectorized, complex_input=True
    )
    if values.ndim != 1:
        raise ShapeError(
            f"hessian needs a scalar function R^n -> R, but {fname(f)} returns "
            f"shape {values.shape[1:]} per point"
        )
    first = values.imag.reshape(batch, offsets.size, rows.size) / tiny[:, None, rows]
    est = np.einsum("rs,bsp->rbp", weights, first - first[:, :1]) / steps[None, :, cols]
    value = _assemble(est[0][:, rows == cols], est[0][:, rows != cols],
                      *np.triu_indices(dim, 1))
    error = None
    if with_error:
        rounding = np.einsum("s,bsp->bp", np.abs(weights[0]), np.abs(first))
        upper = (plan.error_factor * np.abs(est[0] - est[1])
                 + (_ROUNDING * _EPS * rounding) / steps[:, cols])
        error = _assemble(upper[:, rows == cols], upper[:, rows != cols],
                          *np.triu_indices(dim, 1))
    return Estimate(value, error, steps, nfev)


def _assemble(diag, upper, rows, cols):
    batch, dim = diag.shape
    out = np.zeros((batch, dim, dim))
    idx = np.arange(dim)
    out[:, idx, idx] = diag
    out[:, rows, cols] = upper
    out[:, cols, rows] = upper
    return out
