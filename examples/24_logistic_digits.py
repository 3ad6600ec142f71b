"""Logistic regression on the 8x8 digits, from the symbolic loss.

The loss is written in matrix form, ``mean(softplus(X @ w) - y * (X @ w))``
plus an L2 term; calckit derives its exact gradient and Hessian as formulas,
checks the gradient numerically, and ``ck.minimize`` trains it with Newton's
method (the matrix-form Hessian ``X.T @ diag(s*(1 - s)) @ X / n``): a
handful of iterations to a gradient norm below 1e-8. The task is binary:
tell a 3 from an 8. scikit-learn is optional: without it, a synthetic
stand-in (noisy prototypes) is used and the example says so.
"""

import _common
import numpy as np

import calckit as ck

images, labels = _common.load_digits()
pair = (labels == 3) | (labels == 8)
X = np.hstack([images[pair] / 16.0, np.ones((pair.sum(), 1))])  # a bias column
y = (labels[pair] == 8).astype(float)
rng = np.random.default_rng(0)
order = rng.permutation(len(X))
n_train = int(0.7 * len(X))
train, test = order[:n_train], order[n_train:]
print(f"3 against 8: {len(train)} training and {len(test)} held-out images, "
      f"d = {X.shape[1]} (64 pixels and a bias)")

shapes = {"X": ("n", "d"), "w": "d", "y": "n"}
text = "mean(softplus(X @ w) - y * (X @ w)) + lam * sum(w**2)"
loss = ck.parse(text, shapes=shapes)
print("loss:     ", loss)
print("gradient: ", ck.grad(loss, wrt="w"))
print("Hessian:  ", ck.hessian(loss, wrt="w"))

data = {"X": X[train], "y": y[train], "lam": 1e-3}
report = ck.gradcheck(loss, at={"w": 0.1 * rng.standard_normal(X.shape[1])},
                      params=data)
print(report.summary())
print(f"gradcheck ok: {report.ok}")

result = ck.minimize(loss, wrt="w", x0=np.zeros(X.shape[1]), optimizer="newton",
                     params=data, tol=1e-8)
for step, value in enumerate(result.losses):
    print(f"Newton step {step}: loss {value:.10f}")
print(f"{result.status} after {result.nit} Newton steps, gradient norm "
      f"{result.grad_norm:.2e}")
predicted = (X[test] @ result.x > 0).astype(float)
print(f"Held-out accuracy: {np.mean(predicted == y[test]):.4f}")

import matplotlib.pyplot as plt  # noqa: E402

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4), layout="constrained")
top = float(np.abs(result.x[:64]).max())
image = left.imshow(result.x[:64].reshape(8, 8), cmap="RdBu_r", vmin=-top, vmax=top)
fig.colorbar(image, ax=left, shrink=0.8)
left.set_title("weights (red: evidence for 8)")
left.set_xticks([])
left.set_yticks([])
right.semilogy(result.losses - result.losses[-1] + 1e-16, "o-")
right.set_xlabel("Newton step")
right.set_ylabel("loss - final loss")
right.set_title("quadratic convergence")
_common.save(fig, "24_logistic_digits.png")
