"""The code generator's layouts (one entry, entry by entry, block by block,
grouped by template) give the same values as 30-digit mpmath, whatever mix
of entries a list or a matrix holds: many entries of one shape, repeated
constants, zeros, duplicated entries and shared subexpressions, at sizes on
both sides of every threshold where the generator switches layout."""

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import calckit as ck
from calckit.kernels import codegen
from calckit.kernels.runtime import BLOCK

XS = sp.symbols("x0:24", real=True)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: entry shapes of two arguments (real everywhere): the grouped layout makes
#: one helper per shape and gathers the arguments of each entry
_TEMPLATES = (
    lambda a, b: a * b,
    lambda a, b: sp.sin(a) + b**2,
    lambda a, b: sp.exp(a - b) / (1 + a**2),
    lambda a, b: sp.log(1 + a**2) * b - 3,
    lambda a, b: 100 * (b - a**2) ** 2,
)
_SHARED = sp.sin(XS[0] + XS[1])  # a subexpression held by several entries

_entry = st.one_of(
    st.tuples(st.integers(0, len(_TEMPLATES) - 1), st.integers(0, 23),
              st.integers(0, 23)).map(lambda t: ("tmpl", t)),
    st.sampled_from([0, 0, 4, 4, 2.5, -1]).map(lambda c: ("const", c)),
    st.integers(0, 10**6).map(lambda k: ("dup", k)),
    st.integers(1, 5).map(lambda k: ("shared", k)),
)


def _build(spec):
    entries = []
    for kind, arg in spec:
        if kind == "tmpl":
            t, i, j = arg
            entries.append(_TEMPLATES[t](XS[i], XS[j]))
        elif kind == "const":
            entries.append(sp.sympify(arg))
        elif kind == "dup" and entries:
            entries.append(entries[arg % len(entries)])
        elif kind == "shared":
            entries.append(arg * _SHARED + XS[arg] ** 2)
        else:
            entries.append(sp.Integer(7))
    return entries


def _exact(entries, point):
    subs = dict(zip(XS, (sp.Float(v, 30) for v in point), strict=True))
    with mpmath.workdps(30):
        return np.array([float(sp.N(e.xreplace(subs), 30)) for e in entries])


def _check(kernel, entries, shape, points):
    for p in points:
        got = kernel(*p)
        want = _exact(entries, p).reshape(shape)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # many points at once (block by block when large), one row per point
    n = 2 * BLOCK + 3
    cols = [np.resize(np.array([p[i] for p in points]), n) for i in range(len(XS))]
    many = kernel(*cols)
    for r in range(len(points)):
        np.testing.assert_allclose(
            many[r], _exact(entries, points[r]).reshape(shape), rtol=1e-12, atol=1e-12
        )


_POINTS = [
    tuple(np.round(np.linspace(-1.5, 1.7, 24) * s, 3)) for s in (1.0, -0.6)
]


@SETTINGS
@given(st.lists(_entry, min_size=1, max_size=4 * codegen._BATCH_MIN + 6),
       st.booleans(), st.booleans())
def test_lists_and_matrices_match_mpmath(spec, as_matrix, cse):
    entries = _build(spec)
    n = len(entries)
    if as_matrix and n % 2 == 0 and n >= 4:
        shape = (2, n // 2)
        exprs = sp.Matrix(2, n // 2, entries)
    else:
        shape = (n,)
        exprs = entries
    kernel = ck.compile(exprs, list(XS), cse=cse)
    _check(kernel, entries, shape, _POINTS)


@pytest.mark.parametrize("distinct", [codegen._BATCH_MIN - 1, codegen._BATCH_MIN,
                                      codegen._BATCH_MIN + 1, 4 * codegen._BATCH_MIN])
@pytest.mark.parametrize("consts", [[], [4], [4, 4], [4, 0, 4, 2.5, 2.5]])
def test_threshold_sizes_with_repeated_constants(distinct, consts):
    """One template over ``distinct`` entries (grouped from _BATCH_MIN on)
    plus constants filling one or several positions."""
    x = XS[:21]
    body = [x[i % 20] * x[(i + 1) % 21] * (1 + i // 20) for i in range(distinct)]
    entries = body + [sp.sympify(c) for c in consts] + body[:2]
    kernel = ck.compile(entries, list(XS))
    _check(kernel, entries, (len(entries),), _POINTS)


def test_issue_16_products_and_two_fours():
    x = sp.symbols("x1:22", real=True)
    kernel = ck.compile([x[i] * x[i + 1] for i in range(20)] + [4, 4], x)
    v = np.arange(1.0, 22.0)
    want = [v[i] * v[i + 1] for i in range(20)] + [4.0, 4.0]
    np.testing.assert_array_equal(kernel(*v), want)


def _hessian_vs_mpmath(f, syms, point):
    kernel = ck.compile_hessian(f, syms)
    h = sp.hessian(f, syms)
    subs = dict(zip(syms, (sp.Float(v, 30) for v in point), strict=True))
    want = np.array([[float(sp.N(e.xreplace(subs), 30)) for e in row]
                     for row in h.tolist()])
    np.testing.assert_allclose(kernel(*point), want, rtol=1e-12, atol=1e-9)


def test_issue_16_rosenbrock_chain_plus_skip_products_hessian():
    x = sp.symbols("x0:12", real=True)
    f = sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(11))
    f += sum(x[i] * x[i + 2] for i in range(10))
    _hessian_vs_mpmath(f, x, np.linspace(-1.2, 1.3, 12))


@pytest.mark.parametrize("n", [9, 10, 12, 20])
def test_issue_16_broyden_tridiagonal_hessian(n):
    x = sp.symbols(f"x1:{n + 1}", real=True)
    xx = (0, *x, 0)
    f = sum(((3 - 2 * xx[i]) * xx[i] - xx[i - 1] - 2 * xx[i + 1] + 1) ** 2
            for i in range(1, n + 1))
    _hessian_vs_mpmath(f, x, np.linspace(-1.0, 0.9, n))
