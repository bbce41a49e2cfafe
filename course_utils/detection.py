"""Object-detection arithmetic: boxes, IoU, non-maximum suppression, precision/recall and (mean) average precision.

A box is ``(x1, y1, x2, y2)``: the top-left and bottom-right corners in pixel coordinates
(``x`` to the right, ``y`` down), as continuous numbers, so its area is
``(x2 - x1) * (y2 - y1)`` (no "+ 1"). A set of boxes is an array of shape ``(N, 4)``.

Average precision follows PASCAL VOC from 2010 on ("all points"): precision is first made
non-increasing from the right (at each recall, the best precision at that recall or
beyond), then summed over every step of recall. A detection is a true positive when its
IoU with a not-yet-matched ground-truth box of its class is at least the threshold (0.5 by
default); detections are matched in decreasing score order, so a second detection of the same
object is a false positive.

>>> a = np.array([[0, 0, 2, 2]]); b = np.array([[1, 1, 3, 3]])
>>> round(float(iou(a, b)[0, 0]), 4)          # overlap 1, union 4 + 4 - 1 = 7
0.1429
>>> boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]])
>>> non_max_suppression(boxes, np.array([0.9, 0.8, 0.7]), iou_threshold=0.5).tolist()
[0, 2]
"""
from __future__ import annotations

import numpy as np

from course_utils.shapes import _check_positive_int

DEFAULT_IOU_THRESHOLD = 0.5
"""PASCAL VOC's threshold for a detection to count as a hit (COCO averages over 0.50, 0.55, ..., 0.95)."""


def as_boxes(boxes, name: str = "boxes") -> np.ndarray:
    """``boxes`` as a float64 array ``(N, 4)`` of ``(x1, y1, x2, y2)``; a single box ``(4,)`` becomes ``(1, 4)``.

    >>> as_boxes([1, 2, 3, 4]).tolist()
    [[1.0, 2.0, 3.0, 4.0]]
    >>> as_boxes([[3, 0, 1, 2]])
    Traceback (most recent call last):
    ValueError: boxes must be (x1, y1, x2, y2) with x1 <= x2 and y1 <= y2, got [3. 0. 1. 2.] at row 0
    """
    try:
        array = np.asarray(boxes, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers of shape (N, 4), got {type(boxes).__name__}") from None
    if array.ndim == 1 and array.shape[0] == 4:
        array = array[np.newaxis]
    if array.ndim == 1 and array.shape[0] == 0:
        array = array.reshape(0, 4)
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f"{name} must have shape (N, 4) as (x1, y1, x2, y2), got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite, got NaN or infinity at row {int(np.argmin(np.isfinite(array).all(1)))}")
    bad = (array[:, 2] < array[:, 0]) | (array[:, 3] < array[:, 1])
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(f"{name} must be (x1, y1, x2, y2) with x1 <= x2 and y1 <= y2, got {array[row]} at row {row}")
    return array


def box_area(boxes) -> np.ndarray:
    """Area of each box, ``(x2 - x1) * (y2 - y1)``.

    >>> box_area([[0, 0, 2, 3], [1, 1, 1, 5]]).tolist()
    [6.0, 0.0]
    """
    boxes = as_boxes(boxes)
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def iou(a, b) -> np.ndarray:
    """Intersection over union of every box in ``a`` with every box in ``b``: an ``(N, M)`` array.

    Boxes that do not touch have IoU 0; two empty boxes (area 0) too.

    >>> iou([[0, 0, 2, 2], [0, 0, 4, 4]], [[1, 1, 3, 3], [0, 0, 2, 2], [5, 5, 6, 6]]).round(4).tolist()
    [[0.1429, 1.0, 0.0], [0.25, 0.25, 0.0]]
    """
    a, b = as_boxes(a, "a"), as_boxes(b, "b")
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    sides = np.clip(bottom_right - top_left, 0, None)
    intersection = sides[..., 0] * sides[..., 1]
    union = box_area(a)[:, None] + box_area(b)[None, :] - intersection
    return np.divide(intersection, union, out=np.zeros_like(intersection), where=union > 0)


def _as_scores(scores, n: int, name: str = "scores") -> np.ndarray:
    try:
        scores = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {n} numbers, got {type(scores).__name__}") from None
    if scores.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), one per box, got shape {scores.shape}")
    if not np.isfinite(scores).all():
        raise ValueError(f"{name} must be finite, got NaN or infinity")
    return scores


def _as_threshold(value, name: str = "iou_threshold") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a number between 0 and 1, got {value!r}")
    return float(value)


def score_order(scores) -> np.ndarray:
    """Indices of ``scores`` from highest to lowest; equal scores keep their original order.

    >>> score_order([0.2, 0.9, 0.2, 0.5]).tolist()
    [1, 3, 0, 2]
    """
    scores = np.asarray(scores, dtype=np.float64)
    return np.argsort(-scores, kind="stable")


def non_max_suppression(boxes, scores, iou_threshold: float = DEFAULT_IOU_THRESHOLD) -> np.ndarray:
    """Greedy NMS: keep the best-scoring box, drop every box overlapping it by IoU > ``iou_threshold``, repeat.

    Returns the indices of the kept boxes in decreasing score order.

    >>> boxes = [[0, 0, 10, 10], [0, 0, 10, 9], [0, 0, 10, 4], [50, 50, 60, 60]]
    >>> non_max_suppression(boxes, [0.6, 0.9, 0.8, 0.1], iou_threshold=0.5).tolist()
    [1, 2, 3]
    """
    boxes = as_boxes(boxes)
    scores = _as_scores(scores, len(boxes))
    iou_threshold = _as_threshold(iou_threshold)
    overlaps = iou(boxes, boxes)
    remaining = score_order(scores)
    kept = []
    while remaining.size:
        best, remaining = remaining[0], remaining[1:]
        kept.append(int(best))
        remaining = remaining[overlaps[best, remaining] <= iou_threshold]
    return np.array(kept, dtype=np.int64)


def match_detections(boxes, scores, true_boxes, iou_threshold: float = DEFAULT_IOU_THRESHOLD) -> np.ndarray:
    """For each detection (one image, one class), whether it is a true positive: a boolean array in input order.

    Detections are visited from the highest score down; each takes the ground-truth box it
    overlaps most. It is a hit if that IoU is at least ``iou_threshold`` and the box is not
    taken yet; otherwise (a miss, or a second detection of a found object) it is a false positive.

    >>> truth = [[0, 0, 10, 10]]
    >>> match_detections([[0, 0, 10, 10], [1, 0, 10, 10], [30, 30, 40, 40]], [0.5, 0.9, 0.7], truth).tolist()
    [False, True, False]
    """
    boxes = as_boxes(boxes)
    scores = _as_scores(scores, len(boxes))
    true_boxes = as_boxes(true_boxes, "true_boxes")
    iou_threshold = _as_threshold(iou_threshold)
    hits = np.zeros(len(boxes), dtype=bool)
    if len(true_boxes) == 0:
        return hits
    overlaps = iou(boxes, true_boxes)
    taken = np.zeros(len(true_boxes), dtype=bool)
    for k in score_order(scores):
        best = int(np.argmax(overlaps[k]))
        if overlaps[k, best] >= iou_threshold and not taken[best]:
            taken[best] = hits[k] = True
    return hits


def precision_recall(scores, is_true_positive, n_ground_truth: int) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall after each detection, ranked by decreasing score (ties keep their order).

    After the ``k`` best detections: precision = hits / k, recall = hits / ``n_ground_truth``.

    >>> precision, recall = precision_recall([0.9, 0.8, 0.7, 0.6], [True, False, True, False], n_ground_truth=4)
    >>> precision.tolist(), recall.tolist()
    ([1.0, 0.5, 0.6666666666666666, 0.5], [0.25, 0.25, 0.5, 0.5])
    """
    hits = np.asarray(is_true_positive)
    if hits.ndim != 1 or (hits.size and hits.dtype != bool):
        raise ValueError(f"is_true_positive must be a 1-D boolean array, got {hits.dtype} of shape {hits.shape}")
    scores = _as_scores(scores, len(hits))
    n_ground_truth = _check_positive_int("n_ground_truth", n_ground_truth)
    if hits.sum() > n_ground_truth:
        raise ValueError(f"{int(hits.sum())} true positives but only {n_ground_truth} ground-truth objects")
    found = np.cumsum(hits[score_order(scores)].astype(np.int64))
    precision = found / np.arange(1, len(hits) + 1)
    return precision, found / n_ground_truth


def average_precision(precision, recall) -> float:
    """Area under the precision-recall curve, PASCAL VOC "all points" interpolation (VOC 2010 and later).

    Precision is replaced by its running maximum from the right (the best precision at this
    recall or higher), then summed over the recall steps, starting from recall 0. Recall the
    detector never reaches adds nothing.

    >>> round(average_precision([1.0, 0.5, 2 / 3, 0.5], [0.25, 0.25, 0.5, 0.5]), 4)    # 0.25 * 1 + 0.25 * 2/3
    0.4167
    """
    try:
        precision, recall = np.asarray(precision, dtype=np.float64), np.asarray(recall, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("precision and recall must be 1-D arrays of numbers") from None
    if precision.ndim != 1 or precision.shape != recall.shape:
        raise ValueError(f"precision and recall must be 1-D arrays of one length, got shapes {precision.shape} "
                         f"and {recall.shape}")
    if precision.size and (np.any(np.diff(recall) < 0) or recall.min() < 0 or recall.max() > 1):
        raise ValueError("recall must rise from 0 to at most 1 along the ranking (as precision_recall returns it)")
    if precision.size and (precision.min() < 0 or precision.max() > 1):
        raise ValueError("precision must lie between 0 and 1")
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.diff(np.concatenate([[0.0], recall]))
    return float(np.sum(steps * envelope))


def mean_average_precision(predictions, ground_truths, n_classes: int,
                           iou_threshold: float = DEFAULT_IOU_THRESHOLD) -> tuple[float, np.ndarray]:
    """mAP over a set of images: ``(mean AP, AP per class)``.

    ``predictions`` has one ``(boxes, scores, classes)`` per image, ``ground_truths`` one
    ``(boxes, classes)``. Each class pools its detections over all images (matched image by
    image with :func:`match_detections`), ranks them by score and takes its
    :func:`average_precision`. A class with no ground-truth object gets NaN and is left out of
    the mean.

    >>> truth = [(np.array([[0, 0, 10, 10]]), np.array([0])), (np.array([[5, 5, 9, 9]]), np.array([1]))]
    >>> found = [(np.array([[0, 0, 10, 10]]), np.array([0.9]), np.array([0])), (np.zeros((0, 4)), np.zeros(0), np.zeros(0, int))]
    >>> mean_ap, per_class = mean_average_precision(found, truth, n_classes=3)
    >>> mean_ap, per_class.tolist()
    (0.5, [1.0, 0.0, nan])
    """
    n_classes = _check_positive_int("n_classes", n_classes)
    predictions, ground_truths = list(predictions), list(ground_truths)
    if len(predictions) != len(ground_truths):
        raise ValueError(f"predictions and ground_truths must have one entry per image, got {len(predictions)} "
                         f"and {len(ground_truths)}")
    images = [_image_entry(p, t, n_classes, k) for k, (p, t) in enumerate(zip(predictions, ground_truths))]
    per_class = np.full(n_classes, np.nan)
    for c in range(n_classes):
        n_true = sum(int(np.sum(true_classes == c)) for *_, true_classes in images)
        if n_true == 0:
            continue
        scores, hits = [], []
        for boxes, image_scores, classes, true_boxes, true_classes in images:
            mine = classes == c
            scores.append(image_scores[mine])
            hits.append(match_detections(boxes[mine], image_scores[mine], true_boxes[true_classes == c], iou_threshold))
        precision, recall = precision_recall(np.concatenate(scores), np.concatenate(hits), n_true)
        per_class[c] = average_precision(precision, recall)
    present = ~np.isnan(per_class)
    if not present.any():
        raise ValueError("the ground truth holds no object of any class: mAP is undefined")
    return float(per_class[present].mean()), per_class


def _image_entry(prediction, truth, n_classes: int, k: int):
    try:
        boxes, scores, classes = prediction
        true_boxes, true_classes = truth
    except (TypeError, ValueError):
        raise ValueError(f"image {k}: a prediction must be (boxes, scores, classes) and a ground truth "
                         "(boxes, classes)") from None
    boxes, true_boxes = as_boxes(boxes, f"image {k} boxes"), as_boxes(true_boxes, f"image {k} true boxes")
    scores = _as_scores(scores, len(boxes), f"image {k} scores")
    classes = _as_classes(classes, len(boxes), n_classes, f"image {k} classes")
    true_classes = _as_classes(true_classes, len(true_boxes), n_classes, f"image {k} true classes")
    return boxes, scores, classes, true_boxes, true_classes


def _as_classes(classes, n: int, n_classes: int, name: str) -> np.ndarray:
    classes = np.asarray(classes)
    if classes.shape != (n,) or (n and classes.dtype.kind not in "iu"):
        raise ValueError(f"{name} must be {n} integers, one per box, got {classes.dtype} of shape {classes.shape}")
    if n and (classes.min() < 0 or classes.max() >= n_classes):
        raise ValueError(f"{name} must lie in 0..{n_classes - 1}, got {classes.min()}..{classes.max()}")
    return classes.astype(np.int64)
