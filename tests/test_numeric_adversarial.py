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


def test_nfev_counts_every_evaluation_of_the_expression(monkeypatch):
    counted = []
    call = _evaluate._call

    def spy(f, points, *, complex_input):
        counted.append(points.shape[0] if points.ndim == 2 else 1)
        return call(f, points, complex_input=complex_input)

    monkeypatch.setattr(_evaluate, "_call", spy)
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
         InvalidParameterError, "vectorized must be"),
        (lambda: numeric.jacobian(np.sin, [1.0, 2.0], vectorized=1),
         InvalidParameterError, "vectorized must be"),
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
