"""Keras training helpers: printed output stable enough for nbval to compare, and early stopping read off a curve.

>>> printer = EpochPrinter(every=5, digits=2)
>>> printer.format_logs(3, {"loss": 0.12345, "accuracy": 0.98765})
'epoch  3: loss 0.12 accuracy 0.99'
>>> early_stopping_epochs([0.9, 0.5, 0.6, 0.4, 0.45, 0.47, 0.5], patience=2)
StoppingPoint(best_epoch=4, stopped_epoch=6)
"""
from __future__ import annotations

import numbers
import time
from typing import NamedTuple

import keras


class EpochPrinter(keras.callbacks.Callback):
    """Print rounded metrics every ``every`` epochs (and the last one) instead of a progress bar.

    Use with ``model.fit(..., verbose=0, callbacks=[EpochPrinter()])``. Rounding to a
    couple of digits keeps outputs comparable between runs while still catching a
    model that stopped learning.
    """

    def __init__(self, every: int = 1, digits: int = 2, metrics: tuple[str, ...] | None = None):
        super().__init__()
        self.every, self.digits, self.metrics = every, digits, metrics
        self.seconds_per_epoch: list[float] = []

    def format_logs(self, epoch: int, logs: dict) -> str:
        names = self.metrics or [k for k in logs if not k.startswith("learning_rate")]
        parts = [f"{name} {logs[name]:.{self.digits}f}" for name in names if name in logs]
        return f"epoch {epoch:2d}: " + " ".join(parts)

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds_per_epoch.append(time.perf_counter() - self._start)
        total = self.params.get("epochs", epoch + 1)
        if (epoch + 1) % self.every == 0 or epoch + 1 == total:
            print(self.format_logs(epoch + 1, logs or {}))


class StoppingPoint(NamedTuple):
    """Where early stopping ends a run (epochs counted from 1): the weights it keeps, the last epoch it trains."""

    best_epoch: int
    stopped_epoch: int


def early_stopping_epochs(val_losses, patience: int) -> StoppingPoint:
    """What ``keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
    restore_best_weights=True)`` does with this validation-loss curve: it stops after
    ``patience`` epochs without a new lowest loss and keeps the lowest epoch's weights; a
    curve that still improves near its end runs to its last epoch.

    >>> early_stopping_epochs([0.5, 0.4, 0.3], patience=1)
    StoppingPoint(best_epoch=3, stopped_epoch=3)
    >>> early_stopping_epochs([0.5, 0.6, 0.7], patience=1)
    StoppingPoint(best_epoch=1, stopped_epoch=2)
    """
    if isinstance(patience, bool) or not isinstance(patience, numbers.Integral) or patience < 0:
        raise ValueError(f"patience must be a whole number of epochs >= 0, got {patience!r}")
    losses = [float(v) for v in val_losses]
    if not losses:
        raise ValueError("val_losses is empty; expected one validation loss per epoch")
    best, waited = 0, 0
    for epoch in range(1, len(losses)):
        if losses[epoch] < losses[best]:
            best, waited = epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return StoppingPoint(best + 1, epoch + 1)
    return StoppingPoint(best + 1, len(losses))
