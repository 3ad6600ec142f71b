"""Issue 20 item 6: products with exp(-u) and differences of exponentials
compile to finite, right values and derivatives over [-1000, 1000],
checked against 50-digit mpmath."""

import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp

import calckit as ck

X = np.concatenate([np.linspace(-1000, 1000, 81), [-745.0, -710.0, -1e-9, 0.0, 1e-9,
                                                   709.0, 710.0, 745.0]])
x = sp.Symbol("x", real=True)

FAMILIES = {
    "exp(-x)*log(1 + exp(x))": lambda t: mpmath.log1p(mpmath.exp(t)) * mpmath.exp(-t),
    "log(exp(x) - exp(x - 1))": lambda t: mpmath.log(mpmath.exp(t) - mpmath.exp(t - 1)),
    "3*exp(-2*x)*log(1 + exp(2*x))": lambda t: 3 * mpmath.log1p(mpmath.exp(2 * t))
    * mpmath.exp(-2 * t),
    "log(exp(2*x) - exp(x))": lambda t: mpmath.log(mpmath.exp(2 * t) - mpmath.exp(t)),
}


def _exact(f, n, t):
    with mpmath.workdps(50):
        return float(mpmath.diff(f, mpmath.mpf(t), n) if n else f(mpmath.mpf(t)))


@pytest.mark.parametrize("text", list(FAMILIES))
def test_value_and_derivatives_agree_with_mpmath(text):
    f = FAMILIES[text]
    pts = X if "exp(2*x) - exp(x)" not in text else X[X > 0]  # log's domain
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow / invalid warnings
        got = [ck.compile(text)(pts), ck.compile_grad(text)(pts)[..., 0],
               ck.compile_hessian(text)(pts)[..., 0, 0]]
    for n, values in enumerate(got):
        assert np.all(np.isfinite(values)), (n, pts[~np.isfinite(values)])
        want = np.array([_exact(f, n, t) for t in pts])
        np.testing.assert_allclose(values, want, rtol=1e-11, atol=1e-14,
                                   err_msg=f"derivative {n} of {text}")


def test_the_rewrites_are_the_stable_forms():
    from calckit.symbolic._exp_rules import softplus_exp_neg
    from calckit.symbolic.stable import stabilize

    assert stabilize(ck.parse("exp(-x)*log(1 + exp(x))")) == softplus_exp_neg(x)
    out = stabilize(ck.parse("log(exp(x) - exp(x - 1))"))
    assert not out.has(sp.exp(x))
