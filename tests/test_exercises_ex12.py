"""Exercise 12 (1-D CNNs for signals): every question's check() passes right answers, names the known
mistakes, reports stubs as "not attempted", agrees with Keras, and the grader agrees on hidden inputs."""

import numpy as np
import pytest

import course_utils  # noqa: F401  (before keras: quiet TensorFlow)
from course_utils.checks.protocol import FAIL, FORBIDDEN, PASS
from course_utils.exercises import ex12_cnn_1d_signals as ex12
from exercise_asserts import assert_mistakes_advised, assert_solution_full_marks, assert_stubs_not_attempted, assert_not_attempted, assert_wrong, check, grade_students, stub


def _keras_length(n, kernel, stride, padding, dilation):
    import keras

    layer = keras.layers.Conv1D(1, kernel, strides=stride, padding=padding, dilation_rate=dilation)
    return int(layer.compute_output_shape((None, n, 1))[1])


# --- question 1: output lengths --------------------------------------------------------------

def test_q1_lengths_are_keras_lengths():
    expected = ex12.q1.expected()
    assert expected == {"n_valid": 93, "n_same": 51, "n_causal": 34, "n_strided": 33}
    import keras

    causal = keras.layers.Conv1D(1, 5, strides=3, padding="causal")
    assert [_keras_length(101, 5, 1, "valid", 2), _keras_length(101, 5, 2, "same", 1),
            np.asarray(causal(np.zeros((1, 101, 1), "float32"))).shape[1], _keras_length(101, 5, 3, "valid", 1)] \
        == [93, 51, 34, 33]
    assert ex12.causal_output_size(101, 5, stride=1, dilation=4) == 101


def test_q1_checks():
    assert check(ex12.q1, 93, 51, 34, 33).status == PASS
    assert check(ex12.q1, 93.0, 51, 34, 33).status == PASS
    assert_wrong(check(ex12.q1, 97, 51, 34, 33), "n_valid is 97, too large", "dilation ignored?", "(3/4 correct)")
    assert_wrong(check(ex12.q1, 92, 51, 34, 33), "off by one", "Or: forgot the + 1?")
    assert_wrong(check(ex12.q1, 93, 50, 34, 33), "round UP")
    assert_wrong(check(ex12.q1, 93, 50.5, 34, 33), "not a whole number: 'same' keeps ceil(N / S) samples: round UP")
    assert_wrong(check(ex12.q1, 93, 51, 101 / 3, 33), "not a whole number: round up")
    assert_wrong(check(ex12.q1, 93, 51, 35, 33), "on the LEFT only")
    assert_wrong(check(ex12.q1, 93, 51, 33, 33), "forgot the padding", "Or: round up")
    assert_wrong(check(ex12.q1, 93, 51, 34, 32), "forgot the + 1?")
    assert_wrong(check(ex12.q1, 93, 51, 34, 33.5), "not a whole number: round down (floor) with //")
    assert "93" not in check(ex12.q1, 97, 51, 34, 33).message
    assert_not_attempted(check(ex12.q1, None, None, None, None))


# --- question 2: receptive field --------------------------------------------------------------

def rf_loops(kernel_sizes, dilations):
    r = 1
    for k, d in zip(kernel_sizes, dilations):
        r += d * (k - 1)
    return int(r)


def test_q2_receptive_field():
    assert [rf_loops(np.array(k), np.array(d)) for k, d in ex12.STACKS] == [15, 1024, 5, 29, 25, 19, 3]
    assert check(ex12.q2, rf_loops).status == PASS
    assert_wrong(check(ex12.q2, lambda k, d: 1 + int(np.sum(k - 1))), "on kernel 2, dilations 1, 2, 4",
                 "dilation ignored?")
    assert_wrong(check(ex12.q2, lambda k, d: rf_loops(k, d) - 1), "forgot the + 1")
    assert_wrong(check(ex12.q2, lambda k, d: int(np.prod(d * (k - 1) + 1))), "do not multiply")
    assert_wrong(check(ex12.q2, lambda k, d: rf_loops(k, d) + 0.5), "not a whole number")
    assert_not_attempted(check(ex12.q2, stub))


# --- questions 3 and 4: causal padding and convolution, against Keras ------------------------------

def pad_loops(x, kernel_size, dilation):
    return np.concatenate([np.zeros(dilation * (kernel_size - 1)), x])


def conv_loops(x, w, dilation):
    y = np.zeros(len(x))
    for t in range(len(x)):
        for m in range(len(w)):
            i = t - dilation * (len(w) - 1 - m)
            if i >= 0:
                y[t] += w[m] * x[i]
    return y


def test_q3_q4_solutions_compute_keras_causal_conv1d():
    import keras

    rng = np.random.default_rng(12)
    for x, w, d in ex12._conv_cases(rng):
        layer = keras.layers.Conv1D(1, len(w), padding="causal", dilation_rate=d, use_bias=False)
        layer.build((None, len(x), 1))
        layer.set_weights([w.reshape(-1, 1, 1).astype("float32")])
        theirs = np.asarray(layer(x[None, :, None].astype("float32")))[0, :, 0]
        padded = pad_loops(x, len(w), d)
        valid = np.array([w @ padded[t:t + d * (len(w) - 1) + 1:d] for t in range(len(x))])
        np.testing.assert_allclose(valid, theirs, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(conv_loops(x, w, d), theirs, rtol=1e-4, atol=1e-5)


def test_q3_causal_pad():
    assert check(ex12.q3, pad_loops).status == PASS
    assert_wrong(check(ex12.q3, lambda x, k, d: np.pad(x, (0, d * (k - 1)))), "zeros on the right")
    assert_wrong(check(ex12.q3, lambda x, k, d: np.pad(x, (k - 1, 0))), "shape (5,), expected (7,)",
                 "dilation ignored?")
    assert_wrong(check(ex12.q3, lambda x, k, d: np.pad(x, (d * k, 0))), "pads d·k zeros")
    assert_not_attempted(check(ex12.q3, stub))


def test_q4_causal_conv1d():
    assert check(ex12.q4, conv_loops).status == PASS
    assert_wrong(check(ex12.q4, lambda x, w, d: conv_loops(x, w[::-1], d)), "on an impulse at t = 5",
                 "kernel flipped")
    assert_wrong(check(ex12.q4, lambda x, w, d: conv_loops(x, w, 1)), "dilation 2", "dilation ignored?")
    assert_wrong(check(ex12.q4, lambda x, w, d: conv_loops(x, w, d)[:len(x) - d * (len(w) - 1)]),
                 "keep the input's length")
    forbidden = check(ex12.q4, lambda x, w, d: np.convolve(x, w[::-1])[:len(x)])
    assert forbidden.status == FORBIDDEN and "calling numpy.convolve" in forbidden.message
    assert {"numpy.convolve", "numpy.correlate"} <= set(ex12.q4.forbidden_calls)
    assert "scipy.signal" in ex12.EXERCISE.questions[0].notebook_forbidden_modules
    assert_not_attempted(check(ex12.q4, stub))


# --- question 5 and the prediction ------------------------------------------------------------------

def test_q5_parameters_match_keras():
    import keras

    ecg = keras.layers.Conv1D(32, 7)
    ecg.build((None, 5000, 12))
    dilated = keras.layers.Conv1D(64, 3, dilation_rate=8, padding="causal")
    dilated.build((None, 500, 64))
    assert (ecg.count_params(), dilated.count_params()) == (2720, 12352)
    assert check(ex12.q5, 2720, 12352).status == PASS
    assert_wrong(check(ex12.q5, 2688, 12352), "forgot the bias?")
    assert_wrong(check(ex12.q5, 2720, 69696), "dilation adds no weights")
    assert_not_attempted(check(ex12.q5, None, None))


def test_prediction_is_the_impulse_measurement():
    assert ex12.impulse_reach(3, (1, 2, 4, 8)) == 31 == rf_loops([3] * 4, [1, 2, 4, 8])
    assert ex12.impulse_reach(2, (1, 2, 4, 8)) == 16       # notebook 12's stack
    assert check(ex12.p1, 31).status == PASS
    result = check(ex12.p1, 16)
    assert result.status == FAIL and "too small: the measured value is 31" in result.message


def test_the_exercise_has_five_graded_questions_with_hints_and_a_prediction():
    assert len([q for q in ex12.EXERCISE.questions if q.points > 0]) == 5 and ex12.EXERCISE.max_points == 13
    assert all(q.hints for q in ex12.EXERCISE.questions)
    assert type(ex12.p1).__name__ == "PredictionQuestion"


# --- the grader on hidden inputs -------------------------------------------------------------------

FLIPPED = """def causal_conv1d(x, w, dilation):
    y = np.zeros(len(x))
    for m in range(len(w)):
        shift = dilation * m                      # w[0] on x[t]: the kernel flipped
        if shift < len(x):
            y[shift:] += w[m] * x[:len(x) - shift]
    return y"""

# question -> (wrong source, points on ANY hidden inputs, a fragment of its message)
WRONG = {
    "ex12.q1": ("n_valid, n_same, n_causal, n_strided = 97, 51, 34, 33", 1.5, "dilation ignored?"),
    "ex12.q2": ("def receptive_field(kernel_sizes, dilations):\n    return 1 + int(np.sum(kernel_sizes - 1))",
                3 * 2 / 7, "dilation ignored?"),                    # the stacks without dilation pass
    "ex12.q3": ("def causal_pad(x, kernel_size, dilation):\n    return np.pad(x, (0, dilation * (kernel_size - 1)))",
                2 / 7, "zeros on the right"),                      # kernel 1 needs no padding
    "ex12.q4": (FLIPPED, 4 / 7, "kernel flipped"),                  # kernel 1 has nothing to flip
    "ex12.q5": ("params_ecg, params_dilated = 2720, 69696", 1.0, "dilation adds no weights"),
    "ex12.p1": ("prediction = 16", 0.0, "too small"),
}
BANNED = ("def causal_conv1d(x, w, dilation):\n    return np.convolve(causal_pad(x, len(w), dilation)[::1], w[::-1], "
          "'valid')[:len(x)] if dilation == 1 else np.correlate(x, w)")


@pytest.fixture(scope="module")
def graded(tmp_path_factory, isolation):
    return grade_students(tmp_path_factory.mktemp("grading12"), ex12.EXERCISE.notebook, {qid: w[0] for qid, w in WRONG.items()}, banned={"ex12.q4": BANNED})


def test_grader_gives_the_solution_full_marks(graded):
    assert_solution_full_marks(graded, ex12.EXERCISE)


def test_grader_names_known_mistakes_on_hidden_inputs(graded):
    assert_mistakes_advised(graded, ex12.EXERCISE, WRONG)
    for qid in ("ex12.q2", "ex12.q3", "ex12.q4"):
        message = graded[1][("wrong", qid)]["message"]
        assert "hidden test" in message and (" is too " in message or "has shape" in message), message


def test_grader_says_not_attempted_for_the_stubs_and_refuses_numpy_convolve(graded):
    assert_stubs_not_attempted(graded, ex12.EXERCISE)
    rows = graded[1]
    banned = rows[("banned", "ex12.q4")]
    assert (banned["status"], float(banned["points"])) == (FORBIDDEN, 0.0), banned
    assert "numpy.convolve" in banned["message"] or "numpy.correlate" in banned["message"], banned
    assert rows[("banned", "ex12.p1")]["status"] == PASS
