"""Re-execute notebooks in place, top to bottom in a fresh kernel, as CI will check them.

    python -m course_utils.refresh notebooks/03_image_filters.ipynb   # one notebook
    python -m course_utils.refresh                                     # every course notebook

The kernel runs with ``COURSE_DATA=sample`` (the bundled data, as in CI) from the
notebook's own folder, and the kernel's metadata is normalised so that outputs and
metadata are the same whoever runs it.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbconvert.preprocessors import CoalesceStreamsPreprocessor
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
KERNEL_SPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def default_notebooks() -> list[Path]:
    """The course notebooks and the exercise solution notebooks, in teaching order."""
    return sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "exercises" / "solutions").glob("*.ipynb"))


def execute(path: Path, timeout: int = 900) -> float:
    """Run one notebook in place; returns the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    os.environ.setdefault("COURSE_DATA", "sample")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    # one stream per cell and name, however the kernel flushed it (nbval compares them merged too)
    nb, _ = CoalesceStreamsPreprocessor().preprocess(nb, {})
    nb.metadata["kernelspec"] = KERNEL_SPEC
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    failed = 0
    for path in args.notebooks or default_notebooks():
        try:
            print(f"{path}: {execute(path):.1f} s", flush=True)
        except Exception as exc:  # keep going: report every broken notebook in one run
            failed += 1
            print(f"{path}: FAILED: {type(exc).__name__}: {str(exc).strip().splitlines()[-1][:300]}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
