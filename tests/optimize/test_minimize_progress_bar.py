"""minimize's tqdm progress bar: on stderr for long runs on a terminal, with
progress=True, never with progress=False, never on stdout."""

from __future__ import annotations

import io

import numpy as np
import pytest

import calckit as ck
from calckit.errors import CalckitTypeError
from calckit.optimize import _minimize


def _run(**kw):
    return ck.minimize("(x - 1)**2 + (y + 2)**2", x0=[0.0, 0.0], optimizer="sgd",
                       lr=1e-4, tol=0.0, **kw)


def test_progress_true_draws_the_steps_on_stderr(capsys):
    r = _run(steps=50, progress=True)
    out, err = capsys.readouterr()
    assert r.nit == 50
    assert out == ""
    assert "minimize (sgd):" in err and "0/50" in err


def test_progress_false_and_short_runs_draw_nothing(capsys, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    _run(steps=_minimize.LONG_RUN, progress=False)
    _run(steps=_minimize.LONG_RUN - 1)  # automatic: too short for a bar
    assert terminal.getvalue() == ""
    assert capsys.readouterr().out == ""


def test_progress_none_long_run_on_a_terminal_only(capsys, monkeypatch):
    _run(steps=_minimize.LONG_RUN)
    assert capsys.readouterr() == ("", "")  # captured stderr: not a terminal

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    _run(steps=_minimize.LONG_RUN)
    assert f"/{_minimize.LONG_RUN}" in terminal.getvalue()
    assert capsys.readouterr().out == ""


def test_the_bar_changes_nothing_in_the_result():
    quiet, shown = _run(steps=200, progress=False), _run(steps=200, progress=True)
    np.testing.assert_array_equal(quiet.path, shown.path)
    assert quiet.status == shown.status == "max steps"


def test_the_bar_keeps_the_users_callback():
    seen = []
    r = _run(steps=100, progress=True,
             callback=lambda k, x, f, g: seen.append(k) or k == 7)
    assert seen == list(range(1, 8)) and r.status == "callback"


def test_progress_must_be_a_bool_or_none():
    with pytest.raises(CalckitTypeError, match="progress must be True, False or None"):
        _run(steps=5, progress="yes")
