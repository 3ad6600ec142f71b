"""The surface sin(sqrt(x**2 + y**2)) and its gradient.

Seed: "Understanding Complex Functions" (3-D surface on [-6, 6]^2).
"""

import _common
import numpy as np

import calckit as ck

f = ck.parse("sin(sqrt(x**2 + y**2))")
g = ck.grad(f, wrt="x y")
print(f"f = {f}")
print(f"grad f = {g.T.tolist()[0]}")

k = ck.compile(f, wrt="x y")
grid = np.linspace(-6, 6, _common.size(30, 15))
X, Y = np.meshgrid(grid, grid)
Z = k(X, Y)
print(f"f on a {Z.shape} grid: min {Z.min():.4f}, max {Z.max():.4f}")

# The gradient is singular at the origin (the cone point); check it elsewhere.
points = np.array([[1.0, 2.0], [-3.0, 0.5], [4.0, -4.0]])
print(f"gradcheck away from the origin ok: {ck.gradcheck(f, wrt='x y', at=points).ok}")

_common.save(ck.plot.surface(f, wrt="x y", xlim=(-6, 6), ylim=(-6, 6)),
             "15_ripple_surface.png")
