"""Issue 20 item 7: outside the documented domain, compiled kernels follow
PyTorch where the limits are finite (relu(-inf) = 0, hard_sigmoid(+-inf) =
0/1, hard_tanh(+-inf) = -1/1), with the derivatives PyTorch's autograd
gives, and nothing changes inside the domain."""

import numpy as np
import pytest

import calckit as ck

torch = pytest.importorskip("torch")
F = torch.nn.functional

CASES = {
    "relu": F.relu,
    "hard_sigmoid": F.hardsigmoid,
    "hard_tanh": F.hardtanh,
    "leaky_relu": F.leaky_relu,
}
POINTS = np.array([-np.inf, -1e308, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 1e308,
                   np.inf])


@pytest.mark.parametrize("name", list(CASES))
def test_values_at_and_beyond_the_ends_follow_pytorch(name):
    got = ck.compile(f"{name}(x)")(POINTS)
    want = CASES[name](torch.tensor(POINTS, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got, want, rtol=4e-16, atol=0)  # PyTorch rounds
    assert np.isfinite(got).tolist() == np.isfinite(want).tolist()


@pytest.mark.parametrize("name", list(CASES))
def test_derivatives_follow_pytorch_autograd(name):
    finite = POINTS[np.isfinite(POINTS)]
    t = torch.tensor(finite, dtype=torch.float64, requires_grad=True)
    (want,) = torch.autograd.grad(CASES[name](t).sum(), t)
    got = ck.compile_grad(f"{name}(x)")(finite)[..., 0]
    # PyTorch's hardsigmoid_backward multiplies by a single-precision 1/6
    rtol = 1e-7 if name == "hard_sigmoid" else 0
    np.testing.assert_allclose(got, want.numpy(), rtol=rtol, atol=0)


def test_hinge_kernel_is_finite_for_huge_margins():
    k = ck.compile("hinge(y, z)", ["z"], ["y"])
    np.testing.assert_array_equal(k(np.array([-np.inf, 0.5, np.inf]), 1.0),
                                  [np.inf, 0.5, 0.0])


def test_softsign_limits_at_infinity_and_values_elsewhere():
    pts = np.array([-np.inf, -1e300, -2.0, -1e-300, 0.0, 1e-300, 2.0, 1e300, np.inf])
    got = ck.compile("softsign(x)")(pts)
    assert got[0] == -1.0 and got[-1] == 1.0  # the limits (PyTorch: nan)
    want = F.softsign(torch.tensor(pts[1:-1], dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got[1:-1], want, rtol=1e-15, atol=0)
    finite = pts[1:-1][np.abs(pts[1:-1]) < 1e100]
    t = torch.tensor(finite, dtype=torch.float64, requires_grad=True)
    (d,) = torch.autograd.grad(F.softsign(t).sum(), t)
    np.testing.assert_allclose(ck.compile_grad("softsign(x)")(finite)[..., 0],
                               d.numpy(), rtol=1e-15, atol=0)
