"""``python -m course_utils.gradebook``: gradebooks and LMS exports (:mod:`course_utils.grading.gradebook`)."""
import sys

if __name__ == "__main__":
    from course_utils.grading.gradebook import main

    sys.exit(main())
