"""fit's progress bar is tqdm (calckit._progress), on stderr, never stdout."""

from __future__ import annotations

import io

import numpy as np
import pytest

from calckit import NumericError, datasets, nn
from calckit.nn import _fit


def _model():
    return nn.Sequential([nn.Dense(2, 4), nn.Activation("tanh"), nn.Dense(4, 1)],
                         seed=0)


def test_fit_has_no_hand_written_progress_line():
    assert not hasattr(_fit, "_Progress")


def test_fit_bar_on_stderr_with_the_loss(capsys):
    X, y = datasets.xor()
    _model().fit(X, y, loss="bce_with_logits", epochs=4, progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "epoch:" in err and "4/4" in err and "loss=" in err and "acc=" in err
    assert "it/s" in err or "s/it" in err  # tqdm's rate: the bar is tqdm's


def test_fit_no_bar_when_off_or_not_a_terminal(capsys):
    X, y = datasets.xor()
    _model().fit(X, y, loss="bce_with_logits", epochs=3, progress=False)
    assert capsys.readouterr() == ("", "")
    _model().fit(X, y, loss="bce_with_logits", epochs=3, progress=None)
    assert capsys.readouterr() == ("", "")  # captured stderr is not a terminal


def test_fit_notes_early_stopping_beside_the_bar():
    X, y = datasets.xor()
    stream = io.StringIO()
    hist = _model().fit(X, y, loss="mse", optimizer="sgd", lr=1e-9, epochs=50,
                        early_stopping=2, min_delta=1.0, stream=stream)
    assert hist.stopped_early
    assert hist.message in stream.getvalue()


def test_fit_bar_closed_when_training_diverges(capsys):
    X, y = datasets.xor()
    with pytest.raises(NumericError, match="diverged"):
        _model().fit(X, np.asarray(y) * 1e3, loss="mse", optimizer="sgd", lr=1e3,
                     epochs=500, progress=True)
    out, err = capsys.readouterr()
    assert out == "" and "epoch:" in err
