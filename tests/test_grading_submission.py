"""Step 1 of grading, course_utils/grading/submission.py: a submitted notebook read as data."""
import json
import os

import pytest

from course_utils.checks.protocol import INVALID, MISSING
from course_utils.grading.submission import (InvalidNotebook, Unreadable, graded_cells, load_submission,
                                             parse_submission, read_notebook, strip_magics)


def nb_with(cells):
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


def code(source, qid=None, cell_id="c"):
    meta = {"course": {"question": qid}} if qid else {}
    return {"cell_type": "code", "id": cell_id, "metadata": meta, "source": source, "outputs": [],
            "execution_count": None}


def test_strip_magics_keeps_line_numbers():
    source, removed = strip_magics("a = 1\n    !ls\n%%time\nb = %env X\nc = 2")
    assert removed == [2, 3, 4]
    assert source.splitlines()[1] == "    pass  # removed by the grader: shell command"
    assert source.splitlines()[4] == "c = 2"


def test_graded_cells_rules():
    nb = nb_with([code("y = 1", "ex.q1", "a"), code("y = 2", "ex.q1", "b"), code("z = 1", "ex.q9", "c"),
                  {"cell_type": "markdown", "id": "d", "metadata": {"course": {"question": "ex.q2"}}, "source": "x"}])
    cells = graded_cells(nb, ["ex.q1", "ex.q2", "ex.q3"])
    assert cells.sources == {"ex.q1": "y = 2"}
    assert "markdown" in cells.missing["ex.q2"] and "deleted" in cells.missing["ex.q3"]
    assert any("the last one (cell 2)" in n for n in cells.notes)
    assert any("'ex.q9'" in n for n in cells.notes)


def test_read_notebook_limits_and_validation(tmp_path):
    path = tmp_path / "a.ipynb"
    path.write_text(json.dumps(nb_with([code("y = 1", "ex.q1")])), encoding="utf-8")
    assert read_notebook(path)["cells"][0]["source"] == "y = 1"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(InvalidNotebook, match="not valid JSON"):
        read_notebook(path)
    path.write_text(json.dumps({"nbformat": 3, "cells": []}), encoding="utf-8")
    with pytest.raises(InvalidNotebook, match="format 3"):
        read_notebook(path)
    path.write_bytes(b" " * (21 * 2**20))
    with pytest.raises(InvalidNotebook, match="MB allowed"):
        read_notebook(path)
    with pytest.raises(InvalidNotebook, match="cannot read"):
        read_notebook(tmp_path / "missing.ipynb")


def test_parse_submission_says_why_a_notebook_cannot_be_graded(tmp_path):
    path = tmp_path / "ana" / "a.ipynb"
    path.parent.mkdir()
    assert parse_submission(load_submission(path)) == Unreadable(MISSING, "no notebook submitted", note=False)
    path.write_text("{", encoding="utf-8")
    broken = parse_submission(load_submission(path))
    assert (broken.status, broken.note) == (INVALID, True) and "not valid JSON" in broken.message
    os.symlink(path, tmp_path / "ana" / "b.ipynb")
    assert parse_submission(load_submission(tmp_path / "ana" / "b.ipynb")) == Unreadable(
        INVALID, "the notebook is a symbolic link; submit the file itself")
    path.write_text(json.dumps(nb_with([code("y = 1", "ex.q1")])), encoding="utf-8")
    assert parse_submission(load_submission(path))["cells"][0]["metadata"] == {"course": {"question": "ex.q1"}}
