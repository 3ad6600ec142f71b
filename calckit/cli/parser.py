"""The command-line parser and the option values every command shares.

:class:`CliParser` reports bad usage as :class:`UsageError` (one line, exit
status 2) instead of argparse's usage dump; the ``add_*`` helpers declare the
options several commands take, once; the other functions turn option text
(``--at x=1,y=2``, ``--xlim -1,1``, ``--orders 0,1,2``) into values, each
refusing bad text with an :class:`~calckit.errors.InvalidParameterError`
that names the option.

>>> point("x=1, y=pi/2")
{'x': 1.0, 'y': 1.5707963267948966}
>>> fix_negative_values(["optimize", "-x**2", "--x0", "-1"])
['optimize', ' -x**2', '--x0=-1']
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Iterable, Sequence
from typing import NoReturn

import sympy as sp

import calckit
from calckit.errors import InvalidParameterError
from calckit.symbolic._coerce import as_symbol, as_symbols, free_symbols

__all__ = [
    "CliParser", "UsageError", "add_formats", "add_plot_file", "count",
    "exact_point", "expression", "fix_negative_values", "numbers", "number",
    "orders", "pair", "point", "single_var", "start", "subs_of", "tolerance",
    "variables",
]

# options whose value may start with "-" (negative numbers)
NUMERIC_OPTIONS = ("--x0", "--at", "--interval", "--xlim", "--ylim", "--lrs",
                   "--params")


class UsageError(Exception):
    """Bad command-line usage (reported in one line, exit status 2)."""


class CliParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line (:class:`UsageError`)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


# --------------------------------------------------------------------------
# argparse types and shared options
# --------------------------------------------------------------------------

def count(text: str) -> int:
    """argparse type of a count of steps: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an integer >= 0, got {text.strip()!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"must be an integer >= 0, got {text.strip()!r}")
    return value


def tolerance(text: str) -> float:
    """argparse type of a tolerance: a finite number >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number, got {text.strip()!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(
            f"must be a finite number >= 0, got {text.strip()!r}")
    return value


def add_formats(p: argparse.ArgumentParser, *names: str) -> None:
    """``--text`` (the default) and one ``--NAME`` flag per output format."""
    group = p.add_mutually_exclusive_group()
    group.add_argument("--text", dest="format", action="store_const", const="text",
                       help="plain text (default)")
    for name in names:
        group.add_argument(f"--{name}", dest="format", action="store_const",
                           const=name, help=f"output as {name}")
    p.set_defaults(format="text")


def add_plot_file(p: argparse.ArgumentParser, what: str) -> None:
    """``--plot FILE.png``: also save a figure of ``what``."""
    p.add_argument("--plot", metavar="FILE.png", help=f"also save {what}")


def fix_negative_values(argv: Sequence[str]) -> list[str]:
    """Let values and expressions start with "-": join ``--x0 -1.2,1`` into
    ``--x0=-1.2,1`` and pass ``-x**2`` as " -x**2" (argparse would read both
    as options; the expression parser ignores the leading space)."""
    out, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if (arg in NUMERIC_OPTIONS and i + 1 < len(argv)
                and re.match(r"-[\d.]", argv[i + 1])):
            out.append(f"{arg}={argv[i + 1]}")
            i += 2
            continue
        if (arg.startswith("-") and not arg.startswith("--") and len(arg) > 1
                and not re.fullmatch(r"-[nh]\d*|-o(\S+\.(png|pdf|svg|jpe?g))?", arg)):
            arg = " " + arg
        out.append(arg)
        i += 1
    return out


# --------------------------------------------------------------------------
# option text -> values
# --------------------------------------------------------------------------

def expression(text: str) -> sp.Expr:
    """The expression argument ``EXPR`` (a :class:`~calckit.errors.ParseError`
    names the position of bad text)."""
    return calckit.parse(text)


def number(text: str, what: str) -> float:
    """A finite number written as a constant expression (``1e-3``, ``pi/2``).

    ``nan``, ``inf`` and numbers outside the float64 range (``1e999``) are
    refused: no command has a use for them, and they would otherwise turn
    into silent ``nan`` results.

    >>> number("pi/4", "--lr")
    0.7853981633974483
    """
    try:
        value = float(text)
    except ValueError:  # not a plain float: a constant expression such as pi/2
        expr = calckit.parse(text)
        if expr.free_symbols:
            raise InvalidParameterError(
                f"{what} must be a number, got {text!r}") from None
        value_c = complex(sp.N(expr))
        if value_c.imag:
            raise InvalidParameterError(
                f"{what} must be a real number, got {text!r}") from None
        value = value_c.real
    if not math.isfinite(value):
        raise InvalidParameterError(
            f"{what} must be a finite number, got {text.strip()!r}")
    return value


def numbers(text: str, what: str) -> list[float]:
    """``"1, 2 3"`` -> ``[1.0, 2.0, 3.0]`` (at least one number)."""
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    if not parts:
        raise InvalidParameterError(f"{what} is empty; give numbers like 1,2")
    return [number(p, what) for p in parts]


def _named_parts(text: str, what: str) -> list[tuple[str, str]]:
    """``"x=1, y=2"`` -> ``[("x", "1"), ("y", "2")]``; each name once."""
    parts, seen = [], set()
    for part in [p for p in text.split(",") if p.strip()]:
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise InvalidParameterError(
                f"{what} must look like x=1,y=2 (or 1,2); got {text!r}")
        if name in seen:
            raise InvalidParameterError(f"{what} gives {name} twice: {text!r}")
        if not value.strip():
            raise InvalidParameterError(
                f"{what} gives no value after {name}=: {text!r}")
        seen.add(name)
        parts.append((name, value.strip()))
    return parts


def point(text: str, what: str = "--at") -> dict[str, float] | list[float]:
    """``x=1,y=2`` -> dict; ``1,2`` -> list (in variable order)."""
    if "=" not in text:
        return numbers(text, what)
    return {name: number(value, what) for name, value in _named_parts(text, what)}


def named_values(text: str, what: str) -> dict[str, float]:
    """``x=1,y=2`` -> ``{"x": 1.0, "y": 2.0}`` (every value named).

    >>> named_values("x=3", "--params")
    {'x': 3.0}
    """
    if "=" not in text:
        raise InvalidParameterError(f"{what} must look like x=1,y=2; got {text!r}")
    return {name: number(value, what) for name, value in _named_parts(text, what)}


def _exact(text: str, what: str) -> sp.Expr:
    """An exact SymPy number: ``0.5`` -> 1/2, ``pi/2`` stays symbolic."""
    text = text.strip()
    if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        value = sp.Rational(text)
    else:
        value = calckit.parse(text)
        if value.free_symbols or not value.is_real:
            raise InvalidParameterError(f"{what} must be a real number, got {text!r}")
    try:
        finite = math.isfinite(float(value))
    except OverflowError:  # an exact 1e999
        finite = False
    if not finite:  # beyond float64, like inf
        raise InvalidParameterError(f"{what} must be a finite number, got {text!r}")
    return value


def exact_point(text: str) -> dict[str, sp.Expr] | list[sp.Expr] | sp.Expr:
    """Like :func:`point`, with exact numbers (for expansion points); one
    number alone is returned as a number."""
    if "=" in text:
        return {name: _exact(value, "--at")
                for name, value in _named_parts(text, "--at")}
    values = [_exact(p, "--at") for p in re.split(r"[,\s]+", text.strip()) if p]
    if not values:
        raise InvalidParameterError("--at is empty; give numbers like 0 or 1,2")
    return values[0] if len(values) == 1 else values


def pair(text: str, what: str) -> tuple[float, float]:
    """``"lo,hi"`` -> ``(lo, hi)``."""
    values = numbers(text, what)
    if len(values) != 2:
        raise InvalidParameterError(f"{what} must be two numbers lo,hi; got {text!r}")
    return values[0], values[1]


def orders(text: str) -> tuple[int, ...]:
    """``"0,1,2"`` -> ``(0, 1, 2)`` (non-negative integers)."""
    try:
        values = tuple(int(p) for p in text.split(",") if p.strip())
    except ValueError as exc:
        raise InvalidParameterError(
            f"--orders must be integers like 0,1,2; got {text!r}") from exc
    if not values:
        raise InvalidParameterError(
            f"--orders is empty; give integers like 0,1,2; got {text!r}")
    if min(values) < 0:
        raise InvalidParameterError(f"--orders must be non-negative; got {text!r}")
    return values


# --------------------------------------------------------------------------
# variables of an expression
# --------------------------------------------------------------------------

def variables(expr: sp.Expr, wrt: str | None) -> list[sp.Symbol]:
    """The variables of a command (``--wrt``, else all by name), or a clear
    error for a constant."""
    syms = as_symbols(wrt, expr)
    if not syms:
        raise InvalidParameterError(
            f"{expr} has no variables; give an expression of x, y, ... (or --wrt)")
    return syms


def start(text: str, wrt: Sequence[sp.Symbol]) -> list[float]:
    """``--x0``: one number per variable, no fewer and no more (a single
    number is not repeated for several variables).

    >>> start("-1.2, 1", sp.symbols("x y"))
    [-1.2, 1.0]
    """
    x0 = numbers(text, "--x0")
    if len(x0) != len(wrt):
        names = ", ".join(s.name for s in wrt)
        raise InvalidParameterError(
            f"--x0 has {len(x0)} value{'s' if len(x0) != 1 else ''} for "
            f"{len(wrt)} variable{'s' if len(wrt) != 1 else ''} ({names}); give one "
            f"value per variable, e.g. --x0 {','.join(['1'] * len(wrt))}")
    return x0


def single_var(expr: sp.Expr) -> sp.Symbol:
    """The only variable of ``expr``, or an error asking for ``--var``."""
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    if len(syms) != 1:
        raise InvalidParameterError(
            f"{expr} has {len(syms)} variables "
            f"({', '.join(s.name for s in syms) or 'none'}); choose one with --var")
    return syms[0]


def subs_of(at: dict[str, float] | list[float], wrt: Sequence[sp.Symbol],
            expr: sp.Expr, evaluated: Iterable[sp.Expr] = ()) -> dict:
    """The substitution of ``--at``: a value for every variable in ``wrt`` and
    every other symbol of the ``evaluated`` expressions (parameters), and
    no name that is neither."""
    needed = list(wrt) + sorted(free_symbols(list(evaluated)) - set(wrt),
                                key=lambda s: s.name)
    if isinstance(at, dict):
        known = {s.name: s for s in (*needed, *sorted(expr.free_symbols,
                                                       key=lambda s: s.name))}
        unknown = [k for k in at if k not in known]
        if unknown:
            raise InvalidParameterError(
                f"--at names {', '.join(unknown)}, which "
                f"{'is' if len(unknown) == 1 else 'are'} not a variable of {expr}"
                f" (its variables: {', '.join(known) or 'none'})")
        subs = {as_symbol(k, expr, name="--at"): v for k, v in at.items()}
        missing = [s.name for s in needed if s not in subs]
        if missing:
            raise InvalidParameterError(f"--at gives no value for {', '.join(missing)}")
        return subs
    if len(at) != len(needed):
        raise InvalidParameterError(
            f"--at has {len(at)} values for {len(needed)} variables "
            f"({', '.join(s.name for s in needed)})")
    return dict(zip(needed, at, strict=True))
