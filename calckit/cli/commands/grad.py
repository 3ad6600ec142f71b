"""``calckit grad``: the gradient of an expression."""

from __future__ import annotations

import argparse

import sympy as sp

import calckit
from calckit.cli import output, parser
from calckit.tables import tidy

HELP = "gradient"
DESCRIPTION = "Gradient of EXPR."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("expr", metavar="EXPR")
    p.add_argument("--wrt", help='variables, e.g. "x y" (default: all, by name)')
    p.add_argument("--at", help="also evaluate at x=1,y=2 (or 1,2)")
    parser.add_plot_file(p, "contours with -grad arrows (two variables)")
    parser.add_formats(p, "latex", "markdown", "json")


def run(args: argparse.Namespace) -> int:
    if args.plot is not None:
        output.out_path(args.plot, "--plot")
    expr = parser.expression(args.expr)
    wrt = parser.variables(expr, args.wrt)
    g = calckit.grad(expr, wrt)
    comps = [tidy(c) for c in g]
    values = None
    if args.at is not None:
        subs = parser.subs_of(parser.point(args.at), wrt, expr, list(g))
        values = [output.value(c.subs(subs)) for c in g]
    if args.format == "json":
        out = {"expr": str(expr), "wrt": [s.name for s in wrt],
               "grad": [str(c) for c in comps]}
        if values is not None:
            out["value"] = values
        text = output.to_json(out)
    elif args.format == "latex":
        text = sp.latex(sp.Matrix(comps))
    else:
        width = max(len(s.name) for s in wrt)
        lines = [f"df/d{s.name.ljust(width)} = {output.emit_expr(c, args.format)}"
                 for s, c in zip(wrt, comps, strict=True)]
        if values is not None:
            lines.append(f"at {args.at}: [{', '.join(output.fmt(v) for v in values)}]")
        text = "\n".join(lines)
    if args.plot is not None:
        from calckit import plot  # lazy: matplotlib

        text = output.with_figure(text, plot.gradient_field(expr, wrt), args.plot,
                                  args)
    output.echo(text)
    return 0
