"""Rosenblatt's perceptron with the classic update rule.

For each sample in turn (shuffled by ``seed`` each epoch), predict
``yhat = 1 if x . w + b > 0 else 0`` and update ``w += lr * (y - yhat) * x``,
``b += lr * (y - yhat)``; stop after an epoch without mistakes.

>>> import numpy as np
>>> from calckit.nn import Perceptron
>>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
>>> p = Perceptron(2).fit(X, np.array([0, 0, 0, 1]))   # logical AND
>>> p.predict(X), p.converged
(array([0, 0, 0, 1]), True)
"""

from __future__ import annotations

import numpy as np

from calckit._validate import Interval, check, positive_int
from calckit.errors import (
    CalckitTypeError,
    InvalidParameterError,
    NumericError,
    ShapeError,
)
from calckit.nn._init import as_rng

__all__ = ["Perceptron"]


class Perceptron:
    """Binary perceptron on labels {0, 1} (or {-1, 1}, mapped to {0, 1}).

    Parameters
    ----------
    n_features : int
    lr : float
        Learning rate (the classic rule uses 1).

    Attributes
    ----------
    w, b : weights (zeros at start) and bias
    errors : list of int
        Mistakes (updates) per epoch.
    converged : bool
        True when the last epoch had no mistakes.
    """

    def __init__(self, n_features: int, *, lr: float = 1.0) -> None:
        self.n_features = positive_int(n_features, "n_features", "Perceptron")
        check(lr, Interval(0.0, None, closed="neither"), "lr", "Perceptron")
        self.lr = float(lr)
        self.w = np.zeros(self.n_features)
        self.b = 0.0
        self.errors: list[int] = []
        self.converged = False

    def _check(self, X):
        try:
            X = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise CalckitTypeError(
                f"Perceptron({self.n_features}) needs X of numbers, got "
                f"{type(X).__name__}") from exc
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ShapeError(
                f"Perceptron({self.n_features}) expected X of shape (N, "
                f"{self.n_features}), got {X.shape}")
        return X

    def decision_function(self, X) -> np.ndarray:
        return self._check(X) @ self.w + self.b

    def predict(self, X) -> np.ndarray:
        return (self.decision_function(X) > 0).astype(np.int64)

    def fit(self, X, y, *, epochs: int = 100, seed=None, shuffle: bool = True):
        """Run the perceptron rule until an epoch has no mistakes (or ``epochs``).

        Every call starts again from zero weights (as scikit-learn's ``fit``),
        so fitting new data does not depend on an earlier fit.
        """
        epochs = positive_int(epochs, "epochs", "Perceptron.fit")
        X = self._check(X)
        if not np.all(np.isfinite(X)):
            raise NumericError("Perceptron.fit: X contains nan or inf")
        y = np.asarray(y)
        if y.shape != (len(X),):
            raise ShapeError(f"y must have shape ({len(X)},), got {y.shape}")
        if len(X) == 0:
            raise ShapeError("Perceptron.fit needs at least one sample, got X of "
                             f"shape {X.shape}")
        labels = set(np.unique(y).tolist())
        if labels <= {-1, 1} and -1 in labels:
            y = (y > 0).astype(np.int64)
        elif not labels <= {0, 1}:
            raise InvalidParameterError(
                f"Perceptron labels must be 0/1 or -1/1, got {sorted(labels)}")
        gen = as_rng(seed)
        self.w = np.zeros(self.n_features)
        self.b = 0.0
        self.errors = []
        for _ in range(epochs):
            order = gen.permutation(len(X)) if shuffle else range(len(X))
            mistakes = 0
            for i in order:
                xi = X[i]
                err = y[i] - (1 if xi @ self.w + self.b > 0 else 0)
                if err:
                    self.w += self.lr * err * xi
                    self.b += self.lr * err
                    mistakes += 1
            self.errors.append(mistakes)
            if mistakes == 0:
                self.converged = True
                return self
        self.converged = False
        return self

    def __repr__(self) -> str:
        return f"Perceptron({self.n_features}, lr={self.lr:g})"
