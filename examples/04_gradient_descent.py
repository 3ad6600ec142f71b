"""Gradient descent on f(x) = x**2 + 10 from x = 5 with learning rate 0.1.

Seed: the "Gradient Descent - How AI Learns!" cells (iteration table, path).
"""

import _common
import matplotlib.pyplot as plt
import numpy as np

import calckit as ck

f = "x**2 + 10"
result = ck.minimize(f, wrt="x", x0=[5.0], optimizer="sgd", lr=0.1, steps=20)
dfdx = ck.compile_grad(f, wrt="x")

xs = result.path[:, 0]
grads = dfdx(xs)[:, 0]  # gradient at each visited point

_common.banner("GRADIENT DESCENT IN ACTION")
print(f"Starting at x = {xs[0]}, f(x) = {result.losses[0]:.2f}")
print("Learning rate = 0.1")
print("\nIteration | x       | f(x)    | gradient")
print("-" * 60)
for i in range(result.nit):
    if i < 10 or i == result.nit - 1:
        print(f"{i + 1:9} | {xs[i + 1]:7.4f} | {result.losses[i + 1]:7.4f} | "
              f"{grads[i]:7.4f}")
print("=" * 60)
print(f"\nConverged to x = {result.x[0]:.6f}, f(x) = {result.fun:.6f}")
print("   True minimum: x = 0, f(x) = 10")
print(f"   minimize: nit={result.nit} converged={result.converged} "
      f"({result.message})")

report = ck.gradcheck(f, wrt="x", at=xs[:, None])
print(f"gradcheck along the path ok: {report.ok}")

fig, ax = plt.subplots(figsize=(8, 4.5))
grid = np.linspace(-6, 6, 200)
ax.plot(grid, ck.compile(f, wrt="x")(grid), "b-", lw=2, label="f(x) = x² + 10")
ax.plot(xs, result.losses, "ro-", ms=5, alpha=0.7, label="Gradient descent path")
ax.plot(xs[0], result.losses[0], "g*", ms=16, label="Start")
ax.plot(xs[-1], result.losses[-1], "r*", ms=16, label="End")
ax.set(xlabel="x", ylabel="f(x)", title="Gradient Descent: Finding the Minimum")
ax.legend()
ax.grid(alpha=0.3)
_common.save(fig, "04_gradient_descent.png")
