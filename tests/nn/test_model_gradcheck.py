"""Sequential.gradcheck: built on calckit.numeric and the check pipeline;
kinks labelled as the expression-level gradcheck labels them, failing
entries named (issue 13, issue 19)."""

import re

import numpy as np
import pytest

from calckit import nn
from calckit.check import GradcheckReport


def _conv_model(in_channels=1, kernel=3, seed=0):
    return nn.Sequential([nn.Conv2D(in_channels, 1, kernel), nn.Activation("relu"),
                          nn.MaxPool2D(2), nn.Flatten(), nn.Dense(1, 1)], seed=seed)


def _one_sided(model, X, y, key, index, h=1e-7):
    """Independent one-sided differences of the training loss in one entry."""
    p = model.parameters()[key]
    old = p[index]
    base = model.loss(X, y, "mse", training=True)
    out = []
    for sign in (-1.0, 1.0):
        p[index] = old + sign * h
        out.append(sign * (model.loss(X, y, "mse", training=True) - base) / h)
        p[index] = old
    return out


def _note_values(row):
    left, right = re.fullmatch(r"one-sided (\S+) \| (\S+)", row.note).groups()
    return float(left), float(right)


def test_relu_kink_inside_the_step_is_a_kink_not_a_failure(rng):
    # Conv2D -> relu -> MaxPool2D -> Flatten -> Dense with the conv bias set so
    # that the largest pre-activation of the pooled window is 0: a ReLU kink
    model = _conv_model()
    X, y = rng.standard_normal((1, 1, 4, 4)), np.array([[1.5]])
    z = model.forward(X, stop=1)
    model.parameters()["0.b"][...] -= z.max()
    report = model.gradcheck(X, y, "mse")
    assert isinstance(report, GradcheckReport)
    kinks = {r.component: r for r in report.kinks}
    # every conv entry moves the kink; the Dense entries see a smooth loss
    assert set(kinks) == {f"0.W[0, 0, {i}, {j}]" for i in range(3)
                          for j in range(3)} | {"0.b[0]"}
    assert report.ok and report.n_failed == 0
    for name, r in kinks.items():
        left, right = _note_values(r)
        key, index = name.split("[")
        index = tuple(int(i) for i in index.rstrip("]").split(", "))
        ref_left, ref_right = _one_sided(model, X, y, key, index)
        # the note shows 6 significant digits
        assert left == pytest.approx(ref_left, rel=1e-5, abs=1e-5)
        assert right == pytest.approx(ref_right, rel=1e-5, abs=1e-5)
        assert abs(left - right) > 1e-3  # the sides really differ
    text = str(report)
    assert "kink (one-sided" in text and "0.b[0]" in text


def test_max_pool_kink_is_a_kink(rng):
    # two pre-activations of one pooling window equal but with different
    # inputs: the max switches within any step of 0.W
    model = _conv_model(in_channels=2, kernel=1, seed=1)
    W = model.parameters()["0.W"]
    b = model.parameters()["0.b"]
    W[...] = np.array([1.0, 0.5]).reshape(1, 2, 1, 1)
    b[...] = 0.25
    X = -np.abs(rng.standard_normal((1, 2, 2, 2)))  # all pre-activations < 0.25
    X[0, :, 0, 0] = [1.0, 2.0]  # z = 1 + 1 + 0.25 = 2.25
    X[0, :, 1, 1] = [2.0, 0.0]  # z = 2 + 0 + 0.25 = 2.25
    report = model.gradcheck(X, np.array([[0.3]]), "mse")
    kinks = {r.component for r in report.kinks}
    assert kinks == {"0.W[0, 0, 0, 0]", "0.W[0, 1, 0, 0]"}
    assert report.ok
    left, right = _note_values(next(r for r in report.kinks
                                    if r.component == "0.W[0, 1, 0, 0]"))
    # along W[0, 1] the window's first entry (x = 2) wins above, the second
    # (x = 0) below: the right-hand derivative is that of the smooth branch
    assert abs(right) > 1e-3 and left == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("layer_index, key", [(0, "W"), (4, "W"), (4, "b")])
def test_a_wrong_backward_is_a_failure_naming_the_entry(rng, layer_index, key):
    model = _conv_model(seed=3)
    X, y = rng.standard_normal((3, 1, 5, 5)), rng.standard_normal((3, 1))
    assert model.gradcheck(X, y, "mse").ok  # right before the change
    layer = model[layer_index]
    original = type(layer).backward

    def wrong(self, g):
        out = original(self, g)
        self.grads[key] *= 1.1  # off by 10%
        return out

    layer.backward = wrong.__get__(layer)
    report = model.gradcheck(X, y, "mse")
    assert not report.ok
    prefix = f"{layer_index}.{key}"
    expected = {r.component for r in report.rows
                if r.component.startswith(prefix) and r.exact != 0.0}
    assert expected and {r.component for r in report.failures} == expected
    assert all(r.status == "FAIL" for r in report.failures)
    for r in report.failures:
        assert r.exact == pytest.approx(1.1 * r.numeric, rel=1e-6)
        assert r.component in str(report)


def test_report_restores_parameters_and_buffers(rng):
    model = nn.Sequential([nn.Dense(3, 4), nn.BatchNorm(4), nn.Activation("relu"),
                           nn.Dense(4, 1)], seed=2)
    before = {k: v.copy() for k, v in model.parameters().items()}
    running = model[1].buffers["running_mean"].copy()
    report = model.gradcheck(rng.standard_normal((6, 3)), rng.standard_normal(6),
                             "mse")
    assert report.ok and len(report.rows) == 3 * 4 + 4 + 4 + 4 + 4 + 1
    for k, v in model.parameters().items():
        np.testing.assert_array_equal(v, before[k])
    np.testing.assert_array_equal(model[1].buffers["running_mean"], running)


def test_method_is_validated():
    model = nn.Sequential([nn.Dense(2, 1)], seed=0)
    with pytest.raises(ValueError, match="method must be one of 'richardson'"):
        model.gradcheck(np.ones((2, 2)), np.ones(2), "mse", method="complex")
