"""course_utils.optim: first steps by hand, the lecture's momentum vs Keras' form, Keras as a reference, convergence."""
import numpy as np
import pytest

import course_utils  # noqa: F401  (before keras)
import keras
from course_utils.optim import (
    ILL_CONDITIONED, ROSENBROCK, RULES, adam, minimise, momentum, momentum_keras, nesterov, quadratic_grad,
    quadratic_loss, rmsprop, rosenbrock_grad, rosenbrock_loss, sgd, steps_to_tolerance)

# A 1-D quadratic L(w) = 2 w^2, gradient 4 w, started at w = 1: every first step below is done by hand.
GRAD = lambda w: 4 * w  # noqa: E731
W0 = np.array([1.0])


def first_steps(rule, n, **hp):
    return minimise(rule, GRAD, W0, steps=n, **hp)[:, 0]


def test_sgd_by_hand():
    # w1 = 1 - 0.1 * 4 = 0.6, w2 = 0.6 - 0.1 * 2.4 = 0.36
    np.testing.assert_allclose(first_steps(sgd, 2, lr=0.1), [1.0, 0.6, 0.36])


def test_momentum_lecture_form_by_hand():
    # v1 = 0.1 * 4 = 0.4, w1 = 1 - 0.5 * 0.4 = 0.8
    # v2 = 0.9 * 0.4 + 0.1 * 3.2 = 0.68, w2 = 0.8 - 0.5 * 0.68 = 0.46
    np.testing.assert_allclose(first_steps(momentum, 2, lr=0.5, gamma=0.9), [1.0, 0.8, 0.46])


def test_momentum_keras_form_by_hand():
    # v1 = -0.05 * 4 = -0.2, w1 = 0.8;  v2 = 0.9 * -0.2 - 0.05 * 3.2 = -0.34, w2 = 0.46
    np.testing.assert_allclose(first_steps(momentum_keras, 2, lr=0.05, gamma=0.9), [1.0, 0.8, 0.46])


def test_nesterov_by_hand():
    # step 1: v = 0 so the look-ahead is w itself: same as momentum, w1 = 0.8, v1 = 0.4
    # step 2: look-ahead 0.8 - 0.5 * 0.9 * 0.4 = 0.62, v2 = 0.36 + 0.1 * 2.48 = 0.608, w2 = 0.8 - 0.304 = 0.496
    np.testing.assert_allclose(first_steps(nesterov, 2, lr=0.5, gamma=0.9), [1.0, 0.8, 0.496])


def test_rmsprop_by_hand():
    # s1 = 0.1 * 16 = 1.6, w1 = 1 - 0.1 * 4 / sqrt(1.6) = 0.683772...
    w1 = 1 - 0.1 * 4 / np.sqrt(1.6)
    s2 = 0.9 * 1.6 + 0.1 * (4 * w1) ** 2
    w2 = w1 - 0.1 * 4 * w1 / np.sqrt(s2)
    np.testing.assert_allclose(first_steps(rmsprop, 2, lr=0.1, rho=0.9, eps=0.0), [1.0, w1, w2])
    assert round(w1, 6) == 0.683772


def test_adam_by_hand():
    # t = 1: m_hat = g, s_hat = g^2, so the step is lr * sign(g) = 0.1
    # t = 2: g = 3.6, m = 0.09 * 4 ... computed from the definitions
    g1, g2 = 4.0, 3.6
    m2, s2 = 0.9 * 0.1 * g1 + 0.1 * g2, 0.999 * 0.001 * g1**2 + 0.001 * g2**2
    w2 = 0.9 - 0.1 * (m2 / (1 - 0.9**2)) / np.sqrt(s2 / (1 - 0.999**2))
    np.testing.assert_allclose(first_steps(adam, 2, lr=0.1, eps=0.0), [1.0, 0.9, w2])


def test_lecture_momentum_is_keras_momentum_with_rescaled_learning_rate():
    lr, gamma = 0.3, 0.9
    lecture = minimise(momentum, ILL_CONDITIONED.grad, ILL_CONDITIONED.start, 50, lr=lr, gamma=gamma)
    keras_form = minimise(momentum_keras, ILL_CONDITIONED.grad, ILL_CONDITIONED.start, 50, lr=lr * (1 - gamma),
                          gamma=gamma)
    np.testing.assert_allclose(lecture, keras_form, rtol=1e-12, atol=1e-12)
    with pytest.raises(FloatingPointError):  # without the rescaling, Keras' form takes 10x the step and diverges
        minimise(momentum_keras, ILL_CONDITIONED.grad, ILL_CONDITIONED.start, 50, lr=lr, gamma=gamma)


def keras_trajectory(optimizer, surface, steps):
    variable = keras.Variable(surface.start.astype("float32"))
    path = [surface.start.copy()]
    for _ in range(steps):
        grad = surface.grad(variable.numpy().astype(np.float64))
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(grad.astype("float32")), variable)])
        path.append(variable.numpy().astype(np.float64))
    return np.array(path)


@pytest.mark.parametrize("name", ["SGD", "momentum", "RMSProp", "Adam"])
def test_rules_match_keras_optimizers(name):
    surface, steps, lr, gamma = ILL_CONDITIONED, 20, 0.01, 0.9
    ours = {"SGD": lambda: minimise(sgd, surface.grad, surface.start, steps, lr=lr),
            "momentum": lambda: minimise(momentum, surface.grad, surface.start, steps, lr=lr / (1 - gamma)),
            "RMSProp": lambda: minimise(rmsprop, surface.grad, surface.start, steps, lr=lr),
            "Adam": lambda: minimise(adam, surface.grad, surface.start, steps, lr=lr)}[name]()
    optimizer = {"SGD": lambda: keras.optimizers.SGD(lr),
                 "momentum": lambda: keras.optimizers.SGD(lr, momentum=gamma),
                 "RMSProp": lambda: keras.optimizers.RMSprop(lr),
                 "Adam": lambda: keras.optimizers.Adam(lr)}[name]()
    np.testing.assert_allclose(ours, keras_trajectory(optimizer, surface, steps), atol=1e-4)


def test_keras_nesterov_tracks_the_lecture_look_ahead_point():
    lr, gamma, steps = 0.05, 0.9, 20
    w, state, look_ahead = ILL_CONDITIONED.start.copy(), {}, [ILL_CONDITIONED.start.copy()]
    for _ in range(steps):
        w, state = nesterov(w, ILL_CONDITIONED.grad, state, lr=lr, gamma=gamma)
        look_ahead.append(w - lr * gamma * state["v"])
    theirs = keras_trajectory(keras.optimizers.SGD(lr * (1 - gamma), momentum=gamma, nesterov=True),
                              ILL_CONDITIONED, steps)
    np.testing.assert_allclose(np.array(look_ahead), theirs, atol=1e-4)


@pytest.mark.parametrize("name, lr", [("SGD", 0.01), ("momentum", 0.2), ("Nesterov", 0.1), ("Adam", 0.2)])
def test_rules_converge_on_the_quadratic(name, lr):
    path = minimise(RULES[name], ILL_CONDITIONED.grad, ILL_CONDITIONED.start, 1000, lr=lr)
    n = steps_to_tolerance(path, ILL_CONDITIONED.minimum, tol=1e-3)
    assert n is not None and n < 1000
    assert quadratic_loss(path[-1]) < 1e-6


def test_momentum_beats_sgd_on_the_quadratic_and_rosenbrock():
    quad = {name: steps_to_tolerance(minimise(RULES[name], quadratic_grad, ILL_CONDITIONED.start, 1000, lr=lr),
                                     [0, 0]) for name, lr in (("SGD", 0.01), ("momentum", 0.2))}
    assert quad["momentum"] < quad["SGD"] / 3
    banana = {name: minimise(RULES[name], rosenbrock_grad, ROSENBROCK.start, 3000, lr=lr)[-1]
              for name, lr in (("SGD", 0.001), ("momentum", 0.02))}
    assert rosenbrock_loss(banana["momentum"]) < 1e-10 < 1e-3 < rosenbrock_loss(banana["SGD"])


def test_surfaces_gradients_match_finite_differences():
    for surface in (ILL_CONDITIONED, ROSENBROCK):
        w = np.array([-0.7, 0.4])
        numeric = [(surface.loss(w + e) - surface.loss(w - e)) / 2e-6 for e in np.eye(2) * 1e-6]
        np.testing.assert_allclose(surface.grad(w), numeric, rtol=1e-6)
        assert surface.loss(surface.minimum) == 0
    grid = np.zeros((3, 4, 2))
    assert ROSENBROCK.loss(grid).shape == (3, 4)  # evaluates on a grid for contour plots


def test_steps_to_tolerance():
    path = np.array([[3.0, 0], [0.5, 0], [0.01, 0], [0.2, 0], [0.0, 0]])
    assert steps_to_tolerance(path, [0, 0], tol=0.1) == 4
    assert steps_to_tolerance(path, [0, 0], tol=1.0) == 1
    assert steps_to_tolerance(path[:4], [0, 0], tol=0.1) is None
    assert steps_to_tolerance(path, [0, 0], tol=5.0) == 0


def test_divergence_raises_a_clear_error():
    with pytest.raises(FloatingPointError, match="diverged at step .* lower the learning rate"):
        minimise(sgd, ILL_CONDITIONED.grad, ILL_CONDITIONED.start, 200, lr=0.05)  # 0.05 > 2 / 100


@pytest.mark.parametrize("call, error, message", [
    (lambda: minimise(sgd, GRAD, None, 3), TypeError, "w0 is None"),
    (lambda: minimise(sgd, GRAD, [[1.0]], 3), ValueError, r"1-D array .* shape \(1, 1\)"),
    (lambda: minimise(sgd, GRAD, [np.nan], 3), ValueError, "NaN"),
    (lambda: minimise(sgd, GRAD, ["a"], 3), TypeError, "numbers"),
    (lambda: minimise(sgd, GRAD, W0, -1), ValueError, "steps must be an integer >= 0"),
    (lambda: minimise("sgd", GRAD, W0, 3), TypeError, "must be functions"),
    (lambda: minimise(sgd, lambda w: np.ones(3), W0, 1), ValueError, r"grad_fn returned shape \(3,\)"),
    (lambda: sgd(W0, GRAD, {}, lr=0), ValueError, "lr must be > 0"),
    (lambda: sgd(W0, GRAD, {}, lr="0.1"), TypeError, "lr must be a number"),
    (lambda: momentum(W0, GRAD, {}, gamma=1.0), ValueError, r"gamma must be in \[0, 1\)"),
    (lambda: momentum_keras(W0, GRAD, {}, gamma=-0.1), ValueError, "gamma"),
    (lambda: nesterov(W0, GRAD, {}, lr=-1), ValueError, "lr"),
    (lambda: rmsprop(W0, GRAD, {}, rho=1.5), ValueError, "rho"),
    (lambda: adam(W0, GRAD, {}, beta2=1.0), ValueError, "beta2"),
    (lambda: steps_to_tolerance(np.zeros((3, 3)), [0, 0]), ValueError, r"shape \(steps \+ 1, 2\)"),
    (lambda: steps_to_tolerance(np.zeros((3, 2)), [0, 0], tol=0), ValueError, "tol must be > 0"),
    (lambda: quadratic_grad([1.0, 2.0, 3.0]), ValueError, "2-D"),
    (lambda: rosenbrock_grad(None), TypeError, "w is None"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
