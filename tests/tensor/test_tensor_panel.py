"""Correctness panel: calckit's matrix-form gradients and Hessians against
JAX (float64, rtol 1e-12) and against calckit.numeric finite differences,
for the losses of the issue, each written as text with shapes= (so the
parser, the derivation and the kernels are all exercised)."""

from __future__ import annotations

import numpy as np
import pytest

import calckit as ck
from calckit import numeric

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

N, D, H, K = 7, 4, 5, 3
XY = {"X": ("n", "d"), "w": "d", "y": "n"}


def _softplus(z):
    return jnp.logaddexp(0.0, z)


def _lse(z, axis):
    return jax.scipy.special.logsumexp(z, axis=axis)


def _huber(y, p, delta=1.0):
    r = jnp.abs(p - y)
    return jnp.where(r <= delta, 0.5 * r**2, delta * (r - 0.5 * delta))


def _mlp(act, X, W1, b1, W2, b2):
    return act(X @ W1 + b1) @ W2 + b2


def _relu(z):
    return jnp.maximum(z, 0.0)


def _ce(Z, Y):
    return jnp.mean(_lse(Z, 1) - jnp.sum(Y * Z, axis=1))


MLP_SHAPES = {"X": ("n", "d"), "W1": ("d", "h"), "b1": "h", "W2": ("h", "k"),
              "b2": "k", "Y": ("n", "k")}
MLP = "{act}(X @ W1 + b1) @ W2 + b2"

# name: (text, shapes, wrt, jax loss of a dict, hessian-checked)
CASES = {
    "least_squares": ("mean((X @ w - y)**2)", XY, "w",
                      lambda a: jnp.mean((a["X"] @ a["w"] - a["y"]) ** 2), True),
    "ridge": ("sum((X @ w - y)**2) / 2 + lam * sum(w**2)", XY, "w",
              lambda a: jnp.sum((a["X"] @ a["w"] - a["y"]) ** 2) / 2
              + a["lam"] * jnp.sum(a["w"] ** 2), True),
    "logistic": ("mean(softplus(X @ w) - y * (X @ w))", XY, "w",
                 lambda a: jnp.mean(_softplus(a["X"] @ a["w"])
                                    - a["y"] * (a["X"] @ a["w"])), True),
    "bce_with_logits": ("mean(bce_with_logits(y, X @ w))", XY, "w",
                        lambda a: jnp.mean((1 - a["y"]) * _softplus(a["X"] @ a["w"])
                                           + a["y"] * _softplus(-(a["X"] @ a["w"]))),
                        True),
    "softmax_regression": (
        "mean(logsumexp(X @ W + b, axis=1) - sum(Y * (X @ W + b), axis=1))",
        {"X": ("n", "d"), "W": ("d", "k"), "b": "k", "Y": ("n", "k")}, "W b",
        lambda a: _ce(a["X"] @ a["W"] + a["b"], a["Y"]), False),
    "poisson": ("mean(poisson_nll(y, X @ w))", XY, "w",
                lambda a: jnp.mean(jnp.exp(a["X"] @ a["w"])
                                   - a["y"] * (a["X"] @ a["w"])), True),
    "huber": ("mean(huber(y, X @ w))", XY, "w",
              lambda a: jnp.mean(_huber(a["y"], a["X"] @ a["w"])), True),
    "log_cosh": ("mean(log_cosh(y, X @ w))", XY, "w",
                 lambda a: jnp.mean(jnp.log(jnp.cosh(a["X"] @ a["w"] - a["y"]))),
                 True),
    "gaussian_nll": (
        "logdet(S) / 2 + mean(sum(((X - mu) @ inv(S)) * (X - mu), axis=1)) / 2",
        {"X": ("n", "d"), "mu": "d", "S": ("d", "d")}, "mu S",
        lambda a: jnp.linalg.slogdet(a["S"])[1] / 2 + jnp.mean(jnp.sum(
            ((a["X"] - a["mu"]) @ jnp.linalg.inv(a["S"])) * (a["X"] - a["mu"]),
            axis=1)) / 2, False),
    "matrix_factorisation": (
        "sum(M * (R - U @ V.T)**2)",
        {"M": ("m", "p"), "R": ("m", "p"), "U": ("m", "r"), "V": ("p", "r")}, "U V",
        lambda a: jnp.sum(a["M"] * (a["R"] - a["U"] @ a["V"].T) ** 2), False),
    "rayleigh": ("(w @ A @ w) / (w @ w)", {"w": "d", "A": ("d", "d")}, "w",
                 lambda a: (a["w"] @ a["A"] @ a["w"]) / (a["w"] @ a["w"]), True),
    "mlp_tanh_mse": (f"mean(({MLP.format(act='tanh')} - Y)**2)", MLP_SHAPES,
                     "W1 b1 W2 b2",
                     lambda a: jnp.mean((_mlp(jnp.tanh, a["X"], a["W1"], a["b1"],
                                              a["W2"], a["b2"]) - a["Y"]) ** 2), False),
    "mlp_relu_mse": (f"mean(({MLP.format(act='relu')} - Y)**2)", MLP_SHAPES,
                     "W1 b1 W2 b2",
                     lambda a: jnp.mean((_mlp(_relu, a["X"], a["W1"], a["b1"],
                                              a["W2"], a["b2"]) - a["Y"]) ** 2), False),
    "mlp_tanh_softmax_ce": (
        f"mean(logsumexp({MLP.format(act='tanh')}, axis=1) - "
        f"sum(Y * ({MLP.format(act='tanh')}), axis=1))", MLP_SHAPES, "W1 b1 W2 b2",
        lambda a: _ce(_mlp(jnp.tanh, a["X"], a["W1"], a["b1"], a["W2"], a["b2"]),
                      a["Y"]), False),
    "mlp_relu_softmax_ce": (
        f"-mean(sum(Y * log(softmax({MLP.format(act='relu')}, axis=1)), axis=1))",
        MLP_SHAPES, "W1 b1 W2 b2",
        lambda a: _ce(_mlp(_relu, a["X"], a["W1"], a["b1"], a["W2"], a["b2"]),
                      a["Y"]), False),
    "autoencoder": ("mean((sigmoid(tanh(X @ W1 + b1) @ W2 + b2) - X)**2)",
                    {"X": ("n", "d"), "W1": ("d", "h"), "b1": "h", "W2": ("h", "d"),
                     "b2": "d"}, "W1 b1 W2 b2",
                    lambda a: jnp.mean((jax.nn.sigmoid(_mlp(
                        jnp.tanh, a["X"], a["W1"], a["b1"], a["W2"], a["b2"]))
                        - a["X"]) ** 2), False),
    "squared_hinge_svm": ("mean(squared_hinge(y, X @ w)) + lam * sum(w**2)", XY,
                          "w",
                          lambda a: jnp.mean(jnp.maximum(1 - a["y"] * (a["X"] @ a["w"]),
                                                         0.0) ** 2)
                          + a["lam"] * jnp.sum(a["w"] ** 2), True),
    "trace_quadratic": ("trace(W.T @ A @ W) + norm(W @ c)",
                        {"W": ("d", "k"), "A": ("d", "d"), "c": "k"}, "W",
                        lambda a: jnp.trace(a["W"].T @ a["A"] @ a["W"])
                        + jnp.linalg.norm(a["W"] @ a["c"]), False),
}

DIMS = {"n": N, "d": D, "h": H, "k": K, "m": 5, "p": 6, "r": 2}


def _data(name, shapes, rng) -> dict:
    arrays = {}
    for key, shape in shapes.items():
        dims = (shape,) if isinstance(shape, str) else shape
        arrays[key] = rng.normal(size=tuple(DIMS[d] for d in dims))
    if "Y" in shapes:  # one-hot rows (or regression targets for the MSE nets)
        arrays["Y"] = np.eye(arrays["Y"].shape[1])[rng.integers(0, K, N)]
    if name in ("logistic", "bce_with_logits"):
        arrays["y"] = (rng.random(N) < 0.5).astype(float)
    if name == "squared_hinge_svm":
        arrays["y"] = np.where(rng.random(N) < 0.5, -1.0, 1.0)
    if name == "poisson":
        arrays["y"] = rng.poisson(2.0, N).astype(float)
    if name == "gaussian_nll":
        B = rng.normal(size=(D, D))
        arrays["S"] = B @ B.T + D * np.eye(D)
    if name == "rayleigh":
        arrays["A"] = arrays["A"] + arrays["A"].T
    if name == "matrix_factorisation":
        arrays["M"] = (rng.random(arrays["M"].shape) < 0.7).astype(float)
    if name == "autoencoder":
        arrays["X"] = rng.random(arrays["X"].shape)
    if name in ("ridge", "squared_hinge_svm"):
        arrays["lam"] = 0.3
    return arrays


def _close(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(b).max()))


@pytest.mark.parametrize("name", sorted(CASES))
def test_value_and_gradient_match_jax(name, rng):
    text, shapes, wrt, jloss, _ = CASES[name]
    arrays = _data(name, shapes, rng)
    kernel = ck.compile_value_and_grad(text, wrt=wrt, shapes=shapes)
    assert kernel.signature[: len(wrt.split())] == tuple(wrt.split())
    value, grads = kernel(*[arrays[a] for a in kernel.signature])
    grads = grads if isinstance(grads, tuple) else (grads,)
    names = wrt.split()
    jv, jg = jax.value_and_grad(jloss)({k: jnp.asarray(v) for k, v in arrays.items()})
    _close(value, jv)
    for n, g in zip(names, grads, strict=True):
        assert g.shape == arrays[n].shape
        _close(g, jg[n])


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_matches_finite_differences(name, rng):
    text, shapes, wrt, _, _ = CASES[name]
    arrays = _data(name, shapes, rng)
    value = ck.compile(text, shapes=shapes)
    grad = ck.compile_grad(text, wrt=wrt, shapes=shapes)
    grads = grad(*[arrays[a] for a in grad.signature])
    grads = grads if isinstance(grads, tuple) else (grads,)
    for n, g in zip(wrt.split(), grads, strict=True):
        def f(flat, n=n):
            args = dict(arrays, **{n: flat.reshape(arrays[n].shape)})
            return value(*[args[a] for a in value.signature])

        est, err = numeric.gradient(f, arrays[n].ravel(), method="central",
                                    full_output=True, vectorized=False)
        np.testing.assert_allclose(g.ravel(), est, rtol=1e-6,
                                   atol=1e-7 + 100 * np.max(err))


@pytest.mark.slow  # JAX Hessians: the full run only
@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n][4]))
def test_hessian_matches_jax(name, rng):
    text, shapes, wrt, jloss, _ = CASES[name]
    arrays = _data(name, shapes, rng)
    kernel = ck.compile_hessian(text, wrt=wrt, shapes=shapes)
    got = kernel(*[arrays[a] for a in kernel.signature])
    want = jax.hessian(jloss)({k: jnp.asarray(v) for k, v in arrays.items()})[wrt][wrt]
    assert got.shape == (D, D)
    _close(got, want)


@pytest.mark.slow  # JAX Hessian-vector products: the full run only
@pytest.mark.parametrize("name", ["logistic", "rayleigh", "mlp_tanh_mse",
                                  "matrix_factorisation", "gaussian_nll"])
def test_hvp_matches_jax(name, rng):
    text, shapes, wrt, jloss, _ = CASES[name]
    w = wrt.split()[0]
    arrays = _data(name, shapes, rng)
    v = rng.normal(size=arrays[w].shape)
    if name == "gaussian_nll" and w == "S":
        v = v + v.T
    expr = ck.hvp(text, w, "v_dir", shapes=shapes)
    kernel = ck.compile(expr)
    got = kernel(*[v if a == "v_dir" else arrays[a] for a in kernel.signature])
    args = {k: jnp.asarray(x) for k, x in arrays.items()}

    def along(t):
        return jloss(dict(args, **{w: args[w] + t * v}))

    want = jax.grad(lambda a: jax.grad(jloss)(a)[w].ravel() @ v.ravel())(args)[w]
    _close(got, want)
    assert np.isfinite(float(along(0.0)))
