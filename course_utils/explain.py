"""Look inside a trained CNN: layer outputs, top-activating images, saliency, Grad-CAM and occlusion.

Backends. The forward-only tools (:func:`layer_outputs`, :func:`top_activating`,
:func:`occlusion_sensitivity`, :func:`class_scores`) use ``keras.ops`` only and work
with every Keras backend. The gradient tools (:func:`gradient`, :func:`saliency_map`,
:func:`grad_cam`) need the backend's automatic differentiation, which ``keras.ops``
does not expose: they support the **TensorFlow** backend (the course's default) and
stop with a one-line error on JAX or PyTorch.

The models must be a single chain of layers ending in a softmax Dense layer (like the
LeNets of :mod:`course_utils.models`): scores are taken *before* the softmax, where a
class score does not saturate.

>>> import keras
>>> model = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Flatten(),
...                           keras.layers.Dense(2, activation="softmax")])
>>> model.layers[-1].set_weights([np.array([[1., 0], [0, 0], [0, 2], [0, 0]]), np.zeros(2)])
>>> saliency_map(model, np.zeros((1, 2, 2, 1)), [1])[0]          # |d score_1 / d pixel|
array([[0., 0.],
       [2., 0.]], dtype=float32)
"""
from __future__ import annotations

import keras
import numpy as np
from keras import ops

GRADIENT_BACKENDS = ("tensorflow",)


def gradient(fn, x) -> np.ndarray:
    """The gradient of ``sum(fn(x))`` with respect to ``x``, as a NumPy array (TensorFlow backend).

    >>> gradient(lambda t: t ** 2, np.array([1.0, -3.0], dtype="float32"))
    array([ 2., -6.], dtype=float32)
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            total = ops.sum(fn(x))
        return tape.gradient(total, x).numpy()
    raise NotImplementedError(f"course_utils.explain computes gradients with the TensorFlow backend only, "
                              f"but Keras runs on {backend!r}: set KERAS_BACKEND=tensorflow")


def class_scores(model, images) -> np.ndarray:
    """The pre-softmax class scores (logits) of ``images``, shape ``(N, classes)``."""
    images = _check_images(model, images)
    return ops.convert_to_numpy(score_function(model)(images))


def score_function(model):
    """``images -> pre-softmax class scores``: the differentiable function that :func:`saliency_map` differentiates.

    >>> import keras
    >>> net = keras.Sequential([keras.Input((1,)), keras.layers.Dense(2, activation="softmax")])
    >>> net.layers[-1].set_weights([np.array([[1.0, -1.0]]), np.zeros(2)])
    >>> ops.convert_to_numpy(score_function(net)(np.array([[3.0]], dtype="float32")))
    array([[ 3., -3.]], dtype=float32)
    """
    head, score = _split(model, len(model.layers) - 1)
    return lambda x: score(head(x))


def layer_outputs(model, images, names) -> dict:
    """The outputs of the named layers for ``images``: ``{name: array (N, ...)}``."""
    images = _check_images(model, images)
    names = [names] if isinstance(names, str) else list(names)
    probe = keras.Model(model.inputs[0], [model.get_layer(name).output for name in names])
    outputs = probe(images)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return {name: ops.convert_to_numpy(out) for name, out in zip(names, outputs)}


def top_activating(model, images, layer: str, channel: int, k: int = 9):
    """The ``k`` images whose strongest response in ``channel`` of ``layer`` is largest.

    Returns ``(indices, values, positions)``: image indices (best first), the peak
    activation of each, and the ``(row, col)`` of the peak in the layer's map.
    """
    maps = layer_outputs(model, images, layer)[layer]
    if maps.ndim != 4 or not 0 <= channel < maps.shape[-1]:
        raise ValueError(f"channel must be in 0..{maps.shape[-1] - 1} of a 4-D map, got {channel} for shape {maps.shape}")
    channel_maps = maps[..., channel].reshape(len(maps), -1)
    peaks = channel_maps.max(axis=1)
    order = np.argsort(-peaks, kind="stable")[:k]
    positions = [tuple(int(v) for v in np.unravel_index(channel_maps[i].argmax(), maps.shape[1:3])) for i in order]
    return order, peaks[order], positions


def saliency_map(model, images, classes) -> np.ndarray:
    """Vanilla gradient saliency: ``|d score_c / d pixel|``, the largest over channels, shape ``(N, H, W)``.

    Simonyan, Vedaldi and Zisserman (2013): pixels where a small change moves the class
    score most.
    """
    images = _check_images(model, images)
    classes = _check_classes(classes, len(images), model.outputs[0].shape[-1])
    scores = score_function(model)
    mask = ops.one_hot(classes, model.outputs[0].shape[-1])
    grads = gradient(lambda x: scores(x) * mask, images)
    return np.abs(grads).max(axis=-1)


def grad_cam(model, images, classes, layer: str) -> np.ndarray:
    """Grad-CAM maps at ``layer``'s resolution, shape ``(N, h, w)``, not normalised.

    Selvaraju et al. (2017): weight each channel ``A_k`` of the layer by the average
    gradient of the class score over its positions, ``alpha_k = mean_ij d score_c / d A_k[i, j]``,
    and keep the positive part of the sum: ``ReLU(sum_k alpha_k A_k)``.
    """
    images = _check_images(model, images)
    classes = _check_classes(classes, len(images), model.outputs[0].shape[-1])
    index = [l.name for l in model.layers].index(model.get_layer(layer).name)
    head, tail = _split(model, index + 1)
    activations = ops.convert_to_numpy(head(images))
    if activations.ndim != 4:
        raise ValueError(f"grad_cam needs a layer with (height, width, channels) maps, {layer!r} gives {activations.shape[1:]}")
    mask = ops.one_hot(classes, model.outputs[0].shape[-1])
    grads = gradient(lambda a: tail(a) * mask, activations)
    alpha = grads.mean(axis=(1, 2), keepdims=True)
    return np.maximum((alpha * activations).sum(axis=-1), 0)


def occlusion_sensitivity(model, image, class_index: int, patch: int = 6, stride: int = 2, fill: float = 0.5):
    """How much the probability of ``class_index`` drops when a gray square hides each part of ``image``.

    Zeiler and Fergus (2014). Returns ``drops`` of shape ``(rows, cols)``:
    ``drops[i, j] = p(image) - p(image with a patch x patch square of value fill at
    (i * stride, j * stride))``. Positive values mark evidence for the class.
    """
    image = np.asarray(image, dtype="float32")
    _check_images(model, image[np.newaxis])
    height, width = image.shape[:2]
    if not 1 <= patch <= min(height, width) or stride < 1:
        raise ValueError(f"patch must be in 1..{min(height, width)} and stride >= 1, got patch={patch}, stride={stride}")
    rows, cols = (height - patch) // stride + 1, (width - patch) // stride + 1
    occluded = np.repeat(image[np.newaxis], rows * cols, axis=0)
    for k in range(rows * cols):
        i, j = divmod(k, cols)
        occluded[k, i * stride:i * stride + patch, j * stride:j * stride + patch] = fill
    base = model.predict(image[np.newaxis], verbose=0)[0, class_index]
    probs = model.predict(occluded, batch_size=256, verbose=0)[:, class_index]
    return (base - probs).reshape(rows, cols)


def _split(model, index: int):
    """Two callables: layers ``1..index-1`` (head) and the rest up to the pre-softmax score (tail)."""
    layers = model.layers[1:] if isinstance(model.layers[0], keras.layers.InputLayer) else list(model.layers)
    offset = len(model.layers) - len(layers)
    for before, after in zip(layers, layers[1:]):
        if after.input is not before.output:
            raise ValueError(f"course_utils.explain needs a single chain of layers; {after.name!r} does not "
                             f"take {before.name!r}'s output")
    last = layers[-1]
    if not (isinstance(last, keras.layers.Dense) and last.activation is keras.activations.softmax):
        raise ValueError(f"the model must end in a Dense layer with softmax, got {type(last).__name__} {last.name!r}")
    head_layers, tail_layers = layers[:index - offset], layers[index - offset:]

    def head(x):
        for layer in head_layers:
            x = layer(x)
        return x

    def tail(x):
        for layer in tail_layers[:-1]:
            x = layer(x)
        return ops.matmul(x, last.kernel) + last.bias

    return head, tail


def _check_images(model, images) -> np.ndarray:
    images = np.asarray(images, dtype="float32")
    expected = tuple(model.inputs[0].shape[1:])
    if images.ndim != len(expected) + 1 or tuple(images.shape[1:]) != expected:
        raise ValueError(f"expected a batch of images of shape (N, {', '.join(map(str, expected))}), got {images.shape}")
    if np.isnan(images).any():
        raise ValueError("the images contain NaN")
    return images


def _check_classes(classes, n_images: int, n_classes: int) -> np.ndarray:
    classes = np.asarray(classes).reshape(-1)
    if classes.shape != (n_images,) or classes.dtype.kind not in "iu" or not ((0 <= classes) & (classes < n_classes)).all():
        raise ValueError(f"expected {n_images} class indices in 0..{n_classes - 1}, got {classes!r}")
    return classes
