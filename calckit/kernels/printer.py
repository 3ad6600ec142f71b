"""The NumPy code printer behind :func:`calckit.compile` (private).

A subclass of SymPy's :class:`~sympy.printing.numpy.SciPyPrinter` (itself a
``NumPyPrinter``) with ``printmethod = "_numpycode"``, so calckit's stable
primitives (``sigmoid``, ``softplus``, ``logsumexp``, ...) print themselves
through their ``_numpycode(self, printer)`` method. It changes what SymPy
prints in the ways that matter for speed and safety:

- integer powers become multiplications (``x**2 -> (x*x)``), larger ones go
  through ``_ipow`` (repeated squaring); negative ones become ``1/(...)``;
  ``x**(1/2) -> numpy.sqrt(x)``;
- ``Max``/``Min`` become nested ``numpy.maximum``/``numpy.minimum`` (they
  broadcast, unlike ``numpy.amax`` of a tuple), and ``Min(b, Max(a, u))``
  with numbers ``a <= b`` becomes ``numpy.clip(u, a, b)`` (one pass);
- unit steps are comparisons: ``Heaviside(u, 0)`` (and calckit's
  ``step(u, 0)``) becomes ``numpy.greater(u, 0).astype(float)``,
  ``Heaviside(u)`` (value 1/2 at 0) ``0.5*numpy.sign(u) + 0.5`` -- several
  times cheaper than ``numpy.heaviside``; a product of steps is one
  ``&`` of comparisons, cast once (a comparison with ``nan`` is false, so
  such a step is 0 at ``nan``, where ``numpy.heaviside`` gives ``nan``);
- ``-f(a - b)`` for an odd ``f`` (``sign``, ``tanh``, ...) becomes
  ``f(b - a)`` (one negation less);
- constants such as ``pi`` and rationals become float literals.

Whatever it cannot print (an unevaluated ``Derivative``, ``zoo``, an
indefinite ``Integral``, an undefined function, ...) raises
:class:`UnsupportedError` naming the innermost offending subexpression,
never SymPy's own printing errors.

``Piecewise`` is never printed here: the code generator evaluates each branch
on the elements its condition selects (see :mod:`calckit.kernels.codegen`).

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> KernelPrinter().doprint(x**9 + 1/x**2 + sp.sqrt(x))
'numpy.sqrt(x) + _ipow(x, 9) + (1/(x*x))'
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.numpy import SciPyPrinter
from sympy.printing.precedence import precedence

from calckit.kernels.inert import Maximum, Minimum
from calckit.symbolic._step import step
from calckit.symbolic.functions import logsumexp

__all__ = ["KernelPrinter", "UnsupportedError", "out_of_range"]


def _sort_key(expr):
    return expr.sort_key()

#: n-ary functions of more arguments are printed as one flat runtime call
#: (``_logsumexp``, ``_reduce``) rather than nested calls
_FLAT_ARGS = 8

#: integer powers up to this exponent are printed as inline products
_INLINE_POWER = 3


#: odd functions ``f(-u) = -f(u)`` and the NumPy/SciPy function printing them
_ODD = {
    sp.sign: "numpy.sign",
    sp.tanh: "numpy.tanh",
    sp.sinh: "numpy.sinh",
    sp.sin: "numpy.sin",
    sp.tan: "numpy.tan",
    sp.atan: "numpy.arctan",
    sp.asinh: "numpy.arcsinh",
    sp.erf: "scipy.special.erf",
}


#: the smallest positive normal float64; below it a constant loses digits
_TINY = 2.2250738585072014e-308
#: scaling by 2**±_HUGE_SHIFT takes every finite nonzero float64 past the
#: range (2**-1074 * 2**2200 overflows; 2**1024 * 2**-2200 underflows)
_HUGE_SHIFT = 2200


def out_of_range(c) -> bool:
    """True for a nonzero rational or float ``c`` that is no normal float64
    (``10**400`` overflows, ``10**-400`` underflows): printed as a float
    literal, ``c*x`` would be ``inf*0 = nan`` at ``x = 0`` or ``0`` at
    ``x = 1e300``.

    >>> out_of_range(sp.Integer(10)**400), out_of_range(sp.Rational(1, 3))
    (True, False)
    """
    if not (c.is_Rational or c.is_Float) or c.is_zero:
        return False
    if c.is_Integer and abs(c.p) <= 2**53:
        return False
    v = abs(float(c))
    return v == float("inf") or v < _TINY


def _scaled(c) -> tuple[float, int]:
    """``(m, k)`` with ``c = m * 2**k`` (``0.5 < |m| < 2``), ``|k|`` capped
    at :data:`_HUGE_SHIFT` (beyond it every product rounds the same)."""
    r = sp.Rational(c)
    k = r.p.bit_length() - r.q.bit_length()
    m = sp.Rational(r.p, r.q * 2**k) if k > 0 else sp.Rational(r.p * 2**-k, r.q)
    return float(m), max(-_HUGE_SHIFT, min(_HUGE_SHIFT, k))


def _literal(value: float, inf: str) -> str:
    """Source of the float ``value`` (``inf``: the text of infinity)."""
    if value == value and abs(value) == float("inf"):
        return f"(-{inf})" if value < 0 else inf
    return repr(value)


class UnsupportedError(Exception):
    """Raised (internally) for a node the printer cannot translate."""


class KernelPrinter(SciPyPrinter):
    """NumPy printer used by calckit kernels (see the module docstring)."""

    printmethod = "_numpycode"

    def __init__(self, settings=None):
        super().__init__(settings or {"fully_qualified_modules": True})

    def _print(self, expr, **kwargs):
        """Print ``expr``; SymPy's failures become :class:`UnsupportedError`
        naming the innermost subexpression that could not be printed."""
        if isinstance(expr, logsumexp) and len(expr.args) > _FLAT_ARGS:
            # before its own _numpycode (nested logaddexp calls)
            args = ", ".join(self._print(a) for a in expr.args)
            return f"_logsumexp({args})"
        try:
            return super()._print(expr, **kwargs)
        except UnsupportedError:
            raise
        except (NotImplementedError, KeyError, TypeError, ValueError) as exc:
            # PrintMethodNotImplementedError is a NotImplementedError
            raise UnsupportedError(
                f"{type(expr).__name__} cannot be printed as NumPy code: {expr}"
            ) from exc

    def _print_ComplexInfinity(self, expr):
        raise UnsupportedError("complex infinity zoo (e.g. from a division by 0)")

    # -- powers --------------------------------------------------------------
    def _print_Pow(self, expr, rational=False):
        base, exp = expr.base, expr.exp
        if exp.is_Integer or (exp.is_Float and float(exp).is_integer()):
            n = int(exp)
            if n == 0:
                return "1.0"
            text = self._int_power(base, abs(n))
            return text if n > 0 else f"(1/{text})"
        if exp.is_Rational or exp.is_Float:
            val = float(exp)
            if val == 0.5:
                return f"{self._module_format('numpy.sqrt')}({self._print(base)})"
            if val == -0.5:
                return f"(1/{self._module_format('numpy.sqrt')}({self._print(base)}))"
            if (2 * val).is_integer():
                half = int(abs(val) - 0.5)
                root = f"{self._module_format('numpy.sqrt')}({self._print(base)})"
                text = f"({self._int_power(base, half)}*{root})"
                return text if val > 0 else f"(1/{text})"
        if base == sp.E:
            return f"{self._module_format('numpy.exp')}({self._print(exp)})"
        return (
            f"{self._module_format('numpy.power')}"
            f"({self._print(base)}, {self._print(exp)})"
        )

    def _int_power(self, base, n: int) -> str:
        b = self._print(base)
        if n == 1:
            return b if base.is_Atom else f"({b})"
        if base.is_Atom and n <= _INLINE_POWER:
            return "(" + "*".join([b] * n) + ")"
        if n == 2:
            return f"{self._module_format('numpy.square')}({b})"
        return f"_ipow({b}, {n})"

    # -- sums: a positive term first (``f - y``, not ``-y + f``: one op less) --
    def _print_Add(self, expr, order=None, *, factored=False):
        coeffs = {abs(t.as_coeff_Mul()[0]) for t in expr.args}
        if len(coeffs) == 1 and not factored:  # 2*a + 2*b - 2*y -> 2*(a + b - y)
            (c,) = coeffs
            # numerically (Float(1.0) != 1 in SymPy), and once: the terms of
            # the inner sum carry a coefficient 1.0 that must not be factored
            if c.is_finite and not out_of_range(c) and float(c) not in (0.0, 1.0):
                inner = sp.Add(*[t / c for t in expr.args], evaluate=False)
                body = self._print_Add(inner, order, factored=True)
                return f"{self._print(c)}*({body})"
        grouped = self._group_common_factor(expr, order)
        if grouped is not None:
            return grouped
        terms = list(self._as_ordered_terms(expr, order=order))
        for i, t in enumerate(terms):
            if not t.could_extract_minus_sign():
                terms.insert(0, terms.pop(i))
                break
        prec = precedence(expr)
        parts = []
        for i, t in enumerate(terms):
            neg = t.could_extract_minus_sign()
            text = self.parenthesize(-t if neg else t, prec)
            if i == 0:
                parts.append(f"-{text}" if neg else text)
            else:
                parts.append(f" - {text}" if neg else f" + {text}")
        return "".join(parts)

    def _group_common_factor(self, expr, order):
        """``a*y1 + a*y2 - b -> -b + a*(y1 + y2)``: one product per factor.

        Takes the non-numeric factor shared by most terms (at least two);
        the rest of the sum is grouped the same way when printed.
        """
        factors = [sp.Mul.make_args(t) for t in expr.args]
        counts: dict = {}
        for args in factors:
            for f in set(args):
                if not f.is_Number:
                    counts[f] = counts.get(f, 0) + 1
        best = [f for f, n in counts.items() if n >= 2]
        if not best:
            return None
        f = max(best, key=lambda g: (counts[g], _sort_key(g)))
        inside, rest = [], []
        for term, args in zip(expr.args, factors, strict=True):
            if f in args:
                i = args.index(f)
                inside.append(sp.Mul(*args[:i], *args[i + 1:]))
            else:
                rest.append(term)
        text = f"{self.parenthesize(f, precedence(sp.Mul(2, f)))}*"
        text += f"({self._print(sp.Add(*inside))})"
        if rest:
            others = sp.Add(*rest)
            if others.could_extract_minus_sign():
                text += f" - {self.parenthesize(-others, precedence(expr))}"
            else:
                text += f" + {self.parenthesize(others, precedence(expr))}"
        return text

    # -- products: unit steps and negated odd functions -----------------------
    def _print_Mul(self, expr):
        coeff, rest = expr.as_coeff_Mul()
        if out_of_range(coeff):  # 10**400*x: m*x*2**k, exact and 0 at x = 0
            factors = sp.Mul.make_args(rest)
            numbers = [f for f in factors if f.is_number]
            if numbers:  # pi*10**350*x: one coefficient, rounded once
                coeff = sp.Mul(coeff, *numbers).evalf(30)
                rest = sp.Mul(*[f for f in factors if not f.is_number])
            m, k = _scaled(coeff)
            inner = self.parenthesize(rest, precedence(expr))
            ldexp = self._module_format("numpy.ldexp")
            if k > 0:  # scale first: a subnormal argument keeps its digits
                return f"{m!r}*{ldexp}({inner}, {k})"
            return f"{ldexp}({m!r}*{inner}, {k})"
        args = expr.args
        if len(args) == 2 and args[0] == -1:
            odd = _ODD.get(type(args[1]))
            u = args[1].args[0] if odd is not None else None
            if u is not None and (u.is_Add or (u.is_Mul and u.args[0].is_Number)):
                # -sign(a - b) -> sign(b - a): one operation less
                return f"{self._module_format(odd)}({self._print(-u)})"
        steps = [a for a in args if hasattr(a, "_numpy_condition")]
        if len(steps) < 2:
            return super()._print_Mul(expr)
        conds = " & ".join(s._numpy_condition(self) for s in steps)
        text = f"({conds}).astype(float)"
        others = sp.Mul(*[a for a in args if a not in steps])
        if others == 1:
            return text
        if others == -1:
            return f"-{text}"
        return f"{self.parenthesize(others, precedence(expr))}*{text}"

    # -- numbers -------------------------------------------------------------
    def _print_Integer(self, expr):
        if abs(expr.p) <= 2**53:
            return str(expr.p)
        # huge: a float literal (or inf)
        return _literal(float(expr), self._module_format("numpy.inf"))

    def _print_Rational(self, expr):
        if expr.q == 1:
            return self._print_Integer(expr)
        return _literal(float(expr), self._module_format("numpy.inf"))

    def _print_Half(self, expr):
        return "0.5"

    def _print_NumberSymbol(self, expr):
        return repr(float(expr))

    _print_Pi = _print_Exp1 = _print_EulerGamma = _print_GoldenRatio = (
        _print_NumberSymbol
    )
    _print_Catalan = _print_NumberSymbol

    def _print_Float(self, expr):
        return _literal(float(expr), self._module_format("numpy.inf"))

    def _print_Infinity(self, expr):
        return self._module_format("numpy.inf")

    def _print_NegativeInfinity(self, expr):
        return "(-" + self._module_format("numpy.inf") + ")"

    # -- piecewise-like functions with broadcasting NumPy equivalents ---------
    def _print_Max(self, expr):
        return self._clip(expr, sp.Min) or self._nested("numpy.maximum", expr.args)

    def _print_Min(self, expr):
        return self._clip(expr, sp.Max) or self._nested("numpy.minimum", expr.args)

    def _print_Maximum(self, expr):
        return self._clip(expr, Minimum) or self._nested("numpy.maximum", expr.args)

    def _print_Minimum(self, expr):
        return self._clip(expr, Maximum) or self._nested("numpy.minimum", expr.args)

    def _clip(self, expr, inner_type):
        """``numpy.clip(u, lo, hi)`` for ``Min(hi, Max(lo, u))`` (or
        ``Max(lo, Min(hi, u))``) with numbers ``lo <= hi``, else None."""
        nums = [a for a in expr.args if a.is_Number]
        rest = [a for a in expr.args if not a.is_Number]
        if len(nums) != 1 or len(rest) != 1 or not isinstance(rest[0], inner_type):
            return None
        inner = rest[0]
        inums = [a for a in inner.args if a.is_Number]
        irest = [a for a in inner.args if not a.is_Number]
        if len(inums) != 1 or len(irest) != 1:
            return None
        low_inside = inner_type in (sp.Max, Maximum)
        lo, hi = (inums[0], nums[0]) if low_inside else (nums[0], inums[0])
        if not (lo.is_finite and hi.is_finite and lo <= hi):
            return None
        clip = self._module_format("numpy.clip")
        return f"{clip}({self._print(irest[0])}, {self._print(lo)}, {self._print(hi)})"

    def _nested(self, name, args):
        fn = self._module_format(name)
        if len(args) > _FLAT_ARGS:  # flat: the parser limits nesting
            return f"_reduce({fn}, {', '.join(self._print(a) for a in args)})"
        text = self._print(args[-1])
        for arg in reversed(args[:-1]):
            text = f"{fn}({self._print(arg)}, {text})"
        return text

    def _print_Heaviside(self, expr):
        arg = expr.args[0]
        h0 = expr.args[1] if len(expr.args) > 1 else sp.S.Half
        if not h0.is_number:
            raise UnsupportedError(f"Heaviside with a symbolic value at 0: {expr}")
        if h0 in (0, 1):
            return self._print(step(arg, h0))
        if h0 == sp.S.Half:
            sign = self._module_format("numpy.sign")
            return f"(0.5*{sign}({self._print(arg)}) + 0.5)"
        return (
            f"{self._module_format('numpy.heaviside')}"
            f"({self._print(arg)}, {float(h0)!r})"
        )

    def _print_Abs(self, expr):
        return f"{self._module_format('numpy.abs')}({self._print(expr.args[0])})"

    def _print_Piecewise(self, expr):
        raise UnsupportedError("Piecewise must be lowered before printing")

    def _print_ITE(self, expr):
        """``ITE(a, b, c)`` (SymPy writes the condition of a Piecewise of a
        Piecewise such as ``relu(relu(x) - 1)`` with it) as an elementwise
        boolean choice; SymPy's own printer would rewrite it as a Piecewise."""
        where = self._module_format("numpy.where")
        a, b, c = (self._print(arg) for arg in expr.args)
        return f"{where}({a}, {b}, {c})"

    def _print_Sum(self, expr):
        raise UnsupportedError(
            f"unevaluated {type(expr).__name__} {expr} (evaluate it first, "
            "e.g. with .doit())"
        )

    _print_Product = _print_Subs = _print_Sum

    def _print_Function(self, expr):
        # an undefined function f(x) has nothing to print to
        if isinstance(expr.func, sp.core.function.UndefinedFunction):
            raise UnsupportedError(f"undefined function {expr.func}")
        return super()._print_Function(expr)

    def _print_not_supported(self, expr):
        raise UnsupportedError(f"{type(expr).__name__}: {expr}")
