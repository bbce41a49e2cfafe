"""course_utils.filters: named kernels, Gaussian, Sobel gradients, edge maps and HOG cells."""
import numpy as np
import pytest

from course_utils.conv import convolve2d, correlate2d
from course_utils.filters import (DIFFERENTIAL, KERNELS, SMOOTHING, edge_map, filter_image, gaussian_kernel,
                                  hog_cell_histograms, magnitude_orientation, make_kernel, sobel_gradients)


def step_image(direction: str, size: int = 16) -> np.ndarray:
    """Dark (0) on one half, bright (1) on the other; ``direction`` is where it gets brighter."""
    image = np.zeros((size, size))
    half = size // 2
    if direction == "right":
        image[:, half:] = 1
    elif direction == "left":
        image[:, :half] = 1
    elif direction == "down":
        image[half:, :] = 1
    elif direction == "up":
        image[:half, :] = 1
    return image


# --- kernels -------------------------------------------------------------------------------------

def test_kernels_are_the_lectures():
    np.testing.assert_array_equal(KERNELS["box"] * 9, np.ones((3, 3)))
    np.testing.assert_array_equal(KERNELS["sobel_y"], [[1, 2, 1], [0, 0, 0], [-1, -2, -1]])
    np.testing.assert_array_equal(KERNELS["sobel_x"], [[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    np.testing.assert_array_equal(KERNELS["laplacian"], [[0, -1, 0], [-1, 4, -1], [0, -1, 0]])


def test_smoothing_kernels_sum_to_one_and_differential_to_zero():
    for name in SMOOTHING + ("sharpen", "identity"):
        assert KERNELS[name].sum() == pytest.approx(1.0), name
    for name in DIFFERENTIAL:
        assert KERNELS[name].sum() == pytest.approx(0.0, abs=1e-12), name


def test_sharpen_is_identity_plus_laplacian():
    np.testing.assert_array_equal(KERNELS["sharpen"], KERNELS["identity"] + KERNELS["laplacian"])


def test_gaussian_kernel_values():
    k = gaussian_kernel(3, 1.0)
    e = np.exp(-0.5)
    np.testing.assert_allclose(k, np.outer([e, 1, e], [e, 1, e]) / (1 + 2 * e) ** 2)
    assert k.sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(k, k.T)
    np.testing.assert_array_equal(k, k[::-1, ::-1])
    assert gaussian_kernel(1, 2.0).tolist() == [[1.0]]
    # a wider sigma spreads the weight: the centre gets a smaller share
    assert gaussian_kernel(7, 2.0)[3, 3] < gaussian_kernel(7, 1.0)[3, 3]


@pytest.mark.parametrize("size, sigma, error", [(4, 1.0, ValueError), (0, 1.0, ValueError), (3.0, 1.0, TypeError),
                                                (True, 1.0, TypeError), (3, 0.0, ValueError), (3, -1, ValueError),
                                                (3, float("nan"), ValueError), (3, None, ValueError)])
def test_gaussian_kernel_bad_input(size, sigma, error):
    with pytest.raises(error, match="size|sigma"):
        gaussian_kernel(size, sigma)


def test_make_kernel():
    np.testing.assert_allclose(make_kernel("box", 5), np.full((5, 5), 1 / 25))
    np.testing.assert_allclose(make_kernel("gaussian", 5), gaussian_kernel(5, 1.0))
    np.testing.assert_array_equal(make_kernel("laplacian"), KERNELS["laplacian"])
    k = make_kernel("sobel_x")
    k[0, 0] = 99  # a copy: the shared dict is not changed
    assert KERNELS["sobel_x"][0, 0] == 1


def test_make_kernel_bad_input():
    with pytest.raises(ValueError, match="unknown kernel 'blur'"):
        make_kernel("blur")
    with pytest.raises(ValueError, match="3x3 only"):
        make_kernel("sobel_y", 5)
    with pytest.raises(ValueError, match="odd"):
        make_kernel("box", 4)


# --- filtering -----------------------------------------------------------------------------------

def test_flat_image_keeps_its_value_under_smoothing_and_vanishes_under_differentiation():
    flat = np.full((9, 10), 0.7)
    for name in SMOOTHING:
        out = filter_image(flat, KERNELS[name], border="zero")
        np.testing.assert_allclose(out[2:-2, 2:-2], 0.7)       # away from the border
        assert out[0, 0] < 0.7                                  # zero padding darkens the frame
        np.testing.assert_allclose(filter_image(flat, KERNELS[name], border="replicate"), 0.7)
    for name in DIFFERENTIAL:
        out = filter_image(flat, KERNELS[name], border="zero")
        np.testing.assert_allclose(out[1:-1, 1:-1], 0, atol=1e-12)
        assert np.abs(out[0]).max() > 0                         # the zero-padded frame looks like an edge
        np.testing.assert_allclose(filter_image(flat, KERNELS[name], border="replicate"), 0, atol=1e-12)


def test_filter_image_is_true_convolution():
    rng = np.random.default_rng(0)
    image = rng.random((7, 8))
    np.testing.assert_allclose(filter_image(image, KERNELS["sobel_x"], border="zero"),
                               convolve2d(image, KERNELS["sobel_x"], padding="same"))
    # cross-correlation with the same kernel flips the sign of an antisymmetric kernel's output
    np.testing.assert_allclose(correlate2d(image, KERNELS["sobel_x"], padding="same"),
                               -convolve2d(image, KERNELS["sobel_x"], padding="same"))


def test_filter_image_bad_input():
    with pytest.raises(ValueError, match="border must be"):
        filter_image(np.ones((4, 4)), KERNELS["box"], border="reflect")
    with pytest.raises(ValueError, match="odd height and width"):
        filter_image(np.ones((4, 4)), np.ones((2, 2)), border="replicate")
    with pytest.raises(ValueError, match="image must be 2-D"):
        filter_image(np.ones((4, 4, 3)), KERNELS["box"])
    with pytest.raises(TypeError, match="image is None"):
        filter_image(None, KERNELS["box"])
    with pytest.raises(ValueError, match="NaN"):
        filter_image(np.full((4, 4), np.nan), KERNELS["box"])


# --- Sobel -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("direction, angle", [("right", 0.0), ("down", 90.0), ("left", 180.0), ("up", -90.0)])
def test_sobel_on_a_step_edge(direction, angle):
    gx, gy, magnitude, orientation = sobel_gradients(step_image(direction))
    edge = magnitude > 0
    # a unit step gives 1 + 2 + 1 = 4 on the two pixels either side of it, and 0 elsewhere
    np.testing.assert_allclose(magnitude[edge], 4.0)
    assert edge.sum() == 2 * 16
    np.testing.assert_allclose(orientation[edge], angle)
    if direction in ("right", "left"):
        assert np.all(gy == 0) and np.all(edge.any(axis=0) == np.isin(np.arange(16), [7, 8]))
    else:
        assert np.all(gx == 0) and np.all(edge.any(axis=1) == np.isin(np.arange(16), [7, 8]))


def test_sobel_on_a_diagonal_ramp():
    rows, cols = np.mgrid[0:6, 0:6]
    gx, gy, magnitude, orientation = sobel_gradients((rows + cols).astype(float))
    np.testing.assert_allclose(gx[1:-1, 1:-1], 8)
    np.testing.assert_allclose(gy[1:-1, 1:-1], 8)
    np.testing.assert_allclose(magnitude[1:-1, 1:-1], 8 * np.sqrt(2))
    np.testing.assert_allclose(orientation[1:-1, 1:-1], 45)


def test_sobel_bad_input():
    with pytest.raises(ValueError, match="image must be 2-D"):
        sobel_gradients(np.ones(5))
    with pytest.raises(TypeError, match="must hold numbers"):
        sobel_gradients(np.array([["a", "b"], ["c", "d"]]))


# --- edge map --------------------------------------------------------------------------------------

def test_edge_map_finds_the_step_only():
    edges = edge_map(step_image("down", 12), threshold=1.0)
    assert edges.dtype == bool
    np.testing.assert_array_equal(np.flatnonzero(edges.any(axis=1)), [5, 6])
    assert edges.sum() == 24


def test_blurring_before_differentiating_suppresses_noise():
    rng = np.random.default_rng(3)
    noisy = np.full((64, 64), 0.5) + rng.normal(0, 0.1, (64, 64))
    raw = edge_map(noisy, threshold=0.5).mean()
    blurred = edge_map(noisy, threshold=0.5, blur_sigma=1.5).mean()
    assert raw > 0.2 and blurred < 0.01


@pytest.mark.parametrize("kwargs", [{"threshold": -1}, {"threshold": float("nan")}, {"threshold": None},
                                    {"blur_sigma": 0}, {"blur_sigma": float("inf")}])
def test_edge_map_bad_input(kwargs):
    with pytest.raises(ValueError, match="threshold|blur_sigma"):
        edge_map(np.ones((5, 5)), **kwargs)


# --- HOG ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("direction, expected_bin", [("right", 0), ("left", 0), ("down", 4), ("up", 4)])
def test_hog_puts_the_mass_in_the_right_bin(direction, expected_bin):
    _, _, magnitude, orientation = sobel_gradients(step_image(direction))
    hist = hog_cell_histograms(magnitude, orientation, cell_size=8)
    assert hist.shape == (2, 2, 9)
    assert hist.sum() == pytest.approx(magnitude.sum())
    totals = hist.sum(axis=(0, 1))
    assert totals.argmax() == expected_bin
    assert totals[expected_bin] == pytest.approx(totals.sum())


def test_hog_diagonal_edge_and_cell_layout():
    image = np.triu(np.ones((16, 16)))          # bright above the diagonal: gradient points up-right
    _, _, magnitude, orientation = sobel_gradients(image)
    hist = hog_cell_histograms(magnitude, orientation, cell_size=8, n_bins=9)
    totals = hist.sum(axis=(0, 1))
    assert totals.argmax() == 6                  # -45 degrees folds to 135, in bin [120, 140)
    # the diagonal crosses the two cells on it, the off-diagonal cells stay (almost) empty
    per_cell = hist.sum(axis=2)
    assert per_cell[0, 0] > 10 * per_cell[1, 0] and per_cell[1, 1] > 10 * per_cell[1, 0]


def test_hog_drops_incomplete_cells_and_bins_edges():
    magnitude = np.ones((10, 19))
    orientation = np.zeros((10, 19))
    orientation[:, 8:16] = 179.9
    hist = hog_cell_histograms(magnitude, orientation, cell_size=8, n_bins=9)
    assert hist.shape == (1, 2, 9)
    assert hist[0, 0].tolist() == [64.0] + [0.0] * 8
    assert hist[0, 1, 8] == 64.0
    # 180 degrees is the same unsigned direction as 0
    assert hog_cell_histograms(np.ones((4, 4)), np.full((4, 4), 180.0), cell_size=4)[0, 0, 0] == 16


def test_hog_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        hog_cell_histograms(np.ones((8, 8)), np.ones((8, 9)))
    with pytest.raises(ValueError, match="no complete 8x8 cell"):
        hog_cell_histograms(np.ones((4, 8)), np.ones((4, 8)))
    with pytest.raises(ValueError, match=">= 0"):
        hog_cell_histograms(-np.ones((8, 8)), np.ones((8, 8)))
    with pytest.raises(ValueError, match="n_bins must be a positive integer"):
        hog_cell_histograms(np.ones((8, 8)), np.ones((8, 8)), n_bins=0)
    with pytest.raises(ValueError, match="cell_size must be a positive integer"):
        hog_cell_histograms(np.ones((8, 8)), np.ones((8, 8)), cell_size=2.5)


def test_magnitude_orientation_keeps_the_quadrant():
    magnitude, orientation = magnitude_orientation([4.0, 0.0, -4.0, 3.0, -3.0, 0.0], [0.0, 4.0, 0.0, 3.0, -3.0, -2.0])
    np.testing.assert_allclose(magnitude, [4, 4, 4, np.sqrt(18), np.sqrt(18), 2])
    np.testing.assert_allclose(orientation, [0, 90, 180, 45, -135, -90])
    gx, gy, mag, ori = sobel_gradients(np.random.default_rng(0).random((6, 7)))
    np.testing.assert_array_equal(magnitude_orientation(gx, gy)[1], ori)
    with pytest.raises(ValueError, match="same shape"):
        magnitude_orientation(np.ones(2), np.ones(3))
    with pytest.raises(TypeError, match="None"):
        magnitude_orientation(None, np.ones(3))
