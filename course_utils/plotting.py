"""Figures used across the course. Every function returns the matplotlib Figure.

Figures are side code: the lesson is in the numbers they show, so notebooks also
print a short numeric summary of each figure (nbval compares text, not images).

>>> import numpy as np
>>> fig = show_matrix(np.arange(9).reshape(3, 3), title="a 3x3 kernel")
>>> [t.get_text() for t in fig.axes[0].texts][:3]
['0', '1', '2']
"""
from __future__ import annotations

import math
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

HEAT_CMAP = "inferno"
"""Perceptually uniform colour map for maps that are never negative (saliency, Grad-CAM, probability drops)."""
SIGNED_CMAP = "RdBu_r"
"""Diverging colour map, white at 0, for signed maps (gradients, differences)."""


def _new_axes(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize)
    return fig, ax


def show_matrix(matrix, title: str | None = None, ax=None, fmt: str = "{:g}", cmap: str = "coolwarm",
                highlight: tuple[int, int, int, int] | None = None):
    """A small matrix (kernel, feature map) as a heat map with its numbers written in.

    ``highlight=(row, col, height, width)`` outlines a window, e.g. the patch under a kernel.
    """
    a = np.asarray(matrix)
    if a.ndim != 2:
        raise ValueError(f"show_matrix expects a 2-D array, got shape {a.shape}")
    fig, ax = _new_axes(ax, (0.5 * a.shape[1] + 1, 0.5 * a.shape[0] + 0.6))
    limit = np.abs(a).max() or 1
    ax.imshow(a, cmap=cmap, vmin=-limit, vmax=limit)
    for (i, j), value in np.ndenumerate(a):
        ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=9, color=_text_color(value, limit))
    if highlight is not None:
        r, c, h, w = highlight
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), w, h, fill=False, edgecolor="black", linewidth=2.5))
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return fig


def _text_color(value, limit) -> str:
    """White on the dark ends of a diverging colour map, black elsewhere, so numbers stay readable."""
    return "white" if abs(value) > 0.7 * limit else "black"


def image_grid(images: Sequence, titles: Sequence[str] | None = None, ncols: int = 5, cmap: str = "gray",
               size: float = 1.6, vmin=None, vmax=None, suptitle: str | None = None):
    """Show images in a grid with optional titles (one per image)."""
    images = list(images)
    if not images:
        raise ValueError("image_grid needs at least one image")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(images)} images but {len(titles)} titles")
    ncols = min(ncols, len(images))
    nrows = math.ceil(len(images) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if suptitle else 0)),
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(images):
            ax.imshow(np.asarray(images[k]), cmap=cmap, vmin=vmin, vmax=vmax)
            if titles is not None:
                ax.set_title(titles[k], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def feature_maps(maps, ncols: int = 8, title: str | None = None, size: float = 1.2):
    """Channels-last feature maps ``(H, W, C)`` as a grid, one panel per channel."""
    maps = np.asarray(maps)
    if maps.ndim != 3:
        raise ValueError(f"feature_maps expects (height, width, channels), got shape {maps.shape}")
    return image_grid([maps[..., c] for c in range(maps.shape[-1])],
                      [f"ch {c}" for c in range(maps.shape[-1])], ncols=ncols, cmap="viridis",
                      size=size, suptitle=title)


def stem(signals: dict, title: str | None = None, ax=None, xlabel: str = "n"):
    """Discrete signals as stem plots; ``signals`` maps a label to a 1-D array (drawn from n = 0)."""
    fig, ax = _new_axes(ax, (6.4, 3))
    n_signals = len(signals)
    for k, (label, values) in enumerate(signals.items()):
        values = np.asarray(values, dtype=float)
        offset = (k - (n_signals - 1) / 2) * 0.12  # side by side, so stems of equal n do not hide each other
        markers, stems, base = ax.stem(np.arange(len(values)) + offset, values, linefmt=f"C{k}-",
                                       markerfmt=f"C{k}o", basefmt="k-", label=label)
        base.set_linewidth(0.5)
    ax.set_xlabel(xlabel)
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def sliding_window(image, kernel, row: int, col: int, stride: int = 1, padding: int = 0, output=None,
                   products: bool = False):
    """One step of a 2-D cross-correlation: the window on the (padded) input, the kernel,
    and the output so far with the current cell outlined.

    ``products=True`` adds a panel with the window times the kernel, element by element,
    titled with their sum: the number that goes into ``output[row, col]``.
    Panels are as wide as the matrices they show, so a 3x3 kernel looks smaller than a 7x7 input.
    """
    image = np.pad(np.asarray(image), padding)
    kernel = np.asarray(kernel)
    kh, kw = kernel.shape
    top, left = row * stride, col * stride
    window = image[top:top + kh, left:left + kw]
    if window.shape != kernel.shape:
        raise ValueError(f"the window at output ({row}, {col}) with stride {stride} falls outside the "
                         f"{image.shape[0]}x{image.shape[1]} (padded) input")
    matrices = [image, kernel] + ([window * kernel] if products else []) + ([output] if output is not None else [])
    cell = 0.42  # inches per matrix cell, the same in every panel
    widths = [np.shape(m)[1] for m in matrices]
    height = cell * max(np.shape(m)[0] for m in matrices) + 1.4
    fig, axes = plt.subplots(1, len(matrices), figsize=(cell * sum(widths) + 0.7 * len(matrices), height),
                             gridspec_kw={"width_ratios": widths})
    show_matrix(image, "input" + (f" (padded by {padding})" if padding else ""), ax=axes[0],
                highlight=(top, left, kh, kw))
    show_matrix(kernel, "kernel", ax=axes[1])
    if products:
        show_matrix(window * kernel, f"window x kernel\nsum = {(window * kernel).sum():g}", ax=axes[2])
    if output is not None:
        out = np.asarray(output, dtype=float)
        shown = np.full(out.shape, np.nan)
        flat_index = row * out.shape[1] + col
        shown.flat[: flat_index + 1] = out.flat[: flat_index + 1]
        ax = axes[-1]
        limit = np.abs(out).max() or 1
        ax.imshow(np.nan_to_num(shown), cmap="coolwarm", vmin=-limit, vmax=limit)
        for (i, j), value in np.ndenumerate(shown):
            if not np.isnan(value):
                ax.text(j, i, f"{value:g}", ha="center", va="center", fontsize=9, color=_text_color(value, limit))
        ax.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=2.5))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"output[{row}, {col}]")
    fig.tight_layout()
    return fig


def learning_curves(history, metrics: Sequence[str] = ("loss", "accuracy"), title: str | None = None):
    """Training and validation curves from a Keras ``History`` (or its ``.history`` dict)."""
    logs = getattr(history, "history", history)
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        for prefix, style in (("", "-"), ("val_", "--")):
            if prefix + metric in logs:
                values = logs[prefix + metric]
                ax.plot(np.arange(1, len(values) + 1), values, style, label=(prefix or "train_") + metric)
        ax.set_xlabel("epoch")
        ax.set_title(metric)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def seed_band(ax, runs, metric: str, label: str | None = None, **style):
    """Plot one per-epoch curve of a study (``runs``: one dict per seed, as
    :mod:`course_utils.seeded_runs` stores them) as its mean over the seeds, with a band of ± one
    standard deviation; runs stopped early are cut to the shortest. Returns ``(mean, std)``.

    >>> fig, ax = plt.subplots()
    >>> mean, std = seed_band(ax, [{"loss": [1.0, 0.5]}, {"loss": [3.0, 0.5, 0.1]}], "loss", label="a")
    >>> mean.tolist(), std.round(3).tolist(), len(ax.lines), len(ax.collections)
    ([2.0, 0.5], [1.414, 0.0], 1, 1)
    >>> plt.close(fig)
    """
    if not runs or any(metric not in run for run in runs):
        raise ValueError(f"every run needs a {metric!r} curve, got {len(runs)} runs")
    epochs = min(len(run[metric]) for run in runs)
    curves = np.array([run[metric][:epochs] for run in runs], dtype=float)
    mean = curves.mean(axis=0)
    std = curves.std(axis=0, ddof=1) if len(curves) > 1 else np.zeros(epochs)
    x = np.arange(1, epochs + 1)
    (line,) = ax.plot(x, mean, label=label, **style)
    ax.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.2, linewidth=0)
    return mean, std


def confusion_matrix(y_true, y_pred, n_classes: int = 10, labels: Sequence[str] | None = None, ax=None):
    """Counts of (true, predicted) pairs as an annotated heat map; returns the Figure.

    The matrix itself is on ``fig.confusion`` so notebooks can print or assert it.
    """
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    counts = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(counts, (y_true, y_pred), 1)
    fig, ax = _new_axes(ax, (5, 4.4))
    ax.imshow(counts, cmap="Blues")
    for (i, j), value in np.ndenumerate(counts):
        if value:
            ax.text(j, i, str(value), ha="center", va="center", fontsize=7,
                    color="white" if value > counts.max() / 2 else "black")
    ticks = labels if labels is not None else [str(k) for k in range(n_classes)]
    ax.set_xticks(range(n_classes), ticks, rotation=90 if labels is not None else 0)
    ax.set_yticks(range(n_classes), ticks)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.tight_layout()
    fig.confusion = counts
    return fig


def heat_overlay(ax, image, heat, vmax=None, cmap: str = HEAT_CMAP, alpha: float = 0.6, title: str | None = None):
    """A non-negative heat map (saliency, Grad-CAM) drawn over a grayscale image, from 0 to ``vmax``.

    Returns the heat layer, so that a colour bar can show its scale: ``fig.colorbar(layer, ax=axes)``.

    >>> fig, ax = plt.subplots()
    >>> layer = heat_overlay(ax, np.zeros((4, 4)), np.eye(4), vmax=2)
    >>> layer.get_cmap().name, layer.get_clim()
    ('inferno', (0.0, 2.0))
    """
    heat = np.asarray(heat, dtype=float)
    if np.shape(image)[:2] != heat.shape:
        raise ValueError(f"the heat map {heat.shape} must have the image's height and width {np.shape(image)[:2]}")
    if (heat < 0).any():
        raise ValueError(f"heat_overlay shows maps that are never negative (min {heat.min():g}); "
                         f"use the diverging {SIGNED_CMAP!r} for a signed map")
    ax.imshow(image, cmap="gray")
    layer = ax.imshow(heat, cmap=cmap, alpha=alpha, vmin=0, vmax=heat.max() if vmax is None else vmax)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)
    return layer


def orientation_wheel(ax, cmap: str = "hsv", size: int = 101):
    """A colour-wheel legend for an orientation map ``atan2(gy, gx)`` in degrees, in image axes.

    Image rows grow downwards, so the wheel is drawn the same way: the colour to the right of
    its centre is 0°, below it 90°, to the left ±180°, above it -90°. Draw the map itself with
    ``imshow(angles, cmap=cmap, vmin=-180, vmax=180)``. Returns the wheel's angles (NaN outside the ring).

    >>> fig, ax = plt.subplots()
    >>> angles = orientation_wheel(ax, size=5)
    >>> [float(angles[r, c]) for r, c in ((2, 4), (4, 2), (2, 0), (0, 2))]   # right, below, left, above
    [0.0, 90.0, 180.0, -90.0]
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 5 or size % 2 == 0:
        raise ValueError(f"size must be an odd number of pixels >= 5, got {size!r}")
    half = size // 2
    rows, cols = np.mgrid[-half:half + 1, -half:half + 1]
    radius = np.hypot(rows, cols) / half
    angles = np.degrees(np.arctan2(rows, cols))
    angles = np.where((radius <= 1) & (radius >= 0.35), angles, np.nan)
    ax.imshow(angles, cmap=cmap, vmin=-180, vmax=180)
    for angle, text in ((0, "0°"), (90, "90°"), (180, "180°"), (-90, "-90°")):
        dx, dy = np.cos(np.radians(angle)), np.sin(np.radians(angle))
        ax.text(half + 1.3 * half * dx, half + 1.3 * half * dy, text, ha="center", va="center", fontsize=8)
    ax.set_xlim(-0.45 * size, 1.45 * size - 1)
    ax.set_ylim(1.35 * size - 1, -0.35 * size)
    ax.axis("off")
    return angles
