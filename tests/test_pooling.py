"""Adaptive pooling: the lecture's example, agreement with plain pooling and with Keras."""
import numpy as np
import pytest

from course_utils.conv import pool2d
from course_utils.pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_windows

SLIDE_1_TO_25 = np.arange(1, 26).reshape(5, 5)
SLIDE_SPARSE = np.array([[0, 5, 0, 0], [0, 0, 7, 0], [3, 0, 0, 0], [0, 0, 0, 8]])


def test_slide_example_length_14_target_4():
    assert adaptive_windows(14, 4) == [(0, 4), (3, 7), (7, 11), (10, 14)]
    # the slide's "kernel size = (input_size + target_size - 1) // target_size = 4"
    assert (14 + 4 - 1) // 4 == 4
    assert {end - start for start, end in adaptive_windows(14, 4)} == {4}
    np.testing.assert_allclose(adaptive_avg_pool1d(np.arange(14), 4), [1.5, 4.5, 8.5, 11.5])


def test_windows_can_differ_from_the_slide_kernel_size():
    sizes = [end - start for start, end in adaptive_windows(11, 4)]
    assert sizes == [3, 4, 4, 3]
    assert (11 + 4 - 1) // 4 == 3


def test_when_every_window_has_the_slide_size():
    # every window has ceil(L/T) inputs exactly when L mod T is 0 or divides T
    for target in range(1, 13):
        for length in range(target, 61):
            sizes = {end - start for start, end in adaptive_windows(length, target)}
            remainder = length % target
            assert (sizes == {-(-length // target)}) == (remainder == 0 or target % remainder == 0), (length, target)


def test_windows_cover_the_whole_input_in_order():
    for length, target in [(5, 3), (7, 4), (100, 7), (9, 9)]:
        windows = adaptive_windows(length, target)
        assert windows[0][0] == 0 and windows[-1][1] == length
        assert all(s1 <= e0 for (_, e0), (s1, _) in zip(windows, windows[1:]))  # touching or overlapping


def test_divisible_length_equals_ordinary_average_pooling():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 3))
    np.testing.assert_allclose(adaptive_avg_pool1d(x, 4), x.reshape(4, 3, 3).mean(axis=1))
    image = rng.normal(size=(12, 8, 2))
    np.testing.assert_allclose(adaptive_avg_pool2d(image[:8], 4), pool2d(image[:8], 2, mode="avg"))
    square = rng.normal(size=(9, 9))
    np.testing.assert_allclose(adaptive_avg_pool2d(square, 3), pool2d(square, 3, mode="avg"))


def test_target_one_is_global_average_pooling_on_the_slide_matrices():
    assert adaptive_avg_pool2d(SLIDE_1_TO_25, 1).item() == 13.0
    assert adaptive_avg_pool2d(SLIDE_SPARSE, 1).item() == pytest.approx(23 / 16)
    x = np.random.default_rng(1).normal(size=(6, 5, 4))
    np.testing.assert_allclose(adaptive_avg_pool2d(x, 1)[0, 0], x.mean(axis=(0, 1)))


def test_two_d_uses_separate_row_and_column_targets():
    x = np.arange(14 * 11, dtype=float).reshape(14, 11)
    out = adaptive_avg_pool2d(x, (4, 3))
    assert out.shape == (4, 3)
    (r0, r1), (c0, c1) = adaptive_windows(14, 4)[2], adaptive_windows(11, 3)[1]
    assert out[2, 1] == x[r0:r1, c0:c1].mean()


def test_matches_keras_adaptive_average_pooling():
    import course_utils  # noqa: F401  (quiet TensorFlow before Keras loads it)
    import keras

    rng = np.random.default_rng(2)
    x1 = rng.normal(size=(1, 11, 3)).astype("float32")
    np.testing.assert_allclose(adaptive_avg_pool1d(x1[0], 4),
                               np.asarray(keras.layers.AdaptiveAveragePooling1D(4)(x1))[0], rtol=1e-5, atol=1e-6)
    x2 = rng.normal(size=(1, 14, 7, 2)).astype("float32")
    np.testing.assert_allclose(adaptive_avg_pool2d(x2[0], (4, 3)),
                               np.asarray(keras.layers.AdaptiveAveragePooling2D((4, 3))(x2))[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("length, target, error", [(4, 5, ValueError), (0, 1, ValueError), (4, 0, ValueError),
                                                   (4.0, 2, TypeError), (4, True, TypeError)])
def test_adaptive_windows_rejects_bad_sizes(length, target, error):
    with pytest.raises(error):
        adaptive_windows(length, target)


@pytest.mark.parametrize("x, error, words", [(None, TypeError, "None"), (np.ones((2, 2, 2)), ValueError, "shape"),
                                             ([1.0, np.nan], ValueError, "NaN"), (["a", "b"], TypeError, "dtype")])
def test_adaptive_avg_pool1d_rejects_bad_input(x, error, words):
    with pytest.raises(error, match=words):
        adaptive_avg_pool1d(x, 1)


@pytest.mark.parametrize("x, target, error", [(np.ones(5), 2, ValueError), (None, 2, TypeError),
                                              (np.ones((4, 4)), (2, 2, 2), ValueError), (np.ones((4, 4)), 5, ValueError)])
def test_adaptive_avg_pool2d_rejects_bad_input(x, target, error):
    with pytest.raises(error):
        adaptive_avg_pool2d(x, target)
