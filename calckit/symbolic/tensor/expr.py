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
>>> matmul(X, w).shape
('n',)
>>> matmul(w, X)
Traceback (most recent call last):
...
calckit.errors.ShapeError: matmul: shapes (d,) and (n, d) do not fit: dim d against n
"""

from __future__ import annotations

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
    "elem", "power", "matmul", "transpose", "tsum", "expand", "bcast", "lse",
    "softmax", "diag", "trace", "outer", "inv", "logdet", "eye", "coefficient",
    "ONE", "ZERO",
]


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
        return matmul(self, as_tensor(other))

    def __rmatmul__(self, other):
        return matmul(as_tensor(other), self)

    @property
    def T(self):  # noqa: N802 - NumPy's name
        return transpose(self)

    def sum(self, axis=None, keepdims: bool = False):
        return tsum(self, axis, keepdims)

    def mean(self, axis=None, keepdims: bool = False):
        return mul(scalar(1 / _count(self.shape, axis)), tsum(self, axis, keepdims))

    def __getitem__(self, key):
        """Only new axes: ``v[:, None]`` and ``v[None, :]`` (or ``v[None]``)."""
        full = slice(None)
        key = key if isinstance(key, tuple) else (key,)
        if key == (full, None) and self.ndim == 1:
            return expand(self, 1)
        if key in ((None,), (None, full)) and self.ndim == 1:
            return expand(self, 0)
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
    if not -ndim <= axis < ndim:
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
    keep = []
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


# -- linear algebra -----------------------------------------------------------------
def matmul(a: Tensor, b: Tensor) -> Tensor:
    """NumPy ``a @ b`` for vectors and matrices; scalar factors pulled out."""
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: operands must be vectors or matrices, got shapes "
                         f"{fmt(a.shape)} and {fmt(b.shape)}; use * for scalars")
    if a.shape[-1] != b.shape[0]:
        raise ShapeError(
            f"matmul: shapes {fmt(a.shape)} and {fmt(b.shape)} do not fit: dim "
            f"{a.shape[-1]} against {b.shape[0]}"
        )
    fa, a = _rank0_factors(a)
    fb, b = _rank0_factors(b)
    if a.op == "eye":
        out = b
    elif b.op == "eye":
        out = a
    elif a.op == "bcast" and a.args[0].op == "scalar" and b.ndim == 1 == a.ndim:
        out = mul(a.args[0], tsum(b))
    elif b.op == "bcast" and b.args[0].op == "scalar" and b.ndim == 1:
        out = mul(b.args[0], tsum(a, a.ndim - 1))
    elif b.op == "outer" and a.ndim == 2:  # A @ outer(u, v) = outer(A @ u, v)
        out = outer(matmul(a, b.args[0]), b.args[1])
    elif a.op == "diag" and b.op == "bcast" and b.args[0].op == "expand" \
            and b.args[0].attr == (0,) and a.args[0].ndim == 1:
        out = outer(a.args[0], b.args[0].args[0])  # diag(c) @ (1 v^T) = outer(c, v)
    else:
        out = Tensor("matmul", (a, b), (), a.shape[:-1] + b.shape[1:])
    return mul(*fa, *fb, out) if fa or fb else out


def _rank0_factors(node: Tensor) -> tuple:
    """``(factors of shape (), rest)`` of ``node``: they move out of ``@``."""
    if node.op == "scalar" or node.ndim == 0:
        return [], node
    if node.op != "mul":
        return [], node
    out = [f for f in node.args if f.ndim == 0]
    if not out:
        return [], node
    rest = [f for f in node.args if f.ndim > 0]
    return out, rest[0] if len(rest) == 1 else Tensor("mul", tuple(rest), (),
                                                      node.shape)


def transpose(a: Tensor) -> Tensor:
    """``a.T``: reverses the axes (vectors and scalars are unchanged)."""
    if a.ndim < 2:
        return a
    c, a = coefficient(a)
    if a.op == "T":
        out = a.args[0]
    elif a.op in ("eye",):
        out = a
    elif a.op == "matmul":
        out = matmul(transpose(a.args[1]), transpose(a.args[0]))
    elif a.op == "bcast" and a.args[0].ndim == 0:
        out = bcast(a.args[0], a.shape[::-1])
    else:
        out = Tensor("T", (a,), (), a.shape[::-1])
    return out if c == 1 else mul(scalar(c), out)


def tsum(a: Tensor, axis=None, keepdims: bool = False) -> Tensor:
    """Sum over all entries (``axis=None``) or one axis."""
    if a.ndim == 0:
        return a
    if axis is not None:
        axis = _axis(axis, a.ndim, "sum")
        if a.ndim == 1:
            axis = None if not keepdims else axis
    c, rest = coefficient(a)
    if c != 1:
        return mul(scalar(c), tsum(rest, axis, keepdims))
    if a.op == "bcast" and a.args[0].op == "scalar" and not keepdims:
        return mul(a.args[0], scalar(_count(a.shape, axis)))
    if axis == 0 and a.ndim == 2 and not keepdims:
        row = rows_equal(a)
        if row is not None:  # sum(1 v^T M, axis=0) = n * (v @ M): no unbound n
            return mul(scalar(_count(a.shape, 0)), row)
    if axis is not None and a.shape[axis] == 1 and a.op == "expand" \
            and a.attr == (axis,) and not keepdims:
        return a.args[0]
    if axis is None:
        shape = (1,) * a.ndim if keepdims else ()
    else:
        shape = a.shape[:axis] + ((1,) if keepdims else ()) + a.shape[axis + 1:]
    return Tensor("sum", (a,), (axis, bool(keepdims)), shape)


def rows_equal(node: Tensor):
    """The common row of a matrix whose rows are all equal by construction
    (a broadcast row, and what elementwise operations and ``@`` make of it),
    else None."""
    if node.ndim != 2 or node.shape[0] == 1:
        return None
    op = node.op
    if op == "bcast":
        inner = node.args[0]
        if inner.ndim < 2:
            return bcast(inner, node.shape[1:])
        return _squeeze0(inner)
    if op == "matmul":
        row = rows_equal(node.args[0])
        return None if row is None else matmul(row, node.args[1])
    if op in ("add", "mul", "elem"):
        rows = []
        for a in node.args:
            if a.ndim < 2:
                rows.append(a)
            elif a.shape[0] == 1:
                rows.append(_squeeze0(a))
            else:
                r = rows_equal(a)
                if r is None:
                    return None
                rows.append(r)
        if any(r is None for r in rows):
            return None
        if op == "elem":
            return elem(node.attr[0], *rows, label=node.attr[1])
        return add(*rows) if op == "add" else mul(*rows)
    return None


def _squeeze0(a: Tensor):
    """A (1, k) matrix as a (k,) vector (None if not built from one)."""
    if a.op == "expand" and a.attr == (0,):
        return a.args[0]
    if a.op == "sum" and a.attr == (0, True):
        return tsum(a.args[0], 0)
    if a.op in ("add", "mul", "elem"):
        rows = [x if x.ndim < 2 else _squeeze0(x) for x in a.args]
        if any(r is None for r in rows):
            return None
        if a.op == "elem":
            return elem(a.attr[0], *rows, label=a.attr[1])
        return add(*rows) if a.op == "add" else mul(*rows)
    return None


def expand(a: Tensor, axis: int) -> Tensor:
    """A new axis of length 1 at ``axis`` (``v[:, None]`` is axis 1)."""
    if a.ndim >= 2 or not 0 <= axis <= a.ndim:
        raise ShapeError(f"expand_dims: axis {axis} for shape {fmt(a.shape)}")
    if a.op == "scalar":
        return a
    if a.op == "sum" and a.attr == (axis, False):
        return Tensor("sum", a.args, (axis, True), a.shape[:axis] + (1,)
                      + a.shape[axis:])
    return Tensor("expand", (a,), (axis,), a.shape[:axis] + (1,) + a.shape[axis:])


def lse(a: Tensor, axis=None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(a), axis))``."""
    if a.ndim == 0:
        return a
    if axis is not None:
        axis = _axis(axis, a.ndim, "logsumexp")
        if a.ndim == 1 and not keepdims:
            axis = None
    if axis is None:
        shape = (1,) * a.ndim if keepdims else ()
    else:
        shape = a.shape[:axis] + ((1,) if keepdims else ()) + a.shape[axis + 1:]
    return Tensor("lse", (a,), (axis, bool(keepdims)), shape)


def softmax(a: Tensor, axis=None) -> Tensor:
    """``exp(a - logsumexp(a, axis, keepdims=True))``."""
    if a.ndim == 0:
        return ONE
    if axis is not None:
        axis = _axis(axis, a.ndim, "softmax")
        if a.ndim == 1:
            axis = None
    return Tensor("softmax", (a,), (axis,), a.shape)


def _square(a: Tensor, op: str) -> None:
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ShapeError(f"{op}: needs a square matrix, got shape {fmt(a.shape)}")


def diag(a: Tensor) -> Tensor:
    """A vector's diagonal matrix, or a square matrix's diagonal."""
    if a.ndim == 1:
        return Tensor("diag", (a,), (), (a.shape[0], a.shape[0]))
    _square(a, "diag")
    if a.op == "diag":
        return a.args[0]
    if a.op == "eye":
        return bcast(ONE, a.shape[:1])
    return Tensor("diag", (a,), (), a.shape[:1])


def trace(a: Tensor) -> Tensor:
    _square(a, "trace")
    c, rest = coefficient(a)
    if c != 1:
        return mul(scalar(c), trace(rest))
    if rest.op == "eye":
        return scalar(_count(rest.shape[:1], None))
    return Tensor("trace", (a,), (), ())


def outer(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"outer: needs two vectors, got shapes {fmt(a.shape)} and "
                         f"{fmt(b.shape)}")
    ca, a = coefficient(a)
    cb, b = coefficient(b)
    out = Tensor("outer", (a, b), (), (a.shape[0], b.shape[0]))
    return out if ca * cb == 1 else mul(scalar(ca * cb), out)


def inv(a: Tensor) -> Tensor:
    _square(a, "inv")
    if a.op == "inv":
        return a.args[0]
    return Tensor("inv", (a,), (), a.shape)


def logdet(a: Tensor) -> Tensor:
    """``log(det(a))`` of a matrix with positive determinant."""
    _square(a, "logdet")
    return Tensor("logdet", (a,), (), ())


def eye(dim) -> Tensor:
    return Tensor("eye", (), (dim,), (dim, dim))
