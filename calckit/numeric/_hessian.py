"""Numeric Hessians: second differences with Richardson extrapolation.

``central``: at scale ``t`` the diagonal uses ``(f(x + t h_i e_i) - 2 f(x) +
f(x - t h_i e_i)) / (t h_i)**2`` and the off-diagonal entries the four-point
formula ``(f(++) - f(+-) - f(-+) + f(--)) / (4 t**2 h_i h_j)``, at ``t = 1``
(compared with the Richardson combination of ``t = 1, 2`` for the error
estimate).

``richardson``: second differences along the axes and the diagonals
``h_i e_i + h_j e_j`` at the scales :data:`HESSIAN_SCALES` (the axis points
are shared, so a unique entry costs 2 points per scale); every run of at
least three consecutive scales is Richardson-extrapolated and each entry
takes the run with the smallest error estimate (numdifftools-style), so
entries dominated by rounding use coarse scales and entries dominated by
truncation fine ones.

``complex``: complex step along one axis, Richardson along the other.
All points of one call go to ``f`` in one batch. Steps and rounding bounds
follow ``f``'s precision ``eps`` (see :mod:`calckit.numeric._differences`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from calckit.errors import ShapeError
from calckit.numeric._differences import (
    _EPS,
    _ROUNDING,
    RETRY_SHRINK,
    Estimate,
    _better,
    divide,
    follows_precision,
    underflow,
)
from calckit.numeric._evaluate import call_vector, fname
from calckit.numeric._stencils import (
    HESSIAN_SCALES,
    RICHARDSON_LEVELS,
    plan_1d,
    read_only,
    richardson_weights,
    richardson_weights_at,
)
from calckit.numeric._steps import check_method, step_sizes

__all__ = ["HESSIAN_METHODS", "hessian_estimate"]

HESSIAN_METHODS = ("central", "richardson", "complex")
_SIGNS = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])
_MIXED = np.array([1.0, -1.0, -1.0, 1.0])


def _central_levels(with_error: bool):
    """Scales t, and the weights over t of the estimate and of its comparison."""
    count = 2 if with_error else 1
    main = np.pad([1.0], (0, count - 1))
    alt = np.array(richardson_weights(2))[:count]
    return np.arange(1.0, count + 1.0), np.stack([main, alt])


@follows_precision
def hessian_estimate(
    f, x, method: str = "central", h=None, *, scale=None, vectorized=None,
    with_error: bool = True, eps=None,
) -> Estimate:
    """Hessians of scalar ``f`` at the rows of ``x`` (shape ``(B, d)``).

    Returns values of shape ``(B, d, d)``.
    """
    check_method(method, allowed=HESSIAN_METHODS)
    if method == "complex":
        return _complex_hessian(f, x, h, scale, vectorized, with_error, eps)
    if method == "richardson":
        est, edge = _richardson_hessian(f, x, h, scale, vectorized, eps)
        if h is None and edge:
            # some scale left f's domain (windows without it may reach close
            # to its edge): one retry with smaller steps, as for derivatives;
            # per entry the smaller error estimate wins
            retry, _ = _richardson_hessian(f, x, est.step / RETRY_SHRINK, None,
                                           vectorized, eps)
            take = _better(retry, est)
            # richardson always estimates its error
            assert retry.error is not None and est.error is not None
            est = Estimate(np.where(take, retry.value, est.value),
                           np.where(take, retry.error, est.error),
                           est.step, est.nfev + retry.nfev)
        return est
    batch, dim = x.shape
    steps = step_sizes(x, method=method, n=2, h=h, scale=scale, order=2, eps=eps)
    scales, weights = _central_levels(with_error)
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
    values, nfev = _scalar_values(f, points, vectorized, eps)
    f0 = values[:, :1]
    split = 1 + nt * dim * 2
    fd = values[:, 1:split].reshape(batch, nt, dim, 2)
    fm = values[:, split:].reshape(batch, nt, rows.size, 4)
    # (t h_i)**2 and 4 t**2 h_i h_j as factors: their products overflow or
    # underflow for |x| beyond 1e+-150 (see divide)
    th = scales[None, :, None] * steps[:, None, :]  # (B, T, d)
    hd = (th, th)
    hm = (2.0 * th[..., rows], 2.0 * th[..., cols])  # (B, T, P) each
    base_d = divide(fd[..., 0] - 2.0 * f0[:, :, None] + fd[..., 1], *hd)
    base_m = divide(fm @ _MIXED, *hm)
    est_d = np.einsum("rt,btd->rbd", weights, base_d)
    est_m = np.einsum("rt,btp->rbp", weights, base_m)
    value = _assemble(est_d[0], est_m[0], rows, cols)
    error = None
    if with_error:
        # rounding (and underflow: 4 values of weight 1, 1, 2 or 1, 1, 1, 1)
        # bounds, applied before dividing by the steps
        rounding, lost = _ROUNDING * (eps or _EPS), 4.0 * _ROUNDING * underflow(eps)
        round_d = divide(
            rounding * (np.abs(fd).sum(-1) + 2.0 * np.abs(f0)[:, :, None]) + lost,
            *hd,
        )
        round_m = divide(rounding * np.abs(fm).sum(-1) + lost, *hm)
        # scales the estimate does not use (weight 0) left out: their bounds
        # may overflow, and 0 * inf would make the error estimate nan
        used = weights[0] != 0
        main = np.abs(weights[0][used])
        rd = np.abs(est_d[0] - est_d[1]) + np.einsum(
            "t,btd->bd", main, round_d[:, used]
        )
        rm = np.abs(est_m[0] - est_m[1]) + np.einsum(
            "t,btp->bp", main, round_m[:, used]
        )
        error = _assemble(rd, rm, rows, cols)
    return Estimate(value, error, steps, nfev)


class _Values(NamedTuple):
    values: np.ndarray  # (B, points per base point)
    nfev: int


def _scalar_values(f, points, vectorized, eps=None) -> _Values:
    """``f`` at ``points`` (B, S, d) as (B, S) real values, in one batch."""
    batch, _, dim = points.shape
    values, nfev = call_vector(f, points.reshape(-1, dim), vectorized=vectorized,
                               eps=eps)
    if values.ndim != 1:
        raise ShapeError(
            f"hessian needs a scalar function R^n -> R, but {fname(f)} returns "
            f"shape {values.shape[1:]} per point"
        )
    return _Values(values.reshape(batch, -1), nfev)


def _runs(scales: tuple[int, ...], shortest: int = 3) -> tuple[tuple[int, ...], ...]:
    """Every run of at least ``shortest`` consecutive entries of ``scales``."""
    size = len(scales)
    return tuple(
        scales[start:start + length]
        for length in range(shortest, size + 1)
        for start in range(size - length + 1)
    )


_SCALES = HESSIAN_SCALES
_WINDOWS = _runs(HESSIAN_SCALES)
# base step eps**(1/10) |x| (order-8 balance): the widest window reaches 8x it,
# the finest keeps truncation small for functions varying on the scale of |x|
_ORDER = 8


@lru_cache(maxsize=8)
def _window_weights(scales, windows) -> tuple[np.ndarray, np.ndarray]:
    """Richardson weights over ``scales`` of each window (rows) and of the
    same window without its largest scale (the comparison, one order lower)."""
    main = np.zeros((len(windows), len(scales)))
    alt = np.zeros((len(windows), len(scales)))
    for row, window in enumerate(windows):
        idx = np.array([scales.index(t) for t in window])
        main[row, idx] = richardson_weights_at(window)
        alt[row, idx[:-1]] = richardson_weights_at(window[:-1])
    return read_only(main), read_only(alt)


def _richardson_hessian(f, x, h, scale, vectorized, eps=None
                        ) -> tuple[Estimate, bool]:
    """Richardson Hessian: per entry, the candidate with the smallest error.

    Also says whether some window was void (a value of ``f`` not finite).
    """
    est, error, steps, nfev = _richardson_candidates(f, x, h, scale, vectorized,
                                                     eps)
    edge = bool(np.isnan(est).any())
    dim = x.shape[1]
    rows, cols = np.triu_indices(dim, 1)
    # a window that met a non-finite value of f (a scale reaching outside its
    # domain) never wins; an entry with no finite window stays nan
    error = np.where(np.isfinite(est) & np.isfinite(error), error, np.inf)
    best = error.argmin(axis=1)[:, None]
    value = np.take_along_axis(est, best, axis=1)[:, 0]
    error = np.take_along_axis(error, best, axis=1)[:, 0]
    value = np.where(np.isfinite(error), value, np.nan)
    error = np.where(np.isfinite(error), error, np.nan)
    return Estimate(
        _assemble(value[:, :dim], value[:, dim:], rows, cols),
        _assemble(error[:, :dim], error[:, dim:], rows, cols),
        steps,
        nfev,
    ), edge


def _richardson_candidates(f, x, h, scale, vectorized, eps=None):
    """Second differences along axes and diagonals, extrapolated per entry.

    At each scale ``t`` of :data:`HESSIAN_SCALES` the diagonal entry is
    ``(f(x + t h_i e_i) - 2 f(x) + f(x - t h_i e_i)) / (t h_i)**2`` and the
    off-diagonal one ``(S_ij - S_i - S_j) / (2 t**2 h_i h_j)`` with
    ``S_ij = f(x + t u) + f(x - t u) - 2 f(x)`` along ``u = h_i e_i + h_j e_j``
    and ``S_i`` the same along ``h_i e_i``: the pure terms of the Taylor series
    cancel exactly, and the axis points are shared by all entries, so each
    unique entry costs ``2K`` points for ``K`` scales (plus the centre). Every
    run of at least three consecutive scales is Richardson-extrapolated;
    returns the candidates ``(B, W, E)``, their error estimates (distance to
    the same run without its largest scale, plus a rounding bound), the
    steps and the number of evaluations. ``E`` lists the ``d`` diagonal
    entries, then the upper triangle.
    """
    batch, dim = x.shape
    levels = len(_SCALES)
    steps = step_sizes(x, method="richardson", n=2, h=h, scale=scale,
                       order=_ORDER, eps=eps)
    rows, cols = np.triu_indices(dim, 1)
    axes = steps[:, :, None] * np.eye(dim)  # (B, d, d): row i is h_i e_i
    dirs = np.concatenate([axes, axes[:, rows] + axes[:, cols]], axis=1)  # (B, D, d)
    scales = np.array(_SCALES, dtype=float)
    disp = (scales[:, None, None, None] * np.array([1.0, -1.0])[:, None, None]
            )[None] * dirs[:, None, None, :, :]  # (B, K, 2, D, d)
    points = np.concatenate(
        [x[:, None, :], (x[:, None, None, None, :] + disp).reshape(batch, -1, dim)],
        axis=1,
    )
    out = _scalar_values(f, points, vectorized, eps)
    f0 = out.values[:, :1, None]  # (B, 1, 1)
    pairs = out.values[:, 1:].reshape(batch, levels, 2, -1)
    # f(x +- t u) - f(x) is exact for nearby values: difference before summing
    second = (pairs - f0[..., None]).sum(axis=2)  # (B, K, D)
    # rounding bounds, scaled by eps before dividing by the steps
    # (with the underflow bound of the 4 values of weights 1, 1, 2; a mixed
    # entry combines 3 such sums sharing f(x): 8)
    rounding, lost = _ROUNDING * (eps or _EPS), _ROUNDING * underflow(eps)
    size = rounding * (np.abs(pairs).sum(axis=2) + 2.0 * np.abs(f0)) + 4.0 * lost
    # (t h_i)**2 and 2 t**2 h_i h_j as factors (see divide)
    th = scales[None, :, None] * steps[:, None, :]  # (B, K, d)
    hd = (th, th)
    hm = (2.0 * th[..., rows], th[..., cols])
    axis, diag = second[..., :dim], second[..., dim:]
    base = np.concatenate(
        [divide(axis, *hd), divide(diag - axis[..., rows] - axis[..., cols], *hm)],
        axis=2,
    )  # (B, K, E): E = d diagonal entries, then the upper triangle
    mag_axis = size[..., :dim] - 2.0 * (rounding * np.abs(f0) + lost)
    mag = np.concatenate(
        [divide(size[..., :dim], *hd),
         divide(size[..., dim:] + mag_axis[..., rows] + mag_axis[..., cols], *hm)],
        axis=2,
    )
    main, alt = _window_weights(_SCALES, _WINDOWS)
    finite = np.isfinite(base) & np.isfinite(mag)
    if not finite.all():  # a scale left f's domain: zero it, void its windows
        base, mag = np.where(finite, base, 0.0), np.where(finite, mag, 0.0)
    est = np.einsum("wk,bke->bwe", main, base)
    error = np.abs(est - np.einsum("wk,bke->bwe", alt, base)) + np.einsum(
        "wk,bke->bwe", np.abs(main), mag
    )
    if not finite.all():
        uses = (main != 0).astype(float)
        void = np.einsum("wk,bke->bwe", uses, (~finite).astype(float)) > 0
        est[void], error[void] = np.nan, np.nan
    return est, error, steps, out.nfev


def _complex_hessian(f, x, h, scale, vectorized, with_error, eps=None) -> Estimate:
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
                       order=2 * RICHARDSON_LEVELS, eps=eps)
    tiny = step_sizes(x, method="complex", scale=scale, eps=eps)
    rows, cols = np.triu_indices(dim)
    eye = np.eye(dim)
    imag = (tiny[:, rows, None] * eye[rows])[:, None]  # (B, 1, P, d)
    real = offsets[None, :, None, None] * (steps[:, cols, None] * eye[cols])[:, None]
    points = x[:, None, None, :] + real + 1j * imag  # (B, S, P, d)
    values, nfev = call_vector(
        f, points.reshape(-1, dim), vectorized=vectorized, complex_input=True,
        eps=eps,
    )
    if values.ndim != 1:
        raise ShapeError(
            f"hessian needs a scalar function R^n -> R, but {fname(f)} returns "
            f"shape {values.shape[1:]} per point"
        )
    first = (np.where(np.isfinite(values), values.imag, np.nan)
             .reshape(batch, offsets.size, rows.size) / tiny[:, None, rows])
    est = np.einsum("rs,bsp->rbp", weights, first - first[:, :1]) / steps[None, :, cols]
    value = _assemble(est[0][:, rows == cols], est[0][:, rows != cols],
                      *np.triu_indices(dim, 1))
    error = None
    if with_error:
        rounding = np.einsum("s,bsp->bp", np.abs(weights[0]), np.abs(first))
        # Im f may underflow (tiny x): its absolute error over the complex step
        lost = np.abs(weights[0]).sum() * underflow(eps) / tiny[:, rows]
        upper = (plan.error_factor * np.abs(est[0] - est[1])
                 + _ROUNDING * ((eps or _EPS) * rounding + lost) / steps[:, cols])
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
