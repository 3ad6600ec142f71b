"""Numerically stable primitives that SymPy lacks: sigmoid, softplus, logsumexp.

Each primitive is an ordinary :class:`sympy.Function` with

- an exact derivative (``fdiff``), written in terms of the primitives so the
  closed forms people expect stay visible: ``sigmoid'`` is
  ``sigmoid(x)*(1 - sigmoid(x))``, ``softplus'`` is ``sigmoid``, and
  ``d logsumexp / d a_i`` is ``exp(a_i - logsumexp(a))`` (a softmax entry);
- ``_numpycode`` printing overflow-free NumPy/SciPy code
  (``scipy.special.expit``, ``numpy.logaddexp``), used by every printer
  whose ``printmethod`` is ``"_numpycode"`` (calckit's kernels, SymPy's
  ``lambdify`` with ``modules="scipy"``);
- arbitrary-precision evaluation through mpmath (``.evalf(50)``);
- LaTeX and pretty forms (``\\sigma(x)``, ``σ(x)``) and real assumptions.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> sp.diff(sigmoid(x), x)
(1 - sigmoid(x))*sigmoid(x)
>>> sp.pretty(sp.diff(sigmoid(x), x), use_unicode=True)
'(1 - σ(x))⋅σ(x)'
>>> sp.latex(sp.diff(softplus(x), x))
'\\\\sigma\\\\left(x\\\\right)'
>>> sigmoid(sp.Integer(1000)).evalf(20)
1.0000000000000000000
>>> softplus(sp.Integer(-1000)).evalf(5)
5.0760e-435
>>> y = sp.Symbol("y", real=True)
>>> sp.diff(logsumexp(x, y), x)
exp(x - logsumexp(x, y))
"""

from __future__ import annotations

import mpmath
import sympy as sp

from calckit.errors import InvalidParameterError
from calckit.symbolic._step import step

__all__ = [
    "sigmoid",
    "dsigmoid",
    "softplus",
    "logsumexp",
    "ndtr",
    "logcosh",
    "quotient",
    "cbrt",
    "step",
    "log_sigmoid",
]


def _mp_args(args, prec):
    """The arguments as mpmath reals at ``prec`` bits, or None if not numeric."""
    out = []
    for a in args:
        v = a._eval_evalf(prec) if not a.is_Number else a
        if v is None or not v.is_Number or not v.is_extended_real:
            return None
        out.append(v._to_mpmath(prec))
    return out


class _StablePrimitive(sp.Function):
    """Shared behaviour: real for real arguments, mpmath evaluation, printing."""

    _latex_name = ""
    _pretty_name = ""

    def _eval_is_extended_real(self):
        return all(a.is_extended_real for a in self.args) or None

    def _eval_is_real(self):
        if all(a.is_real for a in self.args):
            return True
        return None

    def _eval_is_finite(self):
        if all(a.is_finite and a.is_real for a in self.args):
            return True
        return None

    def _eval_evalf(self, prec):
        vals = _mp_args(self.args, prec)
        if vals is None:
            return None
        with mpmath.workprec(prec + 20):
            v = self._mpmath_value(*vals)
        return sp.Expr._from_mpmath(v, prec)

    def _latex(self, printer, exp=None):
        args = ", ".join(printer._print(a) for a in self.args)
        tex = rf"{self._latex_name}\left({args}\right)"
        if exp is not None:
            tex = rf"{tex}^{{{exp}}}"
        return tex

    def _pretty(self, printer):
        name = self._pretty_name if printer._use_unicode else None
        return printer._print_Function(self, func_name=name or type(self).__name__)

    @classmethod
    def _float_eval(cls, args):
        """Evaluate at Float arguments, as SymPy does for ``exp(2.0)``."""
        if args and all(a.is_Float for a in args):
            prec = min(a._prec for a in args)
            with mpmath.workprec(prec + 20):
                v = cls._mpmath_value(*[a._to_mpmath(prec + 20) for a in args])
            return sp.Expr._from_mpmath(v, prec)
        return None


class _CDF(_StablePrimitive):
    """A distribution function: 1/2 at 0, 0 at -oo, 1 at +oo."""

    @classmethod
    def eval(cls, x):
        if x is sp.S.Zero:
            return sp.Rational(1, 2)
        if x is sp.oo:
            return sp.Integer(1)
        if x is sp.S.NegativeInfinity:
            return sp.Integer(0)
        return cls._float_eval((x,))


class sigmoid(_CDF):  # noqa: N801 - named like the math function
    r"""The logistic function :math:`\sigma(x) = 1/(1 + e^{-x})`.

    Printed as ``scipy.special.expit(x)``, which never overflows.

    >>> import sympy as sp
    >>> sigmoid(0), sigmoid(sp.oo), sigmoid(sp.Float(2.0))
    (1/2, 1, 0.880797077977882)
    """

    _latex_name = r"\sigma"
    _pretty_name = "σ"

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _eval_is_positive(self):
        return True if self.args[0].is_extended_real else None

    @staticmethod
    def _mpmath_value(x):
        return 1 / (1 + mpmath.exp(-x))

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))

    def _mpmathcode(self, printer):
        e = printer._module_format("mpmath.exp")
        return f"(1/(1 + {e}(-({printer._print(self.args[0])}))))"

    def _numpycode(self, printer):
        f = printer._module_format("scipy.special.expit")
        return f"{f}({printer._print(self.args[0])})"


class dsigmoid(_StablePrimitive):  # noqa: N801
    r"""The logistic density :math:`\sigma'(x) = \sigma(x)\,\sigma(-x)`.

    Printed with one ``expit``: ``t*(1 - t)`` with ``t = expit(-|x|)``, which
    keeps full relative precision in both tails (``t <= 1/2``, so ``1 - t``
    never cancels). :func:`calckit.symbolic.stable.stabilize` turns
    ``sigmoid(u)*sigmoid(-u)`` and ``sigmoid(u)*(1 - sigmoid(u))`` into it.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> dsigmoid(0), sp.diff(dsigmoid(x), x)
    (1/4, (sigmoid(-x) - sigmoid(x))*dsigmoid(x))
    >>> sp.pretty(dsigmoid(x), use_unicode=True)
    "σ'(x)"
    """

    _latex_name = r"\sigma'"
    _pretty_name = "σ'"

    @classmethod
    def eval(cls, x):
        if x is sp.S.Zero:
            return sp.Rational(1, 4)
        if x in (sp.oo, sp.S.NegativeInfinity):
            return sp.Integer(0)
        return cls._float_eval((x,))

    def fdiff(self, argindex=1):
        u = self.args[0]
        return self * (sigmoid(-u) - sigmoid(u))

    def _eval_is_positive(self):
        return True if self.args[0].is_extended_real else None

    @staticmethod
    def _mpmath_value(x):
        e = mpmath.exp(-abs(x))
        return e / (1 + e) ** 2

    def _eval_rewrite_as_sigmoid(self, x, **kwargs):
        return sigmoid(x) * sigmoid(-x)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sp.exp(-x) / (1 + sp.exp(-x)) ** 2

    def _mpmathcode(self, printer):
        a = printer._print(self.args[0])
        e = printer._module_format("mpmath.exp")
        return f"({e}(-abs({a}))/(1 + {e}(-abs({a})))**2)"

    def _numpycode(self, printer):
        f = printer._module_format("scipy.special.expit")
        ab = printer._module_format("numpy.abs")
        return f"(lambda t: t*(1 - t))({f}(-{ab}({printer._print(self.args[0])})))"


class softplus(_StablePrimitive):  # noqa: N801
    r"""The softplus :math:`\log(1 + e^{x})`, exact (no ``x > 20`` shortcut).

    Printed as ``numpy.logaddexp(0, x)``.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> softplus(0), sp.diff(softplus(x), x)
    (log(2), sigmoid(x))
    """

    _latex_name = r"\operatorname{softplus}"
    _pretty_name = "softplus"

    @classmethod
    def eval(cls, x):
        if x is sp.S.Zero:
            return sp.log(2)
        if x is sp.oo:
            return sp.oo
        if x is sp.S.NegativeInfinity:
            return sp.Integer(0)
        return cls._float_eval((x,))

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def _eval_is_positive(self):
        return True if self.args[0].is_extended_real else None

    @staticmethod
    def _mpmath_value(x):
        return mpmath.log1p(mpmath.exp(x))

    def _eval_rewrite_as_log(self, x, **kwargs):
        return sp.log(1 + sp.exp(x))

    _eval_rewrite_as_exp = _eval_rewrite_as_log

    def _mpmathcode(self, printer):
        f, e = (printer._module_format(f"mpmath.{n}") for n in ("log1p", "exp"))
        return f"{f}({e}({printer._print(self.args[0])}))"

    def _numpycode(self, printer):
        f = printer._module_format("numpy.logaddexp")
        return f"{f}(0, {printer._print(self.args[0])})"


class logsumexp(_StablePrimitive):  # noqa: N801
    r"""The n-ary :math:`\log \sum_i e^{a_i}`, printed max-shifted.

    Two arguments print as ``numpy.logaddexp(a, b)``; more as nested
    ``logaddexp`` calls, each of which shifts by the maximum internally.

    >>> import sympy as sp
    >>> a, b, c = sp.symbols("a b c", real=True)
    >>> sp.diff(logsumexp(a, b, c), b)
    exp(b - logsumexp(a, b, c))
    >>> logsumexp(a)
    a
    """

    _latex_name = r"\operatorname{logsumexp}"
    _pretty_name = "logsumexp"

    @classmethod
    def eval(cls, *args):
        if not args:
            raise InvalidParameterError("logsumexp needs at least one argument")
        if len(args) == 1:
            return args[0]
        return cls._float_eval(args)

    def fdiff(self, argindex=1):
        return sp.exp(self.args[argindex - 1] - self)

    @staticmethod
    def _mpmath_value(*xs):
        m = max(xs)
        return m + mpmath.log(mpmath.fsum(mpmath.exp(v - m) for v in xs))

    def _eval_rewrite_as_exp(self, *args, **kwargs):
        return sp.log(sp.Add(*[sp.exp(a) for a in args]))

    _eval_rewrite_as_log = _eval_rewrite_as_exp

    def _mpmathcode(self, printer):
        f, e = (printer._module_format(f"mpmath.{n}") for n in ("log", "exp"))
        terms = " + ".join(f"{e}({printer._print(a)})" for a in self.args)
        return f"{f}({terms})"

    def _numpycode(self, printer):
        f = printer._module_format("numpy.logaddexp")
        code = printer._print(self.args[0])
        for a in self.args[1:]:
            code = f"{f}({code}, {printer._print(a)})"
        return code


class ndtr(_CDF):  # noqa: N801
    r"""The standard normal CDF, :math:`(1 + \operatorname{erf}(x/\sqrt{2}))/2`.

    Printed as ``scipy.special.ndtr(x)``, accurate in both tails (where
    ``1 + erf(x)`` loses every digit). ``ndtr(-x)`` is kept as written.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> ndtr(0), sp.diff(ndtr(x), x)
    (1/2, sqrt(2)*exp(-x**2/2)/(2*sqrt(pi)))
    """

    _latex_name = r"\Phi"
    _pretty_name = "Φ"

    def fdiff(self, argindex=1):
        x = self.args[0]
        return sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi)

    def _eval_is_positive(self):
        return True if self.args[0].is_extended_real else None

    @staticmethod
    def _mpmath_value(x):
        return mpmath.ncdf(x)

    def _eval_rewrite_as_erf(self, x, **kwargs):
        return (1 + sp.erf(x / sp.sqrt(2))) / 2

    def _mpmathcode(self, printer):
        f = printer._module_format("mpmath.ncdf")
        return f"{f}({printer._print(self.args[0])})"

    def _numpycode(self, printer):
        f = printer._module_format("scipy.special.ndtr")
        return f"{f}({printer._print(self.args[0])})"


class logcosh(_StablePrimitive):  # noqa: N801
    r""":math:`\log\cosh(x)`, printed as ``numpy.logaddexp(x, -x) - log(2)``.

    Its derivative is ``tanh(x)`` (exact at 0, unlike a difference of two
    softmax weights).

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> logcosh(0), sp.diff(logcosh(x), x), logcosh(sp.Integer(1000)).evalf(8)
    (0, tanh(x), 999.30685)
    """

    _latex_name = r"\log\cosh"
    _pretty_name = "logcosh"

    @classmethod
    def eval(cls, x):
        if x is sp.S.Zero:
            return sp.Integer(0)
        if x in (sp.oo, sp.S.NegativeInfinity):
            return sp.oo
        return cls._float_eval((x,))

    def fdiff(self, argindex=1):
        return sp.tanh(self.args[0])

    def _eval_is_nonnegative(self):
        return True if self.args[0].is_extended_real else None

    @staticmethod
    def _mpmath_value(x):
        return mpmath.log(mpmath.cosh(x))

    def _eval_rewrite_as_cosh(self, x, **kwargs):
        return sp.log(sp.cosh(x))

    def _mpmathcode(self, printer):
        f, c = (printer._module_format(f"mpmath.{n}") for n in ("log", "cosh"))
        return f"{f}({c}({printer._print(self.args[0])}))"

    def _numpycode(self, printer):
        f = printer._module_format("numpy.logaddexp")
        a = printer._print(self.args[0])
        return f"({f}({a}, -({a})) - {float(mpmath.log(2))!r})"


class quotient(_StablePrimitive):  # noqa: N801
    r"""``a/b`` evaluated left to right, so ``quotient(quotient(y, p), p)``
    computes ``(y/p)/p``: unlike ``y/(p*p)`` it neither underflows ``p*p``
    to 0 (giving ``0/0``) nor loses digits in a subnormal ``p*p``.

    >>> import sympy as sp
    >>> a, b = sp.symbols("a b", real=True)
    >>> sp.diff(quotient(a, b), b), quotient(a, 1)
    (-a/b**2, a)
    """

    _latex_name = r"\operatorname{quotient}"
    _pretty_name = "quotient"

    def _latex(self, printer, exp=None):
        a, b = (printer._print(t) for t in self.args)
        tex = rf"\frac{{{a}}}{{{b}}}"
        return rf"\left({tex}\right)^{{{exp}}}" if exp is not None else tex

    @classmethod
    def eval(cls, a, b):
        if b == 1:
            return a
        if a is sp.S.Zero:
            return sp.Integer(0)
        if a.is_Number and b.is_Number:
            return a / b
        return None

    def fdiff(self, argindex=1):
        a, b = self.args
        return 1 / b if argindex == 1 else -a / b**2

    def _eval_is_finite(self):
        return None

    @staticmethod
    def _mpmath_value(a, b):
        return a / b

    def _eval_rewrite_as_Mul(self, a, b, **kwargs):
        return a / b

    def _mpmathcode(self, printer):
        a, b = (printer._print(t) for t in self.args)
        return f"(({a})/({b}))"

    _numpycode = _mpmathcode


class cbrt(_StablePrimitive):  # noqa: N801
    r"""The real cube root :math:`\sqrt[3]{x}`, negative for negative ``x``
    (``numpy.cbrt``), unlike SymPy's ``cbrt``, the principal complex root
    ``x**(1/3)`` (``nan`` in a real kernel for ``x < 0``).

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> cbrt(-8), cbrt(sp.Float(-3.375)), sp.diff(cbrt(x), x)
    (-2, -1.50000000000000, 1/(3*cbrt(x)**2))
    """

    _latex_name = r"\operatorname{cbrt}"
    _pretty_name = "cbrt"

    def _latex(self, printer, exp=None):
        tex = rf"\sqrt[3]{{{printer._print(self.args[0])}}}"
        return rf"\left({tex}\right)^{{{exp}}}" if exp is not None else tex

    @classmethod
    def eval(cls, x):
        if x.is_Float:
            return cls._float_eval((x,))
        if x.is_Rational:
            root = sp.Pow(abs(x), sp.Rational(1, 3))
            return -root if x.is_negative else root
        if x.is_extended_real and x.could_extract_minus_sign():
            return -cls(-x)  # odd: cbrt(-u) = -cbrt(u)
        return None

    def fdiff(self, argindex=1):
        return 1 / (3 * self**2)

    def _eval_is_positive(self):
        return self.args[0].is_positive

    def _eval_is_negative(self):
        return self.args[0].is_negative

    def _eval_is_zero(self):
        return self.args[0].is_zero

    @staticmethod
    def _mpmath_value(x):
        return mpmath.sign(x) * mpmath.cbrt(abs(x))

    def _eval_rewrite_as_Pow(self, x, **kwargs):
        return sp.sign(x) * sp.Abs(x) ** sp.Rational(1, 3)

    def _mpmathcode(self, printer):
        sign, root = (printer._module_format(f"mpmath.{n}") for n in ("sign", "cbrt"))
        a = printer._print(self.args[0])
        return f"({sign}({a})*{root}(abs({a})))"

    def _numpycode(self, printer):
        return f"{printer._module_format('numpy.cbrt')}({printer._print(self.args[0])})"


def log_sigmoid(x) -> sp.Expr:
    """``log(sigmoid(x))`` in its stable form ``-softplus(-x)``.

    >>> import sympy as sp
    >>> log_sigmoid(sp.Symbol("x", real=True))
    -softplus(-x)
    """
    return -softplus(-sp.sympify(x))
