"""Exercise 05 · Pooling forward and backward: the slides' examples, then max pooling as two functions.

The examples are the slides' 4×4 feature map (2×2 max pooling, stride 2 → [[6, 8], [3, 4]]) and
5×5 feature map (3×3 max pooling, stride 1 → [[3, 3, 3], [3, 3, 3], [3, 2, 3]]). References come
from :func:`course_utils.conv.pool2d` (forward) and :class:`course_utils.layers.MaxPool2D`
(backward: the gradient goes to the window's maximum; at a tie to the *first* maximum in
row-major order, as ``np.argmax``; an input that wins several overlapping windows collects the
sum of their gradients).

>>> q1.check([[6, 8], [3, 4]], [[3, 3, 3], [3, 3, 3], [3, 2, 3]])
✅ Correct! all 4 values of pooled_2x2 are right, all 9 values of pooled_3x3 are right.
>>> q1.check(pool2d(X4, 2, mode="avg"), [[3, 3, 3], [3, 3, 3], [3, 2, 3]])
❌ pooled_2x2[0, 0] is 3.25, too small (4 of 4 values differ): averaging instead of max? Max pooling keeps the LARGEST value of each window. (1/2 correct)
>>> q4.check(lambda dout, x, size, stride: np.kron(dout, np.ones((size, size))))
❌ on the slides' 4×4 map (2×2, stride 2), the result[0, 0] is 10.0, too large (12 of 16 values differ): gradient spread to every position of the window: only the window's maximum influenced the output, so only it gets dout (the others get 0). (0/10 tests passed)
"""
from __future__ import annotations

import numpy as np

from course_utils.conv import pool2d
from course_utils.checks.questions import Exercise, FunctionQuestion, Mistake, PredictionQuestion, ValueQuestion
from course_utils.layers import MaxPool2D, numerical_gradient
from course_utils.shapes import conv_output_size

X4 = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])          # the slides' 2x2 example
X5 = np.array([[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]])  # 3x3, stride 1
DOUT4 = np.array([[10.0, 20.0], [30.0, 40.0]])
DOUT_P1 = np.array([[1.0, 2.0], [3.0, 4.0]])


def _exact(values):
    """Whole-number results as ints, so feedback reads "expected 6"."""
    values = np.asarray(values)
    return np.rint(values).astype(int) if np.all(values == np.rint(values)) else values


def maxpool_backward_reference(dout, x, size, stride):
    """The gradient of 2-D max pooling, from :class:`course_utils.layers.MaxPool2D`."""
    pool = MaxPool2D(size, stride)
    pool.forward(np.asarray(x, dtype=float)[None, :, :, None])
    return pool.backward(np.asarray(dout, dtype=float)[None, :, :, None])[0, :, :, 0]


def _route(dout, x, size, step, rule):
    """Known-wrong backward passes: windows at ``i * step`` and a wrong routing ``rule``.

    ``"all_ties"``: every tied maximum gets dout; ``"spread"``: every position of the window;
    ``"even"``: dout / size² everywhere (average pooling's gradient); ``"overwrite"``: ``=``
    instead of ``+=`` where windows overlap. Returns None where the windows do not fit.
    """
    x, dout = np.asarray(x, dtype=float), np.asarray(dout, dtype=float)
    oh, ow = dout.shape
    if (oh - 1) * step + size > x.shape[0] or (ow - 1) * step + size > x.shape[1]:
        return None
    dx = np.zeros_like(x)
    for i in range(oh):
        for j in range(ow):
            rows, cols = slice(i * step, i * step + size), slice(j * step, j * step + size)
            window = x[rows, cols]
            if rule == "spread":
                dx[rows, cols] += dout[i, j]
            elif rule == "even":
                dx[rows, cols] += dout[i, j] / size**2
            elif rule == "all_ties":
                dx[rows, cols] += (window == window.max()) * dout[i, j]
            else:
                r, c = np.unravel_index(np.argmax(window), window.shape)
                if rule == "overwrite":
                    dx[i * step + r, j * step + c] = dout[i, j]
                else:
                    dx[i * step + r, j * step + c] += dout[i, j]
    return dx


def _unless_same(wrong, dout, x, size, stride):
    """A mistake applies only where it gives something else than the right answer."""
    if wrong is None or np.allclose(wrong, maxpool_backward_reference(dout, x, size, stride)):
        return None
    return wrong


def _forward_cases(rng):
    cases = [((4, 4), 2, 2), ((6, 6), 3, 3), ((7, 5), 2, 2), ((6, 7), 3, 2), ((5, 5), 2, 1), ((8, 6), 3, 1),
             ((9, 9), 4, 3)]
    return [(rng.normal(size=shape), size, stride) for shape, size, stride in cases]


def _backward_cases(rng):
    cases = []
    for x, size, stride in _forward_cases(rng):
        cases.append((rng.normal(size=pool2d(x, size, stride).shape), x, size, stride))
    ties = rng.integers(0, 3, size=(6, 6))      # many ties (the first maximum wins), and integers: dx must still be float
    cases.append((rng.normal(size=(3, 3)), ties, 2, 2))
    return cases


AVERAGE = "averaging instead of max? Max pooling keeps the LARGEST value of each window."
TRANSPOSED = "transposed? out[i, j] is the window starting at row i·stride, column j·stride."

q1 = ValueQuestion(
    "ex05.q1", points=2, names=["pooled_2x2", "pooled_3x3"], title="Max pooling on the slides' examples",
    expected=lambda: (_exact(pool2d(X4, 2)), _exact(pool2d(X5, 3, stride=1))),
    mistakes={
        "pooled_2x2": [Mistake(AVERAGE, lambda: pool2d(X4, 2, mode="avg")),
                       Mistake(TRANSPOSED, lambda: pool2d(X4, 2).T),
                       Mistake("stride ignored? With stride 2 the 2×2 windows do not overlap: (4 − 2) // 2 + 1 = 2 "
                               "per axis.", np.zeros((3, 3)), match="shape")],
        "pooled_3x3": [Mistake(AVERAGE, lambda: pool2d(X5, 3, 1, mode="avg")),
                       Mistake(TRANSPOSED, lambda: pool2d(X5, 3, 1).T),
                       Mistake("that is stride 3; the slides move the 3×3 window by 1 pixel: 5 − 3 + 1 = 3 positions "
                               "per axis, overlapping.", np.zeros((1, 1)), match="shape")],
    },
    hint=["Cut the 4×4 map into four 2×2 blocks and keep each block's maximum.",
          "For the 5×5 map the 3×3 window starts at rows and columns 0, 1 and 2: nine overlapping windows.",
          "List the windows' top-left corners first (every `stride` pixels), then keep each window's maximum."],
)

q2 = ValueQuestion(
    "ex05.q2", points=1, names=["avg_2x2"], title="Average pooling on the 4×4 example",
    expected=lambda: pool2d(X4, 2, mode="avg"),
    mistakes=[Mistake("that is max pooling; average pooling keeps each window's MEAN.", lambda: pool2d(X4, 2)),
              Mistake("that is each window's sum: divide by the 4 values of the window.",
                      lambda: 4 * pool2d(X4, 2, mode="avg")),
              Mistake("integer division? Keep the decimals: (1 + 1 + 5 + 6) / 4 = 3.25.",
                      lambda: np.floor(pool2d(X4, 2, mode="avg")))],
    hint="Each output is the mean of one 2 × 2 block: add its four values and divide by 4.",
)

q3 = FunctionQuestion(
    "ex05.q3", points=3, name="maxpool_forward", title="Write maxpool_forward(x, size, stride)",
    reference=lambda x, size, stride: pool2d(x, size, stride),
    make_args=_forward_cases,
    examples=[("the slides' 4×4 map (2×2, stride 2)", (X4, 2, 2)), ("the slides' 5×5 map (3×3, stride 1)", (X5, 3, 1))],
    mistakes=[
        Mistake(AVERAGE, lambda x, size, stride: pool2d(x, size, stride, mode="avg")),
        Mistake(TRANSPOSED, lambda x, size, stride: pool2d(x, size, stride).T),
        Mistake("stride ignored? The window jumps `stride` pixels: (H − size) // stride + 1 positions per axis.",
                lambda x, size, stride: pool2d(x, size, 1),
                match="shape"),
        Mistake("the window moves by `stride`, not by `size` (overlapping pooling when stride < size).",
                lambda x, size, stride: pool2d(x, size, size),
                match="shape"),
        Mistake("a window that does not fit inside x is dropped ('valid', like Keras): use the floor, "
                "(H − size) // stride + 1.",
                lambda x, size, stride: np.zeros(tuple(-(-(n - size) // stride) + 1 for n in np.shape(x))),
                match="shape"),
    ],
    hint=["Output size per axis: (H − size) // stride + 1 (windows that do not fit are dropped).",
          "Window (i, j) is size × size and starts at row i·stride, column j·stride; keep its maximum."],
    success="maxpool_forward matches the reference on every test, overlapping windows included.",
)

q4 = FunctionQuestion(
    "ex05.q4", points=4, name="maxpool_backward", title="Write maxpool_backward(dout, x, size, stride)",
    reference=maxpool_backward_reference,
    make_args=_backward_cases,
    examples=[("the slides' 4×4 map (2×2, stride 2)", (DOUT4, X4, 2, 2)),
              ("the slides' 5×5 map (3×3, stride 1: overlaps and ties)", (np.ones((3, 3)), X5, 3, 1))],
    mistakes=[
        Mistake("gradient spread to every position of the window: only the window's maximum influenced the output, "
                "so only it gets dout (the others get 0).",
                lambda dout, x, size, stride: _route(dout, x, size, stride, "spread")),
        Mistake("that is average pooling's gradient (dout / size² everywhere); max pooling sends all of dout to "
                "the window's maximum.", lambda dout, x, size, stride: _route(dout, x, size, stride, "even")),
        Mistake("overlapping windows: an input that is the maximum of several windows gets the SUM of their "
                "gradients (use +=, not =).", lambda dout, x, size, stride: _unless_same(
                    _route(dout, x, size, stride, "overwrite"), dout, x, size, stride)),
        Mistake("ties: give the gradient to ONE position, the first maximum in row-major order "
                "(np.argmax of the flattened window), as course_utils.layers.MaxPool2D does.",
                lambda dout, x, size, stride: _unless_same(
                    _route(dout, x, size, stride, "all_ties"), dout, x, size, stride)),
        Mistake("stride ignored? Window (i, j) starts at row i·stride, column j·stride.",
                lambda dout, x, size, stride: None if stride == 1 else _route(dout, x, size, 1, "first")),
        Mistake("the window moves by `stride`, not by `size`: window (i, j) starts at row i·stride.",
                lambda dout, x, size, stride: None if stride == size else _route(dout, x, size, size, "first")),
    ],
    hint=["dx has x's shape and starts at zero. For each output (i, j), find where its window's maximum is.",
          "np.argmax of a window gives its first maximum as a flat index, np.unravel_index turns that into "
          "(row, column) inside the window; add the window's offset to find the pixel in dx.",
          "+= matters: with stride < size an input can be the maximum of several windows."],
    success="maxpool_backward routes every gradient to its window's maximum, sums overlaps and breaks ties like "
            "np.argmax.",
)

q5 = ValueQuestion(
    "ex05.q5", points=2, names=["out_a", "out_b", "out_c"], integer=True, title="Output sizes of pooling layers",
    expected=lambda: (conv_output_size(224, 2, stride=2), conv_output_size(13, 3, stride=2),
                      conv_output_size(7, 2, stride=2)),
    mistakes={
        "out_a": [Mistake("stride ignored? Divide by S before adding 1: (I − F) // S + 1.", 223),
                  Mistake("forgot the + 1? (I − F) // S + 1.", 111)],
        "out_b": [Mistake("stride ignored? Divide by S before adding 1: (I − F) // S + 1.", 11),
                  Mistake("forgot the + 1? (I − F) // S + 1.", 5),
                  Mistake("the stride is 2, not 3: this is overlapping pooling.", 4)],
        "out_c": [Mistake("a window that does not fit is dropped: round down, (I − F) // S + 1.", 4),
                  Mistake("stride ignored? Divide by S before adding 1: (I − F) // S + 1.", 6)],
    },
    hint=["Pooling uses the convolution size formula without padding: (I − F) // S + 1.",
          "The last row and column of a 7×7 map do not fill a 2×2 window at stride 2: they are dropped."],
)


def _average_pool_gradient():
    x = X4.astype(float)
    return numerical_gradient(lambda v: float((pool2d(v, 2, mode="avg") * DOUT_P1).sum()), x)


p1 = ValueQuestion(
    "ex05.p1", points=0, names=["avg_grad"], title="Practice: the gradient of 2×2 average pooling",
    expected=_average_pool_gradient, atol=1e-6,
    mistakes=[Mistake("each output is the MEAN of 4 inputs, so each input gets dout / 4.",
                      lambda: np.kron(DOUT_P1, np.ones((2, 2)))),
              Mistake("that is max pooling's gradient; average pooling shares dout among all 4 inputs.",
                      lambda: maxpool_backward_reference(DOUT_P1, X4, 2, 2))],
    hint="out = (a + b + c + d) / 4, so d out / d a = 1/4 for every input of the window.",
    solution="avg_grad = np.kron(dout_p, np.ones((2, 2))) / 4   # each input of a window gets a quarter of its dout",
)

p2 = PredictionQuestion(
    "ex05.p2", title="Predict, then check: how many inputs receive a gradient",
    expected=lambda: int(np.count_nonzero(maxpool_backward_reference(np.ones((3, 3)), X5, 3, 1))),
    explanation="each of the 9 windows sends its gradient to ONE position, its (first) maximum; overlapping "
                "windows often share a maximum (the 3 at row 1, column 3 wins three windows), so only 6 of the 25 "
                "inputs get a gradient and the other 19 get exactly 0.",
    hint="Find the maximum of each of the 9 windows of x5 (the first one when several tie): how many different "
         "positions are they?",
)

EXERCISE = Exercise("05_pooling_forward_backward", "Pooling forward and backward", [q1, q2, q3, q4, q5, p1, p2])
