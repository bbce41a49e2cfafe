"""course_utils.plotting: the colour-map helpers (heat overlays with a scale, the orientation wheel)."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils.plotting import HEAT_CMAP, heat_overlay, orientation_wheel


def test_heat_overlay_draws_the_map_over_the_image_from_zero():
    fig, ax = plt.subplots()
    heat = np.arange(16.0).reshape(4, 4)
    layer = heat_overlay(ax, np.ones((4, 4)), heat, title="saliency")
    gray, top = ax.images
    assert gray.get_cmap().name == "gray" and top is layer
    assert (layer.get_cmap().name, layer.get_clim(), layer.get_alpha()) == (HEAT_CMAP, (0.0, 15.0), 0.6)
    assert ax.get_title() == "saliency"
    bar = fig.colorbar(layer, ax=ax)
    assert bar.vmin == 0.0 and bar.vmax == 15.0
    plt.close(fig)


def test_heat_overlay_refuses_signed_maps_and_wrong_shapes():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="never negative .*'RdBu_r'"):
        heat_overlay(ax, np.ones((2, 2)), [[0, -1], [1, 0]])
    with pytest.raises(ValueError, match=r"the heat map \(2, 3\) must have the image's height and width \(2, 2\)"):
        heat_overlay(ax, np.ones((2, 2)), np.ones((2, 3)))
    plt.close(fig)


def test_orientation_wheel_matches_atan2_in_image_axes():
    fig, ax = plt.subplots()
    angles = orientation_wheel(ax, size=21)
    centre = 10
    for (row, col), expected in {(centre, 20): 0.0, (20, centre): 90.0, (centre, 0): 180.0, (0, centre): -90.0,
                                 (17, 17): 45.0}.items():
        assert angles[row, col] == pytest.approx(expected)
        gy, gx = row - centre, col - centre        # a gradient pointing from the centre to that pixel
        assert np.degrees(np.arctan2(gy, gx)) == pytest.approx(angles[row, col])
    assert np.isnan(angles[centre, centre]) and np.isnan(angles[0, 0])    # hole and corners are empty
    assert [t.get_text() for t in ax.texts] == ["0°", "90°", "180°", "-90°"]
    assert ax.images[0].get_clim() == (-180.0, 180.0)
    with pytest.raises(ValueError, match="size must be an odd number of pixels >= 5, got 4"):
        orientation_wheel(ax, size=4)
    plt.close(fig)
