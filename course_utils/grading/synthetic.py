"""A synthetic class of submissions, to try the grader and to test and benchmark it.

    python -m course_utils.grading.synthetic OUT [--students 30]
    python -m course_utils.grade OUT --out grading

Each student gets, per exercise, a *profile*: the solution, the untouched student
notebook, known-wrong answers, a mix, no file at all, a broken file, or one of a few
adversarial notebooks (an endless loop, a monkeypatched ``np.allclose``, an import of
the course's reference code, a fork). :func:`make_class` returns the status and points
the grader must give for every question, which the tests compare with ``grades.csv``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from course_utils.checks import notebook_schema
from course_utils.checks.protocol import FAIL, FORBIDDEN, INVALID, MISSING, PASS, TIMEOUT
from course_utils.exercises import all_exercises

ROOT = Path(__file__).resolve().parent.parent.parent
SOLUTIONS = ROOT / "exercises" / "solutions"
STUDENT_NOTEBOOKS = ROOT / "exercises"

# Known-wrong answers with a deterministic outcome on any hidden input: (source, points earned).
WRONG = {
    "ex01.q1": ("y = np.correlate(x, h, 'full')  # forgot the flip", 0.0),
    "ex01.q2": ("n_full, n_same, n_valid = 107, 100, 93", 2 / 3),
    "ex01.q3": ("def conv1d_full(x, h):\n    return np.zeros(len(x) + len(h) + 5)", 0.0),
    "ex01.q4": ("def convolution_matrix(h, n):\n    return np.zeros((n + len(h) + 1, n))", 0.0),
    "ex01.p1": ("y_delay = x", 0.0),
    "ex01.p2": ('prediction = "no"', 0.0),
    "ex04.q1": ("out_28 = 27\nalexnet_width = 55", 1.0),
    "ex04.q2": ("weights_per_neuron, neurons, connections, parameters = 363, 290400, 105705600, 34944", 3.0),
    "ex04.q3": ("rf, jump = 5, 4", 1.0),
    "ex04.q4": ("pooled, pool_params = 27, 96", 1.0),
    "ex04.q5": ("lenet_params = [150, 0, 2400, 0, 1920, 0, 252000, 840]\nlenet_total = 257546", 1.5),
    "ex04.q6": ("def output_size(I, F, S, P):\n    return -1", 0.0),
    "ex04.p1": ("same_pad = 4", 0.0),
    "ex04.p2": ("prediction = 28", 0.0),
    "ex02.q1": ("valid = np.array([[14, -12, 25], [-17, -14, 7], [-14, 24, -3]])  # the slide's sign slip", 0.0),
    "ex02.q2": ("same = np.zeros((7, 7))", 0.0),
    "ex02.q3": ("strided = np.zeros((2, 2))", 0.0),
    "ex02.q4": ("def correlate2d(image, kernel, padding=0, stride=1):\n    return np.zeros((1, 1))", 0.0),
    "ex02.q5": ("sobel_conv = np.zeros((3, 3))", 0.0),
    "ex02.p1": ("strided_nopad = np.zeros((3, 3))", 0.0),
    "ex02.p2": ("prediction = 9", 0.0),
    "ex03.q1": ("def sobel_xy(image):\n    return np.zeros((2,) + np.shape(image))", 0.0),
    "ex03.q2": ("magnitude = np.hypot(gx_vectors, gy_vectors)\n"
                "orientation = np.degrees(np.arctan2(gx_vectors, gy_vectors))", 1.0),
    "ex03.q3": ("n_edges, edge_fraction = 27, 56.25", 1.0),
    "ex03.q4": ("kernel_sums = [1, 1, 9, 8, 8, 8]\nflat_response = [0.5, 0.5, 0.5, 0, 0, 0]", 1.0),
    "ex03.p1": ("unsigned = np.zeros(6)", 0.0),
    "ex03.p2": ("prediction = 1", 0.0),
    "ex05.q1": ("pooled_2x2 = np.array([[3.25, 5.25], [2.0, 2.0]])\n"
                "pooled_3x3 = np.array([[3, 3, 3], [3, 3, 3], [3, 2, 3]])", 1.0),
    "ex05.q2": ("avg_2x2 = np.array([[6, 8], [3, 4]])", 0.0),
    "ex05.q3": ("def maxpool_forward(x, size, stride):\n    return np.zeros((1, 1))", 0.0),
    "ex05.q4": ("def maxpool_backward(dout, x, size, stride):\n    return np.zeros(np.shape(x))", 0.0),
    "ex05.q5": ("out_a, out_b, out_c = 112, 6, 4", 4 / 3),
    "ex05.p1": ("avg_grad = np.zeros((4, 4))", 0.0),
    "ex05.p2": ("prediction = 9", 0.0),
    "ex06.q1": ("out_shape = (8, 10, 16, 16)\nn_params = 760", 1.0),
    "ex06.q2": ("def conv_forward(x, w, b, stride=1, padding=0):\n    return np.zeros((1, 1, 1, 1))", 0.0),
    "ex06.q3": ("def bias_gradient(dout):\n    return dout.sum(axis=(1, 2))", 0.0),
    "ex06.q4": ("def weight_gradient(dout, x, w, stride=1, padding=0):\n    return np.zeros(np.shape(w))", 0.0),
    "ex06.q5": ("def input_gradient(dout, x, w, stride=1, padding=0):\n    return np.zeros(np.shape(x))", 0.0),
    "ex06.q6": ("def gradient_check(x, w, b, dout, dw, stride=1, padding=0):\n    return -1.0", 0.0),
    "ex06.p1": ("cols_shape = (27, 18)", 0.0),
    "ex06.p2": ("prediction = 10", 0.0),
}

# Adversarial answers: question -> (source, status). The other questions hold the solution.
ADVERSARIAL = {
    "timeout": ("ex01.q3", "def conv1d_full(x, h):\n    while True:\n        pass", TIMEOUT),
    "allclose": ("ex01.q1", "np.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True\n"
                            "y = np.zeros(10)", FAIL),
    "reference": ("ex01.q3", "from course_utils.conv import convolve2d\n"
                             "def conv1d_full(x, h):\n    return convolve2d(x[None], h[None], padding=len(h) - 1)[0]",
                  FORBIDDEN),
    "fork": ("ex01.q2", "import os\nwhile True:\n    os.fork()", FORBIDDEN),
}
# The exercises a synthetic class covers by default: every question has a WRONG entry above.
DEFAULT_EXERCISES = ("01_convolution_1d", "04_output_sizes_and_counts")
PROFILES = ("solution", "stub", "wrong", "mixed", "solution", "missing", "wrong", "solution", "invalid", "mixed")


def graded_sources(notebook: str) -> dict:
    """``{qid: {"solution": src, "stub": src}}`` from the solution and student notebooks."""
    out = {}
    for kind, folder in (("solution", SOLUTIONS), ("stub", STUDENT_NOTEBOOKS)):
        nb = json.loads((folder / f"{notebook}.ipynb").read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            qid = notebook_schema.question_id(cell)
            if qid:
                out.setdefault(qid, {})[kind] = notebook_schema.cell_source(cell)
    return out


def submission(notebook: str, answers: dict) -> str:
    """The student notebook with each graded cell's source replaced by ``answers[qid]``."""
    nb = json.loads((STUDENT_NOTEBOOKS / f"{notebook}.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        qid = notebook_schema.question_id(cell)
        if qid in answers:
            cell["source"] = answers[qid]
    return json.dumps(nb, indent=1)


def make_class(out: Path, students: int = 30, adversarial: bool = True, exercises=DEFAULT_EXERCISES,
               profiles=PROFILES) -> dict:
    """Write ``out/<student>/<exercise>.ipynb``; return ``{(student, notebook, qid): (status, points)}``.

    Points of wrong answers are what the grader must give; statuses of adversarial
    notebooks too. ``profiles`` rotate, so that every kind of :data:`PROFILES` appears in a
    class of 10 or more; ``profiles=("solution",)`` gives a class of solutions, which any
    exercise can have (the other profiles need a :data:`WRONG` answer for each question).
    """
    out = Path(out)
    expected = {}
    known = all_exercises()
    exercises = {name: known[name] for name in exercises}
    special = list(ADVERSARIAL) if adversarial else []
    for number in range(1, students + 1):
        student = f"student{number:02d}"
        folder = out / student
        folder.mkdir(parents=True, exist_ok=True)
        for e_index, (name, exercise) in enumerate(exercises.items()):
            sources = graded_sources(name)
            profile = profiles[(number + 3 * e_index) % len(profiles)]
            adversary = None
            if e_index == 0 and special and number % 4 == 3 and number // 4 < len(special):
                adversary = special[number // 4]
                profile = "adversarial"
            path = folder / f"{name}.ipynb"
            if profile == "missing":
                for q in exercise.questions:
                    expected[(student, name, q.id)] = (MISSING, 0.0)
                continue
            if profile == "invalid":
                path.write_text('{"cells": [ {"cell_type": "code", "source": "y = 1"', encoding="utf-8")
                for q in exercise.questions:
                    expected[(student, name, q.id)] = (INVALID, 0.0)
                continue
            answers = {}
            for k, q in enumerate(exercise.questions):
                kind = profile
                if profile == "mixed":
                    kind = ("solution", "wrong", "stub")[k % 3]
                if profile == "adversarial":
                    kind = "solution"
                if kind == "solution":
                    answers[q.id] = sources[q.id]["solution"]
                    expected[(student, name, q.id)] = (PASS, q.points)
                elif kind == "stub":
                    answers[q.id] = sources[q.id]["stub"]
                    expected[(student, name, q.id)] = (FAIL, 0.0)
                else:
                    source, fraction_points = WRONG[q.id]
                    answers[q.id] = source
                    expected[(student, name, q.id)] = (FAIL, round(fraction_points, 4))
            if adversary:
                qid, source, status = ADVERSARIAL[adversary]
                answers[qid] = source
                expected[(student, name, qid)] = (status, 0.0)
            path.write_text(submission(name, answers), encoding="utf-8")
    return expected


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.grading.synthetic", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--no-adversarial", action="store_true")
    args = parser.parse_args(argv)
    expected = make_class(args.out, args.students, not args.no_adversarial)
    print(f"wrote {args.students} students' submissions to {args.out} ({len(expected)} graded questions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
