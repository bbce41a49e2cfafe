"""Every question's check(): the solution passes, known-wrong answers get their specific
message, and stubs are reported as "not attempted" (never as wrong)."""
import numpy as np
import pytest
import scipy.linalg

from course_utils.checks import hints
from course_utils.checks.protocol import ERROR, FAIL, FORBIDDEN, PASS
from course_utils.exercises import ex01_convolution_1d as ex01
from course_utils.exercises import ex04_output_sizes as ex04
from exercise_asserts import assert_wrong, check, stub

X, H = ex01.X, ex01.H


# --- exercise 01 ---------------------------------------------------------------------

def test_ex01_q1_solution_and_slide_values():
    y = np.zeros(10)
    y[:8] += X
    y[2:] -= X
    assert check(ex01.q1, y).status == PASS
    np.testing.assert_allclose(y[:4], [2.0, 1.4816, -0.9024, -0.6685], atol=1e-4)   # x[n] - x[n-2]


def test_ex01_q1_known_mistakes():
    assert_wrong(check(ex01.q1, np.correlate(X, H, "full")), "y[0] is -2.0, too small", "did you flip the kernel?")
    assert_wrong(check(ex01.q1, np.convolve(X, H, "valid")), "y has shape (6,), expected (10,)", "'valid' mode")
    assert_wrong(check(ex01.q1, (X - np.r_[0, 0, X[:6]])), "shape (8,)", "goes on to n = 9")
    assert_wrong(check(ex01.q1, np.convolve(X, [1, 0, 1])), "y[2] is", "subtracted, not added")


def test_ex01_q1_type_dtype_and_stub():
    assert_wrong(check(ex01.q1, "2, 1.48"), "y is a string, expected an array of shape (10,)")
    assert_wrong(check(ex01.q1, 3.0), "y is a single number (3.0), expected an array of shape (10,)")
    assert_wrong(check(ex01.q1, np.ones(10, dtype=bool)), "True/False")
    assert_wrong(check(ex01.q1, [[1, 2], [3]]), "ragged")
    stub = check(ex01.q1, None)
    assert stub.status == FAIL and not stub.attempted and stub.message.startswith("Not attempted yet")
    assert not check(ex01.q1, ...).attempted


def test_ex01_q1_first_wrong_element_is_named():
    y = np.convolve(X, H)
    y[3] = 0.7408
    assert_wrong(check(ex01.q1, y), "y[3] is 0.7408, too large: recompute that entry by hand")


def test_ex01_q2():
    assert check(ex01.q2, 106, 100, 94).status == PASS
    assert_wrong(check(ex01.q2, 107, 100, 94), "n_full is 107, too large: off by one", "(2/3 correct)")
    assert "106" not in check(ex01.q2, 107, 100, 94).message   # graded: the direction, never the expected value
    assert_wrong(check(ex01.q2, 106, 94, 94), "n_same is 94, too small: that is 'valid'; 'same' pads")
    assert_wrong(check(ex01.q2, 106, 100, 93), "n_valid is 93", "N − K + 1")
    assert check(ex01.q2, 106, 100, 94).points == 2
    assert check(ex01.q2, 107, 100, 94).points == pytest.approx(4 / 3, abs=1e-3)
    assert not check(ex01.q2, None, None, None).attempted
    assert_wrong(check(ex01.q2, 106, 100, None), "n_valid is still the placeholder")
    assert_wrong(check(ex01.q2, 106.5, 100, 94), "whole number")


def conv_loops(x, h):
    y = np.zeros(len(x) + len(h) - 1)
    for k in range(len(h)):
        y[k:k + len(x)] += h[k] * x
    return y


def test_ex01_q3():
    assert check(ex01.q3, conv_loops).status == PASS
    assert_wrong(check(ex01.q3, lambda x, h: conv_loops(x, h[::-1])), "on the slide's x and h",
                 "did you flip the kernel?")
    assert_wrong(check(ex01.q3, lambda x, h: conv_loops(x, h)[len(h) - 1:len(x)]), "shape (6,), expected (10,)",
                 "'valid' mode")
    assert_wrong(check(ex01.q3, lambda x, h: conv_loops(x, h)[(len(h) - 1) // 2:][:len(x)]), "'same' mode")
    forbidden = check(ex01.q3, lambda x, h: np.convolve(x, h))
    assert (forbidden.status, forbidden.message.split(":")[:2]) == (FORBIDDEN, ["not allowed in graded code",
                                                                                " calling numpy.convolve"])
    assert_wrong(check(ex01.q3, lambda x, h: conv_loops(np.pad(x, len(h) - 1), h)), "padding applied twice?")
    assert not check(ex01.q3, stub).attempted
    assert not check(ex01.q3, None).attempted


def test_ex01_q3_errors_are_one_line_with_the_input_shape():
    def broken(x, h):
        raise ValueError("bad shapes")

    result = check(ex01.q3, broken)
    assert result.status == ERROR
    assert_wrong(result, "your function raised ValueError: bad shapes on the slide's x and h")
    result = check(ex01.q3, lambda x, h: x[100])
    assert "IndexError" in result.message and "\n" not in result.message


def test_ex01_q4():
    def toeplitz(h, n):
        t = np.zeros((n + len(h) - 1, n))
        for j in range(n):
            t[j:j + len(h), j] = h
        return t

    assert check(ex01.q4, toeplitz).status == PASS
    np.testing.assert_allclose(toeplitz(H, 8) @ X, np.convolve(X, H))
    assert_wrong(check(ex01.q4, lambda h, n: toeplitz(h, n).T), "shape (8, 10), expected (10, 8)", "transposed?")
    assert_wrong(check(ex01.q4, lambda h, n: toeplitz(np.asarray(h)[::-1], n)), "h reversed")
    assert_wrong(check(ex01.q4, lambda h, n: toeplitz(h, n)[len(h) - 1:n]), "'valid' mode")
    assert check(ex01.q4, lambda h, n: scipy.linalg.convolution_matrix(h, n)).status == FORBIDDEN
    assert not check(ex01.q4, stub).attempted


def test_ex01_practice_has_a_solution_and_graded_questions_do_not(capsys):
    assert check(ex01.p1, np.convolve(X, [0, 0, 0, 1])).status == PASS
    assert_wrong(check(ex01.p1, np.convolve(X, [1, 0, 0, 0])), "index 3 holds the 1")
    assert_wrong(check(ex01.p1, X), "shape (8,)", "11 values")
    ex01.p1.solution()
    assert "np.convolve(x, [0, 0, 0, 1])" in capsys.readouterr().out
    ex01.q1.solution()
    assert "graded: no solution" in capsys.readouterr().out


# --- exercise 04 ---------------------------------------------------------------------

def test_ex04_q1():
    assert check(ex04.q1, 26, 55).status == PASS
    assert_wrong(check(ex04.q1, 26, 54), "alexnet_width is 54, too small: forgot the padding?")
    assert_wrong(check(ex04.q1, 25, 55), "out_28 is 25, too small: off by one")
    assert_wrong(check(ex04.q1, 26, 56), "padding applied twice", "or rounded up?")
    assert_wrong(check(ex04.q1, 26, 54.25), "alexnet_width is 54.25, not a whole number: forgot the + 1?")   # a known mistake before the generic tip
    assert not check(ex04.q1, None, None).attempted


def test_ex04_q2_alexnet_counts():
    assert check(ex04.q2, 364, 290_400, 105_705_600, 34_944).status == PASS
    assert_wrong(check(ex04.q2, 363, 290_400, 105_705_600, 34_944), "weights_per_neuron is 363, too small: forgot the bias?")
    assert_wrong(check(ex04.q2, 364, 3025, 105_705_600, 34_944), "neurons is 3025, too small", "96 filters")
    assert_wrong(check(ex04.q2, 364, 290_400, 105_705_600, 105_705_600), "weights are SHARED")
    assert_wrong(check(ex04.q2, 364, 290_400, 105_705_600, 34_848), "One bias per filter")
    assert check(ex04.q2, 363, 290_400, 105_705_600, 34_944).points == 3


def test_ex04_q3_receptive_field():
    assert check(ex04.q3, 7, 4).status == PASS
    assert_wrong(check(ex04.q3, 5, 4), "rf is 5, too small: that is for stride 1")
    assert_wrong(check(ex04.q3, 7, 2), "jump is 2, too small", "multiplies the strides")
    assert_wrong(check(ex04.q3, 9, 4), "padding does not change")


def test_ex04_q4_pooling():
    assert check(ex04.q4, 27, 0).status == PASS
    assert_wrong(check(ex04.q4, 18, 0), "pooled is 18, too small: the stride is 2")
    assert_wrong(check(ex04.q4, 27, 96), "pool_params is 96, too large", "nothing to learn")


def test_ex04_q5_lenet_variant_matches_the_slide_summary():
    params = [156, 0, 2416, 0, 2040, 0, 252084, 850]
    assert ex04.lenet_variant_params() == params and sum(params) == 257_546
    assert check(ex04.q5, params, 257_546).status == PASS
    assert_wrong(check(ex04.q5, [150, 0, 2400, 0, 1920, 0, 252000, 840], 257_546), "lenet_params[0] is 150, too small",
                 "forgot the biases?")
    assert_wrong(check(ex04.q5, [156, 2416, 2040, 252084, 850], 257_546), "shape (5,), expected (8,)", "8 in all")
    assert_wrong(check(ex04.q5, params, 257_310), "lenet_total is 257,310, too small: forgot the biases?")


def test_ex04_q6_output_size_function():
    assert check(ex04.q6, lambda i, f, s, p: (i + 2 * p - f) // s + 1).status == PASS
    assert check(ex04.q6, lambda i, f, s, p: float((i + 2 * p - f) // s + 1)).status == PASS  # 26.0 is fine
    assert_wrong(check(ex04.q6, lambda i, f, s, p: (i + 2 * p - f) / s + 1), "on AlexNet conv1, the result is 55.25, not a whole number: did you round down?")
    assert_wrong(check(ex04.q6, lambda i, f, s, p: (i - f) // s + 1), "on AlexNet conv1", "forgot the padding?")
    assert_wrong(check(ex04.q6, lambda i, f, s, p: (i + 4 * p - f) // s + 1), "padding applied twice?")
    assert_wrong(check(ex04.q6, lambda i, f, s, p: (i + 2 * p - f) // s), "forgot the + 1?")
    assert not check(ex04.q6, stub).attempted


def test_ex04_practice():
    assert check(ex04.p1, 2).status == PASS
    assert_wrong(check(ex04.p1, 4), "pads too much")
    assert_wrong(check(ex04.p1, "2"), "without quotes")


def test_hints_get_more_specific(capsys):
    hints.SESSION.reset(ex04.q6.id)
    ex04.q6.hint()
    ex04.q6.hint()
    ex04.q6.hint()
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("💡 Hint 1/2") and out[1].startswith("💡 Hint 2/2") and out[2].startswith("💡 Hint 2/2")


def test_check_prints_one_line(capsys):
    ex04.q1.check(26, 55)
    ex04.q1.check(26, 54)
    ex04.q1.check(None, None)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("✅ Correct!") and lines[1].startswith("❌ alexnet_width is 54")
    assert lines[2].startswith("⏳ Not attempted yet")
    ex04.q1.check(26)
    assert "check() needs 2 value(s): q.check(out_28, alexnet_width)" in capsys.readouterr().out


# --- predict, then check -------------------------------------------------------------

@pytest.mark.parametrize("question, measured, right, wrong, says", [
    (ex01.p2, "yes", " Yes", "no", "the experiment gives 'yes'"),
    (ex04.p2, 7, 7.5, 14, "too large: the measured value is 7"),
], ids=["ex01.p2", "ex04.p2"])
def test_predictions_measure_explain_and_accept_other_forms(question, measured, right, wrong, says):
    assert question.expected() == {"prediction": measured}
    assert check(question, right).status == PASS
    result = check(question, wrong)
    assert_wrong(result, says, "Why: ")
    assert question.points == 0 and not check(question, None).attempted
