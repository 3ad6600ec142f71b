"""Inputs the kernel generator cannot compile raise calckit errors naming
the input, never a raw NameError / RecursionError / TypeError (issue 20,
item 11)."""

import re

import numpy as np
import pytest
import sympy as sp

import calckit as ck
from calckit.errors import (
    CalckitError,
    CalckitTypeError,
    InvalidParameterError,
    WorkLimitError,
)
from calckit.kernels.source import undefined_names

x, k = sp.symbols("x k", real=True)


@pytest.mark.parametrize("expr, wrt, name", [
    (sp.Sum(x**k, (k, 1, 5)), [x], "Sum"),
    (sp.Product(x + k, (k, 1, 3)), [x], "Product"),
    (sp.Subs(sp.sin(x) * k, (x,), (k,)), [k], "Subs"),
])
def test_unevaluated_constructs_are_refused_when_compiling(expr, wrt, name):
    with pytest.raises(CalckitTypeError, match=f"cannot compile {name}.*doit"):
        ck.compile(expr, wrt)


def test_evaluated_sum_compiles():
    kern = ck.compile(sp.Sum(x**k, (k, 1, 5)).doit(), [x])
    assert kern(2.0) == 62.0


def test_deep_power_tower_gradient_is_refused_or_right():
    # past Python's recursion limit (which other libraries may raise) the
    # tower is a WorkLimitError naming it, never a raw RecursionError;
    # within it, the compiled gradient agrees with numeric differentiation
    text = "x" + "**x" * 80
    try:
        k = ck.compile_grad(text)
    except WorkLimitError as err:
        assert re.match(r"x\*\*\(x\*\*.*nested too deeply", str(err))
        return
    f = ck.compile(text)
    want = ck.numeric.derivative(f, 1.1, method="richardson")
    assert k(1.1)[0] == pytest.approx(float(want), rel=1e-8)


@pytest.mark.parametrize("fn", [ck.compile, ck.compile_grad, ck.compile_hessian])
@pytest.mark.parametrize("dtype", ["not a dtype", object, int, "U5", np.bool_])
def test_bad_dtype_is_an_invalid_parameter_naming_it(fn, dtype):
    with pytest.raises(InvalidParameterError, match="dtype"):
        fn("x**2", dtype=dtype)


def test_the_name_check_catches_any_bare_name():
    src = "def _kernel(x):\n    y = x\n    return numpy.exp(y) + inf + _ipow(x, 3)\n"
    assert undefined_names(src) == ["inf"]
    assert issubclass(WorkLimitError, CalckitError)
