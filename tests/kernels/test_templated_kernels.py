"""Gradient and Hessian kernels through templates, inner sums and products
(calckit.kernels.templated, calckit.kernels.products), checked against
SymPy's own ``diff`` evaluated in mpmath and against the plain path."""

import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import calckit as ck
from calckit.errors import CalckitTypeError, ShapeError
from calckit.kernels.templated import TemplatedKernel
from calckit.symbolic import derive
from calckit.symbolic.stable import stabilize

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import mgh_problems as mgh  # noqa: E402

PANEL = {  # smaller sizes: 8 or more terms of one shape, as the fast path needs
    "gulf": lambda: mgh.gulf(9),
    "osborne1": lambda: mgh.osborne1(9),
    "osborne2": lambda: mgh.osborne2(9),
    "watson": lambda: mgh.watson(3),
    "rosenbrock": lambda: mgh.rosenbrock(10),
    "logistic": lambda: mgh.logistic(5),
    "sines": lambda: mgh.sines(9),
}


def mp_reference(expr, kind, wrt, params, point):
    """SymPy ``diff`` (independent of calckit's derive) evaluated in mpmath
    at 40 digits; DiracDelta (of Abs'') is 0 away from the kinks."""
    syms = (*wrt, *params)
    exprs = [expr.diff(v) for v in wrt]
    if kind != "grad":
        exprs = [g.diff(b) for g in exprs for b in wrt]
    fn = sp.lambdify(syms, exprs, modules=[{"DiracDelta": lambda *a: 0}, "mpmath"])
    with mpmath.workdps(40):
        vals = fn(*[mpmath.mpf(float(v)) for v in point])
        out = np.array([float(v) for v in vals])
    n = len(wrt)
    return out if kind == "grad" else out.reshape(n, n)


def plain(expr, kind, wrt, params):
    """The kernel the plain path compiles (what ``_derived`` did before)."""
    e = stabilize(expr)
    w = list(wrt)
    d = list(derive.grad(e, w)) if kind == "grad" else derive.hessian(e, w)
    return ck.compile(d, wrt, params, stable=True)


def point_of(p):
    x = [float(v) + 0.05 * k % 0.3 for k, v in enumerate(p.x0)]
    return x + mgh.param_values(p, 1, seed=3)


SLOW = {"osborne2", "watson", "gulf", "osborne1"}  # the references take seconds


@pytest.mark.parametrize("kind", ["grad", "hessian"])
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW
                                  else n for n in PANEL])
def test_panel_kernels_match_mpmath_and_the_plain_path(name, kind):
    p = PANEL[name]()
    make = ck.compile_grad if kind == "grad" else ck.compile_hessian
    k = make(p.expr, p.wrt, p.params)
    assert isinstance(k, TemplatedKernel), "the fast path is taken"
    at = point_of(p)
    want = mp_reference(p.expr, kind, p.wrt, p.params, at)
    got = k(*at)
    scale = max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-12 * scale)
    np.testing.assert_allclose(got, plain(p.expr, kind, p.wrt, p.params)(*at),
                               rtol=1e-11, atol=1e-12 * scale)
    if kind == "hessian":
        assert np.array_equal(got, np.swapaxes(got, -1, -2))


@pytest.mark.parametrize("name", ["gulf", "rosenbrock", "logistic", "sines"])
def test_many_points_and_broadcasting_match_point_by_point(name, rng):
    p = PANEL[name]()
    k = ck.compile_hessian(p.expr, p.wrt, p.params)
    base = point_of(p)
    # the first variable varies over a (4, 3) grid, the rest are scalars,
    # parameters vary along the last axis
    first = base[0] + 0.01 * rng.standard_normal((4, 3))
    args = [first] + base[1:len(p.wrt)]
    args += [v + 0.1 * rng.standard_normal(3) for v in base[len(p.wrt):]]
    out = k(*args)
    n = len(p.wrt)
    assert out.shape == (4, 3, n, n)
    for i in (0, 3):
        for j in (0, 2):
            one = [first[i, j]] + base[1:n] + [a[j] for a in args[n:]]
            np.testing.assert_allclose(out[i, j], k(*one), rtol=1e-13, atol=1e-13)


def test_large_inputs_are_evaluated_block_by_block_identically(rng):
    p = mgh.osborne1(33)
    kg = ck.compile_grad(p.expr, p.wrt)
    xs = [v + 0.01 * rng.standard_normal(3000) for v in p.x0]
    out = kg(*xs)  # 3000 points * 32 rows: several blocks
    for i in (0, 1234, 2999):
        np.testing.assert_allclose(out[i], kg(*[x[i] for x in xs]), rtol=1e-13)


def test_kernel_attributes_and_lazy_entries():
    p = PANEL["osborne1"]()
    k = ck.compile_grad(p.expr, p.wrt)
    assert k.signature == tuple(s.name for s in p.wrt) and k.expr_shape == (5,)
    assert "grad of" in repr(k) and k.templates
    ref = plain(p.expr, "grad", p.wrt, ())
    assert k.entries == ref.entries  # computed when read, as the plain path
    assert tuple(k.exprs) == tuple(ref.exprs)
    assert ck.compile_grad(p.expr, p.wrt) is k  # cached like any kernel


def test_bad_calls_get_calckit_errors():
    p = PANEL["rosenbrock"]()
    k = ck.compile_hessian(p.expr, p.wrt)
    with pytest.raises(CalckitTypeError, match="takes 10 arguments"):
        k(1.0, 2.0)
    with pytest.raises(CalckitTypeError, match="x3"):
        k(*([1.0, 1.0, "a"] + [1.0] * 7))
    with pytest.raises(ShapeError, match="broadcast"):
        k(*([np.ones(2), np.ones(3)] + [1.0] * 8))


def test_complex_dtype_and_small_sums_take_the_plain_path():
    x, y = sp.symbols("x y", real=True)
    big = sp.Add(*[(x - k * y) ** 2 for k in range(1, 12)])
    assert not isinstance(ck.compile_grad(big, [x, y], dtype=complex), TemplatedKernel)
    small = sp.Add(*[(x - k * y) ** 2 for k in range(1, 4)])
    assert not isinstance(ck.compile_grad(small, [x, y]), TemplatedKernel)


def test_terms_combined_by_a_stable_rewrite_take_the_plain_path():
    # sigmoid(u) + sigmoid(-u) style rewrites combine top-level terms: such a
    # sum must not be split term by term
    x, y = sp.symbols("x y", real=True)
    f = sp.Add(*[(x - k) ** 2 for k in range(1, 10)]) + sp.exp(x) / (1 + sp.exp(x))
    k = ck.compile_grad(f, [x, y])
    assert not isinstance(k, TemplatedKernel)


# -- hypothesis: sums mixing templated terms, loners, duplicates, sharing -------
X = sp.symbols("x1:6", real=True)
SHAPES = [
    lambda a, b, u, v: (a * u - b) ** 2,
    lambda a, b, u, v: (sp.exp(a * u) * v - b) ** 2,
    lambda a, b, u, v: (u - a) ** 2 * sp.exp((u - a) / 4),   # shared u - a
    lambda a, b, u, v: sp.log(1 + (u - b) ** 2) * a,
    lambda a, b, u, v: sp.sin(u + a * v) ** 2 + b * u * v,
]
numbers = st.one_of(st.integers(-4, 4).filter(bool),
                    st.fractions(-2, 2, max_denominator=5).filter(bool)
                    .map(sp.Rational),
                    st.floats(-2, 2, allow_nan=False).filter(lambda f: abs(f) > 0.1))


@st.composite
def mixed_sums(draw):
    n = draw(st.integers(2, 5))
    xs = X[:n]
    terms = []
    for _ in range(draw(st.integers(1, 3))):
        shape = draw(st.sampled_from(SHAPES))
        family = []
        for _ in range(draw(st.integers(4, 10))):
            u, v = draw(st.sampled_from(xs)), draw(st.sampled_from(xs))
            family.append(shape(draw(numbers), draw(numbers), u, v))
        terms += family + family[: draw(st.integers(0, 2))]  # duplicates
    terms += draw(st.lists(st.sampled_from([xs[0] ** 3, sp.cos(xs[-1]) ** 2, 7]),
                           max_size=3))
    point = draw(st.lists(st.floats(-1.5, 1.5), min_size=n, max_size=n))
    return sp.Add(*terms), xs, point


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(mixed_sums(), st.sampled_from(["grad", "hessian"]))
def test_mixed_sums_match_mpmath(case, kind):
    f, xs, point = case
    make = ck.compile_grad if kind == "grad" else ck.compile_hessian
    got = make(f, xs)(*point)
    want = mp_reference(f, kind, xs, (), point)
    np.testing.assert_allclose(got, want, rtol=1e-9,
                               atol=1e-10 * max(1.0, float(np.abs(want).max())))


@pytest.mark.slow
@settings(max_examples=10, deadline=None)
@given(st.integers(8, 14), st.lists(st.floats(-2, 2), min_size=14, max_size=14))
def test_long_products_match_mpmath(k, point):
    xs = sp.symbols(f"z1:{k + 1}", real=True)
    f = 3 * sp.Mul(*[sp.sin(v) for v in xs[:-2]]) * sp.exp(xs[-1] * xs[-2])
    point = point[:k]
    point[1] = 0.0  # an exact zero factor: no division anywhere
    for kind, make in (("grad", ck.compile_grad), ("hessian", ck.compile_hessian)):
        want = mp_reference(f, kind, xs, (), point)
        got = make(f, xs)(*point)
        np.testing.assert_allclose(got, want, rtol=1e-10,
                                   atol=1e-12 * max(1.0, float(np.abs(want).max())))


def test_per_sample_losses_with_baked_data_go_through_templates(rng):
    w = sp.symbols("w1:4", real=True)
    data = rng.normal(size=(12, 3)).round(3)
    labels = np.where(rng.random(12) < 0.5, -1, 1)
    def margin(row, y):
        return -int(y) * sum(float(a) * wj for a, wj in zip(row, w, strict=True))

    f = sp.Add(*[sp.log(1 + sp.exp(margin(row, y)))
                 for row, y in zip(data, labels, strict=True)])
    at = [0.3, -0.2, 0.5]
    for kind, make in (("grad", ck.compile_grad), ("hessian", ck.compile_hessian)):
        k = make(f, w)
        assert isinstance(k, TemplatedKernel)
        np.testing.assert_allclose(k(*at), mp_reference(f, kind, w, (), at),
                                   rtol=1e-12, atol=1e-14)
    # a plain term next to the softplus terms: the sum is not split (a stable
    # rewrite could pair them), and the result is still exact
    g = f + w[0] ** 2
    k = ck.compile_grad(g, w)
    assert not isinstance(k, TemplatedKernel)
    np.testing.assert_allclose(k(*at), mp_reference(g, "grad", w, (), at), rtol=1e-12)
