"""Measure how much the numbers that training gives move between seeds and machines.

Runs each notebook (a temporary copy; the committed one is not touched) once per seed and
per machine setting, collects every value the notebook passes to
``course_utils.measured.expect``, and writes their range to
``course_utils/data/measured_spread.json``, the bands the notebooks are checked against.

    python tools/measure_spread.py                       # every notebook that calls expect()
    python tools/measure_spread.py notebooks/07_lenet5_keras.ipynb --seeds 0 1 2

"Another machine" is simulated on this one: oneDNN limited to SSE4.1 kernels, one thread
per operation and OpenBLAS's Sandybridge kernels change the last bits of every training
sum, as a different CPU or core count does. Bands of notebooks not run are kept as they were.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_utils import measured  # noqa: E402

SETTINGS = {
    "this machine": {},
    # OpenBLAS's Sandybridge kernels stand in for another CPU's matrix products in NumPy
    "another machine": {"ONEDNN_MAX_CPU_ISA": "SSE41", "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
                        "OMP_NUM_THREADS": "1", "OPENBLAS_CORETYPE": "Sandybridge"},
}


def notebooks_with_expect() -> list[Path]:
    found = []
    for folder in ("notebooks", "exercises/solutions"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            if "expect(" in path.read_text(encoding="utf-8"):
                found.append(path)
    return found


def run_once(notebook: Path, seed: int, setting: dict, timeout: int) -> tuple[list[dict], list[str]]:
    """Execute a copy of ``notebook``; return the recorded values and the errors its cells raised."""
    with tempfile.TemporaryDirectory(prefix="spread-") as tmp:
        log, executed = Path(tmp) / "values.jsonl", Path(tmp) / notebook.name
        env = {**os.environ, "COURSE_DATA": "sample", measured.RECORD_ENV: str(log),
               "COURSE_SEED_OFFSET": str(seed), "COURSE_ARTIFACTS": str(Path(tmp) / "artifacts"),
               "TF_CPP_MIN_LOG_LEVEL": "3", **setting}
        command = [sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
                   f"--ExecutePreprocessor.timeout={timeout}", "--output-dir", tmp, "--output", notebook.name,
                   str(notebook)]
        subprocess.run(command, cwd=notebook.parent, env=env, check=True, capture_output=True)
        values = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
        errors = []
        for k, cell in enumerate(c for c in json.loads(executed.read_text())["cells"] if c["cell_type"] == "code"):
            for out in cell.get("outputs", []):
                if out["output_type"] == "error":
                    errors.append(f"cell {k + 1}: {out['ename']}: {out['evalue'][:200]}")
        return values, errors


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook that calls expect()")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], help="seed offsets (default 0 1 2)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (the values do not depend on it)")
    args = parser.parse_args(argv)
    notebooks = [p.resolve() for p in args.notebooks] or notebooks_with_expect()
    data = (json.loads(measured.SPREAD_FILE.read_text(encoding="utf-8")) if measured.SPREAD_FILE.exists()
            else {"bands": {}, "measured_with": {}})
    failed = False
    for notebook in notebooks:
        values: dict[str, list[float]] = {}
        started = time.time()
        plan = list(itertools.product(SETTINGS, args.seeds))
        with ThreadPoolExecutor(args.jobs) as pool:
            outcomes = pool.map(lambda job: run_once(notebook, job[1], SETTINGS[job[0]], args.timeout), plan)
            for (setting_name, seed), (recorded, errors) in zip(plan, outcomes):
                for item in recorded:
                    values.setdefault(item["key"], []).append(item["value"])
                for error in errors:
                    failed = True
                    print(f"{notebook.name} seed {seed}, {setting_name}: {error}", file=sys.stderr)
                print(f"{notebook.name}: seed {seed}, {setting_name}: {len(recorded)} values", flush=True)
        runs = len(SETTINGS) * len(args.seeds)
        prefix = key_prefix(notebook)
        data["bands"] = {k: v for k, v in data["bands"].items() if not k.startswith(prefix)}
        for key, series in sorted(values.items()):
            if not key.startswith(prefix):
                raise SystemExit(f"{notebook.name}: expect() key {key!r} must start with {prefix!r}")
            if len(series) != runs:
                failed = True
                print(f"{key}: {len(series)} values in {runs} runs (a cell failed or ran it more than once)",
                      file=sys.stderr)
            series = [round(v, 6) for v in series]    # low and high are the stored values' extremes
            data["bands"][key] = {"low": min(series), "high": max(series), "runs": len(series), "values": series}
        data["measured_with"][prefix.rstrip("/")] = {
            "seeds": args.seeds, "settings": {name: setting for name, setting in SETTINGS.items()},
            "python": platform.python_version(), "machine": platform.machine(),
            "date": time.strftime("%Y-%m-%d"), "minutes": round((time.time() - started) / 60, 1),
            "command": "python tools/measure_spread.py " + str(notebook.relative_to(ROOT))}
    data["bands"] = dict(sorted(data["bands"].items()))
    data["measured_with"] = dict(sorted(data["measured_with"].items()))
    measured.SPREAD_FILE.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {measured.SPREAD_FILE.relative_to(ROOT)}")
    return 1 if failed else 0


def key_prefix(notebook: Path) -> str:
    """Keys of a notebook start with its number ("07/..."), of an exercise solution with "ex" and its number."""
    number = notebook.stem.split("_", 1)[0]
    return f"ex{number}/" if notebook.parent.name == "solutions" else f"{number}/"


if __name__ == "__main__":
    sys.exit(main())
