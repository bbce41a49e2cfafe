"""Grading is laid out in three layers, and no import runs back up.

``course_utils/checks`` (what ``check()`` and the grader's child both use) imports nothing
of ``course_utils`` outside itself, and only relatively, because the sandbox binds it alone
as the package ``course_checks``; ``course_utils/exercises`` (the question bank) may import
the checks and the course's teaching modules, never ``course_utils/grading`` (the
instructor's side, on top). The modules are read with ``ast``, not imported.
"""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "course_utils"
LAYERS = ("checks", "exercises", "grading")
# An entry point kept for the documented command ``python -m course_utils.exercises.release``:
# its one import sits under ``if __name__ == "__main__"`` and runs only as that command.
ENTRY_POINTS = {"course_utils.exercises.release"}


def modules(layer: str) -> dict[str, Path]:
    """``{dotted name: path}`` of every module of one layer."""
    found = {}
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path) -> list[tuple[str, bool]]:
    """``(absolute module name, relative?)`` for every import in the module, nested ones included."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, False) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
                found += [(target, True)] + [(f"{target}.{alias.name}", True) for alias in node.names
                                             if not node.module]
            else:
                found += [(node.module, False)] + [(f"{node.module}.{alias.name}", False) for alias in node.names]
    return found


def under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_each_layer_holds_the_modules_it_should():
    checks, exercises, grading = (set(modules(layer)) for layer in LAYERS)
    assert {f"course_utils.checks.{m}" for m in ("protocol", "codec", "probes", "forbidden", "notebook_schema",
                                                  "questions", "layer_checks", "hints")} <= checks
    assert {"course_utils.exercises", "course_utils.exercises.ex01_convolution_1d",
            "course_utils.exercises.ex07_lenet5_keras"} <= exercises
    # the bank is the registry and one module per exercise: nothing else lives beside the questions
    assert [n for n in exercises - {"course_utils.exercises"} - ENTRY_POINTS
            if not re.fullmatch(r"course_utils\.exercises\.ex\d\d_\w+", n)] == []
    assert {f"course_utils.grading.{m}" for m in ("cli", "submission", "job", "sandbox", "child", "judge", "records",
                                                   "cluster", "release", "synthetic", "gradebook", "deadlines")} <= grading


def test_checks_import_nothing_of_the_course_but_themselves_and_only_relatively():
    wrong = [(name, target) for name, path in modules("checks").items() for target, relative in imports(name, path)
             if (under(target, "course_utils") and not relative) or
             (under(target, "course_utils") and not under(target, "course_utils.checks"))]
    assert wrong == []


def test_the_question_bank_never_imports_the_instructor_s_side():
    wrong = [(name, target) for name, path in modules("exercises").items() if name not in ENTRY_POINTS
             for target, _ in imports(name, path) if under(target, "course_utils.grading")]
    assert wrong == []


def test_the_entry_point_in_the_question_bank_imports_only_when_run():
    for name in ENTRY_POINTS:
        tree = ast.parse(modules("exercises")[name].read_text(encoding="utf-8"))
        top = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
        assert [alias.name for node in top for alias in node.names] == ["sys"], name


@pytest.mark.parametrize("layer, higher", [("checks", "course_utils.exercises"), ("checks", "course_utils.grading")])
def test_no_import_runs_back_up(layer, higher):
    wrong = [(name, target) for name, path in modules(layer).items()
             for target, _ in imports(name, path) if under(target, higher)]
    assert wrong == []


def test_the_walker_sees_relative_and_nested_imports(tmp_path):
    path = tmp_path / "probes.py"
    path.write_text("from .codec import x\nfrom . import hints\ndef f():\n    import course_utils.grading\n")
    assert imports("course_utils.checks.probes", path) == [
        ("course_utils.checks.codec", True), ("course_utils.checks", True), ("course_utils.checks.hints", True),
        ("course_utils.grading", False)]
