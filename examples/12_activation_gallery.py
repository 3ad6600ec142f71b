"""A gallery of activation functions with their exact derivatives.

Seed: "Activation Functions" (sigmoid, tanh, ReLU, leaky ReLU, ELU, swish) and
the sigmoid slides, whose ``sigmoid_derivative`` variants disagree on whether
they take the input or the activation. Here the derivative is derived.
"""

import _common
import numpy as np
import sympy as sp

import calckit as ck

names = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "swish",
         "gelu", "softplus", "mish"]
x = sp.Symbol("x", real=True)

z = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
print(f"z = {z}")
print(f"{'name':12} {'f(z)':>50}   f'(z)")
for name in names:
    f = ck.activations.get(name)(x)
    values = ck.compile(f, wrt=[x])(z)
    slopes = ck.compile_grad(f, wrt=[x])(z)[:, 0]
    print(f"{name:12} {np.array2string(values, precision=4):>50}   "
          f"{np.array2string(slopes, precision=4)}")

# Stable at the extremes: no overflow warning, no nan.
far = np.array([-1000.0, 1000.0])
sig = ck.compile(ck.activations.sigmoid(x), wrt=[x])
print(f"\nsigmoid({far}) = {sig(far)}  (a naive 1/(1+exp(-z)) overflows)")

# Every derivative checked against numeric differentiation, away from kinks.
points = np.array([[-1.7], [-0.3], [0.4], [2.2]])
ok = {name: ck.gradcheck(ck.activations.get(name)(x), wrt=[x], at=points).ok
      for name in names}
print(f"gradcheck: {ok}")

print()
print(ck.derivative_table([ck.activations.get(n)(x) for n in names[:6]],
                          wrt=[x], orders=(0, 1), names=names[:6]))

_common.save(ck.plot.activations(names), "12_activations.png")
