"""``calckit gradcheck``: the exact gradient (or Hessian) against numeric
differentiation; exit status 1 when they disagree."""

from __future__ import annotations

import argparse

import calckit
from calckit.cli import output, parser

HELP = "check the exact gradient numerically"
DESCRIPTION = ("Compare the exact gradient (or Hessian) of EXPR with numeric "
               "differentiation; exit status 1 on failure.")
METHODS = ("forward", "backward", "central", "richardson", "complex")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("expr", metavar="EXPR")
    p.add_argument("--at", required=True, help="point, e.g. x=1,y=2 (or 1,2)")
    p.add_argument("--wrt", help="variables (default: all)")
    p.add_argument("--order", type=int, choices=(1, 2), default=1,
                   help="1: gradient, 2: Hessian")
    p.add_argument("--method", default="richardson", choices=METHODS)
    p.add_argument("--rtol", type=parser.tolerance, default=1e-6)
    p.add_argument("--atol", type=parser.tolerance, default=1e-8)
    parser.add_formats(p, "markdown", "json")


def run(args: argparse.Namespace) -> int:
    expr = parser.expression(args.expr)
    report = calckit.gradcheck(expr, wrt=args.wrt, at=parser.point(args.at),
                               order=args.order, method=args.method,
                               rtol=args.rtol, atol=args.atol)
    if args.format == "json":
        text = output.to_json({"ok": bool(report.ok),
                               "max_abs_error": float(report.max_abs_error),
                               "max_rel_error": float(report.max_rel_error),
                               "report": str(report)})
    elif args.format == "markdown":
        text = report._repr_markdown_()
    else:
        text = str(report)
    output.echo(text)
    return 0 if report.ok else 1
