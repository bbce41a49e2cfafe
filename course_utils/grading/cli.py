"""Grade a whole class's exercise notebooks, safely, in parallel.

    python -m course_utils.grade SUBMISSIONS --out OUTDIR [--jobs N | --cluster local:N | --cluster tcp://HOST:PORT]

``SUBMISSIONS/<student>/<exercise>.ipynb`` (``<exercise>`` = the student notebook's
file name, e.g. ``01_convolution_1d.ipynb``). Writes

- ``OUTDIR/grades.csv``: ``student,exercise,question,points,max_points,status,message``,
  one row per student and question (missing and unreadable notebooks included);
- ``OUTDIR/gradebook.csv``: one row per student, total points per exercise;
- ``OUTDIR/feedback/<student>/<exercise>.md``: per-question feedback to hand back;
- ``OUTDIR/results/<student>/<exercise>.json``: the per-submission record. A re-run
  reuses every record whose submission, exercise and grader are unchanged, so an
  interrupted run loses nothing already graded (``--force`` regrades everything).

(``python -m course_utils.grading`` is the same command.) Each notebook runs in its own
sandboxed child process (:mod:`course_utils.grading.sandbox`), on this machine or, with
``--cluster``, on the workers of a Dask cluster (:mod:`course_utils.grading.cluster`); :func:`grade_content`
lists the steps, one module each: read the submission (:mod:`.submission`), build the
job and run the child (:mod:`.job`), judge (:mod:`.judge`), write the record, the feedback
and the CSVs (:mod:`.records`). Statuses are
:class:`~course_utils.checks.protocol.Status`: PASS, FAIL, ERROR, TIMEOUT, MEMORY, CRASH,
MISSING, INVALID, FORBIDDEN.
The exit code is 0 whenever grading completed, whatever the submissions did.
Hidden test inputs are drawn per student from a seed that mixes in the
``COURSE_GRADING_SECRET`` environment variable when it is set.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from course_utils.checks.protocol import STATUSES
from course_utils.checks.questions import Result
from course_utils.exercises import all_exercises
from course_utils.grading import sandbox
from course_utils.grading.job import MAX_RESTARTS, SOLUTIONS, build_job, instructor_cells, run_job
from course_utils.grading.judge import judge_all
from course_utils.grading.records import (Record, crashed_record, display_name, feedback_markdown,
                                          grader_fingerprint, make_record, output_name, read_record, record_key,
                                          sign_record, write_atomic, write_csvs)
from course_utils.grading.submission import Submission, Unreadable, graded_cells, load_submission, parse_submission


# --------------------------------------------------------------------------------------
# One submission
# --------------------------------------------------------------------------------------


def grade_submission(exercise, path: Path | None, student: str, limits: sandbox.Limits, *,
                     solutions_dir: Path = SOLUTIONS, **options) -> Record:
    """Grade one student's notebook file for one exercise; returns the JSON-able record
    (:func:`grade_content` on the file's bytes; ``options`` are its keywords).
    """
    return grade_content(exercise, load_submission(path), student, limits,
                         slots=instructor_cells(exercise, solutions_dir), **options)


def grade_content(exercise, submission: Submission, student: str, limits: sandbox.Limits, *, slots: list,
                  secret: str = "", deny_read=(), max_restarts: int = MAX_RESTARTS, keep_scratch: bool = False,
                  isolate: bool = True) -> Record:
    """Grade one student's notebook (as read by :func:`~.submission.load_submission`) for one exercise,
    step by step; returns the JSON-able record. ``slots``: the exercise's :func:`~.job.instructor_cells`.

    ``student`` is the folder name (any bytes, as :func:`os.fsdecode` gives them); the
    record holds its :func:`~course_utils.grading.records.display_name`.
    """
    notebook = parse_submission(submission)                                         # 1. read the submission
    if isinstance(notebook, Unreadable):
        results = [(q.id, q.points, Result(notebook.status, 0.0, q.points, notebook.message))
                   for q in exercise.questions]
        return make_record(student, exercise.notebook, results, [notebook.message] if notebook.note else [])
    graded = graded_cells(notebook, [q.id for q in exercise.questions])
    job, arrays, trusted_args = build_job(exercise, graded, student, slots, secret=secret)   # 2. build the job
    report = run_job(job, arrays, limits, max_restarts=max_restarts, deny_read=deny_read,  # 3. run the child
                     keep_scratch=keep_scratch, isolate=isolate)
    results = judge_all(exercise, graded, report, trusted_args)                     # 4. judge
    return make_record(student, exercise.notebook, results, graded.notes + run_notes(report, limits))


def run_notes(report, limits: sandbox.Limits) -> list[str]:
    """What the student should know about the run itself: failed setup cells, dropped output."""
    notes = []
    for error in report.context_errors:
        if isinstance(error, dict):
            notes.append(f"a setup cell of the exercise failed in your notebook's run "
                         f"({str(error.get('error', error.get('outcome')))[:150]}); later answers may be affected")
    if report.truncated:
        notes.append(f"your notebook printed more than {limits.output_chars:,} characters; the rest was "
                     "dropped (printing does not affect the grade)")
    return notes


@dataclass(frozen=True)
class GradingTask:
    """Everything one grading run needs, as plain data: what the parent hands to wherever the run
    happens (a thread here, a cluster's worker), so that no shared filesystem is needed."""

    student: str
    exercise: str                 # the notebook name, e.g. "01_convolution_1d"
    submission: Submission
    limits: sandbox.Limits
    slots: list                   # instructor_cells(exercise): read by the parent, from its solutions
    secret: str = ""
    deny_read: tuple = ()
    keep_scratch: bool = False
    isolate: bool = True


def run_task(task: GradingTask) -> dict:
    """The one grading step, wherever it runs: ``{"record": ..., "error": None or the grader's own
    failure}``. Never raises: a grader bug becomes a CRASH record for this notebook only."""
    exercise = all_exercises()[task.exercise]
    try:
        record = grade_content(exercise, task.submission, task.student, task.limits, slots=task.slots,
                               secret=task.secret, deny_read=task.deny_read, keep_scratch=task.keep_scratch,
                               isolate=task.isolate)
        return {"record": record, "error": None}
    except Exception as exc:  # a grader bug must not stop the class: record it, say it loudly
        return {"record": crashed_record(task.student, exercise, exc), "error": f"{type(exc).__name__}: {exc}"}


# --------------------------------------------------------------------------------------
# A whole class
# --------------------------------------------------------------------------------------


def discover(submissions: Path, names: list[str] | None):
    """Students (sub-folders) and the exercises to grade; warns about unknown notebooks."""
    exercises = all_exercises()
    students = sorted((e.name for e in os.scandir(submissions)
                       if (e.is_dir(follow_symlinks=False) or e.is_symlink()) and not e.name.startswith((".", "_"))),
                      key=os.fsencode)  # a linked folder is listed (and graded INVALID), never followed
    if names:
        unknown = [n for n in names if n.removesuffix(".ipynb") not in exercises]
        if unknown:
            raise SystemExit(f"unknown exercise(s) {', '.join(unknown)}; known: {', '.join(exercises)}")
        chosen = [n.removesuffix(".ipynb") for n in names]
    else:
        present = {p.stem for s in students if not os.path.islink(submissions / s)
                   for p in (submissions / s).glob("*.ipynb")}
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
                keep_scratch: bool = False, isolate: bool = True, cluster: str | None = None) -> dict:
    """Grade every student × exercise; returns a summary dict (also what the CLI prints).

    ``isolate=False`` (the CLI's ``--no-isolation``) runs the children without bubblewrap:
    only for notebooks you trust. With isolation on and unavailable, this stops with one
    line saying why and how to get it. ``cluster`` (``"local:N"``, ``"tcp://HOST:PORT"``)
    runs the grading step on a Dask cluster's workers instead of ``jobs`` threads here
    (:mod:`course_utils.grading.cluster`); everything else, records and CSVs included, stays here.
    """
    if cluster is not None:
        from course_utils.grading import cluster as grade_cluster

        cluster = grade_cluster.usable_cluster(cluster)   # a bad address stops here, before any work
    submissions, out = Path(submissions).resolve(), Path(out).resolve()
    if not submissions.is_dir():
        raise SystemExit(f"{submissions} is not a folder of student folders")
    if isolate:
        problem = sandbox.isolation_problem()
        if problem:
            raise SystemExit(problem)
    out.mkdir(parents=True, exist_ok=True)
    key = record_key(out)
    secret = os.environ.get("COURSE_GRADING_SECRET", "") if secret is None else secret
    students, chosen = discover(submissions, exercises)
    jobs = max(1, jobs or os.cpu_count() or 1)
    tasks, fingerprints, limits_by_ex, slots_by_ex = [], {}, {}, {}
    for exercise in chosen:
        limits = sandbox.Limits(timeout_s=timeout or exercise.timeout_s, memory_mb=memory_mb or exercise.memory_mb)
        limits_by_ex[exercise.notebook] = limits
        fingerprints[exercise.notebook] = grader_fingerprint(exercise, limits, secret, solutions_dir, isolate=isolate)
        slots_by_ex[exercise.notebook] = instructor_cells(exercise, solutions_dir)  # fails fast when broken
        for student in students:
            tasks.append((student, exercise))
    bar = Progress(len(tasks), progress)
    reused = 0

    def record_path(student, exercise):
        return out / "results" / output_name(student) / f"{exercise.notebook}.json"

    def prepare(student, exercise):
        """Here, always: (task, fingerprint, the stored record when it can be reused, else None)."""
        submission = load_submission(submissions / student / f"{exercise.notebook}.ipynb")
        fingerprint = hashlib.sha256(f"{fingerprints[exercise.notebook]}:{submission.digest}".encode()).hexdigest()
        if not force:
            old = read_record(record_path(student, exercise), key)
            if old is not None and old.get("fingerprint") == fingerprint:
                return None, fingerprint, old
        task = GradingTask(student, exercise.notebook, submission, limits_by_ex[exercise.notebook],
                           slots_by_ex[exercise.notebook], secret, (str(submissions), str(out)), keep_scratch, isolate)
        return task, fingerprint, None

    def finish(student, exercise, fingerprint, outcome):
        """Here, always: the graded task's record, signed and written once (atomic renames)."""
        if outcome["error"]:
            print(f"\ngrader error on {display_name(student)}/{exercise.notebook}: {outcome['error']}", file=sys.stderr)
        record = outcome["record"]
        record["fingerprint"] = fingerprint
        target = record_path(student, exercise)
        try:
            write_atomic(out / "feedback" / output_name(student) / f"{exercise.notebook}.md",
                         feedback_markdown(record, exercise))                          # 5. write the record
            write_atomic(target, sign_record(record, key))
        except (OSError, ValueError) as exc:
            print(f"\ncould not write the record of {display_name(student)}/{exercise.notebook}: {exc}",
                  file=sys.stderr)
        return record

    def safe_work(student, exercise):
        try:
            task, fingerprint, old = prepare(student, exercise)
            return (old, True) if task is None else (finish(student, exercise, fingerprint, run_task(task)), False)
        except Exception as exc:  # never lose a row, whatever happened
            return crashed_record(student, exercise, exc), False

    def graded_here():
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(safe_work, s, e): (s, e) for s, e in tasks}
            try:
                for future in concurrent.futures.as_completed(futures):
                    yield futures[future], *future.result()
            except (KeyboardInterrupt, GeneratorExit):
                pool.shutdown(wait=False, cancel_futures=True)
                raise

    records = {}
    start = time.perf_counter()
    graded = graded_here() if cluster is None else grade_cluster.graded_on(cluster, tasks, prepare, finish)
    for (student, exercise), record, was_reused in graded:
        reused += was_reused
        records[(student, exercise.notebook)] = record
        bar.step(f"{student}/{exercise.notebook}")
    elapsed = time.perf_counter() - start
    write_csvs(out, students, chosen, records)                                         # 6. write the CSVs
    counts = {s: 0 for s in STATUSES}
    for record in records.values():
        for row in record["rows"]:
            counts[row["status"]] += 1
    summary = {"students": len(students), "exercises": [e.notebook for e in chosen], "submissions": len(tasks),
               "reused": reused, "seconds": round(elapsed, 2), "jobs": jobs, "cluster": cluster and cluster.spec,
               "seconds_per_submission": round(elapsed / max(1, len(tasks) - reused), 3), "statuses": counts}
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.grade", description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, help="folder with one sub-folder per student")
    parser.add_argument("--out", type=Path, required=True, help="where grades.csv and feedback/ go")
    parser.add_argument("--jobs", type=int, default=None, help="notebooks graded in parallel (default: CPU count)")
    parser.add_argument("--cluster", default=None, metavar="local[:N] | tcp://HOST:PORT",
                        help="grade on a Dask cluster: N local worker processes, or a running scheduler (needs the "
                             "cluster extra: pip install -e '.[cluster]')")
    parser.add_argument("--timeout", type=float, default=None,
                        help="CPU seconds per notebook run; waiting stops at 3x that + 10 s (default: the exercise's, 20 for most)")
    parser.add_argument("--memory-mb", type=int, default=None, help="address-space limit per notebook run")
    parser.add_argument("--exercise", action="append", help="grade only this exercise (repeatable)")
    parser.add_argument("--force", action="store_true", help="regrade even unchanged submissions")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--keep-scratch", action="store_true", help="keep each run's grader files: job, stdout, stderr (debugging)")
    parser.add_argument("--no-isolation", action="store_true",
                        help="UNSAFE: run notebooks without bubblewrap's namespaces (only for notebooks you trust)")
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS,
                        help="folder of the solution notebooks (default: the course's exercises/solutions)")
    args = parser.parse_args(argv)
    try:
        summary = grade_class(args.submissions, args.out, jobs=args.jobs, timeout=args.timeout,
                              exercises=args.exercise, force=args.force, memory_mb=args.memory_mb,
                              progress=not args.quiet, keep_scratch=args.keep_scratch, solutions_dir=args.solutions,
                              isolate=not args.no_isolation, cluster=args.cluster)
    except KeyboardInterrupt:
        print("\ninterrupted: the notebooks graded so far are kept in results/; run the same command again to "
              "finish (grades.csv is written at the end)", file=sys.stderr)
        return 130
    statuses = ", ".join(f"{k} {v}" for k, v in summary["statuses"].items() if v)
    where = f"on the cluster {summary['cluster']}" if summary["cluster"] else f"with {summary['jobs']} job(s)"
    print(f"graded {summary['submissions']} notebooks ({summary['reused']} unchanged, reused) of "
          f"{summary['students']} students in {summary['seconds']} s {where}: {statuses}")
    print(f"wrote {args.out / 'grades.csv'}, {args.out / 'gradebook.csv'} and {args.out / 'feedback'}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
