"""The accuracy panel: smooth functions with exact derivatives from mpmath.

Benchmark data, not library code (it lived in ``calckit.numeric._panel``).
Used by ``benchmarks/numeric.py`` (a sibling: run it as a script) and
``tests/test_numeric.py`` (loaded from this file's path). Each row has
a NumPy function (vectorised, complex-safe), the points, and the exact
derivatives computed with mpmath at 40 digits (:func:`exact`).

>>> row = PANEL[1]
>>> row.name, row.kind
('log1p', 'derivative')
>>> bool(abs(exact(row)[0] - 1 / (1 + row.points[0])) < 1e-15)
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

__all__ = ["PANEL", "PanelRow", "exact", "rosenbrock", "rosenbrock_grad"]


class PanelRow(NamedTuple):
    name: str
    kind: str  # "derivative" (elementwise), "gradient" or "hessian"
    f: Callable  # NumPy, vectorised over leading axes
    mp_f: Callable  # the same function in mpmath
    points: np.ndarray  # (k,) for derivative; (n,) for gradient/hessian


def rosenbrock(v):
    """Rosenbrock function of the last axis of ``v`` (any batch shape)."""
    v = np.asarray(v)
    return np.sum(
        100.0 * (v[..., 1:] - v[..., :-1] ** 2) ** 2 + (1.0 - v[..., :-1]) ** 2,
        axis=-1,
    )


def rosenbrock_grad(v):
    """Exact gradient of :func:`rosenbrock` (the cost baseline)."""
    v = np.asarray(v, dtype=float)
    g = np.zeros_like(v)
    d = v[1:] - v[:-1] ** 2
    g[:-1] = -400.0 * v[:-1] * d - 2.0 * (1.0 - v[:-1])
    g[1:] += 200.0 * d
    return g


def _mp_rosen(*v):
    return sum(
        100 * (v[i + 1] - v[i] ** 2) ** 2 + (1 - v[i]) ** 2 for i in range(len(v) - 1)
    )


def _h4(v):
    v0, v1, v2, v3 = (v[..., i] for i in range(4))
    return (
        np.sin(v0) * np.exp(0.5 * v1) + v2**2 * v3**3 + v0 * v3
        + np.log1p(v1**2 + v2**2) + np.exp(0.2 * (v0 + 2.0 * v1 - v2 + v3))
    )


def _mp_h4(v0, v1, v2, v3):
    import mpmath as mp

    return (
        mp.sin(v0) * mp.exp(v1 / 2) + v2**2 * v3**3 + v0 * v3
        + mp.log1p(v1**2 + v2**2) + mp.exp((v0 + 2 * v1 - v2 + v3) / 5)
    )


def _expsin(x):
    return np.exp(x) * np.sin(x) / (1.0 + x**2)


def _mp(name):
    def fn(x):
        import mpmath as mp

        return getattr(mp, name)(x)

    fn.__name__ = name
    return fn


def _mp_expsin(x):
    import mpmath as mp

    return mp.exp(x) * mp.sin(x) / (1 + x**2)


PANEL = (
    PanelRow("exp*sin/(1+x^2)", "derivative", _expsin, _mp_expsin,
             np.array([-2.0, -0.3, 0.4, 1.3, 2.7])),
    PanelRow("log1p", "derivative", np.log1p, _mp("log1p"),
             np.array([-0.5, 0.25, 1.0, 3.0, 20.0])),
    PanelRow("atan", "derivative", np.arctan, _mp("atan"),
             np.array([-3.0, -0.5, 0.2, 1.0, 4.0])),
    PanelRow("tanh", "derivative", np.tanh, _mp("tanh"),
             np.array([-2.0, -0.5, 0.3, 1.0, 2.5])),
    PanelRow("rosenbrock-10d gradient", "gradient", rosenbrock, _mp_rosen,
             np.array([0.3, -0.8, 1.2, 0.5, -1.1, 0.9, 1.4, -0.2, 0.7, 1.9])),
    PanelRow("4-d hessian", "hessian", _h4, _mp_h4,
             np.array([0.7, -0.4, 1.3, 0.8])),
)


def exact(row: PanelRow, dps: int = 40) -> np.ndarray:
    """Exact derivatives of ``row`` at its points (mpmath, ``dps`` digits)."""
    import mpmath as mp

    with mp.workdps(dps):
        pts = [mp.mpf(float(p)) for p in row.points]
        if row.kind == "derivative":
            return np.array([float(mp.diff(row.mp_f, p)) for p in pts])
        n = len(pts)
        if row.kind == "gradient":
            orders = [tuple(int(i == j) for i in range(n)) for j in range(n)]
            return np.array([float(mp.diff(row.mp_f, pts, o)) for o in orders])
        out = np.empty((n, n))
        for i in range(n):
            for j in range(n):
                o = [0] * n
                o[i] += 1
                o[j] += 1
                out[i, j] = float(mp.diff(row.mp_f, pts, tuple(o)))
        return out
