"""P(-1 < X < 1) for a standard normal, by exact symbolic integration.

Seed: "Integrals in Probability and Statistics" (which calls scipy.stats).
The density is integrated exactly with SymPy, evaluated, and checked against a
numeric quadrature of calckit's compiled density and scipy.stats.
"""

import _common
import matplotlib.pyplot as plt
import numpy as np
import scipy.integrate
import scipy.stats
import sympy as sp

import calckit as ck

pdf = ck.parse("exp(-x**2/2)/sqrt(2*pi)")
x = sorted(pdf.free_symbols, key=str)[0]
prob = sp.integrate(pdf, (x, -1, 1))
print(f"pdf(x) = {pdf}")
print(f"P(-1 < X < 1) = {prob} = {float(prob):.10f}")
print(f"total mass = {sp.integrate(pdf, (x, -sp.oo, sp.oo))}")

density = ck.compile(pdf, wrt=[x])
quad, quad_err = scipy.integrate.quad(lambda t: float(density(t)), -1, 1)
stats = scipy.stats.norm.cdf(1) - scipy.stats.norm.cdf(-1)
print(f"numeric quadrature    = {quad:.10f} (estimated error {quad_err:.1e})")
print(f"scipy.stats cdf       = {stats:.10f}")
print(f"|symbolic - numeric|  = {abs(float(prob) - quad):.1e}")

# The density's slope: exact derivative, checked numerically.
print(f"pdf'(x) = {ck.derivative(pdf, x)}")
report = ck.gradcheck(pdf, wrt=[x], at=np.array([[-1.5], [0.2], [1.0]]))
print(f"gradcheck ok: {report.ok}")

grid = np.linspace(-3, 3, 300)
y = density(grid)
fig, ax = plt.subplots(figsize=(8, 4.5))
ax.plot(grid, y, "b", label="Normal density")
ax.fill_between(grid, y, where=(grid >= -1) & (grid <= 1), color="red", alpha=0.3)
ax.set(title=f"Normal Distribution: P(-1 < X < 1) = {float(prob):.4f}",
       xlabel="X", ylabel="Probability density")
ax.legend()
ax.grid(alpha=0.3)
_common.save(fig, "17_normal_probability.png")
