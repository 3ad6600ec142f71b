"""calckit.optim.LBFGS against torch.optim.LBFGS, step for step."""

import numpy as np
import pytest

from calckit import optim
from calckit.errors import CalckitTypeError, InvalidParameterError


def rosen_value_and_grad(x):
    """Extended Rosenbrock (n even) and its gradient, written by hand."""
    a, b = x[0::2], x[1::2]
    f = float(np.sum((1 - a) ** 2 + 100 * (b - a * a) ** 2))
    g = np.empty_like(x)
    g[0::2] = -2 * (1 - a) - 400 * a * (b - a * a)
    g[1::2] = 200 * (b - a * a)
    return f, g


def test_hand_gradient_matches_central_differences():
    x = np.array([-1.2, 1.0, 0.3, -0.7])
    h = 1e-6
    num = [(rosen_value_and_grad(x + h * e)[0] - rosen_value_and_grad(x - h * e)[0])
           / (2 * h) for e in np.eye(4)]
    np.testing.assert_allclose(rosen_value_and_grad(x)[1], num, rtol=1e-7)


def torch_path(x0, steps, **kw):
    torch = pytest.importorskip("torch")
    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([p], **kw)

    def closure():
        opt.zero_grad()
        a, b = p[0::2], p[1::2]
        loss = torch.sum((1 - a) ** 2 + 100 * (b - a * a) ** 2)
        loss.backward()
        return loss

    out, losses = [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure).detach()))
        out.append(p.detach().numpy().copy())
    return np.array(out), np.array(losses), opt.state[p]["func_evals"]


def calckit_path(x0, steps, **kw):
    opt = optim.LBFGS(**kw)
    x = np.array(x0, dtype=float)
    state = opt.init(x)
    out, losses = [], []
    for _ in range(steps):
        g = rosen_value_and_grad(x)[1]
        x, state = opt.step(x, g, state, fun=rosen_value_and_grad)
        out.append(x.copy())
        losses.append(state.loss)
    return np.array(out), np.array(losses), state.func_evals


CASES = [
    ({}, [-1.2, 1.0], 6),
    ({"line_search_fn": "strong_wolfe"}, [-1.2, 1.0], 4),
    ({"max_iter": 3, "history_size": 2, "lr": 0.5}, [-1.2, 1.0, 0.5, 0.2], 15),
    ({"max_iter": 4, "line_search_fn": "strong_wolfe", "history_size": 3},
     [-1.2, 1.0, -0.5, 2.0, 1.5, 1.5], 12),
    ({"max_iter": 1, "max_eval": 10, "line_search_fn": "strong_wolfe"},
     [-1.2, 1.0], 30),
]


@pytest.mark.parametrize("kw, x0, steps", CASES)
def test_matches_torch_step_for_step(kw, x0, steps):
    ref, ref_losses, ref_evals = torch_path(x0, steps, **kw)
    ours, losses, evals = calckit_path(x0, steps, **kw)
    # same arithmetic up to the summation order of dot products: rounding
    # differences of 1e-16 grow along Rosenbrock's valley to ~1e-8
    np.testing.assert_allclose(ours, ref, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5, atol=1e-12)
    assert evals == ref_evals
    assert not np.allclose(ours[0], x0)  # the run moved


def test_strong_wolfe_run_reaches_the_minimum():
    ours, losses, _ = calckit_path([-1.2, 1.0], 10, line_search_fn="strong_wolfe",
                                   tolerance_change=1e-15, tolerance_grad=1e-12)
    # PyTorch keeps a pair only when y.s > 1e-10 (absolute): near the minimum
    # no pair qualifies any more, which ends the progress at f ~ 1e-16
    assert losses[-1] < 1e-15
    np.testing.assert_allclose(ours[-1], [1.0, 1.0], rtol=1e-7)


def test_dict_params_match_flat_params():
    def vg(p):
        f, g = rosen_value_and_grad(np.concatenate([p["a"], p["b"]]))
        return f, {"a": g[:2], "b": g[2:]}

    opt = optim.LBFGS(max_iter=5, line_search_fn="strong_wolfe")
    p = {"a": np.array([-1.2, 1.0]), "b": np.array([0.5, 0.2])}
    flat = np.array([-1.2, 1.0, 0.5, 0.2])
    sp, sf = opt.init(p), opt.init(flat)
    for _ in range(3):
        p, sp = opt.step(p, vg(p)[1], sp, fun=vg)
        flat, sf = opt.step(flat, rosen_value_and_grad(flat)[1], sf,
                            fun=rosen_value_and_grad)
    np.testing.assert_allclose(np.concatenate([p["a"], p["b"]]), flat, rtol=1e-14)


def test_value_saves_the_first_evaluation_and_inputs_are_not_mutated():
    calls = []

    def vg(x):
        calls.append(1)
        return rosen_value_and_grad(x)

    x = np.array([-1.2, 1.0])
    copy = x.copy()
    opt = optim.LBFGS(max_iter=2)
    f, g = rosen_value_and_grad(x)
    a, sa = opt.step(x, g, opt.init(x), fun=vg)
    n = len(calls)
    calls.clear()
    b, sb = opt.step(x, g, opt.init(x), fun=vg, value=f)
    assert len(calls) == n - 1 and sa.func_evals == sb.func_evals
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(x, copy)


def test_bad_arguments_are_named():
    with pytest.raises(InvalidParameterError, match="line_search_fn"):
        optim.LBFGS(line_search_fn="armijo")
    with pytest.raises(InvalidParameterError, match="'max_iter'"):
        optim.LBFGS(max_iter=0)
    with pytest.raises(InvalidParameterError, match="'lr'"):
        optim.LBFGS(lr=-1.0)
    opt = optim.LBFGS()
    with pytest.raises(CalckitTypeError, match="needs fun="):
        opt.step(np.zeros(2), np.zeros(2), opt.init(np.zeros(2)))
    assert optim.get("lbfgs", history_size=5).history_size == 5
