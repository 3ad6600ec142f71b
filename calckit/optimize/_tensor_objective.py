"""The tensor path of :func:`calckit.minimize`: losses over weight vectors
and matrices (``ck.vector``, ``ck.matrix`` or text with ``shapes=``) and data
arrays, trained by any :mod:`calckit.optim` optimizer.

The variables are flattened into one point for the optimizer loop of
:mod:`calckit.optimize._driver`; the loss and its matrix-form gradients come
from one compiled kernel (:func:`calckit.compile_value_and_grad`), Newton
gets the matrix-form Hessian of a single vector variable, ``trust-ncg`` a
compiled Hessian-vector product. With ``batch_size=`` each step draws rows of
every data array along the row dim (the data dim no variable has), seeded.

>>> import numpy as np
>>> import calckit as ck
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(50, 3))
>>> y = X @ np.array([1.0, -2.0, 0.5])
>>> r = ck.minimize("mean((X @ w - y)**2)", wrt="w", x0=np.zeros(3),
...                 optimizer="newton", params={"X": X, "y": y},
...                 shapes={"X": ("n", "d"), "w": "d", "y": "n"})
>>> r.converged, r.x.round(8).tolist()
(True, [1.0, -2.0, 0.5])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from calckit._validate import positive_int
from calckit.errors import CalckitTypeError, InvalidParameterError, ShapeError
from calckit.kernels import tensor as K
from calckit.kernels.tensor_runtime import _bad_shape, split_flat
from calckit.optimize._driver import (
    Objective,
    OptimizeResult,
    _norm,
    _raw,
    path_steps,
    run,
)
from calckit.symbolic.tensor import derive as D
from calckit.symbolic.tensor import expr as E
from calckit.symbolic.tensor.grammar import as_tensor_expr

__all__ = ["TensorOptimizeResult", "minimize_tensor"]


@dataclass(frozen=True, repr=False)
class TensorOptimizeResult(OptimizeResult):
    """:class:`OptimizeResult` of a tensor loss.

    ``x`` and ``grad`` have the variable's shape (a dict name -> array for
    several variables); ``path`` holds flat points (the variables raveled
    and concatenated in ``wrt`` order), one row per step of ``path_steps``
    (every ``path_every``-th step and the last); ``losses`` has every step;
    ``flat_x`` is the final flat point; ``shapes`` maps each variable to its
    shape.
    """

    flat_x: np.ndarray = field(default_factory=lambda: np.zeros(0))
    shapes: Mapping = field(default_factory=dict)
    path_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, int))

    @property
    def grad_norm(self) -> float:
        g = self.grad if not isinstance(self.grad, Mapping) else np.concatenate(
            [np.ravel(v) for v in self.grad.values()])
        return _norm(np.ravel(g))

    def unflatten(self, flat) -> dict:
        """The variables (name -> array) of a flat point, e.g. a row of ``path``."""
        parts = split_flat(np.asarray(flat), self.shapes)
        return dict(zip(self.wrt, parts, strict=True))

    def __repr__(self) -> str:
        return (
            f"TensorOptimizeResult(wrt={self.wrt}, shapes={dict(self.shapes)}, "
            f"fun={self.fun:.6g}, nit={self.nit}, converged={self.converged}, "
            f"diverged={self.diverged}, status={self.status!r}, "
            f"message={self.message!r})"
        )

    def __str__(self) -> str:
        status = ("converged" if self.converged
                  else "diverged" if self.diverged else "not converged")
        sizes = ", ".join(f"{n} {tuple(s)}" for n, s in self.shapes.items())
        return (
            f"{status}: {self.message}\n  variables: {sizes}\n"
            f"  loss: {self.fun:.8g}\n  |grad|: {self.grad_norm:.3g}\n"
            f"  steps: {self.nit} (evaluations: {self.nfev} f, {self.njev} grad, "
            f"{self.nhev} Hessian)"
        )


def minimize_tensor(expr: Any, wrt: Any, x0: Any, opt, *, steps: int, tol: float,
                    params: Mapping | None, callback: Callable | None,
                    shapes: Mapping | None, batch_size: int | None, seed: Any,
                    path_every: int) -> TensorOptimizeResult:
    """:func:`calckit.minimize` of a tensor loss (arguments checked there)."""
    loss = as_tensor_expr(expr, shapes)
    D._check_scalar(loss, "minimize")
    data = _data(params)
    targets = _variables(loss, wrt, data)
    names = [_name(t) for t in targets]
    vg = K.compile_tensor_value_and_grad(loss, targets, list(data))
    spec: dict = vg.shapes
    start = _start(x0, names)
    dims = _bind(spec, {**start, **data})
    var_shapes = {n: np.shape(start[n]) for n in names}
    batches = _batches(batch_size, seed, spec, names, data, dims, opt)
    obj = _objective(loss, targets, names, var_shapes, vg, data, batches, opt)
    x = np.concatenate([np.ravel(start[n]) for n in names])

    def unflat(flat):
        parts = split_flat(flat, var_shapes)
        return parts[0] if len(parts) == 1 else dict(zip(names, parts, strict=True))

    user_callback = None
    if callback is not None:
        def user_callback(k, xk, f, gn):
            return callback(k, unflat(xk), f, gn)

    r = run(opt, obj, x, steps, tol, tuple(names), user_callback, path_every)
    return TensorOptimizeResult(
        x=unflat(r.x), fun=r.fun, grad=unflat(r.grad), nit=r.nit,
        converged=r.converged, diverged=r.diverged, path=r.path, losses=r.losses,
        message=r.message, wrt=r.wrt, optimizer=r.optimizer, status=r.status,
        nfev=r.nfev, njev=r.njev, nhev=r.nhev, flat_x=r.x, shapes=var_shapes,
        path_steps=path_steps(r.nit, path_every),
    )


def _name(t) -> str:
    return t.attr[0] if isinstance(t, E.Tensor) else t.name


def _data(params) -> dict:
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise CalckitTypeError(
            "minimize: params must be a dict name -> array, got "
            f"{type(params).__name__}")
    out = {}
    for name, value in params.items():
        try:
            out[str(name)] = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise CalckitTypeError(
                f"minimize: params[{name!r}] must be an array of real numbers") from exc
    return out


def _variables(loss, wrt, data) -> list:
    held = loss.free_vars()
    if wrt is None:
        targets = [held[k] for k in sorted(held) if k not in data]
    else:
        targets = D.resolve_wrt(loss, wrt)
    names = [_name(t) for t in targets]
    if not targets:
        raise InvalidParameterError(
            f"minimize: the loss {loss} has no variables to optimize; give wrt")
    clash = sorted(set(names) & set(data))
    if clash:
        raise InvalidParameterError(
            f"minimize: {clash} is both a variable (wrt) and data (params); use it "
            "in only one of them")
    unknown = sorted(set(data) - set(held))
    if unknown:
        raise InvalidParameterError(
            f"minimize: params {unknown} do not occur in the loss; its symbols are "
            f"{sorted(held)}")
    unused = sorted(set(held) - set(names) - set(data))
    if unused:
        raise InvalidParameterError(
            f"minimize: the loss has symbols {unused} that are neither variables "
            "(wrt) nor data (params)")
    return targets


def _start(x0, names) -> dict:
    if x0 is None:
        raise CalckitTypeError(
            f"minimize needs a starting point x0 (a dict of arrays for {names})")
    if not isinstance(x0, Mapping):
        if len(names) > 1:
            raise CalckitTypeError(
                f"minimize: x0 must be a dict name -> array for the variables {names}, "
                f"got {type(x0).__name__}")
        x0 = {names[0]: x0}
    given = {str(k): v for k, v in x0.items()}
    missing = [n for n in names if n not in given]
    extra = sorted(set(given) - set(names))
    if missing or extra:
        raise ShapeError(
            f"minimize: x0 must give exactly the variables {names}; missing "
            f"{missing}, unknown {extra}")
    out = {}
    for n in names:
        try:
            a = np.array(given[n], dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise CalckitTypeError(f"minimize: x0[{n!r}] must be numbers") from exc
        if not np.all(np.isfinite(a)):
            raise InvalidParameterError(f"minimize: x0[{n!r}] must be finite")
        out[n] = a
    return out


def _bind(spec: Mapping, arrays: Mapping) -> dict:
    """dim name -> size bound by ``arrays``; a :class:`ShapeError` naming the
    argument (and who bound the dim) when they disagree with ``spec``."""
    bound: dict = {}
    for name, dims in spec.items():
        got = np.shape(arrays[name])
        ok = len(got) == len(dims) and all(
            g == d if isinstance(d, int) else bound.setdefault(d, g) == g
            for d, g in zip(dims, got, strict=True))
        if not ok:
            order = list(spec)
            try:
                _bad_shape([(n, spec[n]) for n in order], [arrays[n] for n in order])
            except ShapeError as err:
                raise ShapeError(f"minimize: {err}") from None
    return bound


def _row_dim(spec, names, data):
    """The dim rows are drawn along: the first axis of a data array whose
    name no variable uses (e.g. ``n`` of ``X (n, d)``)."""
    var_dims = {d for n in names for d in spec[n]}
    for name in data:
        dims = spec[name]
        if dims and isinstance(dims[0], str) and dims[0] not in var_dims:
            return dims[0]
    return None


def _batches(batch_size, seed, spec, names, data, dims, opt):
    """A function drawing the next batch of data arrays, or None."""
    if batch_size is None:
        return None
    batch_size = positive_int(batch_size, "batch_size", "minimize")
    if getattr(opt, "uses_closure", False):
        raise InvalidParameterError(
            f"minimize: batch_size does not work with {type(opt).__name__}, whose "
            "line search needs the same data at every evaluation; use full batches")
    row = _row_dim(spec, names, data)
    if row is None:
        raise InvalidParameterError(
            "minimize: batch_size needs data arrays with a row dim that no variable "
            f"has; the data has dims {[spec[n] for n in data]}")
    n_rows = dims[row]
    if batch_size > n_rows:
        raise InvalidParameterError(
            f"minimize: batch_size {batch_size} is larger than the data "
            f"({row} = {n_rows} rows)")
    axes = {n: list(spec[n]).index(row) if row in spec[n] else None for n in data}
    rng = np.random.default_rng(seed)
    order: list = []

    def draw() -> list:
        # one permutation per epoch; the last incomplete batch is dropped
        nonlocal order
        if len(order) < batch_size:
            order = list(rng.permutation(n_rows))
        idx, order = np.asarray(order[:batch_size]), order[batch_size:]
        return [a if axes[n] is None else np.take(a, idx, axis=axes[n])
                for n, a in data.items()]

    return draw


def _objective(loss, targets, names, var_shapes, vg, data, batches, opt) -> Objective:
    vgk = _raw(vg)
    fk = _raw(K.compile_expr(loss, targets, list(data)))
    one = len(names) == 1
    current = [list(data.values())]

    def parts(x):
        return split_flat(x, var_shapes)

    def flat(gs):
        return np.ravel(gs) if one else np.concatenate([np.ravel(g) for g in gs])

    def fun(x):
        return float(fk(*parts(x), *current[0]))

    def value_and_grad(x):
        if batches is not None:
            current[0] = batches()
        value, gs = vgk(*parts(x), *current[0])
        return float(value), flat(gs).astype(np.float64, copy=False)

    hess = hessp = None
    if getattr(opt, "needs_hessian", False):
        _one_vector(targets, opt, "the matrix-form Hessian")
        hk = _raw(K.compile_tensor_hessian(loss, targets, list(data)))
        size = sum(int(np.prod(s, dtype=int)) for s in var_shapes.values())

        def hess(x):
            return np.reshape(hk(*parts(x), *current[0]), (size, size))

    if getattr(opt, "needs_hvp", False):
        _one_vector(targets, opt, "a Hessian-vector product", any_shape=True)
        w, shape = targets[0], var_shapes[names[0]]
        v_node = E.var(D._fresh_name(loss, "v"), w.shape)
        hv = D.hvp(loss, w, v_node)
        held = hv.free_vars()
        args = [w, v_node, *[held[n] for n in data if n in held]]
        keep = [i for i, n in enumerate(data) if n in held]
        hvk = _raw(K.compile_tensor([hv], args, kind="hvp"))

        def hessp(x, vec):
            d = current[0]
            return np.ravel(hvk(*parts(x), np.reshape(vec, shape),
                                *[d[i] for i in keep]))

    return Objective(fun, value_and_grad, hess, hessp)


def _one_vector(targets, opt, what, any_shape=False) -> None:
    ok = len(targets) == 1 and isinstance(targets[0], E.Tensor) and (
        any_shape or targets[0].ndim == 1)
    if not ok:
        shown = [f"{_name(t)} {getattr(t, 'shape', ())}" for t in targets]
        kind = "one variable" if any_shape else "one vector variable"
        raise InvalidParameterError(
            f"minimize: {type(opt).__name__} needs {what}, which calckit builds for "
            f"{kind}; the variables are {shown}. Use a first-order optimizer or "
            "'lbfgs' for several variables")
