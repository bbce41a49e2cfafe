"""Grade a class on a Dask cluster when one machine is not enough.

    python -m course_utils.grade SUBMISSIONS --out OUT --cluster local:4          # 4 worker processes here
    python -m course_utils.grade SUBMISSIONS --out OUT --cluster tcp://HOST:8786  # a running scheduler

Only *where* the grading step runs changes: :func:`course_utils.grading.cli.grade_class` still
reads and checks every notebook here (size caps, no symbolic link followed), and hands a
worker a :class:`~course_utils.grading.cli.GradingTask` holding the notebook's bytes, so the
workers need no shared filesystem. The worker runs :func:`course_utils.grading.cli.run_task`, the
same step the local threads run (the notebook still goes through the sandboxed child), and
returns plain data; this machine writes the records and the CSVs. One Dask task per student ×
exercise, with a key derived from the student, the exercise, the notebook's bytes and the
grader's fingerprint: a duplicate collapses onto one task, and whichever copy of a task
finishes, its record is written once, by an atomic rename. A task whose worker dies is
retried on another one (``distributed.scheduler.allowed-failures``); one that raises is
retried ``RETRIES`` times. A task that still fails gets CRASH rows in ``grades.csv`` but no
stored record, so the next run grades it again.

Needs the ``cluster`` extra (``pip install -e '.[cluster]'``); every worker needs the same
course and library versions and bubblewrap (each worker checks, and the run stops with one
line if one differs).
"""
from __future__ import annotations

import functools
import hashlib
import os
import re
import socket
import sys
import time
from typing import NamedTuple

from course_utils.checks.protocol import STATUSES
from course_utils.exercises import all_exercises
from course_utils.grading import cli
from course_utils.grading import records, sandbox

INSTALL = "pip install -e '.[cluster]' (or: pip install 'dask[distributed]')"
FORMS = "local, local:N (N worker processes on this machine) or tcp://HOST:PORT (a running Dask scheduler)"
CONNECT_TIMEOUT_S = 10.0
RETRIES = 2                  # a task that raises (not the notebook: run_task never raises because of it)
ALLOWED_FAILURES = 3         # workers that may die under one task before it counts as failed
_LOCAL = re.compile(r"local(?::([0-9]{1,4}))?")
_TCP = re.compile(r"tcp://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))(?::([0-9]{1,5}))")


class ClusterSpec(NamedTuple):
    """A parsed ``--cluster``: ``local_workers`` worker processes here, or a scheduler's ``address``."""

    spec: str
    local_workers: int | None = None
    address: str | None = None


def parse_cluster(spec: str) -> ClusterSpec:
    """``--cluster``'s value, checked; a bad one stops with one line naming the accepted forms.

    >>> parse_cluster("local:3")
    ClusterSpec(spec='local:3', local_workers=3, address=None)
    >>> parse_cluster("tcp://10.0.0.5:8786").address
    'tcp://10.0.0.5:8786'
    >>> parse_cluster("foo")
    Traceback (most recent call last):
    ...
    SystemExit: --cluster 'foo': expected local, local:N (N worker processes on this machine) or tcp://HOST:PORT (a running Dask scheduler)
    """
    local, tcp = _LOCAL.fullmatch(spec), _TCP.fullmatch(spec)
    if local and (local.group(1) is None or int(local.group(1)) >= 1):
        return ClusterSpec(spec, int(local.group(1) or os.cpu_count() or 1))
    if tcp and 1 <= int(tcp.group(2)) <= 65535:
        return ClusterSpec(spec, address=spec)
    raise SystemExit(f"--cluster {spec!r}: expected {FORMS}")


def usable_cluster(spec: str) -> ClusterSpec:
    """:func:`parse_cluster`, then Dask's presence: grade_class's first step, before any work."""
    cluster = parse_cluster(spec)
    problem = dask_problem()
    if problem:
        raise SystemExit(problem)
    return cluster


def dask_problem() -> str | None:
    """None when Dask's distributed scheduler can be imported here; else one line saying how to install it."""
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        return f"--cluster needs Dask (distributed), which is not installed here ({exc}): {INSTALL}"
    return None


def task_key(task: cli.GradingTask, fingerprint: str) -> str:
    """The task's Dask key: the same student, exercise, notebook bytes and grader give the same key.

    ``fingerprint`` (the record's) already covers the notebook's bytes, the grader and the exercise.
    """
    who = hashlib.sha256(os.fsencode(task.student) + b"\0" + fingerprint.encode()).hexdigest()[:32]
    return f"grade-{task.exercise}-{who}"


# --------------------------------------------------------------------------------------
# On a worker
# --------------------------------------------------------------------------------------


@functools.cache
def _worker_code() -> str:
    return records.code_fingerprint()


@functools.cache
def _worker_isolation_problem() -> str | None:
    return sandbox.isolation_problem()


def warm_up() -> str:
    """What a worker's first task would do once: import the question bank, hash the grading code
    (returned, for the parent to compare with its own)."""
    all_exercises()
    return _worker_code()


def grade_on_worker(task: cli.GradingTask) -> dict:
    """What a worker runs: :func:`course_utils.grading.cli.run_task`, plus who ran it and with which code."""
    from distributed import get_worker

    where = f"{socket.gethostname()} ({get_worker().address})"
    refused = _worker_isolation_problem() if task.isolate else None
    if refused:
        return {"worker": where, "refused": refused}
    start = time.perf_counter()
    outcome = cli.run_task(task)
    return {"worker": where, "code": _worker_code(), "seconds": time.perf_counter() - start, **outcome}


# --------------------------------------------------------------------------------------
# Here
# --------------------------------------------------------------------------------------


def connect(cluster: ClusterSpec):
    """A Dask client: on a fresh loopback-only cluster of ``local_workers`` processes (closed with
    the client), or on the scheduler at ``address``. Stops with one line when that fails."""
    import logging

    import dask
    from distributed import Client, LocalCluster

    if cluster.address is None:
        main = sys.modules.get("__main__")
        if main is not None and not hasattr(main, "__spec__"):
            # An IPython shell after a reset holds a __main__ without __spec__, which the worker
            # processes' start (multiprocessing's spawn) reads; None is what an interactive __main__ has.
            main.__spec__ = None
        try:
            with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
                local = LocalCluster(n_workers=cluster.local_workers, threads_per_worker=1, processes=True,
                                     host="127.0.0.1", dashboard_address=None, memory_limit=0,
                                     silence_logs=logging.ERROR)  # each child has its own memory limit
        except Exception as exc:
            raise SystemExit(f"could not start a local Dask cluster of {cluster.local_workers} worker processes "
                             f"({causes(exc)})") from None
        client = Client(local)
        client.close = _closing_also(client.close, local.close)
        return client
    try:
        return Client(cluster.address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise SystemExit(f"cannot reach a Dask scheduler at {cluster.address} within {CONNECT_TIMEOUT_S:g} s "
                         f"({type(exc).__name__}): start one (dask scheduler) or check the address") from None


def causes(exc: BaseException) -> str:
    """An exception and what caused it, on one line (Dask's "Nanny failed to start." alone says little).

    >>> try:
    ...     try:
    ...         raise OSError("[Errno 24] Too many open files")
    ...     except OSError as inner:
    ...         raise RuntimeError("Nanny failed to start.") from inner
    ... except RuntimeError as outer:
    ...     causes(outer)
    'RuntimeError: Nanny failed to start. <- OSError: [Errno 24] Too many open files'
    """
    chain, seen = [], set()
    while exc is not None and id(exc) not in seen and len(chain) < 6:
        seen.add(id(exc))
        chain.append(f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
        exc = exc.__cause__ or exc.__context__
    return " <- ".join(chain)


def _closing_also(close_client, close_cluster):
    def close(*args, **kwargs):
        close_client(*args, **kwargs)
        close_cluster()
    return close


def graded_on(cluster: ClusterSpec, items, prepare, finish):
    """Grade ``items`` ((student, exercise) pairs) on the cluster; yields ``((student, exercise),
    record, reused)`` as each is done, like grade_class's local pool.

    ``prepare(student, exercise)`` and ``finish(student, exercise, fingerprint, outcome)`` are
    grade_class's own steps, run here: reading and checking the notebook, reusing a stored
    record, and (after the worker's run) verifying, signing and writing the record. Tasks are
    submitted a window at a time, so that a big class's notebooks are not all held in memory.
    """
    from distributed import as_completed

    client = connect(cluster)
    try:
        code = records.code_fingerprint()
        for worker, worker_code in client.run(warm_up).items():   # the workers up now; later ones: per task
            if worker_code != code:
                raise SystemExit(other_code(worker))
        window = max(64, 4 * sum(client.nthreads().values()))
        queue, in_flight, ready = iter(items), {}, []
        done = as_completed()

        def top_up():
            while len(in_flight) < window:
                item = next(queue, None)
                if item is None:
                    return
                try:
                    task, fingerprint, old = prepare(*item)
                except Exception as exc:  # never lose a row, whatever happened
                    ready.append((item, records.crashed_record(item[0], item[1], exc), False))
                    continue
                if task is None:
                    ready.append((item, old, True))
                    continue
                future = client.submit(grade_on_worker, task, key=task_key(task, fingerprint), retries=RETRIES)
                in_flight[future] = (item, fingerprint)
                done.add(future)

        top_up()
        yield from _drain(ready)
        for future in done:
            item, fingerprint = in_flight.pop(future)
            try:
                outcome = future.result()
            except Exception as exc:  # the cluster lost it: rows now, no stored record, regraded next run
                print(f"\nthe cluster could not grade {records.display_name(item[0])}/{item[1].notebook} "
                      f"({type(exc).__name__}: {exc}); run the same command again to regrade it", file=sys.stderr)
                yield item, records.crashed_record(item[0], item[1], exc), False
            else:
                yield item, finish(*item, fingerprint, checked(outcome, code, item[1])), False
            future.release()
            top_up()
            yield from _drain(ready)
    finally:
        client.close()


def _drain(ready: list):
    while ready:
        yield ready.pop(0)


def other_code(worker: str) -> str:
    return (f"worker {worker} runs other grading code or library versions than this machine: install the same "
            "course checkout and packages on every worker")


def checked(outcome: dict, code: str, exercise) -> dict:
    """A worker's outcome once it is known to come from a worker like this machine and to hold one
    row per question of ``exercise`` with a known status and points within bounds; else the run stops.

    >>> checked({"worker": "w", "refused": "cannot isolate submissions: ..."}, "abc", None)
    Traceback (most recent call last):
    ...
    SystemExit: worker w: cannot isolate submissions: ...
    """
    if outcome.get("refused"):
        raise SystemExit(f"worker {outcome['worker']}: {outcome['refused']}")
    if outcome.get("code") != code:
        raise SystemExit(other_code(outcome["worker"]))
    record = outcome["record"]
    rows = [(r["question"], r["max_points"]) for r in record["rows"]]
    if (rows != [(q.id, q.points) for q in exercise.questions] or record["exercise"] != exercise.notebook
            or not all(r["status"] in STATUSES and 0 <= r["points"] <= r["max_points"] for r in record["rows"])):
        raise SystemExit(f"worker {outcome['worker']} returned a malformed record for {exercise.notebook}")
    return {"record": record, "error": outcome["error"]}
