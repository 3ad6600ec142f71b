"""The 35 test problems of Moré, Garbow and Hillstrom (1981), "Testing
Unconstrained Optimization Software", ACM TOMS 7(1), 17-41, as residual lists
of SymPy expressions: every problem is ``f(x) = sum_i r_i(x)**2``.

Sizes are the paper's standard ones (its variable-dimension problems at
``n = 10``, Watson at ``n = 6``, the linear problems at ``m = 20``), starting
points are the paper's, and ``fstar`` holds the minimum values of its table
(a tuple when the table lists several local minima reached from x0).

>>> p = PROBLEMS[9]
>>> p.number, p.name, len(p.x0), len(p.residuals()), p.fstar
(10, 'Meyer', 3, 16, (87.9458,))
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

__all__ = ["Problem", "PROBLEMS", "by_name"]


@dataclass(frozen=True)
class Problem:
    """One MGH problem: ``residuals()`` builds the ``m`` SymPy residuals over
    the symbols ``x1 .. xn``."""

    number: int
    name: str
    x0: tuple
    fstar: tuple
    build: Callable[[tuple], list]

    @property
    def n(self) -> int:
        return len(self.x0)

    def symbols(self) -> tuple:
        return sp.symbols(f"x1:{self.n + 1}", real=True)

    def residuals(self) -> list:
        return [sp.sympify(r) for r in self.build(self.symbols())]


def _f(*values) -> tuple:
    return tuple(float(v) for v in values)


R = sp.Rational
E = sp.exp


def rosenbrock(x):
    return [10 * (x[1] - x[0] ** 2), 1 - x[0]]


def freudenstein_roth(x):
    return [-13 + x[0] + ((5 - x[1]) * x[1] - 2) * x[1],
            -29 + x[0] + ((x[1] + 1) * x[1] - 14) * x[1]]


def powell_badly_scaled(x):
    return [10**4 * x[0] * x[1] - 1, E(-x[0]) + E(-x[1]) - sp.Float("1.0001")]


def brown_badly_scaled(x):
    return [x[0] - 10**6, x[1] - R(2, 10**6), x[0] * x[1] - 2]


def beale(x):
    y = (R(3, 2), R(9, 4), R(21, 8))
    return [y[i] - x[0] * (1 - x[1] ** (i + 1)) for i in range(3)]


def jennrich_sampson(x):
    return [2 + 2 * i - (E(i * x[0]) + E(i * x[1])) for i in range(1, 11)]


def helical_valley(x):
    theta = sp.atan(x[1] / x[0]) / (2 * sp.pi) + R(1, 2) * sp.Heaviside(-x[0])
    return [10 * (x[2] - 10 * theta), 10 * (sp.sqrt(x[0] ** 2 + x[1] ** 2) - 1), x[2]]


_BARD_Y = (0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73,
           0.96, 1.34, 2.10, 4.39)


def bard(x):
    out = []
    for i in range(1, 16):
        u, v = i, 16 - i
        w = min(u, v)
        out.append(sp.Float(_BARD_Y[i - 1]) - (x[0] + u / (v * x[1] + w * x[2])))
    return out


_GAUSS_Y = (0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989,
            0.3521, 0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009)


def gaussian(x):
    return [x[0] * E(-x[1] * (R(8 - i, 2) - x[2]) ** 2 / 2) - sp.Float(_GAUSS_Y[i - 1])
            for i in range(1, 16)]


_MEYER_Y = (34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744, 8261, 7030,
            6005, 5147, 4427, 3820, 3307, 2872)


def meyer(x):
    return [x[0] * E(x[1] / (45 + 5 * i + x[2])) - _MEYER_Y[i - 1]
            for i in range(1, 17)]


def gulf(x, m=99):
    out = []
    for i in range(1, m + 1):
        t = R(i, 100)
        y = 25 + (-50 * math.log(i / 100)) ** (2 / 3)
        out.append(E(-(sp.Abs(sp.Float(y) - x[1]) ** x[2]) / x[0]) - t)
    return out


def box_3d(x):
    out = []
    for i in range(1, 11):
        t = R(i, 10)
        out.append(E(-t * x[0]) - E(-t * x[1]) - x[2] * (E(-t) - E(-10 * t)))
    return out


def powell_singular(x):
    return [x[0] + 10 * x[1], sp.sqrt(5) * (x[2] - x[3]), (x[1] - 2 * x[2]) ** 2,
            sp.sqrt(10) * (x[0] - x[3]) ** 2]


def wood(x):
    return [10 * (x[1] - x[0] ** 2), 1 - x[0], sp.sqrt(90) * (x[3] - x[2] ** 2),
            1 - x[2], sp.sqrt(10) * (x[1] + x[3] - 2), (x[1] - x[3]) / sp.sqrt(10)]


_KO_Y = (0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323,
         0.0235, 0.0246)
_KO_U = (4, 2, 1, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625)


def kowalik_osborne(x):
    out = []
    for y, u in zip(_KO_Y, _KO_U, strict=True):
        u = sp.Float(u)
        out.append(sp.Float(y) - x[0] * (u**2 + u * x[1]) / (u**2 + u * x[2] + x[3]))
    return out


def brown_dennis(x):
    out = []
    for i in range(1, 21):
        t = R(i, 5)
        out.append((x[0] + t * x[1] - E(t)) ** 2
                   + (x[2] + x[3] * sp.sin(t) - sp.cos(t)) ** 2)
    return out


_OSB1_Y = (0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784,
           0.751, 0.718, 0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522,
           0.506, 0.490, 0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420,
           0.414, 0.411, 0.406)


def osborne_1(x):
    return [sp.Float(y) - (x[0] + x[1] * E(-10 * i * x[3]) + x[2] * E(-10 * i * x[4]))
            for i, y in enumerate(_OSB1_Y)]


def biggs_exp6(x):
    out = []
    for i in range(1, 14):
        t = R(i, 10)
        y = E(-t) - 5 * E(-10 * t) + 3 * E(-4 * t)
        out.append(x[2] * E(-t * x[0]) - x[3] * E(-t * x[1]) + x[5] * E(-t * x[4]) - y)
    return out


_OSB2_Y = (1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725,
           0.746, 0.679, 0.608, 0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724,
           0.649, 0.649, 0.694, 0.644, 0.624, 0.661, 0.612, 0.558, 0.533, 0.495,
           0.500, 0.423, 0.395, 0.375, 0.372, 0.391, 0.396, 0.405, 0.428, 0.429,
           0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668, 0.645, 0.632,
           0.591, 0.559, 0.597, 0.625, 0.739, 0.710, 0.729, 0.720, 0.636, 0.581,
           0.428, 0.292, 0.162, 0.098, 0.054)


def osborne_2(x):
    out = []
    for i, y in enumerate(_OSB2_Y):
        t = R(i, 10)
        model = (x[0] * E(-t * x[4]) + x[1] * E(-((t - x[8]) ** 2) * x[5])
                 + x[2] * E(-((t - x[9]) ** 2) * x[6])
                 + x[3] * E(-((t - x[10]) ** 2) * x[7]))
        out.append(sp.Float(y) - model)
    return out


def watson(x):
    n = len(x)
    out = []
    for i in range(1, 30):
        t = R(i, 29)
        s1 = sum((j - 1) * x[j - 1] * t ** (j - 2) for j in range(2, n + 1))
        s2 = sum(x[j - 1] * t ** (j - 1) for j in range(1, n + 1))
        out.append(s1 - s2**2 - 1)
    return [*out, x[0], x[1] - x[0] ** 2 - 1]


def extended_rosenbrock(x):
    out = []
    for i in range(0, len(x), 2):
        out += [10 * (x[i + 1] - x[i] ** 2), 1 - x[i]]
    return out


def extended_powell(x):
    out = []
    for i in range(0, len(x), 4):
        out += powell_singular(x[i:i + 4])
    return out


def penalty_1(x):
    a = sp.sqrt(R(1, 10**5))
    return [a * (xi - 1) for xi in x] + [sum(xi**2 for xi in x) - R(1, 4)]


def penalty_2(x):
    n = len(x)
    a = sp.sqrt(R(1, 10**5))
    out = [x[0] - R(1, 5)]
    for i in range(2, n + 1):
        y = E(R(i, 10)) + E(R(i - 1, 10))
        out.append(a * (E(x[i - 1] / 10) + E(x[i - 2] / 10) - y))
    for i in range(n + 1, 2 * n):
        out.append(a * (E(x[i - n] / 10) - E(R(-1, 10))))
    out.append(sum((n - j + 1) * x[j - 1] ** 2 for j in range(1, n + 1)) - 1)
    return out


def variably_dimensioned(x):
    s = sum((j + 1) * (xj - 1) for j, xj in enumerate(x))
    return [xj - 1 for xj in x] + [s, s**2]


def trigonometric(x):
    n = len(x)
    c = sum(sp.cos(xj) for xj in x)
    return [n - c + (i + 1) * (1 - sp.cos(xi)) - sp.sin(xi) for i, xi in enumerate(x)]


def brown_almost_linear(x):
    n = len(x)
    s = sum(x)
    return [xi + s - (n + 1) for xi in x[:-1]] + [sp.Mul(*x) - 1]


def discrete_boundary_value(x):
    n = len(x)
    h = R(1, n + 1)
    xs = (0, *x, 0)
    return [2 * xs[i] - xs[i - 1] - xs[i + 1] + h**2 * (xs[i] + i * h + 1) ** 3 / 2
            for i in range(1, n + 1)]


def discrete_integral_equation(x):
    n = len(x)
    h = R(1, n + 1)
    t = [(j + 1) * h for j in range(n)]
    cube = [(x[j] + t[j] + 1) ** 3 for j in range(n)]
    out = []
    for i in range(n):
        left = sum(t[j] * cube[j] for j in range(i + 1))
        right = sum((1 - t[j]) * cube[j] for j in range(i + 1, n))
        out.append(x[i] + h * ((1 - t[i]) * left + t[i] * right) / 2)
    return out


def broyden_tridiagonal(x):
    n = len(x)
    xs = (0, *x, 0)
    return [(3 - 2 * xs[i]) * xs[i] - xs[i - 1] - 2 * xs[i + 1] + 1
            for i in range(1, n + 1)]


def broyden_banded(x, ml=5, mu=1):
    n = len(x)
    out = []
    for i in range(n):
        band = [j for j in range(max(0, i - ml), min(n, i + mu + 1)) if j != i]
        coupling = sum(x[j] * (1 + x[j]) for j in band)
        out.append(x[i] * (2 + 5 * x[i] ** 2) + 1 - coupling)
    return out


def linear_full_rank(x, m=20):
    n = len(x)
    s = sum(x)
    return ([x[i] - R(2, m) * s - 1 for i in range(n)]
            + [-R(2, m) * s - 1 for _ in range(n, m)])


def linear_rank_1(x, m=20):
    s = sum((j + 1) * xj for j, xj in enumerate(x))
    return [i * s - 1 for i in range(1, m + 1)]


def linear_rank_1_zero(x, m=20):
    n = len(x)
    s = sum(j * x[j - 1] for j in range(2, n))
    return [sp.Integer(-1)] + [(i - 1) * s - 1 for i in range(2, m)] + [sp.Integer(-1)]


def chebyquad(x):
    n = len(x)
    out = []
    for i in range(1, n + 1):
        y = 0 if i % 2 else R(-1, i * i - 1)
        out.append(sum(sp.chebyshevt(i, 2 * xj - 1) for xj in x) / n - y)
    return out


def _linear_rank_1_fstar(m):
    return m * (m - 1) / (2 * (2 * m + 1))


N = 10
PROBLEMS = (
    Problem(1, "Rosenbrock", _f(-1.2, 1), _f(0), rosenbrock),
    Problem(2, "Freudenstein and Roth", _f(0.5, -2), _f(48.9842, 0),
            freudenstein_roth),
    Problem(3, "Powell badly scaled", _f(0, 1), _f(0), powell_badly_scaled),
    Problem(4, "Brown badly scaled", _f(1, 1), _f(0), brown_badly_scaled),
    Problem(5, "Beale", _f(1, 1), _f(0), beale),
    Problem(6, "Jennrich and Sampson", _f(0.3, 0.4), _f(124.362), jennrich_sampson),
    Problem(7, "Helical valley", _f(-1, 0, 0), _f(0), helical_valley),
    Problem(8, "Bard", _f(1, 1, 1), _f(8.21487e-3, 17.4286), bard),
    Problem(9, "Gaussian", _f(0.4, 1, 0), _f(1.12793e-8), gaussian),
    Problem(10, "Meyer", _f(0.02, 4000, 250), _f(87.9458), meyer),
    Problem(11, "Gulf research and development", _f(5, 2.5, 0.15), _f(0), gulf),
    Problem(12, "Box three-dimensional", _f(0, 10, 20), _f(0), box_3d),
    Problem(13, "Powell singular", _f(3, -1, 0, 1), _f(0), powell_singular),
    Problem(14, "Wood", _f(-3, -1, -3, -1), _f(0), wood),
    Problem(15, "Kowalik and Osborne", _f(0.25, 0.39, 0.415, 0.39), _f(3.07505e-4),
            kowalik_osborne),
    Problem(16, "Brown and Dennis", _f(25, 5, -5, -1), _f(85822.2), brown_dennis),
    Problem(17, "Osborne 1", _f(0.5, 1.5, -1, 0.01, 0.02), _f(5.46489e-5), osborne_1),
    Problem(18, "Biggs EXP6", _f(1, 2, 1, 1, 1, 1), _f(5.65565e-3, 0), biggs_exp6),
    Problem(19, "Osborne 2",
            _f(1.3, 0.65, 0.65, 0.7, 0.6, 3, 5, 7, 2, 4.5, 5.5), _f(4.01377e-2),
            osborne_2),
    Problem(20, "Watson", _f(*[0] * 6), _f(2.28767e-3), watson),
    Problem(21, "Extended Rosenbrock", _f(*[-1.2, 1] * (N // 2)), _f(0),
            extended_rosenbrock),
    Problem(22, "Extended Powell singular", _f(*[3, -1, 0, 1] * 3), _f(0),
            extended_powell),
    Problem(23, "Penalty I", _f(*range(1, N + 1)), _f(7.08765e-5), penalty_1),
    Problem(24, "Penalty II", _f(*[0.5] * N), _f(2.93660e-4), penalty_2),
    Problem(25, "Variably dimensioned", _f(*[1 - j / N for j in range(1, N + 1)]),
            _f(0), variably_dimensioned),
    Problem(26, "Trigonometric", _f(*[1 / N] * N), _f(0, 2.79506e-5), trigonometric),
    Problem(27, "Brown almost-linear", _f(*[0.5] * N), _f(0, 1), brown_almost_linear),
    Problem(28, "Discrete boundary value",
            _f(*[t * (t - 1) for t in (j / (N + 1) for j in range(1, N + 1))]), _f(0),
            discrete_boundary_value),
    Problem(29, "Discrete integral equation",
            _f(*[t * (t - 1) for t in (j / (N + 1) for j in range(1, N + 1))]), _f(0),
            discrete_integral_equation),
    Problem(30, "Broyden tridiagonal", _f(*[-1] * N), _f(0), broyden_tridiagonal),
    Problem(31, "Broyden banded", _f(*[-1] * N), _f(0), broyden_banded),
    Problem(32, "Linear full rank", _f(*[1] * N), _f(20 - N), linear_full_rank),
    Problem(33, "Linear rank 1", _f(*[1] * N), _f(_linear_rank_1_fstar(20)),
            linear_rank_1),
    Problem(34, "Linear rank 1, zero columns and rows", _f(*[1] * N),
            _f((20**2 + 3 * 20 - 6) / (2 * (2 * 20 - 3))), linear_rank_1_zero),
    Problem(35, "Chebyquad", _f(*[j / (N + 1) for j in range(1, N + 1)]),
            _f(6.50395e-3), chebyquad),
)


def by_name(name: str) -> Problem:
    """The problem called ``name`` (case-insensitive) or numbered ``name``."""
    for p in PROBLEMS:
        if p.name.lower() == name.lower() or str(p.number) == name:
            return p
    raise KeyError(name)
