"""Classic image filters: the hand-made kernels that CNN filters learn to resemble.

Kernels are written the image-processing way, for *true convolution* (the kernel is
flipped before it slides), and :func:`filter_image` applies them that way. Smoothing
kernels sum to 1 (a flat image keeps its value); differential kernels sum to 0 (a
flat image gives 0). Axes follow the image: ``x`` runs along columns (to the right),
``y`` along rows (downwards).

>>> {name: round(float(k.sum()), 6) for name, k in KERNELS.items() if name != "identity"}
{'box': 1.0, 'gaussian': 1.0, 'sharpen': 1.0, 'laplacian': 0.0, 'sobel_x': 0.0, 'sobel_y': 0.0}
>>> step = np.repeat([[0, 0, 0, 1, 1, 1]], 4, axis=0).astype(float)   # dark left, bright right
>>> gx, gy, magnitude, orientation = sobel_gradients(step)
>>> gx[0].tolist(), float(orientation[0, 2])
([0.0, 0.0, 4.0, 4.0, 0.0, 0.0], 0.0)
"""
from __future__ import annotations

import numpy as np

from course_utils.conv import _as_float_array, convolve2d
from course_utils.shapes import same_padding

BORDERS = ("zero", "replicate")


def _check_odd_size(size) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise TypeError(f"size must be an odd integer, got {type(size).__name__} {size!r}")
    if size < 1 or size % 2 == 0:
        raise ValueError(f"size must be a positive odd integer (the kernel needs a centre), got {size}")
    return int(size)


def gaussian_kernel(size: int = 5, sigma: float = 1.0) -> np.ndarray:
    """A ``size x size`` Gaussian blur kernel, normalised to sum to 1.

    ``g[i, j] ∝ exp(-(u_i² + v_j²) / (2 sigma²))`` with ``u, v`` measured from the centre.

    >>> k = gaussian_kernel(3, sigma=1.0)
    >>> k.round(4).tolist()
    [[0.0751, 0.1238, 0.0751], [0.1238, 0.2042, 0.1238], [0.0751, 0.1238, 0.0751]]
    >>> round(float(k.sum()), 12)
    1.0
    """
    size = _check_odd_size(size)
    if sigma is None or not np.isfinite(sigma) or sigma <= 0:
        raise ValueError(f"sigma must be a finite number > 0, got {sigma!r}")
    u = np.arange(size) - size // 2
    g = np.exp(-(u[:, None] ** 2 + u[None, :] ** 2) / (2.0 * sigma**2))
    return g / g.sum()


KERNELS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=float),
    # the A³ TensorFlow-Keras lecture's "Avg. filter": 1/9 * ones(3, 3)
    "box": np.ones((3, 3)) / 9.0,
    "gaussian": gaussian_kernel(5, sigma=1.0),
    # identity + (identity - blur): boosts what differs from the neighbours
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float),
    # the same lecture's Laplacian (centre positive)
    "laplacian": np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]], dtype=float),
    # the usual Sobel kernels (as that lecture prints them), written for true convolution: they give +d/dx and +d/dy
    "sobel_x": np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float),
    "sobel_y": np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype=float),
}
"""The named kernels of the course (read-only by convention: copy before changing one)."""

SMOOTHING = ("box", "gaussian")
DIFFERENTIAL = ("laplacian", "sobel_x", "sobel_y")
RESIZABLE = ("box", "gaussian")


def make_kernel(name: str, size: int = 3) -> np.ndarray:
    """A named kernel at a given odd size: ``box`` and ``gaussian`` come in any size, the others are 3x3.

    The Gaussian's sigma grows with its size (``sigma = size / 5``) so a bigger kernel blurs more.

    >>> make_kernel("box", 5).shape, float(make_kernel("box", 5).sum())
    ((5, 5), 1.0)
    >>> make_kernel("sobel_x").tolist()[1]
    [2.0, 0.0, -2.0]
    """
    if name not in KERNELS:
        raise ValueError(f"unknown kernel {name!r}; expected one of {sorted(KERNELS)}")
    if name == "box":
        size = _check_odd_size(size)
        return np.ones((size, size)) / size**2
    if name == "gaussian":
        return gaussian_kernel(size, sigma=size / 5.0)
    if size != 3:
        raise ValueError(f"the {name!r} kernel is 3x3 only, got size={size}; only {RESIZABLE} can be resized")
    return KERNELS[name].copy()


def filter_image(image, kernel, border: str = "replicate") -> np.ndarray:
    """Convolve a 2-D image with a kernel, keeping its size (``"same"`` output).

    ``border="zero"`` pads with zeros (what ``convolve2d(..., padding="same")`` does:
    a bright image then looks dark outside its frame); ``border="replicate"``
    copies the nearest edge pixel outward, so the frame itself is not an edge.

    >>> flat = np.full((4, 4), 0.5)
    >>> filter_image(flat, KERNELS["laplacian"], border="zero")[0].tolist()
    [1.0, 0.5, 0.5, 1.0]
    >>> filter_image(flat, KERNELS["laplacian"], border="replicate")[0].tolist()
    [0.0, 0.0, 0.0, 0.0]
    """
    image = _as_float_array("image", image, 2)
    kernel = _as_float_array("kernel", kernel, 2)
    if border not in BORDERS:
        raise ValueError(f"border must be one of {BORDERS}, got {border!r}")
    if kernel.shape[0] % 2 == 0 or kernel.shape[1] % 2 == 0:
        raise ValueError(f"kernel must have odd height and width (a centre pixel), got shape {kernel.shape}")
    if border == "zero":
        return convolve2d(image, kernel, padding="same")
    pad_h, pad_w = same_padding(kernel.shape[0]), same_padding(kernel.shape[1])
    padded = np.pad(image, ((pad_h, pad_h), (pad_w, pad_w)), mode="edge")
    return convolve2d(padded, kernel)


def sobel_gradients(image, border: str = "replicate"):
    """Image gradients with the course's Sobel kernels: ``(gx, gy, magnitude, orientation)``.

    ``gx`` is positive where the image gets brighter to the right, ``gy`` where it gets
    brighter downwards; ``magnitude = sqrt(gx² + gy²)`` (a unit step gives 4) and
    ``orientation = atan2(gy, gx)`` in degrees, in (-180, 180], pointing from dark to bright.

    >>> ramp = np.tile(np.arange(5.0), (5, 1))         # brighter to the right by 1 per pixel
    >>> gx, gy, magnitude, orientation = sobel_gradients(ramp)
    >>> float(gx[2, 2]), float(gy[2, 2]), float(magnitude[2, 2]), float(orientation[2, 2])
    (8.0, 0.0, 8.0, 0.0)
    """
    gx = filter_image(image, KERNELS["sobel_x"], border)
    gy = filter_image(image, KERNELS["sobel_y"], border)
    magnitude, orientation = magnitude_orientation(gx, gy)
    return gx, gy, magnitude, orientation


def magnitude_orientation(gx, gy):
    """Length ``sqrt(gx² + gy²)`` and direction ``atan2(gy, gx)`` in degrees, in (-180, 180], of gradient vectors.

    ``atan2`` takes ``gy`` first and keeps the quadrant (``arctan(gy / gx)`` cannot tell
    (1, 1) from (-1, -1)). Since ``y`` points down the rows, 90° means brighter below.

    >>> magnitude, orientation = magnitude_orientation([3.0, 0.0, -4.0], [4.0, 2.0, 0.0])
    >>> magnitude.tolist(), orientation.tolist()
    ([5.0, 2.0, 4.0], [53.13010235415598, 90.0, 180.0])
    """
    gx = _as_float_array("gx", gx, np.ndim(gx) if gx is not None else 1)
    gy = _as_float_array("gy", gy, np.ndim(gy) if gy is not None else 1)
    if gx.shape != gy.shape:
        raise ValueError(f"gx {gx.shape} and gy {gy.shape} must have the same shape")
    return np.hypot(gx, gy), np.degrees(np.arctan2(gy, gx))


def edge_map(image, threshold: float = 0.5, blur_sigma: float | None = None, border: str = "replicate") -> np.ndarray:
    """Boolean edge map: Sobel gradient magnitude above ``threshold``.

    ``blur_sigma`` first smooths the image with a Gaussian (size ``2 * ceil(3 sigma) + 1``),
    which keeps noise from being differentiated into spurious edges.

    >>> step = np.repeat([[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]], 3, axis=0)
    >>> edge_map(step, threshold=1.0).astype(int).tolist()
    [[0, 0, 1, 1, 0, 0], [0, 0, 1, 1, 0, 0], [0, 0, 1, 1, 0, 0]]
    """
    if threshold is None or not np.isfinite(threshold) or threshold < 0:
        raise ValueError(f"threshold must be a finite number >= 0, got {threshold!r}")
    if blur_sigma is not None:
        if not np.isfinite(blur_sigma) or blur_sigma <= 0:
            raise ValueError(f"blur_sigma must be None or a finite number > 0, got {blur_sigma!r}")
        image = filter_image(image, gaussian_kernel(2 * int(np.ceil(3 * blur_sigma)) + 1, blur_sigma), border)
    return sobel_gradients(image, border)[2] > threshold


def hog_cell_histograms(magnitude, orientation, cell_size: int = 8, n_bins: int = 9) -> np.ndarray:
    """Histograms of oriented gradients (HOG) per cell, weighted by gradient magnitude.

    Orientations are *unsigned* (a dark-to-bright edge and a bright-to-dark edge with the same
    direction count alike): folded into [0, 180) degrees and split into ``n_bins`` equal bins
    (bin ``k`` holds ``[k, k + 1) * 180 / n_bins``). Each ``cell_size x cell_size`` cell gets one
    histogram; pixels of a last, incomplete cell are left out. Returns
    ``(rows // cell_size, cols // cell_size, n_bins)``. (Dalal and Triggs' full HOG also
    interpolates between bins and normalises blocks of cells; this is the core idea.)

    >>> mag, ori = np.ones((8, 8)), np.full((8, 8), 90.0)          # vertical gradients everywhere
    >>> hog_cell_histograms(mag, ori)[0, 0].tolist()
    [0.0, 0.0, 0.0, 0.0, 64.0, 0.0, 0.0, 0.0, 0.0]
    """
    magnitude = _as_float_array("magnitude", magnitude, 2)
    orientation = _as_float_array("orientation", orientation, 2)
    if magnitude.shape != orientation.shape:
        raise ValueError(f"magnitude {magnitude.shape} and orientation {orientation.shape} must have the same shape")
    if (magnitude < 0).any():
        raise ValueError("magnitude must be >= 0 everywhere (it is a length)")
    for name, value in (("cell_size", cell_size), ("n_bins", n_bins)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    rows, cols = magnitude.shape[0] // cell_size, magnitude.shape[1] // cell_size
    if rows == 0 or cols == 0:
        raise ValueError(f"an image of shape {magnitude.shape} holds no complete {cell_size}x{cell_size} cell")
    bin_width = 180.0 / n_bins
    bins = np.minimum((np.mod(orientation, 180.0) // bin_width).astype(int), n_bins - 1)
    bins = bins[: rows * cell_size, : cols * cell_size]
    weights = magnitude[: rows * cell_size, : cols * cell_size]
    cell_index = (np.arange(rows * cell_size) // cell_size)[:, None] * cols + np.arange(cols * cell_size) // cell_size
    flat = np.zeros(rows * cols * n_bins)
    np.add.at(flat, (cell_index * n_bins + bins).ravel(), weights.ravel())
    return flat.reshape(rows, cols, n_bins)
