"""The driver refuses an Objective that lacks what the optimizer needs."""

import numpy as np
import pytest

from calckit import optim
from calckit.errors import CalckitTypeError
from calckit.optimize._driver import Objective, run


def _bowl():
    return Objective(fun=lambda x: float(x @ x),
                     value_and_grad=lambda x: (float(x @ x), 2 * x))


@pytest.mark.parametrize(
    ("opt", "match"),
    [(optim.Newton(), "needs the Hessian"),
     (optim.TrustExact(), "needs the Hessian"),
     (optim.TrustNCG(), "needs Hessian-vector products")],
)
def test_second_order_optimizer_without_hessian_is_named(opt, match):
    with pytest.raises(CalckitTypeError, match=match):
        run(opt, _bowl(), np.array([1.0, -2.0]), steps=5, tol=0.0)


def test_objective_with_hessian_runs_newton():
    obj = _bowl()._replace(hess=lambda x: 2 * np.eye(x.size))
    r = run(optim.Newton(), obj, np.array([1.0, -2.0]), steps=5, tol=1e-12)
    np.testing.assert_allclose(r.x, [0.0, 0.0], atol=1e-12)
    assert r.nhev >= 1
