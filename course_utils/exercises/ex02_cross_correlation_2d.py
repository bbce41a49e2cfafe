"""Exercise 02 · 2D cross-correlation: the slides' 5×5 example by hand, with padding and stride, then a function.

The example is the slides' 5×5 image and Laplacian kernel. The slides print −17 and 7 in the
middle row of the valid result; the correct values are 17 and −7 (:data:`SLIDE_VALID` keeps
the printed version, so that copying it gets a specific message). References come from
:mod:`course_utils.conv` (tested against SciPy and Keras).

>>> q1.check(correlate2d(IMAGE, KERNEL))
✅ Correct! all 9 values of valid are right: 17 and −7 in the middle row (the slide prints −17 and 7).
>>> q1.check(SLIDE_VALID)
❌ valid[1, 0] is -17, too small (2 of 9 values differ): sign slip? These are the slide's printed values: recompute the middle row, e.g. the window at row 1, column 0: 4 × centre − (up + down + left + right).
>>> q4.check(lambda image, kernel, padding=0, stride=1: convolve2d(image, kernel, padding, stride))
❌ on the slide's image with the Sobel x kernel, the result[0, 0] is -9.0, too small (8 of 9 values differ): kernel flipped? That is true convolution; cross-correlation slides the kernel as it is: out[i, j] = Σ image[i·s + m, j·s + n] · kernel[m, n]. (3/10 tests passed)
"""
from __future__ import annotations

import numpy as np

from course_utils.conv import convolve2d, correlate2d
from course_utils.checks.questions import Exercise, FunctionQuestion, Mistake, PredictionQuestion, ValueQuestion
from course_utils.filters import KERNELS

IMAGE = np.array([[5, 8, 0, 4, 8], [3, 9, 2, 9, 2], [4, 9, 2, 3, 6], [5, 4, 8, 2, 0], [5, 8, 0, 0, 8]])
KERNEL = np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]])            # the slides' Laplacian
SLIDE_VALID = np.array([[14, -12, 25], [-17, -14, 7], [-14, 24, -3]])  # as printed: the middle row's signs slipped
SOBEL_X = KERNELS["sobel_x"]                                           # the slides' [[1, 0, -1], [2, 0, -2], [1, 0, -1]]

TRANSPOSED = ("transposed? out[i, j] belongs to the window whose top-left corner is at row i, column j "
              "(rows go down, columns go right).")
FLIP = ("kernel flipped? That is true convolution; cross-correlation slides the kernel as it is: "
        "out[i, j] = Σ image[i·s + m, j·s + n] · kernel[m, n].")
TWICE = ("padding applied twice? Add `padding` zeros per side once (np.pad(image, padding)), then slide the "
         "kernel over the padded image without padding it again.")
STRIDE_POSITION = ("the output has the right size but the window moved by 1 pixel: with stride s, output (i, j) "
                   "uses the window starting at row i·s, column j·s of the padded image.")
STRIDE_IGNORED = "stride ignored? With stride s the window jumps s pixels: (H + 2P − K) // s + 1 positions per axis."
PADDING_IGNORED = "forgot the padding? Pad the image with `padding` zeros on every side first."


def _exact(values):
    """Integer results as ints, so feedback reads "expected 17" (the inputs here are whole numbers)."""
    return np.rint(values).astype(int)


def _stride_not_moved(image, kernel, padding, stride):
    right = correlate2d(image, kernel, padding, stride)
    return correlate2d(image, kernel, padding, 1)[:right.shape[0], :right.shape[1]]


def _random_correlations(rng):
    cases = [((5, 5), (3, 3), 0, 1), ((6, 8), (3, 3), 1, 1), ((7, 6), (2, 3), 0, 2), ((9, 9), (3, 3), 1, 2),
             ((8, 7), (5, 5), 2, 3), ((4, 6), (1, 1), 0, 1), ((10, 12), (4, 2), 1, 2)]
    return [(rng.normal(size=image).round(2), rng.normal(size=kernel).round(2), padding, stride)
            for image, kernel, padding, stride in cases]


q1 = ValueQuestion(
    "ex02.q1", points=2, names=["valid"], title="The slide's valid cross-correlation, by hand",
    expected=lambda: _exact(correlate2d(IMAGE, KERNEL)),
    mistakes=[
        Mistake("sign slip? These are the slide's printed values: recompute the middle row, e.g. the window at "
                "row 1, column 0: 4 × centre − (up + down + left + right).", SLIDE_VALID),
        Mistake("every sign is flipped: the centre weight is +4 and its four neighbours −1.",
                lambda: -correlate2d(IMAGE, KERNEL)),
        Mistake(TRANSPOSED, lambda: correlate2d(IMAGE, KERNEL).T),
        Mistake("that is the zero-padded ('same') size; 'valid' keeps only the 3 × 3 positions where the kernel "
                "fits inside the image.", np.zeros((5, 5)), match="shape"),
        Mistake("that is the 'full' size; 'valid' keeps only the positions where the kernel fits inside the image: "
                "5 − 3 + 1 = 3 per axis.", np.zeros((7, 7)), match="shape"),
    ],
    hint=["Put the kernel on the top-left 3 × 3 window, multiply element by element and add: that is valid[0, 0] = 14.",
          "valid[i, j] takes the 3 × 3 window whose top-left corner is at row i, column j, multiplies it by the "
          "kernel element by element and adds the nine products.",
          "The Laplacian only looks at a plus shape: 4 × centre − (up + down + left + right)."],
    success="all 9 values of valid are right: 17 and −7 in the middle row (the slide prints −17 and 7).",
)

q2 = ValueQuestion(
    "ex02.q2", points=2, names=["same"], title="Zero padding keeps the size ('same')",
    expected=lambda: _exact(correlate2d(IMAGE, KERNEL, padding=1)),
    mistakes=[
        Mistake("you padded by copying the edge pixels; this question pads with zeros (np.pad's default).",
                lambda: correlate2d(np.pad(IMAGE, 1, mode="edge"), KERNEL)),
        Mistake(TRANSPOSED, lambda: correlate2d(IMAGE, KERNEL, padding=1).T),
        Mistake("padding applied twice? One ring of zeros makes a 7 × 7 image; its valid correlation is 5 × 5.",
                np.zeros((7, 7)), match="shape"),
        Mistake("that is the valid size: pad the image with one ring of zeros first.", np.zeros((3, 3)), match="shape"),
    ],
    hint=["padded = np.pad(image, 1) is 7 × 7; slide the kernel over it exactly as in question 1.",
          "The middle 3 × 3 of the result is question 1's answer; only the border values are new."],
)

q3 = ValueQuestion(
    "ex02.q3", points=2, names=["strided"], title="Padding 1 and stride 2",
    expected=lambda: _exact(correlate2d(IMAGE, KERNEL, padding=1, stride=2)),
    mistakes=[
        Mistake(STRIDE_POSITION, lambda: correlate2d(IMAGE, KERNEL, padding=1)[:3, :3]),
        Mistake(TRANSPOSED, lambda: correlate2d(IMAGE, KERNEL, padding=1, stride=2).T),
        Mistake("forgot the padding? The slides pad with one ring of zeros, then move by 2: (5 + 2 − 3) // 2 + 1 "
                "positions per axis.", lambda: correlate2d(IMAGE, KERNEL, 0, 2)),
        Mistake("that is stride 1; with stride 2 the window jumps 2 pixels, so only every second position is kept.",
                np.zeros((5, 5)), match="shape"),
    ],
    hint=["Output size: (5 + 2·1 − 3) // 2 + 1 = 3 per axis.",
          "strided[i, j] uses the 3 × 3 window of the padded image starting at row 2i, column 2j.",
          "Compare with question 2's answer: which of its values does a stride of 2 keep?"],
)

q4 = FunctionQuestion(
    "ex02.q4", points=4, name="correlate2d", title="Write correlate2d(image, kernel, padding=0, stride=1)",
    reference=lambda image, kernel, padding=0, stride=1: correlate2d(image, kernel, padding, stride),
    make_args=_random_correlations,
    examples=[("the slide's image (valid)", (IMAGE, KERNEL, 0, 1)),
              ("the slide's image with padding 1 and stride 2", (IMAGE, KERNEL, 1, 2)),
              ("the slide's image with the Sobel x kernel", (IMAGE, SOBEL_X, 0, 1))],
    mistakes=[
        Mistake(FLIP, lambda image, kernel, padding, stride: convolve2d(image, kernel, padding, stride)),
        Mistake(TWICE, lambda image, kernel, padding, stride:
                None if padding == 0 else correlate2d(image, kernel, 2 * padding, stride)),
        Mistake(STRIDE_POSITION, _stride_not_moved),
        Mistake(TRANSPOSED, lambda image, kernel, padding, stride: correlate2d(image, kernel, padding, stride).T),
        Mistake(STRIDE_IGNORED, lambda image, kernel, padding, stride: correlate2d(image, kernel, padding, 1), match="shape"),
        Mistake(PADDING_IGNORED, lambda image, kernel, padding, stride: correlate2d(image, kernel, 0, stride), match="shape"),
    ],
    forbidden_modules=["scipy.signal", "scipy.ndimage"],
    hint=["Pad first: padded = np.pad(image, padding). The output has (H + 2P − kh) // s + 1 rows and "
          "(W + 2P − kw) // s + 1 columns.",
          "Loop over the output positions (i, j): the window has the kernel's size and starts at row i·stride, "
          "column j·stride of the padded image.",
          "Return a float array of shape (out_h, out_w); kernels need not be square or odd-sized."],
    success="correlate2d matches the reference on every test: any size, padding and stride.",
)

q5 = ValueQuestion(
    "ex02.q5", points=2, names=["sobel_conv"], title="True convolution with the slides' Sobel kernel",
    expected=lambda: _exact(convolve2d(IMAGE, SOBEL_X)),
    mistakes=[
        Mistake("every sign is flipped: that is the cross-correlation. True convolution flips the kernel first "
                "(kernel[::-1, ::-1]); this Sobel kernel is antisymmetric, so the flip negates every value.",
                lambda: correlate2d(IMAGE, SOBEL_X)),
        Mistake(TRANSPOSED, lambda: convolve2d(IMAGE, SOBEL_X).T),
        Mistake("that is the zero-padded size; this question asks for the valid result (3 × 3).",
                np.zeros((5, 5)), match="shape"),
    ],
    hint=["Convolution = cross-correlation with the kernel rotated by 180°: kernel[::-1, ::-1].",
          "Rotated, S_x becomes [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]: right column minus left column."],
    success="all 9 values are right: convolving with S_x measures how much brighter the image gets to the right.",
)

p1 = ValueQuestion(
    "ex02.p1", points=0, names=["strided_nopad"], title="Practice: stride 2 without padding",
    expected=lambda: _exact(correlate2d(IMAGE, KERNEL, stride=2)),
    mistakes=[Mistake("this one has no padding: (5 − 3) // 2 + 1 = 2 positions per axis.", np.zeros((3, 3)),
                      match="shape"),
              Mistake(STRIDE_POSITION, lambda: correlate2d(IMAGE, KERNEL)[:2, :2])],
    hint="Stride 2 keeps every second window of the valid result.",
    solution="strided_nopad = valid[::2, ::2]   # windows at rows/columns 0 and 2: [[14, 25], [-14, -3]]",
)

p2 = PredictionQuestion(
    "ex02.p2", title="Predict, then check: what zero padding does at a corner",
    expected=lambda: correlate2d(np.ones((5, 5)), np.ones((3, 3)), padding=1)[0, 0],
    explanation="at the corner, 5 of the window's 9 cells lie on the padding zeros, so only 2 × 2 = 4 ones are "
                "summed (6 along an edge, 9 inside): zero padding darkens the border of a 'same' output.",
    hint="Draw the 3×3 window centred on the corner pixel: how many of its cells are inside the image?",
)

EXERCISE = Exercise("02_cross_correlation_2d", "2D cross-correlation: padding and stride",
                    [q1, q2, q3, q4, q5, p1, p2])
