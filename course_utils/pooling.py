"""Adaptive average pooling in NumPy: pool any input length down to a chosen output size.

Ordinary pooling (:func:`course_utils.conv.pool2d`) fixes the window and stride, so the
output size depends on the input. Adaptive pooling fixes the output size ``T``; output
``i`` averages the input slice ``[start_i, end_i)`` with (PyTorch's and Keras' rule)::

    start_i = floor(i * L / T)        end_i = ceil((i + 1) * L / T)

Arrays are channels-last like Keras: ``(L,)`` or ``(L, C)`` in 1-D, ``(H, W)`` or
``(H, W, C)`` in 2-D.

>>> adaptive_windows(14, 4)                       # the lecture's example
[(0, 4), (3, 7), (7, 11), (10, 14)]
>>> adaptive_avg_pool1d(np.arange(14), 4).tolist()
[1.5, 4.5, 8.5, 11.5]
"""
from __future__ import annotations

import numpy as np

from course_utils.conv import _as_float_array
from course_utils.shapes import _check_positive_int as _check_size


def adaptive_windows(length: int, target: int) -> list[tuple[int, int]]:
    """The ``(start, end)`` slice that each of the ``target`` outputs averages.

    Integer arithmetic (no floats), so the rule is exact for any length::

        start_i = floor(i * L / T)        end_i = ceil((i + 1) * L / T)

    Windows may overlap and need not all have the same size:

    >>> adaptive_windows(11, 4)
    [(0, 3), (2, 6), (5, 9), (8, 11)]
    >>> adaptive_windows(12, 4)                  # T divides L: plain pooling, size = stride = 3
    [(0, 3), (3, 6), (6, 9), (9, 12)]
    """
    length = _check_size("length", length)
    target = _check_size("target", target)
    if target > length:
        raise ValueError(f"target ({target}) must not exceed the input length ({length})")
    return [(i * length // target, -(-(i + 1) * length // target)) for i in range(target)]


def adaptive_avg_pool1d(x, target: int) -> np.ndarray:
    """Average ``x`` of shape ``(L,)`` or ``(L, C)`` down to ``target`` positions.

    >>> adaptive_avg_pool1d([1, 2, 3, 4, 5], 2).tolist()        # windows [0:3] and [2:5]
    [2.0, 4.0]
    >>> adaptive_avg_pool1d(np.ones((7, 3)), 4).shape
    (4, 3)
    """
    x = _as_float_array("x", x, (1, 2))
    return np.stack([x[start:end].mean(axis=0) for start, end in adaptive_windows(x.shape[0], target)])


def adaptive_avg_pool2d(x, target) -> np.ndarray:
    """Average ``x`` of shape ``(H, W)`` or ``(H, W, C)`` down to ``target`` = ``T`` or ``(T_h, T_w)``.

    Each output averages the rectangle made of one row window and one column window.
    ``target=1`` is global average pooling.

    >>> adaptive_avg_pool2d(np.arange(1, 26).reshape(5, 5), 1).tolist()   # the mean of 1..25
    [[13.0]]
    >>> adaptive_avg_pool2d(np.arange(16).reshape(4, 4), 2).tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    """
    x = _as_float_array("x", x, (2, 3))
    if isinstance(target, (tuple, list)):
        if len(target) != 2:
            raise ValueError(f"target must be an int or a pair (T_h, T_w), got {target!r}")
        target_h, target_w = target
    else:
        target_h = target_w = target
    rows = adaptive_windows(x.shape[0], target_h)
    cols = adaptive_windows(x.shape[1], target_w)
    return np.array([[x[r0:r1, c0:c1].mean(axis=(0, 1)) for c0, c1 in cols] for r0, r1 in rows])
