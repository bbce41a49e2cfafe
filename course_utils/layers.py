"""The layers of a small CNN in NumPy, forward *and* backward: the course's trusted reference.

Shapes are channels-last like Keras: images ``(N, H, W, C)``, convolution weights
``(kh, kw, C_in, C_out)`` (Keras' ``Conv2D`` kernel layout), dense weights
``(in_features, out_features)``. Everything is computed in float64, which the
numerical gradient checks need.

Every layer has two methods, NumPy arrays in and NumPy arrays out:

* ``forward(x) -> out`` computes the output and remembers what the backward pass needs;
* ``backward(dout) -> dx`` takes the gradient of the loss with respect to the output and
  returns it with respect to the input. Layers with parameters ``W`` and ``b`` also
  store ``dW`` and ``db`` (same shapes), which :class:`SGD` then uses.

>>> x = np.random.default_rng(0).normal(size=(2, 6, 6, 3))
>>> model = Sequential([Conv2D.initialize(3, 4, 3, seed=0), ReLU(), MaxPool2D(2),
...                     Flatten(), Dense.initialize(4 * 2 * 2, 10, seed=1)])
>>> logits = model.forward(x)
>>> logits.shape
(2, 10)
>>> loss, dlogits = softmax_cross_entropy(logits, np.array([3, 7]))
>>> model.backward(dlogits).shape, model.layers[0].dW.shape
((2, 6, 6, 3), (3, 3, 3, 4))
"""
from __future__ import annotations

import numpy as np

from course_utils.activations import log_softmax
from course_utils.conv import _as_float_array, _pad_amounts, windows2d
from course_utils.shapes import conv_output_size

IMAGES = "(N, H, W, C)"


# --------------------------------------------------------------------------- helpers

def _as_batch(x, who: str, ndim: int = 4, layout: str = IMAGES) -> np.ndarray:
    """``x`` as a float64 batch, or a one-line error naming the layer and the expected layout."""
    if x is not None and not isinstance(x, (str, bytes)) and np.ndim(x) == ndim - 1:
        raise ValueError(f"{who} expects a batch {layout}, got shape {np.shape(x)}; add a batch axis with x[None]")
    return _as_float_array(f"{who} input {layout}", x, ndim)


def _kernel_hw(kernel_size) -> tuple[int, int]:
    kh, kw = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else tuple(kernel_size)
    for k in (kh, kw):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"kernel_size must be a positive int or a pair of them, got {kernel_size!r}")
    return int(kh), int(kw)


def _check_stride_padding(stride, padding) -> None:
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError(f"stride must be a positive int, got {stride!r}")
    if not (padding in ("valid", "same") or (isinstance(padding, (int, np.integer)) and not isinstance(padding, bool)
                                              and padding >= 0)):
        raise ValueError(f"padding must be an int >= 0, 'valid' or 'same', got {padding!r}")


def _geometry(x_shape, kernel_size, stride, padding):
    """Padding amounts and output size of a window sliding over ``x_shape = (N, H, W, C)``."""
    _check_stride_padding(stride, padding)
    kh, kw = _kernel_hw(kernel_size)
    pads = _pad_amounts(padding, (kh, kw), 1, x_shape[1:3], stride)
    oh = conv_output_size(x_shape[1] + sum(pads[0]), kh, stride)  # raises if the kernel does not fit
    ow = conv_output_size(x_shape[2] + sum(pads[1]), kw, stride)
    return (kh, kw), pads, (oh, ow)


def _need_forward(cache, who: str):
    if cache is None:
        raise RuntimeError(f"{who}.backward() was called before {who}.forward()")
    return cache


def _as_dout(dout, expected_shape, who: str) -> np.ndarray:
    dout = _as_float_array(f"{who}.backward dout", dout, len(expected_shape))
    if dout.shape != tuple(expected_shape):
        raise ValueError(f"{who}.backward expects dout with the forward output's shape {tuple(expected_shape)}, "
                         f"got {dout.shape}")
    return dout


def _he_normal(shape, fan_in: int, seed) -> np.ndarray:
    # He initialisation keeps the activations' variance steady through ReLU layers.
    return np.random.default_rng(seed).normal(0.0, np.sqrt(2.0 / fan_in), size=shape)


# --------------------------------------------------------------------------- im2col / col2im

def im2col(x, kernel_size, stride: int = 1, padding=0) -> np.ndarray:
    """Unroll every receptive-field patch of a batch into one row of a matrix.

    ``x`` is ``(N, H, W, C)``; the result is ``(N * oh * ow, kh * kw * C)``. Row
    ``(n * oh + i) * ow + j`` is the patch that produces output position ``(i, j)`` of
    image ``n``; its columns run in ``(kh, kw, C)`` order, the order of
    ``weights.reshape(-1, C_out)``, so a convolution is one matrix product:
    ``im2col(x, k) @ weights.reshape(-1, C_out)``.
    ``padding`` is zeros per side, ``"valid"`` or ``"same"`` (as in Keras).

    >>> x = np.arange(16).reshape(1, 4, 4, 1)        # one 4x4 image, one channel
    >>> im2col(x, 3).astype(int).tolist()            # four 3x3 patches -> four rows
    [[0, 1, 2, 4, 5, 6, 8, 9, 10], [1, 2, 3, 5, 6, 7, 9, 10, 11], [4, 5, 6, 8, 9, 10, 12, 13, 14], [5, 6, 7, 9, 10, 11, 13, 14, 15]]
    >>> im2col(np.ones((2, 5, 5, 3)), 3, stride=2, padding=1).shape
    (18, 27)
    """
    x = _as_batch(x, "im2col")
    (kh, kw), pads, (oh, ow) = _geometry(x.shape, kernel_size, stride, padding)
    padded = np.pad(x, ((0, 0), *pads, (0, 0)))
    win = windows2d(np.moveaxis(padded, 0, 2), (kh, kw), stride)  # (oh, ow, kh, kw, N, C), a view
    return win.transpose(4, 0, 1, 2, 3, 5).reshape(x.shape[0] * oh * ow, kh * kw * x.shape[3])


def col2im(cols, x_shape, kernel_size, stride: int = 1, padding=0) -> np.ndarray:
    """The adjoint of :func:`im2col`: add every row back onto the patch it came from.

    Returns an array of shape ``x_shape = (N, H, W, C)``. Where patches overlap the
    values are *summed*, which is exactly what the backward pass needs (a pixel that
    fed several outputs collects gradient from each), and why ``col2im(im2col(x))``
    is not ``x`` but ``x`` times the number of patches covering each pixel.

    >>> counts = col2im(np.ones((4, 9)), (1, 4, 4, 1), 3)   # how many patches cover each pixel
    >>> counts[0, :, :, 0].astype(int).tolist()
    [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]
    """
    if np.ndim(x_shape) != 1 or len(x_shape) != 4:
        raise ValueError(f"x_shape must be the input's shape {IMAGES}, got {x_shape!r}")
    n, h, w, c = (int(s) for s in x_shape)
    (kh, kw), pads, (oh, ow) = _geometry((n, h, w, c), kernel_size, stride, padding)
    cols = _as_float_array("col2im cols", cols, 2)
    expected = (n * oh * ow, kh * kw * c)
    if cols.shape != expected:
        raise ValueError(f"col2im expects cols of shape {expected} for x_shape {tuple(x_shape)}, got {cols.shape}")
    patches = cols.reshape(n, oh, ow, kh, kw, c)
    padded = np.zeros((n, h + sum(pads[0]), w + sum(pads[1]), c))
    for di in range(kh):  # kh * kw vectorised adds: one per position inside the kernel
        for dj in range(kw):
            padded[:, di:di + stride * oh:stride, dj:dj + stride * ow:stride, :] += patches[:, :, :, di, dj, :]
    (top, _), (left, _) = pads
    return padded[:, top:top + h, left:left + w, :]


# --------------------------------------------------------------------------- layers

class Conv2D:
    """A convolution layer (cross-correlation, like every CNN library) computed with im2col.

    ``weights`` is ``(kh, kw, C_in, C_out)``, ``bias`` is ``(C_out,)`` (zeros if None),
    ``padding`` is zeros per side, ``"valid"`` or ``"same"``. Forward::

        out = im2col(x) @ W.reshape(-1, C_out) + b          # (N*oh*ow, C_out), reshaped to (N, oh, ow, C_out)

    Backward, with ``D = dout.reshape(-1, C_out)`` and ``X = im2col(x)`` kept from forward::

        dW = (X.T @ D).reshape(W.shape)    db = D.sum(axis=0)    dx = col2im(D @ W.reshape(-1, C_out).T)

    >>> layer = Conv2D(np.ones((3, 3, 1, 1)), bias=[1.0])
    >>> layer.forward(np.ones((1, 4, 4, 1)))[0, :, :, 0].tolist()
    [[10.0, 10.0], [10.0, 10.0]]
    >>> layer.backward(np.ones((1, 2, 2, 1)))[0, :, :, 0].astype(int).tolist()
    [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]
    >>> layer.dW[:, :, 0, 0].tolist(), layer.db.tolist()
    ([[4.0, 4.0, 4.0], [4.0, 4.0, 4.0], [4.0, 4.0, 4.0]], [4.0])
    """

    def __init__(self, weights, bias=None, stride: int = 1, padding=0):
        self.W = _as_float_array("Conv2D weights (kh, kw, C_in, C_out)", weights, 4).copy()
        c_out = self.W.shape[3]
        if bias is None:
            self.b = np.zeros(c_out)
        else:
            self.b = _as_float_array("Conv2D bias (C_out,)", bias, 1).copy()
            if self.b.shape != (c_out,):
                raise ValueError(f"Conv2D bias must have shape ({c_out},) to match weights {self.W.shape}, got {self.b.shape}")
        _check_stride_padding(stride, padding)
        self.stride, self.padding = stride, padding
        self.dW = self.db = None
        self._cache = None

    @classmethod
    def initialize(cls, in_channels: int, filters: int, kernel_size=3, stride: int = 1, padding=0, seed=0):
        """A layer with He-normal random weights and zero bias (what training starts from)."""
        kh, kw = _kernel_hw(kernel_size)
        return cls(_he_normal((kh, kw, in_channels, filters), kh * kw * in_channels, seed), None, stride, padding)

    def forward(self, x) -> np.ndarray:
        x = _as_batch(x, "Conv2D")
        kh, kw, c_in, c_out = self.W.shape
        if x.shape[3] != c_in:
            raise ValueError(f"Conv2D expects {c_in} input channels (weights {self.W.shape} are (kh, kw, C_in, C_out)), "
                             f"got x with shape {x.shape}")
        _, _, (oh, ow) = _geometry(x.shape, (kh, kw), self.stride, self.padding)
        cols = im2col(x, (kh, kw), self.stride, self.padding)
        out = cols @ self.W.reshape(-1, c_out) + self.b
        out_shape = (x.shape[0], oh, ow, c_out)
        self._cache = (x.shape, cols, out_shape)
        return out.reshape(out_shape)

    def backward(self, dout) -> np.ndarray:
        x_shape, cols, out_shape = _need_forward(self._cache, "Conv2D")
        c_out = self.W.shape[3]
        d2 = _as_dout(dout, out_shape, "Conv2D").reshape(-1, c_out)
        self.dW = (cols.T @ d2).reshape(self.W.shape)
        self.db = d2.sum(axis=0)
        return col2im(d2 @ self.W.reshape(-1, c_out).T, x_shape, self.W.shape[:2], self.stride, self.padding)


class ReLU:
    """``max(x, 0)``; its gradient lets ``dout`` through where ``x > 0`` and blocks it elsewhere (also at 0).

    >>> relu = ReLU()
    >>> relu.forward(np.array([[-2.0, 0.0, 3.0]])).tolist(), relu.backward(np.array([[5.0, 5.0, 5.0]])).tolist()
    ([[0.0, 0.0, 3.0]], [[0.0, 0.0, 5.0]])
    """

    def __init__(self):
        self._mask = None

    def forward(self, x) -> np.ndarray:
        x = _as_float_array("ReLU input", x, max(np.ndim(x), 1))
        self._mask = x > 0
        return np.where(self._mask, x, 0.0)

    def backward(self, dout) -> np.ndarray:
        mask = _need_forward(self._mask, "ReLU")
        return np.where(mask, _as_dout(dout, mask.shape, "ReLU"), 0.0)


class MaxPool2D:
    """Max pooling over ``size x size`` windows with stride ``size`` (Keras' default, "valid").

    Forward keeps, for every output, *which* input won (``self.argmax``: the index
    ``r * size + c`` inside its window); backward sends each ``dout`` value to that one
    position and zero to the others. Ties go to the first maximum in row-major order
    (as ``np.argmax``). Rows/columns that do not fill a whole window are dropped, as
    in Keras, and get zero gradient. With ``stride < size`` (overlapping pooling) an
    input that wins several windows collects the sum of their gradients.

    >>> pool = MaxPool2D(2)
    >>> x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]).reshape(1, 4, 4, 1)
    >>> pool.forward(x)[0, :, :, 0].tolist()
    [[6.0, 8.0], [3.0, 4.0]]
    >>> pool.backward(np.ones((1, 2, 2, 1)))[0, :, :, 0].astype(int).tolist()
    [[0, 0, 0, 0], [0, 1, 0, 1], [1, 0, 0, 0], [0, 0, 0, 1]]
    >>> overlapping = MaxPool2D(3, stride=1)         # the slides' 3x3 pooling over a 5x5 feature map
    >>> x5 = np.array([[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]])
    >>> overlapping.forward(x5.reshape(1, 5, 5, 1))[0, :, :, 0].astype(int).tolist()
    [[3, 3, 3], [3, 3, 3], [3, 2, 3]]
    """

    def __init__(self, size: int = 2, stride: int | None = None):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"MaxPool2D size must be a positive int, got {size!r}")
        stride = size if stride is None else stride
        if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 1:
            raise ValueError(f"MaxPool2D stride must be a positive int (or None for stride = size), got {stride!r}")
        self.size, self.stride = int(size), int(stride)
        self.argmax = None
        self._x_shape = None

    def _windows(self, x):
        """``(N, oh, ow, C, size*size)``: each window's values flattened row by row."""
        n, h, w, c = x.shape
        s, t = self.size, self.stride
        if h < s or w < s:
            raise ValueError(f"MaxPool2D({s}) needs inputs of at least {s}x{s}, got shape {x.shape}")
        if t == s:  # non-overlapping windows: a reshape, no copy of each window
            oh, ow = h // s, w // s
            crop = x[:, :oh * s, :ow * s, :].reshape(n, oh, s, ow, s, c)
            return crop.transpose(0, 1, 3, 5, 2, 4).reshape(n, oh, ow, c, s * s)
        win = windows2d(np.moveaxis(x, 0, 2), (s, s), t)  # (oh, ow, s, s, N, C), a view
        oh, ow = win.shape[:2]
        return win.transpose(4, 0, 1, 5, 2, 3).reshape(n, oh, ow, c, s * s)

    def forward(self, x) -> np.ndarray:
        x = _as_batch(x, "MaxPool2D")
        win = self._windows(x)
        self.argmax = win.argmax(axis=-1)
        self._x_shape = x.shape
        return np.take_along_axis(win, self.argmax[..., None], axis=-1)[..., 0]

    def backward(self, dout) -> np.ndarray:
        x_shape = _need_forward(self._x_shape, "MaxPool2D")
        dout = _as_dout(dout, self.argmax.shape, "MaxPool2D")
        n, oh, ow, c = dout.shape
        s = self.size
        dwin = np.zeros((n, oh, ow, c, s * s))
        np.put_along_axis(dwin, self.argmax[..., None], dout[..., None], axis=-1)
        dx = np.zeros(x_shape)
        t = self.stride
        if t == s:
            dx[:, :oh * s, :ow * s, :] = dwin.reshape(n, oh, ow, c, s, s).transpose(0, 1, 4, 2, 5, 3).reshape(
                n, oh * s, ow * s, c)
            return dx
        dwin = dwin.reshape(n, oh, ow, c, s, s)
        for di in range(s):  # overlapping windows: += so that an input winning several windows sums their gradients
            for dj in range(s):
                dx[:, di:di + t * (oh - 1) + 1:t, dj:dj + t * (ow - 1) + 1:t, :] += dwin[..., di, dj]
        return dx


class Flatten:
    """``(N, ...) -> (N, features)`` in C order (as Keras' ``Flatten`` for channels-last); backward reshapes back.

    >>> flat = Flatten()
    >>> flat.forward(np.zeros((2, 3, 3, 4))).shape, flat.backward(np.zeros((2, 36))).shape
    ((2, 36), (2, 3, 3, 4))
    """

    def __init__(self):
        self._x_shape = None

    def forward(self, x) -> np.ndarray:
        if x is not None and np.ndim(x) < 2:
            raise ValueError(f"Flatten expects a batch (N, ...) with at least 2 axes, got shape {np.shape(x)}")
        x = _as_float_array("Flatten input (N, ...)", x, np.ndim(x) if x is not None else 2)
        self._x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout) -> np.ndarray:
        x_shape = _need_forward(self._x_shape, "Flatten")
        return _as_dout(dout, (x_shape[0], int(np.prod(x_shape[1:]))), "Flatten").reshape(x_shape)


class Dense:
    """A fully connected layer ``out = x @ W + b`` with ``W`` of shape ``(in_features, out_features)``.

    Backward: ``dW = x.T @ dout``, ``db = dout.sum(axis=0)``, ``dx = dout @ W.T``.

    >>> dense = Dense(np.eye(2), bias=[0.5, -0.5])
    >>> dense.forward(np.array([[1.0, 2.0]])).tolist(), dense.backward(np.array([[1.0, 0.0]])).tolist()
    ([[1.5, 1.5]], [[1.0, 0.0]])
    """

    def __init__(self, weights, bias=None):
        self.W = _as_float_array("Dense weights (in_features, out_features)", weights, 2).copy()
        if bias is None:
            self.b = np.zeros(self.W.shape[1])
        else:
            self.b = _as_float_array("Dense bias (out_features,)", bias, 1).copy()
            if self.b.shape != (self.W.shape[1],):
                raise ValueError(f"Dense bias must have shape ({self.W.shape[1]},) to match weights {self.W.shape}, "
                                 f"got {self.b.shape}")
        self.dW = self.db = None
        self._x = None

    @classmethod
    def initialize(cls, in_features: int, out_features: int, seed=0):
        """A layer with He-normal random weights and zero bias."""
        return cls(_he_normal((in_features, out_features), in_features, seed))

    def forward(self, x) -> np.ndarray:
        x = _as_batch(x, "Dense", ndim=2, layout="(N, features)")
        if x.shape[1] != self.W.shape[0]:
            raise ValueError(f"Dense expects {self.W.shape[0]} input features (weights {self.W.shape}), got x with shape {x.shape}")
        self._x = x
        return x @ self.W + self.b

    def backward(self, dout) -> np.ndarray:
        x = _need_forward(self._x, "Dense")
        dout = _as_dout(dout, (x.shape[0], self.W.shape[1]), "Dense")
        self.dW = x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class Sequential:
    """Layers applied one after the other; ``backward`` runs them in reverse order (the chain rule).

    >>> model = Sequential([Flatten(), Dense(np.ones((4, 1)))])
    >>> model.forward(np.ones((1, 2, 2))).tolist(), model.backward(np.ones((1, 1))).shape
    ([[4.0]], (1, 2, 2))
    """

    def __init__(self, layers):
        self.layers = list(layers)
        for layer in self.layers:
            if not (hasattr(layer, "forward") and hasattr(layer, "backward")):
                raise TypeError(f"Sequential needs layers with forward() and backward(), got {type(layer).__name__}")

    def forward(self, x) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout) -> np.ndarray:
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout


# --------------------------------------------------------------------------- loss and optimiser

def softmax_cross_entropy(logits, labels) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer labels, and its gradient.

    ``loss = -mean_n log p[n, labels[n]]`` with ``p = softmax(logits)`` (row-wise);
    ``dlogits = (p - onehot(labels)) / N``. Computed with the log-sum-exp shift,
    so large logits do not overflow.

    >>> loss, dlogits = softmax_cross_entropy(np.zeros((1, 4)), np.array([2]))
    >>> round(loss, 4), dlogits.tolist()     # uniform guess over 4 classes: log(4)
    (1.3863, [[0.25, 0.25, -0.75, 0.25]])
    """
    logits = _as_batch(logits, "softmax_cross_entropy logits", ndim=2, layout="(N, classes)")
    labels = np.asarray(labels)
    n, k = logits.shape
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be {n} integer class indices, shape ({n},), got {labels.dtype} shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"labels must lie in [0, {k - 1}] for {k} classes, got values {labels.min()}..{labels.max()}")
    log_p = log_softmax(logits, axis=1)
    rows = np.arange(n)
    loss = -log_p[rows, labels].mean()
    dlogits = np.exp(log_p)
    dlogits[rows, labels] -= 1.0
    return float(loss), dlogits / n


class SGD:
    """Plain stochastic gradient descent: ``p -= learning_rate * dp`` for every layer's ``W`` and ``b``.

    ``momentum > 0`` keeps a running velocity ``v = momentum * v - learning_rate * dp; p += v``.
    Parameters are updated in place.

    >>> dense = Dense(np.ones((2, 1))); _ = dense.forward(np.ones((1, 2))); _ = dense.backward(np.ones((1, 1)))
    >>> SGD(0.5).step([dense]); dense.W.ravel().tolist(), dense.b.tolist()
    ([0.5, 0.5], [-0.5])
    """

    def __init__(self, learning_rate: float = 0.1, momentum: float = 0.0):
        if not (np.isfinite(learning_rate) and learning_rate > 0):
            raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
        if not (0 <= momentum < 1):
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.learning_rate, self.momentum = float(learning_rate), float(momentum)
        self._velocity: dict[tuple[int, str], np.ndarray] = {}

    def step(self, layers) -> None:
        """Update the parameters of ``layers`` (a list or a :class:`Sequential`) from their last backward pass."""
        for layer in getattr(layers, "layers", layers):
            for name in ("W", "b"):
                if not hasattr(layer, name):
                    continue
                grad = getattr(layer, "d" + name)
                if grad is None:
                    raise RuntimeError(f"{type(layer).__name__}.d{name} is None: call backward() before SGD.step()")
                param = getattr(layer, name)
                if self.momentum:
                    v = self._velocity.setdefault((id(layer), name), np.zeros_like(param))
                    v *= self.momentum
                    v -= self.learning_rate * grad
                    param += v
                else:
                    param -= self.learning_rate * grad


# --------------------------------------------------------------------------- gradient checking

def numerical_gradient(f, x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Centred differences ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for every entry ``i`` of ``x``.

    ``f(x)`` must return a number. ``x`` must be a float64 array: it is perturbed *in
    place* and restored, so ``f`` may also read it through a closure (a layer's ``W``).
    The error is ``O(eps**2)`` where ``f`` is smooth; at a kink (ReLU at 0, a tie in a
    max) the numerical and the analytic gradient may legitimately differ.

    >>> numerical_gradient(lambda v: float((v ** 2).sum()), np.array([1.0, -2.0])).round(6).tolist()
    [2.0, -4.0]
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        got = f"{x.dtype} array" if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"x must be a float64 NumPy array (perturbed in place; float32 is too coarse), got {got}")
    if not np.isfinite(x).all():
        raise ValueError("x contains NaN or infinity")
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        f_plus = float(f(x))
        x[index] = original - eps
        f_minus = float(f(x))
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * eps)
    if not np.isfinite(grad).all():
        raise ValueError("f returned NaN or infinity during the gradient check")
    return grad


def relative_error(a, b) -> float:
    """``||a - b|| / (||a|| + ||b||)``: 0 when equal, about 1e-10 for a correct float64 gradient (0 if both are 0).

    >>> relative_error([1.0, 2.0], [1.0, 2.0]), round(relative_error([1.0], [1.1]), 4)
    (0.0, 0.0476)
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error needs equal shapes, got {a.shape} and {b.shape}")
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def max_relative_error(a, b, floor: float = 1e-8) -> float:
    """The worst element: ``max_i |a_i - b_i| / max(|a_i| + |b_i|, floor)`` (0 for equal arrays).

    Stricter than :func:`relative_error`, which one large entry can dominate: here a
    single wrong entry shows. ``floor`` keeps entries where both are (nearly) 0 from
    dividing by zero, so avoid test inputs whose true gradient has such entries.

    >>> max_relative_error([1.0, 2.0], [1.0, 2.0]), round(max_relative_error([1.0, 2.0], [1.0, 1.0]), 4)
    (0.0, 0.3333)
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"max_relative_error needs equal shapes, got {a.shape} and {b.shape}")
    if not (np.isfinite(floor) and floor > 0):
        raise ValueError(f"floor must be a positive number, got {floor!r}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)))


def gradient_check(f, x: np.ndarray, analytic, eps: float = 1e-5) -> float:
    """Relative error between an analytic gradient of ``f`` at ``x`` and the centred-difference one.

    Below ``1e-6`` the backward pass is right; around ``1e-2`` or more it has a bug.

    >>> x = np.array([[1.0, -2.0], [0.5, 3.0]])
    >>> gradient_check(lambda v: float((v ** 3).sum()), x, 3 * x ** 2) < 1e-8
    True
    """
    numeric = numerical_gradient(f, x, eps)
    analytic = np.asarray(analytic, dtype=np.float64)
    if analytic.shape != x.shape:
        raise ValueError(f"the analytic gradient must have x's shape {x.shape}, got {analytic.shape}")
    return relative_error(analytic, numeric)
