"""Comparisons a student can trust: every network trained from several seeds to a plateau.

One training run says little: another seed (or another processor, see
:mod:`course_utils.measured`) moves a small network's accuracy by a point or more. A
*study* trains each network of a set from ``seeds`` with one :class:`Recipe` until its
validation loss stops improving (early stopping, best weights kept), and records each run's
curves, its test accuracy and how long it took. Studies too slow for a notebook run once with
``python tools/ship_trained_models.py --only studies`` and ship in ``course_utils/data/trained/`` (results, the
first seed's weights, provenance); :func:`load_or_run` hands them to the notebook, or trains
them here with ``retrain=True``. Both are keyed by a hash of the recipe, the networks, the
seeds and the exact data, so other data never picks up shipped results.

>>> spread([0.80, 0.82, 0.84])
Spread(mean=0.82, std=0.02, n=3)
>>> str(spread([0.80, 0.82, 0.84]))
'0.820 ± 0.020'
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from course_utils.models import SHIPPED_DIR, artifacts_dir, config_key, provenance, write_weights


@dataclass(frozen=True)
class Recipe:
    """How every network of a study is trained: Adam, early stopping on the validation loss."""

    max_epochs: int = 40
    patience: int = 4          # epochs without a lower validation loss before stopping
    batch_size: int = 128
    learning_rate: float = 3e-3


class Spread(NamedTuple):
    """Mean and sample standard deviation of one quantity over ``n`` seeds."""

    mean: float
    std: float
    n: int

    def __str__(self) -> str:
        return f"{self.mean:.3f} ± {self.std:.3f}"


def spread(values) -> Spread:
    """The mean ± sample standard deviation of ``values`` (one per seed), rounded to 4 decimals.

    >>> spread([0.5])
    Spread(mean=0.5, std=0.0, n=1)
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"expected one value per seed, got an array of shape {values.shape}")
    std = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return Spread(round(float(values.mean()), 4), round(std, 4), int(values.size))


def within_noise(a, b, level: float = 0.05) -> bool:
    """Whether two sets of per-seed values may differ by chance alone: Welch's t-test (SciPy) finds
    no difference between their means at ``level``. With 3 seeds only a large, steady gap counts.

    >>> within_noise([0.80, 0.82, 0.81], [0.81, 0.83, 0.80])
    True
    >>> within_noise([0.80, 0.81, 0.80], [0.86, 0.87, 0.86])
    False
    """
    from scipy import stats

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.size < 2 or b.size < 2:
        raise ValueError("within_noise needs at least two seeds on each side")
    if a.std() == 0 and b.std() == 0:          # no spread at all: the t statistic is undefined
        return bool(a.mean() == b.mean())
    return bool(stats.ttest_ind(a, b, equal_var=False).pvalue >= level)


def train_to_plateau(model, x_train, y_train, x_val, y_val, recipe: Recipe) -> dict:
    """Train a compiled-here ``model`` until the validation loss stops improving; keep the best weights.

    Returns the run's curves (``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``, one value
    per epoch), ``best_epoch`` (1-based; the weights the model keeps), ``epochs`` run and ``seconds``.
    """
    import keras

    model.compile(optimizer=keras.optimizers.Adam(recipe.learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=recipe.patience, restore_best_weights=True)
    start = time.perf_counter()
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=recipe.max_epochs,
                        batch_size=recipe.batch_size, verbose=0, callbacks=[stop])
    seconds = time.perf_counter() - start
    curves = {name: [round(float(v), 5) for v in values] for name, values in history.history.items()
              if name in ("loss", "accuracy", "val_loss", "val_accuracy")}
    best = int(np.argmin(curves["val_loss"])) + 1
    return {**curves, "best_epoch": best, "epochs": len(curves["loss"]), "seconds": round(seconds, 1)}


def study_key(name: str, networks, seeds, recipe: Recipe, data) -> str:
    """The hash that ties shipped results to their exact study and data.

    >>> x = np.zeros((2, 2), "float32")
    >>> study_key("s", ["a"], [0], Recipe(), [x]) == study_key("s", ["a"], [0], Recipe(max_epochs=3), [x])
    False
    """
    config = {"study": name, "networks": list(networks), "seeds": list(seeds), "recipe": asdict(recipe)}
    return config_key(config, *data)


def load_or_run(name: str, builders: dict[str, Callable], data, *, seeds=(0, 1, 2), recipe: Recipe = Recipe(),
                about: str = "", retrain: bool = False, folder=None) -> dict:
    """The study ``name``: ``builders`` (network name -> function returning an uncompiled model)
    trained from each seed on ``data`` = ``(x_train, y_train, x_val, y_val, x_test, y_test)``.

    Returns ``{"key", "study", "data", "recipe", "seeds", "runs": {network: [run per seed]}, "provenance",
    "source"}`` (``data`` is ``about``, what the data are in words),
    each run as :func:`train_to_plateau` gives it plus ``test_accuracy``; ``source`` says
    ``"shipped"``, ``"cache"`` or ``"trained"``. ``retrain=True`` trains here whatever exists
    (minutes per network and seed on a laptop) and keeps the result in ``artifacts/``; the
    first seed's weights are saved beside it (:func:`load_weights` reads them).
    """
    key = study_key(name, builders, seeds, recipe, data)
    folder = Path(folder) if folder is not None else artifacts_dir()
    if not retrain:
        for source, place in (("shipped", SHIPPED_DIR), ("cache", folder)):
            path = place / f"{name}-{key}.json"
            if path.exists():
                return {**json.loads(path.read_text(encoding="utf-8")), "source": source}
    study = run(name, builders, data, seeds=seeds, recipe=recipe, about=about, folder=folder, key=key)
    return {**study, "source": "trained"}


def run(name: str, builders: dict[str, Callable], data, *, seeds, recipe: Recipe, about: str, folder: Path,
        key: str, progress: Callable[[str], None] = print) -> dict:
    """Train the whole study now and write ``<folder>/<name>-<key>.json`` (and the first seed's weights)."""
    import keras

    from course_utils.session import seed_everything

    x_train, y_train, x_val, y_val, x_test, y_test = data
    runs = {}
    for network, build in builders.items():
        runs[network] = []
        for seed in seeds:
            seed_everything(seed)
            model = build()
            result = train_to_plateau(model, x_train, y_train, x_val, y_val, recipe)
            result["test_accuracy"] = round(float(model.evaluate(x_test, y_test, batch_size=500, verbose=0)[1]), 4)
            result["params"] = model.count_params()
            runs[network].append(result)
            progress(f"{name}: {network} seed {seed}: best epoch {result['best_epoch']} of {result['epochs']}, "
                     f"test accuracy {result['test_accuracy']:.3f}, {result['seconds']:.0f} s")
            if seed == seeds[0]:
                write_weights(model, folder / f"{name}-{key}-{network}.weights.h5")
            keras.backend.clear_session()
    study = {"key": key, "study": name, "data": about, "recipe": asdict(recipe), "seeds": list(seeds), "runs": runs,
             "provenance": provenance()}
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{name}-{key}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(study, indent=1), encoding="utf-8")
    os.replace(tmp, folder / f"{name}-{key}.json")
    return study


def load_weights(model, study: dict, network: str, folder=None):
    """``model`` with the first seed's trained weights of ``network`` from ``study``: the shipped
    folder's for a shipped study, else ``folder`` (what :func:`load_or_run` was given; ``artifacts/``)."""
    place = SHIPPED_DIR if study["source"] == "shipped" else Path(folder) if folder is not None else artifacts_dir()
    model.load_weights(place / f"{study['study']}-{study['key']}-{network}.weights.h5")
    return model


def summary(study: dict, quantity: str = "test_accuracy") -> dict[str, Spread]:
    """``{network: Spread}`` of one per-run number of the study (``test_accuracy``, ``best_epoch``, ...)."""
    return {network: spread([r[quantity] for r in runs]) for network, runs in study["runs"].items()}


# --------------------------------------------------------------------------------------
# The course's studies (tools/ship_trained_models.py --only studies ships them)
# --------------------------------------------------------------------------------------

SMALL_NETWORKS = "small-networks"


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


def small_networks_study(*, retrain: bool = False, source: str = "sample", seeds=(0, 1, 2), kinds=None,
                         folder=None) -> dict:
    """Notebook 09's comparison: every :func:`course_utils.architectures.small_network` from 3 seeds
    to a plateau on 4,000 Fashion-MNIST images (1,000 more for early stopping, 1,000 to test).

    The shipped results are for the bundled sample (``source="sample"``), so every machine reads
    the same ones; ``source="full"`` (with the full data on disk) or ``retrain=True`` trains here."""
    from course_utils import architectures as arch

    kinds = tuple(kinds or arch.SMALL_KINDS)
    builders = {kind: (lambda kind=kind: arch.small_network(kind)) for kind in kinds}
    return load_or_run(SMALL_NETWORKS, builders, fashion_split(source=source), seeds=tuple(seeds), retrain=retrain,
                       folder=folder, about=f"Fashion-MNIST ({source}): 4,000 images to train, 1,000 to stop early, "
                                            "1,000 to test")
