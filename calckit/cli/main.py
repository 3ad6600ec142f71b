"""The ``calckit`` command: parse, run one subcommand under a time limit.

Subcommands: ``diff``, ``grad``, ``hessian``, ``taylor``, ``table``,
``gradcheck``, ``optimize``, ``plot`` and ``tour`` (:mod:`calckit.cli.commands`);
``calckit CMD --help`` explains each. This package is the only part of
calckit that prints or exits, and it never prints a traceback. Exit status
(:data:`EXIT_STATUS`): 0 done; 1 the command ran and its answer is "no" (a
failed ``gradcheck``, an ``optimize`` run that did not converge); 2 no
answer: bad usage or input, the time limit, or an internal error, each
reported in one line on stderr (``calckit: error: ...``, ``calckit:
internal error: ...``).

>>> main(["diff", "x**2*sin(x)"])
x*(x*cos(x) + 2*sin(x))
0
"""

from __future__ import annotations

import argparse
import contextlib
import math
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from types import FrameType

import calckit
from calckit.cli import parser
from calckit.cli.commands import COMMANDS
from calckit.errors import CalckitError, ParseError

__all__ = ["main", "build_parser"]


class _OutOfTime(BaseException):
    """The time limit of a command ran out (a BaseException, like
    KeyboardInterrupt, so no ``except Exception`` in library code swallows
    it)."""


#: Default of ``--time-limit``: a command that takes longer (a Taylor
#: polynomial of high order, a big table, a long optimization) is stopped
#: with exit status 2. A command module may declare its own ``TIME_LIMIT``.
TIME_LIMIT = 60.0
#: The range of ``--time-limit`` (besides 0, no limit): shorter limits stop
#: every command before it starts, longer ones overflow the system timer.
MIN_TIME_LIMIT = 0.01
MAX_TIME_LIMIT = 1e6


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
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

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        if active[0]:
            raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        # armed inside the ``try``: however soon the first alarm comes, the
        # ``finally`` disarms it. The alarm repeats: an _OutOfTime raised
        # where it is swallowed (a bare ``except:`` or a ``__del__`` in
        # library code) is raised again shortly.
        signal.setitimer(signal.ITIMER_REAL, seconds, min(seconds, 0.25))
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


def time_limit(text: str) -> float:
    """argparse type of ``--time-limit``: 0 (no limit) or a number of
    seconds from :data:`MIN_TIME_LIMIT` to :data:`MAX_TIME_LIMIT`.

    >>> time_limit("0"), time_limit("2.5")
    (0.0, 2.5)
    """
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if seconds == 0 or MIN_TIME_LIMIT <= seconds <= MAX_TIME_LIMIT:
        return seconds
    raise argparse.ArgumentTypeError(
        f"must be 0 (no limit) or a number of seconds from {MIN_TIME_LIMIT:g} "
        f"to {MAX_TIME_LIMIT:g}, got {text.strip()!r}")


#: The exit status of ``calckit``, as ``calckit --help`` lists it.
EXIT_STATUS = (
    "exit status: 0 done; 1 the answer is no (gradcheck failed, optimize did "
    "not converge or diverged); 2 no "
    "answer: bad usage or input, the time limit, or an internal error (one "
    "line on stderr, never a traceback)")


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``calckit`` command."""
    top = parser.CliParser(prog="calckit", description="Exact calculus for ML: "
                           "derivatives, tables, Taylor bounds, gradient checks, "
                           "optimizers and plots.", epilog=EXIT_STATUS)
    top.add_argument("--version", action="version",
                     version=f"calckit {calckit.__version__}")
    top.add_argument("--time-limit", type=time_limit, default=None,
                     metavar="SECONDS",
                     help="stop a command that takes longer, with exit status 2 "
                     f"(default {TIME_LIMIT:g}, tour {_limit_of('tour'):g}; "
                     f"0: no limit; else {MIN_TIME_LIMIT:g} to {MAX_TIME_LIMIT:g})")
    sub = top.add_subparsers(dest="command", metavar="COMMAND",
                             parser_class=parser.CliParser)
    sub.required = True
    for name, command in COMMANDS.items():
        command.add_arguments(sub.add_parser(name, help=command.HELP,
                                             description=command.DESCRIPTION))
    return top


def _limit_of(command: str, given: float | None = None) -> float:
    """The time limit of ``command``: ``--time-limit`` if given, else the
    command's own default, else :data:`TIME_LIMIT`."""
    if given is not None:
        return given
    return float(getattr(COMMANDS[command], "TIME_LIMIT", TIME_LIMIT))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``calckit`` command; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(parser.fix_negative_values(argv))
        limit = _limit_of(args.command, args.time_limit)
        with _time_limit(limit):
            return COMMANDS[args.command].run(args)
    except _OutOfTime:
        print(f"calckit: error: {args.command} stopped after the time limit of "
              f"{limit:g} s; try a lower --order or fewer --steps, fewer or "
              "simpler expressions, or a larger --time-limit", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    except parser.UsageError as exc:
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
    except Exception as exc:  # a bug in calckit: one line, no traceback
        print(f"calckit: internal error: {_one_line(exc)} (a bug in calckit; "
              "please report it with the command line)", file=sys.stderr)
        return 2


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, CalckitError) else f"{type(exc).__name__}: {text}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
