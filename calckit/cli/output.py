"""How the commands write results: text, JSON and figure files.

Commands print their result on stdout with :func:`echo`; progress beside a
JSON document goes to stderr (:func:`note`) so stdout stays one document.

>>> to_json({"x": [1.0, float("inf")]}, indent=None)
'{"x": [1.0, null]}'
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
from typing import Any

import sympy as sp

from calckit.errors import InvalidParameterError

__all__ = ["echo", "emit_expr", "fmt", "note", "out_path", "progress",
           "save", "terminal_width", "to_json", "value", "with_figure"]


def echo(text: str) -> None:
    """Print a result (or a line of progress) on stdout; when the reader has
    gone (``calckit ... | head``), stop printing quietly."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        sys.stdout = None  # print() to a None stdout does nothing


def note(text: str) -> None:
    """Print progress on stderr (beside JSON on stdout)."""
    print(text, file=sys.stderr, flush=True)


def progress(args: argparse.Namespace) -> bool | None:
    """The ``progress`` a command hands to ``fit``, ``minimize``,
    ``remainder_bound`` or the tour: ``False`` when the output is JSON (no
    bar, whatever stderr is), else ``None`` (a bar when stderr is a
    terminal).

    >>> import argparse
    >>> progress(argparse.Namespace(format="json")), progress(argparse.Namespace())
    (False, None)
    """
    return False if getattr(args, "format", None) == "json" else None


def to_json(obj: Any, indent: int | None = 2) -> str:
    """JSON text with non-finite numbers written as ``null`` (``NaN`` and
    ``Infinity`` are not JSON)."""
    return json.dumps(_finite_or_none(obj), indent=indent, allow_nan=False)


def _finite_or_none(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_or_none(v) for v in obj]
    return obj


def fmt(number: float) -> str:
    """A number with 10 significant digits."""
    return f"{float(number):.10g}"


def value(number: sp.Expr) -> float:
    """A SymPy number as a float; ``nan`` where it is not a finite real
    (``zoo`` for 1/x at 0, a complex value)."""
    result = sp.N(number)
    if result.is_real and result.is_finite:
        return float(result)
    return float("nan")


def emit_expr(expr: sp.Expr, fmt_name: str) -> str:
    """An expression as text, LaTeX or Markdown code."""
    if fmt_name == "latex":
        return sp.latex(expr)
    if fmt_name == "markdown":
        return f"`{expr}`"
    return str(expr)


def terminal_width() -> int:
    """Columns of the terminal (``COLUMNS`` if set; 80 when not a terminal)."""
    return shutil.get_terminal_size((80, 24)).columns


def out_path(path: str, what: str) -> str:
    """The file a figure goes to, checked before any work is done: not a
    folder nor a device (``/dev/full``), in an existing folder, with a format
    matplotlib writes (``.png`` is added when the name has no extension, as
    matplotlib itself would, and the note printed names that real file)."""
    from matplotlib.figure import Figure  # lazy: keeps ``calckit --help`` fast

    if not path.strip():
        raise InvalidParameterError(f"{what} is empty; give a file name like plot.png")
    if os.path.isdir(path) or path.endswith(("/", os.sep)):
        raise InvalidParameterError(
            f"{what} {path!r} is a folder; give a file name such as "
            f"{os.path.join(path, 'plot.png')!r}")
    if os.path.exists(path) and not os.path.isfile(path):
        raise InvalidParameterError(
            f"{what} {path!r} exists and is not a regular file (a device or a "
            "pipe); give a file name such as plot.png")
    ext = os.path.splitext(path)[1][1:].lower()
    if not ext:
        path, ext = path + ".png", "png"
    formats = Figure().canvas.get_supported_filetypes()
    if ext not in formats:
        raise InvalidParameterError(
            f"{what} {path!r}: matplotlib cannot write .{ext} files; use one of "
            f"{', '.join('.' + f for f in sorted(formats))}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InvalidParameterError(
            f"{what} {path!r}: the folder {folder} does not exist")
    return path


def save(fig: Any, path: str, what: str = "--plot") -> str:
    """Save ``fig`` to the checked ``path``; returns the note to print."""
    path = out_path(path, what)
    fig.savefig(path, dpi=110)
    return f"figure written to {os.path.abspath(path)}"


def with_figure(text: str, fig: Any, path: str, args: argparse.Namespace) -> str:
    """``text`` and the note of the saved figure: a ``"figure"`` field when
    the output is JSON (so it stays one JSON document), else one more line."""
    saved = save(fig, path)
    if getattr(args, "format", None) == "json":
        data = json.loads(text)
        data["figure"] = os.path.abspath(out_path(path, "--plot"))
        return to_json(data)
    return f"{text}\n{saved}"
