"""Transfer learning in Keras: freeze a base, put a new head on it, unfreeze its top for fine-tuning, and count.

What notebook 11 does by hand, as tested functions (exercise 11 grades against them):

- :func:`feature_extractor`: a frozen base, global average pooling and a new softmax layer;
- :func:`unfreeze_top`: the fine-tuning set-up: the last ``k`` layers of the base trainable,
  BatchNormalization layers kept frozen (their statistics stay those of the pretrained base);
- :func:`parameter_counts`: trainable and non-trainable numbers, as ``model.summary()`` shows
  them (BatchNormalization's moving mean and variance are never trainable);
- :func:`changed_weights`: how many weight arrays one training step changed;
- notebook 11's experiment: :func:`digit_tasks` (digits 0-4 as the source task, 5-9 as the
  target), :func:`pretrained_lenet` and :func:`lenet_transfer_model` (its base cut at a layer,
  a new head).

In Keras 3 a model's ``trainable = False`` applies to all its layers, and a frozen
BatchNormalization layer runs in inference mode (it neither learns nor updates its statistics).
A layer is only trained if it and every model around it are trainable.

>>> import keras
>>> base = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, name="conv"),
...                          keras.layers.BatchNormalization(name="bn")], name="base")
>>> parameter_counts(base)
(48, 8)
>>> model = feature_extractor(base, n_classes=3)
>>> parameter_counts(model)
(15, 56)
"""
from __future__ import annotations

from typing import NamedTuple

import keras
import numpy as np


def feature_extractor(base, n_classes: int, *, freeze: bool = True, pooling: str = "average"):
    """``base`` (frozen) -> global average pooling -> ``Dense(n_classes, softmax)``; the head is trainable.

    ``freeze=False`` and ``pooling="flatten"`` build the variants students write by mistake.
    """
    if not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    if pooling not in ("average", "flatten"):
        raise ValueError(f"pooling must be 'average' or 'flatten', got {pooling!r}")
    base.trainable = not freeze
    pool = keras.layers.GlobalAveragePooling2D() if pooling == "average" else keras.layers.Flatten()
    return keras.Sequential([base, pool, keras.layers.Dense(int(n_classes), activation="softmax")],
                            name=f"{base.name}_features")


def unfreeze_top(base, k: int, *, keep_batchnorm_frozen: bool = True):
    """Freeze ``base`` but its last ``k`` layers (in ``base.layers`` order), BatchNormalization kept frozen.

    Returns ``base``, changed in place. The base itself must stay ``trainable``: in Keras a
    frozen model trains none of its layers, whatever their own flags say.

    >>> base = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="a"),
    ...                          keras.layers.BatchNormalization(name="bn"), keras.layers.Dense(2, name="b")])
    >>> [layer.trainable for layer in unfreeze_top(base, 2).layers]
    [False, False, True]
    """
    if not isinstance(k, (int, np.integer)) or not 0 <= k <= len(base.layers):
        raise ValueError(f"k must be an integer in 0..{len(base.layers)}, got {k!r}")
    base.trainable = True
    for position, layer in enumerate(base.layers):
        top = position >= len(base.layers) - k
        batchnorm = isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = top and not (batchnorm and keep_batchnorm_frozen)
    return base


def parameter_counts(model) -> tuple[int, int]:
    """``(trainable, non-trainable)`` numbers of ``model``, as ``model.summary()`` counts them."""
    def count(weights):
        return sum(int(np.prod(w.shape)) for w in weights)

    return count(model.trainable_weights), count(model.non_trainable_weights)


def changed_weights(before, after) -> int:
    """How many weight arrays differ between two ``model.get_weights()`` snapshots (at least one element).

    >>> changed_weights([np.zeros(2), np.ones(3)], [np.zeros(2), np.array([1.0, 1.0, 1.5])])
    1
    """
    if len(before) != len(after):
        raise ValueError(f"the two snapshots must hold as many arrays, got {len(before)} and {len(after)}")
    return sum(not np.array_equal(a, b) for a, b in zip(before, after))


class DigitTasks(NamedTuple):
    """Notebook 11's two tasks: all the digits 0-4 (source), and digits 5-9 relabelled 0-4 (target)."""

    x_source: np.ndarray
    y_source: np.ndarray
    x_source_test: np.ndarray
    y_source_test: np.ndarray
    x_pool: np.ndarray           # target images a student may label
    y_pool: np.ndarray
    x_target_test: np.ndarray
    y_target_test: np.ndarray


def digit_tasks(train, test) -> DigitTasks:
    """Split MNIST (``(x, y), (x_test, y_test)`` as :func:`course_utils.datasets.load_mnist` returns
    it) into the source task, digits 0-4, and the target task, digits 5-9 as classes 0-4.

    >>> x = np.zeros((4, 28, 28), np.uint8); y = np.array([0, 7, 4, 9])
    >>> tasks = digit_tasks((x, y), (x, y))
    >>> tasks.y_source.tolist(), tasks.y_pool.tolist(), tasks.x_pool.shape
    ([0, 4], [2, 4], (2, 28, 28, 1))
    """
    from course_utils.models import prepare_images

    (x, y), (x_test, y_test) = train, test
    x, x_test, y, y_test = prepare_images(x), prepare_images(x_test), np.asarray(y), np.asarray(y_test)
    source, source_test = y < 5, y_test < 5
    return DigitTasks(x[source], y[source], x_test[source_test], y_test[source_test],
                      x[~source], y[~source] - 5, x_test[~source_test], y_test[~source_test] - 5)


SOURCE_LENET = {"variant": "modern", "n_classes": 5, "epochs": 5, "learning_rate": 2e-3}
"""How notebook 11 pretrains its source LeNet on digits 0-4 (the shipped weights are these)."""


def pretrained_lenet(tasks: DigitTasks, **options):
    """``(model, record)``: the LeNet trained on the source task, as
    :func:`course_utils.models.load_or_train_lenet` gives it (shipped on the bundled sample)."""
    from course_utils.models import load_or_train_lenet

    return load_or_train_lenet(tasks.x_source, tasks.y_source, **SOURCE_LENET,
                               validation_data=(tasks.x_source_test, tasks.y_source_test), **options)


def lenet_transfer_model(weights, cut: str = "s4", n_classes: int = 5):
    """``(base, model)``: the layers of a 5-class modern LeNet up to ``cut`` (with ``weights``, a
    ``get_weights()`` list, or random ones for ``None``), flattened, and a new softmax head.

    >>> base, model = lenet_transfer_model(None)
    >>> [layer.name for layer in base.layers[1:]], model.get_layer("new_head").count_params()
    (['c1', 's2', 'c3', 's4'], 2005)
    """
    from course_utils.models import lenet5_modern

    source_model = lenet5_modern(n_classes=5)
    if weights is not None:
        source_model.set_weights(weights)
    base = keras.Model(source_model.input, source_model.get_layer(cut).output, name="base")
    inputs = keras.Input(shape=(28, 28, 1))
    features = keras.layers.Flatten()(base(inputs))
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="new_head")(features)
    return base, keras.Model(inputs, outputs, name=f"transfer_{cut}")
