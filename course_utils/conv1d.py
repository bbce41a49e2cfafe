"""1-D convolution: the definition as loops, as a matrix (Toeplitz) product, and Keras' causal Conv1D.

Both functions follow :func:`numpy.convolve` exactly, modes included, so a notebook
can check one against the other:

* ``"full"``: every shift where ``x`` and ``h`` overlap, length ``N + M - 1``;
* ``"same"``: the centre ``max(N, M)`` values of the full result;
* ``"valid"``: only the shifts where one lies wholly inside the other, ``max(N, M) - min(N, M) + 1``.

>>> x, h = [1, 2, 3], [1, 0, -1]
>>> convolve1d_loops(x, h).tolist()
[1.0, 2.0, 2.0, -2.0, -3.0]
>>> (convolution_matrix(h, len(x)) @ x).tolist()
[1.0, 2.0, 2.0, -2.0, -3.0]

A Keras ``Conv1D`` layer computes a cross-correlation (no flip); with ``padding="causal"`` it
first pads ``d (k - 1)`` zeros on the left only, so that output ``t`` uses inputs ``<= t``
(:func:`causal_pad`, :func:`causal_correlate`).
"""
from __future__ import annotations

import numbers

import numpy as np

MODES = ("full", "same", "valid")


def _as_signal(name: str, value) -> np.ndarray:
    if value is None:
        raise TypeError(f"{name} is None; expected a 1-D array of numbers")
    array = np.asarray(value)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {array.shape}")
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return array.astype(np.float64)


def _mode_slice(mode: str, n: int, m: int) -> slice:
    """Which entries of the full result (length ``n + m - 1``) a mode keeps, as np.convolve does."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    short, long = min(n, m), max(n, m)
    if mode == "full":
        return slice(0, n + m - 1)
    if mode == "same":
        start = (short - 1) // 2
        return slice(start, start + long)
    return slice(short - 1, long)


def convolve1d_loops(x, h, mode: str = "full") -> np.ndarray:
    """``y[n] = sum_k x[k] h[n - k]`` with two explicit loops (the definition, for teaching).

    >>> convolve1d_loops([1, 2, 3, 4], [1, 1], mode="valid").tolist()
    [3.0, 5.0, 7.0]
    """
    x, h = _as_signal("x", x), _as_signal("h", h)
    y = np.zeros(len(x) + len(h) - 1)
    for n in range(len(y)):
        for k in range(len(x)):
            if 0 <= n - k < len(h):  # h is zero outside its support
                y[n] += x[k] * h[n - k]
    return y[_mode_slice(mode, len(x), len(h))]


def convolution_matrix(h, n: int, mode: str = "full") -> np.ndarray:
    """The Toeplitz matrix ``T`` with ``T @ x == np.convolve(x, h, mode)`` for every ``x`` of length ``n``.

    Row ``i`` of the full matrix holds ``h`` reversed and shifted by ``i``:
    ``T[i, j] = h[i - j]`` (zero where ``i - j`` is outside ``h``). That is the
    flip-and-slide picture written as a matrix, and it shows that convolution is linear.

    >>> convolution_matrix([1, -1], 3).astype(int).tolist()
    [[1, 0, 0], [-1, 1, 0], [0, -1, 1], [0, 0, -1]]
    """
    h = _as_signal("h", h)
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"n (the input length) must be a positive integer, got {n!r}")
    rows = np.arange(n + len(h) - 1)[:, None]
    cols = np.arange(n)[None, :]
    lag = rows - cols
    inside = (lag >= 0) & (lag < len(h))
    full = np.where(inside, h[np.clip(lag, 0, len(h) - 1)], 0.0)
    return full[_mode_slice(mode, n, len(h))]


def _check_kernel(kernel_size, dilation) -> tuple[int, int]:
    for name, value in (("kernel_size", kernel_size), ("dilation", dilation)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(kernel_size), int(dilation)


def causal_pad(x, kernel_size: int, dilation: int = 1) -> np.ndarray:
    """``x`` with ``dilation * (kernel_size - 1)`` zeros on the left: what ``padding="causal"`` adds.

    >>> causal_pad([1, 2, 3], kernel_size=3, dilation=2).tolist()
    [0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0]
    """
    x = _as_signal("x", x)
    kernel_size, dilation = _check_kernel(kernel_size, dilation)
    return np.concatenate([np.zeros(dilation * (kernel_size - 1)), x])


def causal_correlate(x, w, dilation: int = 1) -> np.ndarray:
    """Keras' ``Conv1D(padding="causal", dilation_rate=dilation)`` on one channel, without bias.

    ``y[t] = sum_m w[m] x[t - dilation (k - 1 - m)]`` (``x`` is 0 before time 0): the same
    length as ``x``, and ``y[t]`` never uses an input after ``t``.

    >>> causal_correlate([0, 0, 1, 0, 0, 0], [1, 2, 3], dilation=1).tolist()     # an impulse at t = 2
    [0.0, 0.0, 3.0, 2.0, 1.0, 0.0]
    >>> causal_correlate([0, 0, 1, 0, 0, 0], [1, 2], dilation=3).tolist()
    [0.0, 0.0, 2.0, 0.0, 0.0, 1.0]
    """
    w = _as_signal("w", w)
    padded = causal_pad(x, len(w), dilation)
    n = len(padded) - dilation * (len(w) - 1)
    return sum(w[m] * padded[m * dilation:m * dilation + n] for m in range(len(w)))
