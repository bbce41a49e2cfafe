"""Answers written as students write them: per question, correct ones in other forms than the
solution and wrong ones outside its known-mistake list. ``run_check_corpus()`` runs each the way
a student's notebook does (an IPython shell: the context cells, the graded cell, then
``check()``); the agreement test grades the same answers with the grader."""
from __future__ import annotations

import io
import sys
from contextlib import redirect_stdout

from course_utils.checks.protocol import Probe
from course_utils.exercises import all_exercises
from course_utils.grading.job import instructor_cells
from course_utils.grading.synthetic import graded_sources

RIGHT, WRONG = True, False
MOBILE_STAGE = ("def mobile_stage():\n    inputs = keras.Input((28, 28, 16))\n"
                "    x = inverted_residual(inputs, 24, expansion=6, stride=2)\n"
                "    return keras.Model(inputs, inverted_residual(x, 24, expansion=6, stride=1))")
CORPUS = {
    "ex01.q1": [("y = np.array([x[n] - (x[n - 2] if n >= 2 else 0) if n < 8 else -x[n - 2] for n in range(10)])", RIGHT),
                ("y = np.r_[x, 0, 0] - np.r_[0, 0, x]", RIGHT),
                ("y = list(np.r_[x, 0, 0] - np.r_[0, 0, x])", RIGHT),
                ("y = np.r_[x, 0, 0] - np.r_[0, x, 0]", WRONG),
                ("y = np.r_[x, 0, 0] - 0.5 * np.r_[0, 0, x]", WRONG),
                ("y = np.convolve(x, h)", RIGHT),          # question 1 bans no call: NumPy's convolution is allowed
                ("import scipy.signal\ny = scipy.signal.convolve(x, h)", WRONG)],
    "ex01.q2": [("n_full, n_same, n_valid = 106, 100, 94", RIGHT),
                ("n_full = 106.0\nn_same = 100\nn_valid = 94", RIGHT),
                ("n_full, n_same, n_valid = 105, 100, 94", WRONG),
                ("n_full, n_same, n_valid = 106, 100, 95", WRONG),
                ("n_full, n_same, n_valid = 106, 106, 94", WRONG)],
    "ex01.q3": [("def conv1d_full(x, h):\n    y = np.zeros(len(x) + len(h) - 1)\n    for n in range(len(y)):\n"
                 "        for k in range(len(h)):\n            if 0 <= n - k < len(x):\n                y[n] += h[k] * x[n - k]\n"
                 "    return y", RIGHT),
                ("def conv1d_full(x, h):\n    y = np.zeros(len(x) + len(h) - 1, dtype=np.float32)\n    for k in range(len(h)):\n"
                 "        y[k:k + len(x)] += np.float32(h[k]) * np.asarray(x, dtype=np.float32)\n    return y", RIGHT),
                ("def conv1d_full(x, h):\n    return [sum(h[k] * x[n - k] for k in range(len(h)) if 0 <= n - k < len(x))\n"
                 "            for n in range(len(x) + len(h) - 1)]", RIGHT),
                ("def conv1d_full(x, h):\n    y = np.zeros(len(x) + len(h) - 1)\n    for k in range(len(h)):\n"
                 "        y[k:k + len(x)] += h[k] * x\n", WRONG),                         # forgot return
                ("def conv1d_full(x, h):\n    return np.convolve(x, h)", WRONG),          # forbidden
                ("def conv1d_full(x, h):\n    y = np.zeros(len(x) + len(h) - 1)\n    for k in range(len(h)):\n"
                 "        y[k:k + len(x)] = h[k] * x\n    return y", WRONG),               # = instead of +=
                ("from scipy.signal import convolve\ndef conv1d_full(x, h):\n    return convolve(x, h)", WRONG)],
    "ex01.q4": [("def convolution_matrix(h, n):\n    T = np.zeros((n + len(h) - 1, n))\n    for i in range(T.shape[0]):\n"
                 "        for j in range(n):\n            if 0 <= i - j < len(h):\n                T[i, j] = h[i - j]\n    return T", RIGHT),
                ("def convolution_matrix(h, n):\n    return np.stack([np.r_[np.zeros(j), h, np.zeros(n - 1 - j)] for j in range(n)], axis=1)", RIGHT),
                ("def convolution_matrix(h, n):\n    return np.stack([np.convolve(np.eye(n)[j], h) for j in range(n)], axis=1)", WRONG),
                ("def convolution_matrix(h, n):\n    T = np.zeros((n + len(h) - 1, n))\n    for j in range(n):\n"
                 "        T[j:j + len(h), j] = h\n    return T.T @ T", WRONG),
                ("def convolution_matrix(h, n):\n    T = np.zeros((n + len(h) - 1, n))\n    for j in range(n):\n"
                 "        T[j, j:j + len(h)] = h[:n - j]\n    return T", WRONG),
                ("import scipy.linalg\ndef convolution_matrix(h, n):\n    return scipy.linalg.convolution_matrix(h, n)", WRONG)],
    "ex01.p1": [("y_delay = np.r_[0, 0, 0, x]", RIGHT), ("y_delay = np.concatenate([np.zeros(3), x])", RIGHT),
                ("y_delay = np.r_[x, 0, 0, 0]", WRONG), ("y_delay = np.r_[0, 0, x]", WRONG), ("y_delay = np.r_[0, 0, 0, x[:-3]]", WRONG)],
    "ex02.q1": [("from numpy.lib.stride_tricks import sliding_window_view\n"
                 "valid = (sliding_window_view(image, (3, 3)) * kernel).sum(axis=(2, 3))", RIGHT),
                ("valid = [[int(np.sum(image[i:i + 3, j:j + 3] * kernel)) for j in range(3)] for i in range(3)]", RIGHT),
                ("valid = np.array([[np.sum(image[i:i + 3, j:j + 3] * kernel) for j in range(2)] for i in range(2)])", WRONG),
                ("valid = np.array([[np.sum(image[i:i + 3, j:j + 3] @ kernel) for j in range(3)] for i in range(3)])", WRONG),
                ("valid = np.array([[np.mean(image[i:i + 3, j:j + 3] * kernel) for j in range(3)] for i in range(3)])", WRONG),
                ("import scipy.signal\nvalid = scipy.signal.correlate2d(image, kernel, 'valid')", WRONG)],
    "ex02.q2": [("from numpy.lib.stride_tricks import sliding_window_view\n"
                 "same = (sliding_window_view(np.pad(image, 1), (3, 3)) * kernel).sum(axis=(2, 3))", RIGHT),
                ("padded = np.zeros((7, 7))\npadded[1:6, 1:6] = image\nsame = np.zeros((5, 5))\nfor i in range(5):\n"
                 "    for j in range(5):\n        same[i, j] = (padded[i:i + 3, j:j + 3] * kernel).sum()", RIGHT),
                ("padded = np.pad(image, ((0, 2), (0, 2)))\n"                                    # both zeros on one side
                 "same = np.array([[np.sum(padded[i:i + 3, j:j + 3] * kernel) for j in range(5)] for i in range(5)])", WRONG),
                ("padded = np.pad(image, 1, constant_values=1)\n"
                 "same = np.array([[np.sum(padded[i:i + 3, j:j + 3] * kernel) for j in range(5)] for i in range(5)])", WRONG),
                ("padded = np.pad(image, 1)\nsame = np.zeros((5, 5))\nfor i in range(4):\n    for j in range(4):\n"
                 "        same[i, j] = np.sum(padded[i:i + 3, j:j + 3] * kernel)", WRONG)],
    "ex02.q3": [("strided = same[::2, ::2]", RIGHT),
                ("from numpy.lib.stride_tricks import sliding_window_view\n"
                 "strided = np.einsum('ijkl,kl->ij', sliding_window_view(np.pad(image, 1), (3, 3))[::2, ::2], kernel)", RIGHT),
                ("strided = same[1::2, 1::2]", WRONG),
                ("padded = np.pad(image, 1, mode='edge')\n"
                 "strided = np.array([[np.sum(padded[2*i:2*i + 3, 2*j:2*j + 3] * kernel) for j in range(3)] for i in range(3)])", WRONG),
                ("padded = np.pad(image, 2)\n"
                 "strided = np.array([[np.sum(padded[2*i:2*i + 3, 2*j:2*j + 3] * kernel) for j in range(3)] for i in range(3)])", WRONG)],
    "ex02.q4": [("def correlate2d(image, kernel, padding=0, stride=1):\n"
                 "    padded = np.pad(np.asarray(image, float), padding)\n"
                 "    windows = np.lib.stride_tricks.sliding_window_view(padded, np.shape(kernel))[::stride, ::stride]\n"
                 "    return np.einsum('ijkl,kl->ij', windows, kernel)", RIGHT),
                ("def correlate2d(image, kernel, padding=0, stride=1):\n    image, kernel = np.asarray(image), np.asarray(kernel)\n"
                 "    p = np.zeros((image.shape[0] + 2 * padding, image.shape[1] + 2 * padding))\n"
                 "    p[padding:padding + image.shape[0], padding:padding + image.shape[1]] = image\n    kh, kw = kernel.shape\n"
                 "    return [[float((p[i:i + kh, j:j + kw] * kernel).sum()) for j in range(0, p.shape[1] - kw + 1, stride)]\n"
                 "            for i in range(0, p.shape[0] - kh + 1, stride)]", RIGHT),
                ("def correlate2d(image, kernel, padding=0, stride=1):\n"                      # forgot the + 1
                 "    padded = np.pad(np.asarray(image, float), padding)\n    kh, kw = np.shape(kernel)\n"
                 "    out = np.zeros(((padded.shape[0] - kh) // stride, (padded.shape[1] - kw) // stride))\n"
                 "    for i in range(out.shape[0]):\n        for j in range(out.shape[1]):\n"
                 "            out[i, j] = np.sum(padded[i*stride:i*stride + kh, j*stride:j*stride + kw] * kernel)\n    return out", WRONG),
                ("def correlate2d(image, kernel, padding=0, stride=1):\n"                      # kernel transposed
                 "    padded = np.pad(np.asarray(image, float), padding)\n    kh, kw = np.shape(kernel)\n"
                 "    out = np.zeros(((padded.shape[0] - kh) // stride + 1, (padded.shape[1] - kw) // stride + 1))\n"
                 "    for i in range(out.shape[0]):\n        for j in range(out.shape[1]):\n"
                 "            out[i, j] = np.sum(padded[i*stride:i*stride + kh, j*stride:j*stride + kw] * np.asarray(kernel).T)\n"
                 "    return out", WRONG),
                ("def correlate2d(image, kernel, padding=0, stride=1):\n"                      # padding on one side only
                 "    padded = np.pad(np.asarray(image, float), ((2 * padding, 0), (2 * padding, 0)))\n    kh, kw = np.shape(kernel)\n"
                 "    out = np.zeros(((padded.shape[0] - kh) // stride + 1, (padded.shape[1] - kw) // stride + 1))\n"
                 "    for i in range(out.shape[0]):\n        for j in range(out.shape[1]):\n"
                 "            out[i, j] = np.sum(padded[i*stride:i*stride + kh, j*stride:j*stride + kw] * kernel)\n    return out", WRONG),
                ("from scipy.signal import correlate2d as scipy_correlate\ndef correlate2d(image, kernel, padding=0, stride=1):\n"
                 "    return scipy_correlate(np.pad(image, padding), kernel, 'valid')[::stride, ::stride]", WRONG)],
    "ex02.q5": [("sobel_x = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])\nsobel_conv = correlate2d(image, np.flip(sobel_x))", RIGHT),
                ("sobel_x = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])\nsobel_conv = correlate2d(image, np.rot90(sobel_x, 2))", RIGHT),
                ("sobel_x = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])\nsobel_conv = correlate2d(image, sobel_x[:, ::-1])", RIGHT),
                ("sobel_x = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])\nsobel_conv = correlate2d(image, sobel_x.T)", WRONG),
                ("sobel_x = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])\nsobel_conv = correlate2d(image[::-1, ::-1], sobel_x)", WRONG),
                ("sobel_x = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])\nsobel_conv = correlate2d(image, sobel_x[::-1, ::-1], stride=2)", WRONG)],
    "ex03.q1": [("def sobel_xy(image):\n    p = np.pad(np.asarray(image, float), 1, mode='edge')\n"
                 "    w = np.lib.stride_tricks.sliding_window_view(p, (3, 3))\n"
                 "    return np.stack([np.einsum('ijkl,kl->ij', w, k[::-1, ::-1]) for k in (sobel_x, sobel_y)])", RIGHT),
                ("def sobel_xy(image):\n    p = np.pad(np.asarray(image, float), 1, mode='edge')\n    h, w = np.shape(image)\n"
                 "    corr = lambda k: np.array([[np.sum(p[i:i + 3, j:j + 3] * k) for j in range(w)] for i in range(h)])\n"
                 "    return -np.stack([corr(sobel_x), corr(sobel_y)])   # both kernels are antisymmetric: flipping negates", RIGHT),
                ("def sobel_xy(image):\n    p = np.pad(np.asarray(image, float), 1, mode='reflect')\n"
                 "    w = np.lib.stride_tricks.sliding_window_view(p, (3, 3))\n"
                 "    return np.stack([np.einsum('ijkl,kl->ij', w, k[::-1, ::-1]) for k in (sobel_x, sobel_y)])", WRONG),
                ("def sobel_xy(image):\n    gy, gx = np.gradient(np.asarray(image, float))\n    return np.stack([gx, gy])", WRONG),
                ("def sobel_xy(image):\n    p = np.pad(np.asarray(image, float), 1, mode='edge')\n"       # the 1/8 normalisation
                 "    w = np.lib.stride_tricks.sliding_window_view(p, (3, 3))\n"
                 "    return np.stack([np.einsum('ijkl,kl->ij', w, k[::-1, ::-1]) / 8 for k in (sobel_x, sobel_y)])", WRONG),
                ("import scipy.ndimage\ndef sobel_xy(image):\n    image = np.asarray(image, float)\n"
                 "    return np.stack([scipy.ndimage.convolve(image, sobel_x, mode='nearest'),\n"
                 "                     scipy.ndimage.convolve(image, sobel_y, mode='nearest')])", WRONG)],
    "ex03.q2": [("magnitude = np.hypot(gx_vectors, gy_vectors)\norientation = np.arctan2(gy_vectors, gx_vectors) * 180 / np.pi", RIGHT),
                ("magnitude = [float(np.hypot(a, b)) for a, b in zip(gx_vectors, gy_vectors)]\n"
                 "orientation = np.rad2deg(np.arctan2(gy_vectors, gx_vectors))", RIGHT),
                ("magnitude = np.hypot(gx_vectors, gy_vectors)\n"
                 "orientation = np.mod(np.degrees(np.arctan2(gy_vectors, gx_vectors)), 360)", WRONG),
                ("magnitude = np.sqrt((gx_vectors**2 + gy_vectors**2) / 2)\n"
                 "orientation = np.degrees(np.arctan2(gy_vectors, gx_vectors))", WRONG),
                ("magnitude = np.hypot(gx_vectors, gy_vectors)\norientation = np.degrees(np.arctan2(-gy_vectors, gx_vectors))", WRONG)],
    "ex03.q3": [("gx, gy = sobel_xy(image)\nedges = np.hypot(gx, gy) > threshold\nn_edges = np.count_nonzero(edges)\n"
                 "edge_fraction = n_edges / edges.size", RIGHT),
                ("g = sobel_xy(image)\nmag = np.sqrt((g ** 2).sum(axis=0))\nn_edges = float((mag > threshold).sum())\n"
                 "edge_fraction = float(np.mean(mag > threshold))", RIGHT),
                ("gx, gy = sobel_xy(image)\nedges = np.abs(gx) > threshold\nn_edges = int(edges.sum())\n"
                 "edge_fraction = edges.mean()", WRONG),
                ("gx, gy = sobel_xy(image)\nedges = np.hypot(gx, gy) > threshold\nn_edges = int(edges.sum())\n"
                 "edge_fraction = n_edges / 64", WRONG),
                ("gx, gy = sobel_xy(image)\nedges = np.hypot(gx, gy) < threshold\nn_edges = int(edges.sum())\n"
                 "edge_fraction = edges.mean()", WRONG)],
    "ex03.q4": [("kernel_sums = np.array([np.sum(kernels[name]) for name in kernels])\nflat_response = 0.5 * kernel_sums", RIGHT),
                ("kernel_sums = [k.sum() for k in kernels.values()]\n"
                 "flat_response = [float(np.sum(np.full(k.shape, 0.5) * k)) for k in kernels.values()]", RIGHT),
                ("kernel_sums = [k.mean() for k in kernels.values()]\nflat_response = [0.5 * s for s in kernel_sums]", WRONG),
                ("kernel_sums = [float(k.sum()) for k in kernels.values()]\nflat_response = [0.5 + s for s in kernel_sums]", WRONG),
                ("kernel_sums = [float(k.sum()) for k in kernels.values()]\n"
                 "flat_response = [float((0.5 * k).mean()) for k in kernels.values()]", WRONG)],
    "ex04.q1": [("out_28 = 26\nalexnet_width = 55", RIGHT), ("out_28 = 28 - 3 + 1\nalexnet_width = int((224 + 4 - 11) / 4) + 1", RIGHT),
                ("out_28, alexnet_width = 26, (224 - 11) // 4 + 1 + 2", WRONG),
                ("import math\nout_28 = 26\nalexnet_width = math.ceil((224 + 4 - 11) / 4) + 1", WRONG),
                ("out_28, alexnet_width = 27, 55", WRONG)],
    "ex04.q2": [("weights_per_neuron = 364\nneurons = 55 ** 2 * 96\nconnections = 364 * neurons\nparameters = 364 * 96", RIGHT),
                ("weights_per_neuron, neurons, connections, parameters = 11*11*3 + 1, 290400, 105705600.0, 34944", RIGHT),
                ("weights_per_neuron, neurons, connections, parameters = 364, 55 * 55, 55 * 55 * 364, 364 * 96", WRONG),
                ("weights_per_neuron, neurons, connections, parameters = 364, 290400, 290400 * 364, 290400 * 364 // 55", WRONG),
                ("weights_per_neuron, neurons, connections, parameters = 11 * 11 + 1, 290400, 290400 * 122, 96 * 122", WRONG)],
    "ex04.q3": [("rf, jump = 7, 4", RIGHT), ("rf = 1 + 2 * 1 + 2 * 2\njump = 2 ** 2", RIGHT),
                ("rf, jump = 7, 2 + 2", RIGHT),
                ("rf, jump = 6, 4", WRONG), ("rf, jump = 7, 3", WRONG), ("rf, jump = 3 * 3, 2 * 2", WRONG)],
    "ex04.q4": [("pooled, pool_params = 27, 0", RIGHT), ("pooled = (55 - 3) // 2 + 1\npool_params = 0.0", RIGHT),
                ("pooled, pool_params = 28, 0", WRONG), ("pooled, pool_params = 27, 3 * 3", WRONG),
                ("pooled, pool_params = 55 // 2, 1", WRONG)],
    "ex04.q5": [("import numpy as np\nlenet_params = np.array([156, 0, 2416, 0, 2040, 0, 252084, 850])\nlenet_total = int(lenet_params.sum())", RIGHT),
                ("lenet_params = (156, 0, 2416, 0, 2040, 0, 252084, 850)\nlenet_total = 257546", RIGHT),
                ("lenet_params = [156, 2416, 2040, 252084, 850]\nlenet_total = 257546", WRONG),
                ("lenet_params = [156, 0, 2416, 0, 2040, 0, 10164, 850]\nlenet_total = sum(lenet_params)", WRONG),
                ("lenet_params = [156, 0, 416, 0, 2040, 0, 252084, 850]\nlenet_total = sum(lenet_params)", WRONG)],
    "ex04.q6": [("def output_size(I, F, S, P):\n    return int((I + 2 * P - F) / S) + 1", RIGHT),
                ("import math\ndef output_size(I, F, S, P):\n    return math.floor((I - F + 2 * P) / S) + 1", RIGHT),
                ("def output_size(I, F, S, P):\n    return (I + 2 * P - F) // S + 1.0", RIGHT),
                ("def output_size(I, F, S, P):\n    (I + 2 * P - F) // S + 1", WRONG),
                ("import math\ndef output_size(I, F, S, P):\n    return math.ceil((I + 2 * P - F) / S) + 1", WRONG),
                ("def output_size(I, F, S, P):\n    return (I + 2 * P - F + 1) // S", WRONG)],
    "ex04.p1": [("same_pad = 2", RIGHT), ("same_pad = 5 // 2", RIGHT), ("same_pad = 5 - 1", WRONG),
                ("same_pad = 1", WRONG), ("same_pad = 2.5", WRONG)],
    "ex05.q1": [("pooled_2x2 = x4.reshape(2, 2, 2, 2).max(axis=(1, 3))\npooled_3x3 = np.array([[3, 3, 3], [3, 3, 3], [3, 2, 3]])", RIGHT),
                ("pooled_2x2 = [[6, 8], [3, 4]]\npooled_3x3 = [[x5[i:i+3, j:j+3].max() for j in range(3)] for i in range(3)]", RIGHT),
                ("pooled_2x2 = x4.reshape(2, 2, 2, 2).max(axis=(1, 3))\npooled_3x3 = np.array([[3, 3, 3], [3, 3, 3], [3, 3, 3]])", WRONG),
                ("pooled_2x2 = x4.reshape(2, 2, 2, 2).min(axis=(1, 3))\npooled_3x3 = np.array([[3, 3, 3], [3, 3, 3], [3, 2, 3]])", WRONG),
                ("pooled_2x2 = x4[::2, ::2]\npooled_3x3 = x5[:3, :3]", WRONG)],
    "ex05.q2": [("avg_2x2 = np.array([[x4[2*i:2*i+2, 2*j:2*j+2].mean() for j in range(2)] for i in range(2)])", RIGHT),
                ("avg_2x2 = [[3.25, 5.25], [2, 2]]", RIGHT),
                ("avg_2x2 = x4.reshape(2, 2, 2, 2).mean(axis=(0, 2))", WRONG),
                ("avg_2x2 = x4.reshape(2, 2, 2, 2).sum(axis=(1, 3)) / 2", WRONG),
                ("avg_2x2 = np.median(x4.reshape(2, 2, 2, 2), axis=(1, 3))", WRONG)],
    "ex05.q3": [("def maxpool_forward(x, size, stride):\n    x = np.asarray(x)\n    rows = range(0, x.shape[0] - size + 1, stride)\n"
                 "    cols = range(0, x.shape[1] - size + 1, stride)\n    return np.array([[x[r:r + size, c:c + size].max() for c in cols] for r in rows])", RIGHT),
                ("def maxpool_forward(x, size, stride):\n    v = np.lib.stride_tricks.sliding_window_view(x, (size, size))\n"
                 "    return v[::stride, ::stride].max(axis=(2, 3))", RIGHT),
                ("def maxpool_forward(x, size, stride):\n    v = np.lib.stride_tricks.sliding_window_view(x, (size, size))\n"
                 "    return v[::stride, ::stride].min(axis=(2, 3))", WRONG),
                ("def maxpool_forward(x, size, stride):\n    v = np.lib.stride_tricks.sliding_window_view(x, (size, size))\n"
                 "    v[::stride, ::stride].max(axis=(2, 3))", WRONG),
                ("def maxpool_forward(x, size, stride):\n    v = np.lib.stride_tricks.sliding_window_view(x, (size, size))\n"
                 "    return np.abs(v[::stride, ::stride]).max(axis=(2, 3))", WRONG)],
    "ex05.q4": [("def maxpool_backward(dout, x, size, stride):\n    x = np.asarray(x, float)\n    dx = np.zeros_like(x)\n"
                 "    for i in range(dout.shape[0]):\n        for j in range(dout.shape[1]):\n"
                 "            k = x[i*stride:i*stride+size, j*stride:j*stride+size].argmax()\n"
                 "            dx[i*stride + k // size, j*stride + k % size] += dout[i, j]\n    return dx", RIGHT),
                ("def maxpool_backward(dout, x, size, stride):\n    rows, cols, vals = [], [], []\n"
                 "    for i in range(dout.shape[0]):\n        for j in range(dout.shape[1]):\n"
                 "            win = np.asarray(x)[i*stride:i*stride+size, j*stride:j*stride+size]\n"
                 "            r, c = np.unravel_index(np.argmax(win), win.shape)\n"
                 "            rows.append(i*stride + r); cols.append(j*stride + c); vals.append(dout[i, j])\n"
                 "    dx = np.zeros(np.shape(x))\n    np.add.at(dx, (rows, cols), vals)\n    return dx", RIGHT),
                ("def maxpool_backward(dout, x, size, stride):\n    dx = np.zeros(np.shape(x))\n"            # last maximum at ties
                 "    for i in range(dout.shape[0]):\n        for j in range(dout.shape[1]):\n"
                 "            win = np.asarray(x)[i*stride:i*stride+size, j*stride:j*stride+size][::-1, ::-1]\n"
                 "            r, c = np.unravel_index(np.argmax(win), win.shape)\n"
                 "            dx[i*stride + size - 1 - r, j*stride + size - 1 - c] += dout[i, j]\n    return dx", WRONG),
                ("def maxpool_backward(dout, x, size, stride):\n    x = np.asarray(x)\n    dx = np.zeros(x.shape)\n"   # unravel in x's shape
                 "    for i in range(dout.shape[0]):\n        for j in range(dout.shape[1]):\n"
                 "            r, c = np.unravel_index(np.argmax(x[i*stride:i*stride+size, j*stride:j*stride+size]), x.shape)\n"
                 "            dx[i*stride + r, j*stride + c] += dout[i, j]\n    return dx", WRONG),
                ("def maxpool_backward(dout, x, size, stride):\n    dx = np.zeros_like(x)\n"                # int dx truncates dout
                 "    for i in range(dout.shape[0]):\n        for j in range(dout.shape[1]):\n"
                 "            k = np.asarray(x)[i*stride:i*stride+size, j*stride:j*stride+size].argmax()\n"
                 "            dx[i*stride + k // size, j*stride + k % size] += dout[i, j]\n    return dx", WRONG)],
    "ex05.q5": [("out_a, out_b, out_c = 112, 6, 3", RIGHT), ("out_a = 224 // 2\nout_b = (13 - 3) // 2 + 1\nout_c = 7 // 2", RIGHT),
                ("out_a, out_b, out_c = 112, 6.5, 3", WRONG), ("out_a, out_b, out_c = 113, 6, 3", WRONG),
                ("out_a, out_b, out_c = 112, 7, 3", WRONG)],
    "ex05.p1": [("avg_grad = np.repeat(np.repeat(dout_p, 2, axis=0), 2, axis=1) / 4", RIGHT),
                ("avg_grad = np.kron(dout_p / 4, np.ones((2, 2)))", RIGHT),
                ("avg_grad = np.kron(dout_p, np.ones((2, 2))) / 2", WRONG), ("avg_grad = np.tile(dout_p, (2, 2)) / 4", WRONG),
                ("avg_grad = np.ones((4, 4)) / 4", WRONG)],
    "ex06.q1": [("out_shape = [8, 16, 16, 10]\nn_params = (5 * 5 * 3 + 1) * 10", RIGHT),
                ("side = (32 - 5 + 2 * 2) // 2 + 1\nout_shape = np.array((8, side, side, 10))\nn_params = 760.0", RIGHT),
                ("out_shape = (8, 15, 15, 10)\nn_params = 760", WRONG),
                ("out_shape = (8, 16, 16, 10)\nn_params = 5 * 5 * 3 * 10 + 3", WRONG),
                ("out_shape = (8, 17, 17, 10)\nn_params = 760", WRONG)],
    "ex06.q2": [("def conv_forward(x, w, b, stride=1, padding=0):\n    x = np.pad(np.asarray(x, float), ((0, 0), (padding, padding), (padding, padding), (0, 0)))\n"
                 "    kh, kw = np.shape(w)[:2]\n    oh, ow = (x.shape[1] - kh) // stride + 1, (x.shape[2] - kw) // stride + 1\n"
                 "    out = np.empty((x.shape[0], oh, ow, np.shape(w)[3]))\n    for i in range(oh):\n        for j in range(ow):\n"
                 "            patch = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]\n"
                 "            out[:, i, j, :] = np.tensordot(patch, w, axes=([1, 2, 3], [0, 1, 2])) + b\n    return out", RIGHT),
                ("def conv_forward(x, w, b, stride=1, padding=0):\n    xp = np.pad(np.asarray(x, float), ((0, 0), (padding, padding), (padding, padding), (0, 0)))\n"
                 "    v = np.lib.stride_tricks.sliding_window_view(xp, np.shape(w)[:2], axis=(1, 2))[:, ::stride, ::stride]\n"
                 "    return np.einsum('nijcab,abcf->nijf', v, w) + b", RIGHT),
                ("def conv_forward(x, w, b, stride=1, padding=0):\n    x = np.pad(np.asarray(x, float), ((0, 0), (padding, padding), (padding, padding), (0, 0)))\n"          # forgot the + 1
                 "    kh, kw = np.shape(w)[:2]\n    oh, ow = (x.shape[1] - kh) // stride, (x.shape[2] - kw) // stride\n"
                 "    out = np.empty((x.shape[0], oh, ow, np.shape(w)[3]))\n    for i in range(oh):\n        for j in range(ow):\n"
                 "            patch = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]\n"
                 "            out[:, i, j, :] = np.tensordot(patch, w, axes=([1, 2, 3], [0, 1, 2])) + b\n    return out", WRONG),
                ("def conv_forward(x, w, b, stride=1, padding=0):\n    x = np.pad(np.asarray(x, float), ((0, 0), (padding, padding), (padding, padding), (0, 0)))\n"          # kernel rows and columns swapped
                 "    kh, kw = np.shape(w)[:2]\n    oh, ow = (x.shape[1] - kh) // stride + 1, (x.shape[2] - kw) // stride + 1\n"
                 "    out = np.empty((x.shape[0], oh, ow, np.shape(w)[3]))\n    for i in range(oh):\n        for j in range(ow):\n"
                 "            patch = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]\n"
                 "            out[:, i, j, :] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 0, 2])) + b\n    return out", WRONG),
                ("def conv_forward(x, w, b, stride=1, padding=0):\n    xp = np.pad(np.asarray(x, float), ((0, 0), (padding, padding), (padding, padding), (0, 0)))\n"         # the bias of channel 0 for every channel
                 "    v = np.lib.stride_tricks.sliding_window_view(xp, np.shape(w)[:2], axis=(1, 2))[:, ::stride, ::stride]\n"
                 "    return np.einsum('nijcab,abcf->nijf', v, w) + np.ravel(b)[0]", WRONG)],
    "ex06.q3": [("def bias_gradient(dout):\n    return np.sum(dout, axis=(0, 1, 2))", RIGHT),
                ("def bias_gradient(dout):\n    return np.asarray(dout).reshape(-1, np.shape(dout)[-1]).sum(axis=0)", RIGHT),
                ("def bias_gradient(dout):\n    return dout.sum(axis=(1, 2)).mean(axis=0)", WRONG),
                ("def bias_gradient(dout):\n    return dout[0].sum(axis=(0, 1))", WRONG),
                ("def bias_gradient(dout):\n    db = np.sum(dout, axis=(0, 1, 2))", WRONG)],
    "ex06.q4": [("def weight_gradient(dout, x, w, stride=1, padding=0):\n    xp = np.pad(np.asarray(x, float), ((0, 0), (padding, padding), (padding, padding), (0, 0)))\n    kh, kw = np.shape(w)[:2]\n"
                 "    dw = np.zeros(np.shape(w))\n    for i in range(dout.shape[1]):\n        for j in range(dout.shape[2]):\n"
                 "            patch = xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]\n"
                 "            dw += np.einsum('nabc,nf->abcf', patch, dout[:, i, j, :])\n    return dw", RIGHT),
                ("def weight_gradient(dout, x, w, stride=1, padding=0):\n    xp = np.pad(np.asarray(x, float), ((0, 0), (padding, padding), (padding, padding), (0, 0)))\n"
                 "    v = np.lib.stride_tricks.sliding_window_view(xp, np.shape(w)[:2], axis=(1, 2))[:, ::stride, ::stride]\n"
                 "    return np.einsum('nijcab,nijf->abcf', v[:, :dout.shape[1], :dout.shape[2]], dout)", RIGHT),
                ("def weight_gradient(dout, x, w, stride=1, padding=0):\n    xp = np.asarray(x, float)\n"   # padding forgotten
                 "    kh, kw = np.shape(w)[:2]\n    dw = np.zeros(np.shape(w))\n    for i in range(dout.shape[1]):\n"
                 "        for j in range(dout.shape[2]):\n            patch = xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]\n"
                 "            dw += np.einsum('nabc,nf->abcf', patch, dout[:, i, j, :])\n    return dw", WRONG),
                ("def weight_gradient(dout, x, w, stride=1, padding=0):\n    xp = np.pad(np.asarray(x, float), ((0, 0), (padding, padding), (padding, padding), (0, 0)))\n    kh, kw = np.shape(w)[:2]\n"  # stride ignored
                 "    dw = np.zeros(np.shape(w))\n    for i in range(dout.shape[1]):\n        for j in range(dout.shape[2]):\n"
                 "            patch = xp[:, i:i + kh, j:j + kw, :]\n"
                 "            dw += np.einsum('nabc,nf->abcf', patch, dout[:, i, j, :])\n    return dw", WRONG),
                ("def weight_gradient(dout, x, w, stride=1, padding=0):\n    xp = np.pad(np.asarray(x, float), ((0, 0), (padding, padding), (padding, padding), (0, 0)))\n    kh, kw = np.shape(w)[:2]\n"  # product of batch sums
                 "    dw = np.zeros(np.shape(w))\n    for i in range(dout.shape[1]):\n        for j in range(dout.shape[2]):\n"
                 "            patch = xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]\n"
                 "            dw += patch.sum(axis=0)[..., None] * dout[:, i, j, :].sum(axis=0)\n    return dw", WRONG)],
    "ex06.q5": [("def input_gradient(dout, x, w, stride=1, padding=0):\n    n, h, wd, c = np.shape(x)\n    kh, kw = np.shape(w)[:2]\n"
                 "    dxp = np.zeros((n, h + 2 * padding, wd + 2 * padding, c))\n    for i in range(dout.shape[1]):\n"
                 "        for j in range(dout.shape[2]):\n"
                 "            dxp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :] += np.einsum('nf,abcf->nabc', dout[:, i, j, :], w)\n"
                 "    return dxp[:, padding:padding + h, padding:padding + wd, :]", RIGHT),
                ("def input_gradient(dout, x, w, stride=1, padding=0):\n    n, h, wd, c = np.shape(x)\n    kh, kw = np.shape(w)[:2]\n"
                 "    dxp = np.zeros((n, h + 2 * padding, wd + 2 * padding, c))\n    for i in range(dout.shape[1]):\n"
                 "        for j in range(dout.shape[2]):\n"
                 "            dxp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :] += np.tensordot(dout[:, i, j, :], w, axes=([1], [3]))\n"
                 "    return dxp[:, padding:dxp.shape[1] - padding, padding:dxp.shape[2] - padding, :]", RIGHT),
                ("def input_gradient(dout, x, w, stride=1, padding=0):\n    n, h, wd, c = np.shape(x)\n    kh, kw = np.shape(w)[:2]\n"  # = not +=
                 "    dxp = np.zeros((n, h + 2 * padding, wd + 2 * padding, c))\n    for i in range(dout.shape[1]):\n"
                 "        for j in range(dout.shape[2]):\n"
                 "            dxp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :] = np.einsum('nf,abcf->nabc', dout[:, i, j, :], w)\n"
                 "    return dxp[:, padding:padding + h, padding:padding + wd, :]", WRONG),
                ("def input_gradient(dout, x, w, stride=1, padding=0):\n    n, h, wd, c = np.shape(x)\n    kh, kw = np.shape(w)[:2]\n"  # cropped at 0
                 "    dxp = np.zeros((n, h + 2 * padding, wd + 2 * padding, c))\n    for i in range(dout.shape[1]):\n"
                 "        for j in range(dout.shape[2]):\n"
                 "            dxp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :] += np.einsum('nf,abcf->nabc', dout[:, i, j, :], w)\n"
                 "    return dxp[:, :h, :wd, :]", WRONG),
                ("def input_gradient(dout, x, w, stride=1, padding=0):\n    n, h, wd, c = np.shape(x)\n    kh, kw = np.shape(w)[:2]\n"  # flipped
                 "    dxp = np.zeros((n, h + 2 * padding, wd + 2 * padding, c))\n    for i in range(dout.shape[1]):\n"
                 "        for j in range(dout.shape[2]):\n"
                 "            dxp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :] += np.einsum('nf,abcf->nabc', dout[:, i, j, :], w[::-1, ::-1])\n"
                 "    return dxp[:, padding:padding + h, padding:padding + wd, :]", WRONG)],
    "ex06.q6": [("def gradient_check(x, w, b, dout, dw, stride=1, padding=0, eps=1e-5):\n    w = np.array(w, dtype=float)\n"
                 "    numeric = np.zeros(w.shape)\n    flat, out = w.reshape(-1), numeric.reshape(-1)\n    for k in range(flat.size):\n"
                 "        keep = flat[k]\n        flat[k] = keep + eps\n        up = (conv_forward(x, w, b, stride, padding) * dout).sum()\n"
                 "        flat[k] = keep - eps\n        down = (conv_forward(x, w, b, stride, padding) * dout).sum()\n"
                 "        flat[k] = keep\n        out[k] = (up - down) / (2 * eps)\n"
                 "    return (np.abs(np.asarray(dw) - numeric) / np.maximum(np.abs(dw) + np.abs(numeric), 1e-8)).max()", RIGHT),
                ("def gradient_check(x, w, b, dout, dw, stride=1, padding=0, eps=1e-5):\n    errors = []\n"
                 "    for idx in np.ndindex(np.shape(w)):\n        plus, minus = np.array(w, float), np.array(w, float)\n"
                 "        plus[idx] += eps\n        minus[idx] -= eps\n"
                 "        g = np.sum((conv_forward(x, plus, b, stride, padding) - conv_forward(x, minus, b, stride, padding)) * dout) / (2 * eps)\n"
                 "        errors.append(abs(dw[idx] - g) / max(abs(dw[idx]) + abs(g), 1e-8))\n    return max(errors)", RIGHT),
                ("def gradient_check(x, w, b, dout, dw, stride=1, padding=0, eps=1e-5):\n"   # compares dw with itself
                 "    numeric = np.array(dw, dtype=float)\n"
                 "    return float(np.max(np.abs(dw - numeric) / np.maximum(np.abs(dw) + np.abs(numeric), 1e-8)))", WRONG),
                ("def gradient_check(x, w, b, dout, dw, stride=1, padding=0, eps=1e-5):\n    errors = []\n"   # no abs in the denominator
                 "    for idx in np.ndindex(np.shape(w)):\n        plus, minus = np.array(w, float), np.array(w, float)\n"
                 "        plus[idx] += eps\n        minus[idx] -= eps\n"
                 "        g = np.sum((conv_forward(x, plus, b, stride, padding) - conv_forward(x, minus, b, stride, padding)) * dout) / (2 * eps)\n"
                 "        errors.append(abs(dw[idx] - g) / max(abs(dw[idx] + g), 1e-8))\n    return max(errors)", WRONG),
                ("def gradient_check(x, w, b, dout, dw, stride=1, padding=0, eps=1e-5):\n    errors = []\n"   # absolute error
                 "    for idx in np.ndindex(np.shape(w)):\n        plus, minus = np.array(w, float), np.array(w, float)\n"
                 "        plus[idx] += eps\n        minus[idx] -= eps\n"
                 "        g = np.sum((conv_forward(x, plus, b, stride, padding) - conv_forward(x, minus, b, stride, padding)) * dout) / (2 * eps)\n"
                 "        errors.append(abs(dw[idx] - g))\n    return max(errors)", WRONG)],
    'ex01.p2': [
                ('prediction = "yes"', RIGHT),
                ("prediction = 'Yes '", RIGHT),
                ('prediction = "no"', WRONG),
                ('prediction = "reversed"', WRONG),
                ('prediction = True', WRONG)],
    'ex02.p2': [
                ('prediction = 4', RIGHT),
                ('prediction = 4.0', RIGHT),
                ('prediction = 9', WRONG),
                ('prediction = 6', WRONG),
                ("prediction = '4'", WRONG)],
    'ex03.p2': [
                ('prediction = 4', RIGHT),
                ('prediction = 1 + 2 + 1', RIGHT),
                ('prediction = 1', WRONG),
                ('prediction = 2', WRONG),
                ('prediction = 8', WRONG)],
    'ex04.p2': [
                ('prediction = 7', RIGHT),
                ('prediction = 28 // 4', RIGHT),
                ('prediction = 28', WRONG),
                ('prediction = 6', WRONG),
                ('prediction = (7, 7)', WRONG)],
    'ex05.p2': [
                ('prediction = 6', RIGHT),
                ('prediction = 6.0', RIGHT),
                ('prediction = 9', WRONG),
                ('prediction = 25', WRONG),
                ('prediction = 1', WRONG)],
    'ex06.p2': [
                ('prediction = 100', RIGHT),
                ('prediction = 1e2', RIGHT),
                ('prediction = 10', WRONG),
                ('prediction = 1000', WRONG),
                ('prediction = 1e-6', WRONG)],
    'ex07.q1': [
                ("def build_lenet():\n    return keras.Sequential([keras.Input((28, 28, 1)),\n        layers.Conv2D(6, 5, padding='same'), layers.Activation('relu'), layers.AveragePooling2D(2),\n        layers.Conv2D(16, 5, activation='relu'), layers.AveragePooling2D(2),\n        layers.Conv2D(120, 1, activation='relu'), layers.Flatten(),\n        layers.Dense(84, activation='relu'), layers.Dense(10, activation='softmax')])", RIGHT),
                ("def build_lenet():\n    inputs = keras.Input((28, 28, 1))\n    x = layers.AveragePooling2D(2)(layers.Conv2D(6, (5, 5), padding='same', activation='relu')(inputs))\n    x = layers.AveragePooling2D((2, 2))(layers.Conv2D(16, (5, 5), activation='relu')(x))\n    x = layers.Flatten()(layers.Conv2D(120, (1, 1), activation='relu')(x))\n    x = layers.Dense(84, activation='relu')(x)\n    return keras.Model(inputs, layers.Dense(10, activation='softmax')(x))", RIGHT),
                ("def build_lenet():\n    return keras.Sequential([keras.Input((28, 28, 1)),\n        layers.Conv2D(6, 3, activation='relu', padding='same'), layers.AveragePooling2D(2),\n        layers.Conv2D(16, 5, activation='relu'), layers.AveragePooling2D(2),\n        layers.Conv2D(120, 1, activation='relu'), layers.Flatten(),\n        layers.Dense(84, activation='relu'), layers.Dense(10, activation='softmax')])", WRONG),
                ("def build_lenet():\n    return keras.Sequential([keras.Input((28, 28, 1)),\n        layers.Conv2D(6, 5, activation='relu', padding='same'), layers.AveragePooling2D(2),\n        layers.Conv2D(16, 5, activation='relu'), layers.AveragePooling2D(2),\n        layers.Conv2D(120, 1, activation='relu'), layers.Flatten(),\n        layers.Dense(84, activation='relu'), layers.Dense(10)])", WRONG),
                ("def build_lenet():\n    return keras.Sequential([keras.Input((28, 28, 1)),\n        layers.Conv2D(6, 5, activation='relu', padding='same'), layers.AveragePooling2D(2),\n        layers.Conv2D(16, 5, activation='relu'), layers.AveragePooling2D(2),\n        layers.Conv2D(120, 1, activation='relu'), layers.GlobalAveragePooling2D(),\n        layers.Dense(84, activation='relu'), layers.Dense(10, activation='softmax')])", WRONG)],
    'ex07.q2': [
                ('layer_params = (156, 0, 2416, 0, 2040, 0, 252084, 850)', RIGHT),
                ('layer_params = np.array([(k * k * c + 1) * f for k, c, f in [(5, 1, 6), (1, 1, 0), (5, 6, 16), (1, 1, 0),\n    (1, 16, 120), (1, 1, 0), (1, 3000, 84), (1, 84, 10)]])', RIGHT),
                ('layer_params = [156, 0, 416, 0, 2040, 0, 252084, 850]', WRONG),
                ('layer_params = [156, 12, 2416, 32, 2040, 0, 252084, 850]', WRONG),
                ('layer_params = [156, 0, 2416, 0, 2040, 0, 252084, 840]', WRONG)],
    'ex07.q3': [
                ('total_params = 257546.0', RIGHT),
                ('total_params = int(np.sum(layer_params))', RIGHT),
                ('total_params = sum(layer_params) - 850', WRONG),
                ('total_params = 252084', WRONG),
                ('total_params = len(layer_params)', WRONG)],
    'ex07.q4': [
                ('def prepare(images):\n    return np.expand_dims(images.astype(np.float32) / 255, -1)', RIGHT),
                ("def prepare(images):\n    return images.reshape(-1, 28, 28, 1).astype('float32') / 255", RIGHT),
                ('def prepare(images):\n    return (images / 255.0)[..., None]', WRONG),
                ("def prepare(images):\n    return (1 - images.astype('float32') / 255)[..., None]", WRONG),
                ("def prepare(images):\n    return (images.astype('float32') / 127.5 - 1)[..., None]", WRONG)],
    'ex07.p1': [
                ('fc_share = (252084 + 850) / 257546', RIGHT),
                ('fc_share = 1 - (156 + 2416 + 2040) / 257546', RIGHT),
                ('fc_share = 850 / 257546', WRONG),
                ('fc_share = 252084 / (252084 + 850)', WRONG),
                ('fc_share = sum(layer_params) / total_params', WRONG)],
    'ex07.p2': [
                ('prediction = "smaller"', RIGHT),
                ("prediction = ' Smaller'", RIGHT),
                ('prediction = "same"', WRONG),
                ('prediction = "larger"', WRONG),
                ('prediction = "fewer"', WRONG)],
    'ex09.q1': [
                ("def residual_block(x, filters, stride=1):\n    shortcut = x\n    if stride != 1 or x.shape[-1] != filters:\n        shortcut = layers.BatchNormalization()(layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x))\n    y = layers.Conv2D(filters, 3, strides=stride, padding='same', use_bias=False)(x)\n    first = layers.Activation('relu')(layers.BatchNormalization()(y))\n    y = layers.Conv2D(filters, 3, padding='same', use_bias=False)(first)\n    y = layers.BatchNormalization()(y)\n    return layers.Activation('relu')(layers.Add()([shortcut, y]))\n\ndef identity_block_model():\n    inputs = keras.Input((8, 8, 16))\n    return keras.Model(inputs, residual_block(inputs, 16, stride=1))", RIGHT),
                ("def residual_block(x, filters, stride=1):\n    shortcut = x\n    if stride != 1 or x.shape[-1] != filters:\n        shortcut = layers.BatchNormalization()(layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x))\n    y = layers.Conv2D(filters, 3, strides=stride, padding='same', use_bias=False)(x)\n    first = layers.ReLU()(layers.BatchNormalization()(y))\n    y = layers.Conv2D(filters, 3, padding='same', use_bias=False)(first)\n    y = layers.BatchNormalization()(y)\n    return layers.ReLU()(layers.add([y, shortcut]))\n\ndef identity_block_model():\n    inputs = keras.Input((8, 8, 16))\n    return keras.Model(inputs, residual_block(inputs, 16, stride=1))", RIGHT),
                ("def residual_block(x, filters, stride=1):\n    shortcut = x\n    if stride != 1 or x.shape[-1] != filters:\n        shortcut = layers.BatchNormalization()(layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x))\n    y = layers.Conv2D(filters, 3, strides=stride, padding='same', use_bias=False)(x)\n    first = layers.ReLU()(layers.BatchNormalization()(y))\n    y = layers.Conv2D(filters, 3, padding='same', use_bias=False)(first)\n    y = layers.BatchNormalization()(y)\n    return layers.ReLU()(layers.Add()([first, y]))\n\ndef identity_block_model():\n    inputs = keras.Input((8, 8, 16))\n    return keras.Model(inputs, residual_block(inputs, 16, stride=1))", WRONG),
                ("def residual_block(x, filters, stride=1):\n    shortcut = x\n    if stride != 1 or x.shape[-1] != filters:\n        shortcut = layers.BatchNormalization()(layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x))\n    y = layers.Conv2D(filters, 3, strides=stride, padding='same', use_bias=False)(x)\n    first = layers.ReLU()(layers.BatchNormalization()(y))\n    y = layers.Conv2D(filters, 1, padding='same', use_bias=False)(first)\n    y = layers.BatchNormalization()(y)\n    return layers.ReLU()(layers.Add()([shortcut, y]))\n\ndef identity_block_model():\n    inputs = keras.Input((8, 8, 16))\n    return keras.Model(inputs, residual_block(inputs, 16, stride=1))", WRONG),
                ("def residual_block(x, filters, stride=1):\n    shortcut = x\n    if stride != 1 or x.shape[-1] != filters:\n        shortcut = layers.BatchNormalization()(layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x))\n    y = layers.Conv2D(filters, 3, strides=stride, padding='same', use_bias=False)(x)\n    first = layers.ReLU()(layers.BatchNormalization()(y))\n    y = layers.Conv2D(filters, 3, padding='same', use_bias=False)(first)\n    y = layers.BatchNormalization()(layers.BatchNormalization()(y))\n    return layers.ReLU()(layers.Add()([shortcut, y]))\n\ndef identity_block_model():\n    inputs = keras.Input((8, 8, 16))\n    return keras.Model(inputs, residual_block(inputs, 16, stride=1))", WRONG)],
    'ex09.q4': [
                ("def inception_module(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj):\n    conv = lambda t, f, k: layers.ReLU()(layers.Conv2D(f, k, padding='same')(t))\n    pooled = layers.MaxPooling2D(3, strides=1, padding='same')(x)\n    branches = [conv(x, f1, 1), conv(conv(x, f3_reduce, 1), f3, 3), conv(conv(x, f5_reduce, 1), f5, 5), conv(pooled, pool_proj, 1)]\n    return layers.Concatenate()(branches)\n\ndef inception_3a():\n    inputs = keras.Input((28, 28, 192))\n    return keras.Model(inputs, inception_module(inputs, 64, 96, 128, 16, 32, 32))", RIGHT),
                ("def inception_module(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj):\n    conv = lambda t, f, k: layers.Conv2D(f, k, padding='same', activation='relu')(t)\n    pooled = layers.MaxPooling2D(3, strides=1, padding='same')(x)\n    branches = [conv(pooled, pool_proj, 1), conv(conv(x, f5_reduce, 1), f5, 5), conv(x, f1, 1), conv(conv(x, f3_reduce, 1), f3, 3)]\n    return layers.Concatenate()(branches)\n\ndef inception_3a():\n    inputs = keras.Input((28, 28, 192))\n    return keras.Model(inputs, inception_module(inputs, 64, 96, 128, 16, 32, 32))", RIGHT),
                ("def inception_module(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj):\n    conv = lambda t, f, k: layers.Conv2D(f, k, padding='same', activation='relu')(t)\n    pooled = layers.MaxPooling2D(3, strides=1, padding='same')(x)\n    branches = [conv(pooled, f1, 1), conv(conv(x, f3_reduce, 1), f3, 3), conv(conv(x, f5_reduce, 1), f5, 5), conv(pooled, pool_proj, 1)]\n    return layers.Concatenate()(branches)\n\ndef inception_3a():\n    inputs = keras.Input((28, 28, 192))\n    return keras.Model(inputs, inception_module(inputs, 64, 96, 128, 16, 32, 32))", WRONG),
                ("def inception_module(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj):\n    conv = lambda t, f, k: layers.Conv2D(f, k, padding='same', activation='relu')(t)\n    pooled = layers.MaxPooling2D(3, strides=1, padding='same')(x)\n    branches = [conv(x, f1, 1), conv(conv(x, f5_reduce, 1), f3, 3), conv(conv(x, f5_reduce, 1), f5, 5), conv(pooled, pool_proj, 1)]\n    return layers.Concatenate()(branches)\n\ndef inception_3a():\n    inputs = keras.Input((28, 28, 192))\n    return keras.Model(inputs, inception_module(inputs, 64, 96, 128, 16, 32, 32))", WRONG),
                ("def inception_module(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj):\n    conv = lambda t, f, k: layers.Conv2D(f, k, padding='same', activation='relu')(t)\n    pooled = layers.MaxPooling2D(3, strides=1, padding='same')(x)\n    branches = [conv(x, f1, 1), conv(conv(x, f3_reduce, 1), f3, 5), conv(conv(x, f5_reduce, 1), f5, 5), conv(pooled, pool_proj, 1)]\n    return layers.Concatenate()(branches)\n\ndef inception_3a():\n    inputs = keras.Input((28, 28, 192))\n    return keras.Model(inputs, inception_module(inputs, 64, 96, 128, 16, 32, 32))", WRONG)],
    'ex09.q3': [
                ('block_params, shortcut_params = 230912, 8704', RIGHT),
                ('shortcut_params = 64 * 128 + 4 * 128\nblock_params = 9 * 64 * 128 + 9 * 128 * 128 + 2 * 4 * 128 + shortcut_params', RIGHT),
                ('block_params, shortcut_params = 3 * 3 * 64 * 128 + 3 * 3 * 128 * 128, 64 * 128 + 4 * 128', WRONG),
                ('block_params, shortcut_params = 230912, 64 * 128 + 2 * 128', WRONG),
                ('block_params, shortcut_params = 230912 - 8704, 8704', WRONG)],
    'ex09.q6': [
                ('weights_5x5, weights_two_3x3, rf_two_3x3 = 25, 18, 5', RIGHT),
                ('weights_5x5 = 5 ** 2\nweights_two_3x3 = 2 * 3 ** 2\nrf_two_3x3 = 1 + 2 * (3 - 1)', RIGHT),
                ('weights_5x5, weights_two_3x3, rf_two_3x3 = 25, 18, 7', WRONG),
                ('weights_5x5, weights_two_3x3, rf_two_3x3 = 50, 18, 5', WRONG),
                ('weights_5x5, weights_two_3x3, rf_two_3x3 = 25, 27, 5', WRONG)],
    'ex09.q5': [
                ("mults_naive = 43352064\nmults_bottleneck = 6021120", RIGHT),
                ("mults_naive, mults_bottleneck = 784 * 32 * 9 * 192, 784 * (192 * 16 + 9 * 16 * 32)", RIGHT),
                ("mults_naive = 28 * 28 * 32 * 3 * 3 * 192.0\nmults_bottleneck = float(28 * 28 * (16 * 192 + 32 * 9 * 16))", RIGHT),
                ("mults_naive = 26 * 26 * 32 * 9 * 192\nmults_bottleneck = 26 * 26 * (16 * 192 + 32 * 9 * 16)", WRONG),   # no padding
                ("mults_naive = 28 * 28 * 32 * 9 * 192\nmults_bottleneck = 28 * 28 * (16 * 192 + 32 * 25 * 16)", WRONG),  # a 5x5
                ("mults_naive = 28 * 28 * 32 + 3 * 3 * 192\nmults_bottleneck = 28 * 28 * 16 + 28 * 28 * 32", WRONG),
                ("mults_naive = 28 * 28 * 32 * 9 * 192\nmults_bottleneck = 28 * 28 * 16 * 9 * 192 + 28 * 28 * 32 * 16", WRONG)],
    'ex09.p1': [
                ('prediction = 4', RIGHT),
                ('prediction = 100 * 640 / 14720', RIGHT),
                ('prediction = 50', WRONG),
                ('prediction = 33', WRONG),
                ('prediction = 0.04', WRONG)],
    'ex02.p1': [
                ("strided_nopad = np.array([[valid[i, j] for j in (0, 2)] for i in (0, 2)])", RIGHT),
                ("strided_nopad = correlate2d(image, kernel, stride=2)", RIGHT),
                ("strided_nopad = valid[1::2, 1::2]", WRONG),
                ("strided_nopad = valid[::2]", WRONG),
                ("strided_nopad = correlate2d(image, kernel, stride=2).T", WRONG)],
    'ex03.p1': [
                ("unsigned = orientation % 180", RIGHT),
                ("unsigned = np.where(orientation < 0, orientation + 180, orientation) % 180", RIGHT),
                ("unsigned = orientation % 90", WRONG),
                ("unsigned = orientation % 360", WRONG),
                ("unsigned = np.mod(orientation, 180) - 90", WRONG)],
    'ex06.p1': [
                ("cols_shape = [18, 27]", RIGHT),
                ("cols_shape = np.array((2 * 3 * 3, 3 * 3 * 3))", RIGHT),
                ("cols_shape = (18, 9)", WRONG),
                ("cols_shape = (2 * 5 * 5, 27)", WRONG),
                ("cols_shape = (2, 9, 27)", WRONG)],
    "ex13.p1": [("prediction = 7", RIGHT), ("prediction = 6.5", RIGHT), ("prediction = 9", WRONG),
                ("prediction = 1 / (1 / 32 + 1 / 9) / 2", WRONG), ("prediction = 'seven'", WRONG),
                ("prediction = 0.14", WRONG)],
    "ex13.q1": [("std_params = 3 * 3 * 64 * 128\nstd_macs = std_params * 784\nsep_params = 576 + 8192\n"
                 "sep_macs = 784 * sep_params", RIGHT),
                ("std_params, std_macs, sep_params, sep_macs = 73728.0, 57802752, 8768, 6874112.0", RIGHT),
                ("std_params, std_macs, sep_params, sep_macs = 73728, 57802752, 8768, 26 * 26 * 8768", WRONG),  # 'valid' output
                ("std_params, std_macs, sep_params, sep_macs = 73728, 57802752, 9 * 128 + 64 * 128, 6874112", WRONG),
                ("std_params, std_macs, sep_params, sep_macs = 73728, 2 * 57802752, 8768, 6874112", WRONG),    # FLOPs, not MACs
                ("from course_utils.shapes import conv_params\n"
                 "std_params, std_macs, sep_params, sep_macs = conv_params(3, 64, 128, bias=False), 57802752, 8768, 6874112",
                 WRONG)],
    "ex13.q2": [("def separable_cost(k, c_in, c_out, h_out, w_out):\n    params = c_in * (k ** 2 + c_out)\n"
                 "    return [params, params * h_out * w_out]", RIGHT),
                ("def separable_cost(k, c_in, c_out, h_out, w_out):\n    dw, pw = np.prod([k, k, c_in]), np.prod([c_in, c_out])\n"
                 "    return np.array([dw + pw, (dw + pw) * h_out * w_out])", RIGHT),
                ("def separable_cost(k, c_in, c_out, h_out, w_out):\n    params = k * c_in + c_in * c_out\n"
                 "    return params, h_out * w_out * params", WRONG),                        # k, not k²
                ("def separable_cost(k, c_in, c_out, h_out, w_out):\n"
                 "    return k * k * c_in + c_in * c_out, k * k * c_in + h_out * w_out * c_in * c_out", WRONG),
                ("def separable_cost(k, c_in, c_out, h_out, w_out):\n    params = k * k * c_in + c_in * c_out\n"
                 "    return params, (h_out + w_out) * params", WRONG),
                ("def separable_cost(k, c_in, c_out, h_out, w_out):\n    params = k * k * c_in + c_in * c_out\n"
                 "    macs = h_out * w_out * params", WRONG)],                                # forgot return
    "ex13.q3": [("weights_5x5 = 25 * 48 ** 2\nweights_two_3x3 = 18 * 48 ** 2\nweights_asymmetric = 6 * 48 ** 2\n"
                 "rf_asymmetric = [3, 3]", RIGHT),
                ("weights_5x5, weights_two_3x3, weights_asymmetric = 57600.0, 41472.0, 13824.0\n"
                 "rf_asymmetric = np.array((3, 3))", RIGHT),
                ("weights_5x5, weights_two_3x3, weights_asymmetric, rf_asymmetric = 57600, 41472, 2 * 3 * 48, (3, 3)", WRONG),
                ("weights_5x5, weights_two_3x3, weights_asymmetric, rf_asymmetric = 57600, 41472, 13824, (2, 2)", WRONG),
                ("weights_5x5, weights_two_3x3, weights_asymmetric = 57600, 2 * (9 * 48 * 48 + 48), 13824\n"
                 "rf_asymmetric = (3, 3)", WRONG),
                ("weights_5x5, weights_two_3x3, weights_asymmetric, rf_asymmetric = 57600, 41472, 13824, 9", WRONG)],
    "ex13.q4": [("def inverted_residual(x, filters, expansion, stride):\n    c_in = x.shape[-1]\n"
                 "    y = layers.Conv2D(expansion * c_in, (1, 1), use_bias=False)(x)\n"
                 "    y = layers.Activation('relu6')(layers.BatchNormalization()(y))\n"
                 "    y = layers.DepthwiseConv2D((3, 3), strides=(stride, stride), padding='same', use_bias=False)(y)\n"
                 "    y = layers.Activation('relu6')(layers.BatchNormalization()(y))\n"
                 "    y = layers.BatchNormalization()(layers.Conv2D(filters, (1, 1), use_bias=False)(y))\n"
                 "    if stride == 1 and c_in == filters:\n        return layers.Add()([y, x])\n    return y\n\n"
                 + MOBILE_STAGE, RIGHT),
                ("def inverted_residual(x, filters, expansion, stride):\n    y = x\n"
                 "    for layer in [layers.Conv2D(expansion * x.shape[-1], 1, use_bias=False), layers.BatchNormalization(),\n"
                 "                  layers.ReLU(max_value=6), layers.DepthwiseConv2D(3, stride, 'same', use_bias=False),\n"
                 "                  layers.BatchNormalization(), layers.ReLU(max_value=6),\n"
                 "                  layers.Conv2D(filters, 1, use_bias=False), layers.BatchNormalization()]:\n"
                 "        y = layer(y)\n"
                 "    return layers.Add()([x, y]) if (stride, x.shape[-1]) == (1, filters) else y\n\n" + MOBILE_STAGE, RIGHT),
                ("def inverted_residual(x, filters, expansion, stride):\n"                       # ReLU6 before BN
                 "    y = layers.Conv2D(expansion * x.shape[-1], 1, use_bias=False)(x)\n"
                 "    y = layers.BatchNormalization()(layers.ReLU(6.0)(y))\n"
                 "    y = layers.DepthwiseConv2D(3, strides=stride, padding='same', use_bias=False)(y)\n"
                 "    y = layers.BatchNormalization()(layers.ReLU(6.0)(y))\n"
                 "    y = layers.BatchNormalization()(layers.Conv2D(filters, 1, use_bias=False)(y))\n"
                 "    return layers.Add()([x, y]) if stride == 1 and filters == x.shape[-1] else y\n\n" + MOBILE_STAGE, WRONG),
                ("def inverted_residual(x, filters, expansion, stride):\n"                       # 5x5 depthwise
                 "    y = layers.Conv2D(expansion * x.shape[-1], 1, use_bias=False)(x)\n"
                 "    y = layers.ReLU(6.0)(layers.BatchNormalization()(y))\n"
                 "    y = layers.DepthwiseConv2D(5, strides=stride, padding='same', use_bias=False)(y)\n"
                 "    y = layers.ReLU(6.0)(layers.BatchNormalization()(y))\n"
                 "    y = layers.BatchNormalization()(layers.Conv2D(filters, 1, use_bias=False)(y))\n"
                 "    return layers.Add()([x, y]) if stride == 1 and filters == x.shape[-1] else y\n\n" + MOBILE_STAGE, WRONG),
                ("def inverted_residual(x, filters, expansion, stride):\n"                       # no BN after the projection
                 "    y = layers.Conv2D(expansion * x.shape[-1], 1, use_bias=False)(x)\n"
                 "    y = layers.ReLU(6.0)(layers.BatchNormalization()(y))\n"
                 "    y = layers.DepthwiseConv2D(3, strides=stride, padding='same', use_bias=False)(y)\n"
                 "    y = layers.ReLU(6.0)(layers.BatchNormalization()(y))\n"
                 "    y = layers.Conv2D(filters, 1, use_bias=False)(y)\n"
                 "    return layers.Add()([x, y]) if stride == 1 and filters == x.shape[-1] else y\n\n" + MOBILE_STAGE, WRONG),
                ("def inverted_residual(x, filters, expansion, stride):\n"                       # 3x3 expansion
                 "    y = layers.Conv2D(expansion * x.shape[-1], 3, padding='same', use_bias=False)(x)\n"
                 "    y = layers.ReLU(6.0)(layers.BatchNormalization()(y))\n"
                 "    y = layers.DepthwiseConv2D(3, strides=stride, padding='same', use_bias=False)(y)\n"
                 "    y = layers.ReLU(6.0)(layers.BatchNormalization()(y))\n"
                 "    y = layers.BatchNormalization()(layers.Conv2D(filters, 1, use_bias=False)(y))\n"
                 "    return layers.Add()([x, y]) if stride == 1 and filters == x.shape[-1] else y\n\n" + MOBILE_STAGE, WRONG)],
    "ex13.q5": [("depth_mult = 2.074\nwidth_mult = 1.464\nimage_size = 392\nflops_factor = 13.6\nstage_filters = 160\n"
                 "stage_layers = 7", RIGHT),
                ("d, w, r = 1.2 ** 4, 1.1 ** 4, 1.15 ** 4\ndepth_mult, width_mult = d, w\nimage_size = float(int(224 * r + 0.5))\n"
                 "flops_factor = (1.2 * 1.1 ** 2 * 1.15 ** 2) ** 4\nstage_filters = 8 * round(112 * w / 8)\n"
                 "stage_layers = -(-3 * d // 1)", RIGHT),
                ("depth_mult, width_mult, image_size = 2.0736, 1.4641, 392\n"
                 "flops_factor = 2.0736 * 1.4641 * 1.15 ** 8\nstage_filters, stage_layers = 160, 7", WRONG),   # width not squared
                ("depth_mult, width_mult, image_size, flops_factor = 2.0736, 1.4641, round(224 * 1.1 ** 4), 13.6\n"
                 "stage_filters, stage_layers = 160, 7", WRONG),                                  # beta for the resolution
                ("depth_mult, width_mult, image_size, flops_factor = 1.2 ** 3, 1.1 ** 3, 341, 7.08\n"
                 "stage_filters, stage_layers = 144, 6", WRONG),                                  # phi = 3
                ("depth_mult, width_mult, image_size, flops_factor = 2.0736, 1.4641, 392, 13.6\n"
                 "stage_filters, stage_layers = 112, 3", WRONG),                                  # stage not scaled
                ("from course_utils.efficient import compound_scaling\n"
                 "depth_mult, width_mult, image_size, flops_factor = 2.0736, 1.4641, 392, compound_scaling(4)[3]\n"
                 "stage_filters, stage_layers = 160, 7", WRONG)],
    "ex14.p1": [("prediction = 1 / 3", RIGHT), ("prediction = 0.35", RIGHT), ("prediction = 0.5", WRONG),
                ("prediction = 0.25", WRONG), ("prediction = 50", WRONG)],
    "ex14.q1": [("def box_iou(a, b):\n    ix = np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0, None)\n"
                 "    inter = ix.prod()\n    area = lambda r: np.prod(r[2:] - r[:2])\n"
                 "    return float(inter / (area(a) + area(b) - inter))", RIGHT),
                ("def box_iou(a, b):\n    ax1, ay1, ax2, ay2 = a\n    bx1, by1, bx2, by2 = b\n"
                 "    w = min(ax2, bx2) - max(ax1, bx1)\n    h = min(ay2, by2) - max(ay1, by1)\n"
                 "    if w <= 0 or h <= 0:\n        return 0.0\n"
                 "    return w * h / ((ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - w * h)", RIGHT),
                ("def box_iou(a, b):\n"                                                       # min/max swapped
                 "    w = max(0, max(a[2], b[2]) - min(a[0], b[0]))\n    h = max(0, max(a[3], b[3]) - min(a[1], b[1]))\n"
                 "    inter = w * h\n"
                 "    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)", WRONG),
                ("def box_iou(a, b):\n"                                                       # divides by a's area
                 "    w = max(0, min(a[2], b[2]) - max(a[0], b[0]))\n    h = max(0, min(a[3], b[3]) - max(a[1], b[1]))\n"
                 "    return w * h / ((a[2] - a[0]) * (a[3] - a[1]))", WRONG),
                ("def box_iou(a, b):\n"                                                       # (x, y, w, h) read
                 "    w = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))\n"
                 "    h = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))\n"
                 "    return w * h / (a[2] * a[3] + b[2] * b[3] - w * h)", WRONG),
                ("def box_iou(a, b):\n    w = max(0, min(a[2], b[2]) - max(a[0], b[0]))\n"
                 "    h = max(0, min(a[3], b[3]) - max(a[1], b[1]))\n    iou = w * h / ((a[2] - a[0]) * (a[3] - a[1]) + "
                 "(b[2] - b[0]) * (b[3] - b[1]) - w * h)", WRONG)],                             # no return
    "ex14.q2": [("def nms(boxes, scores, iou_threshold):\n    order = sorted(range(len(scores)), key=lambda k: -scores[k])\n"
                 "    kept = []\n    for k in order:\n"
                 "        if all(box_iou(boxes[j], boxes[k]) <= iou_threshold for j in kept):\n            kept.append(k)\n"
                 "    return kept", RIGHT),
                ("def nms(boxes, scores, iou_threshold):\n    alive = np.ones(len(scores), bool)\n    kept = []\n"
                 "    for k in np.argsort(scores)[::-1]:\n        if not alive[k]:\n            continue\n"
                 "        kept.append(k)\n        for j in range(len(scores)):\n"
                 "            if j != k and box_iou(boxes[k], boxes[j]) > iou_threshold:\n                alive[j] = False\n"
                 "    return np.array(kept)", RIGHT),
                ("def nms(boxes, scores, iou_threshold):\n    order = list(np.argsort(scores))\n    kept = []\n"     # ascending
                 "    while order:\n        best = order.pop(0)\n        kept.append(best)\n"
                 "        order = [k for k in order if box_iou(boxes[best], boxes[k]) <= iou_threshold]\n    return kept", WRONG),
                ("def nms(boxes, scores, iou_threshold):\n    order = list(np.argsort(-scores))\n    kept = []\n"    # keeps overlaps
                 "    while order:\n        best = order.pop(0)\n        kept.append(best)\n"
                 "        order = [k for k in order if box_iou(boxes[best], boxes[k]) > iou_threshold]\n    return kept", WRONG),
                ("def nms(boxes, scores, iou_threshold):\n    order = list(np.argsort(-scores))\n    kept = []\n"    # returns boxes
                 "    while order:\n        best = order.pop(0)\n        kept.append(best)\n"
                 "        order = [k for k in order if box_iou(boxes[best], boxes[k]) <= iou_threshold]\n"
                 "    return boxes[kept]", WRONG)],
    "ex14.q3": [("precision_at_05, recall_at_05 = 4 / 7, 4 / 9\nap = (1 + 2 / 3 + 4 / 7 + 4 / 7 + 5 / 9) / 9", RIGHT),
                ("precision_at_05, recall_at_05, ap = 0.5714, 0.4444, 0.3739", RIGHT),
                ("precision_at_05, recall_at_05, ap = 4 / 6, 4 / 9, 0.3739", WRONG),         # score > 0.55 cut
                ("precision_at_05, recall_at_05, ap = 4 / 7, 4 / 9, (1 + 2 / 3 + 4 / 7 + 4 / 7 + 5 / 9) / 5 / 2", WRONG),
                ("precision_at_05, recall_at_05, ap = 4 / 7, 4 / 9, 1.0", WRONG),
                ("precision_at_05, recall_at_05, ap = '4/7', 4 / 9, 0.3739", WRONG)],
    "ex14.q4": [("def transpose_output_size(i, k, s, p, output_padding):\n"
                 "    return s * (i - 1) + k - 2 * p + output_padding", RIGHT),
                ("def transpose_output_size(i, k, s, p, output_padding):\n    size = (i - 1) * s\n"
                 "    size += k + output_padding\n    return int(size - p - p)", RIGHT),
                ("def transpose_output_size(i, k, s, p, output_padding):\n"
                 "    return (i - 1) * s + 2 * p + k + output_padding", WRONG),                  # + 2P
                ("def transpose_output_size(i, k, s, p, output_padding):\n"
                 "    return (i - 1) * s - 2 * p + k - 1 + output_padding", WRONG),
                ("def transpose_output_size(i, k, s, p, output_padding):\n    return i * s", WRONG),
                ("def transpose_output_size(i, k, s, p, output_padding):\n"
                 "    out = (i - 1) * s - 2 * p + k + output_padding", WRONG)],
    "ex08.q1": [("he_conv = (2 / 576) ** 0.5\nglorot_conv = (2 / 1728) ** 0.5\nglorot_dense = (2 / 5096) ** 0.5", RIGHT),
                ("he_conv, glorot_conv, glorot_dense = 0.0589, 0.0340, 0.0198", RIGHT),
                ("import math\nfan_in, fan_out = 3 * 3 * 64, 3 * 3 * 128\nhe_conv = math.sqrt(2 / fan_in)\n"
                 "glorot_conv = math.sqrt(2 / (fan_in + fan_out))\nglorot_dense = math.sqrt(1 / ((4096 + 1000) / 2))", RIGHT),
                ("he_conv = np.sqrt(2 / (3 * 64))\nglorot_conv = np.sqrt(2 / 1728)\nglorot_dense = np.sqrt(2 / 5096)", WRONG),
                ("he_conv = np.sqrt(2 / 576)\nglorot_conv = np.sqrt(1 / (576 + 1152))\nglorot_dense = np.sqrt(1 / 5096)", WRONG),
                ("he_conv = np.sqrt(2 / 576)\nglorot_conv = np.sqrt(2 / 1728)\nglorot_dense = np.sqrt(2 / (4096 * 1000))", WRONG),
                ("he_conv, glorot_conv, glorot_dense = 0.06, 0.03, 0.02", WRONG)],
    "ex08.q2": [("def adam_step(w, grad, m, s, t, lr, beta1, beta2, eps):\n    m = beta1 * m + (1 - beta1) * grad\n"   # Keras' form
                 "    s = beta2 * s + (1 - beta2) * grad ** 2\n    alpha = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)\n"
                 "    return w - alpha * m / (np.sqrt(s) + eps), m, s", RIGHT),
                ("def adam_step(w, grad, m, s, t, lr, beta1, beta2, eps):\n    new_m = m + (1 - beta1) * (grad - m)\n"
                 "    new_s = s + (1 - beta2) * (grad * grad - s)\n"
                 "    step = lr * (new_m / (1 - beta1 ** t)) / (np.sqrt(new_s / (1 - beta2 ** t)) + eps)\n"
                 "    return np.stack([w - step, new_m, new_s])", RIGHT),
                ("def adam_step(w, grad, m, s, t, lr, beta1, beta2, eps):\n    m = beta1 * m + (1 - beta1) * grad\n"
                 "    s = beta2 * s + (1 - beta2) * grad ** 2\n"
                 "    return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(s / (1 - beta2 ** t)) + eps)", WRONG),   # w only
                ("def adam_step(w, grad, m, s, t, lr, beta1, beta2, eps):\n    m = beta1 * m + (1 - beta1) * grad\n"
                 "    s = beta2 * s + (1 - beta2) * np.abs(grad)\n"
                 "    return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(s / (1 - beta2 ** t)) + eps), m, s", WRONG),
                ("def adam_step(w, grad, m, s, t, lr, beta1, beta2, eps):\n    m = beta1 * m + (1 - beta1) * grad\n"
                 "    s = beta2 * s + (1 - beta2) * grad ** 2\n"
                 "    return w - lr * (m / (1 - beta1 ** (t + 1))) / (np.sqrt(s / (1 - beta2 ** (t + 1))) + eps), m, s", WRONG),
                ("def adam_step(w, grad, m, s, t, lr, beta1, beta2, eps):\n    m = beta1 * m + (1 - beta1) * grad\n"
                 "    s = beta2 * s + (1 - beta2) * grad ** 2\n"
                 "    w = w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(s / (1 - beta2 ** t)) + eps)", WRONG)],   # no return
    "ex08.q3": [("def batch_norm_forward(x, gamma, beta, running_mean, running_var, training, eps):\n"
                 "    flat = x.reshape(-1, x.shape[-1])\n"
                 "    mean, var = (flat.mean(axis=0), flat.var(axis=0)) if training else (running_mean, running_var)\n"
                 "    return (x - mean) / np.sqrt(var + eps) * gamma + beta", RIGHT),
                ("def batch_norm_forward(x, gamma, beta, running_mean, running_var, training, eps):\n"
                 "    axes = tuple(range(x.ndim - 1))\n    if training:\n        mean = x.mean(axis=axes, keepdims=True)\n"
                 "        std = np.sqrt(((x - mean) ** 2).mean(axis=axes, keepdims=True) + eps)\n"
                 "    else:\n        mean, std = running_mean, np.sqrt(running_var + eps)\n"
                 "    return gamma * ((x - mean) / std) + beta", RIGHT),
                ("def batch_norm_forward(x, gamma, beta, running_mean, running_var, training, eps):\n"   # eps ignored
                 "    axes = tuple(range(x.ndim - 1))\n"
                 "    mean, var = (x.mean(axis=axes), x.var(axis=axes)) if training else (running_mean, running_var)\n"
                 "    return gamma * (x - mean) / np.sqrt(var) + beta", WRONG),
                ("def batch_norm_forward(x, gamma, beta, running_mean, running_var, training, eps):\n"
                 "    axes = tuple(range(x.ndim - 1))\n    if not training:\n"
                 "        return (x - running_mean) / np.sqrt(running_var + eps)\n"
                 "    return gamma * (x - x.mean(axis=axes)) / np.sqrt(x.var(axis=axes) + eps) + beta", WRONG),
                ("def batch_norm_forward(x, gamma, beta, running_mean, running_var, training, eps):\n"
                 "    axes = tuple(range(x.ndim - 1))\n"
                 "    mean, var = (x.mean(axis=axes), x.var(axis=axes)) if training else (running_mean, running_var ** 2)\n"
                 "    return gamma * (x - mean) / np.sqrt(var + eps) + beta", WRONG),
                ("def batch_norm_forward(x, gamma, beta, running_mean, running_var, training, eps):\n"   # forgot W
                 "    axes = (0, 1) if x.ndim == 4 else (0,)\n"
                 "    mean, var = (x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)) if training \\\n"
                 "        else (running_mean, running_var)\n"
                 "    return gamma * (x - mean) / np.sqrt(var + eps) + beta", WRONG)],
    "ex08.q4": [("def update_running_stats(running_mean, running_var, x, momentum):\n    flat = x.reshape(-1, x.shape[-1])\n"
                 "    return [momentum * running_mean + (1 - momentum) * flat.mean(axis=0),\n"
                 "            momentum * running_var + (1 - momentum) * flat.var(axis=0)]", RIGHT),
                ("def update_running_stats(running_mean, running_var, x, momentum):\n    axes = tuple(range(x.ndim - 1))\n"
                 "    mean = x.mean(axis=axes)\n    var = ((x - mean) ** 2).mean(axis=axes)\n"
                 "    return np.array([running_mean + (1 - momentum) * (mean - running_mean),\n"
                 "                     running_var + (1 - momentum) * (var - running_var)])", RIGHT),
                ("def update_running_stats(running_mean, running_var, x, momentum):\n    axes = tuple(range(x.ndim - 1))\n"
                 "    return (momentum * running_mean + (1 - momentum) * x.mean(axis=axes),\n"
                 "            momentum * running_var + (1 - momentum) * x.std(axis=axes))", WRONG),
                ("def update_running_stats(running_mean, running_var, x, momentum):\n    axes = tuple(range(x.ndim - 1))\n"
                 "    return momentum * running_mean + (1 - momentum) * x.mean(axis=axes)", WRONG),
                ("def update_running_stats(running_mean, running_var, x, momentum):\n    axes = tuple(range(x.ndim - 1))\n"
                 "    return momentum * running_mean + (1 - momentum) * x.mean(axis=axes), x.var(axis=axes)", WRONG),
                ("def update_running_stats(running_mean, running_var, x, momentum):\n    axes = tuple(range(x.ndim - 1))\n"
                 "    running_mean = momentum * running_mean + (1 - momentum) * x.mean(axis=axes)\n"
                 "    running_var = momentum * running_var + (1 - momentum) * x.var(axis=axes)", WRONG)],
    "ex08.q5": [("def dropout_forward(x, rate, u, training):\n    mask = (u >= rate).astype(float)\n"
                 "    return x * mask / (1 - rate) if training else x", RIGHT),
                ("def dropout_forward(x, rate, u, training):\n    out = np.array(x, dtype=float)\n    if training:\n"
                 "        out[u < rate] = 0.0\n        out[u >= rate] /= 1 - rate\n    return out", RIGHT),
                ("def dropout_forward(x, rate, u, training):\n    if not training:\n        return x * (1 - rate)\n"   # old-style
                 "    return np.where(u >= rate, x, 0.0)", WRONG),
                ("def dropout_forward(x, rate, u, training):\n    return (u >= rate) / (1 - rate) if training else x", WRONG),
                ("def dropout_forward(x, rate, u, training):\n    if not training:\n        return x\n"
                 "    return np.where(u >= rate, x / max(rate, 1e-12), 0.0)", WRONG),
                ("def dropout_forward(x, rate, u, training):\n    if training:\n"
                 "        x = np.where(u >= rate, x / (1 - rate), 0.0)", WRONG)],
    "ex08.q6": [("step_factor, cosine_factor, exp_factor = 0.01, 0.75, 0.3585", RIGHT),
                ("import math\nstep_factor = 1 / 100\ncosine_factor = (1 + math.cos(math.pi / 3)) / 2\n"
                 "exp_factor = math.exp(20 * math.log(0.95))", RIGHT),
                ("step_factor, exp_factor = 0.01, 0.95 ** 20\ncosine_factor = 0.5 * (1 + np.cos(30 / 90))", WRONG),
                ("step_factor, cosine_factor = 0.01, 0.75\nexp_factor = 0.95 * 20", WRONG),
                ("cosine_factor, exp_factor = 0.75, 0.95 ** 20\nstep_factor = 0.1 ** (65 / 30)", WRONG)],
    "ex08.p1": [("prediction = 0.044", RIGHT), ("prediction = 2 ** -4.5", RIGHT),
                ("prediction = 1.0", WRONG), ("prediction = 0.5 ** 9", WRONG),
                ("prediction = 1 / np.sqrt(2)", WRONG), ("prediction = '0.044'", WRONG)],
    "ex12.q1": [("n_valid, n_same, n_causal, n_strided = 93, 51, 34, 33", RIGHT),
                ("import math\nspan = 2 * (5 - 1) + 1\nn_valid = 101 - span + 1\nn_same = math.ceil(101 / 2)\n"
                 "n_causal = math.ceil(101 / 3)\nn_strided = float((101 - 5) // 3 + 1)", RIGHT),
                ("n_valid, n_same, n_causal, n_strided = 91, 51, 34, 33", WRONG),
                ("n_valid, n_same, n_causal = 93, 51, 34\nn_strided = 101 // 3 - 5 + 1", WRONG),
                ("n_valid, n_same, n_strided = 93, 51, 33\nn_causal = 101 - (5 - 1)", WRONG),
                ("n_valid, n_causal, n_strided = 93, 34, 33\nn_same = 101 / 2", WRONG)],
    "ex12.q2": [("def receptive_field(kernel_sizes, dilations):\n"
                 "    return 1 + int(np.sum(np.asarray(dilations) * (np.asarray(kernel_sizes) - 1)))", RIGHT),
                ("def receptive_field(kernel_sizes, dilations):\n    r = 1\n    for i in range(len(kernel_sizes)):\n"
                 "        span = dilations[i] * (kernel_sizes[i] - 1) + 1\n        r = r + span - 1\n    return r", RIGHT),
                ("def receptive_field(kernel_sizes, dilations):\n    return 2 ** len(kernel_sizes)", WRONG),
                ("def receptive_field(kernel_sizes, dilations):\n"
                 "    return int(dilations[-1] * (kernel_sizes[-1] - 1) + 1)", WRONG),
                ("def receptive_field(kernel_sizes, dilations):\n"
                 "    return 1 + int((np.max(kernel_sizes) - 1) * np.sum(dilations))", WRONG),
                ("def receptive_field(kernel_sizes, dilations):\n    r = 1\n    for k, d in zip(kernel_sizes, dilations):\n"
                 "        r += d * (k - 1)", WRONG)],
    "ex12.q3": [("def causal_pad(x, kernel_size, dilation):\n    return np.pad(x, (dilation * (kernel_size - 1), 0))", RIGHT),
                ("def causal_pad(x, kernel_size, dilation):\n"
                 "    return [0.0] * (dilation * (kernel_size - 1)) + list(x)", RIGHT),
                ("def causal_pad(x, kernel_size, dilation):\n"
                 "    return np.pad(x, (dilation * (kernel_size - 1), 0), mode='edge')", WRONG),
                ("def causal_pad(x, kernel_size, dilation):\n"
                 "    return np.pad(x, (max(dilation * (kernel_size - 1) - 1, 0), 0))", WRONG),
                ("def causal_pad(x, kernel_size, dilation):\n"
                 "    return np.pad(x, (dilation * (kernel_size - 1), 0), constant_values=1)", WRONG),
                ("def causal_pad(x, kernel_size, dilation):\n    padded = np.pad(x, (dilation * (kernel_size - 1), 0))",
                 WRONG)],
    "ex12.q4": [("def causal_conv1d(x, w, dilation):\n    y = np.zeros(len(x))\n    for m in range(len(w)):\n"
                 "        shift = dilation * (len(w) - 1 - m)\n        if shift < len(x):\n"
                 "            y[shift:] += w[m] * x[:len(x) - shift]\n    return y", RIGHT),
                ("def causal_conv1d(x, w, dilation):\n    y = []\n    for t in range(len(x)):\n        total = 0.0\n"
                 "        for m in range(len(w)):\n            i = t - dilation * (len(w) - 1 - m)\n            if i >= 0:\n"
                 "                total += w[m] * x[i]\n        y.append(total)\n    return y", RIGHT),
                ("def causal_conv1d(x, w, dilation):\n    return np.convolve(x, w[::-1])[:len(x)]", WRONG),   # forbidden
                ("from scipy.signal import lfilter\ndef causal_conv1d(x, w, dilation):\n    return lfilter(w[::-1], [1.0], x)", WRONG),
                ("def causal_conv1d(x, w, dilation):\n    y = np.zeros(len(x))\n    for m in range(len(w)):\n"   # one step late
                 "        shift = dilation * (len(w) - m)\n        if shift < len(x):\n"
                 "            y[shift:] += w[m] * x[:len(x) - shift]\n    return y", WRONG),
                ("def causal_conv1d(x, w, dilation):\n    xp = causal_pad(x, len(w), dilation)\n"
                 "    y = np.array([np.dot(w, xp[t:t + dilation * (len(w) - 1) + 1:dilation]) for t in range(len(x))])", WRONG)],
    "ex12.q5": [("params_ecg = 7 * 12 * 32 + 32\nparams_dilated = 3 * 64 * 64 + 64", RIGHT),
                ("params_ecg, params_dilated = 2720.0, 12352", RIGHT),
                ("params_ecg = (7 * 12 + 1) * 32 * 5000\nparams_dilated = (3 * 64 + 1) * 64", WRONG),
                ("params_ecg = (7 * 12 + 1) * 32\nparams_dilated = (3 * 64 + 1) * 64 * 8", WRONG),
                ("params_ecg = (7 + 12 + 1) * 32\nparams_dilated = (3 * 64 + 1) * 64", WRONG)],
    "ex12.p1": [("prediction = 31", RIGHT), ("prediction = 1 + 2 * 15", RIGHT), ("prediction = 29.5", RIGHT),
                ("prediction = 16", WRONG), ("prediction = 3 * 4", WRONG), ("prediction = 61", WRONG)],
    "ex10.q1": [("c3_maps = keras.Model(model.inputs, model.get_layer('c3').output).predict(digits[:1], verbose=0)[0]\n"
                 "c3_peak_channel = int(np.argmax(c3_maps.reshape(-1, 16).max(axis=0)))", RIGHT),
                ("outs = keras.Model(model.input, [model.get_layer(n).output for n in ('c1', 'c3')])(digits[:1])\n"
                 "c3_maps = np.asarray(outs[1][0]).tolist()\n"
                 "c3_peak_channel = np.unravel_index(np.argmax(np.asarray(outs[1][0])), (10, 10, 16))[2]", RIGHT),
                ("c3_maps = keras.Model(model.input, model.get_layer('c3').output)(digits[1:2]).numpy()[0]\n"  # digit 1
                 "c3_peak_channel = int(c3_maps.max(axis=(0, 1)).argmax())", WRONG),
                ("m = keras.Model(model.input, model.get_layer('c3').output)(digits[:1]).numpy()[0]\n"
                 "c3_maps = m / m.max()\nc3_peak_channel = int(m.max(axis=(0, 1)).argmax())", WRONG),
                ("c3_maps = keras.Model(model.input, model.get_layer('c3').output)(digits[:1]).numpy()[0]\n"
                 "c3_peak_channel = int(np.argmax(c3_maps))", WRONG)],           # a flat index, not a channel
    "ex10.q2": [("def saliency(image, class_index):\n    x = tf.Variable(image[None].astype('float32'))\n"
                 "    with tf.GradientTape() as tape:\n        s = tf.reduce_sum(score_model(x) * tf.one_hot([class_index], 10))\n"
                 "    return tf.reduce_max(tf.abs(tape.gradient(s, x)), axis=-1)[0].numpy()", RIGHT),
                ("def saliency(image, class_index):\n    x = tf.constant(image[np.newaxis], dtype=tf.float32)\n"
                 "    with tf.GradientTape() as tape:\n        tape.watch(x)\n        s = score_model(x)[:, class_index]\n"
                 "    return np.abs(tape.gradient(s, x).numpy())[0, :, :, 0].tolist()", RIGHT),
                ("def saliency(image, class_index):\n    x = tf.constant(image[None], dtype=tf.float32)\n"    # of all probabilities
                 "    with tf.GradientTape() as tape:\n        tape.watch(x)\n        p = model(x)\n"
                 "    return np.abs(tape.gradient(p, x).numpy())[0].max(axis=-1)", WRONG),
                ("def saliency(image, class_index):\n    x = tf.constant(image[None], dtype=tf.float32)\n"    # gradient x input
                 "    with tf.GradientTape() as tape:\n        tape.watch(x)\n        s = score_model(x)[0, class_index]\n"
                 "    return np.abs((tape.gradient(s, x) * x).numpy())[0].max(axis=-1)", WRONG),
                ("def saliency(image, class_index):\n    x = tf.constant(image[None], dtype=tf.float32)\n"    # of log p
                 "    with tf.GradientTape() as tape:\n        tape.watch(x)\n        s = tf.math.log(model(x)[0, class_index])\n"
                 "    return np.abs(tape.gradient(s, x).numpy())[0].max(axis=-1)", WRONG),
                ("def saliency(image, class_index):\n    x = tf.constant(image[None], dtype=tf.float32)\n"
                 "    with tf.GradientTape() as tape:\n        tape.watch(x)\n        s = score_model(x)[0, class_index]\n"
                 "    g = tape.gradient(s, x).numpy()[0].max(axis=-1) ** 2", WRONG)],      # squared, and no return
    "ex10.q3": [("def grad_cam(image, class_index, layer):\n"
                 "    m = keras.Model(score_model.inputs, [score_model.get_layer(layer).output, score_model.outputs[0]])\n"
                 "    x = tf.constant(image[None], dtype=tf.float32)\n    with tf.GradientTape() as tape:\n"
                 "        a, s = m(x)\n        target = s[:, class_index]\n    g = tape.gradient(target, a)\n"
                 "    w = tf.reduce_mean(g, axis=(1, 2), keepdims=True)\n"
                 "    return tf.nn.relu(tf.reduce_sum(w * a, axis=-1))[0].numpy()", RIGHT),
                ("def grad_cam(image, class_index, layer):\n"
                 "    m = keras.Model(score_model.input, [score_model.get_layer(layer).output, score_model.output])\n"
                 "    with tf.GradientTape() as tape:\n        a, s = m(image[None])\n        c = s[0, class_index]\n"
                 "    g = tape.gradient(c, a).numpy()[0]\n    h, w = g.shape[:2]\n"
                 "    cam = np.einsum('ijk,k->ij', a.numpy()[0], g.sum(axis=(0, 1)) / (h * w))\n"
                 "    return [[max(v, 0.0) for v in row] for row in cam]", RIGHT),
                ("def grad_cam(image, class_index, layer):\n"                                     # max, not mean
                 "    m = keras.Model(score_model.input, [score_model.get_layer(layer).output, score_model.output])\n"
                 "    with tf.GradientTape() as tape:\n        a, s = m(image[None])\n        c = s[0, class_index]\n"
                 "    g = tape.gradient(c, a).numpy()[0]\n"
                 "    return np.maximum((a.numpy()[0] * g.max(axis=(0, 1))).sum(axis=-1), 0)", WRONG),
                ("def grad_cam(image, class_index, layer):\n"                                     # ReLU on the gradients
                 "    m = keras.Model(score_model.input, [score_model.get_layer(layer).output, score_model.output])\n"
                 "    with tf.GradientTape() as tape:\n        a, s = m(image[None])\n        c = s[0, class_index]\n"
                 "    g = np.maximum(tape.gradient(c, a).numpy()[0], 0)\n"
                 "    return np.maximum((a.numpy()[0] * g.mean(axis=(0, 1))).sum(axis=-1), 0)", WRONG),
                ("def grad_cam(image, class_index, layer):\n"                                     # sum, not mean
                 "    m = keras.Model(score_model.input, [score_model.get_layer(layer).output, score_model.output])\n"
                 "    with tf.GradientTape() as tape:\n        a, s = m(image[None])\n        c = s[0, class_index]\n"
                 "    g = tape.gradient(c, a).numpy()[0]\n"
                 "    return np.maximum((a.numpy()[0] * g.sum(axis=(0, 1))).sum(axis=-1), 0)", WRONG)],
    "ex10.q4": [("def occlusion(image, class_index, patch, stride):\n    rows = cols = (image.shape[0] - patch) // stride + 1\n"
                 "    batch = [image]\n    for i in range(rows):\n        for j in range(cols):\n"
                 "            x = image.copy()\n            x[i * stride:i * stride + patch, j * stride:j * stride + patch, :] = 0.0\n"
                 "            batch.append(x)\n    p = keras.ops.convert_to_numpy(model(np.stack(batch)))[:, class_index]\n"
                 "    return (p[0] - p[1:]).reshape(rows, cols)", RIGHT),
                ("def occlusion(image, class_index, patch, stride):\n    starts = range(0, 28 - patch + 1, stride)\n"
                 "    copies = np.array([image * 1.0 for _ in starts for _ in starts])\n    k = 0\n    for i in starts:\n"
                 "        for j in starts:\n            copies[k, i:i + patch, j:j + patch] = 0\n            k += 1\n"
                 "    base = model.predict(image[None], verbose=0)[0, class_index]\n"
                 "    drops = base - model.predict(copies, verbose=0)[:, class_index]\n"
                 "    return drops.reshape(len(starts), len(starts)).tolist()", RIGHT),
                ("def occlusion(image, class_index, patch, stride):\n    n = (28 - patch) // stride + 1\n"        # mean fill
                 "    copies = np.repeat(image[None], n * n, axis=0)\n    for k in range(n * n):\n        i, j = divmod(k, n)\n"
                 "        copies[k, i * stride:i * stride + patch, j * stride:j * stride + patch] = image.mean()\n"
                 "    p0 = model.predict(image[None], verbose=0)[0, class_index]\n"
                 "    return (p0 - model.predict(copies, verbose=0)[:, class_index]).reshape(n, n)", WRONG),
                ("def occlusion(image, class_index, patch, stride):\n    n = (28 - patch) // stride + 1\n"        # a ratio
                 "    copies = np.repeat(image[None], n * n, axis=0)\n    for k in range(n * n):\n        i, j = divmod(k, n)\n"
                 "        copies[k, i * stride:i * stride + patch, j * stride:j * stride + patch] = 0\n"
                 "    p0 = model.predict(image[None], verbose=0)[0, class_index]\n"
                 "    return (1 - model.predict(copies, verbose=0)[:, class_index] / p0).reshape(n, n)", WRONG),
                ("def occlusion(image, class_index, patch, stride):\n    n = (28 - patch) // stride + 1\n"        # no stride
                 "    copies = np.repeat(image[None], n * n, axis=0)\n    for k in range(n * n):\n        i, j = divmod(k, n)\n"
                 "        copies[k, i:i + patch, j:j + patch] = 0\n"
                 "    p0 = model.predict(image[None], verbose=0)[0, class_index]\n"
                 "    return (p0 - model.predict(copies, verbose=0)[:, class_index]).reshape(n, n)", WRONG)],
    "ex10.q5": [("kernel, bias = model.get_layer('c1').get_weights()\n"
                 "responses = np.array([[np.sum(kernel[:, :, 0, k] * edges[p]) + bias[k] for k in range(6)] for p in range(2)])\n"
                 "best_filter = np.argmax(responses, axis=1)", RIGHT),
                ("w, b = model.get_layer('c1').get_weights()\n"
                 "responses = (np.tensordot(edges, w[:, :, 0, :], axes=([1, 2], [0, 1])) + b).tolist()\n"
                 "best_filter = [int(np.argmax(r)) for r in responses]", RIGHT),
                ("kernel, bias = model.get_layer('c1').get_weights()\n"                        # kernel transposed
                 "responses = np.einsum('pab,bak->pk', edges, kernel[:, :, 0, :]) + bias\n"
                 "best_filter = responses.argmax(axis=1)", WRONG),
                ("kernel, bias = model.get_layer('c1').get_weights()\nK = kernel[:, :, 0, :].reshape(25, 6)\n"   # cosine
                 "responses = (edges.reshape(2, 25) @ K) / np.outer(np.linalg.norm(edges.reshape(2, 25), axis=1), np.linalg.norm(K, axis=0))\n"
                 "best_filter = responses.argmax(axis=1)", WRONG),
                ("kernel, bias = model.get_layer('c1').get_weights()\n"                        # mean, not sum
                 "responses = (edges[..., None] * kernel[:, :, 0, :]).mean(axis=(1, 2)) + bias\n"
                 "best_filter = responses.argmax(axis=1)", WRONG)],
    "ex10.p1": [("prediction = 'background'", RIGHT), ("prediction = ' Background'", RIGHT),
                ("prediction = 'ink'", WRONG), ("prediction = 'the stroke'", WRONG), ("prediction = 0.3", WRONG)],
    "ex11.p1": [("prediction = 170", RIGHT), ("prediction = 16 * 10 + 10", RIGHT), ("prediction = 175.0", RIGHT),
                ("prediction = 1490", WRONG), ("prediction = '170'", WRONG), ("prediction = 10", WRONG)],
    "ex11.q1": [("conv = 3 * 3 * 1 * 8 + 3 * 3 * 8 * 16 + 3 * 3 * 16 * 32\nbn = 4 * (8 + 16 + 32)\nhead = (32 + 1) * 5\n"
                 "trainable_before = conv + bn // 2 + head\nnon_trainable_before = bn // 2\n"
                 "trainable_after = head\nnon_trainable_after = conv + bn", RIGHT),
                ("inputs = keras.Input((28, 28, 1))\nb = build_base('deep')\n"
                 "m = keras.Model(inputs, layers.Dense(5, activation='softmax')(layers.GlobalAveragePooling2D()(b(inputs))))\n"
                 "trainable_before = int(sum(np.prod(w.shape) for w in m.trainable_weights))\n"
                 "non_trainable_before = m.count_params() - trainable_before\nb.trainable = False\n"
                 "trainable_after = float(sum(np.prod(w.shape) for w in m.trainable_weights))\n"
                 "non_trainable_after = m.count_params() - trainable_after", RIGHT),
                ("conv = 3 * 3 * 1 * 8 + 3 * 3 * 8 * 16 + 3 * 3 * 16 * 32\nbn = 4 * (8 + 16 + 32)\nhead = 7 * 7 * 32 * 5 + 5\n"  # Flatten
                 "trainable_before = conv + bn // 2 + head\nnon_trainable_before = bn // 2\n"
                 "trainable_after = head\nnon_trainable_after = conv + bn", WRONG),
                ("b = build_base('deep')\nm = keras.Sequential([b, layers.GlobalAveragePooling2D(), layers.Dense(5)])\n"  # arrays
                 "trainable_before, non_trainable_before = len(m.trainable_weights), len(m.non_trainable_weights)\n"
                 "b.trainable = False\n"
                 "trainable_after, non_trainable_after = len(m.trainable_weights), len(m.non_trainable_weights)", WRONG),
                ("conv = (3 * 3 * 1 + 1) * 8 + (3 * 3 * 8 + 1) * 16 + (3 * 3 * 16 + 1) * 32\nbn = 4 * (8 + 16 + 32)\n"  # biases
                 "head = (32 + 1) * 5\ntrainable_before = conv + bn // 2 + head\nnon_trainable_before = bn // 2\n"
                 "trainable_after = head\nnon_trainable_after = conv + bn", WRONG)],
    "ex11.q2": [("def build_feature_extractor(base, n_classes):\n    base.trainable = False\n    inputs = keras.Input((28, 28, 1))\n"
                 "    x = layers.GlobalAveragePooling2D()(base(inputs, training=False))\n"
                 "    return keras.Model(inputs, layers.Dense(n_classes, activation='softmax')(x))", RIGHT),
                ("def build_feature_extractor(base, n_classes):\n    for layer in base.layers:\n        layer.trainable = False\n"
                 "    return keras.Sequential([base, layers.GlobalAveragePooling2D(), layers.Dense(n_classes), layers.Softmax()])",
                 RIGHT),
                ("def build_feature_extractor(base, n_classes):\n    base.trainable = False\n"      # max pooling
                 "    return keras.Sequential([base, layers.GlobalMaxPooling2D(), layers.Dense(n_classes, activation='softmax')])",
                 WRONG),
                ("def build_feature_extractor(base, n_classes):\n    base.trainable = False\n"      # no softmax
                 "    return keras.Sequential([base, layers.GlobalAveragePooling2D(), layers.Dense(n_classes)])", WRONG),
                ("def build_feature_extractor(base, n_classes):\n    for layer in base.layers[:-3]:\n"   # the top block stays trainable
                 "        layer.trainable = False\n"
                 "    return keras.Sequential([base, layers.GlobalAveragePooling2D(), layers.Dense(n_classes, activation='softmax')])",
                 WRONG)],
    "ex11.q3": [("def set_up_fine_tuning(base, k):\n    for layer in base.layers:\n        layer.trainable = False\n"
                 "    for layer in base.layers[-k:]:\n        if not isinstance(layer, layers.BatchNormalization):\n"
                 "            layer.trainable = True\n    return base", RIGHT),
                ("def set_up_fine_tuning(base, k):\n    base.trainable = True\n    first = len(base.layers) - k\n"
                 "    for i in range(len(base.layers)):\n        layer = base.layers[i]\n"
                 "        layer.trainable = i >= first and 'BatchNormalization' not in type(layer).__name__\n    return base", RIGHT),
                ("def set_up_fine_tuning(base, k):\n    base.trainable = True\n"                  # Conv2D kept frozen, not BN
                 "    for i, layer in enumerate(base.layers):\n"
                 "        layer.trainable = i >= len(base.layers) - k and not isinstance(layer, layers.Conv2D)\n    return base", WRONG),
                ("def set_up_fine_tuning(base, k):\n    for layer in base.layers[-k:]:\n"        # nothing frozen at all
                 "        layer.trainable = True\n    return base", WRONG),
                ("def set_up_fine_tuning(base, k):\n    for layer in base.layers[-k:]:\n"        # only the top BN frozen
                 "        layer.trainable = not isinstance(layer, layers.BatchNormalization)\n    return base", WRONG),
                ("def set_up_fine_tuning(base, k):\n    base.trainable = True\n"                  # forgot the return
                 "    for i, layer in enumerate(base.layers):\n"
                 "        layer.trainable = i >= len(base.layers) - k and not isinstance(layer, layers.BatchNormalization)", WRONG)],
    "ex11.q4": [("changed_extraction = sum(bool((a != b).any()) for a, b in zip(extraction_before, extraction_after))\n"
                 "changed_fine_tuning = len([1 for a, b in zip(tuning_before, tuning_after) if not np.array_equal(a, b)])", RIGHT),
                ("changed_extraction = float(np.sum([not np.allclose(a, b, rtol=0, atol=0) for a, b in zip(extraction_before, extraction_after)]))\n"
                 "changed_fine_tuning = np.sum([not np.allclose(a, b, rtol=0, atol=0) for a, b in zip(tuning_before, tuning_after)])", RIGHT),
                ("changed_extraction = sum(int((a != b).sum()) for a, b in zip(extraction_before, extraction_after))\n"   # elements
                 "changed_fine_tuning = sum(int((a != b).sum()) for a, b in zip(tuning_before, tuning_after))", WRONG),
                ("changed_extraction = sum(np.array_equal(a, b) for a, b in zip(extraction_before, extraction_after))\n"  # unchanged
                 "changed_fine_tuning = sum(np.array_equal(a, b) for a, b in zip(tuning_before, tuning_after))", WRONG),
                ("changed_extraction = np.mean([not np.array_equal(a, b) for a, b in zip(extraction_before, extraction_after)])\n"
                 "changed_fine_tuning = np.mean([not np.array_equal(a, b) for a, b in zip(tuning_before, tuning_after)])", WRONG)],
}


def _setup(exercise):
    module = type(exercise.questions[0]).__module__
    for name, mod in __import__("sys").modules.items():
        if getattr(mod, "EXERCISE", None) is exercise:
            module = name
    package, _, name = module.rpartition(".")
    cells = [f"import numpy as np\nfrom {package} import {name} as ex"]
    if exercise.given():         # what the grader defines before any cell, the notebook loads with course_utils
        cells.append("globals().update(ex.EXERCISE.given())")
    cells += [c["source"] for c in instructor_cells(exercise) if c["question"] is None]
    return cells


def _check_call(question) -> str:
    args = ", ".join(getattr(question, "names", None) or [question.name])
    return f"_result = ex.{question.id.split('.')[1]}.check_result({args})"


def earlier_answer(question, solutions) -> str:
    """What a corpus notebook holds for a question it does not judge: the solution, or the stub of a
    question that trains a model (no later answer builds on the trained model; training is slow)."""
    trains = question.probe_spec()["probe"] == Probe.PREDICT
    return solutions[question.id]["stub" if trains else "solution"]


_CHECKED: dict[str, list] = {}   # qid -> its answers' results: the agreement and the leak tests share one run


def run_check_corpus(qids=None):
    """``[(qid, source, Result, expected correct)]`` for every corpus answer, checked as in a notebook."""
    from IPython.core.interactiveshell import InteractiveShell

    main = sys.modules["__main__"]
    try:
        return _run_check_corpus(InteractiveShell.instance(), qids)
    finally:
        sys.modules["__main__"] = main   # the shell's reset() replaced it (one without __spec__)


def _run_check_corpus(shell, qids):
    out = []
    for exercise in all_exercises().values():
        questions = [q for q in exercise.questions if q.id in CORPUS and (qids is None or q.id in qids)]
        if not questions:
            continue
        solutions = graded_sources(exercise.notebook)
        for q in questions:
            if q.id in _CHECKED:
                out += _CHECKED[q.id]
                continue
            start = len(out)
            for source, correct in CORPUS[q.id]:
                shell.reset(new_session=True)
                with redirect_stdout(io.StringIO()):
                    for cell in _setup(exercise):
                        shell.run_cell(cell, store_history=True)
                    for other in exercise.questions:   # earlier answers the cell may build on
                        if other.id == q.id:
                            break
                        shell.run_cell(earlier_answer(other, solutions), store_history=True)
                    shell.run_cell(source, store_history=True)
                    shell.run_cell(_check_call(q), store_history=True)
                out.append((q.id, source, shell.user_ns["_result"], correct))
            _CHECKED[q.id] = out[start:]
    return out
