"""Steps 2 and 3 of grading one submission: build the child's job, and run it to the end.

:func:`build_job` puts together what the child is told (:class:`~course_utils.checks.protocol.Job`):
the instructor's context cells and the student's graded cells in notebook order
(:func:`instructor_cells`), each question's probe, its hidden inputs (drawn per student,
:func:`hidden_seed`) and the exercise's bans. :func:`run_job` runs it in the sandbox; when a
run ends early (a timeout, a crash) the question that was running is marked and the rest run
again in a fresh child, at most ``max_restarts`` times (:class:`RunReport`).

>>> hidden_seed("k", "ana", "01_x", "ex01.q1") == hidden_seed("k", "ana", "01_x", "ex01.q1") != hidden_seed("k", "bob", "01_x", "ex01.q1")
True
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course_utils.checks import notebook_schema
from course_utils.checks.protocol import Cell, Job, RunEnd
from course_utils.grading import sandbox
from course_utils.grading.submission import GradedCells

ROOT = Path(__file__).resolve().parent.parent.parent
SOLUTIONS = ROOT / "exercises" / "solutions"
MAX_RESTARTS = 2


def instructor_cells(exercise, solutions_dir: Path = SOLUTIONS) -> list[Cell]:
    """The instructor's cells the grader runs, in notebook order: context cells and graded slots.

    Context cells (``metadata.course.context = true``: imports, the given data) come
    from the instructor's solution notebook, never from the submission.
    """
    path = Path(solutions_dir) / f"{exercise.notebook}.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))  # the instructor's own file: trusted
    cells = []
    for index, cell in enumerate(nb["cells"], 1):
        if cell["cell_type"] != "code":
            continue
        if notebook_schema.question_id(cell):
            cells.append(Cell(question=notebook_schema.question_id(cell), index=index))
        elif notebook_schema.is_context(cell):
            cells.append(Cell(question=None, index=index, source=notebook_schema.cell_source(cell)))
    known = {q.id for q in exercise.questions}
    slots = [c["question"] for c in cells if c["question"]]
    if sorted(slots) != sorted(known):
        raise ValueError(f"{path.name}: graded cells {sorted(slots)} do not match the questions {sorted(known)}")
    return cells


def hidden_seed(secret: str, student: str, exercise: str, qid: str) -> int:
    """Per student and question, so answers cannot be copied from a neighbour's hidden tests."""
    digest = hashlib.sha256(f"{secret}\x00{student}\x00{exercise}\x00{qid}".encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "little")


def build_job(exercise, graded: GradedCells, student: str, slots: list[Cell], *,
              secret: str = "") -> tuple[Job, dict, dict]:
    """``(job, arrays, trusted_args)``: the child's job, the arrays for ``inputs.npz``, and
    each question's hidden argument tuples as the judge sees them (never sent back).
    ``slots``: the exercise's :func:`instructor_cells` (read by the parent, from its solutions)."""
    questions = exercise.questions
    arrays, args, trusted_args = {}, {}, {}
    for q in questions:
        rng = np.random.default_rng(hidden_seed(secret, student, exercise.notebook, q.id))
        trusted_args[q.id] = q.hidden_args(rng)
        args[q.id] = sandbox.encode_args(q.id, trusted_args[q.id], arrays)
    given = {}
    for name, value in exercise.given().items():   # the exercise's data (e.g. training images), not hidden
        arrays[f"given.{name}"] = value
        given[name] = f"given.{name}"
    cells = []
    for slot in slots:
        if slot["question"] is None:
            cells.append(slot)
        elif slot["question"] in graded.sources:
            cells.append(Cell(question=slot["question"], index=slot["index"], source=graded.sources[slot["question"]]))
    job = Job(given=given, probes={q.id: q.probe_spec() for q in questions}, args=args,
              forbidden_modules=sorted({m for q in questions for m in q.forbidden_modules}),
              forbidden_calls={q.id: list(q.forbidden_calls) for q in questions if q.forbidden_calls},
              preload=sorted({m for q in questions for m in q.preload}), cells=cells, skip=sorted(graded.missing))
    return job, arrays, trusted_args


@dataclass(frozen=True)
class Stopped:
    """A question during which a child run ended (the parent's verdict, not the child's outcome)."""

    end: RunEnd
    detail: str


@dataclass
class RunReport:
    """What the runs of one job left: per question the child's outcome or where it was stopped."""

    outcomes: dict = field(default_factory=dict)        # question id -> Outcome | Stopped, in the order they came
    context_errors: list = field(default_factory=list)  # of Outcome: setup cells that failed (first run)
    truncated: bool = False                             # the notebook printed more than the output limit
    ended: RunEnd = RunEnd.FINISHED                     # how the last run ended
    detail: str = ""


def run_job(job: Job, arrays: dict, limits: sandbox.Limits, *, max_restarts: int = MAX_RESTARTS, deny_read=(),
            keep_scratch: bool = False, isolate: bool = True) -> RunReport:
    """Run the job in fresh children until every question has an outcome (or ``max_restarts`` is spent)."""
    report = RunReport()
    outcomes = report.outcomes
    skip = set(job.get("skip", []))
    to_run = [c["question"] for c in job["cells"] if c["question"]]
    for attempt in range(max_restarts + 1):
        job = {**job, "skip": sorted(skip)}
        run = sandbox.run_child(job, arrays, limits, deny_read=deny_read, keep_scratch=keep_scratch, isolate=isolate)
        report.truncated |= run.stdout_bytes > limits.output_chars
        report.ended, report.detail = run.ended, run.detail
        results = run.results or {}
        done = results.get("done", {}) if isinstance(results.get("done"), dict) else {}
        for qid, outcome in done.items():
            if qid in to_run and qid not in outcomes and isinstance(outcome, dict):
                outcomes[qid] = outcome
        if attempt == 0 and isinstance(results.get("context_errors"), list):
            report.context_errors = results["context_errors"][:5]
        if run.ended == RunEnd.FINISHED:
            break
        pending = [qid for qid in to_run if qid not in outcomes and qid not in skip]
        if not pending:
            break
        running = results.get("running")
        culprit = running if running in pending else pending[0]
        outcomes[culprit] = Stopped(run.ended, run.detail)
        skip.add(culprit)
        if run.ended == RunEnd.BOOTSTRAP:
            break
    return report

