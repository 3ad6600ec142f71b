"""The backprop equations of a 2-8-4-1 network, derived and then trained.

Seed: the notebooks' hand-written backprop (``dL_dz2 = dL_da2 *
sigmoid_derivative(z2)``, ``dL_dW2 = a1.T @ dL_dz2``, ...). Here calckit
derives those equations for the network itself, in matrix form, with the
shared quantities named as a course names them (``a1``, ``delta_1``, ...),
checks them against the layers' own backward pass, and trains the network on
XOR with ``ck.minimize`` from the same symbolic loss.
"""

import _common
import numpy as np

import calckit as ck
from calckit import nn

model = nn.Sequential([nn.Dense(2, 8), nn.Activation("sigmoid"),
                       nn.Dense(8, 4), nn.Activation("sigmoid"),
                       nn.Dense(4, 1), nn.Activation("sigmoid")], seed=0)
eq = nn.equations(model, "mse")
print("Backprop equations of the 2-8-4-1 network (sigmoid layers, MSE):")
print(eq)
print()
print("LaTeX:")
print(eq.latex())

X, y = ck.datasets.xor()
derived = eq.gradients(X, y)
_, backprop = model.value_and_grad(X, y, "mse")
gap = max(float(np.abs(derived[k] - backprop[k]).max()) for k in backprop)
print(f"max |derived - backprop| over all parameters = {gap:.1e}")

names = " ".join(eq.keys)
params = model.parameters()
x0 = {name: params[key].copy() for name, key in eq.keys.items()}
steps = _common.size(2000, 600)
result = ck.minimize(eq.expr, wrt=names, x0=x0, optimizer="adam", lr=0.05,
                     steps=steps, params={"X": X, "Y": y.reshape(-1, 1)})
for step in range(0, steps + 1, steps // 4):
    print(f"step {step:4d}: loss {result.losses[step]:.6f}")
for name, key in eq.keys.items():
    params[key][...] = result.x[name]
predicted = model.predict(X).ravel()
for xi, yi, pi in zip(X, y, predicted, strict=True):
    print(f"{xi} -> {pi:.4f} (target {yi:g})")
print(f"XOR learned: {bool(np.all((predicted > 0.5) == (y > 0.5)))}")

import matplotlib.pyplot as plt  # noqa: E402

fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
ax.semilogy(result.losses)
ax.set_xlabel("Adam step")
ax.set_ylabel("MSE")
ax.set_title("2-8-4-1 network on XOR, trained from its symbolic loss")
_common.save(fig, "26_backprop_equations.png")
