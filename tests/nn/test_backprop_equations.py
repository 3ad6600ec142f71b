"""ck.nn.equations: the backprop equations of a Dense/Activation network in
matrix form, against the layers' own backward pass and numeric
differentiation."""

import numpy as np
import pytest

import calckit as ck
from calckit import nn, numeric

HIDDEN = ["tanh", "relu", "sigmoid"]
HEADS = ["mse", "binary_cross_entropy", "softmax_cross_entropy"]


def _model(hidden, head, seed=0):
    out = 3 if head == "softmax_cross_entropy" else 1
    layers = [nn.Dense(4, 6), nn.Activation(hidden), nn.Dense(6, 5),
              nn.Activation(hidden), nn.Dense(5, out)]
    if head == "binary_cross_entropy":
        layers.append(nn.Activation("sigmoid"))
    return nn.Sequential(layers, seed=seed)


def _data(head, rng, n=17):
    X = rng.normal(size=(n, 4))
    if head == "softmax_cross_entropy":
        return X, rng.integers(0, 3, n)
    if head == "binary_cross_entropy":
        return X, rng.integers(0, 2, n).astype(float)
    return X, rng.normal(size=n)


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("head", HEADS)
def test_equations_equal_backprop(hidden, head):
    rng = np.random.default_rng(HIDDEN.index(hidden) + 10 * HEADS.index(head))
    model = _model(hidden, head)
    X, y = _data(head, rng)
    eq = nn.equations(model, head)
    grads = eq.gradients(X, y)
    _, backprop = model.value_and_grad(X, y, head)
    assert sorted(grads) == sorted(backprop)
    for key in backprop:
        np.testing.assert_allclose(grads[key], backprop[key], rtol=1e-12,
                                   atol=1e-14, err_msg=key)


def test_equations_match_finite_differences():
    rng = np.random.default_rng(5)
    model = _model("tanh", "mse")
    X, y = _data("mse", rng)
    grads = nn.equations(model, "mse").gradients(X, y)
    W = model.parameters()["2.W"]
    start = W.copy()

    def loss_at(flat):
        W[...] = flat.reshape(W.shape)
        value = model.loss(X, y, "mse", training=True)
        W[...] = start
        return value

    fd = numeric.gradient(loss_at, start.ravel(), method="richardson",
                          vectorized=False)
    np.testing.assert_allclose(grads["2.W"].ravel(), fd, rtol=1e-8, atol=1e-11)


def test_softmax_cross_entropy_delta_reads_softmax_minus_y():
    model = nn.Sequential([nn.Dense(2, 8), nn.Activation("relu"), nn.Dense(8, 4)],
                          seed=0)
    eq = nn.equations(model, "softmax_cross_entropy")
    text = str(eq)
    assert "delta_1 = softmax(z2, axis=1) - Y" in text
    assert "dW2 = a1.T @ delta_1 / n" in text
    assert "db2 = mean(delta_1, axis=0)" in text
    assert "a1 = relu(z1)" in text
    assert eq.latex().startswith("\\begin{aligned}")
    assert "\\delta_{1}" in eq._repr_latex_()


def test_seed_network_2_8_4_1_prints_every_gradient():
    model = nn.Sequential([nn.Dense(2, 8), nn.Activation("sigmoid"), nn.Dense(8, 4),
                           nn.Activation("sigmoid"), nn.Dense(4, 1),
                           nn.Activation("sigmoid")], seed=0)
    eq = nn.equations(model, "binary_cross_entropy")
    assert list(eq.grads) == ["dW1", "db1", "dW2", "db2", "dW3", "db3"]
    assert eq.keys["W3"] == "4.W"
    assert "bce_with_logits(Y, z3)" in str(eq.loss)


def test_unsupported_models_and_losses_are_errors():
    with pytest.raises(ck.InvalidParameterError, match="layer 1 .*Flatten"):
        nn.equations(nn.Sequential([nn.Dense(2, 3), nn.Flatten()]), "mse")
    with pytest.raises(ck.InvalidParameterError, match="logits"):
        nn.equations(nn.Sequential([nn.Dense(2, 3), nn.Activation("tanh")]),
                     "softmax_cross_entropy")
    with pytest.raises(ck.CalckitTypeError, match="loss name"):
        nn.equations(nn.Sequential([nn.Dense(2, 3)]), None)
