"""The loaders: bundled samples, the full data on disk, corrupt files and the source line."""
import gzip

import numpy as np
import pytest

from course_utils import datasets


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty Keras cache and no Debian dataset, whatever this machine has installed."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(datasets, "DEBIAN_FASHION_DIR", tmp_path / "no-debian")
    monkeypatch.delenv(datasets.SOURCE_ENV, raising=False)
    return tmp_path / "keras" / "datasets"


def no_network(*args, **kwargs):
    raise OSError("network unreachable")


def write_idx(folder, n_train=12, n_test=4):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for key, file in datasets._IDX_FILES.items():
        n = n_train if "train" in key else n_test
        if key.startswith("x"):
            header = (0x0803).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in (n, 28, 28))
            body = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8).tobytes()
        else:
            header = (0x0801).to_bytes(4, "big") + n.to_bytes(4, "big")
            body = (np.arange(n) % 10).astype(np.uint8).tobytes()
        with gzip.open(folder / file, "wb") as f:
            f.write(header + body)


def test_mnist_sample_is_real_balanced_digits(capsys):
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist(source="sample")
    assert capsys.readouterr().out.strip() == (
        "MNIST: 8,004 train + 1,996 test images from the bundled sample (10,000 real MNIST digits)")
    assert x_train.shape == (8004, 28, 28) and x_test.shape == (1996, 28, 28)
    assert x_train.dtype == np.uint8 and 200 < x_train.max() <= 255
    counts = np.bincount(np.concatenate([y_train, y_test]))
    assert counts.tolist() == [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    assert datasets.last_source == "sample"
    # digits are dark background with a bright stroke: mean intensity like real MNIST (~33)
    assert 25 < x_train.mean() < 40


def test_fashion_sample_has_500_train_and_100_test_per_class():
    (x_train, y_train), (x_test, y_test) = datasets.load_fashion_mnist(source="sample")
    assert np.bincount(y_train).tolist() == [500] * 10
    assert np.bincount(y_test).tolist() == [100] * 10
    assert len(datasets.FASHION_CLASSES) == 10


def test_env_variable_forces_the_sample(keras_home, monkeypatch):
    keras_home.mkdir(parents=True)
    np.savez(keras_home / "mnist.npz", x_train=np.zeros((3, 28, 28), np.uint8), y_train=np.zeros(3, np.uint8),
             x_test=np.zeros((2, 28, 28), np.uint8), y_test=np.zeros(2, np.uint8))
    monkeypatch.setenv(datasets.SOURCE_ENV, "sample")
    (x_train, _), _ = datasets.load_mnist()
    assert len(x_train) == 8004


def test_keras_cache_is_used_when_present(keras_home, capsys):
    keras_home.mkdir(parents=True)
    np.savez(keras_home / "mnist.npz", x_train=np.zeros((3, 28, 28), np.uint8), y_train=np.zeros(3, np.uint8),
             x_test=np.zeros((2, 28, 28), np.uint8), y_test=np.zeros(2, np.uint8))
    (x_train, _), (x_test, _) = datasets.load_mnist()
    assert (len(x_train), len(x_test)) == (3, 2)
    assert datasets.last_source == "keras-cache"
    assert "3 train + 2 test images from the Keras cache" in capsys.readouterr().out


def test_corrupt_cache_gives_one_line_error_and_is_not_replaced(keras_home, monkeypatch):
    keras_home.mkdir(parents=True)
    path = keras_home / "mnist.npz"
    path.write_bytes(b"PK\x03\x04 truncated")
    monkeypatch.setattr(datasets, "_as_dict", lambda *_: pytest.fail("must not download over a corrupt file"))
    with pytest.raises(datasets.DatasetError) as err:
        datasets.load_mnist()
    message = str(err.value)
    assert "\n" not in message and "mnist.npz is corrupt or truncated" in message and "delete" in message
    assert path.read_bytes() == b"PK\x03\x04 truncated"


def test_wrong_arrays_in_cache_are_reported(keras_home):
    keras_home.mkdir(parents=True)
    np.savez(keras_home / "mnist.npz", x_train=np.zeros((3, 32, 32), np.uint8), y_train=np.zeros(3, np.uint8),
             x_test=np.zeros((2, 28, 28), np.uint8), y_test=np.zeros(2, np.uint8))
    with pytest.raises(datasets.DatasetError, match=r"unexpected train arrays \(images \(3, 32, 32\)"):
        datasets.load_mnist()


def test_offline_download_falls_back_to_sample(keras_home, monkeypatch, capsys):
    monkeypatch.setattr("keras.datasets.mnist.load_data", no_network)
    (x_train, _), _ = datasets.load_mnist()
    out = capsys.readouterr().out
    assert "download failed (OSError), using the bundled sample instead" in out
    assert len(x_train) == 8004 and datasets.last_source == "sample"


def test_full_source_does_not_fall_back(keras_home, monkeypatch):
    monkeypatch.setattr("keras.datasets.mnist.load_data", no_network)
    with pytest.raises(datasets.DatasetError, match="full dataset is not on disk"):
        datasets.load_mnist(source="full")


def test_fashion_from_debian_idx_files(keras_home, monkeypatch, tmp_path, capsys):
    debian = tmp_path / "debian-fashion"
    write_idx(debian)
    monkeypatch.setattr(datasets, "DEBIAN_FASHION_DIR", debian)
    (x_train, y_train), (x_test, y_test) = datasets.load_fashion_mnist()
    assert x_train.shape == (12, 28, 28) and y_test.tolist() == [0, 1, 2, 3]
    assert datasets.last_source == "debian"
    assert "from Debian's dataset-fashion-mnist" in capsys.readouterr().out


def test_fashion_keras_cache_wins_over_debian(keras_home, monkeypatch, tmp_path):
    write_idx(keras_home / "fashion-mnist", n_train=5)
    write_idx(tmp_path / "debian-fashion", n_train=7)
    monkeypatch.setattr(datasets, "DEBIAN_FASHION_DIR", tmp_path / "debian-fashion")
    (x_train, _), _ = datasets.load_fashion_mnist()
    assert len(x_train) == 5 and datasets.last_source == "keras-cache"


def test_truncated_idx_file_is_named(keras_home):
    folder = keras_home / "fashion-mnist"
    write_idx(folder)
    data = (folder / "t10k-images-idx3-ubyte.gz").read_bytes()
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(datasets.DatasetError, match="t10k-images-idx3-ubyte.gz is corrupt or truncated"):
        datasets.load_fashion_mnist()


def test_bad_source_name():
    with pytest.raises(ValueError, match="'auto', 'sample' or 'full', got 'web'"):
        datasets.load_mnist(source="web")


def test_sample_image_is_grace_hopper_in_gray_and_rgb():
    gray, rgb = datasets.load_sample_image(), datasets.load_sample_image(gray=False)
    assert gray.shape == (600, 512) and rgb.shape == (600, 512, 3)
    np.testing.assert_allclose(gray, rgb @ [0.299, 0.587, 0.114])
