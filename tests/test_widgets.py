"""course_utils.widgets: the headless render and the explorer's redraw on a slider change."""
import base64

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.conv import correlate2d  # noqa: E402
from course_utils.filters import KERNELS, make_kernel  # noqa: E402
from course_utils.widgets import conv_explorer, render  # noqa: E402

RNG = np.random.default_rng(0)
IMAGE = RNG.random((20, 24))


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("stride, padding, dilation, shape", [
    (1, 0, 1, (18, 22)), (2, 0, 1, (9, 11)), (1, 1, 1, (20, 24)), (1, "same", 2, (20, 24)),
    (3, "same", 1, (7, 8)), (1, 0, 3, (14, 18)), (2, 2, 2, (10, 12)), (1, "valid", 1, (18, 22)),
])
def test_render_draws_the_output_and_names_its_shape(stride, padding, dilation, shape):
    fig = render(IMAGE, "laplacian", stride=stride, padding=padding, dilation=dilation)
    ax_in, ax_out = fig.axes
    assert ax_in.get_title() == "input 20x24"
    assert ax_out.get_title().splitlines() == [f"output {shape[0]}x{shape[1]}",
                                               f"stride {stride}, padding {padding}, dilation {dilation}"]
    expected = correlate2d(IMAGE, KERNELS["laplacian"], padding=padding, stride=stride, dilation=dilation)
    drawn = np.asarray(ax_out.images[0].get_array())
    assert drawn.shape == shape
    np.testing.assert_allclose(drawn, expected)
    np.testing.assert_allclose(np.asarray(ax_in.images[0].get_array()), IMAGE)
    np.testing.assert_allclose(fig.output, expected)
    # the output is drawn on the input's pixel grid: same axis limits, and it covers stride x its size
    assert ax_out.get_xlim() == ax_in.get_xlim() and ax_out.get_ylim() == ax_in.get_ylim()
    left, right, bottom, top = ax_out.images[0].get_extent()
    assert (right - left, bottom - top) == (shape[1] * stride, shape[0] * stride)


def test_render_colours_signed_and_smoothed_outputs():
    signed = render(IMAGE, "sobel_y").axes[1].images[0]
    assert signed.get_cmap().name == "RdBu_r"
    low, high = signed.get_clim()
    assert low == -high and high > 0
    assert render(IMAGE, make_kernel("box", 5)).axes[1].images[0].get_cmap().name == "gray"


def test_render_names_the_kernel_and_its_span():
    fig = render(IMAGE, make_kernel("gaussian", 5), dilation=2, name="gaussian")
    assert fig._suptitle.get_text() == "gaussian kernel 5x5, spanning 9x9"
    assert render(IMAGE, np.ones((1, 3)))._suptitle.get_text() == "custom kernel 1x3, spanning 1x3"


def test_render_bad_input():
    with pytest.raises(ValueError, match="image must be 2-D"):
        render(np.ones((4, 4, 3)), "box")
    with pytest.raises(TypeError, match="kernel is None"):
        render(IMAGE, None)
    with pytest.raises(ValueError, match="unknown kernel"):
        render(IMAGE, "blurry")
    with pytest.raises(ValueError, match="does not fit"):
        render(np.ones((4, 4)), "box", dilation=3)


def test_static_explorer_is_the_default_render():
    fig = conv_explorer(IMAGE, static=True)
    assert fig.axes[1].get_title().startswith("output 18x22\n")
    np.testing.assert_allclose(fig.output, correlate2d(IMAGE, KERNELS["sobel_x"]))
    custom = conv_explorer(IMAGE, kernel=np.ones((3, 5)), static=True)
    assert custom.output.shape == (18, 20)


def test_explorer_redraws_when_a_slider_moves(capsys):
    box = conv_explorer(IMAGE)
    controls = box.controls
    assert set(controls) == {"kernel", "size", "stride", "padding", "dilation"}
    first = box.figure
    assert first.axes[1].get_title().startswith("output 18x22\n")
    shown = box.children[-1].outputs
    assert len(shown) == 1 and shown[0]["data"]["text/plain"] == "<Figure: output 18x22>"
    assert base64.b64decode(shown[0]["data"]["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
    controls["stride"].value = 2
    assert box.figure is not first
    assert box.figure.axes[1].get_title().startswith("output 9x11\n")
    # the Output widget now holds the new drawing, and only that one
    assert len(box.children[-1].outputs) == 1
    assert box.children[-1].outputs[0]["data"]["image/png"] != shown[0]["data"]["image/png"]
    assert box.children[-1].outputs[0]["data"]["text/plain"] == "<Figure: output 9x11>"
    controls["padding"].value = "same"
    assert box.figure.axes[1].get_title().startswith("output 10x12\n")
    # the size slider only resizes box and Gaussian kernels
    assert controls["size"].disabled
    controls["kernel"].value = "box"
    assert not controls["size"].disabled
    controls["size"].value = 5
    np.testing.assert_allclose(box.figure.output, correlate2d(IMAGE, make_kernel("box", 5), padding="same", stride=2))
    controls["kernel"].value = "laplacian"
    assert controls["size"].disabled
    assert box.figure._suptitle.get_text() == "laplacian kernel 3x3, spanning 3x3"
    assert plt.get_fignums() == []   # each drawing is closed once shown, so none pile up
    capsys.readouterr()


def test_explorer_reports_a_kernel_that_does_not_fit():
    box = conv_explorer(np.ones((6, 6)))
    drawn = box.figure
    box.controls["dilation"].value = 4        # a 3x3 kernel now spans 9 pixels: too wide for 6
    assert box.figure is drawn
    assert "does not fit" in box.children[2].value
    box.controls["dilation"].value = 1
    assert box.children[2].value == ""


def test_explorer_with_a_custom_kernel_and_the_default_image():
    box = conv_explorer(kernel=[[1, -1]])
    assert box.controls["kernel"].value == "custom"
    assert box.figure.axes[0].get_title() == "input 300x256"
    assert box.figure.output.shape == (300, 255)


def test_explorer_bad_input():
    with pytest.raises(ValueError, match="image must be 2-D"):
        conv_explorer(np.ones(5))
    with pytest.raises(ValueError, match="kernel must be 2-D"):
        conv_explorer(IMAGE, kernel=np.ones(3))
