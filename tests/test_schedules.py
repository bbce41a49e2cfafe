"""course_utils.schedules against keras.optimizers.schedules (one optimizer step per epoch), and bad inputs."""
import numpy as np
import pytest

import course_utils  # noqa: F401  (before keras: quiet TensorFlow)
from course_utils.schedules import cosine_decay, exponential_decay, step_decay


@pytest.mark.parametrize("epoch", [0, 1, 10, 29, 30, 31, 45, 60, 61, 65, 80, 81, 89, 90, 120])
def test_schedules_match_keras(epoch):
    import keras

    schedules = keras.optimizers.schedules
    step = schedules.PiecewiseConstantDecay([30, 60, 80], [1e-2, 1e-3, 1e-4, 1e-5])
    cosine = schedules.CosineDecay(1e-2, decay_steps=90)
    cosine_floor = schedules.CosineDecay(1e-2, decay_steps=90, alpha=0.1)
    exponential = schedules.ExponentialDecay(1e-2, decay_steps=1, decay_rate=0.95)
    np.testing.assert_allclose(step_decay(1e-2, [30, 60, 80], 0.1, epoch), float(step(epoch)), rtol=1e-5)
    np.testing.assert_allclose(cosine_decay(1e-2, 90, epoch), float(cosine(epoch)), rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(cosine_decay(1e-2, 90, epoch, alpha=0.1), float(cosine_floor(epoch)), rtol=1e-4)
    np.testing.assert_allclose(exponential_decay(1e-2, 0.95, epoch), float(exponential(epoch)), rtol=1e-4)


@pytest.mark.parametrize("call, message", [(lambda: cosine_decay(0.1, 0, 3), "total must be"),
                                           (lambda: step_decay(0.1, [10], 0.1, -1), "epoch must be"),
                                           (lambda: exponential_decay("0.1", 0.9, 1), "lr0 must be")])
def test_bad_inputs_get_one_line(call, message):
    with pytest.raises(ValueError, match=message):
        call()
