"""Exercise 14 · Beyond classification: the arithmetic of detection and of upsampling layers.

Every reference comes from tested course code: :mod:`course_utils.detection`
(:func:`~course_utils.detection.iou`, :func:`~course_utils.detection.non_max_suppression`,
:func:`~course_utils.detection.precision_recall`, :func:`~course_utils.detection.average_precision`)
and :func:`course_utils.shapes.conv_transpose_output_size`. Boxes are ``(x1, y1, x2, y2)`` in
continuous pixel coordinates (area ``(x2 - x1)(y2 - y1)``, no "+ 1"); NMS drops a box whose IoU
with a kept one is *greater* than the threshold; AP is PASCAL VOC's "all points" area.

>>> q3.check(4 / 7, 4 / 9, 0.366)
❌ ap is 0.366, too small: AP takes, at each recall, the best precision at that rank or further down the list (the envelope), before summing over the recall steps. (2/3 correct)
"""
from __future__ import annotations

import numpy as np

from course_utils.detection import average_precision, iou, non_max_suppression, precision_recall, score_order
from course_utils.exercises.framework import Exercise, FunctionQuestion, Mistake, PredictionQuestion, ValueQuestion
from course_utils.shapes import conv_transpose_output_size

PREDICT_BOXES = ([0, 0, 10, 10], [5, 0, 15, 10])          # p1: a box and its copy moved by half its width
# q3: ten detections of one class, best score first, and whether each hit an object; 9 objects in all.
RANKED_SCORES = np.array([0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.2])
RANKED_HITS = np.array([True, False, True, False, False, True, True, False, True, False])
N_OBJECTS, SCORE_THRESHOLD = 9, 0.5


# ---------------------------------------------------------------- references (course_utils.detection / .shapes)

def box_iou(a, b) -> float:
    """IoU of two boxes ``(x1, y1, x2, y2)``.

    >>> round(box_iou([0, 0, 2, 2], [1, 1, 3, 3]), 4)
    0.1429
    """
    return float(iou(a, b)[0, 0])


def nms(boxes, scores, iou_threshold) -> np.ndarray:
    """Indices of the boxes greedy NMS keeps, best score first (``detection.non_max_suppression``)."""
    return non_max_suppression(boxes, scores, iou_threshold)


def ranking_answers() -> tuple[float, float, float]:
    """q3: precision and recall of the detections scoring at least 0.5, and the AP of the whole ranking."""
    precision, recall = precision_recall(RANKED_SCORES, RANKED_HITS, N_OBJECTS)
    kept = int(np.sum(RANKED_SCORES >= SCORE_THRESHOLD))
    return float(precision[kept - 1]), float(recall[kept - 1]), average_precision(precision, recall)


def transpose_output_size(i, k, s, p, output_padding) -> int:
    """Output length of a transposed convolution: input ``i``, kernel ``k``, stride ``s``, padding ``p``."""
    return conv_transpose_output_size(i, k, stride=s, padding=p, output_padding=output_padding)


# ---------------------------------------------------------------- known mistakes

def _plus_one_iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]) + 1)
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]) + 1)
    inter = ix * iy
    return inter / ((a[2] - a[0] + 1) * (a[3] - a[1] + 1) + (b[2] - b[0] + 1) * (b[3] - b[1] + 1) - inter)


def _area(box):
    return (box[2] - box[0]) * (box[3] - box[1])


def _unclamped_iou(a, b):
    inter = float((min(a[2], b[2]) - max(a[0], b[0])) * (min(a[3], b[3]) - max(a[1], b[1])))
    union = float(_area(a) + _area(b)) - inter
    return inter / union if union else None


def _sum_union_iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return ix * iy / (_area(a) + _area(b))


def _only_if_different(wrong):
    """A mistake counts only on the inputs where it gives something else than the right answer."""
    def applied(*args):
        value, right = wrong(*args), box_iou(*args)
        return None if value is None or np.isclose(value, right) else value
    return applied


def _nms_with(order="score", suppress_equal=False, rounds="greedy"):
    """Known-wrong NMS: ``order="index"`` (no sorting), ``suppress_equal`` (>= instead of >), one round only."""
    def wrong(boxes, scores, iou_threshold):
        boxes, scores = np.asarray(boxes, float), np.asarray(scores, float)
        remaining = list(score_order(scores)) if order == "score" else list(range(len(boxes)))
        overlaps = iou(boxes, boxes)
        if rounds == "one":
            best = remaining[0]
            kept = [best] + [k for k in remaining[1:] if overlaps[best, k] <= iou_threshold]
        else:
            kept = []
            while remaining:
                best = remaining.pop(0)
                kept.append(best)
                too_close = (lambda o: o >= iou_threshold) if suppress_equal else (lambda o: o > iou_threshold)
                remaining = [k for k in remaining if not too_close(overlaps[best, k])]
        result = np.array(kept, dtype=np.int64)
        return None if np.array_equal(result, non_max_suppression(boxes, scores, iou_threshold)) else result
    return wrong


def _ascending_nms(boxes, scores, iou_threshold):
    kept = non_max_suppression(boxes, scores, iou_threshold)
    return None if np.array_equal(np.sort(kept), kept) else np.sort(kept)


# ---------------------------------------------------------------- questions

p1 = PredictionQuestion(
    "ex14.p1", title="Predict: the IoU of a box and its copy moved by half its width",
    expected=lambda: box_iou(*PREDICT_BOXES),
    explanation="the boxes share half of each one's area (50 of 100 pixels), but the union counts both boxes once "
                "each: 100 + 100 − 50 = 150, so IoU = 50 / 150 = 1/3, not 1/2. A detection shifted by half its "
                "width fails PASCAL VOC's IoU ≥ 0.5 test.",
    hint="IoU = intersection / union, and the union counts the shared part once.",
)


def _box_pairs(rng):
    def box():
        x1, y1 = rng.integers(0, 40, size=2)
        w, h = rng.integers(1, 25, size=2)
        return np.array([x1, y1, x1 + w, y1 + h], dtype=float)

    pairs = [(box(), box()) for _ in range(8)]
    a = box()
    pairs.append((a, a + np.array([2, 1, 2, 1])))                       # overlapping, shifted
    pairs.append((a, a + np.array([40, 30, 40, 30])))                   # disjoint on both axes
    inner = a.copy()
    inner[2:] = a[:2] + (a[2:] - a[:2]) / 2
    pairs.append((a, inner))                                            # one inside the other
    return pairs


q1 = FunctionQuestion(
    "ex14.q1", points=3, name="box_iou", title="Write box_iou(a, b)",
    reference=box_iou, make_args=_box_pairs,
    examples=[("two boxes overlapping at a corner", (np.array([0.0, 0.0, 4.0, 4.0]), np.array([2.0, 1.0, 6.0, 5.0]))),
              ("two boxes side by side, apart", (np.array([0.0, 0.0, 2.0, 2.0]), np.array([5.0, 0.0, 9.0, 2.0])))],
    mistakes=[
        Mistake("the +1 pixel convention: boxes here are continuous, so a box's width is x2 − x1 (no + 1).",
                _only_if_different(_plus_one_iou)),
        Mistake("the union counts the overlap twice: subtract the intersection, area(a) + area(b) − intersection.",
                _only_if_different(_sum_union_iou)),
        Mistake("for boxes that do not overlap, the overlap's width or height comes out negative: clamp each at 0 "
                "(max(0, ...)) so that the intersection is 0.", _only_if_different(_unclamped_iou)),
    ],
    hint=["The intersection is the box from (max x1, max y1) to (min x2, min y2), if it is not empty.",
          "inter = max(0, min(ax2, bx2) − max(ax1, bx1)) × max(0, min(ay2, by2) − max(ay1, by1)); "
          "IoU = inter / (area(a) + area(b) − inter)."],
)


def _nms_cases(rng):
    cases = []
    for n in (6, 8, 10, 12):
        centres = rng.integers(10, 50, size=(3, 2))                      # three objects, several boxes on each
        boxes = []
        for _ in range(n):
            cx, cy = centres[rng.integers(0, 3)] + rng.integers(-2, 3, size=2)
            w, h = rng.integers(10, 15, size=2)
            boxes.append([cx - w // 2, cy - h // 2, cx - w // 2 + w, cy - h // 2 + h])
        scores = rng.permutation(n) / n + 0.05                           # distinct scores, not in box order
        cases.append((np.array(boxes, dtype=float), scores, float(rng.choice([0.3, 0.5]))))
    # A pair whose IoU is exactly the threshold: kept, since only IoU > threshold suppresses.
    cases.append((np.array([[0, 0, 10, 10], [0, 0, 10, 5], [30, 30, 40, 40]], dtype=float),
                  np.array([0.9, 0.8, 0.7]), 0.5))
    # The best box is listed last: the scores decide the order.
    cases.append((np.array([[0, 0, 10, 10], [1, 1, 11, 11], [2, 0, 12, 10]], dtype=float),
                  np.array([0.5, 0.6, 0.9]), 0.4))
    return cases


q2 = FunctionQuestion(
    "ex14.q2", points=3, name="nms", integer=True, title="Write nms(boxes, scores, iou_threshold)",
    reference=nms, make_args=_nms_cases,
    examples=[("three boxes on one object and one elsewhere",
               (np.array([[0, 0, 10, 10], [1, 0, 11, 10], [0, 1, 10, 11], [40, 40, 50, 50]], dtype=float),
                np.array([0.7, 0.9, 0.8, 0.6]), 0.5))],
    mistakes=[
        Mistake("visit the boxes by decreasing score (np.argsort(-scores)), not in the order they are listed: "
                "the best-scoring box of a cluster is the one to keep.", _nms_with(order="index")),
        Mistake("suppress only boxes whose IoU is GREATER than the threshold: a box at exactly the threshold "
                "stays.", _nms_with(suppress_equal=True)),
        Mistake("repeat: after keeping the best box and dropping its overlaps, the best REMAINING box is kept next "
                "and drops its own overlaps.", _nms_with(rounds="one")),
        Mistake("return the kept indices in the order NMS keeps them (best score first), not sorted by index.",
                _ascending_nms),
    ],
    hint=["Sort the indices by decreasing score; take the first, keep it, and remove every remaining index whose "
          "box overlaps it by IoU > iou_threshold; repeat until none is left.",
          "Your box_iou from question 1 gives the overlaps: box_iou(boxes[best], boxes[k])."],
)

def _ranking_curve():
    return precision_recall(RANKED_SCORES, RANKED_HITS, N_OBJECTS)


def _kept() -> int:
    return int(np.sum(RANKED_SCORES >= SCORE_THRESHOLD))


def _ap_without_envelope():
    precision, recall = _ranking_curve()
    return float(np.sum(np.diff(np.concatenate([[0.0], recall])) * precision))


def _ap_eleven_points():
    precision, recall = _ranking_curve()
    return float(np.mean([precision[recall >= r].max() if np.any(recall >= r) else 0.0 for r in np.linspace(0, 1, 11)]))


def _ap_over_hits():
    precision, recall = _ranking_curve()
    return average_precision(precision, recall) * N_OBJECTS / int(RANKED_HITS.sum())


q3 = ValueQuestion(
    "ex14.q3", points=3, names=["precision_at_05", "recall_at_05", "ap"], rtol=2e-3,
    title="Precision, recall and average precision of a ranking",
    expected=ranking_answers,
    mistakes={
        "precision_at_05": [
            Mistake("precision divides the hits by the number of detections kept (score ≥ 0.5), not by the number "
                    "of objects.", lambda: RANKED_HITS[:_kept()].sum() / N_OBJECTS),
            Mistake("count only the detections scoring at least 0.5, in the hits and in the division.",
                    lambda: RANKED_HITS.sum() / len(RANKED_HITS))],
        "recall_at_05": [
            Mistake("recall divides the hits by the number of objects, not by the detections kept.",
                    lambda: RANKED_HITS[:_kept()].sum() / _kept()),
            Mistake("count only the hits among the detections scoring at least 0.5.",
                    lambda: RANKED_HITS.sum() / N_OBJECTS)],
        "ap": [
            Mistake("AP takes, at each recall, the best precision at that rank or further down the list (the "
                    "envelope), before summing over the recall steps.", _ap_without_envelope),
            Mistake("AP is the area under the precision-recall curve: precision × recall step summed over the hits, "
                    "not the mean precision of all detections.", lambda: float(_ranking_curve()[0].mean())),
            Mistake("that is the 11-point AP of VOC 2007; this question uses the all-points area (VOC 2010 on).",
                    _ap_eleven_points),
            Mistake("each hit raises recall by 1 / (number of objects): the objects never found lower the AP, so do "
                    "not divide by the number of hits.", _ap_over_hits)],
    },
    hint=["After the k best detections: precision = hits / k, recall = hits / (number of objects).",
          "AP (all points): replace each precision by the largest precision at that rank or further down the list, "
          "then add precision × (increase of recall) at every hit."],
)


def _transpose_cases(rng):
    cases = []
    while len(cases) < 10:
        i, k, s = int(rng.integers(1, 33)), int(rng.integers(1, 8)), int(rng.integers(1, 5))
        p, op = int(rng.integers(0, (k + 1) // 2 + 1)), int(rng.integers(0, s))
        if (i - 1) * s - 2 * p + k + op >= 1:
            cases.append((i, k, s, p, op))
    cases.append((7, 3, 2, 1, 1))            # U-Net style: stride 2, 'same'-like padding, output_padding 1
    return cases


q4 = FunctionQuestion(
    "ex14.q4", points=2, name="transpose_output_size", integer=True,
    title="Write transpose_output_size(i, k, s, p, output_padding)",
    reference=transpose_output_size, make_args=_transpose_cases,
    examples=[("a 2×2, stride-2 upsampling of a 16-wide map", (16, 2, 2, 0, 0)),
              ("a 3×3, stride-2 layer with padding 1 and output_padding 1", (6, 3, 2, 1, 1))],
    mistakes=[
        Mistake("that is the convolution's formula (it shrinks): a transposed convolution runs it backwards, "
                "O = (I − 1)·S − 2P + K + output_padding.", lambda i, k, s, p, op: (i + 2 * p - k) // s + 1),
        Mistake("add output_padding: it picks one of the input sizes the forward convolution would round to "
                "the same output.", lambda i, k, s, p, op: (i - 1) * s - 2 * p + k if op else None),
        Mistake("padding is removed on both sides: − 2P, not − P.",
                lambda i, k, s, p, op: (i - 1) * s - p + k + op if p else None),
        Mistake("(I − 1)·S, not I·S: the stride separates the I input positions, which leaves I − 1 gaps.",
                lambda i, k, s, p, op: i * s - 2 * p + k + op),
    ],
    hint=["Invert O_conv = (I − K + 2P) / S + 1 for I: the transposed layer maps the conv's output size back.",
          "O = (I − 1)·S − 2P + K + output_padding."],
)

EXERCISE = Exercise("14_beyond_classification", "Beyond classification: detection arithmetic and upsampling",
                    [p1, q1, q2, q3, q4])
