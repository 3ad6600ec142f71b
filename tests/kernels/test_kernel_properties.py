"""Property tests: compiled kernels agree with 30-digit mpmath on random
expressions (with and without CSE, with and without stable rewriting), and
gradient / Hessian kernels agree with mpmath's numeric differentiation."""

import mpmath
import numpy as np
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import calckit as ck

X, Y, Z = sp.symbols("x y z", real=True)
SYMS = (X, Y, Z)

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

_leaves = st.one_of(
    st.sampled_from(SYMS),
    st.integers(1, 5).map(sp.Integer),
    st.sampled_from([sp.Rational(1, 2), sp.Rational(-3, 4), sp.Float(0.3)]),
)


def _extend(children, *, piecewise):
    pair = st.tuples(children, children)
    options = [
        pair.map(lambda t: t[0] + t[1]),
        pair.map(lambda t: t[0] - t[1]),
        pair.map(lambda t: t[0] * t[1]),
        pair.map(lambda t: t[0] / (1 + t[1] ** 2)),
        st.tuples(children, st.integers(2, 9)).map(lambda t: t[0] ** t[1]),
        st.tuples(children, st.integers(1, 3)).map(lambda t: (1 + t[0] ** 2) ** -t[1]),
        children.map(lambda e: sp.exp(sp.sin(e))),
        children.map(lambda e: sp.log(1 + e**2)),
        children.map(lambda e: sp.sqrt(1 + e**2)),
        children.map(sp.sin),
        children.map(sp.tanh),
    ]
    if piecewise:
        triple = st.tuples(children, children, children)
        options.append(
            triple.map(
                lambda t: sp.Piecewise((t[0], t[1] > 1), (sp.log(t[2] ** 2 + 1), True))
            )
        )
    return st.one_of(options)


def exprs(*, piecewise=False):
    return st.recursive(
        _leaves, lambda c: _extend(c, piecewise=piecewise), max_leaves=8
    )


points = st.lists(st.floats(0.5, 2.0), min_size=3, max_size=3)


def _reference(expr, pts):
    """30-digit mpmath value of ``expr`` at each point (rows of ``pts``)."""
    f = sp.lambdify(SYMS, expr, "mpmath")
    with mpmath.workdps(30):
        return np.array([float(f(*map(mpmath.mpf, p))) for p in pts])


def _evaluate(kernel, pts):
    with np.errstate(all="ignore"):
        return kernel(*pts.T)


@SETTINGS
@given(
    e1=exprs(piecewise=True), e2=exprs(piecewise=True), pts=points, cse=st.booleans()
)
def test_kernels_agree_with_mpmath(e1, e2, pts, cse):
    grid = np.array([pts, pts[::-1], [1.0, 1.5, 0.75]])
    want = np.stack([_reference(e1, grid), _reference(e2, grid)], axis=-1)
    if not np.all(np.abs(want) < 1e100):
        return  # outside float64's comfortable range; nothing to compare
    k = ck.compile([e1, e2], SYMS, cse=cse, stable=False)
    got = _evaluate(k, grid)
    assert got.shape == (3, 2)
    assert np.allclose(got, want, rtol=1e-10, atol=1e-12), (e1, e2, k.source)
    # a single expression, scalar arguments
    k1 = ck.compile(e1, SYMS, cse=cse, stable=False)
    with np.errstate(all="ignore"):
        one = k1(*grid[2])
    assert one.shape == () and np.isclose(one, want[2, 0], rtol=1e-10, atol=1e-12)


@settings(SETTINGS, max_examples=20)
@given(e=exprs(), pts=points)
def test_stable_rewriting_preserves_values(e, pts):
    grid = np.array([pts, [1.0, 1.5, 0.75]])
    want = _reference(e, grid)
    if not np.all(np.abs(want) < 1e100):
        return
    got = _evaluate(ck.compile(e, SYMS), grid)
    assert np.allclose(got, want, rtol=1e-10, atol=1e-12), e


def _partial(expr, point, orders):
    f = sp.lambdify(SYMS, expr, "mpmath")
    with mpmath.workdps(30):
        return float(mpmath.diff(f, tuple(map(mpmath.mpf, point)), orders))


@settings(SETTINGS, max_examples=25)
@given(e=exprs(), pts=points)
def test_gradient_kernel_matches_numeric_differentiation(e, pts):
    k = ck.compile_grad(e, SYMS)
    got = _evaluate(k, np.array([pts]))[0]
    want = [_partial(e, pts, o) for o in ((1, 0, 0), (0, 1, 0), (0, 0, 1))]
    if not np.all(np.abs(want) < 1e100):
        return
    assert got.shape == (3,)
    assert np.allclose(got, want, rtol=1e-8, atol=1e-10), (e, k.source)


@settings(SETTINGS, max_examples=15)
@given(e=exprs(), pts=points)
def test_hessian_kernel_matches_numeric_differentiation(e, pts):
    k = ck.compile_hessian(e, SYMS)
    got = _evaluate(k, np.array([pts]))[0]
    want = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            orders = [0, 0, 0]
            orders[i] += 1
            orders[j] += 1
            want[i, j] = _partial(e, pts, tuple(orders))
    if not np.all(np.abs(want) < 1e100):
        return
    assert got.shape == (3, 3)
    assert np.allclose(got, got.T)
    assert np.allclose(got, want, rtol=1e-7, atol=1e-9), (e, k.source)


#: names the generated code may use itself (builtins, globals, locals, keywords)
_AWKWARD_NAMES = st.sampled_from([
    "range", "min", "len", "float", "int", "abs", "sum", "max", "print", "slice",
    "out", "numpy", "scipy", "math", "lambda", "None", "_shape", "_out", "_dtype",
    "_ipow", "_c1_0", "_a1", "x", "y", "\uff4c\uff45\uff4e",  # fullwidth "len"
])


@settings(SETTINGS, max_examples=25)
@given(
    e=exprs(piecewise=True),
    names=st.lists(_AWKWARD_NAMES, min_size=3, max_size=3, unique=True),
    dtype=st.sampled_from([np.float64, np.float32]),
    order=st.sampled_from([0, 1]),
)
def test_argument_names_never_change_values(e, names, dtype, order):
    # whatever the names of the arguments, the kernel computes the same values
    # on the block-by-block path (large inputs) as with plain names
    renamed = [sp.Symbol(n, real=True) for n in names]
    e2 = e.xreplace(dict(zip(SYMS, renamed, strict=True)))
    make = ck.compile if order == 0 else ck.compile_grad
    k, ref = make(e2, renamed, dtype=dtype), make(e, SYMS, dtype=dtype)
    assert k.signature == tuple(names)
    grid = np.random.default_rng(0).uniform(0.5, 2.0, size=(3, 40_000))
    with np.errstate(all="ignore"):
        got, want = k(*grid), ref(*grid)
    assert got.dtype == want.dtype == dtype
    # the same operations, up to the order SymPy sorts the terms by their names
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert np.allclose(got, want, rtol=rtol, atol=rtol, equal_nan=True), (e2, k.source)
