"""Exercise 10 · What CNNs learn: feature maps, filters, saliency, Grad-CAM and occlusion on a given LeNet.

The model is the modern LeNet-5 that notebooks 07 and 10 study, with the weights shipped in
``course_utils/data/trained/`` (:func:`course_model`: loaded, never trained here). The
sandbox cannot import ``course_utils``, so the grader gives it those weights as one flat
array (``EXERCISE.given``: ``lenet_weights``, and the eight test ``digits``); the notebook's
context cell rebuilds the same network in plain Keras, with the class scores (before the
softmax) as a second output model, ``score_model``. The tests pin that rebuild to
:func:`course_model`.

Every reference is :mod:`course_utils.explain` (``layer_outputs``, ``saliency_map``,
``grad_cam``, ``occlusion_sensitivity``) or :func:`course_utils.conv.correlate2d`. Known
mistakes are the same tools with one thing changed (:func:`grad_cam_variant`, pinned to
``explain.grad_cam`` with every switch at its default).
"""
from __future__ import annotations

import contextlib
import functools
import io

import numpy as np

from course_utils.checks.questions import (Exercise, FunctionQuestion, KERAS_MEMORY_MB, Mistake, PredictionQuestion,
                                           ValueQuestion)

N_DIGITS = 8                          # the visible test digits the notebook works on
EDGES = np.stack([np.tile(np.linspace(-1, 1, 5), (5, 1)), np.tile(np.linspace(-1, 1, 5), (5, 1)).T])
"""q5's two 5×5 patterns: a vertical edge (dark left, bright right) and a horizontal one (dark top, bright bottom)."""
GRAD_CAM_LAYERS = ("c1", "s2", "c3", "s4")
INK = 0.3                             # a pixel above this grey level is ink (as in notebook 10)
KERAS = {"preload": ("keras",), "memory_mb": KERAS_MEMORY_MB}


# ---------------------------------------------------------------- the given model and data

@functools.lru_cache(maxsize=1)
def _mnist():
    from course_utils.datasets import load_mnist
    from course_utils.models import prepare_images

    with contextlib.redirect_stdout(io.StringIO()):     # load_mnist names its source on stdout
        (x_all, y_all), (x_test, y_test) = load_mnist(source="sample")
    return prepare_images(x_all), y_all, prepare_images(x_test), y_test


@functools.lru_cache(maxsize=1)
def course_model():
    """Notebook 10's trained LeNet (the shipped weights: the same on every machine)."""
    from course_utils import models

    x_all, y_all, _, _ = _mnist()
    (x_train, y_train), (x_val, y_val) = models.validation_split(x_all, y_all)
    model, _ = models.load_or_train_lenet(x_train, y_train, validation_data=(x_val, y_val), **models.COURSE_LENET)
    return model


def held_out_images():
    """The bundled sample's 1,996 test digits, prepared (N, 28, 28, 1) float32, and their labels."""
    _, _, x_test, y_test = _mnist()
    return x_test, y_test


@functools.lru_cache(maxsize=1)
def given_data() -> dict:
    """What the notebook's loading cell defines, given to the grader's sandbox: the weights and the digits.

    >>> data = given_data()
    >>> data["lenet_weights"].shape, data["digits"].shape
    ((61706,), (8, 28, 28, 1))
    """
    weights = np.concatenate([w.ravel() for w in course_model().get_weights()]).astype(np.float32)
    x_test, y_test = held_out_images()
    return {"lenet_weights": weights, "digits": x_test[:N_DIGITS], "digit_labels": y_test[:N_DIGITS].astype(np.int64),
            "edges": EDGES}


def digits():
    return given_data()["digits"]


# ---------------------------------------------------------------- q1 · C3's feature maps

def c3_maps():
    return _explain().layer_outputs(course_model(), digits()[:1], "c3")["c3"][0]


def _explain():
    from course_utils import explain

    return explain


def _shape(*shape):
    return np.zeros(shape)


q1 = ValueQuestion(
    "ex10.q1", points=2, names=["c3_maps", "c3_peak_channel"], rtol=1e-4, atol=1e-6,
    title="C3's feature maps for one digit, and its most excited channel",
    expected=lambda: (c3_maps(), int(c3_maps().max(axis=(0, 1)).argmax())),
    mistakes={
        "c3_maps": [
            Mistake("drop the batch axis: the maps of one digit are (height, width, channels), e.g. maps[0].",
                    _shape(1, 10, 10, 16), match="shape"),
            Mistake("that is S4's output, after the second pooling: take C3's, the layer named 'c3'.",
                    _shape(5, 5, 16), match="shape"),
            Mistake("that is S2, the first pooling: C3 is the second convolution, get_layer('c3').", _shape(14, 14, 6),
                    match="shape"),
            Mistake("that is C1, the first convolution: C3 is get_layer('c3').", _shape(28, 28, 6), match="shape"),
            Mistake("channels last: Keras' maps are (height, width, channels), do not move the axis.",
                    _shape(16, 10, 10), match="shape")],
        "c3_peak_channel": [
            Mistake("the channel with the largest single value (max over the 10×10 positions), not the largest mean.",
                    lambda: int(c3_maps().mean(axis=(0, 1)).argmax())),
            Mistake("channels are numbered from 0, as NumPy indexes them.",
                    lambda: int(c3_maps().max(axis=(0, 1)).argmax()) + 1)],
    },
    hint=["keras.Model(model.input, model.get_layer('c3').output) is a model that stops at C3; call it on "
          "digits[:1] (a batch of one) and keep [0].",
          "For the channel: maps.max(axis=(0, 1)) is each channel's peak; np.argmax of that."],
)


# ---------------------------------------------------------------- q2 · saliency

def saliency(image, class_index):
    """The reference: |d score_c / d pixel|, the largest over channels, shape (28, 28)."""
    return _explain().saliency_map(course_model(), np.asarray(image)[np.newaxis], [class_index])[0]


def _input_gradient(image, class_index, probabilities=False):
    """d output_c / d image for one image, signed, (28, 28, 1): of the score, or of the probability."""
    explain, model = _explain(), course_model()
    mask = np.eye(10, dtype="float32")[[class_index]]
    output = model if probabilities else explain.score_function(model)
    return explain.gradient(lambda x: output(x) * mask, np.asarray(image, "float32")[np.newaxis])[0]


def _c1_gradient(image, class_index):
    """The gradient with respect to C1's maps instead of the pixels (the same 28×28 size)."""
    explain, model = _explain(), course_model()
    head, tail = explain._split(model, 2)
    mask = np.eye(10, dtype="float32")[[class_index]]
    c1 = np.asarray(head(np.asarray(image, "float32")[np.newaxis]))
    return np.abs(explain.gradient(lambda a: tail(a) * mask, c1)[0]).max(axis=-1)


def _hidden_images(rng, n):
    x_test, _ = held_out_images()
    return x_test[N_DIGITS + rng.choice(len(x_test) - N_DIGITS, size=n, replace=False)]


def _saliency_cases(rng):
    return [(image, int(c)) for image, c in zip(_hidden_images(rng, 3), rng.integers(0, 10, size=3))]


def _example(k, class_index=None):
    x_test, y_test = held_out_images()
    return x_test[k], int(y_test[k] if class_index is None else class_index)


q2 = FunctionQuestion(
    "ex10.q2", points=3, name="saliency", title="A saliency map: |∂ score / ∂ pixel|",
    reference=saliency, make_args=_saliency_cases, rtol=1e-3, atol=1e-7,
    examples=[("digits[0] and its label's class", _example(0)), ("digits[1] and class 7", _example(1, 7))],
    mistakes=[
        Mistake("that is the gradient of the probability (model's softmax output): use score_model, the class "
                "score before the softmax, whose gradient does not vanish when the network is sure.",
                lambda image, c: np.abs(_input_gradient(image, c, probabilities=True)).max(axis=-1)),
        Mistake("take the absolute value: saliency is the size of the gradient, |∂s/∂x|, whatever its sign.",
                lambda image, c: _input_gradient(image, c).max(axis=-1)),
        Mistake("that is the gradient with respect to C1's maps: watch the input image itself (tape.watch(x) on "
                "the tensor you call score_model on).", _c1_gradient),
        Mistake("do not normalise: the question asks for |∂s/∂x| itself, not divided by its maximum.",
                lambda image, c: saliency(image, c) / saliency(image, c).max()),
        Mistake("keep only the score of class_index: the gradient of the sum of all ten scores is another map.",
                lambda image, c: np.abs(_explain().gradient(_explain().score_function(course_model()),
                                                            np.asarray(image, "float32")[None])[0]).max(axis=-1)),
    ],
    hint=["x = tf.convert_to_tensor(image[np.newaxis]); with tf.GradientTape() as tape: tape.watch(x); "
          "score = score_model(x)[0, class_index]. Then tape.gradient(score, x).",
          "The gradient has the image's shape (1, 28, 28, 1): take np.abs, then the max over the last axis (the "
          "channels), and drop the batch axis."],
    **KERAS,
)


# ---------------------------------------------------------------- q3 · Grad-CAM

def grad_cam(image, class_index, layer):
    """The reference: ReLU(sum_k alpha_k A_k) at the layer's own resolution, not normalised."""
    return _explain().grad_cam(course_model(), np.asarray(image)[np.newaxis], [class_index], layer)[0]


def grad_cam_variant(image, class_index, layer, *, relu=True, average=True, probabilities=False):
    """Grad-CAM with one thing changed (every switch at its default: exactly ``explain.grad_cam``).

    ``average=False`` weights each position by its own gradient instead of the channel's mean.
    """
    explain, model = _explain(), course_model()
    names = [lay.name for lay in model.layers]
    head, tail = explain._split(model, names.index(layer) + 1)
    activations = np.asarray(head(np.asarray(image, "float32")[np.newaxis]))
    mask = np.eye(10, dtype="float32")[[class_index]]
    if probabilities:
        import keras

        score = lambda a: keras.ops.softmax(tail(a)) * mask     # noqa: E731
    else:
        score = lambda a: tail(a) * mask                        # noqa: E731
    grads = explain.gradient(score, activations)
    weights = grads.mean(axis=(1, 2), keepdims=True) if average else grads
    cam = (weights * activations).sum(axis=-1)[0]
    return np.maximum(cam, 0) if relu else cam


def _grad_cam_cases(rng):
    layers = rng.permutation(GRAD_CAM_LAYERS)[:3]
    return [(image, int(c), str(layer)) for image, c, layer in zip(_hidden_images(rng, 3), rng.integers(0, 10, 3),
                                                                   layers)]


q3 = FunctionQuestion(
    "ex10.q3", points=3, name="grad_cam", title="Grad-CAM at a named layer",
    reference=grad_cam, make_args=_grad_cam_cases, rtol=1e-3, atol=1e-7,
    examples=[("digits[0], its label's class, at 'c3'", (*_example(0), "c3")),
              ("digits[2], class 9, at 's2'", (*_example(2, 9), "s2"))],
    mistakes=[
        Mistake("keep only the positive evidence: apply the ReLU to the weighted sum, np.maximum(cam, 0).",
                lambda image, c, layer: grad_cam_variant(image, c, layer, relu=False)),
        Mistake("average the gradient over the positions first: one weight per channel, "
                "alpha_k = grads[..., k].mean() over height and width.",
                lambda image, c, layer: grad_cam_variant(image, c, layer, average=False)),
        Mistake("use the class score before the softmax (score_model's output), not the probability.",
                lambda image, c, layer: grad_cam_variant(image, c, layer, probabilities=True)),
        Mistake("do not normalise the map: return ReLU(Σ_k alpha_k A_k) itself.",
                lambda image, c, layer: grad_cam(image, c, layer) / max(grad_cam(image, c, layer).max(), 1e-30)),
        Mistake("return the map at the layer's own resolution (the shape of its feature maps without the channels): "
                "no resizing to 28×28.", lambda image, c, layer: np.zeros((28, 28)), match="shape"),
    ],
    hint=["grad_model = keras.Model(score_model.input, [score_model.get_layer(layer).output, score_model.output]); "
          "inside a GradientTape, maps, scores = grad_model(x); then tape.gradient(scores[0, class_index], maps).",
          "alpha = grads.mean(axis=(1, 2)) (one number per channel); cam = (maps[0] * alpha[0]).sum(axis=-1); "
          "then np.maximum(cam, 0)."],
    **KERAS,
)


# ---------------------------------------------------------------- q4 · occlusion

def occlusion(image, class_index, patch, stride):
    """The reference: the drop of the probability when a black (0) square hides each part of the image."""
    return _explain().occlusion_sensitivity(course_model(), image, class_index, patch=patch, stride=stride, fill=0.0)


def _occlusion_cases(rng):
    sizes = [(5, 3), (6, 2), (4, 4)]
    return [(image, int(c), patch, stride) for image, c, (patch, stride)
            in zip(_hidden_images(rng, 3), rng.integers(0, 10, 3), rng.permutation(sizes).tolist())]


q4 = FunctionQuestion(
    "ex10.q4", points=3, name="occlusion", title="Occlusion sensitivity with a black patch",
    reference=occlusion, make_args=_occlusion_cases, rtol=1e-3, atol=1e-6,
    examples=[("digits[0], its label's class, patch 6, stride 2", (*_example(0), 6, 2))],
    mistakes=[
        Mistake("hide with black, 0 (the background of the digits): 1 paints a white square, which adds ink.",
                lambda image, c, p, s: _explain().occlusion_sensitivity(course_model(), image, c, p, s, fill=1.0)),
        Mistake("hide with black, 0: a gray 0.5 square adds a blob of ink on MNIST's black background.",
                lambda image, c, p, s: _explain().occlusion_sensitivity(course_model(), image, c, p, s, fill=0.5)),
        Mistake("the drop is p(original) − p(occluded): positive where hiding the part hurts the class.",
                lambda image, c, p, s: -occlusion(image, c, p, s)),
        Mistake("count the positions: (28 − patch) // stride + 1 per axis; the last patch ends at the border.",
                lambda image, c, p, s: occlusion(image, c, p, s), match="other_shape"),
    ],
    hint=["Positions: rows = (28 − patch) // stride + 1 (and as many columns); the patch at (i, j) covers "
          "image[i*stride : i*stride + patch, j*stride : j*stride + patch].",
          "Make all the occluded copies at once (np.repeat(image[None], rows * cols, axis=0)), set each square to 0, "
          "and call model.predict on the batch: drops = p(image) − p(occluded), reshaped to (rows, cols)."],
    **KERAS,
)


# ---------------------------------------------------------------- q5 · which filter likes which edge

def c1_kernels():
    kernel, bias = course_model().get_layer("c1").get_weights()
    return kernel[:, :, 0, :], bias


def edge_responses(flip=False, bias=True, relu=False):
    """C1's value before the ReLU, per pattern and filter: sum(W_k * P) + b_k (a correlation, as Keras computes)."""
    from course_utils.conv import correlate2d, convolve2d

    kernels, biases = c1_kernels()
    apply = convolve2d if flip else correlate2d
    out = np.array([[apply(pattern, kernels[..., k])[0, 0] + (biases[k] if bias else 0.0) for k in range(6)]
                    for pattern in EDGES])
    return np.maximum(out, 0) if relu else out


q5 = ValueQuestion(
    "ex10.q5", points=2, names=["responses", "best_filter"], rtol=1e-4, atol=1e-6,
    title="Which C1 filter responds most to each edge?",
    expected=lambda: (edge_responses(), edge_responses().argmax(axis=1)),
    mistakes={
        "responses": [
            Mistake("add each filter's bias: the value C1 computes is sum(W_k * P) + b_k.",
                    lambda: edge_responses(bias=False)),
            Mistake("Keras' Conv2D is a cross-correlation: multiply W_k and P element by element as they are, "
                    "without flipping the kernel.", lambda: edge_responses(flip=True)),
            Mistake("the value before the ReLU: negative responses stay negative here.",
                    lambda: edge_responses(relu=True)),
            Mistake("one row per pattern, one column per filter: shape (2, 6).", _shape(2, 6), match="other_shape"),
        ],
        "best_filter": [
            Mistake("Keras' Conv2D is a cross-correlation: with a flipped kernel another filter wins.",
                    lambda: edge_responses(flip=True).argmax(axis=1)),
            Mistake("the largest response, not the largest in size: a negative response means the inverted edge.",
                    lambda: np.abs(edge_responses()).argmax(axis=1)),
        ],
    },
    hint=["kernel, bias = model.get_layer('c1').get_weights(): kernel has shape (5, 5, 1, 6), so filter k is "
          "kernel[:, :, 0, k].",
          "responses[p, k] = np.sum(kernel[:, :, 0, k] * edges[p]) + bias[k]; best_filter = responses.argmax(axis=1)."],
)


# ---------------------------------------------------------------- p1 · predict: where is the saliency?

def saliency_mass_on_ink() -> np.ndarray:
    """For each given digit: the share of its saliency map (for its label) that lies on ink pixels."""
    images, labels = given_data()["digits"], given_data()["digit_labels"]
    maps = _explain().saliency_map(course_model(), images, labels)
    ink = images[..., 0] > INK
    return np.array([m[i].sum() / m.sum() for m, i in zip(maps, ink)], dtype=float)


p1 = PredictionQuestion(
    "ex10.p1", choices=["ink", "background"], title="Predict: is most of the saliency on the ink?",
    expected=lambda: "ink" if saliency_mass_on_ink().mean() > 0.5 else "background",
    explanation="an ink pixel does get about twice the saliency of a background pixel, but ink is only about one "
                "pixel in seven, and the gradient also lights up background pixels where adding ink would change "
                "the digit (a gradient measures sensitivity, not contribution).",
    hint="Count first: what share of a digit's 784 pixels is ink?",
)

EXERCISE = Exercise("10_what_cnns_learn", "What CNNs learn: feature maps, saliency, Grad-CAM, occlusion",
                    [q1, q2, p1, q3, q4, q5], timeout_s=90, given=given_data)
