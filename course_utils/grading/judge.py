"""Step 4 of grading one submission: turn what the child reported into one Result per question.

Each question is judged by its own trusted code (``Question.judge_outcome``, the same
judging as ``check()``, on the hidden inputs) from the child's plain-data outcome; a
question that a run was stopped during (:class:`~course_utils.grading.job.Stopped`),
never reached, or whose graded cell is missing gets the status that says so. Whatever an
answer provokes in a judge stays with that question.
"""
from __future__ import annotations

from course_utils.checks.protocol import CRASH, MEMORY, MISSING, TIMEOUT, Kind, RunEnd
from course_utils.checks.questions import Result
from course_utils.grading.job import RunReport, Stopped
from course_utils.grading.submission import GradedCells


def judge_all(exercise, graded: GradedCells, report: RunReport, trusted_args: dict) -> list[tuple[str, float, Result]]:
    """``[(question id, max points, Result), ...]`` in the exercise's order."""
    return [(q.id, q.points, judge_one(q, graded, report, trusted_args)) for q in exercise.questions]


def judge_one(q, graded: GradedCells, report: RunReport, trusted_args: dict) -> Result:
    if q.id in graded.missing:
        return _status_result(q, MISSING, graded.missing[q.id])
    outcome = report.outcomes.get(q.id)
    if report.ended == RunEnd.BOOTSTRAP and (outcome is None or isinstance(outcome, Stopped)):
        return _status_result(q, CRASH, f"not graded: {report.detail}")   # the grader's child failed, not the answer
    if outcome is None:
        stopped = _first_stop(report)
        if isinstance(stopped, Stopped):
            status, detail = (TIMEOUT if stopped.end == RunEnd.TIMEOUT else CRASH), stopped.detail
        elif stopped is not None:   # a cell before ran out of memory
            status, detail = MEMORY, stopped.get("detail", "")
        else:
            status, detail = CRASH, "no result"
        return _status_result(q, status, f"not graded: the notebook run stopped before this question ({detail})")
    if isinstance(outcome, Stopped) and outcome.end == RunEnd.TIMEOUT:
        return _status_result(q, TIMEOUT, f"your code did not finish: {outcome.detail} "
                                          "(an endless loop?); the other questions were graded without it")
    if isinstance(outcome, Stopped):
        return _status_result(q, CRASH, f"{outcome.detail} while running this question; the "
                                        "other questions were graded without it")
    try:
        return q.judge_outcome(outcome, trusted_args[q.id], hidden=True)
    except Exception as exc:  # whatever the answer provokes in a judge stays with this question
        return _status_result(q, CRASH, f"the grader could not judge this answer "
                                        f"({type(exc).__name__}); your instructor will look at it")


def _first_stop(report: RunReport):
    """The first question a run stopped during, or whose cell ran out of memory (the child's own outcome)."""
    return next((o for o in report.outcomes.values()
                 if isinstance(o, Stopped) or o.get("outcome") == Kind.MEMORY), None)


def _status_result(question, status, message) -> Result:
    return Result(status, 0.0, question.points, message)
