"""calckit.gradcheck: exact kernels vs numeric derivatives, reports, kinks, errors."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

import calckit as ck
from calckit import numeric
from calckit.check import GradcheckReport, gradcheck
from calckit.errors import (
    CalckitTypeError,
    InvalidParameterError,
    NumericError,
    ShapeError,
    UnknownNameError,
)

x, y, w, b = sp.symbols("x y w b", real=True)


def _make_wrong(name, factor, shift=0):
    """A sin-like primitive whose fdiff is wrong by ``factor`` (and ``shift``)."""

    def fdiff(self, argindex=1):
        return factor * sp.cos(self.args[0]) + shift

    def numpycode(self, printer):
        return f"{printer._module_format('numpy.sin')}({printer._print(self.args[0])})"

    return type(name, (sp.Function,), {"fdiff": fdiff, "_numpycode": numpycode})


def test_public_names():
    assert ck.gradcheck is gradcheck and ck.GradcheckReport is GradcheckReport


@pytest.mark.parametrize(
    "expr",
    [
        "log(1 + exp(w*x + b))",
        "w**2*x*sin(b) + exp(-w*b)",
        "sigmoid(w*x + b)",
        "tanh(w)*atan(b*x) + sqrt(w**2 + 1)",
    ],
)
def test_smooth_expressions_pass_at_many_points(expr, rng):
    at = rng.normal(size=(5, 2))
    report = gradcheck(expr, wrt="w b", at=at, params={"x": 0.7})
    assert report.ok and bool(report)
    assert len(report.rows) == 10 and report.exact.shape == (5, 2)
    assert report.max_rel_error < 1e-9
    assert all(r.status == "ok" for r in report.rows)
    np.testing.assert_array_equal(report.points, at)


def test_order_two_checks_the_hessian(rng):
    at = rng.uniform(-2, 2, size=(3, 3))
    report = gradcheck("x**2*y*exp(w/3) + sin(x*y*w)", wrt="x y w", at=at, order=2)
    assert report.ok and report.exact.shape == (3, 3, 3)
    assert len(report.rows) == 3 * 6  # upper triangle per point
    assert report.max_rel_error < 1e-8
    assert {r.component for r in report.rows} >= {"d2/dx2", "d2/dxdy", "d2/dyw"
                                                  .replace("yw", "ydw")}


@pytest.mark.parametrize("method", ["central", "richardson", "complex", "forward"])
def test_wrong_derivative_is_caught_by_every_method(method):
    wrong = _make_wrong("sin_wrong", 1 + 1e-4)  # 1e-4 relative error in d/dx
    report = gradcheck(wrong(x) * y, wrt="x y", at=[[0.5, 2.0], [1.0, -1.0]],
                       method=method)
    assert not report.ok
    failed = report.failures
    assert {(r.point, r.component) for r in failed} == {(0, "d/dx"), (1, "d/dx")}
    assert all(r.status == "FAIL" for r in failed)
    assert report.rows[report.worst].status == "FAIL"
    assert "FAIL" in str(report) and "<- worst" in str(report)
    assert report.max_rel_error == pytest.approx(1e-4, rel=1e-3)


def test_small_errors_caught_with_richardson_uncertain_with_forward():
    wrong = _make_wrong("sin_slightly_wrong", 1 + 1e-7)
    tight = gradcheck(wrong(x), at=[0.3, 1.2], rtol=1e-9, atol=0.0)
    assert not tight.ok  # richardson's error estimate is well below 1e-7
    assert {r.status for r in tight.rows} == {"FAIL"}
    coarse = gradcheck(wrong(x), at=[0.3, 1.2], rtol=1e-9, atol=0.0,
                       method="forward")
    # forward differences are too coarse to judge 1e-7 everywhere: no false
    # pass; where even a recheck cannot tell, "uncertain" (which fails the check)
    assert not coarse.ok
    assert "ok" not in {r.status for r in coarse.rows}
    assert "uncertain" in {r.status for r in coarse.rows}


def test_numeric_error_estimate_widens_tolerance():
    report = gradcheck("exp(x)*sin(3*y)", at=[0.4, 0.2], method="forward")
    assert report.ok
    for r in report.rows:  # the rule: atol + rtol * scale + 2 * error estimate
        scale = max(abs(r.exact), abs(r.numeric))
        assert r.abs_error <= 1e-8 + 1e-6 * scale + 2 * r.error_estimate
        assert r.abs_error <= 2 * r.error_estimate  # and the estimate is honest


def test_relu_kink_is_reported_not_failed():
    relu = ck.activations.get("relu")
    report = gradcheck(relu(x) * y, wrt="x y", at=[[0.0, 2.0], [0.5, 2.0]])
    assert report.ok and report.n_kinks == 1
    (kink,) = report.kinks
    assert (kink.point, kink.component, kink.exact) == (0, "d/dx", 0.0)
    assert kink.note == "one-sided 0 | 2"
    assert kink.numeric == pytest.approx(1.0)  # central average of 0 and 2
    # kinks do not count in the maxima
    assert report.max_rel_error < 1e-10
    assert "kink" in str(report)


def test_kink_in_the_hessian():
    relu = ck.activations.get("relu")
    report = gradcheck(relu(x) ** 2 + x * y, wrt="x y", at=[[0.0, 1.5], [0.3, 1.5]],
                       order=2)
    assert report.ok and [r.component for r in report.kinks] == ["d2/dx2"]


def test_kink_found_numerically_near_but_not_at_the_point():
    # |x - 1e-9| at 0: the kink is inside the stencil; one-sided derivatives disagree
    report = gradcheck("Abs(x - 1e-9)", at=[0.0])
    assert report.ok and report.rows[0].status == "kink"


@pytest.mark.parametrize(("expr", "point"), [("wrong(30*x)", 10.0),
                                             ("wrong(x)*y", 1e3),
                                             ("wrong(10*x)*y", -50.0)])
def test_wrong_derivative_of_a_smooth_expression_is_never_a_kink(expr, point):
    # steps scaled to |x| alias on sin(30 x) at 10; one-sided estimates there
    # are inaccurate, not a kink: without a Piecewise/Abs/Max... nearby the
    # expression is smooth, so a wrong derivative must FAIL
    wrong = _make_wrong("wrong", 1.5)
    e = sp.sympify(expr, locals={"wrong": wrong})
    report = gradcheck(e, wrt="x", at=[point], params={"y": 2.0}
                       if "y" in expr else None)
    assert not report.ok and report.rows[0].status == "FAIL"
    assert report.n_kinks == 0


@pytest.mark.parametrize(("expr", "point", "order"), [("sin(30*x)", 10.0, 1),
                                                      ("sin(x)", 1e4, 1),
                                                      ("sin(x)", 1e4, 2),
                                                      ("cos(10*x)*y**2", 10.0, 2)])
def test_smooth_expression_at_large_x_passes_on_shorter_steps(expr, point, order):
    at = [point] if "y" not in expr else [point, -7.0]
    report = gradcheck(expr, at=at, order=order)
    assert report.ok and report.n_kinks == 0
    assert report.max_rel_error < 1e-7


@pytest.mark.parametrize(
    ("expr", "point"),
    [("softsign(x)", 0.7), ("softsign(x)", -0.7), ("x*Abs(x)", -0.3),
     ("huber(x, 0.2)", 0.1), ("huber(x, 0.2)", -0.5), ("mae(x, 0.2)", 0.5),
     ("exp(Abs(sin(x)))", 2.0)],
)
def test_complex_step_handles_abs(expr, point):
    # |u| drops the imaginary part of u; calckit continues it analytically
    report = gradcheck(expr, at=[point], method="complex")
    assert report.ok and report.max_rel_error < 1e-13


def test_complex_kernel_overflow_is_rechecked_on_the_stable_kernel():
    report = gradcheck("log(exp(x) + exp(y))", at={"x": 1000.0, "y": 2.0},
                       method="complex")
    assert report.ok
    assert all("stable real kernel" in r.note for r in report.rows)


def test_kink_near_the_point_is_rechecked_with_a_narrow_stencil():
    # |x - 1| at x = 1.01: the 12-point richardson stencil (+-9% of |x|) spans
    # the kink; a recheck on shorter steps confirms the exact derivative
    report = gradcheck("Abs(x - 1)*y", at=[[1.01, 2.0], [0.97, 1.0]])
    assert report.ok and report.n_kinks == 0
    rechecked = [r for r in report.rows if r.note]
    assert [(r.point, r.component) for r in rechecked] == [(0, "d/dx"), (1, "d/dx")]
    # shorter richardson steps (span below the 0.01-0.03 distance) settle it
    assert all(r.note.startswith("rechecked with") for r in rechecked)
    assert all(r.step < 2e-3 for r in rechecked)
    assert report.max_rel_error < 1e-10
    assert "rechecked with richardson steps / 16" in str(report)
    # ... and a wrong derivative next to a kink still fails
    wrong = _make_wrong("sin_wrong_near_kink", 1.001)
    bad = gradcheck(wrong(x) * sp.Abs(y - 1), wrt="x y", at=[[0.4, 1.01]])
    assert [(r.component, r.status) for r in bad.rows] == [("d/dx", "FAIL"),
                                                          ("d/dy", "ok")]


def test_domain_edge_inside_the_stencil_is_rechecked():
    # log(1 - p) at p = 0.99: the richardson stencil reaches past p = 1;
    # calckit.numeric retries those entries on steps / 16 by itself
    report = gradcheck("log(1 - p)", at=[0.99, 0.5])
    assert report.ok
    default = numeric.step_sizes([0.99], method="richardson", order=12)[0]
    assert report.rows[0].step == default / 16
    assert report.rows[0].numeric == pytest.approx(-100.0, rel=1e-9)
    assert report.rows[0].abs_error <= 2 * report.rows[0].error_estimate


def test_c1_function_at_its_kink_confirmed_one_sided():
    # softsign is C1 but not C2 at 0: central differences are O(h) off there;
    # both one-sided derivatives confirm the exact value 1
    report = gradcheck("x / (1 + Abs(x))", at=[0.0])
    (row,) = report.rows
    assert report.ok and row.status == "ok" and row.note.startswith("one-sided check")
    assert row.numeric == pytest.approx(1.0, abs=1e-6)


def test_relative_error_definition():
    report = gradcheck("x*y + 3", at=[0.0, 0.0])
    assert [r.rel_error for r in report.rows] == [0.0, 0.0]
    for r in gradcheck("x**3 + y", at=[1.3, 0.2]).rows:
        expected = abs(r.exact - r.numeric) / max(abs(r.exact), abs(r.numeric))
        assert r.rel_error == expected


def test_params_scalar_and_per_point():
    at = np.array([[0.5, -1.0], [1.0, 0.3], [-0.2, 0.1]])
    xs = np.array([2.0, -1.0, 0.5])
    report = gradcheck("log(1 + exp(w*x + b))", wrt="w b", at=at, params={"x": xs})
    sig = 1 / (1 + np.exp(-(at[:, 0] * xs + at[:, 1])))
    np.testing.assert_allclose(report.exact, np.stack([xs * sig, sig], axis=1),
                               rtol=1e-14)
    assert report.ok
    with pytest.raises(ShapeError, match="params\\['x'\\]"):
        gradcheck("w*x + b", wrt="w b", at=at, params={"x": [1.0, 2.0]})
    # one value in a list is the value for every point
    one = gradcheck("a*x", wrt="x", at=[[1.0], [2.0]], params={"a": [3.0]})
    assert one.ok and np.all(one.exact == 3.0)


def test_at_forms_agree():
    a = gradcheck("x**2*y", at={"x": 1.5, "y": -2.0})
    b_ = gradcheck("x**2*y", at=[1.5, -2.0])
    c = gradcheck("x**2*y", at={"y": [-2.0, 3.0], "x": 1.5})
    np.testing.assert_array_equal(a.exact, b_.exact)
    np.testing.assert_array_equal(c.points, [[1.5, -2.0], [1.5, 3.0]])
    d = gradcheck("x**2", at=[1.0, 2.0, 3.0])  # one variable: a list is k points
    assert d.points.shape == (3, 1)


@pytest.mark.parametrize(
    ("kwargs", "error", "needle"),
    [
        ({"at": [1.0, 2.0, 3.0]}, ShapeError, "wrt has 2 variables \\['x', 'y'\\]"),
        ({"at": {"x": 1.0, "z": 2.0}}, UnknownNameError, "'z'"),
        ({"at": {"x": 1.0}}, InvalidParameterError, "no value for \\['y'\\]"),
        ({"at": [1.0, np.inf]}, InvalidParameterError, "y=inf"),
        ({"at": {"x": "one", "y": 2.0}}, CalckitTypeError, "at\\['x'\\]"),
        ({"at": None}, InvalidParameterError, "needs at="),
        ({"at": [1.0, 2.0], "order": 3}, InvalidParameterError, "order"),
        ({"at": [1.0, 2.0], "order": 2.0}, InvalidParameterError, "int 1"),
        ({"at": [1.0, 2.0], "rtol": "1e-6"}, InvalidParameterError, "rtol"),
        ({"at": [1.0, 2.0], "order": 2, "method": "forward"}, InvalidParameterError,
         "'central', 'richardson', 'complex'"),
        ({"at": [1.0, 2.0], "method": "spline"}, InvalidParameterError, "'richardson'"),
        ({"at": [1.0, 2.0], "rtol": -1.0}, InvalidParameterError, "rtol"),
    ],
)
def test_bad_arguments(kwargs, error, needle):
    with pytest.raises(error, match=needle):
        gradcheck("x**2*y", **kwargs)


def test_numpy_scalar_tolerances_are_accepted():
    assert gradcheck("x**2*y", at=[1.0, 2.0], rtol=np.float32(1e-6),
                     atol=np.float64(1e-8)).ok


def test_complex_step_on_expression_without_complex_support_is_clear():
    # NumPy's floor has no complex loop (sigmoid, written with exp for the
    # complex step, now has one): say so, name the kernel, suggest richardson
    with pytest.raises(NumericError,
                       match="compiled\\(y\\*floor\\(x\\)\\).*richardson"):
        gradcheck("floor(x)*y", wrt="x y", at=[0.5, 1.0], method="complex")


def test_text_markdown_and_html():
    report = gradcheck("x**2*y + sin(y)", at=[[1.0, 2.0], [0.5, -1.0]])
    text = str(report)
    lines = text.splitlines()
    assert lines[0].startswith("gradcheck OK: order 1, method richardson, 2 points")
    table = lines[lines.index(next(ln for ln in lines if ln.startswith("point  "))):]
    starts = {ln.index(" d/d") for ln in table[1:]}
    assert len(starts) == 1  # component column aligned
    assert len({ln.rstrip().find("  ok") for ln in table[1:]}) == 1  # status aligned
    assert text.count("<- worst") == 1
    md = report._repr_markdown_()
    assert "| point | component | exact | numeric |" in md and "**" in md
    page = report._repr_html_()
    assert page.count("<tr") == 1 + 4 and "<table>" in page
    assert "GradcheckReport ok=True" in repr(report)


def test_long_reports_are_truncated_in_str_but_complete_in_rows(rng):
    report = gradcheck("sin(x)*y", at=rng.normal(size=(80, 2)))
    assert len(report.rows) == 160
    text = str(report)
    assert "more rows, all ok" in text and len(text.splitlines()) < 80
    assert len(report.table(None).splitlines()) == 161


def test_hidden_rows_are_summarised_by_status():
    report = gradcheck("log(x)", at=np.linspace(-2.0, 2.0, 200)[:, None])
    assert report.n_failed == 100
    note = "140 more rows: 40 nan, 100 ok"
    assert note in str(report) and note in report._repr_markdown_()
    assert note in report._repr_html_() and "all ok" not in str(report)


def test_nan_entries_fail():
    report = gradcheck("log(x)", at=[-1.0])
    assert not report.ok and report.rows[0].status == "nan"
    assert np.isnan(report.max_abs_error)


@settings(max_examples=15, deadline=None)
@example(px=0.0078125, py=1.0, c=1.0, delta=0.0078125, sign=-1.0)  # was a false kink
@example(px=9.5687937044953e-224, py=1.0, c=1.0, delta=0.0078125, sign=-1.0)  # tiny x
@example(px=2.5625, py=1.0, c=1.0, delta=1e-4, sign=-1.0)  # wrong by 0.8 rtol: ok
@example(px=0.0, py=5e-324, c=1.0, delta=0.0078125, sign=-1.0)  # subnormal
@example(px=0.0078125, py=0.005859375, c=0.5, delta=1e-05, sign=-1.0)
@given(
    st.floats(-3, 3), st.floats(-3, 3), st.floats(0.1, 2.0),
    st.floats(1e-5, 1e-2), st.sampled_from([-1.0, 1.0]),
)
def test_property_correct_passes_wrong_fails(px, py, c, delta, sign):
    e = c * x**3 * y + sp.sin(c * x * y) + sp.exp(y / 3)
    assert gradcheck(e, wrt="x y", at=[px, py]).ok
    wrong = _make_wrong("sin_off", 1 + sign * delta)
    bad = gradcheck(wrong(x + 2) * y + e, wrt="x y", at=[px, py])
    # the derivative of sin_off is wrong by delta * |cos(x + 2) * y|: beyond
    # twice the tolerance (rtol * |d/dx| + atol + 2 error estimates), it fails
    wrong_by = abs(delta * np.cos(px + 2) * py)
    row = bad.rows[0]
    if wrong_by > 2 * (1e-6 * abs(row.exact) + 1e-8 + 2 * row.error_estimate):
        assert not bad.ok and bad.rows[0].status == "FAIL"
