"""The subcommands of the ``calckit`` command.

Each ``cmd_*`` function takes the parsed arguments and returns ``(text,
exit_status)``; the long-running ones (``optimize``, ``tour``) also receive
``echo``, a callable that :mod:`calckit.cli` backs with ``print``. Nothing
here prints or exits: that is :func:`calckit.cli.main`'s job.
"""

from __future__ import annotations

import json
import math
import os
import re
from types import MappingProxyType

import numpy as np
import sympy as sp

import calckit
from calckit.errors import InvalidParameterError

__all__ = ["COMMANDS", "PLOT_KINDS", "cmd_optimize", "cmd_tour"]


# --------------------------------------------------------------------------
# Parsing helpers
# --------------------------------------------------------------------------


def _json(obj, indent=2) -> str:
    """JSON text with non-finite numbers written as ``null`` (``NaN`` and
    ``Infinity`` are not JSON)."""
    return json.dumps(_finite_or_none(obj), indent=indent, allow_nan=False)


def _finite_or_none(obj):
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_or_none(v) for v in obj]
    return obj

def _number(text: str, what: str) -> float:
    """A finite number written as a constant expression (``1e-3``, ``pi/2``).

    ``nan``, ``inf`` and numbers outside the float64 range (``1e999``) are
    refused: no command has a use for them, and they would otherwise turn
    into silent ``nan`` results.
    """
    try:
        value = float(text)
    except ValueError:  # not a plain float: a constant expression such as pi/2
        expr = calckit.parse(text)
        if expr.free_symbols:
            raise InvalidParameterError(
                f"{what} must be a number, got {text!r}") from None
        number = complex(sp.N(expr))
        if number.imag:
            raise InvalidParameterError(
                f"{what} must be a real number, got {text!r}") from None
        value = number.real
    if not math.isfinite(value):
        raise InvalidParameterError(
            f"{what} must be a finite number, got {text.strip()!r}")
    return value


def _numbers(text: str, what: str) -> list:
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    if not parts:
        raise InvalidParameterError(f"{what} is empty; give numbers like 1,2")
    return [_number(p, what) for p in parts]


def _named_parts(text: str, what: str) -> list:
    """``"x=1, y=2"`` -> ``[("x", "1"), ("y", "2")]``; each name once."""
    parts, seen = [], set()
    for part in [p for p in text.split(",") if p.strip()]:
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise InvalidParameterError(
                f"{what} must look like x=1,y=2 (or 1,2); got {text!r}"
            )
        if name in seen:
            raise InvalidParameterError(f"{what} gives {name} twice: {text!r}")
        if not value.strip():
            raise InvalidParameterError(
                f"{what} gives no value after {name}=: {text!r}")
        seen.add(name)
        parts.append((name, value.strip()))
    return parts


def _point(text: str, what: str = "--at"):
    """``x=1,y=2`` -> dict; ``1,2`` -> list (in variable order)."""
    if "=" not in text:
        return _numbers(text, what)
    return {name: _number(value, what) for name, value in _named_parts(text, what)}


def _exact(text: str, what: str):
    """An exact SymPy number: ``0.5`` -> 1/2, ``pi/2`` stays symbolic."""
    text = text.strip()
    if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        value = sp.Rational(text)
    else:
        value = calckit.parse(text)
        if value.free_symbols or not value.is_real:
            raise InvalidParameterError(f"{what} must be a real number, got {text!r}")
    try:
        finite = math.isfinite(float(value))
    except OverflowError:  # an exact 1e999
        finite = False
    if not finite:  # beyond float64, like inf
        raise InvalidParameterError(f"{what} must be a finite number, got {text!r}")
    return value


def _exact_point(text: str):
    """Like :func:`_point`, with exact numbers (for expansion points)."""
    if "=" in text:
        return {name: _exact(value, "--at")
                for name, value in _named_parts(text, "--at")}
    values = [_exact(p, "--at") for p in re.split(r"[,\s]+", text.strip()) if p]
    if not values:
        raise InvalidParameterError("--at is empty; give numbers like 0 or 1,2")
    return values[0] if len(values) == 1 else values


def _pair(text: str, what: str) -> tuple:
    values = _numbers(text, what)
    if len(values) != 2:
        raise InvalidParameterError(f"{what} must be two numbers lo,hi; got {text!r}")
    return tuple(values)


def _orders(text: str) -> tuple:
    try:
        orders = tuple(int(p) for p in text.split(",") if p.strip())
    except ValueError as exc:
        raise InvalidParameterError(
            f"--orders must be integers like 0,1,2; got {text!r}"
        ) from exc
    if not orders:
        raise InvalidParameterError(f"--orders is empty; give integers like 0,1,2; "
                                    f"got {text!r}")
    if min(orders) < 0:
        raise InvalidParameterError(f"--orders must be non-negative; got {text!r}")
    return orders


def _expr(text: str):
    return calckit.parse(text)


def _fmt(value) -> str:
    return f"{float(value):.10g}"


def _emit_expr(expr, args) -> str:
    if args.format == "latex":
        return sp.latex(expr)
    if args.format == "markdown":
        return f"`{expr}`"
    return str(expr)


def _out_path(path: str, what: str) -> str:
    """The file a figure goes to, checked before any work is done: not a
    folder, in an existing folder, with a format matplotlib writes (``.png``
    is added when the name has no extension, as matplotlib itself would, so
    the reported path is the real one)."""
    from matplotlib.figure import Figure

    if not path.strip():
        raise InvalidParameterError(f"{what} is empty; give a file name like plot.png")
    if os.path.isdir(path) or path.endswith(("/", os.sep)):
        raise InvalidParameterError(
            f"{what} {path!r} is a folder; give a file name such as "
            f"{os.path.join(path, 'plot.png')!r}"
        )
    ext = os.path.splitext(path)[1][1:].lower()
    if not ext:
        path, ext = path + ".png", "png"
    formats = Figure().canvas.get_supported_filetypes()
    if ext not in formats:
        raise InvalidParameterError(
            f"{what} {path!r}: matplotlib cannot write .{ext} files; use one of "
            f"{', '.join('.' + f for f in sorted(formats))}"
        )
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InvalidParameterError(
            f"{what} {path!r}: the folder {folder} does not exist")
    return path


def _save(fig, path: str, what: str = "--plot") -> str:
    path = _out_path(path, what)
    fig.savefig(path, dpi=110)
    return f"figure written to {os.path.abspath(path)}"


def _with_figure(text: str, fig, path: str, args) -> str:
    """``text`` and the note of the saved figure: a ``"figure"`` field when
    the output is JSON (so it stays one JSON document), else one more line."""
    note = _save(fig, path)
    if getattr(args, "format", None) == "json":
        data = json.loads(text)
        data["figure"] = os.path.abspath(_out_path(path, "--plot"))
        return _json(data)
    return f"{text}\n{note}"


def _value(number) -> float:
    """A SymPy number as a float; ``nan`` where it is not a finite real
    (``zoo`` for 1/x at 0, a complex value)."""
    value = sp.N(number)
    if value.is_real and value.is_finite:
        return float(value)
    return float("nan")


def _variables(expr, wrt) -> list:
    """The variables of a command, or a clear error for a constant."""
    from calckit.symbolic._coerce import as_symbols

    syms = as_symbols(wrt, expr)
    if not syms:
        raise InvalidParameterError(
            f"{expr} has no variables; give an expression of x, y, ... (or --wrt)"
        )
    return syms


# --------------------------------------------------------------------------
# Subcommands: each returns (text to print, exit status)
# --------------------------------------------------------------------------

def cmd_diff(args):
    from calckit.symbolic._coerce import as_symbol
    from calckit.tables import tidy

    if args.plot is not None:
        _out_path(args.plot, "--plot")
    expr = _expr(args.expr)
    var = args.var or _single_var(expr)
    d = calckit.derivative(expr, var, args.order)
    shown = tidy(d)
    value = None
    if args.at is not None:
        point = _point(args.at)
        subs = _subs_of(point, [as_symbol(var, expr)], expr, [d])
        value = _value(d.subs(subs))
    if args.format == "json":
        out = {"expr": str(expr), "var": str(var), "order": args.order,
               "derivative": str(shown), "latex": sp.latex(shown)}
        if value is not None:
            out["value"] = value
        text = _json(out, indent=2)
    else:
        text = _emit_expr(shown, args)
        if value is not None:
            text += f"\nat {args.at}: {_fmt(value)}"
    if args.plot is not None:
        from calckit import plot

        text = _with_figure(text, plot.derivatives(expr, var, orders=(0, *range(
            1, args.order + 1))), args.plot, args)
    return text, 0


def _single_var(expr):
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    if len(syms) != 1:
        raise InvalidParameterError(
            f"{expr} has {len(syms)} variables "
            f"({', '.join(s.name for s in syms) or 'none'}); choose one with --var"
        )
    return syms[0]


def _subs_of(point, wrt, expr, evaluated=()):
    """The substitution of ``--at``: a value for every variable in ``wrt`` and
    every other symbol of the ``evaluated`` expressions (parameters), and
    no name that is neither."""
    from calckit.symbolic._coerce import as_symbol, free_symbols

    needed = list(wrt) + sorted(free_symbols(list(evaluated)) - set(wrt),
                                key=lambda s: s.name)
    if isinstance(point, dict):
        known = {s.name: s for s in (*needed, *sorted(expr.free_symbols,
                                                       key=lambda s: s.name))}
        unknown = [k for k in point if k not in known]
        if unknown:
            raise InvalidParameterError(
                f"--at names {', '.join(unknown)}, which "
                f"{'is' if len(unknown) == 1 else 'are'} not a variable of {expr}"
                f" (its variables: {', '.join(known) or 'none'})"
            )
        subs = {as_symbol(k, expr, name="--at"): v for k, v in point.items()}
        missing = [s.name for s in needed if s not in subs]
        if missing:
            raise InvalidParameterError(f"--at gives no value for {', '.join(missing)}")
        return subs
    if len(point) != len(needed):
        raise InvalidParameterError(
            f"--at has {len(point)} values for {len(needed)} variables "
            f"({', '.join(s.name for s in needed)})"
        )
    return dict(zip(needed, point, strict=True))


def cmd_grad(args):
    from calckit.tables import tidy

    if args.plot is not None:
        _out_path(args.plot, "--plot")
    expr = _expr(args.expr)
    wrt = _variables(expr, args.wrt)
    g = calckit.grad(expr, wrt)
    comps = [tidy(c) for c in g]
    values = None
    if args.at is not None:
        subs = _subs_of(_point(args.at), wrt, expr, list(g))
        values = [_value(c.subs(subs)) for c in g]
    if args.format == "json":
        out = {"expr": str(expr), "wrt": [s.name for s in wrt],
               "grad": [str(c) for c in comps]}
        if values is not None:
            out["value"] = values
        text = _json(out, indent=2)
    elif args.format == "latex":
        text = sp.latex(sp.Matrix(comps))
    else:
        width = max(len(s.name) for s in wrt)
        lines = [f"df/d{s.name.ljust(width)} = {_emit_expr(c, args)}"
                 for s, c in zip(wrt, comps, strict=True)]
        if values is not None:
            lines.append(f"at {args.at}: [{', '.join(_fmt(v) for v in values)}]")
        text = "\n".join(lines)
    if args.plot is not None:
        from calckit import plot

        text = _with_figure(text, plot.gradient_field(expr, wrt), args.plot, args)
    return text, 0


def cmd_hessian(args):
    from calckit.tables import tidy

    expr = _expr(args.expr)
    wrt = _variables(expr, args.wrt)
    H = calckit.hessian(expr, wrt).applyfunc(tidy)
    values = None
    if args.at is not None:
        subs = _subs_of(_point(args.at), wrt, expr, list(H))
        values = [[_value(H[i, j].subs(subs)) for j in range(H.cols)]
                  for i in range(H.rows)]
    if args.format == "json":
        out = {"expr": str(expr), "wrt": [s.name for s in wrt],
               "hessian": [[str(H[i, j]) for j in range(H.cols)]
                           for i in range(H.rows)]}
        if values is not None:
            out["value"] = values
        return _json(out, indent=2), 0
    if args.format == "latex":
        return sp.latex(H), 0
    cells = [[str(H[i, j]) for j in range(H.cols)] for i in range(H.rows)]
    widths = [max(len(r[j]) for r in cells) for j in range(H.cols)]
    lines = [f"Hessian in ({', '.join(s.name for s in wrt)}):"]
    lines += ["[ " + "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True))
              + " ]" for r in cells]
    if values is not None:
        lines.append(f"at {args.at}:")
        lines += ["[ " + "  ".join(f"{v:>12.6g}" for v in r) + " ]" for r in values]
    return "\n".join(lines), 0


#: Highest ``calckit taylor --order`` (the polynomial of a higher order is
#: neither readable nor cheap; the library itself has no such limit).
MAX_TAYLOR_ORDER = 200


def cmd_taylor(args):
    from calckit.symbolic._coerce import as_symbols

    if args.order > MAX_TAYLOR_ORDER:
        raise InvalidParameterError(
            f"--order {args.order} is above the command's maximum "
            f"{MAX_TAYLOR_ORDER} for Taylor polynomials"
        )
    if args.plot is not None:
        _out_path(args.plot, "--plot")
    expr = _expr(args.expr)
    wrt = as_symbols(args.wrt, expr)  # a constant is its own polynomial
    at = _exact_point(args.at) if args.at is not None else 0
    poly = calckit.taylor(expr, wrt, at=at, order=args.order)
    parts = []
    bound = None
    if args.interval is not None:
        from calckit.symbolic.remainder import remainder_bound

        bound = remainder_bound(expr, wrt, at, args.order, _pair(args.interval,
                                "--interval"), method=args.method)
    if args.format == "json":
        out = {"expr": str(expr), "wrt": [s.name for s in wrt], "order": args.order,
               "polynomial": str(poly), "latex": sp.latex(poly)}
        if bound is not None:
            out.update(interval=list(bound.box[0]), bound=bound.bound,
                       measured_error=bound.measured, method=bound.method)
        parts.append(_json(out, indent=2))
    else:
        parts.append(_emit_expr(poly, args))
        if args.table:
            from calckit.tables import taylor_table

            t = taylor_table(expr, wrt, at, args.order)
            parts.append({"latex": t.to_latex, "markdown": t.to_markdown}.get(
                args.format, t.__str__)())
        if bound is not None:
            box = " x ".join(f"[{lo:g}, {hi:g}]" for lo, hi in bound.box)
            parts.append(
                f"on {box}: |f - p| <= {bound.bound:.3e} (rigorous, "
                f"{bound.method}); measured max error {bound.measured:.3e}"
            )
    if args.plot is not None:
        from calckit import plot

        if len(wrt) != 1:
            raise InvalidParameterError(
                "--plot draws Taylor polynomials of one variable; "
                f"{expr} has {len(wrt)}: {', '.join(map(str, wrt))} (pass --wrt)")
        orders = sorted({max(1, args.order // 2), args.order} - {0}) or [args.order]
        xlim = _pair(args.interval, "--interval") if args.interval else None
        centre = at
        if isinstance(at, dict):  # --at x=1
            centre = next(iter(at.values())) if len(at) == 1 else None
        elif isinstance(at, list):
            centre = at[0] if len(at) == 1 else None
        if centre is None:
            raise InvalidParameterError(f"--at must give one value with --plot; "
                                        f"got {args.at!r}")
        fig = plot.taylor(expr, wrt[0], at=float(centre), orders=orders, xlim=xlim,
                          method=args.method)
        return _with_figure("\n".join(parts), fig, args.plot, args), 0
    return "\n".join(parts), 0


def cmd_table(args):
    from calckit import tables

    orders = _orders(args.orders)
    at = None
    if args.at:
        points = [_point(p) for p in args.at]
        at = [p if isinstance(p, dict) else (p[0] if len(p) == 1 else tuple(p))
              for p in points]
    if at is not None and (args.rules or args.losses):
        raise InvalidParameterError(
            "--at applies to expressions and --activations, not to "
            f"--{'rules' if args.rules else 'losses'}"
        )
    if args.rules:
        t = tables.rules_table(orders=orders)
    elif args.activations:
        t = tables.activation_table(orders=orders, at=at)
    elif args.losses:
        t = tables.loss_table(orders=orders)
    else:
        if not args.exprs:
            raise InvalidParameterError(
                "give expressions, or --rules, --activations or --losses"
            )
        t = tables.derivative_table([_expr(e) for e in args.exprs], wrt=args.wrt,
                                    orders=orders, at=at)
    render = {"latex": t.to_latex, "markdown": t.to_markdown, "html": t.to_html,
              "csv": t.to_csv, "json": lambda: _json(t.to_dict(), indent=2)}
    return render.get(args.format, t.__str__)().rstrip("\n"), 0


def cmd_gradcheck(args):
    expr = _expr(args.expr)
    point = _point(args.at)
    report = calckit.gradcheck(expr, wrt=args.wrt, at=point, order=args.order,
                               method=args.method, rtol=args.rtol, atol=args.atol)
    if args.format == "json":
        text = _json({"ok": bool(report.ok),
                           "max_abs_error": float(report.max_abs_error),
                           "max_rel_error": float(report.max_rel_error),
                           "report": str(report)}, indent=2)
    elif args.format == "markdown":
        text = report._repr_markdown_()
    else:
        text = str(report)
    return text, 0 if report.ok else 1


def _parse_optimizers(text: str) -> dict:
    """``adam:0.02,sgd:0.001,newton`` -> {label: kwargs}."""
    out = {}
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        name, _, lr = part.partition(":")
        spec = {"optimizer": name.strip().lower()}
        if lr:
            spec["lr"] = _number(lr, "--optimizers learning rate")
        label = part if part not in out else f"{part} #{len(out)}"
        out[label] = spec
    if not out:
        raise InvalidParameterError("--optimizers is empty; e.g. adam:0.02,newton")
    return out


def cmd_optimize(args, echo):
    from calckit import optim

    if args.plot is not None:
        _out_path(args.plot, "--plot")
    expr = _expr(args.expr)
    wrt = _variables(expr, args.wrt)
    x0 = _numbers(args.x0, "--x0")
    if len(x0) == 1 and len(wrt) > 1:
        x0 = x0 * len(wrt)
    if len(x0) != len(wrt):  # checked here so the error is the only line
        raise InvalidParameterError(
            f"--x0 has {len(x0)} values for {len(wrt)} variables "
            f"({', '.join(s.name for s in wrt)})"
        )
    kwargs = {} if args.lr is None else {"lr": args.lr}
    optimizer = optim.get(args.optimizer, **kwargs)  # validate before running
    echo(f"optimizing f = {expr} over ({', '.join(s.name for s in wrt)}) with "
         f"{args.optimizer}{'' if args.lr is None else f' (lr={args.lr:g})'} from "
         f"x0 = {x0}, at most {args.steps} steps, tol {args.tol:g} ...")
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported
        result = calckit.minimize(expr, wrt, x0=x0, optimizer=optimizer,
                                  steps=args.steps, tol=args.tol)
        text = _result_text(result, args.format)
    if args.plot is not None:
        from calckit import plot

        fig = (plot.trajectories(expr, {args.optimizer: result}, wrt)
               if len(wrt) <= 2 else plot.loss_curves({args.optimizer: result}))
        text = _with_figure(text, fig, args.plot, args)
    return text, 0


def _result_text(result, fmt: str) -> str:
    status = ("diverged" if result.diverged else
              "converged" if result.converged else "not converged")
    if fmt == "json":
        return _json({"x": [float(v) for v in result.x],
                           "fun": float(result.fun), "nit": int(result.nit),
                           "converged": bool(result.converged),
                           "diverged": bool(result.diverged),
                           "status": status, "message": result.message}, indent=2)
    return f"{result}\nstatus: {status}"


PLOT_KINDS = ("taylor", "derivatives", "tangent", "gradient_field", "surface",
               "trajectories", "loss_curves", "learning_rates", "activations")


# the options each plot kind reads; any other one given is refused, not ignored
_PLOT_OPTIONS = MappingProxyType({
    "taylor": ("wrt", "xlim", "ylim", "at", "orders"),
    "derivatives": ("wrt", "xlim", "ylim", "orders"),
    "tangent": ("wrt", "xlim", "ylim", "at"),
    "gradient_field": ("wrt", "xlim", "ylim"),
    "surface": ("wrt", "xlim", "ylim"),
    "trajectories": ("wrt", "xlim", "ylim", "x0", "optimizers", "steps"),
    "loss_curves": ("x0", "optimizers", "steps"),
    "learning_rates": ("x0", "lrs", "steps"),
    "activations": ("xlim", "orders"),
})
PLOT_OPTIMIZERS = "sgd:0.001,adam:0.02,newton"  # trajectories, loss_curves


def _check_plot_options(args) -> None:
    """Refuse options the plot kind does not use (``--at`` for a surface)."""
    unused = [
        name for name in ("wrt", "xlim", "ylim", "at", "orders", "x0", "optimizers",
                          "steps", "lrs")
        if name not in _PLOT_OPTIONS[args.kind]
        and getattr(args, name, None) is not None
    ]
    if unused:
        raise InvalidParameterError(
            f"plot {args.kind} does not use --{unused[0]}; it takes "
            + (", ".join(f"--{n}" for n in _PLOT_OPTIONS[args.kind]))
        )


def _activation_names(text: str) -> list[str]:
    """``"relu, gelu tanh"`` -> the registry names (unknown ones raise)."""
    from calckit import activations

    names = [n for n in text.replace(",", " ").split() if n]
    if not names:
        raise InvalidParameterError("plot activations: EXPR names no activation")
    for name in names:
        activations.get(name)  # UnknownNameError with close matches
    return names


def cmd_plot(args):
    from calckit import optim, plot

    kind = args.kind
    _out_path(args.out, "--out")
    _check_plot_options(args)
    if kind != "activations" and kind != "learning_rates" and not args.expr:
        raise InvalidParameterError(f"plot {args.kind} needs an expression")
    if kind == "activations":
        names = _activation_names(args.expr) if args.expr is not None else None
        options = {"xlim": _pair(args.xlim, "--xlim")} if args.xlim else {}
        if args.orders is not None:
            options["orders"] = _orders(args.orders)
        return _save(plot.activations(names, **options), args.out, "--out"), 0
    expr = _expr(args.expr) if args.expr else None
    lim = {}
    if args.xlim is not None:
        lim["xlim"] = _pair(args.xlim, "--xlim")
    if args.ylim is not None:
        lim["ylim"] = _pair(args.ylim, "--ylim")
    at = _numbers(args.at, "--at") if args.at is not None else None
    if kind == "taylor":
        orders = _orders("1,2,3,5" if args.orders is None else args.orders)
        fig = plot.taylor(expr, args.wrt, at=at[0] if at else 0.0, orders=orders,
                          **lim)
    elif kind == "derivatives":
        orders = _orders("0,1,2" if args.orders is None else args.orders)
        fig = plot.derivatives(expr, args.wrt, orders=orders,
                               **lim)
    elif kind == "tangent":
        fig = plot.tangent(expr, at if at else 0.0, args.wrt, **lim)
    elif kind in ("gradient_field", "surface"):
        fig = getattr(plot, kind)(expr, args.wrt, **lim)
    elif kind in ("trajectories", "loss_curves"):
        if args.x0 is None:
            raise InvalidParameterError(f"plot {args.kind} needs --x0")
        chosen = PLOT_OPTIMIZERS if args.optimizers is None else args.optimizers
        runs = optim.compare(expr, _numbers(args.x0, "--x0"),
                             _parse_optimizers(chosen),
                             steps=1000 if args.steps is None else args.steps)
        fig = (plot.trajectories(expr, runs, args.wrt, **lim)
               if kind == "trajectories" else plot.loss_curves(runs))
    else:  # learning_rates
        lrs = (_numbers(args.lrs, "--lrs") if args.lrs is not None
               else (0.01, 0.1, 0.5, 1.0))
        x0 = _numbers(args.x0, "--x0") if args.x0 is not None else None
        fig = plot.learning_rates(expr if expr is not None else "x**2 + 10", x0=x0,
                                  lrs=lrs, steps=30 if args.steps is None
                                  else args.steps)
    return _save(fig, args.out, "--out"), 0


def cmd_tour(args, echo):
    from calckit import tour

    tour.run(args.out, emit=echo, quick=args.quick)  # the tour lists its files
    return "", 0


COMMANDS = MappingProxyType({
    "diff": cmd_diff, "grad": cmd_grad, "hessian": cmd_hessian, "taylor": cmd_taylor,
    "table": cmd_table, "gradcheck": cmd_gradcheck, "plot": cmd_plot,
})
