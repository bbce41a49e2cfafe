"""Grading on a Dask cluster (loopback only): the same grades, byte for byte, as a serial run,
even when a worker dies in the middle of a task; one-line errors for a bad ``--cluster``."""
import csv
import os
import socket
import sys
import threading
import time

import pytest

from course_utils.grading import cli, cluster, records, sandbox
from course_utils.grading.submission import Submission
from course_utils.grading.synthetic import make_class

STUDENTS = 6            # 6 students x 2 NumPy exercises: 12 submissions (2 missing, 1 broken)
TIMEOUT = "4"
needs_cluster = pytest.mark.usefixtures("isolation", "dask_installed")


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    base = tmp_path_factory.mktemp("cluster-class")
    subs, out = base / "submissions", base / "serial"
    expected = make_class(subs, STUDENTS, adversarial=False)
    assert cli.main([str(subs), "--out", str(out), "--jobs", "1", "--timeout", TIMEOUT, "--quiet"]) == 0
    return {"subs": subs, "base": base, "expected": expected,
            "grades": (out / "grades.csv").read_bytes(), "gradebook": (out / "gradebook.csv").read_bytes()}


def rows(out):
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def kill_first_busy_worker(client, note, stop: threading.Event):
    """Poll the workers; the first one found running a task writes that task's key to ``note``
    and dies on the spot (``os._exit``), as a machine that crashes would."""
    def exit_if_busy(path, dask_worker=None):
        busy = [str(ts.key) for ts in dask_worker.state.executing]
        if busy:
            with open(path, "w", encoding="utf-8") as f:
                f.write(busy[0])
            os._exit(1)
        return None

    while not stop.is_set() and not note.exists():
        for address in list(client.scheduler_info()["workers"]):
            client.run(exit_if_busy, str(note), workers=[address], on_error="ignore")
            if note.exists():
                return
        time.sleep(0.02)


@needs_cluster
def test_a_worker_killed_mid_task_loses_and_doubles_nothing(serial, tmp_path):
    out, note = tmp_path / "out", tmp_path / "killed-task.txt"
    client = cluster.connect(cluster.usable_cluster("local:2"))
    try:
        address = client.scheduler.address
        assert address.startswith("tcp://127.0.0.1:")
        stop = threading.Event()
        killer = threading.Thread(target=kill_first_busy_worker, args=(client, note, stop), daemon=True)
        killer.start()
        try:
            summary = cli.grade_class(serial["subs"], out, cluster=address, timeout=float(TIMEOUT), progress=False)
        finally:
            stop.set()
            killer.join(10)
        assert note.read_text(encoding="utf-8").startswith("grade-"), "no worker died in the middle of a task"
        assert summary["submissions"] == 2 * STUDENTS and summary["reused"] == 0
        assert (out / "grades.csv").read_bytes() == serial["grades"]
        assert (out / "gradebook.csv").read_bytes() == serial["gradebook"]
        graded = rows(out)
        assert len(graded) == len(serial["expected"]) == STUDENTS * (6 + 8)
        assert {(r["student"], r["exercise"], r["question"]) for r in graded} == set(serial["expected"])
        assert len(list((out / "results").rglob("*.json"))) == 2 * STUDENTS
        assert not list(out.rglob("*.tmp")), "temporary files must be renamed into place"
        # the same command again: every record is reused, nothing changes
        again = cli.grade_class(serial["subs"], out, cluster=address, timeout=float(TIMEOUT), progress=False)
        assert again["reused"] == 2 * STUDENTS
        assert (out / "grades.csv").read_bytes() == serial["grades"]
    finally:
        client.close()


class ResetShellMain:
    """What ``sys.modules["__main__"]`` is in an IPython shell after ``reset()``: no ``__spec__``."""

    __name__ = "__main__"


@needs_cluster
def test_the_cli_starts_a_local_cluster(serial, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "__main__", ResetShellMain())   # an instructor's IPython session
    out = tmp_path / "out"
    code = cli.main([str(serial["subs"]), "--out", str(out), "--cluster", "local:2", "--timeout", TIMEOUT, "--quiet"])
    assert code == 0
    assert (out / "grades.csv").read_bytes() == serial["grades"]
    assert f"of {STUDENTS} students in" in capsys.readouterr().out.splitlines()[0]


def test_task_keys_are_deterministic():
    limits = sandbox.Limits(timeout_s=4)

    def task(student, content):
        return cli.GradingTask(student, "01_convolution_1d", Submission(content), limits, [])

    key = cluster.task_key(task("ann", b"{}"), "f" * 64)
    assert key == cluster.task_key(task("ann", b"{}"), "f" * 64)
    assert key.startswith("grade-01_convolution_1d-") and len(key) == len("grade-01_convolution_1d-") + 32
    assert key != cluster.task_key(task("bob", b"{}"), "f" * 64)
    assert key != cluster.task_key(task("ann", b"{}"), "e" * 64)


@pytest.mark.parametrize("spec", ["foo", "local:0", "local:x", "tcp://host", "http://host:8786", "tcp://h:99999"])
def test_a_bad_cluster_is_a_one_line_error(spec, tmp_path):
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    with pytest.raises(SystemExit) as stop:
        cli.main([str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--cluster", spec])
    message = str(stop.value)
    assert message == f"--cluster {spec!r}: expected {cluster.FORMS}"
    assert "\n" not in message and not (tmp_path / "out").exists(), "nothing must happen before the check"


@needs_cluster
def test_an_unreachable_scheduler_is_a_one_line_error_after_a_short_wait(tmp_path, monkeypatch):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1.0)
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    start = time.perf_counter()
    with pytest.raises(SystemExit) as stop:
        cli.grade_class(tmp_path / "subs", tmp_path / "out", cluster=f"tcp://127.0.0.1:{port}", progress=False)
    assert time.perf_counter() - start < 20
    message = str(stop.value)
    assert message.startswith(f"cannot reach a Dask scheduler at tcp://127.0.0.1:{port} within 1 s (")
    assert "\n" not in message


def test_without_dask_the_cluster_option_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)   # import distributed now raises ImportError
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    with pytest.raises(SystemExit) as stop:
        cli.grade_class(tmp_path / "subs", tmp_path / "out", cluster="local:2", progress=False, isolate=False)
    message = str(stop.value)
    assert message.startswith("--cluster needs Dask (distributed), which is not installed here (")
    assert message.endswith(cluster.INSTALL) and "\n" not in message


def test_a_worker_with_other_code_or_a_bad_record_stops_the_run():
    from course_utils.exercises import all_exercises

    exercise = all_exercises()["01_convolution_1d"]
    record = records.crashed_record("ann", exercise, RuntimeError("x"))
    outcome = {"worker": "w1", "code": "abc", "record": record, "error": None}
    assert cluster.checked(outcome, "abc", exercise) == {"record": record, "error": None}
    with pytest.raises(SystemExit, match="^worker w1 runs other grading code or library versions than this machine"):
        cluster.checked(outcome, "def", exercise)
    inflated = dict(record, rows=[dict(r, points=r["max_points"] + 1) for r in record["rows"]])
    with pytest.raises(SystemExit, match="^worker w1 returned a malformed record for 01_convolution_1d$"):
        cluster.checked(dict(outcome, record=inflated), "abc", exercise)
    with pytest.raises(SystemExit, match="^worker w1 returned a malformed record"):
        cluster.checked(dict(outcome, record=dict(record, rows=record["rows"][:-1])), "abc", exercise)
