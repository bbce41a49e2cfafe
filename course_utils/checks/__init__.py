"""The bottom layer of grading: what a student's ``check()`` and the grader's child both use.

- :mod:`.protocol`: statuses, outcome kinds, probes, the child's job and results (typed, defined once);
- :mod:`.codec`: plain data, the only form in which an answer crosses the process boundary;
- :mod:`.probes`: reading a question's answer out of a namespace as plain data;
- :mod:`.forbidden`: what graded code may not import or call;
- :mod:`.notebook_schema`: the ``metadata.course`` of notebook cells (graded slot, context cell);
- :mod:`.questions`: question types, :class:`~.questions.Result`, :class:`~.questions.Mistake`,
  ``compare`` (the judging shared by ``check()`` and the grader), :mod:`.layer_checks` for Keras
  models, :mod:`.hints` for the hints a session has shown.

These modules import only the standard library, NumPy (Keras where a probe needs it) and
each other, by relative imports: the grader binds this folder read-only into its sandbox as
the package ``course_checks``, where nothing else of ``course_utils`` exists. Above this
layer sits the question bank (:mod:`course_utils.exercises`), and above that the
instructor's tools (:mod:`course_utils.grading`); ``tests/test_layering.py`` keeps the
imports pointing down. This file imports nothing, so that the child loads only what it uses.
"""
