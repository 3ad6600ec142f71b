"""Loss registry: table-driven stability tests against 60-digit mpmath over
the whole domain, vector losses with class-last kernels, closed forms,
PyTorch definitions and registry behaviour."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import sympy as sp
from test_activations import check_stable

import calckit as ck
from calckit.errors import (
    CalckitTypeError,
    InvalidParameterError,
    ShapeError,
    UnknownNameError,
)
from calckit.symbolic import losses as L
from calckit.symbolic.functions import logsumexp, sigmoid

K = 3  # classes for the vector losses

_rng = np.random.default_rng(11)
_LOGIT = [-1000.0, -745.0, -100.0, -37.0, -20.0, -12.5, -5.0, -1.0, -1e-300, 0.0,
          1e-10, 0.5, 3.0, 10.0, 15.0, 30.0, 40.0, 300.0, 709.0, 1000.0]
_PROB = [1e-300, 1e-200, 1e-100, 1e-20, 1e-10, 1e-5, 0.01, 0.1, 0.3, 0.5, 0.7,
         0.9, 0.99, 1 - 1e-5, 1 - 1e-10, 1 - 1e-16]
KINDS = {
    "real": _LOGIT,
    "logit": _LOGIT,
    "prob": _PROB,
    "label": [0.0, 1.0, 0.25, 0.5, 0.9],
    "sign": [-1.0, 1.0],
    "count": [0.0, 1.0, 3.0, 250.0],
}


def _vectors(kind):
    if kind == "logits":
        base = [(1000.0, -1000.0, 0.0), (0.0, 0.0, 0.0), (20.0, 0.0, 0.0),
                (-1000.0, -1000.0, -1000.0), (1000.0, 999.0, -5.0), (40.0, -3.0, 1.0)]
        spread = [tuple(p) for p in itertools.permutations((1000.0, -1000.0, 0.0))]
        rand = [tuple(r) for r in _rng.uniform(-60, 60, (6, K))]
        return base + spread + rand
    if kind == "labels":
        return [tuple(r) for r in np.eye(K)] + [(0.2, 0.3, 0.5)]
    if kind == "probs":
        return [(1e-300, 0.5, 1 - 1e-16), (1 / 3, 1 / 3, 1 / 3), (0.7, 0.2, 0.1),
                (1e-10, 1 - 1e-10, 1e-200), (0.99, 0.005, 0.005)]
    raise KeyError(kind)


def _symbols(name, kinds):
    groups, flat = [], []
    for k, kind in enumerate(kinds):
        if kind.endswith("s"):
            g = list(sp.symbols(f"a{k}_0:{K}", real=True))
        else:
            g = [sp.Symbol(f"a{k}", real=True)]
        groups.append(g)
        flat += g
    return groups, flat


def _points(kinds):
    axes = [_vectors(k) if k.endswith("s") else [(v,) for v in KINDS[k]]
            for k in kinds]
    return np.array([sum(combo, ()) for combo in itertools.product(*axes)])


@pytest.mark.parametrize("name", L.names())
def test_loss_stable_over_domain(name):
    kinds = L.argument_kinds(name)
    groups, flat = _symbols(name, kinds)
    args = [g if kind.endswith("s") else g[0]
            for g, kind in zip(groups, kinds, strict=True)]
    expr = L.get(name)(*args)
    # derivatives with respect to the prediction (the last argument group)
    check_stable(name, expr, flat, _points(kinds), wrt=groups[-1])


def test_every_loss_declares_argument_kinds():
    assert set(L.ARGUMENT_KINDS) == set(L.names())
    for name in L.names():
        assert all(k.rstrip("s") in KINDS for k in L.argument_kinds(name))


# ---- vector losses: class axis last, extreme logits ----------------------

zs = list(sp.symbols("z0:3", real=True))
ys = list(sp.symbols("y0:3", real=True))


def test_softmax_cross_entropy_kernels_class_axis_last():
    loss = L.softmax_cross_entropy(ys, zs)
    g = ck.compile_grad(loss, zs, ys)
    h = ck.compile_hessian(loss, zs, ys)
    Z = np.array([[1000.0, -1000.0, 0.0], [1.0, 2.0, 3.0], [-1000.0, 0.0, 1000.0],
                  [0.0, 0.0, 0.0]])
    Y = np.eye(3)[[0, 2, 2, 1]]
    G = g(*Z.T, *Y.T)
    H = h(*Z.T, *Y.T)
    assert G.shape == (4, 3) and H.shape == (4, 3, 3)
    assert np.all(np.isfinite(G)) and np.all(np.isfinite(H))
    soft = np.exp(Z - np.logaddexp.reduce(Z, axis=1, keepdims=True))
    np.testing.assert_allclose(G, soft - Y, rtol=1e-12, atol=1e-15)
    expected_h = np.einsum("ni,ij->nij", soft, np.eye(3)) - np.einsum(
        "ni,nj->nij", soft, soft)
    np.testing.assert_allclose(H, expected_h, rtol=1e-11, atol=1e-15)
    value = ck.compile(loss, zs, ys)(*Z.T, *Y.T)
    expected = np.logaddexp.reduce(Z, axis=1) - np.sum(Y * Z, axis=1)
    np.testing.assert_allclose(value, expected, rtol=1e-14, atol=1e-15)


def test_kl_divergence_grad_and_hessian_class_axis_last():
    ps = list(sp.symbols("p0:3", real=True))
    qs = list(sp.symbols("q0:3", real=True))
    loss = L.kl_divergence(ps, qs)
    P = np.array([[0.2, 0.3, 0.5], [1e-300, 0.5, 0.5]])
    Q = np.array([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]])
    G = ck.compile_grad(loss, qs, ps)(*Q.T, *P.T)
    H = ck.compile_hessian(loss, qs, ps)(*Q.T, *P.T)
    assert G.shape == (2, 3) and H.shape == (2, 3, 3)
    np.testing.assert_allclose(G, -P / Q, rtol=1e-14)
    np.testing.assert_allclose(H, np.einsum("ni,ij->nij", P / Q**2, np.eye(3)),
                               rtol=1e-14)


def test_vector_losses_reject_mismatched_or_scalar_input():
    with pytest.raises(ShapeError, match="ys has 2 entries"):
        L.softmax_cross_entropy(ys[:2], zs)
    with pytest.raises(CalckitTypeError, match="sequence"):
        L.softmax_cross_entropy(ys[0], zs[0])
    with pytest.raises(ShapeError, match="empty"):
        L.kl_divergence([], [])


# ---- closed forms ---------------------------------------------------------

def test_softmax_cross_entropy_gradient_is_softmax_minus_onehot():
    loss = L.softmax_cross_entropy(ys, zs)
    onehot = {ys[0]: 0, ys[1]: 1, ys[2]: 0}
    g = [sp.diff(loss, z).subs(onehot) for z in zs]
    lse = logsumexp(*zs)
    assert g == [sp.exp(zs[0] - lse), sp.exp(zs[1] - lse) - 1, sp.exp(zs[2] - lse)]
    tex = sp.latex(g[1])
    assert r"\operatorname{logsumexp}" in tex and "- 1" in tex


def test_bce_with_logits_gradient_is_sigmoid_minus_target():
    y, z = sp.symbols("y z", real=True)
    g = ck.symbolic.stable.stabilize(sp.diff(L.bce_with_logits(y, z), z))
    assert g == sigmoid(z) - y
    assert sp.expand(L.bce_with_logits(y, z).rewrite(sp.exp)
                     - (sp.log(1 + sp.exp(z)) - y * z)).subs(
        {y: sp.Rational(1, 3), z: sp.Rational(7, 5)}).evalf(30) == pytest.approx(0)


# ---- PyTorch definitions at sample points ---------------------------------

y_, p_ = sp.symbols("y p", real=True)


def _val(expr, **at):
    subs = {sp.Symbol(k, real=True): sp.Float(v) for k, v in at.items()}
    return float(expr.subs(subs).evalf(30))


def test_definitions_match_pytorch_formulas():
    assert _val(L.huber(y_, p_), y=0.0, p=0.5) == pytest.approx(0.125)
    assert _val(L.huber(y_, p_), y=0.0, p=3.0) == pytest.approx(2.5)
    assert _val(L.huber(y_, p_, delta=2), y=0.0, p=3.0) == pytest.approx(4.0)
    assert _val(L.mse(y_, p_), y=1.0, p=3.0) == 4.0
    assert _val(L.mae(y_, p_), y=1.0, p=-3.0) == 4.0
    assert _val(L.log_cosh(y_, p_), y=1.0, p=3.0) == pytest.approx(
        math.log(math.cosh(2)))
    assert _val(L.binary_cross_entropy(y_, p_), y=1.0, p=0.25) == pytest.approx(
        -math.log(0.25))
    assert _val(L.bce_with_logits(y_, p_), y=0.3, p=2.0) == pytest.approx(
        math.log1p(math.exp(2.0)) - 0.6)
    assert _val(L.hinge(y_, p_), y=-1.0, p=0.5) == 1.5
    assert _val(L.squared_hinge(y_, p_), y=1.0, p=0.5) == 0.25
    assert _val(L.poisson_nll(y_, p_), y=3.0, p=0.5) == pytest.approx(
        math.exp(0.5) - 1.5)
    # focal (Lin et al.): -alpha_t (1 - p_t)^gamma log(p_t)
    assert _val(L.focal(y_, p_), y=1.0, p=0.8) == pytest.approx(
        -0.25 * 0.2**2 * math.log(0.8))
    assert _val(L.focal(y_, p_), y=0.0, p=0.8) == pytest.approx(
        -0.75 * 0.8**2 * math.log(0.2))
    assert _val(L.focal(y_, p_, gamma=0, alpha=0.5), y=1.0, p=0.8) == pytest.approx(
        -0.5 * math.log(0.8))


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("mae", (0.0, 0.0), 0.0),  # L1: sign(0) = 0
        ("hinge", (1.0, 1.0), 0.0),  # at the kink, relu convention
        ("huber", (0.0, 1.0), 1.0),  # |d| = delta: delta*sign(d) = d
    ],
)
def test_loss_kinks(name, args, expected):
    y, p = sp.symbols("y p", real=True)
    k = ck.compile_grad(L.get(name)(y, p), [p], [y])
    assert float(k(args[1], args[0])[0]) == expected


def test_parameter_validation():
    with pytest.raises(InvalidParameterError, match="delta"):
        L.huber(y_, p_, delta=0)
    with pytest.raises(InvalidParameterError, match="gamma"):
        L.focal(y_, p_, gamma=-1)
    with pytest.raises(InvalidParameterError, match="alpha"):
        L.focal(y_, p_, alpha=1.5)


# ---- registry -------------------------------------------------------------

def test_registry_is_read_only_and_complete():
    assert set(L.names()) == {
        "mse", "mae", "huber", "log_cosh", "binary_cross_entropy",
        "bce_with_logits", "softmax_cross_entropy", "hinge", "squared_hinge",
        "focal", "kl_divergence", "poisson_nll",
    }
    assert ck.losses.names() == L.names()
    with pytest.raises(TypeError):
        L.REGISTRY["mse"] = None
    for name in ck.losses.__all__:
        assert hasattr(ck.losses, name)


@pytest.mark.parametrize(("bad", "hint"), [("bce_logits", "bce_with_logits"),
                                           ("hubber", "huber"),
                                           ("kl_div", "kl_divergence")])
def test_unknown_loss_lists_close_matches(bad, hint):
    with pytest.raises(UnknownNameError, match=repr(hint)) as info:
        ck.losses.get(bad)
    assert isinstance(info.value, LookupError)


@pytest.mark.parametrize("name", [n for n in L.names()
                                  if not any(k.endswith("s")
                                             for k in L.argument_kinds(n))])
def test_every_scalar_loss_is_usable_in_parse(name):
    y, z = sp.symbols("y z", real=True)
    assert ck.parse(f"{name}(y, z)") == L.get(name)(y, z)
