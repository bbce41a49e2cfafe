"""Inverted dropout in NumPy, as Keras' ``Dropout`` layer applies it.

In training each value is dropped (set to 0) with probability ``rate`` and the survivors are
scaled by ``1 / (1 - rate)``, so every value keeps its expected size; at inference the layer
does nothing. The random numbers are an argument (``u``, uniform in ``[0, 1)``, one per
value): a value is dropped where ``u < rate``, kept where ``u >= rate`` (TensorFlow's rule),
which makes the result reproducible.

>>> x, u = np.ones(4), np.array([0.1, 0.7, 0.4, 0.9])
>>> inverted_dropout(x, 0.5, u, training=True).tolist()
[0.0, 2.0, 0.0, 2.0]
>>> inverted_dropout(x, 0.5, u, training=False).tolist()
[1.0, 1.0, 1.0, 1.0]
"""
from __future__ import annotations

import numbers

import numpy as np


def inverted_dropout(x, rate: float, u, training: bool = True) -> np.ndarray:
    """Drop the values of ``x`` where ``u < rate`` and scale the rest by ``1 / (1 - rate)`` (training only).

    >>> inverted_dropout([[2.0, 4.0]], 0.75, [[0.5, 0.8]]).tolist()
    [[0.0, 16.0]]
    """
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"training must be True or False, got {training!r}")
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
        raise ValueError(f"rate (the probability of dropping a value) must be in [0, 1), got {rate!r}")
    x = np.asarray(x, dtype=np.float64)
    if not training:
        return x.copy()
    u = np.asarray(u, dtype=np.float64)
    if u.shape != x.shape:
        raise ValueError(f"u must hold one random number per value of x, shape {x.shape}, got {u.shape}")
    return np.where(u >= rate, x / (1 - rate), 0.0)
