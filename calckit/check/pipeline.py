"""The gradient check as a pipeline: estimate -> rechecks -> one-sided -> judge.

Each step takes the :class:`Problem` (what is checked: the exact values, the
function evaluated on batches of points, the settings) and the
:class:`Verdict` so far, and returns the next :class:`Verdict`:

1. :func:`estimate`: numeric derivatives with their error estimates, and a
   first judgement per entry (:func:`judge`: ``|exact - numeric| <= atol +
   rtol * max(|exact|, |numeric|) + 2 * error_estimate``), so a check never
   fails because finite differences are inaccurate.
2. :func:`recheck`: entries that fail, or whose error estimate is too large
   to judge by, are recomputed by the :data:`RECHECKS` in order (shorter
   steps for a kink or the domain's edge inside the wide stencil, narrow
   stencils, steps scaled to ``max(|x|, 1)`` or ``min(|x|, 1)``); a recheck
   is taken where it wins, and noted in the entry.
3. :func:`one_sided_step`: entries still failing get one-sided derivatives
   (:mod:`calckit.check.kinks`): both agreeing with the exact value (f not
   smooth enough for central differences) -> ``ok``; differing, where f may
   have a kink -> ``kink``; else the failure stands.
4. :func:`mark_uncertain`: an entry that passes only thanks to an error
   estimate above ten times the tolerance is ``uncertain`` (a failure).

:func:`run` chains them. Used by :func:`calckit.gradcheck` (an expression)
and by :meth:`calckit.nn.Sequential.gradcheck` (a model's loss over its
parameters).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from calckit.check.kinks import Sides, one_sided
from calckit.numeric._differences import directional_estimate
from calckit.numeric._hessian import hessian_estimate

__all__ = ["Problem", "Verdict", "judge", "run"]

_TINY = float(np.finfo(float).tiny)  # the smallest normal float64

# wide stencils whose failures are rechecked with a narrow one (kinks nearby)
_NARROW = {(1, "richardson"): "central", (2, "richardson"): "central",
           (2, "complex"): "central"}


@dataclass(frozen=True)
class Problem:
    """What a gradient check compares.

    ``f`` maps a batch of points (m, n) to m values (for ``method="complex"``
    a complex-valued continuation), ``real_f`` the same on real input
    (rechecks with other methods and the one-sided step use it), ``grad``
    the exact gradient on a batch (order 2 only: its one-sided derivatives);
    ``exact`` is (k, n) or (k, n, n); ``undefined`` (k,) marks points where
    f itself is not finite (complex step only: its entries are nan);
    ``near(pts)`` gives the (k, n) coordinates along which f may have a kink.
    """

    f: Callable
    real_f: Callable
    pts: np.ndarray
    exact: np.ndarray
    method: str
    order: int
    rtol: float
    atol: float
    near: Callable
    grad: Callable | None = None
    undefined: np.ndarray | None = None
    #: rechecks recompute only the coordinates with a doubtful entry (order 1;
    #: for a model, whose coordinates are its many parameters)
    subset: bool = False
    #: what the first estimate's steps are scaled to (None: ``|x|``)
    scale: np.ndarray | None = None


@dataclass(frozen=True)
class Verdict:
    """Per entry: numeric value, error estimate, step, status and note."""

    value: np.ndarray
    error: np.ndarray
    step: np.ndarray
    status: np.ndarray  # "ok", "kink", "FAIL", "uncertain" or "nan"
    note: np.ndarray
    rough: np.ndarray  # wide and narrow stencils disagree: f not smooth here
    nfev: int


def run(problem: Problem, nfev: int = 0) -> Verdict:
    """The whole check: estimate -> rechecks -> one-sided -> judge."""
    with np.errstate(all="ignore"):
        verdict = estimate(problem, nfev)
        verdict = recheck(problem, verdict)
        verdict = one_sided_step(problem, verdict)
        return mark_uncertain(problem, verdict)


def judge(exact, numeric, error, rtol, atol) -> np.ndarray:
    """``ok`` / ``FAIL`` per entry (``nan`` where either side is not finite)."""
    diff = np.abs(exact - numeric)
    scale = np.maximum(np.abs(exact), np.abs(numeric))
    ok = diff <= atol + rtol * scale + 2.0 * error
    status = np.where(ok, "ok", "FAIL").astype(object)
    status[~(np.isfinite(exact) & np.isfinite(numeric))] = "nan"
    return status


def numeric(problem: Problem, f, method: str, scale_to=None, cols=None):
    """(value, error, step per entry, nfev) of ``f``'s derivatives by ``method``
    (along the coordinates ``cols`` only, when given: the other entries nan)."""
    pts = problem.pts
    if problem.subset and problem.order == 1:
        every = np.arange(pts.shape[1])
        return _numeric_along(problem, f, method, scale_to,
                              every if cols is None else cols)
    if problem.order == 1:
        est = directional_estimate(f, pts, method, scale=scale_to, vectorized=True)
        out = est.value, est.error, est.step, est.nfev
    else:
        est = hessian_estimate(f, pts, method, scale=scale_to, vectorized=True)
        step = np.broadcast_to(est.step[:, None, :], est.value.shape)
        out = est.value, est.error, step, est.nfev
    if method != "complex" or problem.undefined is None or not problem.undefined.any():
        return out
    # the complex kernel continues f beyond its real domain (log(-1 + i h) = i pi)
    nan = problem.undefined.reshape((-1,) + (1,) * problem.order)
    return (np.where(nan, np.nan, out[0]), np.where(nan, np.nan, out[1]), *out[2:])


def along(f, pts, cols):
    """``f`` as a function of the coordinates ``cols`` of a batch of points
    (the others those of ``pts``, one block of rows per point)."""
    k = pts.shape[0]

    def restricted(rows):
        full = np.repeat(pts, rows.shape[0] // k, axis=0)
        full[:, cols] = rows
        return f(full)

    return restricted


#: Points times coordinates evaluated per call along a subset of coordinates
#: (a model with thousands of parameters: bounded memory per batch)
_CHUNK = 2**21


def _numeric_along(problem: Problem, f, method, scale_to, cols):
    """Order 1 along the coordinates ``cols``, the others held fixed (nan),
    a bounded number of coordinates at a time."""
    pts = problem.pts
    shape = pts.shape
    value, error, step = (np.full(shape, np.nan), np.full(shape, np.inf),
                          np.full(shape, np.nan))
    width = max(1, _CHUNK // (16 * pts.size))
    nfev = 0
    for start in range(0, len(cols), width):
        part = cols[start:start + width]
        sub = None if scale_to is None else scale_to[:, part]
        est = directional_estimate(along(f, pts, part), pts[:, part], method,
                                   scale=sub, vectorized=True)
        value[:, part], error[:, part], step[:, part] = est.value, est.error, est.step
        nfev += est.nfev
    return value, error, step, nfev


def estimate(problem: Problem, nfev: int = 0) -> Verdict:
    """Step 1: the numeric derivatives by ``problem.method``, judged."""
    value, error, step, n_nfev = numeric(problem, problem.f, problem.method,
                                         problem.scale)
    status = judge(problem.exact, value, error, problem.rtol, problem.atol)
    return Verdict(value, error, step, status,
                   np.full(status.shape, "", dtype=object),
                   np.zeros(status.shape, dtype=bool), nfev + n_nfev)


def doubtful(problem: Problem, v: Verdict) -> np.ndarray:
    """Entries to recheck: failed, not evaluable, or too uncertain to judge."""
    scale = np.maximum(np.abs(problem.exact), np.abs(v.value))
    return (v.status == "FAIL") | (v.error > problem.atol + problem.rtol * scale) | (
        (v.status == "nan") & np.isfinite(problem.exact)  # a stencil leaving the domain
    )


def rechecks(problem: Problem) -> list:
    """``(method or None, steps scaled to, label)`` in the order tried."""
    method, order, pts = problem.method, problem.order, problem.pts
    # steps follow |x| down to where ref / 256 is still a normal float
    ref = np.where(pts != 0, np.maximum(np.abs(pts), 256 * _TINY), 1.0)
    shrink = method != "complex" or order == 2  # the stencil has a width
    return [
        # the complex kernel is not rewritten for stability: where it
        # overflows, richardson on the stable real kernel
        ("richardson" if method == "complex" else None, None,
         "{} on the stable real kernel"),
        # a kink or the domain's edge inside the wide stencil spoils it:
        # the same method on shorter steps, then narrow central differences
        (method if shrink else None, ref / 16, "{} steps / 16"),
        (method if shrink else None, ref / 256, "{} steps / 256"),
        (_NARROW.get((order, method)), None, "narrow {} differences"),
        # a coordinate tiny next to the function's scale: |x|-scaled steps
        # drown in rounding; steps scaled to max(|x|, 1) do not
        # (longer steps: only trusted where steps 4x shorter agree)
        (method, np.maximum(np.abs(pts), 1.0), "{} steps scaled to max(|x|, 1)"),
        # a coordinate large next to the scale on which f varies (sin(30 x)
        # at x = 10): |x|-scaled steps alias; steps scaled to 1 do not
        (method if shrink else None, np.minimum(ref, 1.0),
         "{} steps scaled to min(|x|, 1)"),
    ]


def recheck(problem: Problem, v: Verdict) -> Verdict:
    """Step 2: recompute doubtful entries by each of :func:`rechecks` in turn."""
    pts = problem.pts
    ref = np.where(pts != 0, np.maximum(np.abs(pts), 256 * _TINY), 1.0)
    for method, scale_to, label in rechecks(problem):
        todo = doubtful(problem, v)
        if method is None or not np.any(todo):
            continue
        v = _recheck_once(problem, v, todo, method, scale_to, label, ref)
    return v


def _recheck_once(problem, v: Verdict, todo, method, scale_to, label, ref) -> Verdict:
    f = problem.f if method == problem.method else problem.real_f
    cols = None
    if problem.subset and problem.order == 1:
        cols = np.flatnonzero(np.any(todo, axis=0))
    value, error, step, nfev = numeric(problem, f, method, scale_to, cols)
    nfev += v.nfev
    if method == problem.method and np.any((scale_to > ref) | (scale_to < ref / 16)):
        # a new reference for the steps: trusted where 4x shorter steps
        # agree (aliasing and rounding do not survive that)
        c_value, c_error, _, c_nfev = numeric(problem, f, method, scale_to / 4,
                                              cols)
        nfev += c_nfev
        consistent = np.abs(value - c_value) <= 2.0 * (error + c_error)
        value = np.where(consistent, value, np.nan)
    status = judge(problem.exact, value, error, problem.rtol, problem.atol)
    rough = v.rough
    if method != problem.method:  # wide and narrow stencils disagree: not smooth
        rough = np.abs(v.value - value) > 2.0 * (v.error + error) + problem.atol
    use = todo & np.isfinite(value) & (
        (error < v.error)
        | ((v.status != "ok") & (status == "ok"))
        | ~np.isfinite(v.value)
    )
    note = v.note.copy()
    note[use] = "rechecked with " + label.format(method)
    return Verdict(np.where(use, value, v.value), np.where(use, error, v.error),
                   np.where(use, step, v.step), np.where(use, status, v.status),
                   note, rough, nfev)


def one_sided_step(problem: Problem, v: Verdict) -> Verdict:
    """Step 3: failing entries get one-sided derivatives.

    Where f is not smooth (a kink surface, or wide and narrow stencils
    disagree) but both one-sided derivatives agree with the exact value, the
    exact value is right: ``ok``. A kink only where f may have one, and only
    where the one-sided derivatives differ (or cannot be trusted): two that
    agree with each other but not with the exact value show f differentiable
    there, with another derivative: the failure stands.
    """
    fail = v.status == "FAIL"
    if not np.any(fail):
        return v
    g = problem.real_f if problem.order == 1 else problem.grad
    if problem.subset and problem.order == 1:
        sides = _one_sided_along(problem, g, np.flatnonzero(np.any(fail, axis=0)))
    else:
        sides = one_sided(g, problem.pts, problem.order,
                          problem.near(problem.pts), problem.rtol, problem.atol)
    mean = 0.5 * (sides.left + sides.right)
    spread = 0.5 * np.abs(sides.left - sides.right) + sides.error
    agree = fail & ~sides.disagree & (sides.surface | v.rough) & (
        judge(problem.exact, mean, spread, problem.rtol, problem.atol) == "ok"
    )
    status, note = v.status.copy(), v.note.copy()
    status[agree] = "ok"
    note[agree] = "one-sided check: f not smooth enough for central differences"
    mark = fail & ~agree & sides.surface & sides.disagree
    status[mark] = "kink"
    for idx in zip(*np.nonzero(mark), strict=True):
        note[idx] = f"one-sided {sides.left[idx]:.6g} | {sides.right[idx]:.6g}"
    return replace(v, value=np.where(agree, mean, v.value),
                   error=np.where(agree, spread, v.error),
                   step=np.where(agree, sides.step, v.step), status=status,
                   note=note, nfev=v.nfev + sides.nfev)


def _one_sided_along(problem: Problem, g, cols) -> Sides:
    """:func:`~calckit.check.kinks.one_sided` along the coordinates ``cols``
    (the others: no kink, nan)."""
    pts = problem.pts
    near = problem.near(pts)
    names = ("surface", "disagree", "left", "right", "error", "step")
    fills = (False, False, np.nan, np.nan, np.inf, np.nan)
    full = [np.full(pts.shape, fill) for fill in fills]
    nfev = 0
    width = max(1, _CHUNK // (16 * pts.size))  # bounded batches, as above
    for start in range(0, len(cols), width):
        part_cols = cols[start:start + width]
        part = one_sided(along(g, pts, part_cols), pts[:, part_cols], 1,
                         near[:, part_cols], problem.rtol, problem.atol)
        for arr, name in zip(full, names, strict=True):
            arr[:, part_cols] = getattr(part, name)
        nfev += part.nfev
    surface, disagree, left, right, error, step = full
    return Sides(surface, disagree, left, right, error, step, nfev)


def mark_uncertain(problem: Problem, v: Verdict) -> Verdict:
    """Step 4: passed only thanks to a large error estimate: cannot judge."""
    scale = np.maximum(np.abs(problem.exact), np.abs(v.value))
    tolerance = problem.atol + problem.rtol * scale
    vague = (v.status == "ok") & (np.abs(problem.exact - v.value) > tolerance) & (
        v.error > 10.0 * tolerance
    )
    if not np.any(vague):
        return v
    status, note = v.status.copy(), v.note.copy()
    status[vague] = "uncertain"
    note[vague] = "numeric error estimate too large to judge here"
    return replace(v, status=status, note=note)
