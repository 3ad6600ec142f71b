"""``calckit gradcheck``: the exact gradient (or Hessian) against numeric
differentiation; exit status 1 when they disagree."""

from __future__ import annotations

import argparse

import sympy as sp

import calckit
from calckit.cli import output, parser
from calckit.errors import InvalidParameterError
from calckit.symbolic._coerce import as_symbols

HELP = "check the exact gradient numerically"
DESCRIPTION = ("Compare the exact gradient (or Hessian) of EXPR with numeric "
               "differentiation; exit status 1 on failure.")
METHODS = ("forward", "backward", "central", "richardson", "complex")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("expr", metavar="EXPR")
    p.add_argument("--at", required=True, help="point, e.g. x=1,y=2 (or 1,2)")
    p.add_argument("--wrt", help="variables (default: all but the --params)")
    p.add_argument("--params", metavar="NAME=VALUE,...",
                   help="fixed values of the other symbols (data), e.g. x=3")
    p.add_argument("--order", type=int, choices=(1, 2), default=1,
                   help="1: gradient, 2: Hessian")
    p.add_argument("--method", default="richardson", choices=METHODS)
    p.add_argument("--rtol", type=parser.tolerance, default=1e-6)
    p.add_argument("--atol", type=parser.tolerance, default=1e-8)
    parser.add_formats(p, "markdown", "json")


def _split(expr: sp.Expr, wrt_text: str | None,
           params: dict[str, float]) -> list[sp.Symbol]:
    """The variables of the check (``--wrt``, else every symbol not in
    ``--params``); no ``--params`` name that is not a symbol of ``expr``."""
    names = sorted(s.name for s in expr.free_symbols)
    unknown = [n for n in params if n not in names]
    if unknown:
        raise InvalidParameterError(
            f"--params names {', '.join(unknown)}, which is not a symbol of {expr} "
            f"(its symbols: {', '.join(names) or 'none'})")
    if wrt_text is None:
        wrt = [s for s in parser.variables(expr, None) if s.name not in params]
    else:
        wrt = as_symbols(wrt_text, expr)
    both = [s.name for s in wrt if s.name in params]
    if both:
        raise InvalidParameterError(
            f"{', '.join(both)} is in both --wrt and --params; give each once")
    return wrt


def _at(text: str, wrt: list[sp.Symbol]) -> dict[str, float] | list[float]:
    """``--at``, naming only variables of the check (others go in --params)."""
    at = parser.point(text)
    if isinstance(at, dict):
        names = [s.name for s in wrt]
        fixed = [n for n in at if n not in names]
        if fixed:
            raise InvalidParameterError(
                f"--at names {', '.join(fixed)}, which is not a variable of the check "
                f"(--wrt {' '.join(names)}); give fixed values with --params, e.g. "
                f"--params {fixed[0]}={output.fmt(at[fixed[0]])}")
    return at


def _check_all_given(expr: sp.Expr, wrt: list[sp.Symbol],
                     params: dict[str, float]) -> None:
    """Every symbol of ``expr`` is a variable of the check or in --params."""
    wrt_names = [s.name for s in wrt]
    missing = sorted(s.name for s in expr.free_symbols
                     if s.name not in wrt_names and s.name not in params)
    if missing:
        raise InvalidParameterError(
            f"{expr} has symbols {', '.join(missing)} that are not variables of the "
            f"check (--wrt {' '.join(wrt_names)}); give their values with "
            f"--params, e.g. --params {missing[0]}=1")


def run(args: argparse.Namespace) -> int:
    expr = parser.expression(args.expr)
    params = {} if args.params is None else parser.named_values(args.params,
                                                                "--params")
    wrt = _split(expr, args.wrt, params)
    at = _at(args.at, wrt)
    _check_all_given(expr, wrt, params)
    report = calckit.gradcheck(expr, wrt=wrt, at=at,
                               params=params or None, order=args.order,
                               method=args.method, rtol=args.rtol, atol=args.atol)
    if args.format == "json":
        text = output.to_json({"ok": bool(report.ok),
                               "max_abs_error": float(report.max_abs_error),
                               "max_rel_error": float(report.max_rel_error),
                               "report": str(report)})
    elif args.format == "markdown":
        text = report._repr_markdown_()
    else:  # within the terminal
        text = report.text(output.terminal_width())
    output.echo(text)
    return 0 if report.ok else 1
