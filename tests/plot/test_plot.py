"""calckit.plot: every figure's plotted data is checked against the maths."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import sympy as sp  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import calckit as ck  # noqa: E402
from calckit import plot  # noqa: E402
from calckit.errors import InvalidParameterError  # noqa: E402
from calckit.symbolic.remainder import remainder_bound  # noqa: E402

x, y = sp.symbols("x y", real=True)


def _lines(ax):
    return {ln.get_label(): ln for ln in ax.lines}


def test_taylor_lines_errors_and_bounds():
    fig = plot.taylor(sp.exp(x), x, at=0, orders=(1, 3), xlim=(-2, 2), num=101)
    assert isinstance(fig, Figure)
    ax, ax_err = fig.axes
    lines = _lines(ax)
    xs = lines["f(x) = exp(x)"].get_xdata()
    np.testing.assert_allclose(lines["f(x) = exp(x)"].get_ydata(), np.exp(xs),
                               rtol=1e-14)
    np.testing.assert_allclose(lines["order 3"].get_ydata(),
                               1 + xs + xs**2 / 2 + xs**3 / 6, rtol=1e-13, atol=1e-15)
    err3 = _lines(ax_err)["|f - p3|"].get_ydata()
    expected = np.abs(np.exp(xs) - (1 + xs + xs**2 / 2 + xs**3 / 6))
    mask = np.isfinite(err3)
    np.testing.assert_allclose(err3[mask], expected[mask], rtol=1e-9, atol=1e-15)
    assert ax_err.get_yscale() == "log"
    # the dashed bound of order 3 is the rigorous bound on [-2, 2], above the error
    bounds = [c for c in ax_err.collections if "bound p3" in c.get_label()]
    assert len(bounds) == 1
    level = bounds[0].get_segments()[0][0][1]
    ref = remainder_bound(sp.exp(x), [x], 0, 3, (-2, 2))
    assert level == pytest.approx(ref.bound)
    assert np.nanmax(err3) <= level
    assert ax.get_title() and ax.get_legend() is not None


def test_taylor_says_when_a_bound_is_missing_or_not_drawable():
    # interval arithmetic cannot enclose DiracDelta: no bound, said in the legend
    fig = plot.taylor(sp.Heaviside(x) * x**5 + x, x, at=0.5, orders=(1,),
                      xlim=(-1, 1), num=51)
    labels = [ln.get_label() for ln in fig.axes[1].lines]
    assert "bound p1: none (NumericError)" in labels
    assert not fig.axes[1].collections
    # an exact polynomial has the bound 0, which a log scale cannot draw
    fig = plot.taylor(x**2, x, at=0, orders=(2,), num=51)
    assert "bound p2: 0" in [ln.get_label() for ln in fig.axes[1].lines]


def test_derivatives_match_the_exact_derivatives():
    fig = plot.derivatives("x*sin(x)", orders=(0, 1, 2), xlim=(-3, 3), num=50)
    ax = fig.axes[0]
    labelled = [ln for ln in ax.lines if not ln.get_label().startswith("_")]
    xs = labelled[0].get_xdata()
    refs = [xs * np.sin(xs), np.sin(xs) + xs * np.cos(xs),
            2 * np.cos(xs) - xs * np.sin(xs)]
    for ln, ref in zip(labelled, refs, strict=True):
        np.testing.assert_allclose(ln.get_ydata(), ref, rtol=1e-12, atol=1e-14)
    assert labelled[1].get_label().startswith("f'(x) = ")
    assert ax.get_xlabel() == "x"


def test_tangent_lines_touch_with_the_right_slope():
    fig = plot.tangent("x**3 - x", at=[-1, 0.5], xlim=(-2, 2))
    ax = fig.axes[0]
    tangents = [ln for ln in ax.lines if ln.get_label().startswith("tangent")]
    assert len(tangents) == 2
    for ln, p in zip(tangents, (-1, 0.5), strict=True):
        xs, ys = ln.get_xdata(), ln.get_ydata()
        slope = np.polyfit(xs, ys, 1)[0]
        assert slope == pytest.approx(3 * p**2 - 1, abs=1e-12)
        assert np.interp(p, xs, ys) == pytest.approx(p**3 - p, abs=1e-9)


def _quiver(ax):
    return next(c for c in ax.collections if hasattr(c, "U"))


@pytest.mark.parametrize("normalize", [True, False])
def test_gradient_field_arrows_point_along_minus_grad(normalize):
    f = "x**2 + 3*y**2 + x*y"
    fig = plot.gradient_field(f, xlim=(-2, 2), ylim=(-1, 1.5), arrows=9,
                              normalize=normalize)
    q = _quiver(fig.axes[0])
    X, Y = q.X.ravel(), q.Y.ravel()
    U, V = np.asarray(q.U).ravel(), np.asarray(q.V).ravel()
    gx, gy = 2 * X + Y, 6 * Y + X
    norm = np.hypot(gx, gy)
    ok = norm > 1e-12
    # each arrow is parallel to -grad f and points the same way
    cos = -(U * gx + V * gy)[ok] / (np.hypot(U, V)[ok] * norm[ok])
    np.testing.assert_allclose(cos, 1.0, atol=1e-12)
    if normalize:
        np.testing.assert_allclose(np.hypot(U, V)[ok], 1.0)
    else:
        np.testing.assert_allclose(np.hypot(U, V), norm, rtol=1e-12)
    assert X.min() == -2 and X.max() == 2 and Y.min() == -1 and Y.max() == 1.5


def test_surface_vertices_lie_on_the_function():
    fig = plot.surface("sin(x)*cos(y)", xlim=(-1, 2), ylim=(-2, 1), num=20)
    ax = fig.axes[0]
    assert ax.name == "3d" and ax.get_zlabel() == "f"
    poly = ax.collections[0]
    faces = getattr(poly, "_faces", None)  # matplotlib >= 3.10: (n, k, 3)
    verts = (np.asarray(faces).reshape(-1, 3) if faces is not None
             else poly._vec[:3].T)
    np.testing.assert_allclose(verts[:, 2], np.sin(verts[:, 0]) * np.cos(verts[:, 1]),
                               atol=1e-12)
    assert verts[:, 0].min() == pytest.approx(-1)
    assert verts[:, 1].max() == pytest.approx(1)


ROSEN = "(1 - x)**2 + 100*(y - x**2)**2"


@pytest.fixture(scope="module")
def runs():
    return ck.compare(ROSEN, [-1.2, 1.0],
                            {"adam": {"lr": 0.02}, "newton": {}}, steps=300)


def test_trajectories_plot_the_paths(runs):
    fig = plot.trajectories(ROSEN, runs)
    ax = fig.axes[0]
    paths = {ln.get_label().split(" (")[0]: ln for ln in ax.lines}
    for name, r in runs.items():
        ln = paths[name]
        np.testing.assert_array_equal(ln.get_xdata(), r.path[:, 0])
        np.testing.assert_array_equal(ln.get_ydata(), r.path[:, 1])
    assert "converged" in paths["newton"].get_label()
    assert paths["adam"].get_color() != paths["newton"].get_color()


def test_trajectories_3d_lift_paths_onto_the_surface(runs):
    fig = plot.trajectories(ROSEN, runs, three_d=True)
    ax = fig.axes[0]
    assert ax.name == "3d"
    ln = next(ln for ln in ax.lines if ln.get_label().startswith("newton"))
    xs, ys, zs = ln.get_data_3d()
    np.testing.assert_allclose(zs, (1 - xs) ** 2 + 100 * (ys - xs**2) ** 2,
                               rtol=1e-12)


def test_trajectories_one_variable_and_bad_paths():
    r = ck.minimize("x**2 + 10", "x", x0=[3.0], optimizer="sgd", steps=5, lr=0.1)
    fig = plot.trajectories("x**2 + 10", {"sgd": r})
    ln = next(ln for ln in fig.axes[0].lines if ln.get_label().startswith("sgd"))
    np.testing.assert_allclose(ln.get_ydata(), r.path[:, 0] ** 2 + 10)
    with pytest.raises(InvalidParameterError, match="columns"):
        plot.trajectories(ROSEN, {"bad": np.zeros((3, 3))})


def test_loss_curves(runs):
    fig = plot.loss_curves(runs)
    ax = fig.axes[0]
    for name, r in runs.items():
        ln = _lines(ax)[name]
        np.testing.assert_array_equal(ln.get_ydata(), r.losses)
        np.testing.assert_array_equal(ln.get_xdata(), np.arange(len(r.losses)))
    assert ax.get_yscale() == "log"
    assert plot.loss_curves({"neg": [1.0, -1.0]}).axes[0].get_yscale() == "linear"


def test_learning_rates_four_panels_show_each_run():
    lrs = (0.01, 0.1, 0.5, 1.0)
    fig = plot.learning_rates("x**2 + 10", x0=[3.0], lrs=lrs, steps=30)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 4
    titles = [ax.get_title() for ax in axes]
    assert titles[2] == "lr = 0.5: converged in 1 step"
    assert "oscillates" in titles[3]
    for ax, lr in zip(axes, lrs, strict=True):
        r = ck.minimize("x**2 + 10", "x", x0=[3.0], optimizer="sgd", steps=30, lr=lr)
        it = _lines(ax)["iterates"]
        np.testing.assert_allclose(it.get_xdata(), r.path[:, 0])
        np.testing.assert_allclose(it.get_ydata(), r.path[:, 0] ** 2 + 10)


def test_learning_rates_reports_divergence():
    fig = plot.learning_rates("x**2 + 10", x0=[3.0], lrs=(1.1,), steps=2000)
    assert "diverged" in fig.axes[0].get_title()


class _Disc:
    """A known classifier: p = sigmoid(4 * (x1 - x2))."""

    def predict(self, X):
        return 1 / (1 + np.exp(-4 * (X[:, 0] - X[:, 1])))[:, None]


def test_decision_boundary_contour_is_where_the_model_says_one_half():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 1.5], [2.0, 0.5]])
    yv = np.array([0, 1, 0, 1])
    fig = plot.decision_boundary(_Disc(), X, yv)
    ax = fig.axes[0]
    boundary = [c for c in ax.collections
                if hasattr(c, "levels") and list(c.levels) == [0.5]]
    assert len(boundary) == 1
    verts = np.concatenate([p.vertices for p in boundary[0].get_paths()])
    np.testing.assert_allclose(verts[:, 0], verts[:, 1], atol=1e-2)  # x1 == x2
    scatters = [c for c in ax.collections if c.get_label().startswith("class")]
    pts = np.concatenate([s.get_offsets() for s in scatters])
    assert sorted(map(tuple, pts)) == sorted(map(tuple, X))


def test_decision_boundary_multiclass_and_bad_model():
    class Three:
        def predict(self, X):
            return np.stack([X[:, 0], X[:, 1], -X[:, 0] - X[:, 1]], axis=1)

    X = np.random.default_rng(0).normal(size=(20, 2))
    fig = plot.decision_boundary(Three(), X)
    assert fig.axes[0].collections
    with pytest.raises(InvalidParameterError, match="predict"):
        plot.decision_boundary(object(), X)
    with pytest.raises(InvalidParameterError, match="shape"):
        plot.decision_boundary(Three(), np.zeros((5, 3)))


def test_activation_gallery_has_every_activation_with_its_derivative():
    names = ck.activations.names()
    fig = plot.activations(xlim=(-3, 3), num=61)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == list(names)
    ax = visible[list(names).index("tanh")]
    f_line, d_line = ax.lines[0], ax.lines[1]
    xs = f_line.get_xdata()
    np.testing.assert_allclose(f_line.get_ydata(), np.tanh(xs), rtol=1e-13)
    np.testing.assert_allclose(d_line.get_ydata(), 1 - np.tanh(xs) ** 2, rtol=1e-12)


def test_activation_gallery_from_a_dict():
    fig = plot.activations({"square": x**2}, orders=(0, 1, 2), num=11)
    lines = fig.axes[0].lines
    xs = lines[0].get_xdata()
    np.testing.assert_allclose(lines[2].get_ydata(), np.full_like(xs, 2.0))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: plot.derivatives("x*y"), "one variable"),
        (lambda: plot.gradient_field("x**2"), "two variables"),
        (lambda: plot.taylor("exp(x)", xlim=(1, 0)), "xlim"),
        (lambda: plot.learning_rates(lrs=()), "lrs"),
    ],
)
def test_bad_input_raises_calckit_errors(call, match):
    with pytest.raises(InvalidParameterError, match=match):
        call()


def test_no_pyplot_figures_are_left_open():
    import matplotlib.pyplot as plt

    before = len(plt.get_fignums())
    plot.derivatives("x**2")
    assert len(plt.get_fignums()) == before
