"""The ``calckit`` command.

Subcommands: ``diff``, ``grad``, ``hessian``, ``taylor``, ``table``,
``gradcheck``, ``optimize``, ``plot`` and ``tour``; ``calckit CMD --help``
explains each. This is the only module that prints or exits: bad input ends
with exit status 2 and one line on stderr, never a traceback; ``gradcheck``
exits 1 when the check fails.

>>> main(["diff", "x**2*sin(x)"])
x*(x*cos(x) + 2*sin(x))
0
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import signal
import sys
import threading
from collections.abc import Sequence

import calckit
from calckit.cli._commands import (
    COMMANDS,
    PLOT_KINDS,
    PLOT_OPTIMIZERS,
    cmd_optimize,
    cmd_tour,
)
from calckit.errors import CalckitError, ParseError

__all__ = ["main", "build_parser"]

# options whose value may start with "-" (negative numbers)
_NUMERIC_OPTIONS = ("--x0", "--at", "--interval", "--xlim", "--ylim", "--lrs")


class UsageError(Exception):
    """Bad command-line usage (reported in one line, exit status 2)."""


class _OutOfTime(BaseException):
    """The time limit of a symbolic command ran out (a BaseException, like
    KeyboardInterrupt, so no ``except Exception`` in library code swallows
    it)."""


#: Default of ``--time-limit``: symbolic work (a Taylor polynomial of high
#: order, a big table) that takes longer is stopped with exit status 2.
TIME_LIMIT = 60.0

# optimize and tour run as long as the user chose (steps, epochs), and so do
# these plots: no time limit
_UNLIMITED_PLOTS = ("trajectories", "loss_curves", "learning_rates")


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Raise :class:`_OutOfTime` in the block after ``seconds`` (wall clock).

    Uses ``SIGALRM``, so it only acts in the main thread of a POSIX process
    whose interval timer is free; elsewhere the block runs unlimited.
    """
    usable = (seconds > 0 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread()
              and signal.getitimer(signal.ITIMER_REAL)[0] == 0)
    if not usable:
        yield
        return

    active = [True]

    def on_alarm(signum, frame):
        if active[0]:
            raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, on_alarm)
    # the alarm repeats: an _OutOfTime raised where it is swallowed (a bare
    # ``except:`` or a ``__del__`` in library code) is raised again shortly
    signal.setitimer(signal.ITIMER_REAL, seconds, min(seconds, 0.25))
    try:
        yield
    finally:
        while True:  # an alarm before ``active`` is cleared: clear it again
            try:
                active[0] = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                break
            except _OutOfTime:
                continue


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of usage + message + exit
        raise UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


def _count(text: str) -> int:
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


def _tolerance(text: str) -> float:
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


def _fix_negative_values(argv: list) -> list:
    """Let values and expressions start with "-": join ``--x0 -1.2,1`` into
    ``--x0=-1.2,1`` and pass ``-x**2`` as " -x**2" (argparse would read both
    as options; the parser ignores the leading space)."""
    out, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if (arg in _NUMERIC_OPTIONS and i + 1 < len(argv)
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
# Parser
# --------------------------------------------------------------------------

def _formats(p, *names):
    group = p.add_mutually_exclusive_group()
    group.add_argument("--text", dest="format", action="store_const", const="text",
                       help="plain text (default)")
    for name in names:
        group.add_argument(f"--{name}", dest="format", action="store_const",
                           const=name, help=f"output as {name}")
    p.set_defaults(format="text")


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``calckit`` command."""
    parser = _Parser(prog="calckit", description="Exact calculus for ML: "
                     "derivatives, tables, Taylor bounds, gradient checks, "
                     "optimizers and plots.")
    parser.add_argument("--version", action="version",
                        version=f"calckit {calckit.__version__}")
    parser.add_argument("--time-limit", type=_tolerance, default=TIME_LIMIT,
                        metavar="SECONDS",
                        help="stop symbolic work that takes longer (default "
                        f"{TIME_LIMIT:g}; 0: no limit; optimize, tour and "
                        "optimizer plots are not limited)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND",
                                parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("diff", help="derivative of an expression",
                       description="n-th derivative of EXPR in one variable.")
    p.add_argument("expr", metavar="EXPR", help='expression, e.g. "x**2*sin(x)"')
    p.add_argument("--var", help="variable (default: the only one)")
    p.add_argument("--order", "-n", type=int, default=1, help="order (default 1)")
    p.add_argument("--at", help="also evaluate at a point, e.g. 1.5 or x=1.5")
    p.add_argument("--plot", metavar="FILE.png", help="save f and its derivatives")
    _formats(p, "latex", "markdown", "json")

    p = sub.add_parser("grad", help="gradient", description="Gradient of EXPR.")
    p.add_argument("expr", metavar="EXPR")
    p.add_argument("--wrt", help='variables, e.g. "x y" (default: all, by name)')
    p.add_argument("--at", help="also evaluate at x=1,y=2 (or 1,2)")
    p.add_argument("--plot", metavar="FILE.png",
                   help="save contours with -grad arrows (two variables)")
    _formats(p, "latex", "markdown", "json")

    p = sub.add_parser("hessian", help="Hessian matrix",
                       description="Hessian matrix of EXPR.")
    p.add_argument("expr", metavar="EXPR")
    p.add_argument("--wrt", help='variables, e.g. "x y"')
    p.add_argument("--at", help="also evaluate at x=1,y=2 (or 1,2)")
    _formats(p, "latex", "json")

    p = sub.add_parser("taylor", help="Taylor polynomial with a rigorous error bound",
                       description="Taylor polynomial of EXPR; with --interval, a "
                       "rigorous bound of the error on that interval beside the "
                       "measured error.")
    p.add_argument("expr", metavar="EXPR")
    p.add_argument("--wrt", help="variables (default: all)")
    p.add_argument("--at", help="expansion point (default 0), e.g. 1 or x=1,y=0")
    p.add_argument("--order", "-n", type=int, default=3, help="total degree")
    p.add_argument("--interval", metavar="LO,HI", help="bound the error on [LO, HI]")
    p.add_argument("--method", choices=("lagrange", "integral"), default="lagrange",
                   help="remainder form of the bound (default lagrange)")
    p.add_argument("--table", action="store_true", help="also print the coefficients")
    p.add_argument("--plot", metavar="FILE.png", help="save polynomials and errors")
    _formats(p, "latex", "markdown", "json")

    p = sub.add_parser("table", help="derivative table",
                       description="Derivative table of expressions, or a built-in "
                       "table (--rules, --activations, --losses).")
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
    _formats(p, "latex", "markdown", "html", "csv", "json")

    p = sub.add_parser("gradcheck", help="check the exact gradient numerically",
                       description="Compare the exact gradient (or Hessian) of EXPR "
                       "with numeric differentiation; exit status 1 on failure.")
    p.add_argument("expr", metavar="EXPR")
    p.add_argument("--at", required=True, help="point, e.g. x=1,y=2 (or 1,2)")
    p.add_argument("--wrt", help="variables (default: all)")
    p.add_argument("--order", type=int, choices=(1, 2), default=1,
                   help="1: gradient, 2: Hessian")
    p.add_argument("--method", default="richardson",
                   choices=("forward", "backward", "central", "richardson", "complex"))
    p.add_argument("--rtol", type=_tolerance, default=1e-6)
    p.add_argument("--atol", type=_tolerance, default=1e-8)
    _formats(p, "markdown", "json")

    p = sub.add_parser("optimize", help="minimize an expression",
                       description="Minimize EXPR from --x0 with an optimizer; "
                       "prints the result and whether it converged.")
    p.add_argument("expr", metavar="EXPR")
    p.add_argument("--x0", required=True, help="start, e.g. -1.2,1")
    p.add_argument("--wrt", help="variables (default: all, by name)")
    p.add_argument("--optimizer", default="adam",
                   help="sgd, adagrad, rmsprop, adam, adamw, lion, newton")
    p.add_argument("--lr", type=float, help="learning rate (default: PyTorch's)")
    p.add_argument("--steps", type=_count, default=1000)
    p.add_argument("--tol", type=_tolerance, default=1e-8,
                   help="gradient-norm tolerance")
    p.add_argument("--plot", metavar="FILE.png", help="save the path over contours")
    _formats(p, "json")

    p = sub.add_parser("plot", help="save a figure",
                       description=f"Save a figure: {', '.join(PLOT_KINDS)}.")
    p.add_argument("kind", choices=PLOT_KINDS, metavar="KIND",
                   type=lambda s: s.replace("-", "_"), help=", ".join(PLOT_KINDS))
    p.add_argument("expr", metavar="EXPR", nargs="?",
                   help="the expression; for activations, names such as relu,gelu "
                        "(default: all)")
    p.add_argument("--out", "-o", default="calckit-plot.png", metavar="FILE.png")
    p.add_argument("--wrt", help="variables")
    p.add_argument("--xlim", metavar="LO,HI")
    p.add_argument("--ylim", metavar="LO,HI")
    p.add_argument("--at", help="expansion or tangent point(s), e.g. 0 or -1,0.5")
    p.add_argument("--orders", help="orders, e.g. 1,2,3")
    p.add_argument("--x0", help="start of the optimizers")
    p.add_argument("--optimizers",
                   help="name[:lr],... (trajectories, loss_curves; default "
                        f"{PLOT_OPTIMIZERS})")
    p.add_argument("--steps", type=_count, default=None,
                   help="optimizer steps (default 1000; 30 for learning_rates)")
    p.add_argument("--lrs", help="learning rates for learning_rates")

    p = sub.add_parser("tour", help="the guided tour (about a minute, offline)",
                       description="Derive and check a gradient, print tables and a "
                       "Taylor bound, compare optimizers on Rosenbrock, train XOR, "
                       "and write the figures as PNG files.")
    p.add_argument("--out", default="calckit-tour", metavar="DIR",
                   help="folder for the figures (default ./calckit-tour)")
    p.add_argument("--quick", action="store_true", help="fewer steps and epochs")
    return parser




def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``calckit`` command; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)

    def echo(text: str) -> None:
        print(text, flush=True)

    def note(text: str) -> None:  # progress beside JSON output: not on stdout
        print(text, file=sys.stderr, flush=True)

    try:
        args = build_parser().parse_args(_fix_negative_values(argv))
        if args.command == "optimize":
            json_out = getattr(args, "format", None) == "json"
            text, status = cmd_optimize(args, note if json_out else echo)
        elif args.command == "tour":
            if "MPLBACKEND" not in os.environ:
                import matplotlib

                matplotlib.use("Agg")
            text, status = cmd_tour(args, echo)
        else:
            limited = not (args.command == "plot" and args.kind in _UNLIMITED_PLOTS)
            with _time_limit(args.time_limit if limited else 0):
                text, status = COMMANDS[args.command](args)
    except _OutOfTime:
        print(f"calckit: error: {args.command} stopped after the time limit of "
              f"{args.time_limit:g} s; try a lower --order, fewer or simpler "
              "expressions, or a larger --time-limit", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    except ParseError as exc:
        where = "" if exc.position is None or "position" in str(exc) else (
            f" (at position {exc.position})")
        print(f"calckit: error: {_one_line(exc)}{where}", file=sys.stderr)
        return 2
    except (CalckitError, ValueError, TypeError, ArithmeticError, OSError) as exc:
        print(f"calckit: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except RecursionError:
        print("calckit: error: the expression is nested too deeply to handle",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("calckit: interrupted", file=sys.stderr)
        return 130
    if text:
        try:
            print(text)
        except BrokenPipeError:  # calckit ... | head: the reader left
            sys.stdout = None
    return status


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, CalckitError) else f"{type(exc).__name__}: {text}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
