"""The grader against hostile or broken submissions: every case gets the right status, the
batch finishes, nothing outside the scratch directory changes and no process is left behind.

One class of adversarial students is graded once (two jobs, short timeouts); each test
then reads its student's rows.
"""
import csv
import json
import os
import tempfile
from pathlib import Path

import pytest

from course_utils.grading import cli
from course_utils.grading.synthetic import graded_sources

pytestmark = pytest.mark.usefixtures("isolation")   # grading needs bubblewrap (see conftest.py)

ROOT = Path(__file__).resolve().parent.parent
SOLUTION_NB = ROOT / "exercises" / "solutions" / "01_convolution_1d.ipynb"
EX = "01_convolution_1d"
SOL = graded_sources(EX)
Q1_OK = SOL["ex01.q1"]["solution"]


def notebook(replace=None, transform=None, exercise=EX) -> str:
    """The solution notebook of ``exercise`` with some graded cells' sources replaced."""
    nb = json.loads((ROOT / "exercises" / "solutions" / f"{exercise}.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        qid = cell.get("metadata", {}).get("course", {}).get("question")
        if replace and qid in replace:
            cell["source"] = replace[qid]
    if transform:
        transform(nb)
    return json.dumps(nb)


def duplicate(nb):
    cells = nb["cells"]
    i = next(k for k, c in enumerate(cells) if c.get("metadata", {}).get("course", {}).get("question") == "ex01.q1")
    wrong = json.loads(json.dumps(cells[i]))
    wrong["source"] = "y = np.zeros(10)"
    wrong["id"] = "dup-first"
    cells.insert(i, wrong)                      # a wrong copy BEFORE the right one: the last (right) one wins
    j = next(k for k, c in enumerate(cells) if c.get("metadata", {}).get("course", {}).get("question") == "ex01.q2")
    late = json.loads(json.dumps(cells[j]))
    late["source"] = "n_full, n_same, n_valid = 1, 2, 3"
    late["id"] = "dup-late"
    cells.append(late)                          # a wrong copy AFTER the right one: the last (wrong) one wins


def delete_and_retype(nb):
    nb["cells"] = [c for c in nb["cells"] if c.get("metadata", {}).get("course", {}).get("question") != "ex01.q3"]
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("course", {}).get("question") == "ex01.q4":
            cell["cell_type"] = "markdown"
            cell.pop("outputs", None)
            cell.pop("execution_count", None)


def cases(victim: Path):
    sentinel, victim_dir = victim / "keep.txt", victim / "folder"
    return {
        "ok": notebook(),
        "patch_numpy": notebook({"ex01.q1": "np.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True\n"
                                            "np.testing.assert_allclose = lambda *a, **k: None\ny = np.zeros(10)"}),
        "patch_checker": notebook({"ex01.q1": "import course_utils.checks.questions as f\n"
                                              "f.compare = lambda *a, **k: (True, '', True)\ny = np.zeros(10)"}),
        "patch_probes": notebook({"ex01.q1": "import course_checks.probes as p\n"   # the child's own copy of the checks
                                             "p.to_plain = lambda v: {'type': 'int', 'value': 1}\ny = np.zeros(10)"}),
        "fake_objects": notebook({
            "ex01.q1": "class Fake:\n    shape = (10,)\n    dtype = np.float64\n    def __eq__(self, other): return True\n"
                       "    def __len__(self): return 10\ny = Fake()",
            "ex01.q2": "class F(int):\n    def __eq__(self, other): return True\nn_full, n_same, n_valid = F(1), F(2), F(3)",
            "ex01.q3": "class A(np.ndarray):\n    def __eq__(self, other): return np.ones(np.shape(other), bool)\n"
                       "def conv1d_full(x, h):\n    return np.zeros(len(x) + len(h) - 1).view(A)"}),
        "cell_loop": notebook({"ex01.q2": "while True:\n    pass"}),
        "memory": notebook({"ex01.q1": "y = np.ones(10**11)",
                            "ex01.q2": "a = []\nwhile True:\n    a.append(bytearray(50 * 2**20))"}),
        "fork_bomb": notebook({"ex01.q2": "import os\nwhile True:\n    os.fork()"}),
        "spawn": notebook({"ex01.q1": "import ctypes\nctypes.CDLL(None).fork()",
                           "ex01.q2": "import subprocess\nsubprocess.run(['sh', '-c', 'true'])",
                           "ex01.p1": "import multiprocessing as mp\np = mp.Process(target=print)\np.start()\np.join()"}),
        "os_exit": notebook({"ex01.q2": "import os\nos._exit(0)"}),
        "sys_exit": notebook({"ex01.q1": "import sys\nsys.exit()"}),
        "flood": notebook({"ex01.q1": Q1_OK + "\nimport sys\nfor i in range(10**6):\n    print(i)\n"
                                              "for i in range(10**5):\n    print(i, file=sys.stderr)"}),
        "invalid": '{"cells": [{"cell_type": "code", "source": ',
        "not_a_notebook": json.dumps({"cells": [{"cell_type": "code"}], "nbformat": 4, "nbformat_minor": 5,
                                      "metadata": {}}),
        "duplicated": notebook(transform=duplicate),
        "deleted": notebook(transform=delete_and_retype),
        "read_solution": notebook({"ex01.q1": f"y = open({str(SOLUTION_NB)!r}).read()",
                                   "ex01.q2": "import os\nos.listdir('/')\nn_full = n_same = n_valid = 0",
                                   "ex01.p1": "y_delay = open('/etc/passwd').read()"}),
        "import_reference": notebook({"ex01.q3": "from course_utils.conv import convolve2d\n" + SOL["ex01.q3"]["solution"],
                                      "ex01.q4": "import importlib\nref = importlib.import_module('course_utils')\n"
                                                 + SOL["ex01.q4"]["solution"]}),
        "network": notebook({"ex01.q1": "import socket\ns = socket.socket()\ns.connect(('127.0.0.1', 9))",
                             "ex01.q2": "import urllib.request\nurllib.request.urlopen('http://127.0.0.1:9')"}),
        "vandal": notebook({"ex01.q1": f"import os\nos.remove({str(sentinel)!r})",
                            "ex01.q2": f"import shutil\nshutil.rmtree({str(victim_dir)!r})",
                            "ex01.p1": f"open({str(sentinel)!r}, 'w').write('pwned')"}),
        "shell_escape": notebook({"ex01.q1": f"!rm -rf {victim_dir}\n%time z = 1\nfiles = !ls /\n" + Q1_OK}),
        "warnings": notebook({"ex01.q1": "import warnings, sys\nwarnings.warn('careful!')\n"
                                         "print('something on stderr', file=sys.stderr)\n" + Q1_OK
                                         + "\nnp.testing.assert_allclose(y, np.convolve(x, h))"}),
        "banned": notebook({"ex01.q3": "from scipy.signal import convolve\ndef conv1d_full(x, h):\n"
                                       "    return convolve(x, h)",
                            "ex01.q4": "def convolution_matrix(h, n):\n    from scipy.linalg import convolution_matrix as c\n"
                                       "    return c(h, n)",
                            "ex01.p1": "import importlib\nsignal = importlib.import_module('scipy.signal')\n"
                                       "y_delay = signal.convolve(x, [0, 0, 0, 1])"}),
        "banned_call": notebook({"ex01.q3": "def conv1d_full(x, h):\n    return np.convolve(x, h)"}),
        "escapes": notebook({"ex01.q1": "import os\nos.kill(os.getppid(), 0)",
                             "ex01.q2": "import resource\nresource.setrlimit(resource.RLIMIT_CPU, (1000, 1000))",
                             "ex01.p1": "import os\nos.chdir('/')"}),
        "sneaky": notebook({"ex01.q1": "import gc\nobjs = gc.get_objects()",
                            "ex01.q2": "import _xxsubinterpreters",
                            "ex01.p1": "import os, stat\nos.mknod('dev', stat.S_IFCHR | 0o600, os.makedev(1, 3))"}),
        "broken_code": notebook({"ex01.q2": "n_full = (", "ex01.q3": "def conv1d_full(x, h):\n    return x[100]"}),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("adversarial")
    subs, out, victim, scratch = base / "subs", base / "out", base / "victim", base / "scratch"
    (victim / "folder").mkdir(parents=True)
    (victim / "keep.txt").write_text("precious", encoding="utf-8")
    (victim / "folder" / "inner.txt").write_text("precious", encoding="utf-8")
    scratch.mkdir()
    for student, text in cases(victim).items():
        (subs / student).mkdir(parents=True)
        (subs / student / f"{EX}.ipynb").write_text(text, encoding="utf-8")
    old_tempdir = tempfile.tempdir
    tempfile.tempdir = str(scratch)
    try:
        summary = cli.grade_class(subs, out, jobs=2, timeout=4, progress=False)
    finally:
        tempfile.tempdir = old_tempdir
    rows = {}
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows[(row["student"], row["question"])] = row
    return {"rows": rows, "out": out, "victim": victim, "scratch": scratch, "summary": summary}


def status(graded, student, qid):
    return graded["rows"][(student, qid)]["status"]


def message(graded, student, qid):
    return graded["rows"][(student, qid)]["message"]


def feedback(graded, student):
    return (graded["out"] / "feedback" / student / f"{EX}.md").read_text(encoding="utf-8")


def test_batch_finished_and_cleaned_up(graded):
    assert graded["summary"]["submissions"] == len(cases(graded["victim"]))
    assert list(graded["scratch"].iterdir()) == [], "scratch directories must be removed"
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        assert str(graded["scratch"]).encode() not in cmdline, "a sandboxed process survived the batch"


def test_reference_submission_passes(graded):
    for qid in ("ex01.q1", "ex01.q2", "ex01.q3", "ex01.q4", "ex01.p1"):
        assert status(graded, "ok", qid) == "PASS"


def test_monkeypatching_numpy_or_the_checker_does_not_help(graded):
    assert status(graded, "patch_numpy", "ex01.q1") == "FAIL"
    assert "y[0] is wrong" not in message(graded, "patch_numpy", "ex01.q1")  # value questions show values
    assert status(graded, "patch_numpy", "ex01.q3") == "PASS"
    assert status(graded, "patch_checker", "ex01.q1") == "FORBIDDEN"
    assert "import course_utils" in message(graded, "patch_checker", "ex01.q1")
    assert status(graded, "patch_probes", "ex01.q1") == "FORBIDDEN"
    assert "import course_checks" in message(graded, "patch_probes", "ex01.q1")


def test_fake_eq_and_shape_objects_fail(graded):
    assert status(graded, "fake_objects", "ex01.q1") == "FAIL"
    assert "y is Fake, expected an array of shape (10,)" in message(graded, "fake_objects", "ex01.q1")
    assert status(graded, "fake_objects", "ex01.q2") == "FAIL"
    assert status(graded, "fake_objects", "ex01.q3") == "FAIL"
    assert "the result[0] is too large" in message(graded, "fake_objects", "ex01.q3")


def test_endless_loop_times_out_and_the_rest_is_graded(graded):
    assert status(graded, "cell_loop", "ex01.q2") == "TIMEOUT"
    assert status(graded, "cell_loop", "ex01.q1") == "PASS"
    assert status(graded, "cell_loop", "ex01.q3") == "PASS"
    assert status(graded, "cell_loop", "ex01.q4") == "PASS"


def test_memory_bombs(graded):
    assert status(graded, "memory", "ex01.q1") == "MEMORY"
    assert status(graded, "memory", "ex01.q2") == "MEMORY"
    assert status(graded, "memory", "ex01.q3") == "PASS"


def test_fork_bomb_and_process_creation_are_forbidden(graded):
    assert status(graded, "fork_bomb", "ex01.q2") == "FORBIDDEN"
    assert "os.fork" in message(graded, "fork_bomb", "ex01.q2")
    assert status(graded, "fork_bomb", "ex01.q3") == "PASS"
    for qid in ("ex01.q1", "ex01.q2", "ex01.p1"):
        assert status(graded, "spawn", qid) == "FORBIDDEN", qid
    assert status(graded, "spawn", "ex01.q4") == "PASS"


def test_exit_calls(graded):
    assert status(graded, "os_exit", "ex01.q2") == "CRASH"
    assert status(graded, "os_exit", "ex01.q1") == "PASS"
    assert status(graded, "os_exit", "ex01.q3") == "PASS"
    assert status(graded, "sys_exit", "ex01.q1") == "ERROR"
    assert "sys.exit" in message(graded, "sys_exit", "ex01.q1")
    assert status(graded, "sys_exit", "ex01.q2") == "PASS"


def test_a_million_lines_of_output_and_stderr_do_not_matter(graded):
    assert status(graded, "flood", "ex01.q1") == "PASS"
    assert "printed more than" in feedback(graded, "flood")
    assert status(graded, "warnings", "ex01.q1") == "PASS"


def test_broken_files_are_invalid(graded):
    for student in ("invalid", "not_a_notebook"):
        for qid in ("ex01.q1", "ex01.q2", "ex01.q3", "ex01.q4", "ex01.p1"):
            assert status(graded, student, qid) == "INVALID"
    assert "not valid JSON" in message(graded, "invalid", "ex01.q1")
    assert "notebook format" in message(graded, "not_a_notebook", "ex01.q1")


def test_duplicated_cells_last_one_wins(graded):
    assert status(graded, "duplicated", "ex01.q1") == "PASS"
    assert status(graded, "duplicated", "ex01.q2") == "FAIL"
    assert "ex01.q1 appears in 2 cells" in feedback(graded, "duplicated")
    assert "the last one" in feedback(graded, "duplicated")


def test_deleted_and_retyped_cells_are_missing(graded):
    assert status(graded, "deleted", "ex01.q3") == "MISSING"
    assert "missing (deleted?)" in message(graded, "deleted", "ex01.q3")
    assert status(graded, "deleted", "ex01.q4") == "MISSING"
    assert "markdown" in message(graded, "deleted", "ex01.q4")
    assert status(graded, "deleted", "ex01.q1") == "PASS"


def test_solutions_system_files_and_reference_code_are_out_of_reach(graded):
    assert status(graded, "read_solution", "ex01.q1") == "FORBIDDEN"
    assert "reading outside the allowed folders" in message(graded, "read_solution", "ex01.q1")
    assert status(graded, "read_solution", "ex01.q2") == "FORBIDDEN"
    assert status(graded, "read_solution", "ex01.p1") == "FORBIDDEN"
    assert status(graded, "import_reference", "ex01.q3") == "FORBIDDEN"
    # importlib raises no import event; under bubblewrap course_utils is simply not there
    assert status(graded, "import_reference", "ex01.q4") in ("FORBIDDEN", "ERROR")
    assert status(graded, "import_reference", "ex01.q4") == "FORBIDDEN" or \
        "ModuleNotFoundError" in message(graded, "import_reference", "ex01.q4")


def test_network_is_forbidden(graded):
    assert status(graded, "network", "ex01.q1") == "FORBIDDEN"
    assert "network" in message(graded, "network", "ex01.q1")
    assert status(graded, "network", "ex01.q2") == "FORBIDDEN"


def test_files_outside_scratch_survive(graded):
    victim = graded["victim"]
    for qid in ("ex01.q1", "ex01.q2", "ex01.p1"):
        # under bubblewrap the host's /tmp is not there: the path names the child's own /tmp
        # (inside its scratch), which the hook allows, so the error is "no such file"
        assert status(graded, "vandal", qid) in ("FORBIDDEN", "ERROR"), qid
    assert (victim / "keep.txt").read_text(encoding="utf-8") == "precious"
    assert (victim / "folder" / "inner.txt").exists()


def test_shell_escapes_are_not_run(graded):
    assert status(graded, "shell_escape", "ex01.q1") == "PASS"
    assert (graded["victim"] / "folder" / "inner.txt").exists()
    assert "shell commands or magics" in feedback(graded, "shell_escape")


def test_banned_modules_and_calls(graded):
    assert status(graded, "banned", "ex01.q3") == "FORBIDDEN"
    assert "scipy.signal" in message(graded, "banned", "ex01.q3")
    assert status(graded, "banned", "ex01.q4") == "FORBIDDEN"
    assert status(graded, "banned", "ex01.p1") == "FORBIDDEN"   # importlib raises no import event: file reads are refused
    assert status(graded, "banned_call", "ex01.q3") == "FORBIDDEN"
    assert "numpy.convolve" in message(graded, "banned_call", "ex01.q3")
    assert status(graded, "banned_call", "ex01.q1") == "PASS"


def test_signals_limits_and_introspection_are_forbidden(graded):
    for student, qids in (("escapes", ("ex01.q1", "ex01.q2", "ex01.p1")), ("sneaky", ("ex01.q1", "ex01.q2"))):
        for qid in qids:
            assert status(graded, student, qid) == "FORBIDDEN", (student, qid)
    assert status(graded, "sneaky", "ex01.p1") == "ERROR"   # os.mknod is removed in the child


def test_broken_code_errors_in_one_line(graded):
    assert status(graded, "broken_code", "ex01.q2") == "ERROR"
    assert "does not parse" in message(graded, "broken_code", "ex01.q2")
    assert status(graded, "broken_code", "ex01.q3") == "ERROR"
    text = message(graded, "broken_code", "ex01.q3")
    assert "IndexError" in text and "hidden test" in text and "\n" not in text


def test_feedback_never_shows_hidden_inputs(graded):
    text = feedback(graded, "fake_objects")
    assert "hidden test" in text or "the slide" in text or "is wrong" in text
    rows = graded["rows"]
    for (student, qid), row in rows.items():
        if qid in ("ex01.q3", "ex01.q4"):
            assert " expected " not in row["message"] or "expected (" in row["message"] or "shape" in row["message"], row
