"""The exercise notebooks: student versions are up to date with their solutions, run
cleanly in a fresh kernel with every check saying "not attempted", and match the
question modules (ids, points, one graded cell each)."""
import json
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course_utils.exercises import all_exercises
from course_utils.grading.job import instructor_cells
from course_utils.grading.release import ReleaseError, release_notebook, release_source, render

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "exercises" / "solutions").glob("*.ipynb"))
NAMES = [p.stem for p in SOLUTIONS]


def test_every_exercise_module_has_a_solution_and_a_student_notebook():
    assert set(all_exercises()) == set(NAMES)
    for name in NAMES:
        assert (ROOT / "exercises" / f"{name}.ipynb").exists(), f"run python -m course_utils.grading.release ({name})"


@pytest.mark.parametrize("path", SOLUTIONS, ids=NAMES)
def test_student_notebook_is_up_to_date(path):
    committed = (ROOT / "exercises" / path.name).read_text(encoding="utf-8")
    assert committed == render(path), (
        f"exercises/{path.name} is out of date with its solution: run python -m course_utils.grading.release")


@pytest.mark.parametrize("name", NAMES)
def test_graded_cells_match_the_module(name):
    exercise = all_exercises()[name]
    student = json.loads((ROOT / "exercises" / f"{name}.ipynb").read_text(encoding="utf-8"))
    graded = [c["metadata"]["course"] for c in student["cells"] if "question" in c.get("metadata", {}).get("course", {})]
    assert [g["question"] for g in graded] == [q.id for q in exercise.questions]
    assert [g["points"] for g in graded] == [q.points for q in exercise.questions]
    assert sum(q.points > 0 for q in exercise.questions) >= {"01_convolution_1d": 4, "04_output_sizes_and_counts": 5}.get(name, 1)
    for cell in student["cells"]:
        assert "BEGIN SOLUTION" not in "".join(cell["source"]) and "### STUB" not in "".join(cell["source"])
        assert cell.get("outputs", []) == [] and cell.get("execution_count") is None
    slots = instructor_cells(exercise)
    context = [c for c in slots if c["question"] is None]
    assert all("course_utils" not in c["source"] for c in context), "context cells run in the sandbox"


@pytest.mark.parametrize("name", NAMES)
def test_released_notebook_runs_and_every_check_says_not_attempted(name, tmp_path):
    nb = nbformat.read(ROOT / "exercises" / f"{name}.ipynb", as_version=4)
    os.environ.setdefault("COURSE_DATA", "sample")
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    checks = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            assert out.output_type != "error", f"{out.get('ename')}: {out.get('evalue')}"
            assert not (out.output_type == "stream" and out.name == "stderr"), out.text
        if ".check(" in cell.source:
            checks += 1
            text = "".join(o.get("text", "") for o in cell.outputs)
            assert text.startswith("⏳ Not attempted yet"), text
    assert checks == len(all_exercises()[name].questions)


def test_release_rules():
    assert release_source("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION") == (
        'def f():\n    raise NotImplementedError("write your code here")')
    with pytest.raises(ReleaseError, match="without '### END SOLUTION'"):
        release_source("### BEGIN SOLUTION\nx = 1")
    with pytest.raises(ReleaseError, match="without a '### BEGIN SOLUTION'"):
        release_source("x = 1\n### END SOLUTION")
    exercise = all_exercises()["01_convolution_1d"]
    solution = nbformat.read(SOLUTIONS[0], as_version=4)
    solution.cells = [c for c in solution.cells if c.metadata.get("course", {}).get("question") != "ex01.q2"]
    with pytest.raises(ReleaseError, match="missing for \\['ex01.q2'\\]"):
        release_notebook(solution, exercise)


@pytest.mark.parametrize("name", NAMES)
def test_every_exercise_has_a_prediction_then_an_experiment_then_its_check(name):
    from course_utils.checks.questions import PredictionQuestion

    predictions = [q for q in all_exercises()[name].questions if isinstance(q, PredictionQuestion)]
    assert predictions, f"{name} has no 'predict, then check' question"
    cells = json.loads((ROOT / "exercises" / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    for q in predictions:
        at = next(k for k, c in enumerate(code) if c["metadata"].get("course", {}).get("question") == q.id)
        stub, experiment, check = ("".join(c["source"]) for c in code[at:at + 3])
        assert stub.startswith(f"{q.names[0]} = None")
        assert ".check(" not in experiment and q.names[0] not in experiment
        assert check == f"ex.{q.id.split('.')[1]}.check({q.names[0]})"
