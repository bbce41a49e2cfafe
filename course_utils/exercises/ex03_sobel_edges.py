"""Exercise 03 · Sobel edges: gradients, magnitude and orientation, an edge map, kernel sums.

The Sobel kernels are the lecture's (A³ TensorFlow-Keras), written for *true convolution*, with
the image's border replicated so that the frame is not an edge. Every reference comes from
:mod:`course_utils.filters` (tested): :func:`~course_utils.filters.sobel_gradients`,
:func:`~course_utils.filters.magnitude_orientation`, :func:`~course_utils.filters.edge_map`
and the named kernels.

>>> q2.check(*magnitude_orientation(GX, GY))
✅ Correct! magnitude and orientation are right: atan2(gy, gx) keeps the quadrant, e.g. (−3, −3) points to −135°.
>>> q2.check(magnitude_orientation(GX, GY)[0], np.degrees(np.arctan2(GX, GY)))
❌ orientation[0] is 90.0, too large (4 of 6 values differ): atan2 takes gy first: np.arctan2(gy, gx). With the arguments swapped, 0° (brighter to the right) becomes 90°. (1/2 correct)
>>> q1.check(lambda image: np.stack(sobel_gradients(image)[1::-1]))
❌ on the given triangle image, the result[0, 0, 1] is 2.0, too large (66 of 96 values differ): x and y swapped? Return np.stack([gx, gy]): gx (S_x, brighter to the right) first, then gy (S_y, brighter below). (0/9 tests passed)
"""
from __future__ import annotations

import numpy as np

from course_utils.checks.questions import Exercise, FunctionQuestion, Mistake, PredictionQuestion, ValueQuestion
from course_utils.filters import KERNELS, edge_map, filter_image, magnitude_orientation, sobel_gradients

# The given image: a dark background (0) with a bright triangle and a bright bar (1); 6 x 8, not square.
IMAGE = np.array([[0, 0, 0, 0, 0, 0, 0, 0],
                  [0, 1, 0, 0, 0, 0, 0, 0],
                  [0, 1, 1, 0, 0, 0, 0, 0],
                  [0, 1, 1, 1, 0, 0, 1, 1],
                  [0, 1, 1, 1, 1, 0, 1, 1],
                  [0, 0, 0, 0, 0, 0, 1, 1]])
THRESHOLD = 3.0                      # no magnitude of IMAGE is within 0.16 of it
# Six gradient vectors, one per direction family (right, down, left, up-right diagonal, ...).
GX = np.array([4.0, 0.0, -4.0, 3.0, -3.0, 0.0])
GY = np.array([0.0, 4.0, 0.0, 3.0, -3.0, -2.0])
KERNEL_NAMES = ("box", "gaussian", "sharpen", "laplacian", "sobel_x", "sobel_y")
FLAT = 0.5                           # brightness of the flat image in question 4


def _stacked(image, border="replicate"):
    gx, gy, _, _ = sobel_gradients(image, border)
    return np.stack([gx, gy])


def _arctan_quotient():
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.degrees(np.arctan(GY / GX))


def _random_images(rng):
    sizes = [(5, 7), (8, 8), (6, 4), (3, 3), (10, 9), (4, 12)]
    images = [rng.random(size).round(2) for size in sizes]
    stripes = rng.permutation([0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    images.append(np.repeat(stripes[None, :], 5, axis=0))        # vertical stripes: gy = 0, gx is not
    return [(image,) for image in images]


SWAPPED = ("x and y swapped? Return np.stack([gx, gy]): gx (S_x, brighter to the right) first, then gy "
           "(S_y, brighter below).")
SIGN = ("every sign is flipped: that is the cross-correlation with S_x and S_y. The slides' Sobel kernels are "
        "written for true convolution: flip them (K[::-1, ::-1]) before sliding, so gx > 0 where the image gets "
        "brighter to the right.")

q1 = FunctionQuestion(
    "ex03.q1", points=3, name="sobel_xy", title="Write sobel_xy(image): both Sobel gradients",
    reference=_stacked,
    make_args=_random_images,
    examples=[("the given triangle image", (IMAGE,)),
              ("a dark-to-bright step (brighter to the right)", (np.repeat([[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]], 4, axis=0),))],
    mistakes=[
        Mistake(SWAPPED, lambda image: _stacked(image)[::-1]),
        Mistake(SIGN, lambda image: -_stacked(image)),
        Mistake("x and y swapped and the signs flipped: gx first (brighter to the right > 0), then gy.",
                lambda image: -_stacked(image)[::-1]),
        Mistake("only the border is wrong: pad by REPLICATING the edge pixels, np.pad(image, 1, mode='edge'); "
                "zero padding makes the image's frame look like an edge.", lambda image: _stacked(image, "zero")),
        Mistake("transposed? Rows are y (downwards), columns are x (to the right).",
                lambda image: _stacked(image).transpose(0, 2, 1)),
        Mistake("that is the valid size: pad by one replicated pixel per side first, so the gradients have the "
                "image's shape.", lambda image: np.zeros((2, image.shape[0] - 2, image.shape[1] - 2)), match="shape"),
        Mistake("stack along a NEW FIRST axis: np.stack([gx, gy]) has shape (2, H, W).",
                lambda image: np.zeros(image.shape + (2,)), match="shape"),
    ],
    forbidden_modules=["scipy.signal", "scipy.ndimage"],
    hint=["padded = np.pad(image, 1, mode='edge'); then gx is the valid CONVOLUTION of padded with S_x: "
          "a cross-correlation with S_x[::-1, ::-1].",
          "No loops over pixels needed: each of the nine weights multiplies a shifted H × W slice of the padded "
          "image; add the nine products.",
          "return np.stack([gx, gy]); on a dark-to-bright step (left to right) gx is +4 at the edge."],
    success="sobel_xy matches the reference on every test: gx > 0 where the image gets brighter to the right.",
)

q2 = ValueQuestion(
    "ex03.q2", points=2, names=["magnitude", "orientation"], title="Magnitude and orientation of six gradients",
    expected=lambda: magnitude_orientation(GX, GY),
    mistakes={
        "magnitude": [Mistake("forgot the square root? The length is sqrt(gx² + gy²) (np.hypot(gx, gy)).", GX**2 + GY**2),
                      Mistake("|gx| + |gy| is not the length of the vector: use sqrt(gx² + gy²).",
                              np.abs(GX) + np.abs(GY))],
        "orientation": [
            Mistake("atan2 takes gy first: np.arctan2(gy, gx). With the arguments swapped, 0° (brighter to the right) "
                    "becomes 90°.", lambda: np.degrees(np.arctan2(GX, GY))),
            Mistake("these are radians: convert with np.degrees.", lambda: np.arctan2(GY, GX)),
            Mistake("np.arctan(gy / gx) loses the quadrant ((−3, −3) is not (3, 3)): use np.arctan2(gy, gx).",
                    _arctan_quotient),
            Mistake("atan2 takes gy first, and the result is in radians: np.degrees(np.arctan2(gy, gx)).",
                    lambda: np.arctan2(GX, GY))],
    },
    hint=["The magnitude is the length of the vector (Pythagoras); for the angle use np.arctan2, mind the order "
          "of its arguments, and convert radians to degrees.",
          "Check by hand: (4, 0) points right: 0°; (0, 4) points down the rows: 90°; (−4, 0): 180°."],
    success="magnitude and orientation are right: atan2(gy, gx) keeps the quadrant, e.g. (−3, −3) points to −135°.",
)


def _edge_counts(border="replicate", squared=False, l1=False):
    if squared or l1:
        gx, gy, _, _ = sobel_gradients(IMAGE)
        edges = (np.abs(gx) + np.abs(gy) if l1 else gx**2 + gy**2) > THRESHOLD
    else:
        edges = edge_map(IMAGE, THRESHOLD, border=border)
    return int(edges.sum()), float(edges.mean())


L1 = "|gx| + |gy| is not the magnitude: use sqrt(gx² + gy²) (np.hypot), then compare it with the threshold."

q3 = ValueQuestion(
    "ex03.q3", points=2, names=["n_edges", "edge_fraction"], title="An edge map: how many edge pixels?",
    expected=lambda: _edge_counts(),
    mistakes={
        "n_edges": [Mistake("forgot the square root? Compare sqrt(gx² + gy²), not gx² + gy², with the threshold.",
                            lambda: _edge_counts(squared=True)[0]),
                    Mistake("the border: pad by replicating edge pixels (as sobel_xy does), not with zeros.",
                            lambda: _edge_counts("zero")[0]),
                    Mistake(L1, lambda: _edge_counts(l1=True)[0])],
        "edge_fraction": [
            Mistake("forgot the square root? Compare sqrt(gx² + gy²), not gx² + gy², with the threshold.",
                    lambda: _edge_counts(squared=True)[1]),
            Mistake("the border: pad by replicating edge pixels (as sobel_xy does), not with zeros.",
                    lambda: _edge_counts("zero")[1]),
            Mistake("a fraction is between 0 and 1: divide by the number of pixels, do not multiply by 100.",
                    lambda: 100 * _edge_counts()[1]),
            Mistake("that is the count: divide by the number of pixels (image.size).", lambda: _edge_counts()[0]),
            Mistake(L1, lambda: _edge_counts(l1=True)[1])],
    },
    hint=["edges = magnitude > threshold is a True/False map; True counts as 1.",
          "Summing a True/False map counts its Trues; its mean is the fraction of Trues."],
)


def _kernel_sums():
    return [float(KERNELS[name].sum()) for name in KERNEL_NAMES]


def _flat_responses():
    flat = np.full((5, 5), FLAT)
    return [float(filter_image(flat, KERNELS[name])[2, 2]) for name in KERNEL_NAMES]


q4 = ValueQuestion(
    "ex03.q4", points=2, names=["kernel_sums", "flat_response"], title="Smoothing kernels sum to 1, differential to 0",
    expected=lambda: (_kernel_sums(), _flat_responses()), atol=1e-6,
    mistakes={
        "kernel_sums": [Mistake("add the signed weights: negative weights count negatively (that is what a flat "
                                "image sees).", lambda: [float(np.abs(KERNELS[n]).sum()) for n in KERNEL_NAMES]),
                        Mistake("one sum per kernel, 6 in all, in the order of `kernels`.", [0.0] * 5, match="shape")],
        "flat_response": [Mistake("those are the kernel sums: on a flat image of brightness 0.5 every window holds "
                                  "0.5 everywhere, so the output is 0.5 × sum.", lambda: _kernel_sums()),
                          Mistake("on a flat image every window is 0.5 everywhere: output = 0.5 × (sum of the "
                                  "SIGNED weights).", lambda: [FLAT * float(np.abs(KERNELS[n]).sum())
                                                              for n in KERNEL_NAMES])]},
    hint=["kernel.sum() adds all weights, signs included.",
          "Every window of a flat image holds the same value v, so the output is v × kernel.sum()."],
    success="smoothing kernels (box, Gaussian) and sharpen sum to 1 and keep a flat image; Laplacian and Sobel sum "
            "to 0 and give 0.",
)

p1 = ValueQuestion(
    "ex03.p1", points=0, names=["unsigned"], title="Practice: unsigned orientations, as HOG uses them",
    expected=lambda: np.mod(magnitude_orientation(GX, GY)[1], 180.0),
    mistakes=[Mistake("fold with a modulo: np.mod(orientation, 180); np.abs gives 135° for −135°, but −135° is "
                      "the same line as 45°.", lambda: np.abs(magnitude_orientation(GX, GY)[1]))],
    hint="An edge from dark to bright and one from bright to dark along the same line differ by 180°.",
    solution="unsigned = np.mod(orientation, 180)   # -135 -> 45, -90 -> 90, 180 -> 0",
)

STEP = np.repeat([[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]], 3, axis=0)   # a vertical step edge of height 1


p2 = PredictionQuestion(
    "ex03.p2", title="Predict, then check: the Sobel response to a step of height 1",
    expected=lambda: float(np.abs(sobel_gradients(STEP)[0]).max()),
    explanation="across the step the kernel's column (1, 2, 1) meets the zeros and its column (−1, −2, −1) the "
                "ones: |gx| = 1 + 2 + 1 = 4 times the step's height, at both windows that straddle it. A Sobel "
                "response is the gradient scaled by 8 (2 for the central difference, 4 for the 1-2-1 smoothing).",
    hint="Put the 3×3 kernel on a window with a column of zeros on the left and ones on the right: add up "
         "the products.",
)

EXERCISE = Exercise("03_sobel_edges", "Sobel edges: gradients, orientation, edge map", [q1, q2, q3, q4, p1, p2])
