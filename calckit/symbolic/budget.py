"""Explicit work budgets for symbolic work: :class:`Budget`.

Derivation, expansion and compilation can grow without bound on short
inputs (the 500th derivative of ``exp(x**2)``, the 20th of
``tan(tan(tan(x)))``). Every such step takes a keyword-only ``max_ops``: the
number of operations it may perform, counted *as the work grows* (not
measured afterwards), and raises :class:`calckit.errors.WorkLimitError`
naming the step, the budget and how to raise it as soon as the count passes
the budget. ``max_ops=None`` means no limit.

One :class:`Budget` is made per public call and passed down explicitly; it
is never global. An "operation" is one node of SymPy expression built or
visited by the step, a unit that tracks time within a small factor.

>>> b = Budget(10, "derivative of x**2")
>>> b.charge(4); b.used
4
>>> b.charge(7)
Traceback (most recent call last):
...
calckit.errors.WorkLimitError: derivative of x**2 needs more than max_ops=10 ...
>>> Budget(None, "anything").charge(10**9)  # unlimited
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import sympy as sp

from calckit.errors import InvalidParameterError, WorkLimitError

__all__ = ["DEFAULT_MAX_OPS", "Budget", "check_max_ops", "node_count"]

#: default budget of the derivation steps (derivative, grad, jacobian,
#: hessian, taylor, directional_derivative): about a second of SymPy work
DEFAULT_MAX_OPS = 20_000


def check_max_ops(max_ops) -> int | None:
    """``max_ops`` validated: a positive int, or None (no limit).

    >>> check_max_ops(None), check_max_ops(5)
    (None, 5)
    >>> check_max_ops(0)
    Traceback (most recent call last):
    ...
    calckit.errors.InvalidParameterError: max_ops must be a positive int or None, got 0
    """
    if max_ops is None:
        return None
    if isinstance(max_ops, bool) or not isinstance(max_ops, numbers.Integral) or (
        max_ops < 1
    ):
        raise InvalidParameterError(
            f"max_ops must be a positive int or None, got {max_ops!r}"
        )
    return int(max_ops)


class Budget:
    """A count of operations against a limit, for one named step.

    Parameters
    ----------
    max_ops : int or None
        The limit (validated by :func:`check_max_ops`); None: unlimited.
    step : str or callable
        What the work is, for the error message (``"grad of exp(x*y)"``), or
        a function returning it: called only when the message is written, so
        that no work is spent printing an expression that stays in budget.

    Attributes
    ----------
    used : int
        Operations charged so far.
    """

    __slots__ = ("max_ops", "step", "used")

    def __init__(self, max_ops, step: str | Callable[[], str]):
        self.max_ops = check_max_ops(max_ops)
        self.step = step
        self.used = 0

    def charge(self, n: int = 1) -> None:
        """Count ``n`` more operations; :class:`WorkLimitError` past the limit."""
        self.used += n
        if self.max_ops is not None and self.used > self.max_ops:
            raise WorkLimitError(
                f"{self._step()} needs more than max_ops={self.max_ops} operations; "
                "pass max_ops=... (a larger int, or None for no limit) to allow more"
            )

    def _step(self) -> str:
        return self.step() if callable(self.step) else self.step

    def require(self, n: int, what: str) -> None:
        """Refuse up front work known to need ``n`` operations (``what``
        says which), before any of it is done."""
        if self.max_ops is not None and self.used + n > self.max_ops:
            raise WorkLimitError(
                f"{self._step()} needs {what} (about {n} operations), more than "
                f"max_ops={self.max_ops}; pass max_ops=... (a larger int, or None "
                "for no limit) to allow more"
            )


def node_count(expr: sp.Basic, limit: int | None = None) -> int:
    """Nodes of ``expr`` as a tree, counting stops a little past ``limit``.

    >>> x = sp.Symbol("x")
    >>> node_count(sp.sin(x) + x**2)
    6
    """
    count = 0
    stack = [expr]
    while stack:
        node = stack.pop()
        count += 1
        if limit is not None and count > limit:
            return count
        stack.extend(node.args)
    return count
