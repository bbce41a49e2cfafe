"""LeNet-5 builders (shapes and parameter counts from the slides) and the load-or-train cache."""
import json

import numpy as np
import pytest

import course_utils  # noqa: F401  (before keras)
import keras
from course_utils import models
from course_utils.shapes import conv_params, dense_params


def shapes(model):
    return {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers[1:]}


def counts(model):
    return {layer.name: layer.count_params() for layer in model.layers[1:]}


def test_slides_variant_has_the_slide_parameter_counts():
    model = models.lenet5_slides()
    assert counts(model) == {"c1": 156, "s2": 0, "c3": 2416, "s4": 0, "c5": 2040, "flatten": 0,
                             "f6": 252_084, "output": 850}
    assert model.count_params() == 257_546
    assert shapes(model)["flatten"] == (3000,)
    assert shapes(model)["c5"] == (5, 5, 120)
    # the slide's claim: more than 98% of the weights are in the fully connected layers
    assert (252_084 + 850) / model.count_params() == pytest.approx(0.98209, abs=1e-5)


def test_slides_counts_match_the_formulas():
    model = models.lenet5_slides()
    assert counts(model)["c1"] == conv_params(5, 1, 6)
    assert counts(model)["c3"] == conv_params(5, 6, 16)
    assert counts(model)["c5"] == conv_params(1, 16, 120)
    assert counts(model)["f6"] == dense_params(3000, 84)
    assert counts(model)["output"] == dense_params(84, 10)


def test_classic_has_the_walkthrough_shapes():
    model = models.lenet5_classic()
    assert model.input.shape == (None, 32, 32, 1)
    assert shapes(model) == {"c1": (28, 28, 6), "s2": (14, 14, 6), "c3": (10, 10, 16), "s4": (5, 5, 16),
                             "c5": (1, 1, 120), "flatten": (120,), "f6": (84,), "output": (10,)}
    assert model.count_params() == 61_706
    assert model.get_layer("c1").activation is keras.activations.tanh
    assert isinstance(model.get_layer("s2"), keras.layers.AveragePooling2D)


def test_28_pixel_input_is_padded_to_the_same_shapes():
    padded, plain = models.lenet5_classic(input_size=28), models.lenet5_classic(input_size=32)
    assert padded.input.shape == (None, 28, 28, 1)
    assert shapes(padded) == shapes(plain)
    padded.set_weights(plain.get_weights())
    x = np.random.default_rng(0).random((3, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(padded.predict(x, verbose=0),
                               plain.predict(np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0))), verbose=0), atol=1e-6)


def test_modern_uses_relu_and_max_pooling():
    model = models.lenet5_modern()
    assert model.input.shape == (None, 28, 28, 1)
    assert model.get_layer("c3").activation is keras.activations.relu
    assert isinstance(model.get_layer("s4"), keras.layers.MaxPooling2D)
    assert shapes(model)["s4"] == (5, 5, 16) and model.count_params() == 61_706


def test_wider_filters_change_the_counts():
    model = models.lenet5_modern(filters=(16, 32, 120))
    assert counts(model)["c1"] == conv_params(5, 1, 16)
    assert counts(model)["c3"] == conv_params(5, 16, 32)
    assert counts(model)["c5"] == conv_params(5, 32, 120)


@pytest.mark.parametrize("options, message", [
    ({"activation": "gelu"}, "activation must be one of"),
    ({"pooling": "min"}, "pooling must be one of"),
    ({"input_size": 30}, "input_size must be 28"),
    ({"c5_kernel": 3}, "c5_kernel must be 5"),
    ({"filters": (6, 16)}, "filters must be three positive integers"),
])
def test_bad_builder_options_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        models.lenet5(**options)


def test_prepare_images_scales_and_adds_a_channel():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    out = models.prepare_images(images)
    assert out.shape == (1, 2, 2, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out[0, :, :, 0], [[0, 1], [0.2, 0.4]])


def test_prepare_images_rejects_floats_and_wrong_shapes():
    with pytest.raises(ValueError, match="expected uint8 images of shape"):
        models.prepare_images(np.zeros((2, 28, 28), dtype=np.float32))
    with pytest.raises(ValueError, match=r"got uint8 \(28, 28\)"):
        models.prepare_images(np.zeros((28, 28), dtype=np.uint8))


def test_validation_split_keeps_the_order():
    x, y = np.arange(20) * 10, np.arange(20)
    (x_train, y_train), (x_val, y_val) = models.validation_split(x, y, n_train=15)
    assert x_train.tolist() == list(range(0, 150, 10)) and y_val.tolist() == [15, 16, 17, 18, 19]
    (x_train, _), (x_val, _) = models.validation_split(np.zeros(60_000), np.zeros(60_000))
    assert (len(x_train), len(x_val)) == (50_000, 10_000)


def test_validation_split_rejects_bad_sizes():
    with pytest.raises(ValueError, match="same length, got 3 and 2"):
        models.validation_split(np.zeros(3), np.zeros(2), n_train=1)
    with pytest.raises(ValueError, match="n_train must be between 1 and 2 for 3 examples, got 3"):
        models.validation_split(np.zeros(3), np.zeros(3), n_train=3)


def test_config_key_depends_on_config_and_data():
    x = np.zeros((4, 3), dtype=np.uint8)
    key = models.config_key({"epochs": 1}, x)
    assert len(key) == 16
    assert key == models.config_key({"epochs": 1}, x.copy())
    assert key != models.config_key({"epochs": 2}, x)
    assert key != models.config_key({"epochs": 1}, x + 1)
    assert key != models.config_key({"epochs": 1}, x.astype(np.int64))


@pytest.fixture
def tiny_data():
    rng = np.random.default_rng(0)
    x = rng.random((64, 28, 28, 1)).astype("float32")
    y = rng.integers(0, 10, 64)
    return x, y


def test_train_lenet_returns_history_and_times(tiny_data):
    x, y = tiny_data
    history = models.train_lenet(models.lenet5_modern(), x, y, epochs=2, batch_size=32)
    assert len(history["loss"]) == len(history["accuracy"]) == len(history["seconds_per_epoch"]) == 2
    assert all(t > 0 for t in history["seconds_per_epoch"])


def test_load_or_train_round_trip(tiny_data, tmp_path):
    x, y = tiny_data
    config = {"variant": "classic", "epochs": 1, "batch_size": 32, "folder": tmp_path / "artifacts"}
    trained, record = models.load_or_train_lenet(x, y, **config)
    after_training = np.random.rand()
    files = sorted(p.name for p in (tmp_path / "artifacts").iterdir())
    assert files == [f"lenet-{record['key']}.json", f"lenet-{record['key']}.weights.h5"]
    assert record["config"]["variant"] == "classic" and record["config"]["builder_options"] == {"input_size": 28}

    loaded, loaded_record = models.load_or_train_lenet(x, y, **config)
    assert np.random.rand() == after_training            # same generator state whichever path was taken
    assert (record["source"], loaded_record.pop("source")) == ("trained", "cache")
    assert loaded_record == json.loads(json.dumps({k: v for k, v in record.items() if k != "source"}))
    assert set(record["provenance"]) >= {"python", "keras", "numpy", "cpu", "date"}
    for w1, w2 in zip(trained.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(trained.predict(x, verbose=0), loaded.predict(x, verbose=0))

    _, other = models.load_or_train_lenet(x, y, **{**config, "epochs": 2})
    assert other["key"] != record["key"] and len(other["history"]["loss"]) == 2


def test_load_or_train_retrains_over_a_corrupt_file(tiny_data, tmp_path):
    x, y = tiny_data
    _, record = models.load_or_train_lenet(x, y, epochs=1, batch_size=32, folder=tmp_path)
    weights = tmp_path / f"lenet-{record['key']}.weights.h5"
    weights.write_bytes(b"not an HDF5 file")
    model, again = models.load_or_train_lenet(x, y, epochs=1, batch_size=32, folder=tmp_path)
    assert again["key"] == record["key"] and weights.stat().st_size > 100_000
    assert not list(tmp_path.glob("*.tmp*"))


def test_load_or_train_rejects_bad_input(tiny_data, tmp_path):
    x, y = tiny_data
    with pytest.raises(ValueError, match="variant must be one of"):
        models.load_or_train_lenet(x, y, variant="alexnet", folder=tmp_path)
    with pytest.raises(ValueError, match=r"expected images of shape \(N, 28, 28, 1\), got \(64, 28, 28\)"):
        models.load_or_train_lenet(x[..., 0], y, folder=tmp_path)
    with pytest.raises(ValueError, match="with NaN"):
        models.load_or_train_lenet(np.full_like(x, np.nan), y, folder=tmp_path)
    with pytest.raises(ValueError, match="64 integer labels"):
        models.load_or_train_lenet(x, y[:10], folder=tmp_path)
    assert not list(tmp_path.iterdir())


def test_artifacts_dir_honours_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(models.ARTIFACTS_ENV, str(tmp_path))
    assert models.artifacts_dir() == tmp_path
    monkeypatch.delenv(models.ARTIFACTS_ENV)
    assert models.artifacts_dir().name == "artifacts"


def test_shipped_weights_come_first_and_retrain_trains_anyway(tiny_data, tmp_path, monkeypatch):
    x, y = tiny_data
    shipped, cache = tmp_path / "shipped", tmp_path / "cache"
    config = {"variant": "modern", "epochs": 1, "batch_size": 32}
    trained, record = models.load_or_train_lenet(x, y, folder=shipped, **config)   # plays the shipping tool
    monkeypatch.setattr(models, "SHIPPED_DIR", shipped)
    loaded, loaded_record = models.load_or_train_lenet(x, y, folder=cache, **config)
    assert loaded_record["source"] == "shipped" and not cache.exists()          # nothing trained, nothing written
    np.testing.assert_array_equal(loaded.get_weights()[0], trained.get_weights()[0])

    retrained, retrained_record = models.load_or_train_lenet(x, y, folder=cache, retrain=True, **config)
    assert retrained_record["source"] == "trained" and retrained_record["key"] == record["key"]
    assert (cache / f"lenet-{record['key']}.weights.h5").exists()
    assert sorted(p.name for p in shipped.iterdir()) == sorted([f"lenet-{record['key']}.json",
                                                                f"lenet-{record['key']}.weights.h5"])
    monkeypatch.setenv(models.IGNORE_SHIPPED_ENV, "1")
    _, again = models.load_or_train_lenet(x, y, folder=cache, **config)
    assert again["source"] == "cache"


def test_the_lenets_the_notebooks_study_ship_with_the_course(monkeypatch, tmp_path):
    """Notebooks 07 and 10 (the course LeNet) and 11 (the digits 0-4 LeNet) load shipped weights, never train."""
    from course_utils.datasets import load_mnist

    def no_training(*args, **kwargs):
        raise AssertionError("trained instead of loading the shipped weights")

    monkeypatch.setattr(models, "train_lenet", no_training)
    (x_all, y_all), (x_test, y_test) = load_mnist(source="sample")
    (x_t, y_t), (x_v, y_v) = models.validation_split(models.prepare_images(x_all), y_all)
    for variant in ("modern", "classic"):
        _, record = models.load_or_train_lenet(x_t, y_t, validation_data=(x_v, y_v), folder=tmp_path,
                                               **{**models.COURSE_LENET, "variant": variant})
        assert record["source"] == "shipped" and record["provenance"]["trained_by"].startswith("notebooks/07")
    x_img, x_test_img = models.prepare_images(x_all), models.prepare_images(x_test)
    _, record = models.load_or_train_lenet(x_img[y_all < 5], y_all[y_all < 5], variant="modern", n_classes=5,
                                           epochs=5, learning_rate=2e-3, folder=tmp_path,
                                           validation_data=(x_test_img[y_test < 5], y_test[y_test < 5]))
    assert record["source"] == "shipped" and record["provenance"]["trained_by"].startswith("notebooks/11")
    shipped = sorted(p.name for p in models.SHIPPED_DIR.glob("lenet-*"))
    assert len(shipped) == 6 and (models.SHIPPED_DIR / "PROVENANCE.md").exists()   # three models, weights + record each
