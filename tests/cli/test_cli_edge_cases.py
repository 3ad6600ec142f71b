"""The calckit command and its figures and tables on hostile or odd input:
every bad input ends with exit status 2 and one line on stderr, results stay
correct at kinks and poles, and nothing overflows or warns while drawing."""

import io
import json
import os
import time

import numpy as np
import pytest
import sympy as sp

from calckit import plot
from calckit.cli import main
from calckit.errors import InvalidParameterError
from calckit.tables import derivative_table

x = sp.Symbol("x", real=True)


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def refused(capsys, *argv) -> str:
    """Run a command that must be refused; return its one error line."""
    status, out, err = run(capsys, *argv)
    assert status == 2, (argv, out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err.strip()


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


# --------------------------------------------------------------------------
# --at and other numbers
# --------------------------------------------------------------------------

@pytest.mark.parametrize("cmd", [("diff", "x**2"), ("grad", "x**2"),
                                 ("hessian", "x**2"), ("taylor", "exp(x)"),
                                 ("table", "x**2")])
@pytest.mark.parametrize("at", ["x=nan", "x=inf", "x=1e999", "-inf"])
def test_non_finite_points_are_refused(capsys, cmd, at):
    err = refused(capsys, *cmd, "--at", at)
    assert "finite" in err or "real number" in err


@pytest.mark.parametrize("cmd", [("diff", "x**2"), ("grad", "x**2"),
                                 ("taylor", "exp(x)"), ("table", "x**2")])
def test_a_name_given_twice_is_refused(capsys, cmd):
    assert "x twice" in refused(capsys, *cmd, "--at", "x=1,x=2")


def test_at_without_a_value_names_the_variable(capsys):
    assert "no value after x=" in refused(capsys, "taylor", "exp(x)", "--at", "x=")
    assert "no value after x=" in refused(capsys, "diff", "x**2", "--at", "x=")


def test_parameters_of_the_derivative_need_values(capsys):
    # d/dx (x*y) = y: a value for y is needed, and said so (was a TypeError)
    assert "no value for y" in refused(capsys, "diff", "x*y", "--var", "x",
                                       "--at", "x=1")
    assert "no value for y" in refused(capsys, "hessian", "x**3*y", "--wrt", "x",
                                       "--at", "x=1")
    status, out, _ = run(capsys, "hessian", "x**3*y", "--wrt", "x", "--at",
                         "x=1,y=2", "--json")
    assert status == 0 and json.loads(out)["value"] == [[12.0]]
    status, out, _ = run(capsys, "diff", "x*y", "--var", "x", "--at", "1,3")
    assert status == 0 and out.splitlines()[1] == "at 1,3: 3"


def test_names_that_are_not_variables_are_refused(capsys):
    err = refused(capsys, "grad", "x*y", "--at", "x=1,y=2,z=3")
    assert "z" in err and "not a variable" in err
    # a variable of --wrt that the expression lacks is fine
    status, out, _ = run(capsys, "grad", "x*y", "--wrt", "x q", "--at",
                         "x=1,y=2,q=3", "--json")
    assert status == 0 and json.loads(out)["value"] == [2.0, 0.0]


# --------------------------------------------------------------------------
# output files
# --------------------------------------------------------------------------

def test_a_folder_as_figure_file_is_refused_before_any_work(capsys, tmp_path):
    folder = str(tmp_path)
    for argv in (("diff", "x**2", "--plot", folder),
                 ("plot", "taylor", "exp(x)", "--out", folder + os.sep)):
        assert "is a folder" in refused(capsys, *argv)
    # nothing was written next to the folder (matplotlib would add .png)
    assert not os.path.exists(folder + ".png")


def test_figure_without_extension_reports_the_real_file(capsys, tmp_path):
    path = tmp_path / "fig"
    status, out, _ = run(capsys, "plot", "derivatives", "x**2", "--out", str(path))
    assert status == 0
    assert out.strip() == f"figure written to {path}.png"
    assert (tmp_path / "fig.png").read_bytes()[:4] == b"\x89PNG"


def test_bad_figure_paths_are_one_line_errors(capsys, tmp_path):
    assert "cannot write .txt" in refused(capsys, "plot", "taylor", "exp(x)",
                                          "--out", str(tmp_path / "a.txt"))
    assert "does not exist" in refused(capsys, "grad", "x*y", "--plot",
                                       str(tmp_path / "no" / "a.png"))


# --------------------------------------------------------------------------
# bounded work
# --------------------------------------------------------------------------

def test_taylor_order_beyond_the_maximum_is_refused_at_once(capsys):
    start = time.perf_counter()
    assert "maximum" in refused(capsys, "taylor", "x**2", "--order", "100000")
    assert time.perf_counter() - start < 2


def test_time_limit_stops_slow_symbolic_work(capsys):
    start = time.perf_counter()
    # minutes of work without the limit (no other test computes it, so no
    # SymPy cache can make it quick)
    err = refused(capsys, "--time-limit", "0.3", "taylor",
                  "sin(3*x)/(7 + x**2) + cos(x)/(5 + x**4)", "--order", "200")
    assert "time limit" in err
    assert time.perf_counter() - start < 30
    # and the command still works afterwards (the alarm is disarmed)
    assert run(capsys, "diff", "x**3")[1] == "3*x**2\n"


def test_optimize_validates_before_its_progress_line(capsys):
    for argv, word in ((("--x0", "nan"), "finite"), (("--x0", "1,2"), "2 values"),
                       (("--x0", "1", "--steps", "-5"), "--steps"),
                       (("--x0", "1", "--tol", "nan"), "--tol")):
        err = refused(capsys, "optimize", "x**2", *argv, "--json")
        assert word in err and "optimizing" not in err


# --------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------

def test_table_at_kinks_and_poles(capsys):
    status, out, _ = run(capsys, "table", "abs(x)", "Heaviside(x)", "-1/x**2",
                         "--at", "0", "--json")
    assert status == 0
    rows = json.loads(out)["rows"]
    # Abs' = sign, Abs'' = 2*DiracDelta: 0 at the kink, like the kernels
    assert rows[0][3:] == ["0", "0", "0"]
    assert rows[1][3:] == ["0.5", "0", "0"]
    # -1/x**2 at 0 is zoo in SymPy: not "inf" (its sign is unknown)
    assert rows[2][3:] == ["nan", "nan", "nan"]


def test_table_values_match_compiled_kernels_at_a_kink():
    from calckit import compile as ck_compile

    exprs = [sp.Abs(x), sp.Max(x, 0), sp.Heaviside(x)]
    t = derivative_table(exprs, orders=(0, 1, 2), at=[0, 0.5])
    for i, f in enumerate(exprs):
        for p in (0, 0.5):
            for k, head in enumerate(("f", "f'", "f''")):
                d = sp.diff(f, x, k)
                want = float(ck_compile(d, [x])(np.array([p]))[0])
                got = float(t[i, f"{head}({p:g})"])
                assert got == want, (f, p, k)


def test_table_of_undefined_functions_at_a_point():
    t = derivative_table(sp.Function("g")(x), at=0)
    assert t.text_rows()[0][3:] == ["g(0)", "g'(0)", "g''(0)"]
    assert "g'(0)" in t.to_csv()


def test_text_table_aligns_wide_characters():
    t = derivative_table({"日本語": x**2, "é": x}, wrt=[x], orders=(0, 1))
    lines = str(t).splitlines()
    # "f" starts in the same terminal column on every line
    def column_of_f(line):
        import unicodedata
        head = line.split("  x")[0] if "x" in line.split()[1] else line
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1
                   for c in head)
    assert lines[0].index("f") == column_of_f(lines[2]) + 2
    assert lines[0].index("f") == column_of_f(lines[3]) + 2


# --------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------

def test_taylor_figure_of_a_polynomial_or_constant():
    # every error is 0: was "Data cannot be log-scaled" when saving
    for expr, orders in (("5", (1, 2)), ("x**2", (2, 3))):
        fig = plot.taylor(expr, orders=orders)
        assert _png(fig)[:4] == b"\x89PNG"
        assert fig.axes[1].get_yscale() == "linear"
    assert plot.taylor("exp(x)", orders=(1,)).axes[1].get_yscale() == "log"
    with pytest.raises(InvalidParameterError, match="orders is empty"):
        plot.taylor("exp(x)", orders=())


def test_tangent_at_a_pole_is_refused():
    with pytest.raises(InvalidParameterError, match="no tangent"):
        plot.tangent("1/x", at=0)
    with pytest.raises(InvalidParameterError, match="no tangent"):
        plot.tangent("log(x)", at=-1)


def test_gradient_field_across_a_pole_draws_only_finite_arrows():
    fig = plot.gradient_field("1/x + y", arrows=15)
    _png(fig)
    q = [c for c in fig.axes[0].collections if hasattr(c, "U")][0]
    assert np.all(np.isfinite(q.U)) and np.all(np.isfinite(q.V))
    np.testing.assert_allclose(np.hypot(q.U, q.V), 1.0)
    assert np.all(q.X != 0)  # no arrow on the pole x = 0
    # -grad f = (1/x**2, -1): the x component is positive everywhere
    assert np.all(q.U > 0) and np.all(q.V < 0)


def test_gradient_field_of_a_flat_function_has_no_arrows():
    fig = plot.gradient_field("0*x + 0*y + 1", wrt="x y")
    _png(fig)  # was a divide-by-zero warning in quiver's autoscaling
    assert not [c for c in fig.axes[0].collections if hasattr(c, "U")]


@pytest.mark.parametrize("kind", ["gradient_field", "surface"])
def test_nowhere_finite_functions_are_refused(kind):
    with pytest.raises(InvalidParameterError, match="no finite real value"):
        getattr(plot, kind)("sqrt(-x**2 - y**2 - 1)")


def test_limits_beyond_the_drawable_range_are_refused():
    with pytest.raises(InvalidParameterError, match="within"):
        plot.surface("x*y", xlim=(1e308, 1.7e308))


def test_diverged_runs_draw_without_overflow():
    path = np.array([[1.0], [-3.0], [1e154]])
    fig = plot.trajectories("-x**2", {"sgd": path})
    _png(fig)
    ys = fig.axes[0].lines[1].get_ydata()
    assert ys[0] == -1.0 and ys[1] == -9.0 and ys[2] == -1e300  # clipped for view
    _png(plot.loss_curves({"a": [1.0, 1e308, -1e308, np.nan]}))
    _png(plot.learning_rates("x**2 + y**2", lrs=(10.0,), steps=1000))
    _png(plot.learning_rates("x**2", lrs=(10.0,), steps=1000))


def test_paths_without_a_finite_point():
    with pytest.raises(InvalidParameterError, match="no finite point"):
        plot.trajectories("x**2 + y**2", {"a": np.array([[np.inf, 2.0]])})
    fig = plot.trajectories("x**2 + y**2", {"a": np.array([[np.nan, 1.0]]),
                                            "b": np.array([[1.0, 1.0], [0.5, 0.5]])})
    _png(fig)


def test_loss_curves_need_a_run():
    with pytest.raises(InvalidParameterError, match="empty"):
        plot.loss_curves({})


def test_decision_boundary_with_text_labels():
    class Model:
        def predict(self, points):
            return (points[:, 0] > 0).astype(float)

    X = np.array([[-1.0, 0.0], [1.0, 0.5], [-0.5, 1.0], [0.7, -1.0]])
    fig = plot.decision_boundary(Model(), X, np.array(["cat", "dog", "cat", "dog"]))
    _png(fig)
    assert fig.axes[0].get_legend_handles_labels()[1] == ["class cat", "class dog"]


def test_plot_options_given_empty_are_refused(capsys, tmp_path):
    out = str(tmp_path / "p.png")
    assert "--lrs is empty" in refused(capsys, "plot", "learning_rates", "x**2",
                                       "--lrs", "", "--out", out)
    assert "--orders is empty" in refused(capsys, "plot", "derivatives", "x**2",
                                          "--orders", "", "--out", out)
    assert not os.path.exists(out)


def test_json_is_valid_for_poles(capsys):
    for argv in (("diff", "1/x", "--at", "0"), ("grad", "1/x + y", "--at", "0,1"),
                 ("hessian", "y/x", "--at", "0,1"), ("table", "1/x", "--at", "0")):
        status, out, _ = run(capsys, *argv, "--json")
        assert status == 0
        text = json.dumps(json.loads(out))
        assert "NaN" not in text and "Infinity" not in text


# --------------------------------------------------------------------------
# plot options: used or refused, never ignored
# --------------------------------------------------------------------------

def test_plot_activations_draws_the_named_activations(capsys, tmp_path, monkeypatch):
    seen = {}
    real = plot.activations

    def spy(names=None, **kw):
        seen["names"], seen["kw"] = names, kw
        return real(names, **kw)

    monkeypatch.setattr(plot, "activations", spy)
    out = tmp_path / "a.png"
    status, _, err = run(capsys, "plot", "activations", "relu, gelu", "--orders",
                         "0,2", "-o", str(out))
    assert status == 0, err
    assert seen["names"] == ["relu", "gelu"] and seen["kw"]["orders"] == (0, 2)
    assert out.stat().st_size > 1000


def test_plot_activations_unknown_name_is_refused(capsys, tmp_path):
    err = refused(capsys, "plot", "activations", "rellu", "-o", str(tmp_path / "a.png"))
    assert "rellu" in err and "relu" in err


@pytest.mark.parametrize(("argv", "option"), [
    (("surface", "x**2 + y**2", "--at", "1"), "--at"),
    (("taylor", "exp(x)", "--x0", "1"), "--x0"),
    (("gradient_field", "x*y", "--orders", "1,2"), "--orders"),
    (("activations", "relu", "--wrt", "x"), "--wrt"),
    (("loss_curves", "x**2", "--x0", "1", "--xlim", "0,1"), "--xlim"),
    (("derivatives", "sin(x)", "--lrs", "0.1"), "--lrs"),
])
def test_plot_options_the_kind_does_not_use_are_refused(capsys, tmp_path, argv,
                                                        option):
    err = refused(capsys, "plot", *argv, "-o", str(tmp_path / "p.png"))
    assert f"does not use {option}" in err
    assert not (tmp_path / "p.png").exists()


def test_negative_orders_are_refused(capsys, tmp_path):
    err = refused(capsys, "plot", "activations", "relu", "--orders", "-1",
                  "-o", str(tmp_path / "a.png"))
    assert "non-negative" in err


def test_time_limit_survives_a_swallowed_alarm():
    """Library code with a bare ``except:`` may swallow the first alarm; the
    limit still stops the block (the alarm repeats) and is disarmed after."""
    import signal

    from calckit.cli.main import _OutOfTime, _time_limit

    start = time.perf_counter()
    swallowed = 0
    with pytest.raises(_OutOfTime):
        with _time_limit(0.1):
            while time.perf_counter() - start < 10:
                try:
                    while True:
                        sum(range(100))
                except _OutOfTime:
                    swallowed += 1
                    if swallowed == 2:
                        raise
    assert swallowed == 2 and time.perf_counter() - start < 5
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
