"""A number followed by a non-ASCII letter or digit is a ParseError naming
the character (it used to escape as an AttributeError from the lexer)."""

import pytest

import calckit as ck
from calckit.errors import ParseError


@pytest.mark.parametrize("text, char", [("2é", "é"), ("3²", "²"), ("1.5ß + x", "ß")])
def test_number_then_non_ascii_character_is_named(text, char):
    with pytest.raises(ParseError, match=f"non-ASCII character '{char}'") as info:
        ck.parse(text)
    assert info.value.position == text.index(char)


@pytest.mark.parametrize(
    "text, expected",
    [("2**-3**2", "1/512"), ("-2^2^-1", "-sqrt(2)"), ("2**3**-x", "2**(3**(-x))")],
)
def test_power_chains_are_right_associative(text, expected):
    assert ck.parse(text) == ck.parse(expected)
