"""environment.yml (conda) and pyproject.toml (pip) must ask for the same versions."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pip_pins():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = {}
    for dep in deps:
        if "sys_platform == 'darwin'" in dep:
            continue  # the macOS variant of TensorFlow; conda users on macOS get the same version
        name, version = re.match(r"([A-Za-z0-9_.-]+)==([0-9.]+)\.\*", dep).groups()
        pins[name.lower()] = version
    return pins


def conda_pins():
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        conda = re.match(r"\s+- ([a-z0-9_.-]+)=([0-9.]+)\s*$", line)
        pip = re.match(r"\s+- ([a-z0-9_.-]+)==([0-9.]+)\.\*\s*$", line)
        match = conda or pip
        if match and match.group(1) != "python":
            pins[match.group(1)] = match.group(2)
    return pins


def test_every_pip_pin_is_in_environment_yml():
    assert pip_pins() == conda_pins()


def test_the_cluster_extra_is_in_environment_yml():
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["cluster"]
    pip_section = re.findall(r"^\s{6}- (\S+)", (ROOT / "environment.yml").read_text(), re.M)
    assert extra == ["dask[distributed]>=2024.1"]
    assert set(extra) <= set(pip_section)


def test_design_card_packages_are_pinned():
    for name in ("jupyterlab", "numpy", "keras", "matplotlib", "nbval"):
        assert re.fullmatch(r"\d+\.\d+", pip_pins()[name]), name


def test_one_range_of_supported_pythons():
    """pyproject's requires-python, doctor, environment.yml and the README agree (3.11 to 3.13)."""
    from packaging.specifiers import SpecifierSet

    from course_utils import doctor

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert SpecifierSet(declared) == SpecifierSet(doctor.SUPPORTED_PYTHON) == SpecifierSet(">=3.11,<3.14")
    conda_python = re.search(r"^\s+- python=([0-9.]+)\s*$", (ROOT / "environment.yml").read_text(), re.M).group(1)
    assert f"{conda_python}.0" in SpecifierSet(declared)
    assert "Python 3.11–3.13" in (ROOT / "README.md").read_text(encoding="utf-8")
    for old in ("3.10.13", "3.14.0"):
        assert old not in SpecifierSet(declared) and not doctor.check_python(tuple(map(int, old.split(".")))).ok
