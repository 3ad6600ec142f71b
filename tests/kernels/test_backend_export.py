"""to_torch / to_jax: exported ops whose derivatives (first and second) are
calckit's exact ones, checked by torch.autograd.gradcheck / gradgradcheck,
jax.test_util.check_grads, the NumPy derivative kernels and training."""

import numpy as np
import pytest
import sympy as sp

import calckit as ck
from calckit.errors import CalckitTypeError, InvalidParameterError

#: imports JAX, PyTorch or Dask (seconds each): the full run only
pytestmark = pytest.mark.slow

# points away from the kinks (finite differences cross no kink)
POINTS = np.array([-7.3, -2.1, -0.4, 0.35, 1.7, 6.2])
KINKED = {"relu", "leaky_relu", "hard_sigmoid", "hard_tanh", "elu", "selu"}
X = sp.Symbol("x", real=True)


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed")


@pytest.fixture
def jax():
    jax = pytest.importorskip("jax", reason="JAX is not installed")
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", old)


@pytest.mark.parametrize("name", ck.activations.names())
def test_torch_gradcheck_and_gradgradcheck_for_every_activation(torch, name):
    op = ck.to_torch(ck.activations.get(name)(X))
    x = torch.tensor(POINTS, dtype=torch.float64, requires_grad=True)
    if name in KINKED:  # nowhere near a kink (the step of finite differences)
        x = torch.tensor(POINTS + 0.01, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(op, (x,))
    assert torch.autograd.gradgradcheck(op, (x,))


@pytest.mark.parametrize("name", ck.activations.names())
def test_jax_check_grads_order_two_for_every_activation(jax, name):
    from jax.test_util import check_grads
    f = ck.to_jax(ck.activations.get(name)(X))
    check_grads(f, (jax.numpy.asarray(POINTS + 0.01),), order=2, modes=["fwd", "rev"])


def _two_arg_loss():
    y, z = sp.symbols("y z", real=True)
    return ck.losses.bce_with_logits(y, z) + z**2 * y / 10, ("z", "y")


def test_torch_broadcasting_two_argument_op_checks_to_order_two(torch):
    expr, wrt = _two_arg_loss()
    op = ck.to_torch(expr, wrt)
    z = torch.linspace(-5, 5, 6, dtype=torch.float64).reshape(3, 2).requires_grad_()
    y = torch.tensor([0.2, 0.9], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(op, (z, y))
    assert torch.autograd.gradgradcheck(op, (z, y))
    gz, gy = torch.autograd.grad(op(z, y).sum(), (z, y))
    assert gz.shape == z.shape and gy.shape == y.shape
    ref = ck.compile_grad(expr, wrt)(z.detach().numpy(), y.detach().numpy())
    np.testing.assert_allclose(gz.numpy(), ref[..., 0], rtol=1e-12)
    np.testing.assert_allclose(gy.numpy(), ref[..., 1].sum(axis=0), rtol=1e-12)


def test_jax_two_argument_op_gradients_and_hessian_match_numpy_kernels(jax):
    from jax.test_util import check_grads
    expr, wrt = _two_arg_loss()
    f = ck.to_jax(expr, wrt)
    z, y = 1.3, 0.25
    check_grads(f, (z, y), order=2, modes=["fwd", "rev"])
    hess = np.asarray(jax.hessian(f, argnums=(0, 1))(z, y))
    np.testing.assert_allclose(hess, ck.compile_hessian(expr, wrt)(z, y), rtol=1e-12)
    grads = jax.vmap(jax.grad(f, argnums=(0, 1)))(jax.numpy.linspace(-3, 3, 5),
                                                  jax.numpy.full(5, 0.5))
    ref = ck.compile_grad(expr, wrt)(np.linspace(-3, 3, 5), 0.5)
    np.testing.assert_allclose(np.stack(grads, -1), ref, rtol=1e-12)


def test_exported_derivatives_stay_exact_in_the_tails(torch, jax):
    # autodiff of the value code would give nan (inf*0) or lose the tail
    for name, x, d1, d2 in [("softplus", 1000.0, 1.0, 0.0),
                            ("log_sigmoid", -1000.0, 1.0, 0.0),
                            ("sigmoid", -800.0, np.exp(-800.0), np.exp(-800.0))]:
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        op = ck.to_torch(ck.activations.get(name)(X))
        (g,) = torch.autograd.grad(op(t), t, create_graph=True)
        (h,) = torch.autograd.grad(g, t)
        np.testing.assert_allclose([g.item(), h.item()], [d1, d2], rtol=1e-12)
        f = ck.to_jax(ck.activations.get(name)(X))
        got = [float(jax.grad(f)(x)), float(jax.grad(jax.grad(f))(x))]
        np.testing.assert_allclose(got, [d1, d2], rtol=1e-12)


def test_jax_jit_of_exported_gradient(jax):
    f = ck.to_jax("x*tanh(softplus(x))")
    g = jax.jit(jax.vmap(jax.grad(f)))
    x = jax.numpy.linspace(-30.0, 30.0, 13)
    np.testing.assert_allclose(np.asarray(g(x)), ck.compile_grad(
        "x*tanh(softplus(x))")(np.asarray(x))[:, 0], rtol=1e-12)


def _train(torch, activation, steps=40):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 16), activation,
                              torch.nn.Linear(16, 16), activation,
                              torch.nn.Linear(16, 1)).double()
    gen = torch.Generator().manual_seed(1)
    xs = torch.randn(64, 3, generator=gen, dtype=torch.float64)
    ys = torch.sin(xs.sum(dim=1, keepdim=True))
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(net(xs), ys)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses)


def test_mlp_with_exported_mish_trains_like_torch_mish(torch):
    ours = _train(torch, ck.to_torch("x*tanh(softplus(x))", module=True))
    theirs = _train(torch, torch.nn.Mish())
    assert theirs[-1] < 0.5 * theirs[0]  # it really trains
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)


def test_module_wrapper_and_float32(torch):
    m = ck.to_torch("x*sigmoid(x)", module=True)
    assert isinstance(m, torch.nn.Module) and "x*sigmoid(x)" in repr(m)
    x = torch.linspace(-4, 4, 9, requires_grad=True)  # float32
    y = m(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert y.dtype == g.dtype == torch.float32
    torch.testing.assert_close(g, torch.autograd.grad(
        torch.nn.functional.silu(x).sum(), x)[0], rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_torch_compile_of_exported_op(torch):
    op = ck.to_torch("x*tanh(softplus(x))")
    x = torch.linspace(-5, 5, 11, dtype=torch.float64, requires_grad=True)
    fast = torch.compile(lambda t: op(t).sum())
    (g,) = torch.autograd.grad(fast(x), x)
    (ref,) = torch.autograd.grad(op(x).sum(), x)
    torch.testing.assert_close(g, ref, rtol=1e-12, atol=0)


def test_export_errors_are_calckit_errors(torch, jax):
    op = ck.to_torch("x*y")
    with pytest.raises(CalckitTypeError, match="takes 2 arguments"):
        op(torch.ones(2))
    with pytest.raises(CalckitTypeError, match="argument y"):
        op(torch.ones(2), "a")
    with pytest.raises(InvalidParameterError, match="neither in wrt"):
        ck.to_torch("x*y", wrt="x")
    with pytest.raises(CalckitTypeError, match="takes 1 argument"):
        ck.to_jax("x**2")(1.0, 2.0)
