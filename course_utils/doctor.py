"""Environment self-check: ``python -m course_utils.doctor``.

Prints the Python and package versions, the Keras backend and where the datasets
will come from, with one OK/FAIL line per check and the fix for each FAIL.
Exits 1 if anything failed.
"""
from __future__ import annotations

import importlib
import importlib.metadata as metadata
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement

DISTRIBUTION = "cnn-course"
INSTALL_FIX = 'run `python -m pip install -e .` in the course folder'


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{'OK  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"
        return text if self.ok else f"{text}\n     fix: {self.fix}"


def requirements() -> list[Requirement]:
    """The course's pinned requirements that apply to this platform."""
    try:
        declared = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return []
    reqs = [Requirement(r) for r in declared]
    return [r for r in reqs if (r.marker is None or r.marker.evaluate({"extra": ""}))]


def cpu_name() -> str:
    """The CPU model where the OS tells it (Linux: /proc/cpuinfo), else what platform knows.

    >>> isinstance(cpu_name(), str) and cpu_name() != ""
    True
    """
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


SUPPORTED_PYTHON = ">=3.11,<3.14"
"""The Pythons the pinned packages exist for (NumPy 2.4 and Keras 3.15 need 3.11; TensorFlow 2.21 stops at 3.13).
pyproject.toml's ``requires-python`` says the same (tests/test_environment_files.py keeps them equal)."""


def check_python(version: tuple[int, ...] | None = None) -> Check:
    """Is this Python one the course supports?

    >>> check_python((3, 10, 13)).line().splitlines()[0]
    'FAIL Python: 3.10.13 (the course needs Python >=3.11,<3.14)'
    >>> check_python((3, 12, 1)).ok
    True
    """
    from packaging.specifiers import SpecifierSet

    text = ".".join(map(str, (version or sys.version_info)[:3]))
    ok = text in SpecifierSet(SUPPORTED_PYTHON)
    if ok:
        return Check("Python", True, text)
    return Check("Python", False, f"{text} (the course needs Python {SUPPORTED_PYTHON})",
                 "install Python 3.11, 3.12 or 3.13 (e.g. `conda env create -f environment.yml`), "
                 "then make a fresh virtual environment with it")


def check_course_installed() -> Check:
    try:
        version = metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return Check("course package", False, "cnn-course is not installed", INSTALL_FIX)
    return Check("course package", True, f"cnn-course {version}")


def check_requirement(req: Requirement) -> Check:
    try:
        installed = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        return Check(req.name, False, "not installed", INSTALL_FIX)
    ok = req.specifier.contains(installed, prereleases=True)
    wanted = str(req.specifier) or "any version"
    return Check(req.name, ok, f"{installed}" + ("" if ok else f" (the course needs {wanted})"), INSTALL_FIX)


def check_keras_backend() -> Check:
    import course_utils  # noqa: F401  (sets the default backend and quiets TensorFlow)

    try:
        keras = importlib.import_module("keras")
        backend = keras.backend.backend()
    except Exception as exc:  # a broken backend install shows up here
        return Check("Keras backend", False, f"{type(exc).__name__}: {exc}",
                     "set KERAS_BACKEND=tensorflow (the default) and reinstall: " + INSTALL_FIX)
    chosen = "your KERAS_BACKEND" if os.environ.get("KERAS_BACKEND") != "tensorflow" else "course default"
    return Check("Keras backend", True, f"{backend} ({chosen}), Keras {keras.__version__}")


def check_data() -> list[Check]:
    from course_utils import datasets

    checks = []
    forced = os.environ.get(datasets.SOURCE_ENV, "").lower() == "sample"
    cache = datasets.keras_cache_dir()
    mnist_full = (cache / "mnist.npz").exists()
    fashion_full = datasets._has_idx(cache / "fashion-mnist") or datasets._has_idx(datasets.DEBIAN_FASHION_DIR)
    for title, full in (("MNIST data", mnist_full), ("Fashion-MNIST data", fashion_full)):
        if forced:
            where = f"bundled sample ({datasets.SOURCE_ENV}=sample)"
        elif full:
            where = "full dataset on disk"
        else:
            where = "bundled sample offline (the full dataset downloads through Keras when online)"
        checks.append(Check(title, True, where))
    for name in ("mnist_sample.npz", "fashion_mnist_sample.npz"):
        path = datasets.DATA_DIR / name
        try:
            datasets._read_npz(path)
            checks.append(Check(f"bundled {name}", True, f"{path.stat().st_size / 1e6:.1f} MB, readable"))
        except (datasets.DatasetError, FileNotFoundError) as exc:
            checks.append(Check(f"bundled {name}", False, str(exc), "restore it with `git checkout course_utils/data`"))
    return checks


def check_plotting() -> Check:
    try:
        import matplotlib
        from course_utils.datasets import load_sample_image

        image = load_sample_image()
    except Exception as exc:
        return Check("sample image", False, f"{type(exc).__name__}: {exc}", INSTALL_FIX)
    return Check("sample image", True, f"matplotlib {matplotlib.__version__}, grace_hopper.jpg {image.shape[0]}x{image.shape[1]}")


def run_checks() -> list[Check]:
    checks = [check_python(), check_course_installed()]
    checks += [check_requirement(r) for r in requirements()]
    checks.append(check_keras_backend())
    checks += check_data()
    checks.append(check_plotting())
    return checks


def main() -> int:
    checks = run_checks()
    for check in checks:
        print(check.line())
    failed = sum(not c.ok for c in checks)
    print(f"{len(checks) - failed} OK, {failed} FAIL" + ("" if failed else ": ready for the course"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
