"""Every kernel argument gets its own source identifier, whatever the
symbols' names and kinds (issue 20, item 4): a Dummy is printed by SymPy as
``x_<index>``, a name another symbol may hold."""

import numpy as np
import pytest
import sympy as sp

import calckit as ck


def test_dummy_and_symbol_named_like_its_printed_form():
    d = sp.Dummy("x", real=True)
    o = sp.Symbol(f"x_{d.dummy_index}", real=True)
    assert ck.compile(10 * d + o, [d, o])(1.0, 2.0) == 12.0
    assert ck.compile(10 * o + d, [d, o])(1.0, 2.0) == 21.0


def test_lone_dummy_compiles():
    d = sp.Dummy("x", real=True)
    assert ck.compile(d**2, [d])(3.0) == 9.0
    np.testing.assert_array_equal(ck.compile_grad(d**3, [d])(2.0), [12.0])


@pytest.mark.parametrize("make", [
    lambda: [sp.Dummy("x", real=True), sp.Dummy("x", real=True)],
    lambda: [sp.Dummy("x", real=True), sp.Symbol("x", real=True)],
    lambda: [sp.Symbol("x", real=True), sp.Symbol("x", positive=True)],
    lambda: [sp.Wild("w"), sp.Symbol("w", real=True)],
    lambda: [sp.Symbol("out", real=True), sp.Symbol("_a0", real=True)],
    lambda: [sp.Symbol("numpy", real=True), sp.Symbol("_c1_0", real=True)],
    lambda: [sp.Symbol("range", real=True), sp.Symbol("ｒａｎｇｅ", real=True)],
    lambda: [sp.Symbol("_v0", real=True), sp.Symbol("_v1", real=True)],
])
def test_arguments_never_share_a_name(make):
    a, b = make()
    for exprs in (10 * a + b, [10 * a + b, a * b, a**2], sp.exp(a) - b**3):
        k = ck.compile(exprs, [a, b])
        values = {a: sp.Float(1.5, 30), b: sp.Float(-2.0, 30)}
        want = [float(sp.sympify(e).xreplace(values).evalf(30))
                for e in (exprs if isinstance(exprs, list) else [exprs])]
        got = np.atleast_1d(k(1.5, -2.0))
        np.testing.assert_allclose(got, want, rtol=1e-14)


def test_many_same_shape_entries_of_dummies():
    """The grouped layout (template per shape) with Dummy arguments."""
    ds = [sp.Dummy("x", real=True) for _ in range(30)]
    entries = [ds[i] * ds[i + 1] for i in range(29)]
    v = np.arange(1.0, 31.0)
    np.testing.assert_array_equal(ck.compile(entries, ds)(*v), v[:-1] * v[1:])
