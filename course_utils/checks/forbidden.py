"""What graded code may not use: one set of rules for ``check()`` and the grader's child.

The modules always banned (:data:`ALWAYS_BANNED_MODULES`), the exception that a refused
action raises (:class:`Forbidden`), a static scan of a cell for banned imports and calls
(:func:`forbidden_uses`, ``check()``'s side before the student submits), and a temporary
replacement of banned functions so that a call through a helper is caught too
(:func:`patch_calls`: ``check()`` and the child, :mod:`course_utils.grading.child`, both
use it; the child's audit hook raises :class:`Forbidden` too).

>>> import numpy as np
>>> seen = []
>>> saved = patch_calls(["numpy.convolve"], seen.append)
>>> try:
...     np.convolve([1], [1])
... except Forbidden as exc:
...     print(exc)
not allowed in graded code: calling numpy.convolve
>>> restore(saved); seen, np.convolve([1], [2]).tolist()
(['calling numpy.convolve'], [2])
"""
from __future__ import annotations

import ast
import importlib
import inspect
import sys
import warnings
from typing import Callable, Sequence

# Banned in every graded cell, by check() and by the grader's child (which imports this list).
ALWAYS_BANNED_MODULES = ("course_utils", "_posixsubprocess", "_xxsubinterpreters", "_xxinterpchannels",
                         "_testcapi", "_testinternalcapi", "_cffi_backend", "cffi")


class Forbidden(PermissionError):
    """Graded code tried something the grader refuses: a banned call, import, file or process."""


def patch_calls(dotted_names: Sequence[str], record: Callable[[str], object]) -> list:
    """Replace each banned function (``"numpy.convolve"``) by one that calls ``record`` and raises.

    Returns what :func:`restore` needs to put the originals back. Only modules already
    imported are patched: a module nobody imported cannot have been called.
    """
    saved = []
    for dotted in dotted_names:
        module_name, _, attr = dotted.rpartition(".")
        module = sys.modules.get(module_name)
        if module is None or not hasattr(module, attr):
            continue
        original = getattr(module, attr)
        package = module_name.split(".")[0]
        stub = refusing(f"calling {dotted}", record)
        # the same function is usually reachable from several submodules (numpy._core.numeric, ...)
        with warnings.catch_warnings():   # looking into a deprecated alias (numpy.core) warns
            warnings.simplefilter("ignore", DeprecationWarning)
            for name, mod in list(sys.modules.items()):
                if (name == package or name.startswith(package + ".")) and getattr(mod, attr, None) is original:
                    saved.append((mod, attr, original))
                    setattr(mod, attr, stub)
    return saved


def restore(saved: list) -> None:
    """Undo :func:`patch_calls`."""
    for module, name, value in reversed(saved):
        setattr(module, name, value)


def refusing(what: str, record: Callable[[str], object]):
    """A stand-in function that records ``what`` (``"calling numpy.convolve"``) and raises :class:`Forbidden`."""

    def forbidden(*args, **kwargs):
        record(what)
        raise Forbidden(f"not allowed in graded code: {what}")

    forbidden.__name__ = what.rpartition(".")[2].rstrip(")")
    return forbidden


def _banned(module: str, modules) -> bool:
    return any(module == m or module.startswith(m + ".") for m in modules)


def _resolve(dotted: str):
    module, _, attr = dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        return None


def forbidden_uses(source: str, namespace: dict, modules: Sequence[str], calls: Sequence[str]) -> list[str]:
    """What in ``source`` the grader refuses: imports of ``modules`` (or their submodules), uses of ``calls``.

    Names are looked up in ``namespace`` (the notebook's), as the cell sees them.

    >>> import numpy as np
    >>> forbidden_uses("y = np.convolve(x, h)", {"np": np}, [], ["numpy.convolve"])
    ['calling numpy.convolve']
    >>> forbidden_uses("from scipy import signal", {}, ["scipy.signal"], [])
    ['import scipy.signal']
    >>> forbidden_uses("y = np.flip(h)", {"np": np}, ["scipy.signal"], ["numpy.convolve"])
    []
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    targets = {id(obj): dotted for dotted in calls if (obj := _resolve(dotted)) is not None}
    local, found = {}, []

    def flag(what):
        if what not in found:
            found.append(what)

    def inspect_object(obj):
        if not (inspect.ismodule(obj) or inspect.isroutine(obj) or inspect.isclass(obj)):
            return   # an instance (a question object, an array) is data, not code the cell imported
        name = getattr(obj, "__name__", None) if inspect.ismodule(obj) else getattr(obj, "__module__", None)
        if isinstance(name, str) and _banned(name, modules):
            flag(f"import {name}")
        if id(obj) in targets:
            flag(f"calling {targets[id(obj)]}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _banned(alias.name, modules):
                    flag(f"import {alias.name}")
                local[(alias.asname or alias.name).split(".")[0]] = sys.modules.get(alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if _banned(node.module, modules):
                flag(f"import {node.module}")
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if _banned(full, modules):
                    flag(f"import {full}")
                if full in calls:
                    flag(f"calling {full}")
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) and \
                isinstance(node.args[0].value, str) and getattr(node.func, "attr", getattr(node.func, "id", "")) in \
                ("__import__", "import_module") and _banned(node.args[0].value, modules):
            flag(f"import {node.args[0].value}")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not isinstance(node.ctx, ast.Load):
            continue
        chain, base = [], node
        while isinstance(base, ast.Attribute):
            chain.append(base.attr)
            base = base.value
        if not isinstance(base, ast.Name):
            continue
        obj = local.get(base.id, namespace.get(base.id))
        for attr in reversed(chain):
            if obj is None:
                break
            inspect_object(obj)
            try:
                obj = getattr(obj, attr)
            except Exception:  # a lazy attribute that fails to load: nothing the cell could use
                obj = None
        if obj is not None:
            inspect_object(obj)
    return found
