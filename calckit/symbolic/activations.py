"""Activation functions as exact SymPy definitions, one table entry each.

Constants and kink conventions are PyTorch's (``torch.nn.functional``):
the derivative exactly at a kink is what PyTorch's autograd returns there,
and everywhere else the mathematics is exact (``softplus`` has no ``x > 20``
shortcut, ``hard_sigmoid'`` is exactly 1/6 inside (-3, 3)). Every entry
compiles, with its first and second derivatives, to overflow-free kernels
(see :mod:`calckit.symbolic.stable`).

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> get("sigmoid")(x)
sigmoid(x)
>>> d_relu, d_leaky = (sp.diff(get(n)(x), x) for n in ("relu", "leaky_relu"))
>>> d_relu.subs(x, 0), float(d_leaky.subs(x, 0))
(0, 0.01)
>>> names()[:4]
('elu', 'gelu', 'gelu_tanh', 'hard_sigmoid')
>>> get("swish") is get("silu")
True
"""

from __future__ import annotations

import types
from collections.abc import Callable

import sympy as sp
from sympy.codegen.cfunctions import expm1

from calckit.symbolic import functions as _primitives
from calckit.symbolic._exprs import as_sympy
from calckit.symbolic._kinked import clip, nested, ramp
from calckit.symbolic._registry import lookup

__all__ = [
    "get",
    "names",
    "REGISTRY",
    "SELU_ALPHA",
    "SELU_SCALE",
    "identity",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "gelu_tanh",
    "swish",
    "silu",
    "softplus",
    "mish",
    "softsign",
    "hard_sigmoid",
    "hard_tanh",
    "log_sigmoid",
]

#: SELU constants, to the precision PyTorch writes them (Klambauer et al.).
SELU_ALPHA = sp.Float("1.6732632423543772848170429916717", 40)
SELU_SCALE = sp.Float("1.0507009873554804934193349852946", 40)

_GELU_TANH_C = sp.Float(0.044715)


def _x(x) -> sp.Expr:
    return as_sympy(x, name="x")


def identity(x) -> sp.Expr:
    """``x``."""
    return _x(x)


def sigmoid(x) -> sp.Expr:
    """``sigmoid(x) = 1/(1 + exp(-x))`` (the stable primitive)."""
    return _primitives.sigmoid(_x(x))


def tanh(x) -> sp.Expr:
    """``tanh(x)``."""
    return sp.tanh(_x(x))


def relu(x) -> sp.Expr:
    """``max(x, 0)``; derivative 0 at 0 (PyTorch ``threshold_backward``)."""
    x = _x(x)
    if nested(x):  # linear-time step form (see calckit.symbolic._kinked)
        return ramp(x, 0)
    return sp.Piecewise((x, x > 0), (0, True))


def leaky_relu(x, alpha=0.01) -> sp.Expr:
    """``x`` for ``x > 0``, else ``alpha*x`` (PyTorch ``negative_slope=0.01``).

    The derivative at 0 is ``alpha``, as in PyTorch.
    """
    x, alpha = _x(x), as_sympy(alpha, name="alpha")
    if nested(x, alpha):
        return ramp(x, 0) - alpha * ramp(-x, 1)  # slope alpha at 0
    return sp.Piecewise((x, x > 0), (alpha * x, True))


def elu(x, alpha=1) -> sp.Expr:
    """``x`` for ``x > 0``, else ``alpha*(exp(x) - 1)``; derivative at 0 from
    the negative branch (``alpha``), as PyTorch's ``elu_backward``."""
    x, alpha = _x(x), as_sympy(alpha, name="alpha")
    if nested(x, alpha):
        return _elu_steps(x, alpha)
    return sp.Piecewise((x, x > 0), (alpha * expm1(x), True))


def _elu_steps(x: sp.Expr, alpha) -> sp.Expr:
    """``elu`` of a kinked ``x``: ``expm1`` at ``min(x, 0)`` cannot overflow,
    and its derivative at 0 is ``alpha`` as on the negative branch."""
    return ramp(x, 0) + alpha * expm1(-ramp(-x, 1))


def selu(x) -> sp.Expr:
    """``scale*elu(x, alpha)`` with PyTorch's SELU constants."""
    x = _x(x)
    if nested(x):
        return SELU_SCALE * _elu_steps(x, SELU_ALPHA)
    return sp.Piecewise(
        (SELU_SCALE * x, x > 0), (SELU_SCALE * SELU_ALPHA * expm1(x), True)
    )


def gelu(x) -> sp.Expr:
    """Exact GELU ``x/2*(1 + erf(x/sqrt(2)))`` (PyTorch ``approximate='none'``);
    kernels compute it as ``x*ndtr(x)``, accurate in the left tail."""
    x = _x(x)
    return x / 2 * (1 + sp.erf(x / sp.sqrt(2)))


def gelu_tanh(x) -> sp.Expr:
    """GELU, tanh approximation (PyTorch ``approximate='tanh'``)."""
    x = _x(x)
    inner = sp.sqrt(2 / sp.pi) * (x + _GELU_TANH_C * x**3)
    return x / 2 * (1 + sp.tanh(inner))


def swish(x) -> sp.Expr:
    """Swish / SiLU ``x*sigmoid(x)``."""
    x = _x(x)
    return x * _primitives.sigmoid(x)


silu = swish


def softplus(x) -> sp.Expr:
    """Exact ``log(1 + exp(x))`` (no ``x > 20`` shortcut; the stable
    primitive)."""
    return _primitives.softplus(_x(x))


def mish(x) -> sp.Expr:
    """``x*tanh(softplus(x))`` (Misra 2019)."""
    x = _x(x)
    return x * sp.tanh(_primitives.softplus(x))


def softsign(x) -> sp.Expr:
    """``x/(1 + |x|)``."""
    x = _x(x)
    return x / (1 + sp.Abs(x))


def hard_sigmoid(x) -> sp.Expr:
    """``relu6(x + 3)/6``: derivative exactly 1/6 on (-3, 3), 0 at and
    outside +-3 (PyTorch ``hardsigmoid_backward``)."""
    x = _x(x)
    if nested(x):
        return (clip(x, -3, 3) + 3) / 6
    return sp.Piecewise(
        (x / 6 + sp.Rational(1, 2), (x > -3) & (x < 3)),
        (0, x <= -3),
        (1, True),
    )


def hard_tanh(x) -> sp.Expr:
    """``clip(x, -1, 1)``; derivative 1 on (-1, 1), 0 at and outside +-1
    (PyTorch ``hardtanh_backward``)."""
    x = _x(x)
    if nested(x):
        return clip(x, -1, 1)
    return sp.Piecewise((x, (x > -1) & (x < 1)), (-1, x <= -1), (1, True))


def log_sigmoid(x) -> sp.Expr:
    """``log(sigmoid(x))`` in its stable form ``-softplus(-x)``."""
    return -_primitives.softplus(-_x(x))


#: name -> definition; read-only. ``swish`` and ``silu`` share one function.
REGISTRY: types.MappingProxyType = types.MappingProxyType(
    {
        "identity": identity,
        "sigmoid": sigmoid,
        "tanh": tanh,
        "relu": relu,
        "leaky_relu": leaky_relu,
        "elu": elu,
        "selu": selu,
        "gelu": gelu,
        "gelu_tanh": gelu_tanh,
        "swish": swish,
        "silu": silu,
        "softplus": softplus,
        "mish": mish,
        "softsign": softsign,
        "hard_sigmoid": hard_sigmoid,
        "hard_tanh": hard_tanh,
        "log_sigmoid": log_sigmoid,
    }
)


def names() -> tuple:
    """The registered activation names, sorted."""
    return tuple(sorted(REGISTRY))


def get(name: str) -> Callable:
    """The activation called ``name``: a function from a SymPy expression to
    a SymPy expression.

    Raises
    ------
    calckit.errors.UnknownNameError
        For an unknown name; the message lists close matches.

    Examples
    --------
    >>> import sympy as sp
    >>> get("gelu")(sp.Symbol("x", real=True))
    x*(erf(sqrt(2)*x/2) + 1)/2
    >>> get("rellu")
    Traceback (most recent call last):
    ...
    calckit.errors.UnknownNameError: unknown activation 'rellu'. Did you mean 'relu'...
    """
    return lookup(REGISTRY, name, "activation")
