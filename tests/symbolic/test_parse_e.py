"""Issue 19: a bare 'e' in parsed text is Euler's number (with one
UserWarning per parse) unless symbols= maps it."""

import warnings

import pytest
import sympy as sp

import calckit as ck


def test_bare_e_is_euler_number_with_one_warning():
    with pytest.warns(UserWarning, match="Euler's number") as record:
        d = ck.derivative("e**(2*x) + e", "x")
    assert len([w for w in record if "Euler" in str(w.message)]) == 1
    x = sp.Symbol("x", real=True)
    assert d == 2 * sp.exp(2 * x)  # not 2*e**(2*x)*log(e)
    assert not d.has(sp.log)


def test_e_mapped_by_symbols_is_a_variable_without_warning():
    e = sp.Symbol("e", real=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ck.parse("e**2", symbols={"e": e})
    assert out == e**2


def test_names_containing_e_are_untouched():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ck.parse("exp(eta) + E + e1")
    assert sp.Symbol("eta", real=True) in out.free_symbols
    assert sp.Symbol("e1", real=True) in out.free_symbols
