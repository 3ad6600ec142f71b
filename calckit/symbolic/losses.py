"""Per-sample losses as exact SymPy definitions, one table entry each.

Definitions follow PyTorch's elementwise losses (``reduction="none"``);
targets come first, then predictions. Vector losses take sequences (one
entry per class). Every entry compiles, with its gradient and Hessian, to
overflow-free kernels (see :mod:`calckit.symbolic.stable`).

>>> import sympy as sp
>>> y, z = sp.symbols("y z", real=True)
>>> get("bce_with_logits")(y, z)
y*softplus(-z) + (1 - y)*softplus(z)
>>> zs = sp.symbols("z0:3", real=True)
>>> ys = sp.symbols("y0:3", real=True)
>>> sp.diff(get("softmax_cross_entropy")(ys, zs), zs[0]).subs(
...     {ys[0]: 1, ys[1]: 0, ys[2]: 0})
exp(z0 - logsumexp(z0, z1, z2)) - 1
"""

from __future__ import annotations

import types
from collections.abc import Callable, Sequence

import sympy as sp

from calckit.errors import CalckitTypeError, InvalidParameterError, ShapeError
from calckit.symbolic._exprs import as_sympy
from calckit.symbolic._kinked import clip, nested, ramp
from calckit.symbolic._registry import lookup, normalize
from calckit.symbolic.functions import logsumexp, softplus

__all__ = [
    "get",
    "names",
    "argument_kinds",
    "REGISTRY",
    "ARGUMENT_KINDS",
    "mse",
    "mae",
    "huber",
    "log_cosh",
    "binary_cross_entropy",
    "bce_with_logits",
    "softmax_cross_entropy",
    "hinge",
    "squared_hinge",
    "focal",
    "kl_divergence",
    "poisson_nll",
]


def _e(v, name: str) -> sp.Expr:
    return as_sympy(v, name=name)


def _vec(v, name: str) -> list:
    if isinstance(v, (str, sp.Basic)) and not isinstance(v, sp.MatrixBase):
        raise CalckitTypeError(
            f"{name} must be a sequence of expressions (one per class), got {v!r}"
        )
    if not isinstance(v, (Sequence, sp.MatrixBase)):
        raise CalckitTypeError(
            f"{name} must be a sequence of expressions, got {type(v).__name__}"
        )
    out = [as_sympy(e, name=f"{name}[{i}]") for i, e in enumerate(v)]
    if not out:
        raise ShapeError(f"{name} is empty; give one expression per class")
    return out


def _pair(a, b, na: str, nb: str):
    va, vb = _vec(a, na), _vec(b, nb)
    if len(va) != len(vb):
        raise ShapeError(
            f"{na} has {len(va)} entries but {nb} has {len(vb)}; give one per class"
        )
    return va, vb


def mse(y, yhat) -> sp.Expr:
    """Squared error ``(yhat - y)**2`` (PyTorch ``MSELoss``)."""
    return (_e(yhat, "yhat") - _e(y, "y")) ** 2


def mae(y, yhat) -> sp.Expr:
    """Absolute error ``|yhat - y|`` (PyTorch ``L1Loss``; derivative 0 at 0)."""
    return sp.Abs(_e(yhat, "yhat") - _e(y, "y"))


def huber(y, yhat, delta=1) -> sp.Expr:
    """PyTorch ``HuberLoss``: ``d**2/2`` if ``|d| < delta`` else
    ``delta*(|d| - delta/2)``, with ``d = yhat - y``."""
    delta = _e(delta, "delta")
    if delta.is_number and not delta.is_positive:
        raise InvalidParameterError(f"huber's delta must be > 0, got {delta}")
    d = _e(yhat, "yhat") - _e(y, "y")
    if nested(d, delta):  # linear-time step form (see calckit.symbolic._kinked)
        # d**2/2 inside, delta*(|d| - delta/2) outside; slope delta at |d| = delta
        return clip(d, -delta, delta) ** 2 / 2 + delta * ramp(sp.Abs(d) - delta, 1)
    return sp.Piecewise(
        (d**2 / 2, sp.Abs(d) < delta), (delta * (sp.Abs(d) - delta / 2), True)
    )


def log_cosh(y, yhat) -> sp.Expr:
    """``log(cosh(yhat - y))`` (compiled as ``logsumexp(d, -d) - log 2``)."""
    return sp.log(sp.cosh(_e(yhat, "yhat") - _e(y, "y")))


def binary_cross_entropy(y, p) -> sp.Expr:
    """``-(y*log(p) + (1 - y)*log(1 - p))`` for a probability ``p`` (PyTorch
    ``BCELoss`` without its clamp of the logs at -100: exact)."""
    y, p = _e(y, "y"), _e(p, "p")
    return -(y * sp.log(p) + (1 - y) * sp.log(1 - p))


def bce_with_logits(y, z) -> sp.Expr:
    """Binary cross entropy of ``sigmoid(z)``: ``softplus(z) - y*z``, written
    as ``(1 - y)*softplus(z) + y*softplus(-z)`` (equal, and free of
    cancellation for ``y`` in [0, 1]). Its derivative is ``sigmoid(z) - y``.
    """
    y, z = _e(y, "y"), _e(z, "z")
    return (1 - y) * softplus(z) + y * softplus(-z)


def softmax_cross_entropy(ys, zs) -> sp.Expr:
    """``sum_i y_i*(logsumexp(zs) - z_i)`` for targets ``ys`` (one-hot or
    probabilities) and logits ``zs`` (PyTorch ``CrossEntropyLoss``). The
    gradient with respect to ``z_j`` is ``sum(ys)*softmax_j - y_j``,
    i.e. softmax minus one-hot for one-hot targets, with
    ``softmax_j = exp(z_j - logsumexp(zs))``:

    >>> import sympy as sp
    >>> zs, ys = sp.symbols("z0:3", real=True), sp.symbols("y0:3", real=True)
    >>> loss = softmax_cross_entropy(ys, zs)
    >>> g = sp.Matrix([[sp.diff(loss, z) for z in zs]]).subs(
    ...     {ys[0]: 0, ys[1]: 1, ys[2]: 0})
    >>> print(sp.latex(g[1]))
    e^{z_{1} - \\operatorname{logsumexp}\\left(z_{0}, z_{1}, z_{2}\\right)} - 1
    >>> g
    Matrix([[exp(z0 - logsumexp(z0, z1, z2)),
             exp(z1 - logsumexp(z0, z1, z2)) - 1,
             exp(z2 - logsumexp(z0, z1, z2))]])
    """
    ys, zs = _pair(ys, zs, "ys", "zs")
    lse = logsumexp(*zs)
    return sp.Add(*[yi * (lse - zi) for yi, zi in zip(ys, zs, strict=True)])


def hinge(y, z) -> sp.Expr:
    """``max(0, 1 - y*z)`` for ``y`` in {-1, 1}; derivative 0 at the kink
    (the ``relu`` convention)."""
    m = 1 - _e(y, "y") * _e(z, "z")
    if nested(m):
        return ramp(m, 0)
    return sp.Piecewise((m, m > 0), (0, True))


def squared_hinge(y, z) -> sp.Expr:
    """``max(0, 1 - y*z)**2`` for ``y`` in {-1, 1}."""
    m = 1 - _e(y, "y") * _e(z, "z")
    if nested(m):
        return ramp(m, 0) ** 2
    return sp.Piecewise((m**2, m > 0), (0, True))


def focal(y, p, gamma=2, alpha=0.25) -> sp.Expr:
    """Focal loss (Lin et al. 2017): ``alpha_t*(1 - p_t)**gamma*BCE(y, p)``
    with ``p_t = y*p + (1 - y)*(1 - p)`` and
    ``alpha_t = alpha*y + (1 - alpha)*(1 - y)`` (as torchvision's
    ``sigmoid_focal_loss``, on a probability). ``1 - p_t`` is written
    ``y*(1 - p) + (1 - y)*p`` so it keeps full precision."""
    gamma, alpha = _e(gamma, "gamma"), _e(alpha, "alpha")
    if gamma.is_number and gamma.is_negative:
        raise InvalidParameterError(f"focal's gamma must be >= 0, got {gamma}")
    if alpha.is_number and not (0 <= alpha <= 1):
        raise InvalidParameterError(f"focal's alpha must be in [0, 1], got {alpha}")
    y, p = _e(y, "y"), _e(p, "p")
    one_minus_pt = y * (1 - p) + (1 - y) * p
    alpha_t = alpha * y + (1 - alpha) * (1 - y)
    return alpha_t * one_minus_pt**gamma * binary_cross_entropy(y, p)


def kl_divergence(ps, qs) -> sp.Expr:
    """``sum_i p_i*log(p_i/q_i)`` for probability vectors ``ps`` (target) and
    ``qs`` (PyTorch ``KLDivLoss`` on ``log(qs)``, summed over classes)."""
    ps, qs = _pair(ps, qs, "ps", "qs")
    return sp.Add(*[p * sp.log(p / q) for p, q in zip(ps, qs, strict=True)])


def poisson_nll(y, log_rate) -> sp.Expr:
    """``exp(log_rate) - y*log_rate`` (PyTorch ``PoissonNLLLoss`` with
    ``log_input=True, full=False``)."""
    lr = _e(log_rate, "log_rate")
    return sp.exp(lr) - _e(y, "y") * lr


#: name -> definition; read-only.
REGISTRY: types.MappingProxyType = types.MappingProxyType(
    {
        "mse": mse,
        "mae": mae,
        "huber": huber,
        "log_cosh": log_cosh,
        "binary_cross_entropy": binary_cross_entropy,
        "bce_with_logits": bce_with_logits,
        "softmax_cross_entropy": softmax_cross_entropy,
        "hinge": hinge,
        "squared_hinge": squared_hinge,
        "focal": focal,
        "kl_divergence": kl_divergence,
        "poisson_nll": poisson_nll,
    }
)

#: name -> the kind of each positional argument, for tests, tools and docs:
#: ``real`` (any real), ``logit`` (a pre-activation), ``prob`` (in (0, 1)),
#: ``label`` (a target in [0, 1]), ``sign`` (-1 or 1), ``count`` (>= 0);
#: a trailing ``s`` (``logits``, ``probs``, ``labels``) marks a sequence.
ARGUMENT_KINDS: types.MappingProxyType = types.MappingProxyType(
    {
        "mse": ("real", "real"),
        "mae": ("real", "real"),
        "huber": ("real", "real"),
        "log_cosh": ("real", "real"),
        "binary_cross_entropy": ("label", "prob"),
        "bce_with_logits": ("label", "logit"),
        "softmax_cross_entropy": ("labels", "logits"),
        "hinge": ("sign", "logit"),
        "squared_hinge": ("sign", "logit"),
        "focal": ("label", "prob"),
        "kl_divergence": ("probs", "probs"),
        "poisson_nll": ("count", "logit"),
    }
)


def names() -> tuple:
    """The registered loss names, sorted."""
    return tuple(sorted(REGISTRY))


def argument_kinds(name: str) -> tuple:
    """The kinds of the arguments of loss ``name`` (see :data:`ARGUMENT_KINDS`)."""
    get(name)
    return ARGUMENT_KINDS[normalize(name)]


def get(name: str) -> Callable:
    """The loss called ``name``: a function from SymPy expressions (targets
    first) to a SymPy expression.

    Raises
    ------
    calckit.errors.UnknownNameError
        For an unknown name; the message lists close matches.

    Examples
    --------
    >>> import sympy as sp
    >>> y, yhat = sp.symbols("y yhat", real=True)
    >>> get("mse")(y, yhat)
    (-y + yhat)**2
    >>> get("cross_entropy")
    Traceback (most recent call last):
    ...
    calckit.errors.UnknownNameError: unknown loss 'cross_entropy'. Did you mean ...
    """
    return lookup(REGISTRY, name, "loss")
