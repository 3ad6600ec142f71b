"""calckit.nn on bad input (issue 20, item 12): empty batches, complex input,
None, each a clear calckit error naming the input."""

import warnings

import numpy as np
import pytest

from calckit import nn
from calckit.errors import CalckitError, CalckitTypeError, ShapeError


def _model():
    return nn.Sequential([nn.Dense(3, 2), nn.Activation("tanh"), nn.Dense(2, 1)],
                         seed=0)


@pytest.mark.parametrize("method", ["value_and_grad", "gradcheck", "loss"])
@pytest.mark.parametrize("loss, y", [("mse", np.ones((0, 1))),
                                     ("softmax_cross_entropy", np.zeros(0, int)),
                                     ("bce_with_logits", np.ones(0))])
def test_an_empty_batch_is_a_clear_error(method, loss, y):
    model = _model()
    with pytest.raises(ShapeError, match=r"X holds no samples \(shape \(0, 3\)\)"):
        getattr(model, method)(np.ones((0, 3)), y, loss)


def test_an_empty_batch_still_predicts_nothing():
    assert _model().predict(np.ones((0, 3))).shape == (0, 1)


@pytest.mark.parametrize("method", ["forward", "predict"])
def test_complex_input_is_refused_not_cast(method):
    X = np.ones((2, 3)) * (1 + 1j)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning on the way
        with pytest.raises(CalckitTypeError, match="X must be real, got complex"):
            getattr(_model(), method)(X)
    with pytest.raises(CalckitTypeError, match="X must be real"):
        _model().value_and_grad(X, np.ones(2), "mse")


def test_none_is_named_not_shaped():
    with pytest.raises(CalckitTypeError, match="X must be a real numeric array, got"):
        _model().forward(None)
    with pytest.raises(CalckitError) as info:
        _model().predict(None)
    assert "shape ()" not in str(info.value)


def test_complex_targets_are_refused():
    with pytest.raises(CalckitTypeError, match="targets must be numbers"):
        _model().value_and_grad(np.ones((2, 3)), np.ones(2) * 1j, "mse")
