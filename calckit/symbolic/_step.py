"""The unit step primitive ``step(u, h)`` (private; re-exported by
:mod:`calckit.symbolic.functions`).

It prints as one NumPy comparison, so kinks (``relu``, ``hard_tanh``, the
affine ``Piecewise`` forms :func:`calckit.symbolic.stable.stabilize`
rewrites) cost what a hand-written ``x > 0`` costs:

>>> import sympy as sp
>>> from calckit.kernels.printer import KernelPrinter
>>> x = sp.Symbol("x", real=True)
>>> KernelPrinter().doprint(step(1 - x, 0))
'numpy.less(x, 1).astype(float)'
>>> KernelPrinter().doprint(step(x + 1, 1))
'numpy.greater_equal(x, -1).astype(float)'
"""

from __future__ import annotations

import sympy as sp

from calckit.errors import InvalidParameterError

__all__ = ["step"]


class step(sp.Function):  # noqa: N801
    r"""Unit step ``step(u, h)``: 1 where ``u > 0``, 0 where ``u < 0``, ``h``
    (0 or 1) at ``u == 0``. Like ``Heaviside(u, h)`` but with the autograd
    convention for its derivative (0 everywhere, no ``DiracDelta``), and
    printed as a comparison (``numpy.greater(u, 0)``), far cheaper than
    ``numpy.heaviside``.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> step(x, 0).diff(x), step(0, 0), step(0, 1), step(-2, 1)
    (0, 0, 1, 0)
    """

    nargs = 2

    @classmethod
    def eval(cls, u, h):
        if h not in (0, 1):
            raise InvalidParameterError(f"step's value at 0 must be 0 or 1, got {h}")
        if u.is_number and u.is_extended_real:
            if u.is_zero:
                return sp.Integer(h)
            return sp.Integer(1 if u.is_positive else 0)
        return None

    def fdiff(self, argindex=1):
        return sp.Integer(0)

    def _eval_is_real(self):
        return True if self.args[0].is_extended_real else None

    def _eval_is_nonnegative(self):
        return self._eval_is_real()

    def _eval_rewrite_as_Heaviside(self, u, h, **kwargs):
        return sp.Heaviside(u, h)

    def _eval_rewrite_as_Piecewise(self, u, h, **kwargs):
        cond = u > 0 if h == 0 else u >= 0
        return sp.Piecewise((1, cond), (0, True))

    def _latex(self, printer, exp=None):
        op = ">" if self.args[1] == 0 else r"\geq"
        tex = rf"\mathbb{{1}}\left[{printer._print(self.args[0])} {op} 0\right]"
        return rf"{tex}^{{{exp}}}" if exp is not None else tex

    def _mpmathcode(self, printer):
        op = ">" if self.args[1] == 0 else ">="
        return f"(1 if ({printer._print(self.args[0])}) {op} 0 else 0)"

    def _numpy_condition(self, printer) -> str:
        """NumPy source of the boolean ``u > 0`` (``u >= 0`` if ``h == 1``),
        written as a comparison of the sum's positive terms with the rest:
        ``step(1 - x, 0)`` -> ``numpy.less(x, 1)``, ``step(a - b, 1)`` ->
        ``numpy.greater_equal(a, b)`` (one operation, and exact: no rounded
        difference is compared with 0)."""
        u, h = self.args
        const, rest = u.as_coeff_Add()
        pos: list[sp.Expr] = []
        neg: list[sp.Expr] = []
        for t in sp.Add.make_args(rest):
            (neg if t.could_extract_minus_sign() else pos).append(t)
        names = ("greater", "less") if h == 0 else ("greater_equal", "less_equal")
        if pos:  # sum(pos) > -sum(neg) - const
            name, lhs, rhs = names[0], sp.Add(*pos), -sp.Add(*neg) - const
        else:  # -sum(neg) < const
            name, lhs, rhs = names[1], -sp.Add(*neg), const
        f = printer._module_format(f"numpy.{name}")
        return f"{f}({printer._print(lhs)}, {printer._print(rhs)})"

    def _numpycode(self, printer):
        return f"{self._numpy_condition(printer)}.astype(float)"
