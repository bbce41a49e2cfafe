"""Grading on a Dask cluster: serial vs a local cluster of 2 workers, and what 1,000 students would cost.

    python benchmarks/bench_cluster.py                                   # 100 submissions of the Keras exercise 07
    python benchmarks/bench_cluster.py --students 100 --exercise 01_convolution_1d   # scheduling overhead
    python benchmarks/bench_cluster.py --students 4 --workers 2

A synthetic class where every student submits the solution of ``--exercise`` (the most work
per submission: for exercise 07 each one trains its LeNet-5) is graded twice with
:func:`course_utils.grade.grade_class`, as the command line does: serially (``--jobs 1``)
and on a loopback-only ``LocalCluster`` of ``--workers`` processes (one thread each) through
its ``tcp://127.0.0.1`` address, i.e. ``--cluster tcp://...``. The cluster's start-up is
timed apart (a cluster is usually started once for many runs). Both runs must write the
same ``grades.csv``.

Printed: seconds per submission serially (``t``); the cluster's wall time and speed-up;
the *scheduling overhead per task*, ``(workers x cluster wall - serial wall) / submissions``:
the worker-seconds each task costs beyond its own grading (shipping the notebook, the
scheduler's round trips, workers idle while the last tasks finish); the floor of that cost,
measured with tasks that do nothing but carry the same notebook bytes; and the wall time
projected for 1,000 submissions on 1, 10 and 50 workers, ``ceil(1000 / W) x (t + overhead)``.
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
from course_utils import grade, grade_cluster  # noqa: E402
from course_utils.doctor import cpu_name  # noqa: E402
from course_utils.exercises.synthetic import make_class  # noqa: E402

PROJECTED_STUDENTS = 1000
PROJECTED_WORKERS = (1, 10, 50)


def projection(per_task: float, overhead: float, workers: int, tasks: int = PROJECTED_STUDENTS) -> float:
    """Wall seconds for ``tasks`` submissions on ``workers`` (1: the serial grader, no cluster overhead).

    >>> projection(2.0, 0.1, 1), projection(2.0, 0.1, 10), projection(2.0, 0.1, 50)
    (2000.0, 210.0, 42.0)
    """
    if workers == 1:
        return tasks * per_task
    return math.ceil(tasks / workers) * (per_task + max(0.0, overhead))


def empty_task_seconds(client, payloads: list[bytes]) -> float:
    """Worker-seconds per task of tasks that only carry ``payloads`` (the notebooks' bytes) and return."""
    workers = sum(client.nthreads().values())
    start = time.perf_counter()
    client.gather(client.map(len, payloads, pure=False))
    return workers * (time.perf_counter() - start) / len(payloads)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100, help="submissions in the class (one exercise each)")
    parser.add_argument("--exercise", default="07_lenet5_keras", help="the exercise every student submits")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of the local cluster")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per notebook run (default: the exercise's)")
    args = parser.parse_args(argv)
    problem = grade_cluster.dask_problem()
    if problem:
        raise SystemExit(problem)
    import dask

    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        tmp = Path(tmp)
        make_class(tmp / "submissions", args.students, adversarial=False, exercises=(args.exercise,),
                   profiles=("solution",))
        n = args.students
        print(f"class: {n} submissions of {args.exercise} (all solutions), {args.workers} workers, "
              f"timeout {args.timeout or 'the exercise default'}")
        print(f"machine: {cpu_name()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
              f"Python {platform.python_version()}, Dask {dask.__version__}")
        serial = grade.grade_class(tmp / "submissions", tmp / "serial", jobs=1, timeout=args.timeout, progress=False)
        serial_s = serial["seconds"]
        per_task = serial_s / n
        print(f"serial (--jobs 1): {serial_s:.1f} s = {per_task:.3f} s per submission")

        start = time.perf_counter()
        client = grade_cluster.connect(grade_cluster.usable_cluster(f"local:{args.workers}"))
        try:
            client.wait_for_workers(args.workers)
            client.run(grade_cluster.warm_up)
            startup_s = time.perf_counter() - start
            on_cluster = grade.grade_class(tmp / "submissions", tmp / "cluster", cluster=client.scheduler.address,
                                           timeout=args.timeout, progress=False)
            payloads = [p.read_bytes() for p in sorted((tmp / "submissions").rglob("*.ipynb"))]
            floor = empty_task_seconds(client, payloads)
        finally:
            client.close()
        cluster_s = on_cluster["seconds"]
        overhead = (args.workers * cluster_s - serial_s) / n
        print(f"cluster start-up (local:{args.workers}, until every worker is up and has imported the grader): {startup_s:.1f} s")
        print(f"cluster ({args.workers} workers): {cluster_s:.1f} s = {cluster_s / n:.3f} s per submission; "
              f"speed-up {serial_s / cluster_s:.2f}x (goal >= 1.7x on 2 idle cores)")
        print(f"scheduling overhead: {1000 * overhead:+.0f} ms of worker time per task; floor (empty tasks carrying "
              f"the notebooks): {1000 * floor:.1f} ms")
        same = (tmp / "serial" / "grades.csv").read_bytes() == (tmp / "cluster" / "grades.csv").read_bytes()
        print(f"serial and cluster grades.csv identical: {same}")
        print(f"projected wall time for {PROJECTED_STUDENTS} submissions (t = {per_task:.2f} s, overhead "
              f"{max(0.0, overhead):.2f} s per task, cluster start-up not included):")
        for workers in PROJECTED_WORKERS:
            seconds = projection(per_task, overhead, workers)
            print(f"  {workers:>3} worker(s): {seconds:8.0f} s = {seconds / 60:6.1f} min")
        if not same:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
