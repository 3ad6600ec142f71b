"""Sums split into templates and tables (calckit.symbolic._templates) and
derivatives through inner sums (calckit.symbolic._inner)."""

import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from calckit.symbolic._inner import chain
from calckit.symbolic._templates import MIN_ROWS, split_sum

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import mgh_problems as mgh  # noqa: E402

X = sp.symbols("x1:7", real=True)
P = sp.symbols("p1:4", real=True)


def rebuilt(split):
    """The sum put back together from its groups and rest."""
    terms = [g.term(r) for g in split.groups for r in range(g.rows)]
    return sp.Add(*terms) + split.rest


def equal_at(a, b, syms, seed=0):
    """``a == b`` at three random rational points (exactly, then to 1e-12)."""
    rng = np.random.default_rng(seed)
    for _ in range(3):
        pt = {s: sp.Rational(int(rng.integers(-90, 90)), 37) for s in syms}
        va, vb = sp.N(a.xreplace(pt), 30), sp.N(b.xreplace(pt), 30)
        if abs(va - vb) > 1e-12 * (1 + abs(va)):
            return False
    return True


@pytest.mark.parametrize("make", [lambda: mgh.gulf(12), lambda: mgh.osborne1(12),
                                  lambda: mgh.osborne2(14), lambda: mgh.watson(4),
                                  lambda: mgh.rosenbrock(12)])
def test_panel_sums_are_their_templates_over_their_tables(make):
    p = make()
    s = split_sum(p.expr, p.wrt + p.params, len(p.wrt))
    assert s.groups, "the panel sums have terms of one shape"
    assert sum(g.rows for g in s.groups) >= len(sp.Add.make_args(p.expr)) - 2
    assert equal_at(rebuilt(s), p.expr, p.wrt)
    for g in s.groups:
        assert g.table.shape == (g.rows, len(g.consts))
        assert not (set(g.consts) | set(g.slots)) & set(p.wrt)  # fresh names
        for r in (0, g.rows - 1):  # the exact numbers are kept
            assert [float(v) for v in g.numbers[r]] == g.table[r].tolist()


def test_numbers_in_exponents_and_function_arguments_are_shape():
    x, y = X[:2]
    terms = [(x - k) ** 2 for k in range(1, 6)] + [(x - k) ** 3 for k in range(1, 6)]
    s = split_sum(sp.Add(*terms), (x, y))
    assert sorted(g.rows for g in s.groups) == [5, 5]
    assert {sp.degree(sp.expand(g.template), x) for g in s.groups} == {2, 3}
    s2 = split_sum(sp.Add(*[sp.besselj(k, x) for k in range(8)]), (x,))
    assert s2.groups == ()  # an order is no slot number


def test_variables_that_change_become_slots_and_same_ones_stay():
    xs = sp.symbols("y1:11", real=True)
    f = sp.Add(*[(xs[i] - 3 * xs[0]) ** 2 for i in range(1, 10)])
    (g,) = split_sum(f, xs).groups
    assert g.fixed == (xs[0],) and len(g.slots) == 1
    assert sorted(g.slot_index[:, 0].tolist()) == list(range(1, 10))
    assert equal_at(rebuilt(split_sum(f, xs)), f, xs)


def test_a_foreign_symbol_or_too_few_terms_give_no_groups():
    x, z = X[0], sp.Symbol("z", real=True)
    assert split_sum(sp.Add(*[(x - k * z) ** 2 for k in range(1, 9)]), (x,)) is None
    few = sp.Add(*[(x - k) ** 2 for k in range(1, MIN_ROWS)])
    assert split_sum(few, (x,)).groups == ()


def test_a_slot_holds_one_kind_of_symbol():
    # x_i*p_i with p a parameter: the slot of p never takes a variable
    f = sp.Add(*[X[i] * P[i % 3] + X[i] ** 2 for i in range(6)])
    s = split_sum(f, X + P, len(X))
    for g in s.groups:
        for k in range(len(g.slots)):
            col = g.slot_index[:, k]
            assert (col < len(X)).all() or (col >= len(X)).all()
    assert equal_at(rebuilt(s), f, X + P)


# -- hypothesis: random sums mixing shapes, duplicates and shared pieces ---------
SHAPES = [
    lambda a, b, u, v: (a * u - b) ** 2,
    lambda a, b, u, v: sp.exp(a * u) * v - b,
    lambda a, b, u, v: (u - a) ** 2 * sp.exp(u - a),       # shared u - a
    lambda a, b, u, v: sp.log(1 + (u - b) ** 2) * a,
    lambda a, b, u, v: sp.sin(u + a * v) ** 2,
    lambda a, b, u, v: a / (1 + v**2) + b * u * v,
]
numbers = st.one_of(st.integers(-5, 5).filter(bool),
                    st.fractions(-3, 3, max_denominator=7).filter(bool).map(
                        sp.Rational),
                    st.floats(-3, 3, allow_nan=False).filter(lambda f: abs(f) > 0.1))


@st.composite
def mixed_sums(draw):
    n = draw(st.integers(2, 5))
    xs = X[:n]
    terms = []
    for _ in range(draw(st.integers(1, 3))):  # a few families of many terms
        shape = draw(st.sampled_from(SHAPES))
        for _ in range(draw(st.integers(MIN_ROWS, 9))):
            u, v = draw(st.sampled_from(xs)), draw(st.sampled_from(xs))
            terms.append(shape(draw(numbers), draw(numbers), u, v))
    terms += draw(st.lists(st.sampled_from([xs[0] ** 3, sp.cos(xs[-1]), 7]),
                           max_size=3))  # loners and duplicates
    return sp.Add(*terms), xs


@settings(max_examples=40, deadline=None)
@given(mixed_sums())
def test_split_then_rebuild_is_the_sum(case):
    f, xs = case
    s = split_sum(f, xs)
    assert s is not None
    assert equal_at(rebuilt(s), f, xs)


# -- chain rule through inner sums ---------------------------------------------------
def mp_value(expr, syms, point):
    with mpmath.workdps(40):
        return float(sp.N(expr.xreplace(dict(zip(syms, point, strict=True))), 40))


@pytest.mark.parametrize("kind", ["grad", "hessian"])
def test_chain_through_an_inner_sum_equals_sympy_diff(kind):
    w, a = sp.symbols("w1:7", real=True), sp.symbols("a1:7", real=True)
    y = sp.Symbol("y", real=True)
    u = sum(wi * ai for wi, ai in zip(w, a, strict=True))
    f = sp.log(1 + sp.exp(-y * u)) + w[0] ** 2 * u + sp.sin(sum(wi**2 for wi in w))
    c = chain(f, kind, w, (*a, y))
    assert c is not None and c.helpers
    point = [0.3, -0.2, 0.5, 0.1, -0.4, 0.7, 1.1, -0.6, 0.2, 0.9, -1.3, 0.4, -1.0]
    syms = (*w, *a, y)
    helper = {h: sp.Float(mp_value(v, syms, point), 30) for h, v in c.helpers}
    got = [mp_value(e.xreplace(helper), syms, point) for e in c.entries]
    if kind == "grad":
        want = [mp_value(f.diff(v), syms, point) for v in w]
    else:
        want = [mp_value(f.diff(v1, v2), syms, point) for v1 in w for v2 in w]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


def test_chain_needs_an_inner_sum():
    x, y = X[:2]
    assert chain(sp.exp(x * y) + x, "grad", (x, y)) is None
