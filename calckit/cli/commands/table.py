"""``calckit table``: a derivative table, of expressions or built in."""

from __future__ import annotations

import argparse

from calckit import tables
from calckit.cli import output, parser
from calckit.errors import InvalidParameterError

HELP = "derivative table"
DESCRIPTION = ("Derivative table of expressions, or a built-in table (--rules, "
               "--activations, --losses).")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("exprs", metavar="EXPR", nargs="*")
    p.add_argument("--wrt", help="variables (default: all)")
    p.add_argument("--orders", default="0,1,2", help="orders, e.g. 0,1,2")
    p.add_argument("--at", action="append", metavar="POINT",
                   help="add evaluated columns at POINT (repeatable): 1.5 or x=1,y=2")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--rules", action="store_true", help="differentiation rules")
    which.add_argument("--activations", action="store_true",
                       help="every library activation")
    which.add_argument("--losses", action="store_true", help="every library loss")
    parser.add_formats(p, "latex", "markdown", "html", "csv", "json")


def _points(texts: list[str] | None) -> list | None:
    """Each ``--at``: a number, a tuple, or a dict of named values."""
    if not texts:
        return None
    points = [parser.point(p) for p in texts]
    return [p if isinstance(p, dict) else (p[0] if len(p) == 1 else tuple(p))
            for p in points]


def _table(args: argparse.Namespace) -> tables.DerivativeTable:
    orders = parser.orders(args.orders)
    at = _points(args.at)
    if at is not None and (args.rules or args.losses):
        raise InvalidParameterError(
            "--at applies to expressions and --activations, not to "
            f"--{'rules' if args.rules else 'losses'}")
    if args.rules:
        return tables.rules_table(orders=orders)
    if args.activations:
        return tables.activation_table(orders=orders, at=at)
    if args.losses:
        return tables.loss_table(orders=orders)
    if not args.exprs:
        raise InvalidParameterError(
            "give expressions, or --rules, --activations or --losses")
    return tables.derivative_table([parser.expression(e) for e in args.exprs],
                                   wrt=args.wrt, orders=orders, at=at)


def run(args: argparse.Namespace) -> int:
    t = _table(args)
    render = {"latex": t.to_latex, "markdown": t.to_markdown, "html": t.to_html,
              "csv": t.to_csv, "json": lambda: output.to_json(t.to_dict())}
    if args.format == "text":  # within the terminal (calckit._text.aligned)
        output.echo(t.text(output.terminal_width()))
    else:
        output.echo(render[args.format]().rstrip("\n"))
    return 0
