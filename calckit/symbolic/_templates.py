"""Sums of terms of one shape: templates and their tables (private).

A least-squares objective is a sum of many residual terms that differ only
in the numbers baked into them (the data) and, for chained or separable
functions such as the extended Rosenbrock function, in which variables
they hold. :func:`split_sum` groups the terms of a sum by *shape*: the
expression tree with every variable and every number that is a direct
argument of a sum or a product replaced by a slot. Each group of at least
:data:`MIN_ROWS` terms becomes a :class:`Group`: one *template* expression
in placeholders and a table with one row per term, so that each term
equals the template with its row substituted. A slot that holds the same
variable or number in every row is put back into the template as it is.
Numbers anywhere else (exponents, arguments of functions) are part of the
shape, so templates differentiate with exactly the same rules as the
terms. Nothing is expanded or simplified: each term's tree is only read.

>>> import sympy as sp
>>> x, y = sp.symbols("x y", real=True)
>>> s = split_sum(sum((sp.exp(-t * x) - v) ** 2 for t, v in
...                   [(1, 3), (2, 5), (3, 7), (4, 9)]) + y, (x, y))
>>> g, = s.groups
>>> g.template
(tc1 + exp(tc0*x))**2
>>> g.table.tolist()
[[-4.0, -9.0], [-3.0, -7.0], [-2.0, -5.0], [-1.0, -3.0]]
>>> s.rest
y
>>> sp.expand(g.term(1) - (sp.exp(-3 * x) - 7) ** 2)
0
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass

import numpy
import sympy as sp

__all__ = ["Group", "Split", "split_sum", "MIN_ROWS"]

#: a shape shared by fewer terms than this is left in the rest of the sum
MIN_ROWS = 4


@dataclass(frozen=True)
class Group:
    """Terms of one shape: ``term r = template.xreplace(row r)``.

    Attributes
    ----------
    template : sympy.Expr
        In the variables held by every term (``fixed``), the variable
        placeholders ``slots`` and the number placeholders ``consts``.
    fixed : tuple of sympy.Symbol
        Variables that are the same in every term.
    slots : tuple of sympy.Symbol
        Placeholders of variables that change from term to term (named
        ``tv0, tv1, ...``, unlike any symbol of ``symbols``).
    slot_index : numpy.ndarray of int, shape (m, len(slots))
        Per term, the position in ``symbols`` (see :func:`split_sum`) of
        the variable of each slot.
    consts : tuple of sympy.Symbol
        Placeholders of the numbers that change from term to term
        (``tc0, tc1, ...``, real).
    numbers : tuple of tuples of sympy.Number
        Per term, the exact numbers of ``consts``.
    table : numpy.ndarray of float, shape (m, len(consts))
        ``numbers`` as floats.
    """

    template: sp.Expr
    fixed: tuple
    slots: tuple
    slot_index: numpy.ndarray
    consts: tuple
    numbers: tuple
    table: numpy.ndarray
    symbols: tuple

    @property
    def rows(self) -> int:
        """The number of terms ``m``."""
        return len(self.numbers)

    def substitution(self, r: int) -> dict:
        """The placeholders' values in term ``r``."""
        sub = {c: v for c, v in zip(self.consts, self.numbers[r], strict=True)}
        sub.update({s: self.symbols[int(i)]
                    for s, i in zip(self.slots, self.slot_index[r], strict=True)})
        return sub

    def term(self, r: int) -> sp.Expr:
        """Term ``r`` rebuilt from the template (equal to the original term
        in exact arithmetic)."""
        return self.template.xreplace(self.substitution(r))


@dataclass(frozen=True)
class Split:
    """A sum as ``sum(groups) + rest``."""

    groups: tuple
    rest: sp.Expr


class _Foreign(Exception):
    """A term holds a symbol that is not among the given ones."""


def _walk(e, kinds: dict, in_sum_or_product: bool = False):
    """``(key, digest, symbols, numbers)`` of ``e``: its shape with every
    variable replaced by its kind and every slot number by ``"n"``, an
    integer digest of the shape (the same in every process), and the
    variables and slot numbers in walk order.

    The arguments of sums and products are walked in an order that does not
    depend on the numbers (SymPy orders them by value too): by the digest of
    their shape, then by the positions of their variables.
    """
    if e.is_Symbol:
        kind = kinds.get(e)
        if kind is None:
            raise _Foreign(e)
        return kind[0], kind[2], (e,), ()
    if in_sum_or_product and isinstance(e, (sp.Float, sp.Rational)):
        return "n", 1, (), (e,)
    args = e.args
    if not args:
        if e.free_symbols:  # a symbol-like atom that is no Symbol
            raise _Foreign(e)
        # numbers hash alike in every process; names (pi, E, ...) do not
        digest = hash(e) if e.is_Number else zlib.crc32(str(e).encode())
        return e, digest, (), ()
    if isinstance(e, (sp.Add, sp.Mul)):
        parts = _sorted_parts(args, kinds)
    else:
        parts = [_walk(a, kinds) for a in args]
    syms: tuple = ()
    nums: tuple = ()
    for _, _, s, n in parts:
        syms += s
        nums += n
    # annotated: mypy checks type(e) against Hashable as if it were an instance
    t: type = type(e)
    digest = hash((_type_digest(t), *[p[1] for p in parts]))
    return (t, *[p[0] for p in parts]), digest, syms, nums


@functools.lru_cache(maxsize=1024)
def _type_digest(t) -> int:
    return zlib.crc32(f"{t.__module__}.{t.__qualname__}".encode())


def _order(parts, kinds: dict) -> list:
    """Walk order of the arguments of a sum or product (their walks)."""
    return sorted(range(len(parts)), key=lambda i: (
        parts[i][1], tuple(kinds[s][1] for s in parts[i][2])))


def _sorted_parts(args, kinds: dict) -> list:
    """The walks of the arguments of a sum or product, in walk order."""
    parts = [_walk(a, kinds, True) for a in args]
    return [parts[i] for i in _order(parts, kinds)]


def _rebuild(e, kinds: dict, symbols: dict, numbers, in_sum_or_product=False):
    """``e`` with its variables replaced through ``symbols`` and its slot
    numbers by the successive items of the iterator ``numbers``, in the walk
    order of :func:`_walk`."""
    if e.is_Symbol:
        return symbols[e]
    if in_sum_or_product and isinstance(e, (sp.Float, sp.Rational)):
        return next(numbers)
    args = e.args
    if not args:
        return e
    if isinstance(e, (sp.Add, sp.Mul)):
        new = list(args)
        for i in _order([_walk(a, kinds, True) for a in args], kinds):
            new[i] = _rebuild(args[i], kinds, symbols, numbers, True)
    else:
        new = [_rebuild(a, kinds, symbols, numbers) for a in args]
    if all(a is b for a, b in zip(new, args, strict=True)):
        return e
    return e.func(*new)


def _kinds(symbols, n_wrt: int) -> dict:
    """Per symbol: (what a slot holding it must agree on: its assumptions
    and whether it is differentiated (one of the first ``n_wrt``), its
    position, a digest of the first)."""
    kinds: dict = {}
    ids: dict = {}
    for i, s in enumerate(symbols):
        kind = (s._hashable_content()[1:], i < n_wrt)
        kinds[s] = (kind, i, ids.setdefault(kind, len(ids)))
    return kinds


@functools.lru_cache(maxsize=16)
def split_sum(expr: sp.Expr, symbols: tuple, n_wrt: int | None = None,
              min_rows: int = MIN_ROWS) -> Split | None:
    """Group the terms of the sum ``expr`` by shape.

    Parameters
    ----------
    expr : sympy.Expr
        A sum (anything else is one term).
    symbols : tuple of sympy.Symbol
        Every symbol the terms may hold (variables, then parameters).
    n_wrt : int, optional
        How many of ``symbols`` are differentiated (default: all); a slot
        only holds symbols of one kind.
    min_rows : int
        Smallest group.

    Returns
    -------
    Split or None
        ``None`` if a term holds a symbol outside ``symbols``. Results are
        kept in a small LRU cache (grad and Hessian kernels of one
        expression share them); treat them as immutable.
    """
    symbols = tuple(symbols)
    n_wrt = len(symbols) if n_wrt is None else n_wrt
    kinds = _kinds(symbols, n_wrt)
    buckets: dict = {}
    for t in sp.Add.make_args(expr):
        try:
            key, _, syms, nums = _walk(t, kinds)
        except _Foreign:
            return None
        first: dict = {}
        pattern = tuple(first.setdefault(s, len(first)) for s in syms)
        buckets.setdefault((key, pattern), []).append((t, tuple(first), nums))
    groups: list = []
    rest: list = []
    for rows in buckets.values():
        if len(rows) < min_rows or not rows[0][1]:
            rest.extend(t for t, _, _ in rows)
            continue
        groups.append(_group(rows, symbols, kinds))
    return Split(tuple(groups), sp.Add(*rest))


def _fresh(name: str, taken: set) -> str:
    """``name``, with underscores appended until no symbol has it."""
    while name in taken:
        name += "_"
    return name


def _constant(column) -> bool:
    first = column[0]
    return all(type(v) is type(first) and v == first for v in column)


def _group(rows, symbols, kinds) -> Group:
    """The :class:`Group` of ``rows``: (term, its distinct variables in walk
    order, its slot numbers in walk order)."""
    first, order, _ = rows[0]  # slot k holds order[k] in the first term
    taken = {s.name for s in symbols}
    sym_map: dict = {}
    fixed: list = []
    slots: list[sp.Symbol] = []
    varying_cols: list[list] = []
    for k, s0 in enumerate(order):
        column = [syms[k] for _, syms, _ in rows]
        if len(set(column)) == 1:
            sym_map[s0] = s0
            fixed.append(s0)
        else:
            d = sp.Symbol(_fresh(f"tv{len(slots)}", taken), **s0.assumptions0)
            sym_map[s0] = d
            slots.append(d)
            varying_cols.append([kinds[c][1] for c in column])
    fills: list = []
    consts: list[sp.Symbol] = []
    const_cols: list[list] = []
    for j in range(len(rows[0][2])):
        column = [nums[j] for _, _, nums in rows]
        if _constant(column):
            fills.append(column[0])
        else:
            c = sp.Symbol(_fresh(f"tc{len(consts)}", taken), real=True)
            fills.append(c)
            consts.append(c)
            const_cols.append(column)
    template = _rebuild(first, kinds, sym_map, iter(fills))
    m = len(rows)
    slot_index = numpy.array(varying_cols, dtype=numpy.intp).T.reshape(m, len(slots))
    exact = tuple(zip(*const_cols, strict=True)) if consts else ((),) * m
    table = numpy.array([[float(v) for v in r] for r in exact],
                        dtype=float).reshape(m, len(consts))
    return Group(template, tuple(fixed), tuple(slots), slot_index, tuple(consts),
                 exact, table, tuple(symbols))
