"""gradcheck of a tensor loss (``ck.vector`` / ``ck.matrix``, or text with
``shapes=``): the compiled matrix-form gradient (or Hessian of one vector
variable) against numeric differentiation, one report row per entry, named
``w[3]`` or ``W1[2, 0]``.

The check runs the pipeline of :mod:`calckit.check.pipeline` at one point
holding every entry of the variables (as a model's check does): any entry
may sit on a kink of a ``relu`` or ``abs`` inside the loss, so a failing
entry whose one-sided differences disagree is a ``kink``. ``str()`` shows
at most 60 rows (failures, kinks and the worst first) and counts the rest.

>>> import numpy as np
>>> import calckit as ck
>>> rng = np.random.default_rng(0)
>>> r = ck.gradcheck("mean(softplus(X @ w) - y * (X @ w))",
...                  at={"w": rng.normal(size=3)},
...                  params={"X": rng.normal(size=(20, 3)), "y": np.ones(20)},
...                  shapes={"X": ("n", "d"), "w": "d", "y": "n"})
>>> r.ok, [row.component for row in r.rows]
(True, ['w[0]', 'w[1]', 'w[2]'])
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from calckit.check.pipeline import Problem, run
from calckit.check.report import GradcheckReport, GradcheckRow
from calckit.errors import CalckitTypeError, InvalidParameterError, ShapeError
from calckit.kernels import tensor as K
from calckit.kernels.tensor_runtime import split_flat
from calckit.numeric._steps import check_method
from calckit.symbolic.tensor import derive as D
from calckit.symbolic.tensor import expr as E
from calckit.symbolic.tensor.grammar import as_tensor_expr

__all__ = ["TENSOR_METHODS", "tensor_gradcheck"]

#: Numeric methods for tensor kernels (real float64; no complex step).
TENSOR_METHODS = ("richardson", "central", "forward", "backward")


def tensor_gradcheck(expr, wrt, at, params, *, shapes, rtol: float, atol: float,
                     method: str, order: int, row) -> GradcheckReport:
    """See :func:`calckit.gradcheck` (arguments checked there; ``row`` builds
    a report row from a verdict)."""
    check_method(method, allowed=TENSOR_METHODS if order == 1 else TENSOR_METHODS[:2])
    loss = as_tensor_expr(expr, shapes)
    D._check_scalar(loss, "gradcheck")
    data = _arrays(params, "params")
    point = _arrays(at, "at") if isinstance(at, Mapping) else None
    if point is None:
        raise CalckitTypeError(
            "gradcheck of a tensor loss: at must be a dict name -> array (the "
            f"variables), got {type(at).__name__}")
    targets = D.resolve_wrt(loss, list(point) if wrt is None else wrt)
    names = [t.attr[0] if isinstance(t, E.Tensor) else t.name for t in targets]
    _check_names(loss, names, point, data)
    var_shapes = {n: point[n].shape for n in names}
    x = np.concatenate([point[n].ravel() for n in names])
    fk = K.compile_expr(loss, targets, list(data))
    values = list(data.values())

    def split(flat):
        return split_flat(flat, var_shapes)

    def losses(rows):
        return np.array([float(fk(*split(r), *values)) for r in rows])

    try:
        exact = _exact(loss, targets, data, split(x), order, x.size)
        losses(x[None, :])
    except ShapeError as err:
        raise ShapeError(f"gradcheck: {err}") from None
    problem = Problem(
        f=losses, real_f=losses, pts=x[None, :], exact=exact, method=method,
        order=order, rtol=float(rtol), atol=float(atol),
        near=lambda pts: np.ones(pts.shape, dtype=bool), subset=order == 1,
        scale=np.maximum(np.abs(x), 1.0)[None, :],
        grad=_grad_rows(loss, targets, data, split) if order == 2 else None,
    )
    verdict = run(problem)
    entries = _entry_names(var_shapes)
    rows: list[GradcheckRow]
    if order == 1:
        rows = [row(0, e, exact[0, j], verdict, (0, j)) for j, e in enumerate(entries)]
    else:
        rows = [row(0, f"d2/d{entries[i]}d{entries[j]}", exact[0, i, j], verdict,
                    (0, i, j))
                for i in range(x.size) for j in range(i, x.size)]
    return GradcheckReport(
        expr=loss, wrt=entries, points=problem.pts, order=order, method=method,
        rtol=float(rtol), atol=float(atol), rows=rows, exact=exact,
        numeric=verdict.value, error_estimate=verdict.error, nfev=verdict.nfev,
        show_points=False, context="variables " + ", ".join(
            f"{n} {s}" for n, s in var_shapes.items()),
    )


def _arrays(values, what) -> dict:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise CalckitTypeError(
            f"gradcheck: {what} must be a dict name -> array, got "
            f"{type(values).__name__}")
    out = {}
    for name, v in values.items():
        try:
            a = np.array(v, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise CalckitTypeError(
                f"gradcheck: {what}[{name!r}] must be an array of real numbers"
            ) from exc
        if not np.all(np.isfinite(a)):
            raise InvalidParameterError(f"gradcheck: {what}[{name!r}] must be finite")
        out[str(name)] = a
    return out


def _check_names(loss, names, point, data) -> None:
    held = set(loss.free_vars())
    missing = [n for n in names if n not in point]
    extra = sorted(set(point) - set(names))
    if missing or extra:
        raise InvalidParameterError(
            f"gradcheck: at must give exactly the variables {names}; missing "
            f"{missing}, unknown {extra}")
    both = sorted(set(names) & set(data))
    unknown = sorted(set(data) - held)
    unused = sorted(held - set(names) - set(data))
    problems = []
    if both:
        problems.append(f"{both} are both variables (at) and params")
    if unknown:
        problems.append(f"params {unknown} do not occur in the loss")
    if unused:
        problems.append(f"the loss has symbols {unused} that are neither in at nor "
                        "in params")
    if problems:
        raise InvalidParameterError("gradcheck: " + "; ".join(problems))


def _exact(loss, targets, data, parts, order, size) -> np.ndarray:
    values = list(data.values())
    if order == 1:
        gk = K.compile_tensor_grad(loss, targets, list(data))
        gs = gk(*parts, *values)
        gs = gs if isinstance(gs, tuple) else (gs,)
        return np.concatenate([np.ravel(g) for g in gs])[None, :].astype(float)
    if len(targets) != 1 or (isinstance(targets[0], E.Tensor) and targets[0].ndim > 1):
        raise InvalidParameterError(
            "gradcheck order=2 of a tensor loss needs one vector variable (its "
            f"matrix-form Hessian), got {[str(t) for t in targets]}")
    hk = K.compile_tensor_hessian(loss, targets, list(data))
    return np.reshape(hk(*parts, *values), (1, size, size)).astype(float)


def _grad_rows(loss, targets, data, split):
    gk = K.compile_tensor_grad(loss, targets, list(data))
    values = list(data.values())

    def grads(rows):
        return np.array([np.ravel(gk(*split(r), *values)) for r in rows])

    return grads


def _entry_names(var_shapes: Mapping) -> list[str]:
    """``w[3]``, ``W1[2, 0]`` (and ``b`` for a scalar) in the flat order."""
    out = []
    for name, shape in var_shapes.items():
        for index in np.ndindex(*shape) if shape else [()]:
            out.append(f"{name}[{', '.join(map(str, index))}]" if index else name)
    return out
