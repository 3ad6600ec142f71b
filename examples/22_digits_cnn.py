"""A small CNN on scikit-learn's 8x8 digits (instead of MNIST).

Seed: "Real-Life Example: Image Classification" (a TensorFlow CNN on MNIST,
which needs a download). scikit-learn is optional: without it, a synthetic
stand-in (noisy prototypes of 10 classes) is used and the example says so.
"""

import _common
import numpy as np

import calckit as ck


def load_digits():
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError:
        print("scikit-learn is not installed: using synthetic 8x8 'digits' "
              "(pip install scikit-learn for the real data set)")
        rng = np.random.default_rng(0)
        prototypes = rng.uniform(0, 16, size=(10, 8, 8))
        labels = rng.integers(0, 10, size=1797)
        images = prototypes[labels] + rng.normal(0, 3, size=(1797, 8, 8))
        return np.clip(images, 0, 16), labels
    digits = sk_load_digits()
    print("scikit-learn digits: 1797 images of 8x8 pixels, 10 classes")
    return digits.images, digits.target


images, labels = load_digits()
X = (images / 16.0)[:, None, :, :]  # NCHW, values in [0, 1]
rng = np.random.default_rng(0)
order = rng.permutation(len(X))
n_train = _common.size(1400, 300)
n_test = _common.size(397, 100)
train, test = order[:n_train], order[n_train:n_train + n_test]

channels, hidden = _common.size((8, 32), (2, 8))
model = ck.nn.Sequential(
    [ck.nn.Conv2D(1, channels, 3, padding=1), ck.nn.Activation("relu"),
     ck.nn.MaxPool2D(2), ck.nn.Flatten(),
     ck.nn.Dense(channels * 4 * 4, hidden), ck.nn.Activation("relu"),
     ck.nn.Dense(hidden, 10)],
    seed=0,
)
print(model)
# The digits have many exact zeros, where relu and max pooling have kinks and
# one-sided numeric derivatives disagree with any subgradient: check the
# gradient at slightly perturbed images instead.
X_check = X[train[:4]] + 0.01 * rng.standard_normal(X[train[:4]].shape)
report = model.gradcheck(X_check, labels[train[:4]], "softmax_cross_entropy")
print(report)
print(f"gradcheck (conv, pool, dense, softmax cross entropy) ok: {report.ok}")

epochs = _common.size(8, 4)
history = model.fit(X[train], labels[train], loss="softmax_cross_entropy",
                    optimizer=ck.optim.Adam(lr=3e-3), epochs=epochs, batch_size=32,
                    seed=0, progress=False)
for epoch, loss in enumerate(np.asarray(history.loss)):
    print(f"Epoch {epoch + 1}/{epochs}: loss {loss:.4f}")
accuracy = np.mean(model.predict(X[test]).argmax(axis=1) == labels[test])
print(f"Final test accuracy: {accuracy:.4f}")
