"""Random compositions (hypothesis): the gradient and Hessian of calckit's
matrix form equal JAX's at rtol 1e-12."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import calckit as ck
import calckit.symbolic.tensor as T

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

X, w, y = ck.matrix("X", "n", "d"), ck.vector("w", "d"), ck.vector("y", "n")

UNARY = {
    "tanh": (T.tanh, jnp.tanh),
    "sigmoid": (T.sigmoid, jax.nn.sigmoid),
    "softplus": (T.softplus, lambda u: jnp.logaddexp(0.0, u)),
    "sin": (T.sin, jnp.sin),
    "square": (lambda u: u**2, lambda u: u**2),
    "gauss": (lambda u: T.exp(-(u**2)), lambda u: jnp.exp(-(u**2))),
    "log_sigmoid": (T.log_sigmoid, jax.nn.log_sigmoid),
    "neg": (lambda u: -u, lambda u: -u),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / (1 + b**2), lambda a, b: a / (1 + b**2)),
}
LEAVES = {
    "Xw": (X @ w, lambda a: a["X"] @ a["w"]),
    "y": (y, lambda a: a["y"]),
    "Xtanhw": (X @ T.tanh(w), lambda a: a["X"] @ jnp.tanh(a["w"])),
    "3": (ck.parse("3", shapes={}), lambda a: 3.0),
}
REDUCE = {
    "sum": (T.sum, jnp.sum),
    "mean": (T.mean, jnp.mean),
    "logsumexp": (T.logsumexp, jax.scipy.special.logsumexp),
    "dot_y": (lambda u: y @ u, None),
}


@st.composite
def vectors(draw, depth=3):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return LEAVES[draw(st.sampled_from(sorted(LEAVES)))]
    if draw(st.booleans()):
        ce, je = draw(vectors(depth - 1))
        cf, jf = UNARY[draw(st.sampled_from(sorted(UNARY)))]
        return cf(ce), lambda a: jf(je(a))
    (ca, ja), (cb, jb) = draw(vectors(depth - 1)), draw(vectors(depth - 1))
    cf, jf = BINARY[draw(st.sampled_from(sorted(BINARY)))]
    return cf(ca, cb), lambda a: jf(ja(a), jb(a))


@st.composite
def losses(draw):
    ce, je = draw(vectors())
    name = draw(st.sampled_from(sorted(REDUCE)))
    cf, jf = REDUCE[name]
    if ce.shape == () or "w" not in ce.free_vars():  # make it depend on w
        ce, je0 = ce + X @ w, je
        je = lambda a, je0=je0: je0(a) + a["X"] @ a["w"]  # noqa: E731
    if name == "dot_y":
        return cf(ce), lambda a: a["y"] @ je(a)
    return cf(ce), lambda a: jf(je(a))


def _arrays(seed):
    rng = np.random.default_rng(seed)
    return {"X": rng.normal(size=(5, 3)), "w": rng.normal(size=3),
            "y": rng.normal(size=5)}


@pytest.mark.slow
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(losses(), st.integers(0, 2**16))
def test_random_compositions_match_jax(loss_pair, seed):
    loss, jloss = loss_pair
    arrays = _arrays(seed)
    kv = ck.compile_value_and_grad(loss, wrt=w)
    kh = ck.compile_hessian(loss, wrt=w)
    args = [arrays[n] for n in kv.signature]
    value, g = kv(*args)
    h = kh(*[arrays[n] for n in kh.signature])
    ja = {k: jnp.asarray(v) for k, v in arrays.items()}

    def f(wv):
        return jloss(dict(ja, w=wv))

    scale = max(1.0, float(np.abs(jax.grad(f)(ja["w"])).max()))
    np.testing.assert_allclose(value, f(ja["w"]), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g, jax.grad(f)(ja["w"]), rtol=1e-12, atol=1e-12 * scale)
    hj = jax.hessian(f)(ja["w"])
    np.testing.assert_allclose(h, hj, rtol=1e-12,
                               atol=1e-12 * max(1.0, float(np.abs(hj).max())))
