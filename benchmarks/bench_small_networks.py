"""The small networks of notebooks 09 and 13 on Fashion-MNIST under one training budget, and a fast recipe to 92 %.

    python benchmarks/bench_small_networks.py                         # all 13 networks, 120 s each, seeds 0 1 2
    python benchmarks/bench_small_networks.py --budget-s 60 --networks resnet mobilenet
    python benchmarks/bench_small_networks.py --recipe                # time to 92 % test accuracy
    python benchmarks/bench_small_networks.py --sample --budget-s 4   # the bundled sample (when the full data is absent)

Table mode: every network of notebook 09 (``architectures.small_network``) and 13
(``efficient.small_network``) trains with notebook 09's optimiser (Adam, learning rate
3e-3, batches of 128) until ``--budget-s`` seconds of training have passed (the clock starts
after the first step, which builds the graph, and stops the run at the end of the batch that
crosses the budget), once per seed. Then it is tested on the whole test set, outside the
clock. It prints a markdown table: parameters, multiply-adds per image (the course's counter,
:func:`course_utils.shapes.model_macs`), epochs run, training seconds, and the test
accuracy's mean ± standard deviation over the seeds.

Recipe mode (``--recipe``): :func:`recipe_model`, a small batch-normalised CNN on 2x2 pixel
patches, trained with Adam on a one-cycle schedule (warm-up to 4e-3, then cosine decay to 0)
over ``--epochs`` epochs of batches of 128; the test accuracy is measured after
every epoch (outside the clock), and the table gives the training seconds until it first
reached ``--target`` (0.92).

Data: full Fashion-MNIST through ``keras.datasets.fashion_mnist.load_data()``, read from
Keras' cache (``~/.keras/datasets/fashion-mnist``, or ``$KERAS_HOME``) when its four files
are there; the script never downloads. Without them it says so and stops, unless ``--sample``
asks for the course's bundled sample (5,000 training and 1,000 test images), which every
heading then names.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing
import course_utils  # noqa: E402,F401  (before keras: quiet TensorFlow start-up)
import keras  # noqa: E402
from keras import layers  # noqa: E402

from course_utils import architectures, datasets, efficient  # noqa: E402
from course_utils.datasets import _tilde  # noqa: E402  (paths shown as ~/...)
from course_utils.doctor import cpu_name  # noqa: E402
from course_utils.session import seed_everything  # noqa: E402
from course_utils.shapes import model_macs  # noqa: E402

NETWORKS = {**{kind: ("09", architectures.small_network) for kind in architectures.SMALL_KINDS},
            **{kind: ("13", efficient.small_network) for kind in efficient.SMALL_KINDS}}
RECIPE_BN_MOMENTUM = 0.9   # Keras' 0.99 lags: on the sample (40 steps an epoch) the test-time statistics were still off
FASHION_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


# ---------------------------------------------------------------- data

def full_data_folder() -> Path:
    """Where ``keras.datasets.fashion_mnist.load_data()`` looks for its four files."""
    return datasets.keras_cache_dir() / "fashion-mnist"


def load_data(sample: bool):
    """``(title, (x_train, y_train), (x_test, y_test))`` as float32 images in [0, 1] with a channel axis.

    Full Fashion-MNIST when Keras' cache holds it; otherwise the bundled sample if ``sample``,
    else ``None`` (the caller says why and stops).
    """
    folder = full_data_folder()
    if all((folder / name).exists() for name in FASHION_FILES):
        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
        title = "full Fashion-MNIST"
    elif sample:
        with contextlib.redirect_stdout(io.StringIO()):     # the loader's one-line source note
            (x_train, y_train), (x_test, y_test) = datasets.load_fashion_mnist(source="sample")
        title = "the bundled Fashion-MNIST SAMPLE (not the full data set)"
    else:
        return None

    def prepare(images):
        return (np.asarray(images, np.float32) / 255.0)[..., None]
    return title, (prepare(x_train), np.asarray(y_train, np.int64)), (prepare(x_test), np.asarray(y_test, np.int64))


# ---------------------------------------------------------------- table mode

class BudgetClock(keras.callbacks.Callback):
    """Starts after the first training step (graph building), stops training once ``budget_s`` have passed."""

    def __init__(self, budget_s: float):
        super().__init__()
        self.budget_s, self.start, self.seconds, self.epochs, self.first_step_s = budget_s, None, 0.0, 0, 0.0

    def on_train_begin(self, logs=None):
        self._fit_start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        if self.start is None:
            self.start, self.first_step_s = now, now - self._fit_start
            return
        self.seconds = now - self.start
        if self.seconds >= self.budget_s:
            self.model.stop_training = True


def train_for_budget(kind, data, seed, budget_s, batch_size=128, learning_rate=3e-3, max_epochs=1000) -> dict:
    """One network, one seed: train until the budget is spent, then test (outside the clock)."""
    (x_train, y_train), (x_test, y_test) = data
    seed_everything(seed)
    model = NETWORKS[kind][1](kind)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    clock = BudgetClock(budget_s)
    model.fit(x_train, y_train, epochs=max_epochs, batch_size=batch_size, verbose=0, callbacks=[clock])
    accuracy = float(model.evaluate(x_test, y_test, batch_size=1000, verbose=0)[1])
    result = {"params": model.count_params(), "macs": model_macs(model), "epochs": clock.epochs,
              "seconds": clock.seconds, "first_step_s": clock.first_step_s, "accuracy": accuracy}
    keras.backend.clear_session()
    return result


def summarise(runs: list[dict]) -> dict:
    """One table row from the runs of one network: counts from the first, means (and the accuracy's spread) of all.

    >>> row = summarise([{"params": 5, "macs": 9, "epochs": 2, "seconds": 1.0, "accuracy": 0.8},
    ...                  {"params": 5, "macs": 9, "epochs": 3, "seconds": 3.0, "accuracy": 0.9}])
    >>> round(row["accuracy_mean"], 4), round(row["accuracy_std"], 4), row["seconds"], row["epochs"]
    (0.85, 0.0707, 2.0, 2.5)
    """
    accuracies = np.array([r["accuracy"] for r in runs])
    return {"params": runs[0]["params"], "macs": runs[0]["macs"], "runs": len(runs),
            "epochs": float(np.mean([r["epochs"] for r in runs])), "seconds": float(np.mean([r["seconds"] for r in runs])),
            "accuracy_mean": float(accuracies.mean()),
            "accuracy_std": float(accuracies.std(ddof=1)) if len(runs) > 1 else 0.0}


def table(rows: dict) -> str:
    """The markdown table of :func:`summarise` rows, by notebook then by multiply-adds.

    >>> print(table({"lenet": {"params": 61706, "macs": 416520, "runs": 3, "epochs": 2.0, "seconds": 4.1,
    ...                        "accuracy_mean": 0.7512, "accuracy_std": 0.0123}}))
    | network | notebook | params | MACs per image | epochs | train s | test accuracy (mean ± std, 3 seeds) |
    |---|---|---:|---:|---:|---:|---:|
    | lenet | 09 | 61,706 | 0.42 M | 2.0 | 4.1 | 0.7512 ± 0.0123 |
    """
    runs = {row["runs"] for row in rows.values()}
    seeds = f"{runs.pop()} seeds" if len(runs) == 1 else "per row"
    lines = [f"| network | notebook | params | MACs per image | epochs | train s | test accuracy (mean ± std, {seeds}) |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for kind, row in sorted(rows.items(), key=lambda item: (NETWORKS[item[0]][0], item[1]["macs"])):
        lines.append(f"| {kind} | {NETWORKS[kind][0]} | {row['params']:,} | {row['macs'] / 1e6:.2f} M | "
                     f"{row['epochs']:.1f} | {row['seconds']:.1f} | {row['accuracy_mean']:.4f} ± {row['accuracy_std']:.4f} |")
    return "\n".join(lines)


# ---------------------------------------------------------------- recipe mode

def space_to_depth(x, block: int = 2):
    """Each ``block`` x ``block`` patch of pixels becomes one position with ``block**2`` channels.

    The stem of the recipe: on the course's 2-core machine, a model of one 3x3 convolution
    (32 filters) and the classifier trained at 37 ms per 128-image step on the 28x28x1 image
    and at 18 ms on its 14x14x4 patches (a stride-2 convolution instead: 23 ms).

    >>> space_to_depth(keras.Input((28, 28, 1))).shape
    (None, 14, 14, 4)
    """
    height, width, channels = x.shape[1:]
    x = layers.Reshape((height // block, block, width // block, block * channels))(x)
    x = layers.Permute((1, 3, 2, 4))(x)
    return layers.Reshape((height // block, width // block, block * block * channels))(x)


def recipe_model(widths=(48, 96), dense: int = 128, name: str = "recipe_cnn"):
    """A small batch-normalised CNN for 28x28 images: 2x2 patches, conv, pool, conv, a dense head.

    The image as 14x14 positions of 2x2 pixels (:func:`space_to_depth`), a 3x3 convolution
    (no bias) + BatchNorm + ReLU, a 2x2 max-pool, a second 3x3 convolution + BatchNorm + ReLU
    at 7x7, then dropout, a dense layer and the classifier.

    >>> m = recipe_model()
    >>> m.count_params(), round(model_macs(m) / 1e6, 2)
    (647306, 2.97)
    """
    inputs = keras.Input((28, 28, 1))
    x = space_to_depth(inputs)
    for k, filters in enumerate(widths):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization(momentum=RECIPE_BN_MOMENTUM)(x))
        if k < len(widths) - 1:
            x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(0.25)(layers.Flatten()(x))
    x = layers.Dense(dense, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax")(layers.Dropout(0.25)(x))
    return keras.Model(inputs, outputs, name=name)


class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up to ``peak`` over the first ``warmup`` share of the steps, then cosine decay to 0."""

    def __init__(self, peak: float, total_steps: int, warmup: float = 0.2):
        self.peak, self.total, self.warm = peak, max(1, total_steps), max(1, int(warmup * total_steps))

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        rising = self.peak * step / self.warm
        progress = keras.ops.clip((step - self.warm) / max(1, self.total - self.warm), 0.0, 1.0)
        falling = 0.5 * self.peak * (1.0 + keras.ops.cos(math.pi * progress))
        return keras.ops.where(step < self.warm, rising, falling)

    def get_config(self):
        return {"peak": self.peak, "total_steps": self.total}


class EpochTester(keras.callbacks.Callback):
    """Times each epoch and tests after it, outside the clock."""

    def __init__(self, x_test, y_test, target):
        super().__init__()
        self.x_test, self.y_test, self.target = x_test, y_test, target
        self.seconds, self.accuracy = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)
        predicted = self.model.predict(self.x_test, batch_size=2000, verbose=0).argmax(axis=1)
        self.accuracy.append(float(np.mean(predicted == self.y_test)))
        print(f"  epoch {epoch + 1}: {self.seconds[-1]:.1f} s, test accuracy {self.accuracy[-1]:.4f}", flush=True)


def run_recipe(data, seed, epochs, batch_size=128, peak_lr=4e-3, target=0.92) -> dict:
    (x_train, y_train), (x_test, y_test) = data
    seed_everything(seed)
    model = recipe_model()
    steps = epochs * math.ceil(len(x_train) / batch_size)
    model.compile(optimizer=keras.optimizers.Adam(OneCycle(peak_lr, steps)), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    tester = EpochTester(x_test, y_test, target)
    model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=[tester])
    elapsed = np.cumsum(tester.seconds)
    reached = [t for t, acc in zip(elapsed, tester.accuracy) if acc >= target]
    return {"params": model.count_params(), "macs": model_macs(model), "epochs": epochs, "seconds": float(elapsed[-1]),
            "best": max(tester.accuracy), "final": tester.accuracy[-1], "to_target": reached[0] if reached else None}


# ---------------------------------------------------------------- command line

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", nargs="+", default=list(NETWORKS), choices=list(NETWORKS))
    parser.add_argument("--budget-s", type=float, default=120.0, help="seconds of training per run (default 120)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--sample", action="store_true",
                        help="use the bundled sample when full Fashion-MNIST is not in Keras' cache")
    parser.add_argument("--recipe", action="store_true", help="run the fast recipe and report the time to --target")
    parser.add_argument("--epochs", type=int, default=10, help="recipe: epochs of the one-cycle schedule (default 10)")
    parser.add_argument("--target", type=float, default=0.92, help="recipe: test accuracy to reach (default 0.92)")
    args = parser.parse_args(argv)

    loaded = load_data(args.sample)
    if loaded is None:
        print(f"full Fashion-MNIST is not in {_tilde(full_data_folder())} (keras.datasets.fashion_mnist.load_data() "
              f"would download it; this script does not): copy its four .gz files there, or pass --sample")
        return 2
    title, train, test = loaded
    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    import tensorflow as tf  # only to report its version

    tf.get_logger().setLevel("ERROR")   # "retracing" warnings: every run builds a new model, on purpose
    print(f"# Small networks on {title}\n")
    print(f"- {len(train[0]):,} training / {len(test[0]):,} test images")
    print(f"- backend {keras.backend.backend()}, Keras {keras.__version__}, TensorFlow {tf.__version__}, "
          f"NumPy {np.__version__}, Python {platform.python_version()}")
    print(f"- {os.cpu_count()} CPU cores ({cpu_name()}), load average {load_avg:.2f} at the start\n")
    if args.recipe:
        print(f"## Recipe: {recipe_model.__doc__.splitlines()[0]}\n")
        print(f"Adam one-cycle (peak 4e-3), batches of 128, {args.epochs} epochs, "
              f"seeds {args.seeds}\n")
        results = []
        for seed in args.seeds:
            results.append(run_recipe((train, test), seed, args.epochs, target=args.target))
        print("\n| seed | params | MACs per image | epochs | train s | best test acc | final test acc | "
              f"s to {args.target:.0%} |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for seed, r in zip(args.seeds, results):
            to_target = f"{r['to_target']:.1f}" if r["to_target"] is not None else "not reached"
            print(f"| {seed} | {r['params']:,} | {r['macs'] / 1e6:.2f} M | {r['epochs']} | {r['seconds']:.1f} | "
                  f"{r['best']:.4f} | {r['final']:.4f} | {to_target} |")
    else:
        print(f"## Same budget for every network: {args.budget_s:g} s of training, Adam 3e-3, batches of 128, "
              f"seeds {args.seeds}\n", flush=True)
        rows = {}
        for kind in args.networks:
            runs = [train_for_budget(kind, (train, test), seed, args.budget_s) for seed in args.seeds]
            rows[kind] = summarise(runs)
            print(f"  {kind}: {rows[kind]['accuracy_mean']:.4f} ± {rows[kind]['accuracy_std']:.4f}", flush=True)
        print()
        print(table(rows))
    if hasattr(os, "getloadavg"):
        print(f"\nload average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
