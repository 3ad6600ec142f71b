"""A tanh RNN: forward pass over a sequence and backprop through time.

Seed: "Calculus in Recurrent Neural Networks" (forward only, hidden size 3,
input size 2, sequence length 4).
"""

import _common  # noqa: F401
import numpy as np

import calckit as ck

rng = np.random.default_rng(0)
hidden_size, sequence_length, input_size = 3, 4, 2
x = rng.standard_normal((1, sequence_length, input_size))

model = ck.nn.Sequential(
    [ck.nn.RNN(input_size, hidden_size), ck.nn.Flatten(),
     ck.nn.Dense(sequence_length * hidden_size, input_size)],
    seed=0,
)
rnn = model[0]
h = rnn.forward(x)
print(f"params: {[f'{k} {v.shape}' for k, v in rnn.params.items()]}")
print(f"hidden states (batch, time, hidden) = {h.shape}:")
print(np.round(h[0], 6))
print(f"output: {np.round(model.predict(x), 6)}")

# Backprop through time: the gradient of sum(h_T) reaches every time step.
grad_out = np.zeros_like(h)
grad_out[:, -1, :] = 1.0
grad_x = rnn.backward(grad_out)
print("dL/dx_t for L = sum(h_T), per time step:")
print(np.round(grad_x[0], 6))
for key, g in rnn.grads.items():
    print(f"dL/d{key}: norm {np.linalg.norm(g):.6f}")

target = rng.standard_normal((1, input_size))
print(f"BPTT gradcheck ok: {model.gradcheck(x, target, 'mse').ok}")
