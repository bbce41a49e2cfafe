"""Gradebooks an LMS imports, with late penalties, from the grader's output folder.

    python -m course_utils.gradebook OUT [--export canvas|moodle|gradescope ...]
        [--roster roster.csv] [--policy policy.toml]
        [--submitted times.csv | --submissions SUBMISSIONS] [--canvas-assignment EXERCISE=ID ...]
        [--gradescope-visibility visible|hidden|after_due_date|after_published]

Reads ``OUT/grades.csv`` (written by ``python -m course_utils.grade``) and writes

- ``OUT/gradebook_final.csv``: one row per student and exercise with the raw points, the
  submission time, the deadline, how late, the penalty and the final points;
- with ``--policy``, one line at the end of each ``OUT/feedback/<student>/<exercise>.md``
  saying when it was submitted and what lateness cost (re-running replaces the line);
- ``--export canvas``: ``OUT/canvas_gradebook.csv`` (Canvas's gradebook import:
  ``Student,ID,SIS User ID,SIS Login ID,Section`` and one column per exercise, with the
  ``Points Possible`` row);
- ``--export moodle``: ``OUT/moodle_grades.csv`` (Moodle's CSV grade import: the
  ``ID number`` and ``Email address`` identifiers and one column per exercise);
- ``--export gradescope``: ``OUT/gradescope/<student>/results.json`` (Gradescope's
  autograder results: the score after the penalty and one test per question);
- ``OUT/unmatched.csv``: students in the grades without a roster entry (left out of the
  Canvas and Moodle files, which could not match them, but listed here with their points),
  roster entries without grades (kept in those files with empty cells), roster entries an
  LMS cannot match (no id), submission times of unknown students and graded notebooks
  without a submission time; each kind is also one summary line on stderr.

The roster (``--roster``, needed for Canvas and Moodle) maps submission folder names to
LMS ids, columns (only ``student`` is required; no others allowed, so typos are caught):

    student,name,lms_id,sis_user_id,sis_login_id,section,email

``lms_id`` is Canvas's ``ID``; ``sis_user_id`` is Canvas's ``SIS User ID`` and Moodle's
``ID number``; ``email`` is Moodle's ``Email address``. The late policy and the submission
times are :mod:`course_utils.grading.deadlines`. Exit code: 0 when everything was written (unmatched
students are reported, not fatal), 2 for bad input (nothing is written then).
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path

from course_utils.checks.protocol import MISSING, PASS
from course_utils.grading.deadlines import (Assessment, Policy, PolicyError, Times, format_duration, format_time,
                                            load_policy, load_times, time_of, times_from_files)
from course_utils.grading.records import CSV_HEADER, csv_cell

GRADES_COLUMNS = tuple(CSV_HEADER)
FINAL_COLUMNS = ("student", "exercise", "raw_points", "max_points", "submitted_at", "deadline", "late_by",
                 "late_penalty", "final_points")
UNMATCHED_COLUMNS = ("student", "problem", "exercise", "final_points")
CANVAS_POINTS_POSSIBLE = "    Points Possible"   # Canvas recognises the row by this exact text, spaces included
CANVAS_ID_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_ID_COLUMNS = ("ID number", "Email address", "Full name")
EXPORTS = ("canvas", "moodle", "gradescope")
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
FEEDBACK_MARK = "<!-- course_utils.deadlines -->"   # the marker of lines already written: keep it as it is


class InputError(ValueError):
    """Bad input (grades.csv, the roster, an option): the message is one line, fit to print."""


@dataclass(frozen=True)
class RosterEntry:
    """One row of the roster: a submission folder name and the student's LMS identities."""

    student: str
    name: str = ""
    lms_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    email: str = ""


ROSTER_COLUMNS = tuple(f.name for f in fields(RosterEntry))


@dataclass(frozen=True)
class QuestionRow:
    """One row of ``grades.csv``."""

    question: str
    points: float
    max_points: float
    status: str
    message: str


@dataclass
class Submission:
    """One student's graded exercise, and what the deadline makes of it."""

    student: str
    exercise: str
    questions: list[QuestionRow]
    assessment: Assessment | None = None

    @property
    def raw(self) -> float:
        return round(sum(q.points for q in self.questions), 4)

    @property
    def max_points(self) -> float:
        return round(sum(q.max_points for q in self.questions), 4)

    @property
    def submitted(self) -> bool:
        """False when no notebook came in (every question MISSING): no lateness to judge."""
        return any(q.status != MISSING for q in self.questions)

    @property
    def final(self) -> float:
        return self.assessment.final(self.raw) if self.assessment else self.raw


@dataclass(frozen=True)
class Problem:
    """A student (and exercise) the exports could not match or time; one row of ``unmatched.csv``."""

    student: str
    problem: str
    exercise: str = ""
    final_points: str = ""


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------


def read_grades(out: Path) -> dict[tuple[str, str], Submission]:
    """``OUT/grades.csv`` grouped by (student, exercise), in the file's order."""
    path = Path(out) / "grades.csv"
    rows = _read_csv(path, "grades", required=GRADES_COLUMNS, optional=None)
    submissions: dict[tuple[str, str], Submission] = {}
    for line, row in rows:
        student, exercise = row["student"], row["exercise"]
        if not _is_folder_name(student):
            raise InputError(f"{path} line {line}: student {_show(student)} is not a submission folder name")
        if not _is_folder_name(exercise):
            raise InputError(f"{path} line {line}: exercise {_show(exercise)} is not a notebook name")
        numbers = []
        for key in ("points", "max_points"):
            try:
                value = float(row[key])
            except ValueError:
                raise InputError(f"{path} line {line}: {key} {_show(row[key])} is not a number") from None
            if not 0 <= value < float("inf"):
                raise InputError(f"{path} line {line}: {key} {_show(row[key])} must be a number >= 0")
            numbers.append(value)
        sub = submissions.setdefault((student, exercise), Submission(student, exercise, []))
        sub.questions.append(QuestionRow(row["question"], numbers[0], numbers[1], row["status"], row["message"]))
    if not submissions:
        raise InputError(f"{path}: no grades in it")
    return submissions


def read_roster(path: Path) -> dict[str, RosterEntry]:
    """The roster CSV by folder name; a malformed row or header is a one-line :class:`InputError`.

    >>> import tempfile; p = Path(tempfile.mkdtemp()) / "roster.csv"
    >>> _ = p.write_text("student,lms_id\\nalice,101\\n")
    >>> read_roster(p)["alice"].lms_id
    '101'
    """
    entries: dict[str, RosterEntry] = {}
    for line, row in _read_csv(Path(path), "roster", required=("student",), optional=ROSTER_COLUMNS):
        student = row["student"]
        if not student.strip():
            raise InputError(f"{path} line {line}: the student (folder name) is empty")
        if student in entries:
            raise InputError(f"{path} line {line}: {_show(student)} is listed twice")
        entries[student] = RosterEntry(**{k: v.strip() for k, v in row.items()} | {"student": student})
    return entries


def _read_csv(path: Path, what: str, *, required, optional):
    """(line number, row dict) of a CSV whose header has ``required`` and, if given, only ``optional`` columns."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file" + (" (run python -m course_utils.grade first)"
                                                    if what == "grades" else "")) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
        if not header:
            raise InputError(f"{path}: empty (the header {','.join(required)} is missing)")
        missing = [c for c in required if c not in header]
        if missing:
            raise InputError(f"{path}: the header lacks the column(s) {', '.join(missing)}")
        if optional is not None:
            unknown = [c for c in header if c not in optional]
            if unknown:
                raise InputError(f"{path}: unknown column {_show(unknown[0])} (allowed: {', '.join(optional)})")
        if len(set(header)) != len(header):
            raise InputError(f"{path}: a column appears twice in the header")
        rows, line = [], reader.line_num + 1
        for cells in reader:
            if any(c.strip() for c in cells):
                if len(cells) != len(header):
                    raise InputError(f"{path} line {line}: {len(cells)} fields, the header has {len(header)}")
                rows.append((line, dict(zip(header, cells))))
            line = reader.line_num + 1  # a quoted cell may span lines
    except csv.Error as exc:
        raise InputError(f"{path} line {reader.line_num}: not valid CSV ({exc})") from None
    return rows


# --------------------------------------------------------------------------------------
# Deadlines
# --------------------------------------------------------------------------------------


def apply_policy(submissions: dict[tuple[str, str], Submission], policy: Policy | None,
                 times: Times) -> list[tuple[str, str]]:
    """Sets each submission's assessment; returns the (student, exercise) submitted without a known time."""
    untimed = []
    for (student, exercise), sub in submissions.items():
        if policy is None:
            sub.assessment = None
            continue
        when = time_of(times, student, exercise) if sub.submitted else None
        if sub.submitted and when is None:
            untimed.append((student, exercise))
        sub.assessment = policy.assess(student, when)
    return untimed


def feedback_line(sub: Submission) -> str | None:
    """The deadline line of one feedback file (None: nothing was submitted, nothing to say).

    >>> from datetime import datetime, timezone
    >>> from course_utils.grading.deadlines import parse_policy
    >>> s = Submission("bob", "01_x", [QuestionRow("q1", 8.5, 10, "FAIL", "")])
    >>> s.assessment = parse_policy({"deadline": datetime(2026, 12, 10, tzinfo=timezone.utc),
    ...     "late_penalty": {"per_day": 0.1}}).assess("bob", datetime(2026, 12, 10, 1, tzinfo=timezone.utc))
    >>> print(feedback_line(s))
    **Late:** submitted 2026-12-10T01:00:00Z, 1 h after the deadline (2026-12-10T00:00:00Z): 10% of the points lost, 8.5 → 7.65 points. <!-- course_utils.deadlines -->
    """
    a = sub.assessment
    if a is None or not sub.submitted:
        return None
    deadline = format_time(a.deadline)
    if a.submitted_at is None:
        text = (f"**Deadline:** {deadline}. No submission time was recorded for this notebook, "
                "so no late penalty was applied.")
    elif not a.late_by:
        text = f"**On time:** submitted {format_time(a.submitted_at)}, deadline {deadline}."
    else:
        text = (f"**Late:** submitted {format_time(a.submitted_at)}, {format_duration(a.late_by)} after the "
                f"deadline ({deadline}): ")
        text += (f"{_percent(a.fraction)} of the points lost, {_num(sub.raw)} → {_num(sub.final)} points."
                 if a.fraction else "no late penalty applies.")
    return f"{text} {FEEDBACK_MARK}"


def update_feedback(out: Path, submissions) -> tuple[int, list[tuple[str, str]]]:
    """Replace the deadline line of every feedback file; returns (files changed, feedback files missing)."""
    changed, missing = 0, []
    for sub in submissions.values():
        path = Path(out) / "feedback" / sub.student / f"{sub.exercise}.md"
        if not path.is_file():
            if sub.assessment is not None and sub.submitted:
                missing.append((sub.student, sub.exercise))
            continue
        old = path.read_text(encoding="utf-8")
        line = feedback_line(sub)
        if line is None and FEEDBACK_MARK not in old:
            continue
        kept = "\n".join(l for l in old.split("\n") if not l.rstrip().endswith(FEEDBACK_MARK))
        new = kept.rstrip("\n") + (f"\n\n{line}\n" if line else "\n")
        if new != old:
            _write_atomic(path, new)
            changed += 1
    return changed, missing


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def final_gradebook_csv(submissions) -> str:
    """``gradebook_final.csv``: raw points, lateness, penalty and final points per student and exercise."""
    rows = []
    for sub in submissions.values():
        a = sub.assessment
        late_by = "" if a is None or not sub.submitted else (
            "unknown" if a.late_by is None else format_duration(a.late_by))
        rows.append([sub.student, sub.exercise, _num(sub.raw), _num(sub.max_points),
                     format_time(a.submitted_at) if a and a.submitted_at else "",
                     format_time(a.deadline) if a else "", late_by,
                     _num(a.fraction) if a else "0", _num(sub.final)])
    return _csv_text([FINAL_COLUMNS] + rows)


def canvas_csv(submissions, roster: dict[str, RosterEntry], exercises: list[str],
               assignment_ids: dict[str, str]) -> str:
    """Canvas's gradebook import CSV (final points; a blank cell for an exercise not graded)."""
    header = list(CANVAS_ID_COLUMNS) + [f"{e} ({assignment_ids[e]})" if e in assignment_ids else e
                                        for e in exercises]
    maxima = _maxima(submissions, exercises)
    rows = [header, [CANVAS_POINTS_POSSIBLE, "", "", "", ""] + [_num(maxima[e]) for e in exercises]]
    for entry in roster.values():
        rows.append([entry.name or entry.student, entry.lms_id, entry.sis_user_id, entry.sis_login_id,
                     entry.section] + _scores(submissions, entry.student, exercises))
    return _csv_text(rows)


def moodle_csv(submissions, roster: dict[str, RosterEntry], exercises: list[str]) -> str:
    """Moodle's CSV grade import: identifiers to map from, then one column per grade item."""
    rows = [list(MOODLE_ID_COLUMNS) + exercises]
    for entry in roster.values():
        rows.append([entry.sis_user_id, entry.email, entry.name or entry.student]
                    + _scores(submissions, entry.student, exercises))
    return _csv_text(rows)


def gradescope_results(subs: list[Submission], visibility: str = "visible") -> dict:
    """Gradescope's autograder ``results.json`` for one student: one test per question.

    The top-level ``score`` (which Gradescope uses instead of the sum of the tests) is
    the total after the late penalty; the tests keep the raw points.
    """
    tests, notes = [], []
    for sub in subs:
        for q in sub.questions:
            tests.append({"name": f"{sub.exercise} {q.question}", "score": _round(q.points),
                          "max_score": _round(q.max_points), "status": "passed" if q.status == PASS else "failed",
                          "output": f"{q.status}: {q.message}" if q.message else q.status,
                          "visibility": visibility})
        line = feedback_line(sub)
        if line:
            notes.append(f"{sub.exercise}: {line.removesuffix(FEEDBACK_MARK).strip()}")
    result = {"score": _round(sum(s.final for s in subs)), "output": "\n".join(notes), "visibility": visibility,
              "tests": tests, "extra_data": {"raw_score": _round(sum(s.raw for s in subs))}}
    if not notes:
        del result["output"]
    return result


def match_roster(submissions, roster: dict[str, RosterEntry], formats: list[str]) -> list[Problem]:
    """Every student the roster and the grades disagree on, with the reason."""
    graded = _students(submissions)
    problems = [Problem(s, "no roster entry", final_points=_num(_total(submissions, s)))
                for s in graded if s not in roster]
    problems += [Problem(s, "in the roster, no grades") for s in roster if s not in graded]
    for entry in roster.values():
        if "canvas" in formats and not (entry.lms_id or entry.sis_user_id or entry.sis_login_id):
            problems.append(Problem(entry.student, "no Canvas id (lms_id, sis_user_id or sis_login_id) in the roster"))
        if "moodle" in formats and not (entry.sis_user_id or entry.email):
            problems.append(Problem(entry.student, "no Moodle identifier (sis_user_id or email) in the roster"))
    return problems


# --------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------


@dataclass
class Summary:
    """What :func:`run` tells the instructor: what it wrote (stdout) and what needs a look (stderr)."""

    lines: list[str]
    warnings: list[str] = field(default_factory=list)


def run(out: Path, *, formats=(), roster_path: Path | None = None, policy_path: Path | None = None,
        times_path: Path | None = None, submissions_dir: Path | None = None,
        assignment_ids: dict[str, str] | None = None, visibility: str = "visible") -> Summary:
    """Read, check, then write everything; returns what to tell the instructor. Raises InputError/PolicyError."""
    out = Path(out)
    formats = list(dict.fromkeys(formats))
    submissions = read_grades(out)
    exercises = list(dict.fromkeys(e for _, e in submissions))
    assignment_ids = dict(assignment_ids or {})
    for exercise in assignment_ids:
        if exercise not in exercises:
            raise InputError(f"--canvas-assignment: {_show(exercise)} is not an exercise in grades.csv "
                             f"({', '.join(exercises)})")
    needs_roster = [f for f in formats if f in ("canvas", "moodle")]
    if needs_roster and roster_path is None:
        raise InputError(f"--export {needs_roster[0]} needs --roster (the LMS ids of the students)")
    if (times_path or submissions_dir) and policy_path is None:
        raise InputError("--submitted/--submissions need --policy (the deadline to compare with)")
    if policy_path is not None and not (times_path or submissions_dir):
        raise InputError("--policy needs the submission times: --submitted times.csv or --submissions SUBMISSIONS")
    roster = read_roster(roster_path) if roster_path else None
    policy = load_policy(policy_path) if policy_path else None
    times: Times = load_times(times_path) if times_path else times_from_files(submissions_dir) if submissions_dir else {}
    untimed = apply_policy(submissions, policy, times)

    written = []
    _write_atomic(out / "gradebook_final.csv", final_gradebook_csv(submissions))
    written.append("gradebook_final.csv")
    if roster is not None and "canvas" in formats:
        _write_atomic(out / "canvas_gradebook.csv", canvas_csv(submissions, roster, exercises, assignment_ids))
        written.append("canvas_gradebook.csv")
    if roster is not None and "moodle" in formats:
        _write_atomic(out / "moodle_grades.csv", moodle_csv(submissions, roster, exercises))
        written.append("moodle_grades.csv")
    if "gradescope" in formats:
        for student in _students(submissions):
            subs = [s for s in submissions.values() if s.student == student]
            text = json.dumps(gradescope_results(subs, visibility), indent=2, ensure_ascii=False) + "\n"
            _write_atomic(out / "gradescope" / student / "results.json", text)
        written.append("gradescope/<student>/results.json")
    changed, no_feedback = update_feedback(out, submissions)  # without a policy: removes old deadline lines

    problems = match_roster(submissions, roster, formats) if roster is not None else []
    graded = set(_students(submissions))
    problems += [Problem(s, "a submission time but no grades") for s in dict.fromkeys(s for s, _ in times)
                 if s not in graded]
    problems += [Problem(s, "no submission time", e) for s, e in untimed]
    problems += [Problem(s, "no feedback file", e) for s, e in no_feedback]
    unmatched = out / "unmatched.csv"
    if problems:
        _write_atomic(unmatched, _csv_text([UNMATCHED_COLUMNS] + [[p.student, p.problem, p.exercise, p.final_points]
                                                                   for p in problems]))
        written.append("unmatched.csv")
    elif unmatched.exists():
        unmatched.unlink()  # a stale list from an earlier run would contradict this one

    summary = Summary([f"wrote {', '.join(str(out / w) for w in written)}"])
    lines = summary.lines
    if policy is not None:
        late = [s for s in submissions.values() if s.assessment and s.assessment.late_by]
        penalised = [s for s in late if s.assessment.fraction]
        lines.append(f"deadline {format_time(policy.deadline)}: {len(late)} late submission(s), "
                     f"{len(penalised)} penalised; {changed} feedback file(s) updated")
    by_problem: dict[str, list[str]] = {}
    for p in problems:
        by_problem.setdefault(p.problem, []).append(p.student + (f"/{p.exercise}" if p.exercise else ""))
    for kind, students in by_problem.items():
        shown = ", ".join(_show(s) for s in students[:10])
        more = len(students) - 10
        summary.warnings.append(f"warning: {kind} ({len(students)}): {shown}" + (f" and {more} more" if more > 0 else "")
                                + f" (see {unmatched})")
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.gradebook", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the grader's output folder (with grades.csv)")
    parser.add_argument("--export", action="append", choices=EXPORTS, default=[],
                        help="an LMS format to write (repeatable)")
    parser.add_argument("--roster", type=Path, help=f"CSV with the columns {','.join(ROSTER_COLUMNS)}")
    parser.add_argument("--policy", type=Path, help="TOML deadline policy (see course_utils/grading/deadlines.py)")
    times = parser.add_mutually_exclusive_group()
    times.add_argument("--submitted", type=Path, help="CSV student,submitted_at[,exercise] (ISO 8601 with a zone)")
    times.add_argument("--submissions", type=Path, help="the submissions folder: the notebooks' modification times")
    parser.add_argument("--canvas-assignment", action="append", default=[], metavar="EXERCISE=ID",
                        help="Canvas assignment id of an exercise (repeatable); without it Canvas makes a new one")
    parser.add_argument("--gradescope-visibility", choices=VISIBILITIES, default="visible",
                        help="when students see the tests on Gradescope (default: visible)")
    args = parser.parse_args(argv)
    try:
        ids = {}
        for item in args.canvas_assignment:
            exercise, sep, number = item.partition("=")
            if not sep or not number.strip().isdigit():
                raise InputError(f"--canvas-assignment {_show(item)}: expected EXERCISE=ID with a numeric id")
            ids[exercise.strip()] = number.strip()
        summary = run(args.out, formats=args.export, roster_path=args.roster, policy_path=args.policy,
                    times_path=args.submitted, submissions_dir=args.submissions, assignment_ids=ids,
                    visibility=args.gradescope_visibility)
    except (InputError, PolicyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in summary.lines:
        print(line)
    for line in summary.warnings:
        print(line, file=sys.stderr)
    return 0


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _students(submissions) -> list[str]:
    return list(dict.fromkeys(s for s, _ in submissions))


def _total(submissions, student: str) -> float:
    return sum(s.final for s in submissions.values() if s.student == student)


def _maxima(submissions, exercises) -> dict[str, float]:
    maxima = {}
    for sub in submissions.values():
        maxima[sub.exercise] = max(maxima.get(sub.exercise, 0.0), sub.max_points)
    return {e: maxima[e] for e in exercises}


def _scores(submissions, student: str, exercises) -> list[str]:
    return [_num(submissions[(student, e)].final) if (student, e) in submissions else "" for e in exercises]


def _csv_text(rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        # numbers and Canvas's marker row are ours; every other text cell may come from a folder name or a roster
        writer.writerow([cell if _is_number(cell) or cell == CANVAS_POINTS_POSSIBLE else csv_cell(cell)
                         for cell in row])
    return buffer.getvalue()


def _is_number(cell: str) -> bool:
    return bool(re.fullmatch(r"\d+(\.\d+)?", cell))


def _is_folder_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and not re.search(r"[/\\\x00]", name)


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.replace(tmp, path)


def _num(value: float) -> str:
    return format(round(value, 4), "f").rstrip("0").rstrip(".") or "0"


def _round(value: float) -> float:
    return round(float(value), 4)


def _percent(fraction: float) -> str:
    return f"{_num(fraction * 100)}%"


def _show(text: str) -> str:
    """A name as it can be printed on one line: repr() when it has control characters."""
    return repr(text) if re.search(r"[\x00-\x1f\x7f]", text) else text


if __name__ == "__main__":
    sys.exit(main())
