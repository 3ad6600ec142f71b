"""The calckit tour: the library's main job, end to end, offline, in well
under a minute (``calckit tour``).

1. derive the gradient of a loss and check it numerically (gradcheck);
2. a derivative table of every activation;
3. a Taylor polynomial with its rigorous error bound beside the measured
   error;
4. several optimizers on Rosenbrock, compared;
5. a small network trained on XOR, with a backprop gradient check;
6. figures (PNG) written to ``./calckit-tour/`` (or ``out``).

This module does not print: each section's text goes to ``emit`` (the
command passes ``print``), and :func:`run` returns every section and file.
A ``tqdm`` progress bar over the sections goes to stderr when stderr is a
terminal (``progress=None``; ``True`` or ``False`` force it on or off).
"""

from __future__ import annotations

import os
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import sympy as sp

from calckit import _progress

__all__ = ["TourResult", "run"]

ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"

#: The optimizers compared on Rosenbrock, labelled with what sets them apart.
OPTIMIZERS = MappingProxyType({
    "sgd (momentum 0.9)": MappingProxyType(
        {"optimizer": "sgd", "lr": 1e-3, "momentum": 0.9}),
    "adam (lr 0.02)": MappingProxyType({"optimizer": "adam", "lr": 0.02}),
    "rmsprop (lr 0.001)": MappingProxyType({"optimizer": "rmsprop", "lr": 1e-3}),
    "newton": MappingProxyType({}),
})


@dataclass
class TourResult:
    """What the tour did: its text sections, the figures, and key results."""

    out_dir: str
    sections: list = field(default_factory=list)
    files: list = field(default_factory=list)
    checks: dict = field(default_factory=dict)
    seconds: float = 0.0


def _section(result: TourResult, emit, title: str, body: str,
             width: int | None = None) -> None:
    text = _fit_lines(f"\n== {title} ==\n{body.rstrip()}", width)
    result.sections.append((title, body))
    if emit is not None:
        emit(text)


def _fit_lines(text: str, width: int | None) -> str:
    """Each line of ``text`` longer than ``width`` wrapped at spaces (its
    later lines indented two more); tables, already narrow, are untouched.

    >>> print(_fit_lines("short\\nf = a*b + c*d + e*f", 12))
    short
    f = a*b +
      c*d + e*f
    """
    if width is None:
        return text
    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        out.append(textwrap.fill(line, width, subsequent_indent=indent,
                                 break_long_words=False, break_on_hyphens=False))
    return "\n".join(out)


def _save(result: TourResult, fig, name: str) -> str:
    path = os.path.join(result.out_dir, name)
    fig.savefig(path, dpi=100)
    result.files.append(path)
    return path


def _convergence_note(runs: dict, tol: float, steps: int) -> str:
    """What "converged" means in the comparison table, and which runs came
    near the minimum without meeting it (a loss of 1e-12 marked "no")."""
    near = [f"{label} (loss {r.fun:.2g}, |grad| {r.grad_norm:.2g})"
            for label, r in runs.items()
            if not r.converged and not r.diverged and r.fun < 1e-6]
    note = (f"converged: |grad| < tol = {tol:g} within {steps} steps "
            "(the loss alone does not tell)")
    if near:
        note += f"; near the minimum but above the tolerance: {', '.join(near)}"
    return textwrap.fill(note, 80, subsequent_indent="  ")


def run(out: str = "calckit-tour", *, emit: Callable[[str], None] | None = None,
        quick: bool = False, seed: int = 0,
        table_text: Callable[[Any], str] | None = None,
        progress: bool | None = None, width: int | None = 80) -> TourResult:
    """Run the tour; figures go to the folder ``out`` (created if needed).

    Parameters
    ----------
    out : str
        Folder for the PNG figures.
    emit : callable, optional
        Receives the text of each section as it is ready (e.g. ``print``).
    quick : bool
        Fewer optimizer steps and training epochs (for tests).
    table_text : callable, optional
        Renders a derivative table as text (default: ``table.text(width)``).
    width : int or None, default 80
        Columns the text fits in (tables, gradcheck reports and the
        optimizer comparison; the command passes the terminal's width);
        ``None``: no limit.
    seed : int
        Seed of the network's initialisation and training.
    progress : bool or None, default None
        A ``tqdm`` bar over the five sections, on stderr: ``True`` always,
        ``False`` never, ``None`` when stderr is a terminal.

    Returns
    -------
    TourResult
    """
    start = time.perf_counter()
    os.makedirs(out, exist_ok=True)
    result = TourResult(out_dir=out)
    steps = _progress.progress(
        _sections(result, quick=quick, seed=seed, width=width,
                  table_text=table_text or (lambda table: table.text(width))),
        enabled=progress, desc="calckit tour", total=SECTIONS)
    say = _progress.write_beside(steps, emit)
    for title, body in steps:
        _section(result, say, title, body, width)

    result.seconds = time.perf_counter() - start
    listing = "\n".join(f"  {os.path.basename(p)}" for p in result.files)
    _section(result, emit, "Figures",
             f"{len(result.files)} PNG figures written to {os.path.abspath(out)}/ "
             f"(tour took {result.seconds:.1f} s):\n{listing}", width)
    return result


#: Number of sections :func:`_sections` yields (the progress bar's total).
SECTIONS = 5


def _sections(result: TourResult, *, quick: bool, seed: int,
              table_text: Callable[[Any], str], width: int | None = 80,
              ) -> Iterator[tuple[str, str]]:
    """Run the tour's sections one by one, yielding each ``(title, body)``."""
    import calckit as ck
    from calckit import datasets, losses, nn, optimize, plot, tables
    from calckit.symbolic.remainder import remainder_bound

    # 1. the gradient of a loss, derived and checked --------------------------
    w, b, x, y = sp.symbols("w b x y", real=True)
    loss = losses.get("bce_with_logits")(y, w * x + b)
    g = ck.grad(loss, [w, b])
    report = ck.gradcheck(loss, wrt=[w, b], at={"w": 0.7, "b": -0.3},
                          params={"x": 1.5, "y": 1.0})
    result.checks["loss_gradcheck"] = bool(report.ok)
    body = (f"loss(w, b) = bce_with_logits(y, w*x + b) = {loss}\n"
            f"dloss/dw = {g[0]}\ndloss/db = {g[1]}\n"
            f"checked at w=0.7, b=-0.3 (x=1.5, y=1) against numeric "
            f"differentiation:\n{report.text(width)}")
    yield "1. Gradient of a loss, derived and checked", body

    # 2. activations --------------------------------------------------------
    table = tables.activation_table(orders=(0, 1), at=[1.0])
    yield "2. Activations and their derivatives", table_text(table)
    _save(result, plot.activations(), "activations.png")

    # 3. Taylor with a rigorous bound ---------------------------------------
    t = sp.Symbol("x", real=True)
    lines = []
    for expr, a, interval, order in ((sp.exp(t), 0, (-1, 1), 5),
                                     (sp.log(t), 1, (0.5, 1.5), 3)):
        lag = remainder_bound(expr, [t], a, order, interval)
        integ = remainder_bound(expr, [t], a, order, interval, method="integral")
        result.checks[f"taylor {expr}"] = lag.holds and integ.holds
        lines.append(f"{expr} about {a}, order {order}: p = {lag.polynomial}")
        lines.append(textwrap.fill(
            f"on {list(interval)}: measured max |f - p| = {lag.measured:.3e}; "
            f"rigorous bounds: Lagrange {lag.bound:.3e} "
            f"({lag.ratio:.1f}x), integral form {integ.bound:.3e} "
            f"({integ.ratio:.2f}x)", 80, initial_indent="  ",
            subsequent_indent="    "))
    yield "3. Taylor polynomials with rigorous error bounds", "\n".join(lines)
    _save(result, plot.taylor(sp.exp(t), t, at=0, orders=(1, 2, 3, 5),
                              xlim=(-2, 2)), "taylor_exp.png")

    # 4. optimizers on Rosenbrock -------------------------------------------
    steps, tol = (600 if quick else 3000), 1e-8
    runs = optimize.compare(ROSENBROCK, [-1.2, 1.0], OPTIMIZERS, steps=steps, tol=tol)
    result.checks["newton_converged"] = bool(runs["newton"].converged)
    yield (f"4. Optimizers on Rosenbrock {ROSENBROCK} from (-1.2, 1), at most "
           f"{steps} steps",
           f"{optimize.comparison_table(runs, width=width)}\n"
           f"{_convergence_note(runs, tol, steps)}")
    _save(result, plot.trajectories(ROSENBROCK, runs, xlim=(-1.6, 1.6),
                                    ylim=(-0.6, 1.6)), "rosenbrock_paths.png")
    _save(result, plot.loss_curves(runs, title="Rosenbrock: loss per step"),
          "rosenbrock_losses.png")
    _save(result, plot.gradient_field("x**2 + 10*y**2 + x*y", xlim=(-2, 2),
                                      ylim=(-2, 2)), "gradient_field.png")
    _save(result, plot.learning_rates("x**2 + 10", x0=[3.0],
                                      lrs=(0.01, 0.1, 0.5, 1.0), steps=30),
          "learning_rates.png")

    # 5. a network on XOR ---------------------------------------------------
    X, labels = datasets.xor()
    target = labels.astype(float)
    rng = np.random.default_rng(seed)
    model = nn.Sequential([nn.Dense(2, 8, rng=rng), nn.Activation("tanh"),
                           nn.Dense(8, 1, rng=rng), nn.Activation("sigmoid")])
    check = model.gradcheck(X, target, "binary_cross_entropy")
    history = model.fit(X, target, loss="binary_cross_entropy", optimizer="adam",
                        lr=0.05, epochs=150 if quick else 500, batch_size=4,
                        seed=seed, progress=False)
    probs = np.asarray(model.predict(X)).ravel()
    accuracy = float(np.mean((probs > 0.5) == (labels > 0.5)))
    result.checks["xor_gradcheck"] = bool(check.ok)
    result.checks["xor_accuracy"] = accuracy
    rows = "\n".join(f"  {xi.tolist()} -> {p:.3f} (target {int(t_)})"
                     for xi, p, t_ in zip(X, probs, labels, strict=True))
    yield ("5. A 2-8-1 tanh network on XOR",
           f"backprop gradient check before training:\n{check.text(width)}\n"
           f"trained {len(history.loss)} epochs (Adam, lr 0.05): final loss "
           f"{history.loss[-1]:.4g}, accuracy {accuracy:.0%}\n{rows}")
    _save(result, plot.decision_boundary(model, X, labels,
                                         title="XOR: decision boundary"),
          "xor_boundary.png")
    _save(result, plot.loss_curves({"xor": history.loss}, xlabel="epoch",
                                   title="XOR: training loss"), "xor_loss.png")

