"""Gradient-descent update rules in NumPy, and 2-D loss surfaces to watch them on.

Every rule has the same signature, ``rule(w, grad_fn, state, **hyperparameters)``
and returns ``(new_w, new_state)``: ``grad_fn(w)`` gives the gradient at ``w`` and
``state`` is a dict the rule keeps between steps (``{}`` at the start). Passing the
gradient *function* rather than a gradient lets Nesterov look ahead.
:func:`minimise` runs any rule and returns the whole trajectory.

The momentum rules follow the lecture (Polyak 1964, written as an exponential moving
average of the gradients)::

    v = gamma * v + (1 - gamma) * grad(w)          w = w - lr * v

Keras writes momentum as ``v = gamma * v - lr * grad(w);  w = w + v``
(:func:`momentum_keras`): the same trajectory when its ``lr`` is ``(1 - gamma)``
times ours.

>>> surface = ILL_CONDITIONED
>>> path = minimise(sgd, surface.grad, surface.start, steps=3, lr=0.01)
>>> path.round(4).tolist()
[[-4.0, 1.5], [-3.96, 0.0], [-3.9204, 0.0], [-3.8812, 0.0]]
>>> steps_to_tolerance(path, surface.minimum, tol=1.0) is None
True
"""
from __future__ import annotations

import numbers
from typing import Callable, NamedTuple

import numpy as np

GradFn = Callable[[np.ndarray], np.ndarray]


# --- checks -------------------------------------------------------------------------

def _as_point(name: str, value) -> np.ndarray:
    if value is None:
        raise TypeError(f"{name} is None; expected a 1-D array of numbers")
    array = np.asarray(value)
    if array.dtype == object or not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of parameters, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity: {array}")
    return array.astype(np.float64)


def _check_rate(name: str, value, upper: float | None = None) -> float:
    """A hyperparameter that must be a number > 0 (and < ``upper`` when given)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if upper is None and not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if upper is not None and not 0 <= value < upper:
        raise ValueError(f"{name} must be in [0, {upper}), got {value}")
    return float(value)


def _gradient(grad_fn: GradFn, w: np.ndarray) -> np.ndarray:
    grad = np.asarray(grad_fn(w), dtype=np.float64)
    if grad.shape != w.shape:
        raise ValueError(f"grad_fn returned shape {grad.shape} for parameters of shape {w.shape}")
    return grad


# --- update rules ---------------------------------------------------------------------

def sgd(w, grad_fn: GradFn, state: dict, lr: float = 0.01):
    """Plain gradient descent: ``w = w - lr * grad(w)``.

    >>> sgd(np.array([2.0]), lambda w: 2 * w, {}, lr=0.25)[0].tolist()
    [1.0]
    """
    lr = _check_rate("lr", lr)
    return w - lr * _gradient(grad_fn, w), state


def momentum(w, grad_fn: GradFn, state: dict, lr: float = 0.01, gamma: float = 0.9):
    """Polyak's heavy ball, the lecture's form: ``v = gamma v + (1 - gamma) grad(w)``, ``w = w - lr v``.

    ``v`` is an exponential moving average of the last ~``1 / (1 - gamma)`` gradients.

    >>> w, state = momentum(np.array([2.0]), lambda w: 2 * w, {}, lr=0.5, gamma=0.9)
    >>> round(float(w[0]), 4), round(float(state["v"][0]), 4)      # v = 0.1 * 4
    (1.8, 0.4)
    """
    lr, gamma = _check_rate("lr", lr), _check_rate("gamma", gamma, upper=1)
    v = state.get("v", np.zeros_like(w))
    v = gamma * v + (1 - gamma) * _gradient(grad_fn, w)
    return w - lr * v, {"v": v}


def momentum_keras(w, grad_fn: GradFn, state: dict, lr: float = 0.01, gamma: float = 0.9):
    """Momentum as Keras' ``SGD(momentum=gamma)`` writes it: ``v = gamma v - lr grad(w)``, ``w = w + v``.

    >>> w, state = momentum_keras(np.array([2.0]), lambda w: 2 * w, {}, lr=0.05, gamma=0.9)
    >>> round(float(w[0]), 4)                       # the same first step as momentum(lr=0.5)
    1.8
    """
    lr, gamma = _check_rate("lr", lr), _check_rate("gamma", gamma, upper=1)
    v = state.get("v", np.zeros_like(w))
    v = gamma * v - lr * _gradient(grad_fn, w)
    return w + v, {"v": v}


def nesterov(w, grad_fn: GradFn, state: dict, lr: float = 0.01, gamma: float = 0.9):
    """Nesterov's accelerated gradient, the lecture's form: the gradient is taken at the
    look-ahead point ``w - lr gamma v`` (where momentum alone would carry us)::

        v = gamma v + (1 - gamma) grad(w - lr gamma v)        w = w - lr v

    >>> w, state = nesterov(np.array([2.0]), lambda w: 2 * w, {"v": np.array([1.0])}, lr=0.5, gamma=0.9)
    >>> round(float(w[0]), 4)                       # look-ahead 1.55, v = 0.9 + 0.31
    1.395
    """
    lr, gamma = _check_rate("lr", lr), _check_rate("gamma", gamma, upper=1)
    v = state.get("v", np.zeros_like(w))
    v = gamma * v + (1 - gamma) * _gradient(grad_fn, w - lr * gamma * v)
    return w - lr * v, {"v": v}


def rmsprop(w, grad_fn: GradFn, state: dict, lr: float = 0.001, rho: float = 0.9, eps: float = 1e-7):
    """RMSProp: divide each coordinate's step by a running RMS of its gradients::

        s = rho s + (1 - rho) grad**2        w = w - lr grad / sqrt(s + eps)

    (``eps`` inside the square root, as in Keras.) Steep and flat directions get
    steps of similar size.

    >>> w, state = rmsprop(np.array([2.0, -0.01]), lambda w: w, {}, lr=0.1, rho=0.9, eps=0.0)
    >>> w.round(4).tolist()                         # both coordinates move by lr / sqrt(0.1)
    [1.6838, 0.3062]
    """
    lr, rho, eps = _check_rate("lr", lr), _check_rate("rho", rho, upper=1), _check_rate("eps", eps, upper=np.inf)
    grad = _gradient(grad_fn, w)
    s = rho * state.get("s", np.zeros_like(w)) + (1 - rho) * grad**2
    return w - lr * grad / np.sqrt(s + eps), {"s": s}


def adam(w, grad_fn: GradFn, state: dict, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
         eps: float = 1e-7):
    """Adam (Kingma & Ba 2015): momentum on the gradient, RMSProp on its square, both
    bias-corrected for their zero start::

        m = beta1 m + (1 - beta1) grad      s = beta2 s + (1 - beta2) grad**2
        w = w - lr * m_hat / (sqrt(s_hat) + eps),   m_hat = m / (1 - beta1**t),  s_hat = s / (1 - beta2**t)

    The first step is ``lr * sign(grad)`` whatever the gradient's size.

    >>> adam(np.array([3.0, -0.5]), lambda w: w, {}, lr=0.1, eps=0.0)[0].round(4).tolist()
    [2.9, -0.4]
    """
    lr, eps = _check_rate("lr", lr), _check_rate("eps", eps, upper=np.inf)
    beta1, beta2 = _check_rate("beta1", beta1, upper=1), _check_rate("beta2", beta2, upper=1)
    grad = _gradient(grad_fn, w)
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", np.zeros_like(w)) + (1 - beta1) * grad
    s = beta2 * state.get("s", np.zeros_like(w)) + (1 - beta2) * grad**2
    m_hat, s_hat = m / (1 - beta1**t), s / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(s_hat) + eps), {"m": m, "s": s, "t": t}


RULES: dict[str, Callable] = {"SGD": sgd, "momentum": momentum, "Nesterov": nesterov,
                              "RMSProp": rmsprop, "Adam": adam}
"""The update rules by display name (``momentum_keras`` is left out: it is ``momentum`` rescaled)."""


# --- driver -------------------------------------------------------------------------

def minimise(rule: Callable, grad_fn: GradFn, w0, steps: int, **hyperparameters) -> np.ndarray:
    """Run ``steps`` updates of ``rule`` from ``w0``; returns the trajectory, shape ``(steps + 1, dim)``.

    Raises ``FloatingPointError`` if the iterate blows up (learning rate too large).

    >>> minimise(sgd, lambda w: 2 * w, [1.0], steps=2, lr=0.25).tolist()
    [[1.0], [0.5], [0.25]]
    """
    if not callable(rule) or not callable(grad_fn):
        raise TypeError(f"rule and grad_fn must be functions, got {type(rule).__name__} and {type(grad_fn).__name__}")
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    w = _as_point("w0", w0)
    path = np.empty((int(steps) + 1, w.size))
    path[0], state = w, {}
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, int(steps) + 1):
            w, state = rule(w, grad_fn, state, **hyperparameters)
            if not np.isfinite(w).all() or np.abs(w).max() > 1e12:
                raise FloatingPointError(
                    f"{getattr(rule, '__name__', 'rule')} diverged at step {k} with {hyperparameters}: "
                    "lower the learning rate")
            path[k] = w
    return path


def steps_to_tolerance(path, minimum, tol: float = 1e-3) -> int | None:
    """The first step after which the trajectory stays within ``tol`` of ``minimum`` (None if it never does).

    >>> steps_to_tolerance([[1.0], [0.01], [0.5], [0.001], [0.0005]], [0.0], tol=0.1)
    3
    """
    path = np.asarray(path, dtype=np.float64)
    minimum = _as_point("minimum", minimum)
    if path.ndim != 2 or path.shape[1] != minimum.size:
        raise ValueError(f"path must have shape (steps + 1, {minimum.size}), got {path.shape}")
    tol = _check_rate("tol", tol)
    outside = np.flatnonzero(np.linalg.norm(path - minimum, axis=1) >= tol)
    if outside.size and outside[-1] == len(path) - 1:
        return None
    return int(outside[-1] + 1) if outside.size else 0


# --- test surfaces ------------------------------------------------------------------

class Surface(NamedTuple):
    """A 2-D loss with its gradient, known minimum and a starting point.

    ``loss`` accepts points of shape ``(..., 2)`` so it can be evaluated on a grid for contours.
    """
    name: str
    loss: Callable[[np.ndarray], np.ndarray]
    grad: GradFn
    minimum: np.ndarray
    start: np.ndarray


QUADRATIC_CURVATURES = (1.0, 100.0)


def quadratic_loss(w) -> np.ndarray:
    """An ill-conditioned bowl ``(a x**2 + b y**2) / 2`` with curvatures ``a = 1``, ``b = 100``.

    Plain gradient descent must keep ``lr < 2 / b`` to be stable across the valley, and
    then crawls along it: each step shrinks ``x`` by only ``1 - lr a``.

    >>> float(quadratic_loss(np.array([2.0, 1.0])))
    52.0
    """
    w = np.asarray(w, dtype=np.float64)
    a, b = QUADRATIC_CURVATURES
    return 0.5 * (a * w[..., 0] ** 2 + b * w[..., 1] ** 2)


def quadratic_grad(w) -> np.ndarray:
    """Gradient of :func:`quadratic_loss`: ``(a x, b y)``.

    >>> quadratic_grad(np.array([2.0, 1.0])).tolist()
    [2.0, 100.0]
    """
    w = _as_point("w", w)
    if w.size != 2:
        raise ValueError(f"the quadratic surface is 2-D, got a point of shape {w.shape}")
    return np.asarray(QUADRATIC_CURVATURES) * w


def rosenbrock_loss(w, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    """Rosenbrock's banana valley ``(a - x)**2 + b (y - x**2)**2``, minimum 0 at ``(a, a**2)``.

    >>> float(rosenbrock_loss(np.array([1.0, 1.0]))), float(rosenbrock_loss(np.array([0.0, 1.0])))
    (0.0, 101.0)
    """
    w = np.asarray(w, dtype=np.float64)
    x, y = w[..., 0], w[..., 1]
    return (a - x) ** 2 + b * (y - x**2) ** 2


def rosenbrock_grad(w, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    """Gradient of :func:`rosenbrock_loss`.

    >>> rosenbrock_grad(np.array([0.0, 1.0])).tolist()
    [-2.0, 200.0]
    """
    w = _as_point("w", w)
    if w.size != 2:
        raise ValueError(f"the Rosenbrock surface is 2-D, got a point of shape {w.shape}")
    x, y = w
    return np.array([-2 * (a - x) - 4 * b * x * (y - x**2), 2 * b * (y - x**2)])


ILL_CONDITIONED = Surface("ill-conditioned quadratic", quadratic_loss, quadratic_grad,
                          np.array([0.0, 0.0]), np.array([-4.0, 1.5]))
ROSENBROCK = Surface("Rosenbrock", rosenbrock_loss, rosenbrock_grad, np.array([1.0, 1.0]), np.array([-1.2, 1.0]))
