"""Benchmark calckit.minimize: per-step overhead and Newton vs SciPy.

Run: ``python benchmarks/optim.py`` (about 20 s). Prints two tables.

1. Time per step of ``minimize`` on the 2-D Rosenbrock loss (compiled
   value-and-gradient kernel, NumPy loop) for SGD and Adam, against a
   hand-written NumPy loop with a hand-coded gradient in the same run (the
   floor for a Python loop), and against ``torch.optim`` with autograd when
   installed. CPU time of the process is shown beside wall time: on a shared,
   loaded machine wall time mostly measures the other processes.
   Targets: <= 30 us per SGD step, <= 50 us per Adam step.
2. Iterations, function/gradient/Hessian evaluations and wall time to reach
   ``|grad| < 1e-10`` on Rosenbrock from (-1.2, 1) for calckit's Newton and
   ``scipy.optimize.minimize`` (BFGS, trust-exact), all using the same
   compiled calckit kernels, in the same run.
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.optimize

import calckit as ck

ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"
X0 = np.array([-1.2, 1.0])
STEPS = 20_000
REPEATS = 5


def best_of(fn, repeats=REPEATS, clock=time.perf_counter):
    times = []
    for _ in range(repeats):
        t = clock()
        out = fn()
        times.append(clock() - t)
    return min(times), out


def cpu_best_of(fn, repeats=REPEATS):
    """CPU time of this process (robust on a shared, loaded machine)."""
    return best_of(fn, repeats, time.process_time)


def hand_sgd(steps, lr=1e-4):
    """SGD written out with a hand-coded gradient and loss (the floor)."""
    x = X0.copy()
    path = np.empty((steps + 1, 2))
    losses = np.empty(steps + 1)
    for k in range(steps):
        a, b = x
        losses[k] = (1 - a) ** 2 + 100 * (b - a * a) ** 2
        path[k] = x
        g = np.array([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)])
        x = x - lr * g
    return x


def hand_adam(steps, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    x = X0.copy()
    m = np.zeros(2)
    v = np.zeros(2)
    path = np.empty((steps + 1, 2))
    losses = np.empty(steps + 1)
    for t in range(1, steps + 1):
        a, b = x
        losses[t - 1] = (1 - a) ** 2 + 100 * (b - a * a) ** 2
        path[t - 1] = x
        g = np.array([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)])
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        x = x - lr / (1 - b1**t) * m / (np.sqrt(v) / math.sqrt(1 - b2**t) + eps)
    return x


def torch_loop(name, steps, **kw):
    import torch

    torch.set_num_threads(1)  # tiny tensors: threads only add overhead
    p = torch.tensor(X0.copy(), dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, name)([p], **kw)
    for _ in range(steps):
        opt.zero_grad()
        loss = (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
        loss.backward()
        opt.step()
    return p.detach().numpy()


def overhead_table():
    rows = []
    for name, kw, hand, torch_name in (
        ("sgd", {"lr": 1e-4}, hand_sgd, "SGD"),
        ("adam", {"lr": 1e-3}, hand_adam, "Adam"),
    ):
        t0 = time.perf_counter()
        ck.minimize(ROSENBROCK, x0=X0, optimizer=name, steps=1, **kw)
        compile_s = time.perf_counter() - t0
        def run(n=name, k=kw):
            return ck.minimize(
                ROSENBROCK, x0=X0, optimizer=n, steps=STEPS, tol=0.0, **k
            )

        t_ck, r = best_of(run)
        cpu_ck, _ = cpu_best_of(run)
        t_hand, x_hand = best_of(lambda h=hand: h(STEPS))
        cpu_hand, _ = cpu_best_of(lambda h=hand: h(STEPS))
        assert r.nit == STEPS and np.allclose(r.x, x_hand, atol=1e-5), name
        try:
            t_torch, _ = cpu_best_of(
                lambda tn=torch_name, k=kw: torch_loop(tn, STEPS // 4, **k), 2
            )
            t_torch *= 4
        except ImportError:
            t_torch = math.nan
        rows.append((name, compile_s, t_ck, cpu_ck, t_hand, cpu_hand, t_torch))
    target = {"sgd": 30.0, "adam": 50.0}
    print(f"Per-step time of minimize on 2-D Rosenbrock ({STEPS} steps, best of "
          f"{REPEATS}, in us/step; wall and CPU time of this process; the first "
          "call, which compiles, is shown apart)")
    print(f"{'optimizer':9}  {'minimize wall':>13}  {'minimize CPU':>12}  "
          f"{'target':>6}  {'hand NumPy CPU':>14}  {'ratio':>5}  "
          f"{'torch CPU':>10}  {'first call s':>12}")
    us = 1e6 / STEPS
    for name, comp, t_ck, cpu_ck, _t_hand, cpu_hand, t_torch in rows:
        print(f"{name:9}  {t_ck * us:13.1f}  {cpu_ck * us:12.1f}  "
              f"{target[name]:6.0f}  {cpu_hand * us:14.1f}  "
              f"{cpu_ck / cpu_hand:5.2f}  {t_torch * us:10.1f}  {comp:12.3f}")
    return rows


def newton_evals() -> str:
    """f/g/H evaluation counts of minimize(optimizer="newton") (as counted by
    the driver: value and gradient come from one fused kernel call, counted
    as one f and one g)."""
    r = ck.minimize(ROSENBROCK, x0=X0.copy(), optimizer="newton", steps=1000,
                    tol=1e-10)
    assert r.converged
    return f"{r.nfev}/{r.njev}/{r.nhev}"


def newton_table():
    from calckit.kernels import compile, compile_grad, compile_hessian

    fk = compile(ROSENBROCK, "x y")
    gk = compile_grad(ROSENBROCK, "x y")
    hk = compile_hessian(ROSENBROCK, "x y")
    counts = {"f": 0, "g": 0, "h": 0}

    def fun(v):
        counts["f"] += 1
        return float(fk(*v))

    def jac(v):
        counts["g"] += 1
        return gk(*v)

    def hess(v):
        counts["h"] += 1
        return hk(*v)

    def gnorm(v):
        return float(np.linalg.norm(gk(*v)))

    runs = {}
    t, r = best_of(lambda: ck.minimize(ROSENBROCK, x0=X0, optimizer="newton",
                                       tol=1e-10))
    runs["calckit Newton"] = (r.nit, newton_evals(), t, gnorm(r.x), r.converged)
    for method, extra in (("BFGS", {}), ("trust-exact", {"hess": hess})):
        opts = {"gtol": 1e-10, "maxiter": 10_000}

        def solve(method=method, extra=extra, opts=opts):
            for k in counts:
                counts[k] = 0
            return scipy.optimize.minimize(fun, X0, jac=jac, method=method,
                                           options=opts, **extra)

        t, res = best_of(solve)
        evals = f"{counts['f']}/{counts['g']}/{counts['h']}"
        g = gnorm(res.x)
        runs[f"scipy {method}"] = (res.nit, evals, t, g, g < 1e-10)
    base = runs["scipy BFGS"][2]
    print("\nRosenbrock from (-1.2, 1) to |grad| < 1e-10 (same compiled kernels; "
          f"best of {REPEATS})")
    print(f"{'method':16}  {'iterations':>10}  {'f/g/H evals':>11}  "
          f"{'time ms':>8}  {'vs BFGS':>7}  {'final |grad|':>12}  reached")
    for name, (nit, evals, t, g, ok) in runs.items():
        print(f"{name:16}  {nit:10d}  {evals:>11}  {t * 1e3:8.2f}  "
              f"{t / base:7.2f}  {g:12.2e}  {'yes' if ok else 'no'}")
    return runs


if __name__ == "__main__":
    overhead_table()
    newton_table()
