"""Issue 19: a wrt variable that does not occur in the expression is an
error naming the free symbols (it was a silent zero)."""

import pytest
import sympy as sp

import calckit as ck
from calckit.errors import DifferentiationError


@pytest.mark.parametrize("call", [
    lambda **k: ck.grad("w*x", wrt="v", **k),
    lambda **k: ck.hessian("w*x", wrt="w v", **k),
    lambda **k: ck.jacobian(["w*x", "x"], wrt="x v", **k),
    lambda **k: ck.derivative("w*x", "v", **k),
    lambda **k: ck.directional_derivative("w*x", [1, 1], wrt="w v", **k),
])
def test_absent_wrt_is_an_error_naming_the_free_symbols(call):
    with pytest.raises(DifferentiationError) as info:
        call()
    text = str(info.value)
    assert "v" in text and "free symbols: w, x" in text
    assert "allow_missing=True" in text
    out = call(allow_missing=True)  # explicit opt-in: zero entries
    assert out is not None


def test_allow_missing_gives_zero_entries():
    w, x = sp.symbols("w x", real=True)
    assert list(ck.grad("w*x", wrt="w v", allow_missing=True)) == [x, 0]
    assert ck.derivative("w*x", "v", allow_missing=True) == 0


def test_jacobian_variable_needs_only_occur_in_one_output():
    J = ck.jacobian(["x*y", "x"], wrt="x y")
    assert J.shape == (2, 2) and J[1, 1] == 0


def test_symbols_built_by_the_caller_are_taken_as_given():
    # programmatic use (kernels, the rules table: d/dx c = 0) keeps zeros
    c, x, v = sp.symbols("c x v", real=True)
    assert ck.derivative(c, x) == 0
    assert list(ck.grad(c * x, [x, v])) == [c, 0]
