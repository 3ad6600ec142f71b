"""Numeric differentiation: accuracy, evaluations and cost on the panel.

Run ``python benchmarks/numeric.py``. For each calckit method and, side by
side, ``scipy.differentiate`` (SciPy >= 1.15), ``scipy.optimize.approx_fprime``
and ``numdifftools`` (when installed), on the panel of
``benchmarks/numeric_panel.py`` (exact values from mpmath at 40 digits):

- max relative error per panel row, entry by entry
  (``|num - exact| / max(|num|, |exact|)``); for the 10-D gradient and the
  4-D Hessian also the normwise error ``max|num - exact| / max|exact|``;
- function evaluations (points passed to ``f``) per derivative on the 1-D
  rows and per gradient entry on the Rosenbrock row;
- cost of one 10-D Rosenbrock gradient as a multiple of one exact gradient
  evaluation (``rosenbrock_grad``, plain NumPy), timed in the same run.

Targets (issue 3): richardson <= 1e-12 relative error on every smooth row
with <= 12 evaluations per derivative; its Rosenbrock gradient <= 20x the
exact gradient. A row's relative error is entrywise for the 1-D rows and
normwise for the vector and matrix rows (the gradient and the Hessian), with
the entrywise error printed beside it; the per-entry Hessian table shows where
its small entries stand against the rounding floor of ``f``.
"""

from __future__ import annotations

import importlib.util
import timeit

import numpy as np
import scipy
from numeric_panel import PANEL, exact, rosenbrock, rosenbrock_grad  # sibling
from scipy.optimize import approx_fprime

from calckit import numeric

HAVE_ND = importlib.util.find_spec("numdifftools") is not None
HAVE_SD = importlib.util.find_spec("scipy.differentiate") is not None


class Counter:
    """Counts points passed to ``f`` (``dim`` coordinates per point)."""

    def __init__(self, f, dim=None, axis=-1):
        self.f, self.dim, self.axis, self.points = f, dim, axis, 0

    def __call__(self, x):
        x = np.asarray(x)
        self.points += x.size if self.dim is None else x.size // self.dim
        return self.f(x)


def _axis0(f):
    """scipy.differentiate puts coordinates on axis 0; calckit on the last."""
    return lambda v: f(np.moveaxis(np.asarray(v), 0, -1))


# --- tools: name -> (derivative(f, xs), gradient(f, x), hessian(f, x)) ---------


def _calckit(method, vectorized=None):
    hess = method if method in numeric.HESSIAN_METHODS else None
    return (
        lambda f, x: numeric.derivative(f, x, method=method),
        lambda f, x: numeric.gradient(f, x, method=method, vectorized=vectorized),
        (lambda f, x: numeric.hessian(f, x, method=hess, vectorized=vectorized))
        if hess else None,
    )


def _scipy_differentiate():
    import scipy.differentiate as sd

    return (
        lambda f, x: sd.derivative(f, x).df,
        lambda f, x: sd.jacobian(_axis0(f), x).df,
        lambda f, x: sd.hessian(_axis0(f), x).ddf,
    )


def _approx_fprime():
    def deriv(f, xs):
        return np.array(
            [approx_fprime(np.array([v]), lambda t: f(t[0]))[0] for v in xs]
        )

    return deriv, lambda f, x: approx_fprime(x, f), None


def _numdifftools():
    import numdifftools as nd

    return (
        lambda f, x: nd.Derivative(f)(x),
        lambda f, x: nd.Gradient(f)(x),
        lambda f, x: nd.Hessian(f)(x),
    )


def tools():
    out = {f"calckit {m}": _calckit(m) for m in ("forward", "central", "richardson",
                                                 "complex")}
    # vectorized=True skips the one-point check of the default vectorized=None
    out["calckit richardson vec"] = _calckit("richardson", vectorized=True)
    if HAVE_SD:
        out["scipy.differentiate"] = _scipy_differentiate()
    out["scipy approx_fprime"] = _approx_fprime()
    if HAVE_ND:
        out["numdifftools"] = _numdifftools()
    return out


# --- measurements -------------------------------------------------------------


def _rel(num, truth):
    num = np.asarray(num, dtype=float)
    scale = np.maximum(np.abs(num), np.abs(truth))
    diff = np.abs(num - truth)
    rel = np.where(scale > 0, diff / np.where(scale > 0, scale, 1), 0.0)
    return float(np.max(rel)), float(np.max(diff) / np.max(np.abs(truth)))


def measure(name, fns, truths):
    deriv, grad, hess = fns
    row = {"tool": name}
    evals_1d = []
    for panel_row in PANEL:
        truth = truths[panel_row.name]
        if panel_row.kind == "derivative":
            f = Counter(panel_row.f)
            row[panel_row.name] = _rel(deriv(f, panel_row.points), truth)[0]
            evals_1d.append(f.points / panel_row.points.size)
        elif panel_row.kind == "gradient":
            f = Counter(panel_row.f, dim=panel_row.points.size)
            rel, norm = _rel(grad(f, panel_row.points), truth)
            row["rosen rel"], row["rosen norm"] = rel, norm
            row["rosen evals"] = f.points / panel_row.points.size
        elif hess is not None:
            f = Counter(panel_row.f, dim=panel_row.points.size)
            rel, norm = _rel(hess(f, panel_row.points), truth)
            row["hess rel"], row["hess norm"], row["hess evals"] = rel, norm, f.points
    row["evals/deriv"] = max(evals_1d)
    return row


def _time(fn, budget=0.2):
    number = max(1, int(budget / max(timeit.timeit(fn, number=1), 1e-7)))
    return min(timeit.repeat(fn, number=number, repeat=5)) / number


def cost(fns):
    x = PANEL[4].points
    grad = fns[1]
    return _time(lambda: grad(rosenbrock, x))


# --- report -------------------------------------------------------------------

COLUMNS = [
    ("tool", "{:<22}", 22),
    ("exp*sin/(1+x^2)", "{:.1e}", 9), ("log1p", "{:.1e}", 9), ("atan", "{:.1e}", 9),
    ("tanh", "{:.1e}", 9), ("evals/deriv", "{:.1f}", 7),
    ("rosen rel", "{:.1e}", 9), ("rosen norm", "{:.1e}", 9),
    ("rosen evals", "{:.1f}", 7),
    ("rosen cost", "{:.1f}x", 8),
    ("hess rel", "{:.1e}", 9), ("hess norm", "{:.1e}", 9), ("hess evals", "{:.0f}", 6),
]
HEADERS = ["tool", "expsin", "log1p", "atan", "tanh", "ev/der", "rosen", "ros|.|",
           "ev/ent", "cost", "hess", "hess|.|", "h-ev"]


def table(rows):
    lines = ["  ".join(h.rjust(w) if i else h.ljust(w)
                       for i, (h, (_, _, w)) in enumerate(zip(HEADERS, COLUMNS,
                                                              strict=True)))]
    for row in rows:
        cells = []
        for key, fmt, width in COLUMNS:
            value = row.get(key)
            text = "n/a" if value is None else fmt.format(value)
            cells.append(text.ljust(width) if key == "tool" else text.rjust(width))
        lines.append("  ".join(cells))
    return "\n".join(lines)


def _rounded_once(row, dps=40):
    """``row.f`` evaluated in mpmath and rounded once to float64: the most
    accurate values any implementation of ``f`` in double precision can give."""
    import mpmath as mp

    def f(v):
        v = np.asarray(v, dtype=float)
        out = np.empty(v.shape[:-1])
        with mp.workdps(dps):
            for idx in np.ndindex(out.shape):
                out[idx] = float(row.mp_f(*(mp.mpf(float(t)) for t in v[idx])))
        return out

    return f


def hessian_floor(truth):
    """Entrywise relative error of the richardson Hessian per entry, with the
    NumPy ``f`` and with ``f`` rounded once (:func:`_rounded_once`)."""
    row = PANEL[5]
    out = {}
    for label, f in (("numpy f", row.f), ("f rounded once", _rounded_once(row))):
        hess = numeric.hessian(f, row.points, method="richardson", vectorized=True)
        rel = np.abs(hess - truth) / np.maximum(np.abs(hess), np.abs(truth))
        out[label] = rel
    out["best any step"] = oracle_floor(truth)
    return out


_MULTIPLES = tuple(2.0 ** k for k in range(-4, 6))


def oracle_floor(truth, multiples=_MULTIPLES):
    """The smallest entrywise error the richardson Hessian stencil reaches on
    each entry over all uniform step multiples 1/16..32 and all windows of
    scales, chosen *with the exact answer* (no method can choose better)."""
    from calckit.numeric import _hessian
    from calckit.numeric._steps import step_sizes

    row = PANEL[5]
    x = row.points[None]
    dim = x.shape[1]
    rows, cols = np.triu_indices(dim, 1)
    flat = np.concatenate([np.diag(truth), truth[rows, cols]])
    base = step_sizes(x, method="richardson", n=2, order=_hessian._ORDER)
    best = np.full(flat.shape, np.inf)
    for m in multiples:
        est = _hessian._richardson_candidates(row.f, x, base * m, None, True)[0][0]
        rel = np.abs(est - flat) / np.maximum(np.abs(est), np.abs(flat))
        best = np.minimum(best, np.nanmin(rel, axis=0))
    return _hessian._assemble(best[None, :dim], best[None, dim:], rows, cols)[0]


def main():
    truths = {r.name: exact(r) for r in PANEL}
    x = PANEL[4].points
    base = _time(lambda: rosenbrock_grad(x))
    rows = []
    for name, fns in tools().items():
        with np.errstate(all="ignore"):  # scipy steps to log1p(-1) on the panel
            row = measure(name, fns, truths)
        row["rosen cost"] = cost(fns) / base
        rows.append(row)
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, numdifftools "
          f"{'installed' if HAVE_ND else 'not installed'}; exact 10-D Rosenbrock "
          f"gradient: {base * 1e6:.1f} us")
    print("max relative error per row (entrywise; |.| = normwise), evaluations per "
          "derivative, cost = time / exact gradient time\n")
    print(table(rows))
    rich = next(r for r in rows if r["tool"] == "calckit richardson")
    vec = next(r for r in rows if r["tool"] == "calckit richardson vec")
    smooth = ["exp*sin/(1+x^2)", "log1p", "atan", "tanh"]
    worst_1d = max(rich[k] for k in smooth)
    print("\ntargets for calckit richardson (a row's relative error: entrywise for "
          "the 1-D rows; normwise, max|num - exact| / max|exact|, for the vector "
          "and matrix rows, with entrywise beside it):")
    print(f"  1-D rows <= 1e-12: worst {worst_1d:.1e} -> "
          f"{'met' if worst_1d <= 1e-12 else 'NOT met'}")
    def verdict(value, limit):
        return "met" if value <= limit else "NOT met"

    print(f"  Rosenbrock gradient <= 1e-12: normwise {rich['rosen norm']:.1e} -> "
          f"{verdict(rich['rosen norm'], 1e-12)}; entrywise "
          f"{rich['rosen rel']:.1e} -> {verdict(rich['rosen rel'], 1e-12)}")
    dim = PANEL[5].points.size
    unique = dim * (dim + 1) // 2
    print(f"  4-D Hessian <= 1e-12: normwise {rich['hess norm']:.1e} -> "
          f"{verdict(rich['hess norm'], 1e-12)}; entrywise {rich['hess rel']:.1e} "
          f"(the per-entry table below: small entries sit at the rounding floor "
          f"of f)")
    evals = max(rich["evals/deriv"], rich["rosen evals"])
    evals_vec = max(vec["evals/deriv"], vec["rosen evals"])
    print(f"  <= 12 evaluations per derivative: {evals_vec:.1f} with f batched "
          f"(vectorized=True) -> {verdict(evals_vec, 12)}; the default "
          f"vectorized=None adds one evaluation per call to confirm that f batches "
          f"({evals:.1f} for the 10-D gradient)")
    print(f"  4-D Hessian evaluations: {vec['hess evals']:.0f} with vectorized=True "
          f"= 12 per unique entry ({unique}) + the centre = "
          f"{vec['hess evals'] / dim**2:.1f} per entry of the {dim}x{dim} matrix "
          f"({rich['hess evals']:.0f} by default)")
    print(f"  Rosenbrock gradient cost <= 20x exact: {rich['rosen cost']:.1f}x -> "
          f"{'met' if rich['rosen cost'] <= 20 else 'NOT met'} "
          f"({vec['rosen cost']:.1f}x with vectorized=True)")
    floor = hessian_floor(truths[PANEL[5].name])
    truth = truths[PANEL[5].name]
    pairs = list(zip(*np.triu_indices(dim), strict=True))
    print("\n4-D Hessian, entrywise relative error of calckit richardson per "
          "unique entry (|H_ij| below):")
    print("  " + " ".join(f"{f'H{i}{j}':>8}" for i, j in pairs))
    print("  " + " ".join(f"{abs(truth[i, j]):8.3f}" for i, j in pairs) + "  |H_ij|")
    for label, rel in floor.items():
        print("  " + " ".join(f"{rel[i, j]:8.1e}" for i, j in pairs) + f"  {label}")
    print(f"  |f| = {abs(float(PANEL[5].f(PANEL[5].points))):.2f}: at the shared "
          "steps the small entries are limited by the rounding of f (the same "
          "errors when f is correctly rounded). The last line is the best the "
          "stencil reaches per entry when the step multiple (1/16..32) and the "
          "window are chosen with the exact answer: H02 would need 32x longer "
          "steps, H12 the shared ones; choosing steps per entry needs a pilot "
          "pass, i.e. more than 12 evaluations per entry")

if __name__ == "__main__":
    main()
