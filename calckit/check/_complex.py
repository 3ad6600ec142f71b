"""The expression the complex step differentiates: calckit's stable
primitives in elementary form, and ``Abs`` continued analytically."""

from __future__ import annotations

import sympy as sp

from calckit.symbolic.functions import _StablePrimitive

__all__ = ["complex_form"]

#: Elementary forms of calckit's stable primitives, in order of preference
#: (``sigmoid`` -> exp, ``softplus`` -> log, ``ndtr`` -> erf, ...).
_ELEMENTARY = ("exp", "log", "erf", "cosh", "Mul")


def complex_form(e: sp.Expr) -> sp.Expr:
    """``e`` ready for a complex-valued kernel (see the two helpers)."""
    return analytic_abs(elementary(e))


def elementary(e):
    """``e`` with calckit's stable primitives (``sigmoid``, ``softplus``,
    ``logsumexp``, ``ndtr``, ``logcosh``...) written in elementary functions.

    Their NumPy forms (``expit``, ``logaddexp``...) have no complex loops, so
    the complex step refused every expression using them; the elementary
    forms take complex input (where they overflow, the entry is rechecked on
    the stable real kernel).
    """

    def rewrite(node):
        for target in _ELEMENTARY:
            method = getattr(node, f"_eval_rewrite_as_{target}", None)
            if method is not None:
                return method(*node.args)
        return node

    for _ in range(8):  # a rewrite may hold another primitive (dsigmoid)
        if not e.has(_StablePrimitive):
            break
        e = e.replace(lambda n: isinstance(n, _StablePrimitive), rewrite)
    return e


def analytic_abs(e):
    """``e`` with ``Abs(u)`` written ``u`` or ``-u`` by the sign of ``u``.

    Equal for real ``u``, but analytic on each side of ``u = 0``: the complex
    step of ``|u|`` (whose imaginary part is lost) gives 0 for the derivative
    of ``|x|``; of this form, ``sign(x)``. NumPy orders complex numbers by
    their real part first, so the condition reads the sign of ``Re u``.
    """
    if isinstance(e, sp.Abs):
        u = analytic_abs(e.args[0])
        return sp.Piecewise((u, u >= 0), (-u, True))
    if isinstance(e, sp.Piecewise):  # conditions keep Abs: no derivative there
        return sp.Piecewise(*((analytic_abs(v), c) for v, c in e.args))
    if not e.args or not e.has(sp.Abs):
        return e
    return e.func(*(analytic_abs(a) for a in e.args))
