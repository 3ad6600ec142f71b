"""Text tables and escaping: the one aligned plain-text table, and cell text
made safe for Markdown, HTML, LaTeX and CSV.

Standard library only (no NumPy, no SymPy), so that every layer may use it:
:class:`calckit.tables.DerivativeTable`, the gradcheck report
(:mod:`calckit.check.report`) and the model report of :mod:`calckit.nn`
render through it.

>>> print(aligned(["name", "value"], [["a", "1.5"], ["bb", "-2"]], right={1}))
name  value
a       1.5
bb       -2
>>> markdown_escape("<img src=x onerror=alert(1)>\\nnext | cell")
'&lt;img src=x onerror=alert(1)&gt;<br>next \\\\| cell'
>>> csv_safe("=HYPERLINK(1)"), csv_safe("-x + 1"), csv_safe("-1.5", numeric=True)
("'=HYPERLINK(1)", "'-x + 1", '-1.5')
>>> latex_escape("\\\\immediate\\\\write18{ls}")
'\\\\textbackslash{}immediate\\\\textbackslash{}write18\\\\{ls\\\\}'
"""

from __future__ import annotations

import html
import re
import textwrap
import unicodedata
from collections.abc import Iterable, Sequence

__all__ = [
    "aligned",
    "blocks",
    "csv_safe",
    "html_escape",
    "latex_escape",
    "ljust",
    "markdown_code",
    "markdown_escape",
    "markdown_table",
    "rjust",
    "width",
]


# -- widths and the aligned table ---------------------------------------------


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (CJK) characters count 2,
    combining marks 0, others 1."""
    return sum(0 if unicodedata.combining(ch) else
               2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


def ljust(text: str, columns: int) -> str:
    """``text`` padded on the right to ``columns`` terminal columns."""
    return text + " " * max(0, columns - width(text))


def rjust(text: str, columns: int) -> str:
    """``text`` padded on the left to ``columns`` terminal columns."""
    return " " * max(0, columns - width(text)) + text


def aligned(header: Sequence[str], rows: Iterable[Sequence[str]], *,
            right: Iterable[int] = (), rule: bool = False, gap: int = 2,
            width: int | None = None) -> str:
    """An aligned plain-text table: ``header`` then ``rows`` of cell text.

    Columns are left-aligned except those in ``right`` (numbers); ``rule``
    adds a line of dashes under the header; trailing spaces are dropped.

    ``width`` (a terminal's columns; ``None``: no limit) keeps every line
    within that many columns: the aligned table when it fits; else the same
    table with the last column's cells wrapped under that column, when the
    other columns fit and leave it room; else one block per row
    (:func:`blocks`).

    >>> rows = [["sgd", "3", "[1.000001, 2.000002, 3.000003]"]]
    >>> print(aligned(["name", "steps", "x"], rows, right={1}, width=32))
    name  steps  x
    sgd       3  [1.000001,
                 2.000002,
                 3.000003]
    >>> print(aligned(["name", "steps", "x"], rows, right={1}, width=20))
    sgd
      steps  3
      x      [1.000001,
             2.000002,
             3.000003]
    """
    body = [list(r) for r in rows]
    header = list(header)
    right = set(right)
    text = _aligned(header, body, right, rule, gap)
    if width is None or _fits(text, width):
        return text
    wrapped = _wrap_last(header, body, right, rule, gap, width)
    return wrapped if wrapped is not None else blocks(header, body, width)


def _fits(text: str, columns: int) -> bool:
    return max((width(line) for line in text.splitlines()), default=0) <= columns


def _widths(header: Sequence[str], body: list) -> list[int]:
    return [max([width(h)] + [width(r[j]) for r in body])
            for j, h in enumerate(header)]


def _aligned(header, body, right, rule, gap) -> str:
    widths = _widths(header, body)
    sep = " " * gap

    def line(cells) -> str:
        return sep.join(rjust(c, w) if j in right else ljust(c, w)
                        for j, (c, w) in enumerate(zip(cells, widths,
                                                       strict=True))).rstrip()

    lines = [line(header)]
    if rule:
        lines.append(sep.join("-" * w for w in widths))
    lines += [line(r) for r in body]
    return "\n".join(lines)


#: Narrowest room :func:`aligned` wraps a last column into.
_MIN_LAST = 8


def _wrap_last(header, body, right, rule, gap, columns) -> str | None:
    """The aligned table with the last column wrapped into the room the
    others leave, or ``None`` when that room is under ``_MIN_LAST`` or
    narrower than a word of that column."""
    if len(header) < 2:
        return None
    start = sum(_widths(header[:-1], [r[:-1] for r in body])) + gap * (len(header) - 1)
    room = columns - start
    longest = max((width(word) for r in body for word in r[-1].split()), default=0)
    if room < max(_MIN_LAST, width(header[-1]), longest):
        return None  # too narrow, or a word (a term) would be cut
    pieces = [_wrap(r[-1], room) for r in body]
    table = _aligned(header, [r[:-1] + [p[0]] for r, p in zip(body, pieces,
                                                              strict=True)],
                     right - {len(header) - 1}, rule, gap).splitlines()
    if rule:  # the rule under the last column as wide as its room at most
        table[1] = table[1][:columns]
    out, first = table[: 2 if rule else 1], 2 if rule else 1
    for line, more in zip(table[first:], pieces, strict=True):
        out.append(line)
        out += [" " * start + piece for piece in more[1:]]
    return "\n".join(out)


def _wrap(text: str, columns: int) -> list[str]:
    return textwrap.wrap(text, columns, break_on_hyphens=False) or [""]


def blocks(header: Sequence[str], rows: Iterable[Sequence[str]],
           width: int = 80) -> str:
    """A table as one block per row, within ``width`` columns: the row's
    first cell (its name) alone, then each other cell on its own line after
    its header, long cells wrapped (a table of activations and their
    derivatives is 240 columns wide).

    >>> print(blocks(["f", "f'"], [["exp(-x**2/2)*sin(3*x)",
    ...                             "(-x*sin(3*x) + 3*cos(3*x))*exp(-x**2/2)"]], 36))
    exp(-x**2/2)*sin(3*x)
      f'  (-x*sin(3*x) +
          3*cos(3*x))*exp(-x**2/2)
    """
    header = list(header)
    pad = max(len(h) for h in header[1:]) + 2 if len(header) > 1 else 0
    out = []
    for row in rows:
        lines = _wrap(row[0], width)
        for head, cell in zip(header[1:], row[1:], strict=True):
            wrapped = _wrap(cell, max(width - pad - 2, 20))
            lines.append(f"  {head.ljust(pad)}{wrapped[0]}".rstrip())
            lines += [" " * (pad + 2) + more for more in wrapped[1:]]
        out.append("\n".join(lines))
    return "\n".join(out)


# -- Markdown -----------------------------------------------------------------

# characters with a meaning in Markdown tables and inline text
_MD_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*_[]|#"})
_NEWLINES = re.compile(r"\r\n|\r|\n")


def markdown_escape(text: str) -> str:
    """``text`` as literal Markdown inside a table cell: HTML-escaped
    (Markdown renderers pass inline HTML through, so ``<img onerror=...>``
    would run), Markdown syntax backslash-escaped (``|`` would split the
    cell), and line breaks as ``<br>`` (a newline would end the row)."""
    escaped = html.escape(text, quote=False).translate(_MD_ESCAPES)
    return _NEWLINES.sub("<br>", escaped)


def markdown_code(text: str) -> str:
    """``text`` as a code span in a table cell: HTML inside a code span is
    shown, not run, but a backtick would end the span (a longer fence is
    used), a ``|`` would split the cell and a newline end the row."""
    text = _NEWLINES.sub(" ", text).replace("|", r"\|")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]], *,
                   align: str = "---") -> str:
    """A GitHub-flavoured Markdown table of cells already escaped (see
    :func:`markdown_escape`, :func:`markdown_code`)."""
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(f" {align} " for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


# -- HTML ---------------------------------------------------------------------


def html_escape(text: str) -> str:
    """``text`` for HTML element content and attribute values."""
    return html.escape(text, quote=True)


# -- LaTeX --------------------------------------------------------------------

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "_": r"\_", "&": r"\&", "%": r"\%", "#": r"\#",
    "$": r"\$", "{": r"\{", "}": r"\}", "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}


def latex_escape(text: str) -> str:
    """``text`` for LaTeX text mode: each special character replaced once
    (a backslash must not have its own braces escaped again), line breaks as
    spaces. ``\\immediate\\write18{...}`` becomes harmless text."""
    return "".join(_LATEX_SPECIAL.get(ch, ch)
                   for ch in _NEWLINES.sub(" ", text))


# -- CSV ----------------------------------------------------------------------

# a spreadsheet reads a cell starting with one of these as a formula (OWASP
# "CSV injection"); tab and carriage return too
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str, *, numeric: bool = False) -> str:
    """``text`` for a CSV cell opened in a spreadsheet: a text cell starting
    with ``=``, ``+``, ``-``, ``@``, tab or carriage return is prefixed with
    ``'`` (OWASP), so it is shown, not evaluated. ``numeric`` cells (``-1.5``,
    ``-inf``) are numbers, left as they are."""
    if numeric or not text.startswith(_FORMULA_START):
        return text
    return "'" + text
