"""Matrix-form results read like a course: exact printed forms, LaTeX,
sizes that do not grow with the dims, and the explicit-entry cross-check
at small dims (each entry of the matrix form against SymPy's own scalar
derivative of the expanded loss)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import calckit as ck
import calckit.symbolic.tensor as T
from calckit.symbolic.tensor.expr import walk

X, w, y = ck.matrix("X", "n", "d"), ck.vector("w", "d"), ck.vector("y", "n")
LOGISTIC = T.mean(T.softplus(X @ w) - y * (X @ w))


def test_logistic_gradient_and_hessian_read_like_a_course():
    assert str(ck.grad(LOGISTIC, wrt=w)) == "X.T @ (sigmoid(X @ w) - y) / n"
    assert str(ck.hessian(LOGISTIC, wrt=w)) == (
        "X.T @ diag(sigmoid(X @ w)*(1 - sigmoid(X @ w))) @ X / n")
    assert ck.latex(ck.grad(LOGISTIC, wrt=w)) == (
        r"\frac{1}{n} X^\top \left(\sigma\left(X w\right) - y\right)")
    assert ck.grad(LOGISTIC, wrt=w)._repr_latex_().startswith("$\\displaystyle ")


def test_string_and_python_forms_agree():
    text = "mean(softplus(X @ w) - y * (X @ w))"
    parsed = ck.parse(text, shapes={"X": ("n", "d"), "w": "d", "y": "n"})
    assert parsed == LOGISTIC
    assert str(parsed) == text
    assert ck.grad(text, wrt="w", shapes={"X": ("n", "d"), "w": "d", "y": "n"}) \
        == ck.grad(LOGISTIC, wrt=w)


@pytest.mark.parametrize("loss, wrt, form", [
    (T.sum((X @ w - y) ** 2), w, "2 * (X.T @ (X @ w - y))"),
    (w @ ck.matrix("A", "d", "d") @ w, w, "(A.T + A) @ w"),
    (T.sum(T.softplus(X @ w)), w, "X.T @ sigmoid(X @ w)"),
    (T.logdet(ck.matrix("S", "d", "d")), ck.matrix("S", "d", "d"), "inv(S).T"),
    (T.trace(ck.matrix("A", "d", "d") @ ck.matrix("B", "d", "d")),
     ck.matrix("B", "d", "d"), "A.T"),
])
def test_cookbook_forms(loss, wrt, form):
    assert str(ck.grad(loss, wrt)) == form


def test_softmax_cross_entropy_is_softmax_minus_targets():
    W, b, Y = ck.matrix("W", "d", "k"), ck.vector("b", "k"), ck.matrix("Y", "n", "k")
    Z = X @ W + b
    loss = T.mean(T.logsumexp(Z, axis=1) - T.sum(Y * Z, axis=1))
    gW, gb = ck.grad(loss, wrt=[W, b])
    assert str(gW) == "X.T @ (softmax(X @ W + b, axis=1) - Y) / n"
    assert str(gb) == "mean(softmax(X @ W + b, axis=1) - Y, axis=0)"


def test_mlp_backprop_equations_share_the_delta():
    W1, b1 = ck.matrix("W1", "d", "h"), ck.vector("b1", "h")
    W2, b2 = ck.matrix("W2", "h", "k"), ck.vector("b2", "k")
    Y = ck.matrix("Y", "n", "k")
    Z = T.tanh(X @ W1 + b1) @ W2 + b2
    g = ck.grad(T.mean(T.logsumexp(Z, axis=1) - T.sum(Y * Z, axis=1)),
                wrt="W1 b1 W2 b2")
    assert str(g[2]) == "tanh(X @ W1 + b1).T @ (softmax(tanh(X @ W1 + b1) @ W2 + b2, " \
        "axis=1) - Y) / n"
    delta1 = "(softmax(tanh(X @ W1 + b1) @ W2 + b2, axis=1) - Y) @ W2.T * " \
        "(1 - tanh(X @ W1 + b1)**2)"
    assert str(g[0]) == f"X.T @ ({delta1}) / n"


@pytest.mark.parametrize("dims", [(10, 3), (10_000, 784), ("n", "d")])
def test_formula_size_does_not_depend_on_the_dims(dims):
    Xd, wd, yd = ck.matrix("X", dims[0], dims[1]), ck.vector("w", dims[1]), \
        ck.vector("y", dims[0])
    loss = T.mean(T.softplus(Xd @ wd) - yd * (Xd @ wd))
    assert len(walk(ck.grad(loss, wd))) == len(walk(ck.grad(LOGISTIC, w)))
    assert len(walk(ck.hessian(loss, wd))) == len(walk(ck.hessian(LOGISTIC, w)))


def _entries(loss_fn, n, d):
    """The loss spelled out entry by entry with SymPy scalars."""
    Xs = sp.Matrix(n, d, lambda i, j: sp.Symbol(f"X{i}{j}", real=True))
    ws = sp.Matrix(d, 1, lambda i, _: sp.Symbol(f"w{i}", real=True))
    ys = sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"y{i}", real=True))
    return loss_fn(Xs, ws, ys), Xs, ws, ys


@pytest.mark.parametrize("n, d", [(2, 2), (3, 2)])
def test_matrix_form_equals_explicit_entries(n, d, rng):
    from calckit.symbolic.functions import softplus

    def scalar_loss(Xs, ws, ys):
        z = Xs * ws
        return sum(softplus(z[i]) - ys[i] * z[i] for i in range(n)) / n

    e, Xs, ws, ys = _entries(scalar_loss, n, d)
    vals = {s: v for s, v in zip(list(Xs) + list(ws) + list(ys),
                                 rng.normal(size=n * d + d + n), strict=True)}
    explicit_g = [float(sp.diff(e, wi).subs(vals)) for wi in ws]
    explicit_h = [[float(sp.diff(e, a, b).subs(vals)) for b in ws] for a in ws]
    Xv = np.array([[vals[Xs[i, j]] for j in range(d)] for i in range(n)])
    wv = np.array([vals[s] for s in ws])
    yv = np.array([vals[s] for s in ys])
    g = ck.compile_grad(LOGISTIC, w)(wv, Xv, yv)
    h = ck.compile_hessian(LOGISTIC, w)(wv, Xv, yv)
    np.testing.assert_allclose(g, explicit_g, rtol=1e-12)
    np.testing.assert_allclose(h, explicit_h, rtol=1e-12)


def test_jacobian_of_a_vector_expression():
    assert str(ck.jacobian(T.tanh(X @ w), w)) == "diag(1 - tanh(X @ w)**2) @ X"
    assert str(ck.jacobian(T.softmax(w), w)) == \
        "diag(softmax(w)) - outer(softmax(w), softmax(w))"


def test_hvp_expression():
    v = ck.vector("v", "d")
    assert str(ck.hvp(LOGISTIC, w, v)) == \
        "X.T @ (X @ v * (sigmoid(X @ w)*(1 - sigmoid(X @ w)))) / n"


def test_scalar_symbols_mix_in_and_are_variables():
    lam = sp.Symbol("lam", real=True)
    loss = T.sum((X @ w - y) ** 2) + lam * T.sum(w**2)
    assert str(ck.grad(loss, w)) == "2*lam * w + 2 * (X.T @ (X @ w - y))"
    assert str(ck.grad(loss, "lam")) == "sum(w**2)"
    assert str(ck.derivative(loss, w)) == str(ck.grad(loss, w))


def test_numpy_like_operators():
    b = ck.vector("b", "d")
    assert (X + b).shape == ("n", "d")  # a bias added to every row
    assert str(X * y[:, None]) == "X * y[:, None]"
    assert str((X @ w).sum()) == "sum(X @ w)"
    assert str(X.mean(axis=0)) == "mean(X, axis=0)"
    assert str(2 - w / 3) == "2 - w / 3"
    assert str(-(y - X @ w)) == "X @ w - y"
    assert (X.T @ X).shape == ("d", "d")
    assert T.outer(w, y).shape == ("d", "n")
    assert T.diag(w).shape == ("d", "d") and T.diag(T.diag(w)) == w


def test_backprop_equations_with_named_deltas():
    W1, b1 = ck.matrix("W1", "d", "h"), ck.vector("b1", "h")
    W2, b2 = ck.matrix("W2", "h", "k"), ck.vector("b2", "k")
    Y = ck.matrix("Y", "n", "k")
    Z2 = T.tanh(X @ W1 + b1) @ W2 + b2
    net = T.mean(T.logsumexp(Z2, axis=1) - T.sum(Y * Z2, axis=1))
    defs, grads = T.name_shared(ck.grad(net, wrt="W1 b1 W2 b2"), "delta")
    assert [(n, str(e)) for n, e in defs] == [
        ("delta_1", "tanh(X @ W1 + b1)"),
        ("delta_2", "softmax(delta_1 @ W2 + b2, axis=1) - Y"),
        ("delta_3", "delta_2 @ W2.T * (1 - delta_1**2)"),
    ]
    assert [str(g) for g in grads] == [
        "X.T @ delta_3 / n", "mean(delta_3, axis=0)", "delta_1.T @ delta_2 / n",
        "mean(delta_2, axis=0)"]
