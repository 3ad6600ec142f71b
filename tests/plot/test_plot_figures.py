"""What the figures draw (issue 19, plots): statuses in minimize's words,
one scale across learning-rate panels, tangent equations as one would
write them, legends that cover no curve, log-spaced contours on a valley,
paths that stay visible where they coincide, arrows that contrast with
their background."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import calckit as ck  # noqa: E402
from calckit import optimize, plot  # noqa: E402
from calckit.plot._common import contrasting  # noqa: E402

ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"


def _drawn(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _outside(fig, ax) -> bool:
    """The legend of ``ax`` does not overlap its plotting area."""
    renderer = _drawn(fig)
    legend = ax.get_legend().get_window_extent(renderer)
    area = ax.get_window_extent(renderer)
    return not legend.overlaps(area)


# -- learning rates -------------------------------------------------------------

LRS = (0.01, 0.1, 0.5, 1.0, 1.05)


@pytest.fixture(scope="module")
def lr_figure():
    return plot.learning_rates("x**2 + 10", x0=[3.0], lrs=LRS, steps=30)


def test_learning_rate_titles_follow_minimize(lr_figure):
    titles = [ax.get_title() for ax in lr_figure.axes if ax.get_visible()]
    assert len(titles) == len(LRS)
    for lr, title in zip(LRS, titles, strict=True):
        r = ck.minimize("x**2 + 10", "x", x0=[3.0], optimizer="sgd", lr=lr,
                        steps=30)
        assert title.startswith(f"lr = {lr:g}: ")
        if r.converged:
            assert "converged in" in title
        elif "diverging" in r.message:
            # iterates grow from 3 to 52: not "oscillates, no progress"
            assert "diverging" in title and "oscillates" not in title
            assert f"{r.losses[-1]:.3g}" in title
        elif "oscillate" in r.message:
            assert "oscillates" in title
        else:
            assert "not converged" in title
    assert "diverging" in titles[-1] and "oscillates" in titles[-2]


def test_learning_rate_panels_share_one_scale(lr_figure):
    axes = [ax for ax in lr_figure.axes if ax.get_visible()]
    assert len({ax.get_xlim() for ax in axes}) == 1
    assert len({ax.get_ylim() for ax in axes}) == 1
    lo, hi = axes[0].get_xlim()
    assert lo < -3 and hi > 3  # the oscillation between -3 and 3 is in view
    # every panel keeps its tick labels
    assert all(any(t.get_text() for t in ax.get_xticklabels()) for ax in axes)


def test_the_tour_learning_rates_share_one_scale():
    fig = plot.learning_rates("x**2 + 10", x0=[3.0], lrs=(0.01, 0.1, 0.5, 1.0),
                              steps=30)
    assert len({ax.get_xlim() for ax in fig.axes}) == 1


# -- tangent, derivatives ---------------------------------------------------------

@pytest.mark.parametrize("expr, at, text", [
    ("x**2 + 4*x + 3", -1, "y = 2*(x + 1)"),
    ("x**2", -1, "y = -2*(x + 1) + 1"),
    ("x**2", 0.5, "y = (x - 0.5) + 0.25"),
    ("x**3 - 3*x", 1, "y = -2"),
    ("exp(x)", 0, "y = x + 1"),
])
def test_tangent_equations_read_naturally(expr, at, text):
    fig = plot.tangent(expr, at=at)
    label = fig.axes[0].lines[1].get_label()
    assert label == f"tangent at x = {at:g}: {text}"
    assert "- -" not in label and "+ 0" not in label.replace("+ 0.", "")


def test_the_derivatives_legend_covers_no_curve():
    fig = plot.derivatives("x*sin(x)", orders=(0, 1, 2, 3))
    ax = fig.axes[0]
    assert _outside(fig, ax)
    assert len(ax.get_legend().get_texts()) == 4


# -- trajectories -------------------------------------------------------------------

@pytest.fixture(scope="module")
def rosenbrock_runs():
    return optimize.compare(ROSENBROCK, [-1.2, 1.0], {
        "sgd (momentum 0.9)": {"optimizer": "sgd", "lr": 1e-3, "momentum": 0.9},
        "adam": {"lr": 0.02}, "rmsprop": {"lr": 1e-3}, "newton": {}},
        steps=800, tol=1e-8)


def test_trajectory_contours_are_log_spaced(rosenbrock_runs):
    fig = plot.trajectories(ROSENBROCK, rosenbrock_runs)
    levels = np.asarray(fig.axes[0].collections[0].levels)
    gaps = np.diff(levels)
    assert np.all(gaps > 0) and gaps[-1] > 100 * gaps[1]
    # the valley floor (f < 1) has contours of its own
    assert np.sum(levels < 1.0) >= 5


def test_trajectory_paths_stay_visible_and_the_legend_is_outside(rosenbrock_runs):
    fig = plot.trajectories(ROSENBROCK, rosenbrock_runs, xlim=(-1.6, 1.6),
                            ylim=(-0.6, 1.6))
    ax = fig.axes[0]
    paths = [line for line in ax.lines
             if any(line.get_label().startswith(k) for k in rosenbrock_runs)]
    assert len(paths) == 4
    widths = [line.get_linewidth() for line in paths]
    orders = [line.get_zorder() for line in paths]
    # each later path is narrower and on top: an earlier one shows around it
    assert all(np.diff(widths) < 0)
    assert all(np.diff(orders) > 0)
    assert all(line.get_visible() and line.get_alpha() > 0.5 for line in paths)
    assert _outside(fig, ax)


# -- gradient field -------------------------------------------------------------------

def _luminance(rgba):
    rgba = np.atleast_2d(rgba)
    return rgba[:, :3] @ np.array([0.2126, 0.7152, 0.0722])


def test_arrows_contrast_with_their_background():
    import matplotlib.colors as mcolors

    fig = plot.gradient_field("x**2 + 10*y**2 + x*y")
    ax = fig.axes[0]
    filled = ax.collections[0]
    arrows = [c for c in ax.collections if hasattr(c, "U")][0]
    f = ck.compile("x**2 + 10*y**2 + x*y", wrt="x y")
    under = filled.cmap(filled.norm(f(arrows.X, arrows.Y)))
    colors = mcolors.to_rgba_array(arrows.get_facecolor())
    assert len(colors) == len(arrows.X)
    gap = np.abs(_luminance(colors) - _luminance(under))
    assert np.all(gap > 0.3)
    # both colours are in use on this field (dark valley, bright rim)
    assert len({tuple(c) for c in colors}) == 2


def test_contrasting_picks_black_on_yellow_and_white_on_purple():
    import matplotlib

    viridis = matplotlib.colormaps["viridis"]
    assert contrasting(viridis([1.0, 0.0])) == ["k", "w"]
