"""``calckit fit``: fit the parameters of a formula to data from a CSV file."""

from __future__ import annotations

import argparse
import csv

import numpy as np

import calckit
from calckit.cli import output, parser
from calckit.errors import InvalidParameterError

HELP = "fit a formula to data from a CSV file"
DESCRIPTION = ("Fit the parameters of MODEL, a formula in --x, to the columns "
               "--x and --y of CSV (a header row names the columns) by least "
               "squares with the exact Jacobian; prints the parameters with "
               "their standard errors. Exit status 0 when the fit converged, "
               "1 when it did not, 2 on bad input.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help='formula, e.g. "a*exp(-b*t) + c"')
    p.add_argument("csv", metavar="CSV", help="data file with a header row")
    p.add_argument("--x", required=True, help="the independent variable (a column)")
    p.add_argument("--y", default="y", help="the column to fit (default y)")
    p.add_argument("--p0", help="start values, e.g. a=1,b=2 (default: all 1)")
    p.add_argument("--method", default="lm", choices=("lm", "gauss-newton", "dogleg"),
                   help="least-squares method (default lm)")
    parser.add_plot_file(p, "data, fit and residuals")
    parser.add_formats(p, "json")


def read_columns(path: str, names: tuple[str, str]) -> tuple[np.ndarray, ...]:
    """The columns ``names`` of the CSV file at ``path`` as float arrays."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise InvalidParameterError(f"cannot read {path!r}: {exc.strerror}") from None
    if not rows:
        raise InvalidParameterError(f"{path!r} is empty")
    header = [h.strip() for h in rows[0]]
    missing = [n for n in names if n not in header]
    if missing:
        raise InvalidParameterError(
            f"{path!r} has no column {missing[0]!r}; its header names "
            f"{', '.join(header)}")
    cols = [header.index(n) for n in names]
    data: list[list[float]] = [[] for _ in names]
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        for out, col, name in zip(data, cols, names, strict=True):
            cell = row[col].strip() if col < len(row) else ""
            where = f"{path} line {line}, column {name!r}"
            if not cell:
                raise InvalidParameterError(f"{where} is empty")
            out.append(parser.number(cell, where))
    return tuple(np.array(d) for d in data)


def run(args: argparse.Namespace) -> int:
    if args.plot is not None:
        output.out_path(args.plot, "--plot")
    model = parser.expression(args.model)
    xdata, ydata = read_columns(args.csv, (args.x, args.y))
    p0 = None if args.p0 is None else parser.named_values(args.p0, "--p0")
    result = calckit.curve_fit(model, args.x, xdata, ydata, p0=p0,
                               method=args.method)
    if args.format == "json":
        text = output.to_json({
            "model": str(model), "x": args.x, "points": len(xdata),
            "params": {k: float(v) for k, v in result.params.items()},
            "errors": {k: float(v) for k, v in result.errors.items()},
            "status": result.status, "converged": bool(result.converged)})
    else:
        text = str(result)
    if args.plot is not None:
        from calckit import plot  # lazy: matplotlib

        text = output.with_figure(text, plot.fit(result), args.plot, args)
    output.echo(text)
    return 0 if result.converged else 1
