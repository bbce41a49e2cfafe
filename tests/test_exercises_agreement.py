"""check() and the grader agree on every corpus answer: both accept it, or both reject it
(and a FORBIDDEN from one is a FORBIDDEN from the other); and neither misjudges it."""
import collections

import pytest

from course_utils import sandbox, sandbox_child
from course_utils.exercises import forbidden
from course_utils.exercises import all_exercises
from course_utils.exercises.framework import FORBIDDEN, PASS
from course_utils.exercises.synthetic import graded_sources, submission
from course_utils.grade import grade_submission
from exercise_corpus import CORPUS, run_check_corpus


def _grade_corpus(tmp_path):
    """``{(qid, source): status}`` from the grader, the corpus batched into a few notebooks per exercise."""
    statuses = {}
    for exercise in all_exercises().values():
        qids = [q.id for q in exercise.questions if q.id in CORPUS]
        if not qids:
            continue
        solutions = graded_sources(exercise.notebook)
        for k in range(max(len(CORPUS[qid]) for qid in qids)):
            answers = {qid: s["solution"] for qid, s in solutions.items()}
            batch = {qid: CORPUS[qid][k][0] for qid in qids if k < len(CORPUS[qid])}
            answers.update(batch)
            path = tmp_path / f"batch{k}" / f"{exercise.notebook}.ipynb"
            path.parent.mkdir(exist_ok=True)
            path.write_text(submission(exercise.notebook, answers), encoding="utf-8")
            record = grade_submission(exercise, path, f"batch{k}", sandbox.Limits(timeout_s=exercise.timeout_s))
            for row in record["rows"]:
                if row["question"] in batch:
                    statuses[(row["question"], batch[row["question"]])] = (row["status"], row["message"])
    return statuses


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    graded = _grade_corpus(tmp_path_factory.mktemp("corpus"))
    return [(qid, source, result, correct, graded[(qid, source)]) for qid, source, result, correct in run_check_corpus()]


def test_check_and_grader_agree(judged):
    disagree = [(qid, source, result.status, grader) for qid, source, result, _, (grader, _) in judged
                if (result.status == PASS) != (grader == PASS) or (result.status == FORBIDDEN) != (grader == FORBIDDEN)]
    assert disagree == []


def test_no_answer_is_misjudged(judged):
    misjudged = [(qid, source, result.line()) for qid, source, result, correct, _ in judged
                 if (result.status == PASS) != correct]
    assert misjudged == []


def test_every_question_has_two_right_and_three_wrong_answers():
    counts = {qid: collections.Counter(correct for _, correct in answers) for qid, answers in CORPUS.items()}
    assert {qid for qid, c in counts.items() if c[True] < 2 or c[False] < 3} == set()


def test_every_rejected_answer_says_what_to_try(judged):
    # One line, and a ":" followed by advice (a known mistake's, or what to try).
    lines = [result.message for _, _, result, correct, _ in judged if result.status != PASS]
    assert lines and all("\n" not in line and ": " in line for line in lines)


def test_forgotten_return_is_named(judged):
    lines = [result.message for qid, source, result, _, _ in judged if "return" not in source and "def " in source]
    assert lines and all("returned nothing (None)" in line for line in lines)


def test_check_always_bans_what_the_grader_always_bans():
    # Two copies until the grader's child imports course_utils.exercises.forbidden.
    assert set(forbidden.ALWAYS_BANNED_MODULES) == set(sandbox_child._ALWAYS_BANNED_MODULES)
