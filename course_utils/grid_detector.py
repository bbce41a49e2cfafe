"""A one-stage grid detector in the spirit of YOLO v1: every cell of a coarse grid predicts one box.

The network maps a ``size x size`` canvas to a ``grid x grid`` map with ``5 + n_classes``
numbers per cell: an objectness logit, four box numbers and the class logits. A cell is
responsible for the object whose box centre falls inside it; the box is coded as the
centre's offset within the cell (``tx, ty`` in [0, 1)) and the box's width and height as
fractions of the canvas (``tw, th``), all four through a sigmoid. :func:`encode_grid` turns
ground-truth boxes into that target map (one object per cell), :func:`decode_grid` turns the
network's map back into scored boxes, with non-maximum suppression per class.

>>> target, dropped = encode_grid(np.array([[4.0, 8.0, 20.0, 28.0]]), np.array([3]), grid=4, size=64)
>>> target.shape, dropped, target[1, 0].tolist()       # centre (12, 18): row 1, column 0
((4, 4, 6), 0, [1.0, 0.75, 0.125, 0.25, 0.3125, 3.0])
"""
from __future__ import annotations

import numpy as np

from course_utils.detection import as_boxes, box_area, non_max_suppression
from course_utils.shapes import _check_positive_int

TARGET_FIELDS = ("objectness", "tx", "ty", "tw", "th", "class")
"""The six numbers per cell of :func:`encode_grid`'s target map."""


def _cell_size(grid: int, size: int) -> int:
    grid, size = _check_positive_int("grid", grid), _check_positive_int("size", size)
    if size % grid:
        raise ValueError(f"size ({size}) must be a multiple of grid ({grid}) so that cells are whole pixels")
    return size // grid


def encode_grid(boxes, classes, grid: int, size: int) -> tuple[np.ndarray, int]:
    """The target map ``(grid, grid, 6)`` for one canvas (see :data:`TARGET_FIELDS`) and how many objects were dropped.

    Each object goes to the cell holding its box centre. When two centres share a cell,
    the larger box keeps it and the other is dropped (counted in the second value).
    """
    cell = _cell_size(grid, size)
    boxes = as_boxes(boxes)
    classes = np.asarray(classes)
    if classes.shape != (len(boxes),) or (len(boxes) and classes.dtype.kind not in "iu"):
        raise ValueError(f"classes must be {len(boxes)} integers, one per box, got {classes.dtype} {classes.shape}")
    if len(boxes) and (boxes.min() < 0 or boxes.max() > size):
        raise ValueError(f"boxes must lie inside the {size}x{size} canvas, got coordinates "
                         f"{boxes.min():g}..{boxes.max():g}")
    target = np.zeros((grid, grid, len(TARGET_FIELDS)), np.float32)
    dropped = 0
    for k in np.argsort(-box_area(boxes), kind="stable"):
        x1, y1, x2, y2 = boxes[k]
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        col, row = min(int(cx // cell), grid - 1), min(int(cy // cell), grid - 1)
        if target[row, col, 0]:
            dropped += 1
            continue
        target[row, col] = (1.0, cx / cell - col, cy / cell - row, (x2 - x1) / size, (y2 - y1) / size, classes[k])
    return target, dropped


def encode_grids(all_boxes, all_classes, grid: int, size: int) -> tuple[np.ndarray, int]:
    """:func:`encode_grid` for a list of canvases: targets ``(N, grid, grid, 6)`` and the total dropped."""
    encoded = [encode_grid(b, c, grid, size) for b, c in zip(all_boxes, all_classes)]
    return np.stack([t for t, _ in encoded]), sum(d for _, d in encoded)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def decode_grid(output, size: int, score_threshold: float = 0.05, iou_threshold: float = 0.5) -> list:
    """Scored boxes from the network's raw map ``(N, grid, grid, 5 + n_classes)``: one ``(boxes, scores, classes)`` per canvas.

    A cell's score is its objectness times its best class probability; cells scoring below
    ``score_threshold`` are dropped, then NMS runs per class (``iou_threshold``; None for none).

    >>> raw = np.full((1, 2, 2, 7), -9.0); raw[0, 1, 0, :5] = (9, 0, 0, 0, 0); raw[0, 1, 0, 6] = 9
    >>> boxes, scores, classes = decode_grid(raw, size=32)[0]
    >>> boxes.tolist(), scores.round(3).tolist(), classes.tolist()     # centre (8, 24), 16 x 16
    ([[0.0, 16.0, 16.0, 32.0]], [1.0], [1])
    """
    output = np.asarray(output, dtype=np.float64)
    if output.ndim != 4 or output.shape[1] != output.shape[2] or output.shape[3] < 6:
        raise ValueError(f"output must be (N, grid, grid, 5 + n_classes), got shape {output.shape}")
    grid = output.shape[1]
    cell = _cell_size(grid, size)
    rows, cols = np.meshgrid(np.arange(grid), np.arange(grid), indexing="ij")
    results = []
    for cells in output:
        box = _sigmoid(cells[..., 1:5])
        cx, cy = (cols + box[..., 0]) * cell, (rows + box[..., 1]) * cell
        w, h = box[..., 2] * size, box[..., 3] * size
        logits = cells[..., 5:]
        probs = np.exp(logits - logits.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        scores = (_sigmoid(cells[..., 0]) * probs.max(-1)).ravel()
        classes = probs.argmax(-1).ravel()
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1).reshape(-1, 4).clip(0, size)
        keep = np.flatnonzero(scores >= score_threshold)
        if iou_threshold is not None:
            keep = np.concatenate([keep[classes[keep] == c][non_max_suppression(boxes[keep[classes[keep] == c]],
                                                                                   scores[keep[classes[keep] == c]],
                                                                                   iou_threshold)]
                                   for c in np.unique(classes[keep])] + [np.zeros(0, np.int64)])
            keep = keep[np.argsort(-scores[keep], kind="stable")]
        results.append((boxes[keep], scores[keep], classes[keep].astype(np.int64)))
    return results


def grid_detector(size: int = 64, grid: int = 8, n_classes: int = 10, filters=(8, 16, 32), name: str = "grid_detector"):
    """A small fully convolutional detector: ``len(filters)`` blocks of 3x3 conv + 2x2 max pooling, a 3x3 conv and a 1x1 head.

    The pooling must bring ``size`` down to ``grid``: ``size = grid * 2 ** len(filters)``.

    >>> model = grid_detector(64, 8, 10)
    >>> model.output.shape, model.count_params()
    ((None, 8, 8, 15), 15631)
    """
    import keras

    _cell_size(grid, size)
    if size != grid * 2 ** len(filters):
        raise ValueError(f"{len(filters)} poolings take {size} to {size / 2 ** len(filters):g}, not grid={grid}: "
                         f"use size = grid * 2 ** len(filters)")
    inputs = keras.Input((size, size, 1), name="canvas")
    x = inputs
    for k, f in enumerate(filters, 1):
        x = keras.layers.Conv2D(f, 3, padding="same", activation="relu", name=f"block{k}_conv")(x)
        x = keras.layers.MaxPooling2D(2, name=f"block{k}_pool")(x)
    x = keras.layers.Conv2D(filters[-1], 3, padding="same", activation="relu", name="head_conv")(x)
    outputs = keras.layers.Conv2D(5 + n_classes, 1, name="head")(x)
    return keras.Model(inputs, outputs, name=name)


def grid_loss(box_weight: float = 5.0):
    """The training loss: objectness cross-entropy on every cell, plus box squared error and class
    cross-entropy on the cells that hold an object (the box term weighted by ``box_weight``, as YOLO v1 does).

    Returns a Keras loss function ``(target, output) -> loss per canvas``; ``target`` as
    :func:`encode_grids` makes it.
    """
    import keras
    from keras import ops

    def loss(target, output):
        has_object = target[..., 0]
        objectness = ops.sum(keras.losses.binary_crossentropy(has_object[..., None], output[..., :1],
                                                              from_logits=True), axis=(1, 2))
        box_error = ops.sum(ops.square(ops.sigmoid(output[..., 1:5]) - target[..., 1:5]), axis=-1)
        class_error = keras.losses.sparse_categorical_crossentropy(ops.cast(target[..., 5], "int32"), output[..., 5:],
                                                                   from_logits=True)
        return objectness + ops.sum(has_object * (box_weight * box_error + class_error), axis=(1, 2))

    return loss
