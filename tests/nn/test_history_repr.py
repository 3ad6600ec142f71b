"""Printing a training History shows a summary, not every per-epoch list
(issue 19)."""

import numpy as np

from calckit import datasets, nn


def _fit(epochs, **kwargs):
    X, y = datasets.moons(64, noise=0.1, seed=0)
    model = nn.Sequential([nn.Dense(2, 8), nn.Activation("tanh"), nn.Dense(8, 1)],
                          seed=0)
    return model.fit(X, y, loss="bce_with_logits", epochs=epochs, batch_size=16,
                     progress=False, seed=0, **kwargs)


def test_history_repr_is_a_short_summary():
    hist = _fit(60)
    text = repr(hist)
    assert len(text) < 200 and "\n" not in text
    assert text.startswith("History(epochs=60, loss=")
    assert f"loss={hist.loss[-1]:.4g}" in text
    assert f"accuracy={hist.accuracy[-1]:.4g}" in text
    best = int(np.argmin(hist.loss)) + 1
    assert f"best epoch {best} (loss {min(hist.loss):.4g})" in text
    assert str(hist) == text  # print() shows the same
    # the lists are still all there
    assert len(hist.loss) == len(hist.as_dict()["loss"]) == 60


def test_history_repr_names_validation_and_early_stopping():
    # validation labels flipped: the validation loss grows as training works
    X, y = datasets.moons(64, noise=0.1, seed=0)
    hist = _fit(200, validation_data=(X, 1 - y), early_stopping=3)
    text = repr(hist)
    assert f"val_loss={hist.val_loss[-1]:.4g}" in text
    assert hist.stopped_early and "stopped early" in text
    assert f"best epoch {hist.best_epoch} (val_loss" in text
    assert len(text) < 250
