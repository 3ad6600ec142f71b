"""Tables fit an 80-column terminal: the activation table was 240
characters wide (issue 19, tables)."""

import pytest

from calckit import tables
from calckit.cli import main


def test_the_activation_table_fits_80_columns(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["table", "--activations"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    # every activation and every cell is still there, in blocks
    t = tables.activation_table(orders=(0, 1, 2))
    for row in t.text_rows():
        assert f"\n{row[0]}\n" in f"\n{out}"
        for cell in row[1:]:
            assert " ".join(cell.split()) in " ".join(out.split())


def test_a_narrow_table_keeps_its_aligned_form(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["table", "x**2", "sin(x)"]) == 0
    out = capsys.readouterr().out
    assert out.rstrip("\n") == str(tables.derivative_table(["x**2", "sin(x)"]))


def test_a_wide_terminal_gets_the_aligned_table(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    assert main(["table", "--activations", "--orders", "0,1"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].startswith("----")


def test_other_formats_are_not_wrapped(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["table", "--activations", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) > 80


@pytest.mark.parametrize("width", [40, 60, 100])
def test_narrow_respects_the_width(width):
    t = tables.activation_table(orders=(0, 1))
    assert max(len(line) for line in t.text(width).splitlines()) <= width
