"""The tensor-expression IR: :class:`Tensor` nodes and their smart
constructors (private; the public names are in :mod:`calckit.symbolic.tensor`).

A node has an operation name ``op``, argument nodes ``args``, static
attributes ``attr`` and a static ``shape`` of at most two dims (ints or
names, see :mod:`~calckit.symbolic.tensor.shapes`). Nodes are immutable and
hashed once, so equal subexpressions are equal dictionary keys and a
derivation or a kernel computes each of them once.

Operations (``op``: ``attr``):

- ``var``: ``(name,)`` a shaped symbol; ``scalar``: ``(sympy_expr,)`` any
  scalar SymPy expression of scalar symbols, numbers and dim sizes;
- ``add``, ``mul``: elementwise, n-ary, NumPy broadcasting; ``elem``:
  ``(fn, label)`` an elementwise SymPy function of dummies ``_x0, _x1, ...``
  (one per argument; ``label`` is the name it prints under, or None);
- ``matmul``, ``T``, ``sum``: ``(axis, keepdims)``, ``lse`` (logsumexp):
  ``(axis, keepdims)``, ``softmax``: ``(axis,)``, ``expand``: ``(axis,)``
  (a new axis of length 1), ``bcast``: ``(shape,)``, ``diag``, ``trace``,
  ``outer``, ``inv``, ``logdet``, ``eye``: ``(dim,)``.

The constructors canonicalize while building, so results are tidy without a
separate simplifier: scalar factors are collected into one coefficient and
pulled out of ``@`` and sums, like terms are combined, ``x*x`` is ``x**2``,
``A.T.T`` is ``A``, ``A @ I`` is ``A``, and a shape mismatch is a
:class:`~calckit.errors.ShapeError` naming the operation and both shapes.

>>> X, w = var("X", ("n", "d")), var("w", ("d",))
>>> (X @ w).shape
('n',)
>>> w @ X
Traceback (most recent call last):
...
calckit.errors.ShapeError: matmul: shapes (d,) and (n, d) do not fit: dim d against n
"""

from __future__ import annotations

import importlib
import numbers

import sympy as sp

from calckit.errors import CalckitTypeError, ShapeError
from calckit.symbolic.tensor import printing, tex
from calckit.symbolic.tensor.shapes import (
    DimSymbol,
    broadcast,
    dim_size,
    fmt,
    is_broadcast_of,
)

__all__ = [
    "Tensor", "DimSymbol", "dummy", "var", "scalar", "as_tensor", "add", "mul",
    "elem", "power", "bcast", "coefficient", "walk", "ONE", "ZERO",
]

#: constructors defined in :mod:`calckit.symbolic.tensor.structure` (which
#: imports this module), reachable here as ``expr.matmul`` and so on
_STRUCTURAL = frozenset({
    "matmul", "transpose", "tsum", "rows_equal", "expand", "lse", "softmax", "diag",
    "trace", "outer", "inv", "logdet", "eye",
})


def __getattr__(name: str):
    if name in _STRUCTURAL:
        return getattr(importlib.import_module("calckit.symbolic.tensor.structure"),
                       name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def dummy(i: int) -> sp.Symbol:
    """The ``i``-th argument placeholder of an ``elem`` function."""
    return sp.Symbol(f"_x{i}", real=True)


class Tensor:
    """A node of a tensor expression, with NumPy operators.

    Build them with :func:`calckit.vector`, :func:`calckit.matrix` or
    :func:`calckit.parse` (``shapes=``) and the operators ``+ - * / ** @``,
    ``.T``, ``.sum(axis)``, ``.mean(axis)`` and ``x[:, None]``.
    """

    __slots__ = ("op", "args", "attr", "shape", "_hash")
    __array_ufunc__ = None  # NumPy defers to the reflected operators below

    def __init__(self, op: str, args: tuple, attr: tuple, shape: tuple):
        self.op = op
        self.args = args
        self.attr = attr
        self.shape = shape
        self._hash = hash((op, args, attr, shape))

    def __hash__(self):
        return self._hash

    def __eq__(self, other):
        if self is other:
            return True
        return (isinstance(other, Tensor) and self._hash == other._hash
                and self.op == other.op and self.shape == other.shape
                and self.attr == other.attr and self.args == other.args)

    def __ne__(self, other):
        return not self == other

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def name(self) -> str:
        """The name of a ``var`` node."""
        if self.op != "var":
            raise CalckitTypeError(f"only a shaped symbol has a name, not {self}")
        return self.attr[0]

    # -- NumPy operators -------------------------------------------------------
    def __add__(self, other):
        return add(self, as_tensor(other))

    def __radd__(self, other):
        return add(as_tensor(other), self)

    def __sub__(self, other):
        return add(self, mul(scalar(-1), as_tensor(other)))

    def __rsub__(self, other):
        return add(as_tensor(other), mul(scalar(-1), self))

    def __mul__(self, other):
        return mul(self, as_tensor(other))

    def __rmul__(self, other):
        return mul(as_tensor(other), self)

    def __truediv__(self, other):
        return mul(self, power(as_tensor(other), -1))

    def __rtruediv__(self, other):
        return mul(as_tensor(other), power(self, -1))

    def __pow__(self, other):
        return power(self, as_tensor(other))

    def __rpow__(self, other):
        return power(as_tensor(other), self)

    def __neg__(self):
        return mul(scalar(-1), self)

    def __pos__(self):
        return self

    def __matmul__(self, other):
        return _structure().matmul(self, as_tensor(other))

    def __rmatmul__(self, other):
        return _structure().matmul(as_tensor(other), self)

    @property
    def T(self):  # noqa: N802 - NumPy's name
        return _structure().transpose(self)

    def sum(self, axis=None, keepdims: bool = False):
        return _structure().tsum(self, axis, keepdims)

    def mean(self, axis=None, keepdims: bool = False):
        total = _structure().tsum(self, axis, keepdims)
        return mul(scalar(1 / _count(self.shape, axis)), total)

    def __getitem__(self, key):
        """Only new axes: ``v[:, None]`` and ``v[None, :]`` (or ``v[None]``)."""
        full = slice(None)
        key = key if isinstance(key, tuple) else (key,)
        if key == (full, None) and self.ndim == 1:
            return _structure().expand(self, 1)
        if key in ((None,), (None, full)) and self.ndim == 1:
            return _structure().expand(self, 0)
        raise ShapeError(
            f"indexing {self}: only new axes v[:, None] and v[None, :] of a vector "
            f"are supported, got [{key}]"
        )

    def __bool__(self):
        raise CalckitTypeError(
            f"the truth value of the tensor expression {self} is undefined"
        )

    # -- display --------------------------------------------------------------
    def __str__(self):
        return printing.to_str(self)

    def __repr__(self):
        return printing.to_str(self)

    def _repr_latex_(self):
        return f"$\\displaystyle {tex.latex(self)}$"

    def free_vars(self) -> dict:
        """Shaped symbols (name -> node) and scalar symbols (name -> symbol)."""
        out: dict = {}
        for node in walk(self):
            if node.op == "var":
                out.setdefault(node.attr[0], node)
            elif node.op in ("scalar", "elem"):
                for s in node.attr[0].free_symbols:
                    if not isinstance(s, DimSymbol) and not s.name.startswith("_x"):
                        out.setdefault(s.name, s)
        return out

    def dims(self) -> set:
        """Every named dim of this expression and its subexpressions."""
        return {d for node in walk(self) for d in node.shape if isinstance(d, str)}


def _structure():
    """The module of ``@``, ``.T`` and the reductions (it imports this one)."""
    return importlib.import_module("calckit.symbolic.tensor.structure")


def walk(root: Tensor):
    """Every distinct node under ``root`` (``root`` included), children first."""
    seen: set = set()
    order: list = []
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((a, False) for a in reversed(node.args) if a not in seen)
    return order


def _count(shape, axis) -> sp.Expr:
    """Number of entries summed by a reduction over ``axis``."""
    dims = shape if axis is None else (shape[_axis(axis, len(shape), "mean")],)
    return sp.Mul(*[dim_size(d) for d in dims])


def _axis(axis, ndim: int, op: str) -> int:
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise ShapeError(f"{op}: axis must be None or an int, got {axis!r}")
    if not -ndim <= int(axis) < ndim:  # int(): numbers.Integral lacks >= in typeshed
        raise ShapeError(f"{op}: axis {axis} is out of range for {ndim} axes")
    return int(axis) % ndim


# -- leaves ---------------------------------------------------------------------
def var(name: str, shape: tuple) -> Tensor:
    """A shaped symbol (``shape`` already validated)."""
    if not shape:
        raise ShapeError(f"{name}: a shaped symbol has at least one axis; "
                         "use a SymPy symbol for a scalar")
    return Tensor("var", (), (name,), tuple(shape))


def scalar(value) -> Tensor:
    """A scalar node from a number or a scalar SymPy expression."""
    return Tensor("scalar", (), (sp.sympify(value),), ())


ONE = scalar(1)
ZERO = scalar(0)


def as_tensor(x) -> Tensor:
    """``x`` as a node: tensors as they are, numbers and SymPy scalars as
    ``scalar`` nodes; anything else is a :class:`CalckitTypeError`."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, bool):
        raise CalckitTypeError(f"a bool is not a tensor expression: {x!r}")
    if isinstance(x, sp.Expr) and not isinstance(x, sp.MatrixBase):
        return scalar(x)
    if isinstance(x, numbers.Integral):
        return scalar(sp.Integer(int(x)))
    if isinstance(x, numbers.Real):
        return scalar(sp.Float(float(x)))
    if isinstance(x, sp.Expr) and not isinstance(x, sp.MatrixBase):
        return scalar(x)
    raise CalckitTypeError(
        f"cannot use {type(x).__name__} {x!r:.60} in a tensor expression; use "
        "numbers, SymPy scalars or shaped symbols (calckit.vector, calckit.matrix)"
    )


def _sc(node: Tensor):
    """The SymPy value of a scalar node, or None."""
    return node.attr[0] if node.op == "scalar" else None


# -- elementwise --------------------------------------------------------------------
def coefficient(node: Tensor) -> tuple:
    """``(c, rest)`` with ``node == c * rest`` and ``c`` a SymPy scalar."""
    if node.op == "scalar":
        return node.attr[0], ONE
    if node.op == "mul" and node.args[0].op == "scalar":
        rest = node.args[1:]
        return node.args[0].attr[0], (rest[0] if len(rest) == 1 else
                                      Tensor("mul", rest, (), node.shape))
    return sp.S.One, node


def bcast(node: Tensor, shape: tuple) -> Tensor:
    """``node`` broadcast to ``shape`` (itself if it has that shape)."""
    if node.shape == shape:
        return node
    if not is_broadcast_of(node.shape, shape):
        raise ShapeError(f"broadcast_to: shape {fmt(node.shape)} does not broadcast "
                         f"to {fmt(shape)}")
    if node.op == "bcast":
        node = node.args[0]
    return Tensor("bcast", (node,), (shape,), shape)


def add(*terms: Tensor) -> Tensor:
    """Elementwise sum, with scalar terms merged and like terms combined."""
    shape = broadcast("add", *(t.shape for t in terms))
    flat: list = []
    for t in terms:
        flat.extend(t.args if t.op == "add" else (t,))
    const = sp.S.Zero
    coeffs: dict = {}
    for t in flat:
        if t.op == "bcast" and t.args[0].op == "scalar":
            t = t.args[0]
        if t.op == "scalar":
            const += t.attr[0]
            continue
        c, rest = coefficient(t)
        coeffs[rest] = coeffs.get(rest, sp.S.Zero) + c
    coeffs = {rest: c for rest, c in coeffs.items() if c != 0}
    coeffs = _factor_products(coeffs)
    common = _common_factor(list(coeffs.values()) + ([const] if const != 0 else []))
    if common != 1 and len(coeffs) + (const != 0) > 1:  # a/n - y/n -> (a - y)/n
        inner = [mul(scalar(c / common), rest) for rest, c in coeffs.items()]
        if const != 0:
            inner.append(scalar(const / common))
        return mul(scalar(common), bcast(Tensor("add", tuple(inner), (), shape), shape))
    parts = [mul(scalar(c), rest) for rest, c in coeffs.items()]
    if const != 0 or not parts:
        parts.append(scalar(const))
    if len(parts) == 1:
        return bcast(parts[0], shape)
    return Tensor("add", tuple(parts), (), shape)


def _factor_products(coeffs: dict) -> dict:
    """Terms ``c_i * M_i @ v`` with one vector ``v`` as ``(sum c_i M_i) @ v``
    (``v @ M`` counts as ``M.T @ v``): ``w @ A + A @ w`` is ``(A.T + A) @ w``,
    as a course writes it."""
    groups: dict = {}
    for rest in coeffs:
        if rest.op != "matmul":
            continue
        a, b = rest.args
        if a.ndim == 2 and b.ndim == 1:
            groups.setdefault(b, []).append((rest, a))
        elif a.ndim == 1 and b.ndim == 2 and b.shape[0] == b.shape[1]:
            groups.setdefault(a, []).append((rest, _structure().transpose(b)))
    out = dict(coeffs)
    for v, members in groups.items():
        if len(members) < 2 or len({m.shape for _, m in members}) != 1:
            continue
        cs = [out.pop(rest) for rest, _ in members]
        same = cs[0] if len(set(cs)) == 1 else sp.S.One  # -(A.T + A) @ v / 2
        total = add(*[mul(scalar(c / same), m) for c, (_, m) in zip(cs, members,
                                                                     strict=True)])
        c, inner = coefficient(_structure().matmul(total, v))
        out[inner] = out.get(inner, sp.S.Zero) + c * same
    return out


def _common_factor(coeffs: list) -> sp.Expr:
    """The non-numeric factor every coefficient shares (``1/n`` of ``1/n`` and
    ``-2/n``), or 1."""
    if not coeffs:
        return sp.S.One
    rests = {sp.sympify(c).as_coeff_Mul()[1] for c in coeffs}
    if len(rests) != 1:
        return sp.S.One
    (rest,) = rests
    return rest if not rest.is_Number else sp.S.One


def _base_exp(node: Tensor):
    """``(base, exponent)`` of ``base**p`` with a numeric ``p``, else ``(node, 1)``."""
    if node.op == "elem" and node.attr[1] is None and len(node.args) == 1:
        fn = node.attr[0]
        if fn.is_Pow and fn.base == dummy(0) and fn.exp.is_Number:
            return node.args[0], fn.exp
    return node, sp.S.One


def mul(*factors: Tensor) -> Tensor:
    """Elementwise product: one scalar coefficient first, powers merged."""
    shape = broadcast("mul", *(f.shape for f in factors))
    flat: list = []
    for f in factors:
        flat.extend(f.args if f.op == "mul" else (f,))
    coeff = sp.S.One
    powers: dict = {}
    for f in flat:
        if f.op == "bcast" and f.args[0].op == "scalar":
            f = f.args[0]
        if f.op == "scalar":
            coeff *= f.attr[0]
            continue
        base, p = _base_exp(f)
        powers[base] = powers.get(base, sp.S.Zero) + p
    if coeff == 0:
        return bcast(ZERO, shape)
    parts = [power(b, p) for b, p in powers.items() if p != 0]
    if (coeff.is_Number and coeff < 0 and coeff != -1 and len(parts) == 1
            and parts[0].op == "add"
            and all(coefficient(t)[0].could_extract_minus_sign()
                    for t in parts[0].args)):
        coeff, parts = -coeff, [add(*[mul(scalar(-1), t) for t in parts[0].args])]
    if coeff == -1 and len(parts) == 1 and parts[0].op == "add":  # -(a - b) = b - a
        return bcast(add(*[mul(scalar(-1), t) for t in parts[0].args]), shape)
    if coeff != 1 or not parts:
        parts.insert(0, scalar(coeff))
    if len(parts) == 1:
        return bcast(parts[0], shape)
    return Tensor("mul", tuple(parts), (), shape)


def power(base: Tensor, exponent) -> Tensor:
    """``base ** exponent`` elementwise."""
    exponent = as_tensor(exponent)
    x0 = dummy(0)
    if exponent.op == "scalar":
        p = exponent.attr[0]
        if p == 1:
            return base
        if base.op == "scalar":
            return scalar(base.attr[0] ** p)
        inner, q = _base_exp(base)
        if q != 1 and p.is_Integer:  # (a**q)**p == a**(q*p) for an integer p
            return power(inner, q * p)
        return elem(x0**p, base)
    return elem(x0 ** dummy(1), base, exponent)


def elem(fn: sp.Expr, *args: Tensor, label: str | None = None) -> Tensor:
    """``fn`` (of ``_x0, _x1, ...``) applied elementwise to ``args``.

    Scalar arguments are substituted into ``fn``; an ``fn`` that is one of
    its placeholders is that argument.
    """
    shape = broadcast(label or "elementwise function", *(a.shape for a in args))
    subs = {}
    keep: list[Tensor] = []
    for i, a in enumerate(args):
        if a.op == "scalar":
            subs[dummy(i)] = a.attr[0]
        elif dummy(i) in fn.free_symbols:
            subs[dummy(i)] = dummy(len(keep))
            keep.append(a)
    fn = fn.xreplace(subs) if subs else fn
    c, rest = fn.as_coeff_Mul()
    if c != 1 and keep and rest.free_symbols:  # 2*_x0 -> 2 * x: the number outside
        return mul(scalar(c), elem(rest, *keep, label=label))
    if not keep:
        return bcast(scalar(fn), shape)
    if fn == dummy(0) and len(keep) == 1:
        return bcast(keep[0], shape)
    return bcast(Tensor("elem", tuple(keep), (fn, label),
                        broadcast("elem", *(a.shape for a in keep))), shape)
