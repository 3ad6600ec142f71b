"""Issue 19: list literals parse as arguments of the losses that take
sequences; anywhere else a list is a ParseError naming it."""

import numpy as np
import pytest
import sympy as sp

import calckit as ck
from calckit.errors import ParseError


def test_softmax_cross_entropy_with_list_literals_gradient():
    g = ck.grad("softmax_cross_entropy([0,1,0],[z0,z1,z2])", "z0 z1 z2")
    z = sp.symbols("z0:3", real=True)
    at = {z[0]: 0.5, z[1]: -1.0, z[2]: 2.0}
    got = np.array([float(gi.subs(at)) for gi in g])
    logits = np.array([0.5, -1.0, 2.0])
    softmax = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    np.testing.assert_allclose(got, softmax - np.array([0, 1, 0]), rtol=1e-13)


def test_list_and_tuple_arguments_give_the_same_expression():
    assert ck.parse("kl_divergence([p0, p1], [q0, q1])") == ck.parse(
        "kl_divergence((p0, p1), (q0, q1))")


@pytest.mark.parametrize("text, pos, what", [
    ("[1, 2]", 0, "list"),
    ("exp([x])", 4, "list"),
    ("x[0]", 1, "subscripts"),
    ("softmax_cross_entropy([0, 1], [z0, z1]) + [1]", 42, "list"),
    ("softmax_cross_entropy([0, 1], [z0, z1]*2)", 38, "arithmetic"),
    ("softmax_cross_entropy([[0]], [z0])", 23, "list"),
    ("x]", 1, "unmatched"),
    ("softmax_cross_entropy([0, 1, [z0, z1])", 29, "list"),
])
def test_lists_elsewhere_are_parse_errors(text, pos, what):
    with pytest.raises(ParseError, match=what) as info:
        ck.parse(text)
    assert info.value.position == pos
