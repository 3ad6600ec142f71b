"""JAX functions of :func:`calckit.to_jax` (private; imported only when asked
for): one ``jax.custom_jvp`` function per level of a
:class:`~calckit.kernels.export.Tower`, whose JVP rule applies the next
level's function, so ``jvp`` of ``jvp`` (and ``jax.hessian``) is calckit's
exact Hessian."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from calckit.errors import CalckitTypeError

__all__ = ["function"]


def _fn(tower):
    """The ``custom_jvp`` function of ``tower`` (made once per tower)."""
    made = tower.ops.get("jax")
    if made is not None:
        return made
    kernel, scalar, m = tower.kernel, tower.scalar, len(tower.entries)

    @jax.custom_jvp
    def f(*args):
        return kernel(*args)

    @f.defjvp
    def _jvp(primals, tangents):
        y = f(*primals)
        jac = _fn(tower.jacobian())(*primals)  # (..., m*n)
        n = len(primals)
        if scalar:
            dy = sum(jac[..., j] * t for j, t in enumerate(tangents))
        else:
            jac = jac.reshape(*jac.shape[:-1], m, n)
            dy = sum(jac[..., :, j] * jnp.asarray(t)[..., None]
                     for j, t in enumerate(tangents))
        dy = jnp.broadcast_to(dy, y.shape).astype(y.dtype)
        return y, dy

    tower.ops["jax"] = f
    return f


def function(tower):
    """A function applying the ``custom_jvp`` function of ``tower``."""
    f = _fn(tower)
    names = tuple(s.name for s in tower.wrt)

    @functools.wraps(f)
    def op(*args):
        if len(args) != len(names):
            raise CalckitTypeError(
                f"op({', '.join(names)}) takes {len(names)} argument"
                f"{'' if len(names) == 1 else 's'}, got {len(args)}"
            )
        floats = [a if jnp.issubdtype(jnp.result_type(a), jnp.floating)
                  else jnp.asarray(a, jnp.result_type(float)) for a in args]
        return f(*floats)

    return op
