"""Exercise 08 (training CNNs): every question's check() passes right answers, names the known
mistakes, reports stubs as "not attempted", and the grader agrees on hidden inputs."""

import numpy as np
import pytest

from course_utils.checks.protocol import FAIL, PASS
from course_utils.exercises import ex08_training_cnns as ex08
from exercise_asserts import assert_mistakes_advised, assert_solution_full_marks, assert_stubs_not_attempted, assert_not_attempted, assert_wrong, check, grade_students, stub


# --- question 1: He and Glorot ------------------------------------------------------------

def test_q1_values_and_their_mistakes():
    he, glorot, dense = np.sqrt(2 / 576), np.sqrt(2 / 1728), np.sqrt(2 / 5096)
    assert (round(he, 4), round(glorot, 4), round(dense, 4)) == (0.0589, 0.034, 0.0198)
    assert check(ex08.q1, he, glorot, dense).status == PASS
    assert check(ex08.q1, 0.0589, 0.0340, 0.0198).status == PASS           # 3 digits are within 1 %
    assert_wrong(check(ex08.q1, np.sqrt(2 / 1152), glorot, dense), "he_conv is 0.0417, too small", "fan_out",
                 "LeCun", "(2/3 correct)")
    assert_wrong(check(ex08.q1, np.sqrt(2 / 64), glorot, dense), "kernel area is missing")
    assert_wrong(check(ex08.q1, 2 / 576, glorot, dense), "the variance")
    assert_wrong(check(ex08.q1, he, he, dense), "glorot_conv is 0.0589", "He's std", "LIMIT a of glorot_uniform")
    assert_wrong(check(ex08.q1, he, glorot, np.sqrt(2 / 4096)), "fan_in only")
    assert "0.034" not in check(ex08.q1, he, he, dense).message         # graded: never the expected value
    assert_not_attempted(check(ex08.q1, None, None, None))


# --- question 2: Adam ---------------------------------------------------------------------

def adam_loops(w, grad, m, s, t, lr, beta1, beta2, eps, correct=True, scale_m=True):
    m = beta1 * m + ((1 - beta1) if scale_m else 1.0) * grad
    s = beta2 * s + (1 - beta2) * grad**2
    m_hat, s_hat = (m / (1 - beta1**t), s / (1 - beta2**t)) if correct else (m, s)
    return w - lr * m_hat / (np.sqrt(s_hat) + eps), m, s


def test_q2_first_step_is_lr_times_the_sign():
    w, m, s = ex08.adam_step_reference(*ex08.ADAM_EXAMPLE)
    np.testing.assert_allclose(w, [0.49, -0.99, 2.0], atol=1e-6)      # lr * sign(grad); a zero gradient stays
    np.testing.assert_allclose(m, [0.02, -0.3, 0.0])


def test_q2_adam_step():
    assert check(ex08.q2, adam_loops).status == PASS
    assert_wrong(check(ex08.q2, lambda *a: adam_loops(*a, correct=False)), "on the first step from m = s = 0",
                 "bias correction forgotten")
    assert_wrong(check(ex08.q2, lambda *a: adam_loops(*a, scale_m=False)), "heavy-ball")
    assert_wrong(check(ex08.q2, lambda *a: adam_loops(*a)[0]), "shape (3,), expected (3, 3)", "(w, m, s)")
    assert_wrong(check(ex08.q2, lambda *a: (2 * a[0] - adam_loops(*a)[0],) + adam_loops(*a)[1:]), "wrong sign")
    assert_not_attempted(check(ex08.q2, stub))


# --- questions 3 and 4: batch norm --------------------------------------------------------

def bn_loops(x, gamma, beta, running_mean, running_var, training, eps, axes=None, ddof=0):
    axes = tuple(range(x.ndim - 1)) if axes is None else axes
    if training:
        mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, ddof=ddof, keepdims=True)
    else:
        mean, var = running_mean, running_var
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def test_q3_example_values_by_hand():
    y = ex08.batch_norm_forward(*ex08.BN_EXAMPLE, True, 0.0)
    np.testing.assert_allclose(y[..., 0].ravel(), (np.array([1, 3, 5, 7, 2, 4, 6, 8]) - 4.5) / np.sqrt(5.25))
    np.testing.assert_allclose(ex08.batch_norm_forward(*ex08.BN_EXAMPLE, False, 0.0)[0, 0, 0],
                               [(1 - 4.2) / np.sqrt(5.0), 2 * (10 - 11.6) / np.sqrt(6.5) - 1])


def test_q3_batch_norm_forward():
    assert check(ex08.q3, bn_loops).status == PASS
    assert_wrong(check(ex08.q3, lambda x, g, b, rm, rv, training, eps: bn_loops(x, g, b, rm, rv, True, eps)),
                 "on the example map (inference)", "batch statistics at inference")
    assert_wrong(check(ex08.q3, lambda x, g, b, rm, rv, training, eps: bn_loops(x, g, b, rm, rv, False, eps)),
                 "on the example map (training)", "running averages in training")
    assert_wrong(check(ex08.q3, lambda *a: bn_loops(*a, axes=(0,))), "batch axis only")
    assert_wrong(check(ex08.q3, lambda *a: bn_loops(*a, ddof=1)), "unbiased variance")
    assert_wrong(check(ex08.q3, lambda *a: bn_loops(*a, axes=tuple(range(a[0].ndim)))), "one mean and variance for "
                 "everything")
    assert_wrong(check(ex08.q3, lambda *a: bn_loops(*a, axes=(1, 2) if a[0].ndim == 4 else (0,))), "instance norm")
    assert_wrong(check(ex08.q3, lambda x, g, b, *rest: bn_loops(x, b, g, *rest)), "gamma and beta swapped?")
    assert_not_attempted(check(ex08.q3, stub))


def running_loops(running_mean, running_var, x, momentum, keep=None):
    flat = x.reshape(-1, x.shape[-1])
    keep = momentum if keep is None else keep
    return keep * running_mean + (1 - keep) * flat.mean(axis=0), keep * running_var + (1 - keep) * flat.var(axis=0)


def test_q4_running_averages():
    assert check(ex08.q4, running_loops).status == PASS
    mean, var = running_loops(*ex08.RUNNING_EXAMPLE)
    np.testing.assert_allclose([mean, var], [[0.9 * 4.2 + 0.1 * 4.5, 0.9 * 11.6 + 0.1 * 12.5],
                                             [0.9 * 5.0 + 0.1 * 5.25, 0.9 * 6.5 + 0.1 * 5.25]])
    assert_wrong(check(ex08.q4, lambda rm, rv, x, m: running_loops(rm, rv, x, m, keep=1 - m)), "momentum reversed",
                 "PyTorch")
    assert_wrong(check(ex08.q4, lambda rm, rv, x, m: running_loops(rm, rv, x, m, keep=0.0)), "replaces the running")
    assert_wrong(check(ex08.q4, lambda rm, rv, x, m: (x.mean(axis=0), x.var(axis=0))), "per CHANNEL")
    assert_not_attempted(check(ex08.q4, stub))


# --- question 5: dropout -------------------------------------------------------------------

def dropout_loops(x, rate, u, training):
    out = np.array(x, dtype=float)
    if training:
        for idx in np.ndindex(out.shape):
            out[idx] = 0.0 if u[idx] < rate else out[idx] / (1 - rate)
    return out


def test_q5_dropout():
    assert check(ex08.q5, dropout_loops).status == PASS
    assert check(ex08.q5, lambda x, rate, u, training: (x * (u >= rate) / (1 - rate)).tolist() if training
                 else x.tolist()).status == PASS                                                   # lists are fine
    assert_wrong(check(ex08.q5, lambda x, rate, u, training: np.where(u >= rate, x, 0.0) if training else x),
                 "scaled by 1 / (1 − rate)")
    assert_wrong(check(ex08.q5, lambda x, rate, u, training: np.where(u < rate, x / (1 - rate), 0.0) if training
                       else x), "kept with probability rate")
    assert_wrong(check(ex08.q5, lambda x, rate, u, training: dropout_loops(x, rate, u, True) if training
                       else x / (1 - rate)), "training = False", "does nothing")
    assert_not_attempted(check(ex08.q5, stub))


# --- question 6: schedules -------------------------------------------------------------------

def test_q6_schedule_factors():
    assert check(ex08.q6, 0.01, 0.75, 0.95**20).status == PASS
    assert check(ex08.q6, 0.01, 0.75, 0.358).status == PASS                  # within 1 %
    assert_wrong(check(ex08.q6, 0.001, 0.75, 0.95**20), "step_factor is 0.001, too small", "not yet past")
    assert_wrong(check(ex08.q6, 0.01, 1.5, 0.95**20), "forgot the ½")
    assert_wrong(check(ex08.q6, 0.01, 2 / 3, 0.95**20), "straight line")
    assert_wrong(check(ex08.q6, 0.01, 0.75, 0.95**19), "off by one")
    assert_not_attempted(check(ex08.q6, None, None, None))


# --- practice: predict, then check ------------------------------------------------------------

def test_prediction_is_the_measured_glorot_ratio_near_the_theory():
    ratio = ex08.relu_std_ratio("glorot")
    assert round(ratio, 3) == 0.042 and abs(ratio / 2 ** -4.5 - 1) < 0.1
    assert abs(ex08.relu_std_ratio("he") - 1) < 0.1
    assert check(ex08.p1, 2 ** -4.5).status == PASS
    result = check(ex08.p1, 1.0)
    assert result.status == FAIL and "too large: the measured value is 0.0416" in result.message
    assert "Why:" in result.message and ex08.p1.points == 0


def test_the_exercise_has_six_graded_questions_with_hints_and_a_prediction():
    graded = [q for q in ex08.EXERCISE.questions if q.points > 0]
    assert len(graded) == 6 and ex08.EXERCISE.max_points == 16
    assert {type(q).__name__ for q in ex08.EXERCISE.questions} == {"ValueQuestion", "FunctionQuestion",
                                                                   "PredictionQuestion"}
    assert all(q.hints for q in ex08.EXERCISE.questions)


# --- the grader on hidden inputs -----------------------------------------------------------------

NO_CORRECTION = """def adam_step(w, grad, m, s, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    s = beta2 * s + (1 - beta2) * grad ** 2
    return w - lr * m / (np.sqrt(s) + eps), m, s"""

BATCH_STATS_ALWAYS = """def batch_norm_forward(x, gamma, beta, running_mean, running_var, training, eps):
    axes = tuple(range(x.ndim - 1))
    return gamma * (x - x.mean(axis=axes)) / np.sqrt(x.var(axis=axes) + eps) + beta"""

PYTORCH_MOMENTUM = """def update_running_stats(running_mean, running_var, x, momentum):
    axes = tuple(range(x.ndim - 1))
    return ((1 - momentum) * running_mean + momentum * x.mean(axis=axes),
            (1 - momentum) * running_var + momentum * x.var(axis=axes))"""

UNSCALED_DROPOUT = """def dropout_forward(x, rate, u, training):
    return np.where(u >= rate, x, 0.0) if training else x"""

# question -> (wrong source, points on ANY hidden inputs, a fragment of its message)
WRONG = {
    "ex08.q1": ("he_conv = np.sqrt(2 / (3 * 3 * 128))\nglorot_conv = np.sqrt(2 / 1728)\nglorot_dense = np.sqrt(2 / 5096)",
                4 / 3, "uses fan_out"),
    "ex08.q2": (NO_CORRECTION, 0.0, "bias correction forgotten"),
    "ex08.q3": (BATCH_STATS_ALWAYS, 4 * 5 / 8, "batch statistics at inference"),   # the 5 training tests pass
    "ex08.q4": (PYTORCH_MOMENTUM, 2 / 6, "momentum reversed"),                     # momentum 0.5 passes
    "ex08.q5": (UNSCALED_DROPOUT, 3 * 3 / 7, "scaled by 1 / (1 − rate)"),          # inference and rate 0 pass
    "ex08.q6": ("step_factor, cosine_factor, exp_factor = 0.01, 1.5, 0.95 ** 20", 4 / 3, "forgot the ½"),
    "ex08.p1": ("prediction = 1.0", 0.0, "too large"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, isolation):
    return grade_students(tmp_path_factory.mktemp("grading08"), ex08.EXERCISE.notebook, {qid: w[0] for qid, w in WRONG.items()})


def test_grader_gives_the_solution_full_marks(graded):
    assert_solution_full_marks(graded, ex08.EXERCISE)


def test_grader_names_known_mistakes_on_hidden_inputs(graded):
    assert_mistakes_advised(graded, ex08.EXERCISE, WRONG)
    for qid in ("ex08.q2", "ex08.q3", "ex08.q4", "ex08.q5"):
        message = graded[1][("wrong", qid)]["message"]
        assert "hidden test" in message and " is too " in message, message    # the direction, no value


def test_grader_says_not_attempted_for_the_stubs(graded):
    assert_stubs_not_attempted(graded, ex08.EXERCISE)
