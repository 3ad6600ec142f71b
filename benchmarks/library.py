"""Library benchmark: calckit's derivative kernels vs hand-written NumPy/SciPy.

For every activation (derivative d/dx) and every loss (derivative with
respect to the prediction; the gradient over all classes for the vector
losses), time calckit's kernel (``compile(derivative(...))``, or
``compile_grad`` for vector losses) at N = 10^6 points against a
hand-written NumPy/SciPy version (``expit``, ``logaddexp``, ...) in the same
run, timed alternately, after checking both agree. Prints a table of ratios
(target: <= 1.3x on every row).

Run: ``python benchmarks/library.py [--n 1000000] [--repeat 9]``
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import sympy as sp
from scipy.special import expit, ndtr

import calckit as ck

SELU_A = 1.6732632423543772848170429916717
SELU_S = 1.0507009873554804934193349852946
C_GELU = math.sqrt(2 / math.pi)
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _gelu_tanh_d(x):
    x2 = x * x
    u = C_GELU * (x + 0.044715 * x2 * x)
    t = np.tanh(u)
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * C_GELU * (1 + 3 * 0.044715 * x2)


def _swish_d(x):
    s = expit(x)
    return s + x * s * (1 - s)


def _mish_d(x):
    t = np.tanh(np.logaddexp(0, x))
    return t + x * (1 - t * t) * expit(x)


def _sigmoid_d(x):
    s = expit(x)
    return s * (1 - s)


def _tanh_d(x):
    t = np.tanh(x)
    return 1 - t * t


def _softsign_d(x):
    a = 1 + np.abs(x)
    return 1 / (a * a)


ACTIVATIONS = {
    "identity": lambda x: np.ones_like(x),
    "sigmoid": _sigmoid_d,
    "tanh": _tanh_d,
    "relu": lambda x: (x > 0).astype(np.float64),
    "leaky_relu": lambda x: np.where(x > 0, 1.0, 0.01),
    "elu": lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0))),
    "selu": lambda x: np.where(
        x > 0, SELU_S, SELU_S * SELU_A * np.exp(np.minimum(x, 0))
    ),
    "gelu": lambda x: ndtr(x) + x * np.exp(-0.5 * x * x) * INV_SQRT_2PI,
    "gelu_tanh": _gelu_tanh_d,
    "swish": _swish_d,
    "silu": _swish_d,
    "softplus": expit,
    "mish": _mish_d,
    "softsign": _softsign_d,
    "hard_sigmoid": lambda x: np.where((x > -3) & (x < 3), 1 / 6, 0.0),
    "hard_tanh": lambda x: np.where((x > -1) & (x < 1), 1.0, 0.0),
    "log_sigmoid": lambda x: expit(-x),
}


def _focal_d(y, p, gamma=2, alpha=0.25):
    q = y * (1 - p) + (1 - y) * p
    at = alpha * y + (1 - alpha) * (1 - y)
    ce = -(y * np.log(p) + (1 - y) * np.log1p(-p))
    dce = -y / p + (1 - y) / (1 - p)
    return at * (gamma * q * (1 - 2 * y) * ce + q * q * dce)


def _softmax_ce_d(Y, Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True) * Y.sum(axis=1, keepdims=True) - Y


# name -> (hand-written gradient wrt the prediction, argument sampler)
LOSSES = {
    "mse": lambda y, f: 2 * (f - y),
    "mae": lambda y, f: np.sign(f - y),
    "huber": lambda y, f: np.clip(f - y, -1.0, 1.0),
    "log_cosh": lambda y, f: np.tanh(f - y),
    "binary_cross_entropy": lambda y, p: (1 - y) / (1 - p) - y / p,
    "bce_with_logits": lambda y, z: expit(z) - y,
    "softmax_cross_entropy": _softmax_ce_d,
    "hinge": lambda y, z: np.where(y * z < 1, -y, 0.0),
    "squared_hinge": lambda y, z: np.where(y * z < 1, -2 * y * (1 - y * z), 0.0),
    "focal": _focal_d,
    "kl_divergence": lambda P, Q: -P / Q,
    "poisson_nll": lambda y, r: np.exp(r) - y,
}


def _sample(kind, n, rng, k=3):
    if kind in ("real", "logit"):
        return rng.uniform(-10, 10, n)
    if kind == "prob":
        return rng.uniform(1e-6, 1 - 1e-6, n)
    if kind == "label":
        return rng.integers(0, 2, n).astype(np.float64)
    if kind == "sign":
        return rng.choice([-1.0, 1.0], n)
    if kind == "count":
        return rng.poisson(3.0, n).astype(np.float64)
    if kind == "labels":
        return np.eye(k)[rng.integers(0, k, n)]
    if kind == "logits":
        return rng.uniform(-10, 10, (n, k))
    if kind == "probs":
        P = rng.uniform(0.01, 1, (n, k))
        return P / P.sum(axis=1, keepdims=True)
    raise KeyError(kind)


def _paired_best(f, g, repeat):
    """Best time of ``f`` and of ``g``, measured alternately so that load on
    a shared machine hits both alike."""
    f(), g()
    bf = bg = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        t1 = time.perf_counter()
        g()
        t2 = time.perf_counter()
        bf, bg = min(bf, t1 - t0), min(bg, t2 - t1)
    return bf, bg


def _row(name, kernel, kargs, hand, hargs, repeat):
    got = np.asarray(kernel(*kargs)).reshape(len(kargs[0]), -1)
    ref = np.asarray(hand(*hargs)).reshape(len(kargs[0]), -1)
    ok = np.allclose(got, ref, rtol=1e-9, atol=1e-12)
    tk, th = _paired_best(lambda: kernel(*kargs), lambda: hand(*hargs), repeat)
    return name, tk, th, ok


def run(n: int, repeat: int, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    rows = []
    x = sp.Symbol("x", real=True)
    X = rng.uniform(-10, 10, n)
    for name in ck.activations.names():
        # d/dx as a user writes it: shape (N,), like the hand-written version
        kernel = ck.compile(ck.derivative(ck.activations.get(name)(x), x), [x])
        rows.append(_row(f"act {name}'", kernel, (X,), ACTIVATIONS[name], (X,),
                         repeat))
    for name in ck.losses.names():
        kinds = ck.losses.argument_kinds(name)
        data = [_sample(k, n, rng) for k in kinds]
        syms, flat_args = [], []
        for j, (kind, arr) in enumerate(zip(kinds, data, strict=True)):
            if kind.endswith("s"):
                s = list(sp.symbols(f"a{j}_0:{arr.shape[1]}", real=True))
                flat_args.append([np.ascontiguousarray(c) for c in arr.T])
            else:
                s = sp.Symbol(f"a{j}", real=True)
                flat_args.append([arr])
            syms.append(s)
        expr = ck.losses.get(name)(*syms)
        wrt = syms[-1] if isinstance(syms[-1], list) else [syms[-1]]
        params = syms[0] if isinstance(syms[0], list) else [syms[0]]
        if len(wrt) == 1:  # scalar prediction: d/dprediction, shape (N,)
            kernel = ck.compile(ck.derivative(expr, wrt[0]), wrt, params)
        else:  # vector prediction: the gradient kernel, shape (N, K)
            kernel = ck.compile_grad(expr, wrt, params)
        kargs = (*flat_args[-1], *flat_args[0])
        rows.append(_row(f"loss {name} grad", kernel, kargs, LOSSES[name],
                         tuple(data), repeat))
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args(argv)
    rows = run(args.n, args.repeat)
    print(f"N = {args.n:,}; best of {args.repeat}; ratio = calckit / hand-written")
    head = f"{'entry':34} {'calckit ms':>10} {'numpy ms':>9} {'ratio':>6}"
    print(f"{head}  equal  <=1.3x")
    for name, tk, th, ok in rows:
        r = tk / th
        print(f"{name:34} {tk * 1e3:10.2f} {th * 1e3:9.2f} {r:6.2f}  "
              f"{'yes' if ok else 'NO':5}  {'ok' if r <= 1.3 else 'MISS'}")
    misses = [name for name, tk, th, _ in rows if tk / th > 1.3]
    print(f"{len(rows) - len(misses)}/{len(rows)} rows within 1.3x"
          + (f"; missing: {', '.join(misses)}" if misses else ""))


if __name__ == "__main__":
    main()
