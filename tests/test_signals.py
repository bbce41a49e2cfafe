"""The toy waveform data set: deterministic, balanced, the right shapes and clean shapes."""
import numpy as np
import pytest

from course_utils.signals import PULSE_DUTY, WAVEFORM_CLASSES, make_waveforms, waveform


def test_same_seed_same_data_other_seed_other_data():
    x1, y1 = make_waveforms(50, seed=3)
    x2, y2 = make_waveforms(50, seed=3)
    x3, y3 = make_waveforms(50, seed=4)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)


def test_shapes_dtypes_and_balance():
    x, y = make_waveforms(1003, length=96, seed=0)
    assert x.shape == (1003, 96) and x.dtype == np.float32
    assert y.shape == (1003,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=len(WAVEFORM_CLASSES))
    assert counts.tolist() == [251, 251, 251, 250]
    assert not np.array_equal(y[:8], np.arange(8) % 4)  # shuffled, not in a fixed order


def test_without_noise_each_example_is_a_scaled_shifted_clean_wave():
    x, y = make_waveforms(40, length=64, noise=0.0, seed=5)
    # amplitude in [0.6, 1.4] and offset in [-0.3, 0.3]: values stay within [-1.7, 1.7]
    assert np.abs(x).max() <= 1.7 + 1e-6
    # square and pulse waves take only two values; sine and sawtooth many
    distinct = [len(np.unique(np.round(row, 5))) for row in x]
    for label, count in zip(y, distinct):
        assert (count == 2) == (WAVEFORM_CLASSES[label] in ("square", "pulse"))


def test_noise_has_the_requested_size():
    clean, _ = make_waveforms(200, noise=0.0, seed=7)
    noisy, _ = make_waveforms(200, noise=0.5, seed=7)
    # same seed: the waves are drawn first, then the noise, so the difference is the noise
    assert abs(float((noisy - clean).std()) - 0.5) < 0.01


def test_clean_waveform_values():
    t = np.arange(8) / 8
    np.testing.assert_allclose(waveform("sine", t, cycles=1), np.sin(2 * np.pi * t))
    assert waveform("square", t, cycles=1).tolist() == [1, 1, 1, 1, -1, -1, -1, -1]
    np.testing.assert_allclose(waveform("sawtooth", t, cycles=1, phase=0.5), [0, 0.25, 0.5, 0.75, -1, -0.75, -0.5, -0.25])
    pulse = waveform("pulse", np.arange(997) / 997, cycles=3)
    assert (pulse == 1).mean() == pytest.approx(PULSE_DUTY, abs=0.005)


def test_waveform_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="kind must be one of"):
        waveform("triangle", np.arange(4) / 4, cycles=1)


@pytest.mark.parametrize("kwargs, error", [
    ({"n": 0}, ValueError), ({"n": 2.5}, TypeError), ({"n": 4, "length": 4}, ValueError),
    ({"n": 4, "noise": -1.0}, ValueError), ({"n": 4, "noise": None}, ValueError),
    ({"n": 4, "cycles": (6.0, 2.0)}, ValueError), ({"n": 4, "length": 16, "cycles": (2.0, 9.0)}, ValueError),
    ({"n": 4, "cycles": 3.0}, ValueError),
])
def test_make_waveforms_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        make_waveforms(**kwargs)
