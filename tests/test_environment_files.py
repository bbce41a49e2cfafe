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


def test_design_card_packages_are_pinned():
    for name in ("jupyterlab", "numpy", "keras", "matplotlib", "nbval"):
        assert re.fullmatch(r"\d+\.\d+", pip_pins()[name]), name
