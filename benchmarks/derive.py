"""Derive + compile time and one-call time of gradients and Hessians (issue 16).

Run ``python benchmarks/derive.py`` from the repository root (add ``--rows
gulf,osborne`` to select rows by name, ``--rounds 3``, ``--timeout 120``).
On the panel of :mod:`mgh_problems` (Moré, Garbow, Hillstrom 1981 problems
at their standard sizes, extended Rosenbrock N = 200 and 1000, the logistic
loss of one sample with d = 64 weights, a product of 30 sines) it prints,
measured in this one run:

1. derive + compile time of the gradient and of the Hessian kernel for
   calckit (``compile_grad`` + ``compile_hessian``, caches cleared, best of
   ``--rounds``), for SymPy (``diff`` for the gradient, ``diff`` of each
   gradient entry for the upper triangle of the Hessian, mirrored, then
   ``lambdify(cse=True)`` of each, with ``DiracDelta`` given as 0; one
   round when it takes more than 5 s,
   stopped after ``--timeout`` seconds) and for SymEngine when installed
   (``diff``, then ``Lambdify(cse=True)``);
2. the time of one call at a single point and at 10 000 points (best of
   several repeats, interleaved), for calckit and for the lambdified
   functions (a lambdified function returns its list of entries; the time
   of stacking them into one array is not counted against it). Calls whose
   output would exceed 400 MB are skipped (``-``). Every kernel is checked
   against the lambdified SymPy derivative at the single point;
3. the verdict of each target of issue 16.
"""

from __future__ import annotations

import argparse
import gc
import signal
import sys
import time
import timeit
from pathlib import Path

import numpy as np
import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mgh_problems as mgh  # noqa: E402

import calckit as ck  # noqa: E402
from calckit.symbolic import derive  # noqa: E402

MAX_BYTES = 400e6
POINTS = 10_000


class _Timeout(Exception):
    pass


def _alarm(seconds):
    def handler(signum, frame):
        raise _Timeout

    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)


def _disarm():
    signal.setitimer(signal.ITIMER_REAL, 0)


def clock(fn):
    gc.collect()
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


# -- the three tools -------------------------------------------------------
def calckit_build(p):
    ck.kernels.cache_clear()
    derive._term_partials.cache_clear()
    tg, kg = clock(lambda: ck.compile_grad(p.expr, p.wrt, p.params))
    th, kh = clock(lambda: ck.compile_hessian(p.expr, p.wrt, p.params))
    return tg, th, kg, kh


def _dirac(u, k=0):
    """``DiracDelta`` in a lambdified function: 0 almost everywhere (as in
    calckit's kernels; NumPy has none, so lambdify needs it given)."""
    return 0.0 * np.asarray(u)


LAMBDIFY_MODULES = [{"DiracDelta": _dirac}, "numpy"]


def sympy_build(p):
    args = list(p.wrt) + list(p.params)

    def grad():
        g = [p.expr.diff(v) for v in p.wrt]
        return g, sp.lambdify(args, g, LAMBDIFY_MODULES, cse=True)

    def hess():
        g = [p.expr.diff(v) for v in p.wrt]
        n = len(p.wrt)
        h = [[sp.S.Zero] * n for _ in range(n)]
        for i in range(n):
            for j in range(i, n):
                h[i][j] = h[j][i] = g[i].diff(p.wrt[j])
        flat = [e for row in h for e in row]
        return flat, sp.lambdify(args, flat, LAMBDIFY_MODULES, cse=True)

    tg, (_, fg) = clock(grad)
    th, (_, fh) = clock(hess)
    return tg, th, fg, fh


def symengine_build(p):
    import symengine as se

    args = [se.sympify(a) for a in list(p.wrt) + list(p.params)]
    wrt = args[: len(p.wrt)]

    def grad():
        f = se.sympify(p.expr)
        g = [f.diff(v) for v in wrt]
        return se.Lambdify(args, g, cse=True)

    def hess():
        f = se.sympify(p.expr)
        g = [f.diff(v) for v in wrt]
        n = len(wrt)
        h = [[0] * n for _ in range(n)]
        for i in range(n):
            for j in range(i, n):
                h[i][j] = h[j][i] = g[i].diff(wrt[j])
        return se.Lambdify(args, h, cse=True)

    tg, fg = clock(grad)
    th, fh = clock(hess)
    return tg, th, fg, fh


# -- evaluation ------------------------------------------------------------
def points(p, count):
    """Arguments (wrt + params) at 1 point (scalars) or ``count`` points."""
    rng = np.random.default_rng(1)
    x0 = np.array(p.x0, dtype=float)
    if count == 1:
        return [float(v) for v in x0] + mgh.param_values(p, 1)
    xs = [v + 0.01 * rng.standard_normal(count) for v in x0]
    return xs + mgh.param_values(p, count)


def call_time(fn, args):
    fn(*args)
    t = timeit.timeit(lambda: fn(*args), number=1)
    number = max(1, int(0.05 / max(t, 1e-7)))
    return min(timeit.repeat(lambda: fn(*args), number=number, repeat=5)) / number


def symengine_call(fn):
    def call(*args):
        return fn(np.stack(np.broadcast_arrays(*args), axis=-1))
    return call


def as_array(value, n, kind):
    """A lambdified result (list of entries) as an array of the kernel layout."""
    shape = (n,) if kind == "grad" else (n, n)
    vals = [np.asarray(v, dtype=float) for v in value]
    return np.stack(np.broadcast_arrays(*vals), axis=-1).reshape(
        vals[0].shape + shape if vals else shape)


# -- one row ---------------------------------------------------------------
def best_build(build, p, rounds, timeout):
    """(grad s, hess s, grad fn, hess fn) best of ``rounds`` (1 if slow)."""
    best = None
    for _ in range(rounds):
        _alarm(timeout)
        try:
            out = build(p)
        except _Timeout:
            return None
        finally:
            _disarm()
        if best is None or out[0] + out[1] < best[0] + best[1]:
            best = out
        if out[0] + out[1] > 5:
            break
    return best


def row(p, rounds, timeout, engines):
    n = len(p.wrt)
    res = {"name": p.name, "n": n}
    built = {"calckit": best_build(calckit_build, p, rounds, timeout)}
    for name, build in engines.items():
        try:
            built[name] = best_build(build, p, rounds, timeout)
        except Exception as exc:  # a peer that cannot do the problem: say so
            built[name] = f"fails: {type(exc).__name__}: {str(exc)[:60]}"
    for name, b in built.items():
        res[name] = b
    res.setdefault("sympy", "not run")
    one = points(p, 1)
    many = points(p, POINTS)
    ref = built.get("sympy")
    ok = {}
    for kind, k in (("grad", 2), ("hess", 3)):
        size = n if kind == "grad" else n * n
        calls = {}
        for name, b in built.items():
            if not isinstance(b, tuple):
                continue
            fn = b[k]
            if name == "symengine":
                fn = symengine_call(fn)
            calls[name] = fn
        if isinstance(ref, tuple):
            want = as_array(ref[k](*one), n, kind)
            got = np.asarray(calls["calckit"](*one))
            scale = np.abs(want).max()
            ok[kind] = bool(np.allclose(got, want, rtol=1e-9, atol=1e-9 * scale))
        for name, fn in calls.items():
            res[f"{name} {kind} 1"] = call_time(fn, one)
            if size * POINTS * 8 <= MAX_BYTES:
                res[f"{name} {kind} N"] = call_time(fn, many)
    res["agree"] = ok
    return res


# -- report ----------------------------------------------------------------
def fmt_s(v):
    return "-" if v is None else f"{v:.3f}"


def fmt_build(b, timeout):
    if b == "not run":
        return b, None
    if b is None:
        return f"> {timeout:.0f} s", None
    if isinstance(b, str):
        return b, None
    return f"{b[0]:.3f} + {b[1]:.3f}", b[0] + b[1]


def report(rows, timeout, engines):
    print("\n## derive + compile, seconds (gradient + Hessian)\n")
    head = ["problem", "n", "calckit", "SymPy diff+lambdify(cse)", "ratio"]
    if "symengine" in engines:
        head.append("SymEngine diff+Lambdify(cse)")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    verdicts = []
    for r in rows:
        ck_text, ck_total = fmt_build(r["calckit"], timeout)
        sp_text, sp_total = fmt_build(r.get("sympy"), timeout)
        ratio = "-"
        if sp_total and ck_total:
            ratio = f"{sp_total / ck_total:.0f}x"
        elif r.get("sympy") is None and ck_total:
            ratio = f"> {timeout / ck_total:.0f}x"
        cells = [r["name"], str(r["n"]), ck_text, sp_text, ratio]
        if "symengine" in engines:
            cells.append(fmt_build(r.get("symengine"), timeout)[0])
        print("| " + " | ".join(cells) + " |")
        limit = 1.0
        if "Rosenbrock N=200" in r["name"]:
            limit = 0.1
        elif "Rosenbrock N=1000" in r["name"]:
            limit = 0.5
        verdicts.append((r["name"], f"derive+compile <= {limit} s",
                         ck_total is not None and ck_total <= limit,
                         f"{ck_total:.3f} s"))
        if sp_total:
            verdicts.append((r["name"], ">= 10x faster than SymPy",
                             sp_total >= 10 * ck_total, f"{sp_total / ck_total:.0f}x"))
        elif r.get("sympy") is None and ck_total is not None:
            verdicts.append((r["name"], ">= 10x faster than SymPy",
                             timeout >= 10 * ck_total,
                             f"SymPy > {timeout:.0f} s (stopped)"))
    print("\n## one call, microseconds (1 point) and milliseconds (10 000 points)\n")
    tools = ["calckit", "sympy"] + (["symengine"] if "symengine" in engines else [])
    head = ["problem"] + [f"{t} {k} {w}" for k in ("grad", "hess")
                          for w in ("1pt us", "10k ms") for t in tools]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        cells = [r["name"]]
        for k in ("grad", "hess"):
            for w, scale, fmt in (("1", 1e6, "{:.0f}"), ("N", 1e3, "{:.2f}")):
                for t in tools:
                    v = r.get(f"{t} {k} {w}")
                    cells.append("-" if v is None else fmt.format(v * scale))
                c, s = r.get(f"calckit {k} {w}"), r.get(f"sympy {k} {w}")
                if c is not None and s is not None:
                    where = "1 point" if w == "1" else "10 000 points"
                    verdicts.append((r["name"], f"{k} call at {where} <= lambdify",
                                     c <= s, f"{c / s:.2f}x lambdify"))
        print("| " + " | ".join(cells) + " |")
    print("\n## agreement with SymPy at the single point (rtol 1e-9)\n")
    for r in rows:
        print(f"- {r['name']}: {r['agree'] or 'no SymPy reference'}")
    print("\n## targets\n")
    for name, what, good, value in verdicts:
        print(f"- {'PASS' if good else 'FAIL'}  {name}: {what} ({value})")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="", help="comma-separated name filters")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--no-sympy", action="store_true")
    ns = ap.parse_args(argv)
    engines = {} if ns.no_sympy else {"sympy": sympy_build}
    try:
        import symengine  # noqa: F401
        engines["symengine"] = symengine_build
    except ImportError:
        print("(SymEngine not installed: no SymEngine column)")
    warm = mgh.osborne1(8)  # imports and first-call costs out of the timings
    ck.compile_hessian(warm.expr, warm.wrt)
    filters = [f.strip().lower() for f in ns.rows.split(",") if f.strip()]
    rows = []
    for make in mgh.PANEL:
        p = make()
        if filters and not any(f in p.name.lower() for f in filters):
            continue
        r = row(p, ns.rounds, ns.timeout, engines)
        print(f"  done {p.name}", file=sys.stderr, flush=True)
        rows.append(r)
    report(rows, ns.timeout, engines)


if __name__ == "__main__":
    main()
