"""Answers written as students write them: per question, correct ones in other forms than the
solution and wrong ones outside its known-mistake list. ``run_check_corpus()`` runs each the way
a student's notebook does (an IPython shell: the context cells, the graded cell, then
``check()``); the agreement test grades the same answers with the grader."""
from __future__ import annotations

import io
from contextlib import redirect_stdout

from course_utils.exercises import all_exercises
from course_utils.exercises.synthetic import graded_sources
from course_utils.grade import instructor_cells

RIGHT, WRONG = True, False
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
    "ex05.q5": [("out_a, out_b, out_c = 112, 6, 3", RIGHT), ("out_a = 224 // 2\nout_b = (13 - 3) // 2 + 1\nout_c = 7 // 2", RIGHT),
                ("out_a, out_b, out_c = 112, 6.5, 3", WRONG), ("out_a, out_b, out_c = 113, 6, 3", WRONG),
                ("out_a, out_b, out_c = 112, 7, 3", WRONG)],
    "ex05.p1": [("avg_grad = np.repeat(np.repeat(dout_p, 2, axis=0), 2, axis=1) / 4", RIGHT),
                ("avg_grad = np.kron(dout_p / 4, np.ones((2, 2)))", RIGHT),
                ("avg_grad = np.kron(dout_p, np.ones((2, 2))) / 2", WRONG), ("avg_grad = np.tile(dout_p, (2, 2)) / 4", WRONG),
                ("avg_grad = np.ones((4, 4)) / 4", WRONG)],
}


def _setup(exercise):
    module = type(exercise.questions[0]).__module__
    for name, mod in __import__("sys").modules.items():
        if getattr(mod, "EXERCISE", None) is exercise:
            module = name
    package, _, name = module.rpartition(".")
    cells = [f"import numpy as np\nfrom {package} import {name} as ex"]
    cells += [c["source"] for c in instructor_cells(exercise) if c["question"] is None]
    return cells


def _check_call(question) -> str:
    args = ", ".join(getattr(question, "names", None) or [question.name])
    return f"_result = ex.{question.id.split('.')[1]}.check_result({args})"


def run_check_corpus(qids=None):
    """``[(qid, source, Result, expected correct)]`` for every corpus answer, checked as in a notebook."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    out = []
    for exercise in all_exercises().values():
        questions = [q for q in exercise.questions if q.id in CORPUS and (qids is None or q.id in qids)]
        if not questions:
            continue
        solutions = graded_sources(exercise.notebook)
        for q in questions:
            for source, correct in CORPUS[q.id]:
                shell.reset(new_session=True)
                with redirect_stdout(io.StringIO()):
                    for cell in _setup(exercise):
                        shell.run_cell(cell, store_history=True)
                    for other in exercise.questions:   # earlier answers the cell may build on
                        if other.id == q.id:
                            break
                        shell.run_cell(solutions[other.id]["solution"], store_history=True)
                    shell.run_cell(source, store_history=True)
                    shell.run_cell(_check_call(q), store_history=True)
                out.append((q.id, source, shell.user_ns["_result"], correct))
    return out
