"""remainder_bound's tqdm progress bar: stderr only, off with progress=False,
on a terminal only by default; the bound is the same either way."""

from __future__ import annotations

import io

import pytest

from calckit.errors import CalckitTypeError
from calckit.symbolic.remainder import remainder_bound


@pytest.mark.parametrize("method, wrt, interval, stages", [
    ("lagrange", "x", (-1, 1), 2),  # measured error + f^(n+1)
    ("integral", "x", (-1, 1), 2),
    ("lagrange", "x y", [(-1, 1), (-1, 1)], 1 + 4 + 1),  # 4 partials of order 3
])
def test_bar_on_stderr_with_every_stage(method, wrt, interval, stages, capsys):
    expr = "exp(x)" if wrt == "x" else "exp(x)*cos(y)"
    quiet = remainder_bound(expr, wrt, 0, 2, interval, method=method,
                            progress=False)
    assert capsys.readouterr() == ("", "")
    shown = remainder_bound(expr, wrt, 0, 2, interval, method=method,
                            progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "remainder_bound:" in err and f"0/{stages}" in err
    assert shown.bound == quiet.bound and shown.measured == quiet.measured


def test_default_draws_only_on_a_terminal(capsys, monkeypatch):
    remainder_bound("sin(x)", "x", 0, 3, (-1, 1))
    assert capsys.readouterr() == ("", "")

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    remainder_bound("sin(x)", "x", 0, 3, (-1, 1))
    assert "remainder_bound:" in terminal.getvalue()


def test_progress_must_be_a_bool_or_none():
    with pytest.raises(CalckitTypeError, match="progress must be True, False or None"):
        remainder_bound("sin(x)", "x", 0, 3, (-1, 1), progress="on")
