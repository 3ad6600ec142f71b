"""Taylor polynomials of exp(x) with n = 1, 3, 5 terms, and their error bounds.

Seed: "Taylor Series in Machine Learning" (``taylor_series(x, n)`` sums the
first n terms, i.e. degree n - 1; it uses ``np.math.factorial``, which no
longer exists in NumPy 2). The Lagrange remainder bound on [-2, 2] is printed
beside the measured maximum error; the bound is rigorous (interval
arithmetic on the next derivative, not sampling).
"""

import _common
import numpy as np
import sympy as sp

import calckit as ck

f = ck.parse("exp(x)")
x = sorted(f.free_symbols, key=str)[0]
a, b = -2.0, 2.0
grid = np.linspace(a, b, 2001)
exact = np.exp(grid)

print(f"Taylor polynomials of {f} about 0 on [{a}, {b}]")
print("n terms | degree | polynomial                               "
      "| max error | Lagrange bound")
print("-" * 100)
for n in (1, 3, 5):
    degree = n - 1
    poly = ck.taylor(f, wrt=[x], at=0, order=degree)
    values = ck.compile(poly, wrt=[x])(grid)
    err = np.max(np.abs(values - exact))
    # |R_d(x)| <= max|f^(d+1)| |x|^(d+1) / (d+1)!, max taken rigorously
    bound = ck.remainder_bound(f, wrt=[x], at=0, order=degree, interval=(a, b)).bound
    assert err <= bound
    print(f"{n:7} | {degree:6} | {str(sp.expand(poly)):40} | {err:9.4f} | "
          f"{bound:.4f}")

# The polynomial's derivatives at 0 match exp's up to the order.
poly = ck.taylor(f, wrt=[x], at=0, order=4)
print("derivatives at 0:", [ck.derivative(poly, x, k).subs(x, 0) for k in range(5)])

_common.save(ck.plot.taylor(f, var=x, at=0, orders=(0, 2, 4), xlim=(a, b)),
             "16_taylor_exp.png")
