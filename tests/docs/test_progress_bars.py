"""Progress bars (calckit._progress, tqdm.auto): on stderr only, off with
progress=False, on a terminal only with None; the tour uses them."""

from __future__ import annotations

import io

import pytest

from calckit import _progress, tour
from calckit.errors import CalckitTypeError


def test_disabled_returns_the_iterable_itself(capsys):
    items = [1, 2, 3]
    assert _progress.progress(items, enabled=False, desc="x") is items
    out, err = capsys.readouterr()
    assert out == err == ""


def test_enabled_draws_on_stderr_never_on_stdout(capsys):
    seen = list(_progress.progress(iter(range(7)), enabled=True, desc="steps",
                                   total=7))
    out, err = capsys.readouterr()
    assert seen == list(range(7))
    assert out == ""
    assert "steps:" in err and "0/7" in err  # drawn, then cleared (leave=False)


def test_none_draws_only_on_a_terminal(capsys, monkeypatch):
    assert list(_progress.progress(range(5), enabled=None, desc="auto")) == [0, 1, 2,
                                                                            3, 4]
    out, err = capsys.readouterr()
    assert out == err == ""  # captured stderr is not a terminal

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert sum(_progress.progress(range(5), enabled=None, desc="auto")) == 10
    assert "auto:" in terminal.getvalue() and "0/5" in terminal.getvalue()


@pytest.mark.parametrize("bad", ["yes", 1, 0.0])
def test_enabled_must_be_a_bool_or_none(bad):
    with pytest.raises(CalckitTypeError, match="progress must be True, False or None"):
        _progress.progress(range(2), enabled=bad)


def test_write_beside_clears_the_bar_then_redraws_it():
    calls = []

    class Bar:
        def clear(self):
            calls.append("clear")

        def refresh(self):
            calls.append("refresh")

    write = _progress.write_beside(Bar(), lambda text: calls.append(text))
    write("section")
    assert calls == ["clear", "section", "refresh"]
    assert _progress.write_beside([1, 2], print) is print
    assert _progress.write_beside(Bar(), None) is None


def _fake_sections(result, *, quick, seed, table_text, width):
    for i in range(1, tour.SECTIONS + 1):
        yield f"{i}. section", f"body {i}"


@pytest.mark.parametrize("progress", [True, False, None])
def test_tour_bar_on_stderr_sections_on_stdout(progress, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(tour, "_sections", _fake_sections)
    result = tour.run(str(tmp_path / "t"), emit=print, progress=progress)
    out, err = capsys.readouterr()
    assert [title for title, _ in result.sections] == [
        *(f"{i}. section" for i in range(1, 6)), "Figures"]
    assert "== 5. section ==\nbody 5" in out
    assert "calckit tour" not in out  # the bar never goes to stdout
    if progress:
        assert "calckit tour:" in err and "0/5" in err
    else:  # off, or automatic with a stderr that is not a terminal
        assert err == ""


def test_the_tour_runs_every_section_it_counts(tmp_path):
    """SECTIONS (the bar's total) is the number of sections the tour yields."""
    import inspect

    source = inspect.getsource(tour._sections)
    assert source.count("\n    yield ") == tour.SECTIONS


def test_automatic_bar_off_a_terminal_does_not_import_tqdm(monkeypatch):
    """progress=None off a terminal returns before importing tqdm.auto (whose
    import warns in a Jupyter kernel without ipywidgets)."""
    import sys

    monkeypatch.delitem(sys.modules, "tqdm.auto", raising=False)
    monkeypatch.delitem(sys.modules, "tqdm.autonotebook", raising=False)
    items = [1, 2]
    assert _progress.progress(items, enabled=None, file=io.StringIO()) is items
    assert not _progress.counter(2, enabled=None, file=io.StringIO()).update(1)
    assert "tqdm.auto" not in sys.modules
