"""The practice exercise: a 2-8-4-1 ReLU network trained with Adam.

Seed: "Practice Exercise" (architecture 2 -> 8 -> 4 -> 1, non-linear
classification data, ReLU, Adam, plot the decision boundary). The output layer
gives logits and the loss is the fused, overflow-free ``bce_with_logits``.
"""

import _common
import numpy as np

import calckit as ck

n = _common.size(400, 120)
X, y = ck.datasets.circles(n_samples=n, noise=0.1, seed=0)

model = ck.nn.Sequential(
    [ck.nn.Dense(2, 8), ck.nn.Activation("relu"),
     ck.nn.Dense(8, 4), ck.nn.Activation("relu"),
     ck.nn.Dense(4, 1)],
    seed=0,
)
print(model)

epochs = _common.size(300, 40)
history = model.fit(X, y, loss="bce_with_logits", optimizer=ck.optim.Adam(lr=0.01),
                    epochs=epochs, batch_size=32, seed=0, progress=False)
losses = np.asarray(history.loss)
for epoch in range(0, epochs, max(1, epochs // 5)):
    print(f"Epoch {epoch:4d}: loss = {losses[epoch]:.4f}")
logits = model.predict(X)[:, 0]
accuracy = np.mean((logits > 0) == (y > 0.5))
print(f"final loss = {losses[-1]:.4f}, training accuracy = {accuracy:.3f}")

# Checked after training: at initialisation the biases are exactly 0, so a
# sample whose hidden units are all off puts a ReLU exactly on its kink.
report = model.gradcheck(X[:16], y[:16], "bce_with_logits")
print(report)
print(f"gradcheck after training (backprop vs numeric) ok: {report.ok}")

# predict gives logits, so the boundary is at 0
fig = ck.plot.decision_boundary(model, X, y, threshold=0.0)
_common.save(fig, "09_decision_boundary.png")
_common.save(ck.plot.loss_curves({"Adam, lr=0.01": losses}), "09_loss.png")
