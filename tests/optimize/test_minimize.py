"""Tests of calckit.minimize and calckit.compare."""

import math

import numpy as np
import pytest

import calckit as ck
from calckit import optim
from calckit.errors import (
    CalckitTypeError,
    InvalidParameterError,
    ShapeError,
    UnknownNameError,
)
from calckit.optimize import comparison_table

BOWL = "x**2 + 10*y**2"
ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"
BEALE = (
    "(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2"
)

PROBLEMS = {
    # name: (loss, x0, minimizer, gradient as Python, for an independent check)
    "bowl": (BOWL, [3.0, -2.0], [0.0, 0.0],
             lambda x, y: [2 * x, 20 * y]),
    "rosenbrock": (ROSENBROCK, [-1.2, 1.0], [1.0, 1.0],
                   lambda x, y: [-2 * (1 - x) - 400 * x * (y - x * x),
                                 200 * (y - x * x)]),
    "beale": (BEALE, [1.0, 1.0], [3.0, 0.5],
              lambda x, y: [
                  2 * (1.5 - x + x * y) * (y - 1)
                  + 2 * (2.25 - x + x * y**2) * (y**2 - 1)
                  + 2 * (2.625 - x + x * y**3) * (y**3 - 1),
                  2 * (1.5 - x + x * y) * x
                  + 2 * (2.25 - x + x * y**2) * 2 * x * y
                  + 2 * (2.625 - x + x * y**3) * 3 * x * y**2]),
}

OPTIMIZERS = {
    "sgd": {"lr": 1e-3, "momentum": 0.9},
    "adagrad": {"lr": 0.5},
    "rmsprop": {"lr": 1e-3},
    "adam": {"lr": 2e-2},
    "adamw": {"lr": 2e-2, "weight_decay": 0.0},
    "lion": {"lr": 1e-3},
    "newton": {},
}

# True: must converge (|grad| < tol); None: converges or is reported as not
# converged (first-order methods that crawl along a valley or around a minimum)
MUST_CONVERGE = {
    ("bowl", name): True for name in OPTIMIZERS
} | {
    (p, name): True for p in PROBLEMS for name in ("adam", "adamw", "newton")
}


@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_on_every_problem(name, problem):
    expr, x0, xmin, grad = PROBLEMS[problem]
    tol = 1e-6
    r = ck.minimize(expr, x0=x0, optimizer=name, steps=5000, tol=tol,
                    **OPTIMIZERS[name])
    assert not r.diverged
    assert r.path.shape == (r.nit + 1, 2) and r.losses.shape == (r.nit + 1,)
    np.testing.assert_allclose(r.grad, grad(*r.x), rtol=1e-9, atol=1e-12)
    if r.converged:
        assert np.linalg.norm(grad(*r.x)) < tol
        np.testing.assert_allclose(r.x, xmin, atol=1e-4)
        assert r.message.startswith(f"Converged after {r.nit} step")
    else:
        assert MUST_CONVERGE.get((problem, name)) is None, r.message
        assert r.nit == 5000
        assert r.message.startswith("Did not converge in 5000 steps")
        assert r.fun < 1e-3 * r.losses[0]  # progress was made, and reported


def test_newton_rosenbrock_to_1e_10_within_12_iterations():
    r = ck.minimize(ROSENBROCK, x0=[-1.2, 1.0], optimizer="newton", tol=1e-10)
    assert r.converged and r.nit <= 12 and r.status == "converged"
    x, y = r.x
    g = [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)]
    assert math.hypot(*g) < 1e-10
    np.testing.assert_allclose(r.x, [1.0, 1.0], rtol=1e-12)
    # watchdog: one relaxed full step may raise f (here 4.7 -> 1.4e3), and the
    # next one must bring it below the watched point's Armijo target
    up = np.flatnonzero(np.diff(r.losses) > 0)
    assert len(up) <= 2
    for k in up:
        assert r.losses[k + 2] < r.losses[k]


def test_newton_handles_indefinite_hessian():
    # f = x^4 - x^2 + y^2 starts where d2f/dx2 = 12x^2 - 2 < 0
    r = ck.minimize("x**4 - x**2 + y**2", x0=[0.1, 1.0], optimizer="newton",
                    tol=1e-12)
    assert r.converged
    np.testing.assert_allclose(np.abs(r.x), [1 / math.sqrt(2), 0.0], atol=1e-12)
    assert np.all(np.diff(r.losses) <= 0)


def test_lr_one_oscillates_and_is_reported():
    r = ck.minimize("x**2 + 10", x0=1.0, optimizer="sgd", lr=1.0, steps=200)
    assert not r.converged and not r.diverged and r.nit == 200
    np.testing.assert_array_equal(r.path[:4, 0], [1.0, -1.0, 1.0, -1.0])
    assert "oscillate" in r.message and "smaller lr" in r.message


def test_lr_1_1_diverges_and_names_the_step():
    # x_k = (-1.2)^k x_0; the loss x^2 + 10 overflows at the first k with
    # x_k^2 = inf, computed here independently
    x, k = 1.0, 0
    while math.isfinite(x * x):
        x, k = x - 1.1 * 2 * x, k + 1
    r = ck.minimize("x**2 + 10", x0=1.0, optimizer="sgd", lr=1.1, steps=5000)
    assert r.diverged and not r.converged
    assert r.nit == k - 1
    assert f"appeared at step {k};" in r.message
    assert np.all(np.isfinite(r.path)) and np.isfinite(r.fun)
    assert r.x[0] == r.path[-1, 0] and abs(r.x[0]) > 1e150


def test_lr_1_1_within_fewer_steps_is_reported_as_growing():
    r = ck.minimize("x**2 + 10", x0=1.0, optimizer="sgd", lr=1.1, steps=100)
    assert not r.converged and not r.diverged
    assert "grew" in r.message and "diverging" in r.message


def test_non_finite_start_is_reported_not_raised():
    r = ck.minimize("log(x)", x0=-1.0, optimizer="sgd", lr=0.1)
    assert r.diverged and r.nit == 0 and "at x0" in r.message


def test_trajectory_equals_manual_optimizer_loop():
    expr, x0, _, grad = PROBLEMS["rosenbrock"]
    r = ck.minimize(expr, x0=x0, optimizer="adam", lr=1e-2, steps=50, tol=0.0)
    opt = optim.Adam(lr=1e-2)
    x = np.array(x0)
    state = opt.init(x)
    path = [x]
    for _ in range(50):
        x, state = opt.step(x, np.array(grad(*x)), state)
        path.append(x)
    np.testing.assert_allclose(r.path, path, rtol=1e-12)
    f = [(1 - a) ** 2 + 100 * (b - a * a) ** 2 for a, b in path]
    np.testing.assert_allclose(r.losses, f, rtol=1e-12)


def test_least_squares_over_data_params(rng):
    # per-sample loss (w*x + b - y)^2 averaged over samples = ordinary least squares
    xs = rng.normal(size=40)
    ys = 3.0 * xs - 0.5 + 0.1 * rng.normal(size=40)
    r = ck.minimize("(w*x + b - y)**2", x0=[0.0, 0.0], optimizer="newton",
                    params={"x": xs, "y": ys}, tol=1e-12)
    coef = np.linalg.lstsq(np.c_[xs, np.ones_like(xs)], ys, rcond=None)[0]
    assert r.wrt == ("b", "w")  # data symbols excluded from wrt, sorted by name
    np.testing.assert_allclose(r.x, coef[::-1], rtol=1e-10)
    # the loss and gradient are means over samples, checked by hand at x0
    assert r.losses[0] == pytest.approx(np.mean(ys**2))
    adam = ck.minimize("(w*x + b - y)**2", "w b", x0=[0.0, 0.0], optimizer="sgd",
                       lr=0.1, steps=1, params={"x": xs, "y": ys})
    g0 = [np.mean(-2 * ys * xs), np.mean(-2 * ys)]
    np.testing.assert_allclose(adam.path[1], -0.1 * np.array(g0), rtol=1e-12)


def test_data_params_that_do_not_broadcast():
    with pytest.raises(ShapeError, match="do not broadcast"):
        ck.minimize("(w*x - y)**2", "w", x0=[0.0],
                    params={"x": np.zeros(3), "y": np.zeros(4)})


def test_optimizer_instance_and_kwargs():
    r = ck.minimize(BOWL, x0=[1.0, 1.0], optimizer=optim.SGD(lr=0.04), tol=1e-10)
    assert r.converged and r.optimizer == optim.SGD(lr=0.04)
    with pytest.raises(CalckitTypeError, match="already built"):
        ck.minimize(BOWL, x0=[1.0, 1.0], optimizer=optim.SGD(), lr=0.1)
    with pytest.raises(UnknownNameError, match="Did you mean 'adam'"):
        ck.minimize(BOWL, x0=[1.0, 1.0], optimizer="adma")
    with pytest.raises(InvalidParameterError, match="'lr' parameter of SGD"):
        ck.minimize(BOWL, x0=[1.0, 1.0], optimizer="sgd", lr=-1)


def test_x0_forms_and_errors():
    a = ck.minimize(BOWL, x0={"y": -2.0, "x": 3.0}, optimizer="sgd", lr=0.01,
                    steps=3)
    b = ck.minimize(BOWL, "x y", x0=np.array([3.0, -2.0]), optimizer="sgd",
                    lr=0.01, steps=3)
    np.testing.assert_array_equal(a.path, b.path)
    np.testing.assert_array_equal(a.path[0], [3.0, -2.0])
    with pytest.raises(CalckitTypeError, match="starting point x0"):
        ck.minimize(BOWL)
    with pytest.raises(ShapeError, match="x0 has 3 values but there are 2"):
        ck.minimize(BOWL, x0=[1, 2, 3])
    with pytest.raises(ShapeError, match="missing"):
        ck.minimize(BOWL, x0={"x": 1.0})
    with pytest.raises(InvalidParameterError, match="neither variables"):
        ck.minimize(BOWL, "x", x0=[1.0])
    with pytest.raises(InvalidParameterError, match="'steps' parameter"):
        ck.minimize(BOWL, x0=[1, 1], steps=-1)


def test_zero_steps_and_already_converged():
    r = ck.minimize(BOWL, x0=[1.0, 1.0], steps=0)
    assert r.nit == 0 and not r.converged and r.path.shape == (1, 2)
    r = ck.minimize(BOWL, x0=[0.0, 0.0])
    assert r.converged and r.nit == 0


def test_result_repr_and_str():
    r = ck.minimize(BOWL, x0=[1.0, 1.0], optimizer="newton")
    assert "converged=True" in repr(r)
    text = str(r)
    assert text.startswith("converged: Converged after 1 step:")
    assert "  x: x = " in text and "y = 0" in text and "steps: 1" in text


def test_compare_runs_each_optimizer_and_tabulates():
    runs = ck.compare(
        ROSENBROCK, [-1.2, 1.0],
        {"sgd": {"lr": 1e-3}, "adam": {"lr": 2e-2},
         "adam-slow": {"optimizer": "adam", "lr": 1e-4},
         "newton": optim.Newton()},
        steps=300, tol=1e-6,
    )
    assert list(runs) == ["sgd", "adam", "adam-slow", "newton"]
    assert runs["newton"].converged and not runs["adam-slow"].converged
    assert runs["adam-slow"].optimizer == optim.Adam(lr=1e-4)
    table = comparison_table(runs)
    lines = table.splitlines()
    assert lines[0].split() == ["optimizer", "steps", "converged", "diverged",
                                "loss", "|grad|", "x"]
    assert len(lines) == 6 and lines[5].startswith("newton")
    for word in lines[0].split():  # each header word sits over its rule
        start = lines[0].index(word)
        assert set(lines[1][start : start + len(word)]) == {"-"}
    with pytest.raises(CalckitTypeError):
        ck.compare(BOWL, [1, 1], {"sgd": 0.1})


def test_long_run_path_buffer_grows_and_huge_steps_allocate_nothing_up_front():
    # SGD on x^2 + 10 y^2: x_k = x0 (1 - 2 lr)^k, y_k = y0 (1 - 20 lr)^k
    lr, n = 1e-4, 9000
    r = ck.minimize(BOWL, x0=[3.0, -2.0], optimizer="sgd", lr=lr, steps=n, tol=0.0)
    k = np.arange(n + 1)
    expected = np.c_[3.0 * (1 - 2 * lr) ** k, -2.0 * (1 - 20 * lr) ** k]
    assert r.path.shape == (n + 1, 2)
    np.testing.assert_allclose(r.path, expected, rtol=1e-10)
    np.testing.assert_allclose(r.losses, expected[:, 0] ** 2 + 10 * expected[:, 1] ** 2,
                               rtol=1e-10)
    r = ck.minimize("x**2", x0=[3.0], optimizer="sgd", lr=0.1, steps=10**12)
    assert r.converged and r.path.shape == (r.nit + 1, 1)


def test_callback_sees_every_step_and_can_stop():
    seen = []

    def progress(k, x, loss, gnorm):
        seen.append((k, x, loss, gnorm))
        return k == 5

    r = ck.minimize(BOWL, x0=[3.0, -2.0], optimizer="sgd", lr=0.01,
                    callback=progress)
    assert r.nit == 5 and [s[0] for s in seen] == [1, 2, 3, 4, 5]
    np.testing.assert_array_equal(seen[-1][1], r.x)
    assert seen[-1][2] == r.fun and seen[-1][3] == pytest.approx(r.grad_norm)
    assert r.message.startswith("Stopped by the callback at step 5")
    with pytest.raises(CalckitTypeError, match="callback must be callable"):
        ck.minimize(BOWL, x0=[1.0, 1.0], callback=3)


def test_newton_divergence_hint_does_not_mention_lr():
    # -exp(x^2) is unbounded below: the damped Newton steps run off until the
    # Hessian overflows, which is reported as divergence with a Newton hint
    r = ck.minimize("-exp(x**2)", x0=[1.0], optimizer="newton", steps=200)
    assert r.diverged and not r.converged
    assert "lr" not in r.message and "damping" in r.message


def test_empty_data_is_a_shape_error_not_a_divergence():
    # the mean over no samples used to warn and report "loss is not finite"
    with pytest.raises(ShapeError, match="no samples"):
        ck.minimize("(w*x - y)**2", "w", x0=[0.0],
                    params={"x": np.zeros(0), "y": np.zeros(0)})


def test_newton_names_a_non_finite_hessian():
    # sqrt'' overflows at 1e-300: Newton has no direction there; the message
    # used to blame a non-finite "point"
    r = ck.minimize("sqrt(x) + x", x0=[1e-300], optimizer="newton", steps=20)
    assert r.diverged and r.nit == 0 and r.x[0] == 1e-300
    assert r.message == "Diverged: the Hessian is not finite at x0."


def test_grad_norm_does_not_overflow_for_huge_finite_gradients():
    r = ck.minimize("-exp(x**2)", x0=[1.0], optimizer="newton", steps=200)
    assert np.all(np.isfinite(r.grad))
    assert r.grad_norm == pytest.approx(float(np.max(np.abs(r.grad))))
    assert math.isfinite(r.grad_norm)
    table = comparison_table({"newton": r})
    assert "inf" not in table.splitlines()[2]
