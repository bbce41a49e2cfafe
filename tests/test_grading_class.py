"""A synthetic class of 30 submissions (15 students × 2 exercises), graded end to end through
the command line: every CSV row and point, the gradebook, the feedback files, and
idempotent, resumable re-runs."""
import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest

from course_utils.grading import cli, job
from course_utils.exercises import ex01_convolution_1d as ex01
from course_utils.grading.synthetic import make_class

pytestmark = pytest.mark.usefixtures("isolation")   # grading needs bubblewrap (see conftest.py)

STUDENTS = 15


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    subs, out = base / "submissions", base / "out"
    expected = make_class(subs, STUDENTS)
    code = cli.main([str(subs), "--out", str(out), "--jobs", "2", "--timeout", "4", "--quiet"])
    return {"subs": subs, "out": out, "expected": expected, "code": code}


def read_rows(out: Path):
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_cli_exits_0_with_the_exact_header(graded_class):
    assert graded_class["code"] == 0
    header = (graded_class["out"] / "grades.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "student,exercise,question,points,max_points,status,message"


def test_every_row_and_point(graded_class):
    rows = read_rows(graded_class["out"])
    expected = graded_class["expected"]
    assert len(rows) == len(expected) == STUDENTS * (6 + 8)   # questions of exercises 01 and 04
    for row in rows:
        want_status, want_points = expected[(row["student"], row["exercise"], row["question"])]
        assert (row["status"], round(float(row["points"]), 4)) == (want_status, want_points), row
        assert float(row["points"]) <= float(row["max_points"])
    statuses = {row["status"] for row in rows}
    assert {"PASS", "FAIL", "MISSING", "INVALID", "TIMEOUT", "FORBIDDEN"} <= statuses


def test_gradebook_totals_match_the_rows(graded_class):
    rows = read_rows(graded_class["out"])
    with open(graded_class["out"] / "gradebook.csv", newline="", encoding="utf-8") as f:
        book = list(csv.DictReader(f))
    assert len(book) == STUDENTS
    for entry in book:
        total = sum(float(r["points"]) for r in rows if r["student"] == entry["student"])
        assert float(entry["total"]) == pytest.approx(total, abs=1e-3)
        assert float(entry["max_total"]) == 10 + 16


def test_feedback_for_every_submission_including_missing_ones(graded_class):
    feedback = sorted((graded_class["out"] / "feedback").rglob("*.md"))
    assert len(feedback) == STUDENTS * 2
    text = (graded_class["out"] / "feedback" / "student03" / "01_convolution_1d.md").read_text(encoding="utf-8")
    assert "TIMEOUT" in text and "| ex01.q4:" in text
    assert not list(graded_class["out"].rglob("*.tmp")), "temporary files must be renamed into place"


def test_rerun_is_idempotent_and_resumes_after_an_interruption(graded_class):
    subs, out = graded_class["subs"], graded_class["out"]
    before = (out / "grades.csv").read_bytes()
    summary = cli.grade_class(subs, out, jobs=2, timeout=4, progress=False)
    assert summary["reused"] == STUDENTS * 2
    assert (out / "grades.csv").read_bytes() == before
    # an "interrupted" run: some per-submission results and the CSV never got written
    for name in ("student01/01_convolution_1d.json", "student02/04_output_sizes_and_counts.json"):
        (out / "results" / name).unlink()
    (out / "grades.csv").unlink()
    summary = cli.grade_class(subs, out, jobs=2, timeout=4, progress=False)
    assert summary["reused"] == STUDENTS * 2 - 2
    assert (out / "grades.csv").read_bytes() == before
    # a changed submission is regraded
    path = subs / "student01" / "01_convolution_1d.ipynb"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert cli.grade_class(subs, out, jobs=1, timeout=4, progress=False)["reused"] == STUDENTS * 2 - 1


def test_hidden_inputs_differ_per_student_and_with_the_secret():
    seeds = {job.hidden_seed("", s, "01_convolution_1d", "ex01.q3") for s in ("ann", "bob")}
    assert len(seeds) == 2
    assert job.hidden_seed("s3cret", "ann", "01_convolution_1d", "ex01.q3") != job.hidden_seed(
        "", "ann", "01_convolution_1d", "ex01.q3")
    a = ex01.q3.hidden_args(np.random.default_rng(job.hidden_seed("", "ann", "01_convolution_1d", "ex01.q3")))
    b = ex01.q3.hidden_args(np.random.default_rng(job.hidden_seed("", "bob", "01_convolution_1d", "ex01.q3")))
    assert not np.array_equal(a[1][0], b[1][0])


def test_submission_metadata_cannot_change_points(tmp_path):
    subs = tmp_path / "subs" / "eve"
    subs.mkdir(parents=True)
    solution = Path(job.SOLUTIONS) / "01_convolution_1d.ipynb"
    nb = json.loads(solution.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        course = cell.get("metadata", {}).get("course", {})
        if "question" in course:
            course["points"] = 1000
    (subs / "01_convolution_1d.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    cli.grade_class(tmp_path / "subs", tmp_path / "out", jobs=1, timeout=10, progress=False)
    rows = read_rows(tmp_path / "out")
    assert sum(float(r["points"]) for r in rows) == 10
    assert {r["max_points"] for r in rows} == {"2", "3", "0"}


def test_bad_usage_is_a_one_line_error(tmp_path):
    with pytest.raises(SystemExit, match="not a folder of student folders"):
        cli.grade_class(tmp_path / "nope", tmp_path / "out")
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    with pytest.raises(SystemExit, match="unknown exercise"):
        cli.grade_class(tmp_path / "subs", tmp_path / "out", exercises=["99_nothing"])
    assert os.path.isdir(tmp_path / "subs")
