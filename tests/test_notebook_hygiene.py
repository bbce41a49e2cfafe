"""The committed notebooks follow the course's rules (see CONTRIBUTING in the README).

Each rule is a separate test so a failure names the notebook and the rule broken.
"""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXECUTED = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "exercises" / "solutions").glob("*.ipynb"))
ALL = EXECUTED + sorted((ROOT / "exercises").glob("*.ipynb"))
ABSOLUTE_PATH = re.compile(r"(/work/|/root/|/home/\w|/Users/\w|/tmp/|[A-Za-z]:\\\\Users)")
NBVAL_MARKER = re.compile(r"^[ \t]*#\s*(NBVAL_[A-Z_]+)(.*)$", re.M)


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
def test_nbval_exemptions_give_a_reason(path):
    """nbval only honours a marker alone on its line, so the reason goes on the next line."""
    for k, cell in enumerate(code_cells(load(path)), 1):
        text = source(cell)
        for match in NBVAL_MARKER.finditer(text):
            example = f"`# {match.group(1)}` alone on its line, then `# why: timings vary from run to run`"
            assert not match.group(2).strip(), f"code cell {k}: nbval ignores a marker with text after it; write {example}"
            following = text[match.end():].lstrip("\n").splitlines()
            reason = following[0].strip() if following else ""
            assert reason.startswith("# why:") and len(reason) >= 16, f"code cell {k}: give the reason: {example}"


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
