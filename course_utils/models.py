"""LeNet-5 in Keras: one builder for the classic, modern and slide variants, plus cached training.

The three variants share the same skeleton (C1 conv 5x5, S2 pool, C3 conv 5x5, S4 pool,
C5 conv, F6 dense, output dense) and differ only in the activation, the pooling, the
input size and C5's kernel:

============  ==========  =========  =====  ==========  ===========
variant       activation  pooling    input  C5 kernel   parameters
============  ==========  =========  =====  ==========  ===========
``classic``   tanh        average    32     5x5         61,706
``modern``    relu        max        28     5x5         61,706
``slides``    relu        average    28     1x1         257,546
============  ==========  =========  =====  ==========  ===========

A 28x28 input is zero-padded by 2 pixels in C1 (``padding="same"``), which is exactly
what LeCun did by hand to MNIST's digits to get 32x32 images.

>>> lenet5_slides().count_params()
257546
>>> lenet5_classic().output.shape, lenet5_modern().count_params()
((None, 10), 61706)

:func:`load_or_train_lenet` returns a trained variant. The LeNets that the notebooks
study ship with the course, trained on the bundled sample (``data/trained/``, provenance
in its ``PROVENANCE.md``), so every machine analyses the same weights; any other
configuration, or ``retrain=True``, is trained here and kept in the git-ignored
``artifacts/`` folder at the repository root. Both are keyed by a hash of the
configuration and of the training data.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import time
import warnings
from pathlib import Path

import keras
import numpy as np

ARTIFACTS_ENV = "COURSE_ARTIFACTS"
SHIPPED_DIR = Path(__file__).resolve().parent / "data" / "trained"
"""Weights trained once and committed (``tools/ship_trained_models.py`` makes them)."""
IGNORE_SHIPPED_ENV = "COURSE_IGNORE_SHIPPED"
"""Set to 1 to train even where shipped weights exist (what ``tools/ship_trained_models.py`` does)."""
ACTIVATIONS = ("tanh", "relu", "sigmoid")
POOLINGS = ("average", "max")

COURSE_LENET = {"variant": "modern", "epochs": 8, "batch_size": 128, "learning_rate": 2e-3}
"""The LeNet that notebook 07 trains and later notebooks (10) reuse: pass it as
``load_or_train_lenet(x, y, **COURSE_LENET)`` so every notebook gets the same weights."""


def lenet5(*, activation: str = "relu", pooling: str = "average", input_size: int = 28, c5_kernel: int = 5,
           filters: tuple[int, int, int] = (6, 16, 120), dense_units: int = 84, n_classes: int = 10,
           batch_norm: bool = False, name: str = "lenet5"):
    """Build a LeNet-5 style network (channels-last, one grey channel, softmax output).

    ``input_size`` is 32 (the paper's input, C1 without padding) or 28 (MNIST's digits,
    zero-padded by 2 in C1 so C1's output is 28x28 either way). ``c5_kernel=5`` makes C5
    a 5x5 convolution over S4's 5x5 maps, i.e. a dense layer 400 -> 120 as in the paper;
    ``c5_kernel=1`` is the slides' 1x1 variant, which keeps the 5x5 grid (3,000 values).
    ``batch_norm=True`` puts a ``BatchNormalization`` between each hidden layer and its
    activation (``c1_bn``, ``c1_act``, ...) and drops those layers' biases (the BN's shift replaces them).

    >>> model = lenet5(activation="tanh", pooling="max")
    >>> [layer.name for layer in model.layers]
    ['input', 'c1', 's2', 'c3', 's4', 'c5', 'flatten', 'f6', 'output']
    >>> model.get_layer("s4").output.shape
    (None, 5, 5, 16)
    >>> [layer.name for layer in lenet5(batch_norm=True).layers][1:4], lenet5(batch_norm=True).count_params()
    (['c1', 'c1_bn', 'c1_act'], 62384)
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    if input_size not in (28, 32):
        raise ValueError(f"input_size must be 28 (padded to 32 in C1) or 32, got {input_size!r}")
    if c5_kernel not in (1, 5):
        raise ValueError(f"c5_kernel must be 5 (the paper) or 1 (the slides' variant), got {c5_kernel!r}")
    if len(filters) != 3 or not all(isinstance(f, int) and f > 0 for f in filters):
        raise ValueError(f"filters must be three positive integers (C1, C3, C5), got {filters!r}")
    if not isinstance(batch_norm, bool):
        raise TypeError(f"batch_norm must be True or False, got {batch_norm!r}")
    pool = keras.layers.AveragePooling2D if pooling == "average" else keras.layers.MaxPooling2D

    def hidden(layer_class, *args, name, **options):
        if not batch_norm:
            return layer_class(*args, activation=activation, name=name, **options)
        return lambda x: keras.layers.Activation(activation, name=f"{name}_act")(
            keras.layers.BatchNormalization(name=f"{name}_bn")(layer_class(*args, use_bias=False, name=name,
                                                                           **options)(x)))

    inputs = keras.Input(shape=(input_size, input_size, 1), name="input")
    x = hidden(keras.layers.Conv2D, filters[0], 5, padding="same" if input_size == 28 else "valid", name="c1")(inputs)
    x = pool(2, name="s2")(x)
    x = hidden(keras.layers.Conv2D, filters[1], 5, name="c3")(x)
    x = pool(2, name="s4")(x)
    x = hidden(keras.layers.Conv2D, filters[2], c5_kernel, name="c5")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = hidden(keras.layers.Dense, dense_units, name="f6")(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def lenet5_slides(**options):
    """The slides' Keras LeNet-5: ReLU, average pooling, 28x28 input, a 1x1 C5 (257,546 parameters).

    >>> lenet5_slides().get_layer("flatten").output.shape
    (None, 3000)
    """
    return lenet5(**{"activation": "relu", "pooling": "average", "input_size": 28, "c5_kernel": 1,
                     "name": "lenet5_slides", **options})


def lenet5_classic(input_size: int = 32, **options):
    """LeNet-5 as in the 1998 paper, simplified: tanh, average pooling, softmax output (61,706 parameters).

    >>> lenet5_classic().input.shape, lenet5_classic(28).input.shape
    ((None, 32, 32, 1), (None, 28, 28, 1))
    """
    return lenet5(**{"activation": "tanh", "pooling": "average", "input_size": input_size,
                     "name": "lenet5_classic", **options})


def lenet5_modern(input_size: int = 28, **options):
    """LeNet-5 with today's defaults: ReLU and max pooling (61,706 parameters).

    >>> lenet5_modern().get_layer("s2").__class__.__name__
    'MaxPooling2D'
    """
    return lenet5(**{"activation": "relu", "pooling": "max", "input_size": input_size,
                     "name": "lenet5_modern", **options})


VARIANTS = {"classic": lenet5_classic, "modern": lenet5_modern, "slides": lenet5_slides}


def prepare_images(images) -> np.ndarray:
    """uint8 digits ``(N, 28, 28)`` -> float32 in [0, 1] with a channel axis ``(N, 28, 28, 1)``.

    >>> prepare_images(np.full((2, 28, 28), 255, dtype=np.uint8)).shape
    (2, 28, 28, 1)
    """
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"expected uint8 images of shape (N, height, width), got {images.dtype} {images.shape}")
    return (images.astype(np.float32) / 255.0)[..., np.newaxis]


def validation_split(x, y, n_train: int | None = None):
    """``(x_train, y_train), (x_val, y_val)``: the first ``n_train`` examples train, the rest validate.

    As in the slides (first 40,000 of MNIST's 60,000 for training). The default keeps
    6,000 for training on the bundled sample and 50,000 on the full training set,
    so that notebooks 07 and 10 pick the same split (and the same cached weights).

    >>> (a, b), (c, d) = validation_split(np.arange(8004), np.arange(8004))
    >>> len(a), len(c)
    (6000, 2004)
    """
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    if n_train is None:
        n_train = 50_000 if len(x) >= 60_000 else 6_000
    if not 0 < n_train < len(x):
        raise ValueError(f"n_train must be between 1 and {len(x) - 1} for {len(x)} examples, got {n_train}")
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def train_lenet(model, x_train, y_train, *, epochs: int, batch_size: int = 128, learning_rate: float = 1e-3,
                validation_data=None, callbacks=()) -> dict:
    """Compile ``model`` with Adam and sparse cross-entropy, fit it quietly, and return its history.

    The returned dict holds the Keras history lists (``loss``, ``accuracy``, ``val_...``)
    and ``seconds_per_epoch``. Labels are integers 0..9 (no one-hot encoding needed).
    """
    _check_xy(x_train, y_train, model.input.shape[1:])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    clock = _EpochClock()
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, validation_data=validation_data,
                        verbose=0, callbacks=[clock, *callbacks])
    logs = {key: [float(v) for v in values] for key, values in history.history.items()}
    logs["seconds_per_epoch"] = clock.seconds
    return logs


def artifacts_dir() -> Path:
    """Where trained weights are kept: ``$COURSE_ARTIFACTS`` or ``artifacts/`` at the repository root."""
    return Path(os.environ.get(ARTIFACTS_ENV) or Path(__file__).resolve().parent.parent / "artifacts")


def config_key(config: dict, *arrays) -> str:
    """A short hash of a training configuration and the exact data it is trained on.

    >>> a = np.zeros((2, 3), dtype=np.uint8)
    >>> config_key({"epochs": 1}, a) == config_key({"epochs": 1}, a.copy())
    True
    >>> config_key({"epochs": 1}, a) == config_key({"epochs": 2}, a)
    False
    """
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode())
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()[:16]


def load_or_train_lenet(x_train, y_train, *, variant: str = "modern", epochs: int = 8, batch_size: int = 128,
                        learning_rate: float = 1e-3, seed: int = 42, validation_data=None, folder=None,
                        retrain: bool = False, **builder_options):
    """A trained LeNet: the shipped weights for this exact configuration and data, else the cached ones, else trained.

    Returns ``(model, record)``; ``record`` holds the training history (as
    :func:`train_lenet` returns it, measured when the weights were trained), the
    configuration, its ``key``, the ``provenance`` of the weights (versions, machine,
    date) and ``source``: ``"shipped"``, ``"cache"`` or ``"trained"``. ``retrain=True``
    trains on this machine whatever exists (and refreshes the cache). The generators are
    re-seeded with ``seed`` at the end, so whatever runs next gives the same numbers
    whichever path was taken. Trained weights go to ``<folder>/lenet-<key>.weights.h5``
    with the record next to it (``folder`` defaults to :func:`artifacts_dir`, created on
    demand); the shipped folder is only read.
    """
    from course_utils.session import seed_everything

    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {tuple(VARIANTS)}, got {variant!r}")
    if isinstance(x_train, np.ndarray) and x_train.ndim == 4:
        builder_options.setdefault("input_size", x_train.shape[1])
    config = {"variant": variant, "epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate,
              "seed": seed, "builder_options": builder_options}
    arrays = [x_train, y_train, *(validation_data or ())]
    key = config_key(config, *arrays)
    folder = Path(folder) if folder is not None else artifacts_dir()

    seed_everything(seed)
    model = VARIANTS[variant](**builder_options)
    _check_xy(x_train, y_train, model.input.shape[1:])
    record = None
    if not retrain:
        use_shipped = os.environ.get(IGNORE_SHIPPED_ENV, "") in ("", "0")
        for source, place in (("shipped", SHIPPED_DIR if use_shipped else None), ("cache", folder)):
            if place is not None:
                record = _read_cached(model, place / f"lenet-{key}.weights.h5", place / f"lenet-{key}.json")
            if record is not None:
                record["source"] = source
                break
    if record is None:
        history = train_lenet(model, x_train, y_train, epochs=epochs, batch_size=batch_size,
                              learning_rate=learning_rate, validation_data=validation_data)
        record = {"key": key, "config": config, "history": history, "provenance": provenance()}
        _save(model, record, folder, key)
        record["source"] = "trained"
    seed_everything(seed)
    return model, record


def provenance() -> dict:
    """Where and with what a model is being trained: versions, processor, threads, date.

    >>> sorted(provenance())
    ['backend', 'cpu', 'date', 'keras', 'numpy', 'python', 'tensorflow', 'threads']
    """
    from course_utils.doctor import cpu_name

    try:
        import tensorflow as tf

        tf_version = tf.__version__
    except ImportError:
        tf_version = None
    return {"python": platform.python_version(), "keras": keras.__version__, "backend": keras.backend.backend(),
            "tensorflow": tf_version, "numpy": np.__version__,
            "cpu": f"{platform.machine()} {cpu_name()}".strip(), "threads": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d")}


def _save(model, record: dict, folder: Path, key: str) -> None:
    """Write the weights and the record under temporary names first: a half-written file never looks cached."""
    folder.mkdir(parents=True, exist_ok=True)
    weights_path, record_path = folder / f"lenet-{key}.weights.h5", folder / f"lenet-{key}.json"
    write_weights(model, weights_path)
    tmp_record = record_path.with_suffix(f".{os.getpid()}.tmp")
    tmp_record.write_text(json.dumps(record, indent=1))
    os.replace(tmp_record, record_path)


def write_weights(model, path: Path) -> None:
    """``model.save_weights(path)`` under a temporary name first, so that a half-written file never looks saved.

    Only the model's weights are written: Keras would add a compiled model's optimizer state
    (Adam's two moments: three times the file), which no notebook reads back.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name.removesuffix('.weights.h5')}.{os.getpid()}.tmp.weights.h5")
    optimizer = getattr(model, "optimizer", None)
    try:
        model.optimizer = None
        with warnings.catch_warnings():  # Keras 3.15's TensorFlow backend calls np.array(variable) the NumPy 1 way
            warnings.filterwarnings("ignore", "__array__ implementation doesn't accept a copy", DeprecationWarning)
            model.save_weights(tmp)
    finally:
        model.optimizer = optimizer
    os.replace(tmp, path)


def _read_cached(model, weights_path: Path, record_path: Path):
    """The saved record after loading the weights into ``model``, or None when absent or unreadable."""
    if not (weights_path.exists() and record_path.exists()):
        return None
    try:
        record = json.loads(record_path.read_text())
        model.load_weights(weights_path)
    except Exception:  # a truncated or foreign file in our own cache: retrain and overwrite it
        return None
    return record


class _EpochClock(keras.callbacks.Callback):
    """Records the wall-clock seconds of each epoch."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def _check_xy(x, y, input_shape) -> None:
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 4 or tuple(x.shape[1:]) != tuple(input_shape):
        raise ValueError(f"expected images of shape (N, {', '.join(map(str, input_shape))}), got {x.shape} "
                         "(prepare_images() adds the channel axis)")
    if x.dtype.kind != "f" or np.isnan(x).any():
        raise ValueError(f"expected float images without NaN, got dtype {x.dtype}"
                         + (" with NaN" if x.dtype.kind == "f" else ""))
    if y.shape != (len(x),) or y.dtype.kind not in "iu":
        raise ValueError(f"expected {len(x)} integer labels of shape ({len(x)},), got {y.dtype} {y.shape}")
