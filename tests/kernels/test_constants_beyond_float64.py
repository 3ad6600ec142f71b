"""Constants beyond the float64 range (issue 20, items 5 and 9): a kernel
never prints a bare ``inf`` (NameError) nor multiplies ``inf*0`` (nan); a
coefficient out of range scales its product exactly, as NumPy rounds."""

import mpmath
import numpy as np
import pytest
import sympy as sp

import calckit as ck


def test_exp_to_a_huge_power_is_one_at_zero():
    k = ck.compile("exp(x)**(10**3000)")
    assert k(0.0) == 1.0
    assert k(-0.0) == 1.0
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(k(np.array([-1.0, 1e-300])), [0.0, np.inf])


def test_gradient_of_exp_to_a_huge_power():
    k = ck.compile_grad("exp(x)**(10**3000)")
    with np.errstate(over="ignore"):
        assert k(0.0)[0] == np.inf  # 10**3000 itself overflows
        assert k(-1.0)[0] == 0.0  # 10**3000 * exp(-10**3000)


def test_huge_coefficient_overflows_like_numpy_no_name_error():
    k = ck.compile("x*10**400/3")
    with np.errstate(over="ignore"):
        got = k(np.array([1.0, -2.0, 0.0]))
    np.testing.assert_array_equal(got, [np.inf, -np.inf, 0.0])
    # a tiny argument brings the product back into range: exact, not inf*x
    for x in (1e-300, -1e-320):  # normal, subnormal
        with mpmath.workdps(50):
            want = float(mpmath.mpf(x) * mpmath.mpf(10) ** 400 / 3)
        assert k(x) == pytest.approx(want, rel=1e-14)


@pytest.mark.parametrize("text, x", [
    ("x*10**(-400)/3", 1e300),
    ("x*10**(-400)*sqrt(2)", 1e300),
    ("x*10**(-330)", 1e20),
    ("x*10**350*pi", 1e-320),
    ("2*10**400*x + 2*10**400*y", 1e-330),
])
def test_out_of_range_coefficients_match_mpmath(text, x):
    e = ck.parse(text)
    syms = sorted(e.free_symbols, key=str)
    args = [x] * len(syms)
    with mpmath.workdps(50):
        want = float(e.xreplace({s: sp.Rational(x) for s in syms}).evalf(50))
    got = ck.compile(e, syms)(*args)
    assert got == pytest.approx(want, rel=1e-12)


def test_standalone_huge_constants_are_inf():
    k = ck.compile(["10**400/3 + x", "-10**400/7", "10**(-400)"], ["x"])
    np.testing.assert_array_equal(k(1.0), [np.inf, -np.inf, 0.0])
