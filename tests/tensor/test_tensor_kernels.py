"""Tensor kernels: BLAS code hand-written NumPy would be, shared work,
stable forms, float32 kept, readable source, argument order and shape
errors naming the argument and the bound dims."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import sympy as sp
from scipy.special import expit

import calckit as ck
import calckit.symbolic.tensor as T

X, w, y = ck.matrix("X", "n", "d"), ck.vector("w", "d"), ck.vector("y", "n")
LOGISTIC = T.mean(T.softplus(X @ w) - y * (X @ w))
SHAPES = {"X": ("n", "d"), "w": "d", "y": "n"}


def _data(rng, n=50, d=4, dtype=float):
    return (rng.normal(size=d).astype(dtype), rng.normal(size=(n, d)).astype(dtype),
            (rng.random(n) < 0.5).astype(dtype))


def _hand(wv, Xv, yv):
    s = expit(Xv @ wv)
    return Xv.T @ (s - yv) / len(yv), Xv.T @ (Xv * (s * (1 - s))[:, None]) / len(yv)


def test_value_and_gradient_share_one_matvec(rng):
    k = ck.compile_value_and_grad(LOGISTIC, wrt=w)
    assert k.source.count("X @ w") == 1 and k.source.count("@") == 2
    wv, Xv, yv = _data(rng)
    value, g = k(wv, Xv, yv)
    np.testing.assert_allclose(g, _hand(wv, Xv, yv)[0], rtol=1e-13)
    z = Xv @ wv
    np.testing.assert_allclose(value, np.mean(np.logaddexp(0, z) - yv * z), rtol=1e-13)


def test_hessian_kernel_builds_no_diag(rng):
    k = ck.compile_hessian(LOGISTIC, wrt=w)
    assert "diag" not in k.source and "[:, None]" in k.source
    wv, Xv, yv = _data(rng)
    np.testing.assert_allclose(k(wv, Xv, yv), _hand(wv, Xv, yv)[1], rtol=1e-12)


def test_gradient_peak_memory_is_the_hand_versions(rng):
    wv, Xv, yv = _data(rng, n=20_000, d=50)
    k = ck.compile_grad(LOGISTIC, wrt=w)
    k(wv, Xv, yv)
    peaks = []
    for f in (lambda: Xv.T @ (expit(Xv @ wv) - yv) / len(yv),
              lambda: k(wv, Xv, yv)):
        tracemalloc.start()
        f()
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] <= 1.5 * peaks[0]  # no (n, d) temporary


def test_float32_stays_float32(rng):
    wv, Xv, yv = _data(rng, dtype=np.float32)
    value, g = ck.compile_value_and_grad(LOGISTIC, wrt=w)(wv, Xv, yv)
    h = ck.compile_hessian(LOGISTIC, wrt=w)(wv, Xv, yv)
    assert value.dtype == g.dtype == h.dtype == np.float32
    np.testing.assert_allclose(g, _hand(*(a.astype(float) for a in (wv, Xv, yv)))[0],
                               rtol=1e-4, atol=1e-6)


def test_no_overflow_at_logits_of_1000():  # RuntimeWarnings are errors in tests
    Xv = np.array([[1000.0], [-1000.0]])
    yv = np.array([1.0, 0.0])
    value, g = ck.compile_value_and_grad(LOGISTIC, wrt=w)(np.ones(1), Xv, yv)
    assert float(value) == 0.0 and g.tolist() == [0.0]
    h = ck.compile_hessian(LOGISTIC, wrt=w)(np.ones(1), Xv, yv)
    assert np.isfinite(h).all()
    Z, Y = ck.matrix("Z", "n", "k"), ck.matrix("Y", "n", "k")
    ce = T.mean(T.logsumexp(Z, axis=1) - T.sum(Y * Z, axis=1))
    value, g = ck.compile_value_and_grad(ce, wrt=Z)(
        np.array([[1000.0, -1000.0, 0.0]]), np.array([[0.0, 1.0, 0.0]]))
    assert float(value) == 2000.0
    np.testing.assert_allclose(g, [[1.0, -1.0, 0.0]])


def test_argument_order_is_wrt_then_the_rest_by_name():
    k = ck.compile_grad(LOGISTIC, wrt=w)
    assert k.signature == ("w", "X", "y")
    k = ck.compile_grad(LOGISTIC, wrt="w", params="y X")
    assert k.signature == ("w", "y", "X")
    assert isinstance(k, ck.Kernel)
    assert ck.compile(X @ w).signature == ("X", "w")


def test_keyword_arguments_and_caching(rng):
    wv, Xv, yv = _data(rng)
    k = ck.compile_grad(LOGISTIC, wrt=w)
    assert k is ck.compile_grad(LOGISTIC, wrt=w)
    np.testing.assert_array_equal(k(wv, y=yv, X=Xv), k(wv, Xv, yv))


def test_several_variables_give_a_tuple(rng):
    W, b = ck.matrix("W", "d", "k"), ck.vector("b", "k")
    Y = ck.matrix("Y", "n", "k")
    loss = T.mean((X @ W + b - Y) ** 2)
    k = ck.compile_value_and_grad(loss, wrt="W b")
    Xv, Wv, bv, Yv = (rng.normal(size=s) for s in ((6, 3), (3, 2), (2,), (6, 2)))
    value, (gW, gb) = k(Wv, bv, Xv, Yv)
    r = Xv @ Wv + bv - Yv
    np.testing.assert_allclose(gW, 2 * Xv.T @ r / r.size, rtol=1e-13)
    np.testing.assert_allclose(gb, 2 * r.sum(0) / r.size, rtol=1e-13)
    single = ck.compile_grad(loss, wrt="b")(bv, Wv, Xv, Yv)
    np.testing.assert_allclose(single, gb, rtol=1e-13)


def test_outputs_are_fresh_arrays_of_the_variable_shape(rng):
    k = ck.compile_grad(T.sum(w * ck.vector("v", "d")), wrt=w)
    v = rng.normal(size=3)
    g = k(np.zeros(3), v)
    assert g is not v and np.array_equal(g, v)
    ones = ck.compile_grad(T.sum(w), wrt=w)(np.zeros(4))
    assert ones.shape == (4,) and ones.flags.writeable and ones.tolist() == [1.0] * 4


def test_shape_errors_name_the_argument_and_the_bound_dims(rng):
    k = ck.compile_grad(LOGISTIC, wrt=w)
    wv, Xv, yv = _data(rng, n=10, d=3)
    with pytest.raises(ck.ShapeError, match=r"'y' has shape \(4,\) but expected "
                       r"\(n,\) with n = 10 \(bound by 'X' of shape \(10, 3\)\)"):
        k(wv, Xv, yv[:4])
    with pytest.raises(ck.ShapeError, match=r"'X' must have shape \(n, d\) \(2 axes\)"):
        k(wv, Xv[0], yv)
    k3 = ck.compile(T.sum(ck.vector("u", 3)))
    with pytest.raises(ck.ShapeError, match=r"'u' must have shape \(3,\)"):
        k3(np.ones(4))
    with pytest.raises(ck.CalckitTypeError):
        k(wv, "X", yv)


def test_scalar_value_and_grad():
    k = ck.compile_value_and_grad("x**2*y", wrt="x y")
    value, g = k(np.array([1.0, 2.0]), 3.0)
    np.testing.assert_allclose(value, [3.0, 12.0])
    np.testing.assert_allclose(g, [[6.0, 1.0], [12.0, 4.0]])


def test_piecewise_activations_compile_without_warnings(rng):
    W = ck.matrix("W", "d", "k")
    for name in ("relu", "elu", "selu", "leaky_relu", "hard_tanh", "gelu", "mish"):
        loss = T.sum(T.apply(name, X @ W))
        k = ck.compile_value_and_grad(loss, wrt=W)
        Wv, Xv = rng.normal(size=(3, 2)) * 400, rng.normal(size=(5, 3))
        value, g = k(Wv, Xv)
        assert np.isfinite(value) and np.isfinite(g).all(), name


def test_scalar_parameters_are_arguments(rng):
    lam = sp.Symbol("lam", real=True)
    loss = T.sum((X @ w - y) ** 2) + lam * T.sum(w**2)
    k = ck.compile_grad(loss, wrt=w)
    assert k.signature == ("w", "X", "lam", "y")
    wv, Xv, yv = _data(rng)
    np.testing.assert_allclose(k(wv, Xv, 0.5, yv), 2 * Xv.T @ (Xv @ wv - yv) + wv,
                               rtol=1e-12)


def test_products_ending_in_a_vector_are_matrix_vector_products(rng):
    k = ck.compile(ck.parse("sum(X.T @ X @ w)", shapes=SHAPES))
    assert "X.T @ (X @ w)" in k.source
    Xv, wv = rng.normal(size=(6, 3)), rng.normal(size=3)
    np.testing.assert_allclose(k(Xv, wv), np.sum(Xv.T @ Xv @ wv), rtol=1e-13)
    k = ck.compile(ck.parse("w @ X.T @ X", shapes=SHAPES))
    assert "(w @ X.T) @ X" in k.source or "w @ X.T @ X" in k.source


def test_compile_several_tensor_expressions(rng):
    k = ck.compile([X @ w, T.sum(w**2)])
    Xv, wv = rng.normal(size=(4, 3)), rng.normal(size=3)
    a, b = k(Xv, wv)
    np.testing.assert_allclose(a, Xv @ wv, rtol=1e-14)
    np.testing.assert_allclose(b, wv @ wv, rtol=1e-14)


@pytest.mark.parametrize("name", ["relu", "elu", "hard_tanh", "leaky_relu", "gelu",
                                  "mish", "hard_sigmoid", "softsign", "selu"])
def test_float32_stays_float32_through_every_activation(name, rng):
    W = ck.matrix("W", "d", "k")
    k = ck.compile_value_and_grad(T.sum(T.apply(name, X @ W) ** 2), W)
    Wv, Xv = rng.normal(size=(3, 2)), rng.normal(size=(4, 3))
    v32, g32 = k(Wv.astype(np.float32), Xv.astype(np.float32))
    v64, g64 = k(Wv, Xv)
    assert v32.dtype == g32.dtype == np.float32 and g64.dtype == np.float64
    np.testing.assert_allclose(g32, g64, rtol=2e-4, atol=1e-5)
