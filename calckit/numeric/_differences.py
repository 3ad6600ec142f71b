"""Finite-difference and complex-step derivatives, evaluated in batches.

The private ``*_estimate`` functions return an :class:`Estimate` (value,
error estimate, steps, number of evaluations); the public wrappers in
``calckit.numeric`` unpack it.

The error estimate is the distance to a second stencil of different order
(see :mod:`calckit.numeric._stencils`) plus a rounding bound
``4 eps sum|w_i f_i| / h**n``. For ``richardson`` the comparison stencil is
of lower order, so the estimate is conservative (an upper bound in practice).

``eps`` is the relative precision of ``f``: float64's machine epsilon unless
``f`` returns float32 (float16, complex64) values, found on the first batch;
the estimate is then redone with steps and rounding bounds for that
precision (:func:`follows_precision`).
"""

from __future__ import annotations

from functools import lru_cache, wraps
from typing import NamedTuple

import numpy as np

from calckit._validate import Integer, Interval, check
from calckit.errors import CalckitTypeError, InvalidParameterError, ShapeError
from calckit.numeric._evaluate import (
    LowPrecision,
    call_elementwise,
    call_vector,
    fname,
)
from calckit.numeric._stencils import RICHARDSON_LEVELS, plan_1d, read_only
from calckit.numeric._steps import check_method, step_sizes

__all__ = ["Estimate", "as_point", "derivative_estimate", "directional_estimate"]

_EPS = float(np.finfo(float).eps)
_ROUNDING = 4.0  # assumed ulps of error in each value of f
_MAX_ORDER = 10


class Estimate(NamedTuple):
    """A numeric derivative with its error estimate and the steps used."""

    value: np.ndarray
    error: np.ndarray | None  # None when the estimate was asked without one
    step: np.ndarray
    nfev: int


def follows_precision(estimator):
    """Make ``estimator`` (keyword ``eps``, None: float64) follow ``f``'s precision.

    When ``f`` turns out to compute in less precision than ``eps``
    (:class:`LowPrecision`), the whole estimate is redone at ``f``'s
    precision (steps chosen anew), counting the evaluations of both.
    """

    @wraps(estimator)
    def wrapper(*args, eps=None, **kwargs):
        try:
            return estimator(*args, eps=eps, **kwargs)
        except LowPrecision as low:  # low.eps > eps: this ends
            est = wrapper(*args, eps=low.eps, **kwargs)
            return est._replace(nfev=est.nfev + low.nfev)

    return wrapper


def stencil_order(method: str, levels: int | None = None) -> int:
    """Truncation order of ``method``'s main stencil."""
    if method in ("forward", "backward"):
        return levels or 1
    if method == "central":
        return 2
    return 2 * (levels or RICHARDSON_LEVELS)


def check_n(n, method: str) -> int:
    """Validate the derivative order ``n`` for ``method``."""
    check(n, Integer(1), "n")
    check(n, Interval(1, _MAX_ORDER), "n")
    if method == "complex" and n != 1:
        raise InvalidParameterError(
            f"method='complex' (complex step) gives first derivatives only; got "
            f"n={n}; use method='richardson' for higher orders"
        )
    return int(n)


def as_point(x, *, name: str = "x", ndim: int | None = None) -> np.ndarray:
    """``x`` as a finite float array, or a clear error naming ``name``."""
    if np.iscomplexobj(x) or (isinstance(x, (list, tuple)) and any(
            isinstance(v, complex) for v in np.ravel(np.asarray(x, dtype=object)))):
        raise CalckitTypeError(
            f"{name} must be real; got complex {x!r:.80} (casting would drop the "
            "imaginary part: differentiate along the real and imaginary parts "
            "separately)"
        )
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


def underflow(eps=None) -> float:
    """Absolute error of a value of ``f`` that underflowed: the smallest
    subnormal of ``f``'s type (of precision ``eps``; None: float64).

    Where every value of ``f`` underflows (``x**2`` at ``x = 1e-200``) the
    relative rounding bound ``eps |f|`` is 0, and a second difference of
    zeros would claim an exact 0; this absolute bound per value keeps the
    error estimate honest (it is negligible wherever ``f`` does not
    underflow)."""
    for dtype in (np.float64, np.float32):
        if (eps or _EPS) <= np.finfo(dtype).eps:
            return float(np.finfo(dtype).smallest_subnormal)
    return float(np.finfo(np.float16).smallest_subnormal)


def rounding_bound(abs_weights, abs_values, eps=None, axes=(0, 0)):
    """``4 (eps sum|w_i||f_i| + underflow sum|w_i|)``: the rounding error of a
    stencil sum (before the division by the steps)."""
    total = np.tensordot(abs_weights, abs_values, axes=axes)
    return _ROUNDING * ((eps or _EPS) * total
                        + underflow(eps) * np.sum(abs_weights))


def divide(a, *factors):
    """``a / (factors[0] * factors[1] * ...)`` without forming the product.

    ``h**n`` overflows for steps above ``1e+308 ** (1/n)`` and underflows
    below ``1e-308 ** (1/n)`` (``|x|`` near 1e200 or 1e-200 for ``n = 2``),
    which turned second derivatives there into 0 (with an error estimate of
    0) or ``nan``. The factors are split into mantissas (multiplied) and
    binary exponents (added), and ``a`` is scaled by ``ldexp``: exact for
    power-of-two steps, one rounding per factor otherwise.
    """
    mantissa, exponent = 1.0, 0
    for factor in factors:
        m, e = np.frexp(factor)
        mantissa, exponent = mantissa * m, exponent + e
    with np.errstate(over="ignore", under="ignore"):  # a true +-inf or 0
        return np.ldexp(a / mantissa, -exponent)


def per_step(a, h, n: int):
    """``a / h**n`` without overflow or underflow of ``h**n`` (see :func:`divide`)."""
    return divide(a, *([h] * n))


def _combine(weights, values, h, n, with_error, factor, eps=None):
    """Apply stencil rows to values (leading axis = offsets), scale by h**n."""
    # the weights sum to 0 (n >= 1): subtracting one row changes nothing exactly,
    # but makes a constant f give exactly 0 and shrinks the terms summed
    est = per_step(np.tensordot(weights, values - values[:1], axes=(1, 0)), h, n)
    if not with_error:
        return est[0], None
    # the rounding bound is scaled by eps before dividing by h**n: the bound
    # itself stays finite wherever it is representable
    rounding = per_step(rounding_bound(np.abs(weights[0]), np.abs(values), eps),
                        h, n)
    error = factor * np.abs(est[0] - est[1]) + rounding
    return est[0], error


def _plan(method, n, with_error, levels=None):
    plan = plan_1d(method, n, levels)
    offsets, weights = plan.offsets, plan.weights
    if not with_error:
        keep = weights[0] != 0.0
        offsets, weights = offsets[keep], weights[:1, keep]
    return offsets, weights, plan.error_factor


@follows_precision
def derivative_estimate(
    f, x, n: int = 1, method: str = "central", h=None, *, scale=None,
    with_error: bool = True, eps=None,
) -> Estimate:
    """Elementwise n-th derivative of ``f`` at every entry of ``x``."""
    check_method(method)
    n = check_n(n, method)
    x = as_point(x)
    if method == "complex":
        steps = step_sizes(x, method="complex", h=h, scale=scale, eps=eps)
        values, nfev = call_elementwise(f, x + 1j * steps, complex_input=True,
                                        eps=eps)
        value = _complex_quotient(values, steps)
        return Estimate(value, _complex_error(value, steps, eps), steps, nfev)
    steps = step_sizes(x, method=method, n=n, h=h, scale=scale,
                       order=stencil_order(method), eps=eps)
    offsets, weights, factor = _plan(method, n, with_error)
    shaped = offsets.astype(float).reshape((-1,) + (1,) * x.ndim)
    values, nfev = call_elementwise(f, x + shaped * steps, eps=eps)
    value, error = _combine(weights, values, steps, n, with_error, factor, eps)
    if method == "richardson" and not np.all(np.isfinite(values)):
        bad = ~np.isfinite(np.asarray(value))
        value, error = _narrow_where_not_finite(
            values.reshape(offsets.size, -1), offsets, n, steps.reshape(-1),
            value, error, eps=eps,
        )
        if h is None and bad.any():
            return _elementwise_retry(f, x, n, Estimate(value, error, steps, nfev),
                                      bad, with_error, eps)
    return Estimate(value, error, steps, nfev)


#: Steps of the one retry made for Richardson entries left non-finite.
RETRY_SHRINK = 16.0


def _elementwise_retry(f, x, n, est: Estimate, bad, with_error: bool,
                       eps=None) -> Estimate:
    """Redo the ``bad`` entries with steps / :data:`RETRY_SHRINK`.

    Their full stencil met a non-finite value of ``f`` (``x`` within a few
    steps of the edge of its domain). The retry, on those entries only, uses
    the full stencil again where it now fits (narrowed where it still does
    not); entries it cannot give keep the narrowed estimate at the original
    steps, and entries where ``f(x)`` itself is not finite stay ``nan``.
    """
    retry = derivative_estimate(
        f, np.asarray(x)[bad], n, "richardson",
        np.asarray(est.step)[bad] / RETRY_SHRINK, with_error=with_error, eps=eps,
    )
    return _merge(est, retry, bad)


def _better(retry: Estimate, est: Estimate, bad=None):
    """Where the retry wins: finite, with the smaller error estimate (or, with
    no error estimates, finite)."""
    won = np.isfinite(retry.value)
    if retry.error is not None and est.error is not None:
        old = np.asarray(est.error) if bad is None else np.asarray(est.error)[bad]
        won &= np.nan_to_num(retry.error, nan=np.inf) < np.nan_to_num(old, nan=np.inf)
    return won


def _merge(est: Estimate, retry: Estimate, bad) -> Estimate:
    """``est`` with its ``bad`` entries taken from ``retry`` where finite."""
    value = np.array(est.value, dtype=float)
    step = np.array(est.step, dtype=float)
    take = np.zeros(bad.shape, dtype=bool)
    take[bad] = _better(retry, est, bad)
    value[take] = np.asarray(retry.value)[take[bad]]
    step[take] = np.asarray(retry.step)[take[bad]]
    error = None
    if est.error is not None:
        error = np.array(est.error, dtype=float)
        error[take] = np.asarray(retry.error)[take[bad]]
    return Estimate(value[()], None if error is None else error[()], step,
                    est.nfev + retry.nfev)


def _complex_quotient(values, steps):
    """``Im f / h``; ``nan`` where ``f`` is not finite (an overflow there also
    spoils the imaginary part, often into a huge finite number)."""
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(values), values.imag / steps, np.nan)


def _complex_error(value, steps, eps=None):
    """Rounding only: the truncation error of the complex step (h**2 times the
    third derivative / 6, with h ~ 1e-20 |x|) is far below it; an explicit
    large ``h`` is not estimated. ``Im f`` (about ``f' h``) may be subnormal
    for tiny ``x``: its absolute precision, the smallest subnormal of ``f``'s
    type, divided by the step, is added."""
    return 8.0 * (eps or _EPS) * np.abs(value) + underflow(eps) / steps


@follows_precision
def directional_estimate(
    f, x, method: str = "central", h=None, *, scale=None, vectorized=None,
    with_error: bool = True, n: int = 1, levels: int | None = None, eps=None,
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
        steps = step_sizes(x, method="complex", h=h, scale=scale, eps=eps)
        points = x[:, None, :] + 1j * (steps[:, :, None] * eye)
        values, nfev = call_vector(
            f, points.reshape(batch * dim, dim), vectorized=vectorized,
            complex_input=True, eps=eps,
        )
        out = values.shape[1:]
        values = values.reshape((batch, dim) + out)
        value = _complex_quotient(values, steps.reshape((batch, dim) + (1,) * len(out)))
        value = np.moveaxis(value, 1, -1)
        per_entry = steps.reshape((batch,) + (1,) * len(out) + (dim,))
        return Estimate(value, _complex_error(value, per_entry, eps), steps, nfev)
    steps = step_sizes(x, method=method, n=n, h=h, scale=scale,
                       order=stencil_order(method, levels), eps=eps)
    shifts, weights, factor, centre = _vector_plan(method, n, with_error, levels)
    disp = shifts[None, :, None, None] * (steps[:, None, :, None] * eye)
    points = (x[:, None, None, :] + disp).reshape(batch, -1, dim)
    if centre:
        points = np.concatenate([x[:, None, :], points], axis=1)
    count = points.shape[1]
    values, nfev = call_vector(f, points.reshape(-1, dim), vectorized=vectorized,
                               eps=eps)
    out = values.shape[1:]
    values = values.reshape(batch, count, -1)  # (B, P, M)
    size = values.shape[2]
    grid = values[:, int(centre):].reshape(batch, shifts.size, dim * size)
    if centre:
        centre_values = np.tile(values[:, :1], (1, 1, dim))
        grid = np.concatenate([centre_values, grid], axis=1)  # (B, S, d*M)
    # weights sum to 0: subtracting one row is exact and keeps constants at 0
    est = (weights @ (grid - grid[:, :1])).reshape(batch, -1, dim, size)
    step = steps[:, :, None]  # (B, d, 1)
    value = per_step(est[:, 0], step, n)
    error = None
    if with_error:
        rounding = rounding_bound(np.abs(weights[0]), np.abs(grid), eps,
                                  axes=(0, 1)).reshape(batch, dim, size)
        error = factor * np.abs(value - per_step(est[:, 1], step, n)) + (
            per_step(rounding, step, n)
        )
    bad = None
    if method == "richardson" and not np.all(np.isfinite(grid)):
        bad = ~np.isfinite(value)
        order = np.concatenate([[0.0], shifts]) if centre else shifts
        columns = np.moveaxis(grid, 1, 0).reshape(order.size, -1)  # (S, B*d*M)
        h_cols = np.repeat(steps.reshape(-1), size)
        value, error = _narrow_where_not_finite(
            columns, order, n, h_cols, value, error, levels=levels, eps=eps,
        )
    if error is not None:
        error = np.swapaxes(error, 1, 2).reshape((batch, *out, dim))
    value = np.swapaxes(value, 1, 2).reshape((batch, *out, dim))
    est = Estimate(value, error, steps, nfev)
    if bad is not None and h is None and bad.any():
        # one retry with smaller steps, as in _elementwise_retry (the whole
        # call: its points are one batch); bad entries taken from it
        retry = directional_estimate(
            f, x, method, steps / RETRY_SHRINK, vectorized=vectorized,
            with_error=with_error, n=n, levels=levels, eps=eps,
        )
        bad = np.swapaxes(bad, 1, 2).reshape(value.shape)
        take = bad & _better(retry, Estimate(value, error, steps, nfev))
        moved = take.reshape(batch, -1, dim).any(axis=1)  # coordinates retried
        est = Estimate(np.where(take, retry.value, value),
                       None if error is None else np.where(take, retry.error, error),
                       np.where(moved, retry.step, steps), nfev + retry.nfev)
    return est


def _narrow_where_not_finite(values, offsets, n, h, value, error, levels=None,
                             eps=None):
    """Redo Richardson entries whose stencil met a non-finite value of ``f``.

    Near the edge of ``f``'s domain (``sqrt(1 - x**2)`` at 0.99) the outer
    points of the widest stencil give ``nan`` while the inner ones are fine:
    such entries take the widest narrower Richardson stencil (fewer levels,
    lower order, at least 4) whose values are all finite, with its own error
    estimate. Entries without one stay ``nan``. ``values`` is ``(S, N)`` at
    ``offsets`` (S,), ``h`` is the step per column; ``value``/``error``
    have ``N`` entries in any shape. Costs nothing when every value is finite.
    """
    finite = np.isfinite(values)
    redo = ~finite.all(axis=0)
    if not redo.any():
        return value, error
    shape = value.shape
    value, h = value.reshape(-1).copy(), np.broadcast_to(h, redo.shape)
    error = None if error is None else error.reshape(-1).copy()
    value[redo] = np.nan
    if error is not None:
        error[redo] = np.nan
    cols = np.flatnonzero(redo)
    vals, ok = values[:, cols], finite[:, cols]
    todo = np.ones(cols.size, dtype=bool)
    reach = np.abs(np.asarray(offsets))
    for level in range((levels or RICHARDSON_LEVELS) - 1, 1, -1):
        weights, span = _level_weights(tuple(np.asarray(offsets).tolist()), n, level)
        fits = todo & ok[reach <= span].all(axis=0)
        if not fits.any():
            continue
        inner = np.where(ok[:, fits], vals[:, fits], 0.0)  # zero weight where not
        rounding = rounding_bound(np.abs(weights[0]), np.abs(inner), eps)
        inner = inner - inner[np.argmin(reach)]  # weights sum to 0: exact shift
        est = per_step(weights @ inner, h[cols[fits]], n)
        value[cols[fits]] = est[0]
        if error is not None:
            error[cols[fits]] = np.abs(est[0] - est[1]) + (
                per_step(rounding, h[cols[fits]], n)
            )
        todo &= ~fits
    return value.reshape(shape), None if error is None else error.reshape(shape)


@lru_cache(maxsize=64)
def _level_weights(offsets: tuple, n: int, level: int):
    """Richardson weights with ``level`` levels spread onto ``offsets`` (rows:
    estimate, comparison) and the widest offset they use."""
    plan = plan_1d("richardson", n, level)
    where = {float(o): i for i, o in enumerate(offsets)}
    weights = np.zeros((2, len(offsets)))
    for column, offset in enumerate(plan.offsets):
        weights[:, where[float(offset)]] = plan.weights[:, column]
    return read_only(weights), int(np.max(np.abs(plan.offsets)))


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
