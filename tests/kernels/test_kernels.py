"""Tests of calckit.compile / compile_grad / compile_hessian (the Kernel)."""

import inspect
import warnings

import mpmath
import numpy as np
import pytest
import scipy.optimize as so
import sympy as sp

import calckit as ck
from calckit import kernels
from calckit.errors import (
    CalckitError,
    CalckitTypeError,
    InvalidParameterError,
    ShapeError,
)

x, y, w, b = sp.symbols("x y w b", real=True)


# -- shapes ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, bshape",
    [
        ((1.0, 2.0), ()),
        ((np.arange(5.0), 2.0), (5,)),
        ((np.ones((4, 1)), np.ones(3)), (4, 3)),
        (([1.0, 2.0], [[3.0], [4.0]]), (2, 2)),
    ],
)
@pytest.mark.parametrize(
    "exprs, eshape",
    [
        (x * y, ()),
        ([x * y, x + y, sp.sin(x)], (3,)),
        (sp.Matrix([[x * y, x], [y, sp.exp(x)], [1, 0]]), (3, 2)),
    ],
)
def test_output_shape_is_broadcast_shape_plus_expr_shape(exprs, eshape, args, bshape):
    k = ck.compile(exprs, [x, y])
    out = k(*args)
    assert isinstance(out, np.ndarray)
    assert out.dtype == np.float64
    assert out.shape == bshape + eshape
    assert k.expr_shape == eshape
    # value check of one entry against SymPy
    xv, yv = (np.broadcast_to(a, bshape).flat[0] for a in args)
    first = sp.Matrix(exprs) if eshape else sp.Matrix([exprs])
    want = float(first[0].subs({x: xv, y: yv}))
    got = out.reshape(bshape + (-1,))[..., 0] if eshape else out
    assert np.allclose(np.asarray(got).flat[0], want, rtol=1e-14)


def test_constants_and_structural_zeros_broadcast_to_float_arrays():
    k = ck.compile_grad(3 * x + 2 * y**2, [x, y])
    out = k(np.arange(4.0), 1.0)
    assert out.dtype == np.float64 and out.shape == (4, 2)
    assert np.all(out[:, 0] == 3.0)
    assert np.all(out[:, 1] == 4.0)
    k0 = ck.compile(sp.Integer(7), [x])
    assert np.array_equal(k0(np.zeros(3)), [7.0, 7.0, 7.0])
    assert k0(1.0).shape == () and isinstance(k0(1.0), np.ndarray)


def test_hessian_with_zeros_is_a_float_array():
    k = ck.compile_hessian(x**3 + y**2, [x, y])
    out = k(np.array([1.0, 2.0]), np.array([0.0, 5.0]))
    assert out.dtype == np.float64 and out.shape == (2, 2, 2)
    assert np.array_equal(out[1], [[12.0, 0.0], [0.0, 2.0]])


def test_wrt_symbol_not_in_expression_gives_zero_derivative():
    z = sp.Symbol("z", real=True)
    k = ck.compile_grad(x**2, [x, z])
    assert np.array_equal(k(np.array([1.0, 3.0]), 0.0), [[2.0, 0.0], [6.0, 0.0]])


def test_identity_expression_returns_a_copy_not_the_input():
    k = ck.compile(x, [x])
    a = np.arange(3.0)
    out = k(a)
    out[0] = 99.0
    assert a[0] == 0.0


def test_params_order_and_default_wrt():
    k = ck.compile(w * x + b, params=[x])
    assert k.signature == ("b", "w", "x")
    assert k.wrt == (b, w) and k.params == (x,)
    assert np.allclose(k(1.0, 2.0, np.array([3.0])), [7.0])


def test_strings_are_parsed_and_keyword_arguments_work():
    k = ck.compile("w*x + b", wrt="w b", params="x")
    assert k.signature == ("w", "b", "x")
    assert np.allclose(k(2.0, 1.0, x=np.array([1.0, 2.0])), [3.0, 5.0])


def test_float32_dtype():
    k = ck.compile([x * 2, x + 1], [x], dtype=np.float32)
    out = k(np.arange(3))
    assert out.dtype == np.float32 and out.shape == (3, 2)


# -- errors -------------------------------------------------------------------------
def test_wrong_number_of_arguments_names_the_signature():
    k = ck.compile(w * x + b, [w, b], [x])
    with pytest.raises(CalckitTypeError, match=r"\(w, b, x\).*3.*got 2"):
        k(1.0, 2.0)
    assert isinstance(CalckitTypeError("t"), TypeError)


def test_shapes_that_do_not_broadcast_name_arguments_and_shapes():
    k = ck.compile(x * y, [x, y])
    with pytest.raises(ShapeError, match=r"x: \(3,\).*y: \(4,\)"):
        k(np.ones(3), np.ones(4))
    many = ck.compile_hessian(sum((sp.Symbol(f"v{i}") - 1) ** 4 for i in range(20)))
    with pytest.raises(ShapeError, match=r"v0: \(3,\)"):
        many(np.ones(3), *[np.ones(4)] * 19)


@pytest.mark.parametrize("bad", ["abc", None, {"a": 1}, [1.0, "x"], object()])
def test_non_numeric_input_is_a_clear_calckit_error(bad):
    k = ck.compile(x * y, [x, y])
    with pytest.raises(CalckitTypeError, match="argument y"):
        k(1.0, bad)


def test_free_symbol_missing_from_wrt_and_params():
    with pytest.raises(InvalidParameterError, match=r"\['y'\].*params"):
        ck.compile(x * y, [x])
    with pytest.raises(InvalidParameterError, match="both"):
        ck.compile(x * y, [x, y], [y])


def test_unsupported_function_is_a_calckit_error():
    f = sp.Function("f")
    with pytest.raises(CalckitError, match="f"):
        ck.compile(f(x), [x])
    with pytest.raises(CalckitTypeError):
        ck.compile(object(), [x])


# -- piecewise family ---------------------------------------------------------------
def _no_warnings(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            return fn(*args)


def test_piecewise_untaken_branch_never_evaluated():
    k = ck.compile(sp.Piecewise((x, x > 0), (sp.exp(x) - 1, True)), [x], stable=False)
    xs = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    out = _no_warnings(k, xs)
    assert np.allclose(out, [-1.0, np.expm1(-1.0), 0.0, 1.0, 1000.0])
    assert np.all(np.isfinite(out))
    assert _no_warnings(k, 1000.0) == 1000.0


def test_piecewise_log_branch_only_where_positive():
    k = ck.compile(sp.Piecewise((sp.log(x), x > 0), (0, True)), [x])
    out = _no_warnings(k, np.array([-2.0, 0.0, np.e]))
    assert np.allclose(out, [0.0, 0.0, 1.0])
    # a branch that would divide by zero at the other branch's points
    k2 = ck.compile(sp.Piecewise((1 / x, x < -1), (sp.sqrt(x + 1), True)), [x])
    assert np.allclose(_no_warnings(k2, np.array([-2.0, -1.0, 3.0])), [-0.5, 0.0, 2.0])


def test_piecewise_with_cse_does_not_hoist_branch_subexpressions():
    inner = sp.log(x) ** 2
    e = [
        sp.Piecewise((inner + sp.log(x), x > 0), (x, True)),
        sp.Piecewise((inner, x > 0), (0, True)),
    ]
    for cse in (True, False):
        k = ck.compile(e, [x], cse=cse)
        out = _no_warnings(k, np.array([-1.0, 0.0, np.e]))
        assert np.allclose(out, [[-1.0, 0.0], [0.0, 0.0], [2.0, 1.0]])


def test_nested_piecewise_and_broadcast_arguments():
    e = sp.Piecewise(
        (sp.Piecewise((sp.log(y), y > 0), (-1, True)), x > 0), (sp.sqrt(-x), True)
    )
    k = ck.compile(e, [x, y])
    out = _no_warnings(k, np.array([[-4.0], [1.0]]), np.array([-1.0, np.e]))
    assert out.shape == (2, 2)
    assert np.allclose(out, [[2.0, 2.0], [-1.0, 1.0]])


def test_piecewise_without_default_is_nan_where_undefined():
    k = ck.compile(sp.Piecewise((x, x > 0)), [x])
    out = k(np.array([-1.0, 2.0]))
    assert np.isnan(out[0]) and out[1] == 2.0


@pytest.mark.parametrize(
    "expr, want",
    [
        (sp.Heaviside(x), [0.0, 0.5, 1.0]),
        (sp.Heaviside(x, 1), [0.0, 1.0, 1.0]),
        (sp.Max(x, 0), [0.0, 0.0, 2.0]),
        (sp.Min(x, 0, y), [-2.0, 0.0, 0.0]),
        (sp.Abs(x), [2.0, 0.0, 2.0]),
        (sp.sign(x), [-1.0, 0.0, 1.0]),
        (sp.erf(x), [float(sp.erf(-2)), 0.0, float(sp.erf(2))]),
    ],
)
def test_piecewise_like_functions(expr, want):
    k = ck.compile(expr, [x, y])
    assert np.allclose(_no_warnings(k, np.array([-2.0, 0.0, 2.0]), 1.0), want)


def test_derivatives_of_kinks_compile():
    k = ck.compile_grad(sp.Max(x, 0) + sp.Abs(y), [x, y])
    out = _no_warnings(k, np.array([-1.0, 2.0]), np.array([-3.0, 3.0]))
    assert np.allclose(out, [[0.0, -1.0], [1.0, 1.0]])


# -- source, cache, repr ---------------------------------------------------------------
def test_source_is_inspectable():
    k = ck.compile([x**9, x**2 * y], [x, y])
    assert "def _kernel(x, y)" in k.source
    assert "power" not in k.source  # integer powers are products
    assert inspect.getsource(k.function) in k.source
    assert "Kernel(" in repr(k) and "wrt=(x, y)" in repr(k)


def test_cse_computes_shared_subexpressions_once():
    e = [sp.exp(x * y) * x, sp.exp(x * y) * y]
    with_cse = ck.compile(e, [x, y], cse=True).source
    without = ck.compile(e, [x, y], cse=False).source
    assert with_cse.count("numpy.exp") == 1
    assert without.count("numpy.exp") == 2


def test_cache_returns_the_same_kernel():
    kernels.cache_clear()
    k1 = ck.compile(x * y + 1, [x, y])
    k2 = ck.compile(x * y + 1, [x, y])
    assert k1 is k2
    assert ck.compile(x * y + 1, [x, y], cse=False) is not k1
    info = kernels.cache_info()
    assert info.hits >= 1 and 1 <= info.currsize <= info.maxsize
    g1 = ck.compile_grad(x**2 * y, [x, y])
    assert ck.compile_grad(x**2 * y, [x, y]) is g1
    kernels.cache_clear()
    assert kernels.cache_info().currsize == 0
    assert ck.compile(x * y + 1, [x, y]) is not k1


def test_cache_is_bounded(monkeypatch):
    from calckit.kernels import cache, compiler

    small = cache._LRU(3)
    monkeypatch.setattr(compiler, "_CACHE", small)
    ks = [ck.compile(x + i, [x]) for i in range(5)]
    assert small.info().currsize == 3
    assert ck.compile(x + 4, [x]) is ks[4]


# -- stability and derivatives ---------------------------------------------------------
def test_stable_default_keeps_softplus_gradient_finite():
    k = ck.compile_grad(sp.log(1 + sp.exp(w * x + b)), [w, b], [x])
    xs = np.array([-1000.0, 0.0, 1000.0])
    out = _no_warnings(k, 1.0, 0.0, xs)
    assert np.all(np.isfinite(out))
    assert np.allclose(out[:, 1], [0.0, 0.5, 1.0])


def test_gradient_matches_mpmath_derivative():
    f = sp.sin(x * y) * sp.exp(-x) + x**5 / (1 + y**2)
    k = ck.compile_grad(f, [x, y])
    pts = np.array([[0.3, -1.2], [1.7, 0.4], [-0.8, 2.5]])
    got = k(pts[:, 0], pts[:, 1])
    mpmath.mp.dps = 30
    fx = sp.lambdify((x, y), f, "mpmath")
    for row, (a, c) in zip(got, pts, strict=True):
        want = [
            mpmath.diff(lambda t, c=c: fx(t, c), a),
            mpmath.diff(lambda t, a=a: fx(a, t), c),
        ]
        assert np.allclose(row, [float(v) for v in want], rtol=1e-12)


def test_rosenbrock_matches_scipy():
    n = 30
    xs = sp.symbols(f"x0:{n}", real=True)
    f = sum(
        100 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1 - xs[i]) ** 2 for i in range(n - 1)
    )
    kg, kh = ck.compile_grad(f, xs), ck.compile_hessian(f, xs)
    pts = np.random.default_rng(3).uniform(-2, 2, size=(4, n))
    g, h = kg(*pts.T), kh(*pts.T)
    assert g.shape == (4, n) and h.shape == (4, n, n)
    for i in range(4):
        assert np.allclose(g[i], so.rosen_der(pts[i]), rtol=1e-12)
        assert np.allclose(h[i], so.rosen_hess(pts[i]), rtol=1e-12)
    assert np.allclose(kh(*pts[0]), so.rosen_hess(pts[0]))


def test_awkward_symbol_names_keep_their_labels():
    syms = [sp.Symbol(n, real=True) for n in ("lambda", "x.y", "out", "_z", "numpy")]
    k = ck.compile(sum(syms) * syms[0], syms)
    assert k.signature == ("lambda", "x.y", "out", "_z", "numpy")
    assert k(1.0, 2.0, 3.0, 4.0, 5.0) == 15.0
    with pytest.raises(CalckitTypeError, match="argument x.y"):
        k(1.0, "a", 3.0, 4.0, 5.0)


def test_constant_kernel_without_arguments():
    k = ck.compile(sp.Integer(3), wrt=[])
    assert k.signature == () and k().shape == () and k() == 3.0


def test_many_variable_piecewise_hessian_is_batched_and_masked():
    vs = sp.symbols("v0:20", real=True)
    f = sum(sp.Piecewise(((v - 1) ** 3, v > 1), (sp.log(1 + v**2), True)) for v in vs)
    kh = ck.compile_hessian(f, vs)
    assert "_stack_args" in kh.source  # one template evaluated for all 20
    pts = np.linspace(-2.0, 3.0, 20)
    h = _no_warnings(kh, *pts)
    want = [6 * (v - 1) if v > 1 else (2 - 2 * v * v) / (1 + v * v) ** 2 for v in pts]
    assert np.allclose(h, np.diag(want), rtol=1e-13, atol=1e-15)
    batch = np.random.default_rng(0).uniform(-2, 3, size=(5, 20))
    hb = kh(*batch.T)
    assert hb.shape == (5, 20, 20)
    assert np.allclose(hb[2], kh(*batch[2]))


def test_complex_dtype_for_complex_step():
    k = ck.compile(sp.exp(x) * x, [x], dtype=complex)
    h = 1e-30
    assert np.isclose(k(1.0 + 1j * h).imag / h, 2 * np.e, rtol=1e-14)


@pytest.mark.parametrize(
    "shapes", [((200_000,), ()), ((40_000, 1), (1, 3)), ((5, 9000), (9000,))]
)
def test_large_inputs_evaluated_in_blocks_match_whole_evaluation(shapes):
    from calckit.kernels import runtime as _codegen_runtime

    e = [sp.Piecewise((sp.log(x), x > 0.5), (x * y, True)), sp.exp(-x) * y**3, 2]
    k = ck.compile(e, [x, y])
    rng = np.random.default_rng(5)
    a, c = rng.uniform(0, 1, size=shapes[0]), rng.normal(size=shapes[1])
    bshape = np.broadcast_shapes(a.shape, c.shape)
    assert k(a, c).shape == bshape + (3,)
    got = _no_warnings(k, a, c)
    assert _codegen_runtime._block_rows(bshape) > 0 or bshape[0] == 5
    aa, cc = np.broadcast_arrays(a, c)
    first = np.where(aa > 0.5, np.log(np.maximum(aa, 0.5)), aa * cc)
    want = np.stack([first, np.exp(-aa) * cc**3, np.full(bshape, 2.0)], axis=-1)
    assert np.allclose(got, want, rtol=1e-14, atol=0)


def test_huge_integer_constants_become_floats():
    k = ck.compile([sp.Integer(10) ** 300 * x, sp.Integer(2) ** 60 * x], [x])
    assert np.allclose(k(np.ones(2)), [[1e300, 2.0**60]] * 2)


def test_sums_share_common_factors_and_coefficients():
    a, c = sp.symbols("a c", real=True)
    k = ck.compile(a * x + a * y - c, [a, x, y, c])
    assert "a*(x + y) - c" in k.source
    assert np.allclose(k(2.0, 3.0, np.array([1.0, -1.0]), 0.5), [7.5, 3.5])
    k2 = ck.compile(2 * x - 2 * y, [x, y])
    assert "2*(x - y)" in k2.source


# -- generated code: whole-array bodies, in-place outputs, cheap steps ------------
def _mp_sigmoid(v):
    return 1 / (1 + mpmath.exp(-mpmath.mpf(v)))


def test_short_bodies_run_on_whole_arrays_long_ones_in_blocks():
    from calckit.kernels import runtime as _codegen_runtime

    short = ck.compile(2 * (x - y), [x, y])
    assert "_core" not in short.source and "_rows" not in short.source
    long = ck.compile(sp.exp(x) * sp.sin(y) + x * y**3 - sp.cos(x * y), [x, y])
    assert "_block_rows" in long.source
    n = 3 * _codegen_runtime.BLOCK + 7  # several blocks and a ragged last one
    rng = np.random.default_rng(1)
    a, c = rng.normal(size=n), rng.normal(size=n)
    assert np.allclose(short(a, c), 2 * (a - c), rtol=0, atol=0)
    want = np.exp(a) * np.sin(c) + a * c**3 - np.cos(a * c)
    assert np.allclose(long(a, c), want, rtol=1e-14, atol=1e-14)
    assert long(a[:5], c[:5]).shape == (5,)


@pytest.mark.parametrize("n", [5, 100_000])
def test_outputs_written_in_place_match_the_expressions(n):
    rng = np.random.default_rng(2)
    a, c = rng.uniform(0.5, 2, n), rng.uniform(0.5, 2, n)
    # all entries negated (one in-place negation), a zero, a repeated entry,
    # an entry depending on a broadcast scalar only
    cases = {
        "negated": ([-x / y, -y / x, -x * y], lambda: [-a / c, -c / a, -a * c]),
        "mixed": ([x / y, 0, x / y, sp.exp(w)], lambda: [a / c, 0 * a, a / c,
                                                          np.exp(0.5) + 0 * a]),
    }
    for exprs, want in cases.values():
        k = ck.compile(exprs, [x, y, w])
        assert "out=" in k.source
        got = k(a, c, 0.5)
        assert got.shape == (n, len(exprs))
        # each entry is one contiguous block (entries are written one by one)
        assert all(got[..., i].flags.c_contiguous for i in range(len(exprs)))
        assert np.allclose(got, np.stack(want(), axis=-1), rtol=1e-15, atol=0)
    k = ck.compile([-x, -y], [x, y])
    out = k(0.0, 1.0)
    assert out.tolist() == [0.0, -1.0] and np.signbit(out[0])  # -0.0, as -x gives


@pytest.mark.parametrize("n", [3, 100_000])
def test_single_variable_gradient_is_a_fresh_view_never_an_input(n):
    xs = np.linspace(-2.0, 2.0, n)
    k = ck.compile_grad(x**2 / 2, [x])  # the gradient is x itself
    g = k(xs)
    assert g.shape == (n, 1) and np.array_equal(g[:, 0], xs)
    assert not np.shares_memory(g, xs)
    g[0, 0] = 99.0  # the caller owns the result
    assert xs[0] == -2.0
    k2 = ck.compile_grad(sp.exp(x) * sp.sin(x) + x**3, [x])
    assert np.allclose(k2(xs)[:, 0], np.exp(xs) * (np.sin(xs) + np.cos(xs)) + 3 * xs**2)
    assert ck.compile_hessian(x**3, [x])(xs).shape == (n, 1, 1)


def test_steps_print_as_comparisons():
    relu_d = ck.compile(sp.Heaviside(x, 0), [x])
    box = ck.compile(sp.Piecewise((0, x < -1), (1, x < 1), (0, True)), [x])
    half = ck.compile(sp.Heaviside(x), [x])
    hard_tanh_d = ck.compile(ck.derivative(ck.activations.get("hard_tanh")(x), x), [x])
    for k in (relu_d, box, half, hard_tanh_d):
        assert "heaviside" not in k.source and "where" not in k.source
    xs = np.array([-2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0])
    assert relu_d(xs).tolist() == [0, 0, 0, 0, 0, 1, 1, 1]
    assert half(xs).tolist() == [0, 0, 0, 0.5, 0.5, 1, 1, 1]
    assert ck.compile(sp.Heaviside(x - 1, 1), [x])(xs).tolist() == [0] * 6 + [1, 1]
    assert box(xs).tolist() == [0, 1, 1, 1, 1, 1, 0, 0]
    # compared with the bounds, never through a rounded x + 1
    assert "numpy.less(x, -1)" in box.source and "numpy.less(x, 1)" in box.source
    tiny = np.array([-1 + 2.0**-52, -1.0, -1 - 2.0**-52])
    assert box(tiny).tolist() == [1, 1, 0]
    # a product of steps is one conjunction, cast once
    assert " & " in hard_tanh_d.source and hard_tanh_d.source.count("astype") == 1
    assert hard_tanh_d(xs).tolist() == [0, 0, 1, 1, 1, 1, 0, 0]


def test_clip_and_odd_functions_print_one_operation():
    huber_d = ck.compile(sp.Min(1, sp.Max(-1, x - y)), [x, y])
    assert "numpy.clip(x - y, -1, 1)" in huber_d.source
    xs = np.array([-3.0, -0.25, 0.0, 0.5, 3.0, np.nan])
    assert np.array_equal(huber_d(xs, 0.0), np.clip(xs, -1, 1), equal_nan=True)
    mae_d = ck.compile(-sp.sign(y - x), [x, y])
    assert "numpy.sign(x - y)" in mae_d.source
    assert mae_d(xs[:5], 0.5).tolist() == [-1, -1, -1, 0, 1]


def test_sigmoid_and_its_derivative_share_one_expit_accurately():
    from calckit.symbolic.functions import dsigmoid, sigmoid

    e = [sigmoid(x), sigmoid(-x), dsigmoid(x), x * dsigmoid(x) + sigmoid(x)]
    k = ck.compile(e, [x])
    assert k.source.count("expit") == 1
    xs = np.array([-1000.0, -745.0, -40.0, -1.2785, -1e-9, -0.0, 0.0, 1e-300,
                   0.3, 37.0, 40.0, 709.0, 1000.0])
    got = _no_warnings(k, xs)
    for i, v in enumerate(xs):
        with mpmath.workdps(50):
            s, sm = _mp_sigmoid(v), _mp_sigmoid(-v)
            want = [s, sm, s * sm, v * s * sm + s]
        assert np.allclose(got[i], [float(t) for t in want], rtol=1e-11, atol=1e-14)
    assert np.isnan(k(np.nan)).all()
    k3 = ck.compile(e[:3], [x])
    assert k3(np.inf).tolist() == [1, 0, 0] and k3(-np.inf).tolist() == [0, 1, 0]


@pytest.mark.parametrize("text", ["0.5*x + 0.5", "1.0*x - 1.0", "2.0*x - 2.0*y",
                                  "0.5*x + 0.5*y + 0.5", "(0.5*x + 0.5)**2 + y**2"])
def test_sums_with_one_decimal_coefficient_compile(text):
    # the printer factors 0.5*(x + 1); the terms inside carry 1.0, which SymPy
    # does not equate to 1: it used to factor that again, forever
    expr = sp.sympify(text, locals={"x": x, "y": y})
    xs, ys = np.array([2.0, -0.5]), np.array([3.0, 1.5])
    got = ck.compile(expr, [x, y])(xs, ys)
    want = [float(expr.subs({x: a, y: b})) for a, b in zip(xs, ys, strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-15)


# -- argument names that shadow what the generated code uses -----------------------
@pytest.mark.parametrize("name", ["range", "len", "min", "float", "abs", "sum", "max",
                                  "print", "object", "out", "numpy", "scipy"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_arguments_named_like_builtins_work_block_by_block(name, dtype):
    # large inputs take the block path (range, min, len); steps print
    # ``.astype(float)``: an argument named like any of them must not shadow it
    s = sp.Symbol(name, real=True)
    relu = ck.activations.relu
    e = s * sp.exp(x) + sp.sin(x) * x**3 + relu(x) * relu(s)
    k = ck.compile(e, [s, x], dtype=dtype)
    assert k.signature == (name, "x")
    ref = ck.compile(e.xreplace({s: y}), [y, x], dtype=dtype)
    xs = np.linspace(-2, 2, 100_000)
    assert "_rows = _block_rows" in k.source
    assert np.array_equal(k(0.5, xs), ref(0.5, xs))
    assert np.array_equal(k(xs[::-1], xs), ref(xs[::-1], xs))
    assert k(0.5, xs).dtype == dtype


def test_builtin_named_arguments_in_gradients_and_messages():
    k = ck.compile_grad("range*exp(x) + sin(x)*x**3 + cos(x)", wrt="range x")
    xs = np.linspace(-2, 2, 100_000)
    g = k(0.5, xs)
    assert np.allclose(g[:, 0], np.exp(xs))
    assert np.allclose(g[:, 1], 0.5 * np.exp(xs) + np.cos(xs) * xs**3
                       + 3 * xs**2 * np.sin(xs) - np.sin(xs))
    with pytest.raises(CalckitTypeError, match="argument range"):
        k("a", xs)
    kf = ck.compile("float*x*relu(y)*relu(x) + sin(x)")
    assert kf.signature == ("float", "x", "y")
    v = kf(np.full(3, 2.0), np.array([1.0, -1.0, 2.0]), 3.0)
    assert np.allclose(v, [6 + np.sin(1.0), np.sin(-1.0), 24 + np.sin(2.0)])


def test_names_are_compared_as_python_reads_them():
    # Python normalizes identifiers (NFKC): a fullwidth "range" is range
    wide = sp.Symbol("\uff52\uff41\uff4e\uff47\uff45", real=True)
    k = ck.compile(wide * sp.exp(x) + sp.sin(x) * x**3 + sp.cos(x), [wide, x])
    xs = np.linspace(-2, 2, 100_000)
    assert np.allclose(k(0.5, xs), 0.5 * np.exp(xs) + np.sin(xs) * xs**3 + np.cos(xs))
    assert k.signature[0] == wide.name
    # two names Python reads as one: still two arguments
    bold = sp.Symbol("\U0001d431", real=True)  # mathematical bold x, read as "x"
    k2 = ck.compile(bold - x, [bold, x])
    assert k2(5.0, 2.0) == 3.0


# -- what the printer cannot print -------------------------------------------------
def test_derivatives_of_floor_and_ceiling_are_zero_in_kernels():
    xs = np.array([-1.5, 0.0, 0.5, 2.0])
    assert np.array_equal(ck.compile_grad("floor(x)")(xs), np.zeros((4, 1)))
    assert np.array_equal(ck.compile_grad("ceiling(x)")(xs), np.zeros((4, 1)))
    g = ck.compile_grad("x**2*floor(y) + ceiling(x*y)")(1.5, 2.5)
    assert np.array_equal(g, [6.0, 0.0])
    h = ck.compile_hessian("floor(x)*x**3")(2.5)
    assert np.array_equal(h, [[6 * 2 * 2.5]])


def test_unevaluated_derivative_names_it_and_suggests_real_symbols():
    z = sp.Symbol("z")  # not known to be real: d|z|/dz stays unevaluated
    with pytest.raises(CalckitTypeError,
                       match=r"unevaluated derivative Derivative\((re|im)\(z\), z\)"
                       r".*real=True") as info:
        ck.compile_grad(sp.Abs(z))
    assert "_c" not in str(info.value).split("derivative")[1]  # not a CSE name
    r = sp.Symbol("range")  # renamed in the source, named as given in messages
    with pytest.raises(CalckitTypeError, match=r"Derivative\((re|im)\(range\), range"):
        ck.compile_grad(sp.Abs(r) * x, [r, x])
    f = sp.Function("f")
    with pytest.raises(CalckitTypeError, match=r"Derivative\(f\(x\), x\)") as info:
        ck.compile(sp.Derivative(f(x), x) + x)
    assert "real=True" not in str(info.value)  # x is real: no such hint


@pytest.mark.parametrize(
    "e, fragment",
    [
        (sp.Integral(x, x) + x, "Integral"),
        (sp.zoo * x, "complex infinity"),
        (sp.Subs(sp.Derivative(sp.gamma(y), y), y, x**2), "Derivative"),
    ],
)
def test_unprintable_expressions_raise_calckit_errors(e, fragment):
    with pytest.raises(CalckitTypeError, match=f"cannot compile.*{fragment}"):
        ck.compile(e, [x])


# -- complex values ------------------------------------------------------------------
@pytest.mark.parametrize("text", ["x + sqrt(-1)", "x*log(-1)", "acosh(0) + x",
                                  "x*exp(sqrt(-4)*x)"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_complex_constants_need_a_complex_dtype(text, dtype):
    with pytest.raises(CalckitTypeError, match="complex-valued: contains I"):
        ck.compile(text, dtype=dtype)
    with pytest.raises(CalckitTypeError, match=r"complex-valued: contains I .* in .*x"):
        ck.compile_grad(text, dtype=dtype)


def test_complex_constants_compile_with_a_complex_dtype():
    k = ck.compile("x + sqrt(-1)", dtype=complex)
    assert np.array_equal(k(np.array([1.0, 2.0])), [1 + 1j, 2 + 1j])
    assert ck.compile("x*log(-1)", dtype=complex)(1.0) == np.pi * 1j
    g = ck.compile_grad("x*exp(sqrt(-1)*x)", dtype=complex)(0.5)
    assert np.allclose(g, [np.exp(0.5j) * (1 + 0.5j)], rtol=1e-15)


@pytest.mark.parametrize("text, ufunc", [("sigmoid(x)", "expit"),
                                         ("floor(x) + x", "floor")])
def test_functions_without_complex_support_fail_clearly_when_called(text, ufunc):
    k = ck.compile(text, dtype=complex)  # compiles: the check is NumPy's own
    pattern = rf"kernel\(x\) of .* complex128: ufunc '{ufunc}'.*real dtype"
    with pytest.raises(CalckitTypeError, match=pattern):
        k(np.array([0.5 + 1e-20j, 1.0]))
    assert k.dtype.kind == "c" and np.isfinite(ck.compile(text)(0.5))
