"""A model's gradient check: backprop against numeric differentiation of the
training-mode loss over every parameter entry.

Built on :mod:`calckit.numeric` (steps, Richardson extrapolation, error
estimates) through the pipeline of :mod:`calckit.check.pipeline`, and
reported as a :class:`calckit.check.report.GradcheckReport` with one row per
parameter entry, named ``"0.W[1, 2]"``. A model's ReLUs and max-pools are
invisible from outside, so any entry may sit on a kink: a failing entry
whose one-sided differences disagree is reported as ``kink`` (with both
values in its note), and one whose one-sided differences agree with each
other but not with backprop as ``FAIL``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from calckit.check._gradcheck import row
from calckit.check.pipeline import Problem, run
from calckit.check.report import GradcheckReport
from calckit.numeric._steps import check_method

if TYPE_CHECKING:
    from calckit.nn._sequential import Sequential

__all__ = ["MODEL_METHODS", "model_gradcheck"]

#: Numeric methods for a model (its layers compute in real float64).
MODEL_METHODS = ("richardson", "central", "forward", "backward")


def model_gradcheck(model: Sequential, X, y, loss, *, rtol: float = 1e-6,
                    atol: float = 1e-8, method: str = "central"
                    ) -> GradcheckReport:
    """See :meth:`calckit.nn.Sequential.gradcheck`."""
    check_method(method, allowed=MODEL_METHODS)
    model._ensure_packed()
    saved = {k: b.copy() for k, b in model.buffers().items()}
    flat = model._flat
    start = flat.copy()
    try:
        model.value_and_grad(X, y, loss)
        exact = model._flat_grad.copy()[None, :]

        def losses(rows):
            out = np.empty(rows.shape[0])
            for i, r in enumerate(rows):
                flat[...] = r
                out[i] = model.loss(X, y, loss, training=True)
            flat[...] = start
            return out

        problem = Problem(
            f=losses, real_f=losses, pts=start[None, :], exact=exact,
            method=method, order=1, rtol=float(rtol), atol=float(atol),
            near=lambda pts: np.ones(pts.shape, dtype=bool), subset=True,
            # steps scaled to max(|w|, 1): weights are small, biases start at 0
            scale=np.maximum(np.abs(start), 1.0)[None, :],
        )
        verdict = run(problem)
    finally:
        flat[...] = start
        live = model.buffers()
        for k, b in saved.items():
            live[k][...] = b
    names = _entry_names(model)
    rows = [row(0, name, exact[0, j], verdict, (0, j))
            for j, name in enumerate(names)]
    layers = len(model.layers)
    subject = (f"Sequential ({layers} layer{'s' if layers != 1 else ''}), "
               f"loss {loss if isinstance(loss, str) else 'user-defined'!r}")
    return GradcheckReport(
        expr=subject, wrt=names, points=problem.pts, order=1, method=method,
        rtol=float(rtol), atol=float(atol), rows=rows, exact=exact,
        numeric=verdict.value, error_estimate=verdict.error, nfev=verdict.nfev,
        show_points=False, context="parameters " + ", ".join(
            f"{key} {shape}" for key, _, _, shape in model._keys),
    )


def _entry_names(model: Sequential) -> list[str]:
    """``"0.W[1, 2]"`` for every entry, in the order of the flat vector."""
    names = []
    for key, _, _, shape in model._keys:
        for index in np.ndindex(*shape) if shape else [()]:
            names.append(f"{key}[{', '.join(map(str, index))}]" if index else key)
    return names
