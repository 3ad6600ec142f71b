"""Benchmark calckit kernels against SymPy lambdify and hand-written NumPy.

Run ``python benchmarks/kernels.py`` (add ``--quick`` for N = 10^5). It
prints, measured in this one run (best of several repeats):

1. at N = 10^6 points, the time of calckit's kernel, SymPy's plain
   ``lambdify``, ``lambdify(cse=True)`` and a hand-written NumPy version
   for five derivative kernels (all verified equal with ``allclose``, all
   returning the same layout ``(N,) + expr_shape``), as ratios to the
   hand-written time;
2. the per-call overhead at N = 1 for rows a-c;
3. the time to derive + compile the gradient and Hessian of N-dimensional
   Rosenbrock, and one evaluation at N = 200 against
   ``scipy.optimize.rosen_der`` + ``rosen_hess``.

``--panel [name ...]`` prints instead the issue 16 panel: one Hessian call
at 1 and at 10 000 points, calckit against ``lambdify(cse=True)`` of the same
entries (Osborne 1, Watson n = 6, product of 30 sines, Gulf m = 99).
"""

from __future__ import annotations

import argparse
import time
import timeit
from functools import partial

import numpy as np
import scipy.optimize as so
import scipy.special as ss
import sympy as sp

import calckit as ck
from calckit.symbolic import derive


def best(fn, repeat=5, number=1):
    """Best time of ``fn`` in seconds (``number`` calls per repeat)."""
    return min(timeit.repeat(fn, repeat=repeat, number=number)) / number


def best_interleaved(fns, repeat, number=1):
    """Best time of each function, timed in alternation (fair under load)."""
    times = {k: float("inf") for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            times[k] = min(times[k], timeit.timeit(fn, number=number) / number)
    return times


def stacked(fn, ncols):
    """Wrap a lambdified function so it returns the kernel layout."""
    if ncols is None:
        return fn

    def wrapped(*args):
        vals = fn(*args)
        return np.stack(np.broadcast_arrays(*vals), axis=-1)

    return wrapped


def matrix_layout(fn):
    def wrapped(*args):
        rows = fn(*args)  # nested lists: a Matrix with constants fails in lambdify
        arr = [np.broadcast_arrays(*r) for r in rows]
        shape = np.broadcast_shapes(*[a.shape for r in arr for a in r])
        out = np.empty(shape + (len(rows), len(rows[0])))
        for i, r in enumerate(arr):
            for j, a in enumerate(r):
                out[..., i, j] = a
        return out

    return wrapped


# -- the five rows ---------------------------------------------------------------
def row_a(rng, n):
    w, b, x = sp.symbols("w b x", real=True)
    f = sp.log(1 + sp.exp(w * x + b))
    plain = [sp.diff(f, v) for v in (w, b)]

    def hand(w, b, x):
        s = ss.expit(w * x + b)
        out = np.empty(x.shape + (2,))
        out[:, 0] = s * x
        out[:, 1] = s
        return out

    args = (0.7, -0.2, rng.normal(size=n))
    return dict(
        name="a  grad log(1+exp(w*x+b)) wrt (w, b)",
        kernel=ck.compile_grad(f, [w, b], [x]),
        plain=plain, syms=(w, b, x), hand=hand, args=args, ncols=2,
    )


def row_b(rng, n):
    x = sp.Symbol("x", real=True)
    c = sp.sqrt(2 / sp.pi)
    f = x / 2 * (1 + sp.tanh(c * (x + sp.Float("0.044715") * x**3)))
    d = derive.derivative(f, x)
    cval = np.sqrt(2 / np.pi)

    def hand(x):
        x2 = x * x
        t = np.tanh(cval * x * (1 + 0.044715 * x2))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * cval * (1 + 3 * 0.044715 * x2)

    return dict(
        name="b  d/dx gelu_tanh(x)",
        kernel=ck.compile(d, [x]),
        plain=sp.diff(f, x), syms=(x,), hand=hand,
        args=(rng.normal(scale=3, size=n),), ncols=None,
    )


def row_c(rng, n):
    w1, w2, b, x1, x2, y = sp.symbols("w1 w2 b x1 x2 y", real=True)
    p = 1 / (1 + sp.exp(-(w1 * x1 + w2 * x2 + b)))
    f = -(y * sp.log(p) + (1 - y) * sp.log(1 - p))
    plain = [sp.diff(f, v) for v in (w1, w2, b)]

    def hand(w1, w2, b, x1, x2, y):
        r = ss.expit(w1 * x1 + w2 * x2 + b) - y
        out = np.empty(x1.shape + (3,))
        out[:, 0] = r * x1
        out[:, 1] = r * x2
        out[:, 2] = r
        return out

    args = (0.3, -0.5, 0.1, rng.normal(size=n), rng.normal(size=n),
            rng.integers(0, 2, size=n).astype(float))
    return dict(
        name="c  grad BCE(sigmoid(w.x+b)) wrt (w1,w2,b)",
        kernel=ck.compile_grad(f, [w1, w2, b], [x1, x2, y]),
        plain=plain, syms=(w1, w2, b, x1, x2, y), hand=hand, args=args, ncols=3,
    )


def row_d(rng, n):
    x, y = sp.symbols("x y", real=True)
    f = (1 - x) ** 2 + 100 * (y - x**2) ** 2

    def hand(x, y):
        out = np.empty(x.shape + (2, 2))
        out[:, 0, 0] = 1200 * x * x - 400 * y + 2
        out[:, 0, 1] = out[:, 1, 0] = -400 * x
        out[:, 1, 1] = 200
        return out

    return dict(
        name="d  Hessian of 2-D Rosenbrock",
        kernel=ck.compile_hessian(f, [x, y]),
        plain=sp.hessian(f, (x, y)).tolist(), syms=(x, y), hand=hand,
        args=(rng.normal(size=n), rng.normal(size=n)), ncols="matrix",
    )


def row_e(rng, n):
    a = sp.symbols("a0:10", real=True)
    x, y = sp.symbols("x y", real=True)
    f = (sum(a[k] * x**k for k in range(10)) - y) ** 2
    plain = [sp.diff(f, v) for v in a]

    def hand(*args):
        coef, x, y = args[:10], args[10], args[11]
        p = np.full_like(x, coef[9])
        for c in coef[8::-1]:
            p = p * x + c
        d = 2 * (p - y)
        out = np.empty(x.shape + (10,))
        out[:, 0] = d
        xp = x
        for k in range(1, 10):
            out[:, k] = d * xp
            if k < 9:
                xp = xp * x
        return out

    coefs = tuple(rng.normal(scale=0.1, size=10))
    args = coefs + (rng.uniform(-1, 1, size=n), rng.normal(size=n))
    return dict(
        name="e  grad poly least squares (10 params)",
        kernel=ck.compile_grad(f, list(a), [x, y]),
        plain=plain, syms=(*a, x, y), hand=hand, args=args, ncols=10,
    )


ROWS = (row_a, row_b, row_c, row_d, row_e)


def wrap_lambdify(row, cse):
    fn = sp.lambdify(row["syms"], row["plain"], "numpy", cse=cse)
    if row["ncols"] == "matrix":
        return matrix_layout(fn)
    return stacked(fn, row["ncols"])


def bench_rows(n, repeat):
    rng = np.random.default_rng(0)
    lines = []
    overhead = []
    header = (f"{f'N = {n:g} points':44s} {'hand':>9s} {'calckit':>9s} "
              f"{'lambdify':>9s} {'lamb+cse':>9s}  (ratios to hand)")
    lines.append(header)
    for make in ROWS:
        row = make(rng, n)
        fns = {
            "hand": row["hand"],
            "calckit": row["kernel"],
            "lambdify": wrap_lambdify(row, False),
            "lamb+cse": wrap_lambdify(row, True),
        }
        ref = row["hand"](*row["args"])
        with np.errstate(all="ignore"):  # plain lambdify may overflow here
            for name, fn in fns.items():
                got = fn(*row["args"])
                ok = got.shape == ref.shape and np.allclose(got, ref, rtol=1e-9,
                                                            atol=1e-12)
                if not ok:
                    raise SystemExit(f"row {row['name']}: {name} disagrees")
            args = row["args"]
            calls = {k: (lambda f=f, a=args: f(*a)) for k, f in fns.items()}
            times = best_interleaved(calls, repeat)
        t0 = times["hand"]
        lines.append(
            f"{row['name']:44s} {t0 * 1e3:7.2f}ms "
            + " ".join(f"{times[k] / t0:8.2f}x" for k in
                       ("calckit", "lambdify", "lamb+cse"))
        )
        if make in (row_a, row_b, row_c):
            small = tuple(np.asarray(a)[:1] if np.ndim(a) else a
                          for a in row["args"])
            with np.errstate(all="ignore"):
                calls = {k: (lambda f=f, a=small: f(*a)) for k, f in fns.items()}
                per = best_interleaved(calls, 7, 1000)
            overhead.append((row["name"], per))
    return lines, overhead


def rosen_expr(n):
    xs = sp.symbols(f"x0:{n}", real=True)
    f = sum(100 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1 - xs[i]) ** 2
            for i in range(n - 1))
    return f, xs


def bench_rosen(sizes):
    lines = [f"{'Rosenbrock N':14s} {'grad':>9s} {'hessian':>9s} {'total':>9s}"
             "   (derive + compile, seconds)"]
    kernels = None
    for n in sizes:
        f, xs = rosen_expr(n)
        ck.kernels.cache_clear()
        t0 = time.perf_counter()
        kg = ck.compile_grad(f, xs)
        t1 = time.perf_counter()
        kh = ck.compile_hessian(f, xs)
        t2 = time.perf_counter()
        lines.append(f"{n:<14d} {t1 - t0:9.3f} {t2 - t1:9.3f} {t2 - t0:9.3f}")
        kernels = (n, kg, kh)
    n, kg, kh = kernels
    x = np.random.default_rng(1).uniform(-2, 2, size=n)
    assert np.allclose(kg(*x), so.rosen_der(x))
    assert np.allclose(kh(*x), so.rosen_hess(x))
    t_ck = best(lambda: (kg(*x), kh(*x)), 7, 50)
    t_sp = best(lambda: (so.rosen_der(x), so.rosen_hess(x)), 7, 50)
    lines.append(
        f"eval N={n} grad+hess: calckit {t_ck * 1e6:.0f} us, scipy "
        f"rosen_der+rosen_hess {t_sp * 1e6:.0f} us, ratio {t_ck / t_sp:.2f}x"
    )
    return lines


# -- issue 16 panel: Hessian kernels against lambdify(cse=True), one call ---------
_OSBORNE1_Y = (
    0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751,
    0.718, 0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490,
    0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406,
)


def osborne1():
    """Osborne 1 (Moré, Garbow, Hillstrom 1981, problem 17): n = 5, m = 33."""
    x = sp.symbols("x1:6", real=True)
    f = sum((sp.Float(y) - (x[0] + x[1] * sp.exp(-10 * i * x[3])
                            + x[2] * sp.exp(-10 * i * x[4]))) ** 2
            for i, y in enumerate(_OSBORNE1_Y))
    return f, x, [0.5, 1.5, -1.0, 0.01, 0.02]


def watson(n=6):
    """Watson (problem 20): m = 31."""
    x = sp.symbols(f"x1:{n + 1}", real=True)
    f = x[0] ** 2 + (x[1] - x[0] ** 2 - 1) ** 2
    for i in range(1, 30):
        t = sp.Rational(i, 29)
        s1 = sum((j - 1) * x[j - 1] * t ** (j - 2) for j in range(2, n + 1))
        s2 = sum(x[j - 1] * t ** (j - 1) for j in range(1, n + 1))
        f += (s1 - s2**2 - 1) ** 2
    return f, x, [0.0] * n


def gulf(m=99):
    """Gulf research and development (problem 11): n = 3."""
    x = sp.symbols("x1:4", real=True)
    f = 0
    for i in range(1, m + 1):
        t = i / 100
        y = 25 + (-50 * np.log(t)) ** (2 / 3)
        f += (sp.exp(-sp.Abs(sp.Float(y) - x[1]) ** x[2] / x[0]) - sp.Float(t)) ** 2
    return f, x, [5.0, 2.5, 0.15]


def sines(n=30):
    """The product of 30 distinct sines."""
    x = sp.symbols(f"x1:{n + 1}", real=True)
    return sp.Mul(*[sp.sin(xi) for xi in x]), x, list(np.linspace(0.2, 1.4, n))


PANEL = {"osborne1": osborne1, "watson6": watson, "sines30": sines, "gulf99": gulf}


def bench_panel(names, repeat):
    """One Hessian call at 1 and at 10 000 points: calckit against
    ``lambdify(cse=True)`` of the same entries (stacked to the same shape)."""
    lines = [f"{'Hessian, one call':10s} {'compile':>8s} | {'1 pt ck':>9s} "
             f"{'lam+cse':>9s} {'ratio':>6s} | {'1e4 ck':>9s} {'lam+cse':>9s} "
             f"{'ratio':>6s}"]
    rng = np.random.default_rng(0)
    for name in names:
        f, x, x0 = PANEL[name]()
        start = time.perf_counter()
        k = ck.compile_hessian(f, x)
        t_compile = time.perf_counter() - start
        flat = sp.lambdify(list(x), list(k.entries), modules="numpy", cse=True)
        n = len(x)

        def lam(*a, flat=flat, n=n):
            vals = np.broadcast_arrays(*flat(*a))
            return np.stack(vals, -1).reshape(vals[0].shape + (n, n))

        one = [float(v) for v in x0]
        many = [v + 1e-3 * rng.standard_normal(10_000) for v in x0]
        assert np.allclose(k(*many), lam(*many), rtol=1e-9, atol=1e-9), name
        t1 = best_interleaved({"ck": partial(k, *one), "lam": partial(lam, *one)},
                              repeat, number=200)
        tn = best_interleaved({"ck": partial(k, *many), "lam": partial(lam, *many)},
                              repeat, number=3)
        lines.append(
            f"{name:10s} {t_compile:7.2f}s | {t1['ck'] * 1e6:7.1f}us "
            f"{t1['lam'] * 1e6:7.1f}us {t1['ck'] / t1['lam']:6.2f} | "
            f"{tn['ck'] * 1e3:7.2f}ms {tn['lam'] * 1e3:7.2f}ms "
            f"{tn['ck'] / tn['lam']:6.2f}"
        )
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 10^5, fewer repeats")
    parser.add_argument("--panel", nargs="*", choices=sorted(PANEL), default=None,
                        help="only the issue 16 Hessian panel (default: all of it)")
    ns = parser.parse_args(argv)
    if ns.panel is not None:
        print("\n".join(bench_panel(ns.panel or list(PANEL), 3 if ns.quick else 7)))
        return
    n = 10**5 if ns.quick else 10**6
    repeat = 3 if ns.quick else 7
    # warm up imports so that compile times below do not include them
    u = sp.Symbol("u", real=True)
    ck.compile_grad(sp.log(1 + sp.exp(u)), [u])
    lines, overhead = bench_rows(n, repeat)
    print("\n".join(lines))
    print()
    print(f"{'per-call time at N = 1 (us)':44s} {'hand':>9s} {'calckit':>9s} "
          f"{'lambdify':>9s} {'lamb+cse':>9s}")
    for name, per in overhead:
        print(f"{name:44s} " + " ".join(
            f"{per[k] * 1e6:9.1f}" for k in ("hand", "calckit", "lambdify",
                                             "lamb+cse")))
    print()
    print("\n".join(bench_rosen((10, 50, 100, 200))))


if __name__ == "__main__":
    main()
