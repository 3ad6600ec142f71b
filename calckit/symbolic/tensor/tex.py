"""Textbook LaTeX of tensor expressions: :func:`latex`.

Matrix products are juxtaposed (``X w``), transposes are ``^\\top``,
elementwise products ``\\odot``, inverses ``^{-1}``, a scalar coefficient
with a denominator is a leading fraction, and calckit's functions print as
SymPy prints them (``\\sigma``), elementwise.

>>> import calckit as ck
>>> from calckit.symbolic.tensor import ops
>>> X, w, y = ck.matrix("X", "n", "d"), ck.vector("w", "d"), ck.vector("y", "n")
>>> latex(X.T @ (ops.apply("sigmoid", X @ w) - y) / 3)
'\\\\frac{1}{3} X^\\\\top \\\\left(\\\\sigma\\\\left(X w\\\\right) - y\\\\right)'
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter

from calckit.symbolic.tensor import printing as P

__all__ = ["latex"]

_NAMES = {"sum": r"\operatorname{sum}", "lse": r"\operatorname{logsumexp}",
          "softmax": r"\operatorname{softmax}", "diag": r"\operatorname{diag}",
          "trace": r"\operatorname{tr}"}


def _sym(name: str) -> str:
    return sp.latex(sp.Symbol(name))


def _wrap(text: str) -> str:
    return rf"\left({text}\right)"


def _atomic(node) -> bool:
    return node.op in ("var", "eye", "sum", "lse", "softmax", "diag", "trace",
                       "logdet", "inv", "T") or (node.op == "elem" and (
                           node.attr[1] or isinstance(node.attr[0], sp.Function))) \
        or (node.op == "scalar" and (node.attr[0].is_Atom))


def latex(node) -> str:
    """LaTeX of a tensor expression (see the module docstring)."""
    op = node.op
    if op == "var":
        return _sym(node.attr[0])
    if op == "scalar":
        return sp.latex(node.attr[0])
    if op == "add":
        out = []
        for i, t in enumerate(P._add(node) and _ordered(node)):
            neg = sp.sympify(P._coeff(t)).could_extract_minus_sign()
            text = latex(P._negate(t)) if neg else latex(t)
            if t.op == "add":
                text = _wrap(text)
            out.append(("- " if neg else "+ " if i else "") + text)
        return " ".join(out)
    if op == "mul":
        return _mul(node)
    if op == "matmul":
        a, b = node.args
        left = _factor(a) + (r"^\top" if a.ndim == 1 and a.op != "matmul" else "")
        return f"{left} {_factor(b)}"
    if op == "T":
        inner = node.args[0]
        if inner.op == "inv" and inner.args[0].op == "var":
            return latex(inner.args[0]) + r"^{-\top}"
        return (latex(inner) if _atomic(inner) and inner.op != "T" else
                _wrap(latex(inner))) + r"^\top"
    if op == "inv":
        inner = node.args[0]
        return (latex(inner) if inner.op == "var" else _wrap(latex(inner))) + "^{-1}"
    if op == "logdet":
        return r"\log\det " + _factor(node.args[0])
    if op == "outer":
        return f"{_factor(node.args[0])} {_factor(node.args[1])}^\\top"
    if op == "eye":
        return "I"
    if op in ("expand", "bcast"):
        return latex(node.args[0])
    if op == "elem":
        return _elem(node)
    name = _NAMES[op]
    axis = node.attr[0] if op in ("sum", "lse", "softmax") else None
    sub = "" if axis is None else f"_{{{axis}}}"
    return f"{name}{sub}" + _wrap(latex(node.args[0]))


def _ordered(node):
    terms = list(node.args)
    for i, t in enumerate(terms):
        if not sp.sympify(P._coeff(t)).could_extract_minus_sign():
            terms.insert(0, terms.pop(i))
            break
    return terms


def _factor(node) -> str:
    text = latex(node)
    return text if _atomic(node) or node.op == "matmul" else _wrap(text)


def _mul(node) -> str:
    coeff, num, den = P.split_fraction(node)
    coeff = sp.sympify(coeff)
    mean = P._mean(coeff, num) if not den else None
    if mean is not None:
        s = num[0]
        sub = "" if s.attr[0] is None else f"_{{{s.attr[0]}}}"
        return rf"\operatorname{{mean}}{sub}" + _wrap(latex(s.args[0]))
    parts = []
    scalars = [f for f in num if f.ndim == 0]
    tensors = [f for f in num if f.ndim > 0]
    for f in scalars:
        parts.append(_factor(f))
    body = r" \odot ".join(_wrap(latex(f)) if f.op == "matmul" and len(tensors) > 1
                           else _factor(f) for f in tensors)
    c_num, c_den = sp.fraction(coeff)
    sign = ""
    if c_num.could_extract_minus_sign():
        sign, c_num = "-", -c_num
    den_tex = [sp.latex(c_den)] if c_den != 1 else []
    den_tex += [(_factor(b) if p == 1 else f"{_factor(b)}^{{{sp.latex(p)}}}")
                for b, p in den]
    lead = sp.latex(c_num) if c_num != 1 else ""
    if den_tex:
        lead = rf"\frac{{{lead or 1}}}{{{' '.join(den_tex)}}}"
    text = " ".join(p for p in [lead, *parts, body] if p)
    return sign + (text or "1")


def _elem(node) -> str:
    fn, label = node.attr
    if label:
        return rf"\operatorname{{{label}}}" + _wrap(", ".join(latex(a)
                                                              for a in node.args))
    args = {sp.Symbol(f"_x{i}", real=True): (latex(a), _atomic(a))
            for i, a in enumerate(node.args)}
    return _ArgLatex(args).doprint(fn)


class _ArgLatex(LatexPrinter):
    """SymPy's LaTeX printer with the placeholders ``_x0, ...`` printed as the
    argument texts, in parentheses wherever an operator binds them."""

    def __init__(self, args: dict):
        super().__init__()
        self._args = args

    def _print_Symbol(self, expr, style="plain"):
        hit = self._args.get(expr)
        return hit[0] if hit else super()._print_Symbol(expr, style)

    def parenthesize(self, item, level, is_neg=False, strict=False):
        hit = self._args.get(item)
        if hit is None:
            return super().parenthesize(item, level, is_neg, strict)
        return hit[0] if hit[1] else _wrap(hit[0])

    def parenthesize_super(self, s):
        return s
