"""The losses table reads as a course would write it: derivatives almost
everywhere (no DiracDelta, with a note saying so) and one naming scheme for
every row's arguments."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from calckit.tables import almost_everywhere, derivative_table, loss_table


def _numeric(f, var, at, fixed, h=1e-4):
    fn = sp.lambdify(var, f.subs(fixed), "mpmath")
    import mpmath

    with mpmath.workdps(30):
        return float(mpmath.diff(fn, at, 2))


def test_no_dirac_delta_is_shown_and_a_note_says_why():
    t = loss_table()
    for rendering in (str(t), t.to_markdown(), t.to_html(), t.to_latex(),
                      json.dumps(t.to_dict())):
        assert "DiracDelta(" not in rendering
    rows = {r[0]: r for r in t.rows}
    assert rows["mae"][t.headers.index("f''")] == 0
    assert len(t.notes) == 1
    note = t.notes[0]
    assert note.startswith("huber f'', mae f'': derivative almost everywhere")
    for rendering in (str(t), t.to_markdown(), t.to_html(),
                      t.to_latex(standalone=True)):
        assert "almost everywhere" in rendering
    assert "almost everywhere" not in t.to_latex()  # a bare tabular: the caption's
    assert t.to_dict()["notes"] == [note]
    # the exact forms stay available
    yhat = t.wrt[0]
    i = [r[0] for r in t.rows].index("huber")
    assert t.derivatives[i][(yhat, yhat)].has(sp.DiracDelta)


@pytest.mark.parametrize("at", [-2.5, -0.3, 0.4, 3.0])
def test_huber_second_derivative_shown_matches_numeric_off_the_kinks(at):
    t = loss_table(["huber"])
    y, yhat = sorted(t.exprs[0].free_symbols, key=lambda s: s.name)
    shown = t[0, "f''"]
    assert not shown.has(sp.DiracDelta)
    ref = _numeric(t.exprs[0], yhat, at, {y: 0.0})
    assert float(shown.subs({y: 0.0, yhat: at})) == pytest.approx(ref, abs=1e-9)


def test_every_loss_row_names_its_arguments_alike():
    t = loss_table()
    names = {s.name for f in t.exprs for s in f.free_symbols}
    assert names <= {"y", "y2", "yhat", "yhat2"}, names
    assert "z2" not in str(t)
    for label, f in zip((r[0] for r in t.rows), t.exprs, strict=True):
        used = {s.name for s in f.free_symbols}
        if "(2 classes)" in label:
            assert "yhat2" in used and "y" in used, (label, used)


def test_a_smooth_table_has_no_note():
    t = derivative_table(["x**3", "sin(x)"])
    assert t.notes == () and "Note" not in str(t) and "notes" not in t.to_dict()


def test_abs_row_without_names_is_named_by_its_expression():
    t = derivative_table(["Abs(x)", "x**2"], orders=(2,))
    assert t.rows[0][0] == 0
    assert t.notes and t.notes[0].startswith("Abs(x) f'':")
    x = t.wrt[0]
    assert almost_everywhere(sp.diff(sp.Abs(x), x, 2)) == 0
    np.testing.assert_equal(float(t.rows[1][0]), 2.0)
