"""calckit.nn training speed vs hand-written NumPy, scikit-learn and PyTorch.

Run: ``python benchmarks/nn.py`` (add ``--quick`` for fewer repeats).

Rows:
- moons: 2-16-16-1 tanh MLP, 1000 points (noise 0.1), SGD lr 0.1, batch 32,
  sigmoid output trained on logits (bce_with_logits).
- digits: 64-128-10 ReLU MLP on scikit-learn's digits (1797 x 64, scaled to
  [0, 1]), Adam lr 1e-3, batch 32, softmax cross entropy.
- conv: Conv2D(1 -> 8, 3x3) forward + backward (input, weight and bias
  gradients) on a (64, 1, 28, 28) batch.

Every competitor runs in float64 on one thread (PyTorch also in float32 for
the conv row, for reference) and does the same work per epoch: shuffle, forward, loss,
backward, update. Seconds per epoch: the best of several rounds of a few
epochs each, competitors interleaved (conv: median of repeats), timed in
process CPU time. Ratios
are calckit / hand-written NumPy (targets <= 1.2 for the MLP rows) and
calckit / PyTorch (target <= 2 for the conv row).
"""

from __future__ import annotations

import os

# one BLAS thread, like torch.set_num_threads(1) below: on a small shared
# machine, multi-threaded BLAS on these tiny matrices mostly measures contention
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

from calckit import datasets, nn  # noqa: E402

# CPU time of this (single-threaded) process: on a shared machine, wall time
# also counts the time other processes held the CPU
_clock = time.process_time


def _median_time(fn, repeats: int) -> float:
    fn()  # warm-up (compiles kernels, allocates)
    times = []
    for _ in range(repeats):
        t0 = _clock()
        fn()
        times.append(_clock() - t0)
    return statistics.median(times)


def _per_epoch(runners: dict, epochs: int, rounds: int) -> dict:
    """Seconds per epoch of each ``runner(k)`` (runs k epochs): the best of
    ``rounds`` rounds, the competitors interleaved so load changes on a
    shared machine hit them alike."""
    best = {name: float("inf") for name in runners}
    for run in runners.values():
        run(1)  # warm-up: compile kernels, allocate
    for _ in range(rounds):
        for name, run in runners.items():
            t0 = _clock()
            run(epochs)
            best[name] = min(best[name], (_clock() - t0) / epochs)
    return best


def _loop(epoch):
    def run(k):
        for _ in range(k):
            epoch()
    return run


# -- data ------------------------------------------------------------------------
def moons_data():
    return datasets.moons(1000, noise=0.1, seed=0)


def digits_data():
    if importlib.util.find_spec("sklearn") is None:
        return None
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.data / 16.0, d.target.astype(np.int64)


# -- calckit -----------------------------------------------------------------------
def calckit_moons(X, y):
    model = nn.Sequential([nn.Dense(2, 16), nn.Activation("tanh"), nn.Dense(16, 16),
                           nn.Activation("tanh"), nn.Dense(16, 1)], seed=0)
    from calckit import optim

    opt = optim.get("sgd", lr=0.1)
    rng = np.random.default_rng(0)

    def run(k):
        model.fit(X, y, loss="bce_with_logits", optimizer=opt, epochs=k,
                  batch_size=32, seed=rng, progress=False)
    return run


def calckit_digits(X, y):
    model = nn.Sequential([nn.Dense(64, 128), nn.Activation("relu"),
                           nn.Dense(128, 10)], seed=0)
    from calckit import optim

    opt = optim.get("adam", lr=1e-3)
    rng = np.random.default_rng(0)

    def run(k):
        model.fit(X, y, loss="softmax_cross_entropy", optimizer=opt, epochs=k,
                  batch_size=32, seed=rng, progress=False)
    return run


# -- hand-written NumPy -------------------------------------------------------------
def numpy_moons(X, y):
    rng = np.random.default_rng(0)
    W1 = rng.uniform(-0.5, 0.5, (2, 16))
    b1 = np.zeros(16)
    W2 = rng.uniform(-0.4, 0.4, (16, 16))
    b2 = np.zeros(16)
    W3 = rng.uniform(-0.5, 0.5, (16, 1))
    b3 = np.zeros(1)
    Y = y.reshape(-1, 1).astype(np.float64)
    lr, n = 0.1, len(X)

    def epoch():
        nonlocal W1, b1, W2, b2, W3, b3  # updated in place
        perm = rng.permutation(n)
        Xs, Ys = X[perm], Y[perm]
        total = 0.0
        for s in range(0, n, 32):
            xb, yb = Xs[s:s + 32], Ys[s:s + 32]
            a1 = np.tanh(xb @ W1 + b1)
            a2 = np.tanh(a1 @ W2 + b2)
            z = a2 @ W3 + b3
            total += float(np.mean(np.logaddexp(0.0, z) - yb * z)) * len(xb)
            g3 = (1.0 / (1.0 + np.exp(-z)) - yb) / len(xb)
            g2 = (g3 @ W3.T) * (1.0 - a2 * a2)
            g1 = (g2 @ W2.T) * (1.0 - a1 * a1)
            W3 -= lr * (a2.T @ g3)
            b3 -= lr * g3.sum(axis=0)
            W2 -= lr * (a1.T @ g2)
            b2 -= lr * g2.sum(axis=0)
            W1 -= lr * (xb.T @ g1)
            b1 -= lr * g1.sum(axis=0)
        return total / n
    return epoch


def numpy_digits(X, y):
    rng = np.random.default_rng(0)
    params = [rng.normal(0, np.sqrt(2 / 64), (64, 128)), np.zeros(128),
              rng.uniform(-0.2, 0.2, (128, 10)), np.zeros(10)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    Y = np.eye(10)[y]
    lr, b1, b2, eps, n = 1e-3, 0.9, 0.999, 1e-8, len(X)
    t = [0]

    def epoch():
        W1, c1, W2, c2 = params
        perm = rng.permutation(n)
        Xs, Ys = X[perm], Y[perm]
        total = 0.0
        for s in range(0, n, 32):
            xb, yb = Xs[s:s + 32], Ys[s:s + 32]
            h = np.maximum(xb @ W1 + c1, 0.0)
            z = h @ W2 + c2
            z = z - z.max(axis=1, keepdims=True)
            e = np.exp(z)
            se = e.sum(axis=1, keepdims=True)
            total += float(np.sum(np.log(se) - np.sum(yb * z, axis=1, keepdims=True)))
            gz = (e / se - yb) / len(xb)
            gh = (gz @ W2.T) * (h > 0)
            grads = [xb.T @ gh, gh.sum(axis=0), h.T @ gz, gz.sum(axis=0)]
            t[0] += 1
            c_1 = 1 - b1 ** t[0]
            c_2 = 1 - b2 ** t[0]
            for p, g, mi, vi in zip(params, grads, m, v, strict=True):
                mi *= b1
                mi += (1 - b1) * g
                vi *= b2
                vi += (1 - b2) * g * g
                p -= (lr / c_1) * mi / (np.sqrt(vi / c_2) + eps)
        return total / n
    return epoch


# -- scikit-learn -------------------------------------------------------------------
def sklearn_epoch(X, y, hidden, activation, solver, lr):
    if importlib.util.find_spec("sklearn") is None:
        return None
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    def epochs(k):
        clf = MLPClassifier(hidden_layer_sizes=hidden, activation=activation,
                            solver=solver, learning_rate_init=lr, momentum=0.0,
                            nesterovs_momentum=False, batch_size=32, alpha=0.0,
                            max_iter=k, tol=0.0, n_iter_no_change=10 ** 6,
                            shuffle=True, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)

    def epoch_cost():
        t0 = _clock()
        epochs(1)
        one = _clock() - t0
        t0 = _clock()
        epochs(6)
        six = _clock() - t0
        return (six - one) / 5  # set-up cost cancels
    return epoch_cost


# -- PyTorch ---------------------------------------------------------------------
def torch_epoch(X, y, kind):
    if importlib.util.find_spec("torch") is None:
        return None
    import torch

    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    Xt = torch.tensor(X)
    if kind == "moons":
        model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(),
                                    torch.nn.Linear(16, 16), torch.nn.Tanh(),
                                    torch.nn.Linear(16, 1)).double()
        Yt = torch.tensor(y, dtype=torch.float64).reshape(-1, 1)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
    else:
        model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(),
                                    torch.nn.Linear(128, 10)).double()
        Yt = torch.tensor(y)
        loss_fn = torch.nn.CrossEntropyLoss()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    n = len(X)

    def epoch():
        perm = torch.randperm(n, generator=g)
        Xs, Ys = Xt[perm], Yt[perm]
        total = 0.0
        for s in range(0, n, 32):
            opt.zero_grad()
            loss = loss_fn(model(Xs[s:s + 32]), Ys[s:s + 32])
            loss.backward()
            opt.step()
            total += loss.item()
        return total
    return epoch


# -- conv ------------------------------------------------------------------------
def conv_times(repeats):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1, 28, 28))
    conv = nn.Conv2D(1, 8, 3, rng=0)
    g = rng.standard_normal(conv.output_shape(x.shape))

    def ck():
        conv.forward(x)
        conv.backward(g)
    out = {"calckit": _median_time(ck, repeats)}
    if importlib.util.find_spec("torch") is not None:
        import torch

        torch.set_num_threads(1)
        for name, dtype in (("pytorch", torch.float64), ("pytorch_f32", torch.float32)):
            tx = torch.tensor(x, dtype=dtype, requires_grad=True)
            tW = torch.tensor(conv.params["W"], dtype=dtype, requires_grad=True)
            tb = torch.tensor(conv.params["b"], dtype=dtype, requires_grad=True)
            tg = torch.tensor(g, dtype=dtype)

            def tc(tx=tx, tW=tW, tb=tb, tg=tg):
                tx.grad = tW.grad = tb.grad = None
                torch.nn.functional.conv2d(tx, tW, tb).backward(tg)
            out[name] = _median_time(tc, repeats)
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--wall", action="store_true",
                        help="time wall-clock instead of process CPU time")
    args = parser.parse_args(argv)
    global _clock
    if args.wall:
        _clock = time.perf_counter
    epochs, rounds = (4, 2) if args.quick else (10, 5)
    reps = 5 if args.quick else 15

    rows = []
    Xm, ym = moons_data()
    runners = {"calckit": calckit_moons(Xm, ym), "numpy": _loop(numpy_moons(Xm, ym))}
    tm = torch_epoch(Xm, ym, "moons")
    if tm is not None:
        runners["pytorch"] = _loop(tm)
    moons = _per_epoch(runners, epochs, rounds)
    sk = sklearn_epoch(Xm, ym, (16, 16), "tanh", "sgd", 0.1)
    if sk is not None:
        moons["sklearn"] = min(sk() for _ in range(rounds))
    rows.append(("moons 2-16-16-1 tanh, SGD", moons))

    dig = digits_data()
    if dig is not None:
        Xd, yd = dig
        runners = {"calckit": calckit_digits(Xd, yd),
                   "numpy": _loop(numpy_digits(Xd, yd))}
        td = torch_epoch(Xd, yd, "digits")
        if td is not None:
            runners["pytorch"] = _loop(td)
        d = _per_epoch(runners, max(1, epochs // 2), rounds)
        sk = sklearn_epoch(Xd, yd, (128,), "relu", "adam", 1e-3)
        d["sklearn"] = min(sk() for _ in range(rounds))
        rows.append(("digits 64-128-10 relu, Adam", d))
    else:
        print("scikit-learn not installed: digits row skipped")

    cols = ["calckit", "numpy", "sklearn", "pytorch"]
    clock = "wall-clock" if args.wall else "CPU"
    print(f"{clock} seconds per epoch (best of {rounds} rounds; float64, one thread)")
    print(f"{'problem':<30}" + "".join(f"{c:>11}" for c in cols)
          + f"{'ck/numpy':>10}{'target':>8}")
    for name, r in rows:
        cells = "".join(f"{r[c]:>11.5f}" if c in r else f"{'-':>11}" for c in cols)
        ratio = r["calckit"] / r["numpy"]
        print(f"{name:<30}{cells}{ratio:>10.2f}{'<=1.2':>8}"
              + ("  ok" if ratio <= 1.2 else "  MISSED"))

    conv = conv_times(reps)
    print("\nConv2D(1->8, 3x3) forward+backward on (64, 1, 28, 28), seconds")
    line = "  ".join(f"{k} {v:.5f}" for k, v in conv.items())
    print(line)
    if "pytorch" in conv:
        r64 = conv["calckit"] / conv["pytorch"]
        r32 = conv["calckit"] / conv["pytorch_f32"]
        print(f"calckit / pytorch float64 = {r64:.2f} (target <= 2: "
              f"{'ok' if r64 <= 2 else 'MISSED'}); calckit / pytorch float32 = "
              f"{r32:.2f}")


if __name__ == "__main__":
    main()
