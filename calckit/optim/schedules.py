"""Learning-rate schedules: callables from the step count to a learning rate.

A schedule can stand wherever a learning rate can (``SGD(lr=cosine(...))``).
The optimizer calls it with the number of steps already taken (0 for the
first step) from its state, so a schedule is a pure function of the step.
Each schedule also accepts an integer array of steps and returns an array,
for plotting.

>>> from calckit.optim import schedules
>>> lr = schedules.join([schedules.linear_warmup(0.1, 5),
...                      schedules.cosine(0.1, 10)], boundaries=[5])
>>> [round(lr(s), 4) for s in (0, 4, 5, 10, 15, 20)]
[0.0, 0.08, 0.1, 0.05, 0.0, 0.0]
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from calckit._validate import Interval, positive_int, validate
from calckit.errors import InvalidParameterError

__all__ = [
    "Schedule",
    "constant",
    "step",
    "exponential",
    "cosine",
    "linear_warmup",
    "join",
]

_NONNEG = Interval(0, None)


def _steps(count: Any):
    """``count`` as a float (scalar) or float array, never negative."""
    s = np.asarray(count, dtype=np.float64)
    return np.maximum(s, 0.0)


def _out(value: Any, count: Any):
    arr = np.broadcast_to(value, np.shape(count)).astype(np.float64)
    return float(arr) if arr.ndim == 0 else arr


class Schedule:
    """A learning-rate schedule: ``schedule(step) -> lr``.

    Holds its arguments (``repr`` shows them) and a pure rule; build one with
    the functions of this module.
    """

    def __init__(self, name: str, rule: Callable, **args: Any) -> None:
        self._name, self._rule, self._args = name, rule, args

    def __call__(self, count: Any):
        return _out(self._rule(_steps(count)), count)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._args.items())
        return f"{self._name}({args})"


def constant(lr: float) -> Schedule:
    """The same learning rate at every step.

    >>> constant(0.01)(123)
    0.01
    """
    validate("constant", {"lr": _NONNEG}, {"lr": lr})
    return Schedule("constant", lambda s: np.full(np.shape(s), float(lr)), lr=lr)


def step(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """``lr * gamma ** (step // step_size)``, as PyTorch's ``StepLR``.

    >>> [step(1.0, 2, gamma=0.5)(s) for s in range(5)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """
    positive_int(step_size, "step_size", "step")
    validate("step", {"lr": _NONNEG, "gamma": _NONNEG}, {"lr": lr, "gamma": gamma})
    return Schedule(
        "step",
        lambda s: lr * gamma ** np.floor(s / step_size),
        lr=lr,
        step_size=step_size,
        gamma=gamma,
    )


def exponential(lr: float, gamma: float) -> Schedule:
    """``lr * gamma ** step``, as PyTorch's ``ExponentialLR``.

    >>> round(exponential(1.0, 0.9)(2), 12)
    0.81
    """
    validate(
        "exponential", {"lr": _NONNEG, "gamma": _NONNEG}, {"lr": lr, "gamma": gamma}
    )
    return Schedule("exponential", lambda s: lr * gamma**s, lr=lr, gamma=gamma)


def cosine(lr: float, total_steps: int, eta_min: float = 0.0) -> Schedule:
    """Cosine annealing from ``lr`` to ``eta_min`` over ``total_steps``, then
    ``eta_min``:
    ``eta_min + (lr - eta_min) * (1 + cos(pi * min(step, T) / T)) / 2``
    (PyTorch's ``CosineAnnealingLR`` closed form, held at the end).

    >>> c = cosine(1.0, 10)
    >>> c(0), round(c(5), 12), c(10), c(50)
    (1.0, 0.5, 0.0, 0.0)
    """
    positive_int(total_steps, "total_steps", "cosine")
    validate(
        "cosine", {"lr": _NONNEG, "eta_min": _NONNEG}, {"lr": lr, "eta_min": eta_min}
    )

    def rule(s):
        frac = np.minimum(s, total_steps) / total_steps
        return eta_min + (lr - eta_min) * (1.0 + np.cos(np.pi * frac)) / 2.0

    return Schedule("cosine", rule, lr=lr, total_steps=total_steps, eta_min=eta_min)


def linear_warmup(lr: float, warmup_steps: int, start: float = 0.0) -> Schedule:
    """Linear ramp from ``start`` (step 0) to ``lr`` (step ``warmup_steps``),
    then ``lr``.

    >>> w = linear_warmup(1.0, 4)
    >>> [w(s) for s in range(6)]
    [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    positive_int(warmup_steps, "warmup_steps", "linear_warmup")
    validate(
        "linear_warmup", {"lr": _NONNEG, "start": _NONNEG}, {"lr": lr, "start": start}
    )

    def rule(s):
        frac = np.minimum(s, warmup_steps) / warmup_steps
        return start + (lr - start) * frac

    return Schedule(
        "linear_warmup", rule, lr=lr, warmup_steps=warmup_steps, start=start
    )


def join(schedules: Sequence[Callable], boundaries: Sequence[int]) -> Schedule:
    """Schedule ``i`` runs from ``boundaries[i - 1]`` on, restarted at step 0
    there (optax's ``join_schedules``). ``len(boundaries)`` must be
    ``len(schedules) - 1``, increasing.

    >>> j = join([constant(1.0), exponential(0.5, 0.5)], boundaries=[2])
    >>> [j(s) for s in range(5)]
    [1.0, 1.0, 0.5, 0.25, 0.125]
    """
    schedules = list(schedules)
    boundaries = list(boundaries)
    if not schedules or not all(callable(s) for s in schedules):
        raise InvalidParameterError(
            "The 'schedules' parameter of join must be a non-empty sequence of "
            f"schedules (callables). Got {schedules!r} instead."
        )
    ok = len(boundaries) == len(schedules) - 1 and all(
        isinstance(b, numbers.Integral) and b >= 0 for b in boundaries
    )
    pairs = zip(boundaries, boundaries[1:], strict=False)
    if not ok or any(b2 <= b1 for b1, b2 in pairs):
        raise InvalidParameterError(
            "The 'boundaries' parameter of join must be "
            f"{len(schedules) - 1} increasing non-negative ints (one fewer than "
            f"the schedules). Got {boundaries!r} instead."
        )
    starts = [0, *boundaries]
    vectorised = all(isinstance(sch, Schedule) for sch in schedules)

    def at(step: float) -> float:
        # only the active piece is called, with its own (non-negative) step,
        # an int when the step is whole: a user schedule may index a list
        i = int(np.searchsorted(boundaries, step, side="right"))
        local = step - starts[i]
        local = int(local) if float(local).is_integer() else local
        return float(schedules[i](local))

    def rule(s):
        if s.ndim == 0:
            return at(float(s))
        if not vectorised:  # user callables may only take one step
            return np.array([at(v) for v in s.ravel()]).reshape(s.shape)
        out = np.asarray(schedules[0](s), dtype=np.float64)
        for sched, b in zip(schedules[1:], boundaries, strict=True):
            out = np.where(s >= b, np.asarray(sched(s - b), dtype=np.float64), out)
        return out

    return Schedule("join", rule, schedules=schedules, boundaries=boundaries)
