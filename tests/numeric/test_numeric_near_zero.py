"""calckit.numeric at the edges found by the adversarial pass (issue 20, item 8):
constants at tiny x, complex-valued f under the complex step, complex x,
and f varying on the scale 1 near x = 0 (compared with numdifftools)."""

import numpy as np
import pytest

from calckit import numeric
from calckit.errors import CalckitTypeError, NumericError


@pytest.mark.parametrize("method", numeric.HESSIAN_METHODS)
def test_hessian_of_a_constant_at_a_tiny_point_is_zero_with_a_finite_error(method):
    H, err = numeric.hessian(lambda v: 1.0 + 0 * v[..., 0], [1e-290],
                             method=method, full_output=True)
    assert np.all(np.isfinite(H)) and np.all(np.isfinite(err))
    assert np.all(H == 0.0) and np.all(err < 1e-6)
    # without error estimates too (it was nan)
    H = numeric.hessian(lambda v: 1.0 + 0 * v[..., 0], [1e-290], method=method)
    assert np.all(H == 0.0)


@pytest.mark.parametrize("call", [
    lambda: numeric.derivative(lambda t: np.exp(1j * t), 1.0, method="complex"),
    lambda: numeric.gradient(lambda v: np.exp(1j * v[..., 0]) * v[..., 1],
                             [1.0, 2.0], method="complex"),
    lambda: numeric.hessian(lambda v: np.exp(1j * v[..., 0]) * v[..., 1],
                            [1.0, 2.0], method="complex"),
    lambda: numeric.jacobian(lambda v: (1 + 2j) * v, [1.0, 2.0], method="complex"),
], ids=["derivative", "gradient", "hessian", "jacobian"])
def test_complex_step_refuses_a_complex_valued_f(call):
    with pytest.raises(NumericError, match="complex-valued"):
        call()


def test_complex_step_still_works_at_zeros_of_a_real_f():
    # Im f(x + ih) is as large as f near a zero of f: rechecked, then accepted
    d, err = numeric.derivative(np.sin, [0.0, np.pi], method="complex",
                                full_output=True)
    np.testing.assert_allclose(d, np.cos([0.0, np.pi]), rtol=1e-15)
    assert np.all(np.abs(d - np.cos([0.0, np.pi])) <= err)


@pytest.mark.parametrize("call", [
    lambda x: numeric.derivative(np.sin, x),
    lambda x: numeric.gradient(lambda v: v[..., 0] ** 2, x),
    lambda x: numeric.jacobian(lambda v: v ** 2, x),
    lambda x: numeric.hessian(lambda v: v[..., 0] ** 2, x),
], ids=["derivative", "gradient", "jacobian", "hessian"])
@pytest.mark.parametrize("x", [np.array([1 + 2j]), [1 + 2j], [1.0 + 0j]])
def test_a_complex_point_is_refused_not_cast(call, x):
    with pytest.raises(CalckitTypeError, match=r"x must be real; got complex"):
        call(x)


@pytest.mark.parametrize("method", ["central", "richardson"])
@pytest.mark.parametrize("x, n", [(2.2e-14, 2), (2.2e-14, 1), (1e-5, 2), (1e-100, 2)])
def test_f_varying_on_the_scale_one_is_resolved_near_zero(method, x, n):
    nd = pytest.importorskip("numdifftools")
    d, err = numeric.derivative(np.cos, x, n=n, method=method, full_output=True)
    exact = -np.cos(x) if n == 2 else -np.sin(x)
    peer = nd.Derivative(np.cos, n=n)(x)
    assert abs(peer - exact) <= 1e-8  # numdifftools resolves it
    assert abs(d - exact) <= err  # an honest error estimate
    assert err < 1e-4  # and a resolved one (it was 0 +- 8e15)


def test_the_domain_edge_keeps_steps_that_follow_x():
    # log at 1e-150 varies on the scale 1e-150: steps of max(|x|, 1) leave
    # the domain, so the |x|-scaled estimate stays
    d, err = numeric.derivative(np.log, 1e-150, full_output=True)
    assert d == pytest.approx(1e150, rel=1e-8) and err < 1e-6 * d
    H, herr = numeric.hessian(lambda v: np.log(v[..., 0]), [1e-150],
                              method="richardson", full_output=True)
    assert H[0, 0] == pytest.approx(-1e300, rel=1e-8)


@pytest.mark.parametrize("method", ["central", "richardson"])
@pytest.mark.parametrize("n", [1, 2])
def test_an_overflow_next_to_a_pole_is_not_replaced_by_wide_steps(method, n):
    # d^n/dx^n 1/x at 1e-300 is beyond float64 (+-1e600): wide steps across
    # the pole would give finite nonsense (24434 +- 455 for richardson, n=1)
    sign = -1.0 if n == 1 else 1.0
    with np.errstate(all="ignore"):
        d, err = numeric.derivative(lambda t: 1 / t, 1e-300, n=n, method=method,
                                    full_output=True)
        assert d == sign * np.inf
        assert numeric.derivative(lambda t: 1 / t, 1e-300, n=n,
                                  method=method) == sign * np.inf


# --- the near-0 recheck by default (without full_output) -------------------


@pytest.mark.parametrize("f, x, n, exact", [
    (np.cos, 2.2e-14, 2, -1.0),  # was 0 (+- 8e15) without full_output
    (np.sin, 1e-20, 1, 1.0),
    (np.cos, 1e-100, 2, -1.0),
])
def test_the_default_call_resolves_f_varying_on_the_scale_one_near_zero(f, x, n, exact):
    assert numeric.derivative(f, x, n=n) == pytest.approx(exact, abs=1e-6)
    # an array mixing tiny and ordinary entries: each as alone
    xs = np.array([x, 0.5, -x, 0.0])
    d = numeric.derivative(f, xs, n=n)
    alone = [numeric.derivative(f, v, n=n) for v in xs]
    np.testing.assert_array_equal(d, alone)
    assert d[0] == pytest.approx(exact, abs=1e-6)


def test_the_default_call_agrees_with_numdifftools_near_zero():
    nd = pytest.importorskip("numdifftools")
    peer = nd.Derivative(np.cos, n=2)(2.2e-14)
    assert numeric.derivative(np.cos, 2.2e-14, n=2) == pytest.approx(peer, abs=1e-6)


@pytest.mark.parametrize("method", ["central", "richardson", "complex"])
def test_the_default_hessian_resolves_f_varying_on_the_scale_one_near_zero(method):
    H = numeric.hessian(lambda v: np.cos(v[..., 0]), [2.2e-14], method=method)
    assert H[0, 0] == pytest.approx(-1.0, abs=1e-6)  # central gave 0
    g = numeric.gradient(lambda v: np.sin(v[..., 0]) + v[..., 1] ** 2,
                         [1e-20, 3.0], method="central" if method == "complex"
                         else method)
    np.testing.assert_allclose(g, [1.0, 6.0], rtol=1e-6)


def test_the_default_call_keeps_the_domain_edge():
    assert numeric.derivative(np.log, 1e-150) == pytest.approx(1e150, rel=1e-8)
    assert numeric.derivative(np.log, 1e-150, n=2) == pytest.approx(-1e300, rel=1e-6)
    H = numeric.hessian(lambda v: np.log(v[..., 0]), [1e-150])
    assert H[0, 0] == pytest.approx(-1e300, rel=1e-6)


def _counting(f):
    sizes = []

    def wrapped(t):
        sizes.append(np.size(t))
        return f(t)

    return wrapped, sizes


@pytest.mark.parametrize("method, points", [("central", 3), ("richardson", 13)])
def test_an_ordinary_point_costs_no_extra_evaluation(method, points):
    # cos'' at 0.5: the stencil alone (3 points in one call for central), as
    # with the recheck off (an explicit scale takes the same steps)
    f, sizes = _counting(np.cos)
    d = numeric.derivative(f, 0.5, n=2, method=method)
    assert d == pytest.approx(-np.cos(0.5), rel=1e-6)
    g, plain = _counting(np.cos)
    numeric.derivative(g, 0.5, n=2, method=method, scale=0.5)
    assert sizes == plain
    if method == "central":
        assert sizes == [points]
    # the same for the Hessian and gradient at an ordinary point
    for call in (numeric.hessian, numeric.gradient):
        f, sizes = _counting(lambda v: np.cos(v[..., 0]))
        call(f, [0.5], method=method)
        g, plain = _counting(lambda v: np.cos(v[..., 0]))
        call(g, [0.5], method=method, scale=0.5)
        assert sizes == plain
