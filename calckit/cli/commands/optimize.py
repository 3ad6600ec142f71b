"""``calckit optimize``: minimize an expression with one optimizer."""

from __future__ import annotations

import argparse
import textwrap

import numpy as np

import calckit
from calckit import optim
from calckit.cli import output, parser

HELP = "minimize an expression"
DESCRIPTION = ("Minimize EXPR from --x0 with an optimizer; prints the result and "
               "whether it converged. Exit status 0 when it converged (gradient "
               "norm below --tol), 1 when it did not converge in --steps steps "
               "or diverged, 2 on bad input.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("expr", metavar="EXPR")
    p.add_argument("--x0", required=True,
                   help="start, one value per variable, e.g. -1.2,1")
    p.add_argument("--wrt", help="variables (default: all, by name)")
    # the names come from the registry, so a new optimizer appears here; an
    # unknown name is refused by optim.get, which suggests close matches
    p.add_argument("--optimizer", default="adam", metavar="NAME",
                   help=f"one of {', '.join(optim.names())} (default adam)")
    p.add_argument("--lr", type=float, help="learning rate (default: PyTorch's)")
    p.add_argument("--steps", type=parser.count, default=1000)
    p.add_argument("--tol", type=parser.tolerance, default=1e-8,
                   help="gradient-norm tolerance")
    parser.add_plot_file(p, "the path over contours")
    parser.add_formats(p, "json")


def status(result: calckit.OptimizeResult) -> str:
    """``"converged"``, ``"diverged"`` or ``"not converged"``."""
    return ("diverged" if result.diverged else
            "converged" if result.converged else "not converged")


def _result_text(result: calckit.OptimizeResult, fmt: str) -> str:
    if fmt == "json":
        return output.to_json({
            "x": [float(v) for v in result.x], "fun": float(result.fun),
            "nit": int(result.nit), "converged": bool(result.converged),
            "diverged": bool(result.diverged), "status": status(result),
            "message": result.message})
    return f"{result}\nstatus: {status(result)}"


def run(args: argparse.Namespace) -> int:
    progress = output.note if args.format == "json" else output.echo
    if args.plot is not None:
        output.out_path(args.plot, "--plot")
    expr = parser.expression(args.expr)
    wrt = parser.variables(expr, args.wrt)
    x0 = parser.start(args.x0, wrt)  # checked here so the error is the only line
    kwargs = {} if args.lr is None else {"lr": args.lr}
    optimizer = optim.get(args.optimizer, **kwargs)  # validate before running
    progress(textwrap.fill(  # within the terminal; terms are never cut
        f"optimizing f = {expr} over ({', '.join(s.name for s in wrt)}) with "
        f"{args.optimizer}{'' if args.lr is None else f' (lr={args.lr:g})'} "
        f"from x0 = {x0}, at most {args.steps} steps, tol {args.tol:g} ...",
        output.terminal_width(), subsequent_indent="  ", break_long_words=False,
        break_on_hyphens=False))
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported
        result = calckit.minimize(expr, wrt, x0=x0, optimizer=optimizer,
                                  steps=args.steps, tol=args.tol,
                                  progress=output.progress(args))
        text = _result_text(result, args.format)
    if args.plot is not None:
        from calckit import plot  # lazy: matplotlib

        runs = {args.optimizer: result}
        fig = (plot.trajectories(expr, runs, wrt) if len(wrt) <= 2
               else plot.loss_curves(runs))
        text = output.with_figure(text, fig, args.plot, args)
    output.echo(text)
    return 0 if result.converged else 1
