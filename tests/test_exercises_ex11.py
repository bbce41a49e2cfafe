"""Exercise 11 (transfer learning) and course_utils.transfer: the counts the checks expect, the
reports the model checks read, known mistakes with their fix, stubs "not attempted"; and the
notebook graded end to end through the sandbox."""
import functools

import keras
import numpy as np
import pytest

from course_utils import transfer
from course_utils.checks.protocol import PASS
from course_utils.exercises import ex11_transfer_learning as ex
from course_utils.grading.synthetic import graded_sources
from exercise_asserts import assert_mistakes_advised, assert_solution_full_marks, assert_stubs_not_attempted, assert_not_attempted, assert_wrong, check, grade_students, sourceless, stub

NOTEBOOK = "11_transfer_learning"


@pytest.fixture(scope="module")
def solutions():
    namespace = ex.context()
    sources = graded_sources(NOTEBOOK)
    for qid in ("ex11.q2", "ex11.q3"):
        exec(sources[qid]["solution"], namespace)
    return namespace


def test_transfer_counts_match_keras():
    base = ex.build_base("deep")
    assert [layer.name for layer in base.layers] == ["conv1", "bn1", "relu1", "pool1", "conv2", "bn2", "relu2",
                                                      "pool2", "conv3", "bn3", "relu3"]
    model = transfer.feature_extractor(base, 5, freeze=False)
    conv, bn, head = 3 * 3 * (1 * 8 + 8 * 16 + 16 * 32), 4 * (8 + 16 + 32), (32 + 1) * 5
    assert transfer.parameter_counts(model) == (conv + bn // 2 + head, bn // 2) == (6109, 112)
    base.trainable = False
    assert transfer.parameter_counts(model) == (head, conv + bn) == (165, 6056)
    assert ex.q1.expected() == {"trainable_before": 6109, "non_trainable_before": 112, "trainable_after": 165,
                                "non_trainable_after": 6056}
    assert ex.predicted_trainable() == (16 + 1) * 10


def test_transfer_arguments_are_checked():
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2"):
        transfer.feature_extractor(ex.build_base("small"), 1)
    with pytest.raises(ValueError, match="pooling must be"):
        transfer.feature_extractor(ex.build_base("small"), 3, pooling="max")
    with pytest.raises(ValueError, match="k must be an integer in 0..7"):
        transfer.unfreeze_top(ex.build_base("small"), 8)
    with pytest.raises(ValueError, match="as many arrays"):
        transfer.changed_weights([np.zeros(1)], [])


def test_one_step_changes_the_head_only_when_the_base_is_frozen():
    assert ex.one_step_counts() == (2, 17)                     # 17 arrays: 3 kernels, 3 × 4 BatchNorm, 2 in the head
    assert ex._weight_arrays() == (11, 6, 17)


def test_reports_open_nested_models_and_fold_softmax_layers():
    base_report = ex.report(lambda base: base, "small")
    assert [row["class"] for row in base_report["layers"]] == ["Conv2D", "BatchNormalization", "ReLU", "MaxPooling2D",
                                                                "Conv2D", "BatchNormalization", "ReLU"]
    assert base_report["output_shape"] == [14, 14, 16]
    nested = ex.report(functools.partial(transfer.feature_extractor), "small", 3)
    inputs = keras.Input((28, 28, 1))

    def flat(base, n):
        base.trainable = False
        outputs = keras.layers.Softmax()(keras.layers.Dense(n)(keras.layers.GlobalAveragePooling2D()(base(inputs))))
        return keras.Model(inputs, outputs)
    assert ex.difference(ex.report(flat, "small", 3), nested) is None
    assert ex.difference(nested, ex.feature_extractor_report("small", 4)) == (
        "the output layer has 3 units, expected one per class")
    assert ex.difference({"not_a_model": "int"}, nested) == "the result is of type int, expected a Keras model"


def test_q1_counts():
    assert check(ex.q1, 6109, 112, 165, 6056).status == PASS
    assert check(ex.q1, 6109.0, 112, 165, 6056.0).status == PASS
    assert_wrong(check(ex.q1, 6221, 112, 165, 6056), "trainable_before is 6221, too large", "never trainable")
    assert_wrong(check(ex.q1, 6109, 0, 165, 6056), "non_trainable_before is 0", "already non-trainable")
    assert_wrong(check(ex.q1, 6109, 112, 6109, 6056), "the whole base is frozen", "(3/4 correct)")
    assert_wrong(check(ex.q1, 6109, 112, 277, 6056), "γ and β too")
    assert_wrong(check(ex.q1, 6109, 112, 160, 6056), "with the bias")
    assert_wrong(check(ex.q1, 6109, 112, 165, 112), "not only the moving statistics")
    assert_not_attempted(check(ex.q1, None, None, None, None))


def test_q2_feature_extractor(solutions):
    assert check(ex.q2, solutions["build_feature_extractor"]).status == PASS
    assert_wrong(check(ex.q2, sourceless(functools.partial(transfer.feature_extractor, freeze=False))),
                 "layer 1 ('conv1', Conv2D) is trainable, expected frozen", "base.trainable = False")
    assert_wrong(check(ex.q2, sourceless(functools.partial(transfer.feature_extractor, pooling="flatten"))),
                 "layer 8 is Flatten, expected GlobalAveragePooling2D", "one average per channel")
    assert_wrong(check(ex.q2, sourceless(ex._frozen_head)), "is frozen, expected trainable", "head must stay trainable")
    assert_wrong(check(ex.q2, sourceless(lambda base, n: transfer.feature_extractor(base, n + 1))),
                 "the output layer has 6 units, expected one per class")
    assert_wrong(check(ex.q2, sourceless(lambda base, n: 3)), "the result is of type int, expected a Keras model")
    assert_wrong(check(ex.q2, sourceless(lambda base, n: None)), "returned nothing (None)")
    assert_not_attempted(check(ex.q2, stub))


def test_q3_fine_tuning(solutions):
    assert check(ex.q3, solutions["set_up_fine_tuning"]).status == PASS
    assert check(ex.q3, sourceless(transfer.unfreeze_top)).status == PASS
    assert_wrong(check(ex.q3, sourceless(functools.partial(transfer.unfreeze_top, keep_batchnorm_frozen=False))),
                 "layer 10 ('bn3', BatchNormalization) is trainable, expected frozen", "keep every BatchNormalization")
    assert_wrong(check(ex.q3, sourceless(ex.unfreeze_bottom)), "base.layers[-k:]")
    assert_wrong(check(ex.q3, sourceless(ex.unfreeze_in_frozen_base)), "is frozen, expected trainable",
                 "a frozen model trains none of its layers")
    assert_wrong(check(ex.q3, sourceless(lambda base, k: transfer.unfreeze_top(base, len(base.layers)))),
                 "freeze the other layers")
    assert_not_attempted(check(ex.q3, stub))


def test_q4_changed_weights():
    assert check(ex.q4, 2, 17).status == PASS
    assert_wrong(check(ex.q4, 8, 17), "inference mode")
    assert_wrong(check(ex.q4, 2, 11), "moving mean and variance")
    assert_wrong(check(ex.q4, 1, 7), "not layers", "(0/2 correct)")
    assert_not_attempted(check(ex.q4, None, None))


def test_p1_prediction():
    assert check(ex.p1, 170).status == PASS and "(16 pooled features + 1 bias) × 10" in check(ex.p1, 170).message
    assert check(ex.p1, 160).status == PASS                               # a prediction: within 10 %
    assert_wrong(check(ex.p1, 1490), "too large: the measured value is 170")
    assert_not_attempted(check(ex.p1, None))


# --- through the grader --------------------------------------------------------------------

WRONG = {
    "ex11.p1": ("prediction = 1490", 0.0, "too large"),
    "ex11.q1": ("trainable_before, non_trainable_before, trainable_after, non_trainable_after = 6221, 0, 165, 6056",
                1.0, "never trainable"),
    "ex11.q2": ("def build_feature_extractor(base, n_classes):\n"
                "    return keras.Sequential([base, layers.GlobalAveragePooling2D(), "
                "layers.Dense(n_classes, activation='softmax')])", 0.0, "base.trainable = False"),
    "ex11.q3": ("def set_up_fine_tuning(base, k):\n    for i, layer in enumerate(base.layers):\n"
                "        layer.trainable = i >= len(base.layers) - k\n    return base", 0.0, "keep every BatchNormalization"),
    "ex11.q4": ("changed_extraction, changed_fine_tuning = 8, 11", 0.0, "inference mode"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, isolation):
    return grade_students(tmp_path_factory.mktemp("ex11_grading"), NOTEBOOK, {qid: w[0] for qid, w in WRONG.items()})


def test_grader_passes_the_solution(graded):
    assert_solution_full_marks(graded, ex.EXERCISE)


def test_grader_gives_the_known_mistakes_their_advice(graded):
    assert_mistakes_advised(graded, ex.EXERCISE, WRONG)


def test_grader_says_not_attempted_for_the_stubs(graded):
    assert_stubs_not_attempted(graded, ex.EXERCISE)
