"""Text renderings fit a terminal of the given width (issue 19: the gradcheck
report was 152 columns, optimize.comparison_table 86)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import calckit as ck
from calckit import optimize, tables
from calckit._text import aligned, blocks
from calckit.cli import main


def _widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


def test_aligned_is_unchanged_when_it_fits():
    rows = [["a", "1"], ["bb", "-2"]]
    assert aligned(["n", "v"], rows, right={1}) == aligned(["n", "v"], rows,
                                                           right={1}, width=80)


def test_aligned_wraps_the_last_column_then_falls_back_to_blocks():
    rows = [["sgd", "3", "[1.000001, 2.000002, 3.000003]"],
            ["adam", "12", "[4, 5]"]]
    wrapped = aligned(["name", "steps", "x"], rows, right={1}, rule=True, width=30)
    assert _widest(wrapped) <= 30
    lines = wrapped.splitlines()
    assert lines[0].split() == ["name", "steps", "x"] and set(lines[1]) <= {"-", " "}
    assert " ".join(wrapped.split()).count("[1.000001, 2.000002, 3.000003]") == 1
    tight = aligned(["name", "steps", "x"], rows, right={1}, width=12)
    assert tight == blocks(["name", "steps", "x"], rows, 12)
    assert tight.splitlines()[0] == "sgd"


@pytest.mark.parametrize("width", [40, 60, 80])
def test_gradcheck_report_fits_and_keeps_every_entry(width):
    report = ck.gradcheck("log(1 + exp(w*x + b)) + abs(w - 1)*b**3", "w b",
                          at=[[1.0, 2.0], [0.3, 0.4], [1e-3, -2.5]],
                          params={"x": 3.0})
    wide = str(report)
    assert _widest(wide) > 80  # the case issue 19 met
    text = report.text(width)
    assert _widest(text) <= width
    flat = " ".join(text.split())
    for row in report.rows:
        assert f"{row.exact:.10g}" in flat and row.status in flat
    assert report.text() == wide  # no width: the full table, as before


def test_gradcheck_table_width_is_validated():
    report = ck.gradcheck("x**2", "x", at=[1.0])
    with pytest.raises(ck.InvalidParameterError, match="width"):
        report.table(width=5)


def test_comparison_table_fits_80_columns():
    r = SimpleNamespace(nit=600, converged=False, diverged=False, fun=1.114,
                        grad=np.array([2.0, 0.5]), x=np.array([-0.05566, 0.003386]))
    runs = {"sgd (momentum 0.9)": r, "rmsprop (lr 0.001)": r,
            "newton (damping 1e-3)": r}
    assert _widest(optimize.comparison_table(runs)) > 80
    text = optimize.comparison_table(runs, width=80)
    assert _widest(text) <= 80
    assert text.splitlines()[0].startswith("optimizer")  # still one table
    assert all(label in text for label in runs)


def test_loss_table_note_is_wrapped_too():
    text = tables.loss_table().text(60)
    assert _widest(text) <= 60 and "almost everywhere" in text


def test_cli_gradcheck_and_table_fit_the_terminal(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    main(["gradcheck", "log(1 + exp(w*x + b))", "--at", "w=1,b=2", "--params",
          "x=3", "--wrt", "w b"])
    out = capsys.readouterr().out
    assert "gradcheck OK" in out and _widest(out) <= 80
    main(["table", "--losses"])
    out = capsys.readouterr().out
    assert _widest(out) <= 80 and "Note:" in out
    main(["optimize", "(1-x)**2 + 100*(y-x**2)**2", "--x0", "-1.2,1",
          "--optimizer", "newton", "--steps", "50"])
    assert _widest(capsys.readouterr().out) <= 80
