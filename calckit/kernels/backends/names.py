"""The NumPy and SciPy names calckit's kernel printer may write (private):
what each backend namespace is built from (:mod:`calckit.kernels.backends`).

>>> "logaddexp" in NUMPY_NAMES and "expit" in SPECIAL_NAMES
True
"""

from __future__ import annotations

from sympy.printing.numpy import _known_constants_numpy, _known_functions_numpy
from sympy.printing.numpy import _known_functions_scipy_special as _special

__all__ = ["NUMPY_NAMES", "SPECIAL_NAMES"]

#: ``numpy.<name>`` the printer writes: SymPy's table plus calckit's own rules
NUMPY_NAMES = frozenset({
    *_known_functions_numpy.values(), *_known_constants_numpy.values(),
    "sqrt", "square", "power", "exp", "ldexp", "clip", "maximum", "minimum",
    "sign", "heaviside", "abs", "where", "logaddexp", "cbrt", "greater",
    "greater_equal", "less", "less_equal", "equal", "not_equal", "logical_and",
    "logical_or", "logical_not", "mod", "real", "imag", "angle", "conjugate",
    "sinc", "floor", "ceil", "isfinite", "copysign", "fmod",
})
#: ``scipy.special.<name>`` the printer writes (calckit's primitives use
#: ``expit`` and ``ndtr``)
SPECIAL_NAMES = frozenset({
    *_special.values(), "expit", "ndtr", "log_ndtr", "erfinv", "digamma",
    "loggamma", "xlogy", "i0", "i0e", "i1", "i1e",
})
