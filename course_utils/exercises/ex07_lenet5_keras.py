"""Exercise 07 · LeNet-5 in Keras: build the slides' variant, count its parameters, prepare MNIST, train it.

Every reference comes from the tested course code: the model is
:func:`course_utils.models.lenet5_slides` (257,546 parameters, as the slides' ``summary()``),
the images are prepared by :func:`course_utils.models.prepare_images`, and the data is the
MNIST sample bundled with the course (:func:`course_utils.datasets.load_mnist`). The
grader trains the student's model in its sandbox on the sample's 8,004 training digits
(``EXERCISE.given``) and scores its predictions on the 1,996 test digits, whose labels never
leave the grader.

>>> q3.check(257_546)
✅ Correct! total_params = 257,546.
>>> q3.check(257_310)
❌ total_params is 257,310, too small: forgot the biases? Every filter and every unit has one.
"""
from __future__ import annotations

import contextlib
import io

import numpy as np

from course_utils.checks.layer_checks import LayerMistake, LayerSummaryQuestion, summarise
from course_utils.checks.questions import (AccuracyQuestion, Exercise, FunctionQuestion, Mistake, PredictionQuestion,
                                           ValueQuestion)

N_TRAIN = 6_000
"""The first 6,000 training digits train, the other 2,004 validate (the slides keep the first 40,000 of 60,000)."""


def _mnist_sample():
    from course_utils.datasets import load_mnist

    with contextlib.redirect_stdout(io.StringIO()):     # load_mnist names its source on stdout
        return load_mnist(source="sample")


def training_data() -> dict:
    """What the notebook's data cell defines, given to the grader's sandbox: the sample's raw training digits."""
    (x_train, y_train), _ = _mnist_sample()
    return {"x_train_raw": x_train, "y_train_raw": y_train}


def held_out_data():
    """The held-out digits the accuracy is measured on (prepared like the training images) and their labels."""
    from course_utils.models import prepare_images

    _, (x_test, y_test) = _mnist_sample()
    return prepare_images(x_test), y_test


def reference_model():
    from course_utils.models import lenet5_slides

    return lenet5_slides()


def reference_params() -> list[int]:
    """Parameters per layer of the reference, in ``summary()`` order (8 layers).

    >>> reference_params()
    [156, 0, 2416, 0, 2040, 0, 252084, 850]
    """
    return [layer.params for layer in summarise(reference_model)]


# --- known mistakes, as the models they produce (tests pin mistake_model() to the reference) ---

def mistake_model(*, first_padding="same", second_padding="valid", pooling="average", c5_kernel=1, flatten=True,
                  activation="relu", output_activation="softmax"):
    """The slides' LeNet-5 with one thing changed: how a student's wrong model looks to the checker."""
    import keras
    from keras import layers

    pool = layers.AveragePooling2D if pooling == "average" else layers.MaxPooling2D
    stack = [keras.Input((28, 28, 1)),
             layers.Conv2D(6, 5, activation=activation, padding=first_padding), pool(2),
             layers.Conv2D(16, 5, activation=activation, padding=second_padding), pool(2),
             layers.Conv2D(120, c5_kernel, activation=activation)]
    stack += [layers.Flatten()] if flatten else []
    stack += [layers.Dense(84, activation=activation), layers.Dense(10, activation=output_activation)]
    return keras.Sequential(stack)


q1 = LayerSummaryQuestion(
    "ex07.q1", points=3, name="build_lenet", title="Build the slides' LeNet-5 in Keras",
    reference=reference_model, fold_activations=True,
    mistakes=[
        LayerMistake("padding='same' on the first conv keeps the 28×28 size (LeCun padded the digits to 32×32).",
                     lambda: mistake_model(first_padding="valid")),
        LayerMistake("did you use padding='same' on the second conv? It has no padding (the default 'valid'): "
                     "14 − 5 + 1 = 10.", lambda: mistake_model(second_padding="same")),
        LayerMistake("the slides use AveragePooling2D, as LeNet-5 did (max pooling came later).",
                     lambda: mistake_model(pooling="max")),
        LayerMistake("C5 is a 1×1 convolution in the slides' variant, Conv2D(120, 1): it keeps the 5×5 grid "
                     "(the paper's 5×5 C5 leaves 1×1).", lambda: mistake_model(c5_kernel=5)),
        LayerMistake("the slides' variant uses ReLU in every hidden layer (the 1998 LeNet-5 used tanh).",
                     lambda: mistake_model(activation="tanh")),
        LayerMistake("add Flatten() before the dense layers (Dense on 5×5×120 maps only mixes the last axis).",
                     lambda: mistake_model(flatten=False)),
    ],
    error_advice=[("expected min_ndim=4", "start with keras.Input((28, 28, 1)): Conv2D needs the channel axis")],
    hint=["Follow the table: Conv2D, AveragePooling2D, Conv2D, AveragePooling2D, Conv2D, Flatten, Dense, Dense.",
          "keras.Sequential([keras.Input((28, 28, 1)), ...]) with Conv2D(filters, kernel_size, activation=..., "
          "padding=...): only the first conv is padded."],
)

q2 = ValueQuestion(
    "ex07.q2", points=2, names=["layer_params"], integer=True, title="Parameters per layer",
    expected=reference_params,
    mistakes=[Mistake("one value per layer in summary() order, 8 in all: conv, pool, conv, pool, conv, flatten, "
                      "dense, dense (pooling and Flatten have 0).", [0] * 8, match="other_shape"),
              Mistake("forgot the biases? Every filter and every unit has one.",
                      [150, 0, 2400, 0, 1920, 0, 252_000, 840]),
              Mistake("C5 is 1×1: it keeps the 5×5 grid, so Flatten passes 5 × 5 × 120 = 3,000 values to the "
                      "84 units.", [156, 0, 2416, 0, 2040, 0, 10_164, 850])],
    hint=["Write the output shape of each layer first: 28×28×6, 14×14×6, 10×10×16, 5×5×16, 5×5×120, 3000, 84, 10.",
          "C3 sees 6 channels: (5 × 5 × 6 + 1) × 16."],
)


q3 = ValueQuestion(
    "ex07.q3", points=1, names=["total_params"], integer=True, title="Total parameters",
    expected=lambda: sum(reference_params()),
    mistakes=[Mistake("forgot the biases? Every filter and every unit has one.", 257_310),
              Mistake("that is LeNet-5 with a 5×5 C5 (the paper's); the slides' C5 is 1×1, so Flatten gives "
                      "5 × 5 × 120 = 3,000 inputs.", 61_706)],
    hint=["Conv2D: (k × k × C_in + 1) × filters. Dense: (inputs + 1) × units. Pooling and Flatten: 0.",
          "After C5 the maps are 5×5×120, so the first dense layer has 3,000 inputs."],
)

def _scale_cases(rng):
    cases = [(rng.integers(0, 256, size=(int(n), 28, 28), dtype=np.uint8),) for n in rng.integers(1, 6, size=3)]
    cases.append((rng.integers(0, 200, size=(2, 28, 28), dtype=np.uint8),))   # darker digits: max is not 255
    return cases


def _bar_digit():
    """A digit-like uint8 image: a white vertical bar (a "1") on black."""
    image = np.zeros((1, 28, 28), dtype=np.uint8)
    image[0, 4:24, 13:16] = 255
    image[0, 4:24, 12] = 128
    return image


def _prepare(images):
    from course_utils.models import prepare_images

    return prepare_images(images)


q4 = FunctionQuestion(
    "ex07.q4", points=2, name="prepare", title="Prepare the images: scale to [0, 1], add the channel axis",
    reference=_prepare, make_args=_scale_cases, dtype="float32",
    examples=[("a drawn '1' (pixels 0, 128 and 255)", (_bar_digit(),))],
    mistakes=[
        Mistake("add the channel axis: (N, 28, 28) becomes (N, 28, 28, 1), e.g. images[..., np.newaxis].",
                lambda x: x / 255.0, match="shape"),
        Mistake("Keras works channels-last: the channel axis goes at the end, (N, 28, 28, 1).",
                lambda x: (x / 255.0)[:, np.newaxis], match="shape"),
        Mistake("scale the pixels: divide by 255 so that they lie in [0, 1].",
                lambda x: x[..., np.newaxis].astype(float)),
        Mistake("divide by 255, the largest possible value, not by this batch's maximum: every batch (and the test "
                "images) must be scaled the same way.", lambda x: (x / x.max())[..., np.newaxis]),
        Mistake("integer division // leaves only 0 and 1: use / 255.", lambda x: (x // 255)[..., np.newaxis]),
        Mistake("no standardising here: just divide by 255.",
                lambda x: ((x - x.mean()) / x.std())[..., np.newaxis]),
    ],
    hint=["Two steps: images / 255 (floats in [0, 1]), then a channel axis at the end.",
          "Divide first (the result is a float array), then add the axis with [..., np.newaxis] or a reshape."],
)

q5 = AccuracyQuestion(
    "ex07.q5", points=4, name="model", title="Train it: accuracy on held-out digits",
    data=held_out_data, thresholds=[(0.95, 1.0), (0.90, 0.5)],
    hint=["Compile with optimizer=keras.optimizers.Adam(3e-3), loss='sparse_categorical_crossentropy' (integer "
          "labels), metrics=['accuracy']; fit on the 6,000 prepared training digits.",
          "A handful of epochs with batch_size=128 is enough; the grader runs this cell too, with a time limit."],
)


def _dense_share():
    params = reference_params()
    return sum(params[-2:]) / sum(params)


p1 = ValueQuestion(
    "ex07.p1", points=0, names=["fc_share"], rtol=1e-3, title="Practice: share of the weights in the dense layers",
    expected=_dense_share,
    mistakes=[Mistake("count both dense layers: the 84-unit layer and the 10-unit output layer.", 252_084 / 257_546),
              Mistake("give a fraction between 0 and 1, not a percentage.", 100 * (252_084 + 850) / 257_546),
              Mistake("the 1×1 conv C5 is a convolution (its weights are shared over the 5×5 positions): count only "
                      "the Dense layers.", (252_084 + 850 + 2040) / 257_546)],
    hint="fc_share = (parameters of the two Dense layers) / (all parameters).",
    solution="fc_share = (layer_params[6] + layer_params[7]) / sum(layer_params)   # 0.9821: the claim holds",
)

def _small_model_params(padding: str) -> int:
    """Parameters of Conv2D(4, 3, padding) -> Flatten -> Dense(10) on 28×28×1 (the prediction's experiment)."""
    from course_utils.shapes import conv_output_size, conv_params, dense_params

    side = conv_output_size(28, 3, 1, 1 if padding == "same" else 0)
    return conv_params(3, 1, 4) + dense_params(side * side * 4, 10)


p2 = PredictionQuestion(
    "ex07.p2", title="Predict, then check: padding and the parameter count",
    expected=lambda: {-1: "smaller", 0: "same", 1: "larger"}[
        int(np.sign(_small_model_params("valid") - _small_model_params("same")))],
    choices=["smaller", "same", "larger"],
    explanation="the convolution keeps its 40 parameters (its filters do not depend on the padding), but its "
                "output shrinks from 28×28×4 to 26×26×4, and the Dense layer after Flatten has one weight per "
                "input value and unit: 4,320 fewer. In LeNet-5 too, the first conv's padding changes the count of "
                "the big dense layer, not the conv's.",
    hint="Which layer's parameter count depends on the size of its input?",
)

EXERCISE = Exercise("07_lenet5_keras", "LeNet-5 in Keras: build, count, prepare, train", [q1, q2, q3, q4, q5, p1, p2],
                    timeout_s=120, given=training_data)
