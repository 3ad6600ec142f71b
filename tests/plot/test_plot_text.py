"""User text in figures is shown as written (no mathtext), long text is
cut, and degenerate or huge value ranges still draw (issue 20, item 14)."""

import io

import numpy as np
import pytest
import sympy as sp

pytest.importorskip("matplotlib")

from calckit import plot  # noqa: E402
from calckit.plot._common import MAX_TEXT  # noqa: E402
from calckit.plot.fields import HUGE_SPREAD  # noqa: E402


def _save(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    return buf.getvalue()


def _legend_texts(fig):
    return [t for ax in fig.axes if ax.get_legend() is not None
            for t in ax.get_legend().get_texts()]


def test_a_dollar_label_is_literal_text():
    fig = plot.loss_curves({"$\\foo{$": [3.0, 2.0, 1.0]}, title="cost in $",
                           xlabel="$\\int$ epochs")
    assert _save(fig)[:4] == b"\x89PNG"  # was ValueError: Unknown symbol \foo
    (text,) = _legend_texts(fig)
    assert text.get_text() == "$\\foo{$" and not text.get_parse_math()
    ax = fig.axes[0]
    assert not ax.title.get_parse_math() and ax.title.get_text() == "cost in $"
    assert not ax.xaxis.label.get_parse_math()


def test_a_symbol_named_with_dollars_is_literal():
    x = sp.Symbol("$\\foo{$", real=True)
    fig = plot.derivatives(x**2, x, orders=(0, 1))
    assert _save(fig)[:4] == b"\x89PNG"
    labels = [t.get_text() for t in _legend_texts(fig)]
    assert any("$\\foo{$" in label for label in labels)


def test_long_labels_are_cut():
    label = "$\\int$" * 2000
    fig = plot.loss_curves({label: [3.0, 2.0, 1.0]}, title=label)
    (text,) = _legend_texts(fig)
    assert len(text.get_text()) == MAX_TEXT and text.get_text().endswith("\u2026")
    assert len(fig.axes[0].title.get_text()) == MAX_TEXT
    assert _save(fig)[:4] == b"\x89PNG"


def test_tick_labels_keep_their_mathtext():
    # log-scale ticks are matplotlib's own mathtext: left alone
    fig = plot.loss_curves({"run": np.geomspace(1e3, 1e-6, 50)}, log=True)
    _save(fig)
    ticks = [t for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert ticks and all(t.get_parse_math() for t in ticks)
    assert any("$" in t.get_text() for t in ticks)


def test_values_spread_over_hundreds_of_orders_are_compressed():
    # was: matplotlib's "upper_level must be larger than lower_level"
    fig = plot.gradient_field("exp(1000*x)+y")
    assert _save(fig)[:4] == b"\x89PNG"
    filled = fig.axes[0].collections[0]
    levels = np.asarray(filled.levels)
    assert np.all(np.isfinite(levels)) and np.all(np.diff(levels) > 0)
    assert levels.max() - levels.min() < HUGE_SPREAD  # the compressed scale
    assert levels.max() > 250  # log10 of values near 1e299 reach the top
    assert "log10" in fig.axes[1].get_ylabel()


def test_moderate_values_are_not_compressed():
    fig = plot.gradient_field("x**2 + 3*y**2")
    levels = np.asarray(fig.axes[0].collections[0].levels)
    # the values themselves: from near the minimum 0 to below the maximum 16
    assert 0 <= levels.min() < 0.01 and 8 < levels.max() <= 16
    assert fig.axes[1].get_ylabel() == "f = x**2 + 3*y**2"


@pytest.mark.parametrize("expr", ["1 + 1e-300*x*y", "5 + 1e-290*(x + y)"])
def test_a_flat_function_draws(expr):
    fig = plot.gradient_field(expr)
    assert _save(fig)[:4] == b"\x89PNG"
    levels = np.asarray(fig.axes[0].collections[0].levels)
    assert np.all(np.diff(levels) > 0)
