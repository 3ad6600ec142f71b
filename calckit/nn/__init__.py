"""Neural networks trained by exact backprop (``calckit.nn``).

Layers are float64 NumPy with ``forward(x, training=True)`` and
``backward(grad_out)``; activations and losses come from their symbolic
definitions, differentiated and compiled by calckit.

>>> import numpy as np
>>> from calckit import nn, datasets
>>> X, y = datasets.xor()
>>> model = nn.Sequential([nn.Dense(2, 4), nn.Activation("sigmoid"),
...                        nn.Dense(4, 1), nn.Activation("sigmoid")], seed=0)
>>> hist = model.fit(X, y, loss="binary_cross_entropy", optimizer="adam", lr=0.05,
...                  epochs=300, batch_size=4, progress=False)
>>> (model.predict(X).ravel() > 0.5).astype(int)
array([0, 1, 1, 0])
"""

from calckit.nn._activation import Activation
from calckit.nn._base import Layer
from calckit.nn._batchnorm import BatchNorm
from calckit.nn._conv import Conv2D, MaxPool2D
from calckit.nn._equations import BackpropEquations, equations
from calckit.nn._fit import History, fit
from calckit.nn._layers import Dense, Flatten
from calckit.nn._perceptron import Perceptron
from calckit.nn._rnn import RNN
from calckit.nn._sequential import ModelGradcheckReport, Sequential

__all__ = [
    "Activation",
    "BackpropEquations",
    "BatchNorm",
    "Conv2D",
    "Dense",
    "Flatten",
    "History",
    "Layer",
    "MaxPool2D",
    "ModelGradcheckReport",
    "Perceptron",
    "RNN",
    "Sequential",
    "equations",
    "fit",
]
