"""Keras training helpers whose printed output is stable enough for nbval to compare.

>>> printer = EpochPrinter(every=5, digits=2)
>>> printer.format_logs(3, {"loss": 0.12345, "accuracy": 0.98765})
'epoch  3: loss 0.12 accuracy 0.99'
"""
from __future__ import annotations

import time

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
