"""course_utils.normalization against keras.layers.BatchNormalization, numerically, and bad inputs."""
import numpy as np
import pytest

import course_utils  # noqa: F401  (before keras: quiet TensorFlow)
from course_utils.normalization import batch_norm_forward, batch_statistics, update_running_stats


def _keras_layer(shape, gamma, beta, mean, var, momentum, eps):
    import keras

    layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=eps)
    layer.build((None,) + shape[1:])
    layer.set_weights([np.asarray(v, "float32") for v in (gamma, beta, mean, var)])
    return layer


@pytest.mark.parametrize("shape, momentum, eps", [((8, 5, 6, 3), 0.99, 1e-3), ((16, 4), 0.9, 1e-5),
                                                  ((2, 7, 2), 0.5, 1e-2)])
def test_training_inference_and_running_update_match_keras(shape, momentum, eps):
    rng = np.random.default_rng(sum(shape))
    channels = shape[-1]
    x = rng.normal(2.0, 3.0, size=shape)
    gamma, beta = rng.uniform(0.5, 2.0, channels), rng.normal(size=channels)
    mean, var = rng.normal(size=channels), rng.uniform(0.5, 4.0, channels)
    layer = _keras_layer(shape, gamma, beta, mean, var, momentum, eps)
    inference = np.asarray(layer(x.astype("float32"), training=False))
    np.testing.assert_allclose(batch_norm_forward(x, gamma, beta, mean, var, training=False, eps=eps), inference,
                               rtol=1e-4, atol=1e-4)
    training = np.asarray(layer(x.astype("float32"), training=True))
    np.testing.assert_allclose(batch_norm_forward(x, gamma, beta, mean, var, training=True, eps=eps), training,
                               rtol=1e-4, atol=1e-4)
    new_mean, new_var = update_running_stats(mean, var, x, momentum)
    np.testing.assert_allclose(new_mean, np.asarray(layer.moving_mean), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(new_var, np.asarray(layer.moving_variance), rtol=1e-4, atol=1e-5)


def test_statistics_are_per_channel_over_batch_and_positions_with_the_biased_variance():
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    mean, var = batch_statistics(x)
    np.testing.assert_allclose(mean, [x[..., 0].mean(), x[..., 1].mean()])
    np.testing.assert_allclose(var, [x[..., 0].var(ddof=0), x[..., 1].var(ddof=0)])
    assert mean.tolist() == [11.0, 12.0]


def test_inference_ignores_the_batch():
    x = np.random.default_rng(1).normal(size=(4, 3))
    alone = batch_norm_forward(x[:1], np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), training=False, eps=0.0)
    np.testing.assert_array_equal(alone, x[:1])


@pytest.mark.parametrize("call, message", [
    (lambda: batch_norm_forward(np.ones(4), [1.0], [0.0], [0.0], [1.0], training=True), "batch axis and a channel"),
    (lambda: batch_norm_forward(np.ones((2, 3)), [1.0], [0.0], [0.0], [1.0], training=True), "gamma must have one"),
    (lambda: batch_norm_forward(np.ones((2, 1)), [1.0], [0.0], [0.0], [1.0], training="yes"), "True or False"),
    (lambda: batch_norm_forward(None, [1.0], [0.0], [0.0], [1.0], training=True), "x is None"),
    (lambda: update_running_stats([0.0], [1.0], np.ones((2, 1)), momentum=1.5), "momentum must be"),
])
def test_bad_inputs_get_one_line(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()
