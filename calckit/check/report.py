"""The report of a gradient check (NumPy only; rendered as text, Markdown and
HTML): of :func:`calckit.gradcheck` on an expression, and of
:meth:`calckit.nn.Sequential.gradcheck` on a model (one row per parameter
entry, named ``"0.W[1, 2]"``).
"""

from __future__ import annotations

import textwrap
from typing import NamedTuple

import numpy as np

from calckit._text import aligned, html_escape, markdown_escape, markdown_table
from calckit._validate import Integer, check

__all__ = ["GradcheckReport", "GradcheckRow"]

_MAX_ROWS = 60  # rows shown by str(); all rows are in report.rows
_BAD = ("FAIL", "uncertain", "nan")  # statuses that make a report fail
class GradcheckRow(NamedTuple):
    """One compared entry of a :class:`GradcheckReport`."""

    point: int
    component: str
    exact: float
    numeric: float
    abs_error: float
    rel_error: float
    step: float
    error_estimate: float
    status: str  # "ok", "kink", "FAIL", "uncertain" or "nan"
    note: str = ""  # e.g. one-sided derivatives at a kink, or a narrow recheck


class GradcheckReport:
    """Result of :func:`gradcheck`; ``str()`` is an aligned table.

    Attributes
    ----------
    ok : bool
        True when every entry is ``ok`` or ``kink``. ``FAIL`` (exact and numeric
        disagree), ``uncertain`` (they differ by more than the tolerance but
        less than the numeric error estimate, which exceeds ten times the
        tolerance: nothing can be concluded) and ``nan`` (not evaluable) fail
        the check. ``bool(report)`` is the same.
    max_abs_error, max_rel_error : float
        Largest errors over the entries that are not kinks (``nan`` if an
        entry could not be evaluated). The relative error of an entry is
        ``|exact - numeric| / max(|exact|, |numeric|)``, 0 when both are 0.
    rows : tuple of GradcheckRow
        Every entry: point index, component, exact, numeric, abs/rel error,
        step, numeric error estimate, status and a note (rechecks, one-sided
        values at kinks). ``failures`` and ``kinks`` select rows;
        ``n_failed`` and ``n_kinks`` count them.
    worst : int or None
        Index into ``rows`` of the entry nearest to (or furthest past) its
        tolerance, among entries that are not kinks.
    points : ndarray, shape (k, n)
        The points checked, one column per variable in ``wrt``.
    exact, numeric, error_estimate : ndarray
        Shape ``(k, n)`` (order 1) or ``(k, n, n)`` (order 2).
    wrt : tuple of str
    expr : sympy.Expr or str
        What was checked (for a model, a description such as
        ``"Sequential (5 layers), loss 'mse'"``).
    order, method, rtol, atol, nfev
        The settings used; ``nfev`` counts numeric evaluations of ``expr``.
    show_points : bool
        Whether ``str()`` lists the points (a model's single point holds
        every parameter: not listed; ``context``, e.g. the parameters and
        their shapes, is shown instead, with ``ok=``).

    ``summary()`` is the first line of ``str()``; ``table(max_rows=None)`` the
    full table (``str()`` shows at most 60 rows: failures, kinks and the
    worst entry first).
    """

    def __init__(self, *, expr, wrt, points, order, method, rtol, atol, rows,
                 exact, numeric, error_estimate, nfev, show_points=True,
                 context=""):
        self.expr, self.wrt, self.points = expr, tuple(wrt), points
        self.show_points, self.context = show_points, context
        self.order, self.method, self.rtol, self.atol = order, method, rtol, atol
        self.rows, self.nfev = tuple(rows), nfev
        self.exact, self.numeric, self.error_estimate = exact, numeric, error_estimate
        judged = [r for r in self.rows if r.status != "kink"]
        self.n_failed = sum(r.status in _BAD for r in self.rows)
        self.n_kinks = sum(r.status == "kink" for r in self.rows)
        self.ok = self.n_failed == 0
        if any(r.status == "nan" for r in judged):
            self.max_abs_error = self.max_rel_error = float("nan")
        else:
            self.max_abs_error = max((r.abs_error for r in judged), default=0.0)
            self.max_rel_error = max((r.rel_error for r in judged), default=0.0)
        self.worst = _worst(self.rows, rtol, atol)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def failures(self) -> tuple:
        """The rows that failed (status ``FAIL``, ``uncertain`` or ``nan``)."""
        return tuple(r for r in self.rows if r.status in _BAD)

    @property
    def kinks(self) -> tuple:
        """The rows reported as kinks."""
        return tuple(r for r in self.rows if r.status == "kink")

    def summary(self) -> str:
        """One line: verdict, settings, errors, counts."""
        k = self.points.shape[0]
        verdict = "OK" if self.ok else "FAILED"
        subject = "" if self.show_points else f" of {self.expr}"
        return (
            f"gradcheck {verdict}{subject}: order {self.order}, method {self.method}, "
            f"{k} point{'s' if k != 1 else ''}, {len(self.rows)} entr"
            f"{'ies' if len(self.rows) != 1 else 'y'}; "
            f"max abs error {self.max_abs_error:.2e}, max rel error "
            f"{self.max_rel_error:.2e} (rtol {self.rtol:g}, atol {self.atol:g}); "
            f"{self.n_failed} failed, {self.n_kinks} kink"
            f"{'s' if self.n_kinks != 1 else ''}"
        )

    def _point_lines(self, limit: int = 5) -> list[str]:
        if not self.show_points:
            return [f"{self.context}: ok={self.ok}"] if self.context else []
        lines = []
        for i, p in enumerate(self.points[:limit]):
            pairs = zip(self.wrt, p, strict=True)
            coords = ", ".join(f"{n}={v:.10g}" for n, v in pairs)
            lines.append(f"point {i}: {coords}")
        if self.points.shape[0] > limit:
            lines.append(f"... {self.points.shape[0] - limit} more points")
        return lines

    def _shown(self, max_rows):
        """Row indices to display: all, or failures/kinks/worst first."""
        idx = list(range(len(self.rows)))
        if max_rows is None or len(idx) <= max_rows:
            return idx, 0
        keep = [i for i in idx if self.rows[i].status != "ok" or i == self.worst]
        rest = [i for i in idx if i not in set(keep)]
        chosen = sorted(keep[:max_rows] + rest[: max(0, max_rows - len(keep))])
        return chosen, len(idx) - len(chosen)

    def _hidden_note(self, shown) -> str:
        """What the rows not shown hold: "all ok", or counts per status."""
        seen = set(shown)
        counts: dict[str, int] = {}
        for i, row in enumerate(self.rows):
            if i not in seen:
                counts[row.status] = counts.get(row.status, 0) + 1
        hidden = sum(counts.values())
        if set(counts) == {"ok"}:
            return f"{hidden} more rows, all ok"
        parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        return f"{hidden} more rows: {parts}"

    def _cells(self, i: int) -> list[str]:
        r = self.rows[i]
        return [
            str(r.point), r.component, f"{r.exact:.10g}", f"{r.numeric:.10g}",
            f"{r.abs_error:.1e}", f"{r.rel_error:.1e}", f"{r.step:.1e}",
            f"{r.error_estimate:.1e}",
            r.status + (f" ({r.note})" if r.note else "")
            + (" <- worst" if i == self.worst else ""),
        ]

    _HEADER = ("point", "component", "exact", "numeric", "abs err", "rel err",
               "step", "err est", "status")

    #: Columns left out first when the table is wider than ``width``.
    _DETAIL = ("step", "err est")

    def table(self, max_rows: int | None = _MAX_ROWS,
              width: int | None = None) -> str:
        """The aligned text table (``max_rows=None`` shows every row).

        With ``width`` (a terminal's columns) every line fits in it: the
        ``step`` and ``err est`` columns are left out first (a line says
        so), then the status is wrapped under its column, then each row
        becomes a block (:func:`calckit._text.aligned`).

        Raises
        ------
        InvalidParameterError
            ``max_rows`` is not None or an int >= 0.
        """
        check(max_rows, Integer(0, none_ok=True), "max_rows", "table")
        check(width, Integer(20, none_ok=True), "width", "table")
        shown, hidden = self._shown(max_rows)
        rows = [self._cells(i) for i in shown]
        right = {0, 2, 3, 4, 5, 6, 7}
        text = aligned(self._HEADER, rows, right=right)
        lines = [text]
        if width is not None and max(map(len, text.splitlines())) > width:
            keep = [j for j, h in enumerate(self._HEADER) if h not in self._DETAIL]
            text = aligned([self._HEADER[j] for j in keep],
                           [[r[j] for j in keep] for r in rows],
                           right={n for n, j in enumerate(keep) if j in right},
                           width=width)
            lines = [text, f"({' and '.join(self._DETAIL)} columns left out "
                           "to fit; report.table(width=None) shows them)"]
        if hidden:
            lines.append(
                f"... {self._hidden_note(shown)} (report.table(None) shows them)"
            )
        if width is not None:
            lines[1:] = [_fill(line, width) for line in lines[1:]]
        return "\n".join(lines)

    def text(self, width: int | None = None) -> str:
        """``str(report)``; with ``width`` (a terminal's columns) every line
        fits in it: the summary and point lines wrapped, the table as in
        :meth:`table`."""
        head = [self.summary(), *self._point_lines()]
        if width is not None:
            head = [_fill(line, width) for line in head]
        return "\n".join([*head, self.table(width=width)])

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return (
            f"<GradcheckReport ok={self.ok} order={self.order} "
            f"points={self.points.shape[0]} entries={len(self.rows)} "
            f"max_rel_error={self.max_rel_error:.2e}>"
        )

    def _repr_markdown_(self) -> str:
        shown, hidden = self._shown(_MAX_ROWS)
        lines = [f"**{markdown_escape(self.summary())}**", ""]
        lines += [f"- {markdown_escape(line)}" for line in self._point_lines()] + [""]
        rows = []
        for i in shown:
            cells = [markdown_escape(c) for c in self._cells(i)]
            if i == self.worst or self.rows[i].status != "ok":
                cells = [f"**{c}**" for c in cells]
            rows.append(cells)
        lines.append(markdown_table(self._HEADER, rows, align="---:"))
        if hidden:
            lines.append(f"\n*{self._hidden_note(shown)}*")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        shown, hidden = self._shown(_MAX_ROWS)
        colour = {"ok": "", "kink": "#fff3cd", "FAIL": "#f8d7da", "nan": "#f8d7da",
                  "uncertain": "#f8d7da"}
        out = [f"<p><b>{html_escape(self.summary())}</b></p>"]
        out.append("<p>" + "<br>".join(map(html_escape, self._point_lines())) + "</p>")
        out.append("<table><thead><tr>")
        out += [f"<th>{html_escape(h)}</th>" for h in self._HEADER]
        out.append("</tr></thead><tbody>")
        for i in shown:
            style = colour[self.rows[i].status]
            weight = "font-weight:bold;" if i == self.worst else ""
            css = (f"background:{style};" if style else "") + weight
            attr = f' style="{css}"' if css else ""
            cells = "".join(f"<td>{html_escape(c)}</td>" for c in self._cells(i))
            out.append(f"<tr{attr}>{cells}</tr>")
        out.append("</tbody></table>")
        if hidden:
            out.append(f"<p><i>{html_escape(self._hidden_note(shown))}</i></p>")
        return "".join(out)


def _fill(line: str, width: int) -> str:
    """``line`` wrapped to ``width`` columns, later lines indented."""
    return textwrap.fill(line, width, subsequent_indent="  ",
                         break_on_hyphens=False)


def _worst(rows, rtol, atol):
    best, where = -1.0, None
    for i, r in enumerate(rows):
        if r.status == "kink":
            continue
        if r.status == "nan":
            return i
        tol = atol + rtol * max(abs(r.exact), abs(r.numeric)) + 2 * r.error_estimate
        ratio = r.abs_error / tol if tol > 0 else (np.inf if r.abs_error else 0.0)
        if ratio > best:
            best, where = ratio, i
    return where
