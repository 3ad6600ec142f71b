"""calckit: exact calculus in SymPy, compiled to fast, stable NumPy kernels.

>>> import calckit as ck
>>> ck.grad("w**2*x + b", wrt="w b")
Matrix([
[2*w*x],
[    1]])

Public names are re-exported here from the modules that hold them and are
imported on first use, so ``import calckit`` stays light (no matplotlib).
"""

from __future__ import annotations

import importlib

from calckit.errors import (  # noqa: F401 - re-exported, listed in __all__
    BackendUnavailableError,
    CalckitError,
    CalckitTypeError,
    DifferentiationError,
    InvalidParameterError,
    NumericError,
    ParseError,
    ShapeError,
    UnknownNameError,
    WorkLimitError,
)

__version__ = "0.1.0"

# public name -> module that defines it (imported lazily, PEP 562)
_EXPORTS = {
    "parse": "calckit.symbolic.parse",
    "derivative": "calckit.symbolic.derive",
    "grad": "calckit.symbolic.derive",
    "jacobian": "calckit.symbolic.derive",
    "hessian": "calckit.symbolic.derive",
    "directional_derivative": "calckit.symbolic.derive",
    "taylor": "calckit.symbolic.taylor",
    "taylor_coefficients": "calckit.symbolic.taylor",
    "remainder_bound": "calckit.symbolic.remainder",
    "compile": "calckit.kernels",
    "compile_grad": "calckit.kernels",
    "compile_hessian": "calckit.kernels",
    "Kernel": "calckit.kernels",
    "to_torch": "calckit.kernels.export",
    "to_jax": "calckit.kernels.export",
    "gradcheck": "calckit.check",
    "GradcheckReport": "calckit.check",
    "minimize": "calckit.optimize",
    "OptimizeResult": "calckit.optimize",
    "compare": "calckit.optimize",
    "least_squares": "calckit.optimize",
    "curve_fit": "calckit.optimize",
    "derivative_table": "calckit.tables",
    "DerivativeTable": "calckit.tables",
    "vector": "calckit.symbolic.tensor.ops",
    "matrix": "calckit.symbolic.tensor.ops",
    "hvp": "calckit.symbolic.derive",
    "latex": "calckit.symbolic.tensor.api",
    "compile_value_and_grad": "calckit.kernels",
}
_SUBMODULES = {
    "activations", "losses", "numeric", "optim", "nn", "plot", "datasets",
    "tables", "symbolic", "kernels",
}

__all__ = sorted(
    [*_EXPORTS, *_SUBMODULES]
    + [
        "CalckitError", "CalckitTypeError", "DifferentiationError",
        "InvalidParameterError", "NumericError", "ParseError", "ShapeError",
        "UnknownNameError", "WorkLimitError", "BackendUnavailableError",
        "__version__",
    ]
)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"calckit.{name}")
    else:
        raise AttributeError(f"module 'calckit' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return __all__
