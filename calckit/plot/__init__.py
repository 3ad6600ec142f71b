"""Figures for calculus and optimization (matplotlib).

Every function returns a :class:`matplotlib.figure.Figure` built without
pyplot: nothing is shown and no global state changes; save it with
``fig.savefig("name.png")``. matplotlib is imported only by this package.

>>> from calckit import plot
>>> fig = plot.derivatives("x**3", orders=(0, 1))
>>> fig.axes[0].lines[1].get_label()
"f'(x) = 3*x**2"
"""

from calckit.plot.calculus import activations, derivatives, tangent, taylor
from calckit.plot.fields import gradient_field, surface, trajectories
from calckit.plot.fit import fit
from calckit.plot.training import decision_boundary, learning_rates, loss_curves

__all__ = [
    "taylor",
    "derivatives",
    "tangent",
    "gradient_field",
    "surface",
    "trajectories",
    "loss_curves",
    "learning_rates",
    "decision_boundary",
    "activations",
    "fit",
]
