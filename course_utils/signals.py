"""A seeded toy data set of 1-D signals for the Conv1D notebook: four kinds of noisy waveform.

Every example is one waveform with a random frequency, phase, amplitude and offset,
plus Gaussian noise. The class is the *shape* of the wave, which a small filter sees
anywhere in the window; its position (the phase) is random, which is what makes a
plain dense layer work harder than a convolution.

>>> x, y = make_waveforms(8, length=64, seed=0)
>>> x.shape, x.dtype.name, y.tolist()
((8, 64), 'float32', [2, 0, 3, 2, 1, 0, 1, 3])
>>> [WAVEFORM_CLASSES[k] for k in range(4)]
['sine', 'square', 'sawtooth', 'pulse']
"""
from __future__ import annotations

import numbers

import numpy as np

WAVEFORM_CLASSES = ("sine", "square", "sawtooth", "pulse")
PULSE_DUTY = 0.2


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def waveform(kind: str, t, cycles: float, phase: float = 0.0) -> np.ndarray:
    """One clean waveform in [-1, 1] at times ``t`` in [0, 1) with ``cycles`` periods over the window.

    ``phase`` is a fraction of a period. A square wave is high half of each period,
    a pulse train only its first ``PULSE_DUTY`` (a fifth).

    >>> t = np.arange(8) / 8
    >>> waveform("square", t, cycles=2).tolist()
    [1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0]
    >>> waveform("sawtooth", t, cycles=1).tolist()
    [-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75]
    >>> waveform("pulse", np.arange(10) / 10, cycles=1).tolist()
    [1.0, 1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0]
    """
    t = np.asarray(t, dtype=np.float64)
    position = (cycles * t + phase) % 1.0  # where in its period each sample falls, in [0, 1)
    if kind == "sine":
        return np.sin(2 * np.pi * position)
    if kind == "square":
        return np.where(position < 0.5, 1.0, -1.0)
    if kind == "sawtooth":
        return 2 * position - 1
    if kind == "pulse":
        return np.where(position < PULSE_DUTY, 1.0, -1.0)
    raise ValueError(f"kind must be one of {WAVEFORM_CLASSES}, got {kind!r}")


def make_waveforms(n: int, length: int = 128, noise: float = 0.4, seed: int = 0,
                   cycles: tuple[float, float] = (2.0, 6.0)):
    """``n`` noisy waveforms ``x`` (float32, shape ``(n, length)``) and their classes ``y`` (int64).

    The classes are balanced (counts differ by at most one) and shuffled. Each example
    draws ``cycles`` uniformly in the given range, a phase in [0, 1), an amplitude in
    [0.6, 1.4] and an offset in [-0.3, 0.3]; then noise with standard deviation ``noise``
    is added. The same ``seed`` always gives the same data.

    >>> x, y = make_waveforms(400, seed=1)
    >>> np.bincount(y).tolist(), round(float(x.std()), 2)
    ([100, 100, 100, 100], 0.94)
    """
    n = _check_int("n", n, 1)
    length = _check_int("length", length, 8)
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not noise >= 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    if np.ndim(cycles) != 1 or len(cycles) != 2:
        raise ValueError(f"cycles must be a range (low, high), got {cycles!r}")
    low, high = cycles
    if not 0 < low <= high < length / 2:
        raise ValueError(f"cycles must be a range (low, high) with 0 < low <= high < length / 2 = {length / 2}, "
                         f"got {cycles!r}")
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % len(WAVEFORM_CLASSES))
    t = np.arange(length) / length
    x = np.empty((n, length))
    for k, label in enumerate(y):
        wave = waveform(WAVEFORM_CLASSES[label], t, cycles=rng.uniform(low, high), phase=rng.uniform())
        x[k] = rng.uniform(0.6, 1.4) * wave + rng.uniform(-0.3, 0.3)
    x += rng.normal(scale=noise, size=x.shape)
    return x.astype(np.float32), y.astype(np.int64)
