"""Exercise 08 · Training CNNs: initialisation, an Adam step, batch norm and dropout, by hand.

References come from the course's tested code: :func:`course_utils.shapes.conv_fans` and
:func:`course_utils.mlp.init_std` (He and Glorot), :func:`course_utils.optim.adam` (the
textbook Adam step, matched against Keras in notebook 08), :mod:`course_utils.normalization`
(batch norm as Keras' ``BatchNormalization`` computes it) and
:func:`course_utils.regularization.inverted_dropout` (Keras' ``Dropout``) and
:mod:`course_utils.schedules` (Keras' learning-rate schedules).

>>> q1.check(0.0589, 0.034, 0.0198)
✅ Correct! he_conv = 0.0589, glorot_conv = 0.034, glorot_dense = 0.0198.
>>> q1.check(0.0417, 0.034, 0.0198)
❌ he_conv is 0.0417, too small: that uses fan_out (k·k·C_out): He's variance 2 / fan_in counts the products summed INTO one output, k·k·C_in. Or: that is LeCun's 1 / fan_in: He doubles it, 2 / fan_in, because ReLU zeroes half of its inputs. (2/3 correct)
>>> q5.check(lambda x, rate, u, training: np.where(u >= rate, x, 0.0) if training else x)
❌ on the example (rate 0.5, training), the result[0, 1] is -1.2, too large (6 of 12 values differ): the survivors must be scaled by 1 / (1 − rate) so that the expected value is unchanged (inverted dropout); you only zeroed the dropped values. (3/8 tests passed)
"""
from __future__ import annotations

import functools

import numpy as np

from course_utils import mlp
from course_utils.exercises.framework import Exercise, FunctionQuestion, Mistake, PredictionQuestion, ValueQuestion
from course_utils.normalization import batch_norm_forward, batch_statistics, update_running_stats
from course_utils.optim import adam
from course_utils.regularization import inverted_dropout
from course_utils.schedules import cosine_decay, exponential_decay, step_decay
from course_utils.shapes import conv_fans

# Question 1's layers: a VGG-style 3x3 convolution 64 -> 128 channels, and AlexNet's last dense layer.
CONV_KERNEL, CONV_IN, CONV_OUT = 3, 64, 128
DENSE_IN, DENSE_OUT = 4096, 1000


# --------------------------------------------------------------------------- question 1: He and Glorot

def _std(init, kernel, c_in, c_out):
    return mlp.init_std(init, *conv_fans(kernel, c_in, c_out))


def _init_stds():
    return (_std("he", CONV_KERNEL, CONV_IN, CONV_OUT), _std("glorot", CONV_KERNEL, CONV_IN, CONV_OUT),
            _std("glorot", 1, DENSE_IN, DENSE_OUT))


VARIANCE = "that is the variance 2 / fan: the question asks for the standard deviation, its square root."
UNIFORM = ("that is the LIMIT a of glorot_uniform's U(−a, a), sqrt(6 / (fan_in + fan_out)); a uniform on (−a, a) has "
           "std a / sqrt(3): the question asks for the std.")
KERNEL_AREA = ("the kernel area is missing: each output of a 3×3 convolution sums k·k·C_in = 3·3·64 products, so "
               "fan_in = 9·64 (and fan_out = 9·128).")

q1 = ValueQuestion(
    "ex08.q1", points=2, names=["he_conv", "glorot_conv", "glorot_dense"], rtol=0.01,
    title="He and Glorot standard deviations for a conv and a dense layer",
    expected=_init_stds,
    mistakes={
        "he_conv": [
            Mistake("that uses fan_out (k·k·C_out): He's variance 2 / fan_in counts the products summed INTO one "
                    "output, k·k·C_in.", lambda: np.sqrt(2 / conv_fans(3, 64, 128)[1])),
            Mistake("that is LeCun's 1 / fan_in: He doubles it, 2 / fan_in, because ReLU zeroes half of its inputs.",
                    lambda: np.sqrt(1 / conv_fans(3, 64, 128)[0])),
            Mistake(KERNEL_AREA, lambda: np.sqrt(2 / CONV_IN)),
            Mistake(VARIANCE, lambda: 2 / conv_fans(3, 64, 128)[0])],
        "glorot_conv": [
            Mistake("that is He's std, sqrt(2 / fan_in); Glorot's averages the fans: sqrt(2 / (fan_in + fan_out)).",
                    lambda: _std("he", 3, 64, 128)),
            Mistake(UNIFORM, lambda: np.sqrt(6 / sum(conv_fans(3, 64, 128)))),
            Mistake(KERNEL_AREA, lambda: np.sqrt(2 / (CONV_IN + CONV_OUT))),
            Mistake(VARIANCE, lambda: 2 / sum(conv_fans(3, 64, 128)))],
        "glorot_dense": [
            Mistake("that uses fan_in only; Glorot's std is sqrt(2 / (fan_in + fan_out)), with fan_out = 1000 units.",
                    lambda: np.sqrt(2 / DENSE_IN)),
            Mistake(UNIFORM, lambda: np.sqrt(6 / (DENSE_IN + DENSE_OUT))),
            Mistake(VARIANCE, lambda: 2 / (DENSE_IN + DENSE_OUT))],
    },
    hint=["fan_in of a convolution = k · k · C_in (the products summed into one output), fan_out = k · k · C_out; "
          "a dense layer is a 1 × 1 convolution.",
          "He: std = sqrt(2 / fan_in). Glorot: std = sqrt(2 / (fan_in + fan_out)). Take the square root: the "
          "variance is not the std."],
)


# --------------------------------------------------------------------------- question 2: one Adam step

def adam_step_reference(w, grad, m, s, t, lr, beta1, beta2, eps):
    """``(w, m, s)`` after Adam step number ``t`` (1 for the first), from :func:`course_utils.optim.adam`."""
    new_w, state = adam(np.asarray(w, dtype=float), lambda _: np.asarray(grad, dtype=float),
                        {"m": np.asarray(m, dtype=float), "s": np.asarray(s, dtype=float), "t": int(t) - 1},
                        lr=lr, beta1=beta1, beta2=beta2, eps=eps)
    return new_w, state["m"], state["s"]


def _adam_variant(w, grad, m, s, t, lr, beta1, beta2, eps, slip):
    """Adam with one known slip, to recognise it in an answer."""
    m_lr = lr if slip == "lr twice" else 1.0
    new_m = beta1 * m + (1.0 if slip == "no (1 - beta1)" else 1 - beta1) * m_lr * grad
    new_s = beta2 * s + (1 - beta2) * grad**2
    if slip == "no correction":
        m_hat, s_hat = new_m, new_s
    else:
        m_hat, s_hat = new_m / (1 - beta1**t), new_s / (1 - beta2**t)
    if slip == "old moments":
        m_hat, s_hat = (m, s) if t == 1 else (m / (1 - beta1 ** (t - 1)), s / (1 - beta2 ** (t - 1)))
    root = s_hat if slip == "no sqrt" else np.sqrt(s_hat)
    step = lr * m_hat / (root + eps)
    return (w + step if slip == "sign" else w - step), new_m, new_s


def _adam_cases(rng):
    cases = []
    for shape, t, lr, (beta1, beta2) in [((3,), 1, 0.01, (0.9, 0.999)), ((5,), 2, 0.001, (0.9, 0.999)),
                                         ((2, 3), 10, 0.1, (0.9, 0.999)), ((4,), 1000, 0.01, (0.9, 0.999)),
                                         ((6,), 3, 0.05, (0.8, 0.99)), ((1,), 50, 0.02, (0.95, 0.9))]:
        w = rng.normal(size=shape).round(3)
        # gradients away from 0, where Keras' placement of eps (before the bias correction) would show
        grad = (rng.choice([-1, 1], size=shape) * rng.uniform(0.1, 2, size=shape)).round(3)
        if t == 1:
            m, s = np.zeros(shape), np.zeros(shape)
        else:
            m, s = rng.normal(0, 0.2, size=shape).round(4), rng.uniform(0.01, 0.5, size=shape).round(4)
        cases.append((w, grad, m, s, t, lr, beta1, beta2, 1e-7))
    return cases


def _adam_mistake(slip):
    return lambda *args: _unless_same(_adam_variant(*args, slip=slip), adam_step_reference(*args))


def _unless_same(wrong, right):
    """A mistake applies only where it gives something else than the right answer."""
    if wrong is None or np.allclose(np.asarray(wrong, dtype=float), np.asarray(right, dtype=float)):
        return None
    return wrong


ADAM_EXAMPLE = (np.array([0.5, -1.0, 2.0]), np.array([0.2, -3.0, 0.0]), np.zeros(3), np.zeros(3), 1, 0.01, 0.9,
                0.999, 1e-7)

q2 = FunctionQuestion(
    "ex08.q2", points=3, name="adam_step", title="Write adam_step(w, grad, m, s, t, lr, beta1, beta2, eps)",
    reference=adam_step_reference,
    make_args=_adam_cases, rtol=1e-5,
    examples=[("the first step from m = s = 0", ADAM_EXAMPLE)],
    mistakes=[
        Mistake("return the three arrays (w, m, s), in that order, each of w's shape.",
                lambda *args: np.zeros((3,) + np.shape(args[0])), match="other_shape"),
        Mistake("bias correction forgotten: divide m by (1 − beta1**t) and s by (1 − beta2**t) before the step; "
                "without it the first steps are far too small (m and s start at 0).",
                _adam_mistake("no correction")),
        Mistake("m = beta1·m + grad is the heavy-ball (Keras SGD) momentum; Adam's m is a moving AVERAGE: "
                "m = beta1·m + (1 − beta1)·grad.", _adam_mistake("no (1 - beta1)")),
        Mistake("lr applied twice: it belongs in the step w − lr · m̂ / (sqrt(ŝ) + eps) only, not in m.",
                _adam_mistake("lr twice")),
        Mistake("missing square root: Adam divides by sqrt(ŝ) + eps, the RMS of the recent gradients.",
                _adam_mistake("no sqrt")),
        Mistake("wrong sign: a step goes DOWN the gradient, w − lr · m̂ / (sqrt(ŝ) + eps).", _adam_mistake("sign")),
        Mistake("the step uses the old m and s: update m and s with this gradient first, then correct them with "
                "this step's t, then step.", _adam_mistake("old moments")),
    ],
    hint=["Update the moments first: m = beta1·m + (1 − beta1)·grad, s = beta2·s + (1 − beta2)·grad².",
          "Bias-correct with this step's number t: m̂ = m / (1 − beta1**t), ŝ = s / (1 − beta2**t).",
          "Then w − lr · m̂ / (sqrt(ŝ) + eps); return the three arrays (w, m, s), in that order."],
    success="adam_step matches course_utils.optim.adam on every test: moments, bias correction and step.",
)


# --------------------------------------------------------------------------- question 3: batch norm forward

def _bn_cases(rng):
    cases = []
    for shape, training, eps in [((4, 3, 3, 2), True, 1e-3), ((8, 2, 2, 3), True, 1e-3), ((2, 5, 4, 1), True, 1e-5),
                                 ((6, 4), True, 1e-3), ((3, 4, 4, 3), False, 1e-3), ((5, 2, 3, 2), False, 1e-5),
                                 ((1, 3, 3, 2), False, 1e-3), ((2, 2, 2, 3), True, 0.1)]:
        channels = shape[-1]
        offsets, scales = rng.normal(0, 3, size=channels).round(2), rng.uniform(0.5, 3, size=channels).round(2)
        x = (offsets + scales * rng.normal(size=shape)).round(3)
        gamma, beta = rng.uniform(0.5, 2, size=channels).round(2), rng.normal(size=channels).round(2)
        running_mean, running_var = rng.normal(size=channels).round(2), rng.uniform(0.5, 4, size=channels).round(2)
        cases.append((x, gamma, beta, running_mean, running_var, training, eps))
    return cases


def _normalise(x, gamma, beta, eps, axes=None, ddof=0, eps_outside=False):
    """Batch-norm-like standardisation over ``axes`` (a known-wrong variant when they or the details differ)."""
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, ddof=ddof, keepdims=True)
    scale = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
    return gamma * (x - mean) / scale + beta


def _bn_axes_slip(axes_of):
    def wrong(x, gamma, beta, running_mean, running_var, training, eps):
        axes = axes_of(x)
        if not training or axes is None:
            return None
        return _unless_same(_normalise(x, gamma, beta, eps, axes),
                            batch_norm_forward(x, gamma, beta, running_mean, running_var, training, eps))
    return wrong


def _bn_detail_slip(**variant):
    def wrong(x, gamma, beta, running_mean, running_var, training, eps):
        if not training:
            return None
        return _unless_same(_normalise(x, gamma, beta, eps, tuple(range(x.ndim - 1)), **variant),
                            batch_norm_forward(x, gamma, beta, running_mean, running_var, training, eps))
    return wrong


BN_EXAMPLE_X = np.array([[[[1.0, 10.0], [3.0, 14.0]], [[5.0, 12.0], [7.0, 16.0]]],
                         [[[2.0, 11.0], [4.0, 13.0]], [[6.0, 15.0], [8.0, 9.0]]]])   # (2, 2, 2, 2)
BN_EXAMPLE = (BN_EXAMPLE_X, np.array([1.0, 2.0]), np.array([0.0, -1.0]), np.array([4.2, 11.6]),
              np.array([5.0, 6.5]))

q3 = FunctionQuestion(
    "ex08.q3", points=4, name="batch_norm_forward",
    title="Write batch_norm_forward(x, gamma, beta, running_mean, running_var, training, eps)",
    reference=batch_norm_forward,
    make_args=_bn_cases,
    examples=[("the example map (training)", BN_EXAMPLE + (True, 1e-3)),
              ("the example map (inference)", BN_EXAMPLE + (False, 1e-3))],
    mistakes=[
        Mistake("batch statistics at inference: with training=False use running_mean and running_var, so that an "
                "image's output does not depend on the rest of its batch.",
                lambda x, g, b, rm, rv, training, eps: None if training else
                batch_norm_forward(x, g, b, rm, rv, True, eps)),
        Mistake("running averages in training: with training=True normalise with THIS batch's mean and variance.",
                lambda x, g, b, rm, rv, training, eps: batch_norm_forward(x, g, b, rm, rv, False, eps)
                if training else None),
        Mistake("normalised over the batch axis only (one mean per position and channel): a conv feature map shares "
                "one mean and variance per CHANNEL, over N, H and W: axis=(0, 1, 2).",
                _bn_axes_slip(lambda x: (0,) if x.ndim > 2 else None)),
        Mistake("normalised each image on its own (axis=(1, 2), instance norm): batch norm pools the whole batch, "
                "axis=(0, 1, 2).", _bn_axes_slip(lambda x: (1, 2) if x.ndim == 4 else None)),
        Mistake("one mean and variance for everything: keep one per channel, over every axis but the last.",
                _bn_axes_slip(lambda x: tuple(range(x.ndim)))),
        Mistake("that is the unbiased variance (ddof=1); batch norm divides by the number of values (np.var's "
                "default, ddof=0), as Keras does.", _bn_detail_slip(ddof=1)),
        Mistake("eps belongs INSIDE the square root: (x − mean) / sqrt(var + eps).", _bn_detail_slip(eps_outside=True)),
        Mistake("gamma and beta swapped? gamma scales (multiplies), beta shifts (adds): gamma · x̂ + beta.",
                lambda x, g, b, rm, rv, training, eps: _unless_same(
                    batch_norm_forward(x, b, g, rm, rv, training, eps), batch_norm_forward(x, g, b, rm, rv, training,
                                                                                          eps))),
    ],
    hint=["Channels are the last axis: one mean and one variance per channel, over every other axis "
          "(np.mean(x, axis=tuple(range(x.ndim - 1))) works for (N, H, W, C) and for (N, C)).",
          "Training: x̂ = (x − batch mean) / sqrt(batch var + eps); inference: the same with running_mean and "
          "running_var. Then gamma · x̂ + beta.",
          "np.var divides by the number of values (ddof=0): that is the variance batch norm uses."],
    success="batch_norm_forward matches Keras' BatchNormalization on every test, in training and at inference.",
)


# --------------------------------------------------------------------------- question 4: running averages

def _running_cases(rng):
    cases = []
    for shape, momentum in [((4, 3, 3, 2), 0.99), ((8, 2, 2, 3), 0.9), ((6, 4), 0.8), ((2, 5, 4, 1), 0.5),
                            ((3, 4, 4, 3), 0.0), ((5, 2, 3, 2), 0.7)]:
        channels = shape[-1]
        x = (rng.normal(0, 2, size=channels) + rng.uniform(0.5, 3, size=channels) * rng.normal(size=shape)).round(3)
        cases.append((rng.normal(size=channels).round(2), rng.uniform(0.5, 4, size=channels).round(2), x, momentum))
    return cases


def _running_slip(reverse=False, ddof=0, replace=False):
    def wrong(running_mean, running_var, x, momentum):
        x = np.asarray(x, dtype=float)
        mean = batch_statistics(x)[0]
        var = x.var(axis=tuple(range(x.ndim - 1)), ddof=ddof)
        keep = 0.0 if replace else (1 - momentum if reverse else momentum)
        result = keep * running_mean + (1 - keep) * mean, keep * running_var + (1 - keep) * var
        return _unless_same(result, update_running_stats(running_mean, running_var, x, momentum))
    return wrong


RUNNING_EXAMPLE = (np.array([4.2, 11.6]), np.array([5.0, 6.5]), BN_EXAMPLE_X, 0.9)

q4 = FunctionQuestion(
    "ex08.q4", points=2, name="update_running_stats",
    title="Write update_running_stats(running_mean, running_var, x, momentum)",
    reference=update_running_stats,
    make_args=_running_cases,
    examples=[("the example map, momentum 0.9", RUNNING_EXAMPLE)],
    mistakes=[
        Mistake("momentum reversed (that is PyTorch's convention): in Keras, momentum is the share of the OLD "
                "average that is kept, running = momentum · running + (1 − momentum) · batch.",
                _running_slip(reverse=True)),
        Mistake("that is the unbiased variance (ddof=1, what PyTorch keeps); Keras averages the biased batch "
                "variance, np.var with ddof=0.", _running_slip(ddof=1)),
        Mistake("that replaces the running averages by the batch's statistics: average them, "
                "momentum · running + (1 − momentum) · batch.", _running_slip(replace=True)),
        Mistake("one mean and one variance per CHANNEL: take the statistics over every axis but the last, and "
                "return two arrays of shape (C,).",
                lambda rm, rv, x, momentum: np.zeros((2, np.shape(x)[-1])), match="other_shape"),
    ],
    hint=["Batch statistics first: per channel, over every axis but the last; np.var (ddof=0).",
          "Then new = momentum · old + (1 − momentum) · batch, for the mean and for the variance; return "
          "(new_mean, new_var)."],
    success="update_running_stats keeps a share `momentum` of the old averages and gives the batch the rest, with the "
            "biased variance, as Keras does.",
)


# --------------------------------------------------------------------------- question 5: inverted dropout

def _dropout_cases(rng):
    cases = []
    for shape, rate, training in [((4, 5), 0.5, True), ((2, 3, 3, 2), 0.2, True), ((10,), 0.1, True),
                                  ((3, 6), 0.75, True), ((4, 5), 0.5, False), ((2, 2, 2, 3), 0.3, False),
                                  ((5, 4), 0.0, True)]:
        x = rng.normal(size=shape).round(3)
        cases.append((x, rate, rng.random(shape).round(4), training))
    return cases


def _dropout_slip(kept, scale, at_inference=None):
    """Dropout with a wrong keep rule or scale in training (or a wrong inference rule)."""
    def wrong(x, rate, u, training):
        if not training:
            result = None if at_inference is None else at_inference(x, rate, u)
        else:
            result = np.where(kept(u, rate), x * scale(rate), 0.0)
        return _unless_same(result, inverted_dropout(x, rate, u, training))
    return wrong


def _right_keep(u, rate):
    return u >= rate


def _inverted(rate):
    return 1 / (1 - rate)


DROPOUT_EXAMPLE_X = np.array([[0.3, -1.2, 2.5, 0.8], [-0.4, 1.7, -2.2, 0.6], [1.1, -0.9, 0.2, -1.5]])
DROPOUT_EXAMPLE_U = np.array([[0.12, 0.71, 0.45, 0.38], [0.93, 0.05, 0.64, 0.51], [0.27, 0.86, 0.49, 0.99]])

q5 = FunctionQuestion(
    "ex08.q5", points=3, name="dropout_forward", title="Write dropout_forward(x, rate, u, training)",
    reference=inverted_dropout,
    make_args=_dropout_cases,
    examples=[("the example (rate 0.5, training)", (DROPOUT_EXAMPLE_X, 0.5, DROPOUT_EXAMPLE_U, True))],
    mistakes=[
        Mistake("the survivors must be scaled by 1 / (1 − rate) so that the expected value is unchanged (inverted "
                "dropout); you only zeroed the dropped values.", _dropout_slip(_right_keep, lambda rate: 1.0)),
        Mistake("multiplied by (1 − rate): inverted dropout DIVIDES the survivors by (1 − rate) in training.",
                _dropout_slip(_right_keep, lambda rate: 1 - rate)),
        Mistake("kept with probability rate: rate is the probability of DROPPING a value, so drop where u < rate "
                "and keep where u >= rate.", _dropout_slip(lambda u, rate: u < rate, _inverted)),
        Mistake("right share, wrong values: the rule is to drop where u < rate (keep where u >= rate), not to keep "
                "where u < 1 − rate.", _dropout_slip(lambda u, rate: u < 1 - rate, _inverted)),
        Mistake("at inference (training=False) dropout does nothing: return x unchanged, no mask and no scaling "
                "(inverted dropout already scaled in training).",
                _dropout_slip(_right_keep, _inverted, at_inference=lambda x, rate, u: x / (1 - rate))),
        Mistake("at inference (training=False) no value is dropped: return x unchanged.",
                _dropout_slip(_right_keep, _inverted,
                              at_inference=lambda x, rate, u: np.where(u >= rate, x / (1 - rate), 0.0))),
    ],
    hint=["Training: keep a value where u >= rate, set it to 0 where u < rate, and divide the kept ones by "
          "(1 − rate).",
          "Inference (training=False): return x unchanged.",
          "np.where(u >= rate, x / (1 - rate), 0.0) does the training case in one line."],
    success="dropout_forward drops where u < rate, scales by 1 / (1 − rate) in training and does nothing at inference.",
)


# --------------------------------------------------------------------------- question 6: schedules

STEP_BOUNDARIES, STEP_EPOCH, COSINE_TOTAL, COSINE_EPOCH, EXP_RATE, EXP_EPOCH = (30, 60, 80), 65, 90, 30, 0.95, 20


def _schedule_factors():
    return (step_decay(1.0, STEP_BOUNDARIES, 0.1, STEP_EPOCH), cosine_decay(1.0, COSINE_TOTAL, COSINE_EPOCH),
            exponential_decay(1.0, EXP_RATE, EXP_EPOCH))


q6 = ValueQuestion(
    "ex08.q6", points=2, names=["step_factor", "cosine_factor", "exp_factor"], rtol=0.01,
    title="Learning-rate schedules at a given epoch",
    expected=_schedule_factors,
    mistakes={
        "step_factor": [Mistake("count the boundaries passed: epoch 65 is after 30 AND 60, so the rate was divided by "
                                "10 twice.", 0.1),
                        Mistake("epoch 65 is not yet past the boundary at 80: two divisions by 10, not three.", 1e-3)],
        "cosine_factor": [Mistake("forgot the ½: cosine decay is (1 + cos(π·t/T)) / 2, which starts at 1.",
                                  lambda: 2 * cosine_decay(1.0, COSINE_TOTAL, COSINE_EPOCH)),
                          Mistake("that is a straight line, 1 − t/T; cosine decay follows (1 + cos(π·t/T)) / 2.",
                                  1 - COSINE_EPOCH / COSINE_TOTAL),
                          Mistake("cos(π·t/T) alone goes from 1 to −1: add 1 and halve it, (1 + cos(π·t/T)) / 2.",
                                  lambda: float(np.cos(np.pi * COSINE_EPOCH / COSINE_TOTAL)))],
        "exp_factor": [Mistake("that is a linear decay, 1 − 0.05·t; exponential decay multiplies by 0.95 every epoch: "
                               "0.95**t.", max(0.0, 1 - (1 - EXP_RATE) * EXP_EPOCH)),
                       Mistake("off by one: after t epochs the rate has been multiplied t times, 0.95**t.",
                               lambda: exponential_decay(1.0, EXP_RATE, EXP_EPOCH - 1))],
    },
    hint=["Step: multiply by 0.1 once per boundary the epoch is past. Exponential: 0.95**epoch.",
          "Cosine over T epochs: (1 + cos(π · epoch / T)) / 2, with the angle in radians (np.cos)."],
)


# --------------------------------------------------------------------------- practice: predict, then check

PREDICT_WIDTH, PREDICT_DEPTH, PREDICT_SEED = 1024, 10, 0


@functools.lru_cache(maxsize=None)   # the notebook's experiment and the check measure the same network
def relu_std_ratio(init: str) -> float:
    """std of the 10th hidden layer's activations / std of the first, in a ReLU net of 1024 units per layer."""
    sizes = [PREDICT_WIDTH] * (PREDICT_DEPTH + 1) + [10]
    x = np.random.default_rng(PREDICT_SEED).normal(size=(256, PREDICT_WIDTH))
    stds = mlp.activation_stds(mlp.init_mlp(sizes, init=init, seed=PREDICT_SEED), x, activation="relu")
    return float(stds[PREDICT_DEPTH - 1] / stds[0])


p1 = PredictionQuestion(
    "ex08.p1", title="Predict, then check: the activations' std after 10 ReLU layers with Glorot's init",
    expected=lambda: relu_std_ratio("glorot"),
    explanation="with Glorot's variance 2 / (n_in + n_out) = 1 / n in a square layer, each ReLU layer multiplies "
                "E[a²] by n · Var(w) / 2 = 1/2, so the std shrinks by 1/√2 per layer: 9 layers from the first to the "
                "tenth give (1/√2)⁹ ≈ 0.044. He's 2 / n_in makes the factor 1.",
    hint="Var(z) = n_in · Var(w) · E[a²], and ReLU keeps half of E[z²]: what does one layer multiply the std by?",
)

EXERCISE = Exercise("08_training_cnns", "Training CNNs: initialisation, Adam, batch norm and dropout",
                    [q1, q2, q3, q4, q5, q6, p1])
