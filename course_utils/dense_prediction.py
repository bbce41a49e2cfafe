"""Predictions at every position: a classifier made fully convolutional, a small U-Net, and per-class IoU.

A dense layer that reads a flattened ``h x w x c`` map is a convolution with an ``h x w``
kernel and the same weights (``kernel = W.reshape(h, w, c, units)``: Flatten reads
row by row, channels last, exactly the kernel's layout); the dense layers after it are
``1 x 1`` convolutions. :func:`fully_convolutional` rewrites a Keras classifier that way.
The result accepts any input size at least as large as the original and slides the
whole classifier over it in one pass.

>>> import keras
>>> x = keras.Input((6, 6, 1))
>>> net = keras.Model(x, keras.layers.Dense(3)(keras.layers.Flatten()(keras.layers.Conv2D(2, 3)(x))))
>>> dense = fully_convolutional(net)
>>> [type(layer).__name__ for layer in dense.layers[1:]], dense.output.shape
(['Conv2D', 'Conv2D'], (None, None, None, 3))
>>> image = np.random.default_rng(0).random((1, 6, 6, 1)).astype("float32")
>>> bool(np.allclose(dense(image)[0, 0, 0], net(image)[0], atol=1e-6))
True
"""
from __future__ import annotations

import numpy as np

from course_utils.shapes import _check_positive_int


def fully_convolutional(model, input_size: int | None = None, name: str | None = None):
    """A copy of a sequential Keras classifier whose Flatten + Dense layers are convolutions with the same weights.

    The first Dense after Flatten becomes a convolution whose kernel covers the whole
    flattened map; later Dense layers become ``1 x 1`` convolutions (a softmax still acts on
    the last axis: the classes). Convolutions and pooling layers are copied with their
    weights. The input takes any height and width, or ``input_size x input_size`` when given
    (a fixed size lets Keras print every shape and :func:`course_utils.shapes.model_macs` count).
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    flat = [k for k, layer in enumerate(layers) if isinstance(layer, keras.layers.Flatten)]
    if len(flat) != 1 or not all(isinstance(layer, keras.layers.Dense) for layer in layers[flat[0] + 1:]):
        raise ValueError(f"model {model.name!r} must end in one Flatten followed only by Dense layers, got "
                         f"{[type(layer).__name__ for layer in layers]}")
    channels = model.input.shape[-1]
    inputs = keras.Input((input_size, input_size, channels), name="input")
    x = inputs
    copies = []
    for layer in layers[:flat[0]]:
        if layer.weights and not isinstance(layer, (keras.layers.Conv2D, keras.layers.BatchNormalization)):
            raise ValueError(f"cannot carry layer {layer.name!r} ({type(layer).__name__}) over to a dense predictor")
        copy = type(layer).from_config(layer.get_config())
        x = copy(x)
        copies.append((copy, layer.get_weights()))
    kernel_hw = tuple(layers[flat[0]].input.shape[1:3])
    for k, dense in enumerate(layers[flat[0] + 1:]):
        weights, *bias = dense.get_weights()
        size = kernel_hw if k == 0 else (1, 1)
        conv = keras.layers.Conv2D(dense.units, size, activation=dense.activation, use_bias=dense.use_bias,
                                   name=f"{dense.name}_as_conv")
        x = conv(x)
        copies.append((conv, [weights.reshape(*size, -1, dense.units), *bias]))
    dense_model = keras.Model(inputs, x, name=name or f"{model.name}_fully_convolutional")
    for layer, weights in copies:
        layer.set_weights(weights)
    return dense_model


def small_unet(size: int = 64, n_classes: int = 11, filters=(8, 16, 32), skips: bool = True, name: str = "small_unet"):
    """An encoder-decoder for per-pixel classes: 3x3 convs and 2x2 max pooling down, ``Conv2DTranspose`` (2x2,
    stride 2) up, and, with ``skips``, U-Net's concatenation of each encoder map onto the decoder map of its size.

    The output is ``(size, size, n_classes)`` class probabilities (softmax over the last axis).

    >>> model = small_unet(64, 3)
    >>> model.output.shape, [layer.name for layer in model.layers if "concat" in layer.name]
    ((None, 64, 64, 3), ['up1_concat', 'up2_concat'])
    """
    import keras

    levels = len(filters) - 1
    if levels < 1 or size % 2 ** levels:
        raise ValueError(f"size ({size}) must be divisible by 2 ** {levels} for {len(filters)} filter sizes "
                         f"(at least two: one per level and the bottleneck)")
    inputs = keras.Input((size, size, 1), name="canvas")
    x, saved = inputs, []
    for k, f in enumerate(filters[:-1], 1):
        x = keras.layers.Conv2D(f, 3, padding="same", activation="relu", name=f"down{k}_conv")(x)
        saved.append(x)
        x = keras.layers.MaxPooling2D(2, name=f"down{k}_pool")(x)
    x = keras.layers.Conv2D(filters[-1], 3, padding="same", activation="relu", name="bottleneck")(x)
    for k, (f, skip) in enumerate(zip(filters[-2::-1], saved[::-1]), 1):
        x = keras.layers.Conv2DTranspose(f, 2, strides=2, activation="relu", name=f"up{k}_transpose")(x)
        if skips:
            x = keras.layers.Concatenate(name=f"up{k}_concat")([x, skip])
        x = keras.layers.Conv2D(f, 3, padding="same", activation="relu", name=f"up{k}_conv")(x)
    outputs = keras.layers.Conv2D(n_classes, 1, activation="softmax", name="classes")(x)
    return keras.Model(inputs, outputs, name=name)


def confusion_counts(true_labels, predicted_labels, n_classes: int) -> np.ndarray:
    """``counts[t, p]``: how many pixels of true class ``t`` were labelled ``p``.

    >>> confusion_counts([[0, 1], [1, 2]], [[0, 1], [2, 2]], 3).tolist()
    [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    """
    true_labels, predicted_labels = np.asarray(true_labels), np.asarray(predicted_labels)
    if true_labels.shape != predicted_labels.shape:
        raise ValueError(f"true and predicted labels must have one shape, got {true_labels.shape} and "
                         f"{predicted_labels.shape}")
    n_classes = _check_positive_int("n_classes", n_classes)
    for what, labels in (("true", true_labels), ("predicted", predicted_labels)):
        if labels.size and (labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= n_classes):
            raise ValueError(f"{what} labels must be integers in 0..{n_classes - 1}, got {labels.dtype} "
                             f"in {labels.min()}..{labels.max()}")
    flat = true_labels.ravel().astype(np.int64) * n_classes + predicted_labels.ravel()
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def per_class_iou(true_labels, predicted_labels, n_classes: int) -> np.ndarray:
    """IoU of each class's predicted and true pixel sets, ``|P & T| / |P | T|``; NaN for a class absent from both.

    >>> per_class_iou([[0, 1], [1, 2]], [[0, 1], [2, 2]], 4).round(3).tolist()
    [1.0, 0.5, 0.5, nan]
    """
    counts = confusion_counts(true_labels, predicted_labels, n_classes)
    hits = np.diag(counts).astype(np.float64)
    union = counts.sum(0) + counts.sum(1) - hits
    return np.divide(hits, union, out=np.full(n_classes, np.nan), where=union > 0)
