"""The public numeric derivatives: :func:`derivative`, :func:`gradient`,
:func:`jacobian`, :func:`hessian` (see :mod:`calckit.numeric` for the
methods, steps and error estimates). Each checks its arguments, calls the
batched estimators of :mod:`~calckit.numeric._differences` and
:mod:`~calckit.numeric._hessian`, and unpacks their :class:`Estimate`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from calckit._validate import Options, check
from calckit.errors import CalckitTypeError, ShapeError
from calckit.numeric._differences import (
    Estimate,
    as_point,
    check_n,
    check_scalar_output,
    derivative_estimate,
    directional_estimate,
)
from calckit.numeric._hessian import hessian_estimate
from calckit.numeric._resolve import (
    estimate_elementwise,
    needs_recheck,
    resolve_vector,
    too_fine,
)
from calckit.numeric._steps import check_method, check_resolved, step_sizes

__all__ = ["derivative", "gradient", "hessian", "jacobian"]


def _result(est: Estimate, full_output: bool, pick):
    """``pick(value)``, with ``pick(error)`` beside it when ``full_output``."""
    value = pick(est.value)
    if not full_output:
        return value
    return value, None if est.error is None else pick(est.error)


_VECTORIZED = Options(None, True, False,
                      description="None (detect), True or False")


def _check_call(f, vectorized=None) -> bool | None:
    """Refuse a non-callable ``f`` or a ``vectorized`` that is not None/bool;
    returns ``vectorized`` as None or a Python bool."""
    if not callable(f):
        raise CalckitTypeError(
            f"f must be a callable (a function of x); got {type(f).__name__} {f!r:.60}"
        )
    check(vectorized, _VECTORIZED, "vectorized")
    return None if vectorized is None else bool(vectorized)


def _first(arr):
    return arr[0]


def _scalar(arr):
    return arr[()] if isinstance(arr, np.ndarray) and arr.ndim == 0 else arr


def derivative(
    f: Callable[..., Any], x: ArrayLike, n: int = 1, method: str = "central",
    h: ArrayLike | None = None, *, full_output: bool = False,
    scale: ArrayLike | None = None,
) -> Any:
    """n-th derivative of an elementwise function at every entry of ``x``.

    Parameters
    ----------
    f : callable
        Maps a float array to a float array of the same shape, elementwise
        (``np.sin``, ``lambda t: t**3``, a compiled kernel of one variable).
        All points go to ``f`` in one call, stacked along a new leading axis;
        a scalar-only ``f`` is called once per point instead. ``f`` may
        compute in float32 or float16 (``np.sin(t.astype(np.float32))``):
        steps and error estimates then follow its precision, at the cost of
        one extra batch of evaluations, for relative errors ~1e-3..1e-5.
    x : float or array_like
        Where to differentiate.
    n : int
        Derivative order (1..10); ``complex`` supports only ``n=1``.
    method : {"forward", "backward", "central", "richardson", "complex"}
    h : float or array_like, optional
        Absolute step(s), broadcast to ``x``. Default: ``base * |x|`` per
        entry (``base * 1`` at 0) with ``base`` chosen for the method.
    full_output : bool
        Also return the error estimate (same shape as ``x``).
    scale : float or array_like, optional
        Typical magnitude of ``x`` to scale steps by instead of ``|x|``.

    Returns
    -------
    ndarray or (ndarray, ndarray)
        The derivative shaped like ``x``, and the error estimate when
        ``full_output`` is true.

    Raises
    ------
    InvalidParameterError
        Unknown ``method``, bad ``n`` or ``h``.
    NumericError
        ``method="complex"`` on an ``f`` that rejects complex input or drops
        its imaginary part.

    Examples
    --------
    >>> import numpy as np
    >>> d, err = derivative(np.exp, [0.0, 1.0], method="richardson",
    ...                     full_output=True)
    >>> bool(np.allclose(d, np.exp([0.0, 1.0]), rtol=1e-12)), bool(np.all(err < 1e-9))
    (True, True)
    >>> round(float(derivative(np.sin, 1.0, n=2, method="richardson")), 10)
    -0.8414709848
    >>> round(float(derivative(np.arctan, 1.0, method="complex")), 15)
    0.5
    >>> d, err = derivative(lambda t: np.sin(t.astype(np.float32)), 1.0,
    ...                     full_output=True)  # f in float32
    >>> bool(abs(d - np.cos(1.0)) <= err < 1e-3)
    True
    """
    _check_call(f)
    point = as_point(x)
    check_resolved(point, h, method)
    if not needs_recheck(point, h, scale):
        est = derivative_estimate(f, x, n, method, h, scale=scale,
                                  with_error=full_output)
    else:  # default steps: resolve f near 0 (see calckit.numeric._resolve)
        n = check_n(n, check_method(method))
        est = estimate_elementwise(
            lambda pts, scale=None, with_error=True: derivative_estimate(
                f, pts, n, method, scale=scale, with_error=with_error),
            point, full_output=full_output,
            fine=too_fine(point, method, n))
    return _result(est, full_output, _scalar)


def _vector_point(x, h=None, scale=None, method="central"):
    """``x`` as a finite (n,) point, with ``h`` and ``scale`` checked against
    it (so that errors name its shape, not the internal (1, n))."""
    arr = as_point(x)
    if arr.ndim != 1 or arr.size == 0:
        raise_shape(arr)
    if h is not None or scale is not None:
        step_sizes(arr, h=h, scale=scale)  # raises naming the shape (n,)
        check_resolved(arr, h, method)
    return arr


def raise_shape(arr):
    raise ShapeError(f"x must be a non-empty 1-D point (n,); got shape {arr.shape}")


def gradient(
    f: Callable[..., Any], x: ArrayLike, method: str = "central",
    h: ArrayLike | None = None, *, full_output: bool = False,
    scale: ArrayLike | None = None, vectorized: bool | None = None,
) -> Any:
    """Gradient of a scalar function ``f: R^n -> R`` at ``x``; shape ``(n,)``.

    Parameters
    ----------
    f : callable
        Scalar function of a vector. With ``vectorized=None`` (default) the
        perturbed points are stacked as ``(k, n)`` and passed in one call;
        ``f`` must then treat the last axis as coordinates (``v[..., 0]``)
        and return ``(k,)``. One point is re-evaluated alone to confirm this;
        if the batch fails or disagrees, ``f`` is called once per point
        (``(n,)`` input). ``vectorized=True`` skips that check,
        ``vectorized=False`` always calls per point.
    x : array_like, shape (n,)
    method : {"forward", "backward", "central", "richardson", "complex"}
    h, scale : optional
        Steps, or typical magnitudes of the coordinates (see
        :func:`derivative`).
    full_output : bool
        Also return the error estimate, shape ``(n,)``.

    Examples
    --------
    >>> import numpy as np
    >>> def rosen(v):
    ...     return np.sum(100 * (v[..., 1:] - v[..., :-1] ** 2) ** 2
    ...                   + (1 - v[..., :-1]) ** 2, axis=-1)
    >>> g = gradient(rosen, [0.5, 1.0, 2.0], method="richardson")
    >>> np.round(g, 9)
    array([-151., -250.,  200.])
    """
    vectorized = _check_call(f, vectorized)
    point = _vector_point(x, h, scale, method)
    est = _directional(f, point, method, h, scale, vectorized, full_output)
    check_scalar_output(est, f, "gradient")
    return _result(est, full_output, _first)


def _with_error(full_output, point, h, scale, method, n, order=None) -> bool:
    """Error estimates wanted: asked for, or needed by the near-0 recheck
    (a coordinate :func:`~calckit.numeric._resolve.too_fine`)."""
    return full_output or (needs_recheck(point, h, scale) and bool(
        np.any(too_fine(point, method, n, order))))


def _directional(f, point, method, h, scale, vectorized, full_output) -> Estimate:
    with_error = _with_error(full_output, point, h, scale, method, 1)
    est = directional_estimate(f, point[None], method, h, scale=scale,
                               vectorized=vectorized, with_error=with_error)
    if needs_recheck(point, h, scale):
        est = resolve_vector(
            lambda pts, scale: directional_estimate(f, pts, method, scale=scale,
                                                    vectorized=vectorized),
            point[None], est)
    return est


def jacobian(
    f: Callable[..., Any], x: ArrayLike, method: str = "central",
    h: ArrayLike | None = None, *, full_output: bool = False,
    scale: ArrayLike | None = None, vectorized: bool | None = None,
) -> Any:
    """Jacobian of ``f: R^n -> R^m`` at ``x``; shape ``(m, n)``.

    ``f`` may return any shape ``out`` per point; the result then has shape
    ``out + (n,)``. Batching and ``vectorized`` work as in :func:`gradient`.

    Examples
    --------
    >>> import numpy as np
    >>> def polar(v):
    ...     r, t = v[..., 0], v[..., 1]
    ...     return np.stack([r * np.cos(t), r * np.sin(t)], axis=-1)
    >>> J = jacobian(polar, [2.0, 0.5], method="richardson")
    >>> bool(np.allclose(J, [[np.cos(0.5), -2 * np.sin(0.5)],
    ...                      [np.sin(0.5), 2 * np.cos(0.5)]], rtol=1e-12))
    True
    """
    vectorized = _check_call(f, vectorized)
    point = _vector_point(x, h, scale, method)
    est = _directional(f, point, method, h, scale, vectorized, full_output)
    return _result(est, full_output, _first)


def hessian(
    f: Callable[..., Any], x: ArrayLike, method: str = "central",
    h: ArrayLike | None = None, *, full_output: bool = False,
    scale: ArrayLike | None = None, vectorized: bool | None = None,
) -> Any:
    """Hessian of a scalar function ``f: R^n -> R`` at ``x``; shape ``(n, n)``.

    Methods ``central`` (second-order differences, relative error ~1e-8),
    ``richardson`` (second differences along axes and diagonals at six
    scales, Richardson-extrapolated over the run of scales with the smallest
    error estimate, chosen per entry; ~1e-11 per entry, ~1e-13 relative to
    the largest entry) and ``complex`` (complex step along one axis,
    Richardson along the other, ~1e-13; ``f`` must accept complex input).
    All ``2 n**2 + 1`` (central), ``6 n (n + 1) + 1`` (richardson: 12 per
    unique entry plus the centre) or ``6 n (n + 1)`` (complex) points go to
    ``f`` in one batch; ``vectorized`` as in :func:`gradient`.

    Examples
    --------
    >>> import numpy as np
    >>> H = hessian(lambda v: v[..., 0] ** 2 * v[..., 1], [1.0, 3.0],
    ...             method="richardson")
    >>> np.round(H, 9)
    array([[6., 2.],
           [2., 0.]])
    """
    vectorized = _check_call(f, vectorized)
    point = _vector_point(x, h, scale, "central")  # h is a real step here
    # the main stencil: second differences (central, richardson) or a
    # Richardson first difference beside the complex step
    n, stencil = (1, "richardson") if method == "complex" else (2, method)
    # (richardson estimates its error anyway)
    order = 2 if method == "central" else None
    with_error = _with_error(full_output, point, h, scale, stencil, n, order)
    est = hessian_estimate(f, point[None], method, h, scale=scale,
                           vectorized=vectorized, with_error=with_error)
    if needs_recheck(point, h, scale):
        est = resolve_vector(
            lambda pts, scale: hessian_estimate(f, pts, method, scale=scale,
                                                vectorized=vectorized),
            point[None], est)
    return _result(est, full_output, _first)
