"""Stable rules for products with ``exp(-u)`` and differences of
exponentials, and the primitive they need (rules of
:data:`calckit.symbolic.stable.RULES`; each maps one node to a new node or
None).

- ``exp(-u)*softplus(u)`` (``exp(-x)*log(1 + exp(x))``): ``0*inf`` at
  ``u = -1000`` in the product; :class:`softplus_exp_neg` instead, printed
  as ``1/scipy.special.exprel(softplus(u))`` (``s/expm1(s)`` with
  ``s = softplus(u)``: 1 as ``u -> -oo``, finite everywhere);
- ``log(exp(a) - exp(b))``: ``log(0)`` or ``inf - inf``; ``a +
  log(-expm1(b - a))`` instead (exact when ``b - a`` is small).

>>> import sympy as sp
>>> from calckit.symbolic.functions import softplus
>>> x = sp.Symbol("x", real=True)
>>> exp_softplus_rule(sp.exp(-x) * softplus(x))
softplus_exp_neg(x)
>>> exp_difference_rule(sp.log(sp.exp(x) - sp.exp(x - 1)))
x + log(-expm1(-1))
>>> sp.diff(softplus_exp_neg(x), x)
sigmoid(-x) - softplus_exp_neg(x)
"""

from __future__ import annotations

import mpmath
import sympy as sp
from sympy.codegen.cfunctions import expm1

from calckit.symbolic.functions import _StablePrimitive, sigmoid, softplus

__all__ = ["softplus_exp_neg", "exp_softplus_rule", "exp_difference_rule"]


class softplus_exp_neg(_StablePrimitive):  # noqa: N801
    r"""``softplus(u)*exp(-u) = log(1 + e^u)/e^u``: 1 as ``u -> -oo``, 0 as
    ``u -> +oo``; derivative ``sigmoid(-u) - softplus_exp_neg(u)``."""

    _latex_name = r"\operatorname{softplus}e^{-}"
    _pretty_name = "softplus_exp_neg"

    @classmethod
    def eval(cls, u):
        if u is sp.S.Zero:
            return sp.log(2)
        return cls._float_eval((u,))

    def fdiff(self, argindex=1):
        u = self.args[0]
        return sigmoid(-u) - self

    def _eval_is_positive(self):
        return True if self.args[0].is_extended_real else None

    @staticmethod
    def _mpmath_value(u):
        return mpmath.log1p(mpmath.exp(u)) * mpmath.exp(-u)

    def _eval_rewrite_as_exp(self, u, **kwargs):
        return softplus(u) * sp.exp(-u)

    def _mpmathcode(self, printer):
        e, lp = (printer._module_format(f"mpmath.{n}") for n in ("exp", "log1p"))
        a = printer._print(self.args[0])
        return f"({lp}({e}({a}))*{e}(-({a})))"

    def _numpycode(self, printer):
        f = printer._module_format("scipy.special.exprel")
        return f"(1.0/{f}({printer._print(softplus(self.args[0]))}))"


def _exp_arg(f: sp.Expr):
    """``a`` with ``f == exp(a)`` (also ``exp(b)**k``), else None."""
    if isinstance(f, sp.exp):
        return f.args[0]
    if isinstance(f, sp.Pow) and isinstance(f.base, sp.exp) and f.exp.is_number:
        return f.base.args[0] * f.exp
    return None


def exp_softplus_rule(node):
    """``exp(-u)*softplus(u)*rest`` -> ``softplus_exp_neg(u)*rest``."""
    if not isinstance(node, sp.Mul):
        return None
    factors = list(node.args)
    for i, f in enumerate(factors):
        a = _exp_arg(f)
        if a is None:
            continue
        for j, g in enumerate(factors):
            if isinstance(g, softplus) and sp.Add(a, g.args[0]) == 0:
                rest = [h for k, h in enumerate(factors) if k not in (i, j)]
                return sp.Mul(softplus_exp_neg(g.args[0]), *rest)
    return None


def exp_difference_rule(node):
    """``log(exp(a) - exp(b))`` -> ``a + log(-expm1(b - a))`` (real where
    the log is: ``a > b``)."""
    if not (isinstance(node, sp.log) and isinstance(node.args[0], sp.Add)):
        return None
    terms = node.args[0].args
    if len(terms) != 2:
        return None
    for pos, neg in (terms, terms[::-1]):
        a, b = _exp_arg(pos), _exp_arg(-neg)
        if a is not None and b is not None:
            return a + sp.log(-expm1(sp.expand(b - a)))
    return None
