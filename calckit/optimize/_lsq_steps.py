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
#: lmpar's accuracy: | |D p| - radius | <= _K radius
_K = 0.1
_DWARF = float(np.finfo(np.float64).tiny)


def _svd(Js: np.ndarray):
    u, s, vt = np.linalg.svd(Js, full_matrices=False)
    return u, s, vt


def lm_step(Js: np.ndarray, r: np.ndarray, radius: float, lam: float):
    """``(p, lam)``: ``p`` minimizes ``|Js p + r|`` subject to ``|p| <= radius``
    (``Js`` the Jacobian with scaled columns, ``p`` in scaled variables), to
    MINPACK's accuracy.

    ``p = -(Js^T Js + lam I)^{-1} Js^T r`` with ``lam = 0`` when the
    Gauss-Newton step ends within 10% beyond the boundary, else ``lam`` from
    the iteration of MINPACK's ``lmpar`` (Moré 1978): Hebden-Moré Newton
    corrections ``lam += (|p| - radius) |p|^2 / (radius |q|^2)`` kept in a
    shrinking bracket ``[parl, paru]``, started from the previous ``lam``,
    until ``| |p| - radius | <= 0.1 radius`` (at most 10 iterations).
    ``|p(lam)|`` and the correction are read from one SVD of ``Js`` instead
    of a QR factorization per iterate.

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
    full_rank = bool(s.size == n and s.size and s[-1] > _EPS * max(m, n) * s[0])
    su = s * uf
    s2 = s * s

    def step(par):
        if par == 0.0:
            keep = s > (_EPS * max(m, n) * s[0] if s.size else 0.0)
            coef = np.where(keep, uf / np.where(keep, s, 1.0), 0.0)
        else:
            coef = su / (s2 + par)
        return -vt.T @ coef

    def correction(par, dxnorm, fp):
        q2 = float(np.sum(su**2 / (s2 + par) ** 3))
        return fp * dxnorm * dxnorm / (radius * q2) if q2 > 0 else 0.0

    p = step(0.0)
    dxnorm = float(np.linalg.norm(p))
    fp = dxnorm - radius
    if fp <= _K * radius:
        return p, 0.0
    parl = correction(0.0, dxnorm, fp) if full_rank else 0.0
    gnorm = float(np.linalg.norm(su))
    paru = gnorm / radius
    if paru == 0.0:
        paru = _DWARF / min(radius, 0.1)
    par = min(max(lam, parl), paru)
    if par == 0.0:
        par = gnorm / dxnorm
    temp = math.inf
    for it in range(1, _MAX_LAMBDA_ITER + 1):
        if par == 0.0:
            par = max(_DWARF, 0.001 * paru)
        p = step(par)
        dxnorm = float(np.linalg.norm(p))
        temp, fp = fp, dxnorm - radius
        if (abs(fp) <= _K * radius or (parl == 0.0 and fp <= temp < 0)
                or it == _MAX_LAMBDA_ITER):
            break
        parc = correction(par, dxnorm, fp)
        if fp > 0:
            parl = max(parl, par)
        if fp < 0:
            paru = min(paru, par)
        par = max(parl, par + parc)
    return p, par


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
