"""Issue 20 item 2: derivation and expansion run within an explicit work
budget (max_ops), checked as the work grows: each reproducer is refused
with a WorkLimitError (naming the step, the budget and how to raise it) or
computed, within a hard deadline."""

import pytest
import sympy as sp
from deadline_helper import run_with_deadline

import calckit as ck
from calckit.errors import CalckitError, DifferentiationError, WorkLimitError
from calckit.symbolic.budget import DEFAULT_MAX_OPS, Budget, check_max_ops

x = sp.Symbol("x", real=True)


def _refused_or_computed(call, seconds=2.0):
    kind, text = run_with_deadline(call, seconds)
    if kind == "WorkLimitError":
        assert "max_ops=" in text and "pass max_ops=" in text
    elif kind == "DifferentiationError":  # taylor's count of partials
        assert "lower the order" in text
    else:
        assert kind == "ok", text
    return kind


REPRODUCERS = {
    "exp(x**2), order 500": lambda: ck.derivative("exp(x**2)", "x", 500),
    "2nd derivative of 50 sines": lambda: ck.derivative(
        sp.Mul(*[sp.sin(k * x) for k in range(1, 51)]), x, 2),
    "tan(tan(tan(x))), order 20": lambda: ck.derivative("tan(tan(tan(x)))", "x", 20),
    "x**x**... 99 levels, order 2": lambda: ck.derivative("x" + "**x" * 98, "x", 2),
    "grad of Max/Min nested 10 deep": lambda: ck.grad(
        "max(x, min(y, " * 5 + "x*y" + "))" * 5),
    "hessian of Max/Min nested 10 deep": lambda: ck.hessian(
        "max(x, min(y, " * 5 + "x - y" + "))" * 5),
    "taylor of exp(x*y), order 200": lambda: ck.taylor("exp(x*y)", order=200),
}


@pytest.mark.parametrize("name", list(REPRODUCERS))
def test_reproducer_is_bounded(name):
    assert _refused_or_computed(REPRODUCERS[name]) in (
        "ok", "WorkLimitError", "DifferentiationError")


def test_big_derivatives_are_refused_with_the_step_and_budget_named():
    kind, text = run_with_deadline(lambda: ck.derivative("exp(x**2)", "x", 500))
    assert kind == "WorkLimitError", text
    assert "derivative of order 500 of exp(x**2)" in text
    assert f"max_ops={DEFAULT_MAX_OPS}" in text and "pass max_ops=" in text
    assert issubclass(WorkLimitError, CalckitError)
    assert issubclass(WorkLimitError, RuntimeError)


def test_budget_is_counted_as_the_work_grows():
    # a small budget stops early: the 60th derivative is never formed
    kind, _ = run_with_deadline(
        lambda: ck.derivative("exp(x**2)", "x", 60, max_ops=500), 1.0)
    assert kind == "WorkLimitError"


def test_taylor_is_refused_before_any_partial_is_formed(monkeypatch):
    from calckit.symbolic import taylor as taylor_module

    def no_work(*args, **kwargs):
        raise AssertionError("a partial derivative was formed")

    monkeypatch.setattr(taylor_module, "_diff", no_work)
    with pytest.raises(DifferentiationError):
        ck.taylor("exp(x*y)", order=200)
    with pytest.raises(WorkLimitError, match="partial derivatives"):
        ck.taylor("exp(x*y)", order=20, max_ops=100)


def test_taylor_of_a_polynomial_to_a_high_order_is_not_refused():
    # only partials up to the polynomial's degree can be non-zero
    p = ck.taylor("x**2*y + y**3", order=400)
    assert sp.expand(p - sp.sympify("x**2*y + y**3").subs(
        {"x": sp.Symbol("x", real=True), "y": sp.Symbol("y", real=True)})) == 0


def test_max_ops_none_is_unlimited_and_a_larger_budget_computes():
    d = ck.derivative("exp(x**2)", "x", 12, max_ops=None)
    # check against the Hermite closed form: d^n exp(x^2) = (-i)^n H_n(ix) e^{x^2}
    value = float(d.subs(x, sp.Rational(1, 3)))
    want = float(sp.diff(sp.exp(x**2), x, 12).subs(x, sp.Rational(1, 3)))
    assert value == pytest.approx(want, rel=1e-14)
    g = ck.grad("exp(x*y)", "x y", max_ops=10**6)
    assert g[0] == sp.sympify("y*exp(x*y)").subs(
        {"x": sp.Symbol("x", real=True), "y": sp.Symbol("y", real=True)})


@pytest.mark.parametrize("fn", [
    lambda m: ck.derivative("x**2", "x", max_ops=m),
    lambda m: ck.grad("x*y", max_ops=m),
    lambda m: ck.jacobian(["x*y", "x"], max_ops=m),
    lambda m: ck.hessian("x*y", max_ops=m),
    lambda m: ck.taylor("exp(x)", max_ops=m),
    lambda m: ck.directional_derivative("x*y", [1, 2], max_ops=m),
])
def test_every_derivation_step_takes_max_ops(fn):
    assert fn(10_000) is not None
    with pytest.raises(WorkLimitError):
        fn(1)
    with pytest.raises(ValueError, match="max_ops"):
        fn(0)


def test_budget_helper_api():
    b = Budget(5, "compile of f")
    b.charge(5)
    with pytest.raises(WorkLimitError, match="compile of f needs more than max_ops=5"):
        b.charge()
    with pytest.raises(WorkLimitError, match="needs 10 kernels"):
        Budget(5, "compile of f").require(10, "10 kernels")
    assert check_max_ops(None) is None
    for bad in (True, -1, 2.5, "10"):
        with pytest.raises(ValueError):
            check_max_ops(bad)
