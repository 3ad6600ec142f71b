"""Every layer's backward before any forward is a ShapeError naming the layer,
and after a forward it uses exactly that forward's cache."""

import numpy as np
import pytest

from calckit import ShapeError, nn

_LAYERS = [
    (lambda: nn.Dense(3, 2, rng=0), (4, 3)),
    (lambda: nn.Flatten(), (2, 3, 2)),
    (lambda: nn.RNN(3, 2, rng=0), (2, 4, 3)),
    (lambda: nn.Conv2D(1, 2, 2, rng=0), (2, 1, 4, 4)),
    (lambda: nn.MaxPool2D(2), (2, 1, 4, 4)),
    (lambda: nn.BatchNorm(3), (5, 3)),
    (lambda: nn.Activation("tanh"), (4, 3)),
]


@pytest.mark.parametrize("make, shape", _LAYERS)
def test_backward_before_forward_names_the_layer(make, shape):
    layer = make()
    with pytest.raises(ShapeError, match="before forward") as err:
        layer.backward(np.ones(shape))
    assert repr(layer) in str(err.value)


@pytest.mark.parametrize("make, shape", _LAYERS)
def test_backward_after_forward_matches_differences(make, shape):
    # the input gradient of sum(w * forward(x)) against central differences
    rng = np.random.default_rng(1)
    layer = make()
    x = rng.normal(size=shape)
    out = layer.forward(x)
    w = rng.normal(size=out.shape)
    grad = layer.backward(w)
    assert grad.shape == x.shape
    h = 1e-6
    for idx in [(0,) * len(shape), tuple(s - 1 for s in shape)]:
        e = np.zeros(shape)
        e[idx] = h
        numeric = (np.sum(w * layer.forward(x + e)) - np.sum(w * layer.forward(x - e))
                   ) / (2 * h)
        assert grad[idx] == pytest.approx(numeric, rel=1e-5, abs=1e-7)
