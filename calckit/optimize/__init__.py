"""Optimization on compiled symbolic losses: :func:`minimize`, :func:`compare`,
:func:`least_squares` and :func:`curve_fit`.

This layer sits above :mod:`calckit.optim` (pure NumPy update rules) and the
kernels: it compiles a loss, its exact gradient, Hessian, Hessian-vector
product or residual Jacobian once, then drives an optimizer or a solver in
plain NumPy.

>>> import calckit as ck
>>> r = ck.minimize("(x - 1)**2 + 2*(y + 3)**2", x0=[0.0, 0.0],
...                 optimizer="sgd", lr=0.1, steps=500, tol=1e-8)
>>> r.converged, r.nit, r.x.round(6).tolist()
(True, 86, [1.0, -3.0])
"""

from calckit.optimize._compare import compare, comparison_table
from calckit.optimize._curve_fit import CovarianceWarning, CurveFitResult, curve_fit
from calckit.optimize._driver import STATUS
from calckit.optimize._hvp import compile_hvp
from calckit.optimize._least_squares import LeastSquaresResult, least_squares
from calckit.optimize._minimize import OptimizeResult, minimize
from calckit.optimize._tensor_objective import TensorOptimizeResult

__all__ = [
    "CovarianceWarning",
    "CurveFitResult",
    "LeastSquaresResult",
    "OptimizeResult",
    "STATUS",
    "TensorOptimizeResult",
    "compile_hvp",
    "curve_fit",
    "least_squares",
    "compare",
    "comparison_table",
    "minimize",
]
