"""Sequential models: parameters, backprop, prediction and a gradient check.

All parameters of a :class:`Sequential` live in one contiguous float64
vector (each layer's ``params[name]`` is a view into it, and ``grads`` into
a twin gradient vector), so an optimizer step is a handful of whole-vector
NumPy operations however many layers there are.

>>> import numpy as np
>>> from calckit import nn
>>> model = nn.Sequential([nn.Dense(2, 3), nn.Activation("tanh"), nn.Dense(3, 1)],
...                       seed=0)
>>> sorted(model.parameters())
['0.W', '0.b', '2.W', '2.b']
>>> X = np.array([[0.0, 1.0], [1.0, 0.0]]); y = np.array([1.0, 0.0])
>>> loss, grads = model.value_and_grad(X, y, "mse")
>>> grads["0.W"].shape
(2, 3)
>>> model.gradcheck(X, y, "mse").ok
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from calckit.check.report import GradcheckReport
from calckit.errors import CalckitTypeError, InvalidParameterError, ShapeError
from calckit.nn._activation import Activation
from calckit.nn._base import Layer, as_float_array, positive_int
from calckit.nn._gradcheck import model_gradcheck
from calckit.nn._heads import make_head
from calckit.nn._init import as_rng

if TYPE_CHECKING:
    from calckit.nn._fit import History

__all__ = ["Sequential", "ModelGradcheckReport"]

_MAX_HEADS = 8  # compiled loss heads kept per model


class Sequential:
    """A stack of layers applied in order.

    Parameters
    ----------
    layers : sequence of Layer
    seed, rng : int or numpy.random.Generator, optional
        Re-initialise every layer that was not given its own ``rng``
        (Glorot, or He before a ReLU-like activation). Default seed 0, so a
        model is reproducible unless you ask otherwise.
    """

    def __init__(self, layers, *, seed=None, rng=None) -> None:
        layers = list(layers)
        seen: dict[int, int] = {}
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise CalckitTypeError(
                    f"layer {i} of Sequential must be a calckit.nn layer, got "
                    f"{type(layer).__name__}")
            if id(layer) in seen:
                # a layer caches its input for backward: a second use would
                # overwrite the first one's cache (and its gradients)
                raise InvalidParameterError(
                    f"layer {i} of Sequential is the same object as layer "
                    f"{seen[id(layer)]} ({layer!r}); a layer can appear only "
                    "once, so create a new layer for each position")
            seen[id(layer)] = i
            layer.where = f" (layer {i})"
        self.layers = layers
        gen = as_rng(rng, seed)
        for i, layer in enumerate(layers):
            if layer.params and not layer.user_initialised:
                nxt = next((lay for lay in layers[i + 1:]
                            if isinstance(lay, Activation) or lay.params), None)
                act = nxt.name if isinstance(nxt, Activation) else None
                layer.reset_parameters(gen, act)
        self._heads: dict = {}
        self._pack()

    # -- container -------------------------------------------------------
    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = ",\n".join(f"  {i}: {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential([\n{inner}\n])"

    # -- parameters ------------------------------------------------------
    def _pack(self) -> None:
        """Move every parameter (and gradient) into one flat vector of views."""
        entries = [(i, name, p) for i, layer in enumerate(self.layers)
                   for name, p in layer.params.items()]
        total = sum(p.size for _, _, p in entries)
        self._flat = np.empty(total)
        self._flat_grad = np.zeros(total)
        self._keys = []
        offset = 0
        for i, name, p in entries:
            size = p.size
            view = self._flat[offset:offset + size].reshape(p.shape)
            view[...] = p
            gview = self._flat_grad[offset:offset + size].reshape(p.shape)
            self.layers[i].params[name] = view
            self.layers[i].grads[name] = gview
            self._keys.append((f"{i}.{name}", offset, size, p.shape))
            offset += size

    def _ensure_packed(self) -> None:
        for layer in self.layers:
            for name, p in layer.params.items():
                if p.base is not self._flat or layer.grads[name].base is not (
                        self._flat_grad):
                    self._pack()
                    return
        # a layer may have gained or lost params
        if sum(len(layer.params) for layer in self.layers) != len(self._keys):
            self._pack()

    def parameters(self) -> dict:
        """``"{layer_index}.{name}" -> ndarray`` (live arrays, not copies)."""
        self._ensure_packed()
        return {f"{i}.{name}": p for i, layer in enumerate(self.layers)
                for name, p in layer.params.items()}

    def buffers(self) -> dict:
        """``"{layer_index}.{name}" -> ndarray`` of non-trained state."""
        return {f"{i}.{name}": b for i, layer in enumerate(self.layers)
                for name, b in layer.buffers.items()}

    def num_parameters(self) -> int:
        return int(sum(p.size for p in self.parameters().values()))

    # -- forward / backward ----------------------------------------------
    def forward(self, X, training: bool = True, *, stop: int | None = None):
        """Run layers ``[0, stop)`` (all by default)."""
        out = as_float_array(X, name="X")
        for layer in self.layers[:stop]:
            out = layer.forward(out, training)
        return out

    def backward(self, grad_out, *, stop: int | None = None):
        """Backprop through layers ``[0, stop)`` in reverse; returns dL/dX."""
        g = grad_out
        for layer in reversed(self.layers[:stop]):
            g = layer.backward(g)
        return g

    def predict(self, X, *, batch_size: int | None = None) -> np.ndarray:
        """Eval-mode output (BatchNorm uses running statistics)."""
        X = as_float_array(X, name="X")
        positive_int(batch_size, "batch_size", "predict", none_ok=True)
        if batch_size is None or len(X) <= batch_size:
            return self.forward(X, training=False)
        return np.concatenate([self.forward(X[i:i + batch_size], training=False)
                               for i in range(0, len(X), batch_size)])

    def head(self, loss):
        """The compiled loss head for ``loss`` (cached per model)."""
        key = loss if isinstance(loss, str) else id(loss)
        last = self.layers[-1] if self.layers else None
        cached = self._heads.get(key)
        if cached is not None and cached[0] is loss and cached[1] is last:
            return cached[2]
        h = make_head(loss, last)
        if len(self._heads) >= _MAX_HEADS:
            self._heads.clear()
        self._heads[key] = (loss, last, h)
        return h

    def _stop(self, head) -> int:
        return len(self.layers) - 1 if head.folds else len(self.layers)

    def _output_shape(self, X_shape, stop) -> tuple:
        shape = tuple(X_shape)
        for layer in self.layers[:stop]:
            shape = layer.output_shape(shape)
        return shape

    def _targets(self, head, X, y, stop):
        where = " (targets)"
        return head.targets(y, self._output_shape(X.shape, stop), where)

    def value_and_grad(self, X, y, loss) -> tuple[float, dict]:
        """Training-mode forward and backprop.

        Returns ``(loss_value, grads)`` with ``grads`` keyed like
        :meth:`parameters` (fresh copies).
        """
        X = _samples(X)
        head = self.head(loss)
        stop = self._stop(head)
        z = self.forward(X, True, stop=stop)
        yt = head.targets(y, z.shape, " (targets)")
        value, g = head(z, yt)
        self._ensure_packed()
        first = self.layers[0] if stop else None
        flag = first.input_grad if first is not None else True
        try:
            if first is not None:
                first.input_grad = False
            self.backward(g, stop=stop)
        finally:
            if first is not None:
                first.input_grad = flag
        return value, {key: self._flat_grad[o:o + s].reshape(shape).copy()
                       for key, o, s, shape in self._keys}

    def loss(self, X, y, loss, *, training: bool = False) -> float:
        """Mean loss of ``loss`` on (X, y) (eval mode unless ``training``)."""
        X = _samples(X)
        head = self.head(loss)
        stop = self._stop(head)
        z = self.forward(X, training, stop=stop)
        return head(z, head.targets(y, z.shape, " (targets)"))[0]

    def fit(self, X, y, *, loss="mse", optimizer="adam", epochs: int = 10,
            batch_size: int | None = 32, seed=None, progress: bool | None = True,
            **kwargs) -> History:
        """Train with minibatches; see :func:`calckit.nn.fit` for every option."""
        from calckit.nn._fit import fit

        return fit(self, X, y, loss=loss, optimizer=optimizer, epochs=epochs,
                   batch_size=batch_size, seed=seed, progress=progress, **kwargs)

    # -- gradient check ----------------------------------------------------
    def gradcheck(self, X, y, loss, *, rtol: float = 1e-6, atol: float = 1e-8,
                  method: str = "central") -> GradcheckReport:
        """Compare backprop with numeric derivatives of the training-mode loss
        over every parameter entry.

        The numeric side is :mod:`calckit.numeric` (``method``: central by
        default, four evaluations of the loss per entry on steps scaled to
        ``max(|w|, 1)``; or richardson, forward, backward) with its error
        estimates, and
        the judgement that of :func:`calckit.gradcheck`: an entry passes when
        ``|exact - numeric| <= atol + rtol * max(|exact|, |numeric|) + 2 *
        error_estimate``, doubtful entries are rechecked on shorter steps,
        and a failing entry whose one-sided differences disagree (a ReLU or
        max-pool kink within the step) is a ``kink``, not a failure. Rows
        name each entry (``"0.W[1, 2]"``); BatchNorm running statistics are
        restored afterwards.

        Returns
        -------
        GradcheckReport
            ``ok``, ``rows``, ``failures``, ``kinks``, ``max_abs_error``...;
            ``str()`` is an aligned table, failures and kinks first.
        """
        X = _samples(X)
        return model_gradcheck(self, X, y, loss, rtol=rtol, atol=atol,
                               method=method)


def _samples(X) -> np.ndarray:
    """``X`` as float64 with at least one sample: a loss is a mean over them."""
    X = as_float_array(X, name="X")
    if X.ndim == 0 or len(X) == 0:
        raise ShapeError(
            f"X holds no samples (shape {X.shape}); the loss is a mean over "
            "samples and needs at least one")
    return X


#: The report of :meth:`Sequential.gradcheck` (the one gradient-check report).
ModelGradcheckReport = GradcheckReport
