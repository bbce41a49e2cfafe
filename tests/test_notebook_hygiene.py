"""The committed notebooks follow the course's rules (see CONTRIBUTING in the README).

Each rule is a separate test so a failure names the notebook and the rule broken.
"""
import json
import re
from pathlib import Path

import pytest

from course_utils import notebook_tags

ROOT = Path(__file__).resolve().parent.parent
EXECUTED = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "exercises" / "solutions").glob("*.ipynb"))
ALL = EXECUTED + sorted((ROOT / "exercises").glob("*.ipynb"))
ABSOLUTE_PATH = re.compile(r"(/work/|/root/|/home/\w|/Users/\w|/tmp/|[A-Za-z]:\\\\Users)")
NBVAL_MARKER = re.compile(r"^[ \t]*#\s*(NBVAL_[A-Z_]+)(.*)$", re.M)
TRAINS = re.compile(r"\.fit\(|\bfit\(model|mlp\.train\(|optimizer\.step\(|retrain=True")


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


def test_there_are_notebooks():
    assert (ROOT / "notebooks" / "00_start_here.ipynb") in EXECUTED


@pytest.mark.parametrize("path", EXECUTED, ids=ids(EXECUTED))
def test_executed_top_to_bottom(path):
    counts = [c.get("execution_count") for c in code_cells(load(path))]
    assert counts == list(range(1, len(counts) + 1)), (
        f"execution counts {counts} are not 1..{len(counts)}: re-run with `python -m course_utils.refresh {path.name}`")


@pytest.mark.parametrize("path", EXECUTED, ids=ids(EXECUTED))
def test_no_errors_or_stderr(path):
    for k, cell in enumerate(code_cells(load(path)), 1):
        tags = cell.get("metadata", {}).get("tags", [])
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                assert "raises-exception" in tags, f"code cell {k} has an error output ({out['ename']})"
            assert not (out["output_type"] == "stream" and out["name"] == "stderr"), (
                f"code cell {k} wrote to stderr: {''.join(out['text'])[:200]!r}")


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_no_absolute_paths_or_user_names(path):
    text = path.read_text(encoding="utf-8")
    match = ABSOLUTE_PATH.search(text)
    assert match is None, f"found a machine-specific path near {text[max(0, match.start() - 60):match.end() + 40]!r}"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_output_exemptions_are_tags_with_a_reason(path):
    """A cell nbval does not compare is tagged, with one reason tag (course_utils.notebook_tags)."""
    for k, cell in enumerate(code_cells(load(path)), 1):
        match = NBVAL_MARKER.search(source(cell))
        assert match is None, (f"code cell {k}: use the cell tags [{notebook_tags.IGNORE_OUTPUT!r}, <reason>] "
                               f"instead of the comment {match.group(0).strip()!r}")
        try:
            notebook_tags.ignore_reason(cell)
        except ValueError as exc:
            pytest.fail(f"code cell {k}: {exc}")


def machine_dependent_problems(nb) -> list[str]:
    """What training measures is not compared digit by digit, so it must be asserted with a measured band."""
    problems = []
    for k, cell in enumerate(code_cells(nb), 1):
        text = source(cell)
        reason = notebook_tags.ignore_reason(cell)
        graded_answer = "question" in cell.get("metadata", {}).get("course", {})
        if reason == notebook_tags.MACHINE_DEPENDENT and not graded_answer and "expect(" not in text:
            problems.append(f"code cell {k} is machine-dependent: check its numbers with measured.expect()")
        if TRAINS.search(text) and cell.get("outputs") and reason != notebook_tags.MACHINE_DEPENDENT:
            problems.append(f"code cell {k} trains a model and prints: tag it {notebook_tags.MACHINE_DEPENDENT!r} "
                            "(see course_utils.measured)")
    return problems


@pytest.mark.parametrize("path", EXECUTED, ids=ids(EXECUTED))
def test_machine_dependent_cells_check_their_numbers(path):
    assert machine_dependent_problems(load(path)) == []


def test_the_machine_dependent_rule_bites():
    printed = [{"output_type": "stream", "name": "stdout", "text": ["loss 0.1\n"]}]
    trains = {"cell_type": "code", "metadata": {}, "source": ["model.fit(x, y)\nprint(loss)"], "outputs": printed}
    tagged = {**trains, "metadata": {"tags": [notebook_tags.IGNORE_OUTPUT, notebook_tags.MACHINE_DEPENDENT]}}
    checked = {**tagged, "source": ["model.fit(x, y)\nexpect('07/loss', loss)"]}
    assert machine_dependent_problems({"cells": [trains]}) == [
        "code cell 1 trains a model and prints: tag it 'machine-dependent' (see course_utils.measured)"]
    assert machine_dependent_problems({"cells": [tagged]}) == [
        "code cell 1 is machine-dependent: check its numbers with measured.expect()"]
    assert machine_dependent_problems({"cells": [checked]}) == []


@pytest.mark.parametrize("path", EXECUTED, ids=ids(EXECUTED))
def test_seeded_setup_first(path):
    cells = code_cells(load(path))
    assert cells and "setup_notebook(" in source(cells[0]), "the first code cell must call course_utils.session.setup_notebook()"


@pytest.mark.parametrize("path", EXECUTED, ids=ids(EXECUTED))
def test_each_code_cell_has_a_title(path):
    cells = load(path)["cells"]
    assert cells[0]["cell_type"] == "markdown" and source(cells[0]).lstrip().startswith("# "), "start with a `# Title` markdown cell"
    for k, cell in enumerate(cells[1:], 1):
        if cell["cell_type"] == "code":
            before = cells[k - 1]
            assert before["cell_type"] == "markdown" and re.search(r"\*\*.+\*\*|^#+ ", source(before), re.M), (
                f"code cell {source(cell)[:60]!r} needs a short bold title (**...**) in the markdown cell before it")


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_kernel_is_the_plain_python3_kernel(path):
    assert load(path)["metadata"].get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_no_cell_timing_metadata(path):
    """Per-cell execution timestamps only make diffs noisy (refresh does not record them)."""
    for k, cell in enumerate(load(path)["cells"], 1):
        assert "execution" not in cell.get("metadata", {}), f"cell {k} carries execution timestamps"
