"""course_utils.mlp: backward pass against finite differences, the initialisation variance argument, vanishing gradients."""
import numpy as np
import pytest

from course_utils.mlp import (accuracy, activation_stds, backward, forward, gradient_norms, init_mlp, init_std,
                              train)

RNG = np.random.default_rng(0)
X, LABELS = RNG.normal(size=(6, 5)), RNG.integers(0, 3, 6)


def numeric_gradients(params, x, labels, **options):
    def loss():
        logits, cache = forward(params, x, **options)
        return backward(params, cache, logits, labels, options["activation"], options["batchnorm"])[0]
    grads = []
    for layer in params:
        grad = {}
        for key, value in layer.items():
            grad[key] = np.zeros_like(value)
            for index in np.ndindex(value.shape):
                old = value[index]
                value[index] = old + 1e-6
                plus = loss()
                value[index] = old - 1e-6
                minus = loss()
                value[index] = old
                grad[key][index] = (plus - minus) / 2e-6
        grads.append(grad)
    return grads


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "gelu"])
@pytest.mark.parametrize("batchnorm, residual", [(False, False), (True, False), (False, True), (True, True)])
def test_backward_matches_finite_differences(activation, batchnorm, residual):
    params = init_mlp([5, 4, 4, 4, 3], init="glorot", seed=1)
    options = {"activation": activation, "batchnorm": batchnorm, "residual": residual}
    logits, cache = forward(params, X, **options)
    _, grads = backward(params, cache, logits, LABELS, activation, batchnorm)
    for ours, numeric in zip(grads, numeric_gradients(params, X, LABELS, **options)):
        np.testing.assert_allclose(ours["W"], numeric["W"], atol=1e-8)
        np.testing.assert_allclose(ours["b"], numeric["b"], atol=1e-8)


def test_loss_is_the_mean_cross_entropy():
    params = init_mlp([5, 3], seed=2)
    logits, cache = forward(params, X)
    loss, _ = backward(params, cache, logits, LABELS)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(6), LABELS])))


def test_init_std_formulas():
    assert init_std("naive", 784, 32) == 0.01
    assert init_std("glorot", 784, 216) == pytest.approx(np.sqrt(2 / 1000))
    assert init_std("he", 32, 32) == 0.25
    weights = init_mlp([400, 300], init="he", seed=0)[0]["W"]
    assert weights.std() == pytest.approx(np.sqrt(2 / 400), rel=0.01) and abs(weights.mean()) < 1e-3


def test_he_keeps_relu_activations_alive_and_others_do_not():
    x = RNG.normal(size=(512, 256))
    stds = {init: activation_stds(init_mlp([256] * 21 + [10], init=init, seed=0), x)
            for init in ("naive", "glorot", "he")}
    assert 0.5 < stds["he"][-1] / stds["he"][0] < 2            # the variance argument: constant
    assert stds["glorot"][-1] / stds["glorot"][0] == pytest.approx(2 ** -9.5, rel=0.5)  # x 1/sqrt(2) per layer
    assert stds["naive"][-1] < 1e-17


def test_sigmoid_gradients_vanish_toward_the_input_and_skips_or_batchnorm_fix_it():
    x, labels = RNG.random((128, 20)), RNG.integers(0, 10, 128)
    params = init_mlp([20] + [16] * 12 + [10], init="glorot", seed=0)
    plain = gradient_norms(params, x, labels, activation="sigmoid")
    assert plain[0] < 1e-5 * plain[-2]
    for options in ({"residual": True}, {"batchnorm": True}):
        norms = gradient_norms(params, x, labels, activation="sigmoid", **options)
        assert norms[0] > 0.1 * norms[-2]


def test_training_lowers_the_loss_and_copies_the_parameters():
    x = RNG.normal(size=(300, 2))
    labels = (x[:, 0] * x[:, 1] > 0).astype(int)  # XOR-like: needs the hidden layer
    params = init_mlp([2, 32, 32, 2], init="he", seed=0)
    before = params[0]["W"].copy()
    trained, losses = train(params, x, labels, steps=400, lr=0.3, batch_size=128)
    np.testing.assert_array_equal(params[0]["W"], before)
    assert losses[-20:].mean() < 0.5 * losses[:20].mean()
    assert accuracy(trained, x, labels) > 0.9


@pytest.mark.parametrize("call, error, message", [
    (lambda: init_std("lecun", 3, 3), ValueError, "unknown init 'lecun'"),
    (lambda: init_std("he", 0, 3), ValueError, "fan_in must be a positive integer"),
    (lambda: init_mlp([5]), ValueError, "at least an input and an output"),
    (lambda: init_mlp(None), ValueError, "at least"),
    (lambda: forward(init_mlp([5, 3]), None), TypeError, "x is None"),
    (lambda: forward(init_mlp([5, 3]), np.ones((2, 4))), ValueError, r"shape \(batch, 5\), got \(2, 4\)"),
    (lambda: forward(init_mlp([5, 3]), np.full((2, 5), np.nan)), ValueError, "NaN"),
    (lambda: forward([], np.ones((2, 5))), ValueError, "params is empty"),
    (lambda: forward(init_mlp([5, 3]), X, activation="softplus"), ValueError, "unknown activation"),
    (lambda: gradient_norms(init_mlp([5, 3]), X, LABELS + 3), ValueError, r"labels must lie in \[0, 3\)"),
    (lambda: gradient_norms(init_mlp([5, 3]), X, LABELS[:4]), ValueError, "labels must be 6 integer"),
    (lambda: gradient_norms(init_mlp([5, 3]), X, LABELS * 1.0), ValueError, "dtype float64"),
    (lambda: train(init_mlp([5, 3]), X, LABELS, steps=0), ValueError, "steps must be a positive integer"),
    (lambda: train(init_mlp([5, 3]), X, LABELS, steps=2, lr=0), ValueError, "lr must be > 0"),
    (lambda: accuracy(init_mlp([5, 3]), X, None), TypeError, "labels"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
