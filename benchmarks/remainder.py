"""Tightness and cost of calckit's rigorous Taylor remainder bounds.

For each case: the measured max error (30-digit grid, the baseline), the
Lagrange and integral-form bounds as ratios bound / measured (>= 1 always;
1 is perfect), and the time of each bound relative to the time of the
measured-error grid (801 points) in the same run.

Run: python benchmarks/remainder.py
"""

import time

import sympy as sp

from calckit.symbolic.remainder import _measure, remainder_bound, taylor_polynomial

x, y = sp.symbols("x y", real=True)

CASES = [
    ("exp(x)", sp.exp(x), 0, (-1, 1), 5),
    ("exp(x)", sp.exp(x), 0, (-2, 3), 8),
    ("sin(x)", sp.sin(x), 0, (-1, 1), 5),
    ("sin(x)", sp.sin(x), 1, (0, 2.5), 4),
    ("log(x)", sp.log(x), 1, (0.5, 1.5), 3),
    ("tanh(x)", sp.tanh(x), 0, (-0.5, 0.5), 5),
    ("1/(1+x^2)", 1 / (1 + x**2), 0, (-0.5, 0.5), 6),
    ("exp(-x^2)*cos(3x)", sp.exp(-x**2) * sp.cos(3 * x), 0, (-0.5, 0.5), 6),
]


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def main():
    head = (f"{'function':<20} {'about':>5} {'interval':>12} {'n':>2} "
            f"{'measured':>10} {'lagrange/meas':>13} {'integral/meas':>13} "
            f"{'t_lag/t_grid':>12} {'t_int/t_grid':>12} {'t_grid ms':>9}")
    print(head)
    print("-" * len(head))
    for name, f, a, iv, n in CASES:
        poly = taylor_polynomial(f, [x], a, n)
        measured, t_grid = timed(_measure, f, poly, (x,), (iv,), 801)
        lag, t_lag = timed(remainder_bound, f, [x], a, n, iv, samples=3)
        integ, t_int = timed(remainder_bound, f, [x], a, n, iv, samples=3,
                             method="integral")
        assert lag.bound >= measured and integ.bound >= measured
        print(f"{name:<20} {a:>5} {str(iv):>12} {n:>2} {measured:>10.3e} "
              f"{lag.bound / measured:>13.2f} {integ.bound / measured:>13.3f} "
              f"{t_lag / t_grid:>12.2f} {t_int / t_grid:>12.2f} "
              f"{1e3 * t_grid:>9.1f}")
    f = sp.exp(x) * sp.sin(y)
    r, t_box = timed(remainder_bound, f, [x, y], 0, 3, (-0.5, 0.5))
    print(f"\nbox exp(x)*sin(y), order 3 on [-0.5, 0.5]^2: bound/measured "
          f"{r.ratio:.2f} ({t_box:.2f} s including the 2-D measured grid)")


if __name__ == "__main__":
    main()
