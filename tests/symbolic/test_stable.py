"""stabilize(): every rewrite pattern, in the forms users write and the forms
derivatives take, compiled over x in [-1000, 1000] against 60-digit mpmath
(value, first and second derivative); idempotence; bounded cost; the
closed forms it produces."""

from __future__ import annotations

import time

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as hs
from sympy.codegen.cfunctions import expm1, log1p
from test_activations import LOGITS, check_stable

import calckit as ck
from calckit.symbolic import stable as st
from calckit.symbolic.functions import (
    dsigmoid,
    logcosh,
    logsumexp,
    quotient,
    sigmoid,
    softplus,
    step,
)
from calckit.symbolic.stable import stabilize

x, y, a, b, p = sp.symbols("x y a b p", real=True)
E = sp.exp

# (label, user expression in x) -- each must compile overflow-free
PATTERNS = [
    ("log(1+exp(x))", sp.log(1 + E(x))),
    ("log(exp(x)+1) of 2x-3", sp.log(E(2 * x - 3) + 1)),
    ("log(1+exp(-x))", sp.log(1 + E(-x))),
    ("exp(x)/(1+exp(x))", E(x) / (1 + E(x))),
    ("1/(1+exp(-x))", 1 / (1 + E(-x))),
    ("1/(1+exp(x))", 1 / (1 + E(x))),
    ("log(exp(x)+exp(2x))", sp.log(E(x) + E(2 * x))),
    ("log(exp(x)+exp(-x)+exp(x/2))", sp.log(E(x) + E(-x) + E(x / 2))),
    ("log(3*exp(x)+exp(-x))", sp.log(3 * E(x) + E(-x))),
    ("log(sigmoid(x))", sp.log(sigmoid(x))),
    ("log(1-sigmoid(x))", sp.log(1 - sigmoid(x))),
    ("1-sigmoid(x)", 1 - sigmoid(x)),
    ("log(cosh(x))", sp.log(sp.cosh(x))),
    ("softmax exp(x)/(exp(x)+exp(-x)+1)", E(x) / (E(x) + E(-x) + 1)),
    ("softmax exp(-x)/(exp(x)+exp(-x))", E(-x) / (E(x) + E(-x))),
    ("exp(x)/(exp(x)+1)**2", E(x) / (E(x) + 1) ** 2),
    ("sigmoid(x)*sigmoid(-x)", sigmoid(x) * sigmoid(-x)),
    ("sigmoid(x)*(1-sigmoid(x))", sigmoid(x) * (1 - sigmoid(x))),
    ("3*sigmoid(x)-2*sigmoid(-x)", 3 * sigmoid(x) - 2 * sigmoid(-x)),
    ("1-tanh(x)**2", 1 - sp.tanh(x) ** 2),
    ("1+tanh(x)", 1 + sp.tanh(x)),
    ("1-tanh(x)", 1 - sp.tanh(x)),
    ("sinh(x)/cosh(x)", sp.sinh(x) / sp.cosh(x)),
    ("1+erf(x)", 1 + sp.erf(x)),
    ("(1-erf(x/2))/2", (1 - sp.erf(x / 2)) / 2),
    ("exp(x)-1", E(x) - 1),
    ("x*log(1+exp(x))", x * sp.log(1 + E(x))),
    ("log(exp(x)/(1+exp(x)))", sp.log(E(x) / (1 + E(x)))),
    # fractional powers of sums of exps: finite where exp(x) alone overflows
    ("sqrt(1+exp(x))", sp.sqrt(1 + E(x))),
    ("(2+exp(x))**(1/3)", (2 + E(x)) ** sp.Rational(1, 3)),
    ("(exp(x)+exp(-x))**0.25", (E(x) + E(-x)) ** sp.Float(0.25)),
    ("1/sqrt(1+exp(x))", 1 / sp.sqrt(1 + E(x))),
    ("x/sqrt(1+exp(2x))", x / sp.sqrt(1 + E(2 * x))),
]


@pytest.mark.parametrize(("label", "expr"), PATTERNS, ids=[p[0] for p in PATTERNS])
def test_pattern_stable_over_domain(label, expr):
    check_stable(label, expr, [x], LOGITS[:, None], raw_orders=1)


_PROBS = np.array([1e-300, 1e-100, 1e-20, 1e-10, 1e-5, 0.01, 0.3, 0.5, 0.7, 0.99,
                   1 - 1e-5, 1 - 1e-10, 1 - 1e-16])


@pytest.mark.parametrize("expr", [sp.log(1 - p), sp.log(p) + sp.log(1 - p),
                                  y * sp.log(p) + (1 - y) * sp.log(1 - p)])
def test_probability_patterns(expr):
    pts = np.array([(pp, yy) for pp in _PROBS for yy in (0.0, 0.5, 1.0)])
    check_stable(str(expr), expr, [p, y], pts, wrt=[p])


def test_two_variable_logsumexp_and_softmax():
    grid = np.array([(u, v) for u in LOGITS[::3] for v in LOGITS[::3]])
    check_stable("log(exp(a)+exp(b))", sp.log(E(a) + E(b)), [a, b], grid,
                 raw_orders=1)
    check_stable("softmax", E(a) / (E(a) + E(b)), [a, b], grid, raw_orders=1)


# ---- weighted log-sum-exp: float weights as stable as exact ones ----------

def _lse_hessian_reference(weights, point, dps=50):
    """Hessian of ``log(sum w_i*exp(x_i))`` at ``point`` with mpmath at ``dps``
    digits, from the closed form ``diag(p) - p p^T`` with ``p`` the softmax
    of ``x_i + log(w_i)``; the diagonal as ``p_i * sum_{j != i} p_j`` so that
    no digits cancel. Weights are read from their decimal strings."""
    with mpmath.workdps(dps):
        z = [mpmath.mpf(v) + mpmath.log(mpmath.mpf(w))
             for w, v in zip(weights, point, strict=True)]
        top = max(z)
        e = [mpmath.exp(v - top) for v in z]
        total = mpmath.fsum(e)
        q = [v / total for v in e]
        n = len(q)
        return [[q[i] * mpmath.fsum(q[k] for k in range(n) if k != i) if i == j
                 else -q[i] * q[j] for j in range(n)] for i in range(n)]


_LSE_CASES = [
    # (weights as text, points): includes the two points of the bug report
    (("0.5", "0.5"), [(0.0, 40.0), (970.0, 1000.0), (40.0, 0.0), (0.0, 0.0),
                      (3.0, -2.0), (30.0, -30.0), (-745.0, -700.0),
                      (-1000.0, 1000.0)]),
    (("0.3", "0.7"), [(0.0, 40.0), (970.0, 1000.0), (-700.0, -745.0), (30.0, -30.0),
                      (2.5, 2.5)]),
    (("1/2", "1/2"), [(0.0, 40.0), (970.0, 1000.0)]),
    (("0.2", "0.3", "0.5"), [(0.0, 40.0, 5.0), (970.0, 1000.0, 990.0),
                             (30.0, -30.0, 0.0), (-3.0, 0.5, 2.0)]),
]


@pytest.mark.parametrize(("weights", "points"), _LSE_CASES,
                         ids=["+".join(w) for w, _ in _LSE_CASES])
def test_weighted_logsumexp_hessian_against_mpmath(weights, points):
    names = "abc"[: len(weights)]
    text = "log(" + " + ".join(
        f"{w}*exp({v})" for w, v in zip(weights, names, strict=True)) + ")"
    kernel = ck.compile_hessian(text, wrt=" ".join(names))
    for point in points:
        got = np.asarray(kernel(*point))
        ref = _lse_hessian_reference(
            [str(sp.Rational(w)) if "/" in w else w for w in weights], point)
        for i in range(len(weights)):
            for j in range(len(weights)):
                want = ref[i][j]
                # relative error; below float64's range the result must be ~0
                bound = 1e-12 * abs(want) + mpmath.mpf(1e-300)
                assert abs(mpmath.mpf(float(got[i, j])) - want) <= bound, (
                    text, point, (i, j), got[i, j], want)


def test_float_weight_complement_becomes_softmax_form():
    c = sp.Float(0.3)
    lse = stabilize(sp.log(c * E(a) + c * E(b)))
    assert isinstance(lse, logsumexp)
    # 1 - 0.3*exp(b - lse) = 0.3*exp(a - lse): no 1 - ... left to cancel
    out = stabilize(1 - c * E(b - lse))
    coeff, rest = out.as_coeff_Mul()
    assert isinstance(rest, sp.exp) and rest.args[0] == a - lse
    assert abs(coeff - c) < 1e-15
    # SymPy moves the weight out of exp(b - 1.2039728 - lse) and rounds it
    # (0.299999999999999); the rounded weight must still be recognised
    moved = E(b + sp.log(c) - lse)
    assert moved.as_coeff_Mul()[0] != c
    assert isinstance(stabilize(1 - moved).as_coeff_Mul()[1], sp.exp)
    # a weight that differs beyond rounding is not the softmax complement
    near = stabilize(1 - sp.Float("0.30001") * E(b - lse))
    assert sp.Integer(1) in sp.Add.make_args(near)


def test_numeric_complement_with_other_constants():
    lse = logsumexp(a - sp.log(2), b - sp.log(2))
    assert stabilize(2 - E(b - lse)) == E(a - lse)  # 2*(1 - exp(b - lse)/2)
    assert stabilize(sp.Float(2.0) - E(b - lse)).as_coeff_Mul()[1] == E(a - lse)


# ---- the rewrites themselves ---------------------------------------------

@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (sp.log(1 + E(x)), softplus(x)),
        (E(x) / (1 + E(x)), sigmoid(x)),
        (1 / (1 + E(-x)), sigmoid(x)),
        (sp.log(E(a) + E(b)), logsumexp(a, b)),
        (sp.log(E(a) + E(b) + E(x)), logsumexp(a, b, x)),
        (sp.log(sigmoid(x)), -softplus(-x)),
        (sp.log(1 - sigmoid(x)), -softplus(x)),
        (1 - sigmoid(x), sigmoid(-x)),
        (sp.log(sp.cosh(x)), logcosh(x)),
        (sp.log(1 - p), log1p(-p)),
        (E(a) / (E(a) + E(b)), E(a - logsumexp(a, b))),
        (E(x) / (E(x) + 1) ** 2, dsigmoid(x)),
        (sigmoid(x) * (1 - sigmoid(x)), dsigmoid(x)),
        (sigmoid(-x) ** 2 * sigmoid(x) ** 3, dsigmoid(x) ** 2 * sigmoid(x)),
        (2 * sigmoid(x) + 5 * sigmoid(-x), 5 - 3 * sigmoid(x)),
        (E(x) - 1, expm1(x)),
        (1 - sp.tanh(x) ** 2, 4 * dsigmoid(2 * x)),
        (y / p**2, quotient(quotient(y, p), p)),
        (E(a) * E(-a + b), E(b)),
        (softplus(x) - x, softplus(-x)),
        (sp.DiracDelta(x) * x + 1, sp.Integer(1)),
        (sp.Piecewise((1, x > 0), (0, True)), step(x, 0)),
        (sp.Piecewise((-y, x * y < 1), (0, True)), -y * step(1 - x * y, 0)),
        (sp.Piecewise((x, x >= 2), (0, True)), x * step(x - 2, 1)),
        (sp.Piecewise((x - y, sp.Abs(x - y) < 2), (2 * sp.sign(x - y), True)),
         sp.Min(sp.Max(x - y, -2), 2)),
        (x * sp.sign(x) + 1, sp.Abs(x) + 1),
        (1 / (1 + sp.Abs(x)) - x * sp.sign(x) / (1 + sp.Abs(x)) ** 2,
         (1 + sp.Abs(x)) ** -2),
        # pieces that could overflow keep their masked Piecewise
        (sp.Piecewise((E(x), x < 0), (1, True)),
         sp.Piecewise((E(x), x < 0), (1, True))),
    ],
)
def test_rewrites(expr, expected):
    assert stabilize(expr) == expected


def test_bce_of_sigmoid_gradient_is_residual_times_input():
    # issue 2 row c: the form a person writes, (sigmoid(z) - y)*x
    w1, w2, bb, x1, x2 = sp.symbols("w1 w2 b x1 x2", real=True)
    z = w1 * x1 + w2 * x2 + bb
    loss = -(y * sp.log(sigmoid(z)) + (1 - y) * sp.log(1 - sigmoid(z)))
    g = stabilize(ck.grad(stabilize(loss), [w1, w2, bb]))
    r = sigmoid(z) - y
    assert list(g) == [x1 * r, x2 * r, r]
    # the same from the user's raw exp form
    raw = -(y * sp.log(1 / (1 + E(-z))) + (1 - y) * sp.log(1 - 1 / (1 + E(-z))))
    assert list(stabilize(ck.grad(stabilize(raw), [w1, w2, bb]))) == list(g)


def test_sigmoid_derivative_closed_forms_are_visible():
    d = sp.diff(sigmoid(x), x)
    assert d == sigmoid(x) * (1 - sigmoid(x))
    assert sp.pretty(d, use_unicode=True) == "(1 - σ(x))⋅σ(x)"
    assert sp.latex(d) == r"\left(1 - \sigma\left(x\right)\right) \sigma\left(x\right)"
    assert stabilize(d) == dsigmoid(x)
    assert sp.pretty(stabilize(d), use_unicode=True) == "σ'(x)"


# ---- contract: idempotent, bounded, no simplify ----------------------------

@pytest.mark.parametrize(("label", "expr"), PATTERNS, ids=[p[0] for p in PATTERNS])
def test_idempotent(label, expr):
    once = stabilize(expr)
    assert stabilize(once) == once
    d = stabilize(sp.diff(once, x))
    assert stabilize(d) == d


def test_idempotent_on_library_and_derivatives():
    for name in ck.activations.names():
        e = stabilize(ck.activations.get(name)(x))
        assert stabilize(e) == e, name
        for n in (1, 2):
            d = stabilize(sp.diff(e, x, n))
            assert stabilize(d) == d, (name, n)


def test_bounded_cost_and_no_simplify(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("stabilize must not call simplify")

    for name in ("simplify", "nsimplify", "trigsimp", "powsimp", "together"):
        monkeypatch.setattr(sp, name, forbidden)
    ws = sp.symbols("w0:300", real=True)
    xs = sp.symbols("v0:300", real=True)
    big = sp.Add(*[sp.log(1 + E(w * v)) * (1 - sigmoid(w - v))
                   for w, v in zip(ws, xs, strict=True)])
    t0 = time.perf_counter()
    out = stabilize(big)
    assert time.perf_counter() - t0 < 5.0
    assert not out.has(sp.log) and out.has(softplus)
    deep = x
    for _ in range(40):
        deep = sp.log(1 + E(sp.sin(deep)))
    t0 = time.perf_counter()
    out = stabilize(deep)
    assert time.perf_counter() - t0 < 2.0
    assert out.count(softplus) == 40


def test_piecewise_steps_keep_values_at_kinks():
    pw = sp.Piecewise((x, (x > -1) & (x < 1)), (-1, x <= -1), (1, True))
    k_raw = ck.compile(pw, [x], stable=False)
    k = ck.compile(stabilize(pw), [x], stable=False)
    xs = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])
    np.testing.assert_array_equal(k(xs), k_raw(xs))
    d = ck.compile(stabilize(ck.derivative(stabilize(pw), x)), [x], stable=False)
    np.testing.assert_array_equal(d(xs), [0, 0, 1, 1, 1, 0, 0])


def test_matrices_and_strings():
    m = stabilize(sp.Matrix([[sp.log(1 + E(x)), 1 - sigmoid(x)]]))
    assert isinstance(m, sp.ImmutableMatrix) and m.shape == (1, 2)
    assert list(m) == [softplus(x), sigmoid(-x)]
    assert st.RULES and all(callable(r) for r in st.RULES)


def test_leaves_other_expressions_alone():
    for e in (x**2 + 3 * x, sp.sin(x) * E(x), sp.log(x), sp.log(2 + x**2)):
        assert stabilize(e) == e


# ---- property: rewriting never changes the value ---------------------------

_LEAVES = [x, -x, 2 * x - 1, y, x * y, sp.Rational(1, 3)]
_UNARY = [
    lambda u: sp.log(1 + E(u)),
    lambda u: E(u) / (1 + E(u)),
    lambda u: 1 / (1 + E(-u)),
    sigmoid, lambda u: 1 - sigmoid(u), lambda u: sp.log(sigmoid(u)),
    lambda u: sp.log(sp.cosh(u)), lambda u: 1 - sp.tanh(u) ** 2,
    lambda u: 1 + sp.erf(u), lambda u: E(u) - 1, lambda u: sp.log(E(u) + E(-u)),
    lambda u: E(u) / (E(u) + E(2 * u) + 1),
    lambda u: sp.Piecewise((u, u > 0), (0, True)),
]
_BINARY = [sp.Add, sp.Mul, lambda a, b: a - b, lambda a, b: a / (2 + b**2)]


@hs.composite
def _exprs(draw, depth=3):
    if depth == 0 or draw(hs.booleans()):
        return draw(hs.sampled_from(_LEAVES))
    if draw(hs.booleans()):
        return draw(hs.sampled_from(_UNARY))(draw(_exprs(depth=depth - 1)))
    op = draw(hs.sampled_from(_BINARY))
    return op(draw(_exprs(depth=depth - 1)), draw(_exprs(depth=depth - 1)))


@settings(max_examples=60, deadline=None)
@given(_exprs(), hs.lists(hs.floats(-6, 6), min_size=2, max_size=2))
def test_stabilize_preserves_values(expr, at):
    out = stabilize(expr)
    assert stabilize(out) == out
    syms = [x, y]
    with mpmath.workdps(40):
        f = sp.lambdify(syms, [expr, out], modules="mpmath")
        try:
            v0, v1 = f(*[mpmath.mpf(v) for v in at])
        except (ZeroDivisionError, ValueError):
            return
        if isinstance(v0, mpmath.mpc) or isinstance(v1, mpmath.mpc):
            return
        assert abs(v0 - v1) <= mpmath.mpf(10) ** -25 * (1 + abs(v0)), (expr, out)
