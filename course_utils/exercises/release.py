"""``python -m course_utils.exercises.release``: the old name of ``python -m course_utils.grading.release``.

Only an entry point (the import sits under the guard): the question bank imports nothing
of the instructor's tools (``tests/test_layering.py`` exempts this file by name).
"""
import sys

if __name__ == "__main__":
    from course_utils.grading.release import main

    sys.exit(main())
