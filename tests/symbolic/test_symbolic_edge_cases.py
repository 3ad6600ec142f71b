"""Edge cases of the symbolic core and its kernels, each a bug once:
compositions of piecewise activations, |u| of arguments SymPy cannot prove
real, the real cube root, huge derivative and Taylor orders."""

import time
import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp

import calckit as ck
from calckit.errors import DifferentiationError
from calckit.symbolic.functions import cbrt

x, y = sp.symbols("x y", real=True)
XS = np.array([-2.0, -0.5, 0.0, 0.25, 0.5, 1.0, 1.5, 3.0])


def _relu(v):
    return np.where(v > 0, v, 0.0)


def _hard_tanh(v):
    return np.clip(v, -1.0, 1.0)


def _elu(v):
    return np.where(v > 0, v, np.expm1(np.minimum(v, 0.0)))


# -- a Piecewise whose condition SymPy writes with ITE --------------------------
@pytest.mark.parametrize(
    ("text", "value", "slope"),
    [
        # value and derivative (PyTorch's conventions at the kinks)
        ("relu(relu(x) - 1)", lambda v: _relu(_relu(v) - 1), lambda v: 1.0 * (v > 1)),
        ("relu(hard_tanh(x))", lambda v: _relu(_hard_tanh(v)),
         lambda v: 1.0 * ((v > 0) & (v < 1))),
        ("hard_tanh(relu(x))", lambda v: _hard_tanh(_relu(v)),
         lambda v: 1.0 * ((v > 0) & (v < 1))),
        ("leaky_relu(elu(x) - x)",
         lambda v: np.where(_elu(v) - v > 0, _elu(v) - v, 0.01 * (_elu(v) - v)),
         lambda v: np.where(v > 0, 0.0, np.where(_elu(v) - v > 0, 1.0, 0.01)
                            * (np.exp(np.minimum(v, 0.0)) - 1))),
    ],
)
def test_composed_piecewise_activations_compile(text, value, slope):
    # SymPy folds the inner Piecewise into the outer condition as ITE(...),
    # which the printer turned back into a Piecewise and refused
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.allclose(ck.compile(text)(XS), value(XS), rtol=1e-14, atol=0)
        assert np.allclose(ck.compile_grad(text)(XS)[:, 0], slope(XS),
                           rtol=1e-14, atol=0)
        assert ck.compile_hessian(text)(XS).shape == (len(XS), 1, 1)


def test_composed_piecewise_of_two_variables():
    k = ck.compile_grad("huber(y, relu(x))", wrt="x y")
    xs, ys = np.array([-1.0, 0.5, 3.0]), 0.25
    r = _relu(xs) - ys  # huber'(r) = clip(r, -1, 1); d relu/dx = x > 0
    dr = np.clip(r, -1, 1)
    assert np.allclose(k(xs, ys), np.stack([dr * (xs > 0), -dr], axis=-1))


# -- |u| and sign(u) when SymPy cannot prove u real ------------------------------
def test_abs_of_log_differentiates_as_a_real_function():
    d = ck.derivative("Abs(log(x))", "x")
    assert d == sp.sign(sp.log(x)) / x  # not re/im/atan2 (or sign(x)**2 terms)
    k = ck.compile_hessian("Abs(log(x))")
    pts = np.array([0.3, 0.5, 2.0, 5.0])
    expected = -np.sign(np.log(pts)) / pts**2
    assert np.allclose(k(pts)[:, 0, 0], expected, rtol=1e-14, atol=0)


@pytest.mark.parametrize("text", ["Abs(x/y)", "softsign(x/y)", "Abs(sqrt(x) - 1)",
                                  "sign(x - x/y)", "Abs(acos(x/2))",
                                  "huber(x, 1/logcosh(y))"])
def test_hessians_through_abs_of_unprovably_real_arguments(text):
    # these raised "unevaluated derivative Derivative(sign(...))"
    e = ck.parse(text)
    syms = sorted(e.free_symbols, key=str)
    k = ck.compile_hessian(e, syms)
    hess = ck.hessian(e, syms)
    pt = {s: v for s, v in zip(syms, (0.3, 0.7), strict=False)}
    got = k(*pt.values())
    mpmath.mp.dps = 30
    ref = sp.lambdify(syms, hess, [{"DiracDelta": lambda *a: 0}, "mpmath"])
    expected = np.array(ref(*[mpmath.mpf(v) for v in pt.values()]).tolist(), float)
    assert np.allclose(got, expected, rtol=1e-12, atol=1e-14)
    # against differences of the compiled gradient, independent of SymPy
    g = ck.compile_grad(e, syms)
    h = 1e-6
    for j, s in enumerate(syms):
        up = dict(pt)
        up[s] += h
        down = dict(pt)
        down[s] -= h
        col = (g(*up.values()) - g(*down.values())) / (2 * h)
        assert np.allclose(got[:, j], col, rtol=1e-5, atol=1e-6)


def test_abs_of_a_symbol_not_known_real_still_refused():
    z = sp.Symbol("z")  # possibly complex: |z| is not differentiable
    with pytest.raises(ck.CalckitError):
        ck.compile_grad(sp.Abs(z))


# -- cbrt is the real cube root -------------------------------------------------
def test_cbrt_is_the_real_cube_root():
    assert ck.parse("cbrt(-8)") == -2  # was 2*(-1)**(1/3), complex
    assert ck.parse("cbrt(-27/8)") == sp.Rational(-3, 2)
    assert float(ck.parse("cbrt(-3.375)")) == -1.5
    xs = np.array([-27.0, -8.0, -1e-300, 0.0, 8.0, 1e300])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = ck.compile("cbrt(x)")(xs)  # was nan for x < 0
    assert np.array_equal(got, np.cbrt(xs))
    g = ck.compile_grad("cbrt(x)")(np.array([-8.0, 8.0]))[:, 0]
    assert np.allclose(g, [1 / 12, 1 / 12], rtol=1e-15)
    h = ck.compile_hessian("cbrt(x)")(np.array([-8.0, 8.0]))[:, 0, 0]
    assert np.allclose(h, [2 / 9 / 32, -2 / 9 / 32], rtol=1e-15)


def test_cbrt_taylor_and_errors():
    p = ck.taylor("cbrt(x)", at=-8, order=2)
    assert sp.expand(p - (-2 + (x + 8) / 12 + (x + 8) ** 2 / 288)) == 0
    with pytest.raises(DifferentiationError, match="not defined"):
        ck.taylor("cbrt(x)", at=0, order=2)
    assert cbrt(-x) == -cbrt(x)
    assert float(cbrt(x).evalf(subs={x: -2})) == pytest.approx(-(2 ** (1 / 3)))
    with pytest.raises(ck.ParseError, match="too costly"):
        ck.parse("cbrt(10**4000)")


# -- huge orders: bounded time -------------------------------------------------
def test_derivative_of_huge_order_uses_periods_or_refuses():
    assert ck.derivative("sin(x)", "x", 10**9 + 1) == sp.cos(x)
    assert ck.derivative("exp(x)", "x", 10**12) == sp.exp(x)
    assert ck.derivative("cos(x)", "x", 6) == -sp.cos(x)
    assert ck.derivative("x**3", "x", 10**9) == 0
    start = time.perf_counter()
    with pytest.raises(DifferentiationError, match=r"n=1000000 of exp\(2\*x\)"):
        ck.derivative("exp(2*x)", "x", 10**6)
    assert time.perf_counter() - start < 10
    # below the limit nothing changes
    assert ck.derivative("exp(2*x)", "x", 20) == 2**20 * sp.exp(2 * x)


def test_taylor_of_huge_order_prunes_or_refuses():
    assert ck.taylor("x**3*y", order=10**6) == x**3 * y
    assert ck.taylor("5", order=10**9) == 5
    start = time.perf_counter()
    with pytest.raises(DifferentiationError, match="lower the order"):
        ck.taylor("exp(x)*sin(y)*cos(z)", order=10**6)
    with pytest.raises(DifferentiationError, match="coefficients"):
        ck.taylor_coefficients("x*y", order=10**6)
    assert time.perf_counter() - start < 10
    assert ck.taylor("exp(x)*sin(y)", order=0) == 0
    assert ck.taylor("exp(x)*cos(y)", order=0) == 1
