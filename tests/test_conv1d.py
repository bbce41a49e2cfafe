"""course_utils.conv1d against numpy.convolve, the slide's DSP example and bad inputs."""
import numpy as np
import pytest

from course_utils.conv1d import MODES, convolution_matrix, convolve1d_loops


@pytest.fixture
def slide_signals():
    """The A³ TensorFlow-Keras lecture: h[0] = 1, h[2] = -1; x[n] = 2 exp(-0.3 n) for n = 0..7."""
    h = np.array([1.0, 0.0, -1.0])
    x = 2 * np.exp(-0.3 * np.arange(8))
    return x, h


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n, m", [(1, 1), (1, 4), (4, 1), (5, 3), (3, 5), (6, 6), (7, 2), (2, 7), (8, 5)])
def test_both_match_numpy_convolve(n, m, mode):
    rng = np.random.default_rng(n * 10 + m)
    x, h = rng.normal(size=n), rng.normal(size=m)
    expected = np.convolve(x, h, mode=mode)
    np.testing.assert_allclose(convolve1d_loops(x, h, mode), expected, atol=1e-12)
    np.testing.assert_allclose(convolution_matrix(h, n, mode) @ x, expected, atol=1e-12)


@pytest.mark.parametrize("n, m", [(8, 3), (3, 8), (5, 5)])
def test_mode_lengths(n, m):
    x, h = np.ones(n), np.ones(m)
    assert len(convolve1d_loops(x, h, "full")) == n + m - 1
    assert len(convolve1d_loops(x, h, "same")) == max(n, m)
    assert len(convolve1d_loops(x, h, "valid")) == max(n, m) - min(n, m) + 1
    assert convolution_matrix(h, n, "full").shape == (n + m - 1, n)
    assert convolution_matrix(h, n, "same").shape == (max(n, m), n)
    assert convolution_matrix(h, n, "valid").shape == (max(n, m) - min(n, m) + 1, n)


def test_slide_example(slide_signals):
    x, h = slide_signals
    y = convolve1d_loops(x, h)
    assert len(y) == 10  # n = 0..9, as the slide says
    # The slide's sum over k = n, n-2 reduces to y[n] = x[n] - x[n-2] (x is zero outside 0..7).
    x_padded = np.concatenate([np.zeros(2), x, np.zeros(2)])
    np.testing.assert_allclose(y, x_padded[2:] - x_padded[:-2])
    np.testing.assert_allclose(y.round(4), [2.0, 1.4816, -0.9024, -0.6685, -0.4952, -0.3669, -0.2718, -0.2013, -0.3306, -0.2449])
    np.testing.assert_allclose(convolution_matrix(h, 8) @ x, y)


def test_commutative(slide_signals):
    x, h = slide_signals
    np.testing.assert_allclose(convolve1d_loops(x, h), convolve1d_loops(h, x))
    np.testing.assert_allclose(convolution_matrix(h, len(x)) @ x, convolution_matrix(x, len(h)) @ h)


def test_matrix_is_toeplitz_with_flipped_kernel_rows():
    t = convolution_matrix([1, 2, 3], 5)
    assert t.shape == (7, 5)
    np.testing.assert_array_equal(t[2], [3, 2, 1, 0, 0])  # h reversed, sliding along the row
    for offset in range(-t.shape[0] + 1, t.shape[1]):
        diagonal = np.diagonal(t, offset)
        assert np.all(diagonal == diagonal[0])  # constant along each diagonal: Toeplitz


def test_accepts_ints_and_bools():
    np.testing.assert_array_equal(convolve1d_loops([True, False], [2, 3]), [2.0, 3.0, 0.0])


@pytest.mark.parametrize("func", [lambda a, b: convolve1d_loops(a, b), lambda a, b: convolve1d_loops(b, a),
                                  lambda a, b: convolution_matrix(a, 3)])
@pytest.mark.parametrize("bad, error, message", [
    (None, TypeError, "is None"),
    (np.ones((2, 2)), ValueError, "1-D"),
    (np.array([]), ValueError, "non-empty"),
    (np.array([1.0, np.nan]), ValueError, "NaN"),
    (np.array([1.0, np.inf]), ValueError, "NaN or infinity"),
    (np.array(["a", "b"]), TypeError, "numbers"),
    ([1, "b"], TypeError, "numbers"),
    ([[1], [2, 3]], ValueError, "inhomogeneous"),
])
def test_bad_signals(func, bad, error, message):
    with pytest.raises(error, match=message):
        func(bad, [1.0, 2.0])


@pytest.mark.parametrize("n", [0, -1, 2.5, "3", None, True])
def test_bad_length(n):
    with pytest.raises(ValueError, match="positive integer"):
        convolution_matrix([1, 2], n)


@pytest.mark.parametrize("mode", ["circular", "FULL", None])
def test_bad_mode(mode):
    with pytest.raises(ValueError, match="mode must be one of"):
        convolve1d_loops([1, 2], [1], mode)
    with pytest.raises(ValueError, match="mode must be one of"):
        convolution_matrix([1, 2], 3, mode)


@pytest.mark.parametrize("n, k, d", [(12, 3, 1), (20, 2, 4), (9, 4, 2), (5, 1, 3), (7, 3, 3)])
def test_causal_correlate_matches_keras_causal_conv1d(n, k, d):
    import course_utils  # noqa: F401  (before keras: quiet TensorFlow)
    import keras

    from course_utils.conv1d import causal_correlate, causal_pad

    rng = np.random.default_rng(n + k + d)
    x, w = rng.normal(size=n), rng.normal(size=k)
    layer = keras.layers.Conv1D(1, k, padding="causal", dilation_rate=d, use_bias=False)
    layer.build((None, n, 1))
    layer.set_weights([w.reshape(k, 1, 1).astype("float32")])
    theirs = np.asarray(layer(x[None, :, None].astype("float32")))[0, :, 0]
    np.testing.assert_allclose(causal_correlate(x, w, d), theirs, rtol=1e-5, atol=1e-5)
    padded = causal_pad(x, k, d)
    assert len(padded) == n + d * (k - 1) and not padded[:d * (k - 1)].any()
    valid = np.array([padded[t:t + d * (k - 1) + 1:d] @ w for t in range(n)])   # a valid correlation of the padded x
    np.testing.assert_allclose(valid, theirs, rtol=1e-5, atol=1e-5)


def test_causal_output_never_uses_the_future():
    from course_utils.conv1d import causal_correlate

    x = np.random.default_rng(3).normal(size=30)
    changed = x.copy()
    changed[15:] += 1.0
    y, y_changed = causal_correlate(x, [0.5, -1.0, 2.0], 2), causal_correlate(changed, [0.5, -1.0, 2.0], 2)
    assert np.flatnonzero(y != y_changed).min() == 15


def test_causal_functions_reject_bad_sizes():
    from course_utils.conv1d import causal_pad

    with pytest.raises(ValueError, match="dilation must be a positive integer"):
        causal_pad(np.ones(3), 3, 0)
