"""Activation functions and their derivatives in NumPy (the same formulas as ``keras.activations``).

Each entry of :data:`ACTIVATIONS` is a pair ``(f, df)`` where ``df(z)`` is the
derivative ``f'(z)`` written in terms of the pre-activation ``z``; backpropagation
multiplies the incoming gradient by it, once per layer.

>>> f, df = ACTIVATIONS["sigmoid"]
>>> float(f(0.0)), float(df(0.0))         # the logistic sigmoid's steepest point
(0.5, 0.25)
>>> [float(ACTIVATIONS[name][1](2.0)) for name in ("relu", "leaky_relu")]
[1.0, 1.0]
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.special import erf

LEAKY_SLOPE = 0.2
"""Slope of leaky ReLU for ``z < 0`` (Keras' default ``negative_slope``)."""


def _as_float(z) -> np.ndarray:
    if z is None:
        raise TypeError("z is None; expected a number or an array of numbers")
    array = np.asarray(z)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"z must hold numbers, got dtype {array.dtype}")
    return array.astype(np.float64)


def sigmoid(z) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-z))``, computed without overflow for large ``|z|``.

    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    z = _as_float(z)
    # exp of a non-positive number never overflows: pick the form that needs only that.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(z) -> np.ndarray:
    """``sigmoid'(z) = sigmoid(z) (1 - sigmoid(z))``, at most 0.25 (at ``z = 0``).

    >>> sigmoid_grad(np.array([0.0, 5.0])).round(4).tolist()
    [0.25, 0.0066]
    """
    s = sigmoid(z)
    return s * (1 - s)


def tanh(z) -> np.ndarray:
    """Hyperbolic tangent, ``2 sigmoid(2z) - 1``: zero-centred, values in (-1, 1).

    >>> tanh(np.array([0.0, 1.0])).round(4).tolist()
    [0.0, 0.7616]
    """
    return np.tanh(_as_float(z))


def tanh_grad(z) -> np.ndarray:
    """``tanh'(z) = 1 - tanh(z)**2``, at most 1 (at ``z = 0``).

    >>> tanh_grad(np.array([0.0, 3.0])).round(4).tolist()
    [1.0, 0.0099]
    """
    return 1 - np.tanh(_as_float(z)) ** 2


def relu(z) -> np.ndarray:
    """``max(z, 0)``.

    >>> relu(np.array([-2.0, 3.0])).tolist()
    [0.0, 3.0]
    """
    return np.maximum(_as_float(z), 0.0)


def relu_grad(z) -> np.ndarray:
    """1 for ``z > 0``, else 0 (the value at 0 is a convention; frameworks use 0).

    >>> relu_grad(np.array([-2.0, 0.0, 3.0])).tolist()
    [0.0, 0.0, 1.0]
    """
    return (_as_float(z) > 0).astype(np.float64)


def leaky_relu(z, slope: float = LEAKY_SLOPE) -> np.ndarray:
    """``z`` for ``z > 0``, ``slope * z`` otherwise: negative inputs still pass a gradient.

    >>> leaky_relu(np.array([-2.0, 3.0])).tolist()
    [-0.4, 3.0]
    """
    z = _as_float(z)
    return np.where(z > 0, z, slope * z)


def leaky_relu_grad(z, slope: float = LEAKY_SLOPE) -> np.ndarray:
    """1 for ``z > 0``, ``slope`` otherwise.

    >>> leaky_relu_grad(np.array([-2.0, 3.0])).tolist()
    [0.2, 1.0]
    """
    return np.where(_as_float(z) > 0, 1.0, slope)


def elu(z) -> np.ndarray:
    """Exponential linear unit: ``z`` for ``z > 0``, ``exp(z) - 1`` otherwise (smooth, tends to -1).

    >>> elu(np.array([-50.0, 0.0, 2.0])).round(4).tolist()
    [-1.0, 0.0, 2.0]
    """
    z = _as_float(z)
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))


def elu_grad(z) -> np.ndarray:
    """1 for ``z > 0``, ``exp(z)`` otherwise.

    >>> elu_grad(np.array([-1.0, 2.0])).round(4).tolist()
    [0.3679, 1.0]
    """
    z = _as_float(z)
    return np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0)))


def gelu(z) -> np.ndarray:
    """Gaussian error linear unit ``z Phi(z)`` (``Phi`` = standard normal CDF), exact form.

    >>> gelu(np.array([-1.0, 0.0, 1.0])).round(4).tolist()
    [-0.1587, 0.0, 0.8413]
    """
    z = _as_float(z)
    return z * 0.5 * (1 + erf(z / np.sqrt(2)))


def gelu_grad(z) -> np.ndarray:
    """``Phi(z) + z phi(z)``: slightly above 1 near ``z = 1.4`` (about 1.129), slightly negative for ``z < 0``.

    >>> gelu_grad(np.array([0.0])).tolist()
    [0.5]
    """
    z = _as_float(z)
    return 0.5 * (1 + erf(z / np.sqrt(2))) + z * np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)


ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "elu": (elu, elu_grad),
    "gelu": (gelu, gelu_grad),
}
"""Name -> ``(f, f')``; the names are Keras' activation names."""


def get_activation(name: str) -> tuple[Callable, Callable]:
    """``(f, f')`` for an activation name, with a clear error for an unknown one.

    >>> get_activation("tanh")[0] is tanh
    True
    """
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def log_softmax(logits, axis: int = -1) -> np.ndarray:
    """``log(softmax(logits))`` computed as ``z - max(z) - log(sum(exp(z - max(z))))``.

    Subtracting the maximum first means ``exp`` never sees a positive number, so huge
    logits cannot overflow (the naive ``log(exp(z) / sum(exp(z)))`` returns NaN).

    >>> log_softmax(np.array([1000.0, 1000.0])).round(4).tolist()
    [-0.6931, -0.6931]
    """
    z = _as_float(logits)
    if z.ndim == 0:
        raise ValueError("logits must have at least one axis (one entry per class), got a scalar")
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(logits, axis: int = -1) -> np.ndarray:
    """Class probabilities ``exp(z_i) / sum_j exp(z_j)`` (each row sums to 1), overflow-free.

    >>> softmax(np.array([[1.0, 2.0, 3.0]])).round(4).tolist()
    [[0.09, 0.2447, 0.6652]]
    """
    return np.exp(log_softmax(logits, axis=axis))
