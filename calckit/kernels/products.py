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

from calckit.kernels.compiler import compile
from calckit.symbolic import derive
from calckit.symbolic.stable import stabilize

__all__ = ["product_kernel", "MIN_FACTORS"]

#: products of fewer factors holding variables take the other paths
MIN_FACTORS = 8
#: elements of the (points, K, K) pair products computed at a time
_CHUNK = 1 << 15


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
        own = sorted((s for s in g.free_symbols if s in index), key=index.__getitem__)
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
    ]
    single = sorted(t[1] for t in first) == sorted(set(t[1] for t in first))
    single = single and len(first) == len(factors)
    if single:  # factor k holds variable _Di[k] alone: D is a scattered diagonal
        # factors sorted by their variable: then x_k's factor is k-th (often)
        by_factor = sorted(first)  # (k, i, position), in factor order
        perm = numpy.argsort([i for _, i, _ in by_factor], kind="stable")
        ns["_perm"] = perm  # factor value k is _v[..., k]
        ns["_Di"] = numpy.array([by_factor[k][1] for k in perm], dtype=numpy.intp)
        ns["_Dv"] = numpy.array([by_factor[k][2] for k in perm], dtype=numpy.intp)
        ns["_Sk"] = numpy.argsort(perm)[ns["_Sk"]]  # factor k is now at inv[k]
        identity = list(ns["_Di"]) == list(range(len(wrt)))
        lines[-1] = "    _G = _v[..., _perm]"
        lines.append("    _d = _v[..., _Dv]")
        if not (identity and kind != "grad"):
            lines.append("    _out = numpy.zeros(_v.shape[:-1] + "
                         + ("(_n,)" if kind == "grad" else "(_n, _n)")
                         + ", _v.dtype)")
        if kind == "grad":
            lines += [
                "    _P, _ = _leave_out(_G, False)",
                "    _out[..., _Di] = _P * _d * _c",
                "    return _out",
            ]
        else:
            lines += [
                "    _P, _Q = _leave_out(_G, True)",
                "    _Q *= _d[..., :, None] * _v[..., None, _Dv]  # symmetric factor",
                ("    _Q *= _c[..., None]\n    _out = _Q" if identity else
                 "    _out[..., _Di[:, None], _Di[None, :]] = _Q * _c[..., None]"),
                "    _out[..., _Si, _Sj] += _P[..., _Sk] * _c * _v[..., _Sv]",
                "    return _out",
            ]
    else:
        lines += [
            "    _D = numpy.zeros(_v.shape[:-1] + (_K, _n), _v.dtype)",
            "    _D[..., _Dk, _Di] = _v[..., _Dv]",
        ]
    if single:
        pass
    elif kind == "grad":
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
    if pairs and g.ndim > 1 and g.size * k > _CHUNK:  # block by block, in cache
        flat = g.reshape(-1, k)
        p = numpy.empty_like(flat)
        q = numpy.empty(flat.shape + (k,), g.dtype)
        rows = max(1, _CHUNK // (k * k))
        for i in range(0, len(flat), rows):
            p[i:i + rows], q[i:i + rows] = leave_out(flat[i:i + rows], True)
        return p.reshape(g.shape), q.reshape(g.shape + (k,))
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
