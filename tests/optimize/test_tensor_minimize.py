"""ck.minimize on tensor losses: several shaped variables, minibatches,
Newton with the matrix-form Hessian, thinned paths, and bad input."""

import numpy as np
import pytest
import sympy as sp

import calckit as ck
import calckit.symbolic.tensor as T
from calckit import numeric, optim

LOGISTIC = "mean(softplus(X @ w) - y * (X @ w)) + lam * sum(w**2)"
SHAPES = {"X": ("n", "d"), "w": "d", "y": "n"}


def _digits_binary():
    datasets = pytest.importorskip("sklearn.datasets")
    X, t = datasets.load_digits(return_X_y=True)
    X = np.hstack([X / 16.0, np.ones((len(X), 1))])
    return X, (t >= 5).astype(float)


def _numeric_grad(loss_fn, x):
    """Richardson finite differences of a function of a flat point (one at a
    time: the tensor kernels take no batch of points)."""
    return numeric.gradient(loss_fn, x, method="richardson", vectorized=False)


def test_newton_digits_logistic_converges_in_ten_iterations():
    X, y = _digits_binary()
    r = ck.minimize(LOGISTIC, wrt="w", x0=np.zeros(X.shape[1]), optimizer="newton",
                    params={"X": X, "y": y, "lam": 1e-3}, shapes=SHAPES, tol=1e-8)
    assert r.converged and r.status == "converged"
    assert r.nit <= 10
    assert r.grad_norm < 1e-8
    # the gradient at the optimum, by hand, is zero too
    s = 1 / (1 + np.exp(-X @ r.x))
    hand = X.T @ (s - y) / len(y) + 2e-3 * r.x
    assert np.linalg.norm(hand) < 1e-8
    assert r.path.shape == (r.nit + 1, X.shape[1])
    assert np.all(np.diff(r.losses) < 0)


def test_gradient_used_matches_finite_differences():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(30, 4)), rng.integers(0, 2, 30).astype(float)
    w = rng.normal(size=4)
    r = ck.minimize(LOGISTIC, wrt="w", x0=w, optimizer="sgd", lr=0.1, steps=0,
                    params={"X": X, "y": y, "lam": 0.1}, shapes=SHAPES)

    def f(v):
        z = X @ v
        return np.mean(np.logaddexp(0, z) - y * z) + 0.1 * np.sum(v**2)

    np.testing.assert_allclose(r.grad, _numeric_grad(f, w), rtol=1e-9, atol=1e-11)
    assert r.fun == pytest.approx(f(w), rel=1e-14)


def _mlp(rng, n=64, d=5, h=8, k=3):
    X, Y = ck.matrix("X", "n", "d"), ck.matrix("Y", "n", "k")
    W1, b1 = ck.matrix("W1", "d", "h"), ck.vector("b1", "h")
    W2, b2 = ck.matrix("W2", "h", "k"), ck.vector("b2", "k")
    Z = T.tanh(X @ W1 + b1) @ W2 + b2
    loss = T.mean(T.logsumexp(Z, axis=1) - T.sum(Y * Z, axis=1))
    Xv = rng.normal(size=(n, d))
    Yv = np.eye(k)[np.argmax(Xv[:, :k] + 0.3 * rng.normal(size=(n, k)), axis=1)]
    x0 = {"W1": 0.5 * rng.normal(size=(d, h)), "b1": np.zeros(h),
          "W2": 0.5 * rng.normal(size=(h, k)), "b2": np.zeros(k)}
    return loss, {"X": Xv, "Y": Yv}, x0


def _mlp_numpy(p, X, Y):
    Z = np.tanh(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    m = Z.max(axis=1, keepdims=True)
    lse = (m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True)))[:, 0]
    return np.mean(lse - np.sum(Y * Z, axis=1))


def test_adam_trains_two_layer_mlp_with_dict_x0():
    rng = np.random.default_rng(0)
    loss, data, x0 = _mlp(rng)
    r = ck.minimize(loss, wrt="W1 b1 W2 b2", x0=x0, optimizer="adam", lr=0.05,
                    steps=200, params=data)
    assert isinstance(r.x, dict) and list(r.x) == ["W1", "b1", "W2", "b2"]
    assert all(r.x[k].shape == x0[k].shape for k in x0)
    assert r.losses[-1] < 0.5 * r.losses[0]
    assert r.fun == pytest.approx(_mlp_numpy(r.x, data["X"], data["Y"]), rel=1e-12)
    assert r.path.shape == (201, sum(v.size for v in x0.values()))
    np.testing.assert_array_equal(r.unflatten(r.path[0])["W2"], x0["W2"])


def test_mlp_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    loss, data, x0 = _mlp(rng, n=20)
    r = ck.minimize(loss, wrt="W1 b1 W2 b2", x0=x0, optimizer="sgd", steps=0,
                    params=data)
    flat0 = r.flat_x

    def f(flat):
        return _mlp_numpy(r.unflatten(flat), data["X"], data["Y"])

    num = _numeric_grad(f, flat0)
    exact = np.concatenate([np.ravel(r.grad[k]) for k in r.wrt])
    np.testing.assert_allclose(exact, num, rtol=1e-8, atol=1e-10)


def test_every_optimizer_runs_on_a_tensor_loss():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 3))
    y = X @ np.array([1.0, -1.0, 2.0]) + 0.01 * rng.normal(size=40)
    shapes = {"X": ("n", "d"), "w": "d", "y": "n"}
    best = np.linalg.lstsq(X, y, rcond=None)[0]
    for name in optim.names():
        kw = {"lr": 0.05} if "lr" in optim.get(name).hyperparameters else {}
        if name == "lbfgs":
            kw = {"tolerance_grad": 1e-12, "tolerance_change": 1e-15}
        r = ck.minimize("mean((X @ w - y)**2)", wrt="w", x0=np.zeros(3),
                        optimizer=name, params={"X": X, "y": y}, shapes=shapes,
                        steps=3000, tol=1e-10, **kw)
        assert not r.diverged, name
        assert r.losses[-1] < r.losses[0], name
        if name in ("newton", "lbfgs", "trust-exact", "trust-ncg"):
            np.testing.assert_allclose(r.x, best, atol=1e-6, err_msg=name)


def test_trust_ncg_on_a_matrix_variable_uses_hvp():
    rng = np.random.default_rng(4)
    X, W = ck.matrix("X", "n", "d"), ck.matrix("W", "d", "k")
    Yv, Xv = rng.normal(size=(30, 2)), rng.normal(size=(30, 3))
    loss = T.mean((X @ W - ck.matrix("Y", "n", "k")) ** 2)
    r = ck.minimize(loss, wrt=W, x0=np.zeros((3, 2)), optimizer="trust-ncg",
                    params={"X": Xv, "Y": Yv}, tol=1e-10)
    assert r.converged and r.x.shape == (3, 2)
    np.testing.assert_allclose(r.x, np.linalg.lstsq(Xv, Yv, rcond=None)[0], atol=1e-9)


def test_batches_draw_rows_of_every_data_array_seeded():
    X, y = _digits_binary()
    kw = dict(wrt="w", x0=np.zeros(X.shape[1]), optimizer="adam", lr=0.05,
              steps=60, params={"X": X, "y": y, "lam": 1e-4}, shapes=SHAPES,
              batch_size=128)
    a, b = ck.minimize(LOGISTIC, seed=7, **kw), ck.minimize(LOGISTIC, seed=7, **kw)
    c = ck.minimize(LOGISTIC, seed=8, **kw)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)
    full = ck.minimize(LOGISTIC, wrt="w", x0=a.x, optimizer="sgd", steps=0,
                       params={"X": X, "y": y, "lam": 1e-4}, shapes=SHAPES)
    assert full.fun < a.losses[0] - 0.2  # the full-data loss went down


def test_batch_losses_are_batch_means():
    # y = row index: the batch loss mean((0*w + ... ) ) reveals which rows
    n = 10
    X = np.zeros((n, 1))
    y = np.arange(n, dtype=float)
    r = ck.minimize("mean(X @ w + y) + sum(w**2)", wrt="w", x0=np.ones(1),
                    optimizer="sgd", lr=0.0, steps=4, tol=0.0, params={"X": X, "y": y},
                    shapes=SHAPES, batch_size=5, seed=0)
    # two batches of 5 rows cover every row once per epoch
    assert r.losses[0] + r.losses[1] == pytest.approx(2 * y.mean() + 2)
    assert r.losses[2] + r.losses[3] == pytest.approx(2 * y.mean() + 2)
    assert len(set(np.round(r.losses, 12))) > 1


def test_path_every_thins_the_path_and_keeps_the_last_point():
    rng = np.random.default_rng(5)
    loss, data, x0 = _mlp(rng, n=16)
    r = ck.minimize(loss, wrt="W1 b1 W2 b2", x0=x0, optimizer="adam", lr=0.01,
                    steps=25, params=data, path_every=10)
    assert r.path_steps.tolist() == [0, 10, 20, 25]
    assert r.path.shape[0] == 4 and r.losses.shape == (26,)
    np.testing.assert_array_equal(r.path[-1], r.flat_x)
    full = ck.minimize(loss, wrt="W1 b1 W2 b2", x0=x0, optimizer="adam", lr=0.01,
                       steps=25, params=data)
    np.testing.assert_array_equal(full.path[[0, 10, 20, 25]], r.path)


def test_params_shape_disagreeing_with_bound_dims():
    X, y = np.ones((20, 3)), np.ones(19)
    with pytest.raises(ck.ShapeError, match=r"minimize: argument 'y'.*n = 20.*'X'"):
        ck.minimize(LOGISTIC, wrt="w", x0=np.zeros(3), params={"X": X, "y": y,
                    "lam": 0.1}, shapes=SHAPES)
    with pytest.raises(ck.ShapeError, match="minimize: argument 'X'.*d = 4.*'w'"):
        ck.minimize(LOGISTIC, wrt="w", x0=np.zeros(4),
                    params={"X": X, "y": np.ones(20), "lam": 0.1}, shapes=SHAPES)


def test_x0_dict_missing_a_variable():
    rng = np.random.default_rng(0)
    loss, data, x0 = _mlp(rng)
    del x0["b2"]
    with pytest.raises(ck.ShapeError, match=r"missing \['b2'\]"):
        ck.minimize(loss, wrt="W1 b1 W2 b2", x0=x0, params=data)
    with pytest.raises(ck.CalckitTypeError, match="dict"):
        ck.minimize(loss, wrt="W1 b1 W2 b2", x0=np.zeros(3), params=data)


def test_batch_size_larger_than_data_and_other_bad_input():
    X, y = np.ones((20, 3)), np.ones(20)
    kw = dict(wrt="w", x0=np.zeros(3), params={"X": X, "y": y, "lam": 0.1},
              shapes=SHAPES)
    with pytest.raises(ck.InvalidParameterError, match=r"batch_size 21 .*n = 20"):
        ck.minimize(LOGISTIC, batch_size=21, **kw)
    with pytest.raises(ck.InvalidParameterError,
                       match="'batch_size' parameter of minimize must be"):
        ck.minimize(LOGISTIC, batch_size=0, **kw)
    with pytest.raises(ck.InvalidParameterError, match="same data"):
        ck.minimize(LOGISTIC, batch_size=5, optimizer="lbfgs", **kw)
    with pytest.raises(ck.InvalidParameterError, match="neither variables"):
        ck.minimize(LOGISTIC, wrt="w", x0=np.zeros(3), params={"X": X, "y": y},
                    shapes=SHAPES)
    with pytest.raises(ck.InvalidParameterError, match="batch_size is for tensor"):
        ck.minimize("(x - 1)**2", x0=[0.0], batch_size=2)
    with pytest.raises(ck.InvalidParameterError, match="path_every"):
        ck.minimize(LOGISTIC, path_every=0, **kw)


def test_newton_refuses_several_or_matrix_variables():
    rng = np.random.default_rng(0)
    loss, data, x0 = _mlp(rng)
    with pytest.raises(ck.InvalidParameterError, match="one vector variable"):
        ck.minimize(loss, wrt="W1 b1 W2 b2", x0=x0, optimizer="newton", params=data)


def test_scalar_variable_beside_a_vector():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(50, 2))
    y = X @ np.array([2.0, -1.0]) + 3.0
    b = sp.Symbol("b", real=True)
    Xs, w, ys = ck.matrix("X", "n", "d"), ck.vector("w", "d"), ck.vector("y", "n")
    loss = T.mean((Xs @ w + b - ys) ** 2)
    r = ck.minimize(loss, wrt=[w, b], x0={"w": np.zeros(2), "b": 0.0},
                    optimizer="lbfgs", params={"X": X, "y": y}, tol=1e-6)
    assert r.converged and r.x["b"].shape == ()
    np.testing.assert_allclose(r.x["w"], [2.0, -1.0], atol=1e-6)
    assert float(r.x["b"]) == pytest.approx(3.0, abs=1e-6)
