"""Shared pieces of the optimizers: type aliases, parameter trees, validation.

Parameters are either one ``ndarray`` or a ``dict`` of ndarrays (a flat
"tree"); every optimizer returns the same structure it was given. State is a
``NamedTuple`` whose first field is the step ``count`` (steps already taken)
and whose other fields are buffers shaped like the parameters.

Hyperparameters are validated once, at construction, from constraints that
each optimizer declares as data (``_constraints``), in the manner of
scikit-learn's ``_parameter_constraints`` (the constraints live in
:mod:`calckit._validate`, and are importable from here too):

>>> Interval(0, 1, closed="left").describe()
'a float in [0, 1)'
>>> Pair(Interval(0, 1, closed="left")).describe()
'two floats in [0, 1)'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Union

import numpy as np

from calckit._validate import Boolean, Interval, Options, Pair, validate
from calckit.errors import CalckitTypeError, InvalidParameterError, ShapeError

__all__ = [
    "Params",
    "Schedule",
    "ScalarOrSchedule",
    "Optimizer",
    "Interval",
    "Pair",
    "Boolean",
    "Options",
    "LearningRate",
    "as_params",
    "tree_zeros_like",
    "tree_full_like",
]

Params = Union[np.ndarray, "dict[str, np.ndarray]"]  # noqa: UP007
Schedule = Callable[[int], float]
_F64 = np.dtype(np.float64)
ScalarOrSchedule = Union[float, Schedule]  # noqa: UP007


# ----------------------------------------------------------------------------
# Constraints declared as data
# ----------------------------------------------------------------------------


class LearningRate:
    """A non-negative float, or a schedule: a callable ``step -> lr``."""

    def is_satisfied_by(self, value: Any) -> bool:
        return callable(value) or Interval(0, None).is_satisfied_by(value)

    def describe(self) -> str:
        return "a float in [0, inf) or a schedule (a callable step -> lr)"


# ----------------------------------------------------------------------------
# Parameter trees (an ndarray or a flat dict of ndarrays)
# ----------------------------------------------------------------------------


def _as_leaf(value: Any, what: str) -> np.ndarray:
    if type(value) is np.ndarray and value.dtype == _F64:
        return value
    if np.iscomplexobj(value):
        # float64 conversion would silently drop the imaginary parts
        raise CalckitTypeError(
            f"{what} must be real, got complex values: {value!r:.80}"
        )
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise CalckitTypeError(
            f"{what} must be an array of real numbers, got {type(value).__name__}: "
            f"{value!r:.80}"
        ) from exc
    return arr


def as_params(value: Any, what: str = "params") -> Params:
    """``value`` as float64: an ndarray, or a dict of ndarrays (new objects)."""
    if isinstance(value, Mapping):
        return {k: _as_leaf(v, f"{what}[{k!r}]") for k, v in value.items()}
    return _as_leaf(value, what)


def _check_same_tree(params: Params, grads: Any, owner: str) -> None:
    if isinstance(params, dict):
        if not isinstance(grads, Mapping) or grads.keys() != params.keys():
            got = sorted(grads) if isinstance(grads, Mapping) else type(grads).__name__
            raise ShapeError(
                f"{owner}.step: grads must be a dict with the keys of params "
                f"{sorted(params)}, got {got}"
            )
    elif isinstance(grads, Mapping):
        raise ShapeError(
            f"{owner}.step: params is an array but grads is a dict; "
            "pass grads with the structure of params"
        )


def _leaf_pair(
    p: Any, g: Any, owner: str, key: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    where = "" if key is None else f"[{key!r}]"
    p = _as_leaf(p, f"{owner}.step: params{where}")
    g = _as_leaf(g, f"{owner}.step: grads{where}")
    if p.shape != g.shape:
        raise ShapeError(
            f"{owner}.step: grads{where} has shape {g.shape} but params{where} "
            f"has shape {p.shape}"
        )
    return p, g


def tree_zeros_like(params: Params) -> Params:
    """Zeros (float64) with the structure and shapes of ``params``."""
    return tree_full_like(params, 0.0)


def tree_full_like(params: Params, value: float) -> Params:
    """Arrays filled with ``value`` shaped like ``params``."""
    if isinstance(params, dict):
        return {k: np.full(np.shape(v), value, dtype=np.float64)
                for k, v in params.items()}
    return np.full(np.shape(params), value, dtype=np.float64)


# ----------------------------------------------------------------------------
# The optimizer base class
# ----------------------------------------------------------------------------


class Optimizer:
    """Base of the optimizers: hyperparameters only, pure ``init``/``step``.

    Subclasses declare ``_constraints`` (name -> constraint), a ``State``
    NamedTuple whose first field is ``count`` and whose other fields are
    buffers shaped like the parameters (``None`` for an unused buffer), and
    implement ``_leaf(p, g, bufs, t, lr) -> (new_p, new_bufs)`` for one array,
    where ``t`` is the 1-based step number and ``lr`` the learning rate of
    this step. The base class maps ``_leaf`` over dict parameters.
    """

    _constraints: ClassVar[Mapping[str, Any]] = MappingProxyType({})
    _checks: ClassVar[tuple] = ()  # (predicate(hyper) -> bool, message)
    # a NamedTuple class; ``type[Any]`` as mypy cannot express "some
    # NamedTuple whose first field is count"
    State: ClassVar[type[Any]]
    # set by _setup
    _hyper: dict[str, Any]
    _lr: float | None  # the constant learning rate (None: scheduled, or none)
    _schedule: Schedule | None  # the learning-rate schedule, if lr is one
    _used: tuple[bool, ...]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # the declared constraints are class-wide data: read-only once declared
        cls._constraints = MappingProxyType(dict(cls._constraints))

    def _setup(self, **hyper: Any) -> None:
        validate(type(self).__name__, self._constraints, hyper)
        for predicate, message in self._checks:
            if not predicate(hyper):
                raise InvalidParameterError(
                    f"{type(self).__name__}: {message}. Got "
                    + ", ".join(f"{k}={v!r}" for k, v in hyper.items())
                    + " instead."
                )
        self._hyper = dict(hyper)
        for k, v in hyper.items():
            setattr(self, k, v)
        lr = hyper.get("lr")
        self._schedule = lr if callable(lr) else None
        self._lr = None if callable(lr) else lr
        # which State buffers this configuration uses (for checking states)
        self._used = tuple(b is not None for b in self._buffers(np.zeros(0)))
        self._freeze()

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """The hyperparameters, as given to the constructor."""
        return dict(self._hyper)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._hyper.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._hyper == other._hyper

    def __hash__(self) -> int:
        return hash((type(self), repr(self)))

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_frozen", False):
            raise AttributeError(
                f"{type(self).__name__} is immutable; build a new one with "
                f"different {name!r}"
            )
        object.__setattr__(self, name, value)

    def _freeze(self) -> None:
        object.__setattr__(self, "_frozen", True)

    # -- the pure API --------------------------------------------------------

    def _buffers(self, params: Params) -> tuple:
        """Initial buffers (one entry per State field after ``count``)."""
        raise NotImplementedError

    def init(self, params: Params) -> Any:
        """Return the initial state for ``params`` (an ndarray or a dict)."""
        params = as_params(params)
        return self.State(0, *self._buffers(params))

    def learning_rate(self, count: int) -> float | None:
        """The learning rate of the step taken after ``count`` steps (``None``
        for an optimizer without one, such as :class:`Newton`)."""
        if self._schedule is None:
            return self._lr
        return self._scheduled_lr(self._schedule, count)

    def _scheduled_lr(self, schedule: Schedule, count: int) -> float:
        """The schedule's value at ``count``, checked: a finite float >= 0."""
        value = schedule(count)
        owner = type(self).__name__
        try:
            lr = float(value)
        except (TypeError, ValueError) as exc:
            raise CalckitTypeError(
                f"The learning-rate schedule of {owner} must return one float, "
                f"got {type(value).__name__} {value!r:.60} at step {count}"
            ) from exc
        if not (lr >= 0.0 and math.isfinite(lr)):
            raise InvalidParameterError(
                f"The learning-rate schedule of {owner} returned {lr!r} at step "
                f"{count}; a learning rate must be a finite float >= 0."
            )
        return lr

    def _check_state(self, params: Any, bufs: tuple) -> None:
        """ShapeError unless every buffer of the state has the structure and
        shapes of ``params`` (a state from ``init`` of other parameters, or
        of an optimizer configured differently, would otherwise broadcast
        silently or fail deep inside NumPy)."""
        owner = type(self).__name__
        fields = self.State._fields[1:]
        for name, used, buf in zip(fields, self._used, bufs, strict=True):
            if not used:
                continue
            problem = None
            if buf is None:
                problem = "is None (this optimizer's settings need it)"
            elif isinstance(params, Mapping):
                if not isinstance(buf, Mapping) or buf.keys() != params.keys():
                    got = (sorted(buf) if isinstance(buf, Mapping)
                           else f"an array of shape {np.shape(buf)}")
                    problem = f"must be a dict with keys {sorted(params)}, got {got}"
                else:
                    for k, v in params.items():
                        if np.shape(buf[k]) != np.shape(v):
                            problem = (f"[{k!r}] has shape {np.shape(buf[k])} but "
                                       f"params[{k!r}] has shape {np.shape(v)}")
                            break
            elif isinstance(buf, Mapping):
                problem = f"is a dict (keys {sorted(buf)}) but params is an array"
            elif np.shape(buf) != np.shape(params):
                problem = (f"has shape {np.shape(buf)} but params has shape "
                           f"{np.shape(params)}")
            if problem is not None:
                raise ShapeError(
                    f"{owner}.step: state.{name} {problem}; pass the state that "
                    f"{owner}.init returned for these params"
                )

    def step(self, params: Params, grads: Params, state: Any) -> tuple[Params, Any]:
        """One update: return ``(new_params, new_state)``; inputs are not
        modified."""
        if type(state) is not self.State and not isinstance(state, self.State):
            owner = type(self).__name__
            raise CalckitTypeError(
                f"{owner}.step: state must be the {self.State.__name__} returned "
                f"by {owner}.init, got {type(state).__name__}"
            )
        count = state.count
        t = count + 1
        lr = (self._lr if self._schedule is None
              else self._scheduled_lr(self._schedule, count))
        bufs = state[1:]
        if type(params) is not np.ndarray or not all(
            getattr(b, "shape", None) == params.shape
            for b, used in zip(bufs, self._used, strict=True) if used
        ):
            self._check_state(params, bufs)
        if (
            type(params) is np.ndarray
            and type(grads) is np.ndarray
            and params.dtype is _F64
            and grads.dtype is _F64
            and params.shape == grads.shape
        ):  # fast path: nothing to convert or check
            new_p, new_b = self._leaf(params, grads, bufs, t, lr)
            return new_p, self.State(t, *new_b)
        return self._step_general(params, grads, bufs, t, lr)

    def _step_general(
        self, params: Params, grads: Any, bufs: tuple, t: int, lr: float | None
    ) -> tuple[Params, Any]:
        owner = type(self).__name__
        if isinstance(params, dict):
            _check_same_tree(params, grads, owner)
            out: dict[str, np.ndarray] = {}
            # one dict per buffer; those the state has as None stay None
            new_bufs: list[dict[str, Any]] = [{} for _ in bufs]
            for k in params:
                p, b = self._leaf(
                    *_leaf_pair(params[k], grads[k], owner, k),
                    tuple(None if b is None else b[k] for b in bufs),
                    t,
                    lr,
                )
                out[k] = p
                for i, bi in enumerate(b):
                    if bi is not None:
                        new_bufs[i][k] = bi
            return out, self.State(t, *(
                None if b is None else nb
                for b, nb in zip(bufs, new_bufs, strict=True)
            ))
        if isinstance(grads, Mapping):
            _check_same_tree(params, grads, owner)
        new_p, new_b = self._leaf(*_leaf_pair(params, grads, owner), bufs, t, lr)
        return new_p, self.State(t, *new_b)

    def _leaf(
        self, p: np.ndarray, g: np.ndarray, bufs: tuple, t: int, lr: Any
    ) -> tuple[np.ndarray, tuple]:  # pragma: no cover - abstract
        raise NotImplementedError
