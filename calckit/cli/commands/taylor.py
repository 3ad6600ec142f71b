"""``calckit taylor``: a Taylor polynomial, with a rigorous error bound."""

from __future__ import annotations

import argparse
from typing import Any

import sympy as sp

import calckit
from calckit.cli import output, parser
from calckit.errors import InvalidParameterError
from calckit.symbolic._coerce import as_symbols
from calckit.symbolic.remainder import remainder_bound
from calckit.tables import taylor_table

HELP = "Taylor polynomial with a rigorous error bound"
DESCRIPTION = ("Taylor polynomial of EXPR; with --interval, a rigorous bound of "
               "the error on that interval beside the measured error.")

#: Highest ``calckit taylor --order`` (the polynomial of a higher order is
#: neither readable nor cheap; the library itself has no such limit).
MAX_ORDER = 200


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("expr", metavar="EXPR")
    p.add_argument("--wrt", help="variables (default: all)")
    p.add_argument("--at", help="expansion point (default 0), e.g. 1 or x=1,y=0")
    p.add_argument("--order", "-n", type=int, default=3, help="total degree")
    p.add_argument("--interval", metavar="LO,HI", help="bound the error on [LO, HI]")
    p.add_argument("--method", choices=("lagrange", "integral"), default="lagrange",
                   help="remainder form of the bound (default lagrange)")
    p.add_argument("--table", action="store_true", help="also print the coefficients")
    parser.add_plot_file(p, "polynomials and errors")
    parser.add_formats(p, "latex", "markdown", "json")


def _centre(at: Any, text: str | None) -> float:
    """The one expansion point a plot of one variable needs."""
    centre = at
    if isinstance(at, dict):  # --at x=1
        centre = next(iter(at.values())) if len(at) == 1 else None
    elif isinstance(at, list):
        centre = at[0] if len(at) == 1 else None
    if centre is None:
        raise InvalidParameterError(f"--at must give one value with --plot; "
                                    f"got {text!r}")
    return float(centre)


def run(args: argparse.Namespace) -> int:
    if args.order > MAX_ORDER:
        raise InvalidParameterError(
            f"--order {args.order} is above the command's maximum "
            f"{MAX_ORDER} for Taylor polynomials")
    if args.plot is not None:
        output.out_path(args.plot, "--plot")
    expr = parser.expression(args.expr)
    wrt = as_symbols(args.wrt, expr)  # a constant is its own polynomial
    at = parser.exact_point(args.at) if args.at is not None else 0
    poly = calckit.taylor(expr, wrt, at=at, order=args.order)
    bound = None
    if args.interval is not None:
        bound = remainder_bound(expr, wrt, at, args.order,
                                parser.pair(args.interval, "--interval"),
                                method=args.method,
                                progress=output.progress(args))
    parts = []
    if args.format == "json":
        out = {"expr": str(expr), "wrt": [s.name for s in wrt], "order": args.order,
               "polynomial": str(poly), "latex": sp.latex(poly)}
        if bound is not None:
            out.update(interval=list(bound.box[0]), bound=bound.bound,
                       measured_error=bound.measured, method=bound.method)
        parts.append(output.to_json(out))
    else:
        parts.append(output.emit_expr(poly, args.format))
        if args.table:
            t = taylor_table(expr, wrt, at, args.order)
            parts.append({"latex": t.to_latex, "markdown": t.to_markdown}.get(
                args.format, t.__str__)())
        if bound is not None:
            box = " x ".join(f"[{lo:g}, {hi:g}]" for lo, hi in bound.box)
            parts.append(
                f"on {box}: |f - p| <= {bound.bound:.3e} (rigorous, "
                f"{bound.method}); measured max error {bound.measured:.3e}")
    text = "\n".join(parts)
    if args.plot is not None:
        from calckit import plot  # lazy: matplotlib

        if len(wrt) != 1:
            raise InvalidParameterError(
                "--plot draws Taylor polynomials of one variable; "
                f"{expr} has {len(wrt)}: {', '.join(map(str, wrt))} (pass --wrt)")
        orders = sorted({max(1, args.order // 2), args.order} - {0}) or [args.order]
        xlim = parser.pair(args.interval, "--interval") if args.interval else None
        fig = plot.taylor(expr, wrt[0], at=_centre(at, args.at), orders=orders,
                          xlim=xlim, method=args.method)
        text = output.with_figure(text, fig, args.plot, args)
    output.echo(text)
    return 0
