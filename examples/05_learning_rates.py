"""The four-panel learning-rate comparison on f(x) = x**2 + 10.

Seed: the "Learning Rate - The Most Important Hyperparameter!" cell.
"""

import _common

import calckit as ck

f = "x**2 + 10"
learning_rates = [0.01, 0.1, 0.5, 1.0]

report = ck.gradcheck(f, wrt="x", at=[[-5.0], [-0.3], [2.0], [5.0]])
print(f"gradcheck of f' = {ck.derivative(f, 'x')} ok: {report.ok}")

print("lr    | x after 20 steps | f(x)      | converged | diverged")
print("-" * 60)
for lr in learning_rates:
    r = ck.minimize(f, wrt="x", x0=[5.0], optimizer="sgd", lr=lr, steps=20)
    print(f"{lr:<5} | {r.x[0]:16.6f} | {r.fun:9.4f} | {r.converged!s:9} | "
          f"{r.diverged}")

# lr = 1.1 really diverges; minimize reports it instead of crashing.
r = ck.minimize(f, wrt="x", x0=[5.0], optimizer="sgd", lr=1.1, steps=2000)
print(f"lr = 1.1: diverged={r.diverged}: {r.message}")

print("\nLearning Rate Effects:")
print("  Too small (0.01): Slow convergence, many iterations needed")
print("  Just right (0.1): Fast, stable convergence")
print("  Too large (0.5): Reaches the minimum in one step for this quadratic")
print("  Way too large (1.0): Oscillates between 5 and -5 forever")

fig = ck.plot.learning_rates(f, wrt="x", x0=5.0, lrs=learning_rates, steps=20)
_common.save(fig, "05_learning_rates.png")
