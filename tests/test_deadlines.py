"""The late policy: schema validation (one-line errors), penalty arithmetic at the boundaries, times."""
import os
from datetime import datetime, timedelta, timezone

import pytest

from course_utils.grading.deadlines import (LatePenalty, PolicyError, Step, format_duration, load_policy, load_times,
                                    parse_policy, time_of, times_from_files)

UTC = timezone.utc
DEADLINE = datetime(2026, 12, 10, 23, 59, tzinfo=UTC)

POLICY = """\
deadline = 2026-12-10T23:59:00Z
[late_penalty]
per_day = 0.10
max = 1.0
[extensions]
alice = 2026-12-12T23:59:00Z
"""


def write_policy(tmp_path, text):
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def policy(tmp_path):
    return load_policy(write_policy(tmp_path, POLICY))


def test_policy_file_is_read(policy):
    assert policy.deadline == DEADLINE
    assert policy.extensions == {"alice": datetime(2026, 12, 12, 23, 59, tzinfo=UTC)}
    assert policy.penalty == LatePenalty(per_day=0.1, max=1.0)


@pytest.mark.parametrize("late_by, lost", [
    (timedelta(0), 0.0),                                 # exactly at the deadline: on time
    (timedelta(seconds=-3600), 0.0),                     # early
    (timedelta(seconds=1), 0.1),                         # one second late: one started day
    (timedelta(days=1), 0.1),                            # exactly one day
    (timedelta(days=1, seconds=1), 0.2),                 # a second into the second day
    (timedelta(days=3), 0.3),                            # no float residue (0.1 * 3)
    (timedelta(days=10), 1.0),
    (timedelta(days=15), 1.0),                           # past max
])
def test_per_day_penalty_at_the_boundaries(policy, late_by, lost):
    assessment = policy.assess("bob", DEADLINE + late_by)
    assert assessment.fraction == lost
    assert assessment.late_by == max(late_by, timedelta(0))


def test_max_caps_the_penalty():
    penalty = LatePenalty(per_day=0.25, max=0.3)
    assert penalty.fraction(timedelta(days=1)) == 0.25
    assert penalty.fraction(timedelta(days=2)) == 0.3
    assert penalty.fraction(timedelta(days=30)) == 0.3


def test_extension_moves_the_deadline(policy):
    extended = datetime(2026, 12, 12, 23, 59, tzinfo=UTC)
    on_time = policy.assess("alice", DEADLINE + timedelta(days=1))
    assert (on_time.deadline, on_time.late_by, on_time.fraction) == (extended, timedelta(0), 0.0)
    assert policy.assess("alice", extended).fraction == 0.0
    assert policy.assess("alice", extended + timedelta(seconds=1)).fraction == 0.1
    assert policy.assess("bob", DEADLINE + timedelta(days=1)).fraction == 0.1  # others keep the deadline


def test_unknown_time_is_no_penalty(policy):
    assessment = policy.assess("bob", None)
    assert (assessment.late_by, assessment.fraction, assessment.final(7.5)) == (None, 0.0, 7.5)


def test_final_points_are_rounded(policy):
    assert policy.assess("bob", DEADLINE + timedelta(hours=1)).final(8.5) == 7.65
    assert policy.assess("bob", DEADLINE + timedelta(days=3)).final(1 / 3) == 0.2333


def test_step_schedule(tmp_path):
    policy = load_policy(write_policy(tmp_path, """\
deadline = 2026-12-10T23:59:00+01:00
[late_penalty]
steps = [{after_hours = 0, lose = 0.1}, {after_hours = 24, lose = 0.5}, {after_hours = 72, lose = 1}]
"""))
    deadline = policy.deadline
    assert deadline.utcoffset() == timedelta(hours=1)
    cases = [(timedelta(0), 0.0), (timedelta(seconds=1), 0.1), (timedelta(hours=24), 0.1),
             (timedelta(hours=24, seconds=1), 0.5), (timedelta(hours=72, seconds=1), 1.0)]
    for late_by, lost in cases:
        assert policy.assess("x", deadline + late_by).fraction == lost, late_by


def test_no_penalty_table_shows_lateness_only(tmp_path):
    policy = load_policy(write_policy(tmp_path, "deadline = 2026-12-10T23:59:00Z\n"))
    assessment = policy.assess("bob", DEADLINE + timedelta(days=2))
    assert (assessment.late_by, assessment.fraction) == (timedelta(days=2), 0.0)


@pytest.mark.parametrize("text, expected", [
    ("deadline = 2026-12-10T23:59:00Z\n[late_penalty\n", "not valid TOML"),
    ("[late_penalty]\nper_day = 0.1\n", "deadline is missing"),
    ("deadline = 2026-12-10T23:59:00\n", "deadline has no time zone"),
    ("deadline = 2026-12-10\n", "deadline must be a date and time with a time zone"),
    ('deadline = "tomorrow"\n', "deadline must be a date and time with a time zone"),
    ("deadline = 2026-12-10T23:59:00Z\ngrace = 5\n", "unknown key grace"),
    ("deadline = 2026-12-10T23:59:00Z\n[late_penalty]\nper_dya = 0.1\n", "unknown key late_penalty.per_dya"),
    ("deadline = 2026-12-10T23:59:00Z\n[late_penalty]\nmax = 1\n", "exactly one of per_day or steps"),
    ("deadline = 2026-12-10T23:59:00Z\n[late_penalty]\nper_day = 0.1\nsteps = [{after_hours = 0, lose = 0.1}]\n",
     "exactly one of per_day or steps"),
    ("deadline = 2026-12-10T23:59:00Z\n[late_penalty]\nper_day = 10\n", "per_day must be a fraction between 0 and 1"),
    ("deadline = 2026-12-10T23:59:00Z\n[late_penalty]\nper_day = -0.1\n", "per_day must be a fraction"),
    ("deadline = 2026-12-10T23:59:00Z\n[late_penalty]\nper_day = true\n", "per_day must be a fraction"),
    ('deadline = 2026-12-10T23:59:00Z\n[late_penalty]\nper_day = "10%"\n', "per_day must be a fraction"),
    ("deadline = 2026-12-10T23:59:00Z\n[late_penalty]\nper_day = 0.1\nmax = 2\n", "max must be a fraction"),
    ("deadline = 2026-12-10T23:59:00Z\n[late_penalty]\nsteps = []\n", "steps must be a non-empty list"),
    ("deadline = 2026-12-10T23:59:00Z\n[late_penalty]\nsteps = [{after_hours = 0}]\n",
     "late_penalty.steps[0].lose is missing"),
    ("deadline = 2026-12-10T23:59:00Z\n[late_penalty]\nsteps = [{after_hours = -1, lose = 0.1}]\n",
     "after_hours must be a number of hours >= 0"),
    ("deadline = 2026-12-10T23:59:00Z\n[late_penalty]\nsteps = [{after_hours = 0, lose = 0.1, x = 1}]\n",
     "unknown key late_penalty.steps[0].x"),
    ("deadline = 2026-12-10T23:59:00Z\n[late_penalty]\n"
     "steps = [{after_hours = 24, lose = 0.5}, {after_hours = 0, lose = 0.6}]\n", "increasing after_hours"),
    ("deadline = 2026-12-10T23:59:00Z\n[late_penalty]\n"
     "steps = [{after_hours = 0, lose = 0.5}, {after_hours = 24, lose = 0.1}]\n", "must not lose less when later"),
    ("deadline = 2026-12-10T23:59:00Z\nextensions = 3\n", "extensions must be a table"),
    ("deadline = 2026-12-10T23:59:00Z\n[extensions]\nalice = 2026-12-12T23:59:00\n",
     "extensions.alice has no time zone"),
])
def test_policy_errors_are_one_line(tmp_path, text, expected):
    with pytest.raises(PolicyError) as info:
        load_policy(write_policy(tmp_path, text))
    message = str(info.value)
    assert expected in message
    assert "\n" not in message and message.startswith(str(tmp_path / "policy.toml"))


def test_unreadable_policy_is_one_line(tmp_path):
    with pytest.raises(PolicyError, match="cannot read the policy"):
        load_policy(tmp_path / "nope.toml")
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe")
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_policy(tmp_path / "bin.toml")


def test_parse_policy_from_a_dict():
    policy = parse_policy({"deadline": DEADLINE, "late_penalty": {"steps": [{"after_hours": 1, "lose": 0.2}]}})
    assert policy.penalty.steps == (Step(1.0, 0.2),)


# --------------------------------------------------------------------------------------
# Submission times
# --------------------------------------------------------------------------------------


def test_times_csv(tmp_path):
    path = tmp_path / "times.csv"
    path.write_text("student,submitted_at,exercise\n"
                    "alice,2026-12-11T10:00:00Z,\n"
                    "bob,2026-12-11T00:30:00+01:00,01_convolution_1d\n"
                    "\n", encoding="utf-8")
    times = load_times(path)
    assert time_of(times, "alice", "anything") == datetime(2026, 12, 11, 10, tzinfo=UTC)
    assert time_of(times, "bob", "01_convolution_1d") == datetime(2026, 12, 10, 23, 30, tzinfo=UTC)
    assert time_of(times, "bob", "04_output_sizes_and_counts") is None


@pytest.mark.parametrize("text, expected", [
    ("student,when\nalice,2026-12-11T10:00:00Z\n", "missing submitted_at"),
    ("student,submitted_at,score\nalice,2026-12-11T10:00:00Z,3\n", "unknown column 'score'"),
    ("student,submitted_at\nalice,2026-12-11 10:00\n", "line 2: submitted_at '2026-12-11 10:00' has no time zone"),
    ("student,submitted_at\nalice,yesterday\n", "line 2: submitted_at 'yesterday' is not an ISO 8601"),
    ("student,submitted_at\nalice,2026-12-11T10:00:00Z\nalice,2026-12-11T11:00:00Z\n", "line 3: a second time"),
    ("student,submitted_at\nalice,2026-12-11T10:00:00Z,x\n", "line 2: 3 fields, the header has 2"),
    ("student,submitted_at\n,2026-12-11T10:00:00Z\n", "line 2: the student is empty"),
])
def test_times_csv_errors_are_one_line(tmp_path, text, expected):
    path = tmp_path / "times.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_times(path)
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_times_from_file_mtimes(tmp_path):
    notebook = tmp_path / "alice" / "01_convolution_1d.ipynb"
    notebook.parent.mkdir()
    notebook.write_text("{}")
    stamp = datetime(2026, 12, 11, 0, 0, 1, tzinfo=UTC).timestamp()
    os.utime(notebook, (stamp, stamp))
    assert times_from_files(tmp_path) == {("alice", "01_convolution_1d"): datetime(2026, 12, 11, 0, 0, 1, tzinfo=UTC)}
    with pytest.raises(PolicyError, match="not a folder"):
        times_from_files(tmp_path / "missing")


@pytest.mark.parametrize("delta, text", [
    (timedelta(0), "0 min"), (timedelta(seconds=1), "1 min"), (timedelta(minutes=59, seconds=1), "1 h"),
    (timedelta(days=1), "1 d"), (timedelta(days=2, hours=3, minutes=4), "2 d 3 h 4 min"),
    (timedelta(hours=23, minutes=59, seconds=30), "1 d"),
])
def test_format_duration(delta, text):
    assert format_duration(delta) == text
