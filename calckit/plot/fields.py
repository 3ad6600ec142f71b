"""Figures of functions of two variables: gradient fields, surfaces, and
optimizer trajectories over them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from calckit.errors import InvalidParameterError
from calckit.kernels import compile_grad
from calckit.plot._common import (
    FUNCTION_COLOR,
    bivariate,
    check_limits,
    contrasting,
    evaluate,
    figure,
    finish,
    label_color,
    literal,
    require_finite,
    viewable,
)
from calckit.symbolic._coerce import as_expr, as_symbols

__all__ = ["gradient_field", "surface", "trajectories"]


def _grid(expr, wrt, xlim: tuple[float, float], ylim: tuple[float, float],
          num: int):
    xs = np.linspace(*xlim, num)
    ys = np.linspace(*ylim, num)
    X, Y = np.meshgrid(xs, ys)
    return X, Y, evaluate(expr, wrt, X, Y)


#: Beyond this spread of values, contours are drawn of a compressed f
#: (sign(f) log10(1 + |f|)): matplotlib cannot contour values that span
#: hundreds of orders of magnitude (exp(1000*x) + y on [-2, 2]).
HUGE_SPREAD = 1e12


def _compress(Z: np.ndarray) -> np.ndarray:
    """``sign(Z) log10(1 + |Z|)``: values over hundreds of orders of
    magnitude on a scale matplotlib can contour."""
    with np.errstate(all="ignore"):
        return np.sign(Z) * np.log10(1.0 + np.abs(Z))


def _needs_compressing(Z: np.ndarray) -> bool:
    finite = Z[np.isfinite(Z)]
    return bool(finite.size) and float(finite.max()) - float(finite.min()) > HUGE_SPREAD


def _shown(Z: np.ndarray, expr) -> tuple[np.ndarray, str]:
    """The values to contour and the colour-bar label: ``f`` itself, or
    ``sign(f) log10(1 + |f|)`` when its values spread beyond HUGE_SPREAD."""
    if _needs_compressing(Z):
        return _compress(Z), f"sign(f) log10(1 + |f|), f = {expr}"
    return Z, f"f = {expr}"


def _levels(Z, levels, log: bool | None = None):
    """Increasing contour levels for the finite values of ``Z``: log-spaced
    above the minimum when ``log`` (by default: when most values sit near
    it, a narrow valley such as Rosenbrock's), else evenly spaced; a flat
    ``Z`` gets levels around its one value."""
    finite = Z[np.isfinite(Z)]
    if finite.size == 0:
        return levels
    lo, hi = (float(v) for v in np.percentile(finite, [0, 98]))
    span = hi - lo
    if not span > 1e-9 * max(abs(lo), abs(hi), 1e-300):  # flat, to rounding
        pad = max(abs(lo), 1.0) * 1e-6
        return np.linspace(lo - pad, lo + pad, 3)
    if log is None:
        log = bool(np.median(finite - lo) < 0.1 * span)  # a narrow valley
    if log:
        out = lo + np.concatenate([[0.0], np.geomspace(1e-4 * span, span,
                                                        levels - 1)])
    else:
        out = np.linspace(lo, hi, levels)
    return np.unique(out)


def gradient_field(expr, wrt=None, *, xlim: Sequence[float] = (-2.0, 2.0),
                   ylim: Sequence[float] = (-2.0, 2.0),
                   num: int = 120, arrows: int = 15, levels: int = 25,
                   normalize: bool = True):
    """Contours of f with arrows of the descent direction ``-grad f``.

    With ``normalize`` every arrow has the same length (direction only);
    otherwise lengths are proportional to ``|grad f|``.

    >>> fig = gradient_field("x**2 + 3*y**2")
    >>> q = [c for c in fig.axes[0].collections if hasattr(c, "U")][0]
    >>> bool(np.all(q.U * q.X <= 1e-12))    # arrows point downhill in x
    True
    """

    expr, wrt = bivariate(expr, wrt)
    xlim, ylim = check_limits(xlim, "xlim"), check_limits(ylim, "ylim")
    X, Y, Z = _grid(expr, wrt, xlim, ylim, num)
    require_finite(Z, expr, f"[{xlim[0]:g}, {xlim[1]:g}] x [{ylim[0]:g}, {ylim[1]:g}]")
    compress = _needs_compressing(Z)
    Z, label = _shown(Z, expr)
    fig, ax = figure(size=(6.5, 5.5))
    cs = ax.contourf(X, Y, Z, levels=_levels(Z, levels), cmap="viridis",
                     extend="both")
    ax.contour(X, Y, Z, levels=cs.levels, colors="k", linewidths=0.4, alpha=0.5)
    fig.colorbar(cs, ax=ax, label=label, format="%.3g")
    AX, AY = np.meshgrid(np.linspace(*xlim, arrows), np.linspace(*ylim, arrows))
    with np.errstate(all="ignore"):
        G = np.asarray(compile_grad(expr, wrt)(AX, AY), dtype=float)
    U, V = -G[..., 0], -G[..., 1]
    # arrows only where the gradient is finite and not zero (at a pole, like
    # x = 0 for 1/x, there is no direction; a flat f has no arrows at all)
    with np.errstate(all="ignore"):
        norm = np.hypot(U, V)
    keep = np.isfinite(norm) & (norm > 0)
    if normalize:
        U, V = np.where(keep, U, 0.0), np.where(keep, V, 0.0)
        safe = np.where(keep, norm, 1.0)
        U, V = U / safe, V / safe
    if np.any(keep):
        # each arrow black on a light background, white on a dark one (white
        # arrows vanished on viridis' yellow)
        under = evaluate(expr, wrt, AX[keep], AY[keep])
        under = _compress(under) if compress else under
        ax.quiver(AX[keep], AY[keep], U[keep], V[keep],
                  color=contrasting(cs.cmap(cs.norm(under))), edgecolor="0.5",
                  linewidth=0.3, angles="xy", pivot="mid", label="-grad f")
    ax.set_xlabel(wrt[0].name)
    ax.set_ylabel(wrt[1].name)
    ax.set_title(f"-grad f: steepest descent of {expr}")
    ax.set_aspect("equal" if _similar(xlim, ylim) else "auto")
    return literal(fig)


def _similar(a, b):
    wa, wb = a[1] - a[0], b[1] - b[0]
    return 0.25 < wa / wb < 4


def surface(expr, wrt=None, *, xlim: Sequence[float] = (-2.0, 2.0),
            ylim: Sequence[float] = (-2.0, 2.0), num: int = 60,
            cmap: str = "viridis"):
    """A 3-D surface of f(x, y) with its contours on the floor."""
    expr, wrt = bivariate(expr, wrt)
    xlim, ylim = check_limits(xlim, "xlim"), check_limits(ylim, "ylim")
    X, Y, Z = _grid(expr, wrt, xlim, ylim, num)
    require_finite(Z, expr, f"[{xlim[0]:g}, {xlim[1]:g}] x [{ylim[0]:g}, {ylim[1]:g}]")
    fig, ax = figure(size=(7.0, 5.5), subplot_kw={"projection": "3d"})
    surf = ax.plot_surface(X, Y, Z, cmap=cmap, linewidth=0, antialiased=True,
                           alpha=0.9, rstride=1, cstride=1)
    zmin = np.nanmin(Z)
    ax.contour(X, Y, Z, levels=15, zdir="z", offset=zmin, cmap=cmap,
               linewidths=0.8)
    fig.colorbar(surf, ax=ax, shrink=0.6, label="f")
    ax.set_xlabel(wrt[0].name)
    ax.set_ylabel(wrt[1].name)
    ax.set_zlabel("f")
    ax.set_title(f"f = {expr}")
    return literal(fig)


def _paths(results) -> list:
    """``[(label, path (k, n), status)]`` from results of minimize/compare."""
    if not isinstance(results, Mapping):
        if hasattr(results, "path") or isinstance(results, np.ndarray):
            results = {"path": results}
        else:
            results = {f"run {i}": r for i, r in enumerate(results)}
    out = []
    for label, r in results.items():
        path = np.asarray(getattr(r, "path", r), dtype=float)
        if path.ndim == 1:
            path = path[:, None]
        if path.ndim != 2 or path.shape[0] == 0:
            raise InvalidParameterError(
                f"results[{label!r}] must be an OptimizeResult or a path array "
                f"(steps, n); got shape {path.shape}"
            )
        if hasattr(r, "converged"):
            status = ("diverged" if r.diverged else "converged" if r.converged
                      else "not converged")
            status = f"{status}, {r.nit} steps"
        else:
            status = f"{path.shape[0] - 1} steps"
        out.append((str(label), path, status))
    return out


def _extent(paths, axis: int, pad: float = 0.15) -> tuple[float, float]:
    values = viewable(np.concatenate([p[:, axis] for _, p, _ in paths]))
    values = values[np.isfinite(values)]
    lo, hi = float(values.min()), float(values.max())
    span = max(hi - lo, 1e-3)
    return lo - pad * span, hi + pad * span


def trajectories(expr, results, wrt=None, *, xlim=None, ylim=None,
                 three_d: bool = False, num: int = 150, levels: int = 30):
    """Optimizer paths over the contours (or the 3-D surface) of a loss.

    ``results`` is a dict ``label -> OptimizeResult`` (as returned by
    :func:`calckit.optimize.compare`), one result, or path arrays. A loss of one
    variable is drawn as a curve with the iterates on it.
    """

    expr = as_expr(expr)
    wrt = as_symbols(wrt, expr)
    paths = _paths(results)
    if not any(np.all(np.isfinite(p), axis=1).any() for _, p, _ in paths):
        raise InvalidParameterError("results have no finite point to draw")
    if any(p.shape[1] != len(wrt) for _, p, _ in paths):
        raise InvalidParameterError(
            f"paths must have {len(wrt)} columns ({', '.join(s.name for s in wrt)})"
        )
    if len(wrt) == 1:
        return _trajectories_1d(expr, wrt, paths, xlim)
    if len(wrt) != 2:
        raise InvalidParameterError(
            f"trajectories draws losses of 1 or 2 variables; {expr} has {len(wrt)}"
        )
    xlim = check_limits(xlim, "xlim") if xlim is not None else _extent(paths, 0)
    ylim = check_limits(ylim, "ylim") if ylim is not None else _extent(paths, 1)
    X, Y, Z = _grid(expr, wrt, xlim, ylim, num)
    if three_d:
        fig, ax = figure(size=(7.5, 6.0), subplot_kw={"projection": "3d"})
        ax.plot_surface(X, Y, Z, cmap="viridis", alpha=0.5, linewidth=0)
    else:
        fig, ax = figure(size=(7.0, 6.2))
        Z, label = _shown(Z, expr)
        # log-spaced: an optimizer's path ends on the valley floor, where
        # evenly spaced levels draw no contour
        cs = ax.contour(X, Y, Z, levels=_levels(Z, levels, log=True),
                        cmap="viridis", linewidths=0.8)
        fig.colorbar(cs, ax=ax, label=label, format="%.3g")
    for i, (label, path, status) in enumerate(paths):
        c = label_color(label, i)
        inside = path[np.all(np.isfinite(path), axis=1)]
        if inside.shape[0] == 0:  # nothing finite to draw for this run
            continue
        style = _path_style(i, len(paths))
        if three_d:
            z = evaluate(expr, wrt, inside[:, 0], inside[:, 1])
            ax.plot(inside[:, 0], inside[:, 1], z, color=c,
                    label=f"{label} ({status})", **style)
            ax.scatter(inside[-1:, 0], inside[-1:, 1], z[-1:], color=c, marker="*",
                       s=80)
        else:
            ax.plot(inside[:, 0], inside[:, 1], color=c,
                    label=f"{label} ({status})", **style)
            ax.plot(inside[-1, 0], inside[-1, 1], "*", color=c, markersize=12,
                    markeredgecolor="k", markeredgewidth=0.6, zorder=5)
    start = paths[0][1][0]
    if three_d:
        ax.set_zlabel("f")
    else:
        ax.plot(start[0], start[1], "o", color=FUNCTION_COLOR, label="start")
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
    finish(ax, xlabel=wrt[0].name, ylabel=wrt[1].name,
           title=f"Optimizer paths on {expr}", grid=False, legend="below")
    return literal(fig)


#: Line styles of successive paths: where paths coincide (every optimizer
#: follows Rosenbrock's valley) the earlier, wider line shows around the
#: later, narrower one drawn on top of it.
_DASHES = ("-", "--", "-.", "-")


def _path_style(i: int, n: int) -> dict:
    """Line width and style of path ``i`` of ``n``: the first widest."""
    return {"lw": 1.6 + 1.1 * (n - 1 - i), "ls": _DASHES[i % len(_DASHES)],
            "alpha": 0.9, "zorder": 2 + i, "solid_capstyle": "round"}


def _trajectories_1d(expr, wrt, paths, xlim: Sequence[float] | None):
    xlim = check_limits(xlim, "xlim") if xlim is not None else _extent(paths, 0)
    xs = np.linspace(*xlim, 400)
    fig, ax = figure(size=(7.0, 4.5))
    ax.plot(xs, viewable(evaluate(expr, wrt, xs)), color=FUNCTION_COLOR, lw=2,
            label=f"f = {expr}")
    for i, (label, path, status) in enumerate(paths):
        c = label_color(label, i)
        inside = path[np.isfinite(path[:, 0]), 0]
        ax.plot(viewable(inside), viewable(evaluate(expr, wrt, inside)), color=c,
                marker="o", markersize=3, lw=1, label=f"{label} ({status})")
    finish(ax, xlabel=wrt[0].name, ylabel="f", title=f"Optimizer iterates on {expr}")
    return literal(fig)
