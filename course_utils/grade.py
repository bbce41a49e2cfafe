"""Grade a whole class's exercise notebooks, safely, in parallel.

    python -m course_utils.grade SUBMISSIONS --out OUTDIR [--jobs N] [--timeout S]

``SUBMISSIONS/<student>/<exercise>.ipynb`` (``<exercise>`` = the student notebook's
file name, e.g. ``01_convolution_1d.ipynb``). Writes

- ``OUTDIR/grades.csv``: ``student,exercise,question,points,max_points,status,message``,
  one row per student and question (missing and unreadable notebooks included);
- ``OUTDIR/gradebook.csv``: one row per student, total points per exercise;
- ``OUTDIR/feedback/<student>/<exercise>.md``: per-question feedback to hand back;
- ``OUTDIR/results/<student>/<exercise>.json``: the per-submission record. A re-run
  reuses every record whose submission, exercise and grader are unchanged, so an
  interrupted run loses nothing already graded (``--force`` regrades everything).

Each notebook runs in its own sandboxed child process (:mod:`course_utils.sandbox`);
statuses are PASS, FAIL, ERROR, TIMEOUT, MEMORY, CRASH, MISSING, INVALID, FORBIDDEN.
The exit code is 0 whenever grading completed, whatever the submissions did.
Hidden test inputs are drawn per student from a seed that mixes in the
``COURSE_GRADING_SECRET`` environment variable when it is set.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import csv
import hashlib
import io
import json
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

from course_utils import sandbox
from course_utils.exercises import all_exercises
from course_utils.exercises.framework import CRASH, INVALID, MEMORY, MISSING, STATUSES, TIMEOUT, Result
from course_utils.exercises.submission import InvalidNotebook, graded_cells, read_notebook

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "exercises" / "solutions"
CSV_HEADER = ["student", "exercise", "question", "points", "max_points", "status", "message"]
MAX_RESTARTS = 2
GRADER_FILES = ("grade.py", "sandbox.py", "sandbox_child.py", "exercises/framework.py", "exercises/submission.py",
                "exercises/layer_checks.py")


# --------------------------------------------------------------------------------------
# One submission
# --------------------------------------------------------------------------------------


def instructor_cells(exercise, solutions_dir: Path = SOLUTIONS) -> list[dict]:
    """The instructor's cells the grader runs, in notebook order: context cells and graded slots.

    Context cells (``metadata.course.context = true``: imports, the given data) come
    from the instructor's solution notebook, never from the submission.
    """
    path = Path(solutions_dir) / f"{exercise.notebook}.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))  # the instructor's own file: trusted
    cells = []
    for index, cell in enumerate(nb["cells"], 1):
        meta = cell.get("metadata", {}).get("course", {})
        if cell["cell_type"] != "code" or not isinstance(meta, dict):
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if meta.get("question"):
            cells.append({"question": meta["question"], "index": index})
        elif meta.get("context"):
            cells.append({"question": None, "index": index, "source": source})
    known = {q.id for q in exercise.questions}
    slots = [c["question"] for c in cells if c["question"]]
    if sorted(slots) != sorted(known):
        raise ValueError(f"{path.name}: graded cells {sorted(slots)} do not match the questions {sorted(known)}")
    return cells


def hidden_seed(secret: str, student: str, exercise: str, qid: str) -> int:
    """Per student and question, so answers cannot be copied from a neighbour's hidden tests."""
    digest = hashlib.sha256(f"{secret}\x00{student}\x00{exercise}\x00{qid}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def _status_result(question, status, message) -> Result:
    return Result(status, 0.0, question.points, message)


def grade_submission(exercise, path: Path | None, student: str, limits: sandbox.Limits, *, secret: str = "",
                     deny_read=(), solutions_dir: Path = SOLUTIONS, max_restarts: int = MAX_RESTARTS,
                     keep_scratch: bool = False) -> dict:
    """Grade one student's notebook for one exercise; returns the JSON-able record."""
    record = {"student": student, "exercise": exercise.notebook, "notes": [], "rows": []}
    questions = exercise.questions

    def finish(results: dict[str, Result]):
        record["rows"] = [{"question": q.id, "points": results[q.id].points, "max_points": q.points,
                           "status": results[q.id].status, "message": results[q.id].message} for q in questions]
        record["points"] = round(sum(r["points"] for r in record["rows"]), 4)
        record["max_points"] = exercise.max_points
        return record

    if path is None or not path.exists():
        return finish({q.id: _status_result(q, MISSING, "no notebook submitted") for q in questions})
    try:
        nb = read_notebook(path)
    except InvalidNotebook as exc:
        record["notes"].append(str(exc))
        return finish({q.id: _status_result(q, INVALID, str(exc)) for q in questions})

    graded = graded_cells(nb, [q.id for q in questions])
    record["notes"].extend(graded.notes)
    slots = instructor_cells(exercise, solutions_dir)
    arrays, args, trusted_args = {}, {}, {}
    for q in questions:
        rng = np.random.default_rng(hidden_seed(secret, student, exercise.notebook, q.id))
        trusted_args[q.id] = q.hidden_args(rng)
        args[q.id] = sandbox.encode_args(q.id, trusted_args[q.id], arrays)
    given = {}
    for name, value in exercise.given().items():   # the exercise's data (e.g. training images), not hidden
        arrays[f"given.{name}"] = value
        given[name] = f"given.{name}"
    job = {
        "given": given,
        "probes": {q.id: q.probe_spec() for q in questions},
        "args": args,
        "forbidden_modules": sorted({m for q in questions for m in q.forbidden_modules}),
        "forbidden_calls": {q.id: list(q.forbidden_calls) for q in questions if q.forbidden_calls},
        "preload": sorted({m for q in questions for m in q.preload}),
    }
    cells = []
    for slot in slots:
        if slot["question"] is None:
            cells.append(slot)
        elif slot["question"] in graded.sources:
            cells.append({"question": slot["question"], "index": slot["index"],
                          "source": graded.sources[slot["question"]]})
    job["cells"] = cells

    outcomes: dict[str, dict] = {}
    skip = set(graded.missing)
    to_run = [c["question"] for c in cells if c["question"]]
    context_errors = []
    truncated = False
    for attempt in range(max_restarts + 1):
        job["skip"] = sorted(skip)
        run = sandbox.run_child(job, arrays, limits, deny_read=deny_read, keep_scratch=keep_scratch)
        truncated |= run.stdout_bytes > limits.output_chars
        results = run.results or {}
        done = results.get("done", {}) if isinstance(results.get("done"), dict) else {}
        for qid, outcome in done.items():
            if qid in to_run and qid not in outcomes and isinstance(outcome, dict):
                outcomes[qid] = outcome
        if attempt == 0 and isinstance(results.get("context_errors"), list):
            context_errors = results["context_errors"][:5]
        if run.ended == "finished":
            break
        pending = [qid for qid in to_run if qid not in outcomes and qid not in skip]
        if not pending:
            break
        running = results.get("running")
        culprit = running if running in pending else pending[0]
        outcomes[culprit] = {"outcome": run.ended, "detail": run.detail}
        skip.add(culprit)
        if run.ended == "crash" and "grader child failed" in run.detail:
            break
    for error in context_errors:
        if isinstance(error, dict):
            record["notes"].append(f"a setup cell of the exercise failed in your notebook's run "
                                   f"({str(error.get('error', error.get('outcome')))[:150]}); later answers may be affected")
    if truncated:
        record["notes"].append(f"your notebook printed more than {limits.output_chars:,} characters; the rest was "
                               "dropped (printing does not affect the grade)")
    results = {}
    stopped = next((o for o in outcomes.values() if o.get("outcome") in ("timeout", "crash", "memory")), None)
    for q in questions:
        if q.id in graded.missing:
            results[q.id] = _status_result(q, MISSING, graded.missing[q.id])
            continue
        outcome = outcomes.get(q.id)
        if outcome is None:
            detail = stopped.get("detail", "") if stopped else "no result"
            status = {"timeout": TIMEOUT, "memory": MEMORY}.get(stopped.get("outcome") if stopped else "", CRASH)
            results[q.id] = _status_result(q, status, f"not graded: the notebook run stopped before this question ({detail})")
        elif outcome.get("outcome") == "timeout":
            results[q.id] = _status_result(q, TIMEOUT, f"your code did not finish: {outcome.get('detail')} "
                                                       "(an endless loop?); the other questions were graded without it")
        elif outcome.get("outcome") == "crash":
            results[q.id] = _status_result(q, CRASH, f"{outcome.get('detail')} while running this question; the "
                                                     "other questions were graded without it")
        else:
            results[q.id] = q.judge_outcome(outcome, trusted_args[q.id], hidden=True)
    return finish(results)


def feedback_markdown(record: dict, exercise) -> str:
    """The feedback file handed back to the student (no hidden inputs in it)."""
    lines = [f"# {exercise.title}: feedback", "",
             f"Student: **{record['student']}** · notebook `{exercise.notebook}.ipynb` · "
             f"**{_num(record['points'])} / {_num(record['max_points'])} points**", "",
             "| Question | Points | Status | Feedback |", "| --- | --- | --- | --- |"]
    for row in record["rows"]:
        title = exercise.question(row["question"]).title
        message = row["message"].replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {row['question']}: {title} | {_num(row['points'])} / {_num(row['max_points'])} | "
                     f"{row['status']} | {message} |")
    if record["notes"]:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in record["notes"]]
    lines += ["", "Run `q.check(...)` in your notebook for instant feedback on each question; "
              "`q.hint()` gives hints.", ""]
    return "\n".join(lines)


def _num(value) -> str:
    return f"{value:g}"


# --------------------------------------------------------------------------------------
# A whole class
# --------------------------------------------------------------------------------------


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def grader_fingerprint(exercise, limits: sandbox.Limits, secret: str, solutions_dir: Path) -> str:
    """Changes when the grader, the exercise, its solution notebook, the limits or the secret change."""
    h = hashlib.sha256()
    files = [Path(__file__).parent / f for f in GRADER_FILES]
    exercise_module = sys.modules.get(_exercise_module_name(exercise))
    if exercise_module is not None:
        files.append(Path(exercise_module.__file__))
    files.append(Path(solutions_dir) / f"{exercise.notebook}.ipynb")
    for path in files:
        h.update(path.name.encode())
        h.update(path.read_bytes() if path.exists() else b"-")
    h.update(repr((float(limits.timeout_s), limits.memory_mb, limits.cpu_s, limits.output_chars,
                   float(limits.wall_s))).encode())
    h.update(hashlib.sha256(secret.encode()).digest())
    return h.hexdigest()


def _exercise_module_name(exercise) -> str:
    for name, module in list(sys.modules.items()):
        if name.startswith("course_utils.exercises.ex") and getattr(module, "EXERCISE", None) is exercise:
            return name
    return ""


def discover(submissions: Path, names: list[str] | None):
    """Students (sub-folders) and the exercises to grade; warns about unknown notebooks."""
    exercises = all_exercises()
    students = sorted(p.name for p in submissions.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    if names:
        unknown = [n for n in names if n.removesuffix(".ipynb") not in exercises]
        if unknown:
            raise SystemExit(f"unknown exercise(s) {', '.join(unknown)}; known: {', '.join(exercises)}")
        chosen = [n.removesuffix(".ipynb") for n in names]
    else:
        present = {p.stem for s in students for p in (submissions / s).glob("*.ipynb")}
        chosen = [n for n in exercises if n in present]
        stray = sorted(present - set(exercises))
        if stray:
            print(f"note: ignoring notebooks that are not exercises: {', '.join(stray)}", file=sys.stderr)
    return students, [exercises[n] for n in chosen]


class Progress:
    """A small progress bar on stderr (a line per 10% when stderr is not a terminal)."""

    def __init__(self, total: int, enabled: bool = True):
        self.total, self.done, self.start, self.enabled = total, 0, time.perf_counter(), enabled
        self.tty = sys.stderr.isatty()
        self._last_decile = -1

    def step(self, label: str = "") -> None:
        self.done += 1
        if not self.enabled or not self.total:
            return
        elapsed = time.perf_counter() - self.start
        filled = int(24 * self.done / self.total)
        bar = f"grading [{'#' * filled}{'.' * (24 - filled)}] {self.done}/{self.total}  {elapsed:.1f} s"
        if self.tty:
            sys.stderr.write(f"\r{bar}  {label[:30]:30}")
            if self.done == self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif self.done * 10 // self.total > self._last_decile:
            self._last_decile = self.done * 10 // self.total
            print(bar, file=sys.stderr, flush=True)


def grade_class(submissions: Path, out: Path, *, jobs: int | None = None, timeout: float | None = None,
                exercises: list[str] | None = None, force: bool = False, secret: str | None = None,
                memory_mb: int | None = None, solutions_dir: Path = SOLUTIONS, progress: bool = True,
                keep_scratch: bool = False) -> dict:
    """Grade every student × exercise; returns a summary dict (also what the CLI prints)."""
    submissions, out = Path(submissions).resolve(), Path(out).resolve()
    if not submissions.is_dir():
        raise SystemExit(f"{submissions} is not a folder of student folders")
    secret = os.environ.get("COURSE_GRADING_SECRET", "") if secret is None else secret
    students, chosen = discover(submissions, exercises)
    jobs = max(1, jobs or os.cpu_count() or 1)
    tasks, fingerprints, limits_by_ex = [], {}, {}
    for exercise in chosen:
        limits = sandbox.Limits(timeout_s=timeout or exercise.timeout_s, memory_mb=memory_mb or exercise.memory_mb)
        limits_by_ex[exercise.notebook] = limits
        fingerprints[exercise.notebook] = grader_fingerprint(exercise, limits, secret, solutions_dir)
        instructor_cells(exercise, solutions_dir)  # fail fast on a broken instructor notebook
        for student in students:
            tasks.append((student, exercise))
    bar = Progress(len(tasks), progress)
    reused = 0

    def record_path(student, exercise):
        return out / "results" / student / f"{exercise.notebook}.json"

    def work(student, exercise):
        path = submissions / student / f"{exercise.notebook}.ipynb"
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
        fingerprint = hashlib.sha256(f"{fingerprints[exercise.notebook]}:{digest}".encode()).hexdigest()
        target = record_path(student, exercise)
        if not force and target.exists():
            try:
                old = json.loads(target.read_text(encoding="utf-8"))
                if old.get("fingerprint") == fingerprint:
                    return old, True
            except (ValueError, OSError):
                pass
        try:
            record = grade_submission(exercise, path if path.is_file() else None, student,
                                      limits_by_ex[exercise.notebook], secret=secret,
                                      deny_read=(submissions, out), solutions_dir=solutions_dir,
                                      keep_scratch=keep_scratch)
        except Exception as exc:  # a grader bug must not stop the class: record it, say it loudly
            print(f"\ngrader error on {student}/{exercise.notebook}: {type(exc).__name__}: {exc}", file=sys.stderr)
            record = {"student": student, "exercise": exercise.notebook, "notes": [f"grader error: {exc}"],
                      "rows": [{"question": q.id, "points": 0.0, "max_points": q.points, "status": CRASH,
                                "message": "the grader failed on this notebook; your instructor will look at it"}
                               for q in exercise.questions], "points": 0.0, "max_points": exercise.max_points}
        record["fingerprint"] = fingerprint
        _write_atomic(out / "feedback" / student / f"{exercise.notebook}.md", feedback_markdown(record, exercise))
        _write_atomic(target, json.dumps(record, indent=1))
        return record, False

    records = {}
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(work, s, e): (s, e) for s, e in tasks}
        try:
            for future in concurrent.futures.as_completed(futures):
                student, exercise = futures[future]
                record, was_reused = future.result()
                reused += was_reused
                records[(student, exercise.notebook)] = record
                bar.step(f"{student}/{exercise.notebook}")
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    elapsed = time.perf_counter() - start
    write_csvs(out, students, chosen, records)
    counts = {s: 0 for s in STATUSES}
    for record in records.values():
        for row in record["rows"]:
            counts[row["status"]] += 1
    summary = {"students": len(students), "exercises": [e.notebook for e in chosen], "submissions": len(tasks),
               "reused": reused, "seconds": round(elapsed, 2), "jobs": jobs,
               "seconds_per_submission": round(elapsed / max(1, len(tasks) - reused), 3), "statuses": counts}
    return summary


def write_csvs(out: Path, students, exercises, records) -> None:
    """``grades.csv`` (one row per question) and ``gradebook.csv`` (one row per student), atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    book = io.StringIO()
    book_writer = csv.writer(book, lineterminator="\n")
    book_writer.writerow(["student"] + [e.notebook for e in exercises] + ["total", "max_total"])
    max_total = sum(e.max_points for e in exercises)
    for student in students:
        totals = []
        for exercise in exercises:
            record = records[(student, exercise.notebook)]
            for row in record["rows"]:
                writer.writerow([student, exercise.notebook, row["question"], _num(row["points"]),
                                 _num(row["max_points"]), row["status"], row["message"]])
            totals.append(record["points"])
        book_writer.writerow([student] + [_num(t) for t in totals] + [_num(sum(totals)), _num(max_total)])
    _write_atomic(out / "grades.csv", buffer.getvalue())
    _write_atomic(out / "gradebook.csv", book.getvalue())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.grade", description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, help="folder with one sub-folder per student")
    parser.add_argument("--out", type=Path, required=True, help="where grades.csv and feedback/ go")
    parser.add_argument("--jobs", type=int, default=None, help="notebooks graded in parallel (default: CPU count)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="CPU seconds per notebook run; waiting stops at 3x that + 10 s (default: the exercise's, 20 for most)")
    parser.add_argument("--memory-mb", type=int, default=None, help="address-space limit per notebook run")
    parser.add_argument("--exercise", action="append", help="grade only this exercise (repeatable)")
    parser.add_argument("--force", action="store_true", help="regrade even unchanged submissions")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--keep-scratch", action="store_true", help="keep each run's scratch folder (debugging)")
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS,
                        help="folder of the solution notebooks (default: the course's exercises/solutions)")
    args = parser.parse_args(argv)
    try:
        summary = grade_class(args.submissions, args.out, jobs=args.jobs, timeout=args.timeout,
                              exercises=args.exercise, force=args.force, memory_mb=args.memory_mb,
                              progress=not args.quiet, keep_scratch=args.keep_scratch, solutions_dir=args.solutions)
    except KeyboardInterrupt:
        print("\ninterrupted: the notebooks graded so far are kept in results/; run the same command again to "
              "finish (grades.csv is written at the end)", file=sys.stderr)
        return 130
    statuses = ", ".join(f"{k} {v}" for k, v in summary["statuses"].items() if v)
    print(f"graded {summary['submissions']} notebooks ({summary['reused']} unchanged, reused) of "
          f"{summary['students']} students in {summary['seconds']} s with {summary['jobs']} job(s): {statuses}")
    print(f"wrote {args.out / 'grades.csv'}, {args.out / 'gradebook.csv'} and {args.out / 'feedback'}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
