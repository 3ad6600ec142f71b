"""Text with shapes to tensor expressions: :func:`parse_tensor` (private;
public through :func:`calckit.parse` with ``shapes=``).

The grammar is the one of :func:`calckit.parse` plus ``@`` (same precedence
as ``*`` and ``/``, left-associative, as in Python), a postfix ``.T``, new
axes ``v[:, None]`` / ``v[None, :]`` and keyword arguments ``axis=``,
``keepdims=`` (and the named parameters of losses such as ``delta=``)::

    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/" | "@") unary)*
    unary   := ("+" | "-")* power
    power   := postfix (("**" | "^") unary)?
    postfix := atom (".T" | "[" ":" "," "None" "]" | "[" "None" ("," ":")? "]")*
    atom    := number | name | name "(" args ")" | "(" sum ")"

Names in ``shapes`` are shaped symbols, names of dims are their sizes
(``/ n``), other names are real scalar symbols; calls are the tensor
functions (``sum``, ``mean``, ``logsumexp``, ``softmax``, ``norm``,
``trace``, ``diag``, ``outer``, ``inv``, ``logdet``, ...) or any calckit
function applied elementwise. Nothing is evaluated: no ``eval``, no
``sympify`` of the text.

>>> e = parse_tensor("mean(softplus(X @ w) - y * (X @ w))",
...                  {"X": ("n", "d"), "w": "d", "y": "n"})
>>> e, e.shape
(mean(softplus(X @ w) - y * (X @ w)), ())
>>> parse_tensor("x @ y", {})
Traceback (most recent call last):
...
calckit.errors.ShapeError: matmul: operands must be vectors or matrices, ...
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import sympy as sp

from calckit.errors import CalckitError, CalckitTypeError, ParseError, ShapeError
from calckit.symbolic._lexer import fail
from calckit.symbolic.tensor import expr as E
from calckit.symbolic.tensor import ops
from calckit.symbolic.tensor.shapes import DimSymbol, as_shape

__all__ = ["parse_tensor", "as_tensor_expr", "TENSOR_FUNCTIONS", "MAX_DEPTH"]

MAX_DEPTH = 100
MAX_LENGTH = 10_000

_TOKEN = re.compile(
    r"(?P<ws>[ \t\r\n]+)"
    r"|(?P<num>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|\.T\b|[-+*/^(),@=\[\]:])"
)

#: tensor-level functions (everything else is a calckit function, elementwise)
TENSOR_FUNCTIONS = {
    "sum": ops.sum, "mean": ops.mean, "logsumexp": ops.logsumexp,
    "softmax": ops.softmax, "norm": ops.norm, "trace": ops.trace, "tr": ops.trace,
    "diag": ops.diag, "outer": ops.outer, "inv": ops.inv, "logdet": ops.logdet,
    "transpose": ops.transpose, "dot": ops.dot,
    "softmax_cross_entropy": ops.softmax_cross_entropy,
    "kl_divergence": ops.kl_divergence,
}
_CONSTANTS = {"pi": sp.pi, "E": sp.E}


def _tokens(text: str):
    pos = 0
    out = []
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            fail(text, pos, text[pos], f"unexpected character {text[pos]!r}")
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group(), pos))
        pos = m.end()
    out.append(("end", "", len(text)))
    return out


class _Parser:
    def __init__(self, text: str, shapes: dict):
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.depth = 0
        self.vars = {name: ops.tensor_symbol(name, s) for name, s in shapes.items()}
        self.dims = {d for s in shapes.values() for d in s if isinstance(d, str)}
        clash = self.dims & set(shapes)
        if clash:
            raise ShapeError(f"names {sorted(clash)} are used both as dims and as "
                             "symbols")

    def peek(self):
        return self.toks[self.i]

    def take(self):
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, tok, message):
        fail(self.text, tok[2], tok[1], message)

    def expect(self, text):
        tok = self.take()
        if tok[1] != text:
            self.fail(tok, f"expected {text!r}, got {tok[1] or 'end of input'!r}")
        return tok

    def guarded(self, tok, fn, *args, **kw):
        """Build a node; a shape or type error names the operator token."""
        try:
            return fn(*args, **kw)
        except ParseError:
            raise
        except CalckitError as exc:
            msg = f"{exc} (at position {tok[2]}: {tok[1]!r})"
            raise type(exc)(msg) from None

    def parse(self):
        out = self.sum()
        tok = self.peek()
        if tok[0] != "end":
            self.fail(tok, f"unexpected {tok[1]!r}")
        return E.as_tensor(out)

    def sum(self):
        left = self.product()
        while self.peek()[1] in ("+", "-"):
            tok = self.take()
            right = self.product()
            left = self.guarded(tok, _binary, tok[1], left, right)
        return left

    def product(self):
        left = self.unary()
        while self.peek()[1] in ("*", "/", "@"):
            tok = self.take()
            right = self.unary()
            left = self.guarded(tok, _binary, tok[1], left, right)
        return left

    def unary(self):
        tok = self.peek()
        if tok[1] in ("+", "-"):
            self.take()
            inner = self.unary()
            return inner if tok[1] == "+" else self.guarded(tok, _binary, "*", -1,
                                                            inner)
        return self.power()

    def power(self):
        base = self.postfix()
        if self.peek()[1] in ("**", "^"):
            tok = self.take()
            self.enter(tok)
            exp = self.unary()
            self.depth -= 1
            return self.guarded(tok, _binary, "**", base, exp)
        return base

    def enter(self, tok):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(tok, f"nesting deeper than {MAX_DEPTH} levels")

    def postfix(self):
        node = self.atom()
        while True:
            tok = self.peek()
            if tok[1] == ".T":
                self.take()
                node = self.guarded(tok, ops.transpose, node)
            elif tok[1] == "[":
                self.take()
                node = self.guarded(tok, _index, node, self.index_key(tok))
            else:
                return node

    def index_key(self, open_tok):
        parts: list[slice | None] = []
        while True:
            tok = self.take()
            if tok[1] == "]":
                break
            if tok[1] == ":":
                parts.append(slice(None))
            elif tok[1] == "None":
                parts.append(None)
            elif tok[1] != ",":
                self.fail(tok, "only new axes [:, None] and [None, :] are supported")
        return tuple(parts)

    def atom(self):
        tok = self.take()
        kind, text = tok[0], tok[1]
        if kind == "num":
            try:
                return sp.Integer(text) if text.isdigit() else sp.Float(text)
            except (ValueError, TypeError):
                self.fail(tok, f"bad number {text!r}")
        if text == "(":
            self.enter(tok)
            out = self.sum()
            self.expect(")")
            self.depth -= 1
            return out
        if kind == "name":
            if self.peek()[1] == "(":
                return self.call(tok)
            return self.name(tok)
        self.fail(tok, f"unexpected {text or 'end of input'!r}")

    def name(self, tok):
        text = tok[1]
        if text.startswith("__"):
            self.fail(tok, f"name {text!r} is not allowed")
        if text in self.vars:
            return self.vars[text]
        if text in self.dims:
            return DimSymbol(text)
        if text in _CONSTANTS:
            return _CONSTANTS[text]
        return sp.Symbol(text, real=True)

    def call(self, name_tok):
        self.take()  # "("
        self.enter(name_tok)
        args, kwargs = [], {}
        if self.peek()[1] != ")":
            while True:
                tok = self.peek()
                if tok[0] == "name" and self.toks[self.i + 1][1] == "=":
                    self.take()
                    self.take()
                    kwargs[tok[1]] = self.keyword_value()
                else:
                    args.append(self.sum())
                if self.peek()[1] != ",":
                    break
                self.take()
        self.expect(")")
        self.depth -= 1
        name = name_tok[1]
        fn = TENSOR_FUNCTIONS.get(name)
        if fn is not None:
            return self.guarded(name_tok, fn, *args, **kwargs)
        return self.guarded(name_tok, ops.apply, name, *args, **kwargs)

    def keyword_value(self):
        tok = self.take()
        if tok[1] == "None":
            return None
        if tok[1] in ("True", "False"):
            return tok[1] == "True"
        sign = 1
        if tok[1] == "-":
            sign, tok = -1, self.take()
        if tok[0] != "num":
            self.fail(tok, "keyword values must be numbers, True, False or None")
        value = float(tok[1]) if not tok[1].isdigit() else int(tok[1])
        return sign * value


def _binary(op, a, b):
    if not isinstance(a, E.Tensor) and not isinstance(b, E.Tensor):
        if op == "@":
            raise ShapeError("matmul: operands must be vectors or matrices, got "
                             "shapes () and (); use * for scalars")
        a, b = sp.sympify(a), sp.sympify(b)
        return {"+": a + b, "-": a - b, "*": a * b, "/": a / b, "**": a**b}[op]
    a, b = E.as_tensor(a), E.as_tensor(b)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / b
    if op == "@":
        return a @ b
    return a**b


def _index(node, key):
    if not isinstance(node, E.Tensor):
        raise ShapeError("indexing a scalar: only vectors take [:, None]")
    return node[key]


def _check_shapes(shapes) -> dict:
    if not isinstance(shapes, Mapping):
        raise CalckitTypeError(f"shapes must be a mapping of names to shapes, got "
                               f"{type(shapes).__name__}")
    out = {}
    for name, s in shapes.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise CalckitTypeError(f"shapes keys must be names, got {name!r}")
        out[name] = as_shape(s, what=f"shape of {name}")
    return out


def parse_tensor(text: str, shapes) -> E.Tensor:
    """Parse ``text`` with the shaped symbols of ``shapes`` (see module doc)."""
    if not isinstance(text, str):
        raise CalckitTypeError(f"parse() needs a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        fail(text[:MAX_LENGTH], MAX_LENGTH, text[MAX_LENGTH:MAX_LENGTH + 10],
             f"input of {len(text)} characters is longer than {MAX_LENGTH}")
    return _Parser(text, _check_shapes(shapes)).parse()


def as_tensor_expr(expr, shapes=None) -> E.Tensor:
    """A tensor expression from a node or from text with ``shapes``."""
    if isinstance(expr, E.Tensor):
        if shapes is not None:
            raise CalckitTypeError("shapes= is only for strings; this expression "
                                   "already has shapes")
        return expr
    if isinstance(expr, str):
        return parse_tensor(expr, shapes or {})
    raise CalckitTypeError(f"expected a tensor expression or a string with shapes=, "
                           f"got {type(expr).__name__}: {expr!r:.60}")
