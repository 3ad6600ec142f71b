"""Benchmark calckit's tensor expressions against hand-written NumPy, JAX
and PyTorch.

Run ``python benchmarks/tensor.py`` (``--quick`` for smaller sizes). Every
time is the best of several rounds measured in this one run, with the
contenders timed in alternation; ratios are to the hand-written NumPy
version (verified equal to calckit's result first):

1. derive + compile the logistic-regression gradient and Hessian at
   d = 10 and d = 10 000 (targets: each <= 50 ms, d = 10 000 within 2x of
   d = 10);
2. the gradient at n = 60 000, d = 784 (target <= 1.2x hand
   ``X.T @ (expit(X @ w) - y) / n``) and its peak traced memory (target
   <= 1.5x);
3. the Hessian at n = 10 000, d = 784 (target <= 1.5x hand
   ``X.T @ (X * (s*(1 - s))[:, None]) / n`` and faster than
   ``jax.jit(jax.hessian(...))``);
4. the gradient of all four parameters of a 784-128-10 MLP (tanh hidden
   layer) with softmax cross-entropy at batch 256 (target <= 1.2x a
   hand-written NumPy backprop);
5. training: 100 full-batch Adam epochs of softmax regression on the 8x8
   digits (1400 training images), ``ck.minimize`` from the symbolic loss
   (kernels cached) against a hand-written NumPy loop with the same Adam
   (target <= 1.3x) and ``torch.optim.Adam``; held-out accuracy beside
   each, and scikit-learn's ``LogisticRegression`` fit time and accuracy.

BLAS, PyTorch and XLA run single-threaded unless ``--threads N`` is given
(set before NumPy loads): on a shared machine, competing BLAS threads make
timings swing by 5x, single-threaded ones by about 15%.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":  # thread counts must be set before NumPy loads
    _threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv \
        else "1"
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, _threads)
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen="
                          f"{'false' if _threads == '1' else 'true'} "
                          f"intra_op_parallelism_threads={_threads}")

import argparse  # noqa: E402 - after the thread settings
import time  # noqa: E402
import timeit  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402
from scipy.special import expit  # noqa: E402

import calckit as ck  # noqa: E402
import calckit.symbolic.tensor as T  # noqa: E402
from calckit.kernels import tensor as tensor_kernels  # noqa: E402

LOGISTIC = "mean(softplus(X @ w) - y * (X @ w))"
MLP = ("mean(logsumexp(tanh(X @ W1 + b1) @ W2 + b2, axis=1) "
       "- sum(Y * (tanh(X @ W1 + b1) @ W2 + b2), axis=1))")


def best_interleaved(fns: dict, repeat: int, number: int = 1) -> dict:
    times = {k: float("inf") for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            times[k] = min(times[k], timeit.timeit(fn, number=number) / number)
    return times


def peak_memory(fn) -> int:
    fn()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def optional(name):
    try:
        return __import__(name)
    except ImportError:
        return None


def derive_compile(d: int, kind: str, repeat: int) -> float:
    """Best time to build, derive and compile from scratch (caches cleared)."""
    times = []
    for _ in range(repeat):
        tensor_kernels._CACHE.clear()
        t = time.perf_counter()
        X, w, y = ck.matrix("X", "n", d), ck.vector("w", d), ck.vector("y", "n")
        loss = T.mean(T.softplus(X @ w) - y * (X @ w))
        (ck.compile_grad if kind == "grad" else ck.compile_hessian)(loss, wrt=w)
        times.append(time.perf_counter() - t)
    return min(times)


def section_derive(repeat: int) -> list[str]:
    lines = ["1. derive + compile (ms)        d = 10   d = 10000   ratio"]
    for kind in ("grad", "hessian"):
        small, large = (derive_compile(d, kind, repeat) for d in (10, 10_000))
        lines.append(f"   logistic {kind:8s}          {small * 1e3:7.1f}   "
                     f"{large * 1e3:9.1f}   {large / small:5.2f}")
    return lines


def jax_setup():
    jax = optional("jax")
    if jax is None:
        return None, None
    jax.config.update("jax_enable_x64", True)
    return jax, jax.numpy


def section_gradient(n, d, repeat, rng) -> list[str]:
    X = rng.normal(size=(n, d)) / np.sqrt(d)
    w = rng.normal(size=d)
    y = (rng.random(n) < 0.5).astype(float)
    kernel = ck.compile_grad(LOGISTIC, wrt="w", shapes={"X": ("n", "d"), "w": "d",
                                                         "y": "n"})

    def hand():
        return X.T @ (expit(X @ w) - y) / n

    np.testing.assert_allclose(kernel(w, X, y), hand(), rtol=1e-10)
    fns = {"hand NumPy": hand, "calckit": lambda: kernel(w, X, y)}
    jax, jnp = jax_setup()
    if jax is not None:
        Xj, yj, wj = jnp.asarray(X), jnp.asarray(y), jnp.asarray(w)
        jg = jax.jit(jax.grad(lambda w, X, y: jnp.mean(jnp.logaddexp(0, X @ w)
                                                       - y * (X @ w))))
        jg(wj, Xj, yj).block_until_ready()
        fns["jax.jit(grad)"] = lambda: jg(wj, Xj, yj).block_until_ready()
    torch = optional("torch")
    if torch is not None:
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

        def torch_grad():
            wt = torch.from_numpy(w).requires_grad_(True)
            z = Xt @ wt
            (torch.nn.functional.softplus(z) - yt * z).mean().backward()
            return wt.grad

        fns["torch autograd"] = torch_grad
    times = best_interleaved(fns, repeat)
    mem = {k: peak_memory(fns[k]) for k in ("hand NumPy", "calckit")}
    lines = [f"2. logistic gradient, n = {n}, d = {d}"]
    lines += _table(times)
    lines.append(f"   peak traced memory: calckit {mem['calckit'] / 1e6:.2f} MB, hand "
                 f"{mem['hand NumPy'] / 1e6:.2f} MB, ratio "
                 f"{mem['calckit'] / mem['hand NumPy']:.2f}")
    return lines


def section_hessian(n, d, repeat, rng) -> list[str]:
    X = rng.normal(size=(n, d)) / np.sqrt(d)
    w = rng.normal(size=d)
    y = (rng.random(n) < 0.5).astype(float)
    kernel = ck.compile_hessian(LOGISTIC, wrt="w",
                                shapes={"X": ("n", "d"), "w": "d", "y": "n"})

    def hand():
        s = expit(X @ w)
        return X.T @ (X * (s * (1 - s))[:, None]) / n

    np.testing.assert_allclose(kernel(w, X, y), hand(), rtol=1e-10, atol=1e-14)
    fns = {"hand NumPy": hand, "calckit": lambda: kernel(w, X, y)}
    jax, jnp = jax_setup()
    if jax is not None:
        Xj, yj, wj = jnp.asarray(X), jnp.asarray(y), jnp.asarray(w)
        jh = jax.jit(jax.hessian(lambda w, X, y: jnp.mean(jnp.logaddexp(0, X @ w)
                                                          - y * (X @ w))))
        jh(wj, Xj, yj).block_until_ready()
        fns["jax.jit(hessian)"] = lambda: jh(wj, Xj, yj).block_until_ready()
    times = best_interleaved(fns, repeat)
    return [f"3. logistic Hessian, n = {n}, d = {d}", *_table(times)]


def section_mlp(batch, repeat, rng) -> list[str]:
    d, h, k = 784, 128, 10
    X = rng.random((batch, d))
    Y = np.eye(k)[rng.integers(0, k, batch)]
    W1 = rng.normal(size=(d, h)) / np.sqrt(d)
    b1 = np.zeros(h)
    W2 = rng.normal(size=(h, k)) / np.sqrt(h)
    b2 = np.zeros(k)
    shapes = {"X": ("n", "d"), "W1": ("d", "h"), "b1": "h", "W2": ("h", "k"),
              "b2": "k", "Y": ("n", "k")}
    kernel = ck.compile_grad(MLP, wrt="W1 b1 W2 b2", shapes=shapes)

    def hand():
        a1 = np.tanh(X @ W1 + b1)
        z2 = a1 @ W2 + b2
        e = np.exp(z2 - z2.max(axis=1, keepdims=True))
        d2 = (e / e.sum(axis=1, keepdims=True) - Y) / batch
        d1 = (d2 @ W2.T) * (1 - a1 * a1)
        return X.T @ d1, d1.sum(axis=0), a1.T @ d2, d2.sum(axis=0)

    for a, b in zip(kernel(W1, b1, W2, b2, X, Y), hand(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-15)
    fns = {"hand NumPy": hand, "calckit": lambda: kernel(W1, b1, W2, b2, X, Y)}
    jax, jnp = jax_setup()
    if jax is not None:
        args = [jnp.asarray(a) for a in (W1, b1, W2, b2)]
        Xj, Yj = jnp.asarray(X), jnp.asarray(Y)

        def loss(W1, b1, W2, b2, X, Y):
            z = jnp.tanh(X @ W1 + b1) @ W2 + b2
            return jnp.mean(jax.scipy.special.logsumexp(z, axis=1)
                            - jnp.sum(Y * z, axis=1))

        jg = jax.jit(jax.grad(loss, argnums=(0, 1, 2, 3)))
        jax.block_until_ready(jg(*args, Xj, Yj))
        fns["jax.jit(grad)"] = lambda: jax.block_until_ready(jg(*args, Xj, Yj))
    torch = optional("torch")
    if torch is not None:
        Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)

        def torch_grad():
            ps = [torch.from_numpy(a).requires_grad_(True) for a in (W1, b1, W2, b2)]
            z = torch.tanh(Xt @ ps[0] + ps[1]) @ ps[2] + ps[3]
            (torch.logsumexp(z, 1) - (Yt * z).sum(1)).mean().backward()
            return [p.grad for p in ps]

        fns["torch autograd"] = torch_grad
    times = best_interleaved(fns, repeat, number=5)
    return [f"4. MLP 784-128-10 softmax CE, batch {batch}, all four gradients",
            *_table(times)]


SOFTMAX = ("mean(logsumexp(X @ W + b, axis=1) - sum(Y * (X @ W + b), axis=1))"
           " + lam * sum(W**2)")


def _digits(rng):
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        return None
    X, t = load_digits(return_X_y=True)
    order = rng.permutation(len(X))
    return X / 16.0, t, order[:1400], order[1400:]


def section_training(repeat, rng) -> list[str]:
    data = _digits(rng)
    if data is None:
        return ["5. training: scikit-learn is not installed (no digits); skipped"]
    X, t, tr, te = data
    Xtr, Ytr, lam, lr, epochs = X[tr], np.eye(10)[t[tr]], 1e-3, 0.05, 100
    shapes = {"X": ("n", "d"), "W": ("d", "k"), "b": "k", "Y": ("n", "k")}
    x0 = {"W": np.zeros((64, 10)), "b": np.zeros(10)}

    def accuracy(W, b):
        return float(np.mean(np.argmax(X[te] @ W + b, axis=1) == t[te]))

    def calckit_run():
        r = ck.minimize(SOFTMAX, wrt="W b", x0=x0, optimizer="adam", lr=lr,
                        steps=epochs, tol=0.0, params={"X": Xtr, "Y": Ytr, "lam": lam},
                        shapes=shapes)
        return r.x["W"], r.x["b"]

    def hand(with_loss=False):
        W, b = np.zeros((64, 10)), np.zeros(10)
        m = [np.zeros_like(W), np.zeros_like(b)]
        v = [np.zeros_like(W), np.zeros_like(b)]
        n = len(Xtr)
        for k in range(1, epochs + 1):
            z = Xtr @ W + b
            e = np.exp(z - z.max(axis=1, keepdims=True))
            s = e.sum(axis=1, keepdims=True)
            d = (e / s - Ytr) / n
            if with_loss:  # as minimize records it: losses, convergence
                _ = np.mean(np.log(s[:, 0]) + z.max(axis=1) - np.sum(Ytr * z, axis=1)) \
                    + lam * np.sum(W * W)
            grads = (Xtr.T @ d + 2 * lam * W, d.sum(axis=0))
            for i, (p, g) in enumerate(zip((W, b), grads, strict=True)):
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                p -= lr * (m[i] / (1 - 0.9**k)) / (
                    np.sqrt(v[i] / (1 - 0.999**k)) + 1e-8)
        return W, b

    np.testing.assert_allclose(calckit_run()[0], hand()[0], rtol=1e-8, atol=1e-10)
    fns = {"hand NumPy": hand, "hand NumPy + loss": lambda: hand(True),
           "calckit": calckit_run}
    torch = optional("torch")
    if torch is not None:
        Xt, yt = torch.from_numpy(Xtr), torch.from_numpy(t[tr])

        def torch_run():
            W = torch.zeros((64, 10), dtype=torch.float64, requires_grad=True)
            b = torch.zeros(10, dtype=torch.float64, requires_grad=True)
            opt = torch.optim.Adam([W, b], lr=lr)
            for _ in range(epochs):
                opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(Xt @ W + b, yt) \
                    + lam * (W * W).sum()
                loss.backward()
                opt.step()
            return W.detach().numpy(), b.detach().numpy()

        fns["torch.optim.Adam"] = torch_run
    times = best_interleaved(fns, repeat)
    lines = [f"5. softmax regression on digits, {epochs} full-batch Adam epochs",
             *[f"{line}   held-out accuracy {accuracy(*fns[k]()):.4f}"
               for line, k in zip(_table(times), times, strict=True)]]
    linear_model = optional("sklearn.linear_model")
    if linear_model is not None:
        from sklearn.linear_model import LogisticRegression

        start = time.perf_counter()
        clf = LogisticRegression(max_iter=1000).fit(Xtr, t[tr])
        took = time.perf_counter() - start
        lines.append(f"   sklearn LogisticRegression {took * 1e3:9.3f} ms "
                     f"(lbfgs to convergence)   held-out accuracy "
                     f"{clf.score(X[te], t[te]):.4f}")
    return lines


def _table(times: dict) -> list[str]:
    base = times["hand NumPy"]
    return [f"   {k:22s} {v * 1e3:9.3f} ms   {v / base:5.2f}x hand"
            for k, v in times.items()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--threads", default="1",
                        help="BLAS/PyTorch/XLA threads (default 1)")
    ns = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    repeat = 3 if ns.quick else 7
    ck.compile_grad(LOGISTIC, wrt="w", shapes={"X": ("n", "d"), "w": "d", "y": "n"})
    blocks = [
        section_derive(repeat),
        section_gradient(6_000 if ns.quick else 60_000, 784, repeat, rng),
        section_hessian(1_000 if ns.quick else 10_000, 784, repeat, rng),
        section_mlp(256, repeat * 3, rng),
        section_training(repeat, rng),
    ]
    print("\n\n".join("\n".join(b) for b in blocks))


if __name__ == "__main__":
    main()
