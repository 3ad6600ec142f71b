"""Shared plotting helpers: figures without pyplot, colours, evaluation.

Figures are built with :class:`matplotlib.figure.Figure` directly, so no
global pyplot state is touched, nothing is shown, and any backend (Agg in
tests) can save them.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal

import numpy as np
from matplotlib.figure import Figure

from calckit.errors import InvalidParameterError
from calckit.kernels import compile as ck_compile
from calckit.symbolic._coerce import as_expr, as_symbols, real_symbol

# Fixed colours so one optimizer (or one derivative order) has the same
# colour in every figure.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
           "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
FUNCTION_COLOR = "#000000"
OPTIMIZER_COLORS = MappingProxyType({
    "sgd": PALETTE[0], "momentum": PALETTE[9], "adam": PALETTE[1],
    "rmsprop": PALETTE[2], "adagrad": PALETTE[3], "adamw": PALETTE[4],
    "lion": PALETTE[5], "newton": PALETTE[6],
})


#: Longest text shown in a title, label or legend entry; longer text (a
#: huge expression, a long user label) is cut with an ellipsis.
MAX_TEXT = 150


def _tick_texts(fig: Figure) -> set:
    """The tick labels and offset texts of ``fig``: matplotlib writes them,
    in mathtext for log scales."""
    out = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis, getattr(ax, "zaxis", None)):
            if axis is None:
                continue
            out.add(axis.offsetText)
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                out.update((tick.label1, tick.label2))
    return out


def literal(fig: Figure) -> Figure:
    """Show the titles, labels and legend entries of ``fig`` as written.

    They hold user text (expressions, symbol names, run labels), so a
    ``$`` is a dollar sign, not the start of mathtext: ``$\\foo{$`` used to
    fail at save time and 2000 ``$\\int$`` to take seconds. Text longer than
    :data:`MAX_TEXT` characters is cut with an ellipsis.

    >>> fig, ax = figure()
    >>> _ = ax.set_title("$\\foo{$" + "x" * 200)
    >>> title = literal(fig).axes[0].title
    >>> title.get_parse_math(), len(title.get_text())
    (False, 150)
    """
    from matplotlib.text import Text

    ticks = _tick_texts(fig)
    for text in fig.findobj(Text):
        if text in ticks:
            continue
        text.set_parse_math(False)
        value = text.get_text()
        if len(value) > MAX_TEXT:
            text.set_text(value[:MAX_TEXT - 1] + "…")
    return fig


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def label_color(label: str, index: int) -> str:
    """The optimizer's own colour when the label names one, else by index."""
    key = str(label).split()[0].lower() if str(label).strip() else ""
    return OPTIMIZER_COLORS.get(key, color(index))


def contrasting(rgba: np.ndarray) -> list[str]:
    """Black or white, whichever stands out on each RGBA background colour
    (by relative luminance).

    >>> contrasting(np.array([[0.99, 0.9, 0.14, 1.0], [0.27, 0.0, 0.33, 1.0]]))
    ['k', 'w']
    """
    rgb = np.asarray(rgba, dtype=float)[..., :3]
    luminance = rgb @ np.array([0.2126, 0.7152, 0.0722])
    return ["k" if v > 0.45 else "w" for v in np.atleast_1d(luminance)]


def figure(nrows: int = 1, ncols: int = 1, *, size=None,
           layout: Literal["constrained", "compressed", "tight"] | None = "constrained",
           **kw):
    """A new Figure and its axes (array when several). Large grids pass
    ``layout=None`` and set the spacing themselves (constrained layout costs
    seconds per save on a 4 x 5 grid)."""
    size = size or (5.0 * ncols + 0.5, 3.8 * nrows + 0.4)
    fig = Figure(figsize=size, layout=layout)
    kw.setdefault("squeeze", True)
    axes = fig.subplots(nrows, ncols, **kw)
    return fig, axes


def finish(ax, *, xlabel=None, ylabel=None, title=None, grid: bool = True,
           legend: str = "best") -> None:
    """Label the axes (``None`` leaves one as it is), add the legend and,
    unless ``grid=False``, a light grid. ``legend="below"`` puts the legend
    under the axes, where it covers no curve."""
    for setter, text in ((ax.set_xlabel, xlabel), (ax.set_ylabel, ylabel),
                         (ax.set_title, title)):
        if text is not None:
            setter(text)
    if legend == "below":
        legend_below(ax)
    else:
        ax.legend(loc=legend, fontsize="small")
    if grid:
        ax.grid(alpha=0.3)


def legend_below(ax, ncols: int = 2) -> None:
    """The legend of ``ax`` under it, outside the plotted area (constrained
    layout makes room for it)."""
    handles, labels = ax.get_legend_handles_labels()
    if max((len(label) for label in labels), default=0) > 36:
        ncols = 1  # long labels side by side would be wider than the figure
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.13),
              ncols=min(ncols, max(1, len(labels))), fontsize="small",
              frameon=False)


def univariate(expr, var):
    """``(expr, symbol)`` for a function of one variable."""
    expr = as_expr(expr)
    syms = as_symbols(var, expr) if var is not None else as_symbols(None, expr)
    if len(syms) > 1:
        raise InvalidParameterError(
            f"this plot needs a function of one variable; {expr} has "
            f"{', '.join(s.name for s in syms)} (pass var=...)"
        )
    if not syms:
        syms = [real_symbol("x")]
    return expr, syms[0]


def bivariate(expr, wrt):
    expr = as_expr(expr)
    syms = as_symbols(wrt, expr)
    if len(syms) != 2:
        raise InvalidParameterError(
            f"this plot needs a function of two variables; {expr} has "
            f"{len(syms)} ({', '.join(s.name for s in syms) or 'none'}); pass wrt"
        )
    return expr, syms


def evaluate(expr, wrt, *arrays):
    """Values of ``expr`` on arrays (compiled, stable); non-finite -> nan."""

    kernel = ck_compile(expr, list(wrt))
    with np.errstate(all="ignore"):
        out = np.asarray(kernel(*arrays), dtype=float)
    out = np.broadcast_to(out, np.broadcast(*arrays).shape).copy()
    out[~np.isfinite(out)] = np.nan
    return out


def check_limits(lim, name: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in lim)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"{name} must be (lo, hi), got {lim!r}") from exc
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise InvalidParameterError(f"{name} must be finite with lo < hi, got {lim!r}")
    if max(abs(lo), abs(hi)) > VIEW_LIMIT:  # the grid itself would overflow
        raise InvalidParameterError(
            f"{name} must lie within +-{VIEW_LIMIT:g}, got {lim!r}")
    return lo, hi


def robust_ylim(values, pad: float = 0.1):
    """y-limits from the finite values (so a blown-up polynomial does not
    flatten the plot)."""
    finite = np.asarray(values)[np.isfinite(values)]
    if finite.size == 0:
        return None
    lo, hi = float(finite.min()), float(finite.max())
    span = hi - lo if hi > lo else max(1.0, abs(hi))
    return lo - pad * span, hi + pad * span


#: Values beyond this are drawn at it: matplotlib's autoscaling and tick
#: placement overflow on data near the float64 maximum (a diverged run).
VIEW_LIMIT = 1e300


def viewable(values):
    """``values`` as floats with non-finite entries as ``nan`` and finite
    ones clipped to ``[-VIEW_LIMIT, VIEW_LIMIT]`` (so a diverged run can be
    drawn without overflow in matplotlib)."""
    out = np.array(values, dtype=float, copy=True)
    with np.errstate(invalid="ignore"):
        out[~np.isfinite(out)] = np.nan
        np.clip(out, -VIEW_LIMIT, VIEW_LIMIT, out=out)
    return out


def require_finite(Z, expr, what: str = "the plotted region") -> None:
    """Refuse to draw a function with no finite value on the region."""
    if not np.any(np.isfinite(Z)):
        raise InvalidParameterError(
            f"{expr} has no finite real value on {what}; choose other limits"
        )
