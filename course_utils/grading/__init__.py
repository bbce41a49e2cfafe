"""The instructor's side of the exercises: release, grade, gradebooks (the top layer).

Grading one submission, step by step (:func:`course_utils.grading.cli.grade_submission`):

1. :mod:`.submission`: read the notebook as data, find the graded cells;
2. :mod:`.job`: build the child's job (instructor's context cells, the student's cells,
   probes, hidden inputs), then run it in the sandbox, restarting after a crash;
3. :mod:`.sandbox` runs :mod:`.child` under bubblewrap; only plain data comes back;
4. :mod:`.judge`: each question's trusted judge turns its outcome into a Result;
5. :mod:`.records`: the signed record and the feedback file, then ``grades.csv`` and
   ``gradebook.csv`` for the class (:mod:`.cli` runs the class in parallel, or on a Dask
   cluster's workers with :mod:`.cluster`).

Beside it: :mod:`.release` (student notebooks from the solutions), :mod:`.gradebook` and
:mod:`.deadlines` (LMS exports, late penalties), :mod:`.synthetic` (a class to try it on).
This layer imports the question bank (:mod:`course_utils.exercises`) and the checks
(:mod:`course_utils.checks`); nothing below imports it (``tests/test_layering.py``).
"""
