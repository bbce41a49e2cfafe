"""The course's studies: each one ships for exactly its configuration and data, and its weights give its record."""
import numpy as np
import pytest

from course_utils import architectures as arch
from course_utils import models, seeded_runs, studies

NETWORK_STUDIES = {
    "optimisers": (studies.mnist_split, lambda name: models.lenet5_modern()),
    "schedules": (studies.mnist_split, lambda name: models.lenet5_modern()),
    "batch-norm": (studies.mnist_split, lambda name: models.lenet5_modern(batch_norm="BN" in name)),
    "regularisers": (studies.mnist_split, lambda name: studies.small_cnn(**studies.REGULARISERS[name])),
    "small-networks": (studies.fashion_split, arch.small_network),
    "degradation": (studies.fashion_split,
                    lambda name: arch.plain_or_residual(studies.DEGRADATION_DEPTHS[int(name.split()[1])],
                                                        name.startswith("residual"))),
}


@pytest.fixture(scope="module")
def shipped():
    loaded = {name: load() for name, load in studies.STUDIES.items()}
    return loaded


def test_every_study_ships_for_the_bundled_sample(shipped):
    for name, study in shipped.items():
        assert study["source"] == "shipped", f"{name}: run tools/ship_trained_models.py --only studies --study {name}"
        assert study["study"] == name and study["seeds"] == [0, 1, 2]
        assert all(len(runs) == 3 for runs in study["runs"].values()), name
    assert list(shipped["optimisers"]["runs"]) == list(studies.OPTIMISER_RECIPES)
    assert list(shipped["regularisers"]["runs"]) == list(studies.REGULARISERS)
    assert list(shipped["transfer"]["runs"]) == [f"{n} per class" for n in studies.TRANSFER_LABELS] + ["cuts"]


def test_fixed_budget_studies_ran_every_epoch(shipped):
    for name in ("optimisers", "schedules", "batch-norm", "regularisers", "degradation"):
        for trial, runs in shipped[name]["runs"].items():
            recipe = shipped[name]["recipe"].get(trial, shipped[name]["recipe"])
            assert all(r["epochs"] == recipe["max_epochs"] == len(r["loss"]) for r in runs), (name, trial)


@pytest.mark.parametrize("name", sorted(NETWORK_STUDIES))
def test_the_first_seeds_weights_give_the_recorded_test_accuracy(shipped, name):
    split, build = NETWORK_STUDIES[name]
    x_test, y_test = split()[4:]
    study = shipped[name]
    for trial, runs in study["runs"].items():
        model = seeded_runs.load_weights(build(trial), study, trial)
        predicted = np.concatenate([np.argmax(model(x_test[i:i + 500], training=False), axis=1)
                                    for i in range(0, len(x_test), 500)])
        assert abs(np.mean(predicted == y_test) - runs[0]["test_accuracy"]) <= 0.002, (name, trial)


def test_the_transfer_study_starts_from_the_shipped_source_lenet(shipped):
    from course_utils.datasets import load_mnist
    from course_utils.transfer import digit_tasks, pretrained_lenet

    _, record = pretrained_lenet(digit_tasks(*load_mnist("sample")))
    assert record["source"] == "shipped"
    for run in shipped["transfer"]["runs"]["5 per class"]:
        assert set(run) == {"feature extraction", "fine-tuning", "from scratch", "train_loss"}
        assert all(0.2 < run[m] <= 1 for m in studies.TRANSFER_SETTINGS)


def test_the_splits_are_the_ones_the_notebooks_describe():
    x_train, y_train, x_val, y_val, x_test, y_test = studies.mnist_split()
    assert (len(x_train), len(x_val), len(x_test)) == (4000, 2004, 1996) and x_train.dtype == np.float32
    assert studies.fashion_split()[0].shape == (4000, 28, 28, 1)
    with pytest.raises(ValueError, match="need more than 9000 training digits and train <= 9000, got 8004"):
        studies.mnist_split(val_from=9000)
