"""``calckit tour``: the guided tour, with its figures written as PNG files."""

from __future__ import annotations

import argparse
import os

from calckit.cli import output

HELP = "the guided tour (about a minute, offline)"
DESCRIPTION = ("Derive and check a gradient, print tables and a Taylor bound, "
               "compare optimizers on Rosenbrock, train XOR, and write the "
               "figures as PNG files.")
#: The tour's default ``--time-limit`` (it takes about a minute on a slow
#: machine, more than the other commands' default).
TIME_LIMIT = 600.0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="calckit-tour", metavar="DIR",
                   help="folder for the figures (default ./calckit-tour)")
    p.add_argument("--quick", action="store_true", help="fewer steps and epochs")


def run(args: argparse.Namespace) -> int:
    import matplotlib  # lazy: keeps ``calckit --help`` fast

    if "MPLBACKEND" not in os.environ:  # files only, never a window
        matplotlib.use("Agg")
    from calckit import tour

    width = output.terminal_width()
    tour.run(args.out, emit=output.echo, quick=args.quick,  # it lists its files
             width=width, progress=output.progress(args))
    return 0
