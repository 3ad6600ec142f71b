"""f(x) = x**2 + 5x + 6, its derivative, and its minimum.

Seed: "Optimization" and "Gradient Descent: Calculus in Action" slides
(start 0, learning rate 0.1, 100 iterations).
"""

import _common
import sympy as sp

import calckit as ck

f = ck.parse("x**2 + 5*x + 6")
df = ck.derivative(f, "x")
print(f"f(x) = {f}")
print(f"f'(x) = {df}")
x = sorted(f.free_symbols, key=str)[0]
critical = sp.solve(sp.Eq(df, 0), x)
print(f"f'(x) = 0 at x = {critical}  (exact), f = {f.subs(x, critical[0])}")

r = ck.minimize(f, wrt="x", x0=[0.0], optimizer="sgd", lr=0.1, steps=100)
print(f"Minimum found at x = {r.x[0]:.2f}")
print(f"f(x) at minimum = {r.fun:.2f}")
print(f"gradcheck ok: {ck.gradcheck(f, wrt='x', at={'x': 0.3}).ok}")

_common.save(ck.plot.derivatives(f, var="x", orders=(0, 1), xlim=(-10, 5)),
             "14_function_and_derivative.png")
