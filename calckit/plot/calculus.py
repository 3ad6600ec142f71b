"""Figures of one-variable calculus: Taylor polynomials with their error
bounds, derivatives, tangents, and the activation gallery."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from calckit import activations as registry
from calckit.errors import CalckitError, InvalidParameterError
from calckit.plot._common import (
    FUNCTION_COLOR,
    check_limits,
    color,
    evaluate,
    figure,
    finish,
    literal,
    robust_ylim,
    univariate,
)
from calckit.symbolic._coerce import as_expr, real_symbol
from calckit.symbolic.remainder import remainder_bound, taylor_polynomial
from calckit.tables import tidy
from calckit.tables.format import _text

__all__ = ["taylor", "derivatives", "tangent", "activations"]


def _prime_label(n: int) -> str:
    return "f" + ("'" * n if n <= 3 else f"^({n})")


def _line_text(x, p: float, m: float, fp: float) -> str:
    """The tangent ``y = m*(x - p) + fp`` as one would write it.

    >>> _line_text("x", -1, 2, 0), _line_text("x", 0.5, 1, 0.25)
    ('y = 2*(x + 1)', 'y = (x - 0.5) + 0.25')
    >>> _line_text("x", 0, -1, -3), _line_text("x", 2, 0, 4)
    ('y = -x - 3', 'y = 4')
    """
    shift = f"{x}" if p == 0 else f"({x} {'-' if p > 0 else '+'} {abs(p):g})"
    slope = ("" if m == 0 else shift if m == 1 else f"-{shift}" if m == -1
             else f"{m:g}*{shift}")
    if not slope:
        return f"y = {fp:g}"
    if fp == 0:
        return f"y = {slope}"
    return f"y = {slope} {'+' if fp > 0 else '-'} {abs(fp):g}"


def taylor(expr, var=None, at=0.0, orders=(1, 2, 3, 5), *, xlim=None,
           bound: bool = True, method: str = "lagrange", num: int = 400):
    """f with its Taylor polynomials, and a log-scale error panel with the
    rigorous remainder bound of each order on the plotted interval.

    Parameters
    ----------
    expr : expression or str
        A function of one variable.
    at : float
        Expansion point.
    orders : sequence of int
    xlim : (lo, hi), optional
        Plotted interval (default ``at - 2, at + 2``); also the interval of
        the bounds.
    bound : bool
        Draw the bounds (:func:`calckit.symbolic.remainder.remainder_bound`).
    method : {"lagrange", "integral"}

    Returns
    -------
    matplotlib.figure.Figure
        Axes 0: f and the polynomials; axes 1: ``|f - p_n|`` and the bounds.

    >>> fig = taylor("exp(x)", orders=(1, 3))
    >>> [line.get_label() for line in fig.axes[0].lines][:3]
    ['f(x) = exp(x)', 'order 1', 'order 3']
    """

    expr, x = univariate(expr, var)
    orders = list(orders)
    if not orders:
        raise InvalidParameterError("orders is empty; give Taylor orders like (1, 3)")
    a = float(at)
    lo, hi = check_limits(xlim if xlim is not None else (a - 2, a + 2), "xlim")
    xs = np.linspace(lo, hi, num)
    fx = evaluate(expr, [x], xs)
    fig, (ax, ax_err) = figure(2, 1, size=(7.5, 7.0), sharex=True)
    drawn = []  # what the error panel shows (positive values or nan)
    ax.plot(xs, fx, color=FUNCTION_COLOR, lw=2.5, label=f"f({x}) = {expr}")
    for i, n in enumerate(orders):
        poly = taylor_polynomial(expr, [x], a, int(n))
        px = evaluate(poly, [x], xs)
        c = color(i)
        ax.plot(xs, px, color=c, lw=1.5, label=f"order {n}")
        with np.errstate(all="ignore"):
            err = np.abs(fx - px)
        err[err == 0] = np.nan  # log scale: exact points (x = a) are not drawn
        drawn.append(err)
        ax_err.plot(xs, err, color=c, lw=1.5, label=f"|f - p{n}|")
        if bound:
            try:
                r = remainder_bound(expr, [x], a, int(n), (lo, hi), method=method,
                                    samples=201)
            except CalckitError as exc:  # no bound: said in the legend
                ax_err.plot([], [], color=c, ls="--", lw=1.2,
                            label=f"bound p{n}: none ({type(exc).__name__})")
                continue
            if math.isfinite(r.bound) and r.bound > 0:
                drawn.append(np.array([r.bound]))
                ax_err.hlines(r.bound, lo, hi, colors=c, linestyles="--", lw=1.2,
                              label=f"bound p{n}: {r.bound:.2g}")
            else:  # 0 (p is exact) or inf: not drawable on the log scale
                ax_err.plot([], [], color=c, ls="--", lw=1.2,
                            label=f"bound p{n}: {r.bound:.2g}")
    ax.plot([a], evaluate(expr, [x], np.array([a])), "o", color=FUNCTION_COLOR,
            label=f"{x} = {a:g}")
    ylim = robust_ylim(fx, pad=0.25)
    if ylim:
        ax.set_ylim(*ylim)
    finish(ax, ylabel="y", title=f"Taylor polynomials of {expr} about {x} = {a:g}")
    if any(np.any(np.isfinite(d)) for d in drawn):
        ax_err.set_yscale("log")
    else:  # p equals f on the interval (f is a polynomial): nothing to log-scale
        ax_err.set_ylim(-1, 1)
        ax_err.text(0.5, 0.5, "the polynomials equal f: no error", ha="center",
                    va="center", transform=ax_err.transAxes)
    ax_err.set_xlabel(str(x))
    ax_err.set_ylabel("absolute error")
    ax_err.set_title(f"error and rigorous remainder bound ({method}) on "
                     f"[{lo:g}, {hi:g}]" if bound else "error")
    ax_err.legend(loc="best", fontsize="small", ncol=2)
    ax_err.grid(alpha=0.3, which="both")
    return literal(fig)


def derivatives(expr, var=None, orders=(0, 1, 2), *, xlim=(-3.0, 3.0),
                num: int = 400):
    """f with its derivatives of the given orders, on one axes.

    >>> fig = derivatives("sin(x)")
    >>> fig.axes[0].get_legend_handles_labels()[1]
    ['f(x) = sin(x)', "f'(x) = cos(x)", "f''(x) = -sin(x)"]
    """

    expr, x = univariate(expr, var)
    lo, hi = check_limits(xlim, "xlim")
    xs = np.linspace(lo, hi, num)
    fig, ax = figure(size=(7.0, 5.2))
    for n in orders:
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InvalidParameterError(f"orders must be non-negative integers: {n!r}")
        d = sp.diff(expr, x, n) if n else expr
        style = dict(color=FUNCTION_COLOR, lw=2.5) if n == 0 else dict(
            color=color(n - 1), lw=1.6, ls=("-", "--", ":", "-.")[n % 4])
        ax.plot(xs, evaluate(d, [x], xs), label=f"{_prime_label(n)}({x}) = "
                f"{_text(tidy(d))}", **style)
    ax.axhline(0, color="0.6", lw=0.8)
    finish(ax, xlabel=str(x), ylabel="value", title=f"{expr} and its derivatives",
           legend="below")
    return literal(fig)


def tangent(expr, at=0.0, var=None, *, xlim=None, num: int = 400):
    """f with its tangent line at one point or several (``at`` a sequence).

    >>> fig = tangent("x**2", at=1)
    >>> fig.axes[0].lines[1].get_label()
    'tangent at x = 1: y = 2*(x - 1) + 1'
    """
    expr, x = univariate(expr, var)
    points = [float(p) for p in np.atleast_1d(np.asarray(at, dtype=float))]
    if xlim is None:
        xlim = (min(points) - 2, max(points) + 2)
    lo, hi = check_limits(xlim, "xlim")
    xs = np.linspace(lo, hi, num)
    fx = evaluate(expr, [x], xs)
    fig, ax = figure(size=(7.0, 4.5))
    ax.plot(xs, fx, color=FUNCTION_COLOR, lw=2.5, label=f"f({x}) = {expr}")
    slope_expr = sp.diff(expr, x)
    for i, p in enumerate(points):
        fp = float(evaluate(expr, [x], np.array([p]))[0])
        m = float(evaluate(slope_expr, [x], np.array([p]))[0])
        if not (math.isfinite(fp) and math.isfinite(m)):
            raise InvalidParameterError(
                f"{expr} has no tangent at {x} = {p:g}: f = {fp:g}, f' = {m:g} "
                "there; choose another point"
            )
        c = color(i)
        ax.plot(xs, fp + m * (xs - p), color=c, lw=1.5, ls="--",
                label=f"tangent at {x} = {p:g}: {_line_text(x, p, m, fp)}")
        ax.plot([p], [fp], "o", color=c)
    ylim = robust_ylim(fx, pad=0.2)
    if ylim:
        ax.set_ylim(*ylim)
    finish(ax, xlabel=str(x), ylabel="y", title=f"Tangent lines of {expr}")
    return literal(fig)


def activations(names=None, *, xlim=(-4.0, 4.0), orders=(0, 1), ncols: int = 4,
                num: int = 300):
    """A gallery: one panel per activation with its derivatives.

    ``names`` is a sequence of registry names (default: all of
    :mod:`calckit.activations`) or a dict ``name -> expression in x``.
    """

    x = real_symbol("x")
    if isinstance(names, dict):
        items = [(str(k), as_expr(v)) for k, v in names.items()]
    else:
        chosen = registry.names() if names is None else names
        items = [(n, registry.get(n)(x)) for n in chosen]
    if not items:
        raise InvalidParameterError("names is empty; give at least one activation")
    lo, hi = check_limits(xlim, "xlim")
    xs = np.linspace(lo, hi, num)
    ncols = max(1, min(ncols, len(items)))
    nrows = -(-len(items) // ncols)
    height = 2.6 * nrows + 0.6
    fig, axes = figure(nrows, ncols, size=(3.2 * ncols, height), squeeze=False,
                       layout=None)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.3 / height,
                        top=1 - 0.9 / height, hspace=0.45, wspace=0.28)
    for k, (name, expr) in enumerate(items):
        ax = axes[k // ncols][k % ncols]
        syms = [s for s in expr.free_symbols]
        var = syms[0] if len(syms) == 1 else x
        for n in orders:
            d = sp.diff(expr, var, n) if n else expr
            style = dict(color=FUNCTION_COLOR, lw=2.0) if n == 0 else dict(
                color=color(n - 1), lw=1.4, ls=("-", "--", ":")[n % 3])
            ax.plot(xs, evaluate(d, [var], xs), label=_prime_label(n), **style)
        ax.set_title(name)
        ax.axhline(0, color="0.7", lw=0.6)
        ax.axvline(0, color="0.7", lw=0.6)
        ax.grid(alpha=0.3)
    for k in range(len(items), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    axes[0][0].legend(loc="best", fontsize="small")
    fig.suptitle("Activations and their derivatives")
    return literal(fig)
