"""Boxes, IoU, NMS, precision/recall and (m)AP (course_utils.detection), on values worked out by hand.

No independent implementation is installed (no scikit-learn, torchvision or pycocotools in the
course's environment), so each expected value below is derived in its comment, and the
vectorised IoU is compared with a plain double loop.
"""
import numpy as np
import pytest

from course_utils import detection as det


def test_two_2x2_boxes_overlapping_by_one_pixel_have_iou_one_seventh():
    assert det.iou([0, 0, 2, 2], [1, 1, 3, 3])[0, 0] == pytest.approx(1 / 7)   # 1 / (4 + 4 - 1)


def test_iou_special_cases():
    assert det.iou([0, 0, 4, 4], [0, 0, 4, 4])[0, 0] == 1.0
    assert det.iou([0, 0, 4, 4], [4, 0, 8, 4])[0, 0] == 0.0          # touching edges, no area shared
    assert det.iou([0, 0, 4, 4], [1, 1, 3, 3])[0, 0] == 0.25          # inside: 4 / 16
    assert det.iou([0, 0, 4, 2], [2, 0, 6, 2])[0, 0] == pytest.approx(4 / 12)
    assert det.iou([2, 2, 2, 2], [2, 2, 2, 2])[0, 0] == 0.0           # two empty boxes: defined as 0
    assert det.iou(np.zeros((0, 4)), [[0, 0, 1, 1]]).shape == (0, 1)


def test_iou_is_pairwise_symmetric_and_matches_a_loop():
    rng = np.random.default_rng(3)
    corners = rng.uniform(0, 50, size=(2, 30, 2))
    boxes = np.concatenate([corners.min(0), corners.max(0)], axis=1)
    a, b = boxes[:12], boxes[12:]
    looped = np.zeros((12, 18))
    for i, (ax1, ay1, ax2, ay2) in enumerate(a):
        for j, (bx1, by1, bx2, by2) in enumerate(b):
            w, h = max(0, min(ax2, bx2) - max(ax1, bx1)), max(0, min(ay2, by2) - max(ay1, by1))
            looped[i, j] = w * h / ((ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - w * h)
    np.testing.assert_allclose(det.iou(a, b), looped, rtol=1e-12)
    np.testing.assert_allclose(det.iou(b, a), looped.T, rtol=1e-12)


@pytest.mark.parametrize("bad, message", [
    ([[0, 0, 1]], r"shape \(N, 4\).*got shape \(1, 3\)"),
    ([[2, 0, 1, 1]], r"x1 <= x2 and y1 <= y2, got \[2. 0. 1. 1.\] at row 0"),
    ([[0, 0, 1, np.nan]], "finite"),
    ("box", "numbers of shape"),
])
def test_bad_boxes_get_a_one_line_error(bad, message):
    with pytest.raises(ValueError, match=message):
        det.iou(bad, [0, 0, 1, 1])


def test_nms_on_a_known_set():
    boxes = [[0, 0, 10, 10],     # 0: overlaps 1 by 81/100
             [1, 1, 10, 10],     # 1
             [0, 0, 10, 5],      # 2: overlaps 0 by 50/100 (not > 0.5: kept), 1 by 36/95
             [20, 20, 30, 30],   # 3: alone
             [21, 20, 31, 30]]   # 4: overlaps 3 by 90/110
    scores = [0.8, 0.9, 0.3, 0.5, 0.6]
    assert det.non_max_suppression(boxes, scores, 0.5).tolist() == [1, 4, 2]
    assert det.non_max_suppression(boxes, scores, 0.3).tolist() == [1, 4]     # 2 vs 1: 36/95 = 0.38 > 0.3
    assert det.non_max_suppression(boxes, scores, 1.0).tolist() == [1, 0, 4, 3, 2]   # nothing suppressed
    assert det.non_max_suppression(np.zeros((0, 4)), []).tolist() == []


def test_nms_ties_keep_the_first_box():
    assert det.non_max_suppression([[0, 0, 2, 2], [0, 0, 2, 2]], [0.5, 0.5]).tolist() == [0]


def test_nms_bad_input():
    with pytest.raises(ValueError, match=r"scores must have shape \(2,\), one per box, got shape \(3,\)"):
        det.non_max_suppression([[0, 0, 1, 1], [0, 0, 2, 2]], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="iou_threshold must be a number between 0 and 1, got 1.5"):
        det.non_max_suppression([[0, 0, 1, 1]], [0.1], iou_threshold=1.5)


def test_matching_counts_a_duplicate_as_false_positive():
    truth = [[0, 0, 10, 10], [20, 0, 30, 10]]
    found = [[0, 0, 10, 10],     # hit on truth 0
             [0, 0, 10, 9],      # IoU 0.9 with truth 0, which is taken: duplicate
             [20, 0, 25, 10],    # IoU 0.5 with truth 1: a hit (>= 0.5)
             [40, 40, 50, 50]]   # nothing there
    hits = det.match_detections(found, [0.9, 0.8, 0.7, 0.95], truth)
    assert hits.tolist() == [True, False, True, False]
    assert det.match_detections(found, [0.9, 0.8, 0.7, 0.95], truth, iou_threshold=0.6).tolist() == [
        True, False, False, False]
    assert det.match_detections(found, [0.1, 0.2, 0.3, 0.4], []).tolist() == [False] * 4


def test_precision_recall_and_ap_on_a_known_ranking():
    # ranked: hit, miss, hit, hit, miss; 5 objects in all
    scores = [0.9, 0.8, 0.7, 0.6, 0.5]
    precision, recall = det.precision_recall(scores, np.array([True, False, True, True, False]), 5)
    np.testing.assert_allclose(precision, [1, 1 / 2, 2 / 3, 3 / 4, 3 / 5])
    np.testing.assert_allclose(recall, [0.2, 0.2, 0.4, 0.6, 0.6])
    # all-points: recall 0 -> 0.2 at precision 1, 0.2 -> 0.4 and 0.4 -> 0.6 at the envelope 3/4
    assert det.average_precision(precision, recall) == pytest.approx(0.2 * 1 + 0.2 * 0.75 + 0.2 * 0.75)


def test_the_ranking_follows_the_scores_not_the_input_order():
    precision, recall = det.precision_recall([0.1, 0.9], np.array([False, True]), 1)
    assert precision.tolist() == [1.0, 0.5] and recall.tolist() == [1.0, 1.0]


def test_perfect_and_useless_detectors():
    assert det.average_precision(*det.precision_recall([0.9, 0.8], np.array([True, True]), 2)) == 1.0
    assert det.average_precision(*det.precision_recall([0.9, 0.8], np.array([False, False]), 2)) == 0.0
    assert det.average_precision([], []) == 0.0


def test_precision_recall_bad_input():
    with pytest.raises(ValueError, match="n_ground_truth must be >= 1, got 0"):
        det.precision_recall([0.5], np.array([True]), 0)
    with pytest.raises(ValueError, match="2 true positives but only 1 ground-truth objects"):
        det.precision_recall([0.5, 0.4], np.array([True, True]), 1)
    with pytest.raises(ValueError, match="1-D boolean array"):
        det.precision_recall([0.5], np.array([1.0]), 1)
    with pytest.raises(ValueError, match="recall must rise"):
        det.average_precision([1.0, 1.0], [0.5, 0.2])


def test_mean_average_precision_over_images_and_classes():
    truth = [(np.array([[0, 0, 10, 10], [20, 20, 30, 30]]), np.array([0, 1])),
             (np.array([[0, 0, 10, 10]]), np.array([0]))]
    predictions = [
        (np.array([[0, 0, 10, 10], [20, 20, 30, 30], [50, 50, 60, 60]]), np.array([0.9, 0.8, 0.95]), np.array([0, 1, 0])),
        (np.array([[0, 0, 10, 10]]), np.array([0.7]), np.array([1])),     # right place, wrong class
    ]
    mean_ap, per_class = det.mean_average_precision(predictions, truth, n_classes=3)
    # class 0 ranked: 0.95 miss, 0.9 hit; 2 objects -> precision 0, 1/2 at recall 0, 1/2 -> AP 0.5 * 0.5
    # class 1 ranked: 0.8 hit (image 0), 0.7 miss (image 1); 1 object -> AP 1; class 2: no object
    assert per_class[:2].tolist() == [0.25, 1.0] and np.isnan(per_class[2])
    assert mean_ap == pytest.approx(0.625)


def test_mean_average_precision_bad_input():
    truth = [(np.array([[0, 0, 1, 1]]), np.array([0]))]
    with pytest.raises(ValueError, match="one entry per image, got 0 and 1"):
        det.mean_average_precision([], truth, 2)
    with pytest.raises(ValueError, match=r"image 0 classes must lie in 0..1, got 5..5"):
        det.mean_average_precision([(np.array([[0, 0, 1, 1]]), np.array([0.5]), np.array([5]))], truth, 2)
    with pytest.raises(ValueError, match=r"image 0: a prediction must be \(boxes, scores, classes\)"):
        det.mean_average_precision([np.array([[0, 0, 1, 1]])], truth, 2)
    with pytest.raises(ValueError, match="no object of any class"):
        det.mean_average_precision([(np.zeros((0, 4)), np.zeros(0), np.zeros(0, int))],
                                   [(np.zeros((0, 4)), np.zeros(0, int))], 2)
