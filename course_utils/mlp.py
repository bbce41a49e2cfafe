"""A small fully connected network in NumPy, forward and backward, to look inside training.

It exists to *measure* what the lecture describes: how the gradient shrinks layer by
layer in a deep sigmoid network, and how ReLU, a good initialisation, batch
normalisation and skip connections keep it alive. Being plain NumPy, it gives the
same numbers whatever Keras backend is installed.

Hidden layer ``l``: ``z = a W + b``, optionally batch-normalised, then ``h = f(z)``;
with ``residual=True`` a layer whose input and output widths match adds its input
(``a_next = a + h``, a skip connection), otherwise ``a_next = h``. The last layer gives
logits for a softmax cross-entropy loss.

>>> params = init_mlp([4, 8, 8, 3], init="he", seed=0)
>>> [p["W"].shape for p in params]
[(4, 8), (8, 8), (8, 3)]
>>> x, labels = np.ones((5, 4)), np.array([0, 1, 2, 0, 1])
>>> gradient_norms(params, x, labels, activation="relu").shape
(3,)
"""
from __future__ import annotations

import numbers
from typing import Sequence

import numpy as np

from course_utils.activations import get_activation
from course_utils.layers import softmax_cross_entropy

INITS = ("naive", "glorot", "he")


def init_std(init: str, fan_in: int, fan_out: int) -> float:
    """Standard deviation of the normal weights for an initialisation scheme.

    * ``"naive"``: 0.01 whatever the layer (small random numbers),
    * ``"glorot"`` (Xavier, 2010): ``sqrt(2 / (fan_in + fan_out))``, keeps the variance
      of a tanh/linear layer's outputs *and* gradients roughly constant,
    * ``"he"`` (Kaiming, 2015): ``sqrt(2 / fan_in)``; ReLU zeroes half of its inputs,
      and the factor 2 makes up for it.

    >>> init_std("naive", 784, 64), init_std("glorot", 64, 64), init_std("he", 50, 64)
    (0.01, 0.125, 0.2)
    """
    for name, value in (("fan_in", fan_in), ("fan_out", fan_out)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if init == "naive":
        return 0.01
    if init == "glorot":
        return float(np.sqrt(2 / (fan_in + fan_out)))
    if init == "he":
        return float(np.sqrt(2 / fan_in))
    raise ValueError(f"unknown init {init!r}; expected one of {INITS}")


def init_mlp(sizes: Sequence[int], init: str = "he", seed: int = 0) -> list[dict]:
    """Weights ``W`` (``fan_in x fan_out``, normal with :func:`init_std`) and zero biases per layer.

    ``sizes`` lists the widths from the input to the output, e.g. ``[784, 64, 64, 10]``.

    >>> [round(float(p["W"].std()), 2) for p in init_mlp([2000, 500, 10], init="he")]
    [0.03, 0.06]
    """
    if sizes is None or len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output width, got {sizes!r}")
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        std = init_std(init, fan_in, fan_out)
        params.append({"W": rng.normal(0.0, std, size=(fan_in, fan_out)), "b": np.zeros(fan_out)})
    return params


def _check_batch(params, x, labels=None, *, need_labels: bool = False):
    if not params:
        raise ValueError("params is empty; build it with init_mlp(sizes)")
    if x is None:
        raise TypeError("x is None; expected a 2-D array (batch, features)")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != params[0]["W"].shape[0]:
        raise ValueError(f"x must have shape (batch, {params[0]['W'].shape[0]}), got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("x contains NaN or infinity")
    if labels is None:
        if need_labels:
            raise TypeError("labels is None; expected one integer class index per example")
        return x, None
    labels = np.asarray(labels)
    n_classes = params[-1]["W"].shape[1]
    if labels.shape != (len(x),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be {len(x)} integer class indices, got shape {labels.shape}, dtype {labels.dtype}")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"labels must lie in [0, {n_classes}), got values from {labels.min()} to {labels.max()}")
    return x, labels


def forward(params, x, activation: str = "relu", batchnorm: bool = False, residual: bool = False,
            eps: float = 1e-5):
    """Logits for a batch and the cache :func:`backward` needs.

    ``cache`` has one entry per layer; ``cache[l]["a_out"]`` is hidden layer ``l``'s output
    (what :func:`activation_stds` measures).
    Batch normalisation (training mode, no learned scale/shift) standardises each unit
    over the batch before the activation: ``(z - mean) / sqrt(var + eps)``.

    >>> logits, cache = forward(init_mlp([3, 4, 2]), np.ones((2, 3)))
    >>> logits.shape, len(cache)
    ((2, 2), 2)
    """
    x, _ = _check_batch(params, x)
    f, _ = get_activation(activation)
    a, cache = x, []
    for layer in params[:-1]:
        entry = {"a_in": a}
        z = a @ layer["W"] + layer["b"]
        if batchnorm:
            inv_std = 1 / np.sqrt(z.var(axis=0) + eps)
            z = (z - z.mean(axis=0)) * inv_std
            entry["inv_std"] = inv_std
        entry["z"] = z
        h = f(z)
        entry["skip"] = residual and h.shape == a.shape
        a = a + h if entry["skip"] else h
        entry["a_out"] = a
        cache.append(entry)
    logits = a @ params[-1]["W"] + params[-1]["b"]
    return logits, cache + [{"a_in": a}]


def backward(params, cache, logits, labels, activation: str = "relu", batchnorm: bool = False):
    """Mean softmax cross-entropy of the batch and its gradients ``[{"W": dW, "b": db}, ...]``.

    >>> params = init_mlp([3, 4, 2], seed=1)
    >>> x, labels = np.eye(3)[:2], np.array([0, 1])
    >>> logits, cache = forward(params, x)
    >>> loss, grads = backward(params, cache, logits, labels)
    >>> round(loss, 4), grads[0]["W"].shape
    (0.6999, (3, 4))
    """
    _, df = get_activation(activation)
    loss, delta = softmax_cross_entropy(logits, labels)  # delta: gradient of the mean loss w.r.t. the logits
    grads = [None] * len(params)
    last = cache[-1]["a_in"]
    grads[-1] = {"W": last.T @ delta, "b": delta.sum(axis=0)}
    grad_a = delta @ params[-1]["W"].T
    for l in range(len(params) - 2, -1, -1):
        entry = cache[l]
        grad_z = grad_a * df(entry["z"])
        if batchnorm:  # backward through (z - mean) * inv_std, mean and variance taken over the batch
            z_hat = entry["z"]
            grad_z = entry["inv_std"] * (grad_z - grad_z.mean(axis=0) - z_hat * (grad_z * z_hat).mean(axis=0))
        grads[l] = {"W": entry["a_in"].T @ grad_z, "b": grad_z.sum(axis=0)}
        grad_in = grad_z @ params[l]["W"].T
        grad_a = grad_a + grad_in if entry["skip"] else grad_in
    return loss, grads


def gradient_norms(params, x, labels, activation: str = "relu", batchnorm: bool = False,
                   residual: bool = False) -> np.ndarray:
    """The Frobenius norm of ``dLoss/dW`` for each layer, input layer first, on one batch.

    >>> params = init_mlp([784, 64, 64, 64, 10], init="glorot")
    >>> x = np.random.default_rng(0).random((32, 784)); labels = np.arange(32) % 10
    >>> norms = gradient_norms(params, x, labels, activation="sigmoid")
    >>> bool(norms[0] < norms[-2])          # smaller toward the input: vanishing gradient
    True
    """
    x, labels = _check_batch(params, x, labels, need_labels=True)
    logits, cache = forward(params, x, activation, batchnorm, residual)
    _, grads = backward(params, cache, logits, labels, activation, batchnorm)
    return np.array([np.linalg.norm(g["W"]) for g in grads])


def activation_stds(params, x, activation: str = "relu", batchnorm: bool = False,
                    residual: bool = False) -> np.ndarray:
    """Standard deviation of each hidden layer's output over a batch (all units together).

    >>> x = np.random.default_rng(0).normal(size=(256, 100))
    >>> activation_stds(init_mlp([100] * 6 + [10], init="naive"), x).round(6).tolist()
    [0.058427, 0.004047, 0.000294, 2.2e-05, 2e-06]
    """
    logits, cache = forward(params, x, activation, batchnorm, residual)
    return np.array([entry["a_out"].std() for entry in cache[:-1]])


def train(params, x, labels, steps: int, lr: float = 0.1, batch_size: int = 128, seed: int = 0,
          activation: str = "relu", batchnorm: bool = False, residual: bool = False):
    """Plain mini-batch SGD; returns the trained parameters (a copy) and the loss of every step.

    >>> rng = np.random.default_rng(0); x = rng.normal(size=(200, 2)); labels = (x[:, 0] > 0).astype(int)
    >>> _, losses = train(init_mlp([2, 16, 2]), x, labels, steps=100, lr=0.5, batch_size=50)
    >>> bool(losses[-1] < 0.3 < losses[0])
    True
    """
    x, labels = _check_batch(params, x, labels, need_labels=True)
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    rng = np.random.default_rng(seed)
    params = [{k: v.copy() for k, v in layer.items()} for layer in params]
    losses = []
    for _ in range(steps):
        batch = rng.choice(len(x), size=min(batch_size, len(x)), replace=False)
        logits, cache = forward(params, x[batch], activation, batchnorm, residual)
        loss, grads = backward(params, cache, logits, labels[batch], activation, batchnorm)
        for layer, grad in zip(params, grads):
            layer["W"] -= lr * grad["W"]
            layer["b"] -= lr * grad["b"]
        losses.append(loss)
    return params, np.array(losses)


def accuracy(params, x, labels, activation: str = "relu", batchnorm: bool = False, residual: bool = False) -> float:
    """Fraction of correctly classified examples (batch statistics used for batch norm).

    >>> accuracy(init_mlp([2, 2]), np.eye(2), np.array([0, 1])) in (0.0, 0.5, 1.0)
    True
    """
    x, labels = _check_batch(params, x, labels, need_labels=True)
    logits, _ = forward(params, x, activation, batchnorm, residual)
    return float((logits.argmax(axis=1) == labels).mean())
