"""Exercises 07 (LeNet-5 in Keras) and 09 (residual and Inception blocks): every check passes
the solution, names known mistakes with their fix, says "not attempted" for stubs; the slides'
numbers; and both notebooks graded end to end through the sandbox (right, wrong, stub)."""
import csv

import keras
import numpy as np
import pytest
from keras import layers

from course_utils.architectures import basic_block, inception_module
from course_utils.checks.codec import to_plain
from course_utils.checks.layer_checks import (Layer, LayerMistake, LayerSummaryQuestion, first_difference,
                                              fold_activations, summarise)
from course_utils.checks.protocol import ERROR, FAIL, PASS
from course_utils.checks.questions import Exercise
from course_utils.exercises import ex07_lenet5_keras as ex07
from course_utils.exercises import ex09_residual_and_inception_blocks as ex09
from course_utils.grading import cli
from course_utils.grading.synthetic import graded_sources, submission
from course_utils.models import lenet5_slides
from exercise_asserts import assert_not_attempted, assert_wrong, check, sourceless, stub


# --- the layer-summary checker -----------------------------------------------------------

def test_summaries_drop_the_input_layer_and_read_activations():
    def functional():
        inputs = keras.Input((6, 6, 1))
        return keras.Model(inputs, layers.Activation("relu")(layers.Conv2D(2, 3)(inputs)))
    assert summarise(functional) == [Layer("Conv2D", (None, 4, 4, 2), 20, "linear"), Layer("ReLU", (None, 4, 4, 2), 0, None)]
    assert fold_activations(summarise(functional)) == [Layer("Conv2D", (None, 4, 4, 2), 20, "relu")]
    with pytest.raises(ValueError, match="could not be built"):
        summarise(lambda: 1 / 0)


def test_summaries_tell_relu6_from_relu():
    def clipped(relu):
        inputs = keras.Input((4,))
        return lambda: keras.Model(inputs, relu(layers.Dense(2)(inputs)))
    assert [layer.activation for layer in summarise(clipped(layers.ReLU(6.0)))] == ["linear", "relu6"]
    assert summarise(clipped(layers.Activation("relu6")))[1] == Layer("ReLU", (None, 2), 0, "relu6")
    assert summarise(clipped(layers.ReLU()))[1].activation is None
    assert summarise(clipped(layers.ReLU(4.0)))[1].activation is None


def test_first_difference_messages():
    a, b = Layer("Conv2D", (None, 4, 4, 2), 20, "relu"), Layer("Dense", (None, 3), 9, "softmax")
    assert first_difference([a, b], [a, b]) is None
    assert first_difference([a], [a, b]) == (1, "the model ends after layer 1: layer 2 should be a Dense with "
                                                "output (None, 3)")
    assert first_difference([a, b, b], [a, b])[1] == "the model has 3 layers, expected 2: layer 3 (Dense) is one too many"
    assert first_difference([b], [a])[1] == "layer 1 is Dense, expected Conv2D"
    assert first_difference([Layer("Conv2D", (None, 5, 5, 2), 20, "relu")], [a])[1] == (
        "layer 1 (Conv2D) outputs (None, 5, 5, 2), expected (None, 4, 4, 2)")


def test_layer_question_arguments_and_non_models():
    with pytest.raises(ValueError, match="compare must be"):
        LayerSummaryQuestion("x.q1", points=1, name="m", reference=stub, compare="order")
    assert_wrong(check(ex07.q1, lambda: 3), "`build_lenet` gave", "expected a Keras model")
    raised = ex07.q1.judge_outcome({"outcome": "raised", "error": "ValueError: boom"}, [], hidden=True)
    assert (raised.status, raised.message) == (ERROR, "your cell raised ValueError: boom")


def test_exact_mistakes_match_the_whole_model_only():
    def model(*widths):
        return lambda: keras.Sequential([keras.Input((4,))] + [layers.Dense(w) for w in widths])
    q = LayerSummaryQuestion("x.q1", points=1, name="m", reference=model(3, 2),
                             mistakes=[LayerMistake("exact advice", model(3), exact=True),
                                       LayerMistake("prefix advice", model(3, 2, 2))])
    assert check(q, model(3, 2)).status == PASS
    assert_wrong(check(q, model(3)), "the model ends after layer 1", "exact advice")
    assert_wrong(check(q, model(3, 2, 2)), "one too many", "prefix advice")


# --- exercise 07 -------------------------------------------------------------------------

def test_ex07_reference_is_the_slides_summary():
    layers_ = summarise(ex07.reference_model)
    assert [(l.cls, l.shape, l.params) for l in layers_] == [
        ("Conv2D", (None, 28, 28, 6), 156), ("AveragePooling2D", (None, 14, 14, 6), 0),
        ("Conv2D", (None, 10, 10, 16), 2416), ("AveragePooling2D", (None, 5, 5, 16), 0),
        ("Conv2D", (None, 5, 5, 120), 2040), ("Flatten", (None, 3000), 0),
        ("Dense", (None, 84), 252_084), ("Dense", (None, 10), 850)]
    assert sum(ex07.reference_params()) == lenet5_slides().count_params() == 257_546
    assert summarise(ex07.mistake_model) == layers_          # the mistake generator is pinned to the reference
    assert round(ex07._dense_share(), 4) == 0.9821           # the slides' "> 98 % in the FC layers" holds


def test_ex07_q1_model():
    assert check(ex07.q1, ex07.mistake_model).status == PASS
    assert check(ex07.q1, lenet5_slides()).status == PASS       # a model (not a builder), functional API
    assert_wrong(check(ex07.q1, sourceless(lambda: ex07.mistake_model(second_padding="same"))),
                 "layer 3 (Conv2D) outputs (None, 14, 14, 16), expected (None, 10, 10, 16): did you use "
                 "padding='same' on the second conv?")
    assert_wrong(check(ex07.q1, sourceless(lambda: ex07.mistake_model(first_padding="valid"))),
                 "layer 1 (Conv2D) outputs (None, 24, 24, 6), expected (None, 28, 28, 6): padding='same'")
    assert_wrong(check(ex07.q1, sourceless(lambda: ex07.mistake_model(pooling="max"))),
                 "layer 2 is MaxPooling2D, expected AveragePooling2D", "as LeNet-5 did")
    assert_wrong(check(ex07.q1, sourceless(lambda: ex07.mistake_model(c5_kernel=5))), "(None, 1, 1, 120)", "1×1 convolution")
    assert_wrong(check(ex07.q1, sourceless(lambda: ex07.mistake_model(activation=None))),
                 "layer 1 (Conv2D) uses activation 'linear', expected 'relu': forgot activation='relu'?")
    assert_wrong(check(ex07.q1, sourceless(lambda: ex07.mistake_model(output_activation=None))), "forgot activation='softmax'?")
    assert_wrong(check(ex07.q1, sourceless(lambda: ex07.mistake_model(flatten=False))), "expected Flatten", "Flatten()")
    assert_wrong(check(ex07.q1, lambda: keras.Sequential([keras.Input((28, 28)), layers.Conv2D(6, 5)])),
                 "keras.Input((28, 28, 1))")
    assert_not_attempted(check(ex07.q1, stub))
    assert_not_attempted(check(ex07.q1, None))


def test_ex07_q1_separate_activation_layers_count_as_the_activation():
    def with_relu_layers():
        return keras.Sequential([
            keras.Input((28, 28, 1)), layers.Conv2D(6, 5, padding="same"), layers.ReLU(), layers.AveragePooling2D(2),
            layers.Conv2D(16, 5), layers.Activation("relu"), layers.AveragePooling2D(2),
            layers.Conv2D(120, 1, activation="relu"), layers.Flatten(), layers.Dense(84, activation="relu"),
            layers.Dense(10), layers.Softmax()])
    assert check(ex07.q1, with_relu_layers).status == PASS


def test_ex07_q2_q3_parameter_counts():
    assert check(ex07.q2, [156, 0, 2416, 0, 2040, 0, 252_084, 850]).status == PASS
    assert_wrong(check(ex07.q2, [150, 0, 2400, 0, 1920, 0, 252_000, 840]), "forgot the biases")
    assert_wrong(check(ex07.q2, [156, 2416, 2040, 252_084, 850]), "shape (5,), expected (8,)", "8 in all")
    assert_wrong(check(ex07.q2, [156, 0, 2416, 0, 2040, 0, 10_164, 850]), "layer_params[6] is 10,164", "3,000")
    assert_not_attempted(check(ex07.q2, None))
    assert check(ex07.q3, 257_546).status == PASS
    assert_wrong(check(ex07.q3, 257_310), "forgot the biases")
    assert_wrong(check(ex07.q3, 61_706), "5×5 C5")
    assert_not_attempted(check(ex07.q3, None))


def test_ex07_q4_prepare():
    assert check(ex07.q4, lambda x: (x / 255.0).astype("float32")[..., np.newaxis]).status == PASS
    assert check(ex07.q4, lambda x: (x.reshape(-1, 28, 28, 1) / np.float32(255)).astype(np.float32)).status == PASS
    assert_wrong(check(ex07.q4, lambda x: x.reshape(-1, 28, 28, 1) / 255),     # the question asks for float32
                 "has dtype float64, expected float32: convert with .astype(np.float32)")
    assert_wrong(check(ex07.q4, lambda x: x / 255.0), "has shape (1, 28, 28), expected (1, 28, 28, 1)", "channel axis")
    assert_wrong(check(ex07.q4, lambda x: (x / 255.0)[:, None]), "channels-last")
    assert_wrong(check(ex07.q4, lambda x: x[..., None].astype("float32")), "divide by 255")
    assert_wrong(check(ex07.q4, lambda x: (x / x.max()).astype("float32")[..., None]), "not by this batch's maximum", "(4/5 tests passed)")
    assert_not_attempted(check(ex07.q4, stub))


def test_ex07_q5_accuracy_thresholds_and_stub():
    images, labels = ex07.held_out_data()
    assert images.shape == (1996, 28, 28, 1) and images.dtype == np.float32 and labels.shape == (1996,)
    given = ex07.EXERCISE.given()          # what the grader puts in the sandbox: training digits only
    assert set(given) == {"x_train_raw", "y_train_raw"} and given["x_train_raw"].shape == (8004, 28, 28)

    def judged(predictions):
        return ex07.q5.judge_outcome({"outcome": "ok", "answer": to_plain(predictions)}, [], hidden=True)
    assert (judged(labels).status, judged(labels).points) == (PASS, 4.0)
    nine_in_ten = labels.copy()
    nine_in_ten[::20] = (nine_in_ten[::20] + 1) % 10     # 95 % right
    result = judged(nine_in_ten)
    assert (result.status, result.points) == (FAIL, 2.0) and "≥ 90% earns 50%" in result.message
    assert_wrong(judged(np.zeros_like(labels)), "below 90%")
    assert_wrong(check(ex07.q5, ex07.reference_model()), "held-out images, below 90%")   # untrained
    assert_not_attempted(check(ex07.q5, None))


def test_ex07_practice_fc_share():
    assert check(ex07.p1, 0.9821).status == PASS
    assert_wrong(check(ex07.p1, 252_084 / 257_546), "count both dense layers")
    assert_wrong(check(ex07.p1, 98.21), "not a percentage")
    assert_not_attempted(check(ex07.p1, None))


# --- exercise 09 -------------------------------------------------------------------------

def block_model(**switches):
    return sourceless(lambda: ex09._model(ex09.IDENTITY_INPUT, lambda x: ex09.mistake_block(x, 16, 1, **switches)))


def small_resnet(**switches):
    return sourceless(lambda: ex09.small_resnet(lambda x, f, s: ex09.mistake_block(x, f, s, **switches)))


def inception(**switches):
    return sourceless(lambda: ex09._model(ex09.INCEPTION_INPUT, lambda x: ex09.mistake_inception(x, *ex09.INCEPTION_3A, **switches)))


def test_ex09_mistake_generators_are_pinned_to_the_references():
    assert summarise(block_model()) == summarise(ex09.reference_identity_model)
    assert summarise(small_resnet()) == summarise(ex09.reference_small_resnet)
    assert summarise(inception()) == summarise(ex09.reference_inception_model)
    inputs = keras.Input((56, 56, 64))
    assert keras.Model(inputs, basic_block(inputs, 128, 2)).count_params() == ex09.count_block_params() == 230_912
    assert ex09.count_shortcut_params() == 8_704
    inputs = keras.Input((28, 28, 192))
    assert keras.Model(inputs, inception_module(inputs, *ex09.INCEPTION_3A)).count_params() == 163_696


def test_ex09_q1_residual_block():
    assert check(ex09.q1, block_model()).status == PASS
    assert check(ex09.q1, block_model(shortcut_first=False)).status == PASS          # Add([y, x]) is as good
    assert_wrong(check(ex09.q1, block_model(add_before_bn=True)),
                 "layer 5 is Add, expected BatchNormalization: shortcut added before BatchNorm?")
    assert_wrong(check(ex09.q1, block_model(bias=True)), "2320 parameters, expected 2304", "use_bias=False")
    assert_wrong(check(ex09.q1, block_model(use_add_layer=False)), "layer 6 is ReLU, expected Add", "layers.Add()")
    assert_wrong(check(ex09.q1, block_model(relu_before_add=True)), "layer 6 is ReLU, expected Add",
                 "after the addition, not before")
    assert_wrong(check(ex09.q1, block_model(final_relu=False)), "ends after layer 6", "apply ReLU after the addition")
    assert_wrong(check(ex09.q1, block_model(relu_in_conv=True)), "uses activation 'relu', expected 'linear'",
                 "after BatchNormalization")
    assert_wrong(check(ex09.q1, block_model(project="always")), "project only when you must")
    assert_not_attempted(check(ex09.q1, stub))


def test_ex09_q2_small_resnet():
    assert check(ex09.q2, small_resnet()).status == PASS
    assert check(ex09.q2, small_resnet(shortcut_first=False)).status == PASS
    assert_wrong(check(ex09.q2, small_resnet(stride_on_second=True)),
                 "layer 11 (Conv2D) outputs (None, 28, 28, 32), expected (None, 14, 14, 32)", "first 3×3")
    assert_wrong(check(ex09.q2, small_resnet(projection_kernel=3)), "4608 parameters, expected 512", "1×1")
    assert_wrong(check(ex09.q2, small_resnet(projection_bn=False)), "follow the 1×1 projection with BatchNormalization")
    assert_wrong(check(ex09.q2, small_resnet(project="never")), "incompatible shapes", "project it with a 1×1")
    assert_wrong(check(ex09.q2, ex09._small_mistake(head="flatten")[0]), "expected GlobalAveragePooling2D")
    assert_not_attempted(check(ex09.q2, stub))


def test_ex09_q3_block_parameters():
    assert check(ex09.q3, 230_912, 8_704).status == PASS
    assert_wrong(check(ex09.q3, 230_144, 8_704), "4 numbers per channel", "(1/2 correct)")
    assert_wrong(check(ex09.q3, 231_296, 8_704), "no biases here")
    assert_wrong(check(ex09.q3, 230_912, 8_192), "shortcut's BatchNormalization")
    assert_not_attempted(check(ex09.q3, None, None))


def test_ex09_q4_inception_module():
    assert check(ex09.q4, inception()).status == PASS
    assert_wrong(check(ex09.q4, inception(reductions=False)), "4 Conv2D layer(s), expected 6", "1×1 reduction")
    assert_wrong(check(ex09.q4, inception(pool_projection=False)), "5 Conv2D layer(s), expected 6", "pool_proj")
    assert_wrong(check(ex09.q4, inception(kernel5=3)), "155,504 parameters, expected 163,696", "5×5 kernels")
    assert_wrong(check(ex09.q4, inception(activation=None)), "use activation 'linear'", "forgot activation='relu'?")

    def wrong_axis():
        inputs = keras.Input(ex09.INCEPTION_INPUT)
        branches = [layers.Conv2D(f, 1, activation="relu")(inputs) for f in (64, 32)]
        return keras.Model(inputs, layers.Concatenate(axis=1)(branches))
    assert_wrong(check(ex09.q4, wrong_axis), "Concatenate", "concatenated along the channels (axis=-1")
    assert_not_attempted(check(ex09.q4, stub))


def test_ex09_q4_judges_the_wiring_not_only_the_counts():
    projection_first = check(ex09.q4, inception(pool_first=False))
    assert_wrong(projection_first, "Conv2D 'conv2d", "(None, 28, 28, 32) takes its input from the model's input, "
                 "expected from a MaxPooling2D", "pools first, then projects")

    def one_by_one_on_the_pooled_maps():    # same layers and parameters; the 1×1 branch reads the pool
        x = keras.Input(ex09.INCEPTION_INPUT)
        conv = lambda t, f, k: layers.Conv2D(f, k, padding="same", activation="relu")(t)
        pooled = layers.MaxPooling2D(3, strides=1, padding="same")(x)
        branches = [conv(pooled, 64, 1), conv(conv(x, 96, 1), 128, 3), conv(conv(x, 16, 1), 32, 5), conv(pooled, 32, 1)]
        return keras.Model(x, layers.Concatenate()(branches))
    assert_wrong(check(ex09.q4, one_by_one_on_the_pooled_maps), "(None, 28, 28, 64) takes its input from "
                 "MaxPooling2D 'max_pooling2d", "expected from the model's input", "wrong connections")


def test_ex09_equivalent_layers_pass():
    def separate_relus():    # linear Conv2D + ReLU layers, branches listed in another order
        x = keras.Input(ex09.INCEPTION_INPUT)
        conv = lambda t, f, k: layers.ReLU()(layers.Conv2D(f, k, padding="same")(t))
        pool = conv(layers.MaxPooling2D(3, strides=1, padding="same")(x), 32, 1)
        return keras.Model(x, layers.Concatenate()([pool, conv(conv(x, 16, 1), 32, 5), conv(x, 64, 1),
                                                    conv(conv(x, 96, 1), 128, 3)]))
    assert check(ex09.q4, separate_relus).status == PASS

    def activation_layers(shortcut_from_x=True):
        x = keras.Input(ex09.IDENTITY_INPUT)
        y = layers.Conv2D(16, 3, padding="same", use_bias=False)(x)
        first = layers.Activation("relu")(layers.BatchNormalization()(y))
        y = layers.BatchNormalization()(layers.Conv2D(16, 3, padding="same", use_bias=False)(first))
        return keras.Model(x, layers.Activation("relu")(layers.Add()([x if shortcut_from_x else first, y])))
    assert check(ex09.q1, activation_layers).status == PASS
    assert_wrong(check(ex09.q1, lambda: activation_layers(shortcut_from_x=False)),
                 "Add 'add", "takes its input from ReLU 'activation", "expected from a BatchNormalization and the "
                 "model's input")


def test_keras_probe_reports_which_layer_feeds_which():
    x = keras.Input((4, 4, 1), name="image")
    conv = layers.Conv2D(2, 1, name="conv")(x)
    model = keras.Model(x, layers.Add(name="sum")([layers.ReLU(name="relu")(conv), conv]))
    got = {layer.name: layer.inbound for layer in summarise(model)}
    assert got == {"conv": ("image",), "relu": ("conv",), "sum": ("relu", "conv")}


@pytest.mark.parametrize("question, measured, right, wrong, says", [
    (ex07.p2, "smaller", "Smaller", "same", "the experiment gives 'smaller'"),
    (ex09.p1, pytest.approx(100 * 640 / 14_720), 4.5, 25, "too large: the measured value is 4.3478"),
], ids=["ex07.p2", "ex09.p1"])
def test_predictions_measure_explain_and_accept_other_forms(question, measured, right, wrong, says):
    assert question.expected() == {"prediction": measured}
    assert check(question, right).status == PASS
    assert_wrong(check(question, wrong), says, "Why: ")
    assert question.points == 0 and not check(question, None).attempted


def test_ex09_q5_inception_arithmetic_and_the_slide_error():
    assert ex09.inception_multiplications() == (43_352_064, 6_021_120)   # the slide says ≈ 43 M and ≈ 5.4 M
    assert check(ex09.q5, 43_352_064, 6_021_120).status == PASS
    assert_wrong(check(ex09.q5, 43_352_064, 5_400_000), "the slide's", "which is miscounted")
    assert_wrong(check(ex09.q5, 55_296, 6_021_120), "that counts weights")
    assert_wrong(check(ex09.q5, 43_352_064, 3_612_672), "cost of the 1×1 reduction itself")
    assert_not_attempted(check(ex09.q5, None, None))


def test_ex09_q6_two_3x3_instead_of_5x5():
    assert check(ex09.q6, 25, 18, 5).status == PASS
    assert_wrong(check(ex09.q6, 25, 81, 5), "add their weights")
    assert_wrong(check(ex09.q6, 25, 9, 5), "two 3×3 layers")
    assert_wrong(check(ex09.q6, 25, 18, 6), "1 + 2 + 2")
    assert_not_attempted(check(ex09.q6, None, None, None))


def test_exercise_options_are_validated():
    assert (ex07.EXERCISE.timeout_s, ex09.EXERCISE.timeout_s) == (120.0, 60.0)
    with pytest.raises(ValueError, match="timeout_s must be > 0"):
        Exercise("x", "X", [], timeout_s=0)
    with pytest.raises(ValueError, match="numeric arrays with valid names"):
        Exercise("x", "X", [], given=lambda: {"not a name": np.zeros(2)}).given()
    with pytest.raises(ValueError, match="numeric arrays with valid names"):
        Exercise("x", "X", [], given=lambda: {"labels": np.array(["a"])}).given()
    assert Exercise("x", "X", []).given() == {}


# --- both notebooks through the grader ---------------------------------------------------

WRONG = {
    "ex07.q1": ("def build_lenet():\n    return keras.Sequential([keras.Input((28, 28, 1)),\n"
                "        layers.Conv2D(6, 5, activation='relu', padding='same'), layers.AveragePooling2D(2),\n"
                "        layers.Conv2D(16, 5, activation='relu', padding='same'), layers.AveragePooling2D(2),\n"
                "        layers.Conv2D(120, 1, activation='relu'), layers.Flatten(),\n"
                "        layers.Dense(84, activation='relu'), layers.Dense(10, activation='softmax')])",
                0.0, "did you use padding='same' on the second conv?"),
    "ex07.q2": ("layer_params = [150, 0, 2400, 0, 1920, 0, 252000, 840]", 0.0, "forgot the biases"),
    "ex07.q3": ("total_params = 257310", 0.0, "forgot the biases"),
    "ex07.q4": ("def prepare(images):\n    return images / 255.0", 0.0, "add the channel axis"),
    "ex07.q5": ("model = build_lenet()   # never trained", 0.0, "below 90%"),
    "ex07.p1": ("fc_share = 98.21", 0.0, "not a percentage"),
    "ex09.q1": ("def residual_block(x, filters, stride=1):\n    shortcut = x\n"
                "    if stride != 1 or x.shape[-1] != filters:\n"
                "        shortcut = layers.BatchNormalization()(layers.Conv2D(filters, 1, strides=stride, "
                "use_bias=False)(x))\n"
                "    y = layers.Conv2D(filters, 3, strides=stride, padding='same', use_bias=False)(x)\n"
                "    y = layers.ReLU()(layers.BatchNormalization()(y))\n"
                "    y = layers.Conv2D(filters, 3, padding='same', use_bias=False)(y)\n"
                "    return layers.ReLU()(layers.BatchNormalization()(layers.Add()([shortcut, y])))\n\n"
                "def identity_block_model():\n    inputs = keras.Input((8, 8, 16))\n"
                "    return keras.Model(inputs, residual_block(inputs, 16, stride=1))",
                0.0, "shortcut added before BatchNorm?"),
    "ex09.q3": ("block_params, shortcut_params = 230144, 8192", 0.0, "4 numbers per channel"),
    "ex09.q4": ("def inception_module(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj):\n"
                "    conv = lambda t, f, k: layers.Conv2D(f, k, padding='same', activation='relu')(t)\n"
                "    pool = conv(layers.MaxPooling2D(3, strides=1, padding='same')(x), pool_proj, 1)\n"
                "    return layers.Concatenate()([conv(x, f1, 1), conv(x, f3, 3), conv(x, f5, 5), pool])\n\n"
                "def inception_3a():\n    inputs = keras.Input((28, 28, 192))\n"
                "    return keras.Model(inputs, inception_module(inputs, 64, 96, 128, 16, 32, 32))",
                0.0, "1×1 reduction"),
    "ex09.q5": ("mults_naive, mults_bottleneck = 43352064, 5400000", 1.0, "the slide's"),
    "ex09.q6": ("weights_5x5, weights_two_3x3, rf_two_3x3 = 25, 81, 5", 4 / 3, "add their weights"),
}
# ex09.q2 keeps its solution, which calls the wrong residual_block of q1: it fails too.


@pytest.fixture(scope="module")
def graded(tmp_path_factory, isolation):
    base = tmp_path_factory.mktemp("keras_grading")
    subs, out = base / "submissions", base / "out"
    for name in ("07_lenet5_keras", "09_residual_and_inception_blocks"):
        sources = graded_sources(name)
        students = {"right": {qid: s["solution"] for qid, s in sources.items()},
                    "wrong": {qid: WRONG.get(qid, (s["solution"],))[0] for qid, s in sources.items()}}
        if name.startswith("07"):
            students["stub"] = {qid: s["stub"] for qid, s in sources.items()}
        for student, answers in students.items():
            (subs / student).mkdir(parents=True, exist_ok=True)
            (subs / student / f"{name}.ipynb").write_text(submission(name, answers), encoding="utf-8")
    code = cli.main([str(subs), "--out", str(out), "--jobs", "2", "--quiet"])   # the exercises' own timeouts
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        rows = {(r["student"], r["question"]): r for r in csv.DictReader(f)}
    return code, rows


def test_grader_passes_the_solutions(graded):
    code, rows = graded
    assert code == 0
    for exercise in (ex07.EXERCISE, ex09.EXERCISE):
        for q in exercise.questions:
            row = rows[("right", q.id)]
            assert (row["status"], float(row["points"])) == (PASS, q.points), row
    assert rows[("right", "ex07.q5")]["message"].startswith("accuracy 9")     # trained in the sandbox


def test_grader_fails_known_mistakes_with_their_message(graded):
    _, rows = graded
    for qid, (_, points, fragment) in WRONG.items():
        row = rows[("wrong", qid)]
        assert row["status"] == FAIL, row
        assert float(row["points"]) == pytest.approx(points, abs=1e-3), row
        assert fragment in row["message"], row
    assert rows[("wrong", "ex09.q2")]["status"] == FAIL
    assert "shortcut added before BatchNorm?" in rows[("wrong", "ex09.q2")]["message"]


def test_grader_says_not_attempted_for_the_stubs(graded):
    _, rows = graded
    for q in ex07.EXERCISE.questions:
        row = rows[("stub", q.id)]
        assert (row["status"], float(row["points"])) == (FAIL, 0.0), row
        assert row["message"].startswith("Not attempted yet"), row
