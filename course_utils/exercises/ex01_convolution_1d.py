"""Exercise 01 · 1D convolution: by hand, output lengths, a function and its Toeplitz matrix.

The example is the slides' system: impulse response ``h[0] = 1, h[2] = -1`` and input
``x[n] = 2 exp(-0.3 n)`` for ``n = 0..7``. References come from NumPy/SciPy (trusted
implementations) and :mod:`course_utils.shapes`.

>>> q1.check(np.convolve(X, H))
✅ Correct! all 10 values of y are right: y[n] = x[n] − x[n−2], non-zero for n = 0..9.
>>> q1.check(np.correlate(X, H, "full"))
❌ y[0] is -2.0, too small (10 of 10 values differ): did you flip the kernel? Convolution uses h[n − k]; without the flip you computed the cross-correlation.
>>> q3.check(lambda x, h: np.array([x[i:i + len(h)] @ h[::-1] for i in range(len(x) - len(h) + 1)]))
❌ on the slide's x and h, the result has shape (6,), expected (10,): that is 'valid' mode (only where h fits inside x); 'full' keeps every overlap: len(x) + len(h) − 1 values. (1/7 tests passed)
"""
from __future__ import annotations

import numpy as np
import scipy.linalg

from course_utils.checks.questions import Exercise, FunctionQuestion, Mistake, PredictionQuestion, ValueQuestion
from course_utils.shapes import conv_output_size

N_SLIDE = np.arange(8)
X = 2 * np.exp(-0.3 * N_SLIDE)          # the slide's input x[n], n = 0..7
H = np.array([1.0, 0.0, -1.0])          # the slide's impulse response h[0] = 1, h[2] = -1

FLIP = ("did you flip the kernel? Convolution uses h[n − k]; without the flip you computed "
        "the cross-correlation.")
VALID = ("that is 'valid' mode (only where h fits inside x); 'full' keeps every overlap: "
         "len(x) + len(h) − 1 values.")
SAME = "that is 'same' mode (len(x) values); 'full' keeps every overlap: len(x) + len(h) − 1 values."

q1 = ValueQuestion(
    "ex01.q1", points=2, names=["y"], title="The slide's output y[n], by hand",
    expected=lambda: np.convolve(X, H),
    mistakes=[
        Mistake(FLIP, lambda: np.correlate(X, H, "full")),
        Mistake("h[2] is −1: the delayed copy x[n − 2] is subtracted, not added.", lambda: np.convolve(X, np.abs(H))),
        Mistake(VALID, np.zeros(6), match="shape"),
        Mistake("you stopped at n = 7, but the output goes on to n = 9: y[8] = −x[6] and y[9] = −x[7].",
                np.zeros(8), match="shape"),
    ],
    hint=["y[n] = Σ_k h[k] x[n − k] has only two terms here: h[0] x[n] and h[2] x[n − 2].",
          "So y[n] = x[n] − x[n − 2], where x is 0 outside n = 0..7; n runs from 0 to 7 + 2 = 9.",
          "Start from np.zeros(10), add x into y[0:8] and subtract x from y[2:10]."],
    success="all 10 values of y are right: y[n] = x[n] − x[n−2], non-zero for n = 0..9.",
)

N_LONG, K_LONG = 100, 7
q2 = ValueQuestion(
    "ex01.q2", points=2, names=["n_full", "n_same", "n_valid"], integer=True,
    title="Output lengths in full, same and valid mode",
    expected=lambda: (conv_output_size(N_LONG, K_LONG, padding=K_LONG - 1),
                      conv_output_size(N_LONG, K_LONG, padding="same"),
                      conv_output_size(N_LONG, K_LONG)),
    mistakes={
        "n_full": [Mistake("off by one: full mode has N + K − 1 values (the first and last overlap one sample).",
                           N_LONG + K_LONG),
                   Mistake("that is the 'same' length; full keeps every partial overlap.", N_LONG)],
        "n_same": [Mistake("that is 'valid'; 'same' pads so that the output keeps the input's length N.",
                           N_LONG - K_LONG + 1)],
        "n_valid": [Mistake("off by one: valid mode has N − K + 1 positions where the kernel fits.", N_LONG - K_LONG),
                    Mistake("that is the 'full' length; valid keeps only the positions where h fits inside x.",
                            N_LONG + K_LONG - 1)],
    },
    hint=["Count the positions of the flipped kernel: full = every overlap, valid = fully inside, "
          "same = as long as the input.",
          "With N = 100 and K = 7: full has N + K − 1, same has N, valid has N − K + 1."],
)


def _random_signal_pairs(rng):
    sizes = [(1, 1), (5, 3), (8, 3), (3, 6), (12, 4), (20, 5)]
    return [(rng.normal(size=n).round(3), rng.normal(size=k).round(3)) for n, k in sizes]


q3 = FunctionQuestion(
    "ex01.q3", points=3, name="conv1d_full", title="Write conv1d_full(x, h) without np.convolve",
    reference=lambda x, h: np.convolve(x, h, "full"),
    make_args=_random_signal_pairs,
    examples=[("the slide's x and h", (X, H))],
    mistakes=[
        Mistake(FLIP, lambda x, h: np.correlate(x, h, "full")),
        Mistake(VALID, lambda x, h: np.zeros(abs(len(x) - len(h)) + 1), match="shape"),
        Mistake("padding applied twice? Pad x with len(h) − 1 zeros per side once, then slide over it.",
                lambda x, h: np.zeros(len(x) + 3 * (len(h) - 1)), match="shape"),
        Mistake(SAME, lambda x, h: np.zeros(max(len(x), len(h))), match="shape"),
    ],
    forbidden_modules=["scipy.signal", "scipy.ndimage"],
    forbidden_calls=["numpy.convolve", "numpy.correlate"],
    hint=["The output has len(x) + len(h) − 1 values; start from np.zeros of that length.",
          "For each k, the term h[k] * x lands in y[k : k + len(x)].",
          "Loop over k in range(len(h)) and add h[k] * x into the slice of y that starts at index k."],
    success="conv1d_full matches the full convolution on every test (including hidden-size ones).",
)


def _random_kernels(rng):
    cases = [(1, 1), (3, 4), (3, 8), (2, 5), (5, 3), (4, 1)]
    return [(rng.integers(-3, 4, size=k).astype(float), n) for k, n in cases]


q4 = FunctionQuestion(
    "ex01.q4", points=3, name="convolution_matrix", title="The Toeplitz matrix of a convolution",
    reference=lambda h, n: scipy.linalg.convolution_matrix(h, n, "full"),
    make_args=_random_kernels,
    examples=[("the slide's h with n = 8", (H, 8))],
    mistakes=[
        Mistake("transposed? One ROW per output value: the matrix is (n + len(h) − 1) × n, so that T @ x = y.",
                lambda h, n: np.zeros((n, n + len(h) - 1)), match="shape"),
        Mistake("each COLUMN j holds h from top to bottom starting at row j; yours has h reversed "
                "(that matrix computes the cross-correlation).",
                lambda h, n: scipy.linalg.convolution_matrix(h[::-1], n, "full")),
        Mistake(VALID, lambda h, n: np.zeros((abs(n - len(h)) + 1, n)), match="shape"),
    ],
    forbidden_modules=["scipy.linalg"],
    forbidden_calls=["numpy.convolve", "numpy.correlate"],
    hint=["T @ x must equal conv1d_full(x, h): T has len(x) + len(h) − 1 rows and len(x) = n columns.",
          "Column j is the response to a unit impulse at position j: h shifted down by j rows.",
          "Start from zeros and loop over the columns j: rows j to j + len(h) − 1 of column j hold h."],
    success="T @ x reproduces the convolution: a convolution is a matrix product with a banded Toeplitz matrix.",
)

p1 = ValueQuestion(
    "ex01.p1", points=0, names=["y_delay"], title="Practice: delay x by three samples",
    expected=lambda: np.convolve(X, [0.0, 0.0, 0.0, 1.0]),
    mistakes=[Mistake("the impulse at n = 3 is [0, 0, 0, 1]: index 3 holds the 1.", lambda: np.convolve(X, [1, 0, 0, 0])),
              Mistake("keep the full output: len(x) + 4 − 1 = 11 values.", np.zeros(8), match="shape")],
    hint="Convolving with a unit impulse at n = 3, δ[n − 3], shifts the signal right by 3.",
    solution="y_delay = np.convolve(x, [0, 0, 0, 1])   # δ[n − 3] delays x by 3 samples",
)

p2 = PredictionQuestion(
    "ex01.p2", title="Predict, then check: swap the signal and the kernel",
    expected=lambda: "yes" if np.allclose(np.convolve(X, H), np.convolve(H, X)) else "no", choices=["yes", "no"],
    explanation="convolution is commutative: with m = n − k, Σ_k h[k] x[n − k] = Σ_m x[m] h[n − m], so "
                "np.convolve(h, x) equals np.convolve(x, h) value for value. Cross-correlation is not: swapping its "
                "arguments reverses its output.",
    hint="Write y[n] = Σ_k h[k] x[n − k] and substitute m = n − k: which array is flipped now?",
)

EXERCISE = Exercise("01_convolution_1d", "1D convolution by hand", [q1, q2, q3, q4, p1, p2])
