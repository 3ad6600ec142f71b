"""User text in table output is escaped for each format (issue 20, item 13):
LaTeX command names, CSV formula injection, HTML and newlines in Markdown."""

import csv
import io
import shutil
import subprocess

import pytest
import sympy as sp

from calckit.tables import derivative_table

EVIL = sp.Symbol(r"\immediate\write18{touch pwned}", real=True)
Y = sp.Symbol("y", real=True)


def _table():
    return derivative_table(
        {"<img src=x onerror=alert(1)>\nsecond line": EVIL**2 + Y,
         "=HYPERLINK(\"http://x\")": -EVIL, "@SUM(A1)": EVIL * Y, "+1": Y - 3,
         "-cmd": -Y},
        wrt=[EVIL, Y], orders=(0, 1), at=[{EVIL: -1.5, Y: 2.0}])


def test_latex_escapes_symbol_names_and_row_names():
    tex = _table().to_latex()
    assert r"\immediate" not in tex and r"\write18" not in tex
    name = r"\textbackslash{}immediate\textbackslash{}write18\{touch pwned\}"
    assert r"\mbox{" + name + "}" in tex
    # the row name: no raw newline inside a cell, no raw special characters
    assert r"\texttt{<img src=x onerror=alert(1)> second line}" in tex
    # ordinary names are still typeset by SymPy
    assert r"\frac{\partial f}{\partial y}" in tex


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_latex_with_a_command_as_a_name_compiles_without_running_it(tmp_path):
    (tmp_path / "t.tex").write_text(_table().to_latex(standalone=True))
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-shell-escape",
                           "t.tex"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    assert not (tmp_path / "pwned").exists()


def test_csv_neutralises_formulas_in_text_cells_not_numbers():
    rows = list(csv.reader(io.StringIO(_table().to_csv())))
    header, body = rows[0], rows[1:]
    cells = [c for r in body for c in r]
    names = [r[0] for r in body]
    assert names[1:] == ["'=HYPERLINK(\"http://x\")", "'@SUM(A1)", "'+1", "'-cmd"]
    # expressions are text: -x is neutralised
    assert "'-" + str(EVIL) in cells
    # numbers stay numbers: evaluated values and expressions that are numbers
    by_name = dict(zip(names, body, strict=True))
    values = by_name["'-cmd"][1:]
    assert values == ["'-y", "0", "-1", "-2.0", "0", "-1.0"]
    for r in body:
        for c in r:
            if c.startswith(("=", "+", "-", "@")):
                float(c)  # only numbers may start with a formula character
    assert all(not h.startswith(("=", "+", "-", "@")) for h in header)


def test_markdown_escapes_html_and_newlines_in_row_names():
    md = _table().to_markdown()
    lines = md.splitlines()
    assert len(lines) == 2 + 5  # a newline in a name does not end the row
    assert "<img" not in md
    assert "&lt;img src=x onerror=alert(1)&gt;<br>second line" in md
    # every row has the header's number of cells
    cells = [line.replace(r"\|", "").count("|") for line in lines]
    assert len(set(cells)) == 1


def test_markdown_code_spans_survive_backticks_and_pipes():
    t = derivative_table({"a|b": sp.Symbol("u`v", real=True) ** 2}, orders=(0,))
    md = t.to_markdown()
    assert r"a\|b" in md and "`` u`v**2 ``" in md


def test_html_escapes_names():
    html = _table().to_html()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
