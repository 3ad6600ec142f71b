"""The training loop behind :meth:`Sequential.fit`.

The per-batch path is lean: one shuffle (a single gather) per epoch, batches
as contiguous slices, the loss head and layer caches reused, and one
optimizer step on the model's flat parameter vector.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from calckit import _progress
from calckit._validate import Interval, Options, check, positive_int
from calckit.errors import (
    CalckitTypeError,
    InvalidParameterError,
    NumericError,
    ShapeError,
)
from calckit.nn._base import as_float_array
from calckit.nn._batchnorm import BatchNorm
from calckit.nn._heads import _PROBABILITY_LOSSES
from calckit.nn._init import as_rng

if TYPE_CHECKING:
    from calckit.nn._heads import ElementwiseHead, SoftmaxCrossEntropyHead
    from calckit.nn._sequential import Sequential

__all__ = ["fit", "History"]


@dataclass(repr=False)
class History:
    """Per-epoch training record returned by ``fit``.

    ``loss``/``accuracy`` are averages over the epoch's batches (training
    mode, as Keras reports them); ``val_loss``/``val_accuracy`` are computed
    in eval mode at the end of each epoch when validation data is given.
    ``accuracy`` lists are empty when accuracy is undefined (regression);
    with several 0/1 outputs per sample it is the fraction of correct
    outputs (Keras' ``binary_accuracy``), so it always lies in [0, 1].
    """

    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    epoch_seconds: list = field(default_factory=list)
    stopped_early: bool = False
    best_epoch: int | None = None
    diverged: bool = False
    message: str = ""

    @property
    def epochs(self) -> int:
        return len(self.loss)

    def __getitem__(self, key: str) -> list:
        if key not in {"loss", "accuracy", "val_loss", "val_accuracy",
                       "epoch_seconds"}:
            raise KeyError(key)
        return getattr(self, key)

    def as_dict(self) -> dict:
        return {k: list(getattr(self, k)) for k in
                ("loss", "accuracy", "val_loss", "val_accuracy")}

    def __repr__(self) -> str:
        """A summary: epochs, final loss and metrics, the best epoch and how
        training ended (the per-epoch lists are the attributes, or
        :meth:`as_dict`).

        >>> History(loss=[0.9, 0.5, 0.6], val_loss=[1.0, 0.7, 0.8])
        History(epochs=3, loss=0.6, val_loss=0.8, best epoch 2 (val_loss 0.7))
        """
        parts = [f"epochs={self.epochs}"]
        for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
            values = getattr(self, name)
            if values:
                parts.append(f"{name}={values[-1]:.4g}")
        best = self._best()
        if best is not None:
            name, epoch = best
            parts.append(f"best epoch {epoch} ({name} "
                         f"{getattr(self, name)[epoch - 1]:.4g})")
        if self.stopped_early:
            parts.append("stopped early")
        if self.diverged:
            parts.append("diverged")
        return f"History({', '.join(parts)})"

    def _best(self):
        """``(monitored list name, 1-based epoch)`` of the best epoch: the one
        early stopping kept, else the lowest validation (or training) loss."""
        name = "val_loss" if self.val_loss else "loss"
        values = getattr(self, name)
        if self.best_epoch is not None:
            return name, self.best_epoch
        finite = [(v, i) for i, v in enumerate(values) if math.isfinite(v)]
        if not finite:
            return None
        return name, min(finite)[1] + 1


def _optimizer(optimizer, opt_kwargs):
    from calckit import optim

    if isinstance(optimizer, str):
        opt = optim.get(optimizer, **opt_kwargs)
    elif opt_kwargs:
        raise InvalidParameterError(
            f"optimizer keyword arguments {sorted(opt_kwargs)} are only used with an "
            "optimizer name; set them on the optimizer instance instead")
    else:
        opt = optimizer
    if not (hasattr(opt, "init") and hasattr(opt, "step")):
        raise CalckitTypeError(
            f"optimizer must be a name or a calckit.optim optimizer, got {opt!r}")
    if type(opt).__name__ == "Newton":
        raise InvalidParameterError(
            "Newton needs the Hessian of the whole loss; use it with "
            "calckit.minimize, and a first-order optimizer (sgd, adam, ...) for fit")
    return opt


def _bar(epochs: int, progress: bool | None, stream) -> Any:
    """The ``tqdm`` bar over the epochs (on ``stream``, default stderr), or
    one that does nothing when ``progress`` is off."""
    return _progress.counter(epochs, enabled=progress, desc="epoch", file=stream)


def _show(bar: Any, history: History, last: bool) -> None:
    """Advance ``bar`` by one epoch and show the epoch's loss and metrics
    (redrawn at once on the last epoch, else at tqdm's own pace)."""
    values = {"loss": f"{history.loss[-1]:.4g}"}
    for key in ("accuracy", "val_loss", "val_accuracy"):
        seq = getattr(history, key)
        if seq:
            values[key.replace("accuracy", "acc")] = f"{seq[-1]:.4g}"
    bar.set_postfix(values, refresh=False)
    bar.update(1)
    if last:
        bar.refresh()


def _epoch_metrics(model, head, X, y, binary):
    stop = model._stop(head)
    z = model.forward(X, False, stop=stop)
    value, _ = head(z, y)
    if not head.has_accuracy(binary):
        return value, None
    labels = head.labels(y)
    # one prediction per label: with several outputs per sample (multi-label
    # 0/1 targets) accuracy is over every output, as Keras' binary_accuracy
    return value, head.correct(z, labels) / labels.size


def _check_samples(X, y, x_name: str, y_name: str) -> None:
    """ShapeError unless ``X`` has samples and ``y`` one target per sample."""
    if X.ndim == 0 or len(X) == 0:
        raise ShapeError(
            f"{x_name} has 0 samples (shape {X.shape}); fit needs an array of "
            "shape (N, ...) with N >= 1")
    try:
        n_y = len(y)
    except TypeError:
        return  # not a sequence: the loss head reports the target shape
    if n_y != len(X):
        raise ShapeError(f"{x_name} has {len(X)} samples but {y_name} has {n_y}")


def _check_finite(arr: np.ndarray, name: str) -> None:
    """NumericError naming the first sample with a nan or inf: such data
    would only show up later as a "diverged" loss."""
    finite = np.isfinite(arr)
    if finite.all():
        return
    bad = ~finite.reshape(len(arr), -1).all(axis=1)
    raise NumericError(
        f"{name} contains nan or inf in {int(bad.sum())} of {len(arr)} samples "
        f"(first at index {int(np.argmax(bad))}); remove or impute them before "
        "training")


def _batches(n: int, batch_size: int, merge_single: bool) -> list:
    """``(start, stop)`` of each minibatch; with ``merge_single`` a trailing
    batch of one sample joins the previous batch."""
    bounds = [(s, min(s + batch_size, n)) for s in range(0, n, batch_size)]
    if merge_single and len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds


def fit(model, X, y, *, loss="mse", optimizer="adam", epochs: int = 10,
        batch_size: int | None = 32, seed=None, progress: bool | None = True,
        validation_data=None, early_stopping: int | None = None,
        min_delta: float = 0.0, restore_best: bool = True, shuffle: bool = True,
        on_divergence: str = "raise", stream=None, **opt_kwargs) -> History:
    """Train ``model`` by minibatch backprop.

    Parameters
    ----------
    X, y : array_like
        Inputs (N, ...) and targets (shaped like the outputs; (N,) for one
        output; integer labels or one-hot for softmax_cross_entropy).
    loss : str or SymPy loss
    optimizer : str or calckit.optim optimizer
        A name goes through ``calckit.optim.get(name, **opt_kwargs)`` (e.g.
        ``lr=0.1``; a schedule as ``lr`` works as for the optimizer).
    epochs, batch_size : int
        ``batch_size=None`` means full batch. When the model has a
        :class:`~calckit.nn.BatchNorm` layer (batch statistics need more than
        one sample) and ``N % batch_size == 1``, the trailing one-sample
        batch is merged into the previous one, which then has
        ``batch_size + 1`` samples; nothing changes for other ``N``.
    seed : int or Generator, optional
        Shuffling order (default seed 0).
    progress : bool or None, default True
        A ``tqdm`` progress bar over the epochs (with the last epoch's loss
        and metrics) on ``stream`` (default stderr, never stdout), and the
        early-stopping / divergence notes above it; ``False`` prints
        nothing; ``None`` shows it only when the stream is a terminal.
    validation_data : (X_val, y_val), optional
    early_stopping : int, optional
        Patience in epochs on ``val_loss`` (or ``loss`` without validation
        data); with ``restore_best`` the best parameters are put back.
    on_divergence : {"raise", "stop"}
        A non-finite loss raises :class:`calckit.NumericError` (with the
        history attached as ``.history``), or stops and returns the history
        with ``diverged=True``. Either way the parameters are reset to the
        start of the failing epoch.

    Returns
    -------
    History
    """
    positive_int(epochs, "epochs", "fit")
    positive_int(early_stopping, "early_stopping", "fit", none_ok=True)
    check(min_delta, Interval(0.0, None), "min_delta", "fit")
    check(on_divergence, Options("raise", "stop"), "on_divergence", "fit")
    X = as_float_array(X, name="X")
    _check_samples(X, y, "X", "y")
    n = len(X)
    batch_size = positive_int(batch_size, "batch_size", "fit", none_ok=True) or n
    head = model.head(loss)
    stop = model._stop(head)
    Y = model._targets(head, X, y, stop)
    if len(Y) != n:
        raise ShapeError(f"X has {n} samples but y has {len(Y)}")
    _check_finite(X, "X")
    _check_finite(Y, "y")
    binary = bool(np.all((Y == 0) | (Y == 1))) and head.name != "softmax_cross_entropy"
    val = None
    if validation_data is not None:
        if not (isinstance(validation_data, (tuple, list))
                and len(validation_data) == 2):
            raise CalckitTypeError(
                "validation_data must be a pair (X_val, y_val), got "
                f"{type(validation_data).__name__}")
        Xv = as_float_array(validation_data[0], name="validation X")
        _check_samples(Xv, validation_data[1], "validation X", "validation y")
        val = (Xv, model._targets(head, Xv, validation_data[1], stop))
        _check_finite(Xv, "validation X")
        _check_finite(val[1], "validation y")
    trainer = _Trainer(
        model=model, head=head, X=X, Y=Y, val=val, binary=binary,
        opt=_optimizer(optimizer, opt_kwargs), gen=as_rng(seed), epochs=int(epochs),
        batch_size=int(batch_size), shuffle=shuffle, early_stopping=early_stopping,
        min_delta=float(min_delta), restore_best=restore_best,
        on_divergence=on_divergence, bar=_bar(int(epochs), progress, stream),
        layers=model.layers[:stop])
    try:
        return trainer.run()
    finally:
        trainer.bar.close()


@dataclass
class _Trainer:
    """One ``fit`` call: validated inputs plus the epoch loop."""

    model: Sequential
    head: ElementwiseHead | SoftmaxCrossEntropyHead
    X: np.ndarray
    Y: np.ndarray
    val: tuple | None
    binary: bool
    opt: Any  # a calckit.optim optimizer (duck-typed: init and step)
    gen: np.random.Generator
    epochs: int
    batch_size: int
    shuffle: bool
    early_stopping: int | None
    min_delta: float
    restore_best: bool
    on_divergence: str
    bar: Any  # a calckit._progress.counter bar
    layers: list

    def run(self) -> History:
        self.model._ensure_packed()
        has_bn = any(isinstance(layer, BatchNorm) for layer in self.layers)
        self.bounds = _batches(len(self.X), self.batch_size, has_bn)
        self.track_acc = self.head.has_accuracy(self.binary)
        self.labels: np.ndarray | None = (
            self.head.labels(self.Y) if self.track_acc else None)
        first = self.layers[0] if self.layers else None
        saved_flag = first.input_grad if first is not None else True
        try:
            if first is not None:
                first.input_grad = False  # dL/dX is not needed for training
            # overflow is detected after each epoch (non-finite loss -> clear
            # error), so NumPy's warnings would only add noise
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                return self._loop()
        finally:
            if first is not None:
                first.input_grad = saved_flag

    def _loop(self) -> History:
        model, history = self.model, History()
        flat = model._flat
        state = self.opt.init(flat.copy())
        self.best, self.waited = math.inf, 0
        self.best_flat: np.ndarray | None = None
        self.best_buffers: dict[str, np.ndarray] | None = None
        for epoch in range(1, self.epochs + 1):
            t0 = time.perf_counter()
            start_flat = flat.copy()
            start_buffers = {k: b.copy() for k, b in model.buffers().items()}
            value, correct, state = self._epoch(state)
            if not (math.isfinite(value) and np.all(np.isfinite(flat))):
                return _diverged(model, history, epoch, value, start_flat,
                                 start_buffers, self.on_divergence, self.bar,
                                 _advice(self.head))
            history.loss.append(value)
            if self.labels is not None:  # i.e. self.track_acc
                history.accuracy.append(correct / self.labels.size)
            if self.val is not None:
                vl, va = _epoch_metrics(model, self.head, self.val[0], self.val[1],
                                        self.binary)
                history.val_loss.append(vl)
                if va is not None:
                    history.val_accuracy.append(va)
            history.epoch_seconds.append(time.perf_counter() - t0)
            _show(self.bar, history, last=epoch == self.epochs)
            if self.early_stopping is not None and self._should_stop(
                    epoch, history, self.early_stopping):
                break
        return history

    def _epoch(self, state):
        """One pass over shuffled minibatches; returns (mean loss, number
        correct, optimizer state)."""
        n, head = len(self.X), self.head
        flat, flat_grad, opt = self.model._flat, self.model._flat_grad, self.opt
        layers, rev = self.layers, self.layers[::-1]
        if self.shuffle:
            perm = self.gen.permutation(n)
            Xs, Ys = self.X[perm], self.Y[perm]
        else:
            perm, Xs, Ys = None, self.X, self.Y
        # the epoch's training-mode outputs: loss and accuracy are computed
        # from them once per epoch (the batch-size-weighted mean of the batch
        # losses), which keeps the per-batch path to forward, gradient,
        # backward and one optimizer step on the flat parameter vector
        Z = None
        for s, e in self.bounds:
            out = Xs[s:e]
            for layer in layers:
                out = layer.forward(out, True)
            if Z is None:
                Z = np.empty((n,) + out.shape[1:])
            Z[s:e] = out
            g = head.grad(out, Ys[s:e])
            for layer in rev:
                g = layer.backward(g)
            new, state = opt.step(flat, flat_grad, state)
            if new is not flat:
                flat[...] = new
        value = head.value(Z, Ys)
        correct = None
        if self.labels is not None:  # i.e. self.track_acc
            labels = self.labels if perm is None else self.labels[perm]
            correct = head.correct(Z, labels)
        return value, correct, state

    def _should_stop(self, epoch: int, history: History, patience: int) -> bool:
        model = self.model
        monitored = history.val_loss[-1] if self.val is not None else history.loss[-1]
        if monitored < self.best - self.min_delta:
            self.best, self.waited, history.best_epoch = monitored, 0, epoch
            self.best_flat = model._flat.copy()
            self.best_buffers = {k: b.copy() for k, b in model.buffers().items()}
            return False
        self.waited += 1
        if self.waited < patience:
            return False
        history.stopped_early = True
        if self.restore_best and self.best_flat is not None:
            model._flat[...] = self.best_flat
            _restore_buffers(model, self.best_buffers)
        history.message = (
            f"stopped early at epoch {epoch}: no improvement for "
            f"{self.early_stopping} epochs (best epoch {history.best_epoch})")
        self.bar.write(history.message)
        return True


def _restore_buffers(model, saved) -> None:
    live = model.buffers()
    for k, b in saved.items():
        live[k][...] = b


def _advice(head) -> str:
    """What to try after a non-finite loss, given the loss head."""
    out_name = getattr(getattr(head, "activation", None), "name", None)
    if head.name in _PROBABILITY_LOSSES and out_name != "sigmoid":
        # log(p) of an unbounded output: nan as soon as it leaves (0, 1)
        return (f"{head.name} needs predictions in (0, 1): end the model with "
                "Activation('sigmoid'), or use bce_with_logits on the raw "
                "outputs.")
    return ("Lower the learning rate, scale the inputs, or use a more stable "
            "loss/optimizer.")


def _diverged(model, history, epoch, value, start_flat, start_buffers,
              on_divergence, bar, advice):
    model._flat[...] = start_flat
    _restore_buffers(model, start_buffers)
    what = (f"the training loss became {value}" if not math.isfinite(value)
            else "a parameter became non-finite")
    history.diverged = True
    history.message = (
        f"training diverged at epoch {epoch}: {what}. Parameters were reset to "
        f"the start of that epoch. {advice}")
    if on_divergence == "raise":
        err = NumericError(history.message)
        err.history = history
        raise err
    bar.write(history.message)
    return history
