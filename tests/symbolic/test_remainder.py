"""Taylor terms and rigorous remainder bounds (calckit.symbolic.remainder)."""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from calckit.errors import InvalidParameterError, NumericError
from calckit.symbolic._interval import interval_max_abs
from calckit.symbolic.remainder import (
    remainder_bound,
    taylor_polynomial,
    taylor_terms,
)

x, y = sp.symbols("x y", real=True)


def test_taylor_terms_exp_coefficients_are_one_over_factorial():
    terms = taylor_terms(sp.exp(x), [x], at=0, order=6)
    assert [t.coefficient for t in terms] == [sp.Rational(1, math.factorial(k))
                                             for k in range(7)]
    assert [t.alpha for t in terms] == [(k,) for k in range(7)]


def test_taylor_polynomial_matches_sympy_series_about_a_point():
    f = sp.log(x) * sp.cos(x)
    p = taylor_polynomial(f, [x], at=1, order=5)
    ref = sp.series(f, x, 1, 6).removeO()
    assert sp.expand(p - ref) == 0


def test_multivariate_terms_graded_with_mixed_partials():
    terms = taylor_terms(sp.exp(x + 2 * y), [x, y], at=0, order=2)
    by_alpha = {t.alpha: t.coefficient for t in terms}
    assert by_alpha == {(0, 0): 1, (1, 0): 1, (0, 1): 2, (2, 0): sp.Rational(1, 2),
                        (1, 1): 2, (0, 2): 2}


def _dense_max_error(f, p, lo, hi, n=20001):
    fn = sp.lambdify(x, f, "numpy")
    pn = sp.lambdify(x, p, "numpy")
    grid = np.linspace(lo, hi, n)
    return float(np.max(np.abs(fn(grid) - pn(grid))))


CASES = [
    # f, a, interval, order, closed-form Lagrange bound
    (sp.exp(x), 0, (-1, 1), 5, math.e / math.factorial(6)),
    (sp.sin(x), 0, (-1, 1), 5, math.sin(1) / math.factorial(6)),
    (sp.log(x), 1, (0.5, 1.5), 3, 6 / 0.5**4 / math.factorial(4) * 0.5**4),
    (sp.exp(x), 0, (-2, 3), 8, math.exp(3) / math.factorial(9) * 3**9),
    (sp.sin(x), 1, (0, 2.5), 4, 1.0 / math.factorial(5) * 1.5**5),
]


@pytest.mark.parametrize("f, a, interval, order, lagrange", CASES)
def test_lagrange_bound_holds_and_equals_the_closed_form(f, a, interval, order,
                                                         lagrange):
    r = remainder_bound(f, [x], a, order, interval)
    true_max = _dense_max_error(f, r.polynomial, *interval)
    assert r.measured <= r.bound and true_max <= r.bound
    assert r.measured == pytest.approx(true_max, rel=1e-3)
    # the interval maximum of |f^(n+1)| is within rtol of the exact maximum,
    # so the bound is the exact Lagrange bound up to 1 %
    assert lagrange <= r.bound <= 1.011 * lagrange


@pytest.mark.parametrize("f, a, interval, order, lagrange", CASES)
def test_integral_bound_holds_and_is_tight(f, a, interval, order, lagrange):
    r = remainder_bound(f, [x], a, order, interval, method="integral")
    true_max = _dense_max_error(f, r.polynomial, *interval)
    # exact up to the subdivision when f^(n+1) keeps its sign; sin(x) about 1
    # on [0, 2.5] has a sign change of f^(5) = cos, so it is looser there
    assert true_max <= r.bound <= 1.15 * true_max
    assert r.bound <= lagrange * 1.011
    assert r.holds


def test_expansion_point_outside_the_interval():
    r = remainder_bound(sp.exp(x), [x], at=0, order=3, interval=(1, 2))
    # xi ranges over [0, 2]: bound = e^2/4! * 2^4
    assert math.exp(2) / 24 * 16 <= r.bound <= 1.011 * math.exp(2) / 24 * 16
    assert _dense_max_error(sp.exp(x), r.polynomial, 1, 2) <= r.bound


def test_box_bound_holds_and_beats_the_hand_computation():
    f = sp.exp(x) * sp.sin(y)
    r = remainder_bound(f, [x, y], at=0, order=3, interval=(-0.5, 0.5))
    # |D^alpha f| <= e^0.5 * (sin 0.5 or 1): four derivatives of order 4
    grid = np.linspace(-0.5, 0.5, 201)
    X, Y = np.meshgrid(grid, grid)
    p = sp.lambdify((x, y), r.polynomial, "numpy")(X, Y)
    true_max = float(np.max(np.abs(np.exp(X) * np.sin(Y) - p)))
    assert r.measured <= true_max * (1 + 1e-9) and true_max <= r.bound
    r4 = 0.5**4
    hand = sum(math.exp(0.5) * (1 if k % 2 else math.sin(0.5))
               / (math.factorial(4 - k) * math.factorial(k)) * r4 for k in range(5))
    # the sum of separate maxima is the hand value; the joint form is tighter
    assert r.bound <= 1.011 * hand and r.bound <= 0.3 * hand
    assert r.ratio < 3.5
    assert "measured max error" in str(r)


@pytest.mark.parametrize(
    "f, interval",
    [
        (sp.tanh(3 * x) * sp.cos(x), (-2, 1)),
        (sp.cosh(x) - x**3, (-1.5, 2)),
        (sp.erf(x) * sp.exp(-x**2), (-3, 3)),
        (sp.atan(x) / (1 + x**2), (-4, 4)),
        (sp.sqrt(x) * sp.log(x), (0.2, 5)),
        (sp.Max(sp.sin(x), sp.cos(x)) + sp.Abs(x - 1), (-2, 2)),
    ],
)
def test_interval_max_abs_encloses_the_true_maximum(f, interval):
    lo, hi = interval_max_abs(f, [x], [interval], rtol=1e-3)
    grid = np.linspace(*interval, 200001)
    with np.errstate(all="ignore"):
        values = sp.lambdify(x, f, ["numpy", "scipy"])(grid)
    sampled = float(np.max(np.abs(values)))
    assert lo <= sampled * (1 + 1e-12) and sampled <= hi
    assert hi <= sampled * 1.002


def test_interval_max_abs_two_dimensions():
    lo, hi = interval_max_abs(sp.sin(x * y) + x, [x, y], [(0, 2), (-1, 1)])
    # the maximum is 3, at x = 2, y = pi/4
    assert lo <= 3 <= hi <= 3 * 1.011


def test_unbounded_derivative_gives_an_infinite_bound():
    # log^(4) = -6/x^4 is unbounded on [0, 1]: the honest bound is inf
    _, hi = interval_max_abs(-6 / x**4, [x], [(0, 1)], max_evals=50)
    assert hi == math.inf


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(order=-1), InvalidParameterError),
        (dict(order=2.5), InvalidParameterError),
        (dict(interval=(2, 1)), InvalidParameterError),
        (dict(interval=(0, float("inf"))), InvalidParameterError),
        (dict(method="taylor"), InvalidParameterError),
        (dict(at="one"), InvalidParameterError),
    ],
)
def test_bad_arguments_name_the_input(kwargs, error):
    args = dict(expr=sp.exp(x), wrt=[x], at=0, order=3, interval=(-1, 1))
    args.update(kwargs)
    with pytest.raises(error) as info:
        remainder_bound(**args)
    key = next(iter(kwargs))
    assert key in str(info.value)


def test_unsupported_function_and_free_parameters_are_refused():
    with pytest.raises(NumericError, match="cannot bound polygamma"):
        remainder_bound(sp.gamma(x + 3), [x], 0, 2, (-1, 1))
    with pytest.raises(NumericError, match=r"Heaviside\(x\) has a kink where x = 0"):
        remainder_bound(sp.Heaviside(x) * x**5, [x], 0, 2, (-1, 1))
    a = sp.Symbol("a", real=True)
    with pytest.raises(NumericError, match="a"):
        remainder_bound(sp.exp(a * x), [x], 0, 2, (-1, 1))
    with pytest.raises(InvalidParameterError, match="univariate"):
        remainder_bound(sp.exp(x + y), [x, y], 0, 2, (-1, 1), method="integral")


@pytest.mark.parametrize("f, at, order", [(sp.exp(x) * sp.sin(y), (0, 1), 3),
                                          (sp.log(1 + x**2 + y), (1, 0), 4)])
def test_polynomial_agrees_with_calckit_taylor(f, at, order):
    import calckit

    ours = taylor_polynomial(f, [x, y], list(at), order)
    theirs = calckit.taylor(f, [x, y], at=list(at), order=order)
    assert sp.expand(ours - theirs) == 0


def test_string_input():
    r = remainder_bound("sin(x)", "x", at=0, order=3, interval=(-0.5, 0.5))
    assert r.holds and r.wrt[0].name == "x"


@pytest.mark.parametrize(
    "f, at, box, order",
    [
        (sp.log(1 + x**2 + y), (0, 0), [(-0.5, 0.5), (0, 1)], 2),
        (sp.exp(x + 2 * y), (sp.Rational(1, 3), 0), [(0, 0.5), (-0.5, 0.5)], 3),
        (sp.cos(x * y) + x**3, (0.25, -0.25), [(-0.5, 0.5), (-1, 0.5)], 2),
    ],
)
def test_box_bounds_hold_on_a_dense_grid(f, at, box, order):
    r = remainder_bound(f, [x, y], list(at), order, box, samples=400)
    gx = np.linspace(*box[0], 161)
    gy = np.linspace(*box[1], 161)
    X, Y = np.meshgrid(gx, gy)
    err = sp.lambdify((x, y), f - r.polynomial, "numpy")(X, Y)
    assert float(np.max(np.abs(err))) <= r.bound
    assert r.ratio < 6


# property test: the bound is rigorous, so no grid point may exceed it
_FAMILY = [
    lambda c: sp.exp(c * x),
    lambda c: sp.sin(c * x) + x**2,
    lambda c: sp.log(2 + c * x / 4),
    lambda c: 1 / (1 + c**2 * x**2),
    lambda c: sp.tanh(c * x),
    lambda c: sp.cosh(c * x) * sp.cos(x),
    lambda c: sp.atan(c * x),
    lambda c: sp.sqrt(3 + c * x / 2),
]


@settings(max_examples=15, deadline=None)
@given(
    kind=st.integers(0, len(_FAMILY) - 1),
    c=st.sampled_from([-2, -1, 1, 2, 3]),
    lo=st.floats(-2, 0.5),
    width=st.floats(0.1, 1.5),
    at_frac=st.floats(0, 1),
    order=st.integers(0, 5),
    method=st.sampled_from(["lagrange", "integral"]),
)
def test_bound_is_never_exceeded(kind, c, lo, width, at_frac, order, method):
    f = _FAMILY[kind](c)
    hi = lo + width
    a = round(lo + at_frac * width, 3)
    r = remainder_bound(f, [x], a, order, (lo, hi), method=method, samples=51,
                        max_evals=600)
    grid = np.linspace(lo, hi, 4001)
    fv = sp.lambdify(x, f, "numpy")(grid)
    err = np.abs(fv - sp.lambdify(x, r.polynomial, "numpy")(grid))
    slack = 1e-13 * float(np.max(np.abs(fv)))  # float64 rounding of f - p
    assert float(np.max(err)) <= r.bound + slack


def test_point_is_read_like_calckit_taylor():
    from calckit.errors import DifferentiationError

    with pytest.raises(DifferentiationError, match="x=0"):
        remainder_bound(sp.log(x), [x], 0, 2, (0.5, 1))
    with pytest.raises(InvalidParameterError, match="z"):
        taylor_terms(sp.exp(x), [x], at={"x": 1, "z": 2}, order=1)
    terms = taylor_terms(sp.exp(x), [x], at={"x": 1}, order=1)
    assert [t.coefficient for t in terms] == [sp.E, sp.E]


# -- kinks, poles ---------------------------------------------------------------

@pytest.mark.parametrize(
    "f, interval, surface",
    [
        ("relu(x)", (-1, 2), "x = 0"),
        ("leaky_relu(x)", (-1, 2), "x = 0"),
        ("hinge(1, x)", (-1, 2), "x - 1 = 0"),
        ("hard_sigmoid(x)", (-1, 4), "x - 3 = 0"),
        ("Abs(x - 1)*exp(x)", (-1, 2), "x - 1 = 0"),
        ("Max(x**2, 1)", (-0.9, 1.1), "x**2 - 1 = 0"),
        ("Min(x, 2*x)", (-1, 2), "x = 0"),
        ("x*Heaviside(x - 1)", (0, 2), "x - 1 = 0"),
        (sp.sign(x) * x**2, (-1, 2), "x = 0"),
        (sp.ceiling(x) * x, (-0.5, 1.2), "x = 0"),
        (sp.floor(x), (0.5, 1.5), "x - 1 = 0"),
        ("relu(x)", (0, 2), "x = 0"),  # a kink on the boundary counts
    ],
)
def test_kink_in_the_interval_is_refused(f, interval, surface):
    # derivatives of a Piecewise ignore its kink: relu'' = 0 gave the bound 0
    # for a measured error of 1
    import calckit

    with pytest.raises(NumericError) as info:
        calckit.remainder_bound(f, "x", at=1, order=1, interval=interval)
    message = str(info.value)
    expr = calckit.parse(f) if isinstance(f, str) else f
    assert str(expr) in message and surface in message
    assert f"[{interval[0]:g}, {interval[1]:g}]" in message


def test_kink_between_the_interval_and_the_point_is_refused():
    with pytest.raises(NumericError, match="x = 0"):
        remainder_bound("relu(x)", "x", -1, 1, (0.5, 2))


def _dense_error(f, poly, interval):
    grid = np.linspace(*interval, 2001)
    fv = np.vectorize(lambda t: float(f.subs(x, t)))(grid)
    return float(np.max(np.abs(fv - sp.lambdify(x, poly, "numpy")(grid))))


@pytest.mark.slow  # interval arithmetic at many kinks
@pytest.mark.parametrize(
    "f, at, interval",
    [
        ("relu(x)", 1, (0.5, 2)),
        ("leaky_relu(x)", -2, (-3, -1)),
        ("hinge(1, x)", 0, (-1, 0.5)),
        ("hard_sigmoid(x)", 1, (-1, 2)),
        ("hard_sigmoid(x)", 4, (3.5, 5)),
        ("Abs(x - 1)*exp(x)", 2, (1.5, 3)),
        ("Max(x**2, 1) + sin(x)", 0, (-0.9, 0.9)),
        (sp.floor(x) + sp.sign(x) * x**3, 1.5, (1.2, 1.8)),
        (sp.Heaviside(x - 1) * sp.exp(x), 0, (-0.5, 0.5)),
    ],
)
@pytest.mark.parametrize("order", [0, 1, 3])
def test_one_side_of_every_kink_gives_a_valid_bound(f, at, interval, order):
    import calckit

    f = calckit.parse(f) if isinstance(f, str) else f
    r = remainder_bound(f, [x], at, order, interval, samples=101)
    assert r.holds and r.measured <= r.bound
    assert _dense_error(f, r.polynomial, interval) <= r.bound + 1e-12


def test_one_side_matches_the_smooth_branch():
    # on [1.5, 3], |x - 1| exp(x) is (x - 1) exp(x): same polynomial and bound
    r = remainder_bound(sp.Abs(x - 1) * sp.exp(x), [x], 2, 3, (1.5, 3))
    s = remainder_bound((x - 1) * sp.exp(x), [x], 2, 3, (1.5, 3))
    assert sp.simplify(r.polynomial - s.polynomial) == 0
    assert r.bound == s.bound and r.measured == pytest.approx(s.measured)


def test_exact_polynomial_measures_zero_error():
    # 30-digit rounding once gave measured 5e-32 > bound 0 (holds was False)
    r = remainder_bound("hard_sigmoid(x)", "x", 1, 1, (-1, 2))
    assert (r.bound, r.measured, r.holds) == (0.0, 0.0, True)


@pytest.mark.parametrize(
    "f, interval, where",
    [("1/(x - 0.5)", (0, 1), "x=0.5"), ("log(1 + x)", (-1, 1), "x=-1")],
)
def test_pole_in_the_interval_is_a_numeric_error(f, interval, where):
    import calckit

    with pytest.raises(NumericError) as info:
        remainder_bound(f, "x", 0, 2, interval)
    message = str(info.value)
    assert str(calckit.parse(f)) in message and where in message
    assert f"[{interval[0]:g}, {interval[1]:g}]" in message


def test_kink_surfaces_live_in_the_symbolic_core():
    from calckit import check
    from calckit.symbolic._kinks import kink_surfaces

    assert check.kink_surfaces is kink_surfaces
    assert not hasattr(check, "_kink_surfaces")
    f = sp.Piecewise((x, (x > -3) & (x < y)), (0, True)) + sp.Abs(y) + sp.Max(x, 1)
    assert set(kink_surfaces(f)) == {x + 3, x - y, y, 1 - x}


def test_smooth_on_box_resolves_every_kink_function():
    from calckit.symbolic._kinks import smooth_on_box

    f = (sp.Abs(x) + sp.sign(x - 3) + sp.Heaviside(x) + sp.DiracDelta(x)
         + sp.floor(x) + sp.ceiling(x) + sp.Min(x, 2) + sp.Max(x, y)
         + sp.Piecewise((x**2, sp.Or(x < 0, y > 5)), (x**3, True)))
    assert smooth_on_box(f, [x, y], [(1.2, 1.8), (-1, 0)]) == (
        x - 1 + 1 + 0 + 1 + 2 + x + x + x**3)
    with pytest.raises(NumericError, match="no condition holds"):
        smooth_on_box(sp.Piecewise((x, x > 5)), [x], [(0, 1)])
