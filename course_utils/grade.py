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

Each notebook runs in its own sandboxed child process (:mod:`course_utils.sandbox`), on this
machine or, with ``--cluster``, on the workers of a Dask cluster (:mod:`course_utils.grade_cluster`);
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
import hmac
import html
import importlib.metadata
import io
import json
import os
import platform
import re
import stat
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_utils import sandbox
from course_utils.exercises import all_exercises
from course_utils.exercises.framework import CRASH, INVALID, MEMORY, MISSING, STATUSES, TIMEOUT, Result
from course_utils.exercises.submission import MAX_NOTEBOOK_BYTES, InvalidNotebook, graded_cells, parse_notebook, too_large

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "exercises" / "solutions"
CSV_HEADER = ["student", "exercise", "question", "points", "max_points", "status", "message"]
MAX_RESTARTS = 2
KEY_FILE = ".grading-key"           # in OUT, mode 0600: authenticates the records in OUT/results
MAX_MESSAGE = 500                    # characters of a message in grades.csv / feedback
MAX_RECORD_BYTES = 4 * 2**20
VERSIONED = ("numpy", "keras", "tensorflow", "tensorflow-cpu", "nbformat", "fastjsonschema")
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,100}")


# --------------------------------------------------------------------------------------
# One submission
# --------------------------------------------------------------------------------------


def display_name(name: str) -> str:
    """A student folder name as text for the outputs, whatever bytes it holds.

    >>> display_name("ana")
    'ana'
    >>> display_name(os.fsdecode(b"b\\xffo\\nb"))
    'b\\\\xffo\\\\x0ab'
    """
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)[:200]


def output_name(name: str) -> str:
    """A file name for the student's folders in OUT: the name itself when it is plain, else a
    readable part plus a hash (two different folders never share one).

    >>> output_name("ana"), output_name("../x")
    ('ana', 'x-d6b96a97')
    """
    if _SAFE_NAME.fullmatch(name) and not name.endswith((".", " ")):
        return name
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", display_name(name)).strip("._")[:40] or "student"
    return f"{readable}-{hashlib.sha256(os.fsencode(name)).hexdigest()[:8]}"


def submission_problem(path: Path) -> str | None:
    """Why a submitted path cannot be graded (a link, not a regular file, too large), or None.

    Checked with ``lstat``: a symbolic link is never followed (it could point at the
    solutions, another student's work or ``/proc/self/mem``).
    """
    for part in (path.parent, path):
        try:
            info = os.lstat(part)
        except OSError:
            return None if part == path else "the student folder cannot be read"
        if stat.S_ISLNK(info.st_mode):
            what = "student folder" if part == path.parent else "notebook"
            return f"the {what} is a symbolic link; submit the file itself"
    if not stat.S_ISREG(info.st_mode):
        return "the notebook is not a regular file"
    if info.st_size > MAX_NOTEBOOK_BYTES:
        return too_large(info.st_size)
    return None


def read_submission(path: Path) -> bytes | None:
    """The notebook's bytes, opened without following links or blocking on a FIFO; None if absent."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_NOTEBOOK_BYTES:
            raise OSError("not a regular file of an allowed size")
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(MAX_NOTEBOOK_BYTES + 1)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Submission:
    """One student's notebook as the parent read it: its bytes (``content``), or why there are none.

    Both None: nothing was submitted (MISSING); ``problem``: the file cannot be graded (INVALID).

    >>> Submission(b"{}").digest[:12], Submission().digest
    ('44136fa355b3', 'unreadable-or-missing')
    """

    content: bytes | None = None
    problem: str | None = None

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.content).hexdigest() if self.content is not None else "unreadable-or-missing"


def load_submission(path: Path | None) -> Submission:
    """Read a submitted notebook once, safely (no link followed, size capped); every later step uses these bytes.

    >>> load_submission(None)
    Submission(content=None, problem=None)
    """
    if path is None:
        return Submission()
    problem = submission_problem(path)
    if problem:
        return Submission(problem=problem)
    try:
        return Submission(read_submission(path))
    except OSError as exc:
        return Submission(problem=f"cannot read the file ({exc.strerror or exc})")


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
    digest = hashlib.sha256(f"{secret}\x00{student}\x00{exercise}\x00{qid}".encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "little")


def _status_result(question, status, message) -> Result:
    return Result(status, 0.0, question.points, message)


def grade_submission(exercise, path: Path | None, student: str, limits: sandbox.Limits, *,
                     solutions_dir: Path = SOLUTIONS, **options) -> dict:
    """Grade one student's notebook file for one exercise; returns the JSON-able record
    (:func:`grade_content` on the file's bytes; ``options`` are its keywords).
    """
    return grade_content(exercise, load_submission(path), student, limits,
                         slots=instructor_cells(exercise, solutions_dir), **options)


def grade_content(exercise, submission: Submission, student: str, limits: sandbox.Limits, *, slots: list[dict],
                  secret: str = "", deny_read=(), max_restarts: int = MAX_RESTARTS, keep_scratch: bool = False,
                  isolate: bool = True) -> dict:
    """Grade one student's notebook (as read by :func:`load_submission`) for one exercise; returns
    the JSON-able record. ``slots``: the exercise's :func:`instructor_cells`.

    ``student`` is the folder name (any bytes, as :func:`os.fsdecode` gives them); the
    record holds its :func:`display_name`.
    """
    record = {"student": display_name(student), "exercise": exercise.notebook, "notes": [], "rows": []}
    questions = exercise.questions

    def finish(results: dict[str, Result]):
        record["rows"] = [{"question": q.id, "points": results[q.id].points, "max_points": q.points,
                           "status": results[q.id].status, "message": one_line(results[q.id].message)}
                          for q in questions]
        record["notes"] = [one_line(note) for note in record["notes"][:50]]
        record["points"] = round(sum(r["points"] for r in record["rows"]), 4)
        record["max_points"] = exercise.max_points
        return record

    if submission.problem:
        record["notes"].append(submission.problem)
        return finish({q.id: _status_result(q, INVALID, submission.problem) for q in questions})
    if submission.content is None:
        return finish({q.id: _status_result(q, MISSING, "no notebook submitted") for q in questions})
    try:
        nb = parse_notebook(submission.content)
    except InvalidNotebook as exc:
        record["notes"].append(str(exc))
        return finish({q.id: _status_result(q, INVALID, str(exc)) for q in questions})
    except Exception as exc:  # anything else the file's content provokes: this notebook only
        why = f"the file is not a notebook the grader can read ({type(exc).__name__})"
        record["notes"].append(why)
        return finish({q.id: _status_result(q, INVALID, why) for q in questions})

    graded = graded_cells(nb, [q.id for q in questions])
    record["notes"].extend(graded.notes)
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
        run = sandbox.run_child(job, arrays, limits, deny_read=deny_read, keep_scratch=keep_scratch, isolate=isolate)
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
        if run.ended == "bootstrap":
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
        if run.ended == "bootstrap" and outcome is None:
            results[q.id] = _status_result(q, CRASH, f"not graded: {run.detail}")
        elif outcome is None:
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
            try:
                results[q.id] = q.judge_outcome(outcome, trusted_args[q.id], hidden=True)
            except Exception as exc:  # whatever the answer provokes in a judge stays with this question
                results[q.id] = _status_result(q, CRASH, f"the grader could not judge this answer "
                                                         f"({type(exc).__name__}); your instructor will look at it")
    return finish(results)


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


def crashed_record(student: str, exercise, exc: BaseException) -> dict:
    """The record of a notebook the grader itself failed on: CRASH for every question."""
    return {"student": display_name(student), "exercise": exercise.notebook,
            "notes": [one_line(f"grader error: {type(exc).__name__}: {exc}")],
            "rows": [{"question": q.id, "points": 0.0, "max_points": q.points, "status": CRASH,
                      "message": "the grader failed on this notebook; your instructor will look at it"}
                     for q in exercise.questions], "points": 0.0, "max_points": exercise.max_points}


def feedback_markdown(record: dict, exercise) -> str:
    """The feedback file handed back to the student (no hidden inputs in it)."""
    lines = [f"# {exercise.title}: feedback", "",
             f"Student: **{markdown_text(record['student'])}** · notebook `{exercise.notebook}.ipynb` · "
             f"**{_num(record['points'])} / {_num(record['max_points'])} points**", "",
             "| Question | Points | Status | Feedback |", "| --- | --- | --- | --- |"]
    for row in record["rows"]:
        title = exercise.question(row["question"]).title
        lines.append(f"| {row['question']}: {title} | {_num(row['points'])} / {_num(row['max_points'])} | "
                     f"{row['status']} | {markdown_text(row['message'])} |")
    if record["notes"]:
        lines += ["", "## Notes", ""] + [f"- {markdown_text(note)}" for note in record["notes"]]
    lines += ["", "Run `q.check(...)` in your notebook for instant feedback on each question; "
              "`q.hint()` gives hints.", ""]
    return "\n".join(lines)


def _num(value) -> str:
    return f"{value:g}"


def one_line(text, limit: int = MAX_MESSAGE) -> str:
    """Any text as one line of at most ``limit`` characters (``\\r``, ``\\n`` and other
    control characters become spaces).

    >>> one_line("a\\r\\nb\\rc\\x00d")
    'a b c d'
    """
    text = "".join(c if c.isprintable() else " " for c in str(text))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def markdown_text(text) -> str:
    """Text that renders as itself in Markdown: HTML escaped, Markdown's active characters
    backslash-escaped, on one line.

    >>> markdown_text("<img src=x onerror=alert(1)> *[link](http://x)*")
    '&lt;img src=x onerror=alert\\\\(1\\\\)&gt; \\\\*\\\\[link\\\\]\\\\(http://x\\\\)\\\\*'
    """
    text = html.escape(one_line(text), quote=False)
    return re.sub(r"([\\`*_{}\[\]()#+!|~])", r"\\\1", text)


def csv_cell(value) -> str:
    """A cell that a spreadsheet shows as text: one line, and a leading ``'`` where the cell
    would start a formula (``=``, ``+``, ``-``, ``@``, tab, CR).

    >>> csv_cell("=HYPERLINK(1)"), csv_cell("-2+3"), csv_cell("ok")
    ("'=HYPERLINK(1)", "'-2+3", 'ok')
    """
    text = str(value)
    if text[:1] in ("\t", "\r"):
        text = "'" + text
    text = one_line(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


# --------------------------------------------------------------------------------------
# A whole class
# --------------------------------------------------------------------------------------


def _write_atomic(path: Path, text: str) -> None:
    """Write a file of OUT by a new file + rename; refuses folders that are symbolic links."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for folder in (path.parent, path.parent.parent):
        if folder.is_symlink():
            raise OSError(f"{folder} is a symbolic link")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def grader_fingerprint(exercise, limits: sandbox.Limits, secret: str, solutions_dir: Path, *,
                       isolate: bool = True) -> str:
    """Changes when anything a grade depends on changes: any of course_utils' Python files
    (grader, checks and reference code), the solution notebooks, the limits, the secret,
    the isolation, the Python and library versions.
    """
    h = hashlib.sha256(code_fingerprint().encode())
    for path in sorted(Path(solutions_dir).glob("*.ipynb")):
        h.update(f"solutions/{path.name}".encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    h.update(repr((exercise.notebook, float(limits.timeout_s), limits.memory_mb, limits.cpu_s, limits.output_chars,
                   float(limits.wall_s), limits.file_mb, limits.open_files, limits.disk_mb, limits.nproc)).encode())
    h.update(repr(isolate).encode())
    h.update(hashlib.sha256(secret.encode()).digest())
    return h.hexdigest()


def code_fingerprint() -> str:
    """The grading code of this installation: course_utils' Python files, the Python and library
    versions, the audit-hook switch. A cluster's workers must have the same as the parent."""
    h = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    versions = []
    for dist in VERSIONED:
        try:
            versions.append((dist, importlib.metadata.version(dist)))
        except importlib.metadata.PackageNotFoundError:
            versions.append((dist, None))
    h.update(repr((platform.python_version(), versions, sandbox.audit_hook_enabled())).encode())
    return h.hexdigest()


def record_key(out: Path) -> bytes:
    """The key that authenticates OUT's records (``OUT/.grading-key``, mode 0600, made once).

    Only the parent reads it; no child ever runs with OUT visible or this key in memory.
    """
    path = Path(out) / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size != 64:
                raise SystemExit(f"{path} is not a grading key (64 hex characters); delete it to start afresh")
            return bytes.fromhex(os.read(fd, 64).decode("ascii"))
        finally:
            os.close(fd)
    key = os.urandom(32)
    try:
        os.write(fd, key.hex().encode("ascii"))
    finally:
        os.close(fd)
    return key


def sign_record(record: dict, key: bytes) -> str:
    """The record as JSON with an HMAC-SHA256 over its canonical form.

    >>> text = sign_record({"a": 1}, b"k")
    >>> verify_record(text.encode(), b"k"), verify_record(text.encode(), b"other")
    ({'a': 1}, None)
    """
    body = json.dumps(record, sort_keys=True, separators=(",", ":"))
    mac = hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()
    return json.dumps({"record": record, "mac": mac}, indent=1)


def verify_record(raw: bytes, key: bytes) -> dict | None:
    """The record if its HMAC is right, else None (forged, edited or from another key)."""
    if len(raw) > MAX_RECORD_BYTES:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
        record, mac = data["record"], data["mac"]
        body = json.dumps(record, sort_keys=True, separators=(",", ":")).encode("utf-8")
    except (ValueError, TypeError, KeyError, RecursionError):
        return None
    good = hmac.new(key, body, hashlib.sha256).hexdigest()
    return record if isinstance(mac, str) and hmac.compare_digest(mac, good) else None


def _read_regular(path: Path, limit: int) -> bytes | None:
    """A file's bytes (at most ``limit`` + 1), never following a link or blocking on a FIFO."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(limit + 1)
    finally:
        os.close(fd)


def _exercise_module_name(exercise) -> str:
    for name, module in list(sys.modules.items()):
        if name.startswith("course_utils.exercises.ex") and getattr(module, "EXERCISE", None) is exercise:
            return name
    return ""


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
    (:mod:`course_utils.grade_cluster`); everything else, records and CSVs included, stays here.
    """
    if cluster is not None:
        from course_utils import grade_cluster

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
            raw = _read_regular(record_path(student, exercise), MAX_RECORD_BYTES)
            old = verify_record(raw, key) if raw is not None else None
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
            _write_atomic(out / "feedback" / output_name(student) / f"{exercise.notebook}.md",
                          feedback_markdown(record, exercise))
            _write_atomic(target, sign_record(record, key))
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
    write_csvs(out, students, chosen, records)
    counts = {s: 0 for s in STATUSES}
    for record in records.values():
        for row in record["rows"]:
            counts[row["status"]] += 1
    summary = {"students": len(students), "exercises": [e.notebook for e in chosen], "submissions": len(tasks),
               "reused": reused, "seconds": round(elapsed, 2), "jobs": jobs, "cluster": cluster and cluster.spec,
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
                writer.writerow([csv_cell(display_name(student)), exercise.notebook, row["question"],
                                 _num(row["points"]), _num(row["max_points"]), row["status"], csv_cell(row["message"])])
            totals.append(record["points"])
        book_writer.writerow([csv_cell(display_name(student))] + [_num(t) for t in totals]
                             + [_num(sum(totals)), _num(max_total)])
    _write_atomic(out / "grades.csv", buffer.getvalue())
    _write_atomic(out / "gradebook.csv", book.getvalue())


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
