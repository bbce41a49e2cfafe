"""Comparisons a student can trust: every network (or trial) run from several seeds.

One training run says little: another seed (or another processor, see
:mod:`course_utils.measured`) moves a small network's accuracy by a point or more. A
*study* runs each trial of a set from every one of ``seeds`` and records what it measured:
:func:`load_or_run` trains networks with a :class:`Recipe` (by default until the validation
loss stops improving, best weights kept) and records each run's curves, test accuracy and
time; :func:`load_or_measure` runs any function of the seed. Studies too slow for a notebook
run once with ``python tools/ship_trained_models.py --only studies`` and ship in
``course_utils/data/trained/`` (results, the first seed's weights, provenance); a notebook
loads them, or trains them here with ``retrain=True``. The course's own studies are in
:mod:`course_utils.studies`. Both are keyed by a hash of the configuration, the trial names,
the seeds and the exact data, so other data never picks up shipped results.

>>> spread([0.80, 0.82, 0.84])
Spread(mean=0.82, std=0.02, n=3)
>>> str(spread([0.80, 0.82, 0.84]))
'0.820 ± 0.020'
"""
from __future__ import annotations

import json
import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Mapping, NamedTuple

import numpy as np

from course_utils.models import SHIPPED_DIR, artifacts_dir, config_key, provenance, write_weights


OPTIMIZERS = ("adam", "sgd", "momentum", "nesterov", "rmsprop")
SCHEDULES = ("constant", "step", "cosine")


@dataclass(frozen=True)
class Recipe:
    """How a network of a study is trained: by default Adam with early stopping on the validation loss.

    ``patience=None`` trains every one of ``max_epochs`` and keeps the last weights (for
    comparisons at a fixed budget). ``schedule="step"`` divides the learning rate by 10 at half
    and at three quarters of ``max_epochs``; ``"cosine"`` is Keras' ``CosineDecay`` over them.

    >>> Recipe(optimizer="momentum", learning_rate=0.01).optimizer_for(steps_per_epoch=10).__class__.__name__
    'SGD'
    >>> Recipe(optimizer="adagrad")
    Traceback (most recent call last):
    ValueError: optimizer must be one of ('adam', 'sgd', 'momentum', 'nesterov', 'rmsprop'), got 'adagrad'
    """

    max_epochs: int = 40
    patience: int | None = 4    # epochs without a lower validation loss before stopping; None: never stop
    batch_size: int = 128
    learning_rate: float = 3e-3
    optimizer: str = "adam"     # momentum and nesterov: SGD with momentum 0.9
    schedule: str = "constant"

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")

    def learning_rate_for(self, steps_per_epoch: int):
        """The learning rate or Keras schedule (a function of the step) that the optimizer gets."""
        import keras

        total = self.max_epochs * steps_per_epoch
        if self.schedule == "step":
            return keras.optimizers.schedules.PiecewiseConstantDecay(
                boundaries=[total // 2, (3 * total) // 4],
                values=[self.learning_rate, self.learning_rate / 10, self.learning_rate / 100])
        if self.schedule == "cosine":
            return keras.optimizers.schedules.CosineDecay(self.learning_rate, decay_steps=total)
        return self.learning_rate

    def optimizer_for(self, steps_per_epoch: int):
        """A fresh Keras optimizer for one run."""
        import keras

        rate = self.learning_rate_for(steps_per_epoch)
        if self.optimizer == "adam":
            return keras.optimizers.Adam(rate)
        if self.optimizer == "rmsprop":
            return keras.optimizers.RMSprop(rate)
        momentum = 0.0 if self.optimizer == "sgd" else 0.9
        return keras.optimizers.SGD(rate, momentum=momentum, nesterov=self.optimizer == "nesterov")


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
    """Train a compiled-here ``model`` as ``recipe`` says; with early stopping, keep the best weights.

    Returns the run's curves (``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``, one value
    per epoch), ``best_epoch`` (1-based: the lowest validation loss, the weights the model keeps
    when it stops early), ``epochs`` run and ``seconds``.
    """
    import keras

    steps_per_epoch = -(-len(x_train) // recipe.batch_size)
    model.compile(optimizer=recipe.optimizer_for(steps_per_epoch), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    callbacks = [] if recipe.patience is None else [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=recipe.patience, restore_best_weights=True)]
    start = time.perf_counter()
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=recipe.max_epochs,
                        batch_size=recipe.batch_size, verbose=0, callbacks=callbacks)
    seconds = time.perf_counter() - start
    curves = {name: [round(float(v), 5) for v in values] for name, values in history.history.items()
              if name in ("loss", "accuracy", "val_loss", "val_accuracy")}
    best = int(np.argmin(curves["val_loss"])) + 1
    return {**curves, "best_epoch": best, "epochs": len(curves["loss"]), "seconds": round(seconds, 1)}


def study_key(name: str, trials, seeds, config, data) -> str:
    """The hash that ties stored results to their exact study (trial names, seeds, configuration) and data.

    >>> x = np.zeros((2, 2), "float32")
    >>> study_key("s", ["a"], [0], {"epochs": 1}, [x]) == study_key("s", ["a"], [0], {"epochs": 2}, [x])
    False
    """
    return config_key({"study": name, "networks": list(trials), "seeds": list(seeds), "recipe": config}, *data)


def load_or_measure(name: str, trials: dict[str, Callable[[int], dict]], *, seeds=(0, 1, 2), config, data=(),
                    about: str = "", retrain: bool = False, folder=None, progress: Callable[[str], None] = print
                    ) -> dict:
    """The study ``name``: every trial (name -> function of the seed returning its measurements) run
    from each seed, or its stored results.

    ``config`` (plain data) and the arrays of ``data`` are what the trials depend on besides their
    names: both go into the key, so a changed setting or other data is another study. Each trial
    runs after :func:`course_utils.session.seed_everything` of its seed; a ``"model"`` entry in
    what it returns is not stored, but the first seed's model's weights are (:func:`load_weights`).
    Returns ``{"key", "study", "data", "recipe", "seeds", "runs": {trial: [result per seed]},
    "provenance", "source"}`` (``data``: ``about``, the data in words; ``recipe``: ``config``);
    ``source`` says ``"shipped"``, ``"cache"`` or ``"trained"``. ``retrain=True`` runs it here
    whatever exists and keeps the result in ``folder`` (``artifacts/``).
    """
    import keras

    from course_utils.session import seed_everything

    key = study_key(name, trials, seeds, config, data)
    folder = Path(folder) if folder is not None else artifacts_dir()
    if not retrain:
        for source, place in (("shipped", SHIPPED_DIR), ("cache", folder)):
            path = place / f"{name}-{key}.json"
            if path.exists():
                return {**json.loads(path.read_text(encoding="utf-8")), "source": source}
    runs = {}
    for trial, measure in trials.items():
        runs[trial] = []
        for seed in seeds:
            seed_everything(seed)
            result = dict(measure(seed))
            model = result.pop("model", None)
            runs[trial].append(result)
            progress(f"{name}: {trial} seed {seed}: " + ", ".join(
                f"{k} {v:.4g}" for k, v in result.items() if isinstance(v, (int, float)) and not isinstance(v, bool)))
            if seed == seeds[0] and model is not None:
                write_weights(model, folder / weights_name(name, key, trial))
            keras.backend.clear_session()
    study = {"key": key, "study": name, "data": about, "recipe": config, "seeds": list(seeds), "runs": runs,
             "provenance": provenance()}
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{name}-{key}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(study, indent=1), encoding="utf-8")
    os.replace(tmp, folder / f"{name}-{key}.json")
    return {**study, "source": "trained"}


def load_or_run(name: str, builders: dict[str, Callable], data, *, seeds=(0, 1, 2),
                recipe: Recipe | Mapping[str, Recipe] = Recipe(), about: str = "", retrain: bool = False,
                folder=None) -> dict:
    """The study ``name``: ``builders`` (network name -> function returning an uncompiled model)
    trained from each seed on ``data`` = ``(x_train, y_train, x_val, y_val, x_test, y_test)`` with
    ``recipe`` (one for all, or one per network), through :func:`load_or_measure`.

    Each run is as :func:`train_to_plateau` gives it plus ``test_accuracy`` and ``params``;
    ``retrain=True`` trains here (minutes per network and seed on a laptop).
    """
    recipes = {network: recipe if isinstance(recipe, Recipe) else recipe[network] for network in builders}
    x_train, y_train, x_val, y_val, x_test, y_test = data

    def trial(network):
        def measure(seed):
            model = builders[network]()
            result = train_to_plateau(model, x_train, y_train, x_val, y_val, recipes[network])
            probabilities = np.concatenate([np.asarray(model(x_test[i:i + 500], training=False))
                                            for i in range(0, len(x_test), 500)])
            result["test_accuracy"] = round(float(np.mean(probabilities.argmax(axis=1) == y_test)), 4)
            return {**result, "params": model.count_params(), "model": model}
        return measure

    config = (asdict(recipe) if isinstance(recipe, Recipe)
              else {network: asdict(r) for network, r in recipes.items()})
    return load_or_measure(name, {network: trial(network) for network in builders}, seeds=seeds, config=config,
                           data=data, about=about, retrain=retrain, folder=folder)


def weights_name(study: str, key: str, trial: str) -> str:
    """The file that holds a trial's first-seed weights: its name in lower case, runs of other characters as ``-``.

    >>> weights_name("batch-norm", "0123456789abcdef", "LeNet + BN, SGD 0.05")
    'batch-norm-0123456789abcdef-lenet-bn-sgd-0-05.weights.h5'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", trial.lower()).strip("-")
    return f"{study}-{key}-{slug}.weights.h5"


def load_weights(model, study: dict, network: str, folder=None):
    """``model`` with the first seed's trained weights of ``network`` from ``study``: the shipped
    folder's for a shipped study, else ``folder`` (what :func:`load_or_run` was given; ``artifacts/``)."""
    place = SHIPPED_DIR if study["source"] == "shipped" else Path(folder) if folder is not None else artifacts_dir()
    model.load_weights(place / weights_name(study["study"], study["key"], network))
    return model


def summary(study: dict, quantity: str = "test_accuracy") -> dict[str, Spread]:
    """``{network: Spread}`` of one per-run number of the study (``test_accuracy``, ``best_epoch``, ...)."""
    return {network: spread([r[quantity] for r in runs]) for network, runs in study["runs"].items()}
