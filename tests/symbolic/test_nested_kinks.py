"""Issue 20 item 1: nested piecewise library functions parse, differentiate,
stabilise and compile in bounded time, with the values and derivatives of
the same nesting in PyTorch (float64 autograd, the kink conventions calckit
follows)."""

import numpy as np
import pytest
import sympy as sp
from deadline_helper import run_with_deadline

import calckit as ck
from calckit.symbolic.stable import stabilize

#: reproducers in forked children under hard deadlines
pytestmark = pytest.mark.slow

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _nest(template: str, depth: int) -> str:
    text = "x"
    for _ in range(depth):
        text = template.format(text)
    return text


def _torch_nest(fn, depth):
    def f(x):
        for _ in range(depth):
            x = fn(x)
        return x

    return f


# (parse template, depth, the same function in PyTorch)
REPRODUCERS = [
    ("huber(1, {})", 4, lambda u: F.huber_loss(u, 0 * u + 1, reduction="none")),
    ("elu({})", 6, F.elu),
    ("hard_sigmoid({})", 6, F.hardsigmoid),
    ("leaky_relu({})", 8, F.leaky_relu),
    ("squared_hinge(1, {})", 6, lambda u: torch.clamp(1 - u, min=0) ** 2),
    ("hard_tanh({})", 6, F.hardtanh),
    ("relu({} - 1)", 11, lambda u: F.relu(u - 1)),
    ("selu({})", 8, F.selu),
    ("hinge(1, {})", 8, lambda u: F.relu(1 - u)),  # relu convention at the kink
]
POINTS = np.array([-7.3, -3.0, -1.0, -0.4, 0.0, 0.25, 1.0, 2.5, 3.0, 11.0])


@pytest.mark.parametrize("template, depth, peer", REPRODUCERS,
                         ids=[r[0].split("(")[0] for r in REPRODUCERS])
def test_nested_library_functions_are_bounded_and_right(template, depth, peer):
    text = _nest(template, depth)

    def pipeline():
        e = ck.parse(text)
        stabilize(ck.grad(e, "x"))
        return ck.compile_grad(e, "x")(0.5)

    kind, out = run_with_deadline(pipeline, 2.0, f"parse, grad, compile of {text}")
    assert kind == "ok", out
    e = ck.parse(text)
    value, slope = ck.compile(e, "x"), ck.compile_grad(e, "x")
    t = torch.tensor(POINTS, dtype=torch.float64, requires_grad=True)
    out = _torch_nest(peer, depth)(t)
    (d,) = torch.autograd.grad(out.sum(), t)
    want = out.detach().numpy()
    np.testing.assert_allclose(value(POINTS), want, rtol=1e-12, atol=1e-14)
    # PyTorch's hardsigmoid_backward multiplies by a single-precision 1/6
    rtol = 2e-7 * depth if template.startswith("hard_sigmoid") else 1e-12
    np.testing.assert_allclose(slope(POINTS)[..., 0], d.numpy(), rtol=rtol, atol=1e-14)


def test_nested_hard_sigmoid_slope_is_exactly_a_power_of_one_sixth():
    g = ck.grad(_nest("hard_sigmoid({})", 6), "x")[0]
    assert g.subs(sp.Symbol("x", real=True), sp.Rational(1, 4)) == sp.Rational(1, 6**6)


def test_deep_huber_is_linear_not_exponential():
    # 6 levels, where the old Piecewise-in-condition form ran for minutes at 4
    text = _nest("huber(1, {})", 6)
    kind, out = run_with_deadline(lambda: ck.grad(text, "x"), 2.0, text)
    assert kind == "ok", out
    e = ck.parse(text)
    assert sp.count_ops(e) < 20 * 2**6  # each level uses its argument at most twice


def test_unnested_definitions_keep_their_piecewise_form():
    x = sp.Symbol("x", real=True)
    assert isinstance(ck.activations.relu(x), sp.Piecewise)
    assert isinstance(ck.losses.huber(1, x), sp.Piecewise)
