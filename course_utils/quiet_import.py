"""Keep TensorFlow's C++ start-up notices out of notebooks.

TensorFlow 2.21 writes "oneDNN custom operations are on" and a CPU-feature notice
straight to file descriptor 2 while it is imported, before its own log settings
(``TF_CPP_MIN_LOG_LEVEL``) apply, and Jupyter shows them as red stderr in the first
cell that imports Keras. :func:`install` adds an import hook that points descriptor 2
at ``/dev/null`` for the duration of the first ``import tensorflow`` / ``import keras``
only. Python warnings and errors are untouched: they go through ``sys.stderr``.
"""
from __future__ import annotations

import contextlib
import importlib.abc
import os
import sys

_NAMES = ("tensorflow", "keras")


@contextlib.contextmanager
def silenced_fd2():
    """Send OS-level writes to stderr (fd 2) to /dev/null inside the block."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _QuietFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname not in _NAMES or fullname in sys.modules:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        real_exec = spec.loader.exec_module

        def exec_module(module):
            with silenced_fd2():
                real_exec(module)

        spec.loader.exec_module = exec_module
        return spec


def install() -> None:
    """Add the hook once (importing ``course_utils`` does this)."""
    if os.environ.get("COURSE_SHOW_TF_LOGS") or any(isinstance(f, _QuietFinder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _QuietFinder())
