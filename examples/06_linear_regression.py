"""Linear regression y = 3x + 2 (+ noise) fitted by gradient descent.

Seed: the "Real Example: Training a Simple Linear Model" cells. The loss is one
symbolic per-sample expression; ``minimize`` averages its exact gradient over
the data passed as ``params``.
"""

import _common
import matplotlib.pyplot as plt
import numpy as np

import calckit as ck

rng = np.random.default_rng(42)
n = _common.size(100, 40)
X = rng.standard_normal(n) * 2
Y = 3 * X + 2 + rng.standard_normal(n) * 0.5

loss = "(w*x + b - y)**2"
print(f"per-sample loss: {loss};  gradient: {ck.grad(loss, wrt='w b').T.tolist()}")

w0, b0 = rng.standard_normal(2)
epochs = 100
result = ck.minimize(loss, wrt="w b", x0=[w0, b0], optimizer="sgd", lr=0.01,
                     steps=epochs, params={"x": X, "y": Y})

_common.banner("TRAINING LINEAR MODEL WITH GRADIENT DESCENT")
print(f"Initial parameters: w = {w0:.3f}, b = {b0:.3f}")
for epoch in range(result.nit):
    if epoch % 20 == 0 or epoch == result.nit - 1:
        w, b = result.path[epoch + 1]
        print(f"Epoch {epoch:3d}: Loss = {result.losses[epoch]:.4f}, "
              f"w = {w:.3f}, b = {b:.3f}")
w, b = result.x
print("=" * 60)
print(f"\nFinal parameters: w = {w:.3f}, b = {b:.3f}")
print("   True parameters:  w = 3.000, b = 2.000")
print(f"   Error: w_error = {abs(w - 3):.3f}, b_error = {abs(b - 2):.3f}")

# Exact least squares for comparison (what gradient descent is heading to).
w_ls, b_ls = np.polyfit(X, Y, 1)
print(f"   Least-squares optimum: w = {w_ls:.3f}, b = {b_ls:.3f}")

report = ck.gradcheck(loss, wrt="w b", at=[w, b], params={"x": X[0], "y": Y[0]})
print(f"gradcheck ok: {report.ok}")

fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
axes[0].plot(result.losses, lw=2)
axes[0].set(xlabel="Epoch", ylabel="Loss (MSE)", title="Loss Curve")
axes[1].plot(result.path[:, 0], lw=2, label="w (slope)")
axes[1].plot(result.path[:, 1], lw=2, label="b (intercept)")
axes[1].axhline(3, color="C0", ls="--", alpha=0.5, label="True w")
axes[1].axhline(2, color="C1", ls="--", alpha=0.5, label="True b")
axes[1].set(xlabel="Epoch", ylabel="Parameter value", title="Parameter Convergence")
axes[1].legend()
axes[2].scatter(X, Y, alpha=0.5, label="Data")
line = np.linspace(X.min(), X.max(), 100)
axes[2].plot(line, w * line + b, "r-", lw=2, label=f"Learned: y={w:.2f}x+{b:.2f}")
axes[2].set(xlabel="X", ylabel="y", title="Final Model Fit")
axes[2].legend()
for ax in axes:
    ax.grid(alpha=0.3)
fig.tight_layout()
_common.save(fig, "06_linear_regression.png")
