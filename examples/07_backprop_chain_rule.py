"""Backpropagation through a 2-3-1 sigmoid network, and the chain rule.

Seeds: the "Backpropagation - Chain Rule in Action" cell (forward and backward
pass by hand) and the chain-rule slides (y = sigmoid(w2*sigmoid(w1*x))).
Backprop (``calckit.nn``), the exact symbolic gradient of the whole network
(``calckit.grad``) and numeric differentiation are printed side by side.
"""

import _common  # noqa: F401  (sets a non-interactive matplotlib backend)
import numpy as np
import sympy as sp

import calckit as ck

sigmoid = ck.activations.sigmoid

# ---------------------------------------------------------------- the network
x = np.array([[0.5, 0.8]])
y_true = np.array([[0.9]])
rng = np.random.default_rng(42)
W1 = rng.standard_normal((2, 3)) * 0.1
W2 = rng.standard_normal((3, 1)) * 0.1

model = ck.nn.Sequential([
    ck.nn.Dense(2, 3), ck.nn.Activation("sigmoid"),
    ck.nn.Dense(3, 1), ck.nn.Activation("sigmoid"),
])
model[0].params["W"][...] = W1
model[0].params["b"][...] = 0.0
model[2].params["W"][...] = W2
model[2].params["b"][...] = 0.0

_common.banner("BACKPROPAGATION EXAMPLE (2-Layer Network)")
print("FORWARD PASS:")
a1 = model[1].forward(model[0].forward(x))
a2 = model[3].forward(model[2].forward(a1))
print("  Layer 1: z1 = x @ W1 + b1")
print(f"  Layer 1 output (a1): {np.round(a1, 6)}")
print("  Layer 2: z2 = a1 @ W2 + b2")
print(f"  Final output (a2): {np.round(a2, 6)}")
print(f"  True value: {y_true}")

# calckit's "mse" is the mean of (a2 - y)**2: twice the seed's 0.5*(a2 - y)**2,
# so every gradient below is twice the seed's.
loss, grads = model.value_and_grad(x, y_true, "mse")
print(f"  Loss (a2 - y)^2: {loss:.6f}\n")

print("BACKWARD PASS (computing gradients):")
for key in ("2.W", "2.b", "0.W", "0.b"):
    print(f"  dL/d[{key}] shape: {grads[key].shape}")

# ------------------------------------------- the same gradient, symbolically
w1 = sp.Matrix(2, 3, sp.symbols("w1_:2:3", real=True))
b1 = sp.Matrix(1, 3, sp.symbols("b1_:3", real=True))
w2 = sp.Matrix(3, 1, sp.symbols("w2_:3", real=True))
b2 = sp.Symbol("b2", real=True)
xs = sp.Matrix(1, 2, sp.symbols("x0 x1", real=True))
ys = sp.Symbol("y", real=True)

h = (xs * w1 + b1).applyfunc(sigmoid)
out = sigmoid((h * w2)[0, 0] + b2)
symbolic_loss = (out - ys) ** 2
wrt = [*w1, *b1, *w2, b2]
grad_kernel = ck.compile_grad(symbolic_loss, wrt=wrt, params=[*xs, ys])
values = [*W1.ravel(), 0, 0, 0, *W2.ravel(), 0.0]
exact = grad_kernel(*values, *x.ravel(), y_true.item())

loss_kernel = ck.compile(symbolic_loss, wrt=wrt, params=[*xs, ys])
numeric = ck.numeric.gradient(
    lambda p: loss_kernel(*p, *x.ravel(), y_true.item()), np.array(values, float))

backprop = np.concatenate([grads["0.W"].ravel(), grads["0.b"].ravel(),
                           grads["2.W"].ravel(), grads["2.b"].ravel()])
print("\nparameter | backprop (nn)    | symbolic (exact) | numeric")
print("-" * 64)
for sym, bp, ex, nu in zip(wrt, backprop, exact, numeric, strict=True):
    print(f"{str(sym):9} | {bp: .9e} | {ex: .9e} | {nu: .9e}")
print(f"max |backprop - symbolic| = {np.max(np.abs(backprop - exact)):.2e}")

report = model.gradcheck(x, y_true, "mse")
print(f"model.gradcheck ok: {report.ok}")

# One of the seeds writes sigmoid_derivative(x) = x*(1 - x): right only when it
# is given the activation s = sigmoid(z), not the pre-activation z.
zs = sp.Symbol("z", real=True)
exact_d = float(ck.derivative(sigmoid(zs), zs).subs(zs, 1.5).evalf())
s_val = float(sigmoid(sp.Float(1.5)).evalf())
print(f"\nsigmoid'(1.5) = {exact_d:.6f}; s*(1-s) with s = sigmoid(1.5): "
      f"{s_val * (1 - s_val):.6f}; z*(1-z) with z = 1.5: {1.5 * (1 - 1.5):.6f} (wrong)")

# ------------------------------------------------------------ the chain rule
_common.banner("CHAIN RULE: y = sigmoid(w2 * sigmoid(w1 * x)), x=2, w1=3, w2=4")
expr = ck.parse("sigmoid(w2*sigmoid(w1*x))")
g = ck.grad(expr, wrt="w1 w2")
print(f"dy/dw1 = {g[0]}")
print(f"dy/dw2 = {g[1]}")

# The chain dy/dw1 = dy/dz2 * dz2/da1 * da1/dz1 * dz1/dw1, factor by factor.
z1, a1s, z2 = sp.symbols("z1 a1 z2", real=True)
w1s, w2s, x_s = sp.symbols("w1 w2 x", real=True)
factors = [
    ("dy/dz2", ck.derivative(sigmoid(z2), z2), {z2: 4 * sigmoid(sp.Integer(6))}),
    ("dz2/da1", ck.derivative(w2s * a1s, a1s), {w2s: 4}),
    ("da1/dz1", ck.derivative(sigmoid(z1), z1), {z1: 6}),
    ("dz1/dw1", ck.derivative(w1s * x_s, w1s), {x_s: 2}),
]
product = 1.0
print("\nfactor   | symbolic                       | value")
for name, d, at in factors:
    v = float(d.subs(at).evalf())
    product *= v
    print(f"{name:8} | {str(d):30} | {v:.10f}")
grad_at = ck.compile_grad(expr, wrt="w1 w2", params="x")(3.0, 4.0, 2.0)
num_at = ck.numeric.gradient(
    lambda p: ck.compile(expr, wrt="w1 w2", params="x")(p[0], p[1], 2.0),
    np.array([3.0, 4.0]), method="richardson")
print(f"\nproduct of factors       dy/dw1 = {product:.12e}")
print(f"exact gradient kernel    dy/dw1 = {grad_at[0]:.12e}, "
      f"dy/dw2 = {grad_at[1]:.12e}")
print(f"numeric (richardson)     dy/dw1 = {num_at[0]:.12e}, dy/dw2 = {num_at[1]:.12e}")
report = ck.gradcheck(expr, wrt="w1 w2", at={"w1": 3.0, "w2": 4.0},
                      params={"x": 2.0})
print(f"gradcheck ok: {report.ok}")
