"""course_utils.conv: the slides' worked examples, SciPy and Keras as references, bad inputs."""
import numpy as np
import pytest
import scipy.signal

from course_utils.conv import (conv2d, convolve2d, correlate2d, correlate2d_loops, correlation_matrix, pool2d,
                               shift2d, windows2d)

# A³ TensorFlow-Keras lecture: the 5x5 image and the Laplacian-like kernel of the worked example.
IMAGE = np.array([[5, 8, 0, 4, 8], [3, 9, 2, 9, 2], [4, 9, 2, 3, 6], [5, 4, 8, 2, 0], [5, 8, 0, 0, 8]])
KERNEL = np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]])
VALID = [[14, -12, 25], [17, -14, -7], [-14, 24, -3]]  # the slide prints -17 and 7 in the middle row
SLIDE_VALID = [[14, -12, 25], [-17, -14, 7], [-14, 24, -3]]
SAME = [[9, 18, -14, -1, 26], [-6, 14, -12, 25, -15], [-1, 17, -14, -7, 19], [7, -14, 24, -3, -16],
        [7, 23, -16, -10, 32]]
STRIDE2 = [[9, -14, 26], [-1, -14, 19], [7, -16, 32]]

# KBTU Lecture 6: the "smiley" (7 columns; the slide prints an 8th, all-zero one) and its feature detector.
SMILEY = np.array([[0, 0, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 0],
                   [0, 1, 0, 0, 0, 1, 0], [0, 0, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0, 0]])
DETECTOR = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 1]])

RNG = np.random.default_rng(0)


def test_slide_valid_result_and_its_two_sign_errors():
    out = correlate2d(IMAGE, KERNEL)
    np.testing.assert_array_equal(out, VALID)
    wrong = np.argwhere(out != np.array(SLIDE_VALID)).tolist()
    assert wrong == [[1, 0], [1, 2]]
    # The element the slide got wrong, by hand: 4 * 9 - (9 + 4 + 4 + 2).
    assert out[1, 0] == 4 * 9 - 9 - 4 - 4 - 2 == 17


def test_slide_same_result_and_its_centre_is_the_valid_result():
    out = correlate2d(IMAGE, KERNEL, padding=1)
    np.testing.assert_array_equal(out, SAME)
    np.testing.assert_array_equal(correlate2d(IMAGE, KERNEL, padding="same"), SAME)
    np.testing.assert_array_equal(out[1:-1, 1:-1], VALID)


def test_slide_stride2_result():
    np.testing.assert_array_equal(correlate2d(IMAGE, KERNEL, padding=1, stride=2), STRIDE2)
    np.testing.assert_array_equal(np.array(SAME)[::2, ::2], STRIDE2)  # stride 2 keeps every other output
    np.testing.assert_array_equal(correlate2d_loops(IMAGE, KERNEL, padding=1, stride=2), STRIDE2)


def test_smiley_feature_map():
    fmap = correlate2d(SMILEY, DETECTOR)
    assert fmap.shape == (5, 5)
    assert fmap[0, 0] == 0  # the first value the slide shows
    np.testing.assert_array_equal(fmap, [[0, 1, 0, 0, 0], [0, 1, 1, 1, 0], [1, 0, 0, 2, 1],
                                         [1, 4, 2, 1, 0], [0, 0, 1, 2, 1]])
    np.testing.assert_array_equal(fmap, correlate2d_loops(SMILEY, DETECTOR))


def test_convolve_flips_the_kernel():
    kernel = np.array([[1, 2, 0], [0, 0, 0], [0, 0, -1]])  # asymmetric: flipping changes it
    flipped = kernel[::-1, ::-1]
    np.testing.assert_array_equal(convolve2d(IMAGE, kernel), correlate2d(IMAGE, flipped))
    assert not np.array_equal(convolve2d(IMAGE, kernel), correlate2d(IMAGE, kernel))
    # The symmetric Laplacian is its own flip, so there both agree.
    np.testing.assert_array_equal(convolve2d(IMAGE, KERNEL), correlate2d(IMAGE, KERNEL))


@pytest.mark.parametrize("shape, kshape", [((9, 11), (3, 3)), ((12, 7), (2, 5)), ((6, 6), (1, 1)), ((5, 8), (5, 4))])
def test_against_scipy(shape, kshape):
    image, kernel = RNG.normal(size=shape), RNG.normal(size=kshape)
    np.testing.assert_allclose(correlate2d(image, kernel), scipy.signal.correlate2d(image, kernel, "valid"))
    np.testing.assert_allclose(convolve2d(image, kernel), scipy.signal.convolve2d(image, kernel, "valid"))
    np.testing.assert_allclose(correlate2d_loops(image, kernel), scipy.signal.correlate2d(image, kernel, "valid"))
    full_pad = (kshape[0] - 1, kshape[1] - 1)
    if full_pad[0] == full_pad[1]:  # symmetric padding of k - 1 zeros gives SciPy's "full"
        np.testing.assert_allclose(correlate2d(image, kernel, padding=full_pad[0]),
                                   scipy.signal.correlate2d(image, kernel, "full"))


@pytest.mark.parametrize("ksize", [1, 3, 5])
def test_same_matches_scipy_for_odd_kernels(ksize):
    image, kernel = RNG.normal(size=(10, 13)), RNG.normal(size=(ksize, ksize))
    np.testing.assert_allclose(correlate2d(image, kernel, padding="same"), scipy.signal.correlate2d(image, kernel, "same"))


@pytest.mark.parametrize("stride, dilation, padding", [(1, 1, 0), (2, 1, 1), (3, 1, 2), (1, 2, 2), (2, 2, 0)])
def test_tall_images_across_row_blocks(stride, dilation, padding):
    """correlate2d works in blocks of output rows; the einsum over windows2d is an independent reference."""
    image, kernel = RNG.normal(size=(203, 17)), RNG.normal(size=(3, 4))
    expected = np.einsum("ijkl,kl->ij", windows2d(np.pad(image, padding), kernel.shape, stride, dilation), kernel)
    np.testing.assert_allclose(correlate2d(image, kernel, padding=padding, stride=stride, dilation=dilation), expected)


def test_inputs_are_not_modified():
    image, kernel = RNG.normal(size=(70, 9)), RNG.normal(size=(3, 3))
    image_before, kernel_before = image.copy(), kernel.copy()
    correlate2d(image, kernel)
    convolve2d(image, kernel, padding="same")
    np.testing.assert_array_equal(image, image_before)
    np.testing.assert_array_equal(kernel, kernel_before)


def test_dilation_equals_a_kernel_with_holes():
    image, kernel = RNG.normal(size=(11, 11)), RNG.normal(size=(3, 3))
    holes = np.zeros((5, 5))
    holes[::2, ::2] = kernel
    np.testing.assert_allclose(correlate2d(image, kernel, dilation=2), correlate2d(image, holes))


def test_windows2d_is_a_view_of_every_patch():
    image = np.arange(20.0).reshape(4, 5)
    win = windows2d(image, (2, 3))
    assert win.shape == (3, 3, 2, 3)
    np.testing.assert_array_equal(win[1, 2], image[1:3, 2:5])
    assert np.shares_memory(win, image)
    assert windows2d(image, (2, 2), stride=2).shape == (2, 2, 2, 2)


def test_conv2d_sums_over_input_channels_and_adds_bias():
    x, w = RNG.normal(size=(8, 9, 4)), RNG.normal(size=(3, 3, 4, 2))
    out = conv2d(x, w, bias=[0.5, -1.0])
    assert out.shape == (6, 7, 2)
    for f in range(2):
        expected = sum(correlate2d(x[..., c], w[:, :, c, f]) for c in range(4)) + [0.5, -1.0][f]
        np.testing.assert_allclose(out[..., f], expected)
    batch = conv2d(np.stack([x, 2 * x]), w)
    np.testing.assert_allclose(batch[1], 2 * batch[0])


@pytest.fixture(scope="module")
def keras():
    import course_utils  # noqa: F401  (quiets TensorFlow before Keras loads it)

    return pytest.importorskip("keras")


@pytest.mark.parametrize("padding, stride, dilation, size", [("valid", 1, 1, 9), ("same", 2, 1, 9), ("same", 2, 1, 8),
                                                             ("valid", 1, 2, 10), ("same", 1, 1, 7)])
def test_conv2d_matches_keras(keras, padding, stride, dilation, size):
    x = RNG.normal(size=(2, size, size + 1, 3)).astype("float32")
    layer = keras.layers.Conv2D(4, (3, 3), strides=stride, padding=padding, dilation_rate=dilation)
    layer.build(x.shape)
    w = np.asarray(layer.get_weights()[0])
    b = RNG.normal(size=4).astype("float32")  # Keras starts with zero bias: use a non-zero one
    layer.set_weights([w, b])
    expected = np.asarray(layer(x))
    np.testing.assert_allclose(conv2d(x, w, b, padding=padding, stride=stride, dilation=dilation), expected, atol=1e-4)


@pytest.mark.parametrize("mode, size, stride, padding", [("max", 2, 2, "valid"), ("max", 3, 2, "same"),
                                                        ("avg", 2, 2, "valid"), ("avg", 3, 2, "same"),
                                                        ("avg", 2, 1, "same")])
def test_pool2d_matches_keras(keras, mode, size, stride, padding):
    x = RNG.normal(size=(1, 7, 6, 2)).astype("float32")
    layer = (keras.layers.MaxPooling2D if mode == "max" else keras.layers.AveragePooling2D)(size, stride, padding)
    np.testing.assert_allclose(pool2d(x[0], size, stride, mode, padding), np.asarray(layer(x))[0], atol=1e-6)


def test_pool2d_slide_style_example():
    fmap = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])
    np.testing.assert_array_equal(pool2d(fmap, 2), [[6, 8], [3, 4]])
    np.testing.assert_array_equal(pool2d(fmap, 2, mode="avg"), [[3.25, 5.25], [2, 2]])


BAD_2D = [
    (None, TypeError, "is None"),
    (np.ones((5, 5, 1, 1, 1)), ValueError, "got shape"),
    (np.ones(5), ValueError, "got shape"),
    (np.full((5, 5), np.nan), ValueError, "NaN"),
    (np.array([["a"] * 5] * 5), TypeError, "numbers"),
]


@pytest.mark.parametrize("func", [correlate2d, convolve2d, correlate2d_loops])
@pytest.mark.parametrize("bad, error, message", BAD_2D)
def test_bad_images(func, bad, error, message):
    with pytest.raises(error, match=message):
        func(bad, KERNEL)
    with pytest.raises(error, match=message):
        func(IMAGE, bad)


@pytest.mark.parametrize("func", [correlate2d, convolve2d, correlate2d_loops])
def test_kernel_larger_than_image(func):
    with pytest.raises(ValueError, match="does not fit"):
        func(np.ones((2, 2)), KERNEL)
    assert func(np.ones((2, 2)), KERNEL, padding=1).shape == (2, 2)  # padding can make it fit


@pytest.mark.parametrize("kwargs, message", [({"stride": 0}, "stride"), ({"padding": -1}, "padding"),
                                             ({"padding": "full"}, "padding"), ({"dilation": 0}, "dilation")])
def test_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        correlate2d(IMAGE, KERNEL, **kwargs)


@pytest.mark.parametrize("bad, error, message", [
    (None, TypeError, "is None"),
    (np.ones((5, 5)), ValueError, "3-D or 4-D"),
    (np.full((5, 5, 1), np.nan), ValueError, "NaN"),
    (np.array([[["a"]]]), TypeError, "numbers"),
    (np.ones((2, 2, 1)), ValueError, "does not fit"),
    (np.ones((5, 5, 2)), ValueError, "2 channels but the weights expect 1"),
])
def test_conv2d_bad_inputs(bad, error, message):
    with pytest.raises(error, match=message):
        conv2d(bad, np.ones((3, 3, 1, 1)))


def test_conv2d_bad_weights_and_bias():
    with pytest.raises(ValueError, match="weights must be 4-D"):
        conv2d(np.ones((5, 5, 1)), np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\)"):
        conv2d(np.ones((5, 5, 1)), np.ones((3, 3, 1, 2)), bias=[1.0])


@pytest.mark.parametrize("bad, kwargs, error, message", [
    (None, {}, TypeError, "is None"),
    (np.ones(4), {}, ValueError, "2-D or 3-D"),
    (np.array([[np.nan, 1.0], [1.0, 1.0]]), {"mode": "avg"}, ValueError, "NaN"),
    (np.array([["a", "b"], ["c", "d"]]), {}, TypeError, "numbers"),
    (np.ones((2, 2)), {"size": 3}, ValueError, "does not fit"),
    (np.ones((4, 4)), {"size": 0}, ValueError, ">= 1"),
    (np.ones((4, 4)), {"mode": "median"}, ValueError, "mode must be"),
])
def test_pool2d_bad_inputs(bad, kwargs, error, message):
    with pytest.raises(error, match=message):
        pool2d(bad, **kwargs)


def test_windows2d_bad_inputs():
    with pytest.raises(ValueError, match="does not fit"):
        windows2d(np.ones((2, 2)), (3, 3))
    with pytest.raises(ValueError, match="at least 2 axes"):
        windows2d(np.ones(4), (1, 1))


# ------------------------------------------------------------ the convolution as a constrained dense layer

@pytest.mark.parametrize("image_shape, kernel_shape", [((5, 5), (3, 3)), ((4, 7), (2, 3)), ((6, 3), (1, 1))])
def test_correlation_matrix_is_correlate2d(image_shape, kernel_shape):
    rng = np.random.default_rng(3)
    image, kernel = rng.normal(size=image_shape), rng.normal(size=kernel_shape)
    matrix = correlation_matrix(kernel, image_shape)
    expected = correlate2d(image, kernel)
    assert matrix.shape == (expected.size, image.size)
    np.testing.assert_allclose(matrix @ image.ravel(), expected.ravel())


def test_correlation_matrix_is_local_and_shared():
    kernel = np.arange(1, 10).reshape(3, 3)
    matrix = correlation_matrix(kernel, (5, 5))
    assert (matrix != 0).sum(axis=1).tolist() == [9] * 9                       # local: 9 weights per output
    assert [sorted(row[row != 0].astype(int)) for row in matrix] == [list(range(1, 10))] * 9   # shared
    np.testing.assert_array_equal(matrix[1], np.roll(matrix[0], 1))             # one pixel right
    np.testing.assert_array_equal(matrix[3], np.roll(matrix[0], 5))             # one image row down
    assert np.flatnonzero(matrix[4]).tolist() == [6, 7, 8, 11, 12, 13, 16, 17, 18]


def test_shift2d_moves_without_wrapping():
    image = np.arange(1, 13).reshape(3, 4)
    assert shift2d(image, 0, 1).astype(int).tolist() == [[0, 1, 2, 3], [0, 5, 6, 7], [0, 9, 10, 11]]
    assert shift2d(image, -2, 0).astype(int).tolist() == [[9, 10, 11, 12], [0, 0, 0, 0], [0, 0, 0, 0]]
    assert shift2d(image, 3, 0).sum() == 0 and shift2d(image, 0, -4).sum() == 0
    np.testing.assert_array_equal(shift2d(shift2d(image, 1, 1), -1, -1)[:2, :3], image[:2, :3])
    assert shift2d(np.ones((4, 4, 2)), 1, 2).sum(axis=(0, 1)).tolist() == [6.0, 6.0]   # channels-last


def test_correlation_is_shift_equivariant_away_from_the_borders():
    rng = np.random.default_rng(5)
    image, kernel = rng.normal(size=(12, 12)), rng.normal(size=(3, 3))
    for dy, dx in [(1, 2), (-2, 1), (3, -3)]:
        moved_first = correlate2d(shift2d(image, dy, dx), kernel)
        moved_after = shift2d(correlate2d(image, kernel), dy, dx)
        inner = (slice(3, -3), slice(3, -3))
        np.testing.assert_allclose(moved_first[inner], moved_after[inner])
        assert not np.allclose(moved_first, moved_after)        # at the border they differ


def test_correlation_matrix_and_shift2d_bad_inputs():
    with pytest.raises(ValueError, match=r"image_shape must be \(height, width\) of positive integers, got \(5,\)"):
        correlation_matrix(np.ones((3, 3)), (5,))
    with pytest.raises(ValueError, match="kernel must be 2-D"):
        correlation_matrix(np.ones(3), (5, 5))
    with pytest.raises(TypeError, match="dx must be an integer number of pixels, got 1.5"):
        shift2d(np.ones((3, 3)), 0, 1.5)
