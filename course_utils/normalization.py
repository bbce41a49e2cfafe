"""Batch normalisation in NumPy, as Keras' ``BatchNormalization`` computes it (channels last).

Training mode standardises each channel with the statistics of the batch, taken over every
axis but the last (for a conv feature map ``(N, H, W, C)``: over ``N``, ``H`` and ``W``), then
scales and shifts it::

    y = gamma * (x - mean) / sqrt(var + eps) + beta        var: the biased (population) variance

and the running averages that inference will use follow the batch statistics::

    running = momentum * running + (1 - momentum) * batch      (Keras: momentum=0.99, eps=1e-3)

Inference mode uses the running averages instead of the batch's statistics, so one image
gets the same output whatever else is in its batch. (PyTorch writes the momentum the other
way round, ``running = (1 - m) running + m batch`` with ``m = 0.1``, and keeps the *unbiased*
variance in its running average; this module follows Keras.)

>>> x = np.array([[1.0], [3.0]])                     # two examples, one channel: mean 2, var 1
>>> batch_norm_forward(x, [1.0], [0.0], [0.0], [1.0], training=True, eps=0.0).ravel().tolist()
[-1.0, 1.0]
>>> batch_norm_forward(x, [1.0], [0.0], [0.0], [1.0], training=False, eps=0.0).ravel().tolist()
[1.0, 3.0]
>>> [v.round(6).tolist() for v in update_running_stats([0.0], [1.0], x, momentum=0.9)]
[[0.2], [1.0]]
"""
from __future__ import annotations

import numbers

import numpy as np

KERAS_MOMENTUM, KERAS_EPSILON = 0.99, 1e-3


def _as_batch(x) -> np.ndarray:
    if x is None:
        raise TypeError("x is None; expected an array (batch, ..., channels)")
    array = np.asarray(x)
    if array.dtype == object or not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"x must hold numbers, got dtype {array.dtype}")
    if array.ndim < 2:
        raise ValueError(f"x must have a batch axis and a channel axis (batch, ..., channels), got shape {array.shape}")
    return array.astype(np.float64)


def _per_channel(name: str, value, channels: int) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.shape != (channels,):
        raise ValueError(f"{name} must have one value per channel, shape ({channels},), got {array.shape}")
    return array


def _check_momentum(value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ValueError(f"momentum must be a number in [0, 1], got {value!r}")
    return float(value)


def batch_statistics(x) -> tuple[np.ndarray, np.ndarray]:
    """Mean and biased variance of each channel over every axis but the last.

    >>> [v.tolist() for v in batch_statistics(np.arange(8.0).reshape(2, 2, 2))]
    [[3.0, 4.0], [5.0, 5.0]]
    """
    x = _as_batch(x)
    axes = tuple(range(x.ndim - 1))
    return x.mean(axis=axes), x.var(axis=axes)


def batch_norm_forward(x, gamma, beta, running_mean, running_var, training: bool, eps: float = KERAS_EPSILON):
    """Batch-normalise ``x`` per channel: the batch's statistics in training, the running ones at inference.

    >>> x = np.random.default_rng(0).normal(3.0, 2.0, size=(8, 4, 4, 2))
    >>> y = batch_norm_forward(x, np.ones(2), np.zeros(2), np.zeros(2), np.ones(2), training=True)
    >>> bool(np.abs(y.mean(axis=(0, 1, 2))).max() < 1e-12), y.std(axis=(0, 1, 2)).round(3).tolist()
    (True, [1.0, 1.0])
    """
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"training must be True or False, got {training!r}")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or eps < 0:
        raise ValueError(f"eps must be a number >= 0, got {eps!r}")
    x = _as_batch(x)
    channels = x.shape[-1]
    gamma, beta = _per_channel("gamma", gamma, channels), _per_channel("beta", beta, channels)
    if training:
        mean, var = batch_statistics(x)
    else:
        mean = _per_channel("running_mean", running_mean, channels)
        var = _per_channel("running_var", running_var, channels)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def update_running_stats(running_mean, running_var, x, momentum: float = KERAS_MOMENTUM):
    """The running mean and variance after one training batch ``x`` (Keras' convention).

    ``momentum`` is the share of the old running value that is kept.

    >>> [v.tolist() for v in update_running_stats([1.0], [1.0], [[3.0], [5.0]], momentum=0.5)]
    [[2.5], [1.0]]
    """
    momentum = _check_momentum(momentum)
    mean, var = batch_statistics(x)
    running_mean = _per_channel("running_mean", running_mean, mean.size)
    running_var = _per_channel("running_var", running_var, mean.size)
    return momentum * running_mean + (1 - momentum) * mean, momentum * running_var + (1 - momentum) * var
