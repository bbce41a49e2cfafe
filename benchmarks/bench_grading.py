"""How fast does the course's grader go through a class? Serial vs ``--jobs 2``.

    python benchmarks/bench_grading.py                   # 30 students x 2 exercises = 60 notebooks
    python benchmarks/bench_grading.py --students 10 --timeout 5
    python benchmarks/bench_grading.py --isolation-cost   # bubblewrap on vs --no-isolation, serial

A synthetic class (:mod:`course_utils.grading.synthetic`: solutions, untouched
notebooks, wrong answers, missing and broken files, and four adversarial notebooks, one
of which loops forever) is graded twice through the command line, exactly as an
instructor runs it: once with ``--jobs 1`` and once with ``--jobs 2``. The wall-clock time
includes Python's start-up and the one endless loop (which costs ``--timeout`` seconds
plus a re-run), so the figures are what a class really costs. The reference point is
nbgrader 0.9.6 measured on this kind of machine: 11 notebooks, serial, 31 s, i.e.
2.8 s per notebook.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
from course_utils.grading.synthetic import make_class  # noqa: E402

NBGRADER_SECONDS_PER_NOTEBOOK = 31 / 11


def grade_once(submissions: Path, out: Path, jobs: int, timeout: float, isolate: bool = True) -> float:
    """Wall-clock seconds of one ``python -m course_utils.grade`` run (a fresh output folder)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "course_utils.grade", str(submissions), "--out", str(out),
                    "--jobs", str(jobs), "--timeout", str(timeout), "--quiet"] + ([] if isolate else ["--no-isolation"]),
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def isolation_cost(submissions: Path, tmp: Path, notebooks: int, timeout: float, rounds: int) -> None:
    """Serial runs, alternating bubblewrap and ``--no-isolation``; the difference per submission."""
    times = {True: [], False: []}
    for i in range(rounds):
        for isolate in (False, True):
            times[isolate].append(grade_once(submissions, tmp / f"iso{isolate}{i}", 1, timeout, isolate))
    best = {k: min(v) / notebooks for k, v in times.items()}
    print(f"isolation: bubblewrap {best[True]:.3f} s per submission, --no-isolation {best[False]:.3f} s "
          f"(best of {rounds}): cost {1000 * (best[True] - best[False]):+.0f} ms per submission")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per notebook run")
    parser.add_argument("--isolation-cost", action="store_true",
                        help="only compare bubblewrap with --no-isolation (serial, best of --rounds)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        expected = make_class(tmp / "submissions", args.students)
        notebooks = len({(s, e) for s, e, _ in expected})
        files = len(list((tmp / "submissions").rglob("*.ipynb")))
        print(f"class: {args.students} students, {notebooks} submissions ({files} files; the rest are missing), "
              f"timeout {args.timeout:g} s")
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f}, Python {platform.python_version()}")
        if args.isolation_cost:
            isolation_cost(tmp / "submissions", tmp, notebooks, args.timeout, args.rounds)
            return 0
        results = {}
        for jobs in (1, 2):
            seconds = grade_once(tmp / "submissions", tmp / f"out{jobs}", jobs, args.timeout)
            results[jobs] = seconds
            per = seconds / notebooks
            print(f"timing: --jobs {jobs}: {seconds:.1f} s for {notebooks} submissions = {per:.2f} s per submission "
                  f"({NBGRADER_SECONDS_PER_NOTEBOOK / per:.1f}x nbgrader's throughput)")
        same = (tmp / "out1" / "grades.csv").read_bytes() == (tmp / "out2" / "grades.csv").read_bytes()
        print(f"serial and parallel grades.csv identical: {same}")
        print(f"speed-up of --jobs 2: {results[1] / results[2]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
