"""Composed scenes (course_utils.canvases): boxes hug the ink, masks match the boxes, composition is seeded."""
import numpy as np
import pytest

from course_utils import canvases
from course_utils.detection import iou


@pytest.fixture(scope="module")
def digits():
    data = np.load(canvases.__file__.replace("canvases.py", "data/mnist_sample.npz"))
    return data["x_train"][:300], data["y_train"][:300]


def test_a_placed_object_has_its_tight_box_mask_and_class():
    patch = np.zeros((1, 28, 28), np.uint8)
    patch[0, 5:9, 3:20] = 255
    patch[0, 2, 2] = 100                     # faint: below the ink threshold, in the image but not the mask
    scene = canvases.place_objects(patch, [4], [(10, 30)], size=64)
    assert scene.boxes[0].tolist() == [[33.0, 15.0, 50.0, 19.0]]
    assert scene.classes[0].tolist() == [4]
    assert scene.images[0, 12, 32] == pytest.approx(100 / 255)
    labels = scene.label_maps()[0]
    assert set(np.unique(labels).tolist()) == {0, 5} and (labels == 5).sum() == 4 * 17
    ys, xs = np.nonzero(labels)
    assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (33, 15, 50, 19)


def test_composition_is_seeded_and_boxes_do_not_overlap(digits):
    a = canvases.compose_canvases(*digits, 40, size=64, objects=(1, 3), seed=5)
    b = canvases.compose_canvases(*digits, 40, size=64, objects=(1, 3), seed=5)
    c = canvases.compose_canvases(*digits, 40, size=64, objects=(1, 3), seed=6)
    assert np.array_equal(a.images, b.images) and not np.array_equal(a.images, c.images)
    assert len(a) == 40 and a.images.shape == (40, 64, 64) and a.images.dtype == np.float32
    counts = [len(boxes) for boxes in a.boxes]
    assert min(counts) >= 1 and max(counts) <= 3 and len(set(counts)) == 3
    for boxes in a.boxes:
        overlaps = iou(boxes, boxes)
        assert np.allclose(overlaps, np.eye(len(boxes)))


def test_every_mask_lies_in_its_box_and_fills_it_edge_to_edge(digits):
    scenes = canvases.compose_canvases(*digits, 20, size=64, objects=(2, 3), seed=0)
    for instances, boxes in zip(scenes.instances, scenes.boxes):
        for j, (x1, y1, x2, y2) in enumerate(boxes.astype(int)):
            ys, xs = np.nonzero(instances == j + 1)
            assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (x1, y1, x2, y2)


def test_label_maps_and_ground_truth(digits):
    scenes = canvases.compose_canvases(*digits, 10, size=64, objects=(1, 2), seed=2)
    maps = scenes.label_maps()
    for i in range(10):
        assert sorted(set(np.unique(maps[i]).tolist()) - {0}) == sorted(set((scenes.classes[i] + 1).tolist()))
    truth = scenes.ground_truth()
    assert len(truth) == 10 and truth[3][0] is scenes.boxes[3] and truth[3][1] is scenes.classes[3]


@pytest.mark.parametrize("call, message", [
    (lambda d: canvases.compose_canvases(d[0], d[1], 0), "n_canvases must be >= 1, got 0"),
    (lambda d: canvases.compose_canvases(d[0], d[1], 2, size=20), r"size \(at least the patches' side\) must be >= 28, got 20"),
    (lambda d: canvases.compose_canvases(d[0], d[1][:5], 2), r"labels must be 300 integers, one per image"),
    (lambda d: canvases.compose_canvases(d[0], d[1], 2, objects=(3, 1)), "1 <= fewest <= most"),
    (lambda d: canvases.compose_canvases(d[0][0], d[1], 2), r"a stack \(N, height, width\)"),
    (lambda d: canvases.compose_canvases(np.zeros((3, 28, 28), np.uint8), d[1][:3], 2), "every image is blank"),
    (lambda d: canvases.place_objects(d[0][:1], d[1][:1], [(50, 0)], size=64), "outside the 64x64 canvas"),
])
def test_bad_input_gets_a_one_line_error(digits, call, message):
    with pytest.raises(ValueError, match=message):
        call(digits)
