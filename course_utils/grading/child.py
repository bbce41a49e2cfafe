"""The grader's child process: runs one student notebook's code and reports plain data.

The grader (:mod:`course_utils.grading.sandbox`) starts this file as a script,
``python -I child.py SCRATCH RESULTS_FD``, under bubblewrap, in a scratch directory
holding ``job.json`` (a :class:`~course_utils.checks.protocol.Job`: the cells to run and
what to probe) and ``inputs.npz`` (hidden test inputs). Beside it the sandbox binds the
bottom layer of the course, ``course_utils/checks/``, read-only, as the package
``course_checks``: the plain-data codec, the probes, the protocol and the rules on
forbidden code, the same code ``Question.check()`` runs in the student's kernel. Nothing
else of ``course_utils`` (reference code, solutions, the question bank) is in this
process. It

1. lowers its own resource limits (CPU time, address space, file size, open files,
   processes, no core dumps) and redirects ``print`` through a capped writer;
2. installs an audit hook (:pep:`578`; it cannot be removed) that refuses process
   creation, signals to other processes, network sockets, ``ctypes``, sub-interpreters,
   importing ``course_utils``, ``course_checks`` or a banned module, reading outside the
   Python installation and the scratch directory, and any change to files outside scratch;
3. runs the cells in notebook order in one namespace, and after each graded cell runs
   that question's probe (:func:`~course_utils.checks.probes.run_probe`), which turns the
   answer into plain data (never pickle);
4. sends its whole report again after every question, as one length-prefixed JSON
   frame on the results pipe (``argv[2]``), so what was finished before a crash or a
   timeout survives; the parent keeps the last complete frame and checks it
   (:func:`~course_utils.checks.protocol.validate_results`).

The parent judges those plain values against its own trusted reference: a monkeypatched
``numpy.allclose`` here changes nothing there.

>>> _CappedWriter(io.StringIO(), 3).write("abcdef")
6
"""
from __future__ import annotations

import builtins
import io
import json
import os
import sys
import time

CHECKS_PACKAGE = "course_checks"   # course_utils/checks as the sandbox binds it beside this file

if __package__:   # imported by the grader's own code (tests, doctests): the package's checks
    from ..checks import forbidden, probes
    from ..checks.codec import _short
    from ..checks.protocol import Kind
else:             # the sandbox's program
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from course_checks import forbidden, probes
    from course_checks.codec import _short
    from course_checks.protocol import Kind
    del sys.path[0]
    for _name in [n for n in sys.modules if n.partition(".")[0] == CHECKS_PACKAGE]:
        del sys.modules[_name]   # bound here already; a student's ``import course_checks`` is refused by name
Forbidden = forbidden.Forbidden
describe_exception = probes.describe_exception


class _CappedWriter(io.TextIOBase):
    """``print`` target that keeps the first ``limit`` characters and drops the rest."""

    def __init__(self, stream, limit):
        self._stream, self._left = stream, limit
        self.dropped = 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        if self._left > 0:
            kept = text[: self._left]
            self._left -= len(kept)
            try:
                self._stream.write(kept)
            except Exception:
                pass
            if self._left <= 0:
                try:
                    self._stream.write("\n[output truncated by the grader]\n")
                except Exception:
                    pass
        else:
            self.dropped += len(text)
        return len(text)

    def flush(self):
        try:
            self._stream.flush()
        except Exception:
            pass


_WRITE_EVENTS = {
    # event: (positions of path arguments, positions of dir_fd arguments)
    "os.remove": ((0,), (1,)), "os.rmdir": ((0,), (1,)), "os.mkdir": ((0,), (2,)),
    "os.chmod": ((0,), (2,)), "os.chown": ((0,), (3,)), "os.utime": ((0,), (3,)),
    "os.rename": ((0, 1), (2, 3)), "os.link": ((0, 1), (2, 3)), "os.truncate": ((0,), ()),
    "os.chflags": ((0,), ()), "os.lchflags": ((0,), ()), "os.setxattr": ((0,), ()),
    "os.removexattr": ((0,), ()), "shutil.rmtree": ((0,), ()), "shutil.move": ((0, 1), ()),
    "shutil.copytree": ((1,), ()), "shutil.copyfile": ((1,), ()), "shutil.copymode": ((1,), ()),
    "shutil.copystat": ((1,), ()), "shutil.chown": ((0,), ()),
}
_READ_EVENTS = {"os.listdir": 0, "os.scandir": 0, "os.walk": 0, "os.fwalk": 0, "glob.glob": 0,
                "glob.glob/2": 0, "shutil.copyfile": 0, "shutil.copytree": 0, "os.listxattr": 0}
_PROCESS_EVENTS = {"os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.exec", "os.system",
                   "subprocess.Popen", "pty.spawn", "os.startfile", "os.popen", "os.kill", "os.killpg",
                   "signal.pthread_kill", "cpython.PyInterpreterState_New", "sys.addaudithook",
                   "resource.setrlimit", "resource.prlimit", "gc.get_objects", "gc.get_referrers",
                   "gc.get_referents", "os.chdir", "sqlite3.enable_load_extension", "sqlite3.load_extension",
                   "webbrowser.open", "ftplib.connect", "smtplib.connect", "nntplib.connect", "poplib.connect",
                   "imaplib.open", "telnetlib.Telnet.open", "urllib.Request", "http.client.connect"}
_EVENT_MESSAGES = {
    "os.fork": "starting a process (os.fork)", "os.forkpty": "starting a process (os.forkpty)",
    "os.posix_spawn": "starting a process (posix_spawn)", "os.spawn": "starting a process (os.spawn*)",
    "os.exec": "starting a program (os.exec*)", "os.system": "running a shell command (os.system)",
    "subprocess.Popen": "starting a process (subprocess)", "pty.spawn": "starting a process (pty)",
    "os.popen": "running a shell command (os.popen)", "os.kill": "sending a signal (os.kill)",
    "os.killpg": "sending a signal (os.killpg)", "signal.pthread_kill": "sending a signal",
    "cpython.PyInterpreterState_New": "creating a sub-interpreter",
    "sys.addaudithook": "adding an audit hook", "resource.setrlimit": "changing resource limits",
    "resource.prlimit": "changing resource limits", "os.chdir": "changing the working directory",
    "gc.get_objects": "inspecting the garbage collector", "gc.get_referrers": "inspecting the garbage collector",
    "gc.get_referents": "inspecting the garbage collector",
}


def _make_audit_hook(scratch, allow_read, deny_read, banned_modules, record):
    """Build the audit hook. Its settings live in immutable closure values only."""
    realpath = os.path.realpath
    sep = os.sep
    scratch = realpath(scratch)
    allow_read = tuple(sorted({realpath(p) for p in allow_read if p}))
    deny_read = tuple(sorted({realpath(p) for p in deny_read if p}))
    banned = tuple(sorted({*forbidden.ALWAYS_BANNED_MODULES, CHECKS_PACKAGE, *banned_modules}))
    readable_files = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    violation = Forbidden

    def under(path, root):
        return path == root or path.startswith(root if root.endswith(sep) else root + sep)

    def plain_path(path):
        if type(path) is str:
            return path
        if type(path) is bytes:
            return os.fsdecode(path)
        if isinstance(path, str):
            return str.__getitem__(path, slice(None))
        if isinstance(path, bytes):
            return os.fsdecode(bytes.__getitem__(path, slice(None)))
        return None

    def deny(what):
        record(what)
        raise violation(f"not allowed in graded code: {what}")

    def may_read(real):
        if under(real, scratch) or real in readable_files:
            return True
        best_allow = max((len(r) for r in allow_read if under(real, r)), default=-1)
        best_deny = max((len(r) for r in deny_read if under(real, r)), default=-1)
        return best_allow > best_deny

    def check_path(path, write, event, relative_ok=True):
        if type(path) is int:
            return
        text = plain_path(path)
        if text is None:
            deny(f"{event} with a {type(path).__name__} path (use a plain string)")
        if "\x00" in text:
            deny(f"{event} with a NUL in the path")
        if not relative_ok and not text.startswith(sep):
            deny(f"{event} with a relative path")
        real = realpath(text)
        if write:
            if not under(real, scratch) or real == scratch:
                deny(f"changing files outside the scratch directory ({event} {text[:120]!r})")
        elif not may_read(real):
            deny(f"reading outside the allowed folders ({event} {text[:120]!r})")

    def hook(event, args):
        if event == "import":
            name = args[0] if args and type(args[0]) is str else ""
            for module in banned:
                if name == module or name.startswith(module + "."):
                    deny(f"import {name}")
            return
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, 0))[:3]
            if type(flags) is not int:
                flags = 0
            write = bool(flags & write_flags) or (type(mode) is str and any(c in mode for c in "wax+"))
            check_path(path, write, "open", relative_ok=mode is not None)
            return
        if event in _WRITE_EVENTS:
            paths, dir_fds = _WRITE_EVENTS[event]
            for i in dir_fds:
                if i < len(args) and args[i] not in (None, -1):
                    deny(f"{event} relative to a directory descriptor")
            for i in paths:
                if i < len(args) and args[i] is not None:
                    check_path(args[i], True, event)
            if event in _READ_EVENTS:
                check_path(args[_READ_EVENTS[event]], False, event)
            return
        if event in _READ_EVENTS:
            i = _READ_EVENTS[event]
            if i < len(args) and args[i] is not None:
                check_path(args[i], False, event)
            return
        if event == "os.symlink":
            deny("creating a symbolic link")
        if event in _PROCESS_EVENTS:
            deny(_EVENT_MESSAGES.get(event, event))
        if event.startswith("socket."):
            deny(f"network access ({event})")
        if event.startswith("ctypes."):
            deny("calling C code through ctypes")
        if event == "sqlite3.connect" and args and args[0] != ":memory:":
            check_path(args[0], True, event)

    return hook


def _lower_limits(limits) -> None:
    import resource

    def set_limit(which, value):
        try:
            soft, hard = resource.getrlimit(which)
            hard_new = value if hard == resource.RLIM_INFINITY else min(hard, value)
            resource.setrlimit(which, (min(value, hard_new), hard_new))
        except (ValueError, OSError):
            pass

    cpu = int(limits.get("cpu_s", 10))
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    except (ValueError, OSError):
        set_limit(resource.RLIMIT_CPU, cpu)
    set_limit(resource.RLIMIT_AS, int(limits.get("memory_mb", 1024)) * 2**20)
    set_limit(resource.RLIMIT_FSIZE, int(limits.get("file_mb", 32)) * 2**20)
    set_limit(resource.RLIMIT_NOFILE, int(limits.get("open_files", 256)))
    set_limit(resource.RLIMIT_CORE, 0)
    if "nproc" in limits:
        set_limit(resource.RLIMIT_NPROC, int(limits["nproc"]))


def _remove_unaudited_os_functions() -> None:
    """Functions with no audit event that a root process could abuse (device nodes, chroot)."""
    import posix

    for name in ("mknod", "mkfifo", "chroot", "setns", "unshare", "pidfd_open"):
        for module in (os, posix):
            try:
                delattr(module, name)
            except AttributeError:
                pass


def _disarm_fork_exec(record) -> None:
    """``subprocess`` is imported before the hook (NumPy's testing module needs it); its C
    helper ``_posixsubprocess.fork_exec`` raises no audit event, so it is replaced by a stub.
    A fresh load of ``_posixsubprocess`` is refused by the hook (it fires an import event)."""
    import subprocess  # noqa: F401
    import _posixsubprocess

    _posixsubprocess.fork_exec = forbidden.refusing("starting a process (_posixsubprocess)", record)


def _module_locations(names) -> list[str]:
    """Files or folders of banned pure-Python modules: reading them is refused, so
    ``importlib.import_module`` (which raises no import event) cannot load them either."""
    import importlib.util

    found = []
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError, AttributeError):
            continue
        if spec is None:
            continue
        if spec.submodule_search_locations:
            found.extend(spec.submodule_search_locations)
        elif spec.origin and os.path.isabs(spec.origin):
            found.append(spec.origin)
    return found


class _Child:
    """Runs the job; every method here is trusted bootstrap code."""

    def __init__(self, scratch, results_fd):
        self.scratch, self.results_fd = scratch, results_fd
        with open(os.path.join(scratch, "job.json"), encoding="utf-8") as f:
            self.job = json.load(f)
        self.results = {"running": None, "done": {}, "context_errors": [], "started": time.time()}
        self.violations = []
        self._reserve = bytearray(8 * 2**20)  # freed on MemoryError so the report can still be written

    def record_violation(self, what):
        if len(self.violations) < 50:
            self.violations.append(str(what)[:300])

    def write_results(self):
        """Send the whole report as one frame, ``b"<length>\\n<json>"``, on the results pipe."""
        data = json.dumps(self.results, allow_nan=False).encode("utf-8")
        frame = b"%d\n" % len(data) + data
        view = memoryview(frame)
        while view:
            written = os.write(self.results_fd, view)
            view = view[written:]

    def load_inputs(self):
        import numpy as np

        self.inputs = {}
        path = os.path.join(self.scratch, "inputs.npz")
        if os.path.exists(path):
            with np.load(path, allow_pickle=False) as data:
                self.inputs = {key: data[key] for key in data.files}
            os.remove(path)  # off the disk before student code runs: each input reaches only its own call

    def args_for(self, qid):
        import numpy as np

        out = []
        for call in self.job.get("args", {}).get(qid, []):
            args = []
            for arg in call:  # {"array": key in inputs.npz} or {"value": a JSON number/string}
                if "array" in arg:
                    args.append(np.array(self.inputs[arg["array"]], copy=True))  # fresh copy: students may mutate
                else:
                    args.append(arg["value"])
            out.append(tuple(args))
        return out

    def run(self):
        job = self.job
        limits = job.get("limits", {})
        for module in job.get("preload", []):
            __import__(module)
        import numpy  # noqa: F401  (every exercise uses it; imported before the hook for speed)

        self.load_inputs()
        _lower_limits(limits)
        out_limit = int(limits.get("output_chars", 200_000))
        sys.stdout = _CappedWriter(sys.stdout, out_limit)
        sys.stderr = _CappedWriter(sys.stderr, out_limit)
        sys.stdin = io.StringIO("")
        try:
            import signal

            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails instead of killing us
        except (AttributeError, ValueError, OSError):
            pass
        _close_other_descriptors(self.results_fd)  # bwrap's copies of the job and the hidden inputs
        if job.get("audit_hook", True):
            _remove_unaudited_os_functions()
            _disarm_fork_exec(self.record_violation)
            banned = job.get("forbidden_modules", [])
            deny_read = list(job.get("deny_read", [])) + _module_locations(banned)
            hook = _make_audit_hook(self.scratch, job.get("allow_read", []), deny_read, banned, self.record_violation)
            sys.addaudithook(hook)
            del hook
        self.write_results()
        namespace = {"__name__": "__main__", "__builtins__": builtins}
        for name, key in job.get("given", {}).items():  # the exercise's given data (e.g. training images)
            namespace[str(name)] = self.inputs[key]
        skip = set(job.get("skip", []))
        for cell in job["cells"]:
            qid = cell.get("question")
            if qid is not None and qid in skip:
                continue
            if qid is not None:
                self.results["running"] = qid
                self.write_results()
            self.violations = []
            saved = forbidden.patch_calls(job.get("forbidden_calls", {}).get(qid, []), self.record_violation) if qid else []
            try:
                outcome = self.exec_cell(cell, namespace)
                if qid is not None and outcome["outcome"] == Kind.OK:
                    outcome = probes.run_probe(job["probes"][qid], namespace, self.args_for(qid))
            except MemoryError:
                self._reserve = None
                outcome = {"outcome": Kind.MEMORY}
            except BaseException as exc:  # SystemExit & co. from a probe: this question only
                outcome = {"outcome": Kind.RAISED, "error": describe_exception(exc)}
            finally:
                forbidden.restore(saved)
            if self._reserve is None:
                self._reserve = bytearray(8 * 2**20) if _try_alloc() else None
            if qid is None:
                if outcome["outcome"] != Kind.OK:
                    self.results["context_errors"].append({"cell": cell.get("index"), **outcome})
                continue
            if self.violations:
                outcome["violations"] = list(self.violations)
            self.results["done"][qid] = outcome
            self.results["running"] = None
            self.write_results()
        self.results["finished"] = True
        self.write_results()

    def exec_cell(self, cell, namespace):
        label = f"<{cell.get('question') or 'setup'} cell>"
        try:
            code = compile(cell["source"], label, "exec")
        except SyntaxError as exc:
            return {"outcome": Kind.SYNTAX, "error": f"SyntaxError: {_short(exc.msg, 150)} (line {exc.lineno})"}
        except (ValueError, OverflowError, RecursionError) as exc:
            return {"outcome": Kind.SYNTAX, "error": describe_exception(exc)}
        try:
            exec(code, namespace)
        except NotImplementedError as exc:
            return {"outcome": Kind.NOT_ATTEMPTED, "detail": describe_exception(exc)}
        except MemoryError:
            self._reserve = None
            return {"outcome": Kind.MEMORY}
        except SystemExit as exc:
            return {"outcome": Kind.EXIT, "error": f"SystemExit({_short(exc.code, 60)!s})"}
        except KeyboardInterrupt:
            return {"outcome": Kind.RAISED, "error": "KeyboardInterrupt"}
        except BaseException as exc:
            return {"outcome": Kind.RAISED, "error": describe_exception(exc), "line": _student_line(exc, label),
                    "forbidden": isinstance(exc, Forbidden)}
        return {"outcome": Kind.OK}


def _try_alloc():
    try:
        bytearray(8 * 2**20)
        return True
    except MemoryError:
        return False


def _student_line(exc, label):
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == label:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _close_other_descriptors(keep: int) -> None:
    os.closerange(3, keep)
    os.closerange(keep + 1, 1 << 16)


def main(argv) -> None:
    scratch, results_fd = argv[1], int(argv[2])
    os.chdir(scratch)
    child = _Child(scratch, results_fd)
    try:
        child.run()
    except BaseException as exc:  # the bootstrap itself failed: say so, the parent reports CRASH
        try:
            child.results["bootstrap_error"] = describe_exception(exc)
            child.write_results()
        except BaseException:
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:
            pass
        os._exit(0)  # skip atexit handlers and finalisers that student code may have registered


if __name__ == "__main__":
    main(sys.argv)
