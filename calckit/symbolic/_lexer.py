"""The tokenizer of :func:`calckit.symbolic.parse.parse` and its errors.

ASCII digits, ASCII names, the operators ``+ - * / ** ^``, parentheses and
commas; everything else stops at the first offending character with a
:class:`~calckit.errors.ParseError` naming it (and, for the sequences in
:data:`FORBIDDEN`, saying why it is refused). Tokens are made lazily, so an
error near the start of a long input is found without scanning the rest.

>>> [t.text for t in tokens("2*x^3")]
['2', '*', 'x', '^', '3', '']
>>> list(tokens("a // b"))
Traceback (most recent call last):
...
calckit.errors.ParseError: floor division '//' is not allowed; use '/' at position 2 ...
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator
from types import MappingProxyType
from typing import NamedTuple, NoReturn

from calckit.errors import ParseError

__all__ = ["FORBIDDEN", "Token", "tokens", "fail", "snippet"]

_TOKEN = re.compile(
    r"(?P<ws>[ \t\r\n]+)"
    r"|(?P<num>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|[-+*/^(),\[\]])"
)
#: two- and one-character sequences outside the grammar, with the message
#: that says why (read-only).
FORBIDDEN = MappingProxyType({
    "//": "floor division '//' is not allowed; use '/'",
    "==": "comparison '==' is not allowed; parse takes one expression",
    "!=": "comparison '!=' is not allowed",
    "<=": "comparison '<=' is not allowed",
    ">=": "comparison '>=' is not allowed",
    "<<": "shift '<<' is not allowed",
    ">>": "shift '>>' is not allowed",
    ":=": "assignment ':=' is not allowed",
    "=": "assignment '=' is not allowed; keyword arguments are not supported",
    "%": "'%' is not allowed; there is no modulo",
    ".": "attribute access '.' is not allowed",
    "{": "braces are not allowed",
    "}": "braces are not allowed",
    "'": "string literals are not allowed",
    '"': "string literals are not allowed",
    "@": "'@' is not allowed; use '*'",
    ";": "';' is not allowed; parse takes one expression",
    ":": "':' is not allowed (no lambdas, slices or annotations)",
    "<": "comparison '<' is not allowed",
    ">": "comparison '>' is not allowed",
    "!": "'!' is not allowed",
    "&": "'&' is not allowed",
    "|": "'|' is not allowed",
    "~": "'~' is not allowed",
    "#": "comments '#' are not allowed",
    "\\": "backslashes are not allowed",
    "`": "backquotes are not allowed",
    "$": "'$' is not allowed",
    "?": "'?' is not allowed",
})


class Token(NamedTuple):
    kind: str  # "num", "name", "op", "end"
    text: str
    pos: int


def tokens(text: str) -> Iterator[Token]:
    """Yield the tokens of ``text`` lazily, ending with an "end" token.

    Lazy, so that an error near the start (say, nesting too deep) is found
    without scanning the rest of a long input.
    """
    pos, n = 0, len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:
            _bad_char(text, pos)
        kind, tok, end = m.lastgroup, m.group(), m.end()
        assert kind is not None  # every alternative of _TOKEN is a named group
        if kind == "num" and end < n and (text[end].isalnum() or text[end] in "_."):
            _bad_number(text, pos, end)
        elif kind == "name":
            _check_name(text, tok, pos)
        elif tok == "/" and text.startswith("/", end):
            fail(text, pos, "//", FORBIDDEN["//"])
        if kind != "ws":
            yield Token(kind, tok, pos)
        pos = end
    yield Token("end", "", n)


def _bad_char(text: str, pos: int) -> NoReturn:
    two = text[pos : pos + 2]
    if two in FORBIDDEN:
        fail(text, pos, two, FORBIDDEN[two])
    ch = text[pos]
    if ch in FORBIDDEN:
        msg = FORBIDDEN[ch]
        if ch == "." and pos and (text[pos - 1].isalnum() or text[pos - 1] in "_)"):
            msg = "attribute access '.' is not allowed"
        fail(text, pos, ch, msg)
    if not ch.isascii():
        fail(text, pos, ch, f"non-ASCII character {ch!r} is not allowed")
    fail(text, pos, ch, f"unexpected character {ch!r}")


def _bad_number(text: str, start: int, end: int) -> NoReturn:
    tok = text[start:end]
    nxt = text[end]
    if nxt == ".":
        fail(text, end, ".", f"malformed number {tok + '.'!r}")
    if nxt in "eE":
        fail(text, end, nxt, f"incomplete exponent after {tok!r}; write e.g. {tok}e3")
    m = re.compile(r"[A-Za-z0-9_]+").match(text, end)
    if m is None:  # a non-ASCII letter or digit such as 'é' or '²'
        _bad_char(text, end)
    word = m.group()
    fail(
        text, end, word,
        f"implicit multiplication {tok + word!r} is not supported; "
        f"write '{tok}*{word}'",
    )  # fmt: skip


def _check_name(text: str, name: str, pos: int):
    if "__" in name:
        fail(text, pos, name, f"dunder name {name!r} is not allowed")
    if keyword.iskeyword(name):
        fail(text, pos, name, f"Python keyword {name!r} is not allowed")


def snippet(text: str, pos: int, width: int = 60) -> str:
    if len(text) <= width:
        return text
    lo = max(0, min(pos - width // 2, len(text) - width))
    out = text[lo : lo + width]
    return ("..." if lo else "") + out + ("..." if lo + width < len(text) else "")


def fail(
    text: str, pos: int, token: str, message: str, cause: BaseException | None = None
) -> NoReturn:
    where = f"at position {pos}" if token == "" else f"at position {pos} ({token!r})"
    err = ParseError(
        f"{message} {where} in {snippet(text, pos)!r}",
        text=text if len(text) <= 1000 else text[:1000] + "...",
        position=pos,
        token=token,
    )
    raise err from cause
