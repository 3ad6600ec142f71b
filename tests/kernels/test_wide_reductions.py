"""n-ary functions of many arguments compile to one flat reduction, not
nested calls (issue 20, item 10: a logsumexp of 250 terms was a
``SyntaxError: too many nested parentheses``); values against mpmath."""

import mpmath
import numpy as np
import pytest
import sympy as sp

import calckit as ck
from calckit.symbolic.losses import softmax_cross_entropy

N = 250


def _mp_lse(values):
    with mpmath.workdps(40):
        return mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(v)) for v in values))


def _points(rng):
    return [
        rng.normal(size=N),
        rng.normal(size=N) * 400 + 600,  # each exp overflows float64
        rng.normal(size=N) * 400 - 900,  # each exp underflows
        np.full(N, 3.0),
    ]


def test_logsumexp_of_250_exponentials(rng):
    xs = sp.symbols(f"x0:{N}", real=True)
    k = ck.compile(sp.log(sum(sp.exp(x) for x in xs)), xs)
    for p in _points(rng):
        assert float(k(*p)) == pytest.approx(float(_mp_lse(p)), rel=1e-14, abs=1e-14)


def test_logsumexp_with_infinities():
    xs = sp.symbols(f"x0:{N}", real=True)
    k = ck.compile(sp.log(sum(sp.exp(x) for x in xs)), xs)
    assert k(*np.full(N, -np.inf)) == -np.inf
    p = np.zeros(N)
    p[7] = np.inf
    assert k(*p) == np.inf
    p[7] = np.nan
    assert np.isnan(k(*p))


def test_softmax_cross_entropy_250_classes_gradient(rng):
    zs = sp.symbols(f"z0:{N}", real=True)
    ys = [0] * N
    ys[3] = 1
    loss = softmax_cross_entropy(ys, zs)
    value = ck.compile(loss, zs)
    grad = ck.compile_grad(loss, zs)
    for p in _points(rng)[:3]:
        lse = _mp_lse(p)
        assert float(value(*p)) == pytest.approx(float(lse - p[3]), rel=1e-13)
        with mpmath.workdps(40):
            want = [float(mpmath.exp(mpmath.mpf(v) - lse)) for v in p]
        want[3] -= 1.0
        np.testing.assert_allclose(grad(*p), want, rtol=1e-12, atol=1e-300)


def test_many_points_broadcast(rng):
    xs = sp.symbols(f"x0:{N}", real=True)
    k = ck.compile(sp.log(sum(sp.exp(x) for x in xs)), xs)
    cols = [rng.normal(size=5) for _ in range(N)]
    got = k(*cols)
    for i in range(5):
        want = float(_mp_lse([c[i] for c in cols]))
        assert got[i] == pytest.approx(want, rel=1e-14)


@pytest.mark.parametrize("fn, ref", [(sp.Max, max), (sp.Min, min)])
def test_max_min_of_300_arguments(fn, ref, rng):
    xs = sp.symbols("x0:300", real=True)
    # unevaluated: SymPy's own Max(...) compares every pair (minutes)
    k = ck.compile(fn(*[x**2 - x for x in xs], evaluate=False), xs)
    p = rng.normal(size=300)
    assert k(*p) == ref(v * v - v for v in p)
