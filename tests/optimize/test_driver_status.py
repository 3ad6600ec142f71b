"""minimize's driver: statuses, evaluation counts, and the compare move."""

import numpy as np
import pytest

import calckit as ck
from calckit import optim
from calckit.optimize import STATUS

BOWL = "x**2 + 3*y**2"


def test_first_order_counts_one_fused_evaluation_per_step():
    r = ck.minimize(BOWL, x0=[1.0, 1.0], optimizer="sgd", lr=0.1, steps=20)
    assert r.nfev == r.njev == r.nit + 1 and r.nhev == 0
    assert r.status == "max steps" and r.status in STATUS


def test_newton_counts_one_hessian_per_step():
    r = ck.minimize("(1 - x)**2 + 100*(y - x**2)**2", x0=[-1.2, 1.0],
                    optimizer="newton", tol=1e-10)
    assert r.status == "converged" and r.nhev == r.nit
    assert r.njev == r.nit + 1 and r.nfev > r.njev  # the line search's f calls
    assert "evaluations:" in str(r) and "status='converged'" in repr(r)


def test_lbfgs_that_stops_moving_ends_with_no_progress():
    r = ck.minimize("(1 - x)**2 + 100*(y - x**2)**2", x0=[-1.2, 1.0],
                    optimizer="lbfgs", tol=1e-14, steps=100)
    assert r.status == "no progress" and r.nit < 100
    assert "stopped changing" in r.message and r.fun < 1e-8


def test_compare_lives_in_optimize_and_not_in_optim():
    lbfgs = {"tolerance_change": 0.0, "tolerance_grad": 0.0}
    runs = ck.compare(BOWL, [1.0, 1.0], {"newton": {}, "lbfgs": lbfgs}, tol=1e-8)
    assert all(r.converged for r in runs.values())
    assert ck.optimize.compare is ck.compare
    with pytest.raises(AttributeError):
        ck.optim.compare  # noqa: B018  (NumPy-only optim: no compiling here)


@pytest.mark.parametrize("name", ["trust-exact", "trust-ncg", "lbfgs", "amsgrad"])
def test_new_registry_names_run_from_minimize(name):
    # PyTorch's L-BFGS tolerances (1e-9 on the change of f) would stop it
    # before minimize's tol: switched off to test the driver's own test
    kw = {"amsgrad": {"lr": 0.05},
          "lbfgs": {"tolerance_change": 0.0, "tolerance_grad": 0.0}}.get(name, {})
    r = ck.minimize(BOWL, x0=[1.0, -2.0], optimizer=name, steps=2000, tol=1e-8, **kw)
    assert r.converged, r.message
    np.testing.assert_allclose(r.x, [0.0, 0.0], atol=1e-7)
    assert type(r.optimizer) is type(optim.get(name))
