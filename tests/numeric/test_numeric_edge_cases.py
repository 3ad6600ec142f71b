"""Adversarial inputs for calckit.numeric and calckit.gradcheck.

Each test pins a bug that was found by feeding unusual but legitimate input:
a function written for one point, kinks of other variables, jump functions,
names with Markdown/HTML meaning, bad argument types.
"""

import re

import numpy as np
import pytest
import sympy as sp

import calckit as ck
from calckit import numeric
from calckit.errors import CalckitError, CalckitTypeError, InvalidParameterError
from calckit.numeric import _evaluate

x, y = sp.symbols("x y", real=True)


@pytest.fixture
def counted(monkeypatch):
    """The number of points of every call of ``f`` made by calckit.numeric."""
    calls = []
    call = _evaluate._call

    def spy(f, points, *, complex_input):
        calls.append(points.shape[0] if points.ndim == 2 else 1)
        return call(f, points, complex_input=complex_input)

    monkeypatch.setattr(_evaluate, "_call", spy)
    return calls


def _make_wrong(name, factor):
    """A sin-like primitive whose derivative is ``factor * cos``: wrong."""

    def fdiff(self, argindex=1):
        return factor * sp.cos(self.args[0])

    def numpycode(self, printer):
        return f"{printer._module_format('numpy.sin')}({printer._print(self.args[0])})"

    return type(name, (sp.Function,), {"fdiff": fdiff, "_numpycode": numpycode})


# --------------------------------------------------------------------------
# auto-vectorization: a square batch must not fool the check


def _product(v):  # written for one point: indexes coordinates on axis 0
    return v[0] * v[1] * v[2]


@pytest.mark.parametrize("point", [[2.0, 1.0, 4.0], [1.0, 1.0, 1.0], [3.0, 0.5, 18.0]])
def test_complex_step_gradient_of_a_one_point_function(point):
    # the complex-step batch is (3, 3): _product returns 3 values, and for
    # x0**2 == x1 * x2 its first one matched the lone first point
    p = np.array(point)
    exact = np.array([p[1] * p[2], p[0] * p[2], p[0] * p[1]])
    g = numeric.gradient(_product, point, method="complex")
    np.testing.assert_allclose(g, exact, rtol=1e-14)


def test_complex_step_jacobian_of_a_one_point_function_at_equal_coordinates():
    def f(v):
        return np.array([v[0] * v[1], v[1] ** 2])

    jac = numeric.jacobian(f, [1.0, 1.0], method="complex")
    np.testing.assert_allclose(jac, [[1.0, 1.0], [0.0, 2.0]], rtol=1e-14)


def test_square_batch_costs_one_more_point_for_a_batched_f():
    seen = []

    def f(v):
        seen.append(np.shape(v))
        return v[..., 0] * v[..., 1] * v[..., 2]

    g = numeric.gradient(f, [2.0, 1.0, 4.0], method="complex")
    np.testing.assert_allclose(g, [4.0, 8.0, 2.0], rtol=1e-14)
    assert seen == [(3,), (4, 3)]  # the check point, then the padded batch
    values, nfev = _evaluate.call_vector(f, np.eye(3) + 1.0, vectorized=None)
    assert values.shape == (3,) and nfev == 5


# --------------------------------------------------------------------------
# gradcheck: kinks of other variables, jumps


@pytest.mark.parametrize("kinky", [sp.Abs(y), sp.Max(y, 0), sp.Abs(y - 0.3)])
@pytest.mark.parametrize("order", [1, 2])
def test_kink_in_another_variable_does_not_hide_a_wrong_derivative(kinky, order):
    wrong = _make_wrong("sin_half_wrong", 1.5)
    at = [0.5, 0.3 if kinky.has(sp.Float) else 0.0]  # y on the kink
    report = ck.gradcheck(wrong(x) + kinky, wrt=[x, y], at=at, order=order)
    first = report.rows[0]  # d/dx or d2/dx2: x is nowhere near a kink
    assert first.component in ("d/dx", "d2/dx2")
    assert first.status == "FAIL" and not report.ok


def test_kinks_of_the_checked_variable_are_still_kinks():
    relu = ck.activations.get("relu")
    report = ck.gradcheck(relu(x) * y + sp.Abs(y), wrt=[x, y], at=[0.0, 2.0])
    assert report.ok and [r.status for r in report.rows] == ["kink", "ok"]


@pytest.mark.parametrize("expr", ["floor(x)*y", "ceiling(2*x)*y"])
@pytest.mark.parametrize("point", [1.0, 3.0, -2.0, 0.0])
def test_jump_of_floor_and_ceiling_at_an_integer_is_a_kink(expr, point):
    # floor(u) jumps wherever u is an integer, not only at u = 0
    report = ck.gradcheck(expr, wrt="x y", at=[point, 1.5])
    assert report.ok
    assert report.rows[0].status == "kink" and report.rows[1].status == "ok"


def test_wrong_derivative_beside_floor_still_fails():
    wrong = _make_wrong("sin_quarter_wrong", 1.25)
    report = ck.gradcheck(wrong(x) + sp.floor(y), wrt=[x, y], at=[0.5, 2.0])
    assert report.rows[0].status == "FAIL" and report.rows[1].status == "kink"


def test_nfev_counts_every_evaluation_of_the_expression(counted):
    # relu at 0: a kink, so the one-sided differences run as well
    report = ck.gradcheck("sin(x)*y + relu(x)", at=[[0.5, 2.0], [0.0, 1.0]])
    assert report.n_kinks == 1
    assert report.nfev == sum(counted)


# --------------------------------------------------------------------------
# report rendering


def _cells(line):
    """Cells of a Markdown table row, split at unescaped pipes."""
    return re.split(r"(?<!\\)\|", line.strip())[1:-1]


@pytest.mark.parametrize("name", ["a|b", "a<b", "x_1*", "[w]"])
def test_markdown_report_keeps_odd_variable_names_literal(name):
    s = sp.Symbol(name, real=True)
    report = ck.gradcheck(s**2 + s, at={name: 0.5})
    md = report._repr_markdown_()
    rows = [ln for ln in md.splitlines() if ln.startswith("|")]
    assert len(rows) == 3  # header, rule, one entry
    assert all(len(_cells(ln)) == 9 for ln in rows)
    assert "<" not in md.replace("&lt;", "")
    component = _cells(rows[2])[1].strip()
    if component.startswith("**"):  # the worst row is bold
        component = component[2:-2]
    unescaped = re.sub(r"\\(.)", r"\1", component).replace("&lt;", "<")
    assert unescaped == f"d/d{name}"


def test_html_rows_have_no_empty_css_values():
    report = ck.gradcheck("x**2*y", at=[1.0, 2.0])
    page = report._repr_html_()
    assert "background:;" not in page and 'style=""' not in page
    assert page.count('style="font-weight:bold;"') == 1  # the worst row


# --------------------------------------------------------------------------
# argument errors name the argument


@pytest.mark.parametrize(
    ("call", "error", "needle"),
    [
        (lambda: numeric.derivative(3.0, 1.0), CalckitTypeError, "f must be a call"),
        (lambda: numeric.gradient(None, [1.0, 2.0]), CalckitTypeError, "f must be"),
        (lambda: numeric.hessian("sin", [1.0, 2.0]), CalckitTypeError, "f must be"),
        (lambda: numeric.derivative(np.sin, 1.0, h="small"), CalckitTypeError,
         "h must be a real number"),
        (lambda: numeric.derivative(np.sin, 1.0, h=1e-3j), CalckitTypeError,
         "h must be a real number"),
        (lambda: numeric.derivative(np.sin, 1.0, scale=[None, "a"]), CalckitTypeError,
         "scale must be a real number"),
        (lambda: numeric.gradient(np.sum, [1.0, 2.0], vectorized="yes"),
         InvalidParameterError, "'vectorized' parameter must be"),
        (lambda: numeric.jacobian(np.sin, [1.0, 2.0], vectorized=1),
         InvalidParameterError, "'vectorized' parameter must be"),
    ],
)
def test_bad_arguments_are_calckit_errors_naming_them(call, error, needle):
    with pytest.raises(error, match=needle) as info:
        call()
    assert isinstance(info.value, CalckitError)


def test_numpy_bool_vectorized_is_honoured():
    calls = []

    def f(v):
        calls.append(np.shape(v))
        return v[..., 0] * v[..., 1]

    numeric.gradient(f, [1.0, 2.0], vectorized=np.False_)
    assert set(calls) == {(2,)}  # per point, never a batch


# --------------------------------------------------------------------------
# extreme magnitudes of x: h**n, tiny steps, underflow, float spacing

_HUGE = 1e200


def _huge_sin(t):  # varies on the scale of x = 1e200
    return _HUGE * np.sin(t / _HUGE)


@pytest.mark.parametrize("method", ["central", "richardson"])
def test_second_derivative_at_huge_x(method):
    # h**2 overflowed to inf: the estimate and its error were both 0
    d, err = numeric.derivative(_huge_sin, _HUGE, n=2, method=method,
                                full_output=True)
    exact = -np.sin(1.0) / _HUGE
    assert abs(d - exact) <= 2 * err and 0 < err < 1e-6 * abs(exact)


@pytest.mark.parametrize("method", numeric.HESSIAN_METHODS)
def test_hessian_at_huge_x(method):
    H, err = numeric.hessian(lambda v: _huge_sin(v[..., 0]) * v[..., 1],
                             [_HUGE, 2.0], method=method, full_output=True)
    exact = np.array([[-2 * np.sin(1.0) / _HUGE, np.cos(1.0)],
                      [np.cos(1.0), 0.0]])
    assert np.all(np.abs(H - exact) <= 2 * err + 1e-300)
    assert abs(H[0, 0] - exact[0, 0]) < 1e-6 * abs(exact[0, 0])


@pytest.mark.parametrize("method", numeric.METHODS)
@pytest.mark.parametrize("x", [1e-150, 1e-250, 1e-300])
def test_log_at_tiny_x(method, x):
    # steps were scaled as if |x| >= 1e-100: the stencil crossed 0 (nan) and
    # the complex step, far longer than x, gave pi/2 / h with a 1e-15 estimate
    d, err = numeric.derivative(np.log, x, method=method, full_output=True)
    assert abs(d * x - 1.0) <= 2 * err * x + 1e-300
    assert abs(d * x - 1.0) < 1e-4


def test_gradcheck_log_of_a_tiny_probability_passes():
    report = ck.gradcheck("log(p) * y", at=[1e-200, 2.0])
    assert report.ok and report.max_rel_error < 1e-8


@pytest.mark.parametrize("method", numeric.METHODS)
def test_values_that_underflow_widen_the_error_estimate(method):
    # x**2 at 1e-200 underflows to 0 at every point of the stencil: a
    # second difference of zeros claimed f'' = 0 exactly
    n = 1 if method == "complex" else 2
    x = 1e-200 if method != "complex" else 1e-300
    d, err = numeric.derivative(lambda t: t * t, x, n=n, method=method,
                                full_output=True)
    exact = 2.0 if n == 2 else 2 * x
    assert abs(d - exact) <= err


@pytest.mark.parametrize("method", numeric.HESSIAN_METHODS)
def test_hessian_values_that_underflow_widen_the_error_estimate(method):
    H, err = numeric.hessian(lambda v: v[..., 0] ** 2 * v[..., 1], [1e-200, 2.0],
                             method=method, full_output=True)
    # d2/dx dy (x**2 y) = 2 x = 2e-200 (this test read 4e-200 while the
    # estimate was unresolved, 0 +- 3e-101; now it is resolved)
    exact = np.array([[4.0, 2e-200], [2e-200, 0.0]])
    assert np.all(np.abs(H - exact) <= err + 1e-300)


def test_central_hessian_error_estimate_is_never_nan():
    # the unused coarse scale's rounding bound overflowed: 0 * inf = nan
    H, err = numeric.hessian(lambda v: np.log(v[..., 0]) * v[..., 1],
                             [1e-150, 2.0], full_output=True)
    assert np.all(np.isfinite(err))
    exact = np.array([[-2e300, 1e150], [1e150, 0.0]])
    assert np.all(np.abs(H - exact) <= 2 * err)


def test_explicit_h_below_the_float_spacing_at_x_is_refused():
    with pytest.raises(InvalidParameterError, match="spacing of floats at x=1e"):
        numeric.derivative(np.sin, [1.0, 1e20], h=1e-3)
    numeric.derivative(np.sin, [1.0, 1e20], h=[1e-3, 2.0**15])  # resolved


def test_scale_below_the_float_spacing_at_x_widens_the_steps():
    # scale=1 at x = 1e20: x + h == x, f(x + k h) all 0: "f' = 0 +- 0"
    d, err = numeric.derivative(lambda t: t - 1e20, 1e20, scale=1.0,
                                full_output=True)
    assert d == 1.0 and err < 1e-6
    g = numeric.gradient(lambda v: v[..., 0] - 1e20, [1e20], scale=[1.0],
                         method="richardson")
    assert g[0] == pytest.approx(1.0, rel=1e-13)


# --------------------------------------------------------------------------
# functions with side effects on their input


def _halves_in_place(v):
    v /= 2  # changes the caller's array
    return np.sum(v**2, axis=-1)


@pytest.mark.parametrize("method", numeric.METHODS)
def test_gradient_of_a_function_that_changes_its_input(method):
    # the check point's call halved row 0 of the batch, and the batch call
    # every row the per-point fallback then used: gradients off by 1e5
    x = np.array([1.0, 2.0])
    g = numeric.gradient(_halves_in_place, x, method=method)
    np.testing.assert_allclose(g, x / 2, rtol=1e-7)
    np.testing.assert_array_equal(x, [1.0, 2.0])


@pytest.mark.parametrize("method", numeric.HESSIAN_METHODS)
def test_hessian_of_a_function_that_changes_its_input(method):
    H = numeric.hessian(_halves_in_place, [1.0, 2.0], method=method)
    np.testing.assert_allclose(H, np.eye(2) / 2, atol=1e-7)


def test_derivative_of_a_scalar_only_function_that_changes_its_input():
    def f(t):  # doubles t in place, then refuses arrays: per-point fallback
        t *= 2
        if np.ndim(t):
            raise TypeError("scalars only")
        return np.sin(t)

    d = numeric.derivative(f, np.array([0.5, 1.0]), method="richardson")
    np.testing.assert_allclose(d, 2 * np.cos([1.0, 2.0]), rtol=1e-12)


# --------------------------------------------------------------------------
# gradcheck's complex step outside the real domain


@pytest.mark.parametrize("order", [1, 2])
def test_complex_gradcheck_outside_the_domain_is_nan_not_fail(order, counted):
    # log(-1 + i h) = i pi: the complex kernel continues log past its real
    # domain, and "numeric" values of 1e20 failed a correct gradient
    report = ck.gradcheck("log(x)*y", at=[[0.5, 0.5], [-1.0, 2.0]],
                          method="complex", order=order)
    first = [r.status for r in report.rows if r.point == 0]
    second = [r.status for r in report.rows if r.point == 1]
    assert set(first) == {"ok"} and set(second) == {"nan"}
    assert all(np.isnan(r.numeric) for r in report.rows if r.point == 1)
    # f(x) itself is evaluated once per point (counted, with the rest)
    assert report.nfev == sum(counted)


@pytest.mark.parametrize("bad", [-1, 2.5, "3", True])
def test_report_table_refuses_a_bad_row_limit(bad):
    report = ck.gradcheck("log(x)", at=np.linspace(-2.0, 2.0, 20)[:, None])
    with pytest.raises(InvalidParameterError, match="max_rows"):
        report.table(bad)
    assert len(report.table(0).splitlines()) == 2  # header and the hidden note


@pytest.mark.parametrize(
    "call",
    [
        lambda: numeric.gradient(np.sum, [1.0, 2.0], h=[1e-3] * 3),
        lambda: numeric.jacobian(np.sum, [1.0, 2.0], scale=[1.0] * 3),
        lambda: numeric.hessian(np.sum, [1.0, 2.0], h=[[1e-3] * 3]),
    ],
)
def test_step_shape_errors_name_the_shape_of_x_as_given(call):
    # they named the internal batch shape (1, 2)
    with pytest.raises(ck.errors.ShapeError, match=r"to x of shape \(2,\)$"):
        call()


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "log_sigmoid", "gelu", "mish"])
@pytest.mark.parametrize("order", [1, 2])
def test_complex_gradcheck_of_stable_primitives(name, order):
    # their NumPy forms (expit, logaddexp, ndtr...) have no complex loops:
    # method="complex" raised NumericError for any expression using them
    act = ck.activations.get(name)
    report = ck.gradcheck(act(x) * y, wrt=[x, y],
                          at=[[0.3, -1.2], [-40.0, 3.0], [750.0, 1.0]],
                          method="complex", order=order)
    assert report.ok
    assert all(r.abs_error <= 1e-9 * max(1.0, abs(r.exact)) for r in report.rows)


def test_complex_gradcheck_still_catches_a_wrong_derivative_beside_sigmoid():
    wrong = _make_wrong("sin_slightly_wrong", 1 + 1e-5)
    sigmoid = ck.activations.get("sigmoid")
    report = ck.gradcheck(wrong(x) * sigmoid(y), wrt=[x, y], at=[0.4, 0.7],
                          method="complex")
    assert [r.status for r in report.rows] == ["FAIL", "ok"]


@pytest.mark.parametrize(
    ("expr", "at", "row"),
    [
        (lambda w: w(y) + sp.Abs(y - 0.5), [1.0, 0.55], 1),  # kink 0.05 away
        (lambda w: x * w(y) * sp.Abs(y - 0.5), [1.0, 0.53], 1),
        (lambda w: w(y) + ck.activations.get("relu")(y - 2), [1.0, 2.1], 1),
        (lambda w: w(x) * y + sp.Max(x, 1.0), [1.05, 1.0], 0),
        # a large other coordinate made every surface value below 1e-12 * 1e10
        # count as "on the kink"
        (lambda w: w(y) + sp.Abs(y) + sp.exp(-x), [1e10, 1e-3], 1),
    ],
)
def test_wrong_derivative_near_but_not_at_a_kink_fails(expr, at, row):
    # one-sided derivatives that agree with each other (f is differentiable
    # at the point) but not with the exact value: that is a FAIL, not a kink
    wrong = _make_wrong("sin_half_wrong_again", 1.5)
    report = ck.gradcheck(expr(wrong), wrt=[x, y], at=at)
    assert report.rows[row].status == "FAIL" and not report.ok


def test_kink_inside_the_one_sided_stencils_is_still_a_kink():
    relu = ck.activations.get("relu")
    report = ck.gradcheck(relu(x - 0.5) * y, wrt=[x, y], at=[0.5, 2.0])
    assert report.ok and report.rows[0].status == "kink"


def test_edge_retry_on_steps_at_the_float_spacing():
    # the retry on steps / 16 went below the spacing at x = 1e20 and raised
    def f(v):
        with np.errstate(invalid="ignore"):  # edge of the domain 5e4 away
            return np.sqrt(1e20 + 5e4 - v[..., 0])

    exact = -0.5 / np.sqrt(5e4)
    g, err = numeric.gradient(f, [1e20], scale=[1.0], method="richardson",
                              full_output=True)
    assert abs(g[0] - exact) <= 2 * err[0] and abs(g[0] / exact - 1) < 0.1
    d = numeric.derivative(lambda t: f(t[..., None]), 1e20, scale=1.0,
                           method="richardson")
    assert abs(d / exact - 1) < 0.1
    H = numeric.hessian(f, [1e20], scale=[1.0], method="richardson")
    assert abs(H[0, 0] / (-0.25 * 5e4**-1.5) - 1) < 0.2


def test_complex_hessian_checks_its_real_step_against_the_float_spacing():
    with pytest.raises(InvalidParameterError, match="spacing"):
        numeric.hessian(lambda v: np.sum(v**2, axis=-1), [1.0, 1e20], h=1e-3,
                        method="complex")
    # the complex step of a gradient is imaginary: any h is resolved
    g = numeric.gradient(lambda v: np.sum(v**2, axis=-1), [1.0, 1e20], h=1e-30,
                         method="complex")
    np.testing.assert_allclose(g, [2.0, 2e20], rtol=1e-15)


def test_report_keeps_its_points_when_the_caller_reuses_the_array():
    at = np.array([[1.0, 2.0]])
    report = ck.gradcheck("x**2*y", at=at)
    at[0, 0] = 100.0  # the caller moves on to the next point
    np.testing.assert_array_equal(report.points, [[1.0, 2.0]])
    assert "x=1," in str(report)


@pytest.mark.parametrize("vectorized", [None, False])
@pytest.mark.parametrize("method", ["forward", "central", "richardson"])
def test_function_returning_its_own_reused_buffer(method, vectorized):
    # f writes into one buffer per shape and returns it: every per-point
    # value was the same array, overwritten by the last call ([0, 0])
    buffers = {}

    def f(v):
        v = np.asarray(v)
        out = buffers.setdefault(v.shape[:-1], np.empty(v.shape[:-1]))
        return np.multiply(v[..., 0] ** 2, v[..., 1], out=out)

    g = numeric.gradient(f, [3.0, 2.0], method=method, vectorized=vectorized)
    np.testing.assert_allclose(g, [12.0, 9.0], rtol=1e-6)
