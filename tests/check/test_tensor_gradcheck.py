"""ck.gradcheck on tensor losses: one row per entry (w[3], W1[2, 0]), kinks,
capped tables, order 2 for a vector, bad input."""

import numpy as np
import pytest

import calckit as ck
import calckit.symbolic.tensor as T
from calckit import numeric

SHAPES = {"X": ("n", "d"), "w": "d", "y": "n"}
LOGISTIC = "mean(softplus(X @ w) - y * (X @ w))"


def _logistic_data(rng, n=40, d=4):
    X = rng.normal(size=(n, d))
    return X, (rng.random(n) < 0.5).astype(float), rng.normal(size=d)


def _hand_logistic(X, y):
    def f(v):
        z = X @ v
        return np.mean(np.logaddexp(0, z) - y * z)
    return f


def test_logistic_rows_named_by_entry_and_exact_matches_fd():
    rng = np.random.default_rng(0)
    X, y, w = _logistic_data(rng)
    r = ck.gradcheck(LOGISTIC, at={"w": w}, params={"X": X, "y": y}, shapes=SHAPES)
    assert r.ok and r.n_failed == 0
    assert [row.component for row in r.rows] == ["w[0]", "w[1]", "w[2]", "w[3]"]
    # the exact column against an independent finite-difference gradient of
    # a hand-written NumPy loss
    fd = numeric.gradient(_hand_logistic(X, y), w, method="richardson",
                          vectorized=False)
    np.testing.assert_allclose([row.exact for row in r.rows], fd, rtol=1e-9)
    assert "variables w (4,)" in str(r)


def test_mlp_matrix_entries():
    rng = np.random.default_rng(1)
    X, W1 = ck.matrix("X", "n", "d"), ck.matrix("W1", "d", "h")
    b1, w2, y = ck.vector("b1", "h"), ck.vector("w2", "h"), ck.vector("y", "n")
    loss = T.mean((T.tanh(X @ W1 + b1) @ w2 - y) ** 2)
    at = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4),
          "w2": rng.normal(size=4)}
    data = {"X": rng.normal(size=(25, 3)), "y": rng.normal(size=25)}
    r = ck.gradcheck(loss, at=at, params=data)
    assert r.ok and len(r.rows) == 12 + 4 + 4
    names = [row.component for row in r.rows]
    assert names[:2] == ["W1[0, 0]", "W1[0, 1]"] and "W1[2, 0]" in names
    assert names[-1] == "w2[3]"

    def f(flat):
        W, b, v = flat[:12].reshape(3, 4), flat[12:16], flat[16:]
        return np.mean((np.tanh(data["X"] @ W + b) @ v - data["y"]) ** 2)

    flat = np.concatenate([at["W1"].ravel(), at["b1"], at["w2"]])
    fd = numeric.gradient(f, flat, method="richardson", vectorized=False)
    np.testing.assert_allclose([row.exact for row in r.rows], fd, rtol=1e-8,
                               atol=1e-12)


def test_kink_of_relu_is_reported_as_kink():
    w = ck.vector("w", 3)
    r = ck.gradcheck(T.sum(T.relu(w)), at={"w": np.array([0.0, 1.5, -2.0])})
    status = {row.component: row.status for row in r.rows}
    assert status == {"w[0]": "kink", "w[1]": "ok", "w[2]": "ok"}
    assert r.ok and r.n_kinks == 1


def test_large_variable_table_is_capped_with_a_summary():
    rng = np.random.default_rng(2)
    X, y, _ = _logistic_data(rng, n=50, d=80)
    r = ck.gradcheck(LOGISTIC, at={"w": 0.1 * rng.normal(size=80)},
                     params={"X": X, "y": y}, shapes=SHAPES, method="central")
    assert r.ok and len(r.rows) == 80
    text = str(r)
    assert "20 more rows, all ok" in text
    assert len(text.splitlines()) < 70


def test_order_two_for_a_vector_variable():
    rng = np.random.default_rng(3)
    X, y, w = _logistic_data(rng, d=3)
    r = ck.gradcheck(LOGISTIC, at={"w": w}, params={"X": X, "y": y}, shapes=SHAPES,
                     order=2)
    assert r.ok and len(r.rows) == 6
    assert r.rows[1].component == "d2/dw[0]dw[1]"
    fd = numeric.hessian(_hand_logistic(X, y), w, vectorized=False)
    np.testing.assert_allclose(r.exact[0], fd, rtol=1e-6, atol=1e-9)


def test_bad_input_is_a_clear_error():
    rng = np.random.default_rng(4)
    X, y, w = _logistic_data(rng)
    with pytest.raises(ck.ShapeError, match=r"gradcheck: argument 'y'.*n = 40"):
        ck.gradcheck(LOGISTIC, at={"w": w}, params={"X": X, "y": y[:5]},
                     shapes=SHAPES)
    with pytest.raises(ck.InvalidParameterError, match=r"neither in at"):
        ck.gradcheck(LOGISTIC, at={"w": w}, params={"X": X}, shapes=SHAPES)
    with pytest.raises(ck.InvalidParameterError, match=r"do not occur"):
        ck.gradcheck(LOGISTIC, at={"w": w}, params={"X": X, "y": y, "Z": 1.0},
                     shapes=SHAPES)
    with pytest.raises(ck.CalckitTypeError, match="dict"):
        ck.gradcheck(LOGISTIC, at=w, params={"X": X, "y": y}, shapes=SHAPES)
    with pytest.raises(ck.InvalidParameterError, match="finite"):
        ck.gradcheck(LOGISTIC, at={"w": w * np.nan}, params={"X": X, "y": y},
                     shapes=SHAPES)
    with pytest.raises(ck.InvalidParameterError, match="method"):
        ck.gradcheck(LOGISTIC, at={"w": w}, params={"X": X, "y": y}, shapes=SHAPES,
                     method="complex")
