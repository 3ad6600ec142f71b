"""ck.minimize(optimizer="newton") on problems of Moré, Garbow and Hillstrom
(1981) where the old damping and line search failed."""

import numpy as np
import pytest

import calckit as ck

MEYER_Y = [34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744, 8261, 7030,
           6005, 5147, 4427, 3820, 3307, 2872]
MEYER = " + ".join(f"(a*exp(b/({45 + 5 * i} + c)) - {y})**2"
                   for i, y in enumerate(MEYER_Y, start=1))


def rank_1(m=20, n=10, zero=False):
    """MGH 33 (rank 1) or 34 (rank 1 with zero columns and rows)."""
    if zero:
        s = " + ".join(f"{j}*x{j}" for j in range(2, n))
        terms = ["1", "1"] + [f"({i - 1}*({s}) - 1)**2" for i in range(2, m)]
        fstar = (m * m + 3 * m - 6) / (2 * (2 * m - 3))
    else:
        s = " + ".join(f"{j}*x{j}" for j in range(1, n + 1))
        terms = [f"({i}*({s}) - 1)**2" for i in range(1, m + 1)]
        fstar = m * (m - 1) / (2 * (2 * m + 1))
    return " + ".join(terms), [f"x{j}" for j in range(1, n + 1)], fstar


def test_meyer_reaches_the_table_minimum():
    r = ck.minimize(MEYER, "a b c", x0=[0.02, 4000.0, 250.0], optimizer="newton",
                    steps=500, tol=1e-10)
    assert r.fun == pytest.approx(87.9458, rel=1e-5)
    assert r.status in ("converged", "flat") and not r.diverged
    assert r.nit < 200 and r.nfev <= 10 * r.nit
    if r.status == "flat":
        assert "no longer decreases beyond its rounding" in r.message
        assert f"gradient norm reached {r.grad_norm:.3g}" in r.message


@pytest.mark.parametrize("zero", [False, True])
def test_rank_1_problems_stop_in_few_evaluations(zero):
    expr, wrt, fstar = rank_1(zero=zero)
    r = ck.minimize(expr, wrt, x0=[1.0] * 10, optimizer="newton", steps=1000,
                    tol=1e-10)
    assert r.fun == pytest.approx(fstar, rel=1e-12)
    assert r.status in ("flat", "converged")
    assert r.nit <= 6 and r.nfev <= 15  # was thousands of steps of 2**-27


def test_rosenbrock_within_12_iterations_and_hessian_checked():
    expr = "(1 - x)**2 + 100*(y - x**2)**2"
    H = ck.compile_hessian(expr, "x y")
    g = ck.compile_grad(expr, "x y")
    x = np.array([-1.2, 1.0])
    num = ck.numeric.jacobian(lambda z: g(*z), x, method="richardson")
    np.testing.assert_allclose(H(*x), num, rtol=1e-9)
    r = ck.minimize(expr, "x y", x0=[-1.2, 1.0], optimizer="newton", tol=1e-10)
    assert r.converged and r.nit <= 12
