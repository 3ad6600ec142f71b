"""calckit.least_squares: the exact Jacobian, LM / dogleg / Gauss-Newton,
against SciPy's least_squares on problems of Moré, Garbow and Hillstrom."""

import numpy as np
import pytest
import scipy.optimize

import calckit as ck
from calckit import numeric
from calckit.errors import CalckitTypeError, InvalidParameterError, ShapeError
from calckit.optimize._least_squares import compile_residuals

ROSEN = ["10*(y - x**2)", "1 - x"]
MEYER_Y = [34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744, 8261, 7030,
           6005, 5147, 4427, 3820, 3307, 2872]
MEYER = ("a*exp(b/(t + c)) - y", "a b c", [0.02, 4000.0, 250.0],
         {"t": 45.0 + 5.0 * np.arange(1, 17), "y": MEYER_Y})
BARD_Y = [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73,
          0.96, 1.34, 2.10, 4.39]
_U = np.arange(1.0, 16.0)
BARD = ("y - (a + u/(v*b + w*c))", "a b c", [1.0, 1.0, 1.0],
        {"u": _U, "v": 16 - _U, "w": np.minimum(_U, 16 - _U), "y": BARD_Y})
BOX = ("exp(-t*a) - exp(-t*b) - c*(exp(-t) - exp(-10*t))", "a b c",
       [0.0, 10.0, 20.0], {"t": np.arange(1, 11) / 10})
PROBLEMS = {"meyer": MEYER, "bard": BARD, "box": BOX,
            "rosenbrock": (ROSEN, "x y", [-1.2, 1.0], None)}


@pytest.mark.parametrize("name", PROBLEMS)
def test_jacobian_kernel_matches_numeric_jacobian(name):
    residuals, wrt, x0, params = PROBLEMS[name]
    res = compile_residuals(residuals, wrt, params)
    for x in (np.array(x0), np.array(x0) * 1.1 + 0.05):
        est = numeric.jacobian(res.fun, x, method="richardson", full_output=True)
        J_num, err = est
        J = res.jac(x)
        assert np.all(np.abs(J - J_num) <= 10 * err + 1e-9 * np.abs(J).max())


@pytest.mark.parametrize("name", PROBLEMS)
def test_lm_reaches_scipy_lm_cost_with_no_more_jacobians(name):
    residuals, wrt, x0, params = PROBLEMS[name]
    r = ck.least_squares(residuals, wrt, x0, params=params, method="lm")
    res = compile_residuals(residuals, wrt, params)
    s = scipy.optimize.least_squares(res.fun, np.array(x0, float), jac=res.jac,
                                     method="lm")
    assert r.converged
    cost0 = 0.5 * float(res.fun(np.array(x0, float)) @ res.fun(np.array(x0, float)))
    assert r.cost <= s.cost * (1 + 1e-8) + np.finfo(float).eps ** 2 * cost0
    assert r.njev <= s.njev + 1
    np.testing.assert_allclose(r.grad, r.jac.T @ r.fun)


def test_meyer_by_every_method():
    residuals, wrt, x0, params = MEYER
    r = ck.least_squares(residuals, wrt, x0, params=params)
    assert 2 * r.cost == pytest.approx(87.9458, rel=1e-5)
    r = ck.least_squares(residuals, wrt, x0, params=params, method="dogleg",
                         max_nfev=2000)
    assert 2 * r.cost == pytest.approx(87.9458, rel=1e-5)


@pytest.mark.parametrize("method", ["lm", "dogleg", "gauss-newton"])
def test_rosenbrock_from_the_hard_start(method):
    r = ck.least_squares(ROSEN, "x y", [-1.2, 1.0], method=method)
    assert r.converged, r.message
    np.testing.assert_allclose(r.x, [1.0, 1.0], rtol=1e-8)
    assert r.nfev <= 60 and r.status in ("gtol", "ftol", "xtol")
    assert r.message.startswith("Converged")


def test_linear_problem_at_its_solution_stops_at_once():
    t = np.linspace(0, 1, 7)
    r = ck.least_squares("a*t + b - y", "a b", {"a": 2.0, "b": 1.0},
                         params={"t": t, "y": 2 * t + 1})
    assert r.status == "gtol" and r.nit == 0 and r.nfev == 1


def test_bad_arguments_are_named():
    with pytest.raises(InvalidParameterError, match="'method'"):
        ck.least_squares(ROSEN, "x y", [0, 0], method="trf")
    with pytest.raises(InvalidParameterError, match="'ftol'"):
        ck.least_squares(ROSEN, "x y", [0, 0], ftol=2.0)
    with pytest.raises(ShapeError, match="x0 has 3 values"):
        ck.least_squares(ROSEN, "x y", [0, 0, 0])
    with pytest.raises(CalckitTypeError, match="starting point"):
        ck.least_squares(ROSEN, "x y")
    with pytest.raises(InvalidParameterError, match=r"params\['y'\] has a non-finite"):
        ck.least_squares("a*t - y", "a", [1.0], params={"t": [1, 2], "y": [1, np.nan]})
    with pytest.raises(InvalidParameterError, match=r"\['q'\]"):
        ck.least_squares("a*t - q", "a", [1.0], params={"t": [1.0, 2.0]})
    with pytest.raises(CalckitTypeError, match="residuals"):
        ck.least_squares([], "x", [0.0])
