"""Export calckit expressions as differentiable PyTorch and JAX ops whose
derivatives are calckit's exact ones: :func:`to_torch`, :func:`to_jax`.

An exported op evaluates the stable kernel of the expression
(:func:`calckit.compile` with ``backend="torch"`` / ``"jax"``); its backward
pass (torch) or JVP rule (JAX) evaluates the kernel of the exact, stabilized
gradient, itself exported the same way, so second (and higher) derivatives
are exact too: torch's double backward and JAX's ``jvp`` of ``jvp`` /
``hessian`` go through calckit's Hessian kernel, never through autodiff of
the kernel's code (whose ``where``, ``logaddexp`` and ``expit`` tricks would
give ``nan`` or inexact derivatives). The chain of derivative kernels is
compiled lazily, one order at a time, the first time it is needed.

Every argument of an exported op is differentiable (order: ``wrt``, default
the free symbols sorted by name). Arguments broadcast; each gradient has its
argument's shape and dtype.

>>> import torch
>>> import calckit as ck
>>> mish = ck.to_torch("x*tanh(softplus(x))")
>>> x = torch.tensor([0.0, 1000.0], dtype=torch.float64, requires_grad=True)
>>> (g,) = torch.autograd.grad(mish(x).sum(), x)
>>> g
tensor([0.6000, 1.0000], dtype=torch.float64)
"""

from __future__ import annotations

import importlib

from calckit.kernels.backends import get as _backend
from calckit.kernels.compiler import compile as _compile_kernel
from calckit.kernels.kernel import Kernel
from calckit.symbolic import derive
from calckit.symbolic._coerce import as_expr, as_symbols
from calckit.symbolic.stable import stabilize

__all__ = ["Tower", "to_jax", "to_torch"]


class Tower:
    """Flat output entries of an exported op, with the lazily built tower of
    their exact Jacobians.

    ``Tower(entries, wrt, backend, scalar)``: the op computes ``entries``
    (one scalar expression if ``scalar``, else a flat vector ``(..., m)``)
    of the arguments ``wrt``. :meth:`jacobian` is the tower of the ``m*n``
    partial derivatives ``d entries[i] / d wrt[j]`` (row-major), compiled on
    first use and kept. ``ops`` holds the engine op of each level (filled by
    the engine module).

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> t = Tower((x**3,), (x,), "numpy", scalar=True)
    >>> t.jacobian().entries, t.jacobian().jacobian().entries
    ((3*x**2,), (6*x,))
    """

    __slots__ = ("entries", "wrt", "backend", "scalar", "_kernel", "_jacobian", "ops")

    def __init__(self, entries: tuple, wrt: tuple, backend: str, scalar: bool):
        self.entries = entries
        self.wrt = wrt
        self.backend = backend
        self.scalar = scalar
        self._kernel: Kernel | None = None
        self._jacobian: Tower | None = None
        self.ops: dict = {}

    @property
    def kernel(self):
        """The backend kernel of the entries (compiled on first use)."""
        if self._kernel is None:
            exprs = self.entries[0] if self.scalar else list(self.entries)
            self._kernel = _compile_kernel(exprs, list(self.wrt), backend=self.backend)
        return self._kernel

    def jacobian(self) -> Tower:
        """The tower of ``d entries[i] / d wrt[j]`` (flat, row-major)."""
        if self._jacobian is None:
            flat = []
            for e in self.entries:
                flat += list(derive.grad(stabilize(e), list(self.wrt)))
            self._jacobian = Tower(tuple(flat), self.wrt, self.backend, scalar=False)
        return self._jacobian


def _tower(expr, wrt, backend: str) -> Tower:
    e = as_expr(expr)
    syms = sorted(e.free_symbols, key=lambda s: s.name)
    wrt_syms = tuple(as_symbols(wrt, syms, name="wrt")) if wrt is not None \
        else tuple(syms)
    _backend(backend)  # a clear error if the engine is missing
    # the kernel checks that wrt covers every free symbol
    tower = Tower((e,), wrt_syms, backend, scalar=True)
    tower.kernel  # noqa: B018 - compile now: errors at export time
    return tower


def to_torch(expr, wrt=None, *, module: bool = False):
    """A PyTorch op computing ``expr`` whose backward is calckit's exact
    derivative (an ``torch.autograd.Function``; double backward works).

    Parameters
    ----------
    expr : sympy.Expr or str
        A scalar expression.
    wrt : sequence of symbols or names, or str, optional
        The arguments, in call order (default: the free symbols sorted by
        name); every one is differentiable.
    module : bool, default False
        Return a ``torch.nn.Module`` (for activations in ``nn.Sequential``)
        instead of a function.

    Returns
    -------
    callable or torch.nn.Module
        ``op(*tensors)``: the broadcast value, in the inputs' dtype and
        device; numbers are taken as tensors of the other inputs' dtype.

    Raises
    ------
    BackendUnavailableError
        PyTorch is not installed (``pip install 'calckit[torch]'``).

    Examples
    --------
    >>> import torch
    >>> swish = to_torch("x*sigmoid(x)", module=True)
    >>> swish
    CalckitOp(x*sigmoid(x))
    >>> x = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    >>> torch.autograd.gradcheck(swish, (x,))
    True
    >>> torch.autograd.gradgradcheck(swish, (x,))
    True
    """
    tower = _tower(expr, wrt, "torch")
    ops = importlib.import_module("calckit.kernels.backends.torch_export")
    return ops.module(tower) if module else ops.function(tower)


def to_jax(expr, wrt=None):
    """A JAX function computing ``expr`` with a ``jax.custom_jvp`` rule from
    calckit's exact derivative (``jax.grad``, ``jax.hessian``, ``jvp`` of
    ``jvp``, ``jit`` and ``vmap`` work).

    Arguments as for :func:`to_torch` (without ``module``). Non-floating
    arguments are converted to JAX's default float dtype.

    Examples
    --------
    >>> import jax
    >>> softplus = to_jax("softplus(x)")
    >>> float(jax.grad(softplus)(1000.0)), float(jax.grad(jax.grad(softplus))(0.0))
    (1.0, 0.25)
    """
    tower = _tower(expr, wrt, "jax")
    ops = importlib.import_module("calckit.kernels.backends.jax_export")
    return ops.function(tower)
