"""Dataset loaders that keep the real Keras path and still work offline.

Where the data comes from, in order:

1. ``COURSE_DATA=sample`` (CI sets it): the real sample bundled with this package,
   so committed notebook outputs are the same on every machine.
2. The full dataset, when it is already on disk: Keras' cache under
   ``~/.keras/datasets`` (or ``$KERAS_HOME``) and, for Fashion-MNIST, Debian's
   ``dataset-fashion-mnist`` package under ``/usr/share/datasets/fashion-mnist``.
3. A download through ``keras.datasets`` (needs the internet).
4. The bundled sample, with a message saying so.

Every load prints one line naming the source. A corrupt or truncated file on disk
raises :class:`DatasetError` naming the file and the fix; it is never overwritten.

>>> (x_train, y_train), (x_test, y_test) = load_mnist(source="sample")
MNIST: 8,004 train + 1,996 test images from the bundled sample (10,000 real MNIST digits)
>>> x_train.shape, x_train.dtype.name, int(y_train.max())
((8004, 28, 28), 'uint8', 9)
"""
from __future__ import annotations

import gzip
import os
import zipfile
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).parent / "data"
SOURCE_ENV = "COURSE_DATA"
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
_IDX_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
_SAMPLES = {
    "mnist": ("mnist_sample.npz", "the bundled sample (10,000 real MNIST digits)"),
    "fashion_mnist": ("fashion_mnist_sample.npz", "the bundled sample (real Fashion-MNIST images)"),
}
last_source: str | None = None
"""Where the most recent load came from (``"sample"``, ``"keras-cache"``, ``"debian"`` or ``"download"``)."""


class DatasetError(RuntimeError):
    """A dataset file exists but cannot be read; the message names the file and the fix."""


def keras_cache_dir() -> Path:
    """Where Keras keeps downloaded datasets (``$KERAS_HOME/datasets`` or ``~/.keras/datasets``)."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"


def load_mnist(source: str = "auto"):
    """MNIST digits as ``(x_train, y_train), (x_test, y_test)``, uint8 images 28x28.

    ``source`` is ``"auto"`` (see the module docstring), ``"sample"`` or ``"full"``
    (never fall back to the sample; raises if the full data cannot be had).
    """
    def from_cache():
        path = keras_cache_dir() / "mnist.npz"
        return (_read_npz(path), f"the Keras cache ({_tilde(path)})") if path.exists() else None

    def download():
        import keras
        return _as_dict(keras.datasets.mnist.load_data()), "a download through keras.datasets.mnist"

    return _load("MNIST", "mnist", source, [("keras-cache", from_cache)], download)


def load_fashion_mnist(source: str = "auto"):
    """Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)``; class names are ``FASHION_CLASSES``."""
    def from_cache():
        folder = keras_cache_dir() / "fashion-mnist"
        return (_read_idx_folder(folder), f"the Keras cache ({_tilde(folder)})") if _has_idx(folder) else None

    def from_debian():
        folder = DEBIAN_FASHION_DIR
        return (_read_idx_folder(folder), f"Debian's dataset-fashion-mnist ({folder})") if _has_idx(folder) else None

    def download():
        import keras
        return _as_dict(keras.datasets.fashion_mnist.load_data()), "a download through keras.datasets.fashion_mnist"

    return _load("Fashion-MNIST", "fashion_mnist", source,
                 [("keras-cache", from_cache), ("debian", from_debian)], download)


def load_sample_image(gray: bool = True) -> np.ndarray:
    """The photo of Grace Hopper that ships with matplotlib, as floats in [0, 1].

    >>> img = load_sample_image()
    >>> img.shape, img.dtype.name, bool(0 <= img.min() < img.max() <= 1)
    ((600, 512), 'float64', True)
    """
    from matplotlib import cbook
    import matplotlib.image as mpimg

    with cbook.get_sample_data("grace_hopper.jpg") as f:
        rgb = mpimg.imread(f, format="jpg").astype(np.float64) / 255.0
    if not gray:
        return rgb
    # ITU-R BT.601 luma weights: how bright each channel looks to a person.
    return rgb @ np.array([0.299, 0.587, 0.114])


def _load(title, name, source, local_finders, download):
    global last_source
    choice = os.environ.get(SOURCE_ENV, "").strip().lower() if source == "auto" else source
    if choice not in ("", "auto", "sample", "full"):
        raise ValueError(f"{SOURCE_ENV}/source must be 'auto', 'sample' or 'full', got {choice!r}")
    arrays = where = None
    if choice != "sample":
        for tag, finder in local_finders:
            found = finder()
            if found:
                (arrays, where), last_source = found, tag
                break
        if arrays is None:
            try:
                (arrays, where), last_source = download(), "download"
            except Exception as exc:  # no network, proxy errors, ...: all mean "not available"
                if choice == "full":
                    raise DatasetError(f"{title}: the full dataset is not on disk and the download failed "
                                       f"({type(exc).__name__}: {exc}); use source='sample' to work offline") from None
                print(f"{title}: download failed ({type(exc).__name__}), using the bundled sample instead")
    if arrays is None:
        file, where = _SAMPLES[name]
        arrays, last_source = _read_npz(DATA_DIR / file), "sample"
    print(f"{title}: {len(arrays['x_train']):,} train + {len(arrays['x_test']):,} test images from {where}")
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _as_dict(keras_tuple):
    (x_train, y_train), (x_test, y_test) = keras_tuple
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def _read_npz(path: Path) -> dict:
    fix = f"delete {_tilde(path)} and load again (or set {SOURCE_ENV}=sample to use the bundled sample)"
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in ("x_train", "y_train", "x_test", "y_test")}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"{_tilde(path)} is corrupt or truncated ({type(exc).__name__}): {fix}") from None
    _check_arrays(arrays, path, fix)
    return arrays


def _has_idx(folder: Path) -> bool:
    return all((folder / f).exists() for f in _IDX_FILES.values())


def _read_idx_folder(folder: Path) -> dict:
    arrays = {key: _read_idx(folder / file) for key, file in _IDX_FILES.items()}
    _check_arrays(arrays, folder, f"reinstall or delete the files in {_tilde(folder)}")
    return arrays


def _read_idx(path: Path) -> np.ndarray:
    """Read one gzipped IDX file (the format MNIST and Fashion-MNIST are published in)."""
    fix = f"delete {_tilde(path)} (or reinstall the package that owns it) and load again"
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
        magic = int.from_bytes(raw[:4], "big")
        ndim = magic & 0xFF
        if magic >> 8 != 0x08 or ndim not in (1, 3):
            raise ValueError(f"bad magic number {magic:#x}")
        dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
        data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
        return data.reshape(dims)
    except (OSError, EOFError, ValueError) as exc:
        raise DatasetError(f"{_tilde(path)} is corrupt or truncated ({exc}): {fix}") from None


def _check_arrays(arrays: dict, where: Path, fix: str) -> None:
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) != len(y) or x.dtype != np.uint8:
            raise DatasetError(f"{_tilde(where)} holds unexpected {split} arrays "
                               f"(images {x.shape} {x.dtype}, labels {y.shape}): {fix}")


def _tilde(path: Path) -> str:
    """Show paths under the home folder as ``~/...`` so outputs name no user."""
    try:
        return "~/" + str(Path(path).resolve().relative_to(Path.home().resolve()))
    except ValueError:
        return str(path)
