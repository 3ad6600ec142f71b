"""The figure of a curve fit: data, fitted model and residuals."""

from __future__ import annotations

from typing import Any

import numpy as np

from calckit.errors import CalckitTypeError
from calckit.plot._common import color, figure, finish

__all__ = ["fit"]


def fit(result: Any, *, points: int = 400, title: str | None = None):
    """Data, fitted curve (top) and residuals (bottom) of a
    :func:`calckit.curve_fit` result.

    Parameters
    ----------
    result : CurveFitResult
    points : int
        Points of the fitted curve over the range of the data.
    title : str, optional
        Default: the model with its fitted parameters.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> import calckit as ck
    >>> t = np.linspace(0, 2, 12)
    >>> y = 3 * t + 1 + 0.01 * np.cos(9 * t)
    >>> r = ck.curve_fit("a*t + b", x="t", xdata=t, ydata=y)
    >>> fig = fit(r)
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['y', 'residual']
    """
    for attr in ("xdata", "ydata", "residuals", "predict", "params"):
        if not hasattr(result, attr):
            raise CalckitTypeError(
                f"plot.fit needs a calckit.curve_fit result, got "
                f"{type(result).__name__}"
            )
    fig, (top, bottom) = figure(2, 1, size=(6.5, 6.0), sharex=True,
                                gridspec_kw={"height_ratios": [3, 1]})
    order = np.argsort(result.xdata)
    xs = np.linspace(result.xdata.min(), result.xdata.max(), int(points))
    label = ", ".join(f"{k} = {v:.4g}" for k, v in result.params.items())
    top.plot(result.xdata[order], result.ydata[order], "o", ms=4,
             color=color(0), label="data")
    top.plot(xs, np.broadcast_to(result.predict(xs), xs.shape), "-",
             color=color(1), label=f"fit: {label}")
    finish(top, ylabel="y", title=title or str(result.model))
    bottom.axhline(0.0, color="0.5", lw=0.8)
    bottom.plot(result.xdata[order], result.residuals[order], "o", ms=3,
                color=color(2), label="model - data")
    finish(bottom, xlabel=result.x, ylabel="residual")
    return fig
