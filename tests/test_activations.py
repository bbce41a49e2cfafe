"""course_utils.activations: values against keras.activations, derivatives against finite differences."""
import numpy as np
import pytest

import course_utils  # noqa: F401  (before keras)
import keras
from course_utils.activations import ACTIVATIONS, get_activation, log_softmax, sigmoid, sigmoid_grad, softmax

Z = np.linspace(-6, 6, 241)
KERAS = {"sigmoid": keras.activations.sigmoid, "tanh": keras.activations.tanh, "relu": keras.activations.relu,
         "leaky_relu": keras.activations.leaky_relu,  # Keras' default negative_slope is 0.2, like ours
         "elu": keras.activations.elu, "gelu": lambda z: keras.activations.gelu(z, approximate=False)}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_values_match_keras(name):
    f, _ = ACTIVATIONS[name]
    theirs = keras.ops.convert_to_numpy(KERAS[name](Z.astype("float32")))
    np.testing.assert_allclose(f(Z), theirs, atol=1e-6)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivatives_match_finite_differences(name):
    f, df = ACTIVATIONS[name]
    z = Z[np.abs(Z) > 1e-3]  # ReLU-like functions have a kink at 0
    np.testing.assert_allclose(df(z), (f(z + 1e-6) - f(z - 1e-6)) / 2e-6, atol=1e-6)


def test_lecture_question_2_sigmoid_facts():
    # max derivative 0.25 at z = 0, outputs never centred on 0, saturation for large |z|
    assert sigmoid_grad(Z).max() == 0.25 == sigmoid_grad(0.0)
    assert sigmoid(Z).mean() == pytest.approx(0.5) and sigmoid(Z).min() > 0
    assert sigmoid_grad(5.0) < 0.01 and 0.25**10 < 1e-6
    # the maximum derivatives of the others
    z = np.linspace(-6, 6, 120_001)
    maxima = {name: float(df(z).max()) for name, (_, df) in ACTIVATIONS.items()}
    assert maxima["tanh"] == 1.0 and maxima["relu"] == 1.0 and maxima["elu"] == 1.0
    assert maxima["gelu"] == pytest.approx(1.1289, abs=1e-4)


def test_sigmoid_does_not_overflow():
    with np.errstate(over="raise", invalid="raise"):
        np.testing.assert_allclose(sigmoid(np.array([-800.0, 800.0])), [0.0, 1.0])


def test_softmax_and_log_softmax_match_keras_and_survive_huge_logits():
    logits = np.array([[2.0, 1.0, 0.1], [1000.0, 0.0, -1000.0]])
    np.testing.assert_allclose(softmax(logits), keras.ops.convert_to_numpy(keras.ops.softmax(logits)), atol=1e-7)
    np.testing.assert_allclose(log_softmax(logits)[0], np.log(softmax(logits)[0]))
    assert np.isfinite(log_softmax(logits)).all()
    np.testing.assert_allclose(softmax(logits).sum(axis=1), 1.0)
    np.testing.assert_allclose(softmax(logits)[0], [0.659, 0.2424, 0.0986], atol=1e-4)


@pytest.mark.parametrize("call, error, message", [
    (lambda: get_activation("swish"), ValueError, "unknown activation 'swish'"),
    (lambda: sigmoid(None), TypeError, "z is None"),
    (lambda: sigmoid(["a"]), TypeError, "must hold numbers"),
    (lambda: log_softmax(3.0), ValueError, "at least one axis"),
    (lambda: softmax(None), TypeError, "None"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_every_function_rejects_text(name):
    for function in ACTIVATIONS[name]:
        with pytest.raises(TypeError, match="numbers"):
            function(np.array(["x"]))
