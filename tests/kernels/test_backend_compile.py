"""compile(..., backend="jax" | "torch"): the same stable kernels on other
array libraries agree with the NumPy kernels (1e-12, float64), stay finite
where they are, keep float32 and refuse bad input with calckit errors."""

import numpy as np
import pytest
import sympy as sp

import calckit as ck
from calckit.errors import CalckitTypeError, InvalidParameterError, ShapeError
from calckit.kernels.backends import BackendUnavailableError, capabilities

#: imports JAX, PyTorch or Dask (seconds each): the full run only
pytestmark = pytest.mark.slow

RTOL, ATOL = 1e-12, 1e-300


class _Jax:
    name = "jax"

    def __init__(self):
        self.jax = pytest.importorskip("jax", reason="JAX is not installed")
        self.jnp = self.jax.numpy

    def array(self, a, dtype="float64"):
        return self.jnp.asarray(np.asarray(a, dtype))

    def numpy(self, a):
        return np.asarray(a)

    def dtype_name(self, a):
        return str(a.dtype)


class _Torch:
    name = "torch"

    def __init__(self):
        self.torch = pytest.importorskip("torch", reason="PyTorch is not installed")

    def array(self, a, dtype="float64"):
        return self.torch.as_tensor(np.asarray(a, dtype))

    def numpy(self, a):
        return a.detach().cpu().numpy()

    def dtype_name(self, a):
        return str(a.dtype).removeprefix("torch.")


@pytest.fixture(params=["jax", "torch"])
def xp(request):
    """One array backend (skipped when its engine is absent); JAX in x64."""
    if request.param == "jax":
        b = _Jax()
        old = b.jax.config.jax_enable_x64
        b.jax.config.update("jax_enable_x64", True)
        yield b
        b.jax.config.update("jax_enable_x64", old)
    else:
        yield _Torch()


def _agree(xp, kind, expr, wrt, params, args):
    compiler = {"value": ck.compile, "grad": ck.compile_grad,
                "hessian": ck.compile_hessian}[kind]
    with np.errstate(over="ignore"):  # the exact value beyond float64 (1/p**2)
        ref = compiler(expr, wrt, params)(*args)
    got = compiler(expr, wrt, params, backend=xp.name)(*[xp.array(a) for a in args])
    got = xp.numpy(got)
    assert got.shape == ref.shape and got.dtype == np.float64
    finite = np.isfinite(ref)
    assert np.isfinite(got[finite]).all(), f"{kind} of {expr}: non-finite values"
    np.testing.assert_allclose(got, ref, rtol=RTOL, atol=ATOL, err_msg=f"{kind} {expr}")


X = sp.Symbol("x", real=True)
GRID = np.concatenate([np.linspace(-1000, 1000, 41), np.linspace(-4, 4, 33),
                       [0.0, 1e-300, -1e-300, 20.5, -37.0, 710.0, -745.0]])


@pytest.mark.parametrize("name", ck.activations.names())
@pytest.mark.parametrize("kind", ["value", "grad", "hessian"])
def test_every_activation_agrees_with_numpy(xp, name, kind):
    _agree(xp, kind, ck.activations.get(name)(X), [X], (), (GRID,))


Y, Z = sp.symbols("y z", real=True)
P = np.array([1e-300, 1e-20, 1e-3, 0.3, 0.5, 0.9, 1 - 1e-12, 1 - 1e-16])
LOGITS = np.array([-1000.0, -40.0, -3.0, 0.0, 0.5, 3.0, 40.0, 1000.0])
ZS, YS = sp.symbols("z0:3", real=True), sp.symbols("t0:3", real=True)
PS, QS = sp.symbols("p0:3", real=True), sp.symbols("q0:3", real=True)
# loss name -> (expression, wrt, params, argument values)
LOSS_CASES = {
    "mse": ((Y, Z), [0.0, 1.5, -2.0], LOGITS),
    "mae": ((Y, Z), [0.0, 1.5, -2.0], LOGITS),
    "huber": ((Y, Z), [0.0, 1.5, -2.0], LOGITS),
    "log_cosh": ((Y, Z), [0.0, 1.5, -2.0], LOGITS),
    "binary_cross_entropy": ((Y, Z), [0.0, 0.3, 1.0], P),
    "focal": ((Y, Z), [0.0, 0.3, 1.0], P),
    "bce_with_logits": ((Y, Z), [0.0, 0.3, 1.0], LOGITS),
    "hinge": ((Y, Z), [-1.0, 1.0], LOGITS),
    "squared_hinge": ((Y, Z), [-1.0, 1.0], LOGITS),
    "poisson_nll": ((Y, Z), [0.0, 2.0, 7.0], LOGITS[1:-1]),
}


@pytest.mark.parametrize("name", sorted(LOSS_CASES))
@pytest.mark.parametrize("kind", ["value", "grad", "hessian"])
def test_every_pairwise_loss_agrees_with_numpy(xp, name, kind):
    (y, z), ys, zs = LOSS_CASES[name]
    yy, zz = (a.ravel() for a in np.meshgrid(ys, zs))
    _agree(xp, kind, ck.losses.get(name)(y, z), [z], [y], (zz, yy))


def test_sequence_losses_agree_with_numpy(xp):
    rng = np.random.default_rng(0)
    z = rng.normal(scale=300, size=(3, 20))
    onehot = np.eye(3)[rng.integers(0, 3, 20)].T
    sce = ck.losses.softmax_cross_entropy(YS, ZS)
    for kind in ("value", "grad", "hessian"):
        _agree(xp, kind, sce, list(ZS), list(YS), (*z, *onehot))
    p = rng.dirichlet(np.ones(3), 20).T
    q = rng.dirichlet(np.ones(3) * 0.1, 20).T + 1e-300
    kl = ck.losses.kl_divergence(PS, QS)
    for kind in ("value", "grad"):
        _agree(xp, kind, kl, list(QS), list(PS), (*q, *p))


W, B = sp.symbols("w b", real=True)
A = sp.symbols("a0:10", real=True)
X1, X2 = sp.symbols("x1 x2", real=True)
# the rows of benchmarks/kernels.py and the scalar kernel shapes of test_kernels
PANEL = [
    ("grad", sp.log(1 + sp.exp(W * X + B)), [W, B], [X]),
    ("value", X / 2 * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (X + 0.044715 * X**3))),
     [X], []),
    ("grad", -(Y * sp.log(1 / (1 + sp.exp(-(W * X1 + Z * X2 + B))))
               + (1 - Y) * sp.log(1 - 1 / (1 + sp.exp(-(W * X1 + Z * X2 + B))))),
     [W, Z, B], [X1, X2, Y]),
    ("hessian", (1 - X) ** 2 + 100 * (Y - X**2) ** 2, [X, Y], []),
    ("grad", (sum(A[k] * X**k for k in range(10)) - Y) ** 2, list(A), [X, Y]),
    ("value", sp.Piecewise((sp.log(X), X > 0), (X**2, True)), [X], []),
    ("value", sp.Max(X, Y, 0) + sp.Min(1, sp.Max(-1, X)) + sp.Abs(X - Y), [X, Y], []),
    ("value", sp.Heaviside(X) + sp.Heaviside(X, 0) * sp.sign(Y) + X**9 / Y**2,
     [X, Y], []),
    ("value", sp.log(sum(sp.exp(A[k] * X) for k in range(10))), [X], list(A)),
    ("value", sp.erf(X) + sp.atan2(Y, X) + sp.cbrt(X) + sp.sqrt(X**2 + 1), [X, Y], []),
    ("hessian", X * Y * sp.exp(-X**2) + sp.cos(X * Y), [X, Y], []),
]


@pytest.mark.parametrize("case", range(len(PANEL)))
def test_scalar_kernel_panel_agrees_with_numpy(xp, case):
    kind, expr, wrt, params = PANEL[case]
    rng = np.random.default_rng(case)
    args = [rng.normal(scale=2.0, size=50) for _ in [*wrt, *params]]
    with np.errstate(all="ignore"):  # log of the untaken Piecewise branch
        _agree(xp, kind, expr, wrt, params, args)


def test_broadcasting_constants_zeros_and_argument_order(xp):
    k = ck.compile(sp.Matrix([[X * Y, 3], [0, X**2]]), backend=xp.name)
    out = xp.numpy(k(xp.array(np.arange(4.0)[:, None]), xp.array([2.0, 3.0])))
    ref = ck.compile(sp.Matrix([[X * Y, 3], [0, X**2]]))(np.arange(4.0)[:, None],
                                                          [2.0, 3.0])
    np.testing.assert_array_equal(out, ref)
    assert out.shape == (4, 2, 2, 2)
    const = ck.compile(["2", "x - x"], [X], backend=xp.name)(xp.array([1.0, 5.0]))
    np.testing.assert_array_equal(xp.numpy(const), [[2.0, 0.0], [2.0, 0.0]])


def test_identity_kernel_returns_a_new_array(xp):
    x = xp.array([1.0, 2.0])
    out = ck.compile("x", backend=xp.name)(x)
    assert out is not x
    np.testing.assert_array_equal(xp.numpy(out), [1.0, 2.0])


@pytest.mark.parametrize("kind", ["value", "grad"])
def test_float32_stays_float32(xp, kind):
    compiler = ck.compile if kind == "value" else ck.compile_grad
    k = compiler("x*tanh(softplus(x)) + w**2", backend=xp.name)
    assert k.signature == ("w", "x")
    out = k(xp.array([1.0, 2.0], "float32"), xp.array([0.5, -200.0], "float32"))
    assert xp.dtype_name(out) == "float32"
    ref = compiler("x*tanh(softplus(x)) + w**2")(np.array([1.0, 2.0]), [0.5, -200.0])
    np.testing.assert_allclose(xp.numpy(out), ref, rtol=1e-6, atol=1e-30)


def test_numbers_alone_compute_in_the_kernel_dtype(xp):
    out = ck.compile("x + 1", backend=xp.name)(2.0)
    assert xp.dtype_name(out) == "float64" and float(xp.numpy(out)) == 3.0


def test_cache_keys_on_the_backend(xp):
    k = ck.compile("exp(x) + 1", backend=xp.name)
    assert k.backend == xp.name and "_xp.exp" in k.source
    assert ck.compile("exp(x) + 1", backend=xp.name) is k
    assert ck.compile("exp(x) + 1") is not k
    assert "backend=" in repr(k)


def test_jax_jit_compiles_a_backend_kernel():
    jax = pytest.importorskip("jax", reason="JAX is not installed")
    k = ck.compile_grad("log(1 + exp(w*x + b))", wrt="w b", params="x",
                        backend="jax")
    x = jax.numpy.linspace(-3.0, 3.0, 7, dtype="float32")
    fast = jax.jit(k.function)
    np.testing.assert_allclose(np.asarray(fast(0.5, 0.0, x)),
                               np.asarray(k(0.5, 0.0, x)), rtol=1e-6)


@pytest.mark.slow
def test_torch_compile_compiles_a_backend_kernel():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    k = ck.compile("x*tanh(softplus(x))", backend="torch")
    x = torch.linspace(-30, 30, 101, dtype=torch.float64)
    fast = torch.compile(k.function)
    torch.testing.assert_close(fast(x), k(x), rtol=1e-12, atol=0)


def test_unknown_backend_is_a_calckit_error():
    with pytest.raises(InvalidParameterError, match="'tensorflow'.*'jax', 'torch'"):
        ck.compile("x", backend="tensorflow")
    with pytest.raises(InvalidParameterError, match="backend"):
        ck.compile_grad("x**2", backend=None)


@pytest.mark.parametrize("engine", ["jax", "torch"])
def test_missing_engine_names_the_extra(monkeypatch, engine):
    monkeypatch.setitem(__import__("sys").modules, engine, None)  # import fails
    with pytest.raises(BackendUnavailableError, match=rf"calckit\[{engine}\]"):
        ck.compile("x + 2", backend=engine)
    with pytest.raises(ImportError):  # also the builtin
        ck.compile_hessian("x**3", backend=engine)


def test_complex_dtype_is_refused_for_array_backends(xp):
    with pytest.raises(InvalidParameterError, match="kernels are real"):
        ck.compile("x*y", dtype=complex, backend=xp.name)


def test_function_without_translation_names_it_and_the_backend():
    pytest.importorskip("torch", reason="PyTorch is not installed")
    with pytest.raises(CalckitTypeError, match="gamma.*no torch implementation"):
        ck.compile(sp.gamma(X), backend="torch")


def test_torch_refuses_mixed_numpy_and_tensor_arguments():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    k = ck.compile("x*y", backend="torch")
    with pytest.raises(CalckitTypeError, match="y is a NumPy array but x is a torch"):
        k(torch.ones(3), np.ones(3))
    assert torch.equal(k(torch.ones(3), 2.0), torch.full((3,), 2.0))


def test_backend_kernels_check_shapes_and_types(xp):
    k = ck.compile("x*y", backend=xp.name)
    with pytest.raises(ShapeError, match=r"x: \(3,\), y: \(4,\)"):
        k(xp.array(np.ones(3)), xp.array(np.ones(4)))
    with pytest.raises(CalckitTypeError, match="argument y"):
        k(xp.array(np.ones(3)), "abc")
    with pytest.raises(CalckitTypeError, match="takes 2 arguments"):
        k(xp.array(np.ones(3)))


def test_capabilities_table_matches_what_compiles():
    pytest.importorskip("torch", reason="PyTorch is not installed")
    table = capabilities()
    assert table["logaddexp"]["torch"] and table["expit"]["torch"]
    assert not table["gamma"]["torch"]
    for fname, expr in [("erf", sp.erf(X)), ("gamma", sp.gamma(X))]:
        ok = table[fname]["torch"]
        try:
            ck.compile(expr, backend="torch")
            compiled = True
        except CalckitTypeError:
            compiled = False
        assert compiled == ok, fname
