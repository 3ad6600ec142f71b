"""Stable primitives: exact derivatives (checked numerically with mpmath),
NumPy printing that never overflows, mpmath evaluation, printing and
assumptions."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp

import calckit as ck
from calckit.symbolic.functions import (
    dsigmoid,
    log_sigmoid,
    logcosh,
    logsumexp,
    ndtr,
    quotient,
    sigmoid,
    softplus,
)

x, y, z = sp.symbols("x y z", real=True)

# primitive, its definition by elementary functions (evaluated by mpmath)
PRIMITIVES = [
    (sigmoid(x), 1 / (1 + sp.exp(-x))),
    (dsigmoid(x), sp.exp(-x) / (1 + sp.exp(-x)) ** 2),
    (softplus(x), sp.log(1 + sp.exp(x))),
    (ndtr(x), (1 + sp.erf(x / sp.sqrt(2))) / 2),
    (logcosh(x), sp.log(sp.cosh(x))),
    (logsumexp(x, y), sp.log(sp.exp(x) + sp.exp(y))),
    (logsumexp(x, y, z), sp.log(sp.exp(x) + sp.exp(y) + sp.exp(z))),
    (quotient(x, y), x / y),
]
POINTS = [-1000.0, -300.0, -37.0, -5.5, -1.0, -1e-8, 0.0, 1e-8, 0.75, 3.0, 20.0,
          40.0, 300.0, 1000.0]


def _mp(expr, subs, dps=60):
    with mpmath.workdps(dps):
        f = sp.lambdify(sorted(subs, key=str), expr, modules="mpmath")
        return f(*[mpmath.mpf(subs[s]) for s in sorted(subs, key=str)])


def _points(nargs, rng):
    pts = [tuple([p] * nargs) for p in POINTS]
    pts += [tuple(rng.choice(POINTS, nargs)) for _ in range(12)]
    return pts


@pytest.mark.parametrize(("prim", "defn"), PRIMITIVES, ids=lambda e: str(e)[:24])
def test_fdiff_matches_derivative_of_definition(prim, defn, rng):
    syms = sorted(prim.free_symbols, key=str)
    for pt in _points(len(syms), rng)[::3]:
        if isinstance(prim, quotient) and pt[1] == 0:
            continue
        subs = dict(zip(syms, pt, strict=True))
        for s in syms:
            exact = _mp(sp.diff(prim, s).rewrite(sp.exp), subs)
            with mpmath.workdps(60):
                f = sp.lambdify(syms, defn, modules="mpmath")
                def along(t, f=f, s=s, subs=subs):
                    return f(*[t if v == s else mpmath.mpf(subs[v]) for v in syms])

                numeric = mpmath.diff(along, mpmath.mpf(subs[s]))
            assert abs(exact - numeric) <= 1e-25 * (1 + abs(numeric)), (prim, s, pt)


@pytest.mark.parametrize(("prim", "defn"), PRIMITIVES, ids=lambda e: str(e)[:24])
def test_numpy_code_is_stable_and_accurate(prim, defn, rng):
    syms = sorted(prim.free_symbols, key=str)
    pts = np.array(_points(len(syms), rng))
    if isinstance(prim, quotient):
        pts = pts[pts[:, 1] != 0]
    k = ck.compile(prim, syms, stable=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = k(*pts.T)
    for row, g in zip(pts, got, strict=True):
        # 800 digits: the definitions cancel catastrophically in the tails
        ref = float(_mp(defn, dict(zip(syms, row, strict=True)), dps=800))
        if np.isfinite(ref):
            assert g == pytest.approx(ref, rel=1e-13, abs=1e-16), (prim, row)


@pytest.mark.parametrize(("prim", "defn"), PRIMITIVES, ids=lambda e: str(e)[:24])
def test_evalf_50_digits(prim, defn):
    subs = {s: sp.Float("0.37", 60) * (k + 1) for k, s in enumerate(
        sorted(prim.free_symbols, key=str))}
    a = prim.subs(subs).evalf(50)
    b = defn.subs(subs).evalf(50)
    assert abs(a - b) < sp.Float("1e-45") * (1 + abs(b))


def test_evalf_in_the_tails():
    assert sigmoid(sp.Integer(-1000)).evalf(30) == pytest.approx(
        float(mpmath.exp(-1000)) if mpmath.exp(-1000) > 1e-308 else 0.0, abs=1e-300)
    assert str(sigmoid(sp.Integer(-1000)).evalf(5)) == "5.0760e-435"
    assert str(softplus(sp.Integer(-1000)).evalf(5)) == "5.0760e-435"
    assert float(softplus(sp.Integer(1000)).evalf(30)) == 1000.0
    assert float(logsumexp(sp.Integer(1000), sp.Integer(-1000)).evalf(20)) == 1000.0
    assert sigmoid(sp.Float(2.0)).is_Float  # Float arguments evaluate


def test_special_values():
    assert sigmoid(0) == sp.Rational(1, 2) and sigmoid(sp.oo) == 1
    assert sigmoid(-sp.oo) == 0 and softplus(0) == sp.log(2)
    assert softplus(-sp.oo) == 0 and ndtr(0) == sp.Rational(1, 2)
    assert logcosh(0) == 0 and logsumexp(x) == x and quotient(x, 1) == x
    with pytest.raises(ck.InvalidParameterError):
        logsumexp()


def test_closed_form_derivatives():
    assert sp.diff(sigmoid(x), x) == sigmoid(x) * (1 - sigmoid(x))
    assert sp.diff(softplus(x), x) == sigmoid(x)
    assert sp.diff(logsumexp(x, y), y) == sp.exp(y - logsumexp(x, y))
    assert sp.diff(logcosh(x), x) == sp.tanh(x)
    assert sp.diff(log_sigmoid(x), x) == sigmoid(-x)


def test_printing():
    d = sp.diff(sigmoid(x), x)
    assert sp.pretty(d, use_unicode=True) == "(1 - σ(x))⋅σ(x)"
    assert sp.pretty(sigmoid(x), use_unicode=False) == "sigmoid(x)"
    assert sp.latex(d) == r"\left(1 - \sigma\left(x\right)\right) \sigma\left(x\right)"
    assert sp.latex(sigmoid(x) ** 2) == r"\sigma\left(x\right)^{2}"
    assert sp.latex(softplus(x)) == r"\operatorname{softplus}\left(x\right)"
    assert sp.latex(ndtr(x)) == r"\Phi\left(x\right)"
    assert sp.latex(quotient(x, y)) == r"\frac{x}{y}"
    assert str(logsumexp(x, y)) == "logsumexp(x, y)"


def test_assumptions():
    assert sigmoid(x).is_real and sigmoid(x).is_positive
    assert softplus(x).is_positive and ndtr(x).is_positive
    assert logsumexp(x, y).is_real and logcosh(x).is_nonnegative
    u = sp.Symbol("u")  # no assumptions: unknown
    assert sigmoid(u).is_real is None


def test_numpy_source_uses_stable_functions():
    src = ck.compile([sigmoid(x), softplus(x), logsumexp(x, y, z), ndtr(x)],
                     [x, y, z], stable=False).source
    for name in ("scipy.special.expit", "numpy.logaddexp", "scipy.special.ndtr"):
        assert name in src
    f = sp.lambdify([x], softplus(x), modules=["scipy", "numpy"])
    assert f(1000.0) == 1000.0
