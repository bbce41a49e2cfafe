"""Exercise 12 · 1-D CNNs for signals: output lengths, receptive fields, causal padding and dilated causal convolution.

References come from the course's tested code: :func:`course_utils.shapes.conv_output_size`,
:func:`~course_utils.shapes.receptive_field` and :func:`~course_utils.shapes.conv_params`
(checked against Keras), and :func:`course_utils.conv1d.causal_pad` and
:func:`~course_utils.conv1d.causal_correlate` (Keras' ``Conv1D(padding="causal")``).

>>> q2.check(lambda kernel_sizes, dilations: 1 + sum(kernel_sizes - 1))
❌ on kernel 2, dilations 1, 2, 4, the result is 4, too small: dilation ignored? A kernel of size k with dilation d spans d·(k − 1) + 1 inputs, so each layer adds d·(k − 1) to the receptive field. (2/8 tests passed)
"""
from __future__ import annotations

import numpy as np

from course_utils.conv1d import causal_correlate, causal_pad
from course_utils.exercises.framework import Exercise, FunctionQuestion, Mistake, PredictionQuestion, ValueQuestion
from course_utils.shapes import conv_output_size, conv_params, receptive_field

# Question 1: one signal of N samples, a kernel of 5.
N_SAMPLES, KERNEL = 101, 5


def causal_output_size(n: int, kernel_size: int, stride: int = 1, dilation: int = 1) -> int:
    """Length after ``padding="causal"``: ``d (k - 1)`` zeros on the left, then a valid convolution."""
    return conv_output_size(n + dilation * (kernel_size - 1), kernel_size, stride, dilation=dilation)


def _lengths():
    return (conv_output_size(N_SAMPLES, KERNEL, 1, "valid", dilation=2),
            conv_output_size(N_SAMPLES, KERNEL, 2, "same"),
            causal_output_size(N_SAMPLES, KERNEL, stride=3),
            conv_output_size(N_SAMPLES, KERNEL, 3, "valid"))


DILATION_IGNORED = "dilation ignored? With dilation d a kernel of k taps spans d·(k − 1) + 1 samples."
SPAN_DK = "off by one: the span of a dilated kernel is d·(k − 1) + 1 (the taps are d apart: k − 1 gaps), not d·k."
STRIDE_IGNORED = "stride ignored? With stride S only every S-th position is kept: divide by S before adding 1."
ROUND_UP = "round up: with stride S the first output sits at t = 0, so ceil(N / S) positions fit."

q1 = ValueQuestion(   # the mistakes' values are written out from N = 101 and k = 5
    "ex12.q1", points=2, names=["n_valid", "n_same", "n_causal", "n_strided"], integer=True,
    title="Conv1D output lengths with padding, stride and dilation",
    expected=_lengths,
    mistakes={
        "n_valid": [Mistake(DILATION_IGNORED, N_SAMPLES - KERNEL + 1),
                    Mistake(SPAN_DK, N_SAMPLES - 2 * KERNEL + 1),
                    Mistake("forgot the + 1? 'valid' keeps N − span + 1 positions, with span d·(k − 1) + 1.",
                            N_SAMPLES - (2 * (KERNEL - 1) + 1)),
                    Mistake("that is 'same' (the input's length); 'valid' adds no padding.", N_SAMPLES)],
        "n_same": [Mistake("'same' keeps ceil(N / S) samples: round UP (math.ceil), the last partial window counts.",
                           N_SAMPLES / 2),
                   Mistake(STRIDE_IGNORED, N_SAMPLES),
                   Mistake("'same' pads as needed, so the length is ceil(N / S): round UP.", N_SAMPLES // 2),
                   Mistake("that is 'valid'; 'same' pads so that only the stride shortens the signal: ceil(N / S).",
                           (N_SAMPLES - KERNEL) // 2 + 1)],
        "n_causal": [Mistake(STRIDE_IGNORED, N_SAMPLES),
                     Mistake("causal padding adds k − 1 zeros on the LEFT only (not on both sides), then the "
                             "convolution is valid: (N + k − 1 − k) // S + 1 = ceil(N / S).",
                             (N_SAMPLES + 2 * (KERNEL - 1) - KERNEL) // 3 + 1),
                     Mistake("forgot the padding: causal convolution pads k − 1 zeros on the left first.",
                             conv_output_size(N_SAMPLES, KERNEL, 3)),
                     Mistake(ROUND_UP, N_SAMPLES // 3),
                     Mistake(ROUND_UP + " (math.ceil)", N_SAMPLES / 3)],
        "n_strided": [Mistake(STRIDE_IGNORED, conv_output_size(N_SAMPLES, KERNEL, 1)),
                      Mistake("forgot the + 1? (N − k) // S + 1.", (N_SAMPLES - KERNEL) // 3),
                      Mistake("that is 'same' (ceil(N / S)); 'valid' drops the windows that do not fit: "
                              "(N − k) // S + 1.", -(-N_SAMPLES // 3))],
    },
    hint=["A kernel of k taps with dilation d spans d·(k − 1) + 1 samples; 'valid': (N − span) // S + 1.",
          "'same' pads as needed: ceil(N / S). 'causal' pads d·(k − 1) zeros on the left, then it is valid."],
)


# --------------------------------------------------------------------------- question 2: receptive field

def receptive_field_reference(kernel_sizes, dilations):
    """The receptive field of a stack of stride-1 (causal) convolutions, from :func:`~course_utils.shapes.receptive_field`."""
    layers = [(int(k), 1, int(d)) for k, d in zip(kernel_sizes, dilations)]
    return receptive_field(layers)[-1][0]


STACKS = [([3, 3, 3], [1, 2, 4]), ([2] * 10, [2**i for i in range(10)]), ([5], [1]),
          ([3, 3, 3, 3, 3, 3], [1, 2, 4, 1, 2, 4]), ([4, 2, 3], [1, 3, 9]), ([7], [3]), ([2, 2], [1, 1])]


def _stack_cases(rng):
    cases = [(np.array(k), np.array(d)) for k, d in STACKS]
    order = rng.permutation(len(cases))
    return [cases[i] for i in order]


def _spans(kernel_sizes, dilations):
    return np.asarray(dilations) * (np.asarray(kernel_sizes) - 1) + 1


q2 = FunctionQuestion(
    "ex12.q2", points=3, name="receptive_field", integer=True,
    title="Write receptive_field(kernel_sizes, dilations) for a stack of causal convolutions",
    reference=receptive_field_reference,
    make_args=_stack_cases,
    examples=[("kernel 2, dilations 1, 2, 4", (np.array([2, 2, 2]), np.array([1, 2, 4])))],
    mistakes=[
        Mistake("dilation ignored? A kernel of size k with dilation d spans d·(k − 1) + 1 inputs, so each layer adds "
                "d·(k − 1) to the receptive field.",
                lambda k, d: 1 + int(np.sum(np.asarray(k) - 1))),
        Mistake(SPAN_DK + " Each layer adds d·(k − 1).", lambda k, d: 1 + int(np.sum(np.asarray(d) * np.asarray(k) - 1))),
        Mistake("forgot the + 1: one output already sees 1 input before any layer widens it, r = 1 + Σ d·(k − 1).",
                lambda k, d: int(np.sum(_spans(k, d) - 1))),
        Mistake("the spans overlap: stacked layers ADD their d·(k − 1), they do not multiply.",
                lambda k, d: int(np.prod(_spans(k, d)))),
        Mistake("adding whole spans counts the shared sample once per layer: r = 1 + Σ d·(k − 1).",
                lambda k, d: int(np.sum(_spans(k, d)))),
    ],
    hint=["Start from r = 1 (one output sees one input), then go through the layers.",
          "A layer with kernel k and dilation d widens the receptive field by d·(k − 1) (stride 1: the jump stays 1).",
          "So r = 1 + Σ d·(k − 1) over the layers; zip(kernel_sizes, dilations) walks both arrays."],
    success="receptive_field gives 1 + Σ d·(k − 1) on every stack.",
)


# --------------------------------------------------------------------------- question 3: causal padding

def _pad_cases(rng):
    specs = [(10, 3, 1), (8, 2, 4), (12, 3, 2), (6, 5, 1), (15, 4, 3), (7, 1, 2), (9, 2, 1)]
    return [(rng.normal(size=n).round(3), k, d) for n, k, d in specs]


def _unless_same(wrong, right):
    """A mistake applies only where it gives something else than the right answer."""
    if wrong is None or (np.shape(wrong) == np.shape(right) and np.allclose(wrong, right)):
        return None
    return wrong


def _pad_slip(left, right):
    """Zeros padded ``left(k, d)`` before and ``right(k, d)`` after x."""
    return lambda x, k, d: _unless_same(np.concatenate([np.zeros(left(k, d)), x, np.zeros(right(k, d))]),
                                        causal_pad(x, k, d))


q3 = FunctionQuestion(
    "ex12.q3", points=2, name="causal_pad", title="Write causal_pad(x, kernel_size, dilation)",
    reference=causal_pad,
    make_args=_pad_cases,
    examples=[("x = [1, 2, 3], kernel 3, dilation 2", (np.array([1.0, 2.0, 3.0]), 3, 2))],
    mistakes=[
        Mistake("zeros on the right: the future. Causal padding puts all d·(k − 1) zeros on the LEFT (the past), so "
                "output t uses inputs up to t only.", _pad_slip(lambda k, d: 0, lambda k, d: d * (k - 1))),
        Mistake("zeros on both sides is 'same' padding; causal padding puts all d·(k − 1) zeros on the left.",
                _pad_slip(lambda k, d: d * (k - 1) // 2, lambda k, d: d * (k - 1) - d * (k - 1) // 2)),
        Mistake(DILATION_IGNORED + " Causal padding is d·(k − 1) zeros: one per input the kernel spans beyond t.",
                _pad_slip(lambda k, d: k - 1, lambda k, d: 0)),
        Mistake("off by one: pad span − 1 = d·(k − 1) zeros (the output at t = 0 then sees exactly one real sample).",
                _pad_slip(lambda k, d: d * (k - 1) + 1, lambda k, d: 0)),
        Mistake("that pads d·k zeros; the kernel spans d·(k − 1) + 1 samples, so it needs d·(k − 1) of them before t.",
                _pad_slip(lambda k, d: d * k, lambda k, d: 0)),
    ],
    hint=["The kernel spans d·(k − 1) + 1 samples ending at t; at t = 0 all but the last are before the signal.",
          "So put d·(k − 1) zeros in front of x and none after: np.concatenate or np.pad(x, (p, 0))."],
    success="causal_pad puts d·(k − 1) zeros before x: a valid convolution of the result is Keras' causal Conv1D.",
)


# --------------------------------------------------------------------------- question 4: dilated causal convolution

def _conv_cases(rng):
    specs = [(12, 3, 1), (20, 2, 4), (16, 3, 2), (9, 4, 1), (30, 3, 3), (8, 1, 2), (25, 2, 8)]
    return [(rng.normal(size=n).round(3), rng.normal(size=k).round(3), d) for n, k, d in specs]


def _shifted_sum(x, w, dilation, left):
    """``y[t] = sum_m w[m] x[t - left + m d]`` with zeros outside x: a correlation aligned ``left`` samples back."""
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    span = dilation * (len(w) - 1)
    padded = np.concatenate([np.zeros(left), x, np.zeros(span - left)])
    return sum(w[m] * padded[m * dilation:m * dilation + len(x)] for m in range(len(w)))


def _conv_slip(make):
    return lambda x, w, d: _unless_same(make(x, w, d), causal_correlate(x, w, d))


IMPULSE = np.zeros(12)
IMPULSE[5] = 1.0
RAMP = np.arange(10.0)

q4 = FunctionQuestion(
    "ex12.q4", points=4, name="causal_conv1d", title="Write causal_conv1d(x, w, dilation)",
    reference=causal_correlate,
    make_args=_conv_cases,
    examples=[("an impulse at t = 5, w = [1, 2, 3], dilation 1", (IMPULSE, np.array([1.0, 2.0, 3.0]), 1)),
              ("an impulse at t = 5, w = [1, 2, 3], dilation 2", (IMPULSE, np.array([1.0, 2.0, 3.0]), 2)),
              ("a ramp 0..9, w = [1, −1], dilation 3", (RAMP, np.array([1.0, -1.0]), 3))],
    mistakes=[
        Mistake("kernel flipped: Conv1D computes a cross-correlation, y[t] = Σ_m w[m]·x[t − d·(k − 1 − m)]; the LAST "
                "tap w[k − 1] multiplies x[t].", _conv_slip(lambda x, w, d: causal_correlate(x, w[::-1], d))),
        Mistake(DILATION_IGNORED + " The taps of w sit d samples apart: x[t − d·(k − 1)], …, x[t − d], x[t].",
                _conv_slip(lambda x, w, d: causal_correlate(x, w, 1))),
        Mistake("not causal: the output at t uses inputs after t (zeros padded on the right, or on both sides). Pad "
                "d·(k − 1) zeros on the left only.",
                _conv_slip(lambda x, w, d: _shifted_sum(x, w, d, 0))),
        Mistake("that is 'same' padding, centred on t: causal padding puts all d·(k − 1) zeros on the left.",
                _conv_slip(lambda x, w, d: _shifted_sum(x, w, d, d * (len(w) - 1) // 2))),
        Mistake("keep the input's length: pad d·(k − 1) zeros on the left first (causal padding), then slide.",
                lambda x, w, d: np.zeros(len(x)), match="other_shape"),
    ],
    forbidden_modules=["scipy.signal", "scipy.ndimage"],
    forbidden_calls=["numpy.convolve", "numpy.correlate"],
    hint=["Pad first: xp = causal_pad(x, len(w), dilation) has d·(k − 1) zeros in front of x.",
          "Output t is the dot product of w with xp[t], xp[t + d], …, xp[t + d·(k − 1)]: a strided slice "
          "xp[t : t + d·(k − 1) + 1 : d].",
          "Or loop over the taps: y += w[m] * xp[m·d : m·d + len(x)] for m in range(len(w))."],
    success="causal_conv1d matches Keras' Conv1D(padding='causal', dilation_rate=d) on every test, without "
            "np.convolve or np.correlate.",
)


# --------------------------------------------------------------------------- question 5: parameters

ECG = {"kernel": 7, "in_channels": 12, "filters": 32}
DILATED = {"kernel": 3, "in_channels": 64, "filters": 64, "dilation": 8}


def _param_counts():
    return (conv_params((ECG["kernel"], 1), ECG["in_channels"], ECG["filters"]),
            conv_params((DILATED["kernel"], 1), DILATED["in_channels"], DILATED["filters"]))


q5 = ValueQuestion(
    "ex12.q5", points=2, names=["params_ecg", "params_dilated"], integer=True,
    title="Parameters of two Conv1D layers",
    expected=_param_counts,
    mistakes={
        "params_ecg": [Mistake("forgot the bias? One per filter: (k · C_in + 1) · filters.", 7 * 12 * 32),
                       Mistake("each filter spans all 12 input channels: k · C_in weights + 1 bias per filter.",
                               (7 + 1) * 32),
                       Mistake("a 1-D kernel has k taps per channel, not k × k: (k · C_in + 1) · filters.",
                               (7 * 7 * 12 + 1) * 32),
                       Mistake("that is one filter: there are 32.", 7 * 12 + 1)],
        "params_dilated": [Mistake("dilation adds no weights: it spaces the same k taps apart, so the count is "
                                   "(k · C_in + 1) · filters whatever d is.", (17 * 64 + 1) * 64),
                           Mistake("dilation adds no weights, it only spaces the k taps: (k · C_in + 1) · filters.",
                                   (3 * 8 * 64 + 1) * 64),
                           Mistake("forgot the bias? One per filter: (k · C_in + 1) · filters.", 3 * 64 * 64)],
    },
    hint=["A Conv1D kernel has shape (k, C_in, filters), plus one bias per filter.",
          "The signal's length, the stride, the padding and the dilation change the output, never the weights."],
)


# --------------------------------------------------------------------------- practice: predict, then check

PREDICT_KERNEL, PREDICT_DILATIONS = 3, (1, 2, 4, 8)


def impulse_reach(kernel_size: int, dilations, length: int = 64) -> int:
    """How many outputs an impulse at t = 0 reaches through a stack of causal convolutions with kernels of ones."""
    signal = np.zeros(length)
    signal[0] = 1.0
    for dilation in dilations:
        signal = causal_correlate(signal, np.ones(kernel_size), dilation)
    return int(np.count_nonzero(signal))


p1 = PredictionQuestion(
    "ex12.p1", title="Predict, then check: the receptive field of four dilated causal layers",
    expected=lambda: impulse_reach(PREDICT_KERNEL, PREDICT_DILATIONS),
    explanation="each layer with kernel k and dilation d widens the window by d·(k − 1), so "
                "r = 1 + (3 − 1)·(1 + 2 + 4 + 8) = 31: an impulse reaches the 31 outputs from its own time step on, "
                "and none before it (causal).",
    hint="Start from 1 and add d·(k − 1) per layer.",
)

EXERCISE = Exercise("12_cnn_1d_signals", "1-D CNNs for signals: lengths, receptive fields, causal convolution",
                    [q1, q2, q3, q4, q5, p1])
