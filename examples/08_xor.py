"""XOR with a 2-4-1 sigmoid network trained by plain gradient descent.

Seed: the "MINI CHALLENGE: Train a Neural Network!" cells (learning rate 0.5,
10 000 full-batch epochs, MSE loss). Backprop is calckit's, checked against
numeric differentiation before training.
"""

import _common
import matplotlib.pyplot as plt
import numpy as np

import calckit as ck

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
y = np.array([[0], [1], [1], [0]], dtype=float)

print("XOR Problem (Requires Non-Linear Model)\n")
print("Input -> Output")
for xi, yi in zip(X, y, strict=True):
    print(f"{xi.astype(int)} -> {int(yi[0])}")

model = ck.nn.Sequential(
    [ck.nn.Dense(2, 4), ck.nn.Activation("sigmoid"),
     ck.nn.Dense(4, 1), ck.nn.Activation("sigmoid")],
    seed=42,
)
print(f"\ngradcheck before training ok: {model.gradcheck(X, y, 'mse').ok}")

epochs = _common.size(10_000, 3000)
history = model.fit(X, y, loss="mse", optimizer=ck.optim.SGD(lr=0.5),
                    epochs=epochs, batch_size=4, seed=42, progress=False)
losses = np.asarray(history.loss)
for epoch in range(0, epochs, 2000):
    print(f"Epoch {epoch:5d}: Loss = {losses[epoch]:.6f}")
print(f"Epoch {epochs - 1:5d}: Loss = {losses[-1]:.6f}")

pred = model.predict(X)[:, 0]
print("\n" + "=" * 60)
print("TRAINED NETWORK PREDICTIONS:\n")
print("Input    | True | Predicted | Rounded")
print("-" * 60)
for xi, yi, p in zip(X, y, pred, strict=True):
    print(f"{xi.astype(int)}  |  {int(yi[0])}   |   {p:.4f}   |    {round(p)}")
accuracy = np.mean(np.round(pred) == y[:, 0])
print(f"\naccuracy: {accuracy:.2f}")

fig, ax = plt.subplots(figsize=(8, 4.5))
ax.plot(losses, lw=2)
ax.set(xlabel="Epoch", ylabel="Loss (MSE)", yscale="log",
       title="Neural Network Training: XOR Problem")
ax.grid(alpha=0.3)
_common.save(fig, "08_xor_loss.png")
