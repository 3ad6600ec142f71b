"""Time-series prediction from a 60-step window on a synthetic seasonal series.

Seed: "Real-World Example - Time Series Prediction" (downloads stock prices with
yfinance and trains a 60-32-1 sigmoid network with Adam, 50 epochs, batch 32).
Here the series comes from ``calckit.datasets`` (no network access). A linear
autoregressive baseline (least squares on the same windows) is printed beside
the network.
"""

import _common
import matplotlib.pyplot as plt
import numpy as np

import calckit as ck

lookback = 60
t, series = ck.datasets.seasonal_series(n_steps=_common.size(1000, 300), seed=0)
lo, hi = series.min(), series.max()
scaled = (series - lo) / (hi - lo)  # min-max scaling, as the seed's MinMaxScaler
X, y = ck.datasets.windows(scaled, lookback)
split = int(0.8 * len(X))
X_train, y_train, X_test, y_test = X[:split], y[:split], X[split:], y[split:]
print(f"series of {len(series)} points -> {len(X)} windows of {lookback} steps "
      f"({len(X_train)} train / {len(X_test)} test)")

# Linear autoregressive baseline: y_t = w . window + b by least squares.
A = np.c_[X_train, np.ones(len(X_train))]
coef, *_ = np.linalg.lstsq(A, y_train, rcond=None)
baseline = np.c_[X_test, np.ones(len(X_test))] @ coef
print(f"linear AR(60) test MSE: {np.mean((baseline - y_test) ** 2):.6f}")

model = ck.nn.Sequential(
    [ck.nn.Dense(lookback, 32), ck.nn.Activation("sigmoid"), ck.nn.Dense(32, 1)],
    seed=0,
)
print(f"gradcheck ok: {model.gradcheck(X_train[:8], y_train[:8], 'mse').ok}")
epochs = _common.size(50, 5)
history = model.fit(X_train, y_train, loss="mse", optimizer=ck.optim.Adam(lr=1e-3),
                    epochs=epochs, batch_size=32, seed=0, progress=False)
losses = np.asarray(history.loss)
for epoch, loss in enumerate(losses):
    print(f"Epoch {epoch + 1}/{epochs}, Loss: {loss:.4f}")
print(f"Final Training Loss: {losses[-1]:.4f}")
pred = model.predict(X_test)[:, 0]
print(f"network test MSE: {np.mean((pred - y_test) ** 2):.6f}")

fig, ax = plt.subplots(figsize=(10, 4))
t = t[lookback + split:]
ax.plot(t, y_test * (hi - lo) + lo, "k-", lw=1, label="series")
ax.plot(t, baseline * (hi - lo) + lo, "C0--", label="linear AR(60)")
ax.plot(t, pred * (hi - lo) + lo, "C3-", alpha=0.8, label="60-32-1 network")
ax.set(xlabel="t", ylabel="value", title="One-step-ahead prediction (test part)")
ax.legend()
ax.grid(alpha=0.3)
_common.save(fig, "21_time_series.png")
