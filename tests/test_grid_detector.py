"""The grid detector's targets and decoding (course_utils.grid_detector): encode then decode gives the boxes back."""
import numpy as np
import pytest

from course_utils import grid_detector as gd


def logit(p):
    return np.log(p / (1 - p))


def as_network_output(target, n_classes, confidence=0.99):
    """The raw map a perfect network would output for ``target``."""
    grid = target.shape[0]
    raw = np.full((1, grid, grid, 5 + n_classes), -12.0)
    for row, col in zip(*np.nonzero(target[..., 0])):
        raw[0, row, col, 0] = logit(confidence)
        raw[0, row, col, 1:5] = logit(np.clip(target[row, col, 1:5], 1e-9, 1 - 1e-9))
        raw[0, row, col, 5 + int(target[row, col, 5])] = 12.0
    return raw


def test_encode_puts_each_object_in_its_centre_cell():
    boxes = np.array([[0, 0, 16, 16], [40, 8, 60, 40]])
    target, dropped = gd.encode_grid(boxes, np.array([2, 5]), grid=8, size=64)
    assert dropped == 0 and target[..., 0].sum() == 2
    assert target[1, 1].tolist() == [1.0, 0.0, 0.0, 0.25, 0.25, 2.0]       # centre (8, 8): corner of cell (1, 1)
    assert target[3, 6].tolist() == pytest.approx([1.0, 0.25, 0.0, 20 / 64, 32 / 64, 5.0])   # centre (50, 24)


def test_two_centres_in_one_cell_keep_the_larger_box():
    boxes = np.array([[1, 1, 4, 14], [0, 0, 15, 15]])        # centres (2.5, 7.5) and (7.5, 7.5): both in cell (0, 0)
    target, dropped = gd.encode_grid(boxes, np.array([1, 7]), grid=4, size=64)
    assert dropped == 1 and target[0, 0, 5] == 7 and target[..., 0].sum() == 1


def test_decode_inverts_encode():
    boxes = np.array([[3, 5, 20, 25], [30, 30, 45, 50], [50, 2, 62, 22]], dtype=float)
    classes = np.array([4, 0, 9])
    target, _ = gd.encode_grid(boxes, classes, grid=8, size=64)
    found_boxes, scores, found_classes = gd.decode_grid(as_network_output(target, 10), size=64)[0]
    order = np.argsort(found_boxes[:, 0])
    np.testing.assert_allclose(found_boxes[order], boxes, atol=1e-6)
    assert found_classes[order].tolist() == [4, 0, 9] and np.allclose(scores, 0.99, atol=1e-4)


def test_decode_thresholds_and_suppresses_duplicates():
    target, _ = gd.encode_grid(np.array([[8, 8, 24, 24]]), np.array([3]), grid=4, size=64)
    raw = as_network_output(target, 4)
    raw[0, 1, 0] = raw[0, 1, 1]                  # the left neighbour fires too, weaker, on a nearly equal box:
    raw[0, 1, 0, 0] = logit(0.6)                 # centre x (0 + 0.99) * 16 instead of (1 + 0) * 16
    raw[0, 1, 0, 1] = logit(0.99)
    assert len(gd.decode_grid(raw, 64, iou_threshold=None)[0][0]) == 2
    kept_boxes, kept_scores, _ = gd.decode_grid(raw, 64, iou_threshold=0.5)[0]
    assert len(kept_boxes) == 1 and kept_scores[0] == pytest.approx(0.99, abs=1e-4)
    assert len(gd.decode_grid(raw, 64, score_threshold=0.995)[0][0]) == 0


def test_encode_grids_stacks_and_counts():
    targets, dropped = gd.encode_grids([np.array([[0, 0, 8, 8]]), np.zeros((0, 4))], [np.array([1]), np.zeros(0, int)],
                                       grid=2, size=16)
    assert targets.shape == (2, 2, 2, 6) and dropped == 0 and targets[..., 0].sum() == 1


@pytest.mark.parametrize("call, message", [
    (lambda: gd.encode_grid(np.array([[0, 0, 8, 8]]), np.array([1]), grid=3, size=64), "multiple of grid"),
    (lambda: gd.encode_grid(np.array([[0, 0, 80, 8]]), np.array([1]), grid=4, size=64), "inside the 64x64 canvas"),
    (lambda: gd.encode_grid(np.array([[0, 0, 8, 8]]), np.array([1.5]), grid=4, size=64), "1 integers, one per box"),
    (lambda: gd.decode_grid(np.zeros((2, 4, 4)), 64), r"\(N, grid, grid, 5 \+ n_classes\)"),
    (lambda: gd.grid_detector(64, 4, 10), "3 poolings take 64 to 8, not grid=4"),
])
def test_bad_input_gets_a_one_line_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_loss_is_low_for_the_perfect_output_and_high_for_a_wrong_class():
    from keras import ops

    target, _ = gd.encode_grids([np.array([[8, 8, 24, 24]])], [np.array([2])], grid=4, size=64)
    perfect = as_network_output(target[0], 4, confidence=0.999999)
    wrong = perfect.copy()
    wrong[0, 1, 1, 5 + 2], wrong[0, 1, 1, 5 + 0] = -12.0, 12.0
    loss = gd.grid_loss()
    low = float(ops.convert_to_numpy(loss(target.astype("float32"), perfect.astype("float32")))[0])
    high = float(ops.convert_to_numpy(loss(target.astype("float32"), wrong.astype("float32")))[0])
    assert low < 1e-3 and high == pytest.approx(24.0, abs=1e-3)      # class cross-entropy of logits 12 vs -12
