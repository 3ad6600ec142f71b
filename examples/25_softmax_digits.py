"""Softmax regression on all 10 digits, from the symbolic loss.

The cross-entropy of ``softmax(X @ W + b)`` against one-hot labels ``Y`` is
written in matrix form; calckit derives the gradients (``dZ = softmax(Z) -
Y``, divided by the batch), checks them numerically, and ``ck.minimize``
trains ``W`` and ``b`` together with Adam on seeded minibatches drawn from
the rows of ``X`` and ``Y``. scikit-learn is optional: without it, a
synthetic stand-in (noisy prototypes) is used and the example says so.
"""

import _common
import numpy as np

import calckit as ck

images, labels = _common.load_digits()
X, Y = images / 16.0, np.eye(10)[labels]
rng = np.random.default_rng(0)
order = rng.permutation(len(X))
train, test = order[:1400], order[1400:]

shapes = {"X": ("n", "d"), "W": ("d", "k"), "b": "k", "Y": ("n", "k")}
text = ("mean(logsumexp(X @ W + b, axis=1) - sum(Y * (X @ W + b), axis=1))"
        " + lam * sum(W**2)")
loss = ck.parse(text, shapes=shapes)
gW, gb = ck.grad(loss, wrt="W b")
print("loss:", loss)
print("dW =", gW)
print("db =", gb)

data = {"X": X[train], "Y": Y[train], "lam": 1e-3}
at = {"W": 0.01 * rng.standard_normal((64, 10)), "b": np.zeros(10)}
small = {"X": X[train[:50]], "Y": Y[train[:50]], "lam": 1e-3}
report = ck.gradcheck(loss, at=at, params=small, method="central")
print(report.summary())
print(f"gradcheck ok: {report.ok}")

steps = _common.size(300, 150)
result = ck.minimize(loss, wrt="W b", x0={"W": np.zeros((64, 10)), "b": np.zeros(10)},
                     optimizer="adam", lr=0.05, steps=steps, batch_size=128, seed=0,
                     params=data)
for step in range(0, steps + 1, steps // 5):
    print(f"step {step:3d}: minibatch loss {result.losses[step]:.4f}")
W, b = result.x["W"], result.x["b"]
accuracy = np.mean(np.argmax(X[test] @ W + b, axis=1) == labels[test])
print(f"Held-out accuracy ({len(test)} images): {accuracy:.4f}")

import matplotlib.pyplot as plt  # noqa: E402

fig, axes = plt.subplots(2, 5, figsize=(10, 4.4), layout="constrained")
for digit, ax in enumerate(axes.ravel()):
    top = float(np.abs(W[:, digit]).max())
    ax.imshow(W[:, digit].reshape(8, 8), cmap="RdBu_r", vmin=-top, vmax=top)
    ax.set_title(f"W[:, {digit}]")
    ax.set_xticks([])
    ax.set_yticks([])
_common.save(fig, "25_softmax_digits.png")
