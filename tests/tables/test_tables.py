"""Derivative tables (calckit.tables): contents checked numerically,
renderings checked structurally."""

import csv
import io
import re
from html.parser import HTMLParser

import mpmath
import pytest
import sympy as sp

from calckit.errors import InvalidParameterError
from calckit.tables import (
    DerivativeTable,
    derivative_table,
    rules_table,
    taylor_table,
    tidy,
)

x, y = sp.symbols("x y", real=True)

FUNCS = [sp.exp(2 * x) * sp.sin(x), sp.log(1 + x**2), sp.tanh(x) / (1 + x**2),
         1 / (1 + sp.exp(-x)), x**5 - 3 * x]


def _mp(expr, var):
    return sp.lambdify(var, expr, "mpmath")


def test_values_match_mpmath_numeric_derivatives():
    pts = [0.3, -1.25]
    t = derivative_table(FUNCS, orders=(0, 1, 2, 3), at=pts)
    assert isinstance(t, DerivativeTable)
    for i, f in enumerate(FUNCS):
        fn = _mp(f, x)
        for p in pts:
            for k, head in enumerate(["f", "f'", "f''", "f'''"]):
                got = float(t[i, f"{head}({p:g})"])
                with mpmath.workdps(30):
                    ref = float(mpmath.diff(fn, mpmath.mpf(p), k))
                assert got == pytest.approx(ref, rel=1e-12, abs=1e-14), (f, p, k)


def test_tidied_forms_equal_the_exact_derivatives():
    t = derivative_table(FUNCS, orders=(1, 2))
    for i in range(len(FUNCS)):
        for head, key in (("f'", (x,)), ("f''", (x, x))):
            shown = t[i, head]
            exact = t.derivatives[i][key]
            for p in (-0.7, 0.2, 1.9):
                assert float(shown.subs(x, p)) == pytest.approx(
                    float(exact.subs(x, p)), rel=1e-12, abs=1e-14)


def test_tidy_is_bounded_and_shortens():
    n = sp.Symbol("n", real=True)
    assert tidy(sp.diff(x**n, x)) == n * x**(n - 1)
    big = sp.Add(*[sp.sin(k * x) ** k for k in range(1, 80)])
    assert tidy(big) is big  # above the operation budget: left alone


def test_partials_for_several_variables():
    f = x**2 * y + sp.sin(x * y)
    t = derivative_table(f, wrt="x y", orders=(0, 1, 2), at={"x": 1, "y": 2})
    assert t.headers[:6] == ("f", "df/dx", "df/dy", "d2f/dx2", "d2f/dxdy",
                             "d2f/dy2")
    fn = _mp(f, (x, y))
    for head, (nx, ny) in {"df/dx": (1, 0), "df/dy": (0, 1), "d2f/dx2": (2, 0),
                           "d2f/dxdy": (1, 1), "d2f/dy2": (0, 2)}.items():
        ref = float(mpmath.diff(fn, (1, 2), (nx, ny)))
        assert float(t[0, f"{head}(1, 2)"]) == pytest.approx(ref, rel=1e-10)


def test_dict_input_labels_rows_and_point_lists():
    t = derivative_table({"sq": x**2, "cube": x**3}, orders=(1,), at=[[1], [2]])
    assert t.headers == ("name", "f'", "f'(1)", "f'(2)")
    assert [r[0] for r in t.rows] == ["sq", "cube"]
    assert [int(v) for v in t.rows[1][2:]] == [3, 12]


def test_parameters_stay_symbolic_unless_given():
    a = sp.Symbol("a", real=True)
    t = derivative_table(sp.exp(a * x), wrt="x", orders=(1,), at=0)
    assert t[0, "f'(0)"] == a
    t2 = derivative_table(sp.exp(a * x), wrt="x", orders=(1,), at={"x": 0, "a": 3})
    assert float(t2[0, "f'(x=0, a=3)"]) == 3


def test_integer_valued_float_points_keep_symbolic_cells_exact():
    y = sp.Symbol("y", real=True)
    t = derivative_table(x**2 * y, wrt="x", orders=(0, 1), at=1.0)
    assert t[0, "f(1)"] == y and t[0, "f'(1)"] == 2 * y  # not 1.0*y, 2.0*y
    assert "1.0" not in str(t)
    half = derivative_table(x**2 * y, wrt="x", orders=(1,), at=0.5)
    assert half[0, "f'(0.5)"] == sp.Float(1.0) * y


def test_str_is_aligned():
    t = derivative_table(FUNCS, orders=(0, 1), at=1)
    lines = str(t).splitlines()
    starts = [m.start() for m in re.finditer(r"(?<=  )\S", lines[0])]
    dashes = [m.start() for m in re.finditer(r"-+", lines[1])]
    assert starts == dashes[1:]
    for line in lines[2:]:
        for s in starts:
            assert line[s - 2: s] == "  " and line[s] != " "


def test_markdown_structure():
    t = derivative_table(FUNCS + [sp.Abs(x)], orders=(0, 1), at=0.5)
    md = t.to_markdown()
    lines = md.splitlines()
    assert lines[1] == "|" + "|".join([" --- "] * len(t.headers)) + "|"
    for line in lines:
        cells = re.split(r"(?<!\\)\|", line)[1:-1]
        assert len(cells) == len(t.headers)
    assert "`exp(2*x)*sin(x)`" in md
    assert t._repr_markdown_() == md


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.rows, self.errors = [], [], []

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self.rows[-1].append("")

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)

    def handle_data(self, data):
        if self.stack and self.stack[-1] in ("td", "th", "code"):
            self.rows[-1][-1] += data


def test_html_is_well_formed_and_escaped():
    t = derivative_table([sp.Piecewise((0, x < 0), (x, True)), x**2],
                         orders=(0, 1))
    page = t.to_html()
    parser = _Cells()
    parser.feed(page)
    assert not parser.errors and not parser.stack
    assert parser.rows[0] == list(t.headers)
    assert parser.rows[1][0] == "(0 if x < 0 else x)"
    assert "&lt;" in page and "<code>" in page
    assert t._repr_html_() == page


def test_csv_round_trips_with_full_precision():
    t = derivative_table(FUNCS, orders=(0, 1), at=0.3)
    rows = list(csv.reader(io.StringIO(t.to_csv())))
    assert tuple(rows[0]) == t.headers
    for i, row in enumerate(rows[1:]):
        assert sp.sympify(row[0]) == FUNCS[i] or sp.simplify(
            sp.sympify(row[0]).subs(sp.Symbol("x"), x) - FUNCS[i]) == 0
        assert float(row[2]) == float(t.rows[i][2])  # repr: exact float


def _latex_top_level_ampersands(line: str) -> int:
    depth, math, count, i = 0, False, 0, 0
    while i < len(line):
        c = line[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == "$":
            math = not math
        elif c == "&" and depth == 0 and not math:
            count += 1
        i += 1
    return count


def _check_latex_tabular(tex: str, ncols: int):
    # balanced braces, \left/\right pairs, begin/end pairs, math shifts
    assert tex.count("{") - tex.count(r"\{") == tex.count("}") - tex.count(r"\}")
    assert len(re.findall(r"\\left[(\[.|]", tex)) == len(
        re.findall(r"\\right[)\].|]", tex))
    begins = re.findall(r"\\begin\{(\w+)\}", tex)
    ends = re.findall(r"\\end\{(\w+)\}", tex)
    assert sorted(begins) == sorted(ends)
    lines = tex.splitlines()
    assert lines[0] == r"\begin{tabular}{" + "l" * ncols + "}"
    assert lines[-1] == r"\end{tabular}"
    rows = [ln for ln in lines if ln.endswith(r"\\")]
    for row in rows:
        assert row.count("$") % 2 == 0
        assert _latex_top_level_ampersands(row) == ncols - 1, row
    return rows


def test_latex_tabular_structure_and_every_math_cell_parses():
    from matplotlib.mathtext import MathTextParser

    t = derivative_table({"a": FUNCS[0], "b_c": x**3, "relu": sp.Max(0, x)},
                         orders=(0, 1, 2), at=[0.5, 1e-7])
    tex = t.to_latex()
    rows = _check_latex_tabular(tex, len(t.headers))
    assert len(rows) == 1 + len(t.rows)
    assert r"\texttt{b\_c}" in tex
    parser = MathTextParser("path")
    for row in rows:
        for cell in re.findall(r"\$([^$]*)\$", row):
            parser.parse(f"${cell}$")  # raises ValueError on bad TeX


def test_latex_piecewise_cells_and_standalone_document():
    t = derivative_table(sp.Piecewise((0, x < 0), (x**2, True)), orders=(0, 1))
    tex = t.to_latex(standalone=True)
    assert tex.startswith(r"\documentclass{article}")
    assert r"\usepackage{amsmath}" in tex and tex.endswith(r"\end{document}")
    body = tex[tex.index(r"\begin{tabular}"): tex.index(r"\end{tabular}") + 13]
    _check_latex_tabular(body, 2)
    assert r"\begin{cases}" in body  # needs amsmath, which the document loads


def test_rules_table_rows():
    t = rules_table()
    names = [r[0] for r in t.rows]
    assert names == ["constant", "power", "exp", "log", "sin", "cos", "product",
                     "quotient", "chain"]
    text = {r[0]: (str(t).splitlines()[2 + i]) for i, r in enumerate(t.rows)}
    assert "n*x**(n - 1)" in text["power"]
    assert "f'(g(x))*g'(x)" in text["chain"]
    assert "(-f(x)*g'(x) + g(x)*f'(x))/g(x)**2" in text["quotient"]
    assert "f(x)*g'(x) + g(x)*f'(x)" in text["product"]
    assert r"f'\left(g{\left(x \right)}\right) g'\left(x\right)" in t.to_latex()


def test_taylor_table():
    t = taylor_table(sp.exp(x) * sp.cos(y), "x y", at=0, order=2)
    assert t.headers == ("alpha", "derivative", "coefficient", "term")
    coeffs = {r[0]: r[2] for r in t.rows}
    assert coeffs == {"0,0": 1, "1,0": 1, "0,1": 0, "2,0": sp.Rational(1, 2),
                      "1,1": 0, "0,2": sp.Rational(-1, 2)}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(orders=(-1,)), "orders"),
        (dict(orders=(1, 1)), "orders"),
        (dict(orders=()), "orders"),
        (dict(orders=(2.0,)), "orders"),
        (dict(at="x"), "at"),
        (dict(at=[(1, 2, 3)]), "at"),
        (dict(names=["a", "b"]), "names"),
        (dict(exprs=[]), "exprs"),
        (dict(wrt="x y z w", orders=tuple(range(8))), "columns"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = dict(exprs=x**2 * y, wrt=None)
    args.update(kwargs)
    with pytest.raises(InvalidParameterError, match=match):
        derivative_table(**args)


def test_unknown_column_is_named():
    t = derivative_table(x**2)
    with pytest.raises(InvalidParameterError, match="f'''"):
        t[0, "f'''"]


def _numeric_derivative(expr, var, point, order, fixed=None):
    """mpmath derivative of expr via 30-digit evalf (independent of tables)."""
    subs = dict(fixed or {})

    def fn(t):
        subs[var] = sp.Float(t, 30)
        return mpmath.mpf(str(expr.evalf(30, subs=subs)))

    with mpmath.workdps(30):  # step 1e-8: truncation ~1e-16, rounding ~1e-14
        return float(mpmath.diff(fn, mpmath.mpf(point), order, h=mpmath.mpf("1e-8")))


def test_activation_table_has_every_activation_and_correct_derivatives():
    from calckit import activations
    from calckit.tables import activation_table

    pts = [0.7, -1.3]  # away from every kink (0, +-1, +-3)
    t = activation_table(at=pts)
    assert [r[0] for r in t.rows] == list(activations.names())
    xs = t.wrt[0]
    for i, f in enumerate(t.exprs):
        for p in pts:
            for head, k in (("f", 0), ("f'", 1), ("f''", 2)):
                ref = _numeric_derivative(f, xs, p, k)
                got = float(t[i, f"{head}({p:g})"])
                assert got == pytest.approx(ref, rel=1e-9, abs=1e-12), (
                    t.rows[i][0], head, p)
    assert "selu" in t.to_markdown() and "1.050701" in str(t)


def test_loss_table_has_every_loss_and_correct_derivatives():
    from calckit import losses
    from calckit.tables import loss_table

    t = loss_table(orders=(0, 1))
    names = [r[0].split(" (")[0] for r in t.rows]
    assert names == list(losses.names())
    yhat = t.wrt[0]
    syms = {s.name: s for f in t.exprs for s in f.free_symbols}
    fixed = {syms[n]: v for n, v in {"y": 1, "y2": 0.5, "yhat2": 0.2}.items()
             if n in syms}
    for i, f in enumerate(t.exprs):
        d = t.derivatives[i][(yhat,)]
        got = float(d.subs(fixed).subs(yhat, 0.3))
        ref = _numeric_derivative(f, yhat, 0.3, 1, fixed)
        assert got == pytest.approx(ref, rel=1e-9, abs=1e-12), t.rows[i][0]


def test_string_expressions_and_names():
    t = derivative_table(["x**2*y", "sin(y)"], wrt="x y", orders=(1,))
    assert t.headers == ("df/dx", "df/dy")
    assert [str(c) for c in t.rows[0]] == ["2*x*y", "x**2"]
    assert [str(c) for c in t.rows[1]] == ["0", "cos(y)"]


def test_piecewise_conditions_read_as_words():
    f = sp.Piecewise(((x + 3) / 6, (x > -3) & (x < 3)), (0, x <= -3), (1, True))
    assert str(derivative_table(f, orders=(0,))).splitlines()[2] == (
        "((x + 3)/6 if x > -3 and x < 3 else 0 if x <= -3 else 1)")


@pytest.mark.skipif(__import__("shutil").which("pdflatex") is None,
                    reason="pdflatex not installed (structure is checked above)")
def test_latex_document_compiles(tmp_path):
    import subprocess

    from calckit.tables import activation_table

    (tmp_path / "t.tex").write_text(activation_table().to_latex(standalone=True))
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "t.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]


def test_latex_escapes_every_special_character_once():
    from calckit.tables.format import _latex_escape, _number_latex

    assert _latex_escape("x^2 ~ a\\b_c {d} 50% #1 $&") == (
        r"x\textasciicircum{}2 \textasciitilde{} a\textbackslash{}b\_c \{d\} "
        r"50\% \#1 \$\&")
    assert _number_latex(sp.Float(2.5e-7)) == r"2.5\times 10^{-7}"
    assert _number_latex(sp.sympify(1e10 + 2e10j)) == (
        r"1\times 10^{10} + 2\times 10^{10} i")
    assert _number_latex(sp.sympify(-2 - 3e-9j)) == r"-2 - 3\times 10^{-9} i"


@pytest.mark.skipif(__import__("shutil").which("pdflatex") is None,
                    reason="pdflatex not installed")
def test_latex_document_with_awkward_labels_compiles(tmp_path):
    import subprocess

    from calckit.tables import derivative_table

    table = derivative_table({"x^2 ~ a\\b_c {50%} #1 $&": "x**2*exp(x)"}, at=[1e10])
    (tmp_path / "t.tex").write_text(table.to_latex(standalone=True))
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "t.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
