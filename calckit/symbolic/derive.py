"""Exact derivatives: :func:`derivative`, :func:`grad`, :func:`jacobian`,
:func:`hessian` and :func:`directional_derivative`.

Speed comes from structure, not from simplification. A sum is differentiated
term by term, and each term only with respect to the variables it holds, so
the gradient of an N-variable sum of local terms (Rosenbrock, least squares,
most losses) costs O(N) term derivatives instead of SymPy's O(N^2) walks.
The Hessian differentiates each first partial of each term once per
unordered pair of its own variables and mirrors the result, so it is
symmetric by construction. Nothing here calls ``simplify``.

>>> import sympy as sp
>>> x, y = sp.symbols("x y", real=True)
>>> derivative(x**3 * y, x, 2)
6*x*y
>>> hessian(x**2 * y + y**3)
Matrix([
[2*y,     2*x],
[2*x, 6*y]])
"""

from __future__ import annotations

import functools
import numbers
import re
from collections.abc import Iterable, Mapping

import sympy as sp

from calckit.errors import CalckitTypeError, DifferentiationError, ShapeError
from calckit.symbolic._coerce import (
    _short,
    as_expr,
    as_symbol,
    as_symbols,
)
from calckit.symbolic._diff import _diff, _holds, _terms
from calckit.symbolic.budget import DEFAULT_MAX_OPS, Budget
from calckit.symbolic.tensor import api as _tensor

__all__ = [
    "derivative",
    "grad",
    "jacobian",
    "hessian",
    "directional_derivative",
    "hvp",
]


#: :func:`derivative` refuses higher orders unless the derivatives vanish or
#: repeat before (each differentiation costs time and, usually, size)
MAX_ORDER = 1000

def _check_order(n, name: str = "the derivative order n") -> int:
    """``n`` as an int, or :class:`DifferentiationError` naming it."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise DifferentiationError(
            f"{name} must be a non-negative integer, got {n!r}"
        )
    return int(n)


def _variable(var, expr) -> sp.Symbol:
    if not isinstance(var, (str, sp.Symbol)):
        raise DifferentiationError(
            "var must be a symbol or a variable name, got "
            f"{type(var).__name__}: {_short(var)}"
        )
    return as_symbol(var, expr, name="var")


def derivative(
    expr,
    var,
    n: int = 1,
    *,
    max_ops: int | None = DEFAULT_MAX_OPS,
    allow_missing: bool = False,
    shapes=None,
) -> sp.Expr:
    """The ``n``-th derivative of ``expr`` with respect to ``var``.

    Parameters
    ----------
    expr : sympy.Expr or str
        The expression (strings go through :func:`calckit.parse`).
    var : sympy.Symbol or str
        The variable; a name is matched against the symbols of ``expr``.
    n : int, default 1
        Order, ``n >= 0``; ``n = 0`` returns ``expr`` unchanged.
    max_ops : int or None, default ``DEFAULT_MAX_OPS``
        Work budget (see :mod:`calckit.symbolic.budget`), counted over all
        ``n`` differentiations as they run; None: no limit.
    allow_missing : bool, default False
        Allow a ``var`` name that does not occur in ``expr`` (result 0 for
        ``n >= 1``); by default it raises ``DifferentiationError``. A SymPy
        symbol is taken as given (``derivative(c, x)`` is 0).

    Returns
    -------
    sympy.Expr

    Raises
    ------
    DifferentiationError
        If ``n`` is not a non-negative integer or ``var`` is not a symbol,
        or if ``n > MAX_ORDER`` (1000) and the derivatives neither vanish
        nor repeat within the first ``MAX_ORDER`` orders (periodic ones,
        such as those of ``sin`` or ``exp``, are reduced: any ``n`` works).
    WorkLimitError
        If the work passes ``max_ops`` (``derivative("exp(x**2)", "x",
        500)``); the message says how to raise it.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> derivative(sp.sin(x) * x, x)
    x*cos(x) + sin(x)
    >>> derivative(sp.Abs(x), "x")
    sign(x)
    >>> derivative(x**5, x, 0)
    x**5
    >>> derivative(sp.sin(x), x, 10**9 + 1)
    cos(x)
    """
    if _tensor.is_tensor(expr, shapes):  # shaped symbols: matrix calculus
        return _tensor.derivative(expr, var, n, shapes=shapes)
    n = _check_order(n)
    e = as_expr(expr)
    v = _variable(var, e)
    if n and not allow_missing:
        _check_present([v], [e], var)
    given = e  # e is rebound below; given and n are not
    budget = Budget(max_ops,
                    lambda: f"derivative of order {n} of {_short(given, 60)}")
    history: list = []  # e, e', e'', ...: a repeat means the derivatives cycle
    seen: dict = {}
    for k in range(n):
        if not _holds(e, v):
            return sp.S.Zero
        if e in seen:  # sin, exp, ...: jump to the same place in the cycle
            start = seen[e]
            return history[start + (n - k) % (k - start)]
        if k >= MAX_ORDER:
            raise DifferentiationError(
                f"derivative of order n={n} of {_short(given)}: still non-zero "
                f"and not periodic after {MAX_ORDER} differentiations; orders "
                f"above {MAX_ORDER} are only computed when the derivatives "
                "vanish or repeat"
            )
        seen[e] = k
        history.append(e)
        e = _diff(e, v, budget)
    return e


def _wrt_and_expr(expr, wrt, allow_missing: bool = False):
    e = as_expr(expr)
    syms = as_symbols(wrt, e)
    if not allow_missing:
        _check_present(syms, [e], wrt)
    return e, syms


def _names(wrt) -> set:
    """The variables of ``wrt`` given by name (strings), not as symbols."""
    if isinstance(wrt, str):
        return {p for p in re.split(r"[\s,]+", wrt.strip()) if p}
    if isinstance(wrt, Iterable) and not isinstance(wrt, sp.Basic):
        return {v.strip() for v in wrt if isinstance(v, str)}
    return set()


def _check_present(syms, exprs: list, wrt) -> None:
    """:class:`DifferentiationError` if a variable given by name occurs in
    none of ``exprs``: a typo such as ``grad("w*x", wrt="v")`` would
    silently give 0. A SymPy symbol built by the caller is taken as given
    (its derivative is 0 where it does not occur)."""
    held = set().union(*(e.free_symbols for e in exprs))
    named = _names(wrt)
    missing = [s for s in syms if s not in held and s.name in named]
    if missing:
        names = ", ".join(sorted(str(s) for s in held)) or "none"
        what = _short(exprs[0], 60) if len(exprs) == 1 else "the expressions"
        raise DifferentiationError(
            f"cannot differentiate {what} with respect to "
            f"{', '.join(map(str, missing))}: it does not occur there (free "
            f"symbols: {names}); pass allow_missing=True for a zero derivative"
        )


@functools.lru_cache(maxsize=16)
def _term_partials(expr: sp.Expr, wrt: tuple, max_ops: int | None) -> tuple:
    """Per term of ``expr``: the pairs ``(i, d term / d wrt[i])`` for the
    variables the term holds, in the order of ``wrt``, within ``max_ops``.

    Shared by :func:`grad` and :func:`hessian` (kernels ask for both), through
    a small LRU cache of immutable results.
    """
    index = {s: i for i, s in enumerate(wrt)}
    budget = Budget(max_ops,
                    lambda: f"first derivatives of {_short(expr, 60)}")
    out = []
    for t in _terms(expr):
        own = sorted(index[s] for s in t.free_symbols if s in index)
        out.append(tuple((i, _diff(t, wrt[i], budget)) for i in own))
    return tuple(out)


def _first_partials(expr, wrt, max_ops) -> list[list]:
    """For each variable, the list of per-term first derivatives."""
    parts: list[list] = [[] for _ in wrt]
    for pairs in _term_partials(expr, tuple(wrt), max_ops):
        for i, d in pairs:
            parts[i].append(d)
    return parts


def grad(
    expr,
    wrt=None,
    *,
    max_ops: int | None = DEFAULT_MAX_OPS,
    allow_missing: bool = False,
    shapes=None,
) -> sp.ImmutableMatrix:
    """Gradient of a scalar expression as a column matrix of shape (n, 1).

    Parameters
    ----------
    expr : sympy.Expr or str
    wrt : sequence of symbols or names, or str, optional
        Variables, in order; default: the free symbols sorted by name.
    max_ops : int or None, default ``DEFAULT_MAX_OPS``
        Work budget of the derivation (see :mod:`calckit.symbolic.budget`),
        counted as it runs; None: no limit. Past it: ``WorkLimitError``.
    allow_missing : bool, default False
        Allow variables named (as strings) that do not occur in the
        expression (their entries are 0); by default such a name raises
        ``DifferentiationError`` naming the free symbols, as it is usually
        a typo. SymPy symbols are taken as given (0 where absent).

    Returns
    -------
    sympy.ImmutableMatrix
        Shape ``(len(wrt), 1)``.

    Examples
    --------
    >>> import sympy as sp
    >>> w, x, b = sp.symbols("w x b", real=True)
    >>> grad(w**2 * x + b, wrt=[w, b])
    Matrix([
    [2*w*x],
    [    1]])
    >>> grad(sp.Max(x, 0), wrt=[x]).shape
    (1, 1)
    """
    if _tensor.is_tensor(expr, shapes):  # shaped symbols: matrix calculus
        return _tensor.grad(expr, wrt, shapes=shapes)
    e, syms = _wrt_and_expr(expr, wrt, allow_missing)
    parts = _first_partials(e, syms, max_ops)
    return sp.ImmutableMatrix(len(syms), 1, [sp.Add(*p) for p in parts])


def _as_expr_list(exprs) -> list:
    if isinstance(exprs, (str, sp.Expr, numbers.Number)):
        return [as_expr(exprs, name="exprs")]
    if isinstance(exprs, sp.MatrixBase):
        return [as_expr(e, name="exprs") for e in exprs]
    if isinstance(exprs, Iterable) and not isinstance(exprs, Mapping):
        return [as_expr(e, name=f"exprs[{i}]") for i, e in enumerate(exprs)]
    raise CalckitTypeError(
        "exprs must be a sequence of expressions or strings, got "
        f"{type(exprs).__name__}: {_short(exprs)}"
    )


def jacobian(
    exprs,
    wrt=None,
    *,
    max_ops: int | None = DEFAULT_MAX_OPS,
    allow_missing: bool = False,
    shapes=None,
) -> sp.ImmutableMatrix:
    """Jacobian of ``m`` expressions with respect to ``n`` variables.

    Parameters
    ----------
    exprs : sequence of sympy.Expr or str, or a sympy Matrix
        The ``m`` outputs (a matrix is read in row-major order). A single
        expression counts as ``m = 1``.
    wrt : sequence of symbols or names, or str, optional
        Default: the free symbols of all outputs sorted by name.
    max_ops : int or None, default ``DEFAULT_MAX_OPS``
        Work budget of the derivation (see :mod:`calckit.symbolic.budget`),
        counted as it runs; None: no limit. Past it: ``WorkLimitError``.
    allow_missing : bool, default False
        Allow variables named (as strings) that do not occur in the
        expression (their entries are 0); by default such a name raises
        ``DifferentiationError`` naming the free symbols, as it is usually
        a typo. SymPy symbols are taken as given (0 where absent).

    Returns
    -------
    sympy.ImmutableMatrix
        Shape ``(m, n)``; entry ``(i, j)`` is ``d exprs[i] / d wrt[j]``.

    Examples
    --------
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y", real=True)
    >>> jacobian([x * y, x + y**2])
    Matrix([
    [y,   x],
    [1, 2*y]])
    """
    if _tensor.is_tensor(exprs, shapes):  # shaped symbols: matrix calculus
        return _tensor.jacobian(exprs, wrt, shapes=shapes)
    es = _as_expr_list(exprs)
    syms = as_symbols(wrt, es)
    if not allow_missing:  # each variable must occur in at least one output
        _check_present(syms, es, wrt)
    rows: list[sp.Expr] = []
    for e in es:
        rows.extend(sp.Add(*p) for p in _first_partials(e, syms, max_ops))
    return sp.ImmutableMatrix(len(es), len(syms), rows)


def hessian(
    expr,
    wrt=None,
    *,
    max_ops: int | None = DEFAULT_MAX_OPS,
    allow_missing: bool = False,
    shapes=None,
) -> sp.ImmutableMatrix:
    """Symmetric Hessian matrix of a scalar expression.

    Each unordered pair of variables is differentiated once per term that
    holds both, and the upper triangle is mirrored, so the result is exactly
    symmetric.

    Parameters
    ----------
    expr : sympy.Expr or str
    wrt : sequence of symbols or names, or str, optional
        Default: the free symbols sorted by name.
    max_ops : int or None, default ``DEFAULT_MAX_OPS``
        Work budget of the derivation (see :mod:`calckit.symbolic.budget`),
        counted as it runs; None: no limit. Past it: ``WorkLimitError``.
    allow_missing : bool, default False
        Allow variables named (as strings) that do not occur in the
        expression (their entries are 0); by default such a name raises
        ``DifferentiationError`` naming the free symbols, as it is usually
        a typo. SymPy symbols are taken as given (0 where absent).

    Returns
    -------
    sympy.ImmutableMatrix
        Shape ``(n, n)``.

    Examples
    --------
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y", real=True)
    >>> H = hessian(sp.exp(x * y), wrt=[x, y])
    >>> H[0, 1]
    x*y*exp(x*y) + exp(x*y)
    >>> H == H.T
    True
    """
    if _tensor.is_tensor(expr, shapes):  # shaped symbols: matrix calculus
        return _tensor.hessian(expr, wrt, shapes=shapes)
    e, syms = _wrt_and_expr(expr, wrt, allow_missing)
    n = len(syms)
    upper: dict[tuple[int, int], list] = {}
    budget = Budget(max_ops, lambda: f"second derivatives of {_short(e, 60)}")
    for pairs in _term_partials(e, tuple(syms), max_ops):
        own = [i for i, _ in pairs]
        for a, (i, d1) in enumerate(pairs):
            fs = d1.free_symbols
            for j in own[a:]:
                if syms[j] in fs:
                    upper.setdefault((i, j), []).append(_diff(d1, syms[j], budget))
    entries = [[sp.S.Zero] * n for _ in range(n)]
    for (i, j), parts in upper.items():
        entries[i][j] = entries[j][i] = sp.Add(*parts)
    return sp.ImmutableMatrix(n, n, [v for row in entries for v in row])


def directional_derivative(
    expr,
    direction,
    wrt=None,
    *,
    normalize: bool = False,
    max_ops: int | None = DEFAULT_MAX_OPS,
    allow_missing: bool = False,
) -> sp.Expr:
    """Derivative of ``expr`` along ``direction``: ``grad(expr) . direction``.

    Parameters
    ----------
    expr : sympy.Expr or str
    direction : sequence or mapping
        Components matching ``wrt`` (numbers, SymPy expressions or strings),
        or a mapping ``{variable: component}`` (missing variables are 0).
    wrt : sequence of symbols or names, or str, optional
        Default: the free symbols sorted by name (for a mapping, its keys in
        the given order).
    normalize : bool, default False
        Divide by the Euclidean length of ``direction`` (unit direction).
    max_ops : int or None, default ``DEFAULT_MAX_OPS``
        Work budget of the gradient, as in :func:`grad`.
    allow_missing : bool, default False
        As in :func:`grad`: a variable absent from ``expr`` is an error.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ShapeError
        If the number of components differs from the number of variables.
    DifferentiationError
        If ``normalize=True`` and the direction is zero.

    Examples
    --------
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y", real=True)
    >>> directional_derivative(x**2 + 3*y, [1, 2], wrt=[x, y])
    2*x + 6
    >>> directional_derivative(x**2 + 3*y, [3, 4], wrt=[x, y], normalize=True)
    6*x/5 + 12/5
    """
    e = as_expr(expr)
    if isinstance(direction, Mapping):
        keys = [as_symbol(k, e, name="direction") for k in direction]
        comps = dict(zip(keys, direction.values(), strict=True))
        syms = keys if wrt is None else as_symbols(wrt, e)
        unknown = [k for k in keys if k not in syms]
        if unknown:
            raise ShapeError(
                f"direction names {unknown} which are not among wrt = {syms}"
            )
        vec = [comps.get(s, 0) for s in syms]
    else:
        syms = as_symbols(wrt, e)
        if isinstance(direction, (str, sp.Expr, numbers.Number)) or not isinstance(
            direction, Iterable
        ):
            raise CalckitTypeError(
                "direction must be a sequence or a mapping of components, got "
                f"{type(direction).__name__}: {_short(direction)}"
            )
        vec = list(direction)
        if len(vec) != len(syms):
            raise ShapeError(
                f"direction has {len(vec)} components but wrt has {len(syms)} "
                f"variables {syms}; give one component per variable"
            )
    vec = [as_expr(c, name=f"direction[{i}]") for i, c in enumerate(vec)]
    if not allow_missing:
        _check_present(syms, [e], wrt)
    g = grad(e, syms, max_ops=max_ops)
    out = sp.Add(*[gi * ci for gi, ci in zip(g, vec, strict=True) if ci != 0])
    if normalize:
        norm = sp.sqrt(sp.Add(*[c**2 for c in vec]))
        if norm == 0:
            raise DifferentiationError(
                f"cannot normalize the zero direction {_short(direction)}"
            )
        out = out / norm
    return out


def hvp(expr, wrt, v, *, shapes=None, max_ops: int | None = DEFAULT_MAX_OPS):
    """Hessian-vector product.

    For a tensor expression (or text with ``shapes=``): an expression of the
    shape of ``wrt``; ``v`` is a tensor of that shape or a name. For a scalar
    SymPy expression: ``hessian(expr, wrt) @ v`` as a column matrix.

    >>> import calckit as ck
    >>> ck.hvp("x**2*y", "x y", [1, 0])
    Matrix([
    [2*y],
    [2*x]])
    """
    if _tensor.is_tensor(expr, shapes):  # shaped symbols: matrix calculus
        return _tensor.hvp(expr, wrt, v, shapes=shapes)
    h = hessian(expr, wrt, max_ops=max_ops)
    vec = sp.ImmutableMatrix([sp.sympify(c) for c in v])
    if vec.shape[0] != h.shape[0]:
        raise DifferentiationError(f"hvp: v has {vec.shape[0]} entries but there are "
                                   f"{h.shape[0]} variables")
    return h * vec
