"""Multivariate Taylor polynomials: their partial derivatives at the point
match the function's (checked against mpmath), exact coefficients, and
agreement with SymPy's univariate series."""

import itertools
import math

import mpmath
import pytest
import sympy as sp

import calckit as ck
from calckit.errors import CalckitTypeError, DifferentiationError, ShapeError
from calckit.symbolic import taylor as taylor_module
from calckit.symbolic.taylor import taylor, taylor_coefficients

x, y, z, u = sp.symbols("x y z u", real=True)


def multi_indices(n, order):
    for alpha in itertools.product(range(order + 1), repeat=n):
        if sum(alpha) <= order:
            yield alpha


def mp_partial(expr, syms, point, alpha):
    f = sp.lambdify(syms, expr, "mpmath")
    with mpmath.workdps(40):
        out = mpmath.diff(f, [mpmath.mpf(sp.Rational(p)) for p in point], alpha)
        return sp.Float(out, 40)


def partial_at(expr, syms, point, alpha):
    d = expr
    for s, k in zip(syms, alpha, strict=True):
        if k:
            d = sp.diff(d, s, k)
    return d.xreplace(dict(zip(syms, point, strict=True)))


CASES = [
    (sp.exp(x) * sp.sin(y), [x, y], [sp.Rational(1, 2), sp.Rational(-1, 3)], 4),
    (sp.log(1 + x**2 + y), [x, y], [1, 2], 3),
    (sp.exp(x * y * z) + x * sp.cos(z), [x, y, z], [sp.Rational(1, 4), 1, -1], 3),
    (1 / (1 + x * y + z**2), [x, y, z], [1, sp.Rational(1, 2), 0], 3),
    (sp.sqrt(1 + x**2 + y**2) * sp.atan(x - y), [x, y], [sp.Rational(3, 5), 0], 3),
    (sp.tanh(x + 2 * y - z) * u, [x, y, z, u], [0, 0, 0, 1], 3),
]


@pytest.mark.parametrize(("expr", "syms", "point", "order"), CASES, ids=str)
def test_polynomial_partials_match_the_function(expr, syms, point, order):
    P = taylor(expr, wrt=syms, at=point, order=order)
    # a shift of the variables keeps the total degree
    assert sp.Poly(sp.expand(P), *syms).total_degree() <= order
    for alpha in multi_indices(len(syms), order):
        poly_value = partial_at(P, syms, point, alpha)
        numeric = mp_partial(expr, syms, point, alpha)
        assert abs(sp.N(poly_value, 40) - numeric) <= 1e-25 * max(1, abs(numeric))
        assert sp.simplify(poly_value - partial_at(expr, syms, point, alpha)) == 0


def test_issue_example():
    P = ck.taylor("exp(x)*sin(y)", at=(0, 0), order=4)
    ex, sin = sp.series(sp.exp(x), x, 0, 5), sp.series(sp.sin(y), y, 0, 5)
    expected = sp.expand(ex.removeO() * sin.removeO())
    terms = sp.Add.make_args(expected)
    kept = [t for t in terms if sp.Poly(t, x, y).total_degree() <= 4]
    assert sp.expand(P) == sp.Add(*kept)


@pytest.mark.parametrize(
    "expr",
    [
        sp.exp(x) * sp.cos(x),
        sp.log(1 + x),
        sp.atan(x) / (1 + x),
        sp.sqrt(1 + x),
        1 / (1 + sp.exp(-x)),
        sp.tan(x) + sp.asinh(x),
    ],
    ids=str,
)
@pytest.mark.parametrize("at", [0, sp.Rational(1, 2)])
def test_agrees_with_sympy_series_in_one_variable(expr, at):
    ours = taylor(expr, wrt=[x], at=at, order=6)
    theirs = sp.series(expr, x, at, 7).removeO()
    assert sp.simplify(sp.expand(ours - theirs)) == 0


def test_exact_rational_coefficients():
    f = 1 / (1 + x * y + z)
    coeffs = taylor_coefficients(f, wrt="x y z", at=(1, sp.Rational(1, 2), 0), order=3)
    assert len(coeffs) == math.comb(3 + 3, 3)
    assert all(c.is_Rational for c in coeffs.values())
    assert coeffs[(0, 0, 0)] == sp.Rational(2, 3)
    assert coeffs[(1, 0, 0)] == -sp.Rational(1, 2) / sp.Rational(9, 4)
    exp_coeffs = taylor_coefficients("exp(x + y)", at=0, order=3)
    for alpha, c in exp_coeffs.items():
        assert c == sp.Rational(1, math.factorial(alpha[0]) * math.factorial(alpha[1]))
    assert list(exp_coeffs)[:6] == [(0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2)]


def test_point_forms_and_parameters():
    f = sp.exp(x) * y
    by_number = taylor(f, wrt=[x, y], at=1, order=2)
    by_seq = taylor(f, wrt=[x, y], at=[1, 1], order=2)
    by_dict = taylor(f, at={x: 1, "y": 1}, order=2)
    assert by_number == by_seq == by_dict
    # a dict names the variables; the other symbols are parameters
    assert taylor(f, at={"x": 0}, order=2) == sp.expand(y * (1 + x + x**2 / 2))
    assert taylor(sp.Integer(5), order=3) == 5
    assert taylor(x**7, wrt=[x], at=0, order=3) == 0
    floats = taylor_coefficients("exp(x)", at=0.5, order=1)
    assert floats[(1,)] == pytest.approx(math.exp(0.5))


def test_each_partial_formed_once(monkeypatch):
    calls = []
    real = taylor_module._diff

    def counting(expr, var, budget=None):
        calls.append(var)
        return real(expr, var, budget)

    monkeypatch.setattr(taylor_module, "_diff", counting)
    taylor(sp.exp(x + 2 * y + 3 * z), wrt=[x, y, z], at=0, order=3)
    assert len(calls) == math.comb(3 + 3, 3) - 1  # every multi-index but 0
    calls.clear()
    taylor(x**2 * y + z, wrt=[x, y, z], at=1, order=4)
    assert len(calls) < math.comb(4 + 3, 3) - 1  # zero partials prune


@pytest.mark.parametrize(
    ("expr", "at"),
    [("log(x)", 0), ("sqrt(x)", 0), ("1/(x - 1)", 1), ("log(x*y)", (0, 1))],
)
def test_undefined_point_is_named(expr, at):
    with pytest.raises(DifferentiationError, match="not defined at the point") as info:
        taylor(expr, at=at, order=2)
    assert "x=0" in str(info.value) or "x=1" in str(info.value)


def test_argument_errors():
    with pytest.raises(ShapeError, match="3 values"):
        taylor("x*y", wrt="x y", at=(0, 1, 2))
    with pytest.raises(ShapeError, match="missing"):
        taylor("x*y", wrt="x y", at={"x": 0})
    with pytest.raises(DifferentiationError, match="order"):
        taylor("x", order=-1)
    with pytest.raises(DifferentiationError, match="order"):
        taylor("x", order=2.5)
    with pytest.raises(CalckitTypeError, match="at must be"):
        taylor("x", at=object())


def test_plain_symbol_matches_parsed_real_symbol():
    plain = sp.Symbol("x")
    assert taylor("exp(x)", wrt=[plain], at=0, order=2) == 1 + x + x**2 / 2
    assert taylor("exp(x)", at={plain: 0}, order=1) == 1 + x


def test_sympy_failure_at_the_point_is_a_calckit_error():
    # an unknown function keeps an unevaluated Derivative, which SymPy cannot
    # evaluate at a number: a DifferentiationError names the function and point
    g = sp.Function("g")(x)
    with pytest.raises(DifferentiationError, match=r"g\(x\)") as info:
        taylor(g, wrt=[x], at=0.5, order=2)
    assert "x=0.5" in str(info.value) and "partial derivative (1,)" in str(info.value)
    assert isinstance(info.value.__cause__, ValueError)


def test_floor_never_leaks_a_sympy_error():
    # whether floor' is 0 (PyTorch convention) or left unevaluated, taylor
    # either expands the constant floor(0.5) = 0 or raises a calckit error
    try:
        p = taylor("floor(x)", at=0.5, order=2)
    except DifferentiationError as exc:
        assert "floor(x)" in str(exc) and "x=0.5" in str(exc)
    else:
        assert p == 0
