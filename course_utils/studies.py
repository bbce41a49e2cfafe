"""The course's studies: every comparison a notebook draws a conclusion from, run from 3 seeds.

Each function returns one :mod:`course_utils.seeded_runs` study: the shipped results when they
exist for exactly this configuration and data (``tools/ship_trained_models.py --only studies``
trains and ships them all), else a cached or freshly trained one (``retrain=True`` trains here).

=========================  ========  ==================================================  =========
study                      notebook  what varies (3 seeds each)                          data
=========================  ========  ==================================================  =========
:func:`optimisers`         08        SGD, momentum, Nesterov, RMSProp, Adam (10 epochs)  MNIST
:func:`schedules`          08        constant, step and cosine learning rate             MNIST
:func:`batch_norm`         08        LeNet with and without batch norm, two rates        MNIST
:func:`regularisers`       08        none, dropout + L2, augmentation, all (500 digits)  MNIST
:func:`small_networks`     09        the seven classic ideas, to a plateau               Fashion
:func:`degradation`        09        plain vs residual, 10 and 30 layers                 Fashion
:func:`efficient_networks` 13        the six efficient designs, to a plateau (09's way)  Fashion
:func:`transfer`           11        feature extraction, fine-tuning, scratch; cuts      MNIST
=========================  ========  ==================================================  =========

>>> sorted(STUDIES) == sorted(["optimisers", "schedules", "batch-norm", "regularisers", "small-networks",
...                            "degradation", "efficient-networks", "transfer"])
True
"""
from __future__ import annotations

import numpy as np

from course_utils.seeded_runs import Recipe, load_or_measure, load_or_run

SEEDS = (0, 1, 2)


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------

def fashion_split(train: int = 4000, val: int = 1000, source: str = "sample"):
    """``(x_train, y_train, x_val, y_val, x_test, y_test)`` from Fashion-MNIST (``source`` as
    :func:`course_utils.datasets.load_fashion_mnist` takes it): the first ``train`` training
    images, the next ``val`` for early stopping, and the test set; images scaled to [0, 1]
    with a channel axis."""
    from course_utils.datasets import load_fashion_mnist

    (x, y), (x_test, y_test) = load_fashion_mnist(source)
    if len(x) < train + val:
        raise ValueError(f"need {train + val} training images for the split, the data has {len(x)}")
    scale = lambda images: (images[..., None] / 255.0).astype("float32")
    return (scale(x[:train]), y[:train], scale(x[train:train + val]), y[train:train + val],
            scale(x_test), y_test)


def mnist_split(train: int = 4000, val_from: int = 6000, source: str = "sample"):
    """``(x_train, y_train, x_val, y_val, x_test, y_test)`` from MNIST as notebook 08 splits it: the
    first ``train`` training digits, the digits from ``val_from`` on to validate, and the test set."""
    from course_utils.datasets import load_mnist
    from course_utils.models import prepare_images

    (x, y), (x_test, y_test) = load_mnist(source)
    if len(x) <= val_from or train > val_from:
        raise ValueError(f"need more than {val_from} training digits and train <= {val_from}, "
                         f"got {len(x)} digits and train={train}")
    x, x_test = prepare_images(x), prepare_images(x_test)
    return x[:train], y[:train], x[val_from:], y[val_from:], x_test, y_test


def _about(dataset: str, source: str, data) -> str:
    return (f"{dataset} ({source}): {len(data[0]):,} images to train, {len(data[2]):,} to validate, "
            f"{len(data[4]):,} to test")


# --------------------------------------------------------------------------------------
# Notebook 08: optimisers, schedules, batch norm, regularisers
# --------------------------------------------------------------------------------------

OPTIMISER_RECIPES = {
    "SGD": Recipe(max_epochs=10, patience=None, learning_rate=0.05, optimizer="sgd"),
    "momentum": Recipe(max_epochs=10, patience=None, learning_rate=0.01, optimizer="momentum"),
    "Nesterov": Recipe(max_epochs=10, patience=None, learning_rate=0.01, optimizer="nesterov"),
    "RMSProp": Recipe(max_epochs=10, patience=None, learning_rate=1e-3, optimizer="rmsprop"),
    "Adam": Recipe(max_epochs=10, patience=None, learning_rate=1e-3, optimizer="adam"),
}
"""Each optimiser at the learning rate notebook 08 gives it, for the same 10 epochs (no early stopping)."""

SCHEDULE_RECIPES = {name: Recipe(max_epochs=12, patience=None, learning_rate=0.02, optimizer="momentum",
                                 schedule=name) for name in ("constant", "step", "cosine")}
"""SGD with momentum 0.9 from twice notebook 08's rate, 0.02, for 12 epochs: held, divided by 10 at epochs 6
and 9, or cosine-decayed to 0."""

BATCH_NORM_RECIPES = {
    "LeNet, SGD 0.05": Recipe(max_epochs=10, patience=None, learning_rate=0.05, optimizer="sgd"),
    "LeNet + BN, SGD 0.05": Recipe(max_epochs=10, patience=None, learning_rate=0.05, optimizer="sgd"),
    "LeNet, SGD 0.5": Recipe(max_epochs=10, patience=None, learning_rate=0.5, optimizer="sgd"),
    "LeNet + BN, SGD 0.5": Recipe(max_epochs=10, patience=None, learning_rate=0.5, optimizer="sgd"),
}
"""Plain SGD, at a usual rate and at ten times it, with and without batch normalisation."""

REGULARISER_RECIPE = Recipe(max_epochs=30, patience=None, learning_rate=2e-3)
REGULARISERS = {"plain": {}, "dropout 0.5 + L2": {"dropout": 0.5, "l2": 2.5e-4}, "augmentation": {"augment": True},
                "all three": {"dropout": 0.5, "l2": 2.5e-4, "augment": True}}
"""Options of :func:`small_cnn`, each trained 30 epochs on 500 digits (Adam, 2e-3)."""


def augmentation(seed: int = 0):
    """Notebook 08's augmentation: rotations up to ±18°, shifts up to 10 %, zooms up to 10 % (training only)."""
    import keras

    return keras.Sequential([
        keras.layers.RandomRotation(0.05, fill_mode="constant", seed=seed),
        keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=seed + 1),
        keras.layers.RandomZoom(0.1, fill_mode="constant", seed=seed + 2),
    ], name="augmentation")


def small_cnn(dropout: float = 0.0, l2: float = 0.0, augment: bool = False):
    """Two 3x3 convolutions (16, 32 filters) with max pooling, a dense layer of 64, a softmax: 56,714
    parameters. ``dropout`` before and after the dense layer, ``l2`` on every kernel but the last,
    ``augment``: :func:`augmentation` in front.

    >>> small_cnn().count_params(), small_cnn(dropout=0.5, l2=1e-4, augment=True).count_params()
    (56714, 56714)
    """
    import keras

    regularizer = keras.regularizers.L2(l2) if l2 else None
    inputs = keras.Input(shape=(28, 28, 1))
    h = augmentation()(inputs) if augment else inputs
    h = keras.layers.Conv2D(16, 3, activation="relu", kernel_regularizer=regularizer)(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Conv2D(32, 3, activation="relu", kernel_regularizer=regularizer)(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Flatten()(h)
    if dropout:
        h = keras.layers.Dropout(dropout, seed=3)(h)
    h = keras.layers.Dense(64, activation="relu", kernel_regularizer=regularizer)(h)
    if dropout:
        h = keras.layers.Dropout(dropout, seed=4)(h)
    outputs = keras.layers.Dense(10, activation="softmax")(h)
    return keras.Model(inputs, outputs, name="small_cnn")


def optimisers(*, retrain: bool = False, source: str = "sample", seeds=SEEDS, folder=None) -> dict:
    """Notebook 08 § 5: the modern LeNet trained 10 epochs on 4,000 digits with each optimiser."""
    from course_utils.models import lenet5_modern

    data = mnist_split(source=source)
    return load_or_run("optimisers", {name: lenet5_modern for name in OPTIMISER_RECIPES}, data, seeds=tuple(seeds),
                       recipe=OPTIMISER_RECIPES, about=_about("MNIST", source, data), retrain=retrain, folder=folder)


def schedules(*, retrain: bool = False, source: str = "sample", seeds=SEEDS, folder=None) -> dict:
    """Notebook 08 § 6: the modern LeNet, SGD with momentum, a constant, step or cosine learning rate."""
    from course_utils.models import lenet5_modern

    data = mnist_split(source=source)
    return load_or_run("schedules", {name: lenet5_modern for name in SCHEDULE_RECIPES}, data, seeds=tuple(seeds),
                       recipe=SCHEDULE_RECIPES, about=_about("MNIST", source, data), retrain=retrain, folder=folder)


def batch_norm(*, retrain: bool = False, source: str = "sample", seeds=SEEDS, folder=None) -> dict:
    """Notebook 08 § 4: the modern LeNet with and without batch normalisation, plain SGD at 0.05 and 0.5."""
    from course_utils.models import lenet5_modern

    builders = {name: (lambda bn="BN" in name: lenet5_modern(batch_norm=bn)) for name in BATCH_NORM_RECIPES}
    data = mnist_split(source=source)
    return load_or_run("batch-norm", builders, data, seeds=tuple(seeds), recipe=BATCH_NORM_RECIPES,
                       about=_about("MNIST", source, data), retrain=retrain, folder=folder)


def regularisers(*, retrain: bool = False, source: str = "sample", seeds=SEEDS, folder=None) -> dict:
    """Notebook 08 § 7: :func:`small_cnn` on 500 digits, 30 epochs, with each of :data:`REGULARISERS`."""
    x_train, y_train, x_val, y_val, x_test, y_test = mnist_split(source=source)
    data = (x_train[:500], y_train[:500], x_val[:1000], y_val[:1000], x_test, y_test)
    builders = {name: (lambda options=options: small_cnn(**options)) for name, options in REGULARISERS.items()}
    return load_or_run("regularisers", builders, data, seeds=tuple(seeds), recipe=REGULARISER_RECIPE,
                       about=_about("MNIST", source, data), retrain=retrain, folder=folder)


# --------------------------------------------------------------------------------------
# Notebook 09: the classic networks, and plain against residual
# --------------------------------------------------------------------------------------

def small_networks(*, retrain: bool = False, source: str = "sample", seeds=SEEDS, kinds=None, folder=None) -> dict:
    """Notebook 09's comparison: every :func:`course_utils.architectures.small_network` from 3 seeds
    to a plateau on 4,000 Fashion-MNIST images (1,000 more for early stopping, 1,000 to test).

    The shipped results are for the bundled sample (``source="sample"``), so every machine reads
    the same ones; ``source="full"`` (with the full data on disk) or ``retrain=True`` trains here."""
    from course_utils import architectures as arch

    kinds = tuple(kinds or arch.SMALL_KINDS)
    builders = {kind: (lambda kind=kind: arch.small_network(kind)) for kind in kinds}
    return load_or_run("small-networks", builders, fashion_split(source=source), seeds=tuple(seeds),
                       retrain=retrain, folder=folder,
                       about=f"Fashion-MNIST ({source}): 4,000 images to train, 1,000 to stop early, 1,000 to test")


DEGRADATION_DEPTHS = {10: 2, 30: 7}
"""Weight layers -> basic blocks per stage of :func:`course_utils.architectures.plain_or_residual`."""
DEGRADATION_RECIPE = Recipe(max_epochs=12, patience=None, learning_rate=3e-3)


def degradation(*, retrain: bool = False, source: str = "sample", seeds=SEEDS, folder=None) -> dict:
    """Notebook 09 § ResNet: plain and residual networks of 10 and 30 layers, the same 12 epochs of Adam."""
    from course_utils import architectures as arch

    builders = {f"{kind} {depth}": (lambda blocks=blocks, residual=kind == "residual":
                                    arch.plain_or_residual(blocks, residual))
                for depth, blocks in DEGRADATION_DEPTHS.items() for kind in ("plain", "residual")}
    data = fashion_split(source=source)
    return load_or_run("degradation", builders, data, seeds=tuple(seeds), recipe=DEGRADATION_RECIPE,
                       about=_about("Fashion-MNIST", source, data), retrain=retrain, folder=folder)


# --------------------------------------------------------------------------------------
# Notebook 13: the efficient designs, under notebook 09's budget
# --------------------------------------------------------------------------------------

def efficient_networks(*, retrain: bool = False, source: str = "sample", seeds=SEEDS, kinds=None, folder=None) -> dict:
    """Notebook 13's comparison: every :func:`course_utils.efficient.small_network` trained exactly
    as :func:`small_networks` trains notebook 09's (same data, recipe and seeds), so the two
    studies plot side by side."""
    from course_utils import efficient

    kinds = tuple(kinds or efficient.SMALL_KINDS)
    builders = {kind: (lambda kind=kind: efficient.small_network(kind)) for kind in kinds}
    data = fashion_split(source=source)
    return load_or_run("efficient-networks", builders, data, seeds=tuple(seeds), retrain=retrain, folder=folder,
                       about=f"Fashion-MNIST ({source}): 4,000 images to train, 1,000 to stop early, 1,000 to test")


# --------------------------------------------------------------------------------------
# Notebook 11: transfer against training from scratch
# --------------------------------------------------------------------------------------

TRANSFER_LABELS = (5, 10, 20, 50)
TRANSFER_CUTS = ("s4", "c5", "f6")
TRANSFER_SETTINGS = {"feature extraction": {"learning_rate": 1e-2, "epochs": 40},
                     "fine-tuning": {"learning_rate": 1e-4, "epochs": 20},
                     "from scratch": {"learning_rate": 1e-2, "epochs": 60}}
"""How each method of notebook 11 trains (Adam, batches of 128); fine-tuning continues from the
feature-extraction model of the same seed with its base unfrozen."""


def transfer(pretrained_weights, *, retrain: bool = False, source: str = "sample", seeds=SEEDS,
             folder=None) -> dict:
    """Notebook 11: for each number of labels per class, the three methods on digits 5-9 from the
    LeNet pretrained on digits 0-4 (``pretrained_weights``: its ``get_weights()``); then, with 5
    labels per class, feature extraction from each cut of :data:`TRANSFER_CUTS`.

    Each seed draws its own labelled digits (``numpy.random.default_rng(seed)``, the same
    ``n`` per class, the smaller sets inside the larger) and its own new head. Runs are named
    ``"5 per class"`` ... (results: one test accuracy per method) and ``"cuts"`` (one per cut).
    """
    import keras

    from course_utils.datasets import load_mnist
    from course_utils.transfer import digit_tasks, lenet_transfer_model

    tasks = digit_tasks(*load_mnist(source))
    x_pool, y_pool, x_test, y_test = tasks.x_pool, tasks.y_pool, tasks.x_target_test, tasks.y_target_test

    def fit(model, x, y, method):
        settings = TRANSFER_SETTINGS[method]
        model.compile(optimizer=keras.optimizers.Adam(settings["learning_rate"]),
                      loss="sparse_categorical_crossentropy")
        history = model.fit(x, y, epochs=settings["epochs"], batch_size=128, verbose=0)
        return round(float(history.history["loss"][-1]), 5)

    def accuracy(model):
        probabilities = keras.ops.convert_to_numpy(model(x_test, training=False))
        return round(float(np.mean(probabilities.argmax(axis=1) == y_test)), 4)

    def labelled(seed, n):
        rng = np.random.default_rng(seed)
        order = [rng.permutation(np.flatnonzero(y_pool == c)) for c in range(5)]
        index = np.concatenate([order[c][:n] for c in range(5)])
        return x_pool[index], y_pool[index]

    def methods(n):
        def measure(seed):
            x, y = labelled(seed, n)
            base, model = lenet_transfer_model(pretrained_weights)
            base.trainable = False
            losses = {"feature extraction": fit(model, x, y, "feature extraction")}
            result = {"feature extraction": accuracy(model)}
            base.trainable = True
            losses["fine-tuning"] = fit(model, x, y, "fine-tuning")
            result["fine-tuning"] = accuracy(model)
            _, scratch = lenet_transfer_model(None)
            losses["from scratch"] = fit(scratch, x, y, "from scratch")
            result["from scratch"] = accuracy(scratch)
            return {**result, "train_loss": losses}
        return measure

    def cuts(seed):
        x, y = labelled(seed, TRANSFER_LABELS[0])
        result, losses = {}, {}
        for cut in TRANSFER_CUTS:
            base, model = lenet_transfer_model(pretrained_weights, cut=cut)
            base.trainable = False
            losses[cut] = fit(model, x, y, "feature extraction")
            result[cut] = accuracy(model)
        return {**result, "train_loss": losses}

    trials = {f"{n} per class": methods(n) for n in TRANSFER_LABELS}
    trials["cuts"] = cuts
    config = {"labels": list(TRANSFER_LABELS), "cuts": list(TRANSFER_CUTS), "settings": TRANSFER_SETTINGS}
    return load_or_measure("transfer", trials, seeds=tuple(seeds), config=config,
                           data=(x_pool, y_pool, x_test, y_test, *pretrained_weights),
                           about=f"MNIST ({source}): digits 5-9, {len(x_pool):,} to label from, "
                                 f"{len(x_test):,} to test", retrain=retrain, folder=folder)


def course_transfer(*, retrain: bool = False, source: str = "sample", folder=None) -> dict:
    """:func:`transfer` from the LeNet that notebook 11 pretrains (the shipped one on the sample)."""
    from course_utils.datasets import load_mnist
    from course_utils.transfer import digit_tasks, pretrained_lenet

    model, _ = pretrained_lenet(digit_tasks(*load_mnist(source)))
    return transfer(model.get_weights(), retrain=retrain, source=source, folder=folder)


STUDIES = {"optimisers": optimisers, "schedules": schedules, "batch-norm": batch_norm, "regularisers": regularisers,
           "small-networks": small_networks, "degradation": degradation, "efficient-networks": efficient_networks,
           "transfer": course_transfer}
"""Study name (the prefix of its shipped files) -> the function that loads or trains it."""
