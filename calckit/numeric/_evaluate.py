"""Calling the user's function on a batch of perturbed points.

All points of one differentiation go to ``f`` at once. For functions of a
vector (gradient, Jacobian, Hessian) the points are stacked along a leading
axis, ``(P, n)``; ``vectorized`` says whether ``f`` accepts that:

- ``True``: one call ``f(points)``, which must return ``(P, *out)``;
- ``False``: one call per point, ``f(points[i])`` with ``(n,)`` input;
- ``None`` (default): try the batched call and check its first row against a
  call on that point alone; fall back to one call per point when the batch
  raises, has the wrong shape or disagrees. This costs one extra evaluation
  (two when the batch is square, ``(n, n)``: a copy of the first point is
  appended so that an ``f`` indexing coordinates on the first axis, ``v[0] *
  v[1]``, cannot return ``n`` values shaped like a batch).

``f`` may compute in less precision than float64 (float32 or float16 values,
complex64 for complex input): values are cast to float64 (complex128), but
when their type is coarser than the precision ``eps`` asked for (float64 by
default), :class:`LowPrecision` is raised so that the caller redoes its work
with steps and rounding bounds for that precision.
"""

from __future__ import annotations

import warnings

import numpy as np

from calckit.errors import CalckitTypeError, NumericError, ShapeError

__all__ = ["LowPrecision", "fname", "call_elementwise", "call_vector"]

_EPS = float(np.finfo(float).eps)
_FULL = (np.dtype(float), np.dtype(complex))  # float64 precision: nothing to check


class LowPrecision(Exception):
    """``f`` computes in less precision than asked for.

    Deliberately not a ``TypeError``/``ValueError``/``CalckitError``: the
    fallbacks for scalar-only functions must not swallow it.

    Attributes
    ----------
    eps : float
        Machine epsilon of ``f``'s output type.
    nfev : int
        Points evaluated by the call that found it.
    """

    def __init__(self, eps: float, nfev: int):
        super().__init__(f"f computes with machine epsilon {eps:.3g}")
        self.eps, self.nfev = eps, nfev


def fname(f) -> str:
    """A readable name for the function ``f`` in error messages."""
    name = getattr(f, "__qualname__", None) or getattr(f, "__name__", None)
    if name is None:
        text = repr(f)
        name = text if len(text) <= 60 else text[:57] + "..."
    return f"f={name}"


def _as_values(out, *, complex_input: bool, f, eps=None, nfev: int = 1):
    """``f``'s output as float64 (complex128) values; raises
    :class:`LowPrecision` (with ``nfev``) when its type is a float or complex
    type with machine epsilon above ``eps`` (None: float64)."""
    if out is None:
        raise CalckitTypeError(
            f"{fname(f)} returned None; it must return its value (a number or array)"
        )
    values = np.asarray(out)
    if complex_input and not np.iscomplexobj(values):
        raise NumericError(
            f"complex step needs f to carry complex input through, but "
            f"{fname(f)} returned {values.dtype} values for complex input "
            "(it drops the imaginary part, e.g. via float(), math.* or "
            "np.abs); use method='richardson' instead"
        )
    if not complex_input and np.iscomplexobj(values):
        raise CalckitTypeError(f"{fname(f)} returned complex values for real input")
    if values.dtype.kind in "fc" and values.dtype not in _FULL:
        low = float(np.finfo(values.dtype).eps)
        if low > (eps or _EPS):
            raise LowPrecision(low, nfev)
    try:
        # a copy: f may return the same buffer on every call (np.sin(t, out=buf))
        return values.astype(complex if complex_input else float, copy=True)
    except (TypeError, ValueError):
        raise CalckitTypeError(
            f"{fname(f)} must return numbers; got {values.dtype}"
        ) from None


def _call(f, points, *, complex_input: bool):
    # f gets its own copy: an f that changes its input in place (v /= 2)
    # would otherwise change the points used after it (the batch after the
    # check point, the rows of the per-point fallback)
    if isinstance(points, np.ndarray):
        points = points.copy()
    if not complex_input:
        return f(points)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            return f(points)
    except (TypeError, ValueError, np.exceptions.ComplexWarning) as exc:
        raise NumericError(
            f"complex step needs f to accept complex input, but {fname(f)} "
            f"failed on it ({type(exc).__name__}: {exc}); use "
            "method='richardson' instead"
        ) from exc


def _eval(f, points, complex_input: bool, eps=None, nfev: int = 1) -> np.ndarray:
    return _as_values(_call(f, points, complex_input=complex_input),
                      complex_input=complex_input, f=f, eps=eps, nfev=nfev)


def call_elementwise(f, points: np.ndarray, *, complex_input: bool = False,
                     eps=None):
    """Evaluate an elementwise ``f`` on ``points`` (any shape) in one call.

    Returns ``(values, nfev)``. Falls back to one call per element when ``f``
    rejects arrays (a scalar-only function). Raises :class:`LowPrecision`
    when ``f`` computes in less precision than ``eps`` (None: float64).
    """
    try:
        out = _call(f, points, complex_input=complex_input)
        values = _as_values(out, complex_input=complex_input, f=f, eps=eps,
                            nfev=points.size)
        if values.shape == () and points.size == 1:
            values = values.reshape(points.shape)
        if values.shape == points.shape:
            extra = _real_valued(f, points, values) if complex_input else 0
            return values, points.size + extra
    except (TypeError, ValueError):
        # a scalar-only f (math.sin, cmath.exp) rejects the array; called per
        # point below, where a real failure on complex input is reported
        pass
    flat = [
        _eval(f, p, complex_input, eps, done)
        for done, p in enumerate(points.reshape(-1), 1)
    ]
    values = np.array(flat)
    if values.shape != (points.size,):
        raise ShapeError(
            f"derivative needs f mapping a float array to one of the same shape "
            f"(elementwise); {fname(f)} returned shape {np.shape(flat[0])} per point"
        )
    values = values.reshape(points.shape)
    extra = _real_valued(f, points, values) if complex_input else 0
    return values, points.size + extra


#: Points of a complex step rechecked on real input (see _real_valued).
_REAL_CHECKS = 4


def _real_valued(f, points, values) -> int:
    """Refuse a complex-valued ``f`` for the complex step; return the number
    of extra evaluations made.

    The complex step takes ``Im f(x + ih) / h`` for ``f`` real on real input.
    For a complex-valued ``f`` (``exp(1j*t)``), ``Im f`` is of the size of
    ``f`` itself, and the quotient by ``h ~ 1e-20 |x|`` a derivative of 1e20.
    Such values (``|Im f|`` above 1e-3 ``|Re f|``; a real ``f`` gets there only
    near its zeros) are rechecked: ``f`` at the real parts of (at most
    :data:`_REAL_CHECKS` of) them must be real, else :class:`NumericError`.

    An ``f`` with the attribute ``real_continuation = True`` is the complex
    continuation of a real function (:func:`calckit.gradcheck` compiles
    one): complex there only outside the real function's domain
    (``log(-1) = i pi``), which its caller handles; it is not rechecked.
    """
    if getattr(f, "real_continuation", False):
        return 0
    flat_values = values.reshape(values.shape[0] if values.ndim else 1, -1)
    with np.errstate(invalid="ignore"):
        odd = np.any(np.abs(flat_values.imag) > 1e-3 * np.abs(flat_values.real),
                     axis=1)
    rows = np.flatnonzero(odd)[:_REAL_CHECKS]
    for i in rows:
        x = np.real(points.reshape(len(odd), *points.shape[1:])[i]) if (
            points.ndim) else np.real(points)
        value = np.asarray(_call(f, x.copy() if np.ndim(x) else x,
                                 complex_input=False))
        if np.iscomplexobj(value) and np.any(value.imag != 0):
            raise NumericError(
                f"complex step needs f real-valued on real input, but {fname(f)} "
                f"is complex-valued: f({_show(x)}) = {_show(value)}; use "
                "method='richardson' on its real and imaginary parts separately"
            )
    return len(rows)


def _show(value) -> str:
    text = np.array2string(np.asarray(value), precision=6, threshold=6)
    return text if len(text) <= 60 else text[:57] + "..."


def call_vector(f, points: np.ndarray, *, vectorized, complex_input: bool = False,
                eps=None):
    """Evaluate ``f`` on the rows of ``points`` (shape ``(P, n)``).

    Returns ``(values, nfev)`` with ``values`` of shape ``(P, *out)``. Raises
    :class:`LowPrecision` when ``f`` computes in less precision than ``eps``
    (None: float64).
    """
    values, nfev = _call_vector(f, points, vectorized=vectorized,
                                complex_input=complex_input, eps=eps)
    if complex_input:
        nfev += _real_valued(f, points, values)
    return values, nfev


def _call_vector(f, points: np.ndarray, *, vectorized, complex_input: bool,
                 eps=None):
    count = points.shape[0]
    if vectorized is False:
        return _loop(f, points, complex_input=complex_input, eps=eps), count
    if vectorized is True:
        values = _eval(f, points, complex_input, eps, count)
        if values.ndim == 0 or values.shape[0] != count:
            raise ShapeError(
                f"vectorized=True but {fname(f)} returned shape {values.shape} for "
                f"{count} points of shape {points.shape}; with vectorized=True f "
                "must map (k, n) points to (k, ...) values (or pass vectorized=False)"
            )
        return values, count
    # raises if f rejects the input (or computes in low precision: 1 point)
    first = _eval(f, points[0], complex_input, eps)
    # a square batch (n points of n coordinates: the complex-step gradient)
    # gets a copy of its first point, so that an f indexing coordinates on
    # the first axis (v[0] * v[1]) cannot pass for a batched one by returning
    # n values that happen to agree on the checked point
    pad = int(count == points.shape[1] and count > 1)
    batch = np.concatenate([points, points[:1]]) if pad else points
    batched: np.ndarray | None
    try:
        out = _call(f, batch, complex_input=complex_input)
        batched = _as_values(out, complex_input=complex_input, f=f, eps=eps)
    except Exception:  # any failure of the batch means "not vectorized"
        batched = None
    if (
        batched is not None
        and batched.shape == (count + pad, *first.shape)
        and _same(batched[0], first)
        and (not pad or _same(batched[-1], first))
    ):
        return batched[:count], count + pad + 1
    rest = [first] + [
        _eval(f, p, complex_input, eps, count + done)
        for done, p in enumerate(points[1:], 2)
    ]
    return _stack(rest, f), 2 * count


def _same(batched, single) -> bool:
    """Whether a batched row equals the single-point value (to ~1e-12)."""
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.abs(batched - single) <= 1e-12 * np.abs(single)
    if close.all():
        return True
    return bool(np.all(close | (np.isnan(batched) & np.isnan(single))))


def _loop(f, points, *, complex_input, eps=None):
    rows = [
        _eval(f, p, complex_input, eps, done)
        for done, p in enumerate(points, 1)
    ]
    return _stack(rows, f)


def _stack(rows, f):
    shapes = {r.shape for r in rows}
    if len(shapes) != 1:
        raise ShapeError(f"{fname(f)} returned values of different shapes {shapes}")
    return np.stack(rows)
