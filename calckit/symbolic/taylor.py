"""Multivariate Taylor polynomials: :func:`taylor` and
:func:`taylor_coefficients`.

SymPy has no multivariate Taylor expansion and its univariate ``series`` is
slow, so the polynomial is built from partial derivatives. The multi-indices
of total degree ``<= order`` are walked degree by degree; each partial
derivative is obtained from its parent (one lower order) by one more
differentiation, so every mixed partial is formed exactly once, and a zero
partial prunes all of its descendants. The partials are evaluated at the
point by substitution, so exact inputs give exact coefficients.

>>> taylor("exp(x)*sin(y)", at=(0, 0), order=3)
x**2*y/2 + x*y - y**3/6 + y
>>> taylor_coefficients("exp(x)", at=0, order=3)
{(0,): 1, (1,): 1, (2,): 1/2, (3,): 1/6}
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Mapping

import sympy as sp

from calckit.errors import CalckitTypeError, DifferentiationError, ShapeError
from calckit.symbolic._coerce import _short, as_expr, as_symbol, as_symbols
from calckit.symbolic.budget import DEFAULT_MAX_OPS, Budget
from calckit.symbolic.derive import _check_order, _diff

__all__ = ["taylor", "taylor_coefficients"]

#: most partial derivatives a Taylor expansion may form (orders too high for
#: this raise DifferentiationError instead of running for hours)
MAX_PARTIALS = 5_000
#: most multi-indices :func:`taylor_coefficients` lists (zeros included)
MAX_INDICES = 1_000_000

_UNDEFINED = (sp.S.ComplexInfinity, sp.S.NaN, sp.S.Infinity, sp.S.NegativeInfinity)


def _point(e: sp.Expr, wrt, at) -> tuple[list, list]:
    """Resolve ``wrt`` and ``at`` into the variables and their values."""
    if isinstance(at, Mapping):
        keys = [as_symbol(k, e, name="at") for k in at]
        values = dict(zip(keys, at.values(), strict=True))
        syms = keys if wrt is None else as_symbols(wrt, e)
        extra = [k for k in keys if k not in syms]
        missing = [s for s in syms if s not in values]
        if extra or missing:
            raise ShapeError(
                f"at={_short(at)} must give exactly the variables {syms}; "
                f"missing {missing}, not in wrt {extra}"
            )
        raw = [values[s] for s in syms]
    else:
        syms = as_symbols(wrt, e)
        if isinstance(at, (str, sp.Expr, numbers.Number)):
            raw = [at] * len(syms)
        elif isinstance(at, sp.MatrixBase) or hasattr(at, "__len__"):
            raw = list(at)
            if len(raw) != len(syms):
                raise ShapeError(
                    f"at has {len(raw)} values but wrt has {len(syms)} variables "
                    f"{syms}; give one value per variable"
                )
        else:
            raise CalckitTypeError(
                "at must be a number, a sequence matching wrt or a dict "
                f"variable -> value, got {type(at).__name__}: {_short(at)}"
            )
    vals = [as_expr(v, name=f"at[{i}]") for i, v in enumerate(raw)]
    return syms, vals


def _degree_caps(e: sp.Expr, syms: list, order: int) -> list[int]:
    """Per variable, the highest order of a non-zero partial in it: the
    degree where ``e`` is a polynomial in that variable, else ``order``."""
    caps = []
    for s in syms:
        cap = order
        if e.is_polynomial(s):
            degree = sp.degree(e, s)  # -oo for the zero polynomial
            cap = min(order, int(degree)) if degree.is_finite else 0
        caps.append(cap)
    return caps


def _index_count(caps: list[int], order: int) -> int:
    """Multi-indices of total degree ``<= order`` with ``alpha_i <= caps[i]``:
    exact (dynamic programming over the variables) when the simple upper
    bound ``min(prod(caps + 1), comb(order + n, n))`` is small, else that
    bound (which then far exceeds ``MAX_PARTIALS`` anyway)."""
    bound = min(math.prod(c + 1 for c in caps), math.comb(order + len(caps), len(caps)))
    if bound > 100_000:
        return bound
    top = min(order, sum(caps))
    ways = [1] + [0] * top  # ways[t]: indices of total degree t so far
    for cap in caps:
        new = [0] * (top + 1)
        for t, w in enumerate(ways):
            if w:
                for k in range(min(cap, top - t) + 1):
                    new[t + k] += w
        ways = new
    return sum(ways)


def _check_size(e: sp.Expr, syms: list, order: int, budget: Budget) -> None:
    """Refuse, before any differentiation, an expansion whose possibly
    non-zero partials are more than ``MAX_PARTIALS`` or cannot fit the
    budget (each partial costs at least one operation per node of ``e``)."""
    count = _index_count(_degree_caps(e, syms, order), order) - 1
    if count > MAX_PARTIALS:
        raise DifferentiationError(
            f"Taylor expansion of {_short(e)} to order {order} in {len(syms)} "
            f"variable(s) may need {count} partial derivatives, more than "
            f"{MAX_PARTIALS}; lower the order"
        )
    budget.require(count, f"{count} partial derivatives")


def _partials(e: sp.Expr, syms: list, order: int, budget: Budget | None = None):
    """Yield ``(alpha, D^alpha e)`` for every non-zero partial derivative of
    total degree ``<= order``, graded and then lexicographically decreasing.

    Each partial is one differentiation of its parent (one degree lower), so
    every mixed partial is formed once; a zero partial prunes its
    descendants, and a degree's partials are dropped once the next degree
    no longer needs them.
    """
    n = len(syms)
    # sorted tuple of variable indices -> partial derivative
    partials: dict[tuple[int, ...], sp.Expr] = {(): e}
    formed = 0
    for degree in range(order + 1):
        if not partials:
            return  # every partial of the last degree vanished: so do all later
        for combo in itertools.combinations_with_replacement(range(n), degree):
            if combo:
                parent = partials.get(combo[:-1])
                if parent is None:
                    continue  # zero partial: all of its descendants vanish
                formed += 1
                if formed > MAX_PARTIALS:
                    raise DifferentiationError(
                        f"Taylor expansion of {_short(e)} to order {order} in "
                        f"{n} variable(s) needs more than {MAX_PARTIALS} "
                        "non-zero partial derivatives; lower the order"
                    )
                d = _diff(parent, syms[combo[-1]], budget)
                if d == 0:
                    continue
                partials[combo] = d
            yield tuple(combo.count(i) for i in range(n)), partials[combo]
        if degree:
            # partials of degree - 1 are no longer needed
            for combo in itertools.combinations_with_replacement(range(n), degree - 1):
                partials.pop(combo, None)


def _coefficients(
    e: sp.Expr, syms: list, vals: list, order: int, max_ops: int | None
) -> dict:
    budget = Budget(
        max_ops, lambda: f"Taylor expansion of {_short(e, 60)} to order {order}")
    _check_size(e, syms, order, budget)
    point = dict(zip(syms, vals, strict=True))
    coeffs = {}
    for alpha, d in _partials(e, syms, order, budget):
        value = _evaluate(e, d, point, alpha)
        coeffs[alpha] = value / sp.prod([sp.factorial(k) for k in alpha])
    return coeffs


def _evaluate(e: sp.Expr, d: sp.Expr, point: dict, alpha: tuple) -> sp.Expr:
    """``d = D^alpha e`` at the point; a DifferentiationError naming ``e`` and
    the point if SymPy cannot evaluate it there or it is undefined."""
    at = ", ".join(f"{s}={v}" for s, v in point.items())
    what = "the function" if not any(alpha) else f"its partial derivative {alpha}"
    try:
        value = d.xreplace(point)
    except Exception as exc:  # SymPy's own errors (an unevaluated Derivative...)
        part = f"{e}" if not any(alpha) else f"the partial derivative {alpha} of {e}"
        raise DifferentiationError(
            f"cannot evaluate {part} at the point ({at}): "
            f"{type(exc).__name__}: {str(exc).strip()}"
        ) from exc
    if value in _UNDEFINED or value.has(*_UNDEFINED) or value.has(sp.DiracDelta):
        raise DifferentiationError(
            f"{what} is not defined at the point ({at}) (value {value}); "
            "choose another expansion point"
        )
    return value


def _all_indices(n: int, order: int):
    for degree in range(order + 1):
        for combo in itertools.combinations_with_replacement(range(n), degree):
            yield tuple(combo.count(i) for i in range(n))


def taylor_coefficients(
    expr, wrt=None, at=0, order: int = 3, *, max_ops: int | None = DEFAULT_MAX_OPS
) -> dict:
    """Exact Taylor coefficients of ``expr`` about a point.

    Parameters
    ----------
    expr : sympy.Expr or str
    wrt : sequence of symbols or names, or str, optional
        Default: the keys of ``at`` if it is a dict, else the free symbols
        sorted by name.
    at : number, sequence or dict, default 0
        The point: one value for every variable, one value per variable of
        ``wrt``, or a dict ``{variable: value}``.
    order : int, default 3
        Largest total degree.
    max_ops : int or None, default ``DEFAULT_MAX_OPS``
        Work budget (see :mod:`calckit.symbolic.budget`): an expansion that
        needs more partial derivatives than it allows is refused before any
        is formed, and the differentiations are counted as they run; None:
        no limit. Past it: ``WorkLimitError``.

    Returns
    -------
    dict
        ``{alpha: c}`` for every multi-index ``alpha`` (a tuple of exponents,
        one per variable) of total degree ``<= order``, graded and then
        lexicographically decreasing (``x**2`` before ``x*y`` before
        ``y**2``); ``c = D^alpha f(at) / alpha!`` is the coefficient of
        ``prod((x_i - at_i)**alpha_i)``, exact when the inputs are exact.

    Raises
    ------
    DifferentiationError
        If the function or a partial derivative is undefined at the point.

    Examples
    --------
    >>> c = taylor_coefficients("x*exp(y)", at={"x": 1, "y": 0}, order=2)
    >>> c[(1, 0)], c[(0, 1)], c[(1, 1)], c[(0, 2)]
    (1, 1, 1, 1/2)
    """
    e = as_expr(expr)
    n_order = _check_order(order, "order")
    syms, vals = _point(e, wrt, at)
    count = math.comb(n_order + len(syms), len(syms))
    if count > MAX_INDICES:
        raise DifferentiationError(
            f"order {n_order} in {len(syms)} variable(s) has {count:.3g} "
            f"coefficients (at most {MAX_INDICES} are listed); lower the order "
            "or use taylor, which keeps only the non-zero terms"
        )
    found = _coefficients(e, syms, vals, n_order, max_ops)
    return {a: found.get(a, sp.S.Zero) for a in _all_indices(len(syms), n_order)}


def taylor(
    expr, wrt=None, at=0, order: int = 3, *, max_ops: int | None = DEFAULT_MAX_OPS
) -> sp.Expr:
    """Taylor polynomial of total degree ``<= order`` (no ``O`` term).

    Parameters
    ----------
    expr : sympy.Expr or str
    wrt : sequence of symbols or names, or str, optional
        The variables; default: the keys of ``at`` if it is a dict, else the
        free symbols sorted by name. Other symbols are parameters.
    at : number, sequence or dict, default 0
        The expansion point: one number for every variable, a sequence
        matching ``wrt``, or a dict ``{variable: value}``.
    order : int, default 3
        Largest total degree kept.
    max_ops : int or None, default ``DEFAULT_MAX_OPS``
        Work budget (see :mod:`calckit.symbolic.budget`): an expansion that
        needs more partial derivatives than it allows is refused before any
        is formed, and the differentiations are counted as they run; None:
        no limit. Past it: ``WorkLimitError``.

    Returns
    -------
    sympy.Expr
        ``sum(D^alpha f(at) / alpha! * prod((x_i - at_i)**alpha_i))``, exact
        when ``expr`` and ``at`` are exact.

    Raises
    ------
    DifferentiationError
        If the function or one of its partial derivatives up to ``order`` is
        undefined at the point (``log(x)`` at 0), or ``order`` is invalid.
    ShapeError
        If ``at`` does not match ``wrt``.

    Examples
    --------
    >>> taylor("log(x)", at=1, order=3)
    x + (x - 1)**3/3 - (x - 1)**2/2 - 1
    >>> taylor("cos(x)*cos(y)", wrt="x y", at=0, order=2)
    -x**2/2 - y**2/2 + 1
    >>> taylor("log(x)", at=0)
    Traceback (most recent call last):
    ...
    calckit.errors.DifferentiationError: the function is not defined at ... (x=0) ...
    """
    e = as_expr(expr)
    n_order = _check_order(order, "order")
    syms, vals = _point(e, wrt, at)
    coeffs = _coefficients(e, syms, vals, n_order, max_ops)
    shifts = [s - v if v != 0 else s for s, v in zip(syms, vals, strict=True)]
    terms = []
    for alpha, c in coeffs.items():
        if c != 0:
            monomial = sp.Mul(*[b**k for b, k in zip(shifts, alpha, strict=True) if k])
            terms.append(c * monomial)
    return sp.Add(*terms)
