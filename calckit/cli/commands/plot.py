"""``calckit plot KIND EXPR``: save one of the library's figures.

Each kind is one row of :data:`KINDS`: the options it reads, with their
defaults (``None``: the plot function's own default), and how it draws.
An option the kind does not read is refused, not ignored.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from calckit import activations, optim, optimize
from calckit.cli import output, parser
from calckit.errors import InvalidParameterError
from calckit.symbolic._coerce import as_symbols

HELP = "save a figure"

#: Options of ``calckit plot``, each read by some kinds only.
OPTIONS = ("wrt", "xlim", "ylim", "at", "orders", "x0", "optimizers", "steps", "lrs")


@dataclass(frozen=True)
class Kind:
    """A plot kind: the options it reads (name -> default text, or None for
    the plot function's default) and the function drawing the figure from
    the expression and the resolved options."""

    options: Mapping[str, str | int | None]
    draw: Callable[[Any, dict[str, Any]], Any]
    needs_expr: bool = True


def _limits(opts: dict[str, Any]) -> dict[str, Any]:
    return {name: parser.pair(opts[name], f"--{name}")
            for name in ("xlim", "ylim") if opts.get(name) is not None}


def _start(expr: Any, opts: dict[str, Any]) -> list[float] | None:
    """``--x0`` (None when not given), one value per variable."""
    if opts["x0"] is None:
        return None
    return parser.start(opts["x0"], as_symbols(opts.get("wrt"), expr))


def _parse_optimizers(text: str) -> dict[str, dict[str, Any]]:
    """``adam:0.02,sgd:0.001,newton`` -> {label: minimize keywords}."""
    out: dict[str, dict[str, Any]] = {}
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        name, _, lr = part.partition(":")
        spec: dict[str, Any] = {"optimizer": name.strip().lower()}
        if lr:
            spec["lr"] = parser.number(lr, "--optimizers learning rate")
        label = part if part not in out else f"{part} #{len(out)}"
        out[label] = spec
    if not out:
        raise InvalidParameterError("--optimizers is empty; e.g. adam:0.02,newton")
    return out


def _activation_names(text: str | None) -> list[str] | None:
    """``"relu, gelu tanh"`` -> the registry names (unknown ones raise)."""
    if text is None:
        return None
    names = [n for n in text.replace(",", " ").split() if n]
    if not names:
        raise InvalidParameterError("plot activations: EXPR names no activation")
    for name in names:
        activations.get(name)  # UnknownNameError with close matches
    return names


def _runs(expr: Any, opts: dict[str, Any], kind: str) -> dict[str, Any]:
    if opts["x0"] is None:
        raise InvalidParameterError(f"plot {kind} needs --x0")
    return optimize.compare(expr, _start(expr, opts),
                         _parse_optimizers(opts["optimizers"]), steps=opts["steps"])


def _taylor(expr: Any, opts: dict[str, Any]) -> Any:
    from calckit import plot

    return plot.taylor(expr, opts["wrt"], at=parser.numbers(opts["at"], "--at")[0],
                       orders=parser.orders(opts["orders"]), **_limits(opts))


def _derivatives(expr: Any, opts: dict[str, Any]) -> Any:
    from calckit import plot

    return plot.derivatives(expr, opts["wrt"], orders=parser.orders(opts["orders"]),
                            **_limits(opts))


def _tangent(expr: Any, opts: dict[str, Any]) -> Any:
    from calckit import plot

    return plot.tangent(expr, parser.numbers(opts["at"], "--at"), opts["wrt"],
                        **_limits(opts))


def _gradient_field(expr: Any, opts: dict[str, Any]) -> Any:
    from calckit import plot

    return plot.gradient_field(expr, opts["wrt"], **_limits(opts))


def _surface(expr: Any, opts: dict[str, Any]) -> Any:
    from calckit import plot

    return plot.surface(expr, opts["wrt"], **_limits(opts))


def _trajectories(expr: Any, opts: dict[str, Any]) -> Any:
    from calckit import plot

    return plot.trajectories(expr, _runs(expr, opts, "trajectories"), opts["wrt"],
                             **_limits(opts))


def _loss_curves(expr: Any, opts: dict[str, Any]) -> Any:
    from calckit import plot

    return plot.loss_curves(_runs(expr, opts, "loss_curves"))


def _learning_rates(expr: Any, opts: dict[str, Any]) -> Any:
    from calckit import plot

    return plot.learning_rates(expr, x0=_start(expr, opts),
                               lrs=parser.numbers(opts["lrs"], "--lrs"),
                               steps=opts["steps"])


def _activations(expr: Any, opts: dict[str, Any]) -> Any:
    from calckit import plot

    options: dict[str, Any] = _limits(opts)
    if opts["orders"] is not None:
        options["orders"] = parser.orders(opts["orders"])
    return plot.activations(_activation_names(expr), **options)


_OPTIMIZERS = "sgd:0.001,adam:0.02,newton"
_LIMITS = {"wrt": None, "xlim": None, "ylim": None}

#: Every plot kind, its options and their defaults.
KINDS: Mapping[str, Kind] = MappingProxyType({
    "taylor": Kind({**_LIMITS, "at": "0", "orders": "1,2,3,5"}, _taylor),
    "derivatives": Kind({**_LIMITS, "orders": "0,1,2"}, _derivatives),
    "tangent": Kind({**_LIMITS, "at": "0"}, _tangent),
    "gradient_field": Kind(_LIMITS, _gradient_field),
    "surface": Kind(_LIMITS, _surface),
    "trajectories": Kind({**_LIMITS, "x0": None, "optimizers": _OPTIMIZERS,
                          "steps": 1000}, _trajectories),
    "loss_curves": Kind({"x0": None, "optimizers": _OPTIMIZERS, "steps": 1000},
                        _loss_curves),
    "learning_rates": Kind({"x0": None, "lrs": "0.01,0.1,0.5,1", "steps": 30},
                           _learning_rates, needs_expr=False),
    "activations": Kind({"xlim": None, "orders": None}, _activations,
                        needs_expr=False),
})

#: The expression of ``plot learning_rates`` when none is given.
LEARNING_RATES_EXPR = "x**2 + 10"


def _kinds_text() -> str:
    lines = []
    for name, kind in KINDS.items():
        opts = ", ".join(f"--{o}" + ("" if d is None else f" (default {d})")
                         for o, d in kind.options.items())
        lines.append(f"{name}: {opts}")
    return "; ".join(lines)


DESCRIPTION = f"Save a figure. Kinds and the options they read: {_kinds_text()}."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", choices=tuple(KINDS), metavar="KIND",
                   type=lambda s: s.replace("-", "_"), help=", ".join(KINDS))
    p.add_argument("expr", metavar="EXPR", nargs="?",
                   help="the expression; for activations, names such as relu,gelu "
                        "(default: all)")
    p.add_argument("--out", "-o", default="calckit-plot.png", metavar="FILE.png")
    # no defaults here: KINDS holds them, so an option given to a kind that
    # does not read it is seen (and refused)
    p.add_argument("--wrt", help="variables")
    p.add_argument("--xlim", metavar="LO,HI")
    p.add_argument("--ylim", metavar="LO,HI")
    p.add_argument("--at", help="expansion or tangent point(s), e.g. 0 or -1,0.5")
    p.add_argument("--orders", help="orders, e.g. 1,2,3")
    p.add_argument("--x0", help="start of the optimizers")
    p.add_argument("--optimizers", metavar="NAME[:LR],...",
                   help="optimizers to compare (trajectories, loss_curves), each "
                   f"one of {', '.join(optim.names())}")
    p.add_argument("--steps", type=parser.count, help="optimizer steps")
    p.add_argument("--lrs", help="learning rates for learning_rates")


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of ``args.kind``, defaults filled in; any other option
    given is refused (``--at`` for a surface)."""
    kind = KINDS[args.kind]
    unused = [name for name in OPTIONS
              if name not in kind.options and getattr(args, name) is not None]
    if unused:
        raise InvalidParameterError(
            f"plot {args.kind} does not use --{unused[0]}; it takes "
            + ", ".join(f"--{n}" for n in kind.options))
    return {name: default if getattr(args, name) is None else getattr(args, name)
            for name, default in kind.options.items()}


def run(args: argparse.Namespace) -> int:
    output.out_path(args.out, "--out")
    opts = _options(args)
    kind = KINDS[args.kind]
    if kind.needs_expr and not args.expr:
        raise InvalidParameterError(f"plot {args.kind} needs an expression")
    if args.kind == "activations":
        expr = args.expr
    elif args.expr:
        expr = parser.expression(args.expr)
    else:
        expr = parser.expression(LEARNING_RATES_EXPR)
    output.echo(output.save(kind.draw(expr, opts), args.out, "--out"))
    return 0
