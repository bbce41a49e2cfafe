"""Deadlines and late penalties: the policy file, submission times and the arithmetic.

A policy is a TOML file (read with :mod:`tomllib`, validated strictly: an unknown key
or a wrong type is an error, never ignored)::

    deadline = 2026-12-10T23:59:00Z      # required; a time zone is required (Z or +01:00)

    [late_penalty]                       # optional; without it lateness is shown, not penalised
    per_day = 0.10                       # lose 10% per started day (24 h) late ...
    # steps = [{after_hours = 0, lose = 0.1}, {after_hours = 24, lose = 0.5}]
    #                                    # ... or a schedule: lose `lose` when more than
    #                                    # `after_hours` late (the last step that applies wins)
    max = 1.0                            # the most that can be lost (default 1.0 = everything)

    [extensions]                         # optional; the student's own deadline
    alice = 2026-12-12T23:59:00Z         # keys are the submission folder names

The penalty is a fraction of the points the submission earned (final = raw x (1 - lost)).
Lateness is measured from the student's deadline (their extension if they have one), so
a submission exactly at the deadline is on time and one second later is one started day
late. Submission times come from a CSV (``student,submitted_at[,exercise]``, ISO 8601 with
a time zone, as an LMS exports them) or from the notebooks' modification times.
"""
from __future__ import annotations

import csv
import math
import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

SECONDS_PER_DAY = 86400
TIMES_COLUMNS = ("student", "submitted_at")
TIMES_OPTIONAL = ("exercise",)


class PolicyError(ValueError):
    """Bad input (a policy, a times CSV): the message is one line, fit to print as is."""


@dataclass(frozen=True)
class Step:
    """Lose ``lose`` (a fraction) when more than ``after_hours`` late."""

    after_hours: float
    lose: float


@dataclass(frozen=True)
class LatePenalty:
    """Either ``per_day`` (per started day) or ``steps``; capped at ``max``."""

    per_day: float | None = None
    steps: tuple[Step, ...] = ()
    max: float = 1.0

    def fraction(self, late_by: timedelta) -> float:
        """The share of the points lost when ``late_by`` late.

        >>> LatePenalty(per_day=0.1).fraction(timedelta(days=1, seconds=1))
        0.2
        >>> LatePenalty(steps=(Step(0, 0.1), Step(24, 0.5))).fraction(timedelta(hours=30))
        0.5
        """
        seconds = late_by.total_seconds()
        if seconds <= 0:
            return 0.0
        if self.per_day is not None:
            lost = self.per_day * math.ceil(seconds / SECONDS_PER_DAY)
        else:
            lost = max((s.lose for s in self.steps if seconds > s.after_hours * 3600), default=0.0)
        return round(min(lost, self.max), 6)


@dataclass(frozen=True)
class Assessment:
    """How late one submission was, and what it costs."""

    deadline: datetime
    submitted_at: datetime | None
    late_by: timedelta | None      # None: the submission time is unknown
    fraction: float                # share of the points lost, 0 when on time or unknown

    def final(self, raw: float) -> float:
        """The points after the penalty (rounded like the grader's points, to 4 decimals)."""
        return round(raw * (1 - self.fraction), 4)


@dataclass(frozen=True)
class Policy:
    """The deadline, the per-student extensions and the late penalty of one assignment."""

    deadline: datetime
    extensions: dict[str, datetime] = field(default_factory=dict)
    penalty: LatePenalty | None = None

    def deadline_for(self, student: str) -> datetime:
        return self.extensions.get(student, self.deadline)

    def assess(self, student: str, submitted_at: datetime | None) -> Assessment:
        """Lateness and penalty of ``student``'s submission.

        >>> p = parse_policy({"deadline": datetime(2026, 12, 10, tzinfo=timezone.utc),
        ...                   "late_penalty": {"per_day": 0.25}})
        >>> p.assess("bob", datetime(2026, 12, 11, 1, tzinfo=timezone.utc)).fraction
        0.5
        """
        deadline = self.deadline_for(student)
        if submitted_at is None:
            return Assessment(deadline, None, None, 0.0)
        late_by = max(submitted_at - deadline, timedelta(0))
        fraction = self.penalty.fraction(late_by) if self.penalty else 0.0
        return Assessment(deadline, submitted_at, late_by, fraction)


# --------------------------------------------------------------------------------------
# The policy file
# --------------------------------------------------------------------------------------


def load_policy(path: Path) -> Policy:
    """Read and validate a policy file; raises :class:`PolicyError` with a one-line message."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the policy ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: not valid TOML: {_one_line(str(exc))}") from None
    return parse_policy(data, str(path))


def parse_policy(data: dict, source: str = "policy") -> Policy:
    """Validate the parsed TOML of a policy (see the module docstring for the schema).

    >>> parse_policy({"deadline": "tomorrow"})
    Traceback (most recent call last):
    ...
    course_utils.grading.deadlines.PolicyError: policy: deadline must be a date and time with a time zone, like 2026-12-10T23:59:00Z (got 'tomorrow')
    """
    _no_unknown_keys(data, {"deadline", "late_penalty", "extensions"}, source, "")
    if "deadline" not in data:
        raise PolicyError(f"{source}: deadline is missing (e.g. deadline = 2026-12-10T23:59:00Z)")
    deadline = _aware(data["deadline"], source, "deadline")
    extensions = {}
    raw_ext = data.get("extensions", {})
    if not isinstance(raw_ext, dict):
        raise PolicyError(f"{source}: extensions must be a table ([extensions] with student = date)")
    for student, value in raw_ext.items():
        extensions[student] = _aware(value, source, f"extensions.{student}")
    penalty = None
    if "late_penalty" in data:
        penalty = _parse_penalty(data["late_penalty"], source)
    return Policy(deadline, extensions, penalty)


def _parse_penalty(table, source: str) -> LatePenalty:
    where = "late_penalty"
    if not isinstance(table, dict):
        raise PolicyError(f"{source}: late_penalty must be a table ([late_penalty])")
    _no_unknown_keys(table, {"per_day", "steps", "max"}, source, where)
    if ("per_day" in table) == ("steps" in table):
        raise PolicyError(f"{source}: late_penalty needs exactly one of per_day or steps")
    cap = _fraction(table.get("max", 1.0), source, f"{where}.max")
    if "per_day" in table:
        return LatePenalty(per_day=_fraction(table["per_day"], source, f"{where}.per_day"), max=cap)
    raw_steps = table["steps"]
    if not isinstance(raw_steps, list) or not raw_steps:
        raise PolicyError(f"{source}: {where}.steps must be a non-empty list like [{{after_hours = 0, lose = 0.1}}]")
    steps = []
    for i, step in enumerate(raw_steps):
        here = f"{where}.steps[{i}]"
        if not isinstance(step, dict):
            raise PolicyError(f"{source}: {here} must be a table like {{after_hours = 0, lose = 0.1}}")
        _no_unknown_keys(step, {"after_hours", "lose"}, source, here)
        for key in ("after_hours", "lose"):
            if key not in step:
                raise PolicyError(f"{source}: {here}.{key} is missing")
        hours = step["after_hours"]
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours < 0 or not math.isfinite(hours):
            raise PolicyError(f"{source}: {here}.after_hours must be a number of hours >= 0 (got {hours!r})")
        steps.append(Step(float(hours), _fraction(step["lose"], source, f"{here}.lose")))
    for before, after in zip(steps, steps[1:]):
        if after.after_hours <= before.after_hours:
            raise PolicyError(f"{source}: {where}.steps must have increasing after_hours "
                              f"({_num(before.after_hours)} then {_num(after.after_hours)})")
        if after.lose < before.lose:
            raise PolicyError(f"{source}: {where}.steps must not lose less when later "
                              f"({_num(before.lose)} then {_num(after.lose)})")
    return LatePenalty(steps=tuple(steps), max=cap)


def _no_unknown_keys(table: dict, allowed: set[str], source: str, where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        prefix = f"{where}." if where else ""
        raise PolicyError(f"{source}: unknown key {prefix}{unknown[0]} (allowed: {', '.join(sorted(allowed))})")


def _aware(value, source: str, where: str) -> datetime:
    if not isinstance(value, datetime):
        raise PolicyError(f"{source}: {where} must be a date and time with a time zone, like 2026-12-10T23:59:00Z "
                          f"(got {_one_line(repr(value))})")
    if value.tzinfo is None:
        raise PolicyError(f"{source}: {where} has no time zone; add Z (UTC) or an offset like +01:00")
    return value


def _fraction(value, source: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise PolicyError(f"{source}: {where} must be a fraction between 0 and 1 (got {_one_line(repr(value))})")
    return float(value)


# --------------------------------------------------------------------------------------
# Submission times
# --------------------------------------------------------------------------------------

Times = dict[tuple[str, str | None], datetime]
"""Submission times by (student, exercise); exercise None: the time of all the student's exercises."""


def parse_time(text: str) -> datetime:
    """An ISO 8601 time with a time zone; raises ValueError with a short reason.

    >>> parse_time("2026-12-10T23:59:01Z")
    datetime.datetime(2026, 12, 10, 23, 59, 1, tzinfo=datetime.timezone.utc)
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{_one_line(repr(text))} is not an ISO 8601 date and time") from None
    if value.tzinfo is None:
        raise ValueError(f"{_one_line(repr(text))} has no time zone (add Z or an offset like +01:00)")
    return value


def load_times(path: Path) -> Times:
    """Read ``student,submitted_at[,exercise]``; raises :class:`PolicyError` (one line) on bad input."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the submission times ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: not UTF-8 text") from None
    rows = csv.reader(text.splitlines())
    header = [h.strip() for h in next(rows, [])]
    missing = [c for c in TIMES_COLUMNS if c not in header]
    if missing:
        raise PolicyError(f"{path}: the header needs the columns {', '.join(TIMES_COLUMNS)} "
                          f"(optional: {', '.join(TIMES_OPTIONAL)}); missing {', '.join(missing)}")
    unknown = [c for c in header if c not in TIMES_COLUMNS + TIMES_OPTIONAL]
    if unknown:
        raise PolicyError(f"{path}: unknown column {_one_line(repr(unknown[0]))} "
                          f"(allowed: {', '.join(TIMES_COLUMNS + TIMES_OPTIONAL)})")
    times: Times = {}
    for line, row in enumerate(rows, 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise PolicyError(f"{path} line {line}: {len(row)} fields, the header has {len(header)}")
        record = dict(zip(header, row))
        student = record["student"]
        if not student.strip():
            raise PolicyError(f"{path} line {line}: the student is empty")
        exercise = record.get("exercise", "").strip() or None
        try:
            when = parse_time(record["submitted_at"])
        except ValueError as exc:
            raise PolicyError(f"{path} line {line}: submitted_at {exc}") from None
        key = (student, exercise)
        if key in times:
            raise PolicyError(f"{path} line {line}: a second time for {_one_line(repr(student))}"
                              + (f" / {exercise}" if exercise else ""))
        times[key] = when
    return times


def times_from_files(submissions: Path) -> Times:
    """Modification times (UTC) of ``SUBMISSIONS/<student>/<exercise>.ipynb``."""
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise PolicyError(f"{submissions}: not a folder of student folders")
    times: Times = {}
    for notebook in sorted(submissions.glob("*/*.ipynb")):
        times[(notebook.parent.name, notebook.stem)] = datetime.fromtimestamp(notebook.stat().st_mtime, timezone.utc)
    return times


def time_of(times: Times, student: str, exercise: str) -> datetime | None:
    """The time of ``student``'s ``exercise``: its own row first, then the student's row."""
    return times.get((student, exercise), times.get((student, None)))


# --------------------------------------------------------------------------------------
# Showing it
# --------------------------------------------------------------------------------------


def format_duration(delta: timedelta) -> str:
    """A short human duration, rounded up to the minute (``0 min`` for on time).

    >>> format_duration(timedelta(days=1, hours=2, seconds=1))
    '1 d 2 h 1 min'
    >>> format_duration(timedelta(seconds=1))
    '1 min'
    """
    seconds = max(0, math.ceil(delta.total_seconds()))
    if seconds == 0:
        return "0 min"
    days, rest = divmod(seconds, SECONDS_PER_DAY)
    hours, rest = divmod(rest, 3600)
    minutes = math.ceil(rest / 60)
    if minutes == 60:
        hours, minutes = hours + 1, 0
    if hours == 24:
        days, hours = days + 1, 0
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join(p for p in parts if p)


def format_time(value: datetime) -> str:
    """ISO 8601 in UTC, to the second: ``2026-12-10T23:59:00Z``."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _num(value: float) -> str:
    return format(round(value, 6), "f").rstrip("0").rstrip(".") or "0"


def _one_line(text: str) -> str:
    return re.sub(r"\s*[\r\n]+\s*", " ", text).strip()
