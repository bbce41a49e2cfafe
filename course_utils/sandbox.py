"""Run untrusted notebook code in a child process with limits, and read back plain data.

:func:`run_child` writes the job and the hidden inputs into a fresh scratch directory,
starts ``python -I course_utils/sandbox_child.py SCRATCH`` in a new session
(``start_new_session=True``) with a minimal environment, and waits. At the wall-clock
limit it kills the child's whole process group. The child lowers its own limits (CPU
time, memory, file size, open files, processes) and installs an audit hook before it
runs any student code (see :mod:`course_utils.sandbox_child`). Whatever the child did,
:func:`run_child` returns a :class:`ChildRun`: the validated ``results.json`` (or
``None``) and how the process ended.

>>> limits = Limits(timeout_s=5)
>>> limits.cpu_s, limits.memory_mb
(5, 1024)
"""
from __future__ import annotations

import json
import math
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CHILD = Path(__file__).resolve().parent / "sandbox_child.py"
REPO_ROOT = Path(__file__).resolve().parent.parent
MAX_RESULTS_BYTES = 64 * 2**20


@dataclass
class Limits:
    """Resource limits of one child run.

    ``timeout_s`` is the CPU time the notebook may use (``cpu_s``, rounded up, unless given).
    The wall-clock limit ``wall_s`` only stops code that waits without computing (a
    ``sleep`` loop, a blocked read): it defaults to ``3 * timeout_s + 10``, so that a busy
    machine, which stretches wall-clock time but not CPU time, never turns a notebook that
    ends within its CPU budget into a TIMEOUT.

    >>> Limits(timeout_s=4).cpu_s, Limits(timeout_s=4).wall_s
    (4, 22.0)
    """

    timeout_s: float = 20.0
    memory_mb: int = 1024
    cpu_s: int | None = None
    output_chars: int = 200_000
    file_mb: int = 32
    open_files: int = 256
    wall_s: float | None = None

    def __post_init__(self):
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s}")
        if self.cpu_s is None:
            self.cpu_s = max(1, math.ceil(self.timeout_s))
        if self.wall_s is None:
            self.wall_s = 3 * float(self.timeout_s) + 10


@dataclass
class ChildRun:
    """How one child run ended: ``"finished"``, ``"timeout"``, ``"memory"`` or ``"crash"``."""

    ended: str
    results: dict | None
    detail: str = ""
    returncode: int | None = None
    wall_s: float = 0.0
    stdout_bytes: int = 0
    extra: dict = field(default_factory=dict)


def python_read_roots() -> list[str]:
    """Folders of the Python installation the child may read (stdlib, site-packages)."""
    import site
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, os.path.dirname(np.__file__)}
    try:
        roots.update(site.getsitepackages())
    except AttributeError:  # pragma: no cover - very old virtualenvs
        pass
    return sorted(os.path.realpath(r) for r in roots if r)


def _count_user_tasks() -> int | None:
    """Processes + threads of this user (what RLIMIT_NPROC counts); None where /proc is missing."""
    if os.geteuid() == 0:
        return None  # the kernel does not enforce RLIMIT_NPROC for root; the audit hook does the job
    uid, count = os.getuid(), 0
    try:
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    if entry.stat().st_uid == uid:
                        count += len(os.listdir(f"/proc/{entry.name}/task"))
                except OSError:
                    continue
    except OSError:
        return None
    return count


_NPROC_BASE = None


def child_env(scratch: str) -> dict:
    """A minimal environment: nothing of the instructor's variables reaches the child."""
    return {
        "HOME": scratch, "TMPDIR": scratch, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": scratch, "KERAS_HOME": scratch, "KERAS_BACKEND": "tensorflow",
        "TF_CPP_MIN_LOG_LEVEL": "3", "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
        "COURSE_DATA": "sample",
    }


def _kill_group(proc: subprocess.Popen) -> None:
    for kill in (lambda: os.killpg(proc.pid, signal.SIGKILL), proc.kill):
        try:
            kill()
        except (ProcessLookupError, PermissionError, OSError):
            pass


def _read_results(scratch: str) -> tuple[dict | None, str]:
    path = os.path.join(scratch, "results.json")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None, "no results file"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, "results is not a regular file"
        if info.st_size > MAX_RESULTS_BYTES:
            return None, "results file too large"
        with os.fdopen(fd, "rb", closefd=False) as f:
            raw = f.read(MAX_RESULTS_BYTES + 1)
    finally:
        os.close(fd)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, "results file is not valid JSON"
    if not isinstance(data, dict) or not isinstance(data.get("done", {}), dict):
        return None, "results file has the wrong structure"
    return data, ""


def _remove_tree(path: str) -> None:
    def make_writable(func, target, _exc):
        try:
            os.chmod(os.path.dirname(target), stat.S_IRWXU)
            os.chmod(target, stat.S_IRWXU)
            func(target)
        except OSError:
            pass

    shutil.rmtree(path, onerror=make_writable)


def encode_args(qid: str, calls: list[tuple], arrays: dict) -> list[list[dict]]:
    """Arguments as JSON references: arrays go to ``arrays`` (saved as .npz), scalars inline."""
    encoded = []
    for i, args in enumerate(calls):
        row = []
        for j, arg in enumerate(args):
            if isinstance(arg, np.ndarray):
                key = f"{qid}.{i}.{j}"
                if arg.dtype.kind not in "biuf":
                    raise TypeError(f"{qid}: hidden inputs must be numeric arrays, got dtype {arg.dtype}")
                arrays[key] = arg
                row.append({"array": key})
            elif isinstance(arg, (bool, int, float, str)) or arg is None:
                row.append({"value": arg})
            elif isinstance(arg, (np.integer, np.floating, np.bool_)):
                row.append({"value": arg.item()})
            else:
                raise TypeError(f"{qid}: hidden inputs must be arrays or plain numbers, got {type(arg).__name__}")
        encoded.append(row)
    return encoded


def run_child(job: dict, arrays: dict, limits: Limits, *, deny_read=(), keep_scratch: bool = False) -> ChildRun:
    """Run one job in a fresh sandboxed child; never raises because of what the child does."""
    global _NPROC_BASE
    scratch = tempfile.mkdtemp(prefix="course-grade-")
    os.chmod(scratch, stat.S_IRWXU)
    scratch = os.path.realpath(scratch)
    job = dict(job)
    job["limits"] = {"cpu_s": limits.cpu_s, "memory_mb": limits.memory_mb, "output_chars": limits.output_chars,
                     "file_mb": limits.file_mb, "open_files": limits.open_files}
    if _NPROC_BASE is None:
        _NPROC_BASE = _count_user_tasks() or -1
    if _NPROC_BASE > 0:
        job["limits"]["nproc"] = _NPROC_BASE + 256
    job["allow_read"] = python_read_roots()
    job["deny_read"] = sorted({os.path.realpath(p) for p in (str(REPO_ROOT), *map(str, deny_read))})
    start = time.perf_counter()
    try:
        with open(os.path.join(scratch, "job.json"), "w", encoding="utf-8") as f:
            json.dump(job, f)
        if arrays:
            np.savez(os.path.join(scratch, "inputs.npz"), **arrays)
        with open(os.path.join(scratch, "stdout.txt"), "wb") as out, open(os.path.join(scratch, "stderr.txt"), "wb") as err:
            try:
                proc = subprocess.Popen(
                    [sys.executable, "-I", "-X", "utf8", str(CHILD), scratch], cwd=scratch, env=child_env(scratch),
                    stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True, close_fds=True)
            except OSError as exc:
                return ChildRun("crash", None, f"could not start Python ({exc})")
            timed_out = False
            try:
                proc.wait(timeout=limits.wall_s)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                _kill_group(proc)  # also reaps anything the child left behind in its group
                proc.wait()
        wall = time.perf_counter() - start
        results, problem = _read_results(scratch)
        try:
            stdout_bytes = os.path.getsize(os.path.join(scratch, "stdout.txt"))
        except OSError:
            stdout_bytes = 0
        run = ChildRun("finished", results, problem, proc.returncode, wall, stdout_bytes)
        rc = proc.returncode
        if timed_out:
            run.ended, run.detail = "timeout", f"stopped after {limits.wall_s:g} s of waiting (wall-clock limit)"
        elif rc is not None and rc < 0 and -rc in (signal.SIGXCPU,):
            run.ended, run.detail = "timeout", f"used more than {limits.cpu_s} s of CPU time"
        elif results is not None and results.get("bootstrap_error"):
            run.ended, run.detail = "crash", f"grader child failed: {str(results['bootstrap_error'])[:200]}"
        elif results is not None and results.get("finished") and rc == 0:
            run.ended = "finished"
        elif rc is not None and rc < 0:
            name = signal.Signals(-rc).name if -rc in signal.Signals._value2member_map_ else str(-rc)
            if -rc == signal.SIGKILL:
                run.ended, run.detail = "crash", "the Python process was killed (SIGKILL; out of memory?)"
            elif -rc == getattr(signal, "SIGXFSZ", -1):
                run.ended, run.detail = "crash", f"wrote more than {limits.file_mb} MB to a file or the output"
            else:
                run.ended, run.detail = "crash", f"the Python process crashed ({name})"
        else:
            run.ended, run.detail = "crash", ("the Python process ended early (os._exit or exit in a thread?)"
                                              if rc == 0 else f"the Python process exited with code {rc}")
        return run
    finally:
        if keep_scratch:
            print(f"scratch kept: {scratch}", file=sys.stderr)
        else:
            _remove_tree(scratch)
