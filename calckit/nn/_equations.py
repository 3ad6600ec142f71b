"""The backprop equations of a model in matrix form: :func:`equations`.

For a :class:`~calckit.nn.Sequential` of :class:`~calckit.nn.Dense` and
:class:`~calckit.nn.Activation` layers and a loss name, the network's loss
is built as a tensor expression over the batch ``X`` (n, d) and targets
``Y``; calckit derives every parameter's gradient in matrix form, names the
hidden activations ``a1, a2, ...`` and the other shared subexpressions (the
per-layer deltas) ``delta_1, delta_2, ...`` as a course writes them, prints
them as text and LaTeX and compiles them into one kernel.

>>> import numpy as np
>>> from calckit import nn
>>> model = nn.Sequential([nn.Dense(2, 3), nn.Activation("tanh"), nn.Dense(3, 4)],
...                       seed=0)
>>> eq = nn.equations(model, "softmax_cross_entropy")
>>> print(eq)
loss = mean(logsumexp(z2, axis=1) - sum(Y * z2, axis=1))
a1 = tanh(X @ W1 + b1)
z2 = a1 @ W2 + b2
delta_1 = softmax(z2, axis=1) - Y
delta_2 = delta_1 @ W2.T * (1 - a1**2)
dW1 = X.T @ delta_2 / n
db1 = mean(delta_2, axis=0)
dW2 = a1.T @ delta_1 / n
db2 = mean(delta_1, axis=0)
>>> X, y = np.random.default_rng(0).normal(size=(5, 2)), np.array([0, 1, 3, 2, 1])
>>> grads = eq.gradients(X, y)
>>> _, backprop = model.value_and_grad(X, y, "softmax_cross_entropy")
>>> all(np.allclose(grads[k], backprop[k], rtol=1e-12, atol=1e-15) for k in grads)
True
"""

from __future__ import annotations

import numpy as np

from calckit.errors import CalckitTypeError, InvalidParameterError
from calckit.kernels import tensor as K
from calckit.nn._activation import Activation
from calckit.nn._layers import Dense
from calckit.symbolic.tensor import expr as E
from calckit.symbolic.tensor import ops
from calckit.symbolic.tensor.derive import grad
from calckit.symbolic.tensor.shared import _substitute, name_shared
from calckit.symbolic.tensor.tex import latex as tex

__all__ = ["BackpropEquations", "equations"]


class BackpropEquations:
    """The result of :func:`equations`.

    Attributes
    ----------
    loss : Tensor
        The network's mean loss over the batch (written with the names).
    definitions : list of (str, Tensor)
        ``a1 = ...``, ``delta_1 = ...`` in evaluation order.
    grads : dict
        ``"dW1" -> Tensor`` (written with the names), one per parameter.
    keys : dict
        ``"W1" -> "0.W"``: each symbol's key in ``model.parameters()``.
    full_grads : tuple of Tensor
        The gradients without names (what is compiled).
    expr : Tensor
        The loss without names: a tensor loss for :func:`calckit.minimize`
        over ``"W1 b1 W2 b2 ..."`` with ``params={"X": X, "Y": Y}``.
    """

    def __init__(self, model, loss, full_loss, symbols, keys, grads) -> None:
        self.model, self.loss_name = model, loss
        self.symbols, self.keys, self.full_grads = symbols, keys, tuple(grads)
        self.expr = full_loss
        defs, rewritten = _named([full_loss, *grads], symbols["hidden"],
                                 symbols["pre"])
        self.definitions = defs
        self.loss = rewritten[0]
        self.grads = {f"d{name}": g for name, g in
                      zip(keys, rewritten[1:], strict=True)}
        self._kernel = K.compile_tensor_grad(
            full_loss, [symbols["params"][k] for k in keys], ["X", "Y"])

    def __str__(self) -> str:
        lines = [f"loss = {self.loss}"]
        lines += [f"{name} = {e}" for name, e in self.definitions]
        lines += [f"{name} = {g}" for name, g in self.grads.items()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<BackpropEquations {len(self.grads)} gradients, "
                f"loss {self.loss_name!r}>")

    def latex(self) -> str:
        """The equations as a LaTeX ``aligned`` block."""
        rows = [r"L &= " + tex(self.loss)]
        rows += [f"{_tex_name(n)} &= {tex(e)}" for n, e in self.definitions]
        rows += [r"\frac{\partial L}{\partial " + _tex_name(n[1:]) + "} &= " + tex(g)
                 for n, g in self.grads.items()]
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"

    def gradients(self, X, y) -> dict:
        """The compiled equations at the model's current parameters: a dict
        keyed like ``model.parameters()`` (``"0.W"``)."""
        X = np.asarray(X, dtype=np.float64)
        head = self.model.head(self.loss_name)
        out_shape = (X.shape[0], self.symbols["out"])
        Y = head.targets(y, out_shape, " (targets)")
        Y = np.asarray(Y, dtype=np.float64).reshape(out_shape)
        params = self.model.parameters()
        values = [params[self.keys[k]] for k in self.keys]
        gs = self._kernel(*values, X, Y)
        gs = gs if isinstance(gs, tuple) else (gs,)
        return {self.keys[k]: np.asarray(g) for k, g in zip(self.keys, gs, strict=True)}


def _tex_name(name: str) -> str:
    if name.startswith("delta_"):
        return r"\delta_{" + name[6:] + "}"
    head = name.rstrip("0123456789")
    return f"{head}_{{{name[len(head):]}}}" if head != name else name


def equations(model, loss) -> BackpropEquations:
    """Backprop equations of ``model`` (Dense and Activation layers) with the
    loss ``loss``, derived in matrix form; see :mod:`calckit.nn._equations`.

    Parameters
    ----------
    model : Sequential
        Dense layers, each optionally followed by one named Activation.
    loss : str
        A loss name: ``"mse"``, ``"binary_cross_entropy"`` (after a sigmoid
        output it is folded into ``bce_with_logits``, as training does),
        ``"softmax_cross_entropy"`` (on the logits) or another elementwise
        loss of :mod:`calckit.losses`; the mean over the batch (and the
        outputs, for elementwise losses), as in ``model.fit``.

    Raises
    ------
    InvalidParameterError
        A layer that is neither Dense nor a named Activation, or a loss that
        is not a name.
    """
    if not isinstance(loss, str):
        raise CalckitTypeError(
            f"equations: loss must be a loss name such as 'mse', got {loss!r:.60}")
    layers = list(model.layers)
    if not layers or not isinstance(layers[0], Dense):
        raise InvalidParameterError(
            "equations: the model must start with a Dense layer")
    d0 = layers[0].in_features
    A = _matrix("X", "n", d0)
    params: dict = {}
    keys: dict = {}
    hidden: list = []
    pres: list = []
    pre = None
    width = d0
    count = 0
    for i, layer in enumerate(layers):
        if isinstance(layer, Dense):
            count += 1
            W = _matrix(f"W{count}", width, layer.out_features)
            b = E.var(f"b{count}", (layer.out_features,))
            params[f"W{count}"], params[f"b{count}"] = W, b
            keys[f"W{count}"], keys[f"b{count}"] = f"{i}.W", f"{i}.b"
            if pre is not None:
                hidden.append(A)
            width = layer.out_features
            pre = A @ W + b
            pres.append(pre)
            A = pre
        elif isinstance(layer, Activation) and layer.name and pre is not None \
                and A is pre:
            A = ops.apply(layer.name, pre)
        else:
            raise InvalidParameterError(
                f"equations: layer {i} ({type(layer).__name__}) is not supported; "
                "use Dense layers each followed by at most one named Activation")
    if A is not pre:  # an output activation: named like the hidden ones
        hidden.append(A)
    Y = _matrix("Y", "n", width)
    full_loss = _loss(loss, A, pre, Y)
    grads = grad(full_loss, [params[k] for k in keys])
    grads = grads if isinstance(grads, tuple) else (grads,)
    symbols = {"params": params, "hidden": hidden, "pre": pres, "out": width}
    return BackpropEquations(model, loss, full_loss, symbols, keys, grads)


def _matrix(name, rows, cols):
    return E.var(name, (rows, cols))


def _loss(loss, A, pre, Y):
    if loss == "softmax_cross_entropy":
        if A is not pre:
            raise InvalidParameterError(
                "equations: softmax_cross_entropy takes the logits; end the model "
                "with a Dense layer")
        return ops.mean(ops.logsumexp(pre, axis=1) - ops.sum(Y * pre, axis=1))
    if loss == "binary_cross_entropy" and A == ops.apply("sigmoid", pre):
        return ops.mean(ops.apply("bce_with_logits", Y, pre))
    return ops.mean(ops.apply(loss, Y, A))


def _named(exprs, hidden, pres):
    """``name_shared`` with the hidden activations named ``a1, a2, ...``, the
    pre-activations ``z1, z2, ...`` and the other shared nodes ``delta_1,
    delta_2, ...`` in evaluation order."""
    defs, rewritten = name_shared(exprs, "delta")
    full: dict = {}
    rename: dict = {}
    out = []
    k = 0
    for name, e in defs:
        node = E.var(name, e.shape)
        expanded = _substitute(e, full, top=False) if full else e
        full[node] = expanded
        if expanded in hidden:
            new = f"a{hidden.index(expanded) + 1}"
        elif expanded in pres:
            new = f"z{pres.index(expanded) + 1}"
        else:
            k += 1
            new = f"delta_{k}"
        rename[node] = E.var(new, e.shape)
        out.append((new, e))
    defs = [(n, _substitute(e, rename)) for n, e in out]
    return defs, [_substitute(e, rename) for e in rewritten]
