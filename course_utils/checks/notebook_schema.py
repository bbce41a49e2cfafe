"""``metadata.course`` of a notebook cell: what the release tool writes and the grader reads, defined once.

Two kinds of code cells carry it:

- a *graded slot*, ``{"question": "ex01.q1", "points": 2}``: the cell the student answers in
  (the solution notebook holds ``{"question": ...}`` alone; the release tool adds the points
  from the exercise module, never typed by hand);
- a *context cell*, ``{"context": true}``: an instructor's setup cell (imports, given data)
  that the grader runs from the solution notebook, never from the submission.

A submission's metadata is untrusted: every reader here takes any JSON and answers
``None``/``False`` for whatever is malformed, and finds cells only (points and the list of
questions come from the exercise module).

>>> graded = {"cell_type": "code", "metadata": {"course": graded_meta("ex01.q1", 2.0)}, "source": ["y = ", "1"]}
>>> question_id(graded), is_context(graded), cell_source(graded)
('ex01.q1', False, 'y = 1')
>>> question_id({"metadata": {"course": {"question": ["not", "a", "str"]}}}), course_meta({"metadata": []})
(None, {})
"""
from __future__ import annotations

from typing import TypedDict

KEY = "course"   # cell.metadata[KEY]


class CourseCell(TypedDict, total=False):
    """The fields of ``metadata.course``."""

    question: str     # graded slot: the question id
    points: float     # graded slot, student notebooks only
    context: bool     # an instructor's setup cell the grader runs


def course_meta(cell) -> CourseCell:
    """The cell's ``metadata.course``; ``{}`` when it is absent or not an object."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    meta = metadata.get(KEY, {}) if isinstance(metadata, dict) else {}
    return meta if isinstance(meta, dict) else {}


def question_id(cell) -> str | None:
    """The question a graded slot answers (whatever its cell type), else None."""
    qid = course_meta(cell).get("question")
    return qid if isinstance(qid, str) and qid else None


def is_context(cell) -> bool:
    """True for an instructor's setup cell (``{"context": true}``) that is not also a graded slot."""
    return course_meta(cell).get("context") is True and question_id(cell) is None


def graded_meta(qid: str, points: float) -> CourseCell:
    """``metadata.course`` of a released graded slot."""
    return {"question": qid, "points": points}


def cell_source(cell) -> str:
    """A cell's source as one string (notebook files may store it as a list of lines)."""
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(str(line) for line in source)
