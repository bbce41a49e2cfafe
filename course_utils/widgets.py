"""An interactive convolution explorer: move a slider, see the output and its shape change.

The drawing is a pure function, :func:`render`, so it works (and is tested) without a
browser; :func:`conv_explorer` only wraps it in ipywidgets controls. Where widgets cannot
be shown (no ipywidgets, a static HTML page), ``conv_explorer(static=True)`` returns the
plain figure.

>>> import matplotlib; matplotlib.use("Agg")
>>> fig = render(np.ones((10, 12)), "box", stride=2, padding=1)
>>> fig.axes[1].get_title().splitlines()
['output 5x6', 'stride 2, padding 1, dilation 1']
>>> fig.output.shape
(5, 6)
"""
from __future__ import annotations

import base64
import io

import matplotlib.pyplot as plt
import numpy as np

from course_utils.conv import _as_float_array, correlate2d
from course_utils.filters import KERNELS, RESIZABLE, make_kernel

PADDINGS = (0, 1, 2, 3, 4, "same")
DEFAULTS = {"kernel": "sobel_x", "size": 3, "stride": 1, "padding": 0, "dilation": 1}


def _kernel_and_name(kernel):
    if kernel is None:
        raise TypeError(f"kernel is None; expected a 2-D array or one of {sorted(KERNELS)}")
    if isinstance(kernel, str):
        return make_kernel(kernel), kernel
    kernel = _as_float_array("kernel", kernel, 2)
    return kernel, "custom"


def render(image, kernel, stride: int = 1, padding=0, dilation: int = 1, name: str | None = None):
    """Input and output of one cross-correlation, side by side; returns the Figure.

    ``kernel`` is a 2-D array or a name from :data:`course_utils.filters.KERNELS`; ``padding``
    is a number of zeros per side, ``"valid"`` or ``"same"``. The output is drawn on the
    same pixel grid as the input, so a stride of 2 visibly halves it, and its shape is in the
    title. The output array is kept on ``fig.output`` for checks.
    """
    image = _as_float_array("image", image, 2)
    kernel, default_name = _kernel_and_name(kernel)
    output = correlate2d(image, kernel, padding=padding, stride=stride, dilation=dilation)
    fig, (ax_in, ax_out) = plt.subplots(1, 2, figsize=(7.5, 4.2))
    ax_in.imshow(image, cmap="gray")
    ax_in.set_title(f"input {image.shape[0]}x{image.shape[1]}")
    if abs(kernel.sum()) < 1e-9:  # a differential kernel: signed output, zero in the middle of the colour map
        limit = np.percentile(np.abs(output), 99.5) or np.abs(output).max() or 1.0  # a few extremes must not wash it out
        shown = ax_out.imshow(output, cmap="RdBu_r", vmin=-limit, vmax=limit)
    else:
        shown = ax_out.imshow(output, cmap="gray")
    # one output pixel covers `stride` input pixels: draw it that way, on the input's axes
    oh, ow = output.shape
    shown.set_extent((-0.5, ow * stride - 0.5, oh * stride - 0.5, -0.5))
    ax_out.set_xlim(ax_in.get_xlim())
    ax_out.set_ylim(ax_in.get_ylim())
    ax_out.set_title(f"output {oh}x{ow}\nstride {stride}, padding {padding}, dilation {dilation}")
    kh, kw = kernel.shape
    fig.suptitle(f"{name or default_name} kernel {kh}x{kw}, spanning {dilation * (kh - 1) + 1}x{dilation * (kw - 1) + 1}")
    fig.tight_layout()
    fig.output = output
    return fig


def _figure_output(fig) -> dict:
    """A figure as a Jupyter ``display_data`` output (a PNG), the form an Output widget stores."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": png, "text/plain": f"<Figure: {fig.axes[1].get_title().splitlines()[0]}>"}}


def conv_explorer(image=None, kernel=None, static: bool = False):
    """Sliders for kernel, kernel size, stride, padding and dilation that redraw :func:`render`.

    ``image`` defaults to the Grace Hopper photo at half size; ``kernel`` (an array) adds a
    "custom" choice and starts on it. Returns an ipywidgets ``VBox`` whose ``controls`` dict
    holds the widgets and whose ``figure`` is the latest drawing; with ``static=True``, or
    when ipywidgets is not installed, returns ``render(...)`` with the defaults instead.
    """
    if image is None:
        from course_utils.datasets import load_sample_image

        image = load_sample_image()[::2, ::2]
    image = _as_float_array("image", image, 2)
    custom = None if kernel is None else _kernel_and_name(kernel)[0]
    start = "custom" if custom is not None else DEFAULTS["kernel"]
    try:
        if static:
            raise ImportError("static figure requested")
        import ipywidgets as widgets
    except ImportError:
        return render(image, custom if custom is not None else start, DEFAULTS["stride"], DEFAULTS["padding"],
                      DEFAULTS["dilation"], name=start)

    choices = (["custom"] if custom is not None else []) + list(KERNELS)
    style = {"description_width": "70px"}
    controls = {
        "kernel": widgets.Dropdown(options=choices, value=start, description="kernel", style=style),
        "size": widgets.IntSlider(value=3, min=3, max=9, step=2, description="size", style=style),
        "stride": widgets.IntSlider(value=DEFAULTS["stride"], min=1, max=4, description="stride", style=style),
        "padding": widgets.SelectionSlider(options=PADDINGS, value=DEFAULTS["padding"], description="padding",
                                           style=style),
        "dilation": widgets.IntSlider(value=DEFAULTS["dilation"], min=1, max=4, description="dilation", style=style),
    }
    out = widgets.Output()
    message = widgets.HTML()
    box = widgets.VBox([widgets.HBox([controls["kernel"], controls["size"], controls["stride"]]),
                        widgets.HBox([controls["padding"], controls["dilation"]]), message, out])
    box.controls = controls
    box.figure = None

    def redraw(change=None):
        name = controls["kernel"].value
        controls["size"].disabled = name not in RESIZABLE  # the other kernels are 3x3 (or the custom one's size)
        if name == "custom":
            kernel_array = custom
        else:
            kernel_array = make_kernel(name, controls["size"].value if name in RESIZABLE else 3)
        try:
            fig = render(image, kernel_array, controls["stride"].value, controls["padding"].value,
                         controls["dilation"].value, name=name)
        except ValueError as exc:  # e.g. a dilated kernel wider than a small image
            message.value = f"<b>cannot draw:</b> {exc}"
            return
        message.value = ""
        box.figure = fig
        # Replace the Output widget's content directly, rather than `with out: display(fig)`: that
        # capture relies on the front end routing messages, which headless runners only imitate.
        out.outputs = (_figure_output(fig),)
        plt.close(fig)  # shown through the widget only; the inline backend must not show it a second time

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    return box
