"""Progress bars in the CLI: on stderr when it is a terminal, never with
--json, never on stdout."""

from __future__ import annotations

import io
import json

from calckit.cli import main


class Terminal(io.StringIO):
    def isatty(self):
        return True


def _terminal(monkeypatch):
    """sys.stderr as a terminal; set in the test body (pytest's capture puts
    its own sys.stderr back between a fixture's setup and the test)."""
    stream = Terminal()
    monkeypatch.setattr("sys.stderr", stream)
    return stream


OPTIMIZE = ["optimize", "x**2 + y**2", "--x0", "1,2", "--optimizer", "sgd",
            "--lr", "1e-4", "--steps", "1000", "--tol", "0"]


def test_optimize_long_run_shows_a_bar_on_a_terminal(monkeypatch, capsys):
    terminal = _terminal(monkeypatch)
    main(OPTIMIZE)
    out = capsys.readouterr().out
    assert "minimize (sgd):" in terminal.getvalue()
    assert "minimize (sgd)" not in out and "status:" in out


def test_optimize_json_has_no_bar(monkeypatch, capsys):
    terminal = _terminal(monkeypatch)
    main([*OPTIMIZE, "--json"])
    out = capsys.readouterr().out
    assert json.loads(out)["nit"] == 1000  # stdout: one JSON document
    assert "minimize" not in terminal.getvalue()
    assert terminal.getvalue().startswith("optimizing f = ")  # the note only


TAYLOR = ["taylor", "exp(x)", "--order", "3", "--interval", "-1,1"]


def test_taylor_bound_shows_a_bar_on_a_terminal_but_not_with_json(monkeypatch, capsys):
    terminal = _terminal(monkeypatch)
    main(TAYLOR)
    assert "remainder_bound:" in terminal.getvalue()
    assert "remainder_bound" not in capsys.readouterr().out
    terminal.seek(0)
    terminal.truncate()
    main([*TAYLOR, "--json"])
    assert json.loads(capsys.readouterr().out)["bound"] > 0
    assert terminal.getvalue() == ""


def test_commands_hand_the_bar_setting_on(monkeypatch, capsys):
    """Each command that runs a long loop passes output.progress(args)."""
    import calckit

    seen = {}

    def fake_minimize(*args, progress="missing", **kwargs):
        seen["minimize"] = progress
        return real(*args, **kwargs)

    real = calckit.minimize
    monkeypatch.setattr(calckit, "minimize", fake_minimize)
    main([*OPTIMIZE, "--json"])
    main(OPTIMIZE)
    capsys.readouterr()
    assert seen["minimize"] is None  # the last run: text, terminal-only bar
    main([*OPTIMIZE, "--json"])
    assert seen["minimize"] is False


def test_tour_command_hands_on_a_terminal_only_bar(monkeypatch, tmp_path):
    from calckit import tour

    seen = {}
    monkeypatch.setattr(tour, "run",
                        lambda out, **kw: seen.update(kw))
    assert main(["tour", "--quick", "--out", str(tmp_path)]) == 0
    assert seen["progress"] is None  # the tour has no --json: a bar on a terminal
