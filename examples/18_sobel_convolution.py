"""Sobel edge detection with calckit's vectorised Conv2D layer.

Seed: "Calculus in Convolutional Neural Networks" (a Python double loop;
another seed has a 5-deep loop). Like every deep-learning "convolution" this is
a cross-correlation; it is checked against scipy.signal.correlate2d, and the
layer's backward pass against numeric differentiation.
"""

import _common
import numpy as np
import scipy.signal

import calckit as ck

rng = np.random.default_rng(0)
image = np.zeros((32, 32))
image[8:24, 8:24] = 1.0  # a bright square: vertical edges at columns 8 and 24
image += 0.05 * rng.standard_normal(image.shape)
sobel_x = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)

conv = ck.nn.Conv2D(1, 1, 3)
conv.params["W"][...] = sobel_x[None, None]
conv.params["b"][...] = 0.0
edges = conv.forward(image[None, None], training=False)[0, 0]

reference = scipy.signal.correlate2d(image, sobel_x, mode="valid")
print(f"input {image.shape} -> output {edges.shape}")
difference = np.max(np.abs(edges - reference))
print(f"max |Conv2D - scipy.signal.correlate2d| = {difference:.2e}")
columns = sorted(np.argsort(np.abs(edges).max(axis=0))[-4:].tolist())
print(f"strongest responses in output columns {columns}"
      " (the square's vertical edges at input columns 8 and 24)")

# Backward pass of a small conv network, checked against numeric differentiation.
model = ck.nn.Sequential([ck.nn.Conv2D(1, 2, 3, padding=1), ck.nn.Flatten()], seed=0)
xb = rng.standard_normal((2, 1, 5, 5))
target = rng.standard_normal((2, 2 * 5 * 5))
print(f"Conv2D gradcheck ok: {model.gradcheck(xb, target, 'mse').ok}")

# the kernel shows its values; the response is signed (+ where the image
# gets darker to the right, - where it gets brighter), so a diverging map
fig = _common.image_row([("Original image", image, "gray"),
                         ("Kernel (Sobel x)", sobel_x, "RdBu_r"),
                         ("Convolved image (signed response)", edges, "RdBu_r")])
_common.save(fig, "18_sobel.png")
