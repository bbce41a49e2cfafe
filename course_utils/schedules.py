"""Learning-rate schedules as functions of the epoch, as ``keras.optimizers.schedules`` computes them.

Keras' schedules take the optimizer's step counter; with one step per epoch they are these
(``tests/test_schedules.py`` compares them)::

    step decay    lr0 * factor**(number of boundaries passed)   (PiecewiseConstantDecay: a boundary epoch
                                                                  still has the earlier value)
    exponential   lr0 * rate**epoch                              (ExponentialDecay, decay_steps=1)
    cosine        lr0 * (alpha + (1 - alpha) * (1 + cos(pi * epoch / total)) / 2)   (CosineDecay)

>>> step_decay(0.01, [30, 60, 80], 0.1, 45), step_decay(0.01, [30, 60, 80], 0.1, 30)
(0.001, 0.01)
>>> round(cosine_decay(0.01, 90, 45), 6), round(exponential_decay(0.01, 0.5, 2), 6)
(0.005, 0.0025)
"""
from __future__ import annotations

import math
import numbers


def _check(name: str, value, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= minimum:
        raise ValueError(f"{name} must be a number >= {minimum:g}, got {value!r}")
    return float(value)


def step_decay(lr0: float, boundaries, factor: float, epoch: float) -> float:
    """``lr0`` multiplied by ``factor`` once for every boundary the epoch has passed (strictly).

    >>> step_decay(1.0, [10, 20], 0.5, 21)
    0.25
    """
    lr0, factor, epoch = _check("lr0", lr0), _check("factor", factor), _check("epoch", epoch)
    passed = sum(epoch > _check("a boundary", b) for b in boundaries)
    return lr0 * factor**passed


def exponential_decay(lr0: float, rate: float, epoch: float) -> float:
    """``lr0 * rate**epoch``: the rate multiplies the learning rate once per epoch.

    >>> exponential_decay(0.1, 0.9, 0)
    0.1
    """
    return _check("lr0", lr0) * _check("rate", rate) ** _check("epoch", epoch)


def cosine_decay(lr0: float, total: float, epoch: float, alpha: float = 0.0) -> float:
    """Half a cosine from ``lr0`` at epoch 0 down to ``alpha * lr0`` at ``total`` (and after it).

    >>> cosine_decay(1.0, 10, 10), cosine_decay(1.0, 10, 0)
    (0.0, 1.0)
    """
    lr0, total, epoch, alpha = _check("lr0", lr0), _check("total", total, 1), _check("epoch", epoch), \
        _check("alpha", alpha)
    progress = min(epoch, total) / total
    return lr0 * (alpha + (1 - alpha) * 0.5 * (1 + math.cos(math.pi * progress)))
