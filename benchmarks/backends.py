"""Benchmark calckit's array backends, exported ops and dask evaluation.

Run ``python benchmarks/backends.py`` (``--rows 2e8`` for the full dask
size, ``--quick`` for a smoke run). It prints, measured in this one run
(best of several rounds; the machine is shared, +-15%):

1. the five kernel rows of ``benchmarks/kernels.py`` at N points:
   hand-written NumPy, calckit's NumPy kernel and the same kernel compiled
   with ``backend="jax"`` under ``jax.jit`` (float64, CPU), as ratios to
   hand NumPy (all checked equal first);
2. Mish forward + backward of a 10^6-element float32 tensor:
   ``calckit.to_torch("x*tanh(softplus(x))")`` against
   ``torch.nn.functional.mish`` (target: at most 1.5x), eagerly and under
   ``torch.compile`` (not with ``--quick``);
3. the per-sample gradient of the logistic loss ``log(1 + exp(-y (w x + b)))``
   over ``--rows`` rows, chunked, summed over rows, on a 2-worker
   ``dask.distributed.LocalCluster`` (1 thread and ``--memory`` per worker):
   throughput against the in-memory NumPy kernel on one chunk times the
   number of workers (target at least 0.7x), and each worker's peak
   resident memory and spilled bytes (target: within the limit, no spill).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import resource
import sys
import time

import numpy as np

import calckit as ck

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import kernels as kernel_rows  # noqa: E402 - the rows of benchmarks/kernels.py


def best(fn, rounds):
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


# -- 1. kernel rows under jax.jit ----------------------------------------------
def bench_jax_rows(n, rounds):
    import jax
    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(0)
    lines = [f"{f'N = {n:g} points (float64, CPU)':44s} {'hand':>9s} "
             f"{'calckit':>9s} {'jax.jit':>9s}  (ratios to hand NumPy)"]
    for make in kernel_rows.ROWS:
        row = make(rng, n)
        k = row["kernel"]
        jk = ck.compile(k.exprs, list(k.wrt), list(k.params), backend="jax")
        fast = jax.jit(jk.function)
        jargs = [jax.numpy.asarray(a) for a in row["args"]]
        ref = row["hand"](*row["args"])
        got = np.asarray(fast(*jargs))
        if got.shape != ref.shape or not np.allclose(got, ref, rtol=1e-9, atol=1e-12):
            raise SystemExit(f"row {row['name']}: jax disagrees")
        t_hand = best(lambda r=row: r["hand"](*r["args"]), rounds)
        t_ck = best(lambda r=row: r["kernel"](*r["args"]), rounds)
        t_jax = best(lambda f=fast, a=jargs: f(*a).block_until_ready(), rounds)
        lines.append(f"{row['name']:44s} {t_hand * 1e3:7.2f}ms {t_ck / t_hand:8.2f}x "
                     f"{t_jax / t_hand:8.2f}x")
    return lines


# -- 2. Mish in torch ----------------------------------------------------------
def bench_mish(n, rounds, compiled=True):
    import torch
    torch.set_num_threads(1)
    ours = ck.to_torch("x*tanh(softplus(x))")
    x0 = torch.randn(n, generator=torch.Generator().manual_seed(0)) * 5
    g = torch.ones(n)

    def run(f):
        x = x0.clone().requires_grad_()
        f(x).backward(g)
        return x.grad

    if not torch.allclose(run(ours), run(torch.nn.functional.mish), rtol=1e-5,
                          atol=1e-6):
        raise SystemExit("mish: calckit's gradient disagrees with torch's")
    t_ours = best(lambda: run(ours), rounds)
    t_torch = best(lambda: run(torch.nn.functional.mish), rounds)
    lines = [f"{f'Mish fwd+bwd, {n:g} float32 (1 thread)':44s} torch "
             f"{t_torch * 1e3:7.2f}ms  calckit {t_ours * 1e3:7.2f}ms  "
             f"ratio {t_ours / t_torch:5.2f}x (target <= 1.5x)"]
    if compiled:  # the same exported op fused by inductor (forward and backward)
        fast = torch.compile(ours)
        if not torch.allclose(run(fast), run(ours), rtol=1e-5, atol=1e-6):
            raise SystemExit("mish: torch.compile changed calckit's gradient")
        t_fast = best(lambda: run(fast), rounds)
        lines.append(f"{'  same op under torch.compile':44s} torch "
                     f"{t_torch * 1e3:7.2f}ms  calckit {t_fast * 1e3:7.2f}ms  "
                     f"ratio {t_fast / t_torch:5.2f}x")
    return lines


# -- 3. dask on a LocalCluster ---------------------------------------------------
LOSS = ("log(1 + exp(-y*(w*x + b)))", "w b", "x y")


def _data(da, rows, chunk):
    x = da.arange(rows, chunks=chunk, dtype="f8") * (7.0 / rows) - 3.5
    y = da.where(x * x > 2.0, 1.0, -1.0)
    return x, y


def _worker_memory():
    """Peak resident memory of this worker process: VmHWM (reset by exec;
    ``ru_maxrss`` keeps the forking parent's peak across exec, which is
    this benchmark's own, JAX and PyTorch included)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _worker_spilled(dask_worker):
    """Bytes this worker wrote to disk so far (SpillBuffer's metrics)."""
    metrics = getattr(dask_worker.data, "cumulative_metrics", None)
    if metrics is None:
        return None  # not a SpillBuffer: unknown
    return int(metrics.get(("disk-write", "bytes"), 0))


def bench_dask(rows, chunk, memory, rounds):
    import dask
    import dask.array as da
    from dask.distributed import Client, LocalCluster

    k = ck.compile_grad(*LOSS)
    # baseline: the in-memory NumPy kernel on one chunk (data made in memory)
    xs = np.arange(chunk, dtype="f8") * (7.0 / chunk) - 3.5
    ys = np.where(xs * xs > 2.0, 1.0, -1.0)
    t_chunk = best(lambda: k(0.5, -0.1, xs, ys).sum(axis=0), rounds)

    def data_and_kernel():
        a = np.arange(chunk, dtype="f8") * (7.0 / chunk) - 3.5
        return k(0.5, -0.1, a, np.where(a * a > 2.0, 1.0, -1.0)).sum(axis=0)

    t_chunk_data = best(data_and_kernel, rounds)
    workers = 2
    lines = []
    # the same graph on one core in this process: dask's own overhead
    x, y = _data(da, rows, chunk)
    one_core = k(0.5, -0.1, x, y).sum(axis=0)
    t_sync = best(lambda: one_core.compute(scheduler="sync"), 1)
    # dask's nannies set MALLOC_TRIM_THRESHOLD_, which also freezes glibc's
    # mmap threshold at 128 KiB: the kernels' 16384-element (128 KiB) block
    # temporaries are then each a fresh mmap (page faults), 2-4x slower. A
    # fixed 32 MiB mmap threshold keeps them on the heap.
    env = "distributed.nanny.pre-spawn-environ."
    with dask.config.set({"distributed.worker.memory.target": 0.6,
                          "distributed.worker.memory.spill": 0.7,
                          env + "MALLOC_TRIM_THRESHOLD_": 2**28,
                          env + "MALLOC_MMAP_THRESHOLD_": 2**25}), \
            LocalCluster(n_workers=workers, threads_per_worker=1,
                         memory_limit=memory, processes=True,
                         dashboard_address=None) as cluster, \
            Client(cluster) as client:
        x, y = _data(da, rows, chunk)
        total = k(0.5, -0.1, x, y).sum(axis=0)  # lazy: nothing computed yet
        want = None
        times = []
        for _ in range(rounds):
            t = time.perf_counter()
            got = total.compute()
            times.append(time.perf_counter() - t)
            want = got if want is None else want
            if not np.allclose(got, want, rtol=1e-12):
                raise SystemExit("dask: rounds disagree")
        peak = client.run(_worker_memory)
        spilled = client.run(_worker_spilled)
        limit = cluster.workers[next(iter(cluster.workers))].memory_manager \
            .memory_limit if hasattr(cluster.workers[next(iter(cluster.workers))],
                                     "memory_manager") else None
    # check the sum against NumPy on a prefix-free closed form: one chunk
    first = k(0.5, -0.1, xs, ys).sum(axis=0) if rows == chunk else None
    if first is not None and not np.allclose(want, first, rtol=1e-9):
        raise SystemExit("dask: sum disagrees with NumPy")
    t = min(times)
    rate = rows / t
    base = workers * chunk / t_chunk
    base_data = workers * chunk / t_chunk_data
    lines.append(f"dask: {rows:.3g} rows in chunks of {chunk:.3g}, {workers} workers "
                 f"x 1 thread, memory limit {memory} per worker")
    lines.append(f"  time {t:6.2f}s  throughput {rate / 1e6:7.1f} Mrows/s")
    lines.append(f"  vs NumPy kernel on one chunk x {workers}: "
                 f"{base / 1e6:7.1f} Mrows/s -> {rate / base:5.2f}x (target >= 0.7x)")
    lines.append(f"  vs NumPy data+kernel on one chunk x {workers}: "
                 f"{base_data / 1e6:7.1f} Mrows/s -> {rate / base_data:5.2f}x")
    sync_rate = rows / t_sync
    per_core = sync_rate * workers / base_data
    lines.append(f"  same graph, sync scheduler, 1 core, in process: "
                 f"{sync_rate / 1e6:7.1f} Mrows/s -> {per_core:5.2f}x"
                 f" of ({workers} x data+kernel) per core; load average "
                 f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for addr in sorted(peak):
        lines.append(f"  worker {addr}: peak RSS {peak[addr] / 2**20:7.0f} MiB"
                     f"{f' of {limit / 2**20:.0f} MiB' if limit else ''}, "
                     f"spilled {spilled[addr]} bytes")
    return lines


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--rows", type=float, default=2e8)
    p.add_argument("--chunk", type=float, default=2.5e6)
    p.add_argument("--memory", default="1GiB")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--skip", nargs="*", default=(), choices=("jax", "mish", "dask"))
    a = p.parse_args(argv)
    n = 10**5 if a.quick else 10**6
    rows, chunk = (2e6, 5e5) if a.quick else (a.rows, a.chunk)
    out = []
    if "jax" not in a.skip:
        out += bench_jax_rows(n, a.rounds)
    if "mish" not in a.skip:
        out += bench_mish(n, a.rounds, compiled=not a.quick)
    if "dask" not in a.skip:
        out += bench_dask(int(rows), int(chunk), a.memory, max(2, a.rounds // 2))
    print("\n".join(out))


if __name__ == "__main__":
    main()
