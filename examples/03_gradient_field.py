"""Partial derivatives and the gradient field of f(x, y) = x**2 + y**2.

Seed: the "Partial Derivatives & Gradients" cell (surface, contours and
negative-gradient arrows) and the sympy cell with f = x**2 + 2xy + y**2.
"""

import _common
import numpy as np

import calckit as ck

f = ck.parse("x**2 + y**2")
gradient = ck.grad(f, wrt="x y")
print(f"f(x, y) = {f}")
print(f"df/dx = {gradient[0]},  df/dy = {gradient[1]}")

grad_kernel = ck.compile_grad(f, wrt="x y")
points = np.array([(-2, -2), (-2, 2), (2, -2), (2, 2), (-1, 0), (0, 1.5), (0, 0)],
                  dtype=float)
g = grad_kernel(points[:, 0], points[:, 1])  # shape (7, 2)
print("\npoint        gradient      -gradient (descent direction)")
for (px, py), (gx, gy) in zip(points, g, strict=True):
    print(f"({px:4.1f},{py:4.1f})  [{gx:5.1f},{gy:5.1f}]   [{-gx:5.1f},{-gy:5.1f}]")

print("\nKey insights:")
print("  - Gradient points in direction of STEEPEST ASCENT")
print("  - Negative gradient points toward MINIMUM")
print(f"  - At minimum (0,0), gradient = {g[-1].tolist()}")

report = ck.gradcheck(f, wrt="x y", at=points)
print(f"gradcheck at {len(points)} points ok: {report.ok}")

# The sympy cell of the second seed: f = x**2 + 2xy + y**2.
f2 = ck.parse("x**2 + 2*x*y + y**2")
print(f"\nFunction: f(x, y) = {f2}")
print(f"Partial derivative with respect to x: df/dx = {ck.derivative(f2, 'x')}")
print(f"Partial derivative with respect to y: df/dy = {ck.derivative(f2, 'y')}")
print(f"Hessian: {ck.hessian(f2, wrt='x y').tolist()}")

_common.save(ck.plot.surface(f, wrt="x y", xlim=(-3, 3), ylim=(-3, 3)),
             "03_surface.png")
_common.save(ck.plot.gradient_field(f, wrt="x y", xlim=(-3, 3), ylim=(-3, 3)),
             "03_gradient_field.png")
