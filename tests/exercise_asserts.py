"""Assertions shared by the exercise-check tests: how a check's result must look."""
import functools

import pytest

from course_utils.checks.protocol import FAIL, PASS


def check(question, *answers):
    return question.check_result(*answers)


def assert_wrong(result, *fragments):
    """Wrong (not a pass), attempted, one line, and saying each of ``fragments``."""
    assert result.status != PASS and result.attempted, result
    for fragment in fragments:
        assert fragment in result.message, f"{fragment!r} not in {result.message!r}"
    assert "\n" not in result.message


def assert_not_attempted(result):
    assert result.status == FAIL and not result.attempted and result.message.startswith("Not attempted yet"), result


def stub(*args):
    """What a student function looks like before it is written."""
    raise NotImplementedError("write your code here")


def sourceless(fn):
    """``fn`` without source code, so that check() judges what it returns, not what it uses.

    Some tests build wrong answers from the course's own code, which check() rightly
    refuses in a student's cell (the grader bans ``course_utils``).
    """
    return functools.partial(fn)


def grade_students(base, notebook: str, wrong: dict, **overrides):
    """Grade a class through the real grader: ``right`` (the solution), ``stub`` (the released stubs),
    ``wrong`` (``{qid: source}``, one wrong answer per graded question) and one student per keyword
    (``{qid: source}`` over the solution). Returns ``(exit code, {(student, qid): grades.csv row})``."""
    import csv

    from course_utils.grading import cli
    from course_utils.grading.synthetic import graded_sources, submission

    sources = graded_sources(notebook)
    right = {qid: s["solution"] for qid, s in sources.items()}
    students = {"right": right, "stub": {qid: s["stub"] for qid, s in sources.items()},
                "wrong": {qid: wrong[qid] for qid in sources},
                **{student: {**right, **answers} for student, answers in overrides.items()}}
    subs, out = base / "submissions", base / "out"
    for student, answers in students.items():
        (subs / student).mkdir(parents=True)
        (subs / student / f"{notebook}.ipynb").write_text(submission(notebook, answers), encoding="utf-8")
    code = cli.main([str(subs), "--out", str(out), "--jobs", "2", "--quiet"])
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        return code, {(r["student"], r["question"]): r for r in csv.DictReader(f)}


def assert_solution_full_marks(graded, exercise):
    """The grader's rows for the ``right`` student: exit code 0, every question PASS with its full points."""
    code, rows = graded
    assert code == 0
    for q in exercise.questions:
        row = rows[("right", q.id)]
        assert (row["status"], float(row["points"])) == (PASS, q.points), row


def assert_mistakes_advised(graded, exercise, wrong: dict):
    """Every question has a known wrong answer (``{qid: (source, points, fragment)}``); each one FAILs in
    one line that says ``fragment``, with ``points`` partial credit (``None``: any)."""
    _, rows = graded
    assert set(wrong) == {q.id for q in exercise.questions}
    for qid, (_, points, fragment) in wrong.items():
        row = rows[("wrong", qid)]
        assert row["status"] == FAIL and fragment in row["message"] and "\n" not in row["message"], row
        if points is not None:
            assert float(row["points"]) == pytest.approx(points, abs=1e-3), row


def assert_stubs_not_attempted(graded, exercise):
    """The released stubs: every question FAIL, 0 points, "Not attempted yet"."""
    _, rows = graded
    for q in exercise.questions:
        row = rows[("stub", q.id)]
        assert (row["status"], float(row["points"])) == (FAIL, 0.0), row
        assert row["message"].startswith("Not attempted yet"), row
