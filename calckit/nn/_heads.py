"""Loss heads: the symbolic loss, its exact gradient, compiled and reduced.

A head maps the network output ``z`` (N, ...) and targets ``y`` to
``(loss, dloss/dz)`` with PyTorch's ``reduction="mean"``: the mean over all
samples and output components for an elementwise loss, the mean over
samples for ``softmax_cross_entropy``.

Fused output layers: when the model ends with an :class:`Activation`, an
elementwise head folds it into the loss symbolically, ``l(y, f(z))``, and
is compiled in stable form from the pre-activation ``z``; sigmoid followed
by ``binary_cross_entropy`` becomes ``bce_with_logits`` itself. So the
log of a probability that can round to 0 is never taken.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from calckit import losses
from calckit.errors import CalckitTypeError, ShapeError, UnknownNameError
from calckit.kernels import compile as compile_kernel
from calckit.nn._activation import ACTIVATION_VAR, Activation
from calckit.symbolic.derive import derivative

__all__ = ["make_head", "loss_expr", "SoftmaxCrossEntropyHead", "ElementwiseHead"]

_sum = np.add.reduce
_Y = sp.Symbol("y", real=True)
_Z = sp.Symbol("z", real=True)

# losses whose prediction is a probability in (0, 1), positive class at 0.5
_PROBABILITY_LOSSES = frozenset({"binary_cross_entropy", "focal"})
# losses on logits/margins: positive class when z > 0
_LOGIT_LOSSES = frozenset({"bce_with_logits", "hinge", "squared_hinge"})


def loss_expr(loss):
    """``(name_or_None, l(y, z))`` for a loss name, Lambda, or callable."""
    if isinstance(loss, str):
        if loss not in losses.names():
            raise UnknownNameError(
                f"unknown loss {loss!r}; use one of {', '.join(losses.names())} "
                "or a SymPy function of (y, yhat)")
        if loss == "softmax_cross_entropy":
            return loss, None
        if loss == "kl_divergence":
            raise UnknownNameError(
                "kl_divergence compares distributions; as a training loss use "
                "'softmax_cross_entropy' (or a SymPy loss of (y, yhat))")
        return loss, sp.sympify(losses.get(loss)(_Y, _Z))
    if isinstance(loss, sp.Lambda):
        if len(loss.variables) != 2:
            raise CalckitTypeError(f"a loss Lambda must take (y, yhat), got {loss}")
        return None, sp.sympify(loss(_Y, _Z))
    if callable(loss):
        expr = loss(_Y, _Z)
        if not isinstance(expr, sp.Expr):
            raise CalckitTypeError(
                "a loss callable must map SymPy symbols (y, yhat) to a SymPy "
                f"expression, got {type(expr).__name__}")
        return getattr(loss, "__name__", None), expr
    raise CalckitTypeError(
        f"loss must be a name from calckit.losses, a SymPy Lambda of (y, yhat) or "
        f"a callable; got {type(loss).__name__}")


def _raw(kernel):
    return getattr(kernel, "function", None) or kernel


class ElementwiseHead:
    """Mean of an elementwise loss ``l(y, z)`` and its gradient in ``z``.

    ``activation`` (an Activation layer or None) is folded in: the head then
    receives the pre-activation and differentiates ``l(y, f(z))``.

    The decision threshold is on the model output and depends on the loss
    only: 0 for losses on a score or logit (``hinge``, ``squared_hinge``,
    ``bce_with_logits``), 0.5 otherwise (probabilities, 0/1 targets).
    """

    def __init__(self, name, expr, activation=None) -> None:
        self.name = name
        self.folds = activation is not None
        # threshold on the model output, i.e. after a folded activation
        self.output_threshold = 0.0 if name in _LOGIT_LOSSES else 0.5
        act_name = getattr(activation, "name", None)
        self.threshold: float | None
        if self.folds:
            if name == "binary_cross_entropy" and act_name == "sigmoid":
                expr = sp.sympify(losses.get("bce_with_logits")(_Y, _Z))
                self.threshold = 0.0
            else:
                expr = expr.subs(_Z, activation.expr.subs(ACTIVATION_VAR, _Z))
                self.threshold = None
        else:
            self.threshold = 0.5 if name in _PROBABILITY_LOSSES else (
                0.0 if name in _LOGIT_LOSSES else None)
        self.activation = activation
        self.expr = expr
        self.grad_expr = derivative(expr, _Z)
        # value and gradient from one kernel call: out[..., 0], out[..., 1];
        # the gradient alone for the training loop (values once per epoch)
        self._both = _raw(compile_kernel([expr, self.grad_expr], wrt=[_Y, _Z]))
        self._value = _raw(compile_kernel(expr, wrt=[_Y, _Z]))
        self._grad = _raw(compile_kernel(self.grad_expr, wrt=[_Y, _Z]))
        self.classification = name in _PROBABILITY_LOSSES | _LOGIT_LOSSES
        self.label_mid = 0.0 if name in {"hinge", "squared_hinge"} else 0.5

    def targets(self, y, out_shape, where="") -> np.ndarray:
        """Targets reshaped like the outputs, float64."""
        y = _numeric_targets(y, where, "numbers")
        if y.shape == out_shape:
            return y
        if y.ndim == 1 and len(out_shape) == 2 and out_shape == (len(y), 1):
            return y.reshape(-1, 1)
        raise ShapeError(
            f"targets of shape {y.shape} do not match the model output {out_shape}"
            f"{where}; give targets shaped like the outputs ((N,) is accepted for "
            "one output)")

    def __call__(self, z, y):
        """``(mean loss, gradient wrt z)``."""
        out = self._both(y, z)
        scale = 1.0 / z.size
        return float(_sum(out[..., 0], axis=None)) * scale, out[..., 1] * scale

    def value(self, z, y) -> float:
        """The mean loss alone."""
        return float(_sum(self._value(y, z), axis=None)) / z.size

    def grad(self, z, y):
        """The gradient of the mean loss wrt ``z`` alone."""
        g = self._grad(y, z)
        if g is z or g is y:  # a kernel may return its argument unchanged
            return g * (1.0 / z.size)
        g *= 1.0 / z.size
        return g

    def predicted_positive(self, z):
        """Boolean predictions from the head input, or None for regression."""
        if self.threshold is not None:
            return z > self.threshold
        if self.activation is not None:  # folded: apply f, then threshold
            return self.activation._f(z) > self.output_threshold
        return z > self.output_threshold

    def has_accuracy(self, binary_targets: bool) -> bool:
        """Accuracy is reported for classification losses, or 0/1 targets."""
        return self.classification or binary_targets

    def labels(self, y):
        """What :meth:`correct` compares predictions with (precomputable)."""
        return y > self.label_mid

    def correct(self, z, labels) -> int:
        """Number of correct predictions given ``labels = self.labels(y)``."""
        return int(np.count_nonzero(self.predicted_positive(z) == labels))


class SoftmaxCrossEntropyHead:
    """Softmax cross entropy on logits (N, K), mean over samples.

    ``loss_i = logsumexp(z_i) * sum(y_i) - y_i . z_i`` (the library's
    ``softmax_cross_entropy`` for every target row; = ``-sum y log softmax``),
    computed with the max shift, so no probability is ever logged. Targets
    are one-hot (N, K) (or any rows of weights) or integer labels (N,).
    """

    name = "softmax_cross_entropy"
    folds = False
    classification = True

    def targets(self, y, out_shape, where="") -> np.ndarray:
        if len(out_shape) != 2:
            raise ShapeError(
                f"softmax_cross_entropy needs outputs of shape (N, K), the model "
                f"gives {out_shape}{where}")
        n, k = out_shape
        y = _numeric_targets(y, where, f"integer labels 0..{k - 1} or one-hot rows")
        if y.shape == (n,):
            finite = bool(np.all(np.isfinite(y)))
            labels = y.astype(np.int64) if finite else None
            if labels is None or not np.array_equal(labels, y) or (
                    labels.min(initial=0) < 0 or labels.max(initial=0) >= k):
                bad = np.unique(y[~np.isin(y, np.arange(k))])[:5]
                raise ShapeError(
                    f"integer labels for softmax_cross_entropy must be in 0..{k - 1}"
                    f"{where}, got {', '.join(f'{v:g}' for v in bad)}")
            onehot = np.zeros((n, k))
            onehot[np.arange(n), labels] = 1.0
            return onehot
        if y.shape == (n, k):
            return y.astype(np.float64)
        raise ShapeError(
            f"targets of shape {y.shape} do not match the model output {out_shape}"
            f"{where}; give one-hot targets (N, K) or integer labels (N,)")

    def __call__(self, z, y):
        shifted = z - np.maximum.reduce(z, axis=1, keepdims=True)
        e = np.exp(shifted)
        s = _sum(e, axis=1, keepdims=True)
        ysum = _sum(y, axis=1, keepdims=True)
        inv_n = 1.0 / z.shape[0]
        value = float(_sum(np.log(s) * ysum, axis=None)
                      - _sum(y * shifted, axis=None)) * inv_n
        grad = e * (ysum / s)
        grad -= y
        grad *= inv_n
        return value, grad

    def value(self, z, y) -> float:
        shifted = z - np.maximum.reduce(z, axis=1, keepdims=True)
        lse = np.log(_sum(np.exp(shifted), axis=1, keepdims=True))
        ysum = _sum(y, axis=1, keepdims=True)
        return float(_sum(lse * ysum, axis=None)
                     - _sum(y * shifted, axis=None)) / z.shape[0]

    def grad(self, z, y):
        e = np.exp(z - np.maximum.reduce(z, axis=1, keepdims=True))
        grad = e * (_sum(y, axis=1, keepdims=True) / _sum(e, axis=1, keepdims=True))
        grad -= y
        grad *= 1.0 / z.shape[0]
        return grad

    def has_accuracy(self, binary_targets: bool) -> bool:
        return True

    def labels(self, y):
        return y.argmax(axis=1)

    def correct(self, z, labels) -> int:
        return int(np.count_nonzero(z.argmax(axis=1) == labels))


def _numeric_targets(y, where: str, expected: str) -> np.ndarray:
    """``y`` as a float64 array; CalckitTypeError for strings and anything
    else that is not numbers (NumPy would raise a bare ValueError)."""
    arr = np.asarray(y)
    if arr.dtype.kind in "biuf":
        return arr.astype(np.float64, copy=False)
    if arr.dtype.kind == "O":  # e.g. a list of Python numbers and None
        try:
            return arr.astype(np.float64)
        except (TypeError, ValueError):
            pass
    sample = arr.flat[0] if arr.size else None
    sample = sample.item() if isinstance(sample, np.generic) else sample
    raise CalckitTypeError(
        f"targets must be {expected}, got an array of dtype {arr.dtype} "
        f"(e.g. {sample!r}){where}; encode class names as integers first, "
        "e.g. classes, y = np.unique(y, return_inverse=True)")


def make_head(loss, last_layer=None):
    """Head for ``loss``; folds ``last_layer`` when it is an Activation and the
    loss is elementwise."""

    name, expr = loss_expr(loss)
    if name == "softmax_cross_entropy":
        return SoftmaxCrossEntropyHead()
    act = last_layer if isinstance(last_layer, Activation) else None
    return ElementwiseHead(name, expr, act)
