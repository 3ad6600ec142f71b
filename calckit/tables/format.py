"""Rendering of calckit tables: readable plain text, Markdown, LaTeX, HTML
and CSV cells, and the :class:`Table` they are assembled in.

Private: the public names are re-exported by :mod:`calckit.tables`.
"""

from __future__ import annotations

import csv
import io
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from calckit._text import (
    aligned,
    csv_safe,
    html_escape,
    latex_escape,
    markdown_code,
    markdown_escape,
    markdown_table,
)
from calckit.errors import InvalidParameterError

__all__ = ["Column", "Table"]


def _prime_of(expr):
    """``(name, n, inner)`` when expr is ``f^(n)`` of an undefined f."""
    if isinstance(expr, sp.Derivative) and isinstance(expr.expr, AppliedUndef):
        fn = expr.expr
        if len(fn.args) == 1 and set(expr.variables) == {fn.args[0]}:
            return fn.func.__name__, len(expr.variables), fn.args[0]
    if isinstance(expr, sp.Subs) and len(expr.variables) == 1:
        inner = _prime_of(expr.expr)
        if inner and inner[2] == expr.variables[0]:
            return inner[0], inner[1], expr.point[0]
    return None


class _PrimeNotation:
    """Printer mixin: ``f'(x)``, ``f''(a)``, ``f^(4)(x)`` for derivatives of an
    undefined function of one variable (and their values at a point); the
    printer's ``_prime(name, n, arg)`` writes one."""

    _prime: Callable[..., str]  # defined by each printer using the mixin

    # super() is the SymPy printer this is mixed into, which mypy cannot see
    def _print_Derivative(self, expr):
        prime = _prime_of(expr)
        if prime:
            return self._prime(*prime)
        return super()._print_Derivative(expr)  # type: ignore[misc]

    def _print_Subs(self, expr):
        prime = _prime_of(expr)
        if prime:
            return self._prime(*prime)
        return super()._print_Subs(expr)  # type: ignore[misc]


class _TextPrinter(_PrimeNotation, StrPrinter):
    """StrPrinter with ``f'(x)`` for derivatives of undefined functions and
    ``(a if c else b)`` for Piecewise."""

    def _prime(self, name, n, arg):
        return f"{name}{_primes(n)}({self._print(arg)})"

    def _print_Float(self, expr):
        return _short_float(expr)

    def _print_And(self, expr):
        return " and ".join(self._print(a) for a in expr.args)

    def _print_Or(self, expr):
        return " or ".join(self._print(a) for a in expr.args)

    def _print_Piecewise(self, expr):
        parts = []
        for value, cond in expr.args:
            if cond is sp.true:
                parts.append(self._print(value))
                break
            parts.append(f"{self._print(value)} if {self._print(cond)} else")
        else:
            parts.append("nan")
        return "(" + " ".join(parts) + ")"


# names SymPy typesets itself (x, x_1, alpha, x'); anything else (a backslash,
# braces, $, %...) is user text, escaped: \immediate\write18{...} is a name
_SAFE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_^']*")


def latex_name(name: str) -> str | None:
    """Math-mode LaTeX for a symbol or function name SymPy would typeset raw,
    or None when SymPy's own form is safe."""
    if _SAFE_NAME.fullmatch(name):
        return None
    return r"\mbox{" + latex_escape(name) + "}"


class _LatexPrinter(_PrimeNotation, LatexPrinter):
    def _print_Float(self, expr):
        mant, _, exp = _short_float(expr).partition("e")
        return rf"{mant} \cdot 10^{{{int(exp)}}}" if exp else mant

    def _print_Symbol(self, expr, style="plain"):
        escaped = latex_name(expr.name)
        return escaped if escaped else super()._print_Symbol(expr, style)

    def _print_Function(self, expr, exp=None):
        escaped = latex_name(type(expr).__name__) if isinstance(
            expr, AppliedUndef) else None
        if escaped is None:
            return super()._print_Function(expr, exp)
        args = ", ".join(self._print(a) for a in expr.args)
        out = rf"{escaped}\left({args}\right)"
        return rf"{out}^{{{exp}}}" if exp else out

    def _prime(self, name, n, arg):
        name = latex_name(name) or name
        return rf"{name}{_primes(n, latex=True)}\left({self._print(arg)}\right)"


def _short_float(value) -> str:
    """A float constant to 8 significant digits (tables are for reading;
    the evaluated columns and ``derivatives`` keep full precision)."""
    text = f"{float(value):.8g}"
    return text if any(c in text for c in ".en") else text + ".0"


def _primes(n: int, *, latex: bool = False) -> str:
    if n <= 3:
        return "'" * n
    return f"^{{({n})}}" if latex else f"^({n})"


def _text(expr) -> str:
    return _TextPrinter().doprint(expr)


def _latex(expr) -> str:
    return _LatexPrinter().doprint(expr)


def _number_text(value) -> str:
    """Short text for an evaluated cell.

    ``zoo`` (SymPy's complex infinity, e.g. ``-1/x**2`` at 0, whose sign
    SymPy does not know) is ``nan``, not ``inf``; a cell that did not
    evaluate to a number (an unevaluated function) keeps its text.
    """
    if isinstance(value, sp.Basic) and value.free_symbols:
        return _text(value)
    if value is sp.nan or value is sp.zoo:
        return "nan"
    if value is sp.oo:
        return "inf"
    if value is sp.S.NegativeInfinity:
        return "-inf"
    if isinstance(value, sp.Integer):
        return str(int(value))
    if isinstance(value, sp.Basic) and not value.is_number:
        return _text(value)
    try:
        if value.is_real:
            return f"{float(value):.6g}"
        re, im = (float(v) for v in value.as_real_imag())
    except TypeError:  # a number SymPy cannot evaluate, e.g. DiracDelta(0)
        return _text(value)
    return f"{re:.6g}{im:+.6g}j"


def _number_latex(value) -> str:
    if isinstance(value, sp.Basic) and value.free_symbols:
        return _latex(value)
    text = _number_text(value)
    if isinstance(value, sp.Basic) and text == _text(value) and not (
            value.is_Number or value in (sp.oo, sp.zoo, sp.S.NegativeInfinity)):
        return _latex(value)  # not evaluated to a number: typeset it
    special = {"inf": r"\infty", "-inf": r"-\infty", "nan": r"\mathrm{NaN}"}
    if text in special:
        return special[text]
    if text.endswith("j"):  # complex: each part on its own, i for the unit
        parts = re.fullmatch(
            r"(.+?(?:e[+-]?\d+)?)([+-][^+-].*?(?:e[+-]?\d+)?)j", text)
        if parts is not None:  # always, for the texts _number_text writes
            re_part, im_part = parts.groups()
            sign, magnitude = im_part[0], _mantissa_latex(im_part[1:])
            return f"{_mantissa_latex(re_part)} {sign} {magnitude} i"
    return _mantissa_latex(text)


def _mantissa_latex(text: str) -> str:
    """``1.5e+10`` -> ``1.5\times 10^{10}``; plain numbers unchanged."""
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return rf"{mantissa}\times 10^{{{int(exponent)}}}"


# --------------------------------------------------------------------------
# Tables and their renderings
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """A column: its plain-text header, its LaTeX header, and whether its
    cells are ``"label"``, ``"expr"`` or ``"value"`` cells."""

    header: str
    latex: str
    kind: str


@dataclass(frozen=True)
class Table:
    """Rows of SymPy objects with plain, Markdown, LaTeX, HTML and CSV forms.

    ``columns`` describes each column; ``rows`` holds the raw cells (SymPy
    expressions, numbers, or label strings); ``notes`` are sentences shown
    under the table in the text, Markdown and HTML renderings and the
    standalone LaTeX document, and listed in :meth:`to_dict` (not in CSV,
    which is data only).
    """

    columns: tuple
    rows: tuple
    notes: tuple = ()

    @property
    def headers(self) -> tuple:
        return tuple(c.header for c in self.columns)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key):
        """``table[i]`` is a row; ``table[i, header]`` one cell."""
        if isinstance(key, tuple):
            i, header = key
            if header not in self.headers:
                raise InvalidParameterError(
                    f"no column {header!r}; the columns are {list(self.headers)}"
                )
            return self.rows[i][self.headers.index(header)]
        return self.rows[key]

    # cell text -----------------------------------------------------------
    def _cell_text(self, column: Column, value) -> str:
        if column.kind == "label":
            return str(value)
        if column.kind == "value":
            return _number_text(value)
        return _text(value)

    def _cell_latex(self, column: Column, value) -> str:
        if column.kind == "label":
            return r"\texttt{" + latex_escape(str(value)) + "}"
        if column.kind == "value":
            return f"${_number_latex(value)}$"
        return f"${_latex(value)}$"

    def text_rows(self) -> list:
        """Every row as a list of plain-text cells."""
        return [[self._cell_text(c, v) for c, v in zip(self.columns, row,
                                                        strict=True)]
                for row in self.rows]

    # renderings ----------------------------------------------------------
    def __str__(self) -> str:
        return self.text()

    def text(self, width: int | None = None) -> str:
        """The plain-text table and its notes; with ``width`` (a terminal's
        columns) every line fits in it (:func:`calckit._text.aligned`: the
        last column wrapped, or one block per row), notes wrapped too.

        >>> import sympy as sp
        >>> from calckit.tables import derivative_table
        >>> t = derivative_table(["exp(-x**2/2)*sin(3*x)"], orders=(0, 1))
        >>> print(t.text(width=40))
        exp(-x**2/2)*sin(3*x)
          f'  (-x*sin(3*x) +
              3*cos(3*x))*exp(-x**2/2)
        """
        table = aligned(self.headers, self.text_rows(), rule=True, width=width)
        notes = [f"Note: {note}" for note in self.notes]
        if width is not None:
            notes = [textwrap.fill(n, width, subsequent_indent="  ",
                                   break_on_hyphens=False) for n in notes]
        return "\n".join([table, *notes])

    def to_markdown(self) -> str:
        """A GitHub-flavoured Markdown table (expressions in code spans),
        escaped: user text (names, row labels) cannot open HTML tags, split
        cells or end rows."""
        def cell(column, text):
            return markdown_code(text) if column.kind == "expr" else (
                markdown_escape(text))

        rows = [[cell(c, t) for c, t in zip(self.columns, r, strict=True)]
                for r in self.text_rows()]
        table = markdown_table([markdown_escape(h) for h in self.headers], rows)
        return table + "".join(f"\n\n*Note:* {markdown_escape(n)}" for n in self.notes)

    def to_latex(self, *, standalone: bool = False) -> str:
        r"""A LaTeX ``tabular`` (needs ``amsmath`` for piecewise cells).

        With ``standalone=True``, a complete document that compiles with
        ``pdflatex``, the table's notes under it (a bare ``tabular`` leaves
        them to the caption of the table it goes in).
        """
        spec = "l" * len(self.columns)
        lines = [rf"\begin{{tabular}}{{{spec}}}", r"\hline",
                 " & ".join(f"${c.latex}$" if c.kind != "label" else c.latex
                            for c in self.columns) + r" \\",
                 r"\hline"]
        for row in self.rows:
            cells = [self._cell_latex(c, v) for c, v in zip(self.columns, row,
                                                             strict=True)]
            lines.append(" & ".join(cells) + r" \\")
        lines += [r"\hline", r"\end{tabular}"]
        body = "\n".join(lines)
        if not standalone:
            return body  # the notes belong in the caption of your table
        notes = [r"\par\footnotesize Note: " + latex_escape(n) for n in self.notes]
        return "\n".join([
            r"\documentclass{article}",
            r"\usepackage{amsmath}",
            r"\usepackage{graphicx}",
            r"\usepackage[landscape,margin=1cm]{geometry}",
            r"\begin{document}",
            r"\noindent\resizebox{\linewidth}{!}{%",
            body + "}",
            *notes,
            r"\end{document}",
        ])

    def to_html(self) -> str:
        """An HTML ``<table>`` (expressions in ``<code>``), escaped."""
        def cell(column, text):
            text = html_escape(text)
            return f"<code>{text}</code>" if column.kind == "expr" else text

        head = "".join(f"<th>{html_escape(h)}</th>" for h in self.headers)
        rows = "".join(
            "<tr>" + "".join(f"<td>{cell(c, t)}</td>"
                             for c, t in zip(self.columns, r, strict=True))
            + "</tr>\n"
            for r in self.text_rows()
        )
        notes = "".join(f'\n<p class="calckit-table-note">Note: {html_escape(n)}</p>'
                        for n in self.notes)
        return (f'<table class="calckit-table">\n<thead><tr>{head}</tr></thead>\n'
                f"<tbody>\n{rows}</tbody>\n</table>{notes}")

    def to_csv(self) -> str:
        """CSV text: expressions as plain text, values at full precision.

        Safe to open in a spreadsheet: a text cell (a name, an expression
        such as ``-x``) starting with ``=``, ``+``, ``-`` or ``@`` is prefixed
        with ``'`` so it is not run as a formula; numbers (``-1.5``) stay
        numbers.
        """
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([csv_safe(h) for h in self.headers])
        for row in self.rows:
            out = []
            for c, v in zip(self.columns, row, strict=True):
                if c.kind == "value" and not (isinstance(v, sp.Basic)
                                              and v.free_symbols):
                    text = _full_precision(v)
                    out.append(csv_safe(text, numeric=_is_number(text)))
                else:  # text; an expression that is a number (-1) stays one
                    number = isinstance(v, sp.Basic) and v.is_Number
                    out.append(csv_safe(self._cell_text(c, v), numeric=number))
            writer.writerow(out)
        return buf.getvalue()

    def to_dict(self) -> dict:
        """``{"columns": [...], "rows": [[...]]}`` of plain text (for JSON),
        with ``"notes"`` when the table has notes."""
        out = {"columns": list(self.headers), "rows": self.text_rows()}
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        return self.to_html()


def _full_precision(value) -> str:
    if isinstance(value, sp.Integer):
        return str(int(value))
    if isinstance(value, sp.Number) and value.is_finite:
        return repr(float(value))
    return _number_text(value)


def _is_number(text: str) -> bool:
    """Whether a value cell's text is a number (``-1.5``, ``-inf``, ``nan``,
    ``1+2j``) a spreadsheet reads as one, not a formula."""
    try:
        complex(text)
    except ValueError:
        return False
    return True


#: the escaping of label cells (kept under its old name for callers)
_latex_escape = latex_escape
