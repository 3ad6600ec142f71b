"""A 2-10-5-1 multi-layer perceptron on the two-moons data set.

Seed: the "Multi-Layer Perceptron (MLP)" cells (sigmoid hidden layers,
1000 iterations, printed loss every 100 epochs, decision boundary). The seed's
linear output with MSE is replaced by logits + ``bce_with_logits``.
"""

import _common
import numpy as np

import calckit as ck

n = _common.size(200, 100)
X, y = ck.datasets.moons(n_samples=n, noise=0.1, seed=42)

model = ck.nn.Sequential(
    [ck.nn.Dense(2, 10), ck.nn.Activation("sigmoid"),
     ck.nn.Dense(10, 5), ck.nn.Activation("sigmoid"),
     ck.nn.Dense(5, 1)],
    seed=42,
)
print(f"gradcheck ok: {model.gradcheck(X[:20], y[:20], 'bce_with_logits').ok}")

epochs = _common.size(1000, 100)
history = model.fit(X, y, loss="bce_with_logits", optimizer=ck.optim.Adam(lr=0.01),
                    epochs=epochs, batch_size=32, seed=42, progress=False)
losses = np.asarray(history.loss)
for epoch in range(0, epochs, 100):
    print(f"Epoch {epoch}, Loss: {losses[epoch]:.4f}")
accuracy = np.mean((model.predict(X)[:, 0] > 0) == (y > 0.5))
print(f"final loss = {losses[-1]:.4f}, training accuracy = {accuracy:.3f}")

_common.save(ck.plot.decision_boundary(model, X, y, threshold=0.0,
                                       title="MLP Decision Boundary"),
             "11_mlp_moons.png")
