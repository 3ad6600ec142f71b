"""Run several optimizers on one loss and tabulate the results.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from calckit._text import aligned
from calckit.errors import CalckitTypeError
from calckit.optim import Optimizer
from calckit.optimize._minimize import minimize

__all__ = ["compare", "comparison_table"]


def compare(
    expr: Any,
    x0: Any,
    optimizers: Mapping[str, Any],
    **common: Any,
) -> dict[str, Any]:
    """Minimize ``expr`` from ``x0`` with each optimizer; return
    ``{label: OptimizeResult}`` in the order given.

    Parameters
    ----------
    expr : str or sympy.Expr
        The loss.
    x0 : array-like
        Starting point, shared by every run.
    optimizers : mapping
        ``label -> spec``. A spec is a dict of keyword arguments for
        :func:`calckit.optim.get` (the label is the optimizer's name, unless
        the dict has an ``"optimizer"`` entry naming it, so that two Adams with
        different ``lr`` can be compared), or an :class:`Optimizer` instance.
    **common
        Passed to every :func:`calckit.minimize` call (``wrt``, ``steps``,
        ``tol``, ``params``).

    Examples
    --------
    >>> from calckit import optimize
    >>> runs = optimize.compare("x**2 + 3*y**2", [1.0, 1.0],
    ...                      {"sgd": {"lr": 0.1},
    ...                       "fast adam": {"optimizer": "adam", "lr": 0.1}},
    ...                      steps=500, tol=1e-6)
    >>> [(k, r.converged) for k, r in runs.items()]
    [('sgd', True), ('fast adam', True)]
    >>> print(optimize.comparison_table(runs))   # doctest: +ELLIPSIS
    optimizer  steps  converged  diverged  loss ...
    """
    if not isinstance(optimizers, Mapping) or not optimizers:
        raise CalckitTypeError(
            "compare: optimizers must be a non-empty dict label -> dict of "
            f"arguments or Optimizer, got {optimizers!r:.80}"
        )
    results = {}
    for label, spec in optimizers.items():
        if isinstance(spec, Optimizer):
            results[label] = minimize(expr, x0=x0, optimizer=spec, **common)
            continue
        if spec is None:
            spec = {}
        if not isinstance(spec, Mapping):
            raise CalckitTypeError(
                f"compare: the spec of {label!r} must be a dict of optimizer "
                f"arguments or an Optimizer, got {type(spec).__name__}"
            )
        kwargs = dict(spec)
        name = kwargs.pop("optimizer", label)
        results[label] = minimize(expr, x0=x0, optimizer=name, **common, **kwargs)
    return results


def comparison_table(results: Mapping[str, Any], *, digits: int = 4,
                     width: int | None = None) -> str:
    """An aligned text table of :func:`compare` results: steps taken,
    convergence, final loss, gradient norm and point. With ``width`` (a
    terminal's columns) every line fits in it: the point wrapped under its
    column, or one block per run (:func:`calckit._text.aligned`).

    >>> from types import SimpleNamespace as R
    >>> import numpy as np
    >>> r = R(nit=3, converged=True, diverged=False, fun=0.0,
    ...       grad=np.zeros(2), x=np.array([1.0, 2.0]))
    >>> print(comparison_table({"sgd": r}))
    optimizer  steps  converged  diverged  loss  |grad|  x
    ---------  -----  ---------  --------  ----  ------  ------
    sgd            3  yes        no           0       0  [1, 2]
    """
    header = ["optimizer", "steps", "converged", "diverged", "loss", "|grad|", "x"]
    rows = []
    for label, r in results.items():
        x = ", ".join(f"{v:.{digits}g}" for v in np.ravel(r.x))
        rows.append(
            [
                str(label),
                str(r.nit),
                "yes" if r.converged else "no",
                "yes" if r.diverged else "no",
                f"{r.fun:.{digits}g}",
                # hypot: no overflow for huge finite gradients
                f"{float(np.hypot.reduce(np.ravel(r.grad), initial=0.0)):.{digits}g}",
                f"[{x}]",
            ]
        )
    return aligned(header, rows, right={1, 4, 5}, rule=True, width=width)
