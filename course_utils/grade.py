"""``python -m course_utils.grade``: the grader's command (:mod:`course_utils.grading.cli`)."""
import sys

if __name__ == "__main__":
    from course_utils.grading.cli import main

    sys.exit(main())
