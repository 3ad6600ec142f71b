"""``calckit hessian``: the Hessian matrix of an expression."""

from __future__ import annotations

import argparse

import sympy as sp

import calckit
from calckit.cli import output, parser
from calckit.tables import tidy

HELP = "Hessian matrix"
DESCRIPTION = "Hessian matrix of EXPR."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("expr", metavar="EXPR")
    p.add_argument("--wrt", help='variables, e.g. "x y"')
    p.add_argument("--at", help="also evaluate at x=1,y=2 (or 1,2)")
    parser.add_formats(p, "latex", "json")


def _text(H: sp.Matrix, wrt: list, at: str | None,
          values: list[list[float]] | None) -> str:
    cells = [[str(H[i, j]) for j in range(H.cols)] for i in range(H.rows)]
    widths = [max(len(r[j]) for r in cells) for j in range(H.cols)]
    lines = [f"Hessian in ({', '.join(s.name for s in wrt)}):"]
    lines += ["[ " + "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True))
              + " ]" for r in cells]
    if values is not None:
        lines.append(f"at {at}:")
        lines += ["[ " + "  ".join(f"{v:>12.6g}" for v in r) + " ]" for r in values]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    expr = parser.expression(args.expr)
    wrt = parser.variables(expr, args.wrt)
    H = calckit.hessian(expr, wrt).applyfunc(tidy)
    values = None
    if args.at is not None:
        subs = parser.subs_of(parser.point(args.at), wrt, expr, list(H))
        values = [[output.value(H[i, j].subs(subs)) for j in range(H.cols)]
                  for i in range(H.rows)]
    if args.format == "json":
        out = {"expr": str(expr), "wrt": [s.name for s in wrt],
               "hessian": [[str(H[i, j]) for j in range(H.cols)]
                           for i in range(H.rows)]}
        if values is not None:
            out["value"] = values
        output.echo(output.to_json(out))
    elif args.format == "latex":
        output.echo(sp.latex(H))
    else:
        output.echo(_text(H, wrt, args.at, values))
    return 0
