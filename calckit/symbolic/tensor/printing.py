"""``str()`` of tensor expressions: NumPy-like code (private).

Python's precedences: ``+ -`` < ``* / @`` (left-associative) < unary minus
< ``**`` < calls, names and ``.T``. A chain of ``@`` prints without
parentheses (matrix products are associative), ``c * sum(x) / n`` with the
entry count ``n`` prints as ``mean(x)``. The output parses back with
:func:`calckit.parse` and the same ``shapes=``.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.precedence import precedence as sp_precedence
from sympy.printing.str import StrPrinter

from calckit.symbolic.tensor.shapes import dim_size

__all__ = ["to_str", "node_precedence", "split_fraction"]

ADD, MUL, NEG, POW, ATOM = 10, 20, 30, 40, 50


def _sympy_prec(e: sp.Expr) -> int:
    if e.is_Number and e.could_extract_minus_sign():
        return NEG
    if e.is_Rational and not e.is_Integer:
        return MUL
    p = sp_precedence(e)
    if p <= 40:  # Add
        return ADD
    if p <= 50:  # Mul
        return MUL if not e.could_extract_minus_sign() else NEG
    if p <= 60:  # Pow
        return POW
    return ATOM


def split_fraction(node):
    """``(coefficient, numerator factors, denominator factors)`` of a ``mul``
    node; each denominator factor is ``(base, positive exponent)``."""
    factors = node.args if node.op == "mul" else (node,)
    coeff = sp.S.One
    num, den = [], []
    for f in factors:
        if f.op == "scalar":
            coeff = f.attr[0]
            continue
        base, p = _base_exp(f)
        if p.is_Number and p < 0:
            den.append((base, -p))
        else:
            num.append(f)
    return coeff, num, den


def _base_exp(node):
    if node.op == "elem" and node.attr[1] is None and len(node.args) == 1:
        fn = node.attr[0]
        if fn.is_Pow and fn.base.name == "_x0" and fn.exp.is_Number:
            return node.args[0], fn.exp
    return node, sp.S.One


def node_precedence(node) -> int:
    op = node.op
    if op == "scalar":
        return _sympy_prec(node.attr[0])
    if op == "add":
        return ADD
    if op in ("mul", "matmul"):
        coeff, num, den = split_fraction(node) if op == "mul" else (1, (), ())
        if op == "mul" and sp.sympify(coeff).could_extract_minus_sign():
            return NEG if not den and sp.fraction(coeff)[1] == 1 else MUL
        return MUL
    if op == "elem":
        return ATOM if node.attr[1] else _sympy_prec(node.attr[0])
    return ATOM


def _paren(node, level: int, strict: bool = False) -> str:
    text = to_str(node)
    p = node_precedence(node)
    return f"({text})" if (p < level or (strict and p == level)) else text


def _axis_kw(axis, keepdims=False) -> str:
    out = "" if axis is None else f", axis={axis}"
    return out + (", keepdims=True" if keepdims else "")


def to_str(node) -> str:
    """NumPy-like text of ``node``."""
    op = node.op
    if op == "var":
        return node.attr[0]
    if op == "scalar":
        return str(node.attr[0])
    if op == "add":
        return _add(node)
    if op == "mul":
        return _mul(node)
    if op == "elem":
        return _elem(node)
    if op == "matmul":
        a, b = node.args
        left = _paren(a, MUL)
        right = to_str(b) if b.op == "matmul" else _paren(b, MUL, strict=True)
        return f"{left} @ {right}"
    if op == "T":
        return f"{_paren(node.args[0], ATOM)}.T"
    if op == "expand":
        inner = _paren(node.args[0], ATOM)
        return f"{inner}[:, None]" if node.attr[0] == 1 else f"{inner}[None, :]"
    if op == "bcast":
        dims = ", ".join(map(str, node.attr[0]))
        tail = "," if len(node.attr[0]) == 1 else ""
        return f"broadcast_to({to_str(node.args[0])}, ({dims}{tail}))"
    if op == "eye":
        return f"eye({node.attr[0]})"
    name = {"sum": "sum", "lse": "logsumexp", "softmax": "softmax"}.get(op, op)
    inner = ", ".join(to_str(a) for a in node.args)
    kw = _axis_kw(*node.attr) if op in ("sum", "lse", "softmax") else ""
    return f"{name}({inner}{kw})"


def _add(node) -> str:
    parts = []
    terms = list(node.args)
    for i, t in enumerate(terms):  # a positive term first: 1 - x, not -x + 1
        if not sp.sympify(_coeff(t)).could_extract_minus_sign():
            terms.insert(0, terms.pop(i))
            break
    for i, t in enumerate(terms):
        neg = sp.sympify(_coeff(t)).could_extract_minus_sign()
        if neg and i > 0:
            text = _paren(_negate(t), ADD, strict=True)
            parts.append(f" - {text}")
        else:
            text = _paren(t, ADD) if i == 0 else _paren(t, ADD, strict=True)
            parts.append(text if i == 0 else f" + {text}")
    return "".join(parts)


def _coeff(t):
    if t.op == "scalar":
        return t.attr[0]
    if t.op == "mul" and t.args[0].op == "scalar":
        return t.args[0].attr[0]
    return 1


def _negate(t):
    return -t  # Tensor.__neg__: mul(scalar(-1), t)


def _mean(coeff, num) -> str | None:
    """``mean(x, axis)`` for ``coeff * sum(x, axis)`` with ``coeff`` one over the
    entry count."""
    if len(num) != 1 or num[0].op != "sum" or num[0].attr[1]:
        return None
    s = num[0]
    a = s.args[0]
    axis = s.attr[0]
    dims = a.shape if axis is None else (a.shape[axis],)
    count = sp.Mul(*[dim_size(d) for d in dims])
    if coeff * count != 1:
        return None
    return f"mean({to_str(a)}{_axis_kw(axis)})"


def _mul(node) -> str:
    coeff, num, den = split_fraction(node)
    coeff = sp.sympify(coeff)
    if not den:
        m = _mean(coeff, num)
        if m is not None:
            return m
    c_num, c_den = sp.fraction(coeff)
    sign = ""
    if c_num.could_extract_minus_sign():
        sign, c_num = "-", -c_num
    parts = []
    if c_num != 1 or not num:
        parts.append(str(c_num) if _sympy_prec(c_num) >= MUL else f"({c_num})")
    for i, f in enumerate(num):
        first = not parts and i == 0
        parts.append(_paren(f, MUL) if first else _paren(f, MUL, strict=True))
    text = sign + " * ".join(parts)
    if c_den != 1:
        text += f" / {c_den}" if _sympy_prec(c_den) >= POW else f" / ({c_den})"
    for base, p in den:
        b = _paren(base, POW, strict=True) if p != 1 else _paren(base, MUL, strict=True)
        text += f" / {b}" if p == 1 else f" / {b}**{p}"
    return text


def _elem(node) -> str:
    fn, label = node.attr
    if label:
        return f"{label}({', '.join(to_str(a) for a in node.args)})"
    args = {sp.Symbol(f"_x{i}", real=True): (to_str(a), node_precedence(a))
            for i, a in enumerate(node.args)}
    return _ArgPrinter(args).doprint(fn)


#: this module's precedences on SymPy's scale (Add 40, Mul 50, Pow 60, atoms)
_SYMPY_SCALE = {ADD: 40, MUL: 50, NEG: 50, POW: 60, ATOM: 1000}


class _ArgPrinter(StrPrinter):
    """SymPy's str printer with the placeholders ``_x0, ...`` printed as the
    argument texts, parenthesized by their own precedence."""

    def __init__(self, args: dict):
        super().__init__()
        self._args = args

    def _print_Symbol(self, expr):
        hit = self._args.get(expr)
        return hit[0] if hit else super()._print_Symbol(expr)

    def _print_Piecewise(self, expr):
        """NumPy's ``where(cond, a, b)``, nested for more branches."""
        text = None
        for val, cond in reversed(expr.args):
            v = self._print(val)
            text = v if cond == sp.true else f"where({self._print(cond)}, {v}, {text})"
        return text

    def parenthesize(self, item, level, strict=False):
        hit = self._args.get(item)
        if hit is None:
            return super().parenthesize(item, level, strict)
        p = _SYMPY_SCALE[hit[1]]
        # SymPy parenthesizes the factor of a negated product at the level of
        # a sum: a sum argument needs its parentheses there (-(a - b))
        wrap = p < level or (strict and p <= level) or (hit[1] == ADD and level >= 40)
        return f"({hit[0]})" if wrap else hit[0]
