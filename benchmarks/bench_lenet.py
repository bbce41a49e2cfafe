"""How fast does LeNet-5 train on a CPU, and how long until it reaches a target test accuracy?

    python benchmarks/bench_lenet.py                                # MNIST sample + full Fashion-MNIST
    python benchmarks/bench_lenet.py --data fashion --budget 60 --batch-sizes 256 1024
    python benchmarks/bench_lenet.py --quick                        # a smoke run of a few seconds
    python benchmarks/bench_lenet.py --data fashion --models modern --batch-sizes 128 \
        --learning-rate 4e-3 --decay-epochs 8 --max-epochs 8      # the 90%-in-60-s recipe

For every (data set, model, batch size) the model trains epoch by epoch with Adam until
``--budget`` seconds of *training* time are spent (the last epoch may run past it; an
epoch is the unit of work). After each epoch the test accuracy is measured, outside the
clock. The table reports the first epoch (it includes building the graph) separately
from the median of the later ones, the best test accuracy, and the training seconds
until the test accuracy first reached ``--target`` ("-" if never within the budget).

Models: ``classic`` (tanh, average pooling), ``modern`` (ReLU, max pooling), ``mid``
and ``wide`` (modern with 10/20 and 16/32 filters in C1/C3), all from ``course_utils.models``.
Timings depend on what else the machine is doing: the header records the core count
and the load average when the run started, so a noisy run can be recognised.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing
import course_utils  # noqa: E402,F401  (before keras: quiet TensorFlow start-up)
import keras  # noqa: E402

from bench_conv2d import cpu_name  # noqa: E402  (the sibling benchmark's CPU probe)
from course_utils import datasets, models  # noqa: E402
from course_utils.session import seed_everything  # noqa: E402

MODELS = {
    "classic": lambda: models.lenet5_classic(input_size=28),
    "modern": lambda: models.lenet5_modern(),
    "mid": lambda: models.lenet5_modern(filters=(10, 20, 120), name="lenet5_mid"),
    "wide": lambda: models.lenet5_modern(filters=(16, 32, 120), name="lenet5_wide"),
}


class TestAccuracyClock(keras.callbacks.Callback):
    """Times each epoch, then measures the test accuracy outside the clock; stops after the budget."""

    def __init__(self, x_test, y_test, budget_s: float):
        super().__init__()
        self.x_test, self.y_test, self.budget_s = x_test, y_test, budget_s
        self.seconds: list[float] = []
        self.test_accuracy: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)
        probabilities = self.model.predict(self.x_test, batch_size=2048, verbose=0)
        self.test_accuracy.append(float(np.mean(probabilities.argmax(axis=1) == self.y_test)))
        if sum(self.seconds) >= self.budget_s:
            self.model.stop_training = True


def run_one(model_name, data, batch_size, learning_rate, budget_s, target, max_epochs, decay_epochs=None):
    (x_train, y_train), (x_test, y_test) = data
    seed_everything(42)
    model = MODELS[model_name]()
    clock = TestAccuracyClock(x_test, y_test, budget_s)
    if decay_epochs:  # cosine decay to 0 over the epochs the budget is expected to allow
        steps = decay_epochs * int(np.ceil(len(x_train) / batch_size))
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, steps)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=max_epochs, batch_size=batch_size, verbose=0, callbacks=[clock])
    elapsed = np.cumsum(clock.seconds)
    reached = [t for t, acc in zip(elapsed, clock.test_accuracy) if acc >= target]
    return {
        "params": model.count_params(),
        "epochs": len(clock.seconds),
        "first_epoch_s": clock.seconds[0],
        "later_epoch_s": float(np.median(clock.seconds[1:])) if len(clock.seconds) > 1 else float("nan"),
        "train_s": float(elapsed[-1]),
        "best_acc": max(clock.test_accuracy),
        "final_acc": clock.test_accuracy[-1],
        "time_to_target": reached[0] if reached else None,
    }


DATA = {  # name: (title, loader)
    "mnist": ("MNIST sample", lambda: datasets.load_mnist(source="sample")),
    "fashion": ("Fashion-MNIST (full)", lambda: datasets.load_fashion_mnist(source="full")),
    "fashion-sample": ("Fashion-MNIST sample", lambda: datasets.load_fashion_mnist(source="sample")),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["mnist", "fashion"], choices=list(DATA))
    parser.add_argument("--models", nargs="+", default=["classic", "modern", "wide"], choices=list(MODELS))
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[128, 256, 1024])
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds of training per run (default 60)")
    parser.add_argument("--target", type=float, default=None,
                        help="test accuracy to reach (default 0.90 on Fashion-MNIST, 0.97 on the MNIST sample)")
    parser.add_argument("--decay-epochs", type=int, default=None,
                        help="cosine-decay the learning rate to 0 over this many epochs (default: constant)")
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="one model, one batch size, a 5 s budget")
    args = parser.parse_args(argv)
    if args.quick:
        args.data, args.models, args.batch_sizes, args.budget = ["mnist"], ["modern"], [256], 5.0

    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    import tensorflow as tf  # only to report its version; the models themselves are backend-agnostic

    print("# LeNet-5 training benchmark\n")
    print(f"- backend {keras.backend.backend()}, Keras {keras.__version__}, TensorFlow {tf.__version__}, "
          f"NumPy {np.__version__}, Python {platform.python_version()}")
    print(f"- {os.cpu_count()} CPU cores ({cpu_name()}), load average {load_avg:.2f} at the start")
    schedule = f", cosine decay over {args.decay_epochs} epochs" if args.decay_epochs else ""
    print(f"- Adam lr {args.learning_rate:g}{schedule}, training budget {args.budget:g} s per run "
          "(test accuracy measured after each epoch, outside the clock)\n")
    for data_name in args.data:
        title, loader = DATA[data_name]
        with _quiet_stdout():
            (x_train, y_train), (x_test, y_test) = loader()
        target = args.target if args.target is not None else (0.97 if data_name == "mnist" else 0.90)
        data = ((models.prepare_images(x_train), y_train.astype(np.int64)),
                (models.prepare_images(x_test), y_test.astype(np.int64)))
        print(f"## {title}: {len(x_train):,} train / {len(x_test):,} test, target {target:.0%}\n")
        print("| model | params | batch | epochs | 1st epoch s | later epoch s | train s | best test acc "
              "| final test acc | s to target |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for model_name in args.models:
            for batch_size in args.batch_sizes:
                r = run_one(model_name, data, batch_size, args.learning_rate, args.budget, target, args.max_epochs,
                            args.decay_epochs)
                to_target = f"{r['time_to_target']:.1f}" if r["time_to_target"] is not None else "-"
                print(f"| {model_name} | {r['params']:,} | {batch_size} | {r['epochs']} | {r['first_epoch_s']:.1f} "
                      f"| {r['later_epoch_s']:.2f} | {r['train_s']:.1f} | {r['best_acc']:.4f} | {r['final_acc']:.4f} "
                      f"| {to_target} |", flush=True)
        print()
    if hasattr(os, "getloadavg"):
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


class _quiet_stdout:
    """Keep the loaders' one-line source notes out of the markdown table."""

    def __enter__(self):
        self._saved, sys.stdout = sys.stdout, open(os.devnull, "w")

    def __exit__(self, *exc):
        sys.stdout.close()
        sys.stdout = self._saved


if __name__ == "__main__":
    sys.exit(main())
