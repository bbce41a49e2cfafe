"""``python -m course_utils.grading SUBMISSIONS --out OUT``: the same as ``python -m course_utils.grade``."""
import sys

if __name__ == "__main__":
    from course_utils.grading.cli import main

    sys.exit(main())
