"""Step sizes: one per coordinate, scaled to the magnitude of that coordinate.

The step along coordinate ``i`` is ``base * ref_i`` where ``ref_i = |x_i|``
(1 where ``x_i == 0``), or ``scale_i`` when a ``scale`` is given. ``base``
balances truncation against rounding error for the method and derivative
order. Steps are rounded down to a power of two, but kept at least the
smallest normal float and the spacing of floats at ``x_i`` (itself a power
of two), so that ``x + k*h`` is exact for the small integers ``k`` of a
stencil and differs from ``x``; complex steps only keep ``Im f`` clear of
underflow. ``eps`` is the precision of ``f``
(float64's machine epsilon by default; float32's for a function computing in
float32, which takes larger steps).

>>> import numpy as np
>>> h = step_sizes(np.array([0.0, 1e-6, 1e6]), method="central")
>>> bool(np.all(h[1:] / np.abs([1e-6, 1e6]) < 1e-5))
True
"""

from __future__ import annotations

import numpy as np

from calckit.errors import CalckitTypeError, InvalidParameterError, ShapeError

__all__ = ["METHODS", "base_step", "check_method", "check_resolved", "step_sizes"]

#: Valid method names for :func:`calckit.numeric.derivative` and friends.
METHODS = ("forward", "backward", "central", "richardson", "complex")

_EPS = float(np.finfo(float).eps)

# Tuned on the accuracy panel (tests/numeric/test_numeric.py): rounding error grows like
# eps/h**n, truncation like h**order; these put the step near the balance point.
_SCALE = {"forward": 1.0, "backward": 1.0, "central": 1.0, "richardson": 0.25}
_HIGHER = {"central": 4.0, "richardson": 4.0}  # extra factor for n >= 2
_COMPLEX_STEP = 1e-20
# smallest step: the smallest normal float64. Steps follow |x| all the way
# down (log(x) at x = 1e-150 varies on the scale 1e-150: a floor on |x| put
# its stencil across 0, and its complex step far beyond x); h**n, which
# underflows there, is never formed (see _differences.divide)
_TINY = float(np.finfo(float).tiny)
# keeps Im f(x + i h) clear of underflow, but at most 1e-8 |x| (log(x) at
# x = 1e-300 needs h << x; Im f = h / x is then far from underflow anyway)
_COMPLEX_FLOOR = 1e-290
_COMPLEX_FLOOR_REL = 1e-8
_SUBNORMAL = float(np.finfo(float).smallest_subnormal)
# the same for f in complex64 (smallest normal 1.2e-38; 1e-20 |x| is fine above)
_COMPLEX_FLOOR_LOW = 1e-20


def check_method(method: str, *, allowed: tuple[str, ...] = METHODS) -> str:
    """Return ``method`` or raise :class:`InvalidParameterError` listing choices."""
    if not isinstance(method, str) or method not in allowed:
        raise InvalidParameterError(
            f"method must be one of {', '.join(repr(m) for m in allowed)}; "
            f"got {method!r}"
        )
    return method


def base_step(method: str, n: int = 1, *, order: int | None = None,
              eps: float | None = None) -> float:
    """Relative step for ``method`` and the n-th derivative.

    ``order`` is the truncation order of the stencil (1 for forward/backward,
    2 for central, 2K for Richardson with K levels); ``eps`` the relative
    rounding error of ``f`` (None: float64's machine epsilon). The complex
    step does not depend on it.

    >>> round(base_step("central"), 8)
    6.06e-06
    >>> round(base_step("central", eps=float(np.finfo(np.float32).eps)), 5)
    0.00492
    """
    if method == "complex":
        return _COMPLEX_STEP
    if order is None:
        order = 1 if method in ("forward", "backward") else 2
    factor = _SCALE.get(method, 1.0) * (_HIGHER.get(method, 1.0) if n >= 2 else 1.0)
    return factor * (eps or _EPS) ** (1.0 / (order + n))


def _pow2_floor(h: np.ndarray) -> np.ndarray:
    _, exponent = np.frexp(h)
    return np.ldexp(0.5, exponent)


def step_sizes(
    x,
    *,
    method: str = "central",
    n: int = 1,
    h=None,
    scale=None,
    order: int | None = None,
    eps: float | None = None,
) -> np.ndarray:
    """Per-coordinate steps for differentiating at ``x`` (same shape as ``x``).

    Parameters
    ----------
    x : array_like
        The point(s).
    method : str
        One of :data:`METHODS`.
    n : int
        Derivative order.
    h : float or array_like, optional
        Explicit absolute step(s), broadcast to ``x``; used as given, but at
        least the spacing of floats at ``x`` (see :func:`check_resolved`).
    scale : float or array_like, optional
        Typical magnitude of each coordinate, replacing ``|x|`` as reference.
    order : int, optional
        Truncation order of the stencil (see :func:`base_step`).
    eps : float, optional
        Relative precision of ``f`` (default: float64's machine epsilon);
        ``np.finfo(np.float32).eps`` for a function computing in float32.
    """
    x = np.asarray(x, dtype=float)
    if h is not None:
        steps = np.array(_magnitudes(h, "h", x.shape), dtype=float)
        if method == "complex":
            return steps
        # internal retries pass steps / 16: never below the spacing at x
        # (a user's h is checked by check_resolved first)
        return np.maximum(steps, np.spacing(np.abs(x)))
    if scale is None:
        ax = np.abs(x)
        ref = np.where(ax > 0, ax, 1.0)
    else:
        ref = _magnitudes(scale, "scale", x.shape)
    steps = base_step(method, n, order=order, eps=eps) * ref
    if method == "complex":  # x + i h: h need not resolve on the real axis
        low = (eps or _EPS) > _EPS  # f in complex64
        floor = (_COMPLEX_FLOOR_LOW if low
                 else np.minimum(_COMPLEX_FLOOR,
                                 np.maximum(_COMPLEX_FLOOR_REL * ref, _SUBNORMAL)))
        return _pow2_floor(np.maximum(steps, floor))
    # at least the spacing of floats at x (a power of two): a shorter step
    # (scale=1 at x = 1e20) leaves x + h == x, and f looks constant
    return np.maximum(_pow2_floor(np.maximum(steps, _TINY)), np.spacing(np.abs(x)))


def check_resolved(x, h, method: str) -> None:
    """Refuse a user's steps ``h`` below the spacing of floats at ``x``:
    ``x + h`` would round to ``x`` (or by half a step), and ``f`` would look
    constant. Not for the complex step (``x + i h`` keeps ``h`` apart)."""
    if h is None or method == "complex":
        return
    x = np.asarray(x, dtype=float)
    steps = _magnitudes(h, "h", x.shape)
    spacing = np.spacing(np.abs(x))
    short = steps < spacing
    if np.any(short):
        i = np.flatnonzero(short.reshape(-1))[0]
        raise InvalidParameterError(
            f"h={steps.reshape(-1)[i]:g} is below the spacing of floats at "
            f"x={x.reshape(-1)[i]:g} ({spacing.reshape(-1)[i]:g}): x + h rounds "
            f"to x; give h >= {spacing.reshape(-1)[i]:g} (got h={h!r:.60})"
        )


def _magnitudes(value, name: str, shape: tuple) -> np.ndarray:
    """``|value|`` broadcast to ``shape``, checked finite and nonzero."""
    try:
        magnitude = np.abs(np.asarray(value, dtype=float))
    except (TypeError, ValueError):
        raise CalckitTypeError(
            f"{name} must be a real number or array of real numbers; got {value!r}"
        ) from None
    try:
        out = np.broadcast_to(magnitude, shape)
    except ValueError:
        raise ShapeError(
            f"{name} of shape {np.shape(value)} does not broadcast to x of "
            f"shape {shape}"
        ) from None
    if not np.all(np.isfinite(out)) or np.any(out == 0):
        raise InvalidParameterError(
            f"{name} must be finite and nonzero; got {value!r}"
        )
    return out
