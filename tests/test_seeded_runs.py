"""Studies over seeds: the spread, the noise test, and training, caching and reloading a study."""
import json
from dataclasses import asdict

import numpy as np
import pytest

from course_utils import seeded_runs
from course_utils.seeded_runs import Recipe, load_or_measure, load_or_run, spread, summary, within_noise


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
    assert seeded_runs.weights_name("tiny", first["key"], "dense") == names[0]
    assert json.loads((tmp_path / names[1]).read_text())["provenance"]["keras"]
    model = seeded_runs.load_weights(_builders()["dense"](), again, "dense", folder=tmp_path)
    x_test, y_test = data[4:]
    accuracy = float(np.mean(np.argmax(model(x_test, training=False), axis=1) == y_test))
    assert accuracy == runs[0]["test_accuracy"]


def test_other_data_or_another_recipe_is_another_study(tmp_path):
    data = _tiny_data()
    key = seeded_runs.study_key("tiny", ["dense"], (0,), asdict(Recipe()), data)
    other_data = (data[0] + 1, *data[1:])
    assert key != seeded_runs.study_key("tiny", ["dense"], (0,), asdict(Recipe()), other_data)
    assert key != seeded_runs.study_key("tiny", ["dense"], (0, 1), asdict(Recipe()), data)
    assert key != seeded_runs.study_key("tiny", ["dense"], (0,), asdict(Recipe(patience=5)), data)
    assert key != seeded_runs.study_key("tiny", ["dense"], (0,), asdict(Recipe(schedule="cosine")), data)


def test_a_recipe_builds_its_optimizer_and_schedule():
    import keras

    sgd = Recipe(optimizer="sgd", learning_rate=0.1).optimizer_for(steps_per_epoch=5)
    assert isinstance(sgd, keras.optimizers.SGD) and float(sgd.momentum) == 0.0 and not sgd.nesterov
    nesterov = Recipe(optimizer="nesterov", learning_rate=0.1).optimizer_for(steps_per_epoch=5)
    assert float(nesterov.momentum) == 0.9 and nesterov.nesterov
    assert isinstance(Recipe(optimizer="rmsprop").optimizer_for(1), keras.optimizers.RMSprop)
    step = Recipe(max_epochs=8, learning_rate=0.1, schedule="step").learning_rate_for(steps_per_epoch=10)
    # 80 steps: /10 after step 40 (half-way), /100 after step 60 (three quarters)
    np.testing.assert_allclose([float(step(s)) for s in (0, 40, 41, 60, 61, 79)],
                               [0.1, 0.1, 0.01, 0.01, 0.001, 0.001], rtol=1e-6)
    cosine = Recipe(max_epochs=8, learning_rate=0.1, schedule="cosine").learning_rate_for(steps_per_epoch=10)
    np.testing.assert_allclose([float(cosine(s)) for s in (0, 40, 80)], [0.1, 0.05, 0.0], atol=1e-7)
    assert Recipe(learning_rate=0.1).learning_rate_for(10) == 0.1
    with pytest.raises(ValueError, match="schedule must be one of"):
        Recipe(schedule="linear")


def test_a_fixed_budget_recipe_trains_every_epoch_and_recipes_may_differ_per_network(tmp_path):
    data = _tiny_data()
    builders = {"adam": _builders()["dense"], "sgd": _builders()["dense"]}
    recipes = {"adam": Recipe(max_epochs=3, patience=None, batch_size=16, learning_rate=0.05),
               "sgd": Recipe(max_epochs=2, patience=None, batch_size=16, learning_rate=0.05, optimizer="sgd")}
    study = load_or_run("fixed", builders, data, seeds=(0,), recipe=recipes, folder=tmp_path)
    assert [study["runs"][name][0]["epochs"] for name in ("adam", "sgd")] == [3, 2]
    assert study["recipe"]["sgd"]["optimizer"] == "sgd"


def test_a_measured_study_stores_what_each_trial_returns_per_seed(tmp_path):
    calls = []

    def draw(seed):
        calls.append(seed)
        return {"value": float(np.random.rand()), "seed": seed}

    config = {"what": "a uniform draw"}
    first = load_or_measure("draws", {"uniform": draw}, seeds=(0, 1), config=config, folder=tmp_path,
                            progress=lambda line: None)
    assert [r["seed"] for r in first["runs"]["uniform"]] == [0, 1] and first["recipe"] == config
    assert first["runs"]["uniform"][0]["value"] == pytest.approx(0.5488135, abs=1e-7)   # seeded: NumPy's seed 0
    again = load_or_measure("draws", {"uniform": draw}, seeds=(0, 1), config=config, folder=tmp_path)
    assert again["source"] == "cache" and calls == [0, 1]
    other = load_or_measure("draws", {"uniform": draw}, seeds=(0, 1), config={"what": "else"}, folder=tmp_path,
                            progress=lambda line: None)
    assert other["source"] == "trained" and other["key"] != first["key"]
