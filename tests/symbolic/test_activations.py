"""Activation registry: table-driven stability tests against 60-digit mpmath,
PyTorch kink conventions and constants, and registry behaviour.

``check_stable`` (also used by ``test_losses.py``) compiles an expression,
its gradient and its Hessian with the public kernels and compares them with
an independent reference: SymPy's own ``diff`` of the *raw* definition,
evaluated point by point with mpmath at 60 digits.
"""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp

import calckit as ck
from calckit.errors import UnknownNameError
from calckit.symbolic import activations as act

RTOL, ATOL = 1e-11, 1e-14
FMAX = np.finfo(np.float64).max

# pre-activations / logits over the whole domain [-1000, 1000]
_SPECIAL = [0.0, 1e-300, 1e-10, 1e-3, 0.5, 1.0, 2.5, 3.0, 5.0, 10.0, 12.5, 20.0,
            30.0, 37.0, 50.0, 100.0, 300.0, 709.0, 710.0, 745.0, 1000.0]
LOGITS = np.unique(np.concatenate([
    _SPECIAL, np.negative(_SPECIAL),
    np.linspace(-1000, 1000, 21),
    np.random.default_rng(7).uniform(-40, 40, 24),
]))


def _mp_reference(exprs, syms, points, dps=60):
    """Evaluate SymPy ``exprs`` at each row of ``points`` with mpmath."""
    # sign'(x) = DiracDelta(x) is 0 away from 0 and, by PyTorch's convention, at 0
    exprs = [sp.sympify(e).replace(sp.DiracDelta, lambda *a: sp.S.Zero) for e in exprs]
    f = sp.lambdify(syms, exprs, modules="mpmath")
    out = np.empty((len(points), len(exprs)))
    with mpmath.workdps(dps):
        for i, row in enumerate(points):
            vals = f(*[mpmath.mpf(float(v)) for v in row])
            for j, v in enumerate(vals):
                v = mpmath.mpf(v) if not isinstance(v, mpmath.mpf) else v
                out[i, j] = float(v) if abs(v) <= FMAX else math.inf
    return out


def _compare(label, got, ref, points, syms):
    """Assert ``got`` matches ``ref`` (rows of finite references only)."""
    assert np.all(np.isfinite(got)), f"{label}: non-finite output {got}"
    err = np.abs(got - ref)
    bad = err > ATOL + RTOL * np.abs(ref)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        where = dict(zip([s.name for s in syms], points[i], strict=True))
        raise AssertionError(
            f"{label}: {bad.sum()} entries off; first at {where} entry {j}: "
            f"got {got[i, j]!r}, mpmath {ref[i, j]!r}"
        )


def check_stable(label, expr, syms, points, wrt=None, *, raw_orders=2):
    """Value, gradient and Hessian (wrt ``wrt``, default ``syms``) of ``expr``
    compiled by calckit, against 60-digit mpmath on ``points`` (rows).

    The gradient and Hessian are checked through ``compile_grad`` and
    ``compile_hessian``; SymPy's own derivatives of the raw expression, up to
    order ``raw_orders``, are also compiled with ``compile`` and checked."""
    wrt = list(syms if wrt is None else wrt)
    params = [s for s in syms if s not in wrt]
    points = np.asarray(points, dtype=float)
    cols = {s: points[:, k] for k, s in enumerate(syms)}
    order = wrt + params
    g_ref = [sp.diff(expr, v) for v in wrt]
    h_ref = [sp.diff(gi, v) for gi in g_ref for v in wrt]
    ref = _mp_reference([expr, *g_ref, *h_ref], syms, points)
    n = len(wrt)
    parts = [
        ("value", ck.compile(expr, wrt, params), ref[:, :1], lambda a: a[:, None]),
        ("grad", ck.compile_grad(expr, wrt, params), ref[:, 1:1 + n], lambda a: a),
        ("hessian", ck.compile_hessian(expr, wrt, params), ref[:, 1 + n:],
         lambda a: a.reshape(len(a), -1)),
        # compiling SymPy's own derivatives must be just as stable
    ]
    if raw_orders:
        raw = [*g_ref, *h_ref][: n if raw_orders == 1 else None]
        parts.append(("diff", ck.compile(raw, wrt, params),
                      ref[:, 1:1 + len(raw)], lambda a: a))
    for kind, kernel, r, shape in parts:
        ok = np.all(np.isfinite(r), axis=1)
        if not ok.any():
            continue
        args = [cols[s][ok] for s in order]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = shape(np.asarray(kernel(*args)))
        _compare(f"{label} {kind}", got, r[ok], points[ok], syms)


x = sp.Symbol("x", real=True)


@pytest.mark.parametrize("name", act.names())
def test_activation_stable_over_domain(name):
    expr = act.get(name)(x)
    check_stable(name, expr, [x], LOGITS[:, None])


# ---- PyTorch conventions at kinks and constants ---------------------------

def _d(name, at, n=1):
    k = ck.compile(sp.diff(act.get(name)(x), x, n), [x])
    return float(k(np.float64(at)))


@pytest.mark.parametrize(
    ("name", "at", "expected"),
    [
        ("relu", 0.0, 0.0),  # threshold_backward: x > 0
        ("leaky_relu", 0.0, 0.01),
        ("elu", 0.0, 1.0),  # elu_backward: negative branch, alpha*exp(0)
        ("selu", 0.0, 1.0507009873554804934 * 1.6732632423543772848),
        ("hard_sigmoid", 0.0, 1 / 6),
        ("hard_sigmoid", 2.999999, 1 / 6),
        ("hard_sigmoid", -2.999999, 1 / 6),
        ("hard_sigmoid", 3.0, 0.0),
        ("hard_sigmoid", -3.0, 0.0),
        ("hard_tanh", 1.0, 0.0),
        ("hard_tanh", -1.0, 0.0),
        ("hard_tanh", 0.999, 1.0),
        ("softsign", 0.0, 1.0),
        ("identity", 0.0, 1.0),
    ],
)
def test_kink_conventions_match_pytorch(name, at, expected):
    assert _d(name, at) == pytest.approx(expected, rel=1e-15)


def test_hard_sigmoid_slope_is_exactly_one_sixth():
    d = sp.diff(act.hard_sigmoid(x), x)
    assert d.args[0][0] == sp.Rational(1, 6)
    assert sp.diff(act.hard_sigmoid(x), x, 2).subs(x, 1) == 0


def test_constants_match_pytorch():
    # torch.nn.functional.selu: alpha=1.6732632423543772848170429916717,
    # scale=1.0507009873554804934193349852946; leaky slope 0.01
    assert float(act.SELU_ALPHA) == 1.6732632423543772848170429916717
    assert float(act.SELU_SCALE) == 1.0507009873554804934193349852946
    assert act.leaky_relu(x).args[1][0] == sp.Float(0.01) * x
    # hard_sigmoid = relu6(x + 3)/6, gelu exact and tanh forms at one point
    vals = {n: float(act.get(n)(x).subs(x, sp.Float(0.7)).evalf(30))
            for n in ("hard_sigmoid", "gelu", "gelu_tanh", "selu", "elu")}
    assert vals["hard_sigmoid"] == pytest.approx(min(max(0.7 + 3, 0), 6) / 6)
    assert vals["gelu"] == pytest.approx(0.7 * 0.5 * (1 + math.erf(0.7 / 2**0.5)))
    c = math.sqrt(2 / math.pi) * (0.7 + 0.044715 * 0.7**3)
    assert vals["gelu_tanh"] == pytest.approx(0.35 * (1 + math.tanh(c)))
    neg = float(act.selu(x).subs(x, -0.7).evalf(30))
    assert neg == pytest.approx(1.0507009873554805 * 1.6732632423543772
                                * math.expm1(-0.7))


def test_softplus_is_exact_not_thresholded():
    # PyTorch returns x itself for x > 20; the exact value differs
    got = float(ck.compile(act.softplus(x), [x])(25.0))
    assert got == 25.0 + math.log1p(math.exp(-25.0))
    assert got != 25.0 or math.log1p(math.exp(-25.0)) < 2e-15


def test_values_match_reference_implementations():
    xs = np.linspace(-8, 8, 33)
    from scipy.special import erf, expit

    refs = {
        "sigmoid": expit(xs),
        "tanh": np.tanh(xs),
        "relu": np.maximum(xs, 0),
        "leaky_relu": np.where(xs > 0, xs, 0.01 * xs),
        "elu": np.where(xs > 0, xs, np.expm1(xs)),
        "gelu": xs * 0.5 * (1 + erf(xs / np.sqrt(2))),
        "swish": xs * expit(xs),
        "mish": xs * np.tanh(np.logaddexp(0, xs)),
        "softsign": xs / (1 + np.abs(xs)),
        "hard_sigmoid": np.clip(xs + 3, 0, 6) / 6,
        "hard_tanh": np.clip(xs, -1, 1),
        "log_sigmoid": -np.logaddexp(0, -xs),
        "identity": xs,
    }
    for name, ref in refs.items():
        got = ck.compile(act.get(name)(x), [x])(xs)
        np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-15, err_msg=name)


# ---- registry -------------------------------------------------------------

def test_registry_is_read_only_and_complete():
    expected = {
        "identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu",
        "gelu", "gelu_tanh", "swish", "silu", "softplus", "mish", "softsign",
        "hard_sigmoid", "hard_tanh", "log_sigmoid",
    }
    assert set(act.names()) == expected
    assert ck.activations.names() == act.names()
    assert ck.activations.get("swish") is ck.activations.get("silu")
    with pytest.raises(TypeError):
        act.REGISTRY["relu"] = None


def test_public_shim_exports():
    for name in ck.activations.__all__:
        assert hasattr(ck.activations, name)
    assert ck.activations.sigmoid(x) == ck.activations.get("sigmoid")(x)
    assert ck.activations.leaky_relu(x, alpha=0.2).subs(x, -1) == sp.Float(-0.2)


@pytest.mark.parametrize(("bad", "hint"), [("rellu", "relu"), ("sigmod", "sigmoid"),
                                           ("gelu_tan", "gelu_tanh")])
def test_unknown_name_lists_close_matches(bad, hint):
    with pytest.raises(UnknownNameError, match=repr(hint)) as info:
        ck.activations.get(bad)
    assert isinstance(info.value, LookupError)
    assert repr(bad) in str(info.value)


def test_unknown_name_without_close_match_and_bad_type():
    with pytest.raises(UnknownNameError, match="Known activations"):
        act.get("zzzzzz")
    with pytest.raises(UnknownNameError, match="strings"):
        act.get(3)


def test_string_arguments_and_names_are_case_insensitive():
    assert act.get("ReLU") is act.relu
    assert act.get("leaky-relu") is act.leaky_relu
    y = sp.Symbol("y", real=True)
    assert act.relu("y").free_symbols == {y}


@pytest.mark.parametrize(("a", "b"), [("gelu", "gelu_tanh")])
def test_gelu_forms_are_close_but_distinct(a, b):
    xs = np.linspace(-4, 4, 9)
    ka, kb = (ck.compile(act.get(n)(x), [x]) for n in (a, b))
    assert np.max(np.abs(ka(xs) - kb(xs))) < 1e-3
    assert np.max(np.abs(ka(xs) - kb(xs))) > 1e-6


@pytest.mark.parametrize("name", act.names())
def test_every_activation_is_usable_in_parse(name):
    assert ck.parse(f"{name}(x)") == act.get(name)(x)
