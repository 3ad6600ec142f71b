"""Numeric differentiation with NumPy: finite differences, Richardson, complex step.

Every function takes per-coordinate steps scaled to ``|x|`` (so parameters of
very different magnitudes work), sends all perturbed points of one call to
``f`` in one batch, and with ``full_output=True`` returns
``(estimate, error_estimate)``.

Methods
-------
``forward``, ``backward``
    One-sided differences, first-order accurate (cheap, least accurate).
``central``
    Central differences, second-order accurate (relative error ~1e-10).
``richardson``
    Central differences at steps h, 2h, ..., 6h combined by Richardson
    extrapolation: a 12th-order stencil, 12 evaluations per first derivative,
    relative error ~1e-13 on smooth functions.
``complex``
    Complex step ``Im f(x + i h) / h``: one evaluation per first derivative,
    exact to rounding, but ``f`` must be analytic and accept complex input
    (a :class:`~calckit.errors.NumericError` names ``f`` otherwise). For
    Hessians: complex step along one axis, Richardson along the other (~1e-13).

Error estimates are conservative: the distance to a stencil of different
order plus a rounding bound. ``step_sizes`` shows the steps used. They hold
where the steps resolve ``f``: steps are a fixed fraction of ``|x|`` (1.6 %
for ``richardson``, which reaches 6 steps out), so an ``f`` that changes on a
scale much smaller than ``|x|`` (``sin(x)`` at ``x = 1e4``) is sampled at
regular steps that alias, and no estimate from such samples can see it: pass
``scale`` (the scale on which ``f`` changes, e.g. ``scale=1``) or ``h``.
:func:`calckit.gradcheck` rechecks on steps scaled to ``min(|x|, 1)`` itself.
Steps follow ``|x|`` over the whole float range (``log(x)`` at ``x = 1e-300``,
second derivatives at ``|x| = 1e200``: ``h**n`` is never formed); at a small
nonzero ``x``, an ``f`` varying on the scale 1 is not resolved by such steps
(``cos''`` at ``2.2e-14``), which the error estimate shows. Such entries,
whose error estimate exceeds 1e-3 of their value, are computed once more on
steps scaled to ``max(|x|, 1)`` and the smaller error estimate wins;
non-finite entries are retried too. Without ``full_output`` the error
estimates this needs are computed only where ``|x|`` is so small that the
``|x|``-scaled steps could not resolve an ``f`` varying on the scale 1
(``cos''`` at ``|x| < 1e-3``), so ordinary points cost nothing more (see
:mod:`calckit.numeric._resolve`). Steps are
never shorter than the spacing of floats at ``x`` (``x + h`` must differ
from ``x``; a shorter explicit ``h`` is refused).

Near the edge of ``f``'s domain, where the wide ``richardson`` stencil meets a
non-finite value, an entry takes the widest narrower stencil that fits and
(unless ``h`` is given) is computed once more on steps / 16, in one more
batch for those entries; the smaller error estimate wins. Entries where
``f(x)`` itself is not finite are ``nan``.

``f`` may compute in float32 (or float16; complex64 for ``complex``): when
its values come back in that type, steps and error estimates follow its
precision (noticed on the first evaluations, after which the work is redone
once); relative errors are then ~1e-3 (forward) to ~1e-5 (richardson), and
~1e-7 for ``complex``. Steps are wider than in float64 (``5e-3 |x|`` for
``central``), so an ``f`` varying on a scale much smaller than ``|x|`` needs
``scale``; the rounding of ``x`` itself inside ``f`` (an error of about
``|f''(x) x| * 6e-8``) is not in the error estimates.

>>> import numpy as np
>>> from calckit import numeric
>>> print(f"{numeric.derivative(np.sin, 0.5, method='richardson'):.13f}")
0.8775825618904
>>> bool(np.isclose(np.cos(0.5), numeric.derivative(np.sin, 0.5)))
True
>>> g = numeric.gradient(lambda v: v[..., 0] ** 2 * v[..., 1], [3.0, 2.0])
>>> np.round(g, 8)
array([12.,  9.])
"""

from calckit.numeric._differences import Estimate
from calckit.numeric._hessian import HESSIAN_METHODS
from calckit.numeric._stencils import RICHARDSON_LEVELS, fd_weights
from calckit.numeric._steps import METHODS, step_sizes
from calckit.numeric.derivatives import derivative, gradient, hessian, jacobian

__all__ = [
    "HESSIAN_METHODS",
    "METHODS",
    "RICHARDSON_LEVELS",
    "Estimate",
    "derivative",
    "fd_weights",
    "gradient",
    "hessian",
    "jacobian",
    "step_sizes",
]
