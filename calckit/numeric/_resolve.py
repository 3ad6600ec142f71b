"""Steps that resolve ``f`` near 0.

Default steps follow ``|x|`` all the way down (``log(x)`` at ``x = 1e-150``
varies on the scale ``1e-150``: a wider step would leave its domain). But an
``f`` that varies on the scale 1 is not resolved there: ``cos`` at
``x = 2.2e-14`` changes by ``1e-28`` over such steps, below the rounding of
``cos(x) = 1``, and its second derivative comes out ``0 +- 8e15``. Entries
with ``0 < |x| < 1`` that are not finite or whose error estimate exceeds
1e-3 of their value are therefore computed once more on steps scaled to
``max(|x|, 1)`` (as ``scale=1`` would). Error estimates are at hand with
``full_output=True``; without it they are computed (more points of ``f``)
only for entries :func:`too_fine`: where the ``|x|``-scaled step is so short
that an ``f`` varying on the scale 1 would lose three digits to rounding
(``cos''`` at ``|x| < 1e-3``, ``sin'`` at ``|x| < 4e-8``), so ordinary
points pay nothing. The retry is taken where its error estimate is smaller,
and where the first estimate is not finite only if the retry is resolved
itself: so near the edge of a domain (where the wider steps meet
non-finite values) or a pole (``1/x`` at ``1e-300``, whose derivative
overflows to ``-inf``; wide steps across the pole give finite nonsense) the
first estimate stays.
"""

from __future__ import annotations

import numpy as np

from calckit.numeric._differences import Estimate, _better, _merge, stencil_order
from calckit.numeric._steps import base_step

__all__ = ["estimate_elementwise", "needs_recheck", "resolve_elementwise",
           "resolve_vector", "too_fine"]

#: Entries whose error estimate exceeds this fraction of their value (fewer
#: than three correct digits: f unresolved) are
#: recomputed on steps scaled to max(|x|, 1).
UNRESOLVED = 1e-3
_EPS = float(np.finfo(float).eps)
_SQRT_EPS = float(np.sqrt(_EPS))


def needs_recheck(x, h, scale) -> bool:
    """Whether the near-0 recheck applies: default steps, some ``0 < |x| < 1``."""
    if h is not None or scale is not None:
        return False
    ax = np.abs(np.asarray(x, dtype=float))
    return bool(np.any((ax > 0) & (ax < 1)))


def too_fine(x, method: str, n: int, order: int | None = None) -> np.ndarray:
    """Entries ``0 < |x|`` whose default step (``base * |x|``, of ``method``
    and the n-th derivative with a stencil of ``order``) leaves an ``f``
    varying on the scale 1 with a rounding error ``eps / h**n`` above
    :data:`UNRESOLVED`; never for the complex step (no cancellation).

    >>> too_fine(np.array([0.0, 2.2e-14, 1e-3, 0.5]), "central", 2).tolist()
    [False, True, False, False]
    """
    ax = np.abs(np.asarray(x, dtype=float))
    if method == "complex":
        return np.zeros(ax.shape, dtype=bool)
    step = base_step(method, n, order=stencil_order(method) if order is None
                     else order) * ax
    return (ax > 0) & (step < (_EPS / UNRESOLVED) ** (1.0 / n))


def estimate_elementwise(estimator, x, *, full_output: bool, fine) -> Estimate:
    """``estimator(x, with_error=...)`` with the near-0 recheck of
    :func:`resolve_elementwise` (``estimator(pts, scale=...)`` gives the
    retry, with error estimates). With ``full_output`` every entry has error
    estimates and may be rechecked; otherwise only the entries ``fine``
    (:func:`too_fine`) are computed with them (in a batch of their own) and
    rechecked, and the rest as without a recheck (non-finite ones retried).
    The error is None unless ``full_output``."""
    fine = np.asarray(fine, dtype=bool)
    if full_output or not fine.any():
        return resolve_elementwise(estimator, x, estimator(x, with_error=full_output))
    if fine.all():
        near = estimator(x, with_error=True)
        return resolve_elementwise(estimator, x, near)._replace(error=None)
    parts = [resolve_elementwise(estimator, x[where],
                                 estimator(x[where], with_error=with_error))
             for where, with_error in ((~fine, False), (fine, True))]
    value, step = np.empty(x.shape), np.empty(x.shape)
    for where, part in zip((~fine, fine), parts, strict=True):
        value[where], step[where] = part.value, part.step
    return Estimate(value, None, step, sum(part.nfev for part in parts))


def _unresolved(est: Estimate) -> np.ndarray:
    """Not finite; or (with error estimates) an error estimate above the
    value, and above 1.5e-8 of the largest value (an entry that is 0 beside
    others is resolved when its error is small next to them; when every
    value is 0, next to 1)."""
    value = np.abs(est.value)
    if est.error is None:
        return ~np.isfinite(value)
    error = np.asarray(est.error)
    with np.errstate(invalid="ignore"):
        top = np.max(np.where(np.isfinite(value), value, 0.0), initial=0.0)
        # all values 0 (a constant): judged against the scale 1
        return ~np.isfinite(value) | ~(
            (error <= UNRESOLVED * value) | (error <= _SQRT_EPS * (top or 1.0)))


def resolve_elementwise(estimator, x, est: Estimate, **kwargs) -> Estimate:
    """``est`` (of an elementwise derivative at ``x``) with the unresolved
    entries near 0 redone on steps scaled to ``max(|x|, 1)``."""
    x = np.asarray(x, dtype=float)
    bad = _unresolved(est) & (np.abs(x) > 0) & (np.abs(x) < 1)
    if not np.any(bad):
        return est
    retry = estimator(x[bad], scale=np.maximum(np.abs(x[bad]), 1.0), **kwargs)
    # where the first estimate is not finite (it may have overflowed next to
    # a pole: 1/x at 1e-300), only a resolved retry competes (wide steps
    # across the pole give finite nonsense with a large relative error)
    first_finite = np.isfinite(np.asarray(est.value)[bad])
    ok = first_finite | ~_unresolved(retry)
    take = np.array(bad, dtype=bool)
    take[take] = ok
    kept = Estimate(np.asarray(retry.value)[ok], np.asarray(retry.error)[ok],
                    np.asarray(retry.step)[ok], retry.nfev)
    return _merge(est, kept, take)


def resolve_vector(estimator, x, est: Estimate, **kwargs) -> Estimate:
    """``est`` (of derivatives along the coordinates of the points ``x``,
    shape (B, d)) with entries redone on steps scaled to ``max(|x|, 1)``
    where that gives a smaller error estimate (one more batch, made only
    when an entry is unresolved)."""
    ax = np.abs(x)
    if not np.any(_unresolved(est)) or not np.any((ax > 0) & (ax < 1)):
        return est
    retry = estimator(x, scale=np.maximum(ax, 1.0), **kwargs)
    take = _better(retry, est) & _unresolved(est) & (
        np.isfinite(est.value) | ~_unresolved(retry))
    error = None if est.error is None else np.where(take, retry.error, est.error)
    return Estimate(np.where(take, retry.value, est.value), error, est.step,
                    est.nfev + retry.nfev)
