"""Studies over seeds: the spread, the noise test, and training, caching and reloading a study."""
import json

import numpy as np
import pytest

from course_utils import seeded_runs
from course_utils.seeded_runs import Recipe, load_or_run, spread, summary, within_noise


def test_spread_is_the_mean_and_the_sample_standard_deviation():
    assert spread([1.0, 2.0, 3.0, 4.0]) == (2.5, 1.291, 4)
    assert str(spread([0.9, 0.9])) == "0.900 ± 0.000"
    with pytest.raises(ValueError, match="one value per seed"):
        spread([])


def test_within_noise_is_welchs_t_test_at_five_percent():
    assert within_noise([0.70, 0.80, 0.90], [0.75, 0.85, 0.95])         # 0.05 apart, std 0.1 each
    assert not within_noise([0.70, 0.71, 0.72], [0.75, 0.76, 0.77])     # 0.05 apart, std 0.01 each: p = 0.004
    assert within_noise([0.862, 0.852, 0.841], [0.873, 0.866, 0.871])   # 0.018 apart, t = 2.9, p = 0.08
    assert not within_noise([0.862, 0.852, 0.841], [0.873, 0.866, 0.871], level=0.1)
    assert within_noise([0.9, 0.9], [0.9, 0.9]) and not within_noise([0.9, 0.9], [0.8, 0.8])
    with pytest.raises(ValueError, match="two seeds"):
        within_noise([0.7], [0.8, 0.9])


def _tiny_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 4, 4, 1)).astype("float32")
    y = (x.sum(axis=(1, 2, 3)) > 0).astype("int64")
    return x[:64], y[:64], x[64:80], y[64:80], x[80:], y[80:]


def _builders():
    import keras

    def dense():
        return keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])

    return {"dense": dense}


def test_a_study_is_trained_once_then_read_back(tmp_path):
    recipe = Recipe(max_epochs=3, patience=1, batch_size=16, learning_rate=0.05)
    data = _tiny_data()
    first = load_or_run("tiny", _builders(), data, seeds=(0, 1), recipe=recipe, about="noise", folder=tmp_path)
    assert first["source"] == "trained" and first["data"] == "noise" and first["seeds"] == [0, 1]
    runs = first["runs"]["dense"]
    assert len(runs) == 2 and all(1 <= r["best_epoch"] <= r["epochs"] <= 3 for r in runs)
    assert all(len(r["val_loss"]) == r["epochs"] and 0 <= r["test_accuracy"] <= 1 and r["params"] == 34 for r in runs)
    assert runs[0]["best_epoch"] == int(np.argmin(runs[0]["val_loss"])) + 1
    again = load_or_run("tiny", _builders(), data, seeds=(0, 1), recipe=recipe, about="noise", folder=tmp_path)
    assert again["source"] == "cache" and again["runs"] == first["runs"]
    assert summary(again)["dense"] == spread([r["test_accuracy"] for r in runs])
    # only the first seed's weights are kept, next to the results
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"tiny-{first['key']}-dense.weights.h5", f"tiny-{first['key']}.json"]
    assert json.loads((tmp_path / names[1]).read_text())["provenance"]["keras"]
    model = seeded_runs.load_weights(_builders()["dense"](), again, "dense", folder=tmp_path)
    x_test, y_test = data[4:]
    accuracy = float(np.mean(np.argmax(model(x_test, training=False), axis=1) == y_test))
    assert accuracy == runs[0]["test_accuracy"]


def test_other_data_or_another_recipe_is_another_study(tmp_path):
    data = _tiny_data()
    key = seeded_runs.study_key("tiny", ["dense"], (0,), Recipe(), data)
    other_data = (data[0] + 1, *data[1:])
    assert key != seeded_runs.study_key("tiny", ["dense"], (0,), Recipe(), other_data)
    assert key != seeded_runs.study_key("tiny", ["dense"], (0, 1), Recipe(), data)
    assert key != seeded_runs.study_key("tiny", ["dense"], (0,), Recipe(patience=5), data)


def test_the_shipped_small_networks_study_matches_the_bundled_data_and_its_weights():
    study = seeded_runs.small_networks_study()
    assert study["source"] == "shipped", "tools/ship_trained_models.py --only studies makes it"
    from course_utils import architectures as arch

    assert list(study["runs"]) == list(arch.SMALL_KINDS) and study["seeds"] == [0, 1, 2]
    for kind, runs in study["runs"].items():
        assert all(r["best_epoch"] < r["epochs"] or r["epochs"] == study["recipe"]["max_epochs"] for r in runs), kind
        assert all(r["params"] == runs[0]["params"] for r in runs)
    x_test, y_test = seeded_runs.fashion_split()[4:]
    model = seeded_runs.load_weights(arch.small_network("lenet"), study, "lenet")
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)[1]
    assert abs(accuracy - study["runs"]["lenet"][0]["test_accuracy"]) <= 0.002
