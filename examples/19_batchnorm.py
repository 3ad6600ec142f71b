"""BatchNorm forward (train and eval modes) and backward.

Seed: "Batch Normalization Implementation" (forward only). calckit's layer
follows PyTorch: biased variance to normalise, unbiased variance in the running
estimate, momentum 0.1, eps 1e-5.
"""

import _common  # noqa: F401
import numpy as np

import calckit as ck

rng = np.random.default_rng(0)
x = rng.normal(loc=5.0, scale=3.0, size=(16, 3))

bn = ck.nn.BatchNorm(3)
y = bn.forward(x, training=True)
print(f"input  mean {np.round(x.mean(0), 4)}, var {np.round(x.var(0), 4)}")
print(f"output mean {np.round(y.mean(0), 6) + 0.0}, var {np.round(y.var(0), 4)}")
print(f"running_mean {np.round(bn.buffers['running_mean'], 4)}")
print(f"running_var  {np.round(bn.buffers['running_var'], 4)}")

grad_out = rng.standard_normal(y.shape)
grad_in = bn.backward(grad_out)
print(f"dL/dx shape {grad_in.shape}; column sums {np.round(grad_in.sum(0), 12) + 0.0}"
      " (normalisation removes the mean direction)")
print(f"dL/dgamma {np.round(bn.grads['gamma'], 4)}")
print(f"dL/dbeta  {np.round(bn.grads['beta'], 4)}")

y_eval = bn.forward(x, training=False)
expected = (x - bn.buffers["running_mean"]) / np.sqrt(bn.buffers["running_var"] + 1e-5)
print(f"eval mode uses running statistics: {np.allclose(y_eval, expected)}")

model = ck.nn.Sequential([ck.nn.Dense(3, 4), ck.nn.BatchNorm(4)], seed=0)
target = rng.standard_normal((16, 4))
print(f"BatchNorm gradcheck ok: {model.gradcheck(x, target, 'mse').ok}")
