"""Exercise 13 (efficient CNNs): the references agree with Keras, every check passes the solution,
gives the known mistakes their message and reports stubs as "not attempted"; the grader agrees."""

import numpy as np
import pytest

import course_utils  # noqa: F401  (quiet TensorFlow start-up)
import keras
from keras import layers

from course_utils import efficient as eff
from course_utils.checks.layer_checks import summarise
from course_utils.checks.protocol import PASS
from course_utils.exercises import ex13_efficient_cnns as ex13
from course_utils.shapes import model_macs
from exercise_asserts import assert_mistakes_advised, assert_solution_full_marks, assert_stubs_not_attempted, assert_not_attempted, assert_wrong, check, grade_students, sourceless, stub


def keras_cost(make_layer, k, c_in, c_out, h_out, w_out):
    inputs = keras.Input((h_out, w_out, c_in))
    model = keras.Model(inputs, make_layer(c_out, k)(inputs))
    return model.count_params(), model_macs(model)


def test_references_agree_with_keras_layers():
    for args in [(3, 64, 128, 28, 28), (5, 7, 3, 9, 4), (1, 16, 8, 5, 6)]:
        assert ex13.separable_cost(*args) == keras_cost(
            lambda c, k: layers.SeparableConv2D(c, k, padding="same", use_bias=False), *args)
        assert ex13.standard_cost(*args) == keras_cost(lambda c, k: layers.Conv2D(c, k, padding="same", use_bias=False), *args)
    assert ex13.layer_costs() == (73_728, 57_802_752, 8_768, 6_874_112)
    assert round(ex13.predicted_saving(), 4) == round(1 / (1 / 32 + 1 / 9), 4) == 7.0244


def test_factorised_and_scaling_references():
    assert ex13.factorised_counts() == (57_600, 41_472, 13_824, (3, 3))
    stack = keras.Sequential([keras.Input((9, 9, 48)), *eff.factorised_layers(48, 5)])
    assert stack.count_params() - 2 * 48 == 41_472                   # the biases left out
    depth, width, size, flops, filters, repeats = ex13.compound_answers()
    assert (depth, round(width, 4), size, round(flops, 2), filters, repeats) == (2.0736, 1.4641, 392, 13.6, 160, 7)


def stage(**switches):
    return sourceless(ex13._stage_mistake(**switches))


def test_mistake_generator_is_pinned_to_the_reference():
    assert summarise(stage()) == summarise(ex13.reference_stage)
    model = ex13.reference_stage()
    assert model.count_params() == 15_024 and model.output.shape == (None, 14, 14, 24)
    assert [type(layer).__name__ for layer in model.layers].count("Add") == 1


def test_p1_prediction():
    assert check(ex13.p1, 7).status == PASS
    assert check(ex13.p1, 6.5).status == PASS
    result = check(ex13.p1, 9)
    assert_wrong(result, "Your prediction 9 is too large: the measured value is 7.0244", "1/K + 1/k²")
    assert_not_attempted(check(ex13.p1, None))


def test_q1_standard_and_separable_counts():
    assert check(ex13.q1, 73_728, 57_802_752, 8_768, 6_874_112).status == PASS
    assert check(ex13.q1, 73_728.0, 57_802_752, 8_768.0, 6_874_112).status == PASS
    assert_wrong(check(ex13.q1, 73_728, 57_802_752, 576, 6_874_112), "forgot the pointwise part", "(3/4 correct)")
    assert_wrong(check(ex13.q1, 73_856, 57_802_752, 8_768, 6_874_112), "std_params is 73,856, too large", "no bias")
    assert_wrong(check(ex13.q1, 73_728, 73_728, 8_768, 6_874_112), "multiply by H_out × W_out")
    assert_wrong(check(ex13.q1, 73_728, 57_802_752, 45_056, 6_874_112), "ONE k × k filter per input channel")
    assert_wrong(check(ex13.q1, 73_728, 57_802_752, 8_768, 8_768), "multiply each part's weights")
    assert_not_attempted(check(ex13.q1, None, None, None, None))


def test_q2_separable_cost_function():
    assert check(ex13.q2, sourceless(ex13.separable_cost)).status == PASS
    assert check(ex13.q2, lambda k, c_in, c_out, h_out, w_out: ex13.separable_cost(k, c_in, c_out, h_out, w_out)).status \
        == "FORBIDDEN"                                          # the course's own code is banned in answers
    assert_wrong(check(ex13.q2, lambda k, c_in, c_out, h_out, w_out: (k * k * c_in, h_out * w_out * k * k * c_in)),
                 "forgot the pointwise part", "(0/10 tests passed)")
    square = check(ex13.q2, lambda k, c_in, c_out, h_out, w_out: (k * k * c_in + c_in * c_out,
                                                                  h_out * h_out * (k * k * c_in + c_in * c_out)))
    assert_wrong(square, "result[1]", "need not be equal")
    assert_wrong(check(ex13.q2, lambda k, c_in, c_out, h_out, w_out: (h_out * w_out * (k * k * c_in + c_in * c_out),
                                                                      k * k * c_in + c_in * c_out)),
                 "(params, macs) in this order")
    assert_wrong(check(ex13.q2, lambda k, c_in, c_out, h_out, w_out: None), "returned nothing (None)")
    assert_not_attempted(check(ex13.q2, stub))


def test_q3_factorised_kernels():
    assert check(ex13.q3, 57_600, 41_472, 13_824, (3, 3)).status == PASS
    assert check(ex13.q3, 57_600, 41_472, 13_824, np.array([3.0, 3.0])).status == PASS
    assert_wrong(check(ex13.q3, 57_600, 9 * 48 * 48, 13_824, (3, 3)), "there are two 3×3 layers")
    assert_wrong(check(ex13.q3, 25, 41_472, 13_824, (3, 3)), "one channel pair")
    assert_wrong(check(ex13.q3, 57_600, 41_472, 13_824, (3, 1)), "widens the other axis")
    assert_wrong(check(ex13.q3, 57_600, 41_472, 13_824, (5, 5)), "through the layer whose kernel is long")
    assert_not_attempted(check(ex13.q3, None, None, None, None))


def test_q4_inverted_residual():
    assert check(ex13.q4, stage()).status == PASS
    assert check(ex13.q4, stage(shortcut_first=False)).status == PASS            # Add([y, x]) is as good
    assert_wrong(check(ex13.q4, stage(linear_projection=False)), "layer 9 is ReLU, expected Conv2D", "linear bottleneck")
    assert_wrong(check(ex13.q4, stage(shortcut="never")), "layer 17 should be a Add", "layers.Add()([x, y])")
    assert_wrong(check(ex13.q4, stage(bias=True)), "1632 parameters, expected 1536", "use_bias=False")
    assert_wrong(check(ex13.q4, stage(expand_input=False)), "(None, 28, 28, 144)", "INPUT's channels")
    assert_wrong(check(ex13.q4, stage(depthwise=False)), "layer 4 is Conv2D, expected DepthwiseConv2D")
    assert_wrong(check(ex13.q4, stage(stride_on_expand=True)), "the stride belongs to the depthwise")
    assert_wrong(check(ex13.q4, stage(relu6=False)), "expected 'relu6'", "layers.ReLU(6.0)")
    assert_wrong(check(ex13.q4, stage(shortcut="always")), "incompatible shapes", "a stride-2 block has no shortcut")
    assert_wrong(check(ex13.q4, stage(padding="valid")), "incompatible shapes", "padding='same'")
    assert_not_attempted(check(ex13.q4, stub))


def test_q5_compound_scaling():
    assert check(ex13.q5, 1.2**4, 1.1**4, 392, (1.2 * 1.21 * 1.3225) ** 4, 160, 7).status == PASS
    assert check(ex13.q5, 2.074, 1.464, 392.0, 13.6, 160, 7).status == PASS       # 4 significant digits
    assert_wrong(check(ex13.q5, 2.07, 1.464, 392, 13.6, 160, 7), "depth_mult is 2.07, too small")
    assert_wrong(check(ex13.q5, 2.0736, 1.4641, 391.78, 13.6, 160, 7), "nearest whole number", "(5/6 correct)")
    assert_wrong(check(ex13.q5, 2.0736, 1.4641, 392, 16, 160, 7), "that is 2^φ")
    assert_wrong(check(ex13.q5, 2.0736, 1.4641, 392, 13.6, 164, 7), "make_divisible")
    assert_wrong(check(ex13.q5, 2.0736, 1.4641, 392, 13.6, 160, 6), "rounds the number of layers UP")
    assert_not_attempted(check(ex13.q5, None, None, None, None, None, None))


# --- through the grader ------------------------------------------------------------------

NAME = "13_efficient_cnns"
WRONG = {   # question -> (source, points it must earn on any hidden inputs, a fragment of its message)
    "ex13.q1": ("std_params, std_macs, sep_params, sep_macs = 73728, 57802752, 576, 6874112", 2.25, "pointwise"),
    "ex13.q2": ("def separable_cost(k, c_in, c_out, h_out, w_out):\n"
                "    p = k * k * c_in * c_out\n    return p, h_out * w_out * p", 0.0, "standard convolution's cost"),
    "ex13.q3": ("weights_5x5, weights_two_3x3, weights_asymmetric, rf_asymmetric = 57600, 20736, 13824, (3, 3)", 1.5,
                "two 3×3 layers"),
    "ex13.q4": ("def inverted_residual(x, filters, expansion, stride):\n"
                "    y = layers.ReLU(6.0)(layers.BatchNormalization()(layers.Conv2D(expansion * x.shape[-1], 1, "
                "use_bias=False)(x)))\n"
                "    y = layers.ReLU(6.0)(layers.BatchNormalization()(layers.DepthwiseConv2D(3, strides=stride, "
                "padding='same', use_bias=False)(y)))\n"
                "    y = layers.ReLU(6.0)(layers.BatchNormalization()(layers.Conv2D(filters, 1, use_bias=False)(y)))\n"
                "    return layers.Add()([x, y]) if stride == 1 and filters == x.shape[-1] else y\n\n"
                "def mobile_stage():\n    inputs = keras.Input((28, 28, 16))\n"
                "    x = inverted_residual(inputs, 24, expansion=6, stride=2)\n"
                "    return keras.Model(inputs, inverted_residual(x, 24, expansion=6, stride=1))", 0.0,
                "linear bottleneck"),
    "ex13.q5": ("depth_mult, width_mult, image_size, flops_factor, stage_filters, stage_layers = "
                "2.0736, 1.4641, 392, 16, 160, 7", 2.5, "that is 2^φ"),
    "ex13.p1": ("prediction = 9", 0.0, "the measured value is 7.0244"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, isolation):
    return grade_students(tmp_path_factory.mktemp("ex13_grading"), NAME, {qid: w[0] for qid, w in WRONG.items()})


def test_grader_passes_the_solution_fails_the_mistakes_and_reads_the_stubs(graded):
    assert_solution_full_marks(graded, ex13.EXERCISE)
    assert_mistakes_advised(graded, ex13.EXERCISE, WRONG)
    assert_stubs_not_attempted(graded, ex13.EXERCISE)
    assert "hidden test" in graded[1][("wrong", "ex13.q2")]["message"]
