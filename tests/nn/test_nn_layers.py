"""calckit.nn layers: exact backward vs numeric differentiation, PyTorch
semantics (BatchNorm statistics, Conv2D/RNN against torch when installed),
shapes and errors."""

import numpy as np
import pytest
import sympy as sp

from calckit import ShapeError, nn


# -- an independent numeric gradient: Richardson-extrapolated central
#    differences, error O(h^4), in float64 ---------------------------------
def numeric_grad(f, arr, h=1e-3):
    """d f() / d arr, perturbing ``arr`` in place entry by entry."""
    out = np.empty(arr.shape)
    flat, gflat = arr.reshape(-1), out.reshape(-1)
    for j in range(flat.size):
        old = flat[j]

        def at(v, j=j):
            flat[j] = v
            return f()

        step = h * max(1.0, abs(old))
        d1 = (at(old + step) - at(old - step)) / (2 * step)
        d2 = (at(old + step / 2) - at(old - step / 2)) / step
        flat[j] = old
        gflat[j] = (4 * d2 - d1) / 3
    return out


def assert_grad_close(exact, numeric, rtol=1e-7, atol=1e-9):
    np.testing.assert_allclose(exact, numeric, rtol=rtol, atol=atol)


def check_layer(layer, x, rng, training=True, h=1e-3):
    """Backward of L = sum(R * layer(x)) against numeric gradients of x and
    every parameter."""
    y = layer.forward(x, training)
    R = rng.standard_normal(y.shape)

    def L():
        return float(np.sum(R * layer.forward(x, training)))

    layer.forward(x, training)
    dx = layer.backward(R)
    grads = {k: g.copy() for k, g in layer.grads.items()}
    assert dx.shape == x.shape
    assert_grad_close(dx, numeric_grad(L, x, h))
    for name, p in layer.params.items():
        assert grads[name].shape == p.shape
        assert_grad_close(grads[name], numeric_grad(L, p, h))


def distinct(rng, shape, spacing=0.05):
    """Values a fixed spacing apart (no ties or kinks within the FD step)."""
    n = int(np.prod(shape))
    return (rng.permutation(n) - n / 2).reshape(shape) * spacing + 0.013


def test_dense_gradcheck(rng):
    check_layer(nn.Dense(3, 4, rng=1), rng.standard_normal((5, 3)), rng)


def test_dense_forward_formula(rng):
    layer = nn.Dense(3, 2, rng=rng)
    x = rng.standard_normal((4, 3))
    np.testing.assert_allclose(layer.forward(x),
                               x @ layer.params["W"] + layer.params["b"])
    assert layer.params["W"].shape == (3, 2) and layer.params["b"].shape == (2,)


def test_flatten_roundtrip(rng):
    layer = nn.Flatten()
    x = rng.standard_normal((2, 3, 4, 5))
    y = layer.forward(x)
    assert y.shape == (2, 60)
    np.testing.assert_array_equal(layer.backward(y), x)


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), ((1, 2), (0, 1))])
def test_conv2d_gradcheck(rng, stride, padding):
    layer = nn.Conv2D(2, 3, (3, 2), stride=stride, padding=padding, rng=2)
    check_layer(layer, rng.standard_normal((2, 2, 5, 6)), rng)


def test_conv2d_matches_direct_sum(rng):
    layer = nn.Conv2D(2, 3, 3, stride=2, padding=1, rng=3)
    x = rng.standard_normal((2, 2, 6, 5))
    y = layer.forward(x)
    W, b = layer.params["W"], layer.params["b"]
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    ref = np.zeros(y.shape)
    for i in range(y.shape[2]):
        for j in range(y.shape[3]):
            patch = xp[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
            ref[:, :, i, j] = np.einsum("ncij,ocij->no", patch, W) + b
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kernel,stride", [(2, None), (3, 2), ((2, 3), 1)])
def test_maxpool_gradcheck(rng, kernel, stride):
    layer = nn.MaxPool2D(kernel, stride)
    check_layer(layer, distinct(rng, (2, 2, 6, 7)), rng, h=1e-4)


def test_maxpool_values(rng):
    x = rng.standard_normal((2, 3, 4, 6))
    y = nn.MaxPool2D(2).forward(x)
    np.testing.assert_array_equal(y, x.reshape(2, 3, 2, 2, 3, 2).max(axis=(3, 5)))


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 2, 3)])
def test_batchnorm_gradcheck_train(rng, shape):
    layer = nn.BatchNorm(3)
    layer.params["gamma"][...] = rng.uniform(0.5, 1.5, 3)
    layer.params["beta"][...] = rng.standard_normal(3)
    check_layer(layer, rng.standard_normal(shape) * 2 + 1, rng)


def test_batchnorm_gradcheck_eval(rng):
    layer = nn.BatchNorm(3)
    layer.buffers["running_mean"][...] = [0.5, -1.0, 2.0]
    layer.buffers["running_var"][...] = [2.0, 0.5, 1.5]
    layer.params["gamma"][...] = [1.5, 0.7, -0.3]
    check_layer(layer, rng.standard_normal((4, 3, 2, 2)), rng, training=False)


def test_batchnorm_running_stats_pytorch_formulas(rng):
    layer = nn.BatchNorm(2, momentum=0.3)
    rm, rv = np.zeros(2), np.ones(2)
    for _ in range(3):
        x = rng.standard_normal((5, 2, 3, 3)) * [[[[2.0]], [[0.5]]]] + 1.0
        layer.forward(x)
        m = x.size // 2
        mean = x.mean(axis=(0, 2, 3))
        var_unbiased = x.var(axis=(0, 2, 3)) * m / (m - 1)
        rm = 0.7 * rm + 0.3 * mean
        rv = 0.7 * rv + 0.3 * var_unbiased
    np.testing.assert_allclose(layer.buffers["running_mean"], rm, rtol=1e-13)
    np.testing.assert_allclose(layer.buffers["running_var"], rv, rtol=1e-13)


def test_batchnorm_eval_uses_running_stats(rng):
    layer = nn.BatchNorm(3, eps=1e-5)
    layer.forward(rng.standard_normal((8, 3)) * 3 + 2)  # updates running stats
    rm = layer.buffers["running_mean"].copy()
    rv = layer.buffers["running_var"].copy()
    x = rng.standard_normal((4, 3))
    y = layer.forward(x, training=False)
    np.testing.assert_allclose(y, (x - rm) / np.sqrt(rv + 1e-5))
    # eval mode leaves the statistics alone and differs from batch statistics
    np.testing.assert_array_equal(layer.buffers["running_mean"], rm)
    assert not np.allclose(y, layer.forward(x, training=True))


def test_rnn_gradcheck(rng):
    check_layer(nn.RNN(3, 4, rng=5), rng.standard_normal((2, 5, 3)), rng)


def test_rnn_recurrence(rng):
    layer = nn.RNN(2, 3, rng=6)
    x = rng.standard_normal((4, 5, 2))
    hs = layer.forward(x)
    p = layer.params
    h = np.zeros((4, 3))
    for t in range(5):
        h = np.tanh(x[:, t] @ p["W_xh"] + h @ p["W_hh"] + p["b"])
        np.testing.assert_allclose(hs[:, t], h, rtol=1e-13)


def test_activation_user_lambda_gradcheck(rng):
    u = sp.Symbol("u")
    act = nn.Activation(sp.Lambda(u, u ** 3 / 3 + sp.sin(u)))
    check_layer(act, rng.standard_normal((3, 4)), rng)
    assert act.name is None


def test_activation_user_callable_and_string(rng):
    act = nn.Activation(lambda v: v * sp.atan(v))
    x = rng.standard_normal((3, 2))
    np.testing.assert_allclose(act.forward(x), x * np.arctan(x))
    check_layer(act, x, rng)
    act2 = nn.Activation("t*exp(-t**2)")
    np.testing.assert_allclose(act2.forward(x), x * np.exp(-x * x))
    check_layer(act2, x, rng)


@pytest.mark.parametrize(
    "layer,shape,fragment",
    [
        (nn.Dense(3, 2), (4, 5), "Dense(3, 2)"),
        (nn.Conv2D(2, 4, 3), (1, 3, 5, 5), "Conv2D(2, 4"),
        (nn.RNN(3, 2), (4, 3), "RNN(3, 2)"),
        (nn.BatchNorm(3), (4, 2), "BatchNorm(3)"),
        (nn.MaxPool2D(3), (1, 1, 2, 2), "MaxPool2D"),
    ],
)
def test_shape_errors_name_layer_and_shape(layer, shape, fragment):
    with pytest.raises(ShapeError) as err:
        layer.forward(np.zeros(shape))
    assert fragment in str(err.value) and str(shape) in str(err.value)


def test_backward_shape_error_and_order():
    layer = nn.Dense(3, 2)
    with pytest.raises(ShapeError, match="before forward"):
        layer.backward(np.zeros((1, 2)))
    layer.forward(np.zeros((4, 3)))
    with pytest.raises(ShapeError, match=r"\(4, 2\)"):
        layer.backward(np.zeros((4, 3)))


def test_init_glorot_and_he_deterministic():
    a = nn.Dense(50, 40, rng=7).params["W"]
    b = nn.Dense(50, 40, rng=7).params["W"]
    np.testing.assert_array_equal(a, b)
    assert np.abs(a).max() <= np.sqrt(6 / 90)
    he = nn.Dense(400, 300, init="he", rng=1).params["W"]
    assert abs(he.std() - np.sqrt(2 / 400)) < 0.05 * np.sqrt(2 / 400)


# -- PyTorch comparisons (skipped when torch is not installed) ---------------
def test_conv2d_matches_torch(rng):
    torch = pytest.importorskip("torch")
    layer = nn.Conv2D(3, 4, 3, stride=2, padding=1, rng=8)
    x = rng.standard_normal((2, 3, 7, 6))
    g = rng.standard_normal(layer.output_shape(x.shape))
    y = layer.forward(x)
    dx = layer.backward(g)
    tx = torch.tensor(x, requires_grad=True)
    tW = torch.tensor(layer.params["W"], requires_grad=True)
    tb = torch.tensor(layer.params["b"], requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tW, tb, stride=2, padding=1)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["W"], tW.grad.numpy(), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(layer.grads["b"], tb.grad.numpy(), rtol=1e-12)


def test_maxpool_matches_torch(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 3, 7, 8))
    layer = nn.MaxPool2D(3, 2)
    y = layer.forward(x)
    g = rng.standard_normal(y.shape)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.max_pool2d(tx, 3, 2)
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(y, ty.detach().numpy())
    np.testing.assert_allclose(layer.backward(g), tx.grad.numpy(), rtol=1e-13)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 2, 3)])
def test_batchnorm_matches_torch(rng, shape):
    torch = pytest.importorskip("torch")
    bn = nn.BatchNorm(3, momentum=0.2, eps=1e-4)
    bn.params["gamma"][...] = [1.2, 0.8, -0.5]
    bn.params["beta"][...] = [0.1, 0.0, -0.3]
    tbn = torch.nn.BatchNorm1d(3, momentum=0.2, eps=1e-4) if len(shape) == 2 else \
        torch.nn.BatchNorm2d(3, momentum=0.2, eps=1e-4)
    tbn = tbn.double()
    with torch.no_grad():
        tbn.weight[:] = torch.tensor(bn.params["gamma"])
        tbn.bias[:] = torch.tensor(bn.params["beta"])
    for _ in range(2):
        x = rng.standard_normal(shape) * 2 + 0.5
        g = rng.standard_normal(shape)
        y = bn.forward(x)
        dx = bn.backward(g)
        tx = torch.tensor(x, requires_grad=True)
        tbn.zero_grad()
        ty = tbn.train()(tx)
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(bn.grads["gamma"], tbn.weight.grad.numpy(),
                                   rtol=1e-12)
        np.testing.assert_allclose(bn.grads["beta"], tbn.bias.grad.numpy(),
                                   rtol=1e-12)
    np.testing.assert_allclose(bn.buffers["running_mean"],
                               tbn.running_mean.numpy(), rtol=1e-13)
    np.testing.assert_allclose(bn.buffers["running_var"],
                               tbn.running_var.numpy(), rtol=1e-13)
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(bn.forward(x, training=False),
                               tbn.eval()(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12, atol=1e-12)


def test_rnn_matches_torch(rng):
    torch = pytest.importorskip("torch")
    layer = nn.RNN(3, 4, rng=9)
    x = rng.standard_normal((2, 6, 3))
    g = rng.standard_normal((2, 6, 4))
    hs = layer.forward(x)
    dx = layer.backward(g)
    trnn = torch.nn.RNN(3, 4, batch_first=True).double()
    with torch.no_grad():
        trnn.weight_ih_l0[:] = torch.tensor(layer.params["W_xh"].T)
        trnn.weight_hh_l0[:] = torch.tensor(layer.params["W_hh"].T)
        trnn.bias_ih_l0[:] = torch.tensor(layer.params["b"])
        trnn.bias_hh_l0.zero_()
    tx = torch.tensor(x, requires_grad=True)
    out, _ = trnn(tx)
    out.backward(torch.tensor(g))
    np.testing.assert_allclose(hs, out.detach().numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(layer.grads["W_xh"], trnn.weight_ih_l0.grad.numpy().T,
                               rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(layer.grads["W_hh"], trnn.weight_hh_l0.grad.numpy().T,
                               rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(layer.grads["b"], trnn.bias_ih_l0.grad.numpy(),
                               rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("name", __import__("calckit").activations.names())
def test_every_library_activation_gradcheck(rng, name):
    act = nn.Activation(name)
    x = distinct(rng, (4, 5), spacing=0.37)  # spans [-3.7, 3.7], off every kink
    check_layer(act, x, rng)
    # value agrees with the symbolic definition evaluated by SymPy
    import sympy as sp

    sym = sp.Symbol("t", real=True)
    f = sp.lambdify(sym, act.expr.subs(next(iter(act.expr.free_symbols), sym), sym),
                    modules="mpmath")
    ref = np.array([[float(f(v)) for v in row] for row in x])
    np.testing.assert_allclose(act.forward(x), ref, rtol=1e-12, atol=1e-14)


def test_unknown_activation_name_says_why():
    from calckit.errors import ParseError, UnknownNameError

    with pytest.raises(UnknownNameError, match="unknown function 'relu2'") as info:
        nn.Activation("relu2(")
    assert isinstance(info.value.__cause__, ParseError)


def test_activation_keyword_arguments(rng):
    act = nn.Activation("leaky_relu", alpha=0.2)
    x = np.array([[-2.0, 3.0]])
    np.testing.assert_allclose(act.forward(x), [[-0.4, 3.0]])
    np.testing.assert_allclose(act.backward(np.ones((1, 2))), [[0.2, 1.0]])


def test_user_activation_compiled_in_stable_form():
    # log(1 + exp(x)) overflows if evaluated literally; calckit.compile
    # rewrites it (softplus) and its derivative (sigmoid): no warning, exact
    act = nn.Activation("log(1 + exp(x))")
    x = np.array([[-800.0, 0.0, 30.0, 800.0]])
    np.testing.assert_allclose(act.forward(x),
                               [[0.0, np.log(2.0), 30.0 + np.log1p(np.exp(-30.0)),
                                 800.0]], rtol=1e-15)
    np.testing.assert_allclose(act.backward(np.ones_like(x)),
                               [[0.0, 0.5, 1 / (1 + np.exp(-30.0)), 1.0]],
                               rtol=1e-15, atol=1e-300)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "hard_tanh", "elu"])
def test_piecewise_activations_match_symbolic_at_kinks(name):
    # the layer may compile cheaper equal forms; check against SymPy itself,
    # at the kinks too (PyTorch's convention: relu'(0) = 0)
    act = nn.Activation(name)
    x = np.array([[-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0]])
    xs = next(iter(act.expr.free_symbols))
    f = [float(act.expr.subs(xs, v)) for v in x[0]]
    d = [float(act.derivative.subs(xs, v)) for v in x[0]]
    np.testing.assert_allclose(act.forward(x)[0], f, rtol=1e-15)
    np.testing.assert_allclose(act.backward(np.ones_like(x))[0], d, rtol=1e-15)
    if name == "relu":
        assert d[3] == 0.0


# -- adversarial inputs (each a past bug) ---------------------------------------
@pytest.mark.parametrize("typo", ["rellu", "sigmod", "tanhh", "foo", "x"])
def test_misspelt_activation_name_is_not_the_identity(typo):
    # a lone unknown name used to parse as the expression "x": f(x) = x
    from calckit.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="unknown activation") as err:
        nn.Activation(typo)
    assert "'identity'" in str(err.value)


def test_misspelt_activation_suggests_and_pytorch_case_is_accepted(rng):
    from calckit.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="Did you mean 'sigmoid'"):
        nn.Activation("sigmod")
    x = rng.standard_normal((3, 2))
    for spelling, name in [("ReLU", "relu"), ("Tanh", "tanh"), (" tanh ", "tanh")]:
        act = nn.Activation(spelling)
        assert act.name == name
        np.testing.assert_allclose(act.forward(x), nn.Activation(name).forward(x))


def test_softmax_activation_points_to_the_softmax_loss():
    # "softmax" used to parse as the identity x: a silent no-op output layer
    from calckit.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="loss='softmax_cross_entropy'"):
        nn.Activation("softmax")


def test_activation_keyword_arguments_are_checked():
    from calckit.errors import InvalidParameterError

    # a bare TypeError from the library function before
    with pytest.raises(InvalidParameterError, match="'relu' does not take 'alpha'"):
        nn.Activation("relu", alpha=0.2)
    with pytest.raises(InvalidParameterError, match="parameters are alpha"):
        nn.Activation("elu", beta=2)
    # keyword arguments with an expression string were silently ignored
    with pytest.raises(InvalidParameterError, match="only for named library"):
        nn.Activation("x*tanh(x)", alpha=0.2)


def test_rnn_empty_and_single_step_sequences(rng):
    rnn = nn.RNN(2, 3, rng=0)
    hs = rnn.forward(np.ones((2, 0, 2)))
    assert hs.shape == (2, 0, 3)
    dx = rnn.backward(np.ones((2, 0, 3)))  # used to raise a bare ValueError
    assert dx.shape == (2, 0, 2)
    assert all(not g.any() for g in rnn.grads.values())
    check_layer(nn.RNN(2, 3, rng=1), rng.standard_normal((2, 1, 2)), rng)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"momentum": "fast"}, "momentum"), ({"momentum": 1.5}, "momentum"),
     ({"eps": float("inf")}, "eps"), ({"eps": 0.0}, "eps"), ({"eps": "a"}, "eps")],
)
def test_batchnorm_bad_hyperparameters(kwargs, name):
    from calckit.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of BatchNorm"):
        nn.BatchNorm(3, **kwargs)


def test_batchnorm_eval_before_training_is_identity_affine(rng):
    bn = nn.BatchNorm(3)
    x = rng.standard_normal((4, 3))
    np.testing.assert_allclose(bn.forward(x, training=False), x / np.sqrt(1 + 1e-5))
    with pytest.raises(ShapeError, match="batch_size >= 2"):
        bn.forward(x[:1])


def test_same_layer_twice_in_sequential_is_refused():
    # the second use overwrote the first one's forward cache: wrong gradients
    # (Activation) or an AttributeError (Dense)
    from calckit.errors import InvalidParameterError

    dense, act = nn.Dense(2, 2), nn.Activation("tanh")
    with pytest.raises(InvalidParameterError, match="2 .* same object as layer 0"):
        nn.Sequential([dense, nn.Activation("tanh"), dense])
    with pytest.raises(InvalidParameterError, match="3 .* same object as layer 1"):
        nn.Sequential([nn.Dense(2, 2), act, nn.Dense(2, 2), act])
