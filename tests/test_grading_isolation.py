"""The grader against attacks on the isolation itself, graded with the audit hook OFF.

One class of attackers (and three honest students, graded first, in the middle and last)
is graded once under bubblewrap with ``COURSE_GRADING_AUDIT_HOOK=0`` in the parent: the
second layer is gone and only the operating system's isolation stands. Most attacks
are *oracles*: the attacker's ``ex01.q1`` cell computes the right answer only if the
attack worked, so an attack that worked would show as PASS. Every test also checks
that the honest students kept full marks.
"""
import csv
import hashlib
import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest

from course_utils.checks.protocol import Probe
from course_utils.grading import cli, records, sandbox
from test_grading_adversarial import notebook  # the solution notebook with some graded cells replaced
from course_utils.grading.synthetic import graded_sources

pytestmark = pytest.mark.usefixtures("isolation")   # grading needs bubblewrap (see conftest.py)

ROOT = Path(__file__).resolve().parent.parent
EX = "01_convolution_1d"
SOLUTION_NB = ROOT / "exercises" / "solutions" / f"{EX}.ipynb"
SOL = graded_sources(EX)
Q1_OK = SOL["ex01.q1"]["solution"]
QIDS = ("ex01.q1", "ex01.q2", "ex01.q3", "ex01.q4", "ex01.p1")
SECRET = "s3cret-grading-key-7781"
HONEST = ("aaa_honest", "mmm_honest", "zzz_honest")
BAD_NAME = os.fsdecode(b"bad\xffname\n")


def oracle(attack: str) -> str:
    """A q1 cell that answers right only if ``attack`` set ``won = True``."""
    return ("won = False\ntry:\n" + textwrap.indent(textwrap.dedent(attack), "    ")
            + "\nexcept BaseException as exc:\n    print('attack failed:', exc)\nif won:\n"
            + textwrap.indent(Q1_OK, "    ") + "\nelse:\n    y = None\n")


def reached_host(attack: str) -> str:
    """A write attack wins only if it also sees the host (the test's folders live under /tmp,
    and the child's own /tmp, inside its scratch, is writable: a write there is no escape)."""
    return attack.replace("won = True", f"import os\nwon = os.path.exists({str(SOLUTION_NB)!r})")


def attacks(base: Path) -> dict:
    subs, out, victim = base / "subs", base / "out", base / "victim"
    peer = subs / "aaa_honest" / f"{EX}.ipynb"
    writer_ans = "'ANSWER:' + repr(list(map(float, __import__('numpy').convolve(x, h))))"
    return {
        # --- files: the solutions, the reference code, other students, OUT, the key -----------------
        "file_read_solution": oracle(f"won = 'BEGIN SOLUTION' in open({str(SOLUTION_NB)!r}).read()"),
        "file_list_solutions": oracle(f"import os\nwon = len(os.listdir({str(SOLUTION_NB.parent)!r})) > 0"),
        "file_read_peer": oracle(f"won = 'cells' in open({str(peer)!r}).read()"),
        "file_read_reference": oracle(f"won = 'def ' in open({str(ROOT / 'course_utils' / 'conv.py')!r}).read()"),
        "file_import_reference": oracle(f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
                                        "import course_utils.conv\nwon = True"),
        "file_list_out": oracle(f"import os\nos.listdir({str(out)!r})\nwon = True"),
        "file_read_key": oracle(f"won = len(open({str(out / records.KEY_FILE)!r}).read()) == 64"),
        "file_symlink_escape": oracle(f"import os\nos.symlink({str(SOLUTION_NB)!r}, 'link')\n"
                                      "won = 'BEGIN SOLUTION' in open('link').read()"),
        "file_hardlink": oracle(f"import os\nos.link({str(SOLUTION_NB)!r}, 'hard')\nwon = True"),
        "file_etc_passwd": oracle("won = 'root' in open('/etc/passwd').read()"),
        # --- /proc of the grader: the secret, its cwd, its descriptors ----------------------------
        "proc_environ_scan": oracle(f"import os\nfor p in os.listdir('/proc'):\n"
                                    f"    try:\n        won |= {SECRET!r}.encode() in open(f'/proc/{{p}}/environ', 'rb').read()\n"
                                    "    except OSError:\n        pass"),
        "proc_parent_cwd": oracle("import os\nfor p in os.listdir('/proc'):\n    try:\n"
                                  "        won |= 'exercises' in os.listdir(f'/proc/{p}/cwd') or 'subs' in os.listdir(f'/proc/{p}/cwd')\n"
                                  "    except OSError:\n        pass"),
        "proc_fd_scan": oracle(f"import os\nfor p in os.listdir('/proc'):\n    try:\n"
                               f"        for fd in os.listdir(f'/proc/{{p}}/fd'):\n"
                               f"            won |= {str(base)!r} in os.readlink(f'/proc/{{p}}/fd/{{fd}}')\n"
                               "    except OSError:\n        pass"),
        # --- writing outside: victims, other submissions, OUT's records ---------------------------
        "write_victim": oracle(reached_host(f"open({str(victim / 'keep.txt')!r}, 'w').write('pwned')\nwon = True")),
        "write_peer_notebook": oracle(reached_host(f"open({str(peer)!r}, 'w').write('{{}}')\nwon = True")),
        "write_forged_record": oracle(reached_host(f"import os\nos.makedirs({str(out / 'results' / 'zzz_honest')!r}, exist_ok=True)\n"
                                      f"open({str(out / 'results' / 'zzz_honest' / (EX + '.json'))!r}, 'w').write('{{}}')\n"
                                      "won = True")),
        "write_next_to_out": oracle(reached_host(f"open({str(base / 'pwned.txt')!r}, 'w').write('x')\nwon = True")),
        "write_chmod_victim": oracle(reached_host(f"import os\nos.chmod({str(victim)!r}, 0o777)\nwon = True")),
        "write_sqlite_attach": oracle(reached_host(f"import sqlite3\nc = sqlite3.connect(':memory:')\n"
                                      f"c.execute(\"ATTACH DATABASE '{victim / 'pwn.db'}' AS p\")\n"
                                      "c.execute('CREATE TABLE p.t (x)')\nc.commit()\nwon = True")),
        "write_scratch_parent": oracle("import os\nopen(os.path.join(os.path.dirname(os.getcwd()), 'pwned'), 'w')"
                                       ".write('x')\nwon = os.path.dirname(os.getcwd()) != '/'"),
        # --- collusion: a writer leaves answers, readers graded later look for them ---------------
        "a_collude_writer": oracle("import os, socket, threading, time\nans = " + writer_ans + "\n"
                                   "for d in ('/dev/shm', '/tmp', '/var/tmp', os.path.expanduser('~'), "
                                   "os.path.dirname(os.getcwd()), '/run'):\n"
                                   "    try:\n        open(os.path.join(d, 'answers.txt'), 'w').write(ans)\n"
                                   "    except OSError:\n        pass\n"
                                   "def serve(sock):\n    sock.listen(5)\n    while True:\n"
                                   "        conn, _ = sock.accept()\n        conn.sendall(ans.encode())\n        conn.close()\n"
                                   "for family, address in ((socket.AF_UNIX, '\\0course-answers'), (socket.AF_INET, ('127.0.0.1', 47113))):\n"
                                   "    s = socket.socket(family)\n    s.bind(address)\n"
                                   "    threading.Thread(target=serve, args=(s,), daemon=True).start()\n"
                                   "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                                   "for i in range(30):\n    try:\n        u.sendto(ans.encode(), ('127.0.0.1', 47114))\n"
                                   "    except OSError:\n        pass\n    time.sleep(0.1)\nwon = True"),
        **{f"collude_read_{where}": oracle(f"won = open({path!r}).read().startswith('ANSWER:')")
           for where, path in (("shm", "/dev/shm/answers.txt"), ("tmp", "/tmp/answers.txt"),
                               ("var_tmp", "/var/tmp/answers.txt"), ("run", "/run/answers.txt"))},
        "collude_read_home": oracle("import os\nwon = open(os.path.expanduser('~/answers.txt')).read() != ''\n"
                                    "won = won and False  # home is this run's own scratch: must not hold the writer's file\n"
                                    "import glob\nwon = any('ANSWER' in open(f).read() for f in glob.glob('/*/answers.txt'))"),
        "collude_read_parent": oracle("import os, glob\nwon = any('ANSWER' in open(f).read() for f in "
                                      "glob.glob(os.path.join(os.path.dirname(os.path.dirname(os.getcwd())), '*', 'answers.txt')))"),
        "collude_abstract_socket": oracle("import socket\ns = socket.socket(socket.AF_UNIX)\n"
                                          "s.connect('\\0course-answers')\nwon = s.recv(100).startswith(b'ANSWER')"),
        "collude_tcp_loopback": oracle("import socket\ns = socket.create_connection(('127.0.0.1', 47113), timeout=2)\n"
                                       "won = s.recv(100).startswith(b'ANSWER')"),
        "collude_udp_loopback": oracle("import socket\nu = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                                       "u.bind(('127.0.0.1', 47114))\nu.settimeout(3)\nwon = u.recv(100).startswith(b'ANSWER')"),
        "net_external": oracle("import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=2)\nwon = True"),
        # --- processes and signals ------------------------------------------------------------------
        "proc_kill_parent": oracle("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
                                   "won = os.getppid() > 1"),
        "proc_kill_scan": oracle("import os, signal\nn = 0\nfor pid in range(2, 5000):\n"
                                 "    if pid != os.getpid():\n        try:\n            os.kill(pid, signal.SIGKILL)\n"
                                 "            n += 1\n        except OSError:\n            pass\nwon = n > 0"),
        "proc_pidfd_signal": oracle("import os, signal\nn = 0\nfor pid in range(1, 3000):\n    try:\n"
                                    "        fd = os.pidfd_open(pid)\n        signal.pidfd_send_signal(fd, signal.SIGKILL)\n"
                                    "        n += pid != os.getpid() and pid != 1\n    except OSError:\n        pass\nwon = n > 0"),
        "proc_fork_bomb": oracle("import os\nwhile True:\n    if os.fork() == 0:\n        won = True"),
        "proc_double_fork_daemon": oracle(f"import os, time\nif os.fork() == 0:\n    if os.fork() == 0:\n"
                                          f"        time.sleep(20)\n        open({str(victim / 'daemon.txt')!r}, 'w').write('x')\n"
                                          "    os._exit(0)\nwon = True"),
        "proc_300_processes": oracle("import subprocess\nps = [subprocess.Popen(['sleep', '30']) for _ in range(300)]\n"
                                     "won = True"),
        "proc_shell": oracle("import os\nwon = os.system('true') == 0"),
        # --- resources --------------------------------------------------------------------------------
        "res_fill_scratch": oracle("total = 0\nfor i in range(40):\n    with open(f'big{i}', 'wb') as f:\n"
                                   "        for _ in range(30):\n            f.write(b'0' * 2**20)\n            total += 2**20\n"
                                   "won = total > 600 * 2**20"),
        "res_fill_shm": oracle("total = 0\nwith open('/dev/shm/big', 'wb') as f:\n    for _ in range(200):\n"
                               "        f.write(b'0' * 2**20)\n        total += 2**20\nwon = total > 100 * 2**20"),
        "res_memory": "y = bytearray(8 * 2**30)",
        "res_cpu_loop": "while True:\n    pass",
        "res_huge_message": "raise ValueError('=A' * 500_000)",
        # --- forged results on the results pipe ---------------------------------------------------------
        "forge_huge_frame": "import os\nos.write(int(__import__('sys').argv[2]), b'%d\\n' % (31 * 2**20))\nchunk = b' ' * 2**20\n"
                            "for _ in range(31):\n    os.write(int(__import__('sys').argv[2]), chunk)\ny = None",
        "forge_bad_schema": "import os, json\nd = json.dumps({'done': {'ex01.q1': {'outcome': 'ok', 'line': 10**30}}, "
                            "'finished': True, 'evil': 1}).encode()\nos.write(int(__import__('sys').argv[2]), b'%d\\n' % len(d) + d)\nos._exit(0)",
        "forge_big_int": "import os, json\nd = json.dumps({'done': {q: {'outcome': 'ok', 'values': "
                         "{'y': {'type': 'int', 'value': 10**40}}} for q in ('ex01.q1', 'ex01.q2', 'ex01.q3')}, "
                         "'finished': True}).encode()\nos.write(int(__import__('sys').argv[2]), b'%d\\n' % len(d) + d)\nos._exit(0)",
        "forge_garbage": "import os\nos.write(int(__import__('sys').argv[2]), b'garbage\\n' * 1000)\ny = None",
        "forge_close_pipe": "import os\nos.close(int(__import__('sys').argv[2]))\ny = None",
        # --- exits from a student's function ------------------------------------------------------------
        "exit_in_function": None,   # built below: q3 raises SystemExit, the rest is right
        "interrupt_in_function": None,
        # --- output injection -----------------------------------------------------------------------------
        "out_html_message": "raise ValueError('<script>alert(1)</script> [click](http://evil) | **bold**')",
        "out_cr_message": "raise ValueError('first\\rsecond\\nthird\\r\\nfourth')",
    }


def nb_with_function_exit(kind: str) -> str:
    return notebook({"ex01.q3": f"def conv1d_full(x, h):\n    raise {kind}"})


def write_special(subs: Path, base: Path) -> dict:
    """Submissions that attack the parent through the file system; returns the student names."""
    special = {}
    def folder(name):
        path = subs / name
        path.mkdir(parents=True)
        return path / f"{EX}.ipynb"
    os.symlink("/proc/self/mem", folder("nb_symlink_proc_mem"))
    os.symlink(SOLUTION_NB, folder("nb_symlink_solution"))
    os.symlink(subs / "aaa_honest", subs / "nb_symlink_folder")
    os.mkfifo(folder("nb_fifo"))
    folder("nb_minor_true").write_text(json.dumps({**json.loads(notebook()), "nbformat_minor": True}))
    folder("nb_huge_int").write_text(notebook().replace('"metadata": {', '"metadata": {"n": ' + "9" * 5000 + ", ", 1))
    for name in ("=HYPERLINK(\"evil\")", "+cmd", "-2+3", "@SUM(A1)", BAD_NAME):
        folder(name).write_text(notebook())
    return special


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("isolation")
    subs, out, victim = base / "subs", base / "out", base / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious", encoding="utf-8")
    for student in HONEST:
        (subs / student).mkdir(parents=True)
        (subs / student / f"{EX}.ipynb").write_text(notebook(), encoding="utf-8")
    for student, q1 in attacks(base).items():
        (subs / student).mkdir(parents=True)
        text = (nb_with_function_exit({"exit_in_function": "SystemExit(3)", "interrupt_in_function": "KeyboardInterrupt"}
                                      [student]) if q1 is None else notebook({"ex01.q1": q1}))
        (subs / student / f"{EX}.ipynb").write_text(text, encoding="utf-8")
    write_special(subs, base)
    peer_hash = hashlib.sha256((subs / "aaa_honest" / f"{EX}.ipynb").read_bytes()).hexdigest()
    mp = pytest.MonkeyPatch()
    mp.setenv(sandbox.HOOK_SWITCH, "0")
    mp.setenv("COURSE_GRADING_SECRET", SECRET)
    try:
        summary = cli.grade_class(subs, out, jobs=2, timeout=4, progress=False)
    finally:
        mp.undo()
    raw = (out / "grades.csv").read_bytes()
    rows = {}
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows[(row["student"], row["question"])] = row
    return {"rows": rows, "raw": raw, "out": out, "subs": subs, "victim": victim, "base": base,
            "summary": summary, "peer_hash": peer_hash}


def status(graded, student, qid="ex01.q1"):
    return graded["rows"][(student, qid)]["status"]


def message(graded, student, qid="ex01.q1"):
    return graded["rows"][(student, qid)]["message"]


def honest_intact(graded):
    for student in HONEST:
        for qid in QIDS:
            assert status(graded, student, qid) == "PASS", (student, qid, message(graded, student, qid))


def assert_stopped(graded, *students):
    for student in students:
        assert status(graded, student) != "PASS", (student, message(graded, student))
        # the rest of the attacker's notebook is right and still graded
        assert status(graded, student, "ex01.q2") == "PASS", (student, message(graded, student, "ex01.q2"))
    honest_intact(graded)


def test_every_student_and_question_has_a_row(graded):
    students = {s for s, _ in graded["rows"]}
    assert len(students) == graded["summary"]["students"] == len(attacks(graded["base"])) + len(HONEST) + 11
    for student in students:
        for qid in QIDS:
            assert (student, qid) in graded["rows"]
    honest_intact(graded)


@pytest.mark.parametrize("student", ["file_read_solution", "file_list_solutions", "file_read_peer",
                                     "file_read_reference", "file_import_reference", "file_list_out", "file_read_key",
                                     "file_symlink_escape", "file_hardlink", "file_etc_passwd"])
def test_files_outside_the_python_installation_are_invisible(graded, student):
    assert_stopped(graded, student)


@pytest.mark.parametrize("student", ["proc_environ_scan", "proc_parent_cwd", "proc_fd_scan"])
def test_the_graders_proc_is_out_of_reach(graded, student):
    assert_stopped(graded, student)
    assert SECRET not in graded["raw"].decode("utf-8")


@pytest.mark.parametrize("student", ["write_victim", "write_peer_notebook", "write_forged_record", "write_next_to_out",
                                     "write_chmod_victim", "write_sqlite_attach", "write_scratch_parent"])
def test_nothing_outside_the_scratch_changes(graded, student):
    assert_stopped(graded, student)
    victim, base = graded["victim"], graded["base"]
    assert (victim / "keep.txt").read_text(encoding="utf-8") == "precious"
    assert sorted(p.name for p in victim.iterdir()) == ["keep.txt"]
    assert (victim.stat().st_mode & 0o777) != 0o777
    assert not (base / "pwned.txt").exists() and not (base / "pwned").exists()
    peer = graded["subs"] / "aaa_honest" / f"{EX}.ipynb"
    assert hashlib.sha256(peer.read_bytes()).hexdigest() == graded["peer_hash"]


@pytest.mark.parametrize("student", ["collude_read_shm", "collude_read_tmp", "collude_read_var_tmp", "collude_read_run",
                                     "collude_read_home", "collude_read_parent", "collude_abstract_socket",
                                     "collude_tcp_loopback", "collude_udp_loopback", "net_external"])
def test_submissions_cannot_collude_or_reach_the_network(graded, student):
    assert status(graded, "a_collude_writer") == "PASS"   # the writer itself solved q1 honestly
    assert_stopped(graded, student)


@pytest.mark.parametrize("student", ["proc_kill_parent", "proc_kill_scan", "proc_pidfd_signal", "proc_fork_bomb",
                                     "proc_double_fork_daemon", "proc_300_processes", "proc_shell"])
def test_processes_and_signals_stay_inside(graded, student):
    assert_stopped(graded, student)
    assert (graded["out"] / "grades.csv").exists()


def test_no_process_outlives_the_batch(graded):
    def cmdline(pid):
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return b""

    def parent(pid):
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
        except (OSError, IndexError):
            return "0"

    ours = str(sandbox.CHILD).encode()   # this checkout's child: other checkouts on the machine may be grading now
    for pid in filter(str.isdigit, os.listdir("/proc")):
        line = cmdline(pid)
        launched_here = ours in line or (sandbox.INSIDE_CHILD.encode() in line and ours in cmdline(parent(pid)))
        assert not launched_here or str(os.getpid()).encode() in line, line[:200]
    honest_intact(graded)


@pytest.mark.parametrize("student, expected", [("res_fill_scratch", None), ("res_fill_shm", None),
                                               ("res_memory", "MEMORY"), ("res_cpu_loop", "TIMEOUT")])
def test_disk_memory_and_cpu_are_capped(graded, student, expected):
    assert_stopped(graded, student)
    if expected:
        assert status(graded, student) == expected


def test_messages_are_capped_and_neutralised(graded):
    text = message(graded, "res_huge_message")
    assert status(graded, "res_huge_message") == "ERROR"
    assert len(text) <= records.MAX_MESSAGE
    raw = graded["raw"].decode("utf-8")
    assert "\r" not in raw
    assert status(graded, "out_cr_message") == "ERROR" and "first second third fourth" in message(graded, "out_cr_message")
    honest_intact(graded)


def test_feedback_escapes_html_and_markdown(graded):
    text = (graded["out"] / "feedback" / "out_html_message" / f"{EX}.md").read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "[click](http://evil)" not in text and "\\[click\\]" in text
    honest_intact(graded)


@pytest.mark.parametrize("student", ["forge_huge_frame", "forge_bad_schema", "forge_big_int", "forge_garbage",
                                     "forge_close_pipe"])
def test_forged_results_hurt_only_the_forger(graded, student):
    for qid in ("ex01.q1",):
        assert status(graded, student, qid) in ("CRASH", "FAIL", "ERROR"), message(graded, student, qid)
    honest_intact(graded)


def test_forged_results_are_rejected_with_a_reason(graded):
    for student in ("forge_bad_schema", "forge_big_int", "forge_huge_frame", "forge_garbage"):
        assert status(graded, student) == "CRASH", student
        assert "cannot accept" in message(graded, student), message(graded, student)
        # the forger's own later answers are graded in a fresh run without the forging cell
        assert status(graded, student, "ex01.q2") == "PASS", student
    assert "results: unexpected key(s) evil" in message(graded, "forge_bad_schema")
    assert "larger than 8 MB" in message(graded, "forge_huge_frame")
    honest_intact(graded)


@pytest.mark.parametrize("student", ["exit_in_function", "interrupt_in_function"])
def test_exit_in_a_function_costs_only_that_question(graded, student):
    assert status(graded, student, "ex01.q3") == "ERROR"
    for qid in ("ex01.q1", "ex01.q2", "ex01.q4", "ex01.p1"):
        assert status(graded, student, qid) == "PASS", (qid, message(graded, student, qid))
    honest_intact(graded)


@pytest.mark.parametrize("student, reason", [("nb_symlink_proc_mem", "symbolic link"),
                                             ("nb_symlink_solution", "symbolic link"),
                                             ("nb_symlink_folder", "symbolic link"),
                                             ("nb_fifo", "not a regular file"),
                                             ("nb_minor_true", "format"),
                                             ("nb_huge_int", "not valid JSON")])
def test_hostile_files_are_invalid_and_the_batch_goes_on(graded, student, reason):
    for qid in QIDS:
        assert status(graded, student, qid) == "INVALID", (qid, message(graded, student, qid))
    assert reason in message(graded, student)
    honest_intact(graded)


def test_formula_names_are_neutralised_in_both_csvs(graded):
    for name in ("=HYPERLINK(\"evil\")", "+cmd", "-2+3", "@SUM(A1)"):
        assert status(graded, "'" + name) == "PASS"
    with open(graded["out"] / "gradebook.csv", newline="", encoding="utf-8") as f:
        firsts = [row[0] for row in csv.reader(f)]
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in firsts)
    assert "'+cmd" in firsts
    honest_intact(graded)


def test_any_folder_name_gets_rows(graded):
    shown = records.display_name(BAD_NAME)
    assert shown == "bad\\xffname\\x0a"
    for qid in QIDS:
        assert status(graded, shown, qid) == "PASS"
    assert (graded["out"] / "feedback" / records.output_name(BAD_NAME) / f"{EX}.md").exists()
    honest_intact(graded)


def test_records_are_authenticated_and_a_forged_one_is_regraded(graded, tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    shutil.copytree(graded["subs"] / "aaa_honest", subs / "honest")
    (subs / "cheat").mkdir()
    (subs / "cheat" / f"{EX}.ipynb").write_text(notebook({"ex01.q1": "y = None"}), encoding="utf-8")
    cli.grade_class(subs, out, jobs=2, timeout=4, progress=False)
    key_file = out / records.KEY_FILE
    assert (key_file.stat().st_mode & 0o777) == 0o600
    record_file = out / "results" / "cheat" / f"{EX}.json"
    forged = json.loads(record_file.read_text())
    forged["record"]["rows"][0].update(status="PASS", points=forged["record"]["rows"][0]["max_points"])
    record_file.write_text(json.dumps(forged))
    honest_file = out / "results" / "honest" / f"{EX}.json"
    honest_file.write_text(json.dumps({"record": {"rows": []}, "mac": "0" * 64}))
    summary = cli.grade_class(subs, out, jobs=2, timeout=4, progress=False)
    assert summary["reused"] == 0
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    by = {(r["student"], r["question"]): r["status"] for r in rows}
    assert by[("cheat", "ex01.q1")] == "FAIL"
    assert all(by[("honest", q)] == "PASS" for q in QIDS)
    assert cli.grade_class(subs, out, jobs=2, timeout=4, progress=False)["reused"] == 2


def test_the_fingerprint_covers_reference_code_and_solutions(tmp_path, monkeypatch):
    from course_utils.exercises import all_exercises

    exercise = all_exercises()[EX]
    limits = sandbox.Limits(timeout_s=4)
    before = records.grader_fingerprint(exercise, limits, "", SOLUTION_NB.parent)
    solutions = tmp_path / "solutions"
    shutil.copytree(SOLUTION_NB.parent, solutions)
    assert records.grader_fingerprint(exercise, limits, "", solutions) == before
    other = solutions / "02_cross_correlation_2d.ipynb"
    other.write_text(other.read_text(encoding="utf-8") + " ", encoding="utf-8")
    assert records.grader_fingerprint(exercise, limits, "", solutions) != before
    real = Path.read_bytes
    conv = (ROOT / "course_utils" / "conv.py").resolve()
    monkeypatch.setattr(Path, "read_bytes", lambda self: real(self) + (b"#" if self.resolve() == conv else b""))
    assert records.grader_fingerprint(exercise, limits, "", SOLUTION_NB.parent) != before


def test_without_bubblewrap_the_grader_refuses_in_one_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "subs" / "ana").mkdir(parents=True)
    (tmp_path / "subs" / "ana" / f"{EX}.ipynb").write_text(notebook(), encoding="utf-8")
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    with pytest.raises(SystemExit) as stop:
        cli.main([str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--quiet"])
    text = str(stop.value)
    assert "\n" not in text and "bubblewrap" in text and "apt-get install bubblewrap" in text and "--no-isolation" in text
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_no_isolation_is_explicit_and_grades(tmp_path, monkeypatch):
    (tmp_path / "subs" / "ana").mkdir(parents=True)
    (tmp_path / "subs" / "ana" / f"{EX}.ipynb").write_text(notebook(), encoding="utf-8")
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    assert cli.main([str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--quiet", "--no-isolation"]) == 0
    rows = list(csv.DictReader((tmp_path / "out" / "grades.csv").open(encoding="utf-8")))
    from course_utils.exercises import all_exercises

    assert [r["status"] for r in rows] == ["PASS"] * len(all_exercises()[EX].questions) == ["PASS"] * 6


def test_the_sandbox_seen_from_inside(monkeypatch):
    """What a child sees and may do under bubblewrap, with the audit hook off."""
    probe = textwrap.dedent('''
        import errno, os
        def attempt(f):
            try:
                return ("ok", f())
            except OSError as exc:
                return (errno.errorcode.get(exc.errno, "?"), None)
        def fill():
            total = 0
            for i in range(20):
                with open(f"fill{i}", "wb") as f:
                    for _ in range(31):
                        f.write(b"0" * 2**20)
                        total += 2**20
            return total
        report = {
            "root": sorted(os.listdir("/")),
            "pids": sorted(p for p in os.listdir("/proc") if p.isdigit()),
            "fork": attempt(os.fork)[0],
            "write_usr": attempt(lambda: open("/usr/pwned", "w"))[0],
            "write_root": attempt(lambda: open("/pwned", "w"))[0],
            "env_secret": "COURSE_GRADING_SECRET" in open("/proc/1/environ").read(),
            "fill": attempt(fill)[0],
            "descriptors": sorted(os.listdir("/proc/self/fd")),
            "repo_visible": os.path.exists(REPO),
            "solutions_visible": os.path.exists(SOLUTIONS),
            "grader": sorted(os.listdir("/grader")),
            "checks": sorted(f for f in os.listdir("/grader/course_checks") if f.endswith(".py")),
            "modules": sorted(m.split(".")[0] for m in __import__("sys").modules if m.startswith("course")),
        }
        report = repr(report)
    ''')
    probe = f"REPO = {str(ROOT / 'course_utils')!r}\nSOLUTIONS = {str(SOLUTION_NB)!r}\n" + probe
    job = {"cells": [{"question": "t.q", "source": probe}], "probes": {"t.q": {"probe": Probe.VALUE, "names": ["report"]}},
           "args": {}}
    monkeypatch.setenv(sandbox.HOOK_SWITCH, "0")
    monkeypatch.setenv("COURSE_GRADING_SECRET", SECRET)
    run = sandbox.run_child(job, {}, sandbox.Limits(timeout_s=20, disk_mb=64))
    assert run.ended == "finished", run.detail
    import ast

    report = ast.literal_eval(run.results["done"]["t.q"]["values"]["report"]["value"])
    assert "scratch" in report["root"] and "home" not in report["root"] and "var" not in report["root"]
    assert report["repo_visible"] is False and report["solutions_visible"] is False
    # of the course only the child and the bottom layer (course_utils/checks), and those not importable by name
    assert report["grader"] == ["child.py", "course_checks"]
    assert report["checks"] == sorted(p.name for p in (ROOT / "course_utils" / "checks").glob("*.py"))
    assert report["modules"] == []
    assert report["pids"] == ["1", "2"]                 # bwrap's init and the child: nothing of the grader
    assert report["fork"] == "EPERM"                    # seccomp: no new processes, root or not
    assert report["write_usr"] == "EROFS" and report["write_root"] == "EROFS"
    assert report["env_secret"] is False
    assert report["fill"] == "ENOSPC"                   # 64 MB tmpfs: the cap is on the folder, not per file
    assert len(report["descriptors"]) == 5              # 0-2, the results pipe, listdir's own: no job/input descriptors
