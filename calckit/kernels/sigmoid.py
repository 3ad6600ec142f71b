"""One ``expit`` per logistic argument in a kernel body (private; used by
:mod:`calckit.kernels.codegen`).

Derivatives of sigmoid-type functions hold both ``sigmoid(u)`` (printed
``expit(u)``) and ``dsigmoid(u)`` (printed with ``t = expit(-|u|)``), e.g.
``silu'(x) = sigmoid(x) + x*dsigmoid(x)``: two ``expit`` calls on the same
argument, the most expensive operations of the kernel. :func:`share_expit`
computes ``t = expit(-|u|)`` once and derives everything from it, each
accurate in both tails (``t <= 1/2``, so ``1 - t`` and ``1 - 2t`` never
cancel):

- ``dsigmoid(u) = t*(1 - t)``,
- ``sigmoid(u) = t + [u >= 0]*(1 - 2t)`` (exactly ``t`` for ``u < 0``,
  ``1 - t`` rounded twice for ``u >= 0``),
- ``sigmoid(-u) = t + [u < 0]*(1 - 2t)``.

The selection is arithmetic, not ``numpy.where``, which is several times
slower on unpredictable signs. ``dsigmoid(2*softplus(u))`` (mish) is
written in ``sigmoid(-u)`` first, so it shares that ``expit`` too.

>>> import sympy as sp
>>> from calckit.symbolic.functions import dsigmoid, sigmoid, softplus
>>> x = sp.Symbol("x", real=True)
>>> (e,) = share_expit([x*dsigmoid(x) + sigmoid(x)])
>>> e.atoms(expit_negabs)
{expit_negabs(x)}
>>> a, b = (float(f.subs(x, 2.0)) for f in (e, x*dsigmoid(x) + sigmoid(x)))
>>> abs(a - b) < 1e-15
True
"""

from __future__ import annotations

import mpmath
import sympy as sp

from calckit.kernels.dag import nodes
from calckit.symbolic._step import step
from calckit.symbolic.functions import dsigmoid, sigmoid, softplus

__all__ = ["expit_negabs", "share_expit"]


class expit_negabs(sp.Function):  # noqa: N801
    """``sigmoid(-|u|)``, printed ``scipy.special.expit(-numpy.abs(u))``."""

    nargs = 1

    def _eval_is_real(self):
        return True if self.args[0].is_extended_real else None

    def _eval_evalf(self, prec):
        v = self.args[0]._eval_evalf(prec)
        if v is None or not v.is_Number:
            return None
        with mpmath.workprec(prec + 20):
            t = 1 / (1 + mpmath.exp(abs(v._to_mpmath(prec + 20))))
        return sp.Expr._from_mpmath(t, prec)

    def _numpycode(self, printer):
        f = printer._module_format("scipy.special.expit")
        ab = printer._module_format("numpy.abs")
        return f"{f}(-{ab}({printer._print(self.args[0])}))"


def share_expit(exprs):
    """``exprs`` with every logistic argument evaluated by one ``expit``
    (see the module docstring); a lone ``sigmoid`` stays ``expit(u)``."""
    exprs = [_mish_form(e) for e in exprs]
    groups: dict = {}
    for e in exprs:
        for node in (n for n in nodes([e]) if isinstance(n, (sigmoid, dsigmoid))):
            u = node.args[0]
            flip = u.could_extract_minus_sign()
            groups.setdefault(-u if flip else u, set()).add((node, flip))
    repl = {}
    for key, members in groups.items():
        if len(members) < 2:
            for node, _ in members:  # t*(1 - t) in the open: CSE and out= see it
                if isinstance(node, dsigmoid):
                    t = expit_negabs(key)
                    repl[node] = t * (1 - t)
            continue
        t = expit_negabs(key)
        d = 1 - 2 * t
        for node, flip in members:
            if isinstance(node, dsigmoid):
                repl[node] = t * (1 - t)
            elif flip:  # sigmoid(-key)
                repl[node] = t + step(-key, 0) * d
            else:
                repl[node] = t + step(key, 1) * d
    if not repl:
        return list(exprs)
    return [e.xreplace(repl) for e in exprs]


def _mish_form(expr):
    """``dsigmoid(2*softplus(u))`` (``sech(softplus(u))**2/4``, in mish's
    derivatives) as ``q**2/(1 + q**2)**2`` with ``q = sigmoid(-u) =
    exp(-softplus(u))``: ``q`` shares the ``expit`` of ``sigmoid(u)``."""
    repl = {}
    for node in (n for n in nodes([expr]) if isinstance(n, dsigmoid)):
        coeff, rest = node.args[0].as_coeff_Mul()
        if coeff == 2 and isinstance(rest, softplus):
            q2 = sigmoid(-rest.args[0]) ** 2
            repl[node] = q2 / (1 + q2) ** 2
    return expr.xreplace(repl) if repl else expr
