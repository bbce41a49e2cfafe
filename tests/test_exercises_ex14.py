"""Exercise 14 (beyond classification): the references agree with Keras and with hand-worked values,
every check passes the solution, gives the known mistakes their message and reports stubs as
"not attempted"; the grader agrees."""

import numpy as np
import pytest

import course_utils  # noqa: F401  (quiet TensorFlow start-up)
import keras

from course_utils.checks.protocol import PASS
from course_utils.exercises import ex14_beyond_classification as ex14
from exercise_asserts import assert_mistakes_advised, assert_solution_full_marks, assert_stubs_not_attempted, assert_not_attempted, assert_wrong, check, grade_students, sourceless, stub


def iou_by_hand(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return w * h / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h)


def nms_by_hand(boxes, scores, iou_threshold, order="score", suppress=lambda o, t: o > t, one_round=False):
    """Greedy NMS, right by default; the switches make the known mistakes as students write them."""
    remaining = sorted(range(len(scores)), key=lambda k: -scores[k]) if order == "score" else list(range(len(scores)))
    kept = []
    while remaining:
        best = remaining.pop(0)
        kept.append(best)
        remaining = [k for k in remaining if not suppress(iou_by_hand(boxes[best], boxes[k]), iou_threshold)]
        if one_round:
            return np.array(kept + remaining)
    return np.array(kept)


def test_references():
    assert ex14.box_iou(*ex14.PREDICT_BOXES) == pytest.approx(1 / 3)
    assert ex14.ranking_answers() == pytest.approx((4 / 7, 4 / 9, (1 + 2 / 3 + 4 / 7 + 4 / 7 + 5 / 9) / 9))
    assert ex14.nms(np.array([[0, 0, 10, 10], [0, 0, 10, 5]], float), np.array([0.9, 0.8]), 0.5).tolist() == [0, 1]
    for i, k, s, p, op in [(16, 2, 2, 0, 0), (5, 3, 2, 1, 1), (7, 4, 3, 1, 2)]:
        layer = keras.layers.Conv2DTranspose(1, k, strides=s, padding="valid", output_padding=op)
        cropped = layer(np.zeros((1, i, i, 1), "float32")).shape[1] - 2 * p    # Keras pads 0: crop p per side
        assert ex14.transpose_output_size(i, k, s, p, op) == cropped


def test_p1_prediction():
    assert check(ex14.p1, 1 / 3).status == PASS
    assert_wrong(check(ex14.p1, 0.5), "Your prediction 0.5 is too large: the measured value is 0.3333", "1/3")
    assert_not_attempted(check(ex14.p1, None))


def test_q1_box_iou():
    assert check(ex14.q1, iou_by_hand).status == PASS
    assert_wrong(check(ex14.q1, sourceless(ex14._plus_one_iou)), "+1 pixel convention")
    assert_wrong(check(ex14.q1, sourceless(ex14._sum_union_iou)), "counts the overlap twice")
    def unclamped(a, b):
        inter = (min(a[2], b[2]) - max(a[0], b[0])) * (min(a[3], b[3]) - max(a[1], b[1]))
        return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)
    assert_wrong(check(ex14.q1, unclamped), "on two boxes side by side, apart", "is -0.3333", "clamp each at 0")
    assert_wrong(check(ex14.q1, lambda a, b: None), "returned nothing (None)")
    assert_not_attempted(check(ex14.q1, stub))


def test_q2_nms():
    assert check(ex14.q2, nms_by_hand).status == PASS
    assert_wrong(check(ex14.q2, lambda b, s, t: nms_by_hand(b, s, t, order="index")), "decreasing score")
    assert_wrong(check(ex14.q2, lambda b, s, t: nms_by_hand(b, s, t, suppress=lambda o, t: o >= t)),
                 "GREATER than the threshold")
    assert_wrong(check(ex14.q2, lambda b, s, t: nms_by_hand(b, s, t, one_round=True)), "best REMAINING box")
    assert_wrong(check(ex14.q2, lambda b, s, t: np.sort(nms_by_hand(b, s, t))), "not sorted by index")
    assert_not_attempted(check(ex14.q2, stub))


def test_q3_precision_recall_ap():
    assert check(ex14.q3, 4 / 7, 4 / 9, 0.3739).status == PASS
    assert check(ex14.q3, 0.571, 0.444, 0.374).status == PASS                # 3 significant digits
    assert_wrong(check(ex14.q3, 4 / 9, 4 / 9, 0.3739), "not by the number of objects", "(2/3 correct)")
    assert_wrong(check(ex14.q3, 4 / 7, 4 / 7, 0.3739), "recall divides the hits by the number of objects")
    assert_wrong(check(ex14.q3, 4 / 7, 4 / 9, 0.366), "the envelope")
    assert_wrong(check(ex14.q3, 4 / 7, 4 / 9, 0.3968), "11-point AP")
    assert_wrong(check(ex14.q3, 4 / 7, 4 / 9, 0.673), "do not divide by the number of hits")
    assert_not_attempted(check(ex14.q3, None, None, None))


def test_q4_transpose_output_size():
    assert check(ex14.q4, lambda i, k, s, p, op: (i - 1) * s - 2 * p + k + op).status == PASS
    assert_wrong(check(ex14.q4, lambda i, k, s, p, op: (i + 2 * p - k) // s + 1), "the convolution's formula")
    assert_wrong(check(ex14.q4, lambda i, k, s, p, op: (i - 1) * s - 2 * p + k), "add output_padding")
    assert_wrong(check(ex14.q4, lambda i, k, s, p, op: (i - 1) * s - p + k + op), "− 2P, not − P")
    assert_wrong(check(ex14.q4, lambda i, k, s, p, op: i * s - 2 * p + k + op), "(I − 1)·S, not I·S")
    assert_not_attempted(check(ex14.q4, stub))


# --- through the grader ------------------------------------------------------------------

NAME = "14_beyond_classification"
WRONG = {   # question -> (source, points it must earn on any hidden inputs, a fragment of its message)
    "ex14.p1": ("prediction = 0.5", 0.0, "the measured value is 0.3333"),
    "ex14.q1": ("def box_iou(a, b):\n    w = max(0, min(a[2], b[2]) - max(a[0], b[0]))\n"
                "    h = max(0, min(a[3], b[3]) - max(a[1], b[1]))\n"
                "    return w * h / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]))", None,
                "counts the overlap twice"),
    "ex14.q2": ("def nms(boxes, scores, iou_threshold):\n    remaining, kept = list(range(len(scores))), []\n"
                "    while remaining:\n        best = remaining.pop(0)\n        kept.append(best)\n"
                "        remaining = [k for k in remaining if box_iou(boxes[best], boxes[k]) <= iou_threshold]\n"
                "    return kept", None, "decreasing score"),
    "ex14.q3": ("precision_at_05, recall_at_05, ap = 4 / 7, 4 / 9, 0.366", 2.0, "the envelope"),
    "ex14.q4": ("def transpose_output_size(i, k, s, p, output_padding):\n    return (i + 2 * p - k) // s + 1", 0.0,
                "the convolution's formula"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, isolation):
    return grade_students(tmp_path_factory.mktemp("ex14_grading"), NAME, {qid: w[0] for qid, w in WRONG.items()})


def test_grader_passes_the_solution_fails_the_mistakes_and_reads_the_stubs(graded):
    assert_solution_full_marks(graded, ex14.EXERCISE)
    assert_mistakes_advised(graded, ex14.EXERCISE, WRONG)     # points None: hidden inputs decide the partial credit
    assert_stubs_not_attempted(graded, ex14.EXERCISE)
    rows = graded[1]
    for q in ex14.EXERCISE.questions:
        if WRONG[q.id][1] is None:
            assert 0 <= float(rows[("wrong", q.id)]["points"]) < q.points, q.id
    assert "hidden test" in rows[("wrong", "ex14.q4")]["message"]
