"""Tests of calckit.optim: hand-worked steps, PyTorch parity, validation,
purity, dict parameters, the registry and the import boundary."""

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calckit import optim
from calckit.errors import (
    CalckitTypeError,
    InvalidParameterError,
    ShapeError,
    UnknownNameError,
)


def grad_bowl(x):
    """Gradient of f(x) = sum(x**2)."""
    return 2.0 * x


def run(opt, x0, n=3, grad=grad_bowl):
    x = np.array(x0, dtype=float)
    state = opt.init(x)
    xs = []
    for _ in range(n):
        x, state = opt.step(x, grad(x), state)
        xs.append(x)
    return xs, state


# ---------------------------------------------------------------------------
# First three steps worked out by hand (scalar formulas, independent of the
# code under test), on f(x) = x**2 so that g = 2x.
# ---------------------------------------------------------------------------


def test_sgd_plain_three_steps_by_hand():
    # x <- x - lr * 2x = 0.8 x
    xs, state = run(optim.SGD(lr=0.1), [1.0, -2.0])
    np.testing.assert_allclose(xs, [[0.8, -1.6], [0.64, -1.28], [0.512, -1.024]])
    assert state.count == 3 and state.momentum_buffer is None


def test_sgd_momentum_dampening_decay_three_steps_by_hand():
    lr, mu, tau, wd = 0.1, 0.9, 0.1, 0.1
    # step 1: g = 2*1 + 0.1*1 = 2.1, buffer starts AT the gradient
    g1 = 2.1
    b1 = g1
    x1 = 1.0 - lr * b1  # 0.79
    # step 2: g = 2.1 * 0.79, b = 0.9*b1 + 0.9*g
    g2 = 2.1 * x1
    b2 = mu * b1 + (1 - tau) * g2
    x2 = x1 - lr * b2
    g3 = 2.1 * x2
    b3 = mu * b2 + (1 - tau) * g3
    x3 = x2 - lr * b3
    assert x1 == pytest.approx(0.79)
    assert x2 == pytest.approx(0.79 - 0.1 * (1.89 + 0.9 * 1.659))
    xs, state = run(
        optim.SGD(lr=lr, momentum=mu, dampening=tau, weight_decay=wd), [1.0]
    )
    np.testing.assert_allclose(np.ravel(xs), [x1, x2, x3], rtol=1e-14)
    np.testing.assert_allclose(state.momentum_buffer, [b3], rtol=1e-14)


def test_sgd_nesterov_three_steps_by_hand():
    lr, mu = 0.1, 0.5
    x, b = 1.0, None
    expected = []
    for _ in range(3):
        g = 2 * x
        b = g if b is None else mu * b + g
        x = x - lr * (g + mu * b)
        expected.append(x)
    # step 1 in numbers: g=2, b=2, x = 1 - 0.1*(2 + 1) = 0.7
    assert expected[0] == pytest.approx(0.7)
    xs, _ = run(optim.SGD(lr=lr, momentum=mu, nesterov=True), [1.0])
    np.testing.assert_allclose(np.ravel(xs), expected, rtol=1e-14)


def test_adagrad_three_steps_by_hand():
    lr, lr_decay, s0, eps, wd = 0.5, 0.1, 0.2, 1e-10, 0.05
    x, s = 1.0, s0
    expected = []
    for t in (1, 2, 3):
        g = 2 * x + wd * x
        s = s + g * g
        clr = lr / (1 + (t - 1) * lr_decay)
        x = x - clr * g / (math.sqrt(s) + eps)
        expected.append(x)
    # step 1 in numbers: g = 2.05, s = 0.2 + 4.2025, x = 1 - 0.5*2.05/sqrt(4.4025)
    assert expected[0] == pytest.approx(1 - 0.5 * 2.05 / 4.4025**0.5)
    opt = optim.Adagrad(
        lr=lr, lr_decay=lr_decay, initial_accumulator_value=s0, eps=eps,
        weight_decay=wd,
    )
    xs, state = run(opt, [1.0])
    np.testing.assert_allclose(np.ravel(xs), expected, rtol=1e-14)
    np.testing.assert_allclose(state.sum, [s], rtol=1e-14)


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_rmsprop_three_steps_by_hand(centered, momentum):
    lr, alpha, eps, wd = 0.01, 0.9, 1e-8, 0.1
    x, v, gbar, b = 1.0, 0.0, 0.0, 0.0
    expected = []
    for _ in range(3):
        g = 2 * x + wd * x
        v = alpha * v + (1 - alpha) * g * g
        if centered:
            gbar = alpha * gbar + (1 - alpha) * g
            d = math.sqrt(v - gbar * gbar) + eps
        else:
            d = math.sqrt(v) + eps
        if momentum:
            b = momentum * b + g / d
            x = x - lr * b
        else:
            x = x - lr * g / d
        expected.append(x)
    if not centered:  # step 1: v = 0.1 g^2, x = 1 - 0.01 * g / (sqrt(0.1) |g|)
        assert expected[0] == pytest.approx(1 - 0.01 / math.sqrt(0.1))
    opt = optim.RMSprop(
        lr=lr, alpha=alpha, eps=eps, weight_decay=wd, momentum=momentum,
        centered=centered,
    )
    xs, _ = run(opt, [1.0])
    np.testing.assert_allclose(np.ravel(xs), expected, rtol=1e-13)


def adam_by_hand(x, lr, b1, b2, eps, wd, *, amsgrad, decoupled, variant, steps=3):
    m = v = vmax = 0.0
    out = []
    for t in range(1, steps + 1):
        g = 2 * x
        if decoupled:
            x = x * (1 - lr * wd)
        else:
            g = g + wd * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = max(vmax, v)
        vh = vmax if amsgrad else v
        bc1, bc2 = 1 - b1**t, 1 - b2**t
        if variant == "pytorch":
            x = x - (lr / bc1) * m / (math.sqrt(vh) / math.sqrt(bc2) + eps)
        elif variant == "tensorflow":
            x = x - lr * math.sqrt(bc2) / bc1 * m / (math.sqrt(vh) + eps)
        else:
            x = x - lr * (m / bc1) / math.sqrt(vh / bc2 + eps)
        out.append(x)
    return out


@pytest.mark.parametrize("variant", ["pytorch", "tensorflow", "eps_inside_sqrt"])
@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW])
def test_adam_family_three_steps_by_hand(cls, amsgrad, variant):
    lr, b1, b2, eps, wd = 0.1, 0.8, 0.9, 1e-3, 0.2
    expected = adam_by_hand(
        1.0, lr, b1, b2, eps, wd, amsgrad=amsgrad, decoupled=cls is optim.AdamW,
        variant=variant,
    )
    opt = cls(lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd, amsgrad=amsgrad,
              variant=variant)
    xs, _ = run(opt, [1.0])
    np.testing.assert_allclose(np.ravel(xs), expected, rtol=1e-13)


def test_adam_first_step_is_lr_times_sign():
    # m1/sqrt(v1) after bias correction is g/|g|: the step is lr (eps aside)
    xs, _ = run(optim.Adam(lr=0.01, eps=0.0), [3.0, -5.0], n=1)
    np.testing.assert_allclose(xs[0], [2.99, -4.99], rtol=1e-15)


def test_amsgrad_uses_max_of_raw_second_moment():
    # gradients 10 then 1: v2 = b2*v1 + (1-b2)*1 < v1, so AMSGrad keeps v1
    g = iter([np.array([10.0]), np.array([1.0])])
    opt = optim.Adam(lr=0.1, betas=(0.0, 0.5), eps=0.0, amsgrad=True)
    x = np.array([0.0])
    state = opt.init(x)
    x, state = opt.step(x, next(g), state)
    x, state = opt.step(x, next(g), state)
    v1, v2 = 0.5 * 100, 0.5 * 0.5 * 100 + 0.5 * 1
    np.testing.assert_allclose(state.max_exp_avg_sq, [v1])
    np.testing.assert_allclose(state.exp_avg_sq, [v2])
    # step 2: m = g = 1 (beta1 = 0); denominator sqrt(v1)/sqrt(1 - 0.25)
    step2 = 0.1 * 1.0 / (math.sqrt(v1) / math.sqrt(0.75))
    np.testing.assert_allclose(x, [-0.1 - step2], rtol=1e-14)


def test_lion_three_steps_by_hand():
    lr, b1, b2, wd = 0.1, 0.9, 0.99, 0.5
    x, m = 1.0, 0.0
    expected = []
    for _ in range(3):
        g = 2 * x
        c = b1 * m + (1 - b1) * g
        x = x - lr * (math.copysign(1.0, c) + wd * x)
        m = b2 * m + (1 - b2) * g
        expected.append(x)
    # step 1 in numbers: c = 0.2 > 0, x = 1 - 0.1*(1 + 0.5) = 0.85
    assert expected[0] == pytest.approx(0.85)
    xs, state = run(optim.Lion(lr=lr, betas=(b1, b2), weight_decay=wd), [1.0])
    np.testing.assert_allclose(np.ravel(xs), expected, rtol=1e-14)
    np.testing.assert_allclose(state.exp_avg, [m], rtol=1e-14)


def test_newton_three_steps_by_hand_on_quartic():
    # f(x) = x**4: g = 4x^3, H = 12x^2, full Newton step x <- x - x/3 = 2x/3
    # (Armijo holds: f(2x/3) = 16/81 f(x) <= f(x) - 1e-4 * 4x^4/3)
    opt = optim.Newton()
    x = np.array([1.5])
    state = opt.init(x)
    xs = []
    for _ in range(3):
        x, state = opt.step(
            x, 4 * x**3, state, hessian=np.array([[12 * x[0] ** 2]]),
            fun=lambda z: float(z[0] ** 4),
        )
        xs.append(x[0])
    np.testing.assert_allclose(xs, [1.0, 2 / 3, 4 / 9], rtol=1e-14)
    assert state.step_size == 1.0 and state.damping == 0.0


def test_newton_watchdog_relaxed_step_then_backtracks_from_the_watched_point():
    # f(x) = sqrt(1 + x^2) at x = 2: g = 2/sqrt(5), H = 1/5^1.5, d = -g/H = -10.
    # The full step to -8 fails Armijo but f is finite: taken as a relaxed
    # step. From -8 the Newton step (d = -x f^2 = 520) does not decrease f
    # enough relative to x = 2 either, so the method returns to x = 2 and
    # backtracks from alpha = 1/2 (x = -3 fails) by quadratic interpolation.
    f = lambda z: float(np.sqrt(1 + z[0] ** 2))  # noqa: E731
    g = lambda z: z / f(z)  # noqa: E731
    h = lambda z: [[f(z) ** -3]]  # noqa: E731
    opt = optim.Newton()
    x = np.array([2.0])
    x1, state = opt.step(x, g(x), opt.init(x), hessian=h(x), fun=f)
    np.testing.assert_allclose(x1, [-8.0], rtol=1e-14)
    assert state.status == "relaxed" and state.step_size == 1.0
    x2, state = opt.step(x1, g(x1), state, hessian=h(x1), fun=f)
    slope = -10 * 2 / 5**0.5
    curv = f([-3.0]) - f([2.0]) - slope * 0.5
    alpha = -slope * 0.25 / (2 * curv)
    assert 0.05 < alpha < 0.25
    np.testing.assert_allclose(x2, [2 - 10 * alpha], rtol=1e-13)
    assert state.status == "ok" and state.step_size == pytest.approx(alpha)
    assert f(x2) <= f(x) + 1e-4 * alpha * slope
    x3, _ = optim.Newton(line_search=False).step(x, g(x), opt.init(x), hessian=h(x))
    np.testing.assert_allclose(x3, [-8.0], rtol=1e-13)


def test_newton_damps_an_indefinite_hessian():
    # saddle f = x^2 - y^2 at (1, 1): H = diag(2, -2) is indefinite; the damped
    # direction -(H + tau I)^{-1} g must still be a descent direction
    f = lambda z: float(z[0] ** 2 - z[1] ** 2)  # noqa: E731
    x = np.array([1.0, 1.0])
    g = np.array([2.0, -2.0])
    opt = optim.Newton()
    x_new, state = opt.step(x, g, opt.init(x), hessian=np.diag([2.0, -2.0]), fun=f)
    # the damping is scale-invariant: tau multiplies diag(|H_ii|) = 2 I
    assert state.damping > 1.0
    assert f(x_new) < f(x)
    tau = state.damping
    d = -np.linalg.solve(np.diag([2.0, -2.0]) + tau * np.diag([2.0, 2.0]), g)
    assert g @ d < 0
    np.testing.assert_allclose(x_new, x + state.step_size * d, rtol=1e-12)


def test_newton_user_damping_is_levenberg_marquardt():
    # H = 2, damping 2: d = -g/(2 + 2) = -x/2 on f = x^2 (full step accepted)
    x, state = optim.Newton(damping=2.0).step(
        np.array([1.0]), np.array([2.0]), optim.Newton(damping=2.0).init([1.0]),
        hessian=[[2.0]], fun=lambda z: float(z[0] ** 2),
    )
    np.testing.assert_allclose(x, [0.5])
    assert state.damping == 0.0  # H + 2 is positive definite: no more needed


# ---------------------------------------------------------------------------
# Step-for-step agreement with torch.optim
# ---------------------------------------------------------------------------

TORCH_CONFIGS = [
    ("SGD", {"lr": 1e-3}),
    ("SGD", {"lr": 1e-3, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.01}),
    ("SGD", {"lr": 1e-3, "momentum": 0.9, "nesterov": True}),
    ("Adagrad", {"lr": 0.05, "lr_decay": 0.01, "initial_accumulator_value": 0.1,
                 "weight_decay": 0.01}),
    ("RMSprop", {"lr": 1e-3}),
    ("RMSprop", {"lr": 1e-3, "momentum": 0.8, "centered": True,
                 "weight_decay": 0.01}),
    ("Adam", {"lr": 1e-2}),
    ("Adam", {"lr": 1e-2, "amsgrad": True, "weight_decay": 0.01}),
    ("AdamW", {"lr": 1e-2}),
    ("AdamW", {"lr": 1e-2, "amsgrad": True, "weight_decay": 0.1,
               "betas": (0.8, 0.95)}),
]


def rosenbrock_grad(x):
    a, b = x[..., 0], x[..., 1]
    return np.stack([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)], -1)


@pytest.mark.parametrize(("name", "kwargs"), TORCH_CONFIGS)
def test_trajectory_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    steps = 60
    x0 = np.array([-1.2, 1.0])
    p = torch.tensor(x0.copy(), dtype=torch.float64, requires_grad=True)
    topt = getattr(torch.optim, name)([p], **kwargs)
    ref = []
    for _ in range(steps):
        topt.zero_grad()
        p.grad = torch.tensor(rosenbrock_grad(p.detach().numpy()))
        topt.step()
        ref.append(p.detach().numpy().copy())
    ours, _ = run(getattr(optim, name)(**kwargs), x0, n=steps, grad=rosenbrock_grad)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-14)


def test_defaults_match_torch():
    torch = pytest.importorskip("torch")
    p = [torch.zeros(1, dtype=torch.float64, requires_grad=True)]
    for name in ("SGD", "Adagrad", "RMSprop", "Adam", "AdamW"):
        defaults = getattr(torch.optim, name)(p).defaults
        ours = getattr(optim, name)().hyperparameters
        for k, v in ours.items():
            if k != "variant":
                assert defaults[k] == v, (name, k, defaults[k], v)


# ---------------------------------------------------------------------------
# Validation, purity, structure, registry
# ---------------------------------------------------------------------------


def test_betas_message_names_parameter_and_value():
    with pytest.raises(InvalidParameterError) as err:
        optim.Adam(betas=(1.5, 0.9))
    assert str(err.value) == (
        "The 'betas' parameter of Adam must be two floats in [0, 1). "
        "Got (1.5, 0.9) instead."
    )


@pytest.mark.parametrize(
    ("cls", "kwargs", "name"),
    [
        (optim.SGD, {"lr": -1.0}, "lr"),
        (optim.SGD, {"lr": float("nan")}, "lr"),
        (optim.SGD, {"momentum": -0.1}, "momentum"),
        (optim.SGD, {"nesterov": 1}, "nesterov"),
        (optim.Adagrad, {"eps": -1e-3}, "eps"),
        (optim.Adagrad, {"lr_decay": "x"}, "lr_decay"),
        (optim.RMSprop, {"alpha": -0.5}, "alpha"),
        (optim.RMSprop, {"centered": "yes"}, "centered"),
        (optim.Adam, {"betas": (0.9,)}, "betas"),
        (optim.Adam, {"variant": "keras"}, "variant"),
        (optim.AdamW, {"weight_decay": -1}, "weight_decay"),
        (optim.Lion, {"betas": (0.9, 1.0)}, "betas"),
        (optim.Newton, {"damping": -1.0}, "damping"),
        (optim.Newton, {"line_search": None}, "line_search"),
    ],
)
def test_invalid_hyperparameters(cls, kwargs, name):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of"):
        cls(**kwargs)


def test_nesterov_needs_momentum_and_zero_dampening():
    with pytest.raises(InvalidParameterError, match="nesterov=True requires"):
        optim.SGD(nesterov=True)
    with pytest.raises(InvalidParameterError, match="nesterov"):
        optim.SGD(momentum=0.9, dampening=0.1, nesterov=True)


def test_optimizers_are_immutable_and_compare_by_value():
    opt = optim.Adam(lr=0.1)
    with pytest.raises(AttributeError, match="immutable"):
        opt.lr = 0.2
    assert opt == optim.Adam(lr=0.1) and opt != optim.Adam(lr=0.2)
    assert "lr=0.1" in repr(opt)


ALL_OPTS = [
    optim.SGD(lr=0.1, momentum=0.9),
    optim.Adagrad(),
    optim.RMSprop(momentum=0.5, centered=True),
    optim.Adam(amsgrad=True),
    optim.AdamW(),
    optim.Lion(weight_decay=0.1),
]


@pytest.mark.parametrize("opt", ALL_OPTS, ids=lambda o: type(o).__name__)
def test_step_does_not_mutate_inputs(opt):
    x = np.array([1.0, -2.0, 3.0])
    g = np.array([0.5, 0.5, -1.0])
    state = opt.init(x)
    for _ in range(2):
        x_copy, g_copy = x.copy(), g.copy()
        state_copy = [None if b is None else np.copy(b) for b in state[1:]]
        new_x, new_state = opt.step(x, g, state)
        np.testing.assert_array_equal(x, x_copy)
        np.testing.assert_array_equal(g, g_copy)
        for before, after in zip(state_copy, state[1:], strict=True):
            if before is not None:
                np.testing.assert_array_equal(before, after)
        assert new_x is not x and new_state.count == state.count + 1
        x, state = new_x, new_state


def test_newton_does_not_mutate_inputs():
    x, g, h = np.array([1.0, 2.0]), np.array([2.0, 4.0]), 2 * np.eye(2)
    copies = x.copy(), g.copy(), h.copy()
    opt = optim.Newton()
    opt.step(x, g, opt.init(x), hessian=h, fun=lambda z: float(z @ z))
    for a, b in zip((x, g, h), copies, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("opt", ALL_OPTS, ids=lambda o: type(o).__name__)
def test_dict_params_match_array_params(opt):
    w = np.array([[1.0, -2.0], [0.5, 3.0]])
    b = np.array([0.25])
    params = {"w": w, "b": b}
    state = opt.init(params)
    flat = np.concatenate([w.ravel(), b])
    fstate = opt.init(flat)
    for _ in range(3):
        grads = {k: 2 * v for k, v in params.items()}
        params, state = opt.step(params, grads, state)
        flat, fstate = opt.step(flat, 2 * flat, fstate)
    assert set(params) == {"w", "b"} and params["w"].shape == (2, 2)
    np.testing.assert_allclose(
        np.concatenate([params["w"].ravel(), params["b"]]), flat, rtol=1e-15
    )


def test_newton_dict_params():
    # f = w0^2 + 3 w1^2 + (b - 1)^2: one Newton step reaches the minimum
    params = {"w": np.array([1.0, 1.0]), "b": np.array(4.0)}
    grads = {"w": np.array([2.0, 6.0]), "b": np.array(6.0)}
    hess = np.diag([2.0, 6.0, 2.0])
    f = lambda p: float(p["w"][0] ** 2 + 3 * p["w"][1] ** 2 + (p["b"] - 1) ** 2)  # noqa: E731
    opt = optim.Newton()
    new, _ = opt.step(params, grads, opt.init(params), hessian=hess, fun=f)
    np.testing.assert_allclose(new["w"], [0.0, 0.0], atol=1e-15)
    assert new["b"].shape == () and float(new["b"]) == pytest.approx(1.0)


def test_newton_dict_grads_matched_by_key_not_position():
    # the Hessian is over params' key order; grads' own order must not matter
    params = {"a": np.array([1.0]), "b": np.array([10.0])}
    grads = {"b": np.array([20.0]), "a": np.array([2.0])}
    opt = optim.Newton(line_search=False)
    new, _ = opt.step(params, grads, opt.init(params), hessian=np.diag([2.0, 2.0]))
    assert list(new) == ["a", "b"]
    np.testing.assert_allclose([new["a"][0], new["b"][0]], [0.0, 0.0], atol=1e-14)
    with pytest.raises(ShapeError, match="keys of params"):
        opt.step(params, {"c": np.ones(1), "d": np.ones(1)}, opt.init(params),
                 hessian=np.eye(2))
    with pytest.raises(ShapeError, match=r"grads\['b'\] has shape \(2,\)"):
        opt.step(params, {"a": np.ones(1), "b": np.ones(2)}, opt.init(params),
                 hessian=np.eye(2))
    with pytest.raises(ShapeError, match="params is an array but grads is a dict"):
        opt.step(np.ones(2), {"a": np.ones(2)}, opt.init(np.ones(2)),
                 hessian=np.eye(2))


def test_structure_errors():
    opt = optim.SGD()
    state = opt.init({"w": np.zeros(2)})
    with pytest.raises(ShapeError, match="keys of params"):
        opt.step({"w": np.zeros(2)}, {"v": np.zeros(2)}, state)
    with pytest.raises(ShapeError, match=r"grads\['w'\] has shape \(3,\)"):
        opt.step({"w": np.zeros(2)}, {"w": np.zeros(3)}, state)
    with pytest.raises(CalckitTypeError, match="SGDState"):
        opt.step(np.zeros(2), np.zeros(2), optim.Adam().init(np.zeros(2)))
    with pytest.raises(CalckitTypeError, match="hessian="):
        optim.Newton().step(np.zeros(1), np.zeros(1), optim.Newton().init([0.0]))
    with pytest.raises(ShapeError, match=r"hessian must have shape \(2, 2\)"):
        optim.Newton(line_search=False).step(
            np.zeros(2), np.zeros(2), optim.Newton().init([0, 0]), hessian=np.eye(3)
        )


def test_schedule_as_lr_uses_step_count():
    lr = optim.schedules.step(1.0, 1, gamma=0.5)  # 1, 0.5, 0.25, ...
    xs, _ = run(optim.SGD(lr=lr), [1.0], grad=lambda x: np.ones_like(x))
    np.testing.assert_allclose(np.ravel(xs), [0.0, -0.5, -0.75])
    opt = optim.Adam(lr=lambda t: 0.1 * (t + 1))
    assert opt.learning_rate(0) == 0.1 and opt.learning_rate(2) == pytest.approx(0.3)


def test_registry():
    assert optim.names() == (
        "sgd", "adagrad", "rmsprop", "adam", "adamw", "amsgrad", "lion", "newton",
        "lbfgs", "trust-exact", "trust-ncg",
    )
    for name in set(optim.names()) - {"amsgrad"}:
        assert type(optim.get(name)).__name__.lower() == name.replace("-", "")
    assert optim.get("amsgrad", lr=0.5) == optim.Adam(lr=0.5, amsgrad=True)
    with pytest.raises(CalckitTypeError, match="Adam does not take 'momentum'"):
        optim.get("amsgrad", momentum=0.9)
    assert optim.get("Adam", lr=0.5).lr == 0.5
    with pytest.raises(UnknownNameError, match="Did you mean 'rmsprop'"):
        optim.get("rmsporp")
    with pytest.raises(LookupError, match="Known optimizers: sgd"):
        optim.get("bfgs")
    with pytest.raises(CalckitTypeError, match="Newton does not take 'lr'"):
        optim.get("newton", lr=0.1)


def test_import_optim_does_not_load_sympy():
    code = (
        "import sys, calckit.optim, calckit.optim.schedules;"
        "import numpy as np;"
        "calckit.optim.get('adam').init(np.zeros(2));"
        "print('sympy' in sys.modules, 'matplotlib' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False False"


# ---------------------------------------------------------------------------
# Random hyperparameters against torch (property test, bounded)
# ---------------------------------------------------------------------------

_unit = st.floats(0.0, 0.99)
_lr = st.floats(1e-4, 0.1)
_wd = st.sampled_from([0.0, 0.0, 1e-3, 0.1])

TORCH_STRATEGIES = st.one_of(
    st.tuples(st.just("SGD"), st.fixed_dictionaries(
        {"lr": _lr, "momentum": _unit, "dampening": _unit, "weight_decay": _wd})),
    st.tuples(st.just("SGD"), st.fixed_dictionaries(
        {"lr": _lr, "momentum": st.floats(0.01, 0.99), "nesterov": st.just(True),
         "weight_decay": _wd})),
    st.tuples(st.just("Adagrad"), st.fixed_dictionaries(
        {"lr": _lr, "lr_decay": st.floats(0.0, 0.5), "weight_decay": _wd,
         "initial_accumulator_value": st.floats(0.0, 1.0),
         "eps": st.sampled_from([1e-10, 1e-3])})),
    st.tuples(st.just("RMSprop"), st.fixed_dictionaries(
        # alpha >= 0.5: with tiny alpha, centered v - gbar^2 rounds below 0 and
        # both libraries take sqrt of a negative number (nan)
        {"lr": _lr, "alpha": st.floats(0.5, 0.99), "eps": st.sampled_from([1e-8, 1e-2]),
         "weight_decay": _wd, "momentum": _unit, "centered": st.booleans()})),
    st.tuples(st.sampled_from(["Adam", "AdamW"]), st.fixed_dictionaries(
        {"lr": _lr, "betas": st.tuples(_unit, _unit),
         "eps": st.sampled_from([1e-8, 1e-3]), "weight_decay": _wd,
         "amsgrad": st.booleans()})),
)


@settings(max_examples=30, deadline=None)
@given(config=TORCH_STRATEGIES, seed=st.integers(0, 2**16))
def test_random_hyperparameters_match_torch(config, seed):
    torch = pytest.importorskip("torch")
    name, kwargs = config
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(3, 3))
    hess = a @ a.T
    hess = hess / np.linalg.eigvalsh(hess)[-1] + 0.1 * np.eye(3)  # eigs in (0.1, 1.1]

    def grad(x):  # gradient of x.H.x / 2 - sum(cos(x)): stays bounded, no overflow
        return hess @ x + np.sin(x)

    x0 = rng.normal(size=3)
    p = torch.tensor(x0.copy(), dtype=torch.float64, requires_grad=True)
    topt = getattr(torch.optim, name)([p], **kwargs)
    ref = []
    for _ in range(15):
        p.grad = torch.tensor(grad(p.detach().numpy()))
        topt.step()
        ref.append(p.detach().numpy().copy())
    ours, _ = run(getattr(optim, name)(**kwargs), x0, n=15, grad=grad)
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)


def test_newton_value_saves_one_loss_evaluation():
    calls = []

    def f(z):
        calls.append(1)
        return float(z[0] ** 4)

    opt = optim.Newton()
    x = np.array([1.5])
    kw = {"hessian": [[27.0]], "fun": f}
    a, _ = opt.step(x, 4 * x**3, opt.init(x), **kw)
    n_without = len(calls)
    calls.clear()
    b, _ = opt.step(x, 4 * x**3, opt.init(x), value=1.5**4, **kw)
    assert len(calls) == n_without - 1
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", optim.names())
def test_declared_constraints_are_read_only(name):
    cls = type(optim.get(name))
    assert "lr" in cls._constraints or name in ("newton", "trust-exact",
                                                "trust-ncg")
    with pytest.raises(TypeError):
        cls._constraints["lr"] = None


# ---------------------------------------------------------------------------
# Adversarial inputs: states, dtypes, schedules (each a past bug)
# ---------------------------------------------------------------------------
STATEFUL = [
    optim.SGD(lr=0.1, momentum=0.9),
    optim.Adagrad(),
    optim.RMSprop(momentum=0.5, centered=True),
    optim.Adam(amsgrad=True),
    optim.AdamW(),
    optim.Lion(),
]


@pytest.mark.parametrize("opt", STATEFUL, ids=lambda o: type(o).__name__)
def test_state_of_other_params_is_a_shape_error(opt):
    # a state from init() of other parameters used to broadcast silently
    # (SGD) or fail deep inside NumPy with a bare ValueError/TypeError/KeyError
    x = np.ones(3)
    cases = [
        (opt.init(np.ones(2)), x, r"has shape \(2,\) but params has shape \(3,\)"),
        (opt.init({"a": x}), x, "is a dict"),
        (opt.init(x), {"a": x}, r"must be a dict with keys \['a'\]"),
        (opt.init({"b": x}), {"a": x}, r"keys \['a'\], got \['b'\]"),
        (opt.init({"a": np.ones(2)}), {"a": x}, r"\['a'\] has shape \(2,\)"),
    ]
    for state, params, match in cases:
        grads = {k: np.ones_like(v) for k, v in params.items()} if isinstance(
            params, dict) else np.ones_like(params)
        with pytest.raises(ShapeError, match=match) as err:
            opt.step(params, grads, state)
        assert f"{type(opt).__name__}.init" in str(err.value)


def test_state_from_a_differently_configured_optimizer():
    # SGD without momentum has no buffer; SGD with momentum needs one
    state = optim.SGD(lr=0.1).init(np.ones(2))
    with pytest.raises(ShapeError, match="momentum_buffer is None"):
        optim.SGD(lr=0.1, momentum=0.9).step(np.ones(2), np.ones(2), state)
    # the other way round the unused buffer is ignored, as before
    x, _ = optim.SGD(lr=0.1).step(np.ones(2), np.ones(2),
                                  optim.SGD(lr=0.1, momentum=0.9).init(np.ones(2)))
    np.testing.assert_array_equal(x, [0.9, 0.9])


@pytest.mark.parametrize("opt", STATEFUL, ids=lambda o: type(o).__name__)
def test_complex_values_are_refused_not_truncated(opt):
    # float64 conversion used to drop the imaginary part with a ComplexWarning
    x = np.ones(2)
    with pytest.raises(CalckitTypeError, match="grads must be real"):
        opt.step(x, np.array([1j, 1.0]), opt.init(x))
    with pytest.raises(CalckitTypeError, match=r"params\['w'\] must be real"):
        opt.step({"w": np.array([1 + 1j, 1.0])}, {"w": x}, opt.init({"w": x}))
    with pytest.raises(CalckitTypeError, match="must be an array of real numbers"):
        opt.step(["a", "b"], x, opt.init(x))


@pytest.mark.parametrize("opt", STATEFUL, ids=lambda o: type(o).__name__)
def test_int_and_float32_params_give_float64_updates(opt):
    # an int array must not truncate the update; float32 is promoted
    ref, _ = opt.step(np.array([1.0, 2.0]), np.array([0.3, -0.3]),
                      opt.init(np.array([1.0, 2.0])))
    for dtype, gdtype in ((np.int64, np.float64), (np.float32, np.float32)):
        p = np.array([1, 2], dtype=dtype)
        new, _ = opt.step(p, np.array([0.3, -0.3], dtype=gdtype), opt.init(p))
        assert new.dtype == np.float64 and p.dtype == dtype
        np.testing.assert_allclose(new, ref, rtol=1e-6)
        assert not np.array_equal(new, np.round(new))  # not truncated


@pytest.mark.parametrize("opt", STATEFUL, ids=lambda o: type(o).__name__)
def test_step_works_on_read_only_inputs(opt):
    x, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    state = opt.init(x)
    for arr in (x, g, *[b for b in state[1:] if isinstance(b, np.ndarray)]):
        arr.flags.writeable = False
    for _ in range(3):
        x, state = opt.step(x, g, state)
        for b in state[1:]:
            if isinstance(b, np.ndarray):
                b.flags.writeable = False
    assert np.all(np.isfinite(x))


@pytest.mark.parametrize(
    ("lr", "error", "match"),
    [
        (lambda t: -0.1, InvalidParameterError, r"returned -0.1 at step 0"),
        (lambda t: math.nan, InvalidParameterError, r"returned nan at step 0"),
        (lambda t: np.array([0.1, 0.2]), CalckitTypeError, "must return one float"),
        (lambda t: "fast", CalckitTypeError, "must return one float"),
    ],
)
def test_bad_schedule_values_are_named(lr, error, match):
    # a negative schedule value used to step uphill, nan to poison params
    opt = optim.SGD(lr=lr)
    with pytest.raises(error, match=match):
        opt.step(np.ones(1), np.ones(1), opt.init(np.ones(1)))
    with pytest.raises(error, match=match):
        opt.learning_rate(0)


def test_rmsprop_alpha_above_one_is_refused():
    # alpha > 1 makes the running mean of squares negative: nan every step
    with pytest.raises(InvalidParameterError, match="'alpha' parameter of RMSprop"):
        optim.RMSprop(alpha=1.5)
    x, _ = run(optim.RMSprop(lr=0.01, alpha=1.0), [1.0], n=2)  # the edge is fine
    assert np.all(np.isfinite(x))


def test_huge_int_hyperparameter_is_an_invalid_parameter():
    # float(10**400) used to escape as a bare OverflowError
    with pytest.raises(InvalidParameterError, match="'lr' parameter of SGD"):
        optim.SGD(lr=10**400)


def test_newton_uses_the_symmetric_part_of_an_asymmetric_hessian():
    # f = x.A.x / 2 with A = [[2, 1], [1, 2]]; the Hessian is passed with all
    # of its off-diagonal weight in the upper triangle, which Cholesky used to
    # ignore (it reads the lower one): the step missed the minimum
    A = np.array([[2.0, 1.0], [1.0, 2.0]])
    x = np.array([1.0, -3.0])
    opt = optim.Newton()
    new, state = opt.step(x, A @ x, opt.init(x), hessian=[[2.0, 2.0], [0.0, 2.0]],
                          fun=lambda z: float(z @ A @ z / 2))
    np.testing.assert_allclose(new, [0.0, 0.0], atol=1e-15)
    assert state.step_size == 1.0
