"""Exercises 02, 03, 05 and 06 graded end to end through the command line
(``python -m course_utils.grade``'s entry point): the solution, a known-wrong answer for every
question and the untouched student notebook, each with its rows, points and messages in grades.csv."""
import csv
import re

import pytest

from course_utils.grading import cli
from course_utils.exercises import all_exercises
from course_utils.grading.synthetic import graded_sources, submission

pytestmark = pytest.mark.usefixtures("isolation")   # grading needs bubblewrap (see conftest.py)

EXERCISES = ("02_cross_correlation_2d", "03_sobel_edges", "05_pooling_forward_backward", "06_conv_layer_backward")

FLIPPED_CORRELATE = """def correlate2d(image, kernel, padding=0, stride=1):
    k = np.asarray(kernel, dtype=float)[::-1, ::-1]          # a convolution, not a correlation
    p = np.pad(np.asarray(image, dtype=float), padding)
    rows = (p.shape[0] - k.shape[0]) // stride + 1
    cols = (p.shape[1] - k.shape[1]) // stride + 1
    return np.array([[np.sum(p[i * stride:i * stride + k.shape[0], j * stride:j * stride + k.shape[1]] * k)
                      for j in range(cols)] for i in range(rows)])"""

SWAPPED_SOBEL = """def sobel_xy(image):
    image = np.asarray(image, dtype=float)
    h, w = image.shape
    p = np.pad(image, 1, mode="edge")
    def conv(k):
        k = k[::-1, ::-1]
        return sum(k[m, n] * p[m:m + h, n:n + w] for m in range(3) for n in range(3))
    return np.stack([conv(sobel_y), conv(sobel_x)])"""

AVERAGE_POOL = """def maxpool_forward(x, size, stride):
    x = np.asarray(x, dtype=float)
    rows, cols = (x.shape[0] - size) // stride + 1, (x.shape[1] - size) // stride + 1
    return np.array([[x[i * stride:i * stride + size, j * stride:j * stride + size].mean() for j in range(cols)]
                     for i in range(rows)])"""

SPREAD_BACKWARD = """def maxpool_backward(dout, x, size, stride):
    dx = np.zeros(np.shape(x))
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            dx[i * stride:i * stride + size, j * stride:j * stride + size] += dout[i, j]
    return dx"""

CONV_NO_BIAS = """def conv_forward(x, w, b, stride=1, padding=0):
    x = np.pad(np.asarray(x, dtype=float), ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    kh, kw, _, c_out = w.shape
    oh, ow = (x.shape[1] - kh) // stride + 1, (x.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, c_out))
    for m in range(kh):
        for k in range(kw):
            out += x[:, m:m + stride * (oh - 1) + 1:stride, k:k + stride * (ow - 1) + 1:stride, :] @ w[m, k]
    return out                                                # forgot + b"""

MEAN_DW = """def weight_gradient(dout, x, w, stride=1, padding=0):
    x = np.pad(np.asarray(x, dtype=float), ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    _, oh, ow, _ = dout.shape
    dw = np.zeros(np.shape(w))
    for m in range(dw.shape[0]):
        for k in range(dw.shape[1]):
            patch = x[:, m:m + stride * (oh - 1) + 1:stride, k:k + stride * (ow - 1) + 1:stride, :]
            dw[m, k] = np.einsum("nijc,nijf->cf", patch, dout)
    return dw / len(x)                                        # the batch mean, not the sum"""

UNCROPPED_DX = """def input_gradient(dout, x, w, stride=1, padding=0):
    n, h, wd, c = np.shape(x)
    _, oh, ow, _ = dout.shape
    dp = np.zeros((n, h + 2 * padding, wd + 2 * padding, c))
    for m in range(w.shape[0]):
        for k in range(w.shape[1]):
            dp[:, m:m + stride * (oh - 1) + 1:stride, k:k + stride * (ow - 1) + 1:stride, :] += dout @ w[m, k].T
    return dp                                                  # padding not cropped"""

MEAN_CHECK = """def gradient_check(x, w, b, dout, dw, stride=1, padding=0, eps=1e-5):
    w = np.array(w, dtype=float)
    numeric = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        old = w[idx]
        w[idx] = old + eps
        plus = np.sum(conv_forward(x, w, b, stride, padding) * dout)
        w[idx] = old - eps
        minus = np.sum(conv_forward(x, w, b, stride, padding) * dout)
        w[idx] = old
        numeric[idx] = (plus - minus) / (2 * eps)
    return float(np.mean(np.abs(dw - numeric) / np.maximum(np.abs(dw) + np.abs(numeric), 1e-8)))"""

# question -> (wrong source, points it must earn on ANY hidden inputs, a fragment of its message)
WRONG = {
    "ex02.q1": ("valid = np.array([[14, -12, 25], [-17, -14, 7], [-14, 24, -3]])  # copied from the slide", 0,
                "sign slip?"),
    "ex02.q2": ("same = np.zeros((7, 7))", 0, "padding applied twice?"),
    "ex02.q3": ("strided = np.array([[14, 25], [-14, -3]])  # the valid result, every second position", 0,
                "forgot the padding?"),
    "ex02.q4": (FLIPPED_CORRELATE, 4 / 7, "kernel flipped?"),      # only the 1x1 kernel survives the flip
    "ex02.q5": ("sobel_conv = np.array([[9, 10, -12], [2, 14, 0], [1, 18, 4]])", 0, "every sign is flipped"),
    "ex02.p1": ("strided_nopad = np.zeros((3, 3))", 0, "no padding"),
    "ex02.p2": ("prediction = 9", 0, "too large: the measured value is 4.0"),
    "ex03.q1": (SWAPPED_SOBEL, 0, "x and y swapped?"),
    "ex03.q2": ("magnitude = np.hypot(gx_vectors, gy_vectors)\n"
                "orientation = np.degrees(np.arctan2(gx_vectors, gy_vectors))", 1, "atan2 takes gy first"),
    "ex03.q3": ("n_edges = 27\nedge_fraction = 56.25", 1, "do not multiply by 100"),
    "ex03.q4": ("kernel_sums = [1, 1, 9, 8, 8, 8]\nflat_response = [0.5, 0.5, 0.5, 0, 0, 0]", 1, "signed weights"),
    "ex03.p1": ("unsigned = np.abs([0, 90, 180, 45, -135, -90])", 0, "np.mod"),
    "ex03.p2": ("prediction = 8", 0, "too large: the measured value is 4.0"),
    "ex05.q1": ("pooled_2x2 = np.array([[3.25, 5.25], [2.0, 2.0]])\n"
                "pooled_3x3 = np.array([[3, 3, 3], [3, 3, 3], [3, 2, 3]])", 1, "averaging instead of max?"),
    "ex05.q2": ("avg_2x2 = np.array([[6, 8], [3, 4]])", 0, "that is max pooling"),
    "ex05.q3": (AVERAGE_POOL, 0, "averaging instead of max?"),
    "ex05.q4": (SPREAD_BACKWARD, 0, "spread to every position"),
    "ex05.q5": ("out_a, out_b, out_c = 112, 6, 4", 4 / 3, "round down"),
    "ex05.p1": ("avg_grad = np.kron(dout_p, np.ones((2, 2)))", 0, "dout / 4"),
    "ex05.p2": ("prediction = 9", 0, "too large: the measured value is 6"),
    "ex06.q1": ("out_shape = (8, 10, 16, 16)\nn_params = 760", 1, "channels-first?"),
    "ex06.q2": (CONV_NO_BIAS, 0, "forgot the bias?"),
    "ex06.q3": ("def bias_gradient(dout):\n    return dout.sum(axis=(1, 2))", 0, "not summed over the batch"),
    "ex06.q4": (MEAN_DW, 3 / 7, "batch MEAN"),                    # the one-image layer passes
    "ex06.q5": (UNCROPPED_DX, 3 * 3 / 7, "crop the padding"),      # the three layers without padding pass
    "ex06.q6": (MEAN_CHECK, 3 * 5 / 9, "MEAN"),                    # mean = max when every entry is equally wrong
    "ex06.p1": ("cols_shape = (27, 18)", 0, "one ROW per output position"),
    "ex06.p2": ("prediction = 10", 0, "too small: the measured value is 100"),
}


# question -> (source, status): banned modules and the course's reference code, the rest is the solution.
BANNED = {
    "ex02.q4": ("from scipy.signal import correlate2d as c\n"
                "def correlate2d(image, kernel, padding=0, stride=1):\n"
                "    return c(np.pad(image, padding), kernel, 'valid')[::stride, ::stride]", "scipy.signal"),
    "ex03.q1": ("\nimport scipy.ndimage", "scipy.ndimage"),    # appended: sobel_xy is defined for question 3
    "ex05.q4": ("from course_utils.layers import MaxPool2D\n", "import course_utils"),
    "ex06.q2": ("\nimport course_utils.layers", "import course_utils"),   # appended: question 6 still runs
}


def banned_answers(sources):
    answers = {qid: s["solution"] for qid, s in sources.items()}
    for qid, (source, _) in BANNED.items():
        if qid not in answers:
            continue
        if source.startswith("\n"):
            answers[qid] = answers[qid] + source
        elif "def " not in source:
            answers[qid] = source + answers[qid]
        else:
            answers[qid] = source
    return answers


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("grading2d")
    subs, out = base / "submissions", base / "out"
    for name in EXERCISES:
        sources = graded_sources(name)
        answers = {
            "right": {qid: s["solution"] for qid, s in sources.items()},
            "stub": {qid: s["stub"] for qid, s in sources.items()},
            "wrong": {qid: WRONG[qid][0] for qid in sources},
            "banned": banned_answers(sources),
        }
        for student, replace in answers.items():
            (subs / student).mkdir(parents=True, exist_ok=True)
            (subs / student / f"{name}.ipynb").write_text(submission(name, replace), encoding="utf-8")
    code = cli.main([str(subs), "--out", str(out), "--jobs", "2", "--timeout", "15", "--quiet"])
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        rows = {(r["student"], r["question"]): r for r in csv.DictReader(f)}
    return {"code": code, "rows": rows, "out": out}


def test_every_question_has_a_wrong_answer():
    qids = {q.id for name in EXERCISES for q in all_exercises()[name].questions}
    assert qids == set(WRONG)


def test_cli_grades_every_row(graded):
    assert graded["code"] == 0
    n_questions = sum(len(all_exercises()[name].questions) for name in EXERCISES)
    assert len(graded["rows"]) == 4 * n_questions == 4 * 28   # 24 questions and a prediction per exercise


def test_solutions_pass_with_full_points(graded):
    for name in EXERCISES:
        for q in all_exercises()[name].questions:
            row = graded["rows"][("right", q.id)]
            assert (row["status"], float(row["points"])) == ("PASS", q.points), row


def test_known_wrong_answers_fail_with_their_message_and_points(graded):
    for qid, (_, points, fragment) in WRONG.items():
        row = graded["rows"][("wrong", qid)]
        assert row["status"] == "FAIL", row
        assert float(row["points"]) == pytest.approx(points, abs=1e-3), row
        assert fragment in row["message"], row
        assert "\n" not in row["message"]


def test_function_feedback_names_hidden_tests_without_values(graded):
    for qid in ("ex02.q4", "ex03.q1", "ex05.q3", "ex05.q4", "ex06.q2", "ex06.q4", "ex06.q5", "ex06.q6"):
        message = graded["rows"][("wrong", qid)]["message"]
        assert "hidden test" in message, message
        assert re.search(r"the result(\[[\d, ]+\])? is too (small|large)", message) or \
            ("has shape" in message and "expected (" in message), message


def test_untouched_notebooks_are_not_attempted(graded):
    for name in EXERCISES:
        for q in all_exercises()[name].questions:
            row = graded["rows"][("stub", q.id)]
            assert (row["status"], float(row["points"])) == ("FAIL", 0.0), row
            assert row["message"].startswith("Not attempted yet"), row


def test_feedback_files_and_gradebook(graded):
    out = graded["out"]
    for student in ("right", "wrong", "stub", "banned"):
        for name in EXERCISES:
            assert (out / "feedback" / student / f"{name}.md").exists()
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        book = {row["student"]: row for row in csv.DictReader(f)}
    maximum = sum(all_exercises()[name].max_points for name in EXERCISES)
    assert float(book["right"]["total"]) == float(book["right"]["max_total"]) == maximum == 12 + 9 + 12 + 16
    assert float(book["stub"]["total"]) == 0
    assert float(book["wrong"]["total"]) == pytest.approx(sum(p for _, p, _ in WRONG.values()), abs=1e-2)


def test_banned_modules_and_reference_code_are_forbidden_and_only_there(graded):
    for qid, (_, fragment) in BANNED.items():
        row = graded["rows"][("banned", qid)]
        assert (row["status"], float(row["points"])) == ("FORBIDDEN", 0.0), row
        assert fragment in row["message"], row
    # question 5 of exercise 02 calls the correlate2d that question 4's refused cell never defined
    cascade = graded["rows"][("banned", "ex02.q5")]
    assert cascade["status"] == "ERROR" and "name 'correlate2d' is not defined" in cascade["message"], cascade
    others = [key for key in graded["rows"] if key[0] == "banned" and key[1] not in BANNED and key[1] != "ex02.q5"]
    assert len(others) == 28 - len(BANNED) - 1
    for key in others:
        assert graded["rows"][key]["status"] == "PASS", graded["rows"][key]


def test_synthetic_class_of_these_exercises_gets_the_predicted_grades(tmp_path):
    from course_utils.grading.synthetic import make_class

    expected = make_class(tmp_path / "subs", students=5, adversarial=False, exercises=EXERCISES)
    cli.grade_class(tmp_path / "subs", tmp_path / "out", jobs=2, progress=False)
    with open(tmp_path / "out" / "grades.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(expected) == 5 * 28
    for row in rows:
        want = expected[(row["student"], row["exercise"], row["question"])]
        assert (row["status"], round(float(row["points"]), 4)) == want, row
    assert {"PASS", "FAIL", "MISSING"} <= {row["status"] for row in rows}
