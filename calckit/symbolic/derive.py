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
from collections.abc import Iterable, Mapping

import sympy as sp
from sympy.core.function import ArgumentIndexError

from calckit.errors import CalckitTypeError, DifferentiationError, ShapeError
from calckit.symbolic._coerce import (
    _short,
    as_expr,
    as_symbol,
    as_symbols,
)
from calckit.symbolic.tensor import api as _tensor

__all__ = [
    "derivative",
    "grad",
    "jacobian",
    "hessian",
    "directional_derivative",
]


#: :func:`derivative` refuses higher orders unless the derivatives vanish or
#: repeat before (each differentiation costs time and, usually, size)
MAX_ORDER = 1000

#: functions constant between jumps: derivative 0 (almost everywhere; at the
#: jumps too, PyTorch's autograd convention), never ``Derivative(floor(x), x)``
_STEPWISE = (sp.floor, sp.ceiling)


def _terms(expr: sp.Expr) -> tuple:
    """The top-level terms of ``expr`` (one term if it is not a sum)."""
    return expr.args if isinstance(expr, sp.Add) else (expr,)


def _diff(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    """d expr / d var: the chain rule applied node by node.

    Sums, products, powers with an exponent free of ``var``, ``floor`` and
    ``ceiling`` (derivative 0) and functions that differentiate through
    their ``fdiff`` (exp, log, sin, erf, the stable primitives, ...) are
    handled here, skipping every subtree free of ``var``; anything else (Abs,
    Piecewise, Max, sign, ...) goes to SymPy's own ``diff``, whose
    derivatives of ``floor`` and ``ceiling`` inside are set to 0. ``memo``
    lives for one call only, so shared subtrees are differentiated once and
    no state outlives the call.
    """
    memo: dict = {}

    def d(e):
        if e == var:
            return sp.S.One
        if var not in e.free_symbols:
            return sp.S.Zero
        hit = memo.get(e)
        if hit is not None:
            return hit
        if isinstance(e, sp.Add):
            out = sp.Add(*[d(a) for a in e.args])
        elif isinstance(e, sp.Mul) and e.is_commutative:
            args = e.args
            parts = []
            for k, a in enumerate(args):
                da = d(a)
                if da != 0:
                    parts.append(sp.Mul(*args[:k], da, *args[k + 1 :]))
            out = sp.Add(*parts)
        elif isinstance(e, sp.Pow) and var not in e.exp.free_symbols:
            base, ex = e.args
            out = sp.Mul(ex, sp.Pow(base, ex - 1), d(base))
        elif isinstance(e, _STEPWISE):
            out = sp.S.Zero
        elif isinstance(e, sp.Piecewise):  # branchwise, with the rules here
            out = sp.Piecewise(*[(d(val), cond) for val, cond in e.args])
        elif isinstance(e, sp.Abs) and _real_symbols(e):
            # real calculus: |u|' = sign(u)*u' even when SymPy cannot prove
            # u real (log(x), x/y, sqrt(x) - 1), where its own rule goes
            # through re/im and atan2 or stays an unevaluated Derivative
            out = sp.sign(e.args[0]) * d(e.args[0])
        elif isinstance(e, sp.sign) and _real_symbols(e):
            # SymPy's rule for a real argument, whether or not it is provable
            out = 2 * sp.DiracDelta(e.args[0]) * d(e.args[0])
        elif (
            isinstance(e, sp.Function)
            and type(e)._eval_derivative is sp.Function._eval_derivative
        ):
            out = _chain(e, d)
        else:
            out = _flat_steps(e.diff(var))
        memo[e] = out
        return out

    return d(expr)


def _real_symbols(e: sp.Expr) -> bool:
    """True if every free symbol of ``e`` is real (as calckit's are): the
    function is then read as a real function where it is defined."""
    return all(s.is_extended_real for s in e.free_symbols)


def _flat_steps(expr: sp.Expr) -> sp.Expr:
    """``expr`` (from SymPy's ``diff``) with the derivatives of ``floor`` and
    ``ceiling`` it left unevaluated (``Derivative(floor(x), x)``, or
    ``Subs(Derivative(floor(_xi), _xi), _xi, u)`` inside a chain rule) set
    to 0."""
    if not expr.has(sp.Derivative):
        return expr

    def is_step_derivative(node) -> bool:
        if isinstance(node, sp.Subs):
            node = node.expr
        return isinstance(node, sp.Derivative) and isinstance(node.expr, _STEPWISE)

    # xreplace works top-down: a Subs goes as a whole, not just its inside
    zero = {n: sp.S.Zero for n in expr.atoms(sp.Subs, sp.Derivative)
            if is_step_derivative(n)}
    return expr.xreplace(zero) if zero else expr


def _chain(e: sp.Function, d) -> sp.Expr:
    """Chain rule through ``fdiff`` (SymPy's generic Function rule)."""
    parts = []
    for i, a in enumerate(e.args, start=1):
        da = d(a)
        if da == 0:
            continue
        try:
            df = e.fdiff(i)
        except ArgumentIndexError:
            df = sp.Function.fdiff(e, i)
        parts.append(df * da)
    return sp.Add(*parts)


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


def derivative(expr, var, n: int = 1, *, shapes=None) -> sp.Expr:
    """The ``n``-th derivative of ``expr`` with respect to ``var``.

    Parameters
    ----------
    expr : sympy.Expr or str
        The expression (strings go through :func:`calckit.parse`).
    var : sympy.Symbol or str
        The variable; a name is matched against the symbols of ``expr``.
    n : int, default 1
        Order, ``n >= 0``; ``n = 0`` returns ``expr`` unchanged.

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
    given = e
    history: list = []  # e, e', e'', ...: a repeat means the derivatives cycle
    seen: dict = {}
    for k in range(n):
        if v not in e.free_symbols:
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
        e = _diff(e, v)
    return e


def _wrt_and_expr(expr, wrt):
    e = as_expr(expr)
    return e, as_symbols(wrt, e)


@functools.lru_cache(maxsize=16)
def _term_partials(expr: sp.Expr, wrt: tuple) -> tuple:
    """Per term of ``expr``: the pairs ``(i, d term / d wrt[i])`` for the
    variables the term holds, in the order of ``wrt``.

    Shared by :func:`grad` and :func:`hessian` (kernels ask for both), through
    a small LRU cache of immutable results.
    """
    index = {s: i for i, s in enumerate(wrt)}
    out = []
    for t in _terms(expr):
        own = sorted(index[s] for s in t.free_symbols if s in index)
        out.append(tuple((i, _diff(t, wrt[i])) for i in own))
    return tuple(out)


def _first_partials(expr, wrt) -> list[list]:
    """For each variable, the list of per-term first derivatives."""
    parts: list[list] = [[] for _ in wrt]
    for pairs in _term_partials(expr, tuple(wrt)):
        for i, d in pairs:
            parts[i].append(d)
    return parts


def grad(expr, wrt=None, *, shapes=None) -> sp.ImmutableMatrix:
    """Gradient of a scalar expression as a column matrix of shape (n, 1).

    Parameters
    ----------
    expr : sympy.Expr or str
    wrt : sequence of symbols or names, or str, optional
        Variables, in order; default: the free symbols sorted by name. A
        variable that does not occur in ``expr`` gets a zero entry.

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
    e, syms = _wrt_and_expr(expr, wrt)
    parts = _first_partials(e, syms)
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


def jacobian(exprs, wrt=None, *, shapes=None) -> sp.ImmutableMatrix:
    """Jacobian of ``m`` expressions with respect to ``n`` variables.

    Parameters
    ----------
    exprs : sequence of sympy.Expr or str, or a sympy Matrix
        The ``m`` outputs (a matrix is read in row-major order). A single
        expression counts as ``m = 1``.
    wrt : sequence of symbols or names, or str, optional
        Default: the free symbols of all outputs sorted by name.

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
    rows = []
    for e in es:
        rows.extend(sp.Add(*p) for p in _first_partials(e, syms))
    return sp.ImmutableMatrix(len(es), len(syms), rows)


def hessian(expr, wrt=None, *, shapes=None) -> sp.ImmutableMatrix:
    """Symmetric Hessian matrix of a scalar expression.

    Each unordered pair of variables is differentiated once per term that
    holds both, and the upper triangle is mirrored, so the result is exactly
    symmetric.

    Parameters
    ----------
    expr : sympy.Expr or str
    wrt : sequence of symbols or names, or str, optional
        Default: the free symbols sorted by name.

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
    e, syms = _wrt_and_expr(expr, wrt)
    n = len(syms)
    upper: dict[tuple[int, int], list] = {}
    for pairs in _term_partials(e, tuple(syms)):
        own = [i for i, _ in pairs]
        for a, (i, d1) in enumerate(pairs):
            fs = d1.free_symbols
            for j in own[a:]:
                if syms[j] in fs:
                    upper.setdefault((i, j), []).append(_diff(d1, syms[j]))
    entries = [[sp.S.Zero] * n for _ in range(n)]
    for (i, j), parts in upper.items():
        entries[i][j] = entries[j][i] = sp.Add(*parts)
    return sp.ImmutableMatrix(n, n, [v for row in entries for v in row])


def directional_derivative(
    expr, direction, wrt=None, *, normalize: bool = False
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
    g = grad(e, syms)
    out = sp.Add(*[gi * ci for gi, ci in zip(g, vec, strict=True) if ci != 0])
    if normalize:
        norm = sp.sqrt(sp.Add(*[c**2 for c in vec]))
        if norm == 0:
            raise DifferentiationError(
                f"cannot normalize the zero direction {_short(direction)}"
            )
        out = out / norm
    return out

