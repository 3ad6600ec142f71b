"""Matrix-form derivatives of tensor expressions (public through
:func:`calckit.grad`, :func:`calckit.derivative`, :func:`calckit.hessian`,
:func:`calckit.hvp` and :func:`calckit.jacobian`).

:func:`grad` runs reverse mode over the expression DAG: one adjoint per
distinct node, each the vector-Jacobian product rule of its consumers (one
short rule per operation, next to its name in :data:`_VJP`). Adjoints are
built with the canonicalizing constructors of
:mod:`~calckit.symbolic.tensor.expr`, so results come out tidy and never
expanded into entries: the size of a derived formula does not depend on the
dims. The elementwise derivative of ``softplus``, ``relu``, ``huber``, ... is
calckit's own scalar derivative of that function.

:func:`jacobian` runs forward mode for a vector (or scalar) expression with
respect to a vector (or scalar) variable, and :func:`hessian` is the
Jacobian of the gradient: for logistic regression
``X.T @ diag(sigmoid(X @ w)*(1 - sigmoid(X @ w))) @ X / n``.

>>> import calckit as ck
>>> X, w, y = ck.matrix("X", "n", "d"), ck.vector("w", "d"), ck.vector("y", "n")
>>> from calckit.symbolic.tensor import ops
>>> loss = ops.mean(ops.apply("softplus", X @ w) - y * (X @ w))
>>> grad(loss, w)
X.T @ (sigmoid(X @ w) - y) / n
>>> hessian(loss, w)
X.T @ diag(sigmoid(X @ w)*(1 - sigmoid(X @ w))) @ X / n
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from calckit.errors import CalckitTypeError, DifferentiationError
from calckit.symbolic._diff import first_derivative
from calckit.symbolic.tensor import expr as E
from calckit.symbolic.tensor.shapes import DimSymbol, fmt

__all__ = ["grad", "jacobian", "hessian", "hvp", "resolve_wrt"]


# -- variables -------------------------------------------------------------------
def resolve_wrt(expr: E.Tensor, wrt, *, allow_missing: bool = False) -> list:
    """The variables ``wrt`` names, as nodes (shaped) or SymPy symbols (scalar).

    ``wrt`` is a node, a symbol, a name, a string of names (``"W1 b1"``) or a
    sequence of them; ``None`` means every variable of ``expr`` by name. A
    variable that does not occur is a :class:`DifferentiationError` (not a
    silent zero), and so is one whose shape differs from the one in ``expr``.
    """
    held = expr.free_vars()
    if wrt is None:
        return [held[k] for k in sorted(held)]
    if isinstance(wrt, str):
        items: list[Any] = wrt.replace(",", " ").split()
    elif isinstance(wrt, (E.Tensor, sp.Symbol)):
        items = [wrt]
    else:
        try:
            items = list(wrt)
        except TypeError:
            raise CalckitTypeError(f"wrt must be a variable, a name or a sequence of "
                                   f"them, got {type(wrt).__name__}") from None
    out = []
    for item in items:
        if isinstance(item, E.Tensor):
            if item.op != "var":
                raise DifferentiationError(f"wrt must be shaped symbols, got {item}")
            name = item.attr[0]
        elif isinstance(item, sp.Symbol):
            name = item.name
        elif isinstance(item, str):
            name = item.strip()
        else:
            raise CalckitTypeError(f"wrt entries must be symbols or names, got "
                                   f"{type(item).__name__}: {item!r}")
        if name not in held:
            if allow_missing:
                out.append(item)
                continue
            raise DifferentiationError(
                f"wrt {name!r} does not occur in {_short(expr)}; its variables are "
                f"{sorted(held)}"
            )
        found = held[name]
        if isinstance(item, E.Tensor) and item.shape != found.shape:
            raise DifferentiationError(
                f"wrt {name} has shape {fmt(item.shape)} but {name} in the expression "
                f"has shape {fmt(found.shape)}")
        if found in out:
            raise DifferentiationError(f"wrt names {name} twice")
        out.append(found)
    return out


def _short(e, limit: int = 80) -> str:
    text = str(e)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- elementwise partials -----------------------------------------------------------
def _elem_partial(node: E.Tensor, i: int) -> E.Tensor | None:
    """d node / d args[i] elementwise, written in terms of ``node`` itself
    where the derivative holds the function (``tanh' = 1 - tanh**2``), so
    kernels reuse the value they computed."""
    fn = node.attr[0]
    df = first_derivative(fn, E.dummy(i))
    if df == 0:
        return None
    if len(node.args) == 1 and isinstance(fn, sp.Function) and df.has(fn):
        y = sp.Dummy("y")
        own = df.xreplace({fn: y})
        if E.dummy(0) not in own.free_symbols:
            return E.elem(own.xreplace({y: E.dummy(0)}), node)
        return E.elem(own.xreplace({y: E.dummy(1)}), node.args[0], node)
    return E.elem(df, *node.args)


def _unbroadcast(g: E.Tensor, shape: tuple) -> E.Tensor:
    """Sum ``g`` over the axes it was broadcast along to reach ``shape``'s
    node; the result broadcasts to ``shape`` (it may stay smaller)."""
    while g.ndim > len(shape):
        g = E.tsum(g, 0)
    off = len(shape) - g.ndim
    for ax in range(g.ndim):
        if shape[off + ax] == 1 and g.shape[ax] != 1:
            g = E.tsum(g, ax, keepdims=True)
    return g


def _full(g: E.Tensor, node: E.Tensor) -> E.Tensor:
    return E.bcast(g, node.shape)


def _keep_axis(g: E.Tensor, node: E.Tensor, axis, keepdims: bool) -> E.Tensor:
    """The adjoint of a reduction's result, with the reduced axis back (size 1)."""
    if axis is None or keepdims or g.ndim < node.ndim:
        return g
    return E.expand(g, axis)


# -- vector-Jacobian products: (node, argument index, adjoint) -> contribution -----
def _vjp_matmul(node, i, g):
    a, b = node.args
    g = _full(g, node)
    if a.ndim == 2 and b.ndim == 2:
        return E.matmul(g, E.transpose(b)) if i == 0 else E.matmul(E.transpose(a), g)
    if a.ndim == 2:
        return E.outer(g, b) if i == 0 else E.matmul(E.transpose(a), g)
    if b.ndim == 2:
        return E.matmul(b, g) if i == 0 else E.outer(a, g)
    return E.mul(g, b) if i == 0 else E.mul(g, a)


def _vjp_softmax(node, i, g):
    axis = node.attr[0]
    gs = E.mul(g, node)
    return E.mul(node, E.add(g, E.mul(E.scalar(-1), E.tsum(gs, axis, keepdims=True))))


def _vjp_expand(node, i, g):
    if g.ndim == node.ndim:
        g = E.tsum(g, node.attr[0])
    return g


def _vjp_inv(node, i, g):
    t = E.transpose(node)
    return E.mul(E.scalar(-1), E.matmul(t, E.matmul(_full(g, node), t)))


_VJP = {
    "add": lambda node, i, g: g,
    "mul": lambda node, i, g: E.mul(g, *(a for k, a in enumerate(node.args)
                                         if k != i)),
    "elem": lambda node, i, g: _maybe(_elem_partial(node, i), lambda d: E.mul(g, d)),
    "matmul": _vjp_matmul,
    "T": lambda node, i, g: E.transpose(_full(g, node)),
    "sum": lambda node, i, g: _keep_axis(g, node, *node.attr),
    "lse": lambda node, i, g: E.mul(_keep_axis(g, node, *node.attr),
                                    E.softmax(node.args[0], node.attr[0])),
    "softmax": _vjp_softmax,
    "expand": _vjp_expand,
    "bcast": lambda node, i, g: g,
    "diag": lambda node, i, g: E.diag(_full(g, node)),
    "trace": lambda node, i, g: E.mul(g, E.eye(node.args[0].shape[0])),
    "outer": lambda node, i, g: (E.matmul(_full(g, node), node.args[1]) if i == 0
                                 else E.matmul(E.transpose(_full(g, node)),
                                               node.args[0])),
    "inv": _vjp_inv,
    "logdet": lambda node, i, g: E.mul(g, E.transpose(E.inv(node.args[0]))),
}


def _maybe(x, f):
    return None if x is None else f(x)


def _depends(root: E.Tensor, targets: list) -> dict:
    """node -> True if it depends on one of ``targets``."""
    shaped = {t for t in targets if isinstance(t, E.Tensor)}
    syms = {t for t in targets if isinstance(t, sp.Symbol)}
    dep: dict[E.Tensor, bool] = {}
    for node in E.walk(root):
        hit = node in shaped
        if not hit and syms and node.op in ("scalar", "elem"):
            hit = bool(syms & node.attr[0].free_symbols)
        dep[node] = hit or any(dep[a] for a in node.args)
    return dep


def _adjoints(root: E.Tensor, targets: list) -> tuple:
    dep = _depends(root, targets)
    adj = {root: E.ONE}
    order = E.walk(root)
    for node in reversed(order):
        g = adj.get(node)
        if g is None or not node.args or not dep[node]:
            continue
        rule = _VJP.get(node.op)
        if rule is None:
            raise DifferentiationError(f"no derivative rule for {node.op} in {node}")
        for i, a in enumerate(node.args):
            if not dep[a]:
                continue
            c = rule(node, i, g)
            if c is None:
                continue
            c = _unbroadcast(c, a.shape)
            adj[a] = c if a not in adj else E.add(adj[a], c)
    return adj, order


def _symbol_grad(sym: sp.Symbol, adj: dict, order: list) -> E.Tensor:
    """d root / d sym for a scalar symbol held by scalar and elem nodes."""
    parts = []
    for node in order:
        g = adj.get(node)
        if g is None or node.op not in ("scalar", "elem"):
            continue
        fn = node.attr[0]
        if sym not in fn.free_symbols:
            continue
        d = first_derivative(fn, sym)
        if d == 0:
            continue
        local = E.scalar(d) if node.op == "scalar" else E.elem(d, *node.args)
        parts.append(E.tsum(E.mul(g, local)))
    return E.add(*parts) if parts else E.ZERO


def _check_scalar(expr: E.Tensor, what: str) -> None:
    if expr.shape != ():
        raise DifferentiationError(
            f"{what} needs a scalar loss, but {_short(expr)} has shape "
            f"{fmt(expr.shape)}; reduce it (sum, mean) or use calckit.jacobian"
        )


def grad(expr: E.Tensor, wrt=None):
    """Gradient of a scalar tensor expression, in matrix form.

    Returns one expression of the shape of ``wrt`` for one variable, a tuple
    for several (in the order given).
    """
    _check_scalar(expr, "grad")
    targets = resolve_wrt(expr, wrt)
    adj, order = _adjoints(expr, targets)
    out = []
    for t in targets:
        if isinstance(t, sp.Symbol):
            out.append(_symbol_grad(t, adj, order))
        else:
            g = adj.get(t)
            g = E.ZERO if g is None else _unbroadcast(g, t.shape)
            out.append(E.bcast(g, t.shape))
    single = isinstance(wrt, (E.Tensor, sp.Symbol)) or (
        isinstance(wrt, str) and len(wrt.replace(",", " ").split()) == 1)
    return out[0] if single or len(out) == 1 else tuple(out)


# -- forward mode -------------------------------------------------------------------
def _too_big(node, w):
    return DifferentiationError(
        f"no matrix-form rule for the derivative of {_short(node, 60)} (shape "
        f"{fmt(node.shape)}) with respect to {_wname(w)}: it would have more than 2 "
        "axes; use calckit.hvp (Hessian-vector products work for any shapes)"
    )


def _wname(w) -> str:
    return w.name if isinstance(w, sp.Symbol) else f"{w.attr[0]} {fmt(w.shape)}"


class _Forward:
    """Jacobians ``d node / d w`` (shape ``node.shape + w.shape``) node by node."""

    def __init__(self, w):
        self.w = w
        self.vec = isinstance(w, E.Tensor)  # a vector variable (else a symbol)
        self.memo: dict = {}

    def jac(self, node):
        if node in self.memo:
            return self.memo[node]
        j = self._rule(node)
        if j is not None and self.vec and node.ndim + 1 > 2:
            raise _too_big(node, self.w)
        self.memo[node] = j
        return j

    def widen(self, j, a, node):
        """Jacobian of argument ``a`` broadcast to ``node``'s shape."""
        if j is None or a.shape == node.shape:
            return j
        if not self.vec:
            return E.bcast(j, node.shape)
        if node.ndim + 1 > 2:
            raise _too_big(node, self.w)
        if a.ndim == 0:
            return E.bcast(E.expand(j, 0), node.shape + self.w.shape)
        return E.bcast(j, node.shape + self.w.shape)

    def scale(self, c, j, node):
        """``diag(c) @ j``: the chain rule through an elementwise factor ``c``."""
        if j is None or c is None:
            return None
        if not self.vec or node.ndim == 0 or c.ndim == 0 or (
                c.op == "bcast" and c.args[0].ndim == 0):
            return E.mul(c.args[0] if c.op == "bcast" else c, j)
        return E.matmul(E.diag(E.bcast(c, node.shape)), j)

    def _rule(self, node):  # noqa: C901 - one branch per operation
        w, op, args = self.w, node.op, node.args
        if node is w or node == w:
            return E.eye(w.shape[0])
        if op == "var" or op == "eye":
            return None
        if op == "scalar":
            if self.vec:
                return None
            d = first_derivative(node.attr[0], w)
            return None if d == 0 else E.scalar(d)
        js = [self.jac(a) for a in args]
        if all(j is None for j in js) and not (op == "elem" and not self.vec
                                               and w in node.attr[0].free_symbols):
            return None
        if op in ("add", "mul", "elem"):
            jw = [self.widen(j, a, node) for j, a in zip(js, args, strict=True)]
        if op == "add":
            return _sum([j for j in jw if j is not None])
        if op == "mul":
            return _sum([self.scale(_prod(args, i), j, node)
                         for i, j in enumerate(jw) if j is not None])
        if op == "elem":
            parts = [self.scale(_elem_partial(node, i), j, node)
                     for i, j in enumerate(jw) if j is not None]
            if not self.vec and w in node.attr[0].free_symbols:
                parts.append(E.elem(first_derivative(node.attr[0], w), *args))
            return _sum([p for p in parts if p is not None])
        if not self.vec:
            return self._linear_scalar(node, js)
        return self._linear_vector(node, js)

    def _linear_scalar(self, node, js):
        """Rules for a scalar variable: the tangent has the node's shape."""
        op, args = node.op, node.args
        ja = js[0]
        if op == "matmul":
            a, b = args
            return _sum([E.matmul(js[0], b) if js[0] is not None else None,
                         E.matmul(a, js[1]) if js[1] is not None else None])
        if op == "outer":
            a, b = args
            return _sum([E.outer(js[0], b) if js[0] is not None else None,
                         E.outer(a, js[1]) if js[1] is not None else None])
        if op == "T":
            return E.transpose(ja)
        if op == "sum":
            return E.tsum(ja, *node.attr)
        if op == "lse":
            axis, keep = node.attr
            return E.tsum(E.mul(E.softmax(args[0], axis), ja), axis, keep)
        if op == "softmax":
            axis = node.attr[0]
            inner = E.tsum(E.mul(node, ja), axis, keepdims=True)
            return E.mul(node, E.add(ja, E.mul(E.scalar(-1), inner)))
        if op == "expand":
            return E.expand(ja, node.attr[0])
        if op == "bcast":
            return E.bcast(ja, node.shape)
        if op in ("diag", "trace"):
            return getattr(E, op)(ja)
        if op == "inv":
            return E.mul(E.scalar(-1), E.matmul(node, E.matmul(ja, node)))
        if op == "logdet":
            return E.trace(E.matmul(E.inv(args[0]), ja))
        raise DifferentiationError(f"no forward rule for {op}")

    def _linear_vector(self, node, js):
        """Rules for a vector variable ``w`` (d,): Jacobians (d,) or (m, d)."""
        op, args = node.op, node.args
        if op == "matmul":
            a, b = args
            ja, jb = js
            if a.ndim == 2 and b.ndim == 1 and ja is None:
                return E.matmul(a, jb)
            if a.ndim == 1 and b.ndim == 1:
                return _sum([E.matmul(b, ja) if ja is not None else None,
                             E.matmul(a, jb) if jb is not None else None])
            if a.ndim == 1 and b.ndim == 2 and jb is None:
                return E.matmul(E.transpose(b), ja)
            raise _too_big(node, self.w)
        if op == "sum" and args[0].ndim == 1:
            return E.tsum(js[0], 0, keepdims=node.attr[1])
        if op == "lse" and args[0].ndim == 1 and not node.attr[1]:
            return E.matmul(E.softmax(args[0]), js[0])
        if op == "softmax" and args[0].ndim == 1:
            j = js[0]
            return E.add(E.matmul(E.diag(node), j),
                         E.mul(E.scalar(-1), E.outer(node, E.matmul(node, j))))
        if op == "bcast" and args[0].ndim == 0:
            return E.bcast(E.expand(js[0], 0), node.shape + self.w.shape)
        raise _too_big(node, self.w)


def _sum(parts):
    parts = [p for p in parts if p is not None]
    return E.add(*parts) if parts else None


def _prod(args, i):
    others = [a for k, a in enumerate(args) if k != i]
    return E.mul(*others) if others else E.ONE


def jacobian(expr: E.Tensor, wrt):
    """Jacobian ``d expr / d wrt`` in matrix form, of shape
    ``expr.shape + wrt.shape`` (vector or scalar expressions and variables)."""
    targets = resolve_wrt(expr, wrt)
    out = [_jacobian_of(expr, w) for w in targets]
    return out[0] if len(out) == 1 else tuple(out)


def _jacobian_of(expr: E.Tensor, w):
    """``d expr / d w`` for a resolved variable (zero if ``expr`` lacks it)."""
    if isinstance(w, E.Tensor) and w.ndim != 1:
        raise DifferentiationError(
            f"jacobian in matrix form needs a vector or scalar variable, got "
            f"{_wname(w)}; use calckit.grad for a scalar expression")
    if isinstance(w, E.Tensor) and expr.ndim > 1:
        raise _too_big(expr, w)
    j = _Forward(w).jac(expr)
    shape = expr.shape + (w.shape if isinstance(w, E.Tensor) else ())
    return E.bcast(E.ZERO, shape) if j is None else E.bcast(j, shape)


def hessian(expr: E.Tensor, wrt):
    """Hessian of a scalar expression with respect to one vector (or scalar)
    variable, in matrix form (the Jacobian of :func:`grad`)."""
    _check_scalar(expr, "hessian")
    targets = resolve_wrt(expr, wrt)
    if len(targets) != 1:
        raise DifferentiationError(
            f"hessian in matrix form takes one variable, got {len(targets)}: "
            f"{[_wname(t) for t in targets]}; use calckit.hvp for several")
    (w,) = targets
    if isinstance(w, E.Tensor) and w.ndim != 1:
        raise DifferentiationError(
            f"hessian in matrix form needs a vector variable, got {_wname(w)} (it "
            "would have 4 axes); use calckit.hvp(loss, wrt, V)")
    g = grad(expr, w)
    if not isinstance(w, E.Tensor):
        return _jacobian_of(g, w)
    try:
        return _jacobian_of(g, w)
    except DifferentiationError as first:  # the gradient goes through a matrix
        v = E.var(_fresh_name(expr, "v"), w.shape)
        try:  # H = d(H v)/dv: the Hessian-vector product is linear in v
            return _jacobian_of(hvp(expr, w, v), v)
        except DifferentiationError:
            raise first from None


def _fresh_name(expr: E.Tensor, stem: str) -> str:
    held = expr.free_vars()
    name = stem
    while name in held:
        name += "_"
    return name


def hvp(expr: E.Tensor, wrt, v):
    """Hessian-vector product ``H @ v`` as an expression (any variable shape):
    the gradient of ``sum(grad(expr, wrt) * v)`` with ``v`` held fixed.

    ``v`` is a tensor of the variable's shape or a name (a new shaped symbol).
    """
    _check_scalar(expr, "hvp")
    (w,) = resolve_wrt(expr, wrt) if not isinstance(wrt, (list, tuple)) else (
        resolve_wrt(expr, wrt[:1]))
    if isinstance(v, str):
        v = E.var(v.strip(), w.shape) if isinstance(w, E.Tensor) else \
            E.scalar(sp.Symbol(v.strip(), real=True))
    v = E.as_tensor(v)
    shape = w.shape if isinstance(w, E.Tensor) else ()
    if v.shape != shape:
        raise DifferentiationError(f"hvp: v has shape {fmt(v.shape)} but the "
                                   f"variable {_wname(w)} has shape {fmt(shape)}")
    g = grad(expr, w)
    inner = E.tsum(E.mul(g, v))
    if isinstance(w, sp.Symbol):
        return grad(inner, w.name) if inner.free_vars().get(w.name) is not None \
            else E.ZERO
    if w.attr[0] not in inner.free_vars():
        return E.bcast(E.ZERO, shape)
    return grad(inner, w)


_ = DimSymbol  # dims are never variables: resolve_wrt only sees free_vars
