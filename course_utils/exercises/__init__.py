"""Auto-graded exercises: the questions of each exercise notebook and their checks.

Each module ``exNN_<name>.py`` defines ``EXERCISE`` (an
:class:`~course_utils.checks.questions.Exercise` whose ``notebook`` is the student
notebook's file name without ``.ipynb``) and one module-level object per question
(``q1``, ``q2``, ...) that the notebook uses::

    from course_utils.exercises import ex01_convolution_1d as ex
    ex.q1.check(y)      # one line of feedback
    ex.q1.hint()        # the next hint

Adding a module is all it takes for the grader and the release tool to find it. This
package holds the question bank only: the question types are :mod:`course_utils.checks`
(below it), the grader and the release tool :mod:`course_utils.grading` (above it).

>>> exercises = all_exercises()
>>> exercises["01_convolution_1d"]
<Exercise 01_convolution_1d: 6 questions, 10 points>
"""
from __future__ import annotations

import importlib
import pkgutil


def all_exercises() -> dict:
    """``{notebook name: Exercise}`` for every ``exNN_*`` module in this package."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("ex") and info.name[2:4].isdigit():
            module = importlib.import_module(f"{__name__}.{info.name}")
            exercise = getattr(module, "EXERCISE", None)
            if exercise is not None:
                found[exercise.notebook] = exercise
    return dict(sorted(found.items()))


def load_exercise(notebook: str):
    """The :class:`Exercise` for a student notebook name (``"01_convolution_1d"``, ``.ipynb`` optional)."""
    name = notebook[:-6] if notebook.endswith(".ipynb") else notebook
    exercises = all_exercises()
    if name not in exercises:
        raise KeyError(f"no exercise for notebook {notebook!r}; known: {', '.join(exercises)}")
    return exercises[name]
