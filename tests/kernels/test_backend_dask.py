"""NumPy kernels accept dask arrays and return dask arrays: chunkwise,
lazily (nothing computed inside), equal to the in-memory kernels."""

import sys

import numpy as np
import pytest
import sympy as sp

import calckit as ck
from calckit.errors import CalckitTypeError, ShapeError
from calckit.kernels.backends import BackendUnavailableError

#: imports JAX, PyTorch or Dask (seconds each): the full run only
pytestmark = pytest.mark.slow

da = pytest.importorskip("dask.array", reason="dask is not installed")
dask = pytest.importorskip("dask", reason="dask is not installed")


def _never(*args, **kwargs):
    raise AssertionError("the kernel computed a dask graph")


@pytest.fixture
def x():
    return da.random.default_rng(0).normal(size=(12, 4), chunks=(5, 2))


@pytest.mark.parametrize("kind", ["value", "grad", "hessian"])
def test_dask_in_dask_out_lazily_and_equal_to_numpy(x, kind):
    expr = "log(1 + exp(w*x + b)) + relu(x - w)*b**2"
    k = {"value": ck.compile, "grad": ck.compile_grad,
         "hessian": ck.compile_hessian}[kind](expr, "w b", "x")
    b = np.linspace(-1, 1, 4)  # a NumPy argument broadcast against x
    with dask.config.set(scheduler=_never):
        out = k(0.3, b, x)
    assert isinstance(out, da.Array)
    ref = k(0.3, b, x.compute())
    assert out.shape == ref.shape and out.dtype == ref.dtype
    assert out.chunks[:2] == x.chunks
    np.testing.assert_array_equal(out.compute(scheduler="sync"), ref)


def test_per_sample_gradient_reduced_over_chunks():
    k = ck.compile_grad("log(1 + exp(-y*(w*x + b)))", wrt="w b", params="x y")
    rng = da.random.default_rng(1)
    xs = rng.normal(size=10_000, chunks=2_500)
    ys = da.sign(rng.normal(size=10_000, chunks=2_500))
    total = k(0.5, -0.1, xs, ys).sum(axis=0)
    xn, yn = dask.compute(xs, ys)
    np.testing.assert_allclose(total.compute(), k(0.5, -0.1, xn, yn).sum(axis=0),
                               rtol=1e-12)


def test_batched_hessian_path_takes_dask_too():
    n = 20
    v = sp.symbols(f"v0:{n}", real=True)
    f = sum(100 * (v[i + 1] - v[i] ** 2) ** 2 + (1 - v[i]) ** 2 for i in range(n - 1))
    # compiled from the symbolic Hessian: the gathered (batched) layout;
    # compile_hessian takes the templated path (a sum of same-shape terms)
    batched = ck.compile(ck.hessian(f, list(v)), list(v))
    assert "_stack_args" in batched.source
    templated = ck.compile_hessian(f, list(v))
    assert "_stack_args" not in templated.source
    cols = [da.random.default_rng(i).normal(size=6, chunks=3) for i in range(n)]
    for k in (batched, templated):
        with dask.config.set(scheduler=_never):
            out = k(*cols)
        ref = k(*dask.compute(*cols))
        np.testing.assert_allclose(out.compute(scheduler="sync"), ref, rtol=1e-15)


def test_float32_kernels_keep_float32(x):
    k = ck.compile("x*tanh(softplus(x))", dtype="float32")
    out = k(x.astype("float32"))
    assert out.dtype == np.float32 and out.compute().dtype == np.float32


def test_chunks_disagreeing_along_a_broadcast_axis_are_refused(x):
    k = ck.compile("x*y")
    with pytest.raises(ShapeError, match=r"x and y are chunked differently along "
                                         r"broadcast axis 0.*y\.rechunk\(x\.chunks\)"):
        k(x, x.rechunk((4, 2)))
    assert k(x, x[:1]).shape == (12, 4)  # a size-1 axis broadcasts


def test_shapes_that_do_not_broadcast_and_bad_values_are_calckit_errors(x):
    k = ck.compile("x*y")
    with pytest.raises(ShapeError, match=r"x: \(12, 4\), y: \(3,\)"):
        k(x, np.ones(3))
    with pytest.raises(CalckitTypeError, match="argument y"):
        k(x, "abc")


def test_missing_dask_names_the_extra(monkeypatch, x):
    k = ck.compile("x + 1")
    monkeypatch.setitem(sys.modules, "dask.array", None)
    with pytest.raises(BackendUnavailableError, match=r"calckit\[dask\]"):
        k(x)


def test_importing_calckit_kernels_loads_no_engine():
    import subprocess
    code = ("import sys, calckit, calckit.kernels, calckit.kernels.export\n"
            "ck = calckit.compile('x*y')\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'jax', 'torch', 'dask'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"
