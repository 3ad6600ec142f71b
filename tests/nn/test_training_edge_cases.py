"""calckit.nn training on hostile inputs: wrong labels and targets, bad
options, non-finite data, multi-output accuracy. Each test pins a past bug."""

import io

import numpy as np
import pytest

from calckit import NumericError, ShapeError, datasets, nn
from calckit.errors import CalckitTypeError, InvalidParameterError


def mlp(n_out, out_act=None, seed=0):
    layers = [nn.Dense(2, 4), nn.Activation("tanh"), nn.Dense(4, n_out)]
    if out_act:
        layers.append(nn.Activation(out_act))
    return nn.Sequential(layers, seed=seed)


FAST = {"epochs": 2, "progress": False, "lr": 0.01}


def test_multi_output_accuracy_is_a_fraction():
    # 0/1 targets with 3 outputs per sample: accuracy counted every correct
    # output but divided by the number of samples, reaching 3.0
    X = np.eye(4)
    Y = np.eye(4)[:, :3]
    model = nn.Sequential([nn.Dense(4, 3), nn.Activation("sigmoid")], seed=0)
    hist = model.fit(X, Y, loss="binary_cross_entropy", lr=0.3, epochs=60,
                     progress=False, validation_data=(X, Y))
    predicted = model.predict(X) > 0.5
    expected = np.mean(predicted == (Y > 0.5))
    assert hist.accuracy[-1] == pytest.approx(expected)
    assert hist.val_accuracy[-1] == pytest.approx(expected)
    assert all(0.0 <= a <= 1.0 for a in hist.accuracy + hist.val_accuracy)


def test_single_output_accuracy_unchanged():
    X, y = datasets.xor()
    model = mlp(1, "sigmoid")
    hist = model.fit(X, y, loss="binary_cross_entropy", lr=0.05, epochs=300,
                     batch_size=4, progress=False, shuffle=False)
    assert hist.accuracy[-1] == np.mean((model.predict(X).ravel() > 0.5) == y)


@pytest.mark.parametrize("loss,n_out", [("softmax_cross_entropy", 3), ("mse", 1)])
def test_string_labels_are_a_clear_type_error(loss, n_out):
    # used to surface as a bare "invalid literal for int()" ValueError
    X, _ = datasets.xor()
    with pytest.raises(CalckitTypeError, match="np.unique") as err:
        mlp(n_out).fit(X, np.array(["a", "b", "c", "a"]), loss=loss, **FAST)
    assert "dtype <U1" in str(err.value) and "'a'" in str(err.value)


@pytest.mark.parametrize("bad,shown", [(3, "3"), (-1, "-1"), (1.5, "1.5"),
                                       (np.nan, "nan")])
def test_out_of_range_labels_are_shown(bad, shown):
    X, _ = datasets.xor()
    y = np.array([0.0, 1.0, 2.0, bad])
    with np.errstate(invalid="raise"):  # no RuntimeWarning from casting nan
        with pytest.raises(ShapeError, match=rf"0\.\.2 \(targets\), got {shown}$"):
            mlp(3).fit(X, y, loss="softmax_cross_entropy", **FAST)


def test_wrong_target_length_and_batch_larger_than_data():
    X, y = datasets.xor()
    with pytest.raises(ShapeError, match="X has 4 samples but y has 3"):
        mlp(1).fit(X, y[:3], loss="mse", **FAST)
    big = mlp(1).fit(X, y, loss="mse", batch_size=100, **FAST)
    full = mlp(1).fit(X, y, loss="mse", batch_size=None, **FAST)
    assert big.loss == full.loss


@pytest.mark.parametrize(
    "kwargs,name",
    [({"early_stopping": 0}, "early_stopping"),
     ({"early_stopping": -2}, "early_stopping"),
     ({"early_stopping": 2.5}, "early_stopping"),
     ({"early_stopping": 2, "min_delta": float("nan")}, "min_delta"),
     ({"early_stopping": 2, "min_delta": -1.0}, "min_delta"),
     ({"epochs": 0}, "epochs"),
     ({"batch_size": 0}, "batch_size")],
)
def test_bad_fit_options(kwargs, name):
    # early_stopping <= 0 and a nan min_delta were accepted and stopped
    # training after the first epoch without improvement
    X, y = datasets.xor()
    opts = {**FAST, **kwargs}
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of fit"):
        mlp(1).fit(X, y, loss="mse", **opts)


def test_predict_batch_size_is_checked():
    X, _ = datasets.xor()
    model = mlp(1)
    np.testing.assert_allclose(model.predict(X, batch_size=3), model.predict(X))
    with pytest.raises(InvalidParameterError, match="'batch_size' parameter of pred"):
        model.predict(X, batch_size=0)


def test_non_finite_data_is_named_before_training():
    # nan inputs used to be reported as "diverged: lower the learning rate"
    X, y = datasets.xor()
    X = X.copy()
    X[2, 1] = np.nan
    model = mlp(1)
    before = {k: v.copy() for k, v in model.parameters().items()}
    with pytest.raises(NumericError, match=r"X contains nan or inf in 1 of 4 "
                                           r"samples \(first at index 2\)"):
        model.fit(X, y, loss="mse", **FAST)
    with pytest.raises(NumericError, match="^y contains nan or inf"):
        model.fit(np.nan_to_num(X), np.array([0.0, np.inf, 1.0, 0.0]), loss="mse",
                  **FAST)
    with pytest.raises(NumericError, match="validation X contains"):
        model.fit(np.nan_to_num(X), y, loss="mse", validation_data=(X, y), **FAST)
    for k, v in model.parameters().items():
        np.testing.assert_array_equal(v, before[k])


def test_validation_data_must_be_a_pair():
    X, y = datasets.xor()
    with pytest.raises(CalckitTypeError, match=r"pair \(X_val, y_val\)"):
        mlp(1).fit(X, y, loss="mse", validation_data=X, **FAST)


def test_probability_loss_on_raw_outputs_says_so():
    # binary_cross_entropy of a Dense output goes nan as soon as an output
    # leaves (0, 1); the advice used to be "lower the learning rate"
    X, y = datasets.xor()
    with pytest.raises(NumericError, match=r"needs predictions in \(0, 1\)"):
        mlp(1).fit(X, y, loss="binary_cross_entropy", **FAST)


def test_reproducible_with_seeds_and_progress_stream():
    X, y = datasets.moons(40, seed=1)
    runs = []
    for _ in range(2):
        stream = io.StringIO()
        model = mlp(1, "sigmoid", seed=3)
        hist = model.fit(X, y, loss="binary_cross_entropy", lr=0.05, epochs=3,
                         batch_size=7, seed=5, stream=stream)
        runs.append((hist.loss, model.predict(X), stream.getvalue()))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert "epoch:" in runs[0][2] and "3/3" in runs[0][2]  # the bar, on stream
    other = mlp(1, "sigmoid", seed=3).fit(X, y, loss="binary_cross_entropy", lr=0.05,
                                          epochs=3, batch_size=7, seed=6,
                                          progress=False)
    assert other.loss != runs[0][0]


# -- Perceptron -------------------------------------------------------------------
def test_perceptron_refit_starts_from_zero_weights():
    # fit used to continue from the previous fit's weights
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y_and, y_nand = np.array([0, 0, 0, 1]), np.array([1, 1, 1, 0])
    p = nn.Perceptron(2).fit(X, y_and, seed=0).fit(X, y_nand, seed=0)
    fresh = nn.Perceptron(2).fit(X, y_nand, seed=0)
    np.testing.assert_array_equal(p.w, fresh.w)
    assert p.b == fresh.b and p.errors == fresh.errors


@pytest.mark.parametrize(
    "make,error,match",
    [
        (lambda: nn.Perceptron(2, lr="a"), InvalidParameterError, "'lr' parameter"),
        (lambda: nn.Perceptron(2, lr=float("inf")), InvalidParameterError, "'lr'"),
        (lambda: nn.Perceptron(2).fit(np.eye(2), [0, 1], epochs=0),
         InvalidParameterError, "'epochs' parameter of Perceptron.fit"),
        (lambda: nn.Perceptron(2).fit(np.eye(2), [0, 1], epochs=2.5),
         InvalidParameterError, "'epochs'"),
        (lambda: nn.Perceptron(2).fit([[np.nan, 0.0], [1.0, 1.0]], [0, 1]),
         NumericError, "nan or inf"),
        (lambda: nn.Perceptron(2).fit(np.zeros((0, 2)), np.zeros(0)),
         ShapeError, "at least one sample"),
        (lambda: nn.Perceptron(2).fit([["a", "b"]], [1]), CalckitTypeError,
         "X of numbers"),
    ],
)
def test_perceptron_bad_arguments(make, error, match):
    # epochs <= 0 and nan inputs were accepted silently (nan weights)
    with pytest.raises(error, match=match):
        make()
