"""The derivation panel of issue 16 as SymPy expressions.

Each problem is a scalar ``f`` written the way a user writes it: a sum of
squared residuals with the data baked in as numbers (Moré, Garbow and
Hillstrom, "Testing unconstrained optimization software", ACM TOMS 7, 1981,
standard sizes and data), plus the extended Rosenbrock function, the
logistic loss of one sample with ``d`` weights (features and label are
parameters, so one call at 10 000 points evaluates 10 000 samples) and a
product of distinct sines.

Every builder returns a :class:`Problem`: the expression, its variables,
its parameters and the standard starting point (parameters: a generator of
values).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

__all__ = ["Problem", "PANEL", "gulf", "osborne1", "osborne2", "watson",
           "rosenbrock", "logistic", "sines"]


@dataclass(frozen=True)
class Problem:
    name: str
    expr: sp.Expr
    wrt: tuple
    params: tuple = ()
    x0: tuple = ()
    param_values: tuple = field(default=())


def _xs(n: int) -> tuple:
    return tuple(sp.symbols(f"x1:{n + 1}", real=True))


def _sum_squares(residuals) -> sp.Expr:
    return sp.Add(*[r**2 for r in residuals])


def gulf(m: int = 99) -> Problem:
    """MGH #11, Gulf research and development, n = 3, 3 <= m <= 100."""
    x1, x2, x3 = x = _xs(3)
    res = []
    for i in range(1, m + 1):
        t = i / 100
        y = 25 + (-50 * math.log(t)) ** (2 / 3)
        res.append(sp.exp(-sp.Abs(y - x2) ** x3 / x1) - t)
    return Problem(f"Gulf research m={m}", _sum_squares(res), x, (), (5, 2.5, 0.15))


OSBORNE1_Y = (0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818,
              0.784, 0.751, 0.718, 0.685, 0.658, 0.628, 0.603, 0.580, 0.558,
              0.538, 0.522, 0.506, 0.490, 0.478, 0.467, 0.457, 0.448, 0.438,
              0.431, 0.424, 0.420, 0.414, 0.411, 0.406)


def osborne1(m: int = 33) -> Problem:
    """MGH #17, Osborne 1, n = 5, m = 33."""
    x1, x2, x3, x4, x5 = x = _xs(5)
    res = []
    for i in range(m):
        t = 10.0 * i
        res.append(OSBORNE1_Y[i] - (x1 + x2 * sp.exp(-t * x4) + x3 * sp.exp(-t * x5)))
    return Problem(f"Osborne 1 m={m}", _sum_squares(res), x, (),
                   (0.5, 1.5, -1.0, 0.01, 0.02))


OSBORNE2_Y = (1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786,
              0.725, 0.746, 0.679, 0.608, 0.655, 0.616, 0.606, 0.602, 0.626,
              0.651, 0.724, 0.649, 0.649, 0.694, 0.644, 0.624, 0.661, 0.612,
              0.558, 0.533, 0.495, 0.500, 0.423, 0.395, 0.375, 0.372, 0.391,
              0.396, 0.405, 0.428, 0.429, 0.523, 0.562, 0.607, 0.653, 0.672,
              0.708, 0.633, 0.668, 0.645, 0.632, 0.591, 0.559, 0.597, 0.625,
              0.739, 0.710, 0.729, 0.720, 0.636, 0.581, 0.428, 0.292, 0.162,
              0.098, 0.054)


def osborne2(m: int = 65) -> Problem:
    """MGH #19, Osborne 2, n = 11, m = 65."""
    x = _xs(11)
    res = []
    for i in range(m):
        t = i / 10
        model = (x[0] * sp.exp(-t * x[4])
                 + x[1] * sp.exp(-(t - x[8]) ** 2 * x[5])
                 + x[2] * sp.exp(-(t - x[9]) ** 2 * x[6])
                 + x[3] * sp.exp(-(t - x[10]) ** 2 * x[7]))
        res.append(OSBORNE2_Y[i] - model)
    return Problem(f"Osborne 2 m={m}", _sum_squares(res), x, (),
                   (1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5))


def watson(n: int = 6) -> Problem:
    """MGH #20, Watson, 2 <= n <= 31, m = 31."""
    x = _xs(n)
    res = []
    for i in range(1, 30):
        t = i / 29
        s1 = sp.Add(*[(j - 1) * x[j - 1] * t ** (j - 2) for j in range(2, n + 1)])
        s2 = sp.Add(*[x[j - 1] * t ** (j - 1) for j in range(1, n + 1)])
        res.append(s1 - s2**2 - 1)
    res += [x[0], x[1] - x[0] ** 2 - 1]
    return Problem(f"Watson n={n}", _sum_squares(res), x, (), (0.0,) * n)


def rosenbrock(n: int = 200) -> Problem:
    """MGH #21, extended Rosenbrock, n even."""
    x = _xs(n)
    terms = []
    for i in range(0, n, 2):
        terms += [100 * (x[i + 1] - x[i] ** 2) ** 2, (1 - x[i]) ** 2]
    return Problem(f"ext. Rosenbrock N={n}", sp.Add(*terms), x, (),
                   (-1.2, 1.0) * (n // 2))


def logistic(d: int = 64) -> Problem:
    """Logistic loss of one sample (features ``a1..ad``, label ``y`` in
    {-1, 1} as parameters) in the weights ``w1..wd``."""
    w = tuple(sp.symbols(f"w1:{d + 1}", real=True))
    a = tuple(sp.symbols(f"a1:{d + 1}", real=True))
    y = sp.Symbol("y", real=True)
    u = sp.Add(*[wi * ai for wi, ai in zip(w, a, strict=True)])
    expr = sp.log(1 + sp.exp(-y * u))
    return Problem(f"logistic per sample d={d}", expr, w, (*a, y),
                   tuple(np.linspace(-0.5, 0.5, d)))


def sines(n: int = 30) -> Problem:
    """Product of ``n`` distinct sines, ``sin(x1)*...*sin(xn)``."""
    x = _xs(n)
    return Problem(f"product of {n} sines", sp.Mul(*[sp.sin(v) for v in x]), x, (),
                   tuple(np.linspace(0.3, 1.2, n)))


def param_values(problem: Problem, points: int, seed: int = 0) -> list:
    """Values for the parameters of ``problem`` at ``points`` points
    (``points = 1``: scalars)."""
    rng = np.random.default_rng(seed)
    out = []
    for p in problem.params:
        if p.name == "y":
            v = np.where(rng.random(points) < 0.5, -1.0, 1.0)
        else:
            v = rng.normal(size=points)
        out.append(float(v[0]) if points == 1 else v)
    return out


#: the panel of issue 16, in its order
PANEL = (
    lambda: gulf(99),
    lambda: osborne2(65),
    lambda: osborne1(33),
    lambda: watson(6),
    lambda: logistic(64),
    lambda: sines(30),
    lambda: rosenbrock(200),
    lambda: rosenbrock(1000),
)
