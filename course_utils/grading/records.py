"""Step 5 and 6 of grading: the per-submission record (signed), the feedback file, and the class's CSVs.

A record is what grading one notebook gives (:class:`Record`, one :class:`Row` per
question); it is written, signed with an HMAC, to ``OUT/results/<student>/<exercise>.json``
(:func:`sign_record`; a re-run reuses it while :func:`grader_fingerprint` and the
submission are unchanged) and rendered as ``OUT/feedback/<student>/<exercise>.md``
(:func:`feedback_markdown`). :func:`write_csvs` writes ``grades.csv`` and
``gradebook.csv`` from all records. Every text that came from a student is made safe here
(:func:`one_line`, :func:`markdown_text`, :func:`csv_cell`, :func:`display_name`).

>>> record = make_record("ana", "01_x", [("ex01.q1", 2.0, Result(PASS, 2.0, 2.0, "ok"))], notes=["a\\nnote"])
>>> record["points"], record["rows"][0]["status"], record["notes"]
(2.0, 'PASS', ['a note'])
"""
from __future__ import annotations

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
import threading
from pathlib import Path
from typing import TypedDict

from course_utils.checks.protocol import CRASH, PASS, Status
from course_utils.checks.questions import Result
from course_utils.grading import sandbox

CSV_HEADER = ["student", "exercise", "question", "points", "max_points", "status", "message"]
KEY_FILE = ".grading-key"           # in OUT, mode 0600: authenticates the records in OUT/results
MAX_MESSAGE = 500                    # characters of a message in grades.csv / feedback
MAX_RECORD_BYTES = 4 * 2**20
VERSIONED = ("numpy", "keras", "tensorflow", "tensorflow-cpu", "nbformat", "fastjsonschema")
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,100}")


class Row(TypedDict):
    """One question of one submission (a line of ``grades.csv``)."""

    question: str
    points: float
    max_points: float
    status: Status
    message: str


class Record(TypedDict, total=False):
    """Grading one submission: the rows, the notes for the student, and what it was graded with."""

    student: str                     # display_name of the folder
    exercise: str                    # the notebook name
    notes: list                      # of str, one line each
    rows: list                       # of Row, in question order
    points: float
    max_points: float
    fingerprint: str                 # grader_fingerprint + the submission's hash (added by the CLI)


def make_record(student: str, exercise: str, results, notes=()) -> Record:
    """The record of one submission; ``results`` is ``[(question id, max points, Result), ...]`` in order."""
    rows = [Row(question=qid, points=result.points, max_points=max_points, status=result.status,
                message=one_line(result.message)) for qid, max_points, result in results]
    return Record(student=display_name(student), exercise=exercise, notes=[one_line(n) for n in list(notes)[:50]],
                  rows=rows, points=round(sum(r["points"] for r in rows), 4),
                  max_points=sum(max_points for _, max_points, _ in results))


def crashed_record(student: str, exercise, exc: BaseException) -> Record:
    """The record when the grader itself failed on a notebook: every question CRASH, the error in the notes."""
    message = "the grader failed on this notebook; your instructor will look at it"
    record = make_record(student, exercise.notebook, [(q.id, q.points, Result(CRASH, 0.0, q.points, message))
                                                      for q in exercise.questions],
                         notes=[f"grader error: {type(exc).__name__}: {exc}"])
    return record


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



def write_atomic(path: Path, text: str) -> None:
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
    package = Path(__file__).resolve().parent.parent   # course_utils
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


def read_record(path: Path, key: bytes) -> Record | None:
    """The signed record at ``path`` if it is there and its HMAC is right, else None."""
    raw = read_regular(path, MAX_RECORD_BYTES)
    return verify_record(raw, key) if raw is not None else None


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


def read_regular(path: Path, limit: int) -> bytes | None:
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
    write_atomic(out / "grades.csv", buffer.getvalue())
    write_atomic(out / "gradebook.csv", book.getvalue())
