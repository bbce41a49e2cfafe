"""course_utils.regularization: inverted dropout behaves as keras.layers.Dropout, and bad inputs."""
import numpy as np
import pytest

import course_utils  # noqa: F401  (before keras: quiet TensorFlow)
from course_utils.regularization import inverted_dropout


def test_values_share_and_mean_match_keras_dropout():
    import keras

    x = np.ones((1, 20_000))
    u = np.random.default_rng(0).random(x.shape)
    ours = inverted_dropout(x, 0.3, u)
    theirs = np.asarray(keras.layers.Dropout(0.3, seed=1)(x.astype("float32"), training=True))
    for out in (ours, theirs):
        np.testing.assert_allclose(np.unique(out), [0.0, 1 / 0.7], rtol=1e-6)
        assert abs(np.mean(out == 0) - 0.3) < 0.02 and abs(out.mean() - 1) < 0.03
    np.testing.assert_array_equal(inverted_dropout(x, 0.3, u, training=False),
                                  np.asarray(keras.layers.Dropout(0.3)(x.astype("float32"), training=False)))


def test_the_rule_drops_where_u_is_below_the_rate():
    u = np.array([0.0, 0.29, 0.3, 0.99])
    assert inverted_dropout(np.full(4, 7.0), 0.3, u).tolist() == [0.0, 0.0, 10.0, 10.0]
    assert inverted_dropout(np.full(4, 7.0), 0.0, u).tolist() == [7.0] * 4


@pytest.mark.parametrize("call, message", [
    (lambda: inverted_dropout(np.ones(3), 1.0, np.ones(3)), "rate"),
    (lambda: inverted_dropout(np.ones(3), 0.5, np.ones(2)), "one random number per value"),
    (lambda: inverted_dropout(np.ones(3), 0.5, np.ones(3), training=1), "True or False"),
])
def test_bad_inputs_get_one_line(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()
