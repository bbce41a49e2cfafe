"""Write the student notebooks from the instructors' solution notebooks.

    python -m course_utils.grading.release            # every exercises/solutions/*.ipynb
    python -m course_utils.grading.release --check    # exit 1 if a student notebook is out of date

(``python -m course_utils.exercises.release``, the older name, runs the same.)

In a solution notebook (``exercises/solutions/NN_name.ipynb``) each answer sits between
``### BEGIN SOLUTION`` and ``### END SOLUTION``; the ``### STUB ...`` lines right after
the block say what students get instead (the default is
``raise NotImplementedError("write your code here")``, indented like the block)::

    ### BEGIN SOLUTION
    y = np.convolve(x, h)
    ### END SOLUTION
    ### STUB y = None  # your answer

The student notebook ``exercises/NN_name.ipynb`` keeps every other cell, clears all
outputs, drops cells tagged ``solution-only``, keeps the cell ids and the notebook-level
``course_map`` metadata (prerequisites and time, see ``course_utils.coursemap``), and writes the
graded cells' metadata ``{"course": {"question": id, "points": p}}``
(:mod:`course_utils.checks.notebook_schema`) with the points of the exercise module
(never typed by hand).

>>> release_source("a = 1\\n### BEGIN SOLUTION\\nb = 2\\n### END SOLUTION\\n### STUB b = None  # your answer\\nc = 3")
'a = 1\\nb = None  # your answer\\nc = 3'
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import nbformat

from course_utils.checks import notebook_schema
from course_utils.coursemap import META_KEY as COURSE_MAP_KEY
from course_utils.exercises import load_exercise

ROOT = Path(__file__).resolve().parent.parent.parent
SOLUTIONS = ROOT / "exercises" / "solutions"
STUDENT_DIR = ROOT / "exercises"
KERNEL_SPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
_BEGIN = re.compile(r"^(\s*)### BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*### END SOLUTION\s*$")
_STUB = re.compile(r"^(\s*)### STUB ?(.*)$")
DEFAULT_STUB = 'raise NotImplementedError("write your code here")'


class ReleaseError(ValueError):
    """The solution notebook breaks a release rule; the message names the cell."""


def release_source(source: str, where: str = "cell") -> str:
    """A code cell's source with each solution block replaced by its stub."""
    lines, out, i = source.split("\n"), [], 0
    while i < len(lines):
        begin = _BEGIN.match(lines[i])
        if _END.match(lines[i]) or (_STUB.match(lines[i]) and not begin):
            raise ReleaseError(f"{where}: '{lines[i].strip()}' without a '### BEGIN SOLUTION' before it")
        if not begin:
            out.append(lines[i])
            i += 1
            continue
        indent = begin.group(1)
        j = i + 1
        while j < len(lines) and not _END.match(lines[j]):
            if _BEGIN.match(lines[j]):
                raise ReleaseError(f"{where}: nested '### BEGIN SOLUTION'")
            j += 1
        if j == len(lines):
            raise ReleaseError(f"{where}: '### BEGIN SOLUTION' without '### END SOLUTION'")
        k, stubs = j + 1, []
        while k < len(lines) and _STUB.match(lines[k]):
            stub = _STUB.match(lines[k])
            stubs.append(stub.group(1) + stub.group(2))
            k += 1
        out.extend(stubs or [indent + DEFAULT_STUB])
        i = k
    return "\n".join(out)


def release_notebook(solution: nbformat.NotebookNode, exercise) -> nbformat.NotebookNode:
    """The student version of a solution notebook (a new notebook; the input is unchanged)."""
    points = {q.id: q.points for q in exercise.questions}
    seen = []
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNEL_SPEC), "language_info": {"name": "python", "pygments_lexer": "ipython3"}}
    if COURSE_MAP_KEY in solution.metadata:  # prerequisites and time for the course map (course_utils.coursemap)
        nb.metadata[COURSE_MAP_KEY] = json.loads(json.dumps(solution.metadata[COURSE_MAP_KEY]))
    nb.nbformat, nb.nbformat_minor = solution.nbformat, solution.nbformat_minor
    for number, cell in enumerate(solution.cells, 1):
        tags = list(cell.metadata.get("tags", []))
        if "solution-only" in tags:
            continue
        course = dict(notebook_schema.course_meta(cell))
        where = f"cell {number}"
        if cell.cell_type != "code":
            if "### BEGIN SOLUTION" in cell.source:
                raise ReleaseError(f"{where}: solution markers belong in code cells")
            new = nbformat.v4.new_markdown_cell(cell.source) if cell.cell_type == "markdown" else \
                nbformat.v4.new_raw_cell(cell.source)
        else:
            source = release_source(cell.source, where)
            qid = notebook_schema.question_id(cell)
            if qid is not None:
                if qid not in points:
                    raise ReleaseError(f"{where}: question {qid!r} is not in the exercise module")
                if "### BEGIN SOLUTION" not in cell.source:
                    raise ReleaseError(f"{where}: graded cell {qid} has no '### BEGIN SOLUTION' block")
                course = notebook_schema.graded_meta(qid, points[qid])
                seen.append(qid)
            elif "### BEGIN SOLUTION" in cell.source:
                raise ReleaseError(f"{where}: a solution block outside a graded cell")
            new = nbformat.v4.new_code_cell(source)
        if "id" in cell:
            new["id"] = cell["id"]
        if course:
            new.metadata[notebook_schema.KEY] = course
        if tags:
            new.metadata["tags"] = tags
        nb.cells.append(new)
    missing = sorted(set(points) - set(seen))
    duplicated = sorted({q for q in seen if seen.count(q) > 1})
    if missing or duplicated:
        raise ReleaseError(f"{exercise.notebook}: graded cells missing for {missing}, duplicated for {duplicated}")
    return nb


def render(solution_path: Path) -> str:
    """The student notebook's exact file text for one solution notebook."""
    solution = nbformat.read(solution_path, as_version=4)
    exercise = load_exercise(solution_path.stem)
    return nbformat.writes(release_notebook(solution, exercise)) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.grading.release",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="solution notebooks (default: all)")
    parser.add_argument("--check", action="store_true", help="only check the student notebooks are up to date")
    parser.add_argument("--out", type=Path, default=STUDENT_DIR, help="folder for the student notebooks")
    args = parser.parse_args(argv)
    stale = 0
    for path in args.notebooks or sorted(SOLUTIONS.glob("*.ipynb")):
        text = render(path)
        target = args.out / path.name
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if args.check:
            if current != text:
                stale += 1
                print(f"{target}: out of date; run python -m course_utils.grading.release")
            continue
        if current != text:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
        else:
            print(f"{target}: up to date")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
