"""LMS exports from a hand-made grades.csv: golden files, roster matching, formula injection, feedback, CLI."""
import csv
import io
import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from course_utils.grading import gradebook
from course_utils.grading.gradebook import FEEDBACK_MARK, main
from course_utils.grading.records import csv_cell

GOLDEN = Path(__file__).parent / "golden"
EVIL = '=HYPERLINK("evil.example","x")'

# bob: 1 day + 1 s late; alice: late but within her extension; EVIL: exactly at the deadline;
# dave: no roster entry and no submission time; erin: in the roster, no grades.
GRADES = f"""\
student,exercise,question,points,max_points,status,message
alice,01_convolution_1d,ex01.q1,2,2,PASS,correct
alice,01_convolution_1d,ex01.q2,1.5,3,FAIL,2 of 4 hidden tests pass
alice,04_output_sizes_and_counts,ex04.q1,2,2,PASS,correct
bob,01_convolution_1d,ex01.q1,2,2,PASS,correct
bob,01_convolution_1d,ex01.q2,3,3,PASS,correct
bob,04_output_sizes_and_counts,ex04.q1,0,2,MISSING,no notebook submitted
"{EVIL.replace('"', '""')}",01_convolution_1d,ex01.q1,0,2,ERROR,"=cmd|' /C calc'!A0"
"{EVIL.replace('"', '""')}",01_convolution_1d,ex01.q2,3,3,PASS,"two
lines"
"{EVIL.replace('"', '""')}",04_output_sizes_and_counts,ex04.q1,1,2,FAIL,@SUM(1)
dave,01_convolution_1d,ex01.q1,1,2,FAIL,close
dave,01_convolution_1d,ex01.q2,0,3,ERROR,-1 is not a shape
dave,04_output_sizes_and_counts,ex04.q1,2,2,PASS,correct
"""

ROSTER = (
    "student,name,lms_id,sis_user_id,sis_login_id,section,email\r\n"
    'alice,"Liddell, Alice",101,S001,alice,Sec A,alice@example.edu\r\n'
    "bob,@x,102,S002,bob,Sec A,bob@example.edu\r\n"
    f'"{EVIL.replace(chr(34), chr(34) * 2)}",+1,103,S003,-mallory,Sec B,mallory@example.edu\r\n'
    'erin,"Erin\rNewline",104,S004,erin,Sec B,\r\n'
)

TIMES = f"""\
student,submitted_at
alice,2026-12-11T10:00:00Z
bob,2026-12-11T23:59:01Z
"{EVIL.replace('"', '""')}",2026-12-10T23:59:00Z
"""

POLICY = """\
deadline = 2026-12-10T23:59:00Z
[late_penalty]
per_day = 0.10
max = 1.0
[extensions]
alice = 2026-12-12T23:59:00Z
"""

FEEDBACK = "# Exercise: feedback\n\n| Question | Points | Status | Feedback |\n\nRun `q.check(...)`.\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    return path


@pytest.fixture
def out(tmp_path):
    """A grader output folder, as ``python -m course_utils.grade`` leaves it, plus the inputs."""
    out = tmp_path / "grading"
    write(out / "grades.csv", GRADES)
    for student in ("alice", "bob", EVIL, "dave"):
        for exercise in ("01_convolution_1d", "04_output_sizes_and_counts"):
            write(out / "feedback" / student / f"{exercise}.md", FEEDBACK)
    write(tmp_path / "roster.csv", ROSTER)
    write(tmp_path / "times.csv", TIMES)
    write(tmp_path / "policy.toml", POLICY)
    return out


def cli(out, *extra, policy=True, roster=True, times=True):
    args = [str(out)]
    if roster:
        args += ["--roster", str(out.parent / "roster.csv")]
    if policy:
        args += ["--policy", str(out.parent / "policy.toml")]
    if times:
        args += ["--submitted", str(out.parent / "times.csv")]
    return main(args + list(extra))


def read_csv(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


# --------------------------------------------------------------------------------------
# Golden files
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("written, golden", [
    ("canvas_gradebook.csv", "canvas_gradebook.csv"),
    ("moodle_grades.csv", "moodle_grades.csv"),
    ("gradebook_final.csv", "gradebook_final.csv"),
    ("unmatched.csv", "unmatched.csv"),
    ("gradescope/bob/results.json", "gradescope_bob_results.json"),
    (f"gradescope/{EVIL}/results.json", "gradescope_evil_results.json"),
])
def test_exports_match_golden_files_byte_for_byte(out, written, golden):
    assert cli(out, "--export", "canvas", "--export", "moodle", "--export", "gradescope",
               "--canvas-assignment", "01_convolution_1d=5501") == 0
    assert (out / written).read_bytes() == (GOLDEN / golden).read_bytes()


def test_gradescope_results_follow_the_spec(out):
    assert cli(out, "--export", "gradescope", "--gradescope-visibility", "after_due_date", roster=False) == 0
    results = json.loads((out / "gradescope" / "bob" / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == 4.0          # 5 raw points, 1 day + 1 s late: 20% lost
    assert results["extra_data"] == {"raw_score": 5.0}
    assert {t["visibility"] for t in results["tests"]} == {"after_due_date"}
    for test in results["tests"]:
        assert set(test) == {"name", "score", "max_score", "status", "output", "visibility"}
        assert test["status"] in ("passed", "failed")
    assert sorted(p.name for p in (out / "gradescope").iterdir()) == sorted(["alice", "bob", "dave", EVIL])


# --------------------------------------------------------------------------------------
# Roster
# --------------------------------------------------------------------------------------


def test_unknown_and_missing_students_are_reported_not_dropped(out, capsys):
    assert cli(out, "--export", "canvas") == 0
    err = capsys.readouterr().err
    assert "warning: no roster entry (1): dave" in err
    assert "warning: in the roster, no grades (1): erin" in err
    assert "warning: no submission time (2): dave/01_convolution_1d, dave/04_output_sizes_and_counts" in err
    assert len(err.strip().splitlines()) == 3
    unmatched = read_csv(out / "unmatched.csv")
    assert unmatched[0] == ["student", "problem", "exercise", "final_points"]
    assert ["dave", "no roster entry", "", "3"] in unmatched
    assert ["erin", "in the roster, no grades", "", ""] in unmatched
    canvas = read_csv(out / "canvas_gradebook.csv")
    assert [row[1] for row in canvas[2:]] == ["101", "102", "103", "104"]   # erin kept, with no score
    assert canvas[-1][5:] == ["", ""]


def test_times_of_unknown_students_are_reported(out, capsys):
    write(out.parent / "times.csv", TIMES + "zoe,2026-12-10T10:00:00Z\n")
    assert cli(out, roster=False) == 0
    assert "warning: a submission time but no grades (1): zoe" in capsys.readouterr().err
    assert ["zoe", "a submission time but no grades", "", ""] in read_csv(out / "unmatched.csv")


def test_moodle_reports_roster_entries_without_an_identifier(out, capsys):
    roster = ROSTER.replace("104,S004,erin,Sec B,", "104,,erin,Sec B,")
    write(out.parent / "roster.csv", roster)
    assert cli(out, "--export", "moodle") == 0
    assert "no Moodle identifier (sis_user_id or email) in the roster (1): erin" in capsys.readouterr().err


def test_unmatched_csv_goes_when_everything_matches(out, capsys):
    write(out / "grades.csv", "\n".join(l for l in GRADES.splitlines() if not l.startswith("dave")) + "\n")
    write(out.parent / "roster.csv", ROSTER.replace('erin,"Erin\rNewline",104,S004,erin,Sec B,\r\n', ""))
    write(out / "unmatched.csv", "stale\n")
    assert cli(out, "--export", "canvas") == 0
    assert not (out / "unmatched.csv").exists()
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("roster, expected", [
    ("student,name,canvas\nalice,A,1\n", "unknown column canvas (allowed: student, name, lms_id"),
    ("name,lms_id\nA,1\n", "the header lacks the column(s) student"),
    ("student,lms_id\nalice,101\nbob\n", "roster.csv line 3: 1 fields, the header has 2"),
    ("student,lms_id\nalice,101\nalice,102\n", "roster.csv line 3: alice is listed twice"),
    ("student,lms_id\n ,101\n", "roster.csv line 2: the student (folder name) is empty"),
    ("student,lms_id\n\"alice,101\n", "not valid CSV"),
    ("", "empty"),
])
def test_malformed_roster_is_one_line_and_writes_nothing(out, capsys, roster, expected):
    write(out.parent / "roster.csv", roster)
    assert cli(out, "--export", "canvas") == 2
    err = capsys.readouterr().err
    assert expected in err and err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not (out / "gradebook_final.csv").exists()


# --------------------------------------------------------------------------------------
# Formula injection
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, cell", [
    (EVIL, "'" + EVIL), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "' x"), ("\rx", "' x"),
    ("Erin\rNewline", "Erin Newline"), ("a\r\nb\nc", "a b c"), ("\n=1", "'=1"), (" =1", "'=1"), ("plain", "plain"),
    ("", ""),
])
def test_csv_cells_are_never_formulas(value, cell):
    assert csv_cell(value) == cell


def test_no_written_csv_cell_can_be_a_formula(out):
    assert cli(out, "--export", "canvas", "--export", "moodle") == 0
    for name in ("canvas_gradebook.csv", "moodle_grades.csv", "gradebook_final.csv", "unmatched.csv"):
        raw = (out / name).read_bytes()
        assert b"\r" not in raw, name
        for row in read_csv(out / name):
            for value in row:
                assert not value.startswith(("=", "+", "-", "@", "\t")), (name, value)
                assert "\n" not in value, (name, value)
    canvas = read_csv(out / "canvas_gradebook.csv")
    assert ["'+1", "103", "S003", "'-mallory", "Sec B"] == canvas[4][:5]
    assert canvas[3][0] == "'@x" and canvas[5][0] == "Erin Newline"


# --------------------------------------------------------------------------------------
# Deadlines in the gradebook and the feedback
# --------------------------------------------------------------------------------------


def feedback_of(out, student="bob", exercise="01_convolution_1d"):
    return (out / "feedback" / student / f"{exercise}.md").read_text(encoding="utf-8")


def test_feedback_line_is_appended_once_and_replaced(out):
    assert cli(out) == 0
    first = feedback_of(out)
    assert first == FEEDBACK + ("\n**Late:** submitted 2026-12-11T23:59:01Z, 1 d 1 min after the deadline "
                                "(2026-12-10T23:59:00Z): 20% of the points lost, 5 → 4 points. "
                                f"{FEEDBACK_MARK}\n")
    assert cli(out) == 0
    assert feedback_of(out) == first                       # idempotent
    assert "**On time:** submitted 2026-12-11T10:00:00Z, deadline 2026-12-12T23:59:00Z." in feedback_of(out, "alice")
    assert "**On time:**" in feedback_of(out, EVIL)
    assert "No submission time was recorded" in feedback_of(out, "dave")
    assert FEEDBACK_MARK not in feedback_of(out, "bob", "04_output_sizes_and_counts")   # nothing submitted


def test_changing_the_deadline_recomputes_the_penalty(out):
    assert cli(out) == 0
    write(out.parent / "policy.toml", POLICY.replace("2026-12-10T23:59:00Z", "2026-12-08T23:59:00Z"))
    assert cli(out) == 0
    text = feedback_of(out)
    assert text.count(FEEDBACK_MARK) == 1
    assert "3 d 1 min after the deadline (2026-12-08T23:59:00Z): 40% of the points lost, 5 → 3 points." in text
    rows = {(r[0], r[1]): r for r in read_csv(out / "gradebook_final.csv")}
    assert rows[("bob", "01_convolution_1d")][5:] == ["2026-12-08T23:59:00Z", "3 d 1 min", "0.4", "3"]
    assert rows[("'" + EVIL, "01_convolution_1d")][5:]   # the key as written: neutralised == ["2026-12-08T23:59:00Z", "2 d", "0.2", "2.4"]
    assert cli(out, policy=False, times=False) == 0          # no policy: the lines go, the points are raw
    assert feedback_of(out) == FEEDBACK
    rows = {(r[0], r[1]): r for r in read_csv(out / "gradebook_final.csv")}
    assert rows[("bob", "01_convolution_1d")][2:] == ["5", "5", "", "", "", "0", "5"]


def test_file_times_from_the_submissions_folder(out, tmp_path, capsys):
    submissions = tmp_path / "submissions"
    for student, when in [("alice", "2026-12-13T00:00:00Z"), ("bob", "2026-12-10T12:00:00Z")]:
        notebook = write(submissions / student / "01_convolution_1d.ipynb", "{}")
        stamp = datetime.fromisoformat(when).timestamp()
        os.utime(notebook, (stamp, stamp))
    assert main([str(out), "--policy", str(tmp_path / "policy.toml"), "--submissions", str(submissions)]) == 0
    rows = {(r[0], r[1]): r for r in read_csv(out / "gradebook_final.csv")}
    assert rows[("alice", "01_convolution_1d")][4:] == ["2026-12-13T00:00:00Z", "2026-12-12T23:59:00Z", "1 min",
                                                         "0.1", "3.15"]
    assert rows[("bob", "01_convolution_1d")][6:] == ["0 min", "0", "5"]
    assert "no submission time" in capsys.readouterr().err   # the others have no notebook file


def test_run_returns_the_summary(out):
    summary = gradebook.run(out, policy_path=out.parent / "policy.toml", times_path=out.parent / "times.csv")
    assert summary.lines[1] == "deadline 2026-12-10T23:59:00Z: 1 late submission(s), 1 penalised; 7 feedback file(s) updated"


# --------------------------------------------------------------------------------------
# The command's errors and exit codes
# --------------------------------------------------------------------------------------


def error_of(capsys):
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_exit_code_0_without_any_option(out, capsys):
    assert main([str(out)]) == 0
    assert capsys.readouterr().out.startswith("wrote ")


@pytest.mark.parametrize("args, expected", [
    (["--export", "canvas"], "--export canvas needs --roster"),
    (["--policy", "P"], "--policy needs the submission times"),
    (["--submitted", "T"], "--submitted/--submissions need --policy"),
    (["--canvas-assignment", "01_convolution_1d=abc"], "expected EXERCISE=ID with a numeric id"),
    (["--canvas-assignment", "99_nope=1"], "99_nope is not an exercise in grades.csv"),
])
def test_bad_options_exit_2(out, capsys, args, expected):
    args = [a.replace("P", str(out.parent / "policy.toml")).replace("T", str(out.parent / "times.csv"))
            if a in ("P", "T") else a for a in args]
    assert main([str(out)] + args) == 2
    assert expected in error_of(capsys)


def test_bad_policy_and_times_exit_2(out, capsys):
    write(out.parent / "policy.toml", "deadline = 2026-12-10T23:59:00\n")
    assert cli(out) == 2
    assert "deadline has no time zone" in error_of(capsys)
    write(out.parent / "policy.toml", POLICY)
    write(out.parent / "times.csv", "student,submitted_at\nbob,soon\n")
    assert cli(out) == 2
    assert "times.csv line 2: submitted_at 'soon' is not an ISO 8601" in error_of(capsys)
    assert not (out / "gradebook_final.csv").exists()


@pytest.mark.parametrize("grades, expected", [
    (None, "grades.csv: no such file (run python -m course_utils.grade first)"),
    ("student,exercise,points\n", "the header lacks the column(s) question, max_points, status, message"),
    (GRADES.splitlines()[0] + "\nbob,01_x,q1,two,2,FAIL,x\n", "grades.csv line 2: points two is not a number"),
    (GRADES.splitlines()[0] + "\nbob,01_x,q1,-1,2,FAIL,x\n", "grades.csv line 2: points -1 must be a number >= 0"),
    (GRADES.splitlines()[0] + "\n../x,01_x,q1,1,2,FAIL,x\n", "student ../x is not a submission folder name"),
    (GRADES.splitlines()[0] + "\n", "no grades in it"),
])
def test_bad_grades_csv_exits_2(out, capsys, grades, expected):
    if grades is None:
        (out / "grades.csv").unlink()
    else:
        write(out / "grades.csv", grades)
    assert main([str(out)]) == 2
    assert expected in error_of(capsys)


def test_unknown_export_is_an_argparse_error(out, capsys):
    with pytest.raises(SystemExit) as info:
        main([str(out), "--export", "blackboard"])
    assert info.value.code == 2
    assert "invalid choice: 'blackboard'" in capsys.readouterr().err
