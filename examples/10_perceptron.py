"""The classic perceptron rule on a linearly separable data set.

Seed: "The Perceptron" cells (learning rate 0.01, step activation, decision
boundary plot).
"""

import _common
import numpy as np

import calckit as ck

n = _common.size(100, 40)
X, y = ck.datasets.blobs(n_samples=n, seed=42)

perceptron = ck.nn.Perceptron(2, lr=0.01)
perceptron.fit(X, y, epochs=_common.size(1000, 100), seed=42)
accuracy = np.mean(perceptron.predict(X) == y)
print(f"mistakes per epoch: {perceptron.errors[:10]}"
      f"{' ...' if len(perceptron.errors) > 10 else ''}")
print(f"converged after {len(perceptron.errors)} epochs: {perceptron.converged}")
print(f"weights = {np.round(perceptron.w, 4)}, bias = {float(perceptron.b):.4f}")
print(f"training accuracy = {accuracy:.3f}")

_common.save(ck.plot.decision_boundary(perceptron, X, y,
                                       title="Perceptron Decision Boundary"),
             "10_perceptron.png")
