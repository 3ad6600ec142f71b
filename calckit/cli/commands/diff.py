"""``calckit diff``: the n-th derivative of an expression in one variable."""

from __future__ import annotations

import argparse

import sympy as sp

import calckit
from calckit.cli import output, parser
from calckit.symbolic._coerce import as_symbol
from calckit.tables import tidy

HELP = "derivative of an expression"
DESCRIPTION = "n-th derivative of EXPR in one variable."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("expr", metavar="EXPR", help='expression, e.g. "x**2*sin(x)"')
    p.add_argument("--var", help="variable (default: the only one)")
    p.add_argument("--order", "-n", type=int, default=1, help="order (default 1)")
    p.add_argument("--at", help="also evaluate at a point, e.g. 1.5 or x=1.5")
    parser.add_plot_file(p, "f and its derivatives")
    parser.add_formats(p, "latex", "markdown", "json")


def run(args: argparse.Namespace) -> int:
    if args.plot is not None:
        output.out_path(args.plot, "--plot")
    expr = parser.expression(args.expr)
    var = args.var or parser.single_var(expr)
    d = calckit.derivative(expr, var, args.order)
    shown = tidy(d)
    value = None
    if args.at is not None:
        subs = parser.subs_of(parser.point(args.at), [as_symbol(var, expr)], expr, [d])
        value = output.value(d.subs(subs))
    if args.format == "json":
        out = {"expr": str(expr), "var": str(var), "order": args.order,
               "derivative": str(shown), "latex": sp.latex(shown)}
        if value is not None:
            out["value"] = value
        text = output.to_json(out)
    else:
        text = output.emit_expr(shown, args.format)
        if value is not None:
            text += f"\nat {args.at}: {output.fmt(value)}"
    if args.plot is not None:
        from calckit import plot  # lazy: matplotlib

        fig = plot.derivatives(expr, var, orders=(0, *range(1, args.order + 1)))
        text = output.with_figure(text, fig, args.plot, args)
    output.echo(text)
    return 0
