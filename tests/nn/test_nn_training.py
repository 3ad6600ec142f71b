"""calckit.nn models: whole-model gradchecks, loss reductions, fused stable
output heads, training to accuracy targets, fit options, Perceptron."""

import numpy as np
import pytest
import sympy as sp

from calckit import NumericError, ShapeError, datasets, nn, optim
from calckit.optim import schedules


def numeric_grad(f, arr, h=1e-3):
    """Richardson-extrapolated central differences of f() wrt arr (in place)."""
    out = np.empty(arr.shape)
    flat, gflat = arr.reshape(-1), out.reshape(-1)
    for j in range(flat.size):
        old = flat[j]
        step = h * max(1.0, abs(old))
        vals = []
        for d in (step, -step, step / 2, -step / 2):
            flat[j] = old + d
            vals.append(f())
        flat[j] = old
        d1 = (vals[0] - vals[1]) / (2 * step)
        d2 = (vals[2] - vals[3]) / step
        gflat[j] = (4 * d2 - d1) / 3
    return out


def check_model(model, X, y, loss, rtol=1e-6, atol=1e-9, h=1e-3):
    """Backprop vs the test's own numeric gradient for every parameter, and
    the model's own gradcheck."""
    value, grads = model.value_and_grad(X, y, loss)
    params = model.parameters()
    assert set(grads) == set(params)
    saved = {k: b.copy() for k, b in model.buffers().items()}
    for key, p in params.items():
        num = numeric_grad(lambda: model.loss(X, y, loss, training=True), p, h)
        np.testing.assert_allclose(grads[key], num, rtol=rtol, atol=atol,
                                   err_msg=key)
    for k, b in model.buffers().items():
        b[...] = saved[k]
    report = model.gradcheck(X, y, loss, rtol=rtol, atol=atol)
    assert report.ok, str(report)
    assert report.max_rel_error < 1e-6 or report.max_abs_error < atol
    return value


def mlp(sizes, act, seed=0, out_act=None):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Dense(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.Activation(act))
    if out_act:
        layers.append(nn.Activation(out_act))
    return nn.Sequential(layers, seed=seed)


# -- whole-model gradchecks ----------------------------------------------------------
@pytest.mark.parametrize("act", ["tanh", "sigmoid", "gelu", "swish", "softplus",
                                 "elu", "mish"])
def test_mlp_gradcheck_activations(rng, act):
    model = mlp([3, 4, 2], act, seed=1)
    X = rng.standard_normal((5, 3))
    check_model(model, X, rng.standard_normal((5, 2)), "mse")


@pytest.mark.parametrize("loss", ["mse", "huber", "log_cosh", "mae"])
def test_regression_losses_gradcheck(rng, loss):
    model = mlp([2, 3, 1], "tanh", seed=2)
    X = rng.standard_normal((6, 2))
    y = rng.standard_normal(6) * 3  # (N,) accepted for one output
    check_model(model, X, y, loss)


@pytest.mark.parametrize("loss,out_act", [("bce_with_logits", None),
                                          ("binary_cross_entropy", "sigmoid"),
                                          ("hinge", None), ("focal", "sigmoid")])
def test_classification_heads_gradcheck(rng, loss, out_act):
    model = mlp([2, 4, 1], "tanh", seed=3, out_act=out_act)
    X = rng.standard_normal((8, 2))
    y = (rng.random(8) > 0.5).astype(float)
    if loss == "hinge":
        y = 2 * y - 1
    check_model(model, X, y, loss)


def test_softmax_ce_gradcheck_labels_and_onehot(rng):
    model = mlp([3, 5, 4], "relu", seed=4)
    X = rng.standard_normal((7, 3))
    labels = rng.integers(0, 4, 7)
    v1 = check_model(model, X, labels, "softmax_cross_entropy")
    v2, g2 = model.value_and_grad(X, np.eye(4)[labels], "softmax_cross_entropy")
    _, g1 = model.value_and_grad(X, labels, "softmax_cross_entropy")
    assert v1 == pytest.approx(v2, rel=1e-14)
    for k in g1:
        np.testing.assert_allclose(g1[k], g2[k], rtol=1e-14)


def test_cnn_gradcheck(rng):
    model = nn.Sequential([
        nn.Conv2D(1, 2, 3, padding=1), nn.BatchNorm(2), nn.Activation("tanh"),
        nn.MaxPool2D(2), nn.Flatten(), nn.Dense(8, 3)], seed=5)
    X = rng.standard_normal((3, 1, 4, 4))
    # a small step: two pooled values are 2e-3 apart, a step of 1e-3 could
    # swap the maximum
    check_model(model, X, rng.integers(0, 3, 3), "softmax_cross_entropy", h=1e-4)


def test_rnn_model_gradcheck(rng):
    model = nn.Sequential([nn.RNN(2, 3), nn.Flatten(), nn.Dense(12, 1)], seed=6)
    X = rng.standard_normal((4, 4, 2))
    check_model(model, X, rng.standard_normal(4), "mse")


def test_batchnorm_mlp_gradcheck(rng):
    model = nn.Sequential([nn.Dense(3, 4), nn.BatchNorm(4), nn.Activation("tanh"),
                           nn.Dense(4, 1)], seed=7)
    X = rng.standard_normal((6, 3))
    before = model[1].buffers["running_mean"].copy()
    check_model(model, X, rng.standard_normal(6), "mse")
    # value_and_grad is a training-mode step: it updated the running stats
    assert not np.allclose(model[1].buffers["running_mean"], before)


def test_user_sympy_loss(rng):
    y, z = sp.symbols("y z", real=True)
    model = mlp([2, 3, 1], "tanh", seed=8)
    X = rng.standard_normal((5, 2))
    t = rng.standard_normal(5)
    value = check_model(model, X, t, sp.Lambda((y, z), (y - z) ** 4))
    out = model.predict(X).ravel()
    assert value == pytest.approx(np.mean((t - out) ** 4), rel=1e-12)


def test_gradcheck_detects_wrong_backward(rng):
    model = mlp([2, 3, 1], "tanh", seed=9)
    layer = model[0]
    original = type(layer).backward

    def wrong(self, g):
        out = original(self, g)
        self.grads["W"] *= 1.001
        return out
    layer.backward = wrong.__get__(layer)
    report = model.gradcheck(rng.standard_normal((4, 2)), rng.standard_normal(4),
                             "mse")
    assert not report.ok
    # every entry of 0.W, and only those, fails, each named with its index
    failed = {r.component for r in report.failures}
    assert failed == {f"0.W[{i}, {j}]" for i in range(2) for j in range(3)}
    assert all(r.status == "FAIL" for r in report.failures)
    assert "0.W[1, 2]" in str(report) and "FAIL" in str(report)


# -- loss values: PyTorch's reduction="mean" -----------------------------------
def test_loss_reductions_match_formulas(rng):
    model = mlp([3, 4, 2], "tanh", seed=10)
    X = rng.standard_normal((6, 3))
    out = model.predict(X)
    Y = rng.standard_normal((6, 2))
    assert model.loss(X, Y, "mse") == pytest.approx(np.mean((Y - out) ** 2),
                                                    rel=1e-13)
    B = (rng.random((6, 2)) > 0.5).astype(float)
    bce = np.mean(np.logaddexp(0, out) - B * out)
    assert model.loss(X, B, "bce_with_logits") == pytest.approx(bce, rel=1e-13)
    labels = rng.integers(0, 2, 6)
    lse = np.log(np.exp(out).sum(axis=1))
    ce = np.mean(lse - out[np.arange(6), labels])
    assert model.loss(X, labels, "softmax_cross_entropy") == pytest.approx(ce,
                                                                           rel=1e-13)


def test_loss_reductions_match_torch(rng):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    model = mlp([3, 4, 3], "tanh", seed=11)
    X = rng.standard_normal((5, 3))
    z = torch.tensor(model.predict(X))
    Y = rng.standard_normal((5, 3))
    B = (rng.random((5, 3)) > 0.5).astype(float)
    labels = rng.integers(0, 3, 5)
    pairs = [("mse", Y, F.mse_loss(z, torch.tensor(Y))),
             ("huber", Y, F.huber_loss(z, torch.tensor(Y))),
             ("mae", Y, F.l1_loss(z, torch.tensor(Y))),
             ("bce_with_logits", B,
              F.binary_cross_entropy_with_logits(z, torch.tensor(B))),
             ("softmax_cross_entropy", labels,
              F.cross_entropy(z, torch.tensor(labels)))]
    for name, target, ref in pairs:
        assert model.loss(X, target, name) == pytest.approx(ref.item(), rel=1e-12), name


def test_sigmoid_bce_head_is_fused_and_stable():
    model = nn.Sequential([nn.Dense(1, 1, rng=0), nn.Activation("sigmoid")])
    model[0].params["W"][...] = 1000.0
    model[0].params["b"][...] = 0.0
    X = np.array([[1.0], [-1.0]])
    y = np.array([0.0, 1.0])  # confidently wrong: p rounds to 1 and 0
    assert model.predict(X).ravel().tolist() == [1.0, 0.0]
    value, grads = model.value_and_grad(X, y, "binary_cross_entropy")
    assert value == pytest.approx(1000.0, rel=1e-12)  # log of p would be inf
    # d/dz of bce_with_logits is sigmoid(z) - y = +-1; mean over 2 samples
    np.testing.assert_allclose(grads["0.W"], [[(1 * 1 + (-1) * (-1)) / 2]])
    np.testing.assert_allclose(grads["0.b"], [0.0], atol=1e-300)
    assert model.head("binary_cross_entropy").folds


def test_target_shape_errors(rng):
    model = mlp([2, 3, 2], "tanh")
    X = rng.standard_normal((4, 2))
    with pytest.raises(ShapeError, match=r"\(4, 2\)"):
        model.value_and_grad(X, np.zeros(4), "mse")
    with pytest.raises(ShapeError, match="0..1"):
        model.value_and_grad(X, np.array([0, 1, 2, 1]), "softmax_cross_entropy")
    bad = nn.Sequential([nn.Dense(2, 3), nn.Activation("tanh"), nn.Dense(4, 2)])
    with pytest.raises(ShapeError, match=r"Dense\(4, 2\) \(layer 2\).*\(4, 3\)"):
        bad.predict(X)


def test_parameters_live_and_indexed():
    model = mlp([2, 3, 1], "tanh")
    params = model.parameters()
    assert list(params) == ["0.W", "0.b", "2.W", "2.b"]
    assert params["2.W"] is model[2].params["W"]
    assert isinstance(model[1], nn.Activation) and len(model.layers) == 3
    params["0.b"][...] = 5.0
    np.testing.assert_array_equal(model[0].params["b"], 5.0)


def test_init_by_activation_and_seed():
    relu_model = mlp([200, 300, 1], "relu", seed=1)
    tanh_model = mlp([200, 300, 1], "tanh", seed=1)
    assert relu_model[0].params["W"].std() == pytest.approx(np.sqrt(2 / 200), rel=0.05)
    assert tanh_model[0].params["W"].std() == pytest.approx(
        np.sqrt(6 / 500) / np.sqrt(3), rel=0.05)
    np.testing.assert_array_equal(mlp([3, 4, 1], "tanh", seed=3)[0].params["W"],
                                  mlp([3, 4, 1], "tanh", seed=3)[0].params["W"])
    assert not np.array_equal(mlp([3, 4, 1], "tanh", seed=3)[0].params["W"],
                              mlp([3, 4, 1], "tanh", seed=4)[0].params["W"])


# -- training --------------------------------------------------------------------------
def test_xor_2_4_1_sigmoid():
    X, y = datasets.xor()
    model = nn.Sequential([nn.Dense(2, 4), nn.Activation("sigmoid"),
                           nn.Dense(4, 1), nn.Activation("sigmoid")], seed=0)
    hist = model.fit(X, y, loss="binary_cross_entropy", optimizer="adam", lr=0.05,
                     epochs=400, batch_size=4, seed=0, progress=False)
    acc = np.mean((model.predict(X).ravel() > 0.5) == y)
    assert acc >= 0.99 and hist.accuracy[-1] >= 0.99
    assert hist.loss[-1] < 0.1 * hist.loss[0]


def test_moons_reaches_97_percent_deterministically():
    X, y = datasets.moons(600, noise=0.1, seed=1)
    Xt, yt = datasets.moons(400, noise=0.1, seed=2)

    def run():
        model = mlp([2, 16, 16, 1], "tanh", seed=0)
        hist = model.fit(X, y, loss="bce_with_logits", optimizer="adam", lr=0.01,
                         epochs=60, batch_size=32, seed=0, progress=False)
        return model, hist
    model, hist = run()
    test_acc = np.mean((model.predict(Xt).ravel() > 0) == yt)
    assert test_acc >= 0.97 and hist.accuracy[-1] >= 0.97
    _, hist2 = run()
    assert hist2.loss == hist.loss  # bit-for-bit with the same seeds


def test_user_invented_activation_trains():
    u = sp.Symbol("u", real=True)
    act = nn.Activation(sp.Lambda(u, u / (1 + sp.Abs(u)) + u / 10))
    X, y = datasets.circles(300, noise=0.05, seed=3)
    model = nn.Sequential([nn.Dense(2, 12), act, nn.Dense(12, 1)], seed=1)
    assert model.gradcheck(X[:5], y[:5], "bce_with_logits").ok
    hist = model.fit(X, y, loss="bce_with_logits", optimizer="adam", lr=0.03,
                     epochs=60, batch_size=32, progress=False)
    assert hist.accuracy[-1] >= 0.95


def test_softmax_spirals_with_sgd_schedule():
    X, y = datasets.spirals(300, n_classes=3, noise=0.1, seed=0)
    model = mlp([2, 32, 3], "relu", seed=0)
    opt = optim.SGD(lr=schedules.cosine(0.5, 150 * 10), momentum=0.9)
    hist = model.fit(X, y, loss="softmax_cross_entropy", optimizer=opt, epochs=150,
                     batch_size=32, progress=False)
    assert hist.accuracy[-1] >= 0.85
    assert np.mean(model.predict(X).argmax(axis=1) == y) >= 0.85


def test_rnn_learns_seasonal_series():
    _, series = datasets.seasonal_series(300, period=25, noise=0.05, seed=0)
    Xw, yw = datasets.windows(series, 12)
    model = nn.Sequential([nn.RNN(1, 8), nn.Flatten(), nn.Dense(96, 1)], seed=0)
    hist = model.fit(Xw[..., None], yw, loss="mse", optimizer="adam", lr=0.01,
                     epochs=30, batch_size=32, progress=False)
    assert hist.loss[-1] < 0.05 * hist.loss[0] and not hist.accuracy


def test_cnn_batchnorm_fit_and_eval_mode(rng):
    X = rng.standard_normal((64, 1, 6, 6))
    y = (X[:, 0, :3].sum(axis=(1, 2)) > X[:, 0, 3:].sum(axis=(1, 2))).astype(int)
    model = nn.Sequential([nn.Conv2D(1, 4, 3, padding=1), nn.BatchNorm(4),
                           nn.Activation("relu"), nn.MaxPool2D(2), nn.Flatten(),
                           nn.Dense(36, 2)], seed=0)
    hist = model.fit(X, y, loss="softmax_cross_entropy", optimizer="adam", lr=0.01,
                     epochs=25, batch_size=16, progress=False)
    assert hist.loss[-1] < hist.loss[0]
    assert np.mean(model.predict(X).argmax(axis=1) == y) >= 0.9
    # eval mode (running stats) differs from a training-mode forward
    assert not np.allclose(model.predict(X[:8]), model.forward(X[:8], training=True))


def test_divergence_raises_clear_error():
    X, y = datasets.linear_regression(64, n_features=3, seed=0)
    model = mlp([3, 8, 1], "tanh", seed=0)
    with pytest.raises(NumericError, match="diverged at epoch") as err:
        model.fit(X, y * 1e3, loss="mse", optimizer="sgd", lr=1e3, epochs=50,
                  progress=False)
    assert "learning rate" in str(err.value)
    assert err.value.history.diverged
    assert all(np.all(np.isfinite(p)) for p in model.parameters().values())
    hist = model.fit(X, y * 1e3, loss="mse", optimizer="sgd", lr=1e3, epochs=50,
                     progress=False, on_divergence="stop")
    assert hist.diverged and "diverged" in hist.message


def test_progress_output(capsys):
    X, y = datasets.xor()
    model = mlp([2, 3, 1], "tanh")
    model.fit(X, y, loss="bce_with_logits", epochs=3, progress=False)
    assert capsys.readouterr() == ("", "")
    model.fit(X, y, loss="bce_with_logits", epochs=3, progress=True)
    out, err = capsys.readouterr()
    assert out == ""  # the bar is on stderr only
    # a tqdm bar ("epoch: 100%|...| 3/3 [..., loss=..., acc=...]")
    assert "epoch:" in err and "3/3" in err and "loss=" in err and "acc=" in err


def test_validation_and_early_stopping():
    X, y = datasets.moons(200, noise=0.3, seed=0)
    Xv, yv = datasets.moons(200, noise=0.3, seed=1)
    model = mlp([2, 64, 64, 1], "relu", seed=0)
    hist = model.fit(X, y, loss="bce_with_logits", optimizer="adam", lr=0.05,
                     epochs=300, validation_data=(Xv, yv), early_stopping=5,
                     progress=False)
    assert hist.stopped_early and hist.epochs < 300
    assert len(hist.val_loss) == hist.epochs == len(hist.val_accuracy)
    best = min(hist.val_loss)
    assert hist.val_loss[hist.best_epoch - 1] == best
    assert model.loss(Xv, yv, "bce_with_logits") == pytest.approx(best, rel=1e-12)


def test_fit_rejects_bad_arguments():
    X, y = datasets.xor()
    model = mlp([2, 3, 1], "tanh")
    with pytest.raises(ValueError, match="epochs"):
        model.fit(X, y, epochs=0, progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(X, y, batch_size=0, progress=False)
    with pytest.raises(LookupError, match="unknown loss"):
        model.fit(X, y, loss="nope", progress=False)
    with pytest.raises(ShapeError, match="X has 4 samples but y has 3"):
        model.fit(X, y[:3], progress=False)


@pytest.mark.parametrize("X,y", [(np.zeros((0, 2)), np.zeros(0)),
                                 (np.zeros((0, 2)), np.zeros(3)), (3.0, [1.0])])
def test_fit_rejects_empty_x_naming_it(X, y):
    model = mlp([2, 3, 1], "tanh")
    with pytest.raises(ShapeError, match="^X has 0 samples"):
        model.fit(X, y, progress=False)


def test_fit_rejects_empty_or_mismatched_validation_data():
    X, y = datasets.xor()
    model = mlp([2, 3, 1], "tanh")
    with pytest.raises(ShapeError, match="^validation X has 0 samples"):
        model.fit(X, y, validation_data=(np.zeros((0, 2)), np.zeros(0)),
                  progress=False)
    with pytest.raises(ShapeError, match="validation X has 4 samples but "
                                         "validation y has 2"):
        model.fit(X, y, validation_data=(X, y[:2]), progress=False)


def bn_mlp():
    return nn.Sequential([nn.Dense(3, 4), nn.BatchNorm(4), nn.Activation("relu"),
                          nn.Dense(4, 1)], seed=0)


@pytest.mark.parametrize("n,batch_size", [(33, 32), (65, 32), (9, 4)])
def test_fit_batchnorm_merges_trailing_single_sample_batch(n, batch_size):
    X = np.random.default_rng(0).standard_normal((n, 3))
    y = (X[:, 0] > 0).astype(float)
    # the last two batches are one: the same as training with them merged
    merged = bn_mlp()
    hist = merged.fit(X, y, loss="bce_with_logits", epochs=3, seed=1,
                      batch_size=batch_size, progress=False)
    assert len(hist.loss) == 3 and np.all(np.isfinite(hist.loss))
    if n == batch_size + 1:  # one batch of n == full batch
        full = bn_mlp()
        hist_full = full.fit(X, y, loss="bce_with_logits", epochs=3, seed=1,
                             batch_size=None, progress=False)
        assert hist.loss == hist_full.loss
        np.testing.assert_array_equal(merged._flat, full._flat)
        for k, b in merged.buffers().items():
            np.testing.assert_array_equal(b, full.buffers()[k])


def test_fit_without_batchnorm_keeps_single_sample_batch():
    X = np.random.default_rng(0).standard_normal((33, 3))
    y = (X[:, 0] > 0).astype(float)
    a, b = mlp([3, 4, 1], "tanh"), mlp([3, 4, 1], "tanh")
    a.fit(X, y, loss="bce_with_logits", epochs=1, batch_size=32, progress=False)
    b.fit(X, y, loss="bce_with_logits", epochs=1, batch_size=None, progress=False)
    assert not np.array_equal(a._flat, b._flat)  # two steps, not one


@pytest.mark.parametrize("loss", ["hinge", "squared_hinge", "bce_with_logits"])
@pytest.mark.parametrize("act", [None, "tanh"])
def test_score_losses_threshold_the_output_at_zero(loss, act):
    # every output has the sign of its label: accuracy 1 with or without tanh
    layers = [nn.Dense(1, 1)] + ([nn.Activation(act)] if act else [])
    model = nn.Sequential(layers, seed=0)
    model[0].params["W"][...] = 0.2
    model[0].params["b"][...] = 0.0
    X = np.array([[1.0], [-1.0], [2.0], [-2.0]])
    sign = np.array([1.0, -1.0, 1.0, -1.0])
    y = sign if "hinge" in loss else (sign + 1) / 2  # +-1 or 0/1 labels
    assert model.head(loss).folds == (act is not None)
    hist = model.fit(X, y, loss=loss, optimizer="sgd", lr=0.0, epochs=1,
                     progress=False)
    assert hist.accuracy == [1.0]


def test_probability_losses_threshold_the_output_at_half():
    model = nn.Sequential([nn.Dense(1, 1), nn.Activation("tanh")], seed=0)
    model[0].params["W"][...] = 1.0
    model[0].params["b"][...] = 0.0
    X = np.array([[0.2], [0.3], [1.0], [2.0]])  # tanh: 0.20, 0.29, 0.76, 0.96
    y = np.array([0.0, 0.0, 1.0, 1.0])
    hist = model.fit(X, y, loss="binary_cross_entropy", optimizer="sgd", lr=0.0,
                     epochs=1, progress=False)
    assert hist.accuracy == [1.0]


# -- perceptron -----------------------------------------------------------------
def test_perceptron_classic_rule_by_hand():
    p = nn.Perceptron(2, lr=1.0)
    X = np.array([[1.0, 2.0], [-1.0, -1.0]])
    p.fit(X, np.array([1, 0]), epochs=1, shuffle=False)
    # sample 1: w.x + b = 0 -> predicts 0, error +1: w = [1, 2], b = 1
    # sample 2: w.x + b = -3 + 1 = -2 -> predicts 0, correct
    np.testing.assert_array_equal(p.w, [1.0, 2.0])
    assert p.b == 1.0 and p.errors == [1]


def test_perceptron_separates_blobs():
    X, y = datasets.blobs(200, n_features=3, seed=4)
    p = nn.Perceptron(3).fit(X, y, epochs=100, seed=0)
    assert p.converged and np.all(p.predict(X) == y)
    X2, y2 = datasets.xor()
    assert not nn.Perceptron(2).fit(X2, y2, epochs=20).converged  # not separable


@pytest.mark.parametrize("k", [2, 4])
def test_softmax_head_equals_symbolic_library_loss(rng, k):
    """The vectorised softmax cross-entropy head is the library's symbolic
    softmax_cross_entropy, compiled by calckit: same values and gradients,
    also for huge logits and soft (unnormalised) targets."""
    import calckit as ck
    from calckit import losses

    ys = sp.symbols(f"y0:{k}", real=True)
    zs = sp.symbols(f"z0:{k}", real=True)
    expr = losses.get("softmax_cross_entropy")(list(ys), list(zs))
    value_k = ck.compile(expr, wrt=list(zs), params=list(ys))
    grad_k = ck.compile_grad(expr, wrt=list(zs), params=list(ys))
    Z = rng.standard_normal((6, k)) * np.array([[1], [10], [100], [700], [1], [1]])
    Y = np.abs(rng.standard_normal((6, k)))
    Y[:3] = np.eye(k)[rng.integers(0, k, 3)]
    head = nn.Sequential([nn.Dense(1, k)]).head("softmax_cross_entropy")
    value, grad = head(Z, Y)
    ref_values = value_k(*Z.T, *Y.T)
    ref_grad = grad_k(*Z.T, *Y.T)
    assert value == pytest.approx(ref_values.mean(), rel=1e-12)
    np.testing.assert_allclose(grad, ref_grad / len(Z), rtol=1e-12, atol=1e-15)
    assert head.value(Z, Y) == pytest.approx(value, rel=1e-14)
    np.testing.assert_allclose(head.grad(Z, Y), grad, rtol=1e-14)


@pytest.mark.parametrize("loss", ["mse", "bce_with_logits", "huber", "hinge"])
def test_head_value_and_grad_agree_with_fused_call(rng, loss):
    head = mlp([2, 3, 2], "tanh").head(loss)
    z = rng.standard_normal((5, 2)) * 3
    y = (rng.random((5, 2)) > 0.5) * 2.0 - (1.0 if loss == "hinge" else 0.0)
    value, grad = head(z, y)
    assert head.value(z, y) == pytest.approx(value, rel=1e-14)
    np.testing.assert_allclose(head.grad(z, y), grad, rtol=1e-14)
