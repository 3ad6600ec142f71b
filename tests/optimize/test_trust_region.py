"""Second-order methods through calckit.minimize: trust-exact, trust-ncg
(compiled Hessian-vector products), newton, lbfgs; one table of methods
crossed with Rosenbrock's easy, hard and at-optimum starts."""

import numpy as np
import pytest
import scipy.optimize

import calckit as ck
from calckit import numeric, optim
from calckit.optim import solve_exact, solve_steihaug  # noqa: F401 - public
from calckit.optimize import compile_hvp

ROSEN = "(1 - x)**2 + 100*(y - x**2)**2"
METHODS = ["newton", "trust-exact", "trust-ncg", "lbfgs"]
STARTS = {"easy": [2.0, 2.0], "hard": [-1.2, 1.0], "optimum": [1.0, 1.0]}
EXTRA = {"lbfgs": {"line_search_fn": "strong_wolfe", "tolerance_change": 1e-15,
                   "max_iter": 1, "max_eval": 25,
                   "tolerance_grad": 1e-12}}


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("method", METHODS)
def test_rosenbrock_every_start(method, start):
    r = ck.minimize(ROSEN, "x y", x0=STARTS[start], optimizer=method,
                    steps=300, tol=1e-8, **EXTRA.get(method, {}))
    np.testing.assert_allclose(r.x, [1.0, 1.0], rtol=1e-6)
    assert r.fun < 1e-12 and r.status in ("converged", "flat", "no progress")
    if start == "optimum":
        assert r.nit == 0 and r.nfev == 1
    assert r.nfev <= 10 * max(r.nit, 1)


def test_trust_exact_iterations_match_scipy_on_rosenbrock():
    r = ck.minimize(ROSEN, "x y", x0=[-1.2, 1.0], optimizer="trust-exact", tol=1e-8)
    s = scipy.optimize.minimize(scipy.optimize.rosen, [-1.2, 1.0],
                                jac=scipy.optimize.rosen_der,
                                hess=scipy.optimize.rosen_hess, method="trust-exact",
                                options={"gtol": 1e-8})
    assert r.converged and abs(r.nit - s.nit) <= 3
    assert r.nhev <= r.nit + 1  # rejected steps reuse the Hessian


@pytest.mark.parametrize("expr, wrt, point", [
    (ROSEN, "x y", [-1.2, 1.0]),
    ("exp(a*b) + sin(c)*a**3 + log(1 + b**2)*c", "a b c", [0.3, -0.7, 1.1]),
])
def test_hvp_kernel_matches_numeric_hessian_times_v(expr, wrt, point):
    k = compile_hvp(expr, wrt)
    g = ck.compile_grad(expr, wrt)
    x = np.array(point)
    rng = np.random.default_rng(3)
    for v in rng.standard_normal((3, x.size)):
        H_num, err = numeric.jacobian(lambda z: g(*z), x, method="richardson",
                                      full_output=True)
        hv = k(*x, *v)
        assert np.all(np.abs(hv - H_num @ v) <= 10 * np.abs(err) @ np.abs(v) + 1e-9)


def test_hvp_with_data_is_the_mean_over_samples():
    xs = np.array([0.0, 1.0, 2.0, 3.0])
    r = ck.minimize("(w*x + b - y)**2", "w b", x0=[0, 0], optimizer="trust-ncg",
                    params={"x": xs, "y": 2 * xs + 1}, tol=1e-10)
    assert r.converged
    np.testing.assert_allclose(r.x, [2.0, 1.0], rtol=1e-9)


def test_exact_subproblem_agrees_with_a_dense_search():
    # a random indefinite 2 x 2 model: the solution beats every boundary point
    rng = np.random.default_rng(0)
    for _ in range(20):
        A = rng.standard_normal((2, 2))
        H = A + A.T
        g = rng.standard_normal(2)
        p, edge = solve_exact(H, g, 1.0)
        angles = np.linspace(0, 2 * np.pi, 2000)
        q = np.stack([np.cos(angles), np.sin(angles)], axis=1)
        best = float(np.min(q @ g + 0.5 * np.einsum("ij,jk,ik->i", q, H, q)))
        assert np.linalg.norm(p) <= 1.0 + 1e-9
        assert g @ p + 0.5 * p @ H @ p <= best + 1e-3


def test_steihaug_stops_on_negative_curvature_at_the_boundary():
    H = np.diag([1.0, -1.0])
    p, edge = solve_steihaug(lambda v: H @ v, np.array([1.0, 1.0]), 2.0)
    assert edge and np.linalg.norm(p) == pytest.approx(2.0)


def test_rejected_steps_return_the_same_params_object():
    opt = optim.TrustExact(initial_trust_radius=100.0)
    f = lambda z: float((1 - z[0]) ** 2 + 100 * (z[1] - z[0] ** 2) ** 2)  # noqa: E731
    x = np.array([-1.2, 1.0])
    g = np.array([-215.6, -88.0])
    H = np.array([[1330.0, 480.0], [480.0, 200.0]])
    x1, st = opt.step(x, g, opt.init(x), hessian=H, fun=f)
    if not st.accepted:
        assert x1 is x and st.radius < 100.0
    else:
        assert f(x1) < f(x)
