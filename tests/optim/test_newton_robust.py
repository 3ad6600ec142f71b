"""Newton on hard problems of Moré, Garbow and Hillstrom (1981), NumPy only:
scale-invariant damping, the watchdog line search, the rounding-floor stop."""

import numpy as np
import pytest

from calckit import optim

MEYER_Y = np.array([34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744, 8261,
                    7030, 6005, 5147, 4427, 3820, 3307, 2872], dtype=float)
MEYER_T = 45.0 + 5.0 * np.arange(1, 17)


def meyer(x):
    """f, gradient and Hessian of sum r_i^2, r_i = x0 exp(x1/(t_i + x2)) - y_i."""
    u = 1.0 / (MEYER_T + x[2])
    e = np.exp(x[1] * u)
    r = x[0] * e - MEYER_Y
    J = np.stack([e, x[0] * e * u, -x[0] * x[1] * e * u**2], axis=1)
    # second derivatives of r_i
    R = np.zeros((16, 3, 3))
    R[:, 0, 1] = R[:, 1, 0] = e * u
    R[:, 0, 2] = R[:, 2, 0] = -x[1] * e * u**2
    R[:, 1, 1] = x[0] * e * u**2
    R[:, 1, 2] = R[:, 2, 1] = -x[0] * e * u**2 - x[0] * x[1] * e * u**3
    R[:, 2, 2] = x[0] * x[1] * e * (2 * u**3 + x[1] * u**4)
    return r @ r, 2 * J.T @ r, 2 * (J.T @ J + np.einsum("i,ijk->jk", r, R))


def rank_1(x, m=20):
    """MGH 33: r_i = i * sum_j j x_j - 1 (a linear problem of rank 1)."""
    i = np.arange(1, m + 1.0)
    j = np.arange(1, x.size + 1.0)
    J = np.outer(i, j)
    r = J @ x - 1.0
    return r @ r, 2 * J.T @ r, 2 * J.T @ J


def rosenbrock(x):
    a, b = x
    f = (1 - a) ** 2 + 100 * (b - a * a) ** 2
    g = np.array([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)])
    H = np.array([[2 - 400 * b + 1200 * a * a, -400 * a], [-400 * a, 200.0]])
    return f, g, H


def _numeric(fgh, x, h=1e-6):
    """Central differences of f (for g) and of g (for H), relative steps."""
    n = x.size
    g = np.zeros(n)
    H = np.zeros((n, n))
    for k in range(n):
        step = h * max(1.0, abs(x[k]))
        e = np.zeros(n)
        e[k] = step
        g[k] = (fgh(x + e)[0] - fgh(x - e)[0]) / (2 * step)
        H[:, k] = (fgh(x + e)[1] - fgh(x - e)[1]) / (2 * step)
    return g, H


@pytest.mark.parametrize("fgh, x", [
    (meyer, np.array([0.02, 4000.0, 250.0])),
    (meyer, np.array([0.0056, 6181.0, 345.0])),
    (rosenbrock, np.array([-1.2, 1.0])),
    (rank_1, np.linspace(0.5, 1.5, 10)),
])
def test_hand_written_derivatives_match_central_differences(fgh, x):
    g_num, H_num = _numeric(fgh, x)
    _, g, H = fgh(x)
    np.testing.assert_allclose(g, g_num, rtol=1e-6, atol=1e-6 * np.abs(g).max())
    np.testing.assert_allclose(H, H_num, rtol=1e-5, atol=1e-6 * np.abs(H).max())


def drive(fgh, x, steps=500, tol=1e-10):
    """Run Newton the way calckit.minimize does; return x, f, states, evals."""
    opt = optim.Newton()
    state = opt.init(x)
    calls = [0]

    def fun(z):
        calls[0] += 1
        return fgh(z)[0]

    f, g, H = fgh(x)
    states = []
    for _ in range(steps):
        if np.linalg.norm(g) < tol:
            break
        x_new, state = opt.step(x, g, state, hessian=H, fun=fun, value=f)
        states.append(state)
        if state.status in ("flat", "no decrease", "no damping"):
            break
        x = x_new
        f, g, H = fgh(x)
    return x, f, g, states, calls[0]


def test_meyer_reaches_the_table_minimum():
    # the Hessian at x0 has eigenvalues ~ -3e6, 81, 2.3e12: an unscaled
    # damping of 1e-3 max|H_ii| made every step tiny (f = 6.95e6 after 200)
    x, f, g, states, _ = drive(meyer, np.array([0.02, 4000.0, 250.0]))
    assert f == pytest.approx(87.9458, rel=1e-5)
    assert len(states) < 200
    np.testing.assert_allclose(x, [0.0056096, 6181.35, 345.224], rtol=1e-4)


@pytest.mark.parametrize("m", [20, 40])
def test_rank_1_linear_problem_stops_at_the_rounding_floor(m):
    fstar = m * (m - 1) / (2 * (2 * m + 1))
    x, f, g, states, nfev = drive(lambda z: rank_1(z, m), np.ones(10))
    assert f == pytest.approx(fstar, rel=1e-13)
    # its own status, within a handful of steps and evaluations (the old line
    # search accepted steps of 2**-27 at the floor for thousands of them)
    assert states[-1].status == "flat" or np.linalg.norm(g) < 1e-10
    assert len(states) <= 6 and nfev <= 15


def test_rosenbrock_within_12_iterations():
    x, f, g, states, _ = drive(rosenbrock, np.array([-1.2, 1.0]))
    assert np.linalg.norm(g) < 1e-10 and len(states) <= 12
    np.testing.assert_allclose(x, [1.0, 1.0], rtol=1e-12)
    assert "relaxed" in [s.status for s in states]  # the watchdog was used


def test_damping_is_invariant_to_rescaling_the_variables():
    # f(x) = sum r^2 of Meyer in y = x / s: a Newton step must map to the same
    # point, although the Hessian is indefinite and needs damping at x0
    s = np.array([1e-2, 1e3, 1e2])
    x0 = np.array([0.02, 4000.0, 250.0])

    def scaled(y):
        f, g, H = meyer(y * s)
        return f, g * s, H * np.outer(s, s)

    opt = optim.Newton()
    f, g, H = meyer(x0)
    x1, st1 = opt.step(x0, g, opt.init(x0), hessian=H, fun=lambda z: meyer(z)[0])
    fy, gy, Hy = scaled(x0 / s)
    y1, st2 = opt.step(x0 / s, gy, opt.init(x0), hessian=Hy,
                       fun=lambda z: scaled(z)[0])
    assert st1.damping > 0 and st1.damping == pytest.approx(st2.damping, rel=1e-9)
    np.testing.assert_allclose(y1 * s, x1, rtol=1e-8)
