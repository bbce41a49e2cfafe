"""Helpers for the CNN course: data, shapes, plots, checks and grading.

Importing the package first (before ``keras``) keeps TensorFlow's C++ start-up log
quiet and picks the course's default Keras backend, unless you chose one yourself::

    import course_utils
    import keras
"""
import os

# Both must be set before TensorFlow is imported; setdefault honours the student's choice.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from course_utils import quiet_import as _quiet_import  # noqa: E402

_quiet_import.install()

__version__ = "0.1.0"
