"""Convolution and pooling in NumPy: the tested versions the notebooks teach.

Everything here is *cross-correlation* unless the name says ``convolve`` (the kernel
is then flipped first), because that is what CNN layers compute. Images are 2-D
``(H, W)`` arrays; multi-channel inputs are channels-last ``(H, W, C)`` like Keras.

>>> image = np.array([[5, 8, 0, 4, 8], [3, 9, 2, 9, 2], [4, 9, 2, 3, 6],
...                   [5, 4, 8, 2, 0], [5, 8, 0, 0, 8]])
>>> laplacian = np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]])
>>> correlate2d(image, laplacian).astype(int).tolist()
[[14, -12, 25], [17, -14, -7], [-14, 24, -3]]
>>> correlate2d(image, laplacian, padding=1, stride=2).astype(int).tolist()
[[9, -14, 26], [-1, -14, 19], [7, -16, 32]]
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from course_utils.shapes import conv_output_size, effective_kernel_size


def _as_float_array(name: str, value, ndim) -> np.ndarray:
    """``value`` as float64 after checking it: not None, numbers, ``ndim`` (an int or a tuple of allowed), finite."""
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    expected = " or ".join(f"{n}-D" for n in allowed)
    if value is None:
        raise TypeError(f"{name} is None; expected a {expected} array")
    array = np.asarray(value)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    if array.ndim not in allowed:
        raise ValueError(f"{name} must be {expected}, got shape {array.shape}")
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return array.astype(np.float64, copy=False)  # no copy when it is float64 already; callers never write to it


def _pad_amounts(padding, kernel_shape, dilation, input_shape, stride) -> tuple[tuple[int, int], tuple[int, int]]:
    """Zeros before/after on each axis.

    ``"same"`` follows Keras/TensorFlow: the output has ``ceil(I / S)`` positions and
    any odd padding goes after (bottom/right).
    """
    if padding == "valid":
        padding = 0
    if padding == "same":
        out = []
        for k, size in zip(kernel_shape, input_shape):
            total = max((-(-size // stride) - 1) * stride + effective_kernel_size(k, dilation) - size, 0)
            out.append((total // 2, total - total // 2))
        return tuple(out)
    if isinstance(padding, (int, np.integer)):
        if padding < 0:
            raise ValueError(f"padding must be >= 0, got {padding}")
        return ((int(padding),) * 2,) * 2
    raise ValueError(f"padding must be an int, 'valid' or 'same', got {padding!r}")


def windows2d(image: np.ndarray, kernel_shape, stride: int = 1, dilation: int = 1) -> np.ndarray:
    """All kernel-sized windows of an (already padded) array as a strided view.

    The result has shape ``(out_h, out_w, kh, kw, *rest)`` for input ``(H, W, *rest)``;
    it shares memory with ``image`` (no copy), which is what makes it fast.

    >>> windows2d(np.arange(16).reshape(4, 4), (2, 2), stride=2)[1, 0].tolist()
    [[8, 9], [12, 13]]
    """
    image = np.asarray(image)
    if image.ndim < 2:
        raise ValueError(f"windows2d needs an array with at least 2 axes (H, W, ...), got shape {image.shape}")
    kh, kw = kernel_shape
    span_h, span_w = effective_kernel_size(kh, dilation), effective_kernel_size(kw, dilation)
    if span_h > image.shape[0] or span_w > image.shape[1]:
        raise ValueError(f"a {span_h}x{span_w} window does not fit an input of {image.shape[0]}x{image.shape[1]}")
    view = sliding_window_view(image, (span_h, span_w), axis=(0, 1))  # (oh, ow, *rest, span_h, span_w)
    view = view[::stride, ::stride, ..., ::dilation, ::dilation]
    return np.moveaxis(view, (-2, -1), (2, 3))


def correlate2d(image, kernel, padding=0, stride: int = 1, dilation: int = 1) -> np.ndarray:
    """2-D cross-correlation of one channel: ``out[i, j] = sum(window(i, j) * kernel)``.

    ``padding`` is a number of zeros per side, ``"valid"`` or ``"same"``.

    The Python loop runs over the kernel's few weights, never over pixels: weight
    ``(m, n)`` multiplies the whole input shifted by ``(m, n)`` (a strided slice,
    no copy) and adds it to the output, one block of output rows at a time. For the
    small kernels of CNNs this is several times faster than contracting
    :func:`windows2d` with ``np.einsum``, which computes the same sum, and faster than
    ``scipy.signal.correlate2d`` (see ``benchmarks/bench_conv2d.py``).

    >>> correlate2d(np.arange(16).reshape(4, 4), [[1, 0], [0, -1]]).tolist()
    [[-5.0, -5.0, -5.0], [-5.0, -5.0, -5.0], [-5.0, -5.0, -5.0]]
    """
    image = _as_float_array("image", image, 2)
    kernel = _as_float_array("kernel", kernel, 2)
    pads = _pad_amounts(padding, kernel.shape, dilation, image.shape, stride)
    padded = np.pad(image, pads) if np.any(pads) else image
    # conv_output_size raises a clear error when the kernel does not fit.
    oh, ow = (conv_output_size(padded.shape[axis], kernel.shape[axis], stride, 0, dilation) for axis in (0, 1))
    out = np.zeros((oh, ow))
    # Work in blocks of output rows with one small scratch buffer: the block stays in the CPU
    # cache across the kernel's weights, and no large temporary is allocated per weight.
    block_rows = 64
    product = np.empty((min(block_rows, oh), ow))
    for first in range(0, oh, block_rows):
        last = min(first + block_rows, oh)
        out_block, product_block = out[first:last], product[:last - first]
        for (m, n), weight in np.ndenumerate(kernel):
            top, left = first * stride + m * dilation, n * dilation
            shifted = padded[top:top + (last - first - 1) * stride + 1:stride, left:left + (ow - 1) * stride + 1:stride]
            np.multiply(shifted, weight, out=product_block)
            out_block += product_block
    return out


def convolve2d(image, kernel, padding=0, stride: int = 1, dilation: int = 1) -> np.ndarray:
    """True 2-D convolution: cross-correlation with the kernel flipped in both axes.

    >>> convolve2d(np.eye(3), [[1, 2], [3, 4]]).tolist()
    [[5.0, 2.0], [3.0, 5.0]]
    """
    kernel = _as_float_array("kernel", kernel, 2)
    return correlate2d(image, kernel[::-1, ::-1], padding, stride, dilation)


def correlate2d_loops(image, kernel, padding: int = 0, stride: int = 1) -> np.ndarray:
    """The same as :func:`correlate2d` with explicit Python loops (the benchmark's baseline).

    >>> correlate2d_loops(np.ones((4, 4)), np.ones((3, 3))).tolist()
    [[9.0, 9.0], [9.0, 9.0]]
    """
    image = np.pad(_as_float_array("image", image, 2), padding)
    kernel = _as_float_array("kernel", kernel, 2)
    kh, kw = kernel.shape
    oh = conv_output_size(image.shape[0], kh, stride)
    ow = conv_output_size(image.shape[1], kw, stride)
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            total = 0.0
            for m in range(kh):
                for n in range(kw):
                    total += image[i * stride + m, j * stride + n] * kernel[m, n]
            out[i, j] = total
    return out


def conv2d(x, weights, bias=None, padding=0, stride: int = 1, dilation: int = 1) -> np.ndarray:
    """A convolution layer's forward pass (no activation), channels-last like Keras.

    ``x`` is ``(H, W, C_in)`` or a batch ``(N, H, W, C_in)``; ``weights`` is
    ``(kh, kw, C_in, C_out)`` (Keras' ``Conv2D`` kernel layout); ``bias`` is ``(C_out,)``.

    >>> x = np.ones((6, 6, 3)); w = np.ones((3, 3, 3, 2))
    >>> conv2d(x, w, bias=[1, 0]).shape
    (4, 4, 2)
    """
    x = _as_float_array("x", x, (3, 4))
    batched = x.ndim == 4
    if not batched:
        x = x[None]
    w = _as_float_array("weights", weights, 4)
    kh, kw, c_in, c_out = w.shape
    if x.shape[-1] != c_in:
        raise ValueError(f"x has {x.shape[-1]} channels but the weights expect {c_in} (layout is (kh, kw, C_in, C_out))")
    (pt, pb), (pl, pr) = _pad_amounts(padding, (kh, kw), dilation, x.shape[1:3], stride)
    padded = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    for axis, k in ((1, kh), (2, kw)):
        conv_output_size(padded.shape[axis], k, stride, 0, dilation)  # raises if the kernel does not fit
    win = windows2d(np.moveaxis(padded, 0, -1), (kh, kw), stride, dilation)  # (oh, ow, kh, kw, C_in, N)
    out = np.einsum("ijklcn,klcf->nijf", win, w)
    if bias is not None:
        b = _as_float_array("bias", bias, 1)
        if b.shape != (c_out,):
            raise ValueError(f"bias must have shape ({c_out},), got {b.shape}")
        out = out + b
    return out if batched else out[0]


def pool2d(x, size: int = 2, stride: int | None = None, mode: str = "max", padding=0) -> np.ndarray:
    """Max or average pooling over ``(H, W)`` or channels-last ``(H, W, C)``; stride defaults to size.

    >>> pool2d(np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]), 2).tolist()
    [[6.0, 8.0], [3.0, 4.0]]
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    x = _as_float_array("x", x, (2, 3))
    effective_kernel_size(size)  # raises a clear error for a size that is not a positive integer
    stride = size if stride is None else stride
    pads = _pad_amounts(padding, (size, size), 1, x.shape[:2], stride) + ((0, 0),) * (x.ndim - 2)
    # Max pooling pads with -inf so a padded zero can never win; average pooling counts only real values.
    padded = np.pad(x, pads, constant_values=-np.inf if mode == "max" else np.nan)
    for axis in (0, 1):
        conv_output_size(padded.shape[axis], size, stride)
    win = windows2d(padded, (size, size), stride)
    return win.max(axis=(2, 3)) if mode == "max" else np.nanmean(win, axis=(2, 3))


def correlation_matrix(kernel, image_shape) -> np.ndarray:
    """The valid cross-correlation with ``kernel`` as one matrix: a dense layer whose weights are
    local (zero outside each output's window) and shared (every row holds the same kernel).

    Row ``i * out_w + j`` is output ``(i, j)``: the kernel's weights at the pixels of its window
    in the flattened image, zeros elsewhere, so ``matrix @ image.ravel()`` is
    ``correlate2d(image, kernel).ravel()``. The matrix is doubly block Toeplitz: each block row
    is the one above moved right by one block, each row in a block moved right by one pixel.

    >>> correlation_matrix([[1, 2], [3, 4]], (2, 3)).astype(int).tolist()
    [[1, 2, 0, 3, 4, 0], [0, 1, 2, 0, 3, 4]]
    """
    k = _as_float_array("kernel", kernel, 2)
    if (not isinstance(image_shape, (tuple, list)) or len(image_shape) != 2
            or not all(isinstance(n, (int, np.integer)) and n > 0 for n in image_shape)):
        raise ValueError(f"image_shape must be (height, width) of positive integers, got {image_shape!r}")
    height, width = (int(n) for n in image_shape)
    kh, kw = k.shape
    out_h, out_w = conv_output_size(height, kh), conv_output_size(width, kw)
    matrix = np.zeros((out_h * out_w, height * width))
    for i in range(out_h):
        for j in range(out_w):
            window = np.zeros((height, width))
            window[i:i + kh, j:j + kw] = k
            matrix[i * out_w + j] = window.ravel()
    return matrix


def shift2d(image, dy: int, dx: int) -> np.ndarray:
    """``image`` moved ``dy`` pixels down and ``dx`` right (negative: up, left); zeros come in, what leaves is lost.

    Unlike ``np.roll`` nothing wraps around, so a pattern near one border does not appear at the other.

    >>> shift2d(np.arange(1, 10).reshape(3, 3), 1, -1).astype(int).tolist()
    [[0, 0, 0], [2, 3, 0], [5, 6, 0]]
    """
    a = _as_float_array("image", image, (2, 3))
    for name, amount in (("dy", dy), ("dx", dx)):
        if isinstance(amount, bool) or not isinstance(amount, (int, np.integer)):
            raise TypeError(f"{name} must be an integer number of pixels, got {amount!r}")
    out = np.zeros_like(a)
    height, width = a.shape[:2]
    if abs(dy) < height and abs(dx) < width:
        out[max(dy, 0):height + min(dy, 0), max(dx, 0):width + min(dx, 0)] = \
            a[max(-dy, 0):height - max(dy, 0), max(-dx, 0):width - max(dx, 0)]
    return out
