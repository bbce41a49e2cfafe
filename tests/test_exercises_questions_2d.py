"""Exercises 02, 03, 05 and 06: every question's check() passes the solution, gives the known-wrong
answers their specific message, reports stubs as "not attempted", and agrees with the slides."""
import numpy as np
import pytest

from course_utils.checks.protocol import ERROR, PASS
from course_utils.conv import convolve2d, correlate2d, pool2d
from course_utils.exercises import ex02_cross_correlation_2d as ex02
from course_utils.exercises import ex03_sobel_edges as ex03
from course_utils.exercises import ex05_pooling_forward_backward as ex05
from course_utils.exercises import ex06_conv_layer_backward as ex06
from course_utils.filters import sobel_gradients
from course_utils.layers import Conv2D, max_relative_error, relative_error
from exercise_asserts import assert_not_attempted, assert_wrong, check, sourceless, stub


# --- exercise 02: 2D cross-correlation ---------------------------------------------------

IMAGE, KERNEL = ex02.IMAGE, ex02.KERNEL


def correlate_loops(image, kernel, padding=0, stride=1):
    padded = np.pad(np.asarray(image, dtype=float), padding)
    kh, kw = np.shape(kernel)
    out = np.zeros(((padded.shape[0] - kh) // stride + 1, (padded.shape[1] - kw) // stride + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(padded[i * stride:i * stride + kh, j * stride:j * stride + kw] * kernel)
    return out


def test_ex02_slide_values_and_the_slides_sign_slip():
    valid = correlate_loops(IMAGE, KERNEL)
    np.testing.assert_array_equal(valid, [[14, -12, 25], [17, -14, -7], [-14, 24, -3]])
    assert (valid != ex02.SLIDE_VALID).sum() == 2                # the slide prints -17 and 7
    same = correlate_loops(IMAGE, KERNEL, padding=1)
    np.testing.assert_array_equal(same[1:4, 1:4], valid)        # the slides' own padded result agrees with 17, -7
    np.testing.assert_array_equal(same[0], [9, 18, -14, -1, 26])
    np.testing.assert_array_equal(correlate_loops(IMAGE, KERNEL, 1, 2), [[9, -14, 26], [-1, -14, 19], [7, -16, 32]])


def test_ex02_q1():
    valid = correlate_loops(IMAGE, KERNEL)
    assert check(ex02.q1, valid).status == PASS
    assert check(ex02.q1, valid.astype(int).tolist()).status == PASS       # a list of ints is fine
    assert_wrong(check(ex02.q1, ex02.SLIDE_VALID), "valid[1, 0] is -17, too small", "sign slip?", "slide")
    assert_wrong(check(ex02.q1, valid.T), "valid[0, 1] is 17.0, too large", "transposed?")
    assert_wrong(check(ex02.q1, -valid), "every sign is flipped")
    assert_wrong(check(ex02.q1, correlate_loops(IMAGE, KERNEL, 1)), "shape (5, 5), expected (3, 3)", "'same'")
    assert_wrong(check(ex02.q1, "14, -12, 25"), "valid is a string, expected an array of shape (3, 3)")
    assert_wrong(check(ex02.q1, valid > 0), "True/False")
    assert_not_attempted(check(ex02.q1, None))


def test_ex02_q2_and_q3():
    same = correlate_loops(IMAGE, KERNEL, padding=1)
    assert check(ex02.q2, same).status == PASS
    assert_wrong(check(ex02.q2, correlate2d(np.pad(IMAGE, 1, mode="edge"), KERNEL)), "copying the edge pixels")
    assert_wrong(check(ex02.q2, correlate_loops(np.pad(IMAGE, 1), KERNEL, padding=1)), "shape (7, 7)",
                 "padding applied twice?")
    assert_wrong(check(ex02.q2, correlate_loops(IMAGE, KERNEL)), "shape (3, 3), expected (5, 5)", "valid size")
    assert_not_attempted(check(ex02.q2, None))
    strided = correlate_loops(IMAGE, KERNEL, 1, 2)
    assert check(ex02.q3, strided).status == PASS
    assert check(ex02.q3, same[::2, ::2]).status == PASS                   # the hint's shortcut
    assert_wrong(check(ex02.q3, same[:3, :3]), "strided[0, 1] is 18.0, too large", "moved by 1 pixel")
    assert_wrong(check(ex02.q3, correlate_loops(IMAGE, KERNEL, 0, 2)), "shape (2, 2)", "forgot the padding?")
    assert_wrong(check(ex02.q3, same), "shape (5, 5)", "that is stride 1")
    assert_not_attempted(check(ex02.q3, None))


def test_ex02_q4_correlate2d():
    assert check(ex02.q4, correlate_loops).status == PASS
    assert_wrong(check(ex02.q4, lambda im, k, p=0, s=1: correlate_loops(im, np.asarray(k)[::-1, ::-1], p, s)),
                 "on the slide's image with the Sobel x kernel", "kernel flipped?")
    assert_wrong(check(ex02.q4, lambda im, k, p=0, s=1: correlate_loops(np.pad(im, p), k, p, s)),
                 "padding applied twice?")
    assert_wrong(check(ex02.q4, lambda im, k, p=0, s=1: correlate_loops(im, k, p, 1)[
        :(np.shape(im)[0] + 2 * p - np.shape(k)[0]) // s + 1, :(np.shape(im)[1] + 2 * p - np.shape(k)[1]) // s + 1]),
        "on the slide's image with padding 1 and stride 2", "moved by 1 pixel")
    assert_wrong(check(ex02.q4, lambda im, k, p=0, s=1: correlate_loops(im, k, p, s).T), "transposed?")
    assert_wrong(check(ex02.q4, lambda im, k, p=0, s=1: correlate_loops(im, k, p, 1)), "shape (5, 5), expected (3, 3)",
                 "stride ignored?")
    assert_wrong(check(ex02.q4, lambda im, k, p=0, s=1: correlate_loops(im, k, 0, s)), "forgot the padding?")
    result = check(ex02.q4, lambda im, k, p=0, s=1: correlate_loops(im, k)[10])
    assert result.status == ERROR and "IndexError" in result.message and "\n" not in result.message
    assert_not_attempted(check(ex02.q4, stub))
    assert "scipy.signal" in ex02.q4.forbidden_modules


def test_ex02_q5_and_practice(capsys):
    assert check(ex02.q5, convolve2d(IMAGE, ex02.SOBEL_X)).status == PASS
    np.testing.assert_array_equal(correlate_loops(IMAGE, ex02.SOBEL_X[::-1, ::-1]), convolve2d(IMAGE, ex02.SOBEL_X))
    assert_wrong(check(ex02.q5, correlate_loops(IMAGE, ex02.SOBEL_X)), "every sign is flipped", "cross-correlation")
    assert_wrong(check(ex02.q5, convolve2d(IMAGE, ex02.SOBEL_X).T), "transposed?")
    assert_not_attempted(check(ex02.q5, None))
    valid = correlate_loops(IMAGE, KERNEL)
    assert check(ex02.p1, valid[::2, ::2]).status == PASS
    assert_wrong(check(ex02.p1, correlate_loops(IMAGE, KERNEL, 1, 2)), "no padding")
    ex02.p1.solution()
    assert "valid[::2, ::2]" in capsys.readouterr().out
    ex02.q4.solution()
    assert "graded: no solution" in capsys.readouterr().out


# --- exercise 03: Sobel edges -----------------------------------------------------------

def sobel_loops(image):
    image = np.asarray(image, dtype=float)
    h, w = image.shape
    padded = np.pad(image, 1, mode="edge")
    out = []
    for kernel in (np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]]), np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]])):
        flipped = kernel[::-1, ::-1]
        g = np.zeros((h, w))
        for i in range(h):
            for j in range(w):
                g[i, j] = np.sum(padded[i:i + 3, j:j + 3] * flipped)
        out.append(g)
    return np.stack(out)


def test_ex03_q1_sobel_xy():
    assert check(ex03.q1, sobel_loops).status == PASS
    step = np.repeat([[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]], 4, axis=0)
    assert sobel_loops(step)[0, 0].tolist() == [0, 0, 4, 4, 0, 0]          # +4 across a dark-to-bright step
    assert_wrong(check(ex03.q1, lambda im: sobel_loops(im)[::-1]), "x and y swapped?")
    assert_wrong(check(ex03.q1, lambda im: -sobel_loops(im)), "every sign is flipped", "true convolution")
    assert_wrong(check(ex03.q1, lambda im: np.stack(sobel_gradients(im, border="zero")[:2])), "only the border",
                 "REPLICATING")
    assert_wrong(check(ex03.q1, lambda im: sobel_loops(im)[:, 1:-1, 1:-1]), "shape (2, 4, 6), expected (2, 6, 8)",
                 "valid size")
    assert_wrong(check(ex03.q1, lambda im: np.moveaxis(sobel_loops(im), 0, -1)), "NEW FIRST axis")
    assert_wrong(check(ex03.q1, lambda im: sobel_loops(im)[0]), "shape (6, 8), expected (2, 6, 8)")
    assert_not_attempted(check(ex03.q1, stub))


def test_ex03_q2_magnitude_and_orientation():
    gx, gy = ex03.GX, ex03.GY
    magnitude, orientation = np.sqrt(gx**2 + gy**2), np.degrees(np.arctan2(gy, gx))
    np.testing.assert_allclose(orientation, [0, 90, 180, 45, -135, -90])
    assert check(ex03.q2, magnitude, orientation).status == PASS
    assert_wrong(check(ex03.q2, magnitude, np.degrees(np.arctan2(gx, gy))), "orientation[0] is 90.0, too large",
                 "atan2 takes gy first", "(1/2 correct)")
    assert_wrong(check(ex03.q2, magnitude, np.radians(orientation)), "radians")
    with np.errstate(divide="ignore", invalid="ignore"):
        quotient = np.degrees(np.arctan(gy / gx))
    assert_wrong(check(ex03.q2, magnitude, quotient), "loses the quadrant")
    assert_wrong(check(ex03.q2, gx**2 + gy**2, orientation), "magnitude[0] is 16.0, too large",
                 "forgot the square root?")
    assert check(ex03.q2, gx**2 + gy**2, orientation).points == 1
    assert_not_attempted(check(ex03.q2, None, None))


def test_ex03_q3_edge_map():
    gx, gy = sobel_loops(ex03.IMAGE)
    edges = np.sqrt(gx**2 + gy**2) > ex03.THRESHOLD
    assert (int(edges.sum()), edges.mean()) == (27, 0.5625)
    assert np.abs(np.sqrt(gx**2 + gy**2) - ex03.THRESHOLD).min() > 0.1      # no pixel sits on the threshold
    assert check(ex03.q3, int(edges.sum()), edges.mean()).status == PASS
    squared = gx**2 + gy**2 > ex03.THRESHOLD
    assert_wrong(check(ex03.q3, int(squared.sum()), squared.mean()), "forgot the square root?")
    assert_wrong(check(ex03.q3, 27, 56.25), "edge_fraction is 56.25, too large", "not multiply by 100")
    zero = np.hypot(*np.stack(sobel_gradients(ex03.IMAGE, border="zero")[:2])) > ex03.THRESHOLD
    assert_wrong(check(ex03.q3, int(zero.sum()), zero.mean()), "the border")
    assert_wrong(check(ex03.q3, 27, 27), "that is the count")
    assert_not_attempted(check(ex03.q3, None, None))


def test_ex03_q4_kernel_sums_and_practice(capsys):
    sums, flat = [1, 1, 1, 0, 0, 0], [0.5, 0.5, 0.5, 0, 0, 0]
    assert check(ex03.q4, sums, flat).status == PASS
    assert_wrong(check(ex03.q4, [1, 1, 9, 8, 8, 8], flat), "kernel_sums[2] is 9, too large", "signed weights")
    assert_wrong(check(ex03.q4, sums, sums), "flat_response[0] is 1, too large", "those are the kernel sums")
    assert_wrong(check(ex03.q4, sums[:5], flat), "shape (5,), expected (6,)", "6 in all")
    assert_not_attempted(check(ex03.q4, None, None))
    orientation = np.array([0.0, 90.0, 180.0, 45.0, -135.0, -90.0])
    assert check(ex03.p1, np.mod(orientation, 180)).status == PASS
    assert_wrong(check(ex03.p1, np.abs(orientation)), "np.mod")
    ex03.p1.solution()
    assert "np.mod(orientation, 180)" in capsys.readouterr().out


# --- exercise 05: pooling forward and backward ------------------------------------------

X4, X5 = ex05.X4, ex05.X5


def maxpool_loops(x, size, stride):
    x = np.asarray(x, dtype=float)
    out = np.zeros(((x.shape[0] - size) // stride + 1, (x.shape[1] - size) // stride + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = x[i * stride:i * stride + size, j * stride:j * stride + size].max()
    return out


def maxpool_backward_loops(dout, x, size, stride):
    x = np.asarray(x, dtype=float)
    dx = np.zeros_like(x)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            window = x[i * stride:i * stride + size, j * stride:j * stride + size]
            r, c = np.unravel_index(np.argmax(window), window.shape)
            dx[i * stride + r, j * stride + c] += dout[i, j]
    return dx


def test_ex05_slide_examples():
    np.testing.assert_array_equal(maxpool_loops(X4, 2, 2), [[6, 8], [3, 4]])
    np.testing.assert_array_equal(maxpool_loops(X5, 3, 1), [[3, 3, 3], [3, 3, 3], [3, 2, 3]])
    np.testing.assert_array_equal(pool2d(X4, 2, mode="avg"), [[3.25, 5.25], [2, 2]])
    dx = maxpool_backward_loops(np.ones((3, 3)), X5, 3, 1)
    assert dx[1, 3] == 3 and dx.sum() == 9               # the 3 at row 1, column 3 wins three windows
    np.testing.assert_array_equal(dx, ex05.maxpool_backward_reference(np.ones((3, 3)), X5, 3, 1))


def test_ex05_q1_and_q2():
    assert check(ex05.q1, [[6, 8], [3, 4]], [[3, 3, 3], [3, 3, 3], [3, 2, 3]]).status == PASS
    assert_wrong(check(ex05.q1, pool2d(X4, 2, mode="avg"), maxpool_loops(X5, 3, 1)),
                 "pooled_2x2[0, 0] is 3.25, too small", "averaging instead of max?", "(1/2 correct)")
    assert_wrong(check(ex05.q1, maxpool_loops(X4, 2, 1), maxpool_loops(X5, 3, 1)), "shape (3, 3), expected (2, 2)",
                 "stride ignored?")
    assert_wrong(check(ex05.q1, maxpool_loops(X4, 2, 2), maxpool_loops(X5, 3, 3)), "shape (1, 1)", "that is stride 3")
    assert_wrong(check(ex05.q1, maxpool_loops(X4, 2, 2), maxpool_loops(X5, 3, 1).T), "transposed?")
    assert_not_attempted(check(ex05.q1, None, None))
    assert check(ex05.q2, [[3.25, 5.25], [2, 2]]).status == PASS
    assert_wrong(check(ex05.q2, [[6, 8], [3, 4]]), "that is max pooling")
    assert_wrong(check(ex05.q2, [[13, 21], [8, 8]]), "each window's sum")
    assert_wrong(check(ex05.q2, [[3, 5], [2, 2]]), "integer division?")
    assert_not_attempted(check(ex05.q2, None))


def test_ex05_q3_maxpool_forward():
    assert check(ex05.q3, maxpool_loops).status == PASS
    assert_wrong(check(ex05.q3, lambda x, size, stride: pool2d(x, size, stride, mode="avg")),
                 "on the slides' 4×4 map (2×2, stride 2)", "averaging instead of max?")
    assert_wrong(check(ex05.q3, lambda x, size, stride: maxpool_loops(x, size, 1)), "stride ignored?")
    assert_wrong(check(ex05.q3, lambda x, size, stride: maxpool_loops(x, size, size)),
                 "on the slides' 5×5 map (3×3, stride 1)", "moves by `stride`, not by `size`")
    assert_wrong(check(ex05.q3, lambda x, size, stride: maxpool_loops(x, size, stride).T), "transposed?")

    def with_partial_windows(x, size, stride):
        x = np.asarray(x, dtype=float)
        rows, cols = (-(-(n - size) // stride) + 1 for n in x.shape)
        return np.array([[x[i * stride:i * stride + size, j * stride:j * stride + size].max() for j in range(cols)]
                         for i in range(rows)])

    assert_wrong(check(ex05.q3, with_partial_windows), "is dropped", "floor")
    assert_not_attempted(check(ex05.q3, stub))


def test_ex05_q4_maxpool_backward():
    assert check(ex05.q4, maxpool_backward_loops).status == PASS
    assert_wrong(check(ex05.q4, sourceless(lambda d, x, s, t: ex05._route(d, x, s, t, "spread"))),
                 "on the slides' 4×4 map (2×2, stride 2), the result[0, 0] is 10.0, too large", "spread to every")
    assert_wrong(check(ex05.q4, sourceless(lambda d, x, s, t: ex05._route(d, x, s, t, "even"))), "average pooling's gradient")

    def overwrite(dout, x, size, stride):
        dx = np.zeros_like(np.asarray(x, dtype=float))
        for i in range(dout.shape[0]):
            for j in range(dout.shape[1]):
                window = x[i * stride:i * stride + size, j * stride:j * stride + size]
                r, c = np.unravel_index(np.argmax(window), window.shape)
                dx[i * stride + r, j * stride + c] = dout[i, j]
        return dx

    assert_wrong(check(ex05.q4, overwrite), "5×5 map (3×3, stride 1: overlaps and ties)", "SUM", "+=")

    def all_ties(dout, x, size, stride):
        dx = np.zeros_like(np.asarray(x, dtype=float))
        for i in range(dout.shape[0]):
            for j in range(dout.shape[1]):
                window = x[i * stride:i * stride + size, j * stride:j * stride + size]
                dx[i * stride:i * stride + size, j * stride:j * stride + size] += (window == window.max()) * dout[i, j]
        return dx

    result = check(ex05.q4, all_ties)
    assert_wrong(result, "ties: give the gradient to ONE position", "np.argmax")
    assert result.points > 0                                 # random maps have no ties: partial credit
    assert_wrong(check(ex05.q4, lambda d, x, s, t: maxpool_backward_loops(d, x, s, 1) if
                       (d.shape[0] - 1) + s <= x.shape[0] and (d.shape[1] - 1) + s <= x.shape[1] else np.zeros(x.shape)),
                 "stride ignored?")
    assert_wrong(check(ex05.q4, lambda d, x, s, t: d), "shape (2, 2), expected (4, 4)")
    assert_not_attempted(check(ex05.q4, stub))


def test_ex05_q5_output_sizes_and_practice(capsys):
    assert check(ex05.q5, 112, 6, 3).status == PASS
    assert_wrong(check(ex05.q5, 112, 6, 4), "out_c is 4, too large", "round down", "(2/3 correct)")
    assert_wrong(check(ex05.q5, 112, 11, 3), "out_b is 11", "stride ignored?")
    assert_wrong(check(ex05.q5, 112, 4, 3), "overlapping pooling")
    assert_wrong(check(ex05.q5, 112, 6, 3.5), "whole number")
    assert_not_attempted(check(ex05.q5, None, None, None))
    dout = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert check(ex05.p1, np.kron(dout, np.ones((2, 2))) / 4).status == PASS
    assert_wrong(check(ex05.p1, np.kron(dout, np.ones((2, 2)))), "dout / 4")
    assert_wrong(check(ex05.p1, maxpool_backward_loops(dout, X4, 2, 2)), "that is max pooling's gradient")
    ex05.p1.solution()
    assert "np.kron" in capsys.readouterr().out


def test_maxpool_reference_is_the_layers_maxpool():
    rng = np.random.default_rng(5)
    for x, size, stride in ex05._forward_cases(rng):
        dout = rng.normal(size=pool2d(x, size, stride).shape)
        np.testing.assert_allclose(ex05.maxpool_backward_reference(dout, x, size, stride),
                                   maxpool_backward_loops(dout, x, size, stride))


# --- exercise 06: convolution layer backward -------------------------------------------

def conv_forward_loops(x, w, b, stride=1, padding=0):
    x = np.pad(np.asarray(x, dtype=float), ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    kh, kw, _, c_out = w.shape
    oh, ow = (x.shape[1] - kh) // stride + 1, (x.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, c_out))
    for n in range(x.shape[0]):
        for i in range(oh):
            for j in range(ow):
                patch = x[n, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
                out[n, i, j] = np.tensordot(patch, w, axes=3) + b
    return out


def conv_backward_loops(dout, x, w, stride=1, padding=0):
    xp = np.pad(np.asarray(x, dtype=float), ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    kh, kw = w.shape[:2]
    dxp, dw = np.zeros_like(xp), np.zeros(w.shape)
    for n in range(dout.shape[0]):
        for i in range(dout.shape[1]):
            for j in range(dout.shape[2]):
                rows, cols = slice(i * stride, i * stride + kh), slice(j * stride, j * stride + kw)
                dw += xp[n, rows, cols, :, None] * dout[n, i, j]
                dxp[n, rows, cols, :] += w @ dout[n, i, j]
    h, wd = x.shape[1:3]
    return dxp[:, padding:padding + h, padding:padding + wd, :], dw, dout.sum(axis=(0, 1, 2))


def test_ex06_q1_shapes_and_params():
    assert check(ex06.q1, (8, 16, 16, 10), 760).status == PASS
    assert check(ex06.q1, [8, 16, 16, 10], 760).status == PASS
    assert_wrong(check(ex06.q1, (8, 10, 16, 16), 760), "out_shape[1] is 10, too small", "channels-first?",
                 "(1/2 correct)")
    assert_wrong(check(ex06.q1, (8, 14, 14, 10), 760), "forgot the padding?")
    assert_wrong(check(ex06.q1, (8, 16, 16, 10), 750), "n_params is 750, too small", "forgot the bias?")
    assert_wrong(check(ex06.q1, (8, 16, 16, 10), 260), "all 3 input channels")
    assert_wrong(check(ex06.q1, (16, 16, 10), 760), "shape (3,), expected (4,)", "the batch included")
    assert_not_attempted(check(ex06.q1, None, None))


def test_ex06_q2_conv_forward():
    assert check(ex06.q2, conv_forward_loops).status == PASS
    assert check(ex06.q2, conv_forward_offsets).status == PASS
    out = conv_forward_loops(ex06.SLIDE_IMAGE, ex06.SLIDE_KERNEL, np.zeros(1))
    np.testing.assert_array_equal(out[0, :, :, 0], [[14, -12, 25], [17, -14, -7], [-14, 24, -3]])
    assert_wrong(check(ex06.q2, lambda x, w, b, s=1, p=0: conv_forward_loops(x, w, 0 * b, s, p)),
                 "on a 4×4 image of ones, one 3×3 filter of ones, bias 1, the result[0, 0, 0, 0] is 9.0, too small",
                 "forgot the bias?")
    assert_wrong(check(ex06.q2, lambda x, w, b, s=1, p=0: conv_forward_loops(
        x, w.reshape(w.shape[3], -1).T.reshape(w.shape), b, s, p)), "wrong weight layout?", "channels-first")
    assert_wrong(check(ex06.q2, lambda x, w, b, s=1, p=0: conv_forward_loops(x, w, b, s, p).transpose(0, 3, 1, 2)),
                 "channels-first output?")
    assert_wrong(check(ex06.q2, lambda x, w, b, s=1, p=0: conv_forward_loops(x, w[::-1, ::-1], b, s, p)),
                 "kernel flipped?")
    assert_wrong(check(ex06.q2, lambda x, w, b, s=1, p=0: conv_forward_loops(x, w, b, 1, p)), "stride ignored?")
    assert_wrong(check(ex06.q2, lambda x, w, b, s=1, p=0: conv_forward_loops(x, w, b, s, 0)), "forgot the padding?")
    assert_not_attempted(check(ex06.q2, stub))


def test_ex06_q3_bias_gradient():
    assert check(ex06.q3, lambda dout: dout.sum(axis=(0, 1, 2))).status == PASS
    assert_wrong(check(ex06.q3, lambda dout: dout.sum(axis=(1, 2))), "shape (2, 2), expected (2,)",
                 "not summed over the batch")
    assert_wrong(check(ex06.q3, lambda dout: dout.sum(axis=0)), "not summed over the positions")
    assert_wrong(check(ex06.q3, lambda dout: dout.mean(axis=(0, 1, 2))), "that is the mean")
    assert_wrong(check(ex06.q3, lambda dout: dout.sum()), "a single number", "expected an array of shape (2,)")
    assert_not_attempted(check(ex06.q3, stub))


def test_ex06_q4_q5_weight_and_input_gradients():
    assert check(ex06.q4, lambda d, x, w, s=1, p=0: conv_backward_loops(d, x, w, s, p)[1]).status == PASS
    assert check(ex06.q5, lambda d, x, w, s=1, p=0: conv_backward_loops(d, x, w, s, p)[0]).status == PASS
    assert_wrong(check(ex06.q4, lambda d, x, w, s=1, p=0: conv_backward_loops(d[:1], x[:1], w, s, p)[1]),
                 "dW not summed over the batch?")
    assert_wrong(check(ex06.q4, lambda d, x, w, s=1, p=0: conv_backward_loops(d, x, w, s, p)[1] / len(x)),
                 "batch MEAN")
    assert_wrong(check(ex06.q4, lambda d, x, w, s=1, p=0: np.stack(
        [conv_backward_loops(d[n:n + 1], x[n:n + 1], w, s, p)[1] for n in range(len(x))])),
        "shape (2, 3, 3, 1, 2), expected (3, 3, 1, 2)", "one gradient, of w's shape")
    assert_wrong(check(ex06.q4, lambda d, x, w, s=1, p=0: conv_backward_loops(d, x, w, s, p)[1].transpose(3, 2, 0, 1)),
                 "wrong weight layout?")
    assert_wrong(check(ex06.q4, lambda d, x, w, s=1, p=0: conv_backward_loops(d, x, w, s, p)[1][::-1, ::-1]),
                 "kernel gradient flipped")
    assert_not_attempted(check(ex06.q4, stub))
    assert_wrong(check(ex06.q5, lambda d, x, w, s=1, p=0: conv_backward_loops(d, x, w[::-1, ::-1], s, p)[0]),
                 "kernel not flipped?")
    assert_wrong(check(ex06.q5, lambda d, x, w, s=1, p=0: np.pad(conv_backward_loops(d, x, w, s, p)[0],
                                                                 ((0, 0), (p, p), (p, p), (0, 0)))),
                 "shape (1, 8, 9, 2), expected (1, 6, 7, 2)", "crop the padding")
    assert_not_attempted(check(ex06.q5, stub))


def conv_forward_offsets(x, w, b, stride=1, padding=0):
    """The same layer, one matrix product per kernel offset (fast enough for many gradient checks)."""
    x = np.pad(np.asarray(x, dtype=float), ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    kh, kw = w.shape[:2]
    oh, ow = (x.shape[1] - kh) // stride + 1, (x.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, w.shape[3]))
    for m in range(kh):
        for k in range(kw):
            out += x[:, m:m + stride * (oh - 1) + 1:stride, k:k + stride * (ow - 1) + 1:stride, :] @ w[m, k]
    return out + b


def numerical_gradient_check(x, w, b, dout, dw, stride=1, padding=0, eps=1e-5, divide=2.0, reduce=np.max):
    w = np.array(w, dtype=float)
    numeric = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        old = w[idx]
        w[idx] = old + eps
        plus = np.sum(conv_forward_offsets(x, w, b, stride, padding) * dout)
        w[idx] = old - eps
        minus = np.sum(conv_forward_offsets(x, w, b, stride, padding) * dout)
        w[idx] = old
        numeric[idx] = (plus - minus) / (divide * eps)
    return float(reduce(np.abs(dw - numeric) / np.maximum(np.abs(dw) + np.abs(numeric), 1e-8)))


def test_ex06_q6_gradient_check():
    cases = ex06._check_cases(np.random.default_rng(3))
    values = [ex06.gradient_check_reference(*case) for case in cases]
    assert max(values[0:6:2]) < 1e-8                           # the right dW
    np.testing.assert_allclose(values[1:6:2], 1.0)            # one entry with the wrong sign
    np.testing.assert_allclose(values[6:], [1 / 3, values[7], 0.001 / 2.001], rtol=1e-6)
    assert values[7] > 0.1                                    # a flipped kernel gradient is caught
    x, w, b, dout, dw, s, p = cases[0]
    layer = Conv2D(w, b, s, p)
    layer.forward(x)
    layer.backward(dout)
    np.testing.assert_allclose(layer.dW, dw)
    assert check(ex06.q6, numerical_gradient_check).status == PASS
    assert_wrong(check(ex06.q6, lambda *a: numerical_gradient_check(*a, divide=1.0)), "divide by 2·eps")
    assert_wrong(check(ex06.q6, lambda *a: numerical_gradient_check(*a, reduce=np.mean)), "MEAN")
    assert_wrong(check(ex06.q6, sourceless(lambda x, w, b, d, dw, s=1, p=0: relative_error(dw, ex06.numerical_weight_gradient(
        x, w, b, d, s, p)))), "norm-based")
    assert_wrong(check(ex06.q6, sourceless(lambda x, w, b, d, dw, s=1, p=0: ex06.numerical_weight_gradient(x, w, b, d, s, p))),
                 "expected a single number")
    assert_not_attempted(check(ex06.q6, stub))
    assert max_relative_error(dw, dw) == 0.0


def test_ex06_practice(capsys):
    assert check(ex06.p1, (18, 27)).status == PASS
    assert_wrong(check(ex06.p1, (27, 18)), "one ROW per output position")
    assert_wrong(check(ex06.p1, (9, 27)), "every image in the batch")
    ex06.p1.solution()
    assert "(18, 27)" in capsys.readouterr().out


@pytest.mark.parametrize("exercise", [ex02.EXERCISE, ex03.EXERCISE, ex05.EXERCISE, ex06.EXERCISE],
                         ids=lambda e: e.notebook)
def test_each_exercise_has_four_to_six_graded_questions_and_a_practice_one(exercise):
    graded = [q for q in exercise.questions if q.points > 0]
    assert 4 <= len(graded) <= 6
    assert any(q.points == 0 for q in exercise.questions)
    kinds = {type(q).__name__ for q in graded}
    assert kinds == {"ValueQuestion", "FunctionQuestion"}     # numeric answers and functions to write
    for q in exercise.questions:
        assert q.hints, q.id


# --- predict, then check -------------------------------------------------------------

@pytest.mark.parametrize("question, measured, right, wrong, says", [
    (ex02.p2, 4.0, 4, 9, "too large: the measured value is 4.0"),
    (ex03.p2, 4.0, np.float32(4), 1, "too small: the measured value is 4.0"),
    (ex05.p2, 6, 6.0, 9, "too large: the measured value is 6"),
    (ex06.p2, pytest.approx(100, rel=1e-6), 100, 10, "too small: the measured value is 100"),
], ids=["ex02.p2", "ex03.p2", "ex05.p2", "ex06.p2"])
def test_predictions_measure_explain_and_accept_other_forms(question, measured, right, wrong, says):
    assert question.expected() == {"prediction": measured}
    assert check(question, right).status == PASS
    assert_wrong(check(question, wrong), says, "Why: ")
    assert question.points == 0 and not check(question, None).attempted
