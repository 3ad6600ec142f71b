"""Gradient and Hessian kernels of long products (private).

For ``f = c * g_1 * ... * g_K`` (``K >= MIN_FACTORS`` factors holding the
variables, such as a product of 30 sines), the product rule written out
gives Hessian entries of ``K - 1`` factors each, and compiling them costs
seconds. :func:`product_kernel` compiles instead one small kernel of the
factors and their own first and second derivatives, and assembles the
derivative numerically with products that leave out one or two factors
(prefix, middle and suffix products: no division, so zeros are exact):

``grad = D^T P``, ``H = D^T Q D + sum_k P_k D2_k``,

with ``P_k = c * prod_{j != k} g_j``, ``Q_kl = c * prod_{j != k, l} g_j``
(``Q_kk = 0``), ``D_ki = d g_k / d x_i`` and ``D2_k`` the Hessian of
``g_k``.

>>> import numpy as np
>>> import sympy as sp
>>> x = sp.symbols("x1:9", real=True)
>>> f = sp.Mul(*[sp.sin(v) for v in x])
>>> source, ns, _ = product_kernel("hessian", f, x, (), cse=True,
...                                 dtype=np.dtype(float))
>>> exec(source, ns)
>>> H = ns["_kernel"](*np.linspace(0.2, 1.0, 8))
>>> bool(np.allclose(H, H.T)), H.shape
(True, (8, 8))
"""

from __future__ import annotations

import numpy
import sympy as sp

from calckit.kernels import compile
from calckit.symbolic import derive
from calckit.symbolic.stable import stabilize

__all__ = ["product_kernel", "MIN_FACTORS"]

#: products of fewer factors holding variables take the other paths
MIN_FACTORS = 8


def product_kernel(kind, expr, wrt, params, *, cse, dtype):
    """The ``kind`` kernel of the product ``expr``: ``(source, globals,
    kernels)`` of its driver ``_kernel(*args)``, or ``None`` if ``expr`` is
    not a product of at least :data:`MIN_FACTORS` factors holding
    variables."""
    e = stabilize(expr)
    if not isinstance(e, sp.Mul):
        return None
    wset = set(wrt)
    factors = [g for g in e.args if g.free_symbols & wset]
    const = sp.Mul(*[g for g in e.args if not g.free_symbols & wset])
    if len(factors) < MIN_FACTORS:
        return None
    index = {s: i for i, s in enumerate(wrt)}
    values = list(factors)  # G_k, then D_ki, then D2_kij entries
    first, second = [], []  # (k, i, position in values) and (k, i, j, position)
    for k, g in enumerate(factors):
        own = sorted((s for s in g.free_symbols if s in index), key=index.get)
        for s, d in zip(own, derive.grad(g, own), strict=True):
            if d != 0:
                first.append((k, index[s], len(values)))
                values.append(d)
        if kind != "grad":
            h = derive.hessian(g, own)
            for a in range(len(own)):
                for b in range(a, len(own)):
                    if h[a, b] != 0:
                        second.append((k, index[own[a]], index[own[b]], len(values)))
                        values.append(h[a, b])
    values.append(const)
    kernel = compile(values, wrt, params, cse=cse, stable=True, dtype=dtype)
    ns = {
        "_values": kernel.function, "_leave_out": leave_out,
        "_K": len(factors), "_n": len(wrt),
        "_Dk": numpy.array([t[0] for t in first], dtype=numpy.intp),
        "_Di": numpy.array([t[1] for t in first], dtype=numpy.intp),
        "_Dv": numpy.array([t[2] for t in first], dtype=numpy.intp),
        "_Sk": numpy.array([t[0] for t in second], dtype=numpy.intp),
        "_Si": numpy.array([t[1] for t in second], dtype=numpy.intp),
        "_Sj": numpy.array([t[2] for t in second], dtype=numpy.intp),
        "_Sv": numpy.array([t[3] for t in second], dtype=numpy.intp),
        "numpy": numpy,
    }
    lines = [
        "def _kernel(*_A):",
        "    _v = _values(*_A)",
        "    _c = _v[..., -1:]",
        "    _G = _v[..., :_K]",
        "    _D = numpy.zeros(_v.shape[:-1] + (_K, _n), _v.dtype)",
        "    _D[..., _Dk, _Di] = _v[..., _Dv]",
    ]
    if kind == "grad":
        lines += [
            "    _P, _ = _leave_out(_G, False)",
            "    return numpy.einsum('...k,...ki->...i', _P * _c, _D)",
        ]
    else:
        lines += [
            "    _P, _Q = _leave_out(_G, True)",
            "    _c = _c[..., None]",
            "    _H = numpy.swapaxes(_D, -1, -2) @ (_Q * _c) @ _D",
            "    _H += numpy.swapaxes(_H, -1, -2)  # exactly symmetric (2x)",
            "    _H *= 0.5",
            "    _w = _P[..., _Sk] * _c[..., 0] * _v[..., _Sv]",
            "    _H[..., _Si, _Sj] += _w",
            "    _off = _Si != _Sj",
            "    _H[..., _Sj[_off], _Si[_off]] += _w[..., _off]",
            "    return _H",
        ]
    source = "\n".join(lines) + "\n"
    return source, ns, (kernel,)


def leave_out(g, pairs: bool):
    """Products of the last axis of ``g`` leaving out one entry, ``P`` of
    shape ``g.shape``, and (``pairs``) two entries, ``Q`` of shape
    ``g.shape + g.shape[-1:]`` with zeros on the diagonal. No division.

    >>> P, Q = leave_out(numpy.array([2.0, 3.0, 0.0, 5.0]), True)
    >>> P.tolist()
    [0.0, 0.0, 30.0, 0.0]
    >>> Q[2].tolist()
    [15.0, 10.0, 0.0, 6.0]
    """
    k = g.shape[-1]
    ones = numpy.ones(g.shape[:-1] + (1,), g.dtype)
    prefix = numpy.cumprod(numpy.concatenate([ones, g[..., :-1]], -1), -1)
    suffix = numpy.cumprod(numpy.concatenate([ones, g[..., :0:-1]], -1), -1)[..., ::-1]
    p = prefix * suffix  # prefix[k] = prod g[:k], suffix[k] = prod g[k+1:]
    if not pairs:
        return p, None
    upper = numpy.triu(numpy.ones((k, k), bool), 1)  # [a, j]: j > a
    # c[a, b] = prod g[a+1 : b+1]; the middle product of a < b is c[a, b-1]
    c = numpy.cumprod(numpy.where(upper, g[..., None, :], 1.0), -1)
    mid = numpy.concatenate([numpy.ones(c.shape[:-1] + (1,), g.dtype),
                             c[..., :-1]], -1)
    q = numpy.where(upper, prefix[..., :, None] * mid * suffix[..., None, :], 0.0)
    return p, q + numpy.swapaxes(q, -1, -2)
