"""Gradient and Hessian kernels of sums of terms of one shape (private).

:func:`derived_kernel` is the fast path of :func:`calckit.compile_grad` and
:func:`calckit.compile_hessian` for a sum of many terms that differ only in
numbers (data baked into residuals) or in which variables they hold (the
extended Rosenbrock function): :func:`calckit.symbolic._templates.split_sum`
groups the terms, each group's *template* is rewritten into stable forms,
differentiated and compiled once, as a small kernel of its variables and of
its placeholders, and the generated driver evaluates it over the group's
table (one row per term, gathered arguments for the varying variables,
block by block over the points) and adds the rows into the output: a sum
along the rows when every term holds the same variables, else a sum of the
values sorted by output position, run by run (``numpy.add.reduceat``). The
terms outside any group (the *rest*) are differentiated and compiled as
before. The work is that of the few
templates, not of the whole sum.

The kernel's ``exprs`` and ``entries`` (the full derivative as SymPy
expressions) are only computed, by the plain path, when first read.

>>> import numpy as np
>>> import sympy as sp
>>> from calckit.kernels import compile
>>> x, y = sp.symbols("x y", real=True)
>>> f = sum((sp.exp(-t * x) * y - t) ** 2 for t in range(1, 9))
>>> k = derived_kernel("grad", f, (x, y), (), cse=True, dtype=np.dtype(float))
>>> k.signature, k.expr_shape, len(k.templates)
(('x', 'y'), (2,), 1)
>>> direct = compile([f.diff(x), f.diff(y)], [x, y])
>>> bool(np.allclose(k(0.3, 2.0), direct(0.3, 2.0)))
True
"""

from __future__ import annotations

import builtins
import hashlib
import linecache

import numpy
import sympy as sp

from calckit.kernels.compiler import compile
from calckit.kernels.kernel import Kernel
from calckit.kernels.products import product_kernel
from calckit.kernels.runtime import _F64, BLOCK, RUNTIME
from calckit.symbolic import derive
from calckit.symbolic._inner import chain
from calckit.symbolic._templates import split_sum
from calckit.symbolic.functions import softplus
from calckit.symbolic.stable import stabilize

__all__ = ["derived_kernel", "MIN_TERMS"]

#: sums with fewer terms in groups than this take the plain path
MIN_TERMS = 8
#: table rows times points evaluated at a time (a block of a group)
GROUP_BLOCK = BLOCK


def derived_kernel(kind, expr, wrt, params, *, cse, dtype):
    """The ``kind`` (``"grad"`` or ``"hessian"``) kernel of ``expr`` through
    templates, or ``None`` when ``expr`` has no such structure.

    Parameters
    ----------
    kind : str
    expr : sympy.Expr
    wrt, params : tuple of sympy.Symbol
    cse : bool
    dtype : numpy.dtype
        Real dtypes only (``None`` for complex ones).
    """
    if dtype.kind == "c":
        return None
    if dtype == numpy.float64:
        dtype = _F64  # the one object the runtime's fast checks compare with
    split = split_sum(expr, wrt + params, len(wrt))
    if split is None or sum(g.rows for g in split.groups) < MIN_TERMS:
        made = _chained(kind, expr, wrt, params, cse=cse, dtype=dtype)
        if made is None:
            made = product_kernel(kind, expr, wrt, params, cse=cse, dtype=dtype)
        if made is None:
            return None
        source, namespace, kernels = made
        return _wrap(kind, expr, wrt, params, source, namespace, kernels, cse, dtype)
    templates = [stabilize(g.template) for g in split.groups]
    rest = stabilize(split.rest) if split.rest != 0 else sp.S.Zero
    if not _separable([*templates, *[t for t in sp.Add.make_args(rest)
                                     if not t.is_number]]):
        return None
    n = len(wrt)
    size = n if kind == "grad" else n * n
    parts = []
    for g, t in zip(split.groups, templates, strict=True):
        part = _part(kind, g, t, n, cse=cse, dtype=dtype)
        if part is not None:
            parts.append(part)
    rest_kernel = None
    if set(wrt) & rest.free_symbols:
        d = (list(derive.grad(rest, list(wrt))) if kind == "grad"
             else derive.hessian(rest, list(wrt)))
        rest_kernel = compile(d, wrt, params, cse=cse, stable=True, dtype=dtype)
    source, namespace = _driver(parts, rest_kernel,
                                tuple(s.name for s in wrt + params), size,
                                (n,) if kind == "grad" else (n, n))
    return _wrap(kind, expr, wrt, params, source, namespace,
                 tuple(p.kernel for p in parts), cse, dtype)


def _wrap(kind, expr, wrt, params, source, namespace, kernels, cse, dtype):
    """The :class:`TemplatedKernel` running the driver ``source``."""
    n = len(wrt)
    return TemplatedKernel(
        kind=kind, expr=expr, templates=kernels,
        exprs=None, entries=None, wrt=wrt, params=params,
        signature=tuple(s.name for s in wrt + params),
        expr_shape=(n,) if kind == "grad" else (n, n), source=source,
        dtype=dtype, cse=cse, stable=True, fn=_exec(source, namespace, dtype),
    )


class TemplatedKernel(Kernel):
    """A :class:`~calckit.kernels.Kernel` of a derivative evaluated through
    templates; ``templates`` holds the kernels of the templates. ``exprs``
    and ``entries`` (the whole derivative, as the plain path compiles it)
    are derived when first read."""

    __slots__ = ("kind", "expr", "templates", "_full")

    def __init__(self, *, kind, expr, templates, **fields):
        self.kind = kind
        self.expr = expr
        self.templates = templates
        self._full = None
        super().__init__(**fields)

    def _derivative(self):
        if self._full is None:
            e = stabilize(self.expr)
            wrt = list(self.wrt)
            out = (tuple(derive.grad(e, wrt)) if self.kind == "grad"
                   else derive.hessian(e, wrt))
            entries = tuple(x if x.is_number else stabilize(x) for x in out)
            self._full = (out, entries)
        return self._full

    def _keep(self, value):  # Kernel.__init__ sets exprs and entries to None
        if value is not None:
            raise AttributeError("exprs and entries are read-only")

    exprs = property(lambda self: self._derivative()[0], _keep,
                     doc="The derivative (computed when first read).")
    entries = property(lambda self: self._derivative()[1], _keep,
                       doc="The entries compiled by the plain path (computed "
                           "when first read).")

    def __repr__(self) -> str:
        text = str(self.expr)
        if len(text) > 52:
            text = text[:49] + "..."
        wrt = ", ".join(s.name for s in self.wrt) + ("," if len(self.wrt) == 1 else "")
        params = ", ".join(s.name for s in self.params)
        params += "," if len(self.params) == 1 else ""
        return (f"Kernel({self.kind} of {text}, wrt=({wrt}), params=({params}), "
                f"expr_shape={self.expr_shape})")


def _chained(kind, expr, wrt, params, *, cse, dtype):
    """The driver of :func:`calckit.symbolic._inner.chain` (``(source,
    globals, kernels)``): one kernel of the helpers, one of the small
    entries in them (``None`` if ``expr`` has no inner sums)."""
    c = chain(stabilize(expr), kind, wrt, params)
    if c is None:
        return None
    n = len(wrt)
    helpers = tuple(h for h, _ in c.helpers)
    first = compile([v for _, v in c.helpers], wrt, params, cse=cse, stable=True,
                    dtype=dtype)
    out = (list(c.entries) if kind == "grad"
           else sp.ImmutableMatrix(n, n, c.entries))
    # the entries are products of helpers and of stable factors (see chain):
    # nothing left to rewrite, nor to share beyond what the helpers share
    second = compile(out, wrt, params + helpers, cse=False, stable=False,
                     dtype=dtype)
    source = (
        "def _kernel(*_A):\n"
        "    _h = _first(*_A)\n"
        f"    return _second(*_A, *[_h[..., _t] for _t in range({len(helpers)})])\n"
    )
    return source, {"_first": first.function, "_second": second.function}, (
        first, second)


def _separable(terms) -> bool:
    """True if the stable rewrites of a sum cannot combine two of its
    ``terms``, so that rewriting each term alone gives the same result.

    Those rewrites pair a term holding a factor ``sigmoid``, ``erf``,
    ``tanh`` or ``exp`` with a partner (complements ``c - c*f``, sigmoid
    pairs), or ``c*softplus(u)`` with the terms of ``-c*u``: a term with such
    a factor (any other function application but ``softplus``, to be safe)
    is refused, and a ``softplus`` factor only when every term that is not
    a number has one (none is then a term of some ``-c*u`` holding a
    variable; per-sample losses)."""
    soft = 0
    for t in terms:
        factors = [f.base if isinstance(f, sp.Pow) else f for f in sp.Mul.make_args(t)]
        if any(isinstance(f, softplus) for f in factors):
            soft += 1
        elif any(isinstance(f, sp.Function) for f in factors):
            return False
    return soft in (0, len(terms))


class _Part:
    """A compiled template and where its entries go, row by row."""

    __slots__ = ("kernel", "feed", "table", "rows", "targets", "take", "matrix")

    def __init__(self, kernel, feed, table, rows, targets, take, matrix):
        self.kernel = kernel  # Kernel of the template entries
        self.table = table    # (m, consts) numbers of the rows
        self.feed = feed      # per template argument: ("x", k) | ("s", idx) | ("c", j)
        self.rows = rows      # number of terms m
        self.targets = targets  # output positions written (distinct)
        self.take = take      # entries to take (no varying slot), or None
        self.matrix = matrix  # (order, starts) to add columns into targets, or None


def _part(kind, g, template, n, *, cse, dtype):
    """The :class:`_Part` of group ``g`` (``None`` if its derivative is 0)."""
    position = {s: i for i, s in enumerate(g.symbols)}
    # the template's variables: fixed ones and slots, with per-row positions
    tvars, where = [], []
    for s in g.fixed:
        if position[s] < n:
            tvars.append(s)
            where.append(numpy.full(g.rows, position[s]))
    for k, s in enumerate(g.slots):
        if g.slot_index.size and g.slot_index[0, k] < n:
            tvars.append(s)
            where.append(g.slot_index[:, k])
    if not tvars:
        return None
    entries: list = []
    places: list[tuple[numpy.ndarray, ...]] = []  # per entry, per-row output positions
    if kind == "grad":
        for a, d in enumerate(derive.grad(template, tvars)):
            if d != 0:
                entries.append(d)
                places.append((where[a],))
    else:
        h = derive.hessian(template, tvars)
        for a in range(len(tvars)):
            for b in range(a, len(tvars)):
                if h[a, b] != 0:
                    entries.append(h[a, b])
                    pos = where[a] * n + where[b]
                    places.append((pos,) if a == b else (pos, where[b] * n + where[a]))
    if not entries:
        return None
    targs = (*g.fixed, *g.slots, *g.consts)
    kernel = compile(entries, targs, (), cse=cse, stable=True, dtype=dtype)
    feed = [("x", position[s]) for s in g.fixed]
    feed += [("s", g.slot_index[:, k]) for k in range(len(g.slots))]
    feed += [("c", j) for j in range(len(g.consts))]
    if not g.slots:  # every row writes the same places: sum the rows
        take = [q for q, pl in enumerate(places) for _ in pl]
        targets = numpy.array([int(p[0]) for pl in places for p in pl])
        return _Part(kernel, feed, g.table, g.rows, targets, numpy.array(take), None)
    e = len(entries)
    rows_, cols = [], []  # per entry and place: columns of _v, output positions
    for q, pl in enumerate(places):
        for pos in pl:
            rows_.append(numpy.arange(g.rows) * e + q)
            cols.append(pos)
    src = numpy.concatenate(rows_)  # column of the flattened (m, e) values
    pos = numpy.concatenate(cols)
    order = numpy.argsort(pos, kind="stable")
    targets, starts = numpy.unique(pos[order], return_index=True)
    matrix = (src[order], starts)  # sum the sorted columns run by run
    return _Part(kernel, feed, g.table, g.rows, targets, None, matrix)


def _driver(parts, rest_kernel, labels, size, tail):
    """Source and globals of the driver ``_kernel(*_A)`` (one argument per
    label; the :class:`Kernel` checks their number).

    The output is filled as ``_shape + (size,)`` (flat trailing axis). A
    group whose terms all hold the same variables is evaluated on whole
    arrays when its table times the points is small (one point), else, like
    a group with varying variables, block by block over the points on the
    arguments stacked as rows of ``_X``.
    """
    ns: dict = {"_LABELS": labels}
    tup = "_A"
    lines = [
        "def _kernel(*_A):",
        "    _A = [_asarray(a, _dtype, n) for a, n in zip(_A, _LABELS)]",
        "    try:",
        "        _shape = _bshape(_A)",
        "    except ValueError:",
        "        _shape_error(_LABELS, _A)",
        "    _n = _prod(_shape)",
        "    _X = None",
    ]
    if rest_kernel is not None:
        ns["_rest"] = rest_kernel.function
        lines.append(f"    out = _ascontiguous(_rest(*_A)).reshape(_shape + ({size},))")
    else:
        lines.append(f"    out = numpy.zeros(_shape + ({size},), _dtype)")
    lines.append(f"    _o = out.reshape(_n, {size})")
    for i, p in enumerate(parts):
        ns[f"_g{i}"] = p.kernel.function
        ns[f"_U{i}"] = p.targets
        whole, blocked = [], []
        for what, val in p.feed:
            if what == "x":
                whole.append(f"_A[{val}][..., None]")
                blocked.append(f"_X[{val}, _i:_j, None]")
            elif what == "s":
                ns[f"_S{i}_{len(blocked)}"] = val
                blocked.append(f"_X[_S{i}_{len(blocked)}, _i:_j].T")
            else:
                ns[f"_C{i}_{val}"] = numpy.ascontiguousarray(p.table[:, val])
                whole.append(f"_C{i}_{val}")
                blocked.append(f"_C{i}_{val}")
        rows = max(1, GROUP_BLOCK // p.rows)
        indent = "    "
        if p.matrix is None:
            ns[f"_Q{i}"] = p.take
            lines += [
                f"    if _n <= {rows}:",
                f"        _v = _g{i}({', '.join(whole)})",
                f"        out[..., _U{i}] += _v.sum(axis=-2)[..., _Q{i}]",
                "    else:",
            ]
            indent = "        "
        lines += [
            f"{indent}if _X is None:",
            f"{indent}    _X = _columns({tup}, _shape, _n, _dtype)",
            f"{indent}for _i in range(0, _n, {rows}):",
            f"{indent}    _j = min(_i + {rows}, _n)",
            f"{indent}    _v = _g{i}({', '.join(blocked)})",
        ]
        if p.matrix is None:
            lines.append(f"{indent}    _o[_i:_j, _U{i}] += _v.sum(axis=1)[:, _Q{i}]")
        else:
            ns[f"_O{i}"], ns[f"_B{i}"] = p.matrix
            picked = f"_v.reshape(_j - _i, -1)[:, _O{i}]"
            if len(p.matrix[1]) < len(p.matrix[0]):  # some positions get several
                picked = f"numpy.add.reduceat({picked}, _B{i}, axis=1)"
            lines.append(f"{indent}    _o[_i:_j, _U{i}] += {picked}")
    lines.append(f"    return out.reshape(_shape + {tail!r})")
    return "\n".join(lines) + "\n", ns


def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _columns(arrays, shape, n, dtype):
    """The arguments broadcast to ``shape``, one row of ``n`` values each."""
    if all(a.shape == shape for a in arrays):  # scalars, or one common shape
        return numpy.array(arrays, dtype).reshape(len(arrays), n)
    out = numpy.empty((len(arrays), n), dtype)
    for k, a in enumerate(arrays):
        out[k] = numpy.broadcast_to(a, shape).reshape(n)
    return out


def _exec(source, namespace, dtype):
    digest = hashlib.sha1(source.encode()).hexdigest()[:12]
    filename = f"<calckit-templated-{digest}>"
    ns = {"numpy": numpy, **RUNTIME, "_prod": _prod, "_columns": _columns,
          "_ascontiguous": numpy.ascontiguousarray, "_dtype": dtype, **namespace}
    exec(builtins.compile(source, filename, "exec"), ns)  # our own source
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return ns["_kernel"]
