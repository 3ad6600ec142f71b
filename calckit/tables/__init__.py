"""Derivative tables to read, paste into notes, or render in a notebook.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> table = derivative_table([sp.exp(2*x), x**3], at=1)
>>> print(table)
f         f'          f''         f(1)     f'(1)    f''(1)
--------  ----------  ----------  -------  -------  -------
exp(2*x)  2*exp(2*x)  4*exp(2*x)  7.38906  14.7781  29.5562
x**3      3*x**2      6*x         1        3        6
>>> print(table.to_markdown().splitlines()[2])
| `exp(2*x)` | `2*exp(2*x)` | `4*exp(2*x)` | 7.38906 | 14.7781 | 29.5562 |

Cells hold readable forms: derivatives get only cheap, bounded tidying
(``factor_terms``, ``powsimp``, ``together`` on small expressions), never an
unbounded ``simplify``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy as sp
from sympy.core.function import AppliedUndef

from calckit import activations, losses
from calckit.errors import InvalidParameterError
from calckit.symbolic._coerce import as_expr, as_symbol, as_symbols, real_symbol
from calckit.symbolic.remainder import taylor_terms
from calckit.tables.format import Column, Table, _latex, _primes

__all__ = [
    "Column",
    "Table",
    "DerivativeTable",
    "derivative_table",
    "rules_table",
    "activation_table",
    "loss_table",
    "taylor_table",
    "tidy",
    "almost_everywhere",
]

_TIDY_MAX_OPS = 300
_TOGETHER_MAX_OPS = 60
_MAX_COLUMNS = 200


# --------------------------------------------------------------------------
# Readable forms
# --------------------------------------------------------------------------

def tidy(expr: sp.Expr) -> sp.Expr:
    """A shorter equivalent form, by cheap bounded rewrites only.

    Tries ``factor_terms``, ``powsimp`` and (for small expressions)
    ``together``, and keeps the candidate with the fewest operations.

    >>> import sympy as sp
    >>> x, n = sp.symbols("x n", real=True)
    >>> tidy(sp.diff(x**n, x, 2))
    n*x**(n - 2)*(n - 1)
    """
    if not isinstance(expr, sp.Expr) or expr.is_Atom:
        return expr
    ops = sp.count_ops(expr)
    if ops > _TIDY_MAX_OPS:
        return expr
    candidates = [expr, sp.factor_terms(expr), sp.powsimp(sp.factor_terms(expr))]
    if ops <= _TOGETHER_MAX_OPS and not expr.has(sp.Piecewise):
        candidates.append(sp.factor_terms(sp.powsimp(sp.together(expr))))
    return min(candidates, key=_weight)


def _weight(expr) -> int:
    """Operation count, with each division counted thrice (nested fractions
    read worse than one fraction)."""
    divisions = sum(1 for p in sp.preorder_traversal(expr)
                    if p.is_Pow and p.exp.is_negative)
    return sp.count_ops(expr) + 2 * divisions


@dataclass(frozen=True)
class DerivativeTable(Table):
    """A :class:`Table` of functions and their derivatives.

    Attributes
    ----------
    exprs : tuple of sympy.Expr
    wrt : tuple of sympy.Symbol
    orders : tuple of int
    points : tuple of dict
        The points of the evaluated columns (symbol -> number).
    derivatives : tuple of dict
        Per row, the exact (untidied) derivative of each column,
        keyed by the tuple of variables differentiated (``()`` is f).
    """

    exprs: tuple = ()
    wrt: tuple = ()
    orders: tuple = ()
    points: tuple = ()
    derivatives: tuple = ()


# --------------------------------------------------------------------------
# derivative_table
# --------------------------------------------------------------------------

def _rows_of(exprs, names):
    if isinstance(exprs, Mapping):
        labels = [str(k) for k in exprs]
        items = list(exprs.values())
    elif isinstance(exprs, (str, sp.Basic)) or not isinstance(exprs, Sequence):
        labels, items = None, [exprs]
    else:
        labels, items = None, list(exprs)
    if not items:
        raise InvalidParameterError("exprs is empty; give at least one expression")
    parsed = [as_expr(e, name=f"exprs[{i}]") for i, e in enumerate(items)]
    if names is not None:
        labels = [str(n) for n in names]
        if len(labels) != len(parsed):
            raise InvalidParameterError(
                f"names has {len(labels)} entries for {len(parsed)} expressions"
            )
    return parsed, labels


def _orders_of(orders) -> tuple:
    if isinstance(orders, int) and not isinstance(orders, bool):
        orders = (orders,)
    try:
        out = tuple(orders)
    except TypeError as exc:
        raise InvalidParameterError(
            f"orders must be a sequence of non-negative integers, got {orders!r}"
        ) from exc
    bad = [o for o in out
           if isinstance(o, bool) or not isinstance(o, int) or not 0 <= o <= 20]
    if bad or not out or len(set(out)) != len(out):
        raise InvalidParameterError(
            "orders must be distinct integers in [0, 20], got "
            f"{orders!r}"
        )
    return out


def _column_keys(wrt, orders) -> list:
    keys = []
    for k in orders:
        keys += list(itertools.combinations_with_replacement(wrt, k))
    if len(keys) > _MAX_COLUMNS:
        raise InvalidParameterError(
            f"orders {orders} in {len(wrt)} variables make {len(keys)} columns "
            f"(more than {_MAX_COLUMNS}); choose fewer orders or variables"
        )
    return keys


def _header(key, univariate: bool) -> tuple[str, str]:
    """Plain and LaTeX header of the derivative along ``key``."""
    n = len(key)
    if n == 0:
        return "f", "f"
    if univariate:
        return "f" + _primes(n), "f" + _primes(n, latex=True)
    counts = [(s, len(list(g))) for s, g in itertools.groupby(key)]
    text_den = "".join(f"d{s.name}" + (str(c) if c > 1 else "") for s, c in counts)
    tex_den = r"\,".join(rf"\partial {_latex(s)}" + (f"^{{{c}}}" if c > 1 else "")
                         for s, c in counts)
    num = "d" if n == 1 else f"d{n}"
    tex_num = r"\partial" if n == 1 else rf"\partial^{{{n}}}"
    return f"{num}f/{text_den}", rf"\frac{{{tex_num} f}}{{{tex_den}}}"


def _points_of(at, wrt, exprs) -> list:
    if at is None:
        return []
    if isinstance(at, Mapping):
        at = [at]
    elif not isinstance(at, (list, tuple)):
        at = [at]
    elif len(wrt) > 1 and at and all(_is_number(v) for v in at):
        at = [tuple(at)]
    points = []
    for p in at:
        if isinstance(p, Mapping):
            point = {as_symbol(k, exprs, name="at"): _number(v) for k, v in p.items()}
            missing = [s.name for s in wrt if s not in point]
            if missing:
                raise InvalidParameterError(
                    f"at point {p!r} gives no value for {', '.join(missing)}"
                )
        elif len(wrt) == 1 and _is_number(p):
            point = {wrt[0]: _number(p)}
        elif isinstance(p, (list, tuple)) and len(p) == len(wrt):
            point = {s: _number(v) for s, v in zip(wrt, p, strict=True)}
        else:
            raise InvalidParameterError(
                f"at must be a number, a sequence of {len(wrt)} numbers, a dict, "
                f"or a list of those; got {p!r}"
            )
        points.append(point)
    return points


def _is_number(v) -> bool:
    return (isinstance(v, (int, float, sp.Number)) and not isinstance(v, bool))


def _number(v):
    if not _is_number(v):
        raise InvalidParameterError(f"at values must be numbers, got {v!r}")
    if isinstance(v, float):
        # 1.0 (from the command line) as the integer 1: f'(1) of x**2*y reads
        # 2*y, not 2.0*y (integers up to 2**53, which floats hold exactly)
        exact = v.is_integer() and abs(v) <= 2.0**53
        return sp.Integer(int(v)) if exact else sp.Float(v)
    return sp.sympify(v)


def _point_label(point, wrt, *, latex: bool = False) -> str:
    """``1, 2`` or ``x=1, y=2`` (names typeset and escaped for LaTeX)."""
    if set(point) == set(wrt):
        parts = [_num_label(point[s]) for s in wrt]
    else:
        parts = [f"{_latex(s) if latex else s.name}={_num_label(v)}"
                 for s, v in point.items()]
    return ", ".join(parts)


def _num_label(v) -> str:
    return str(int(v)) if v.is_Integer else f"{float(v):g}"


def almost_everywhere(expr):
    """``expr`` without its ``DiracDelta`` terms (the derivative of a step,
    as in ``Abs''`` or ``Heaviside'``): the derivative everywhere but at the
    kinks, and what the compiled kernels and PyTorch's autograd compute
    there too (``DiracDelta`` counts as 0).

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> sp.diff(sp.Abs(x), x, 2), almost_everywhere(sp.diff(sp.Abs(x), x, 2))
    (2*DiracDelta(x), 0)
    """
    if isinstance(expr, sp.Basic) and expr.has(sp.DiracDelta):
        return expr.replace(sp.DiracDelta, lambda *args: sp.S.Zero)
    return expr


def _dirac_note(dropped: list) -> str:
    """The note of a table whose cells ``dropped`` (``"row f''"``) lost a
    ``DiracDelta`` term."""
    return (f"{', '.join(dropped)}: derivative almost everywhere; the "
            "DiracDelta terms at the kinks are left out (calckit's kernels "
            "evaluate DiracDelta as 0; .derivatives keeps the exact form).")


def _evaluate(expr, point):
    """``expr`` at ``point``, DiracDelta counting as 0
    (:func:`almost_everywhere`)."""
    value = almost_everywhere(expr).subs(point)
    if value.free_symbols or value.has(AppliedUndef, sp.Derivative, sp.Subs):
        return value  # f(0), f'(0) of an undefined f: no number (evalf recurses)
    try:
        return sp.N(value, 17)
    except (TypeError, ValueError):
        return value


def derivative_table(exprs, wrt=None, orders=(0, 1, 2), at=None, *,
                     names=None, tidy_forms: bool = True) -> DerivativeTable:
    """Functions and their derivatives as a table.

    Parameters
    ----------
    exprs : expression, string, sequence of them, or dict name -> expression
        One row per expression (a dict's keys label the rows).
    wrt : symbols or names, optional
        Variables (default: free symbols of all rows, sorted by name). With
        several variables, order k gives every k-th partial derivative.
    orders : sequence of int
        Derivative orders shown as columns; 0 is f itself.
    at : number, sequence, dict, or list of those, optional
        Points where each column is also evaluated (extra columns).
    names : sequence of str, optional
        Row labels (a first column).
    tidy_forms : bool
        Show tidied forms (bounded, see :func:`tidy`).

    Returns
    -------
    DerivativeTable

    Examples
    --------
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y", real=True)
    >>> t = derivative_table(x**2*y, wrt=[x, y], orders=(1, 2))
    >>> t.headers
    ('df/dx', 'df/dy', 'd2f/dx2', 'd2f/dxdy', 'd2f/dy2')
    >>> t[0, 'd2f/dxdy']
    2*x
    """
    rows, labels = _rows_of(exprs, names)
    wrt = tuple(as_symbols(wrt, rows))
    if not wrt:
        x = real_symbol("x")
        wrt = (x,)
    orders = _orders_of(orders)
    keys = _column_keys(wrt, orders)
    points = _points_of(at, wrt, rows)
    univariate = len(wrt) == 1

    columns = [Column("name", r"\textrm{name}", "label")] if labels else []
    for key in keys:
        columns.append(Column(*_header(key, univariate), "expr"))
    for point in points:
        label = _point_label(point, wrt)
        tex_label = _point_label(point, wrt, latex=True)
        for key in keys:
            text, tex = _header(key, univariate)
            if univariate:
                columns.append(Column(f"{text}({label})", f"{tex}({tex_label})",
                                      "value"))
            else:
                columns.append(Column(f"{text}({label})",
                                      rf"\left.{tex}\right|_{{({tex_label})}}",
                                      "value"))

    table_rows, derivs, dropped = [], [], []
    for i, expr in enumerate(rows):
        cache = {(): expr}
        for key in sorted(keys, key=len):
            if key not in cache:
                parent = key[:-1]
                if parent not in cache:
                    cache[parent] = sp.diff(expr, *parent) if parent else expr
                cache[key] = sp.diff(cache[parent], key[-1])
        regular = [almost_everywhere(cache[k]) for k in keys]
        dropped += [f"{labels[i] if labels else expr} {_header(k, univariate)[0]}"
                    for k, r in zip(keys, regular, strict=True) if r is not cache[k]]
        shown = [tidy(r) if tidy_forms else r for r in regular]
        values = [_evaluate(cache[k], p) for p in points for k in keys]
        row = ([labels[i]] if labels else []) + shown + values
        table_rows.append(tuple(row))
        derivs.append({k: cache[k] for k in keys})
    notes = (_dirac_note(dropped),) if dropped else ()
    return DerivativeTable(tuple(columns), tuple(table_rows), notes, exprs=tuple(rows),
                           wrt=wrt, orders=orders, points=tuple(points),
                           derivatives=tuple(derivs))


# --------------------------------------------------------------------------
# Built-in tables
# --------------------------------------------------------------------------

def rules_table(orders=(0, 1, 2)) -> DerivativeTable:
    """The rules every table is built from: constant, power, exp, log, sin,
    cos, product, quotient and chain rules.

    >>> t = rules_table(orders=(0, 1))
    >>> print(t.to_markdown().splitlines()[-1])
    | chain | `f(g(x))` | `f'(g(x))*g'(x)` |
    """
    x = real_symbol("x")
    c, n = sp.Symbol("c", real=True), sp.Symbol("n", real=True)
    f, g = sp.Function("f"), sp.Function("g")
    rules = {
        "constant": c,
        "power": x**n,
        "exp": sp.exp(x),
        "log": sp.log(x),
        "sin": sp.sin(x),
        "cos": sp.cos(x),
        "product": f(x) * g(x),
        "quotient": f(x) / g(x),
        "chain": f(g(x)),
    }
    return derivative_table(rules, wrt=[x], orders=orders)


def activation_table(names=None, orders=(0, 1, 2), at=None) -> DerivativeTable:
    """Every activation of :mod:`calckit.activations` (or those in
    ``names``) with its derivatives in ``x``."""

    names = tuple(activations.names()) if names is None else tuple(names)
    x = real_symbol("x")
    rows = {name: activations.get(name)(x) for name in names}
    return derivative_table(rows, wrt=[x], orders=orders, at=at)


def loss_table(names=None, orders=(0, 1, 2)) -> DerivativeTable:
    """Every loss of :mod:`calckit.losses` with its derivatives in the
    prediction ``yhat`` (the target is ``y``). Losses over sequences use two
    classes, targets ``(y, y2)`` and predictions ``(yhat, yhat2)``,
    differentiated in ``yhat``: every row names its arguments alike.

    Where a loss has a kink (``mae``, ``huber`` at ``y = yhat``) its
    derivative there is a ``DiracDelta``; the table shows the derivative
    almost everywhere, without that term, and says so in a note (the
    exact forms are in ``.derivatives``):

    >>> t = loss_table(["huber", "mse"])
    >>> t[0, "f''"]
    Piecewise((1, Abs(y - yhat) < 1), (0, True))
    >>> print(t.notes[0])  # doctest: +ELLIPSIS
    huber f'': derivative almost everywhere; the DiracDelta terms ... left out...
    """

    names = tuple(losses.names()) if names is None else tuple(names)
    y, yhat = real_symbol("y"), real_symbol("yhat")
    y2, yhat2 = real_symbol("y2"), real_symbol("yhat2")
    rows = {}
    for name in names:
        fn = losses.get(name)
        if any(kind.endswith("s") for kind in losses.argument_kinds(name)):
            rows[name + " (2 classes)"] = fn((y, y2), (yhat, yhat2))  # sequences
        else:
            rows[name] = fn(y, yhat)
    return derivative_table(rows, wrt=[yhat], orders=orders)


def taylor_table(expr, wrt=None, at=0, order: int = 3) -> Table:
    """The Taylor coefficients of ``expr`` about ``at``, one row per term.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> print(taylor_table(sp.exp(x), x, order=2))
    alpha  derivative  coefficient  term
    -----  ----------  -----------  ------
    0      1           1            1
    1      1           1            x
    2      1           1/2          x**2/2
    """

    terms = taylor_terms(expr, wrt, at, order)
    columns = (Column("alpha", r"\alpha", "label"),
               Column("derivative", r"D^{\alpha} f(a)", "expr"),
               Column("coefficient", r"D^{\alpha} f(a) / \alpha!", "expr"),
               Column("term", r"\textrm{term}", "expr"))
    rows = tuple((",".join(map(str, t.alpha)), t.derivative, t.coefficient, t.term)
                 for t in terms)
    return Table(columns, rows)
