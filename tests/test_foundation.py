"""session, doctor, training printer, plotting and the course map."""
import json
import re
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import coursemap, doctor, plotting, session  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def test_setup_notebook_seeds_numpy_and_sets_print_options():
    session.setup_notebook(7)
    first = np.random.rand(3)
    session.setup_notebook(7)
    np.testing.assert_array_equal(first, np.random.rand(3))
    assert np.get_printoptions()["precision"] == 4
    assert matplotlib.rcParams["image.cmap"] == "gray"


def test_seed_everything_makes_keras_initialisation_repeatable():
    import keras

    def fresh_kernel():
        session.seed_everything(3)
        layer = keras.layers.Dense(4)
        layer.build((None, 2))
        return keras.ops.convert_to_numpy(layer.kernel)

    np.testing.assert_array_equal(fresh_kernel(), fresh_kernel())


def test_doctor_reports_ok_lines_and_exit_code():
    result = subprocess.run([sys.executable, "-m", "course_utils.doctor"], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    lines = result.stdout.strip().splitlines()
    assert result.returncode == 0, result.stdout
    for name in ("Python", "numpy", "keras", "Keras backend", "MNIST data", "sample image"):
        assert any(line.startswith(f"OK   {name}") for line in lines), name
    assert re.fullmatch(r"\d+ OK, 0 FAIL: ready for the course", lines[-1])
    assert result.stderr == ""


def test_doctor_fail_line_carries_the_fix():
    from packaging.requirements import Requirement

    check = doctor.check_requirement(Requirement("numpy==1.0.*"))
    assert not check.ok
    assert check.line().splitlines() == [
        f"FAIL numpy: {np.__version__} (the course needs ==1.0.*)",
        "     fix: run `python -m pip install -e .` in the course folder",
    ]
    missing = doctor.check_requirement(Requirement("surely-not-installed-pkg==1.0"))
    assert missing.detail == "not installed" and not missing.ok


def test_epoch_printer_rounds_and_prints_every_k_epochs(capsys):
    from course_utils.training import EpochPrinter

    printer = EpochPrinter(every=2, digits=3)
    printer.params = {"epochs": 3}
    for epoch in range(3):
        printer.on_epoch_begin(epoch)
        printer.on_epoch_end(epoch, {"loss": 1 / (epoch + 1), "accuracy": 0.5, "learning_rate": 0.1})
    assert capsys.readouterr().out.splitlines() == ["epoch  2: loss 0.500 accuracy 0.500",
                                                    "epoch  3: loss 0.333 accuracy 0.500"]
    assert len(printer.seconds_per_epoch) == 3


def test_show_matrix_writes_every_value_and_outlines_the_window():
    fig = plotting.show_matrix(np.array([[1, -2], [3, 4]]), title="k", highlight=(0, 0, 1, 2))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["1", "-2", "3", "4"]
    assert ax.get_title() == "k" and len(ax.patches) == 1
    with pytest.raises(ValueError, match=r"2-D array, got shape \(3,\)"):
        plotting.show_matrix(np.zeros(3))


def test_image_grid_layout_and_titles():
    fig = plotting.image_grid([np.zeros((4, 4))] * 7, [str(i) for i in range(7)], ncols=3)
    assert len(fig.axes) == 9
    assert [ax.get_title() for ax in fig.axes[:7]] == [str(i) for i in range(7)]
    with pytest.raises(ValueError, match="got 2 images but 1 titles"):
        plotting.image_grid([np.zeros((2, 2))] * 2, ["a"])


def test_feature_maps_one_panel_per_channel():
    fig = plotting.feature_maps(np.random.rand(5, 5, 6), ncols=4)
    drawn = [ax for ax in fig.axes if ax.images]
    assert len(drawn) == 6 and drawn[5].get_title() == "ch 5"


def test_stem_draws_each_signal():
    fig = plotting.stem({"x": [1, 2, 3], "y": [0, 1]})
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["x", "y"]


def test_sliding_window_shows_partial_output():
    out = np.arange(9.0).reshape(3, 3)
    fig = plotting.sliding_window(np.ones((5, 5)), np.ones((3, 3)), row=1, col=0, output=out)
    texts = [t.get_text() for t in fig.axes[2].texts]
    assert texts == ["0", "1", "2", "3"]  # cells up to (1, 0) only
    assert fig.axes[2].get_title() == "output[1, 0]"


def test_sliding_window_products_panel_sums_to_the_output_cell():
    image = np.arange(25.0).reshape(5, 5)
    kernel = np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]])
    fig = plotting.sliding_window(image, kernel, row=1, col=1, stride=2, padding=1, products=True,
                                  output=np.zeros((3, 3)))
    assert [ax.get_title() for ax in fig.axes] == ["input (padded by 1)", "kernel", "window x kernel\nsum = 0",
                                                   "output[1, 1]"]
    products = fig.axes[2]
    assert [t.get_text() for t in products.texts][:3] == ["0", "-7", "0"]  # -1 x image[1, 2], the pixel above the centre
    with pytest.raises(ValueError, match="falls outside"):
        plotting.sliding_window(image, kernel, row=3, col=0)


def test_learning_curves_and_confusion_matrix():
    fig = plotting.learning_curves({"loss": [1, 0.5], "val_loss": [1.2, 0.7], "accuracy": [0.5, 0.8]})
    assert [line.get_label() for line in fig.axes[0].lines] == ["train_loss", "val_loss"]
    fig = plotting.confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], n_classes=3)
    assert fig.confusion.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]


def test_readme_course_map_is_up_to_date():
    text = (ROOT / "README.md").read_text()
    table = text.split(coursemap.BEGIN)[1].split(coursemap.END)[0].strip()
    assert table == coursemap.markdown_table(details=True), "run `python -m course_utils.coursemap` to update README.md"
    listed = re.findall(r"^\| \[[^\]]+\]\(((?:notebooks|exercises)/[^)]+\.ipynb)\)", table, re.M)  # first column
    on_disk = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").glob("*.ipynb"))
    on_disk += sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "exercises").glob("*.ipynb"))
    assert listed == on_disk


def test_course_map_needs_title_and_summary(tmp_path):
    bad = tmp_path / "x.ipynb"
    bad.write_text('{"cells": [{"cell_type": "markdown", "source": ["# Title only"]}]}')
    with pytest.raises(ValueError, match="italic"):
        coursemap._title_and_summary(bad)


COURSE_MAP_PATHS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "exercises").glob("*.ipynb"))


@pytest.mark.parametrize("path", COURSE_MAP_PATHS, ids=[p.relative_to(ROOT).as_posix() for p in COURSE_MAP_PATHS])
def test_every_notebook_has_prerequisites_and_an_honest_time(path):
    prerequisites, minutes = coursemap._course_map(path)  # raises if the notebook-level metadata is missing
    own = path.name[:2]
    notebooks = coursemap.course_notebooks()
    for number in prerequisites:
        assert number in notebooks, f"prerequisite {number} is not a course notebook"
        # a notebook needs earlier notebooks; an exercise may need the notebook of its own number
        assert number < own or (path.parent.name == "exercises" and number == own), f"prerequisite {number} comes later"
    if own != "00":
        assert prerequisites, "only 00 · Start here has no prerequisites"
    estimate = coursemap.estimate_minutes(json.loads(path.read_text(encoding="utf-8")))
    assert minutes % coursemap.ROUND_TO == 0 and abs(minutes - estimate) <= coursemap.ROUND_TO, (
        f"{minutes} min stored, the estimate is {estimate} min: see `python -m course_utils.coursemap --estimate`")


def test_course_map_needs_the_notebook_metadata(tmp_path):
    cell = {"cell_type": "markdown", "source": ["# Title\n", "*summary*"]}
    bad = tmp_path / "x.ipynb"
    bad.write_text(json.dumps({"cells": [cell], "metadata": {}}))
    with pytest.raises(ValueError, match="course_map"):
        coursemap._course_map(bad)
    bad.write_text(json.dumps({"cells": [cell], "metadata": {"course_map": {"prerequisites": "01", "minutes": 30}}}))
    with pytest.raises(ValueError, match="notebook numbers"):
        coursemap._course_map(bad)


def test_time_estimate_counts_words_code_cells_and_questions():
    words = {"cell_type": "markdown", "source": " ".join(["word"] * 1500)}   # 10 min of reading
    code = {"cell_type": "code", "metadata": {}, "source": "x = 1"}            # 2 min each
    graded = {"cell_type": "code", "metadata": {"course": {"question": "q1"}}, "source": "x = 1"}  # 2 + 5 min
    assert coursemap.estimate_minutes({"cells": [words] + [code] * 10}) == 30
    assert coursemap.estimate_minutes({"cells": [graded] * 3}) == 15
    assert coursemap.estimate_minutes({"cells": []}) == 15
