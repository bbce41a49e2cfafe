"""Exercise 06 · A convolution layer, forward and backward, checked by numerical gradients.

Layout as in Keras and :mod:`course_utils.layers`: inputs ``(N, H, W, C_in)``, weights
``(kh, kw, C_in, C_out)``, bias ``(C_out,)``, outputs ``(N, H_out, W_out, C_out)``. Every
reference comes from :class:`course_utils.layers.Conv2D` (tested against Keras and numerical
gradients), :func:`~course_utils.layers.numerical_gradient`,
:func:`~course_utils.layers.max_relative_error` and :mod:`course_utils.shapes`.

>>> q1.check((8, 16, 16, 10), 760)
✅ Correct! all 4 values of out_shape are right, n_params = 760.
>>> q3.check(lambda dout: dout.sum(axis=(1, 2)))
❌ on a test with dout of shape (2, 3, 3, 2), the result has shape (2, 2), expected (2,): bias gradient not summed over the batch: each bias is used by every image AND every position, so db = dout.sum(axis=(0, 1, 2)). (0/6 tests passed)
"""
from __future__ import annotations

import numpy as np

from course_utils.checks.questions import Exercise, FunctionQuestion, Mistake, PredictionQuestion, ValueQuestion
from course_utils.layers import Conv2D, im2col, max_relative_error, numerical_gradient, relative_error
from course_utils.shapes import conv_output_size, conv_params

# Question 1's layer: a batch of 8 RGB 32x32 images, 10 filters 5x5, stride 2, padding 2.
BATCH, SIZE, C_IN, FILTERS, KERNEL, STRIDE, PADDING = 8, 32, 3, 10, 5, 2, 2
# The slides' 5x5 image and Laplacian as a one-image, one-channel batch.
SLIDE_IMAGE = np.array([[5, 8, 0, 4, 8], [3, 9, 2, 9, 2], [4, 9, 2, 3, 6], [5, 4, 8, 2, 0], [5, 8, 0, 0, 8]],
                       dtype=float)[None, :, :, None]
SLIDE_KERNEL = np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]], dtype=float)[:, :, None, None]


# --------------------------------------------------------------------------- references (course_utils.layers)

def conv_forward_reference(x, w, b, stride=1, padding=0):
    return Conv2D(w, b, stride, padding).forward(x)


def conv_gradients_reference(dout, x, w, stride=1, padding=0):
    """``(dx, dW, db)`` of :class:`~course_utils.layers.Conv2D` for the upstream gradient ``dout``."""
    layer = Conv2D(w, None, stride, padding)
    layer.forward(x)
    dx = layer.backward(dout)
    return dx, layer.dW, layer.db


def bias_gradient_reference(dout):
    """``db`` of a Conv2D layer: computed by the tested layer (a 1x1 one whose output has dout's shape)."""
    dout = np.asarray(dout, dtype=float)
    layer = Conv2D(np.zeros((1, 1, 1, dout.shape[3])))
    layer.forward(np.zeros(dout.shape[:3] + (1,)))
    layer.backward(dout)
    return layer.db


def projection_loss(x, w, b, dout, stride=1, padding=0) -> float:
    """``L(w) = sum(conv(x, w, b) * dout)``: a loss whose gradient with respect to the output is ``dout``."""
    return float((conv_forward_reference(x, w, b, stride, padding) * dout).sum())


_NUMERICAL_CACHE: dict = {}


def numerical_weight_gradient(x, w, b, dout, stride=1, padding=0) -> np.ndarray:
    """Centred differences of :func:`projection_loss` for every weight (cached: the reference and every
    known mistake of question 6 need it for the same inputs)."""
    arrays = [np.asarray(a, dtype=np.float64) for a in (x, w, b, dout)]
    key = tuple((a.shape, a.tobytes()) for a in arrays) + (stride, padding)
    if key not in _NUMERICAL_CACHE:
        if len(_NUMERICAL_CACHE) > 64:
            _NUMERICAL_CACHE.clear()
        x, w, b, dout = arrays
        _NUMERICAL_CACHE[key] = numerical_gradient(lambda v: projection_loss(x, v, b, dout, stride, padding),
                                                   w.copy())
    return _NUMERICAL_CACHE[key].copy()


def gradient_check_reference(x, w, b, dout, dw, stride=1, padding=0) -> float:
    return max_relative_error(dw, numerical_weight_gradient(x, w, b, dout, stride, padding))


# --------------------------------------------------------------------------- hidden inputs

LAYERS = [((2, 5, 5, 1), (3, 3, 1, 2), 1, 0), ((1, 6, 7, 2), (3, 3, 2, 3), 1, 1), ((3, 7, 6, 3), (3, 2, 3, 2), 2, 0),
          ((2, 8, 8, 2), (5, 5, 2, 4), 2, 2), ((2, 4, 4, 3), (1, 1, 3, 5), 1, 0), ((2, 9, 7, 2), (3, 3, 2, 3), 3, 1),
          ((2, 6, 6, 3), (3, 3, 3, 3), 1, 1)]   # C_in == C_out: a swapped channel axis keeps the shape, not the values


def _layer_case(rng, x_shape, w_shape, stride, padding):
    x = rng.normal(size=x_shape).round(3)
    w = rng.normal(size=w_shape).round(3)
    b = rng.normal(size=w_shape[3]).round(3)
    out_h = conv_output_size(x_shape[1], w_shape[0], stride, padding)
    out_w = conv_output_size(x_shape[2], w_shape[1], stride, padding)
    dout = rng.normal(size=(x_shape[0], out_h, out_w, w_shape[3])).round(3)
    return x, w, b, dout


def _forward_cases(rng):
    return [(x, w, b, stride, padding) for (x, w, b, _), (*_, stride, padding) in
            ((_layer_case(rng, *spec), spec) for spec in LAYERS)]


def _backward_cases(rng):
    cases = []
    for spec in LAYERS:
        x, w, _, dout = _layer_case(rng, *spec)
        cases.append((dout, x, w, spec[2], spec[3]))
    return cases


def _bias_cases(rng):
    shapes = [(2, 3, 3, 2), (1, 4, 5, 3), (4, 2, 2, 1), (3, 1, 1, 4), (2, 5, 3, 6), (1, 1, 1, 1)]
    return [(rng.normal(size=shape).round(3),) for shape in shapes]


def _check_cases(rng):
    """Layers whose true dW has no entry near 0 (relative errors are meaningful), with right and wrong dW."""
    cases = []
    for x_shape, w_shape, stride, padding in [((2, 5, 5, 2), (3, 3, 2, 2), 1, 0), ((2, 6, 6, 1), (3, 3, 1, 2), 2, 1),
                                              ((3, 4, 5, 2), (2, 2, 2, 3), 1, 1)]:
        while True:
            x, w, b, dout = _layer_case(rng, x_shape, w_shape, stride, padding)
            dw = conv_gradients_reference(dout, x, w, stride, padding)[1]
            if np.abs(dw).min() > 0.1:
                break
        cases.append((x, w, b, dout, dw, stride, padding))
        wrong = dw.copy()
        wrong.flat[int(rng.integers(wrong.size))] *= -1          # one entry with the wrong sign: error 1
        cases.append((x, w, b, dout, wrong, stride, padding))
    x, w, b, dout, dw, stride, padding = cases[0]
    cases.append((x, w, b, dout, 2 * dw, stride, padding))           # twice too large: error 1/3
    cases.append((x, w, b, dout, dw[::-1, ::-1], stride, padding))   # flipped kernel gradient
    cases.append((x, w, b, dout, dw * 1.001, stride, padding))       # 0.1 % too large: error 0.0005
    return cases


def _batched_weight_gradients(dout, x, w, stride, padding):
    return np.stack([conv_gradients_reference(dout[n:n + 1], x[n:n + 1], w, stride, padding)[1]
                     for n in range(x.shape[0])])


def _elementwise_relative_errors(a, b):
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)


# --------------------------------------------------------------------------- questions

q1 = ValueQuestion(
    "ex06.q1", points=2, names=["out_shape", "n_params"], integer=True, title="Output shape and parameters of a layer",
    expected=lambda: ((BATCH, conv_output_size(SIZE, KERNEL, STRIDE, PADDING),
                       conv_output_size(SIZE, KERNEL, STRIDE, PADDING), FILTERS),
                      conv_params(KERNEL, C_IN, FILTERS)),
    mistakes={
        "out_shape": [
            Mistake("channels-first? This course (and Keras) is channels-last: (N, H_out, W_out, C_out).",
                    [8, 10, 16, 16]),
            Mistake("forgot the padding? Add 2P to the input size: (H + 2P − F) // S + 1.", [8, 14, 14, 10]),
            Mistake("stride ignored? Divide by S before adding 1: (H + 2P − F) // S + 1.", [8, 32, 32, 10]),
            Mistake("the last axis counts the output channels: one per filter (10), not the 3 input channels.",
                    [8, 16, 16, 3]),
            Mistake("four numbers: (N, H_out, W_out, C_out), the batch included.", [16, 16, 10], match="shape")],
        "n_params": [Mistake("forgot the bias? One per filter: 5·5·3·10 + 10.", 750),
                     Mistake("each filter spans all 3 input channels: 5·5·3 weights + 1 bias, times 10 filters.", 260),
                     Mistake("that is one filter: there are 10.", 76),
                     Mistake("the weights are shared by every position and every image: the count does not depend "
                             "on N, H or W.", 8 * 16 * 16 * 760)]},
    hint=["Output size per axis: (H + 2P − k) // s + 1; the batch size is unchanged; the last axis has one channel "
          "per filter.",
          "Parameters: (kh · kw · C_in + 1) · C_out: weights plus one bias per filter."],
)

FORGOT_BIAS = "forgot the bias? Add b (one value per output channel) to every position: out + b."
LAYOUT = ("wrong weight layout? w is (kh, kw, C_in, C_out), channels-last like Keras: filter f is w[:, :, :, f], "
          "and w.reshape(-1, C_out) matches patches flattened in (kh, kw, C_in) order; w.reshape(C_out, -1).T reads "
          "it as channels-first.")

q2 = FunctionQuestion(
    "ex06.q2", points=3, name="conv_forward", title="Write conv_forward(x, w, b, stride, padding) for a batch",
    reference=conv_forward_reference,
    make_args=_forward_cases,
    examples=[("the slides' 5×5 image with the Laplacian (bias 0)", (SLIDE_IMAGE, SLIDE_KERNEL, np.zeros(1), 1, 0)),
              ("a 4×4 image of ones, one 3×3 filter of ones, bias 1",
               (np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1)), np.ones(1), 1, 0))],
    mistakes=[
        Mistake(FORGOT_BIAS, lambda x, w, b, s, p: conv_forward_reference(x, w, np.zeros_like(b), s, p)),
        Mistake(LAYOUT, lambda x, w, b, s, p: conv_forward_reference(
            x, w.reshape(w.shape[3], -1).T.reshape(w.shape), b, s, p)),
        Mistake("kernel flipped? CNN layers compute cross-correlation: the kernel is not rotated.",
                lambda x, w, b, s, p: conv_forward_reference(x, w[::-1, ::-1], b, s, p)),
        Mistake("channels-first output? Return (N, H_out, W_out, C_out), channels last.",
                lambda x, w, b, s, p: conv_forward_reference(x, w, b, s, p).transpose(0, 3, 1, 2), match="shape"),
        Mistake("stride ignored? Output size (H + 2P − kh) // s + 1; window (i, j) starts at row i·s.",
                lambda x, w, b, s, p: conv_forward_reference(x, w, b, 1, p), match="shape"),
        Mistake("forgot the padding? Pad H and W (not N or C) with `padding` zeros per side: "
                "np.pad(x, ((0, 0), (P, P), (P, P), (0, 0))).",
                lambda x, w, b, s, p: conv_forward_reference(x, w, b, s, 0), match="shape"),
    ],
    hint=["Pad only the two spatial axes: np.pad(x, ((0, 0), (P, P), (P, P), (0, 0))).",
          "Loop over the kernel offsets (m, n) only: the strided slice of the padded batch that w[m, n] multiplies "
          "has shape (N, H_out, W_out, C_in), and a matrix product with w[m, n] (C_in × C_out) covers every image, "
          "position and filter at once.",
          "Finally add the bias b (shape (C_out,)): broadcasting adds it at every position of every image."],
    success="conv_forward matches the reference layer on every test (batch, channels, stride, padding, bias).",
)

q3 = FunctionQuestion(
    "ex06.q3", points=2, name="bias_gradient", title="Write bias_gradient(dout)",
    reference=bias_gradient_reference,
    make_args=_bias_cases,
    mistakes=[
        Mistake("bias gradient not summed over the batch: each bias is used by every image AND every position, so "
                "db = dout.sum(axis=(0, 1, 2)).",
                lambda dout: dout.sum(axis=(1, 2)), match="shape"),
        Mistake("bias gradient not summed over the positions: each bias is added at every (i, j) of every image, "
                "so db = dout.sum(axis=(0, 1, 2)).",
                lambda dout: dout.sum(axis=0), match="shape"),
        Mistake("that is the mean: the loss adds up the contributions of every position, so the gradient is a SUM.",
                lambda dout: dout.mean(axis=(0, 1, 2))),
        Mistake("one value per output channel: sum over the batch and the positions, not over the channels.",
                lambda dout: dout.sum(axis=(1, 2, 3)),
                match="shape"),
    ],
    hint=["out[n, i, j, f] = ... + b[f]: b[f] is added at every image n and position (i, j).",
          "So ∂L/∂b[f] collects dout of channel f from every image and every position: one number per channel."],
    success="db = dout.sum(axis=(0, 1, 2)): one number per output channel.",
)

q4 = FunctionQuestion(
    "ex06.q4", points=3, name="weight_gradient", title="Write weight_gradient(dout, x, w, stride, padding)",
    reference=lambda dout, x, w, stride=1, padding=0: conv_gradients_reference(dout, x, w, stride, padding)[1],
    make_args=_backward_cases,
    mistakes=[
        Mistake("dW not summed over the batch? The same weights serve every image: add the contributions of all N.",
                lambda dout, x, w, s, p: None if x.shape[0] == 1 else
                conv_gradients_reference(dout[:1], x[:1], w, s, p)[1]),
        Mistake("that is the batch MEAN: the gradient of a sum over the batch is the sum of the gradients.",
                lambda dout, x, w, s, p: None if x.shape[0] == 1 else
                conv_gradients_reference(dout, x, w, s, p)[1] / x.shape[0]),
        Mistake("dW not summed over the batch: one gradient, of w's shape (kh, kw, C_in, C_out), for all images.",
                lambda dout, x, w, s, p: _batched_weight_gradients(dout, x, w, s, p),
                match="shape"),
        Mistake("wrong weight layout? Return dW in w's layout (kh, kw, C_in, C_out), channels last.",
                lambda dout, x, w, s, p: np.zeros(w.shape).transpose(3, 2, 0, 1),
                match="shape"),
        Mistake("kernel gradient flipped: dW[m, n] pairs dout with the input patch at offset (m, n), no rotation.",
                lambda dout, x, w, s, p: conv_gradients_reference(dout, x, w, s, p)[1][::-1, ::-1]),
    ],
    hint=["out[n, i, j, f] = Σ_{m, k, c} padded[n, i·s + m, j·s + k, c] · w[m, k, c, f] + b[f].",
          "For each kernel offset (m, k), take the same strided slice of the padded input as in the forward pass and "
          "contract it with dout over the image and position axes (np.einsum or np.tensordot): (C_in, C_out).",
          "Sum over the whole batch: the weights are shared by every image and every position."],
    success="weight_gradient matches the reference on every test: summed over images and positions.",
)

q5 = FunctionQuestion(
    "ex06.q5", points=3, name="input_gradient", title="Write input_gradient(dout, x, w, stride, padding)",
    reference=lambda dout, x, w, stride=1, padding=0: conv_gradients_reference(dout, x, w, stride, padding)[0],
    make_args=_backward_cases,
    mistakes=[
        Mistake("kernel not flipped? As a 'full' convolution, dX = dout (dilated by the stride, zero-padded) "
                "convolved with the kernel rotated by 180°; or scatter: dpadded[window(i, j)] += dout[i, j] @ w.T.",
                lambda dout, x, w, s, p: conv_gradients_reference(dout, x, w[::-1, ::-1], s, p)[0]),
        Mistake("dX must have x's shape: crop the padding off (dpadded[:, P:P + H, P:P + W, :]).",
                lambda dout, x, w, s, p: None if p == 0 else
                np.zeros((x.shape[0], x.shape[1] + 2 * p, x.shape[2] + 2 * p, x.shape[3])), match="shape"),
        Mistake("dX has the INPUT channels: multiply dout (… C_out) by w[m, k].T (C_out × C_in).",
                lambda dout, x, w, s, p: np.zeros(x.shape[:3] + (w.shape[3],)),
                match="shape"),
    ],
    hint=["Every input pixel that fed output (n, i, j) through weight w[m, k] gets dout[n, i, j] @ w[m, k].T back.",
          "Mirror the forward pass: start from zeros of the PADDED input's shape; for each kernel offset (m, k), add "
          "dout times w[m, k] transposed into the same strided slice the forward pass read.",
          "Then crop the padding off; adding (not assigning) matters where windows overlap."],
    success="input_gradient matches the reference on every test: overlapping windows add up, padding cropped.",
)

NO_NUMERICAL_GRADIENT = (
    "your check finds no error in a dW that is wrong (some hidden tests give it a wrong dW): compute a NUMERICAL "
    "gradient, (L(w + eps) − L(w − eps)) / (2·eps) for every weight, with "
    "L(w) = sum(conv_forward(x, w, b, stride, padding) * dout), "
    "and compare dw with that, never dw with itself.")

q6 = FunctionQuestion(
    "ex06.q6", points=3, name="gradient_check", title="Write gradient_check(...): the max relative error of dW",
    reference=gradient_check_reference,
    make_args=_check_cases,
    rtol=1e-3, atol=1e-6,
    mistakes=[
        Mistake(NO_NUMERICAL_GRADIENT, lambda x, w, b, dout, dw, s, p: 0.0),
        Mistake("centred differences divide by 2·eps: (L(w + eps) − L(w − eps)) / (2·eps). Dividing by eps "
                "doubles the numerical gradient.",
                lambda x, w, b, dout, dw, s, p: max_relative_error(dw, 2 * numerical_weight_gradient(x, w, b, dout, s, p))),
        Mistake("that is the MEAN of the element-wise relative errors: return the max (one bad entry must show).",
                lambda x, w, b, dout, dw, s, p: float(np.mean(_elementwise_relative_errors(
                    dw, numerical_weight_gradient(x, w, b, dout, s, p))))),
        Mistake("that is the norm-based relative error ||a − b|| / (||a|| + ||b||); this question asks for the "
                "element-wise max: max |a − b| / (|a| + |b|).",
                lambda x, w, b, dout, dw, s, p: relative_error(dw, numerical_weight_gradient(x, w, b, dout, s, p))),
        Mistake("forgot the absolute value? Use |dw − numeric| in the numerator (and |dw| + |numeric| below).",
                lambda x, w, b, dout, dw, s, p: float(np.max((dw - (num := numerical_weight_gradient(
                    x, w, b, dout, s, p))) / np.maximum(np.abs(dw) + np.abs(num), 1e-8)))),
    ],
    hint=["L(w) = np.sum(conv_forward(x, w, b, stride, padding) * dout) has ∂L/∂out = dout, so its exact "
          "gradient is the dW of question 4.",
          "For every index of w (np.ndindex(w.shape)): set w[idx] = old + eps, evaluate L; old − eps, evaluate L; "
          "restore; numeric[idx] = (L₊ − L₋) / (2·eps). Work on a copy of w.",
          "The error is element-wise, |dw − numeric| / max(|dw| + |numeric|, 1e-8); return the largest one."],
    success="gradient_check returns the max relative error: about 1e-10 for a right dW, large for a wrong one.",
)


def _cols_shape():
    return im2col(np.zeros((2, 5, 5, 3)), 3).shape


p1 = ValueQuestion(
    "ex06.p1", points=0, names=["cols_shape"], integer=True, title="Practice: the im2col matrix's shape",
    expected=_cols_shape,
    mistakes=[Mistake("one ROW per output position of every image (N · H_out · W_out = 18), one COLUMN per "
                      "weight of a filter (kh · kw · C_in = 27).", [27, 18]),
              Mistake("count the positions of every image in the batch: N · H_out · W_out = 2 · 3 · 3.", [9, 27])],
    hint="im2col puts each receptive-field patch (kh · kw · C_in values) in one row: one row per output position.",
    solution="cols_shape = (2 * 3 * 3, 3 * 3 * 3)   # (N * H_out * W_out, kh * kw * C_in) = (18, 27)",
)

def _centred_error_ratio() -> float:
    """How much smaller the centred difference's error on w³ at w = 1 gets when eps shrinks from 1e-2 to 1e-3."""
    def error(eps):
        return abs(numerical_gradient(lambda w: float((w ** 3).sum()), np.array([1.0]), eps)[0] - 3.0)
    return error(1e-2) / error(1e-3)


p2 = PredictionQuestion(
    "ex06.p2", title="Predict, then check: how the numerical gradient's error shrinks with eps",
    expected=_centred_error_ratio,
    explanation="the centred difference cancels the eps·f″/2 term of a one-sided difference: its error is "
                "eps²·f‴/6 (here exactly eps², as f‴ = 6), so 10× smaller eps gives a 100× smaller error, "
                "where the one-sided difference gains only 10×. Below eps ≈ 1e-5 rounding (about 1e-16 / eps) "
                "takes over: that is why gradient checks use eps = 1e-5 in float64.",
    hint="Expand f(w ± eps) with Taylor's formula and subtract: which powers of eps are left in the error?",
)

EXERCISE = Exercise("06_conv_layer_backward", "A convolution layer: forward, backward, gradient check",
                    [q1, q2, q3, q4, q5, q6, p1, p2])
