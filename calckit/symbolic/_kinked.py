"""Kinked library functions of a kinked argument, built in linear time.

``relu``, ``huber``, ``hard_tanh``, ... are ``Piecewise`` expressions whose
conditions hold the argument (``relu(u)`` is ``u`` where ``u > 0``). When
the argument is itself a ``Piecewise``, SymPy folds it into the condition
and solves the result as a set of real numbers: ``huber(1, huber(1,
huber(1, huber(1, x))))`` took more than 300 s. And as the argument appears
twice (value and condition), the tree doubles with each level of nesting.

So a library function whose argument already holds a kink (a ``Piecewise``
or one of the primitives below) is written with two opaque primitives that
use their argument once: :class:`ramp` (``max(u, 0)``, derivative
``step(u, h)``) and :class:`clip`
(``min(max(u, lo), hi)``). Building is linear in the input, derivatives are
unit steps ``step(u, h)`` (:mod:`calckit.symbolic._step`), and kernels print
them as one NumPy call each (``numpy.maximum``, ``numpy.clip``), finite at
``+-inf``. Values and PyTorch's derivative conventions at the kinks are
kept: ``relu'(0) = 0``, ``elu'(0) = alpha``, ``hard_tanh'(+-1) = 0``.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> inner = sp.Piecewise((x, x > 0), (0, True))
>>> nested(inner), nested(x)
(True, False)
>>> sp.diff(ramp(x - 1, 0), x), ramp(-2, 0), clip(sp.Integer(5), -1, 1)
(step(x - 1, 0), 0, 1)
>>> sp.diff(clip(x, -1, 1), x)
step(1 - x, 0)*step(x + 1, 0)
"""

from __future__ import annotations

import mpmath
import sympy as sp

from calckit.errors import InvalidParameterError
from calckit.symbolic._step import step
from calckit.symbolic.functions import _StablePrimitive

__all__ = ["nested", "ramp", "clip", "softsign_rule"]

#: finite stand-in for +-inf in :func:`softsign_rule`: 1/(1 + F) is 1 in float64
#: and F is a float32 (a larger bound overflows when the kernel runs in float32)
_HUGE = sp.Float(1e38)


_KINKS: tuple[type, ...] = (sp.Piecewise,)  # completed below with ramp and clip


def nested(*args) -> bool:
    """True if an argument holds a kink: use the primitives of this module.

    The walk visits each distinct subexpression once (``has`` walks the
    tree, exponential in the nesting of expressions that share subtrees).
    """
    seen: set = set()
    stack = [a for a in args if isinstance(a, sp.Basic)]
    while stack:
        node = stack.pop()
        if isinstance(node, _KINKS):
            return True
        for a in node.args:
            if a not in seen:
                seen.add(a)
                stack.append(a)
    return False


class ramp(_StablePrimitive):  # noqa: N801
    r"""``ramp(u, h) = max(u, 0)`` with derivative ``step(u, h)``: ``h``
    (0 or 1) is the derivative at the kink (0 for PyTorch's ``relu``);
    printed ``numpy.maximum(u, 0)``."""

    nargs = 2

    _latex_name = r"\operatorname{ramp}"
    _pretty_name = "ramp"

    @classmethod
    def eval(cls, u, h):
        if h not in (0, 1):
            raise InvalidParameterError(f"ramp's slope at 0 must be 0 or 1, got {h}")
        # numbers only: assumption queries on a nested argument cost time
        # exponential in its nesting
        if u.is_Number and u.is_extended_real:
            return u if u.is_positive else sp.Integer(0)
        return None

    def fdiff(self, argindex=1):
        return step(*self.args) if argindex == 1 else sp.Integer(0)

    def _eval_is_extended_nonnegative(self):
        return True if self.args[0].is_extended_real else None

    @staticmethod
    def _mpmath_value(u, h):
        return mpmath.mpf(0) if u <= 0 else u

    def _eval_rewrite_as_Piecewise(self, u, h, **kwargs):
        return sp.Piecewise((u, u > 0), (0, True))

    def _mpmathcode(self, printer):
        a = printer._print(self.args[0])
        return f"max({a}, 0)"

    def _numpycode(self, printer):
        f = printer._module_format("numpy.maximum")
        return f"{f}({printer._print(self.args[0])}, 0.0)"


class clip(_StablePrimitive):  # noqa: N801
    r"""``min(max(u, lo), hi)`` for ``lo < hi``: derivative 1 strictly
    inside, 0 at and outside the ends (PyTorch's ``hardtanh_backward``);
    printed ``numpy.clip(u, lo, hi)``."""

    _latex_name = r"\operatorname{clip}"
    _pretty_name = "clip"

    @classmethod
    def eval(cls, u, lo, hi):
        if u.is_Number and lo.is_Number and hi.is_Number and u.is_extended_real:
            return lo if bool(u <= lo) else hi if bool(u >= hi) else u
        return None

    def fdiff(self, argindex=1):
        u, lo, hi = self.args
        if argindex == 1:  # an infinite bound (a one-sided clip) is no kink
            return (step(u - lo, 0) if lo.is_finite else sp.S.One) * (
                step(hi - u, 0) if hi.is_finite else sp.S.One)
        if argindex == 2:
            return step(lo - u, 1)
        return step(u - hi, 1)

    @staticmethod
    def _mpmath_value(u, lo, hi):
        return min(max(u, lo), hi)

    def _eval_rewrite_as_Piecewise(self, u, lo, hi, **kwargs):
        return sp.Piecewise((lo, u <= lo), (hi, u >= hi), (u, True))

    def _mpmathcode(self, printer):
        u, lo, hi = (printer._print(a) for a in self.args)
        return f"min(max({u}, {lo}), {hi})"

    def _numpycode(self, printer):
        u, lo, hi = self.args
        if not (lo.is_finite and hi.is_finite):  # one-sided: one comparison
            name, bound = ("maximum", lo) if lo.is_finite else ("minimum", hi)
            f = printer._module_format(f"numpy.{name}")
            return f"{f}({printer._print(u)}, {printer._print(bound)})"
        f = printer._module_format("numpy.clip")
        u, lo, hi = (printer._print(a) for a in self.args)
        return f"{f}({u}, {lo}, {hi})"


_KINKS = (sp.Piecewise, ramp, clip)


def softsign_rule(node):
    """``u/(1 + |u|)`` -> ``c/(1 + |c|)`` with ``c = clip(u, -1e38, 1e38)``:
    the same value for every finite ``u`` below 1e38 and within float64
    rounding above (the derivative, below 1e-76 there, becomes 0), and
    PyTorch's limits +-1 at
    ``u = +-inf`` instead of ``inf/inf = nan`` (a rule of
    :data:`calckit.symbolic.stable.RULES`).

    >>> x = sp.Symbol("x", real=True)
    >>> softsign_rule(x / (1 + sp.Abs(x)))
    clip(x, -1.0e+38, 1.0e+38)/(Abs(clip(x, -1.0e+38, 1.0e+38)) + 1)
    """
    if not isinstance(node, sp.Mul) or len(node.args) != 2:
        return None
    for u, den in (node.args, node.args[::-1]):
        if isinstance(u, clip) or not (isinstance(den, sp.Pow) and den.exp == -1):
            continue
        if sp.Add(den.base, -1, -sp.Abs(u)) == 0:
            c = clip(u, -_HUGE, _HUGE)
            return c / (1 + sp.Abs(c))
    return None
