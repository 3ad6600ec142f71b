"""Finite-difference and complex-step derivatives, evaluated in batches.

The private ``*_estimate`` functions return an :class:`Estimate` (value,
error estimate, steps, number of evaluations); the public wrappers in
``calckit.numeric`` unpack it.

The error estimate is the distance to a second stencil of different order
(see :mod:`calckit.numeric._stencils`) plus a rounding bound
``4 eps sum|w_i f_i| / h**n``. For ``richardson`` the comparison stencil is
of lower order, so the estimate is conservative (an upper bound in practice).
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from calckit.errors import CalckitTypeError, InvalidParameterError, ShapeError
from calckit.numeric._evaluate import call_elementwise, call_vector, fname
from calckit.numeric._stencils import RICHARDSON_LEVELS, plan_1d, read_only
from calckit.numeric._steps import check_method, step_sizes

__all__ = ["Estimate", "as_point", "derivative_estimate", "directional_estimate"]

_EPS = float(np.finfo(float).eps)
_ROUNDING = 4.0  # assumed ulps of error in each value of f
_MAX_ORDER = 10


class Estimate(NamedTuple):
    """A numeric derivative with its error estimate and the steps used."""

    value: np.ndarray
    error: np.ndarray
    step: np.ndarray
    nfev: int


def stencil_order(method: str, levels: int | None = None) -> int:
    """Truncation order of ``method``'s main stencil."""
    if method in ("forward", "backward"):
        return levels or 1
    if method == "central":
        return 2
    return 2 * (levels or RICHARDSON_LEVELS)


def check_n(n, method: str) -> int:
    """Validate the derivative order ``n`` for ``method``."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise InvalidParameterError(f"n must be a positive int; got {n!r}")
    if not 1 <= n <= _MAX_ORDER:
        raise InvalidParameterError(f"n must be in 1..{_MAX_ORDER}; got {n}")
    if method == "complex" and n != 1:
        raise InvalidParameterError(
            f"method='complex' (complex step) gives first derivatives only; got "
            f"n={n}; use method='richardson' for higher orders"
        )
    return int(n)


def as_point(x, *, name: str = "x", ndim: int | None = None) -> np.ndarray:
    """``x`` as a finite float array, or a clear error naming ``name``."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise CalckitTypeError(
            f"{name} must be a real number or array of real numbers; got {x!r}"
        ) from None
    if ndim is not None and arr.ndim != ndim:
        raise ShapeError(f"{name} must be {ndim}-dimensional; got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise InvalidParameterError(f"{name} must be finite; got {x!r}")
    return arr


def _combine(weights, values, hn, with_error, factor):
    """Apply stencil rows to values (leading axis = offsets), scale by h**n."""
    # the weights sum to 0 (n >= 1): subtracting one row changes nothing exactly,
    # but makes a constant f give exactly 0 and shrinks the terms summed
    est = np.tensordot(weights, values - values[:1], axes=(1, 0)) / hn
    if not with_error:
        return est[0], None
    rounding = np.tensordot(np.abs(weights[0]), np.abs(values), axes=(0, 0)) / hn
    error = factor * np.abs(est[0] - est[1]) + _ROUNDING * _EPS * rounding
    return est[0], error


def _plan(method, n, with_error, levels=None):
    plan = plan_1d(method, n, levels)
    offsets, weights = plan.offsets, plan.weights
    if not with_error:
        keep = weights[0] != 0.0
        offsets, weights = offsets[keep], weights[:1, keep]
    return offsets, weights, plan.error_factor


def derivative_estimate(
    f, x, n: int = 1, method: str = "central", h=None, *, scale=None,
    with_error: bool = True,
) -> Estimate:
    """Elementwise n-th derivative of ``f`` at every entry of ``x``."""
    check_method(method)
    n = check_n(n, method)
    x = as_point(x)
    if method == "complex":
        steps = step_sizes(x, method="complex", h=h, scale=scale)
        values, nfev = call_elementwise(f, x + 1j * steps, complex_input=True)
        value = values.imag / steps
        return Estimate(value, _complex_error(value), steps, nfev)
    steps = step_sizes(x, method=method, n=n, h=h, scale=scale,
                       order=stencil_order(method))
    offsets, weights, factor = _plan(method, n, with_error)
    shaped = offsets.astype(float).reshape((-1,) + (1,) * x.ndim)
    values, nfev = call_elementwise(f, x + shaped * steps)
    value, error = _combine(weights, values, steps**n, with_error, factor)
    return Estimate(value, error, steps, nfev)


def _complex_error(value):
    """Rounding only: the truncation error of the complex step (h**2 times the
    third derivative / 6, with h ~ 1e-20 |x|) is far below it; an explicit
    large ``h`` is not estimated."""
    return 8.0 * _EPS * np.abs(value)


def directional_estimate(
    f, x, method: str = "central", h=None, *, scale=None, vectorized=None,
    with_error: bool = True, n: int = 1, levels: int | None = None,
) -> Estimate:
    """n-th partial derivatives of ``f: R^n -> R^m`` along each coordinate.

    ``x`` has shape ``(B, d)`` (B base points). Returns values of shape
    ``(B, *out, d)`` where ``out`` is the shape of ``f`` at one point.
    ``levels`` sets the order of one-sided stencils (default 1) or the
    Richardson levels (default :data:`RICHARDSON_LEVELS`).
    """
    check_method(method)
    n = check_n(n, method)
    batch, dim = x.shape
    eye = np.eye(dim)
    if method == "complex":
        steps = step_sizes(x, method="complex", h=h, scale=scale)
        points = x[:, None, :] + 1j * (steps[:, :, None] * eye)
        values, nfev = call_vector(
            f, points.reshape(batch * dim, dim), vectorized=vectorized,
            complex_input=True,
        )
        out = values.shape[1:]
        values = values.reshape((batch, dim) + out)
        value = values.imag / steps.reshape((batch, dim) + (1,) * len(out))
        value = np.moveaxis(value, 1, -1)
        return Estimate(value, _complex_error(value), steps, nfev)
    steps = step_sizes(x, method=method, n=n, h=h, scale=scale,
                       order=stencil_order(method, levels))
    shifts, weights, factor, centre = _vector_plan(method, n, with_error, levels)
    disp = shifts[None, :, None, None] * (steps[:, None, :, None] * eye)
    points = (x[:, None, None, :] + disp).reshape(batch, -1, dim)
    if centre:
        points = np.concatenate([x[:, None, :], points], axis=1)
    count = points.shape[1]
    values, nfev = call_vector(f, points.reshape(-1, dim), vectorized=vectorized)
    out = values.shape[1:]
    values = values.reshape(batch, count, -1)  # (B, P, M)
    size = values.shape[2]
    grid = values[:, int(centre):].reshape(batch, shifts.size, dim * size)
    if centre:
        centre_values = np.tile(values[:, :1], (1, 1, dim))
        grid = np.concatenate([centre_values, grid], axis=1)  # (B, S, d*M)
    # weights sum to 0: subtracting one row is exact and keeps constants at 0
    est = (weights @ (grid - grid[:, :1])).reshape(batch, -1, dim, size)
    hn = (steps**n)[:, :, None]  # (B, d, 1)
    value = est[:, 0] / hn
    error = None
    if with_error:
        rounding = (np.abs(weights[0]) @ np.abs(grid)).reshape(batch, dim, size)
        error = factor * np.abs(value - est[:, 1] / hn) + (
            _ROUNDING * _EPS * rounding / hn
        )
        error = np.swapaxes(error, 1, 2).reshape((batch, *out, dim))
    value = np.swapaxes(value, 1, 2).reshape((batch, *out, dim))
    return Estimate(value, error, steps, nfev)


@lru_cache(maxsize=64)
def _vector_plan(method, n, with_error, levels=None):
    """(nonzero offsets, weights with the centre column first, factor, centre)."""
    offsets, weights, factor = _plan(method, n, with_error, levels)
    nonzero = offsets != 0
    centre = not bool(np.all(nonzero))
    weights = np.concatenate([weights[:, ~nonzero], weights[:, nonzero]], axis=1)
    return read_only(offsets[nonzero].astype(float)), read_only(weights), factor, centre


def check_scalar_output(est: Estimate, f, what: str) -> None:
    """Raise when ``f`` is not scalar-valued (for gradient and Hessian)."""
    if est.value.ndim != 2:
        raise ShapeError(
            f"{what} needs a scalar function R^n -> R, but {fname(f)} returns "
            f"shape {est.value.shape[1:-1]} per point; use jacobian instead"
        )
