"""Exact derivatives checked against independent values: mpmath's numeric
differentiation at 50 digits, central differences, and SciPy's Rosenbrock."""

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import rosen_der, rosen_hess

import calckit as ck
from calckit.errors import CalckitTypeError, DifferentiationError, ShapeError
from calckit.symbolic import derive

x, y, z, w, b = sp.symbols("x y z w b", real=True)


def mp_partial(expr, syms, point, orders):
    """Mixed partial derivative by mpmath at 50 digits (independent of SymPy)."""
    f = sp.lambdify(syms, expr, "mpmath")
    with mpmath.workdps(50):
        out = mpmath.diff(f, [mpmath.mpf(p) for p in point], tuple(orders))
        return sp.Float(out, 50)


def value(expr, syms, point):
    """``expr`` at ``point`` (floats taken exactly, strings as decimals)."""
    subs = {s: sp.Float(p, 50) for s, p in zip(syms, point, strict=True)}
    return sp.N(expr.xreplace(subs), 40)


UNIVARIATE = [
    sp.exp(x) * sp.sin(x),
    sp.log(1 + sp.exp(3 * x)),
    sp.sqrt(x**2 + 1) / (1 + x**4),
    sp.atan(x) * sp.erf(x),
    sp.Abs(x) * sp.cos(x),
    sp.Max(x, 0) ** 3,
    sp.sign(x) * x**2,
    sp.tanh(x) ** 2 + sp.asinh(x),
    x**x,
    2**x * sp.Heaviside(x),
]


@pytest.mark.parametrize("expr", UNIVARIATE, ids=str)
@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("x0", ["0.7", "1.3"])
def test_derivative_matches_mpmath(expr, n, x0):
    exact = value(ck.derivative(expr, x, n), [x], [sp.Float(x0, 50)])
    numeric = mp_partial(expr, [x], [x0], [n])
    assert abs(exact - numeric) <= 1e-25 * max(1, abs(numeric))


def test_kinks_on_the_negative_side():
    # real symbols: Abs, sign and Max derive to sign / 0 / Heaviside
    assert ck.derivative(sp.Abs(x), x) == sp.sign(x)
    assert value(ck.derivative(sp.Abs(x) ** 3, x, 2), [x], [-0.5]) == pytest.approx(3.0)
    assert value(ck.derivative(sp.Max(x, 0) ** 2, x), [x], [-0.5]) == 0
    d = ck.derivative(sp.Max(x, y), "x")
    assert float(value(d, [x, y], [2.0, 1.0])) == 1.0
    assert float(value(d, [x, y], [1.0, 2.0])) == 0.0


def test_string_input_and_names():
    assert ck.derivative("x**3*y", "x", 2) == 6 * x * y
    assert ck.derivative("sin(t)", "t").equals(sp.cos(sp.Symbol("t", real=True)))


def test_order_zero_and_absent_variable():
    assert ck.derivative(x**5, x, 0) == x**5
    # issue 19: an absent variable is an error naming the free symbols
    with pytest.raises(DifferentiationError, match=r"free symbols: x"):
        ck.derivative(x**5, "y", 2)
    assert ck.derivative(x**5, y, 2, allow_missing=True) == 0


@pytest.mark.parametrize("n", [-1, 1.5, True, "2", None])
def test_bad_order_is_named(n):
    with pytest.raises(DifferentiationError, match="order n"):
        ck.derivative(x**2, x, n)


@pytest.mark.parametrize("var", [3, x**2, 1.0, "2x", "a b"])
def test_bad_variable_is_named(var):
    with pytest.raises(DifferentiationError, match="var"):
        ck.derivative(x**2, var)


def test_bad_expression_type():
    with pytest.raises(CalckitTypeError, match="expr"):
        ck.derivative(object(), x)


def test_grad_shape_order_and_values():
    g = ck.grad("log(1 + exp(w*x + b))", wrt="w b")
    assert isinstance(g, sp.ImmutableMatrix) and g.shape == (2, 1)
    point = [0.3, -0.8, 1.7]  # w, b, x
    syms = [sp.Symbol(n, real=True) for n in "wbx"]
    expr = sp.log(1 + sp.exp(syms[0] * syms[2] + syms[1]))
    for i in range(2):
        orders = [int(i == 0), int(i == 1), 0]
        num = mp_partial(expr, syms, point, orders)
        assert abs(value(g[i], syms, point) - num) < 1e-30


def test_grad_default_wrt_and_missing_variable():
    g = ck.grad(w**2 * x + b)
    assert list(g) == [1, 2 * w * x, w**2]  # sorted by name: b, w, x
    assert list(ck.grad(x**2, wrt=[x, z])) == [2 * x, 0]  # symbols: as given
    with pytest.raises(DifferentiationError, match=r"respect to z.*free symbols: x"):
        ck.grad(x**2, wrt="x z")
    assert ck.grad(sp.Integer(3)).shape == (0, 1)


def test_jacobian_shapes_and_values():
    J = ck.jacobian(["x*y", "x + y**2", "sin(x*y)"], wrt="x y")
    assert isinstance(J, sp.ImmutableMatrix) and J.shape == (3, 2)
    exprs = [x * y, x + y**2, sp.sin(x * y)]
    for i, e in enumerate(exprs):
        for j in range(2):
            num = mp_partial(e, [x, y], ["0.4", "-1.1"], [int(j == 0), int(j == 1)])
            assert abs(value(J[i, j], [x, y], ["0.4", "-1.1"]) - num) < 1e-30
    assert ck.jacobian(sp.Matrix([x * y, z]), wrt=[x, y, z]).shape == (2, 3)
    assert ck.jacobian(x**2, wrt=[x]).shape == (1, 1)


def test_jacobian_bad_input():
    with pytest.raises(CalckitTypeError, match="exprs"):
        ck.jacobian({"a": x})
    with pytest.raises(CalckitTypeError, match=r"exprs\[1\]"):
        ck.jacobian([x, object()])


HESSIAN_CASES = [
    (sp.exp(x * y) * sp.sin(z), [x, y, z]),
    (sp.log(1 + sp.exp(w * x + b)), [w, b, x]),
    (sp.sqrt(x**2 + y**2 + 1) * sp.atan(x - y), [x, y]),
    (x**3 * y + y**3 * z + z**3 * x, [x, y, z]),
]


@pytest.mark.parametrize(("expr", "syms"), HESSIAN_CASES, ids=str)
def test_hessian_matches_mpmath(expr, syms):
    H = ck.hessian(expr, syms)
    n = len(syms)
    assert isinstance(H, sp.ImmutableMatrix) and H.shape == (n, n)
    assert H == H.T
    point = ["0.3", "-0.6", "0.9"][:n]
    for i in range(n):
        for j in range(n):
            orders = [0] * n
            orders[i] += 1
            orders[j] += 1
            num = mp_partial(expr, syms, point, orders)
            assert abs(value(H[i, j], syms, point) - num) < 1e-25 * max(1, abs(num))


def test_hessian_each_unordered_pair_differentiated_once(monkeypatch):
    calls = []
    real = derive._diff

    def counting(expr, var, budget=None):
        calls.append(var)
        return real(expr, var, budget)

    monkeypatch.setattr(derive, "_diff", counting)
    syms = sp.symbols("a0:5", real=True)
    derive.hessian(sp.exp(sp.Mul(*syms)), syms)
    assert len(calls) == 5 + 5 * 6 // 2  # first partials + upper triangle


def rosenbrock(n):
    xs = sp.symbols(f"x0:{n}", real=True)
    terms = [
        100 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1 - xs[i]) ** 2 for i in range(n - 1)
    ]
    return sp.Add(*terms), xs


def test_rosenbrock_matches_scipy_and_sympy(rng):
    f, xs = rosenbrock(30)
    g = ck.grad(f, xs)
    H = ck.hessian(f, xs)
    p = rng.uniform(-1.5, 1.5, 30)
    subs = dict(zip(xs, p, strict=True))
    g_num = np.array([float(e.xreplace(subs)) for e in g])
    H_num = np.array([[float(e.xreplace(subs)) for e in row] for row in H.tolist()])
    np.testing.assert_allclose(g_num, rosen_der(p), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(H_num, rosen_hess(p), rtol=1e-12, atol=1e-9)
    small, ys = rosenbrock(5)
    assert ck.hessian(small, ys) == sp.hessian(small, ys)
    diff = ck.grad(small, ys) - sp.Matrix([small.diff(v) for v in ys])
    assert diff.expand() == sp.zeros(5, 1)


def test_directional_derivative():
    f = x**2 * y + sp.sin(y)
    d = ck.directional_derivative(f, [3, 4], wrt=[x, y])
    assert d.equals(3 * 2 * x * y + 4 * (x**2 + sp.cos(y)))
    unit = ck.directional_derivative(f, [3, 4], wrt=[x, y], normalize=True)
    # against a central difference along the unit direction
    p, u, h = np.array([0.5, -0.2]), np.array([0.6, 0.8]), 1e-6
    fn = sp.lambdify([x, y], f)
    fd = (fn(*(p + h * u)) - fn(*(p - h * u))) / (2 * h)
    assert float(unit.subs({x: 0.5, y: -0.2})) == pytest.approx(fd, rel=1e-8)
    assert ck.directional_derivative(f, {"y": 1}, wrt="x y").equals(x**2 + sp.cos(y))


def test_directional_derivative_errors():
    with pytest.raises(ShapeError, match="3 components"):
        ck.directional_derivative(x * y, [1, 2, 3], wrt=[x, y])
    with pytest.raises(DifferentiationError, match="zero direction"):
        ck.directional_derivative(x * y, [0, 0], wrt=[x, y], normalize=True)
    with pytest.raises(CalckitTypeError, match="direction"):
        ck.directional_derivative(x * y, 5, wrt=[x, y])
    with pytest.raises(ShapeError, match="not among wrt"):
        ck.directional_derivative(x * y, {"z": 1}, wrt=[x, y])


# --- random expressions: gradient and Hessian vs mpmath ----------------------
LEAVES = [x, y, sp.Integer(2), sp.Rational(1, 3), sp.Rational(-7, 10)]
UNARY = [sp.sin, sp.cos, sp.exp, sp.atan, sp.tanh, lambda a: sp.log(1 + a**2)]


def _build(draw, depth):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(LEAVES))
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.sampled_from(UNARY))(_build(draw, depth - 1))
    a, c = _build(draw, depth - 1), _build(draw, depth - 1)
    return [a + c, a * c, a - c, a * c**2][draw(st.integers(0, 3))]


@st.composite
def expressions(draw):
    return _build(draw, 3)


def mp_value(expr, syms, point):
    f = sp.lambdify(syms, expr, "mpmath")
    with mpmath.workdps(50):
        return sp.Float(f(*[mpmath.mpf(p) for p in point]), 50)


@settings(max_examples=30, deadline=None)
@given(expressions(), st.floats(-1.2, 1.2), st.floats(-1.2, 1.2))
def test_random_gradient_and_hessian_match_mpmath(expr, px, py):
    point = [px, py]
    g = ck.grad(expr, [x, y], allow_missing=True)
    H = ck.hessian(expr, [x, y], allow_missing=True)
    for i in range(2):
        orders = [int(i == 0), int(i == 1)]
        num = mp_partial(expr, [x, y], point, orders)
        assert abs(mp_value(g[i], [x, y], point) - num) <= 1e-20 * max(1, abs(num))
        for j in range(2):
            o2 = [orders[0] + int(j == 0), orders[1] + int(j == 1)]
            num = mp_partial(expr, [x, y], point, o2)
            err = abs(mp_value(H[i, j], [x, y], point) - num)
            assert err <= 1e-18 * max(1, abs(num))


def test_symbol_of_the_same_name_is_used():
    # the parser makes real symbols; a plain Symbol("x") must still work
    plain = sp.Symbol("x")
    assert ck.derivative("x**2", plain) == 2 * x
    assert list(ck.grad("x**2*y", wrt=[plain, "y"])) == [2 * x * y, x**2]
    assert ck.hessian("x**3", wrt=[plain])[0, 0] == 6 * x
    # two different symbols named x: nothing is guessed
    both = x + plain**2
    assert ck.derivative(both, plain) == 2 * plain


def test_wrt_errors():
    with pytest.raises(CalckitTypeError, match="wrt"):
        ck.grad(x**2, wrt=5)
    with pytest.raises(DifferentiationError, match="twice"):
        ck.hessian(x**2, wrt="x x")
    with pytest.raises(CalckitTypeError, match="expr"):
        ck.hessian(sp.Matrix([x, y]))


@pytest.mark.parametrize("f", [sp.floor, sp.ceiling])
def test_floor_and_ceiling_have_derivative_zero(f):
    # constant between jumps; 0 at the jumps too (PyTorch's autograd convention)
    assert ck.derivative(f(x), x) == 0
    assert ck.derivative(f(x**2) * x, x) == f(x**2)
    assert ck.derivative(x**3 * f(y), x, 2) == 6 * x * f(y)
    assert ck.grad(f(x * y) + y**2, [x, y]) == sp.ImmutableMatrix([0, 2 * y])
    H = ck.hessian(f(x) * x**2 * y, [x, y])
    assert H == sp.ImmutableMatrix([[2 * y * f(x), 2 * x * f(x)], [2 * x * f(x), 0]])
    assert not H.has(sp.Derivative)


@pytest.mark.parametrize("f", [sp.floor, sp.ceiling])
def test_floor_and_ceiling_inside_what_sympy_differentiates(f):
    # Abs, Piecewise and Max go to SymPy's diff, which leaves Derivative(floor(u), u)
    # (or Subs of it through a chain rule) unevaluated: set to 0 as well
    exprs = [
        sp.Abs(f(sp.sin(x)) - x),
        sp.Piecewise((f(x) * x, x > 0), (x**2, True)),
        sp.Max(f(x * y), y * x),
        sp.Abs(f(sp.sin(x))) * x,
    ]
    for e in exprs:
        g = ck.grad(e, [x, y], allow_missing=True)
        H = ck.hessian(e, [x, y], allow_missing=True)
        assert not g.has(sp.Derivative, sp.Subs), e
        assert not H.has(sp.Derivative, sp.Subs), e
    assert ck.derivative(exprs[1], x) == sp.Piecewise((f(x), x > 0), (2 * x, True))
    # away from the jumps, the value of the numeric derivative
    e = exprs[0]
    at = [0.3]
    assert float(value(ck.derivative(e, x), [x], at)) == pytest.approx(
        float(mp_partial(e, [x], at, [1])), rel=1e-12
    )
