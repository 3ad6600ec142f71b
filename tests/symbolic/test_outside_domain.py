"""Issue 20 item 7: outside the documented domain, compiled kernels follow
PyTorch where the limits are finite (relu(-inf) = 0, hard_sigmoid(+-inf) =
0/1, hard_tanh(+-inf) = -1/1), with the derivatives PyTorch's autograd
gives, and nothing changes inside the domain."""

import mpmath
import numpy as np
import pytest
import sympy as sp

import calckit as ck
from calckit.symbolic._kinked import clip
from calckit.symbolic._step import step
from calckit.symbolic._tails import tail_rule
from calckit.symbolic.functions import dsigmoid
from calckit.symbolic.stable import stabilize

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


# ---- issue 20 item 7 (rest): a factor that vanishes in a tail times one that
# overflows there (inf*0 = nan in the kernel, a finite limit in exact math)

X = sp.Symbol("x", real=True)


def _sig(x):
    return 1 / (1 + mpmath.exp(-x))


def _gelu_tanh(x, n):
    c, a = mpmath.sqrt(2 / mpmath.pi), mpmath.mpf("0.044715")
    u, du, d2u = c * (x + a * x**3), c * (1 + 3 * a * x**2), 6 * c * a * x
    s2 = mpmath.sech(u) ** 2  # 1 - tanh(u)**2 without the cancellation
    if n == 1:
        return _sig(2 * u) + x / 2 * s2 * du  # (1 + tanh(u))/2 = sigmoid(2u)
    return s2 * du + x / 2 * (-2 * s2 * mpmath.tanh(u) * du**2 + s2 * d2u)


def _gelu(x, n):
    pdf = mpmath.exp(-(x**2) / 2) / mpmath.sqrt(2 * mpmath.pi)
    if n == 1:  # ncdf from erfc: no float conversion of a huge argument
        return mpmath.erfc(-x / mpmath.sqrt(2)) / 2 + x * pdf
    return pdf * (2 - x**2)


def _mish(x, n):
    sp_, s = mpmath.log1p(mpmath.exp(x)), _sig(x)
    s2 = mpmath.sech(sp_) ** 2
    if n == 1:
        return mpmath.tanh(sp_) + x * s2 * s
    return 2 * s2 * s + x * s2 * s * (1 - s - 2 * mpmath.tanh(sp_) * s)


def _silu(x, n):
    s = _sig(x)
    if n == 1:
        return s + x * s * (1 - s)
    return 2 * s * (1 - s) + x * s * (1 - s) * (1 - 2 * s)


def _focal1(x, n):  # focal(1, x) = -(1 - x)**2*log(x)/4, second derivative
    return -(2 * mpmath.log(x) - 4 * (1 - x) / x - (1 - x) ** 2 / x**2) / 4


REFERENCE = {"gelu_tanh(x)": _gelu_tanh, "gelu(x)": _gelu, "mish(x)": _mish,
             "silu(x)": _silu, "focal(1, x)": _focal1}


def _exact(expr: str, order: int, point: float) -> float:
    """The ``order``-th derivative of ``expr`` at ``point`` in 50-digit mpmath,
    from closed forms without cancellation (``sech(u)**2`` for ``1 -
    tanh(u)**2``: mpmath's exponent range holds ``exp(-1e600)``)."""
    with mpmath.workdps(50):
        return float(REFERENCE[expr](mpmath.mpf(point), order))


def _kernel(expr: str, order: int):
    if order == 0:
        return ck.compile(expr)
    if order == 1:
        return lambda v: ck.compile_grad(expr)(v)[..., 0]
    return lambda v: ck.compile_hessian(expr)(v)[..., 0, 0]


TAILS = [
    ("gelu_tanh(x)", 1, (-1e200, 1e200, -1e308, 1e308, -1e3, 1e3)),
    ("gelu_tanh(x)", 2, (-1e200, 1e200, 1e308, -30.0, 30.0)),
    ("gelu(x)", 2, (-1e200, 1e200, -1e308, 1e308, -40.0)),
    ("mish(x)", 1, (-1e308, -1e200, -1e3, 1e308)),
    ("mish(x)", 2, (-1e308, -1e200, -1e3)),
    ("silu(x)", 1, (-1e308, -1e200, 1e308)),
    ("silu(x)", 2, (-1e308, -1e200, 50.0)),
    ("focal(1, x)", 2, (1e308, 1e200, 1e10, 0.5)),
]


@pytest.mark.parametrize(("expr", "order", "points"), TAILS,
                         ids=[f"{e}-{n}" for e, n, _ in TAILS])
def test_derivatives_at_huge_arguments_match_mpmath(expr, order, points):
    with np.errstate(over="ignore"):  # x*x is inf on the way: not the result
        got = _kernel(expr, order)(np.array(points))
    want = np.array([_exact(expr, order, p) for p in points])
    assert np.all(np.isfinite(got)), (expr, order, got)
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-300)


def test_silu_is_zero_at_minus_infinity_and_follows_pytorch_elsewhere():
    pts = np.array([-np.inf, -1e308, -800.0, -3.0, 0.0, 2.5, 1e308, np.inf])
    got = ck.compile("silu(x)")(pts)
    assert got[0] == 0.0  # the limit (PyTorch's x*sigmoid(x): nan)
    want = F.silu(torch.tensor(pts[1:], dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got[1:], want, rtol=1e-15, atol=0)
    g = ck.compile_grad("silu(x)")(pts[:-1])[..., 0]
    assert g[0] == 0.0
    t = torch.tensor(pts[1:-1], dtype=torch.float64, requires_grad=True)
    (d,) = torch.autograd.grad(F.silu(t).sum(), t)
    np.testing.assert_allclose(g[1:], d.numpy(), rtol=1e-15, atol=0)


def test_mish_first_derivative_follows_pytorch_in_the_left_tail():
    pts = np.array([-1e308, -1e200, -800.0, -40.0, -1.0, 0.0, 3.0])
    t = torch.tensor(pts, dtype=torch.float64, requires_grad=True)
    (d,) = torch.autograd.grad(F.mish(t).sum(), t)
    got = ck.compile_grad("mish(x)")(pts)[..., 0]
    np.testing.assert_allclose(got, d.numpy(), rtol=1e-14, atol=1e-300)


def test_tail_rule_leaves_values_alone_where_they_were_numbers():
    e = X**3 * sp.exp(-X**2) + (X**2 - 3 * X) * sp.exp(X)
    assert stabilize(e).has(clip)
    pts = np.linspace(-1000, 600, 3201)
    with np.errstate(over="ignore", invalid="ignore"):
        plain = pts**3 * np.exp(-pts**2) + (pts**2 - 3 * pts) * np.exp(pts)
    got = ck.compile(e)(pts)
    np.testing.assert_array_equal(got[np.isfinite(plain)], plain[np.isfinite(plain)])
    # exp(x**3) grows faster than any bound: no rewrite, and nothing unknown
    assert tail_rule(sp.exp(X**3) * dsigmoid(X)) is None
    assert tail_rule(sp.log(X) * sp.exp(-X**2)) is None
    # two variables in the vanishing argument: no bound to compute
    y = sp.Symbol("y", real=True)
    assert tail_rule(X * sp.exp(-X * y)) is None


def test_one_sided_clip_prints_one_comparison_and_differentiates():
    c = clip(X, -5, sp.oo)
    assert sp.diff(c, X) == step(X + 5, 0)
    k = ck.compile(c * 2)
    assert "maximum" in k.source and "clip" not in k.source
    np.testing.assert_array_equal(k(np.array([-np.inf, -6.0, 1.0, np.inf])),
                                  [-10.0, -10.0, 2.0, np.inf])
    g = ck.compile(sp.diff(c, X))(np.array([-7.0, -5.0, 0.0, 1e308]))
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0, 1.0])
