"""Run untrusted notebook code in an isolated child process, and read back plain data.

The boundary is the operating system. :func:`run_child` starts
``python -I /grader/child.py /scratch`` (:mod:`course_utils.grading.child`, with
``course_utils/checks/`` bound read-only beside it as ``course_checks``) under bubblewrap (``bwrap``): new
user, mount, PID, network, IPC, UTS and cgroup namespaces, a root file system that holds
only the Python installation and the system libraries (read-only), a fresh ``/proc``
of the child's own PID namespace, ``/dev`` with the harmless devices, and three
size-capped tmpfs folders (``/scratch``, ``/tmp``, ``/dev/shm``) as the only writable
places (``/tmp`` is mounted before the Python installation is bound, so an installation
that lives under the host's ``/tmp``, as a CI checkout may, still appears at its own path). The job (``job.json``) and the hidden inputs
(``inputs.npz``) are copied into ``/scratch`` by bwrap from descriptors; the results
come back as length-prefixed JSON frames on a pipe (:class:`FrameReader`), so nothing
the child writes ever lands in a folder the parent reads. A seccomp filter refuses
new processes (threads are allowed); RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE and
RLIMIT_NOFILE are set by the child before any student code runs. At the wall-clock
limit the parent kills bwrap, and with it the whole PID namespace (double-forked
daemons included).

Inside, the audit hook of :mod:`course_utils.grading.child` stays as a second layer
that gives friendly FORBIDDEN reasons; it is not what keeps the grader safe.
``COURSE_GRADING_AUDIT_HOOK=0`` in the *parent's* environment switches it off (the
tests use this to show that the isolation holds alone); the child never sees the
parent's environment.

Where bwrap is missing or cannot create namespaces, :func:`isolation_problem` says why
in one line; :func:`run_child` with ``isolate=False`` runs the child without
namespaces (trusted use only: the audit hook is then the only guard).

>>> limits = Limits(timeout_s=5)
>>> limits.cpu_s, limits.memory_mb, limits.disk_mb
(5, 1024, 256)
"""
from __future__ import annotations

import functools
import json
import math
import os
import select
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course_utils.checks.protocol import ChildResults, Job, RunEnd, validate_results

CHILD = Path(__file__).resolve().parent / "child.py"
CHECKS = Path(__file__).resolve().parent.parent / "checks"   # the bottom layer, the only course code the child gets
REPO_ROOT = Path(__file__).resolve().parent.parent.parent
MAX_RESULTS_BYTES = 8 * 2**20        # one results frame; larger is refused before parsing
MAX_STREAM_BYTES = 256 * 2**20       # everything read from the results pipe in one run
INSIDE_SCRATCH = "/scratch"
INSIDE_CHILD = "/grader/child.py"
INSIDE_CHECKS = "/grader/course_checks"     # the package name child.py imports
HOOK_SWITCH = "COURSE_GRADING_AUDIT_HOOK"  # read by the parent only
MIN_BWRAP = (0, 8)
INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap)"


@dataclass
class Limits:
    """Resource limits of one child run.

    ``timeout_s`` is the CPU time the notebook may use (``cpu_s``, rounded up, unless given).
    The wall-clock limit ``wall_s`` only stops code that waits without computing (a
    ``sleep`` loop, a blocked read): it defaults to ``3 * timeout_s + 10``, so that a busy
    machine, which stretches wall-clock time but not CPU time, never turns a notebook that
    ends within its CPU budget into a TIMEOUT. ``disk_mb`` caps the scratch folder (all
    files together), ``nproc`` the child's processes and threads where the kernel counts
    them (a non-root grader; under bwrap a seccomp filter refuses new processes anyway).

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
    disk_mb: int = 256
    nproc: int = 512

    def __post_init__(self):
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s}")
        if self.cpu_s is None:
            self.cpu_s = max(1, math.ceil(self.timeout_s))
        if self.wall_s is None:
            self.wall_s = 3 * float(self.timeout_s) + 10


@dataclass
class ChildRun:
    """How one child run ended (a :class:`~course_utils.checks.protocol.RunEnd`) and what it reported."""

    ended: RunEnd
    results: ChildResults | None
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


def _outermost(paths) -> list[str]:
    """Drop paths inside another one of the list.

    >>> _outermost(["/a/b", "/a", "/c"])
    ['/a', '/c']
    """
    kept = []
    for path in sorted(set(paths)):
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _count_user_tasks() -> int | None:
    """Processes + threads of this user (what RLIMIT_NPROC counts); None where /proc is missing."""
    if os.geteuid() == 0:
        return None  # the kernel does not enforce RLIMIT_NPROC for root
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


def audit_hook_enabled() -> bool:
    """The parent's switch for the second layer (tests turn it off to test the isolation alone).

    >>> isinstance(audit_hook_enabled(), bool)
    True
    """
    return os.environ.get(HOOK_SWITCH, "1").strip() not in ("0", "off", "no", "false")


# --------------------------------------------------------------------------------------
# bubblewrap
# --------------------------------------------------------------------------------------


def bwrap_path() -> str | None:
    """The bwrap executable, or None."""
    return shutil.which("bwrap", path=os.environ.get("PATH", "") + os.pathsep + "/usr/bin:/bin")


def _bwrap_version(path: str) -> tuple[int, ...] | None:
    try:
        text = subprocess.run([path, "--version"], capture_output=True, timeout=10, text=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    numbers = text.strip().rpartition(" ")[2].split(".")
    return tuple(int(n) for n in numbers if n.isdigit()) or None


@functools.lru_cache(maxsize=None)
def _probe_bwrap(path: str) -> str | None:
    version = _bwrap_version(path)
    if version is not None and version < MIN_BWRAP:
        return (f"bubblewrap {'.'.join(map(str, version))} ({path}) is too old: 0.8 or newer is needed "
                "(--disable-userns, --size); install a newer bubblewrap")
    cmd = [path, "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--disable-userns",
           *_system_binds(), "--proc", "/proc", "--dev", "/dev", "--", "/bin/true"]
    try:
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=30, env={"PATH": "/usr/bin:/bin"})
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bubblewrap ({path}) could not be started: {exc}"
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        return (f"bubblewrap ({path}) cannot create namespaces here ({why[0][:160]}); allow unprivileged user "
                "namespaces (sysctl kernel.unprivileged_userns_clone=1 / kernel.apparmor_restrict_unprivileged_userns=0) "
                "or run in a container that permits them")
    return None


def isolation_problem() -> str | None:
    """None when submissions can be isolated here; else one line: why not, and the fix.

    >>> isolation_problem() is None or "bubblewrap" in isolation_problem()
    True
    """
    path = bwrap_path()
    if path is None:
        return f"cannot isolate submissions: bubblewrap (bwrap) is not installed; {INSTALL_HINT}, or pass --no-isolation (unsafe: only for trusted notebooks)"
    problem = _probe_bwrap(path)
    return None if problem is None else f"cannot isolate submissions: {problem}, or pass --no-isolation (unsafe)"


def _system_binds() -> list[str]:
    """The system libraries Python, NumPy and TensorFlow load, read-only, as on the host."""
    args = []
    for top in ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for conf in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/alternatives"):
        if os.path.exists(conf):
            args += ["--ro-bind", conf, conf]
    return args


def _seccomp_program() -> bytes | None:
    """A classic-BPF seccomp filter: no fork/vfork, no clone without CLONE_THREAD, clone3 → ENOSYS
    (so that libc falls back to clone, whose flags the filter can read). None on other CPUs."""
    import platform

    machine = platform.machine()
    table = {"x86_64": (0xC000003E, {"fork": 57, "vfork": 58, "clone": 56, "clone3": 435}),
             "aarch64": (0xC00000B7, {"clone": 220, "clone3": 435})}
    if machine not in table:
        return None
    arch, nr = table[machine]
    LD, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
    ALLOW, EPERM, ENOSYS = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
    CLONE_THREAD = 0x00010000
    # (code, k, jump-true label, jump-false label); labels are resolved into relative offsets
    prog = [("ld", LD, 4, None, None), ("", JEQ, arch, None, "deny"), ("", LD, 0, None, None),
            ("", JGE, 0x40000000, "deny", None)]  # x32 syscalls
    for name in ("fork", "vfork"):
        if name in nr:
            prog.append(("", JEQ, nr[name], "deny", None))
    prog += [("", JEQ, nr["clone3"], "enosys", None), ("", JEQ, nr["clone"], None, "allow"),
             ("", LD, 16, None, None), ("", JSET, CLONE_THREAD, "allow", "deny"),
             ("allow", RET, ALLOW, None, None), ("deny", RET, EPERM, None, None), ("enosys", RET, ENOSYS, None, None)]
    where = {label: i for i, (label, *_rest) in enumerate(prog) if label}
    out = b""
    for i, (_label, code, k, jt, jf) in enumerate(prog):
        off = lambda target: 0 if target is None else where[target] - i - 1  # noqa: E731
        out += struct.pack("=HBBI", code, off(jt), off(jf), k)
    return out


def bwrap_args(limits: Limits, fds: dict, results_fd: int, *, extra_bytes: int = 0, hidden=()) -> list[str]:
    """The bwrap command line for one child (``fds``: {"job": fd, "inputs": fd or None, "seccomp": fd or None})."""
    roots = [r for r in _outermost(python_read_roots())
             if not any(_inside(h, r) for h in hidden)]  # an installation that holds the course repo is not bound
    args = [bwrap_path(), "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--disable-userns",
            "--hostname", "grader", *_system_binds(),
            "--size", str(int(limits.disk_mb) * 2**20), "--tmpfs", "/tmp"]
    for root in roots:
        if not _inside(root, "/usr"):
            args += ["--ro-bind", root, root]
    args += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(8 * 2**20), "--tmpfs", "/dev/shm",
             "--size", str(int(limits.disk_mb) * 2**20 + int(extra_bytes)),
             "--tmpfs", INSIDE_SCRATCH,
             "--ro-bind", str(CHILD), INSIDE_CHILD, "--ro-bind", str(CHECKS), INSIDE_CHECKS,
             "--file", str(fds["job"]), f"{INSIDE_SCRATCH}/job.json"]
    if fds.get("inputs") is not None:
        args += ["--file", str(fds["inputs"]), f"{INSIDE_SCRATCH}/inputs.npz"]
    if fds.get("seccomp") is not None:
        args += ["--seccomp", str(fds["seccomp"])]
    args += ["--remount-ro", "/", "--remount-ro", "/dev", "--chdir", INSIDE_SCRATCH, "--",
             sys.executable, "-I", "-X", "utf8", INSIDE_CHILD, INSIDE_SCRATCH, str(results_fd)]
    return args


# --------------------------------------------------------------------------------------
# What comes back
# --------------------------------------------------------------------------------------


class FrameReader:
    """Collects the child's results frames (``b"<length>\\n<json>"``) and keeps the last one.

    Nothing is parsed until the child has ended; a frame over ``MAX_RESULTS_BYTES``, a
    bad header or more than ``MAX_STREAM_BYTES`` in all stops collecting (``problem``).

    >>> r = FrameReader()
    >>> r.feed(b"2\\n{}8\\n{\\"a\\": 1}")
    >>> r.last, r.problem
    (b'{"a": 1}', '')
    >>> r.feed(b"x\\n")
    >>> r.problem
    'the results stream is corrupted'
    """

    def __init__(self, max_frame: int = MAX_RESULTS_BYTES, max_stream: int = MAX_STREAM_BYTES):
        self.buffer, self.last, self.problem = bytearray(), None, ""
        self.max_frame, self.max_stream, self.total = max_frame, max_stream, 0

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if self.problem:
            return
        if self.total > self.max_stream:
            self.problem, self.buffer = f"the results stream is larger than {self.max_stream // 2**20} MB", bytearray()
            return
        self.buffer += chunk
        while True:
            newline = self.buffer.find(b"\n", 0, 12)
            if newline < 0:
                if len(self.buffer) >= 12:
                    self.problem = "the results stream is corrupted"
                return
            head = bytes(self.buffer[:newline])
            if not head.isdigit():
                self.problem = "the results stream is corrupted"
                return
            size = int(head)
            if size > self.max_frame:
                self.problem = f"a results frame is larger than {self.max_frame // 2**20} MB"
                self.buffer = bytearray()
                return
            if len(self.buffer) < newline + 1 + size:
                return
            self.last = bytes(self.buffer[newline + 1:newline + 1 + size])
            del self.buffer[:newline + 1 + size]


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def parse_results(raw: bytes | None) -> tuple[ChildResults | None, str]:
    """The child's last results frame, parsed and checked against the schema
    (:func:`course_utils.checks.protocol.validate_results`); ``(None, why)`` when it is not valid.

    >>> parse_results(b'{"running": null, "done": {}}')[0]["done"]
    {}
    >>> parse_results(b'{"done": [], "x": 1}')[1]
    'results: unexpected key(s) x'
    """
    if raw is None:
        return None, "no results"
    if len(raw) > MAX_RESULTS_BYTES:
        return None, "results too large"
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, "results are not valid JSON"
    try:
        return validate_results(data), ""
    except (ValueError, TypeError, RecursionError) as exc:
        return None, str(exc)[:200]


def _remove_tree(path: str) -> None:
    """Remove a scratch folder; never follows a symbolic link the child may have put there."""
    def make_writable(func, target, _exc):
        try:
            parent = os.path.dirname(target)
            if not os.path.islink(parent):
                os.chmod(parent, stat.S_IRWXU, follow_symlinks=False)
            if not os.path.islink(target):
                os.chmod(target, stat.S_IRWXU, follow_symlinks=False)
            func(target)
        except (OSError, NotImplementedError):
            pass

    if os.path.islink(path):
        os.unlink(path)
        return
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


# --------------------------------------------------------------------------------------
# One run
# --------------------------------------------------------------------------------------


def _kill_group(proc: subprocess.Popen) -> None:
    for kill in (lambda: os.killpg(proc.pid, signal.SIGKILL), proc.kill):
        try:
            kill()
        except (ProcessLookupError, PermissionError, OSError):
            pass


def _pump(proc: subprocess.Popen, read_fd: int, reader: FrameReader, wall_s: float) -> bool:
    """Read the results pipe until the child ends or the wall-clock limit; True on timeout."""
    deadline = time.monotonic() + wall_s
    open_pipe = True
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return True
        if not open_pipe:
            try:
                proc.wait(timeout=left)
                return False
            except subprocess.TimeoutExpired:
                return True
        ready, _, _ = select.select([read_fd], [], [], min(left, 0.25))
        if ready:
            try:
                chunk = os.read(read_fd, 1 << 16)
            except BlockingIOError:
                chunk = None
            if chunk == b"":
                open_pipe = False
            elif chunk:
                reader.feed(chunk)
        elif proc.poll() is not None:
            return False


def _drain(read_fd: int, reader: FrameReader) -> None:
    while True:
        try:
            chunk = os.read(read_fd, 1 << 16)
        except (BlockingIOError, OSError):
            return
        if not chunk:
            return
        reader.feed(chunk)


def run_child(job: Job, arrays: dict, limits: Limits, *, deny_read=(), keep_scratch: bool = False,
              isolate: bool = True) -> ChildRun:
    """Run one job in a fresh child (under bwrap unless ``isolate=False``); never raises because
    of what the child does. ``deny_read``: host folders the child must not see (submissions,
    OUT); under bwrap nothing outside the Python installation is visible anyway."""
    global _NPROC_BASE
    private = os.path.realpath(tempfile.mkdtemp(prefix="course-grade-"))  # the parent's own files: never bound
    os.chmod(private, stat.S_IRWXU)
    hook = audit_hook_enabled()
    denied = sorted({os.path.realpath(p) for p in (str(REPO_ROOT), *map(str, deny_read))})
    if isolate:
        scratch = INSIDE_SCRATCH
    else:
        scratch = os.path.join(private, "scratch")
        os.mkdir(scratch, stat.S_IRWXU)
    job = dict(job)
    job["limits"] = {"cpu_s": limits.cpu_s, "memory_mb": limits.memory_mb, "output_chars": limits.output_chars,
                     "file_mb": limits.file_mb, "open_files": limits.open_files}
    if not isolate:
        if _NPROC_BASE is None:
            _NPROC_BASE = _count_user_tasks() or -1
        if _NPROC_BASE > 0:
            job["limits"]["nproc"] = _NPROC_BASE + 256
    else:
        job["limits"]["nproc"] = int(limits.nproc)  # counted per user namespace when the grader is not root
    job["audit_hook"] = hook
    job["allow_read"] = python_read_roots()
    job["deny_read"] = denied
    start = time.perf_counter()
    read_fd = write_fd = None
    opened = []
    try:
        job_file = os.path.join(private if isolate else scratch, "job.json")
        with open(job_file, "w", encoding="utf-8") as f:
            json.dump(job, f)
        inputs_file = None
        if arrays:
            inputs_file = os.path.join(private if isolate else scratch, "inputs.npz")
            np.savez(inputs_file, **arrays)
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        pass_fds = [write_fd]
        if isolate:
            fds = {"job": os.open(job_file, os.O_RDONLY)}
            opened.append(fds["job"])
            if inputs_file:
                fds["inputs"] = os.open(inputs_file, os.O_RDONLY)
                opened.append(fds["inputs"])
            program = _seccomp_program()
            if program is not None:
                sec_path = os.path.join(private, "seccomp.bpf")
                with open(sec_path, "wb") as f:
                    f.write(program)
                fds["seccomp"] = os.open(sec_path, os.O_RDONLY)
                opened.append(fds["seccomp"])
            pass_fds += opened
            extra = os.path.getsize(inputs_file) if inputs_file else 0
            command = bwrap_args(limits, fds, write_fd, extra_bytes=extra + os.path.getsize(job_file),
                                 hidden=denied)
            cwd, env = private, child_env(scratch)
        else:
            command = [sys.executable, "-I", "-X", "utf8", _unisolated_child(private), scratch, str(write_fd)]
            cwd, env = scratch, child_env(scratch)
        with open(os.path.join(private, "stdout.txt"), "wb") as out, open(os.path.join(private, "stderr.txt"), "wb") as err:
            try:
                proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                        start_new_session=True, close_fds=True, pass_fds=pass_fds)
            except OSError as exc:
                return ChildRun(RunEnd.CRASH, None, f"could not start the child ({exc})")
            os.close(write_fd)
            write_fd = None
            for fd in opened:
                os.close(fd)
            opened = []
            reader = FrameReader()
            try:
                timed_out = _pump(proc, read_fd, reader, float(limits.wall_s))
            finally:
                _kill_group(proc)  # bwrap dies, and with it the child's whole PID namespace
                proc.wait()
            _drain(read_fd, reader)
        wall = time.perf_counter() - start
        results, problem = parse_results(reader.last) if not reader.problem else (None, reader.problem)
        try:
            stdout_bytes = os.path.getsize(os.path.join(private, "stdout.txt"))
        except OSError:
            stdout_bytes = 0
        run = ChildRun(RunEnd.FINISHED, results, problem, proc.returncode, wall, stdout_bytes)
        _classify(run, proc.returncode, timed_out, limits, reader.last is not None)
        return run
    finally:
        for fd in [read_fd, write_fd, *opened]:
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        if keep_scratch:
            print(f"grader files kept: {private}", file=sys.stderr)
        else:
            _remove_tree(private)


def _unisolated_child(private: str) -> str:
    """The child's path without bwrap: the same layout as inside (``child.py`` beside
    ``course_checks``), made of links in the run's private folder."""
    folder = os.path.join(private, "grader")
    os.mkdir(folder, stat.S_IRWXU)
    os.symlink(CHILD, os.path.join(folder, os.path.basename(INSIDE_CHILD)))
    os.symlink(CHECKS, os.path.join(folder, os.path.basename(INSIDE_CHECKS)))
    return os.path.join(folder, os.path.basename(INSIDE_CHILD))


def _classify(run: ChildRun, rc: int | None, timed_out: bool, limits: Limits, reported: bool) -> None:
    """How the run ended, from the exit status (bwrap passes the child's on) and the results."""
    results = run.results
    if timed_out:
        run.ended, run.detail = RunEnd.TIMEOUT, f"stopped after {limits.wall_s:g} s of waiting (wall-clock limit)"
    elif rc is not None and rc < 0 and -rc == signal.SIGXCPU:
        run.ended, run.detail = RunEnd.TIMEOUT, f"used more than {limits.cpu_s} s of CPU time"
    elif rc is not None and rc == 128 + signal.SIGXCPU:
        run.ended, run.detail = RunEnd.TIMEOUT, f"used more than {limits.cpu_s} s of CPU time"
    elif results is not None and results.get("bootstrap_error"):
        run.ended, run.detail = RunEnd.BOOTSTRAP, f"grader child failed: {str(results['bootstrap_error'])[:200]}"
    elif results is not None and results.get("finished") and rc == 0:
        run.ended = RunEnd.FINISHED
    elif results is None and reported:
        run.ended, run.detail = RunEnd.CRASH, f"the notebook's run sent back results the grader cannot accept ({run.detail})"
    elif rc is not None and (rc < 0 or rc > 128):
        sig = -rc if rc < 0 else rc - 128
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        if sig == signal.SIGKILL:
            run.ended, run.detail = RunEnd.CRASH, "the Python process was killed (SIGKILL; out of memory?)"
        elif sig == getattr(signal, "SIGXFSZ", -1):
            run.ended, run.detail = RunEnd.CRASH, f"wrote more than {limits.file_mb} MB to a file or the output"
        else:
            run.ended, run.detail = RunEnd.CRASH, f"the Python process crashed ({name})"
    else:
        run.ended, run.detail = RunEnd.CRASH, ("the Python process ended early (os._exit or exit in a thread?)"
                                          if rc == 0 else f"the Python process exited with code {rc}")
