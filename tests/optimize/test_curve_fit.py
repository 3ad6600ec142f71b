"""calckit.curve_fit against scipy.optimize.curve_fit, and plot.fit."""

import warnings

import numpy as np
import pytest
import scipy.optimize

import calckit as ck
from calckit.errors import InvalidParameterError, ShapeError
from calckit.optimize import CovarianceWarning

RNG = np.random.default_rng(7)
T = np.linspace(0, 4, 40)
NOISE = 0.02 * RNG.standard_normal(T.size)
Y = 2.5 * np.exp(-1.3 * T) + 0.5 + NOISE

# model, its NumPy form and hand-written Jacobian (for SciPy: its
# finite-difference Jacobian would limit the agreement of pcov to ~1e-5)
CASES = [
    ("a*exp(-b*t) + c", lambda t, a, b, c: a * np.exp(-b * t) + c,
     lambda t, a, b, c: np.stack([np.exp(-b * t), -a * t * np.exp(-b * t),
                                  np.ones_like(t)], axis=1), [1.0, 1.0, 0.0]),
    ("a*t**2 + b*t + c", lambda t, a, b, c: a * t**2 + b * t + c,
     lambda t, a, b, c: np.stack([t**2, t, np.ones_like(t)], axis=1), None),
    ("a*sin(w*t) + c", lambda t, a, c, w: a * np.sin(w * t) + c,
     lambda t, a, c, w: np.stack([np.sin(w * t), np.ones_like(t),
                                  a * t * np.cos(w * t)], axis=1), [1.0, 0.5, 0.8]),
]


@pytest.mark.parametrize("model, f, jac, p0", CASES)
def test_hand_jacobians_match_numeric(model, f, jac, p0):
    p = np.array([1.3, 0.7, 0.4])
    num = ck.numeric.jacobian(lambda q: f(T, *q), p, method="richardson")
    np.testing.assert_allclose(jac(T, *p), num, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("model, f, jac, p0", CASES)
def test_parameters_and_standard_errors_match_scipy(model, f, jac, p0):
    # both solved tightly, so that their stopping tests do not limit the
    # agreement of the standard errors
    y = f(T, *(p0 or [0.3, -1.0, 2.0])) * 1.7 + NOISE
    tight = {"ftol": 1e-13, "xtol": 1e-13, "gtol": 1e-13}
    fit = ck.curve_fit(model, x="t", xdata=T, ydata=y, p0=p0, **tight)
    popt, pcov = scipy.optimize.curve_fit(f, T, y, p0=p0, jac=jac, **tight)
    np.testing.assert_allclose(fit.popt, popt, rtol=1e-6)
    np.testing.assert_allclose(fit.perr, np.sqrt(np.diag(pcov)), rtol=1e-6)
    np.testing.assert_allclose(fit.pcov, pcov, rtol=1e-5,
                               atol=1e-9 * np.abs(pcov).max())
    assert fit.converged and fit.status in ("gtol", "ftol", "xtol")
    np.testing.assert_allclose(fit.residuals, f(T, *fit.popt) - y, atol=1e-12)
    np.testing.assert_allclose(fit.predict(T), f(T, *fit.popt), rtol=1e-12)


def test_result_reads_well_and_maps_names():
    fit = ck.curve_fit("a*exp(-b*t) + c", x="t", xdata=T, ydata=Y,
                       p0={"a": 1, "b": 1, "c": 0})
    text = repr(fit)
    assert text.splitlines()[0].startswith("CurveFitResult(a*exp(-b*t) + c, x='t'")
    assert "a = 2.5" in text and "+-" in text and "residual sum of squares" in text
    assert set(fit.params) == {"a", "b", "c"} and fit.errors["b"] > 0


def test_bad_data_raises_clear_errors():
    with pytest.raises(InvalidParameterError, match=r"ydata has 1 non-finite.*index 3"):
        ck.curve_fit("a*t + b", x="t", xdata=[0, 1, 2, 3], ydata=[1, 2, 3, np.nan])
    with pytest.raises(InvalidParameterError, match="xdata has 1 non-finite"):
        ck.curve_fit("a*t + b", x="t", xdata=[0, np.inf, 2], ydata=[1, 2, 3])
    with pytest.raises(ShapeError, match="xdata has 3 points but ydata has 2"):
        ck.curve_fit("a*t + b", x="t", xdata=[0, 1, 2], ydata=[1, 2])
    with pytest.raises(ShapeError, match="2 data points cannot determine 3"):
        ck.curve_fit("a*t**2 + b*t + c", x="t", xdata=[0, 1], ydata=[1, 2])
    with pytest.raises(InvalidParameterError, match="does not depend on x"):
        ck.curve_fit("a + b", x="t", xdata=[0, 1, 2], ydata=[1, 2, 3])


def test_indeterminate_covariance_warns_and_is_inf():
    with pytest.warns(CovarianceWarning, match="no degree of freedom"):
        fit = ck.curve_fit("a*t + b", x="t", xdata=[0.0, 1.0], ydata=[1.0, 3.0])
    np.testing.assert_allclose(fit.popt, [2.0, 1.0], atol=1e-10)
    assert np.all(np.isinf(fit.pcov))
    with pytest.warns(CovarianceWarning, match="rank deficient"):
        ck.curve_fit("a*b*t", x="t", xdata=T, ydata=2 * T)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ck.curve_fit("a*t + b", x="t", xdata=T, ydata=2 * T + 1 + 0.01 * np.cos(T))


def test_plot_fit_shows_data_fit_and_residuals():
    pytest.importorskip("matplotlib")
    fit = ck.curve_fit("a*exp(-b*t) + c", x="t", xdata=T, ydata=Y, p0=[1, 1, 0])
    fig = ck.plot.fit(fit)
    top, bottom = fig.axes
    assert len(top.lines) == 2 and top.lines[0].get_label() == "data"
    np.testing.assert_allclose(np.sort(bottom.lines[-1].get_ydata()),
                               np.sort(fit.residuals))
    with pytest.raises(TypeError, match="curve_fit result"):
        ck.plot.fit(object())
