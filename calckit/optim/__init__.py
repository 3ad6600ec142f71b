"""Pure NumPy optimizers that match ``torch.optim`` step for step.

Each optimizer holds only its hyperparameters; ``state = opt.init(params)``
and ``params, state = opt.step(params, grads, state)`` never modify their
inputs. ``params`` is an ndarray or a dict of ndarrays. Learning rates may be
schedules (:mod:`calckit.optim.schedules`). This package is NumPy only: it
never imports SymPy, the kernels or :mod:`calckit.optimize` (which drives
these optimizers on compiled losses and holds ``compare``).

>>> import numpy as np
>>> from calckit import optim
>>> opt = optim.get("sgd", lr=0.25)
>>> x = np.array([4.0])
>>> state = opt.init(x)
>>> for _ in range(3):
...     x, state = opt.step(x, 2 * x, state)   # gradient of x**2
>>> print(x, state.count)
[0.5] 3
"""

from calckit.optim import schedules
from calckit.optim._adaptive import (
    Adagrad,
    AdagradState,
    Adam,
    AdamState,
    AdamW,
    RMSprop,
    RMSpropState,
)
from calckit.optim._base import Optimizer, Params, ScalarOrSchedule
from calckit.optim._lbfgs import LBFGS, LBFGSState
from calckit.optim._lion import Lion, LionState
from calckit.optim._newton import Newton, NewtonState
from calckit.optim._registry import get, names
from calckit.optim._sgd import SGD, SGDState
from calckit.optim._trust_region import (
    TrustExact,
    TrustNCG,
    TrustRegionState,
    solve_exact,
    solve_steihaug,
)

__all__ = [
    "Adagrad",
    "AdagradState",
    "Adam",
    "AdamState",
    "AdamW",
    "LBFGS",
    "LBFGSState",
    "Lion",
    "LionState",
    "Newton",
    "NewtonState",
    "Optimizer",
    "Params",
    "RMSprop",
    "RMSpropState",
    "SGD",
    "SGDState",
    "ScalarOrSchedule",
    "TrustExact",
    "TrustNCG",
    "TrustRegionState",
    "get",
    "names",
    "schedules",
    "solve_exact",
    "solve_steihaug",
]
