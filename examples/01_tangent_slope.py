"""Derivative as the slope of the tangent line: f(x) = x**2 at x0 = 1.5.

Seed: the "Derivatives - Rate of Change" cell, which hard-codes f'(x) = 2x.
Here the derivative is exact (SymPy), compiled, and checked numerically.
"""

import _common

import calckit as ck

f = ck.parse("x**2")
df = ck.derivative(f, "x")
x0 = 1.5

value = float(ck.compile(f, wrt="x")(x0))
slope = float(ck.compile(df, wrt="x")(x0))

print(f"f(x) = {f},  f'(x) = {df}")
print(f"At x = {x0}:")
print(f"  Function value: f({x0}) = {value:.2f}")
print(f"  Derivative: f'({x0}) = {slope:.1f}")
print(f"  Meaning: At this point, y increases by {slope:.1f} "
      "for every unit increase in x")

report = ck.gradcheck(f, wrt="x", at={"x": x0})
print(f"gradcheck ok: {report.ok} (max rel error {report.max_rel_error:.1e})")

fig = ck.plot.tangent(f, at=x0, var="x", xlim=(-3, 3))
_common.save(fig, "01_tangent_slope.png")
