"""Scenes for detection and segmentation, composed from the bundled 28x28 images.

A canvas is a larger black image with a few digits (or clothes) pasted on it. Each object
comes with its ground truth: the tight box around its ink, ``(x1, y1, x2, y2)`` as in
:mod:`course_utils.detection`, its class, and its mask (the pixels whose value is at least
``ink_threshold``). Objects are placed so that their boxes do not overlap, so every
pixel belongs to at most one object. Composition is seeded: the same call gives the same
canvases on every machine.

>>> digits = np.zeros((2, 28, 28), np.uint8); digits[0, 4:24, 10:18] = 255; digits[1, 8:20, 6:22] = 200
>>> scene = place_objects(digits, [7, 3], [(0, 0), (30, 20)], size=64)
>>> scene.boxes[0].tolist(), scene.classes[0].tolist()
([[10.0, 4.0, 18.0, 24.0], [26.0, 38.0, 42.0, 50.0]], [7, 3])
>>> int((scene.label_maps()[0] == 8).sum()), int((scene.label_maps()[0] == 4).sum())   # class + 1 on each mask
(160, 192)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_utils.shapes import _check_positive_int

DEFAULT_INK_THRESHOLD = 0.5
"""Pixels at least this bright (on a 0..1 scale) are the object's mask and set its box."""


@dataclass(frozen=True)
class Canvases:
    """A batch of composed scenes and their ground truth.

    ``images`` ``(N, H, W)`` float32 in [0, 1]; ``boxes[i]`` ``(k_i, 4)`` and ``classes[i]``
    ``(k_i,)`` for canvas ``i``; ``instances`` ``(N, H, W)``: 0 on the background and ``j + 1``
    on the mask of canvas ``i``'s object ``j``.
    """

    images: np.ndarray
    boxes: list
    classes: list
    instances: np.ndarray

    def __len__(self) -> int:
        return len(self.images)

    def label_maps(self) -> np.ndarray:
        """Per-pixel classes for semantic segmentation: 0 = background, ``class + 1`` on an object's mask."""
        maps = np.zeros(self.instances.shape, dtype=np.int64)
        for i, classes in enumerate(self.classes):
            lookup = np.concatenate([[0], np.asarray(classes, dtype=np.int64) + 1])
            maps[i] = lookup[self.instances[i]]
        return maps

    def ground_truth(self) -> list:
        """``[(boxes, classes), ...]``, one per canvas, as :func:`course_utils.detection.mean_average_precision` takes it."""
        return list(zip(self.boxes, self.classes))


def _as_images(images) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[0] == 0:
        raise ValueError(f"images must be a stack (N, height, width) of grey images, got shape {images.shape}")
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255.0
    if images.dtype.kind != "f" or np.isnan(images).any() or images.min() < 0 or images.max() > 1:
        raise ValueError(f"images must be uint8 or floats in [0, 1], got {images.dtype} "
                         f"in [{images.min()}, {images.max()}]")
    return images.astype(np.float32)


def _as_labels(labels, n: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape != (n,) or labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be {n} integers, one per image, got {labels.dtype} of shape {labels.shape}")
    return labels.astype(np.int64)


def _ink_boxes(images: np.ndarray, ink_threshold: float) -> np.ndarray:
    """The tight box of each image's mask within its patch, ``(N, 4)`` integers; all -1 for a blank image."""
    mask = images >= ink_threshold
    rows, cols = mask.any(axis=2), mask.any(axis=1)
    boxes = np.stack([cols.argmax(1), rows.argmax(1), cols.shape[1] - cols[:, ::-1].argmax(1),
                      rows.shape[1] - rows[:, ::-1].argmax(1)], axis=1)
    boxes[~rows.any(axis=1)] = -1
    return boxes


def place_objects(images, labels, positions, size: int = 64, ink_threshold: float = DEFAULT_INK_THRESHOLD) -> Canvases:
    """One canvas of ``size x size`` with ``images[j]`` pasted at ``positions[j]`` = (top, left): a batch of one.

    Overlapping patches combine by their maximum (the backgrounds are black); where two
    masks would share a pixel the later object wins it.
    """
    images = _as_images(images)
    labels = _as_labels(labels, len(images))
    size = _as_size(size, images.shape[1:])
    if len(positions) != len(images):
        raise ValueError(f"positions must give one (top, left) per image, got {len(positions)} for {len(images)} images")
    try:
        positions = [(int(top), int(left)) for top, left in positions]
    except (TypeError, ValueError):
        raise ValueError(f"positions must be (top, left) pairs of integers, got {positions!r}") from None
    h, w = images.shape[1:]
    ink = _ink_boxes(images, ink_threshold)
    for j, (top, left) in enumerate(positions):
        if not (0 <= top <= size - h and 0 <= left <= size - w):
            raise ValueError(f"position {j} {(top, left)} puts a {h}x{w} patch outside the {size}x{size} canvas")
        if ink[j, 0] < 0:
            raise ValueError(f"image {j} has no pixel at or above ink_threshold={ink_threshold}: nothing to place")
    canvas, instances, boxes, classes = _paste(images, labels, ink, positions, size, ink_threshold)
    return Canvases(canvas[None], [boxes], [classes], instances[None])


def _paste(images, labels, ink, positions, size: int, ink_threshold: float, canvas=None, instances=None):
    """Paste the patches onto ``canvas`` and their masks onto ``instances`` (new ones if None); boxes and classes."""
    h, w = images.shape[1:]
    canvas = np.zeros((size, size), np.float32) if canvas is None else canvas
    instances = np.zeros((size, size), np.int16) if instances is None else instances
    boxes = np.empty((len(images), 4), np.float64)
    for j, (patch, (top, left)) in enumerate(zip(images, positions)):
        region = canvas[top:top + h, left:left + w]
        np.maximum(region, patch, out=region)
        instances[top:top + h, left:left + w][patch >= ink_threshold] = j + 1
        boxes[j] = ink[j] + (left, top, left, top)
    return canvas, instances, boxes, np.asarray(labels, np.int64)


def compose_canvases(images, labels, n_canvases: int, *, size: int = 64, objects=(1, 3), seed: int = 0,
                     gap: int = 1, ink_threshold: float = DEFAULT_INK_THRESHOLD, max_tries: int = 50) -> Canvases:
    """``n_canvases`` scenes, each with ``objects[0]..objects[1]`` random images at random places, seeded.

    Boxes stay at least ``gap`` pixels apart. When an object finds no free place in
    ``max_tries`` random positions it is left out, so a crowded canvas may hold fewer objects
    than drawn (the first one always fits).

    >>> digits = np.zeros((5, 28, 28), np.uint8); digits[:, 6:22, 8:20] = 255
    >>> scenes = compose_canvases(digits, np.arange(5), 4, size=64, objects=(2, 3), seed=1)
    >>> scenes.images.shape, [len(b) for b in scenes.boxes]
    ((4, 64, 64), [2, 2, 3, 2])
    >>> scenes.boxes[0].tolist()
    [[13.0, 7.0, 25.0, 23.0], [43.0, 36.0, 55.0, 52.0]]
    """
    images = _as_images(images)
    labels = _as_labels(labels, len(images))
    size = _as_size(size, images.shape[1:])
    n_canvases = _check_positive_int("n_canvases", n_canvases)
    low, high = _as_range(objects)
    h, w = images.shape[1:]
    ink = _ink_boxes(images, ink_threshold)
    if (ink[:, 0] < 0).all():
        raise ValueError(f"every image is blank below ink_threshold={ink_threshold}: nothing to place")
    rng = np.random.default_rng(seed)
    canvases = np.zeros((n_canvases, size, size), np.float32)
    instances = np.zeros((n_canvases, size, size), np.int16)
    all_boxes, all_classes = [], []
    while len(all_boxes) < n_canvases:
        chosen, positions, taken = [], [], []
        for index in rng.choice(len(images), size=rng.integers(low, high + 1), replace=False):
            if ink[index, 0] < 0:
                continue
            x1, y1, x2, y2 = ink[index]
            for _ in range(max_tries):
                top, left = int(rng.integers(0, size - h + 1)), int(rng.integers(0, size - w + 1))
                box = (left + x1 - gap, top + y1 - gap, left + x2 + gap, top + y2 + gap)
                if all(box[2] <= t[0] or t[2] <= box[0] or box[3] <= t[1] or t[3] <= box[1] for t in taken):
                    chosen.append(index)
                    positions.append((top, left))
                    taken.append(box)
                    break
        if not chosen:     # only blank images drawn: draw again
            continue
        i = len(all_boxes)
        *_, boxes, classes = _paste(images[chosen], labels[chosen], ink[chosen], positions, size, ink_threshold,
                                    canvases[i], instances[i])
        all_boxes.append(boxes)
        all_classes.append(classes)
    return Canvases(canvases, all_boxes, all_classes, instances)


def _as_size(size, patch_shape) -> int:
    return _check_positive_int("size (at least the patches' side)", size, minimum=max(patch_shape))


def _as_range(objects) -> tuple[int, int]:
    try:
        low, high = (int(v) for v in objects)
    except (TypeError, ValueError):
        raise ValueError(f"objects must be (fewest, most) objects per canvas, got {objects!r}") from None
    if not 1 <= low <= high:
        raise ValueError(f"objects must be (fewest, most) with 1 <= fewest <= most, got {objects!r}")
    return low, high
