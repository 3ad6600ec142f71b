"""A safe parser from text to SymPy: :func:`parse`.

The text is never given to ``eval``, ``exec``, ``sympify`` or ``parse_expr``.
A small tokenizer (ASCII digits, ASCII names, the operators ``+ - * / ** ^``,
parentheses and commas; :mod:`calckit.symbolic._lexer`) feeds a
precedence-climbing parser that builds the SymPy expression directly, calling
only whitelisted functions (:data:`calckit.symbolic._whitelist.FUNCTIONS`).

Grammar (lowest precedence first; ``^`` is a synonym of ``**``)::

    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := ("+" | "-")* power                 # -x**2 == -(x**2)
    power   := atom (("**" | "^") unary)?         # right-associative
    atom    := number | name | name "(" args ")" | "(" sum ")"

Bounded work on hostile input:

- the length is checked first (``max_length``), before any other work;
- parentheses, calls and power chains nest at most ``MAX_DEPTH`` deep, so
  the recursion is bounded and no ``RecursionError`` can occur;
- exact numeric powers are evaluated only when the result has at most
  ``MAX_POWER_BITS`` bits (all of them together at most ``BIT_BUDGET``),
  and exact roots (where SymPy searches for factors) only of numbers of at
  most ``ROOT_BITS`` bits in all;
  larger ones such as ``9**9**9**9`` raise :class:`ParseError` rather than
  being kept unevaluated, since any later operation could expand them;
- decimal literals outside the float64 range (``1e999999``) are rejected
  before SymPy sees them; a numeric result that overflows float64 too, and
  a float power whose value would fall outside that range (``1.5**10**3999``,
  ``0.5**10**3999``) before it is evaluated (its cost grows with the
  exponent's digits);
- ``Max``/``Min`` take at most ``MAX_MINMAX_ARGS`` distinct arguments (nested
  ones counted; their derivatives grow as the cube of that number). SymPy's
  pairwise simplification of the arguments, whose cost grows with their
  number squared times their size, is done only within the work budget
  ``MINMAX_BUDGET``; past it the arguments are flattened, deduplicated and
  their numbers folded, and the result is built unevaluated (equal in value).

>>> parse("-x**2 + 2^3")
8 - x**2
>>> parse("log(1 + exp(w*x + b))")
log(exp(b + w*x) + 1)
>>> parse("x.__class__")
Traceback (most recent call last):
...
calckit.errors.ParseError: attribute access '.' is not allowed at position 1 ...
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Mapping
from typing import NoReturn

import sympy as sp

from calckit.errors import CalckitError, CalckitTypeError, InvalidParameterError
from calckit.symbolic import _lexer
from calckit.symbolic._exprs import real_symbol
from calckit.symbolic._whitelist import FunctionEntry, function_names, function_table
from calckit.symbolic.functions import cbrt
from calckit.symbolic.tensor import grammar as _tensor_grammar

__all__ = ["parse", "function_names", "MAX_DEPTH", "MAX_MINMAX_ARGS"]

MAX_DEPTH = 100
MAX_POWER_BITS = 14_000  # about 4200 decimal digits (Python prints up to 4300)
BIT_BUDGET = 100_000
ROOT_BITS = 2_048  # exact roots (sqrt(n), n**(1/3), ...) of numbers this size
MAX_FLOAT_DIGITS = 100
MAX_INT_DIGITS = 4_000
_FLOAT_MAX = 1.7976931348623157e308
_FOLD_LIMIT = 64  # longer products are built in one n-ary Mul
_FLOAT_LOG2_RANGE = (-1075.0, 1024.0)  # log2 of float64's subnormal min and max
MAX_MINMAX_ARGS = 10
MINMAX_BUDGET = 500  # SymPy's Max/Min evaluation, in units of about 0.6 ms
_PAIR_COST = 10  # per pair of arguments, plus 1 per node of the pair
_SIZE_CAP = 100_000  # node counts (for the Max/Min budget) stop here


_CONSTANTS = {"pi": sp.pi, "E": sp.E}
# names that read as non-finite constants (SymPy's oo, zoo, nan; NumPy's inf):
# as variables they would silently be symbols named like infinity
_NON_FINITE = frozenset({"inf", "infinity", "nan", "oo", "zoo"})
_CALL_ERRORS = (CalckitError, TypeError, ValueError, ArithmeticError)


class _Tuple(tuple):
    """A parenthesised sequence, allowed only as a registry-function argument."""


class _Parser:
    def __init__(self, text, symbols, rational):
        self.text = text
        self.source = _lexer.tokens(text)
        self.tokens = [next(self.source)]
        self.symbols = symbols
        self.rational = rational
        self.i = 0
        self.depth = 0
        self.budget: float = BIT_BUDGET  # bits, spent as fractional costs
        self.root_budget: float = ROOT_BITS
        self.minmax_budget = MINMAX_BUDGET
        self.tuple_at = -1  # token index where a tuple argument may start
        self.used_e = False  # a bare 'e' was read as E: warn once, at the end

    # -- helpers ---------------------------------------------------------
    def peek(self) -> _lexer.Token:
        return self.tokens[self.i]

    def take(self) -> _lexer.Token:
        tok = self.tokens[self.i]
        self.i += 1
        if tok.kind != "end":
            self.tokens.append(next(self.source))
        return tok

    def fail(
        self, tok: _lexer.Token, message: str, cause: BaseException | None = None
    ) -> NoReturn:
        _lexer.fail(self.text, tok.pos, tok.text, message, cause)

    def enter(self, tok: _lexer.Token):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(tok, f"nesting deeper than {MAX_DEPTH} levels")

    def expect_operand_end(self):
        """After a complete operand: reject juxtaposed operands."""
        tok = self.peek()
        if tok.text == "[":
            self.fail(tok, "subscripts '[...]' are not allowed")
        if tok.kind in ("num", "name") or tok.text == "(":
            prev = self.tokens[self.i - 1]
            self.fail(
                tok,
                "missing operator (implicit multiplication is not supported; "
                f"write '{prev.text}*{tok.text}')",
            )

    # -- grammar ---------------------------------------------------------
    def parse(self) -> sp.Expr:
        if self.peek().kind == "end":
            self.fail(self.peek(), "empty expression")
        out = self.sum()
        tok = self.peek()
        if tok.kind != "end":
            if tok.text == ",":
                self.fail(tok, "top-level comma: parse takes a single expression")
            if tok.text in (")", "]"):
                self.fail(tok, f"unmatched {tok.text!r}")
            self.fail(tok, "unexpected token")
        return out

    def sum(self):
        first = self.product()
        if self.peek().text not in ("+", "-"):
            return first
        terms = [self.scalar(first)]
        while self.peek().text in ("+", "-"):
            op = self.take()
            term = self.scalar(self.product())
            terms.append(-term if op.text == "-" else term)
        return self.number_check(sp.Add(*terms), op)

    def product(self):
        first = self.unary()
        if self.peek().text not in ("*", "/"):
            return first
        factors = [self.scalar(first)]
        while self.peek().text in ("*", "/"):
            op = self.take()
            f = self.scalar(self.unary())
            if op.text == "/":
                if f == 0:
                    self.fail(op, "division by zero")
                f = self.power_of(f, sp.S.NegativeOne, op)
            factors.append(f)
        if len(factors) > _FOLD_LIMIT:  # n-ary: linear time on long chains
            return self.number_check(sp.Mul(*factors), op)
        out = factors[0]
        for f in factors[1:]:  # left to right, as Python and SymPy evaluate
            out = sp.Mul(out, f)  # (so 3*(x + y)/x distributes the 3)
        return self.number_check(out, op)

    def unary(self):
        negative = False
        while self.peek().text in ("+", "-"):
            negative ^= self.take().text == "-"
        out = self.power()
        return -self.scalar(out) if negative else out

    def power(self):
        base = self.atom()
        if self.peek().text not in ("**", "^"):
            return base
        chain = [(False, base)]  # (negate, operand); ops[i] precedes chain[i + 1]
        ops: list[_lexer.Token] = []
        while self.peek().text in ("**", "^"):
            op = self.take()
            if len(chain) + self.depth > MAX_DEPTH:
                self.fail(op, f"power chain nested deeper than {MAX_DEPTH} levels")
            negative = False
            while self.peek().text in ("+", "-"):
                negative ^= self.take().text == "-"
            ops.append(op)
            chain.append((negative, self.atom()))
        # right-associative: fold from the last operand
        negative, last = chain[-1]
        acc = self.scalar(last)
        if negative:
            acc = -acc
        for op, (negative, operand) in zip(reversed(ops), reversed(chain[:-1]),
                                           strict=True):
            acc = self.power_of(self.scalar(operand), acc, op)
            if negative:
                acc = -acc
        return acc

    def atom(self):
        tok = self.take()
        if tok.kind == "num":
            out = self.number(tok)
        elif tok.kind == "name":
            out = self.name(tok)
        elif tok.text == "(":
            out = self.group(tok)
        elif tok.text == "[":
            out = self.list_literal(tok)
        elif tok.kind == "end":
            self.fail(tok, "unexpected end of input")
        elif tok.text in (")", "]"):
            self.fail(tok, f"unexpected {tok.text!r}")
        elif tok.text == ",":
            self.fail(tok, "unexpected ','")
        else:
            self.fail(tok, f"unexpected operator {tok.text!r}")
        self.expect_operand_end()
        return out

    def group(self, open_tok: _lexer.Token):
        tuple_ok = self.tuple_at == self.i - 1
        self.enter(open_tok)
        items = [self.sum()]
        while self.peek().text == ",":
            comma = self.take()
            if not tuple_ok:
                self.fail(
                    comma,
                    "a parenthesised tuple '(a, b, ...)' is only allowed as an "
                    "argument of a loss or activation such as "
                    "softmax_cross_entropy",
                )
            if self.peek().text == ")" and len(items) == 1:
                break  # (a,) is a one-element tuple
            items.append(self.sum())
        close = self.take()
        if close.text != ")":
            self.fail(close, "expected ')'" + f" to close '(' at {open_tok.pos}")
        self.depth -= 1
        if tuple_ok and (len(items) > 1 or self.tokens[self.i - 2].text == ","):
            if self.peek().text not in (",", ")"):
                self.fail(self.peek(), "a tuple cannot be used in arithmetic")
            return _Tuple(self.scalar(e) for e in items)
        return items[0]

    def list_literal(self, open_tok: _lexer.Token):
        """``[a, b, ...]``: a sequence, only as an argument of a library
        function that takes one (``softmax_cross_entropy([0, 1], [z0, z1])``)."""
        if self.tuple_at != self.i - 1:
            self.fail(
                open_tok,
                "a list '[a, b, ...]' is only allowed as an argument of a loss "
                "that takes sequences, such as softmax_cross_entropy or "
                "kl_divergence",
            )
        self.enter(open_tok)
        items = []
        if self.peek().text != "]":
            while True:
                items.append(self.scalar(self.sum()))
                if self.peek().text != ",":
                    break
                self.take()
        close = self.take()
        if close.text != "]":
            self.fail(close, f"expected ',' or ']' to close '[' at {open_tok.pos}")
        self.depth -= 1
        if self.peek().text not in (",", ")"):
            self.fail(self.peek(), "a list cannot be used in arithmetic")
        return _Tuple(items)

    def call(self, name_tok: _lexer.Token, fn: FunctionEntry):
        open_tok = self.take()
        self.enter(open_tok)
        args = []
        if self.peek().text != ")":
            while True:
                if fn.registry:
                    self.tuple_at = self.i
                args.append(self.sum())
                if self.peek().text != ",":
                    break
                self.take()
        close = self.take()
        if close.text != ")":
            self.fail(close, f"expected ',' or ')' in the call of {name_tok.text}")
        self.depth -= 1
        if not fn.lo <= len(args) <= fn.hi:
            want = (
                f"{fn.lo}" if fn.lo == fn.hi
                else f"at least {fn.lo}" if fn.hi == math.inf
                else f"{fn.lo} to {int(fn.hi)}"
            )  # fmt: skip
            self.fail(
                name_tok,
                f"{name_tok.text}() takes {want} argument(s), got {len(args)}",
            )
        if not fn.registry:
            args = [self.scalar(a) for a in args]
        else:
            args = [tuple(a) if isinstance(a, _Tuple) else a for a in args]
            for a in args:
                for v in a if isinstance(a, tuple) else (a,):
                    self.registry_arg_check(v, name_tok)
        if fn.func is sp.sqrt:
            return self.power_of(args[0], sp.Rational(1, 2), name_tok)
        if fn.func is cbrt and args[0].is_Rational:  # the real root, bounded
            root = self.power_of(abs(args[0]), sp.Rational(1, 3), name_tok)
            return -root if args[0].is_negative else root
        if fn.func in (sp.Max, sp.Min):
            return self.number_check(self.min_max(fn.func, args, name_tok), name_tok)
        try:
            out = fn.func(*args)
        except _CALL_ERRORS as err:
            self.rejected(name_tok, err)
        if not isinstance(out, sp.Expr):
            self.fail(name_tok, f"{name_tok.text}() did not return an expression")
        return self.number_check(out, name_tok)

    def name(self, tok: _lexer.Token):
        name = tok.text
        follows_call = self.peek().text == "("
        if name in self.symbols and not follows_call:
            return self.symbols[name]
        table = function_table()
        if follows_call:
            if name in table:
                return self.call(tok, table[name])
            close = difflib.get_close_matches(name, list(table), n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            hint += f" (for a product write '{name}*(...)')"
            self.fail(tok, f"unknown function {name!r}{hint}")
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        if name == "e":  # Euler's number, as a user typing e**x means
            self.used_e = True
            return sp.E
        if name.lower() in _NON_FINITE:
            self.fail(tok, f"{name!r} reads as a non-finite constant; calckit "
                           "expressions are finite and real: write a number, or "
                           "give the variable another name")
        if name in table:
            self.fail(tok, f"function {name!r} needs arguments: write {name}(...)")
        return real_symbol(name)

    # -- numbers ---------------------------------------------------------
    def number(self, tok: _lexer.Token):
        text = tok.text
        mant, has_exp, exp_text = text.lower().partition("e")
        if not has_exp and "." not in text:
            if len(text) > MAX_INT_DIGITS:
                self.fail(tok, f"integer literal longer than {MAX_INT_DIGITS} digits")
            return sp.Integer(int(text))
        if len(exp_text.lstrip("+-")) > 6:
            self.fail(tok, f"exponent of {text!r} is out of range")
        exp10 = int(exp_text) if exp_text else 0
        int_part, _, frac = mant.partition(".")
        digits = (int_part + frac).lstrip("0")
        if not digits:
            return sp.Integer(0) if self.rational else sp.Float(0)
        # value = 0.digits * 10**magnitude
        magnitude = exp10 + len(int_part.lstrip("0")) - (
            len(frac) - len(frac.lstrip("0")) if not int_part.lstrip("0") else 0
        )
        if self.rational:
            if abs(magnitude) * 3.33 + len(digits) * 3.33 > MAX_POWER_BITS:
                self.fail(tok, f"exact value of {text!r} is too large")
            return sp.Rational(mant) * sp.Integer(10) ** exp10
        if magnitude > 309 or magnitude < -323:
            self.fail(
                tok,
                f"number {text!r} is outside the float64 range (about 1e-323 to "
                "1.8e308); use an exact power such as 10**400, or rational=True",
            )
        if len(digits.rstrip("0")) > MAX_FLOAT_DIGITS:
            self.fail(
                tok,
                f"more than {MAX_FLOAT_DIGITS} significant digits; "
                "use rational=True for exact decimals",
            )
        dps = max(15, len(digits.rstrip("0")))
        return self.number_check(sp.Float(text, dps), tok)

    def scalar(self, value):
        """Operands of arithmetic; a tuple never gets here (see group)."""
        if isinstance(value, _Tuple):
            raise AssertionError("internal error: tuple used as an operand")
        return value

    def number_check(self, value, tok: _lexer.Token):
        """Refuse undefined values and floats beyond the float64 range."""
        if value is sp.S.ComplexInfinity or value is sp.S.NaN:
            self.fail(tok, f"the value is undefined ({value})")
        if value.is_Float and abs(value) > _FLOAT_MAX:
            self.fail(tok, "the numeric value overflows float64")
        return value

    def registry_arg_check(self, value, tok: _lexer.Token):
        if value.is_Rational and _bits(value) > 16:
            self.fail(
                tok,
                f"exact argument {value} of {tok.text}() is too large "
                "(at most 16 bits); use a float",
            )

    def min_max(self, cls, args, tok: _lexer.Token):
        """``Max(*args)`` or ``Min(*args)`` (``cls``) with the work bounded.

        Parameters
        ----------
        cls : {sympy.Max, sympy.Min}
        args : list of sympy.Expr
            The parsed arguments.
        tok : Token
            The function name, for errors.

        Returns
        -------
        sympy.Expr
            SymPy's evaluated ``cls(*args)`` while ``MINMAX_BUDGET`` lasts
            (its pairwise comparisons cost about ``n**2`` times the size of
            the arguments); past it, the same value built unevaluated from
            the flattened, deduplicated arguments with their numbers folded.
        """
        try:
            flat = _minmax_args(cls, args)
        except _CALL_ERRORS as err:
            self.rejected(tok, err)
        if len(flat) == 1:
            return flat[0]
        if len(flat) > MAX_MINMAX_ARGS:
            self.fail(
                tok,
                f"{tok.text}() of {len(flat)} distinct arguments (nested "
                f"{cls.__name__} included); at most {MAX_MINMAX_ARGS} are "
                "supported, since its derivatives grow as the cube of that "
                "number",
            )
        n = len(flat)
        cost = _PAIR_COST * n * (n - 1) // 2 + (n - 1) * sum(map(_size, flat))
        evaluate = cost <= self.minmax_budget
        if evaluate:
            self.minmax_budget -= cost
        try:
            return cls(*flat, evaluate=evaluate)
        except _CALL_ERRORS as err:
            self.rejected(tok, err)

    def rejected(self, tok: _lexer.Token, err: Exception) -> NoReturn:
        """Fail because the function named by ``tok`` raised ``err``."""
        self.fail(tok, f"{tok.text}() rejected its arguments: {err}", err)

    def float_power_check(self, base, exponent, op: _lexer.Token):
        """Refuse a float power whose value is outside the float64 range.

        Evaluating ``1.5**n`` takes time growing with the digits of ``n``
        (about 12 s for 4000 digits), so ``log2`` of the result is estimated
        from ``log2|base|`` and ``log2|exponent|`` before SymPy sees it.
        Powers of ``+-1.0`` and ``0.0`` are cheap and always allowed.
        """
        log2_base = _log2_abs(base)
        if log2_base in (0.0, -math.inf) or exponent.is_zero:
            return
        # log2 of |log2 result|: beyond 11 the result is surely out of range
        log2_size = _log2_abs(exponent) + math.log2(abs(log2_base))
        grows = (exponent > 0) == (log2_base > 0)
        if log2_size <= 11:
            result_log2 = float(exponent * sp.Float(log2_base))
            lo, hi = _FLOAT_LOG2_RANGE
            if lo <= result_log2 <= hi:
                return
            size = f"2**{result_log2:.4g}"
        else:
            digits = log2_size * math.log10(2)
            size = f"2**({'' if grows else '-'}10**{digits:.0f})"
        self.fail(
            op,
            f"float power {'overflows' if grows else 'underflows'} float64: "
            f"its value would be about {size}; float powers are evaluated "
            "only inside the float64 range",
        )

    def power_of(self, base, exponent, op: _lexer.Token):
        """``base**exponent`` with the cost of evaluation bounded."""
        if (base.is_Float or exponent.is_Float) and base.is_Number and (
            exponent.is_Number
        ):
            self.float_power_check(base, exponent, op)
        if exponent.is_Rational:
            if base == 0 and exponent.is_negative:
                self.fail(op, "division by zero (0 to a negative power)")
            cost = _numeric_bits(base) * abs(float(exponent))
            if cost > MAX_POWER_BITS or cost > self.budget:
                self.fail(
                    op,
                    f"exact power too large to evaluate (about {cost:.3g} bits); "
                    "use a float base such as 9.0 or a symbol",
                )
            self.budget -= cost
            if not exponent.is_Integer:  # SymPy looks for exact roots: costly
                bits = _numeric_bits(base)
                if bits > ROOT_BITS or bits > self.root_budget:
                    self.fail(
                        op,
                        f"exact root of a {bits:.0f}-bit number is too costly "
                        f"(at most {ROOT_BITS} bits in all); use a float",
                    )
                self.root_budget -= bits
        return self.number_check(sp.Pow(base, exponent), op)


def _minmax_args(cls, args) -> list:
    """The arguments of ``cls(*args)`` (``cls`` is Max or Min), in linear time.

    Nested ``cls`` calls are flattened, duplicates dropped and the plain
    numbers folded into the most extreme one, as SymPy does first; ``cls``'s
    identity (``-oo`` for Max) is dropped and its absorbing value (``oo``)
    returned alone. Raises ValueError for arguments that are not real.
    """
    flat: dict = {}
    for arg in args:
        for a in arg.args if isinstance(arg, cls) else (arg,):
            if a.is_extended_real is False or (a.is_number and not a.is_comparable):
                raise ValueError(f"the argument {a} is not real")
            flat[a] = None
    numbers = [a for a in flat if a.is_Number]
    out = [a for a in flat if not a.is_Number]
    if numbers:
        pick = max if cls is sp.Max else min
        extreme = pick(numbers, key=_NumberKey)
        if extreme == cls.zero:
            return [extreme]
        if extreme != cls.identity or not out:
            out.append(extreme)
    return out


class _NumberKey:
    """Sort key comparing SymPy numbers (``Integer``, ``Float``, ``oo``)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __lt__(self, other):
        return bool(self.value < other.value)


def _size(expr, cap: int = _SIZE_CAP) -> int:
    """Number of nodes of ``expr``, counting at most ``cap``."""
    count = 0
    for _ in sp.preorder_traversal(expr):
        count += 1
        if count >= cap:
            break
    return count


def _log2_abs(number) -> float:
    """``log2|number|`` of a SymPy Rational or Float, for any magnitude."""
    if number.is_zero:
        return -math.inf
    if number.is_Rational:
        return math.log2(abs(number.p)) - math.log2(number.q)
    _sign, man, exp, _bc = number._mpf_
    return math.log2(man) + exp


def _bits(value: sp.Rational) -> int:
    return max(abs(value.p).bit_length(), value.q.bit_length())


def _numeric_bits(expr) -> float:
    """Bits of the exact numbers a power of ``expr`` would expand (0: none)."""
    if expr.is_Rational:
        return max(math.log2(abs(expr.p) or 1), math.log2(expr.q))
    if isinstance(expr, sp.Pow) and expr.exp.is_Rational:
        return _numeric_bits(expr.base) * abs(float(expr.exp))
    if isinstance(expr, sp.Mul):
        return float(sum(_numeric_bits(a) for a in expr.args))
    return 0.0


def _check_symbols(symbols) -> dict:
    if symbols is None:
        return {}
    if not isinstance(symbols, Mapping):
        raise CalckitTypeError(
            f"symbols must be a mapping from names to SymPy symbols, got "
            f"{type(symbols).__name__}"
        )
    out = {}
    for key, value in symbols.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise CalckitTypeError(f"symbols has a key that is not a name: {key!r}")
        if not isinstance(value, sp.Expr):
            raise CalckitTypeError(
                f"symbols[{key!r}] must be a SymPy symbol or expression, got "
                f"{type(value).__name__}"
            )
        out[key] = value
    return out


def parse(
    text: str,
    symbols: Mapping[str, sp.Expr] | None = None,
    *,
    max_length: int = 10_000,
    rational: bool = False,
    shapes: Mapping | None = None,
) -> sp.Expr:
    """Parse ``text`` into a SymPy expression, safely.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"log(1 + exp(w*x + b))"``. Both ``**`` and
        ``^`` are powers; ``-x**2`` is ``-(x**2)``.
    symbols : mapping of str to sympy.Expr, optional
        Names to use for given symbols; other names become ``real=True``
        symbols, except the constants ``pi``, ``E`` and ``e``. A bare ``e``
        is Euler's number ``E`` (``e**(2*x)`` is ``exp(2*x)``), with a
        ``UserWarning`` (once per call) saying so; map it here
        (``symbols={"e": sympy.Symbol("e", real=True)}``) for a variable
        named ``e``.
    max_length : int, default 10_000
        Longer input is refused before any other work.
    rational : bool, default False
        Read decimal literals such as ``0.1`` as exact rationals instead of
        floats.
    shapes : mapping of str to shape, optional
        Shaped symbols (``{"X": ("n", "d"), "w": "d"}``): the text is then a
        tensor expression with ``@`` and ``.T`` (see
        :mod:`calckit.symbolic.tensor.grammar`).

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ParseError
        For anything outside the grammar or the whitelist, with
        ``.position`` (0-based) and ``.token`` naming the offending token.
    CalckitTypeError
        If ``text`` is not a string or ``symbols`` is not a mapping of names
        to SymPy expressions.

    Notes
    -----
    Work is bounded (see the module docstring): nesting is limited to
    ``MAX_DEPTH`` levels, and exact numeric powers or roots too large to
    evaluate cheaply (``9**9**9**9``, ``sqrt(2**14000 + 1)``) are refused
    with a :class:`ParseError` rather than kept unevaluated, and so are float
    powers outside the float64 range (``1.5**10**3999``). Symbolic powers
    such as ``x**1000000`` are fine. ``Max``/``Min`` accept at most
    ``MAX_MINMAX_ARGS`` distinct arguments; SymPy simplifies them within a
    work budget, beyond which they are built unevaluated (same value).

    Examples
    --------
    >>> parse("2^-1 * x")
    x/2
    >>> parse("0.1", rational=True)
    1/10
    >>> import sympy as sp
    >>> w = sp.Symbol("w", positive=True)
    >>> parse("sqrt(w**2)", symbols={"w": w})
    w
    >>> try:
    ...     parse("2x + 1")
    ... except ValueError as err:
    ...     print(err.position, err.token)
    1 x
    """
    if shapes is not None:  # shaped symbols, '@' and '.T': a tensor expression
        return _tensor_grammar.parse_tensor(text, shapes)
    if isinstance(max_length, bool) or not isinstance(max_length, int):
        raise InvalidParameterError(f"max_length must be an int, got {max_length!r}")
    if max_length < 1:
        raise InvalidParameterError(f"max_length must be positive, got {max_length}")
    if not isinstance(text, str):
        raise CalckitTypeError(
            f"parse() needs a str, got {type(text).__name__}: {text!r:.60}"
        )
    if len(text) > max_length:
        _lexer.fail(
            text[:max_length], max_length, text[max_length : max_length + 10],
            f"input of {len(text)} characters is longer than max_length="
            f"{max_length}",
        )  # fmt: skip
    table = _check_symbols(symbols)
    parser = _Parser(text, table, bool(rational))
    out = parser.parse()
    if parser.used_e:
        warnings.warn(
            f"in {text[:60]!r}, the bare name 'e' is read as Euler's number E "
            "(2.718...); to use a variable named e, pass "
            "symbols={'e': sympy.Symbol('e', real=True)}",
            UserWarning,
            stacklevel=2,
        )
    if out.has(sp.S.ComplexInfinity, sp.S.NaN):
        _lexer.fail(text, 0, text[:10], "the expression contains an undefined value")
    return out
