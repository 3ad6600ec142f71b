"""Figures of training: loss curves, the learning-rate comparison, and
decision boundaries of a classifier."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

import calckit
from calckit.errors import InvalidParameterError
from calckit.plot._common import (
    FUNCTION_COLOR,
    check_limits,
    color,
    evaluate,
    figure,
    label_color,
    literal,
    robust_ylim,
    viewable,
)
from calckit.symbolic._coerce import as_expr, as_symbols

__all__ = ["loss_curves", "learning_rates", "decision_boundary"]


def _losses(item, label) -> np.ndarray:
    for attr in ("losses", "loss"):
        if hasattr(item, attr):
            item = getattr(item, attr)
            break
    else:
        if isinstance(item, Mapping):
            for key in ("losses", "loss"):
                if key in item:
                    item = item[key]
                    break
    try:
        values = np.asarray(item, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"histories[{label!r}] must be losses, an OptimizeResult or a fit "
            f"history; got {type(item).__name__}"
        ) from exc
    return values


def loss_curves(histories, *, log: bool | None = None, xlabel: str = "step",
                title: str = "Loss curves"):
    """Loss against step for each run.

    ``histories`` is a dict ``label -> losses`` (array, an
    :class:`OptimizeResult`, or a fit history with ``losses``), or one of
    those. ``log`` (default: when every loss is positive) uses a log y-axis.

    >>> fig = loss_curves({"a": [4.0, 2.0, 1.0], "b": [4.0, 3.0, 2.5]})
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['a', 'b']
    """
    if not isinstance(histories, Mapping) or hasattr(histories, "losses"):
        histories = {"loss": histories}
    curves = [(str(k), _losses(v, k)) for k, v in histories.items()]
    if not curves:
        raise InvalidParameterError("histories is empty; give at least one run")
    fig, ax = figure(size=(7.0, 4.5))
    for i, (label, values) in enumerate(curves):
        ax.plot(np.arange(values.size), viewable(values), color=label_color(label, i),
                lw=1.6, label=label)
    finite = np.concatenate([v[np.isfinite(v)] for _, v in curves] or [np.zeros(0)])
    if log is None:
        log = finite.size > 0 and bool(np.all(finite > 0))
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3, which="both")
    return literal(fig)


def _status(result) -> str:
    """The run's status in minimize's own words: converged, diverged (a
    non-finite step), diverging or oscillating (what its message says of
    the loss), or not converged."""
    steps = f"{result.nit} step{'' if result.nit == 1 else 's'}"
    if result.diverged:
        return f"diverged after {steps}"
    if result.converged:
        return f"converged in {steps}"
    message = str(getattr(result, "message", ""))
    if "diverging" in message:
        losses = np.asarray(result.losses, dtype=float)
        return f"diverging, loss {losses[0]:.3g} -> {losses[-1]:.3g}"
    if "oscillate" in message:
        return "oscillates, no progress"
    return f"not converged in {steps}"


def _common_view(paths: list, x0: np.ndarray, xlim) -> tuple[float, float]:
    """One x-range for every panel: the start and the iterates of the runs
    that stay near it (a diverging run leaves the view, and says so)."""
    if xlim is not None:
        return check_limits(xlim, "xlim")
    near = 2 * float(max(abs(x0[0]), 1.0))
    values = [x0[0]] + [v for p in paths for v in p[:, 0] if abs(v - x0[0]) <= near]
    lo, hi = min(values), max(values)
    span = max(hi - lo, abs(x0[0]), 1.0)
    return float(lo - 0.3 * span), float(hi + 0.3 * span)


def learning_rates(expr="x**2 + 10", x0=None, lrs=(0.01, 0.1, 0.5, 1.0), *,
                   optimizer: str = "sgd", steps: int = 30, wrt=None,
                   xlim=None, tol: float = 1e-8):
    """The learning-rate comparison: one panel per ``lr``, each showing the
    iterates of ``optimizer`` on the loss and whether the run converged,
    crawled, oscillated or diverged.

    A loss of one variable is drawn as a curve with the iterates on it; a
    loss of two variables as contours with the path.
    """

    expr = as_expr(expr)
    wrt = as_symbols(wrt, expr)
    if len(wrt) not in (1, 2):
        raise InvalidParameterError(
            f"learning_rates draws losses of 1 or 2 variables; {expr} has {len(wrt)}"
        )
    lrs = list(lrs)
    if not lrs:
        raise InvalidParameterError("lrs is empty; give learning rates to compare")
    x0 = np.full(len(wrt), 3.0) if x0 is None else np.atleast_1d(
        np.asarray(x0, dtype=float))
    results = [calckit.minimize(expr, wrt, x0=x0, optimizer=optimizer, steps=steps,
                                tol=tol, lr=lr) for lr in lrs]
    ncols = 2 if len(lrs) > 1 else 1
    nrows = -(-len(lrs) // ncols)
    paths = []
    for r in results:
        path = np.asarray(r.path, dtype=float)
        paths.append(path[np.all(np.isfinite(path), axis=1)])
    fig, axes = figure(nrows, ncols, size=(5.2 * ncols, 4.0 * nrows + 0.5),
                       squeeze=False, sharex=True, sharey=True)
    if len(wrt) == 1:  # one curve and one scale for every panel
        lo, hi = _common_view(paths, x0, xlim)
        xs = np.linspace(lo, hi, 300)
        fx = viewable(evaluate(expr, wrt, xs))
    else:
        pad = 0.2 * max(max(np.ptp(p[:, 0]), np.ptp(p[:, 1])) for p in paths)
        pad = max(pad, 0.2)
        X, Y = np.meshgrid(
            np.linspace(min(p[:, 0].min() for p in paths) - pad,
                        max(p[:, 0].max() for p in paths) + pad, 100),
            np.linspace(min(p[:, 1].min() for p in paths) - pad,
                        max(p[:, 1].max() for p in paths) + pad, 100))
        Z = viewable(evaluate(expr, wrt, X, Y))
    for k, (lr, r, path) in enumerate(zip(lrs, results, paths, strict=True)):
        ax = axes[k // ncols][k % ncols]
        c = color(k)
        if len(wrt) == 1:
            ax.plot(xs, fx, color=FUNCTION_COLOR, lw=2, label=f"f = {expr}")
            ax.plot(viewable(path[:, 0]), viewable(evaluate(expr, wrt, path[:, 0])),
                    color=c, marker="o", markersize=4, lw=1, label="iterates")
            ax.set_xlim(lo, hi)
            ax.set_ylim(*(robust_ylim(fx, pad=0.08) or (None, None)))
            ax.set_xlabel(wrt[0].name)
            ax.set_ylabel("f")
        else:
            ax.contour(X, Y, Z, levels=20, cmap="viridis", linewidths=0.7)
            ax.plot(viewable(path[:, 0]), viewable(path[:, 1]), color=c, marker="o",
                    markersize=3, lw=1, label="iterates")
            ax.set_xlabel(wrt[0].name)
            ax.set_ylabel(wrt[1].name)
        ax.tick_params(labelbottom=True, labelleft=True)  # on every panel
        ax.set_title(f"lr = {lr:g}: {_status(r)}")
        ax.legend(loc="upper center", fontsize="small")
        ax.grid(alpha=0.3)
    for k in range(len(lrs), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    fig.suptitle(f"{optimizer} on {expr} with {len(lrs)} learning rates")
    return literal(fig)


def decision_boundary(model, X, y=None, *, num: int = 200, margin: float = 0.5,
                      threshold: float = 0.5, title: str = "Decision boundary"):
    """Regions a classifier assigns to each class, with the data on top.

    ``model`` is anything with ``predict(points) -> outputs`` on arrays
    (N, 2): one probability or score per point (boundary at ``threshold``)
    or one score per class (argmax).
    """
    if not hasattr(model, "predict"):
        raise InvalidParameterError(
            f"model must have a predict method; got {type(model).__name__}"
        )
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise InvalidParameterError(
            f"X must have shape (N, 2) to draw a boundary in the plane; got {X.shape}"
        )
    xs = np.linspace(X[:, 0].min() - margin, X[:, 0].max() + margin, num)
    ys = np.linspace(X[:, 1].min() - margin, X[:, 1].max() + margin, num)
    GX, GY = np.meshgrid(xs, ys)
    out = np.asarray(model.predict(np.column_stack([GX.ravel(), GY.ravel()])),
                     dtype=float)
    fig, ax = figure(size=(6.0, 5.0))
    if out.ndim == 2 and out.shape[1] > 1:
        classes = out.argmax(axis=1).reshape(GX.shape)
        ax.contourf(GX, GY, classes, levels=np.arange(out.shape[1] + 1) - 0.5,
                    cmap="tab10", alpha=0.35)
        field = classes
    else:
        field = out.reshape(GX.shape)
        cs = ax.contourf(GX, GY, field, levels=20, cmap="RdBu_r", alpha=0.6)
        fig.colorbar(cs, ax=ax, label="model output")
        ax.contour(GX, GY, field, levels=[threshold], colors="k", linewidths=2)
    if y is not None:
        y = np.asarray(y)
        labels = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.ravel()
        for i, cls in enumerate(np.unique(labels)):
            pts = X[labels == cls]
            name = f"{cls:g}" if isinstance(cls, (int, float, np.number)) else str(cls)
            ax.scatter(pts[:, 0], pts[:, 1], color=color(i * 3), edgecolor="k",
                       s=40, label=f"class {name}", zorder=3)
        ax.legend(loc="best", fontsize="small")
    else:
        ax.scatter(X[:, 0], X[:, 1], color="k", s=15, zorder=3)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title)
    return literal(fig)
