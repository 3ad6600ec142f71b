"""The common derivative rules, derived (not typed in) and shown as a table.

Seed: the "Common Derivative Rules" cell, which prints a hand-written list.
"""

import _common
import sympy as sp

import calckit as ck

x = sp.Symbol("x", real=True)
n = sp.Symbol("n", real=True)
c = sp.Symbol("c", real=True)
g = sp.Function("g")(x)
h = sp.Function("h")(x)
outer = sp.Function("f")

rules = [
    ("Constant", c),
    ("Linear", x),
    ("Power", x**2),
    ("Power (general)", x**n),
    ("Exponential", sp.exp(x)),
    ("Natural log", sp.log(x)),
    ("Sum", g + h),
    ("Product", g * h),
    ("Chain rule", outer(g)),
]

_common.banner("COMMON DERIVATIVE RULES")
for name, expr in rules:
    print(f"{name:20} f(x) = {str(expr):20} -> f'(x) = {ck.derivative(expr, x)}")
print("=" * 60)
print("Chain rule is CRITICAL for backpropagation!")

# calckit's built-in table of the rules, with second derivatives too.
_common.banner("RULES TABLE (calckit.tables.rules_table)")
print(ck.tables.rules_table(orders=(0, 1, 2)))

# The same rules on concrete functions, as a derivative table (f, f', f'').
table = ck.derivative_table(
    ["7", "x", "x**2", "x**5", "exp(x)", "log(x)", "sin(x) + x**3",
     "x**2*sin(x)", "sin(x**2)", "sigmoid(x)"],
    wrt="x",
    orders=(0, 1, 2),
    at=[0.5, 2.0],
)
_common.banner("DERIVATIVE TABLE (with values at x = 0.5 and x = 2)")
print(table)
_common.banner("Markdown")
print(table.to_markdown())

# Every first derivative above, checked against numeric differentiation.
exprs = ["x**2", "x**5", "exp(x)", "log(x)", "x**2*sin(x)", "sin(x**2)", "sigmoid(x)"]
ok = all(ck.gradcheck(e, wrt="x", at={"x": 0.7}).ok for e in exprs)
print(f"gradcheck of all rows at x = 0.7: {ok}")
