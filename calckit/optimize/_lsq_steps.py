"""The steps of the least-squares solvers, NumPy only: the Levenberg-Marquardt
step of a scaled trust region (Moré 1978, by the SVD), Powell's dogleg and
the Gauss-Newton step."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["lm_step", "dogleg_step", "gauss_newton_step"]

_EPS = float(np.finfo(np.float64).eps)
#: Hebden-Moré iterations for the damping parameter (Moré 1978 uses 10)
_MAX_LAMBDA_ITER = 10


def _svd(Js: np.ndarray):
    u, s, vt = np.linalg.svd(Js, full_matrices=False)
    return u, s, vt


def lm_step(Js: np.ndarray, r: np.ndarray, radius: float, lam: float):
    """``(p, lam)``: ``p`` minimizes ``|Js p + r|`` subject to ``|p| <= radius``
    (``Js`` the Jacobian with scaled columns, ``p`` in scaled variables).

    ``p = -(Js^T Js + lam I)^{-1} Js^T r`` with ``lam = 0`` when the
    Gauss-Newton step fits, else ``lam`` found by Moré's (1978) safeguarded
    Newton iteration on ``phi(lam) = |p(lam)| - radius`` until ``|phi| <=
    0.1 radius``, started at the previous ``lam``. Computed from one SVD.

    >>> import numpy as np
    >>> J = np.array([[1.0, 0.0], [0.0, 2.0]]); r = np.array([-3.0, -4.0])
    >>> p, lam = lm_step(J, r, 10.0, 0.0)      # Gauss-Newton step fits
    >>> p.tolist(), lam
    ([3.0, 2.0], 0.0)
    >>> p, lam = lm_step(J, r, 1.0, 0.0)
    >>> bool(abs(np.linalg.norm(p) - 1.0) <= 0.1) and lam > 0
    True
    """
    u, s, vt = _svd(Js)
    uf = u.T @ r
    m, n = Js.shape
    full_rank = s.size == n and s[-1] > _EPS * max(m, n) * s[0] if s.size else False
    if full_rank:
        p = -vt.T @ (uf / s)
        if np.linalg.norm(p) <= radius:
            return p, 0.0

    def phi(alpha):
        denom = s**2 + alpha
        p_norm = math.sqrt(float(np.sum((s * uf / denom) ** 2)))
        phi_prime = -float(np.sum((s * uf) ** 2 / denom**3)) / p_norm
        return p_norm - radius, phi_prime

    if full_rank:
        f0, d0 = phi(0.0)
        lo = -f0 / d0
    else:
        lo = 0.0
    hi = float(np.linalg.norm(s * uf)) / radius
    alpha = lam if lo < lam < hi else max(0.001 * hi, math.sqrt(lo * hi))
    for _ in range(_MAX_LAMBDA_ITER):
        if alpha < lo or alpha > hi:
            alpha = max(0.001 * hi, math.sqrt(lo * hi))
        f, fp = phi(alpha)
        if abs(f) < 0.1 * radius:
            break
        if f < 0:
            hi = alpha
        ratio = f / fp
        lo = max(lo, alpha - ratio)
        alpha -= (f + radius) / radius * ratio
    if not lo <= alpha <= hi:
        alpha = max(0.001 * hi, math.sqrt(lo * hi))
    p = -vt.T @ (s * uf / (s**2 + alpha))
    return p, alpha


def dogleg_step(Js: np.ndarray, r: np.ndarray, radius: float):
    """Powell's dogleg in scaled variables: the Gauss-Newton step if it fits
    in the trust region, else the Cauchy step if it does not, else the point
    of the path Cauchy -> Gauss-Newton on the boundary.

    >>> import numpy as np
    >>> p = dogleg_step(np.eye(2), np.array([-3.0, -4.0]), 1.0)
    >>> np.round(p, 12).tolist()
    [0.6, 0.8]
    """
    g = Js.T @ r
    p_gn = -np.linalg.lstsq(Js, r, rcond=None)[0]
    if np.linalg.norm(p_gn) <= radius:
        return p_gn
    jg = Js @ g
    gg = float(g @ g)
    if gg == 0.0:
        return p_gn * (radius / np.linalg.norm(p_gn))
    p_c = -(gg / float(jg @ jg)) * g if jg @ jg > 0 else -g
    nc = float(np.linalg.norm(p_c))
    if nc >= radius:
        return p_c * (radius / nc)
    # |p_c + t (p_gn - p_c)| = radius, t in [0, 1]
    d = p_gn - p_c
    a, b, c = float(d @ d), 2 * float(p_c @ d), nc * nc - radius * radius
    t = (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    return p_c + t * d


def gauss_newton_step(J: np.ndarray, r: np.ndarray) -> np.ndarray:
    """The minimum-norm solution ``p`` of ``min |J p + r|``.

    >>> import numpy as np
    >>> gauss_newton_step(np.array([[2.0], [0.0]]), np.array([-4.0, 1.0])).tolist()
    [2.0]
    """
    return -np.linalg.lstsq(J, r, rcond=None)[0]
