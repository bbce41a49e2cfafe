"""The grader's child process: runs one student notebook's code and reports plain data.

The grader (:mod:`course_utils.sandbox`) starts this file as a script,
``python -I sandbox_child.py SCRATCH RESULTS_FD``, under bubblewrap, in a scratch directory
holding ``job.json`` (the cells to run and what to probe) and ``inputs.npz`` (hidden
test inputs). It never imports ``course_utils``: nothing of the course's reference code
or solutions is in this process. It

1. lowers its own resource limits (CPU time, address space, file size, open files,
   processes, no core dumps) and redirects ``print`` through a capped writer;
2. installs an audit hook (:pep:`578`; it cannot be removed) that refuses process
   creation, signals to other processes, network sockets, ``ctypes``, sub-interpreters,
   importing ``course_utils`` or a banned module, reading outside the Python
   installation and the scratch directory, and any change to files outside scratch;
3. runs the cells in notebook order in one namespace, and after each graded cell runs
   that question's *probe* (read a variable, call a function on the hidden inputs, ...)
   and turns the answer into plain data (:func:`to_plain`: numbers, strings, numeric
   arrays as flat lists; never pickle);
4. sends its whole report again after every question, as one length-prefixed JSON
   frame on the results pipe (``argv[2]``), so what was finished before a crash or a
   timeout survives; the parent keeps the last complete frame and checks it against
   :class:`ChildResults` (:func:`validate_results`).

The parent validates and judges those plain values against its own trusted reference:
an object with a fake ``__eq__`` or ``shape`` does not survive :func:`to_plain`, and a
monkeypatched ``numpy.allclose`` here changes nothing there.

:func:`to_plain`, :func:`decode_plain` and :func:`run_probe` are also what
``Question.check()`` uses inside the student's own kernel, so the feedback there and
the grader's agree.

>>> to_plain([1, 2.5])["shape"], decode_plain(to_plain([1, 2.5])).tolist()
([2], [1.0, 2.5])
>>> decode_plain(to_plain(None)) is None
True
"""
from __future__ import annotations

import builtins
import io
import json
import math
import numbers
import os
import sys
import time
from typing import TypedDict

MAX_ELEMENTS = 2_000_000          # largest array an answer may hold
MAX_TEXT = 10_000                 # longest string answer / message kept
MAX_ITEMS = 1_000                 # dict / list answers (layer summaries)

# --------------------------------------------------------------------------------------
# Plain data: the only thing that crosses the process boundary (JSON-able, no pickle).
# --------------------------------------------------------------------------------------


class Unsupported:
    """A decoded answer that was not plain data; ``kind`` says what it was."""

    def __init__(self, kind: str, detail: str = ""):
        self.kind, self.detail = kind, detail

    def __repr__(self):
        return f"Unsupported({self.kind!r}, {self.detail!r})"


class NotAttempted:
    """The answer is still the stub (``None``, ``...`` or ``NotImplementedError``)."""

    def __init__(self, detail: str = ""):
        self.detail = detail

    def __repr__(self):
        return "NotAttempted()"


def _short(text, limit=300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _type_name(obj) -> str:
    try:
        return type(obj).__name__
    except Exception:  # pragma: no cover - exotic metaclasses
        return "object"


def to_plain(obj, _depth=0):
    """Turn a student's answer into JSON-able plain data, or say why it is not plain.

    Numbers become ``{"type": "int"|"float"|"bool", "value": ...}``, arrays and lists
    of numbers ``{"type": "ndarray", "dtype", "shape", "data"}`` (data flattened),
    strings ``{"type": "str"}``, dicts and lists of those recursively. ``None`` and
    ``...`` mean "not attempted". Anything else becomes ``{"type": "unsupported"}``.

    >>> to_plain(3)
    {'type': 'int', 'value': 3}
    >>> to_plain({"a": 1.5})["items"]["a"]
    {'type': 'float', 'value': 1.5}
    >>> to_plain(object())["type"]
    'unsupported'
    """
    import numpy as np

    if _depth > 20:
        return {"type": "unsupported", "kind": "nested", "detail": "nested too deeply"}
    if obj is None:
        return {"type": "none"}
    if obj is Ellipsis:
        return {"type": "ellipsis"}
    if type(obj) is bool or type(obj) is np.bool_:
        return {"type": "bool", "value": bool(obj)}
    if isinstance(obj, (int, np.integer)) and not isinstance(obj, bool):
        value = int(obj)
        if abs(value) > 2**63:
            return {"type": "float", "value": float(value)}
        return {"type": "int", "value": value}
    if isinstance(obj, (float, np.floating)):
        return {"type": "float", "value": _json_float(float(obj))}
    if isinstance(obj, (complex, np.complexfloating)):
        return {"type": "unsupported", "kind": "complex", "detail": "a complex number"}
    if isinstance(obj, str):
        text = str.__getitem__(obj, slice(None))
        return {"type": "str", "value": text[:MAX_TEXT], "truncated": len(text) > MAX_TEXT}
    if isinstance(obj, dict):
        if len(obj) > MAX_ITEMS:
            return {"type": "unsupported", "kind": "large", "detail": f"a dict with {len(obj)} items"}
        items = {}
        for key, value in list(obj.items()):
            items[_short(key, 200)] = to_plain(value, _depth + 1)
        return {"type": "dict", "items": items}
    if isinstance(obj, (list, tuple)) and any(isinstance(v, (dict, str)) for v in list(obj)[:MAX_ITEMS]):
        if len(obj) > MAX_ITEMS:
            return {"type": "unsupported", "kind": "large", "detail": f"a list with {len(obj)} items"}
        return {"type": "list", "items": [to_plain(v, _depth + 1) for v in obj]}
    if isinstance(obj, (np.ndarray, list, tuple)) or hasattr(obj, "__array__"):
        return _array_to_plain(obj)
    return {"type": "unsupported", "kind": "type", "detail": _type_name(obj)}


def _json_float(value: float):
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def _array_to_plain(obj):
    import numpy as np

    what = _type_name(obj)
    try:
        if isinstance(obj, (list, tuple)) and any(x is None for x in obj):
            return {"type": "unsupported", "kind": "none_inside", "detail": f"a {what} containing None"}
        array = np.array(obj, copy=True, subok=False)
    except ValueError as exc:
        if "inhomogeneous" in str(exc) or "sequence" in str(exc):
            return {"type": "unsupported", "kind": "ragged", "detail": f"a ragged {what} (rows of different lengths)"}
        return {"type": "unsupported", "kind": "type", "detail": f"{what} ({_short(exc, 120)})"}
    except Exception as exc:
        return {"type": "unsupported", "kind": "type", "detail": f"{what} ({type(exc).__name__})"}
    if type(array) is not np.ndarray:  # pragma: no cover - subok=False guarantees this
        return {"type": "unsupported", "kind": "type", "detail": what}
    if array.size > MAX_ELEMENTS:
        return {"type": "unsupported", "kind": "large", "detail": f"an array of {array.size} values"}
    kind = array.dtype.kind
    if kind == "c":
        return {"type": "unsupported", "kind": "complex", "detail": "an array of complex numbers"}
    if kind in "OUSVMm":
        sample = ""
        if kind == "O" and array.size:
            sample = f" of {_type_name(array.flat[0])}"
        label = {"O": f"objects{sample}", "U": "text", "S": "bytes"}.get(kind, str(array.dtype))
        return {"type": "unsupported", "kind": "dtype", "detail": f"a {what} holding {label}, not numbers",
                "dtype": str(array.dtype)}
    if kind == "b":
        dtype, data = "bool", [bool(v) for v in array.ravel().tolist()]
    elif kind in "iu":
        if array.size and (array.max() > 2**63 - 1):
            array = array.astype(np.float64)
            dtype, data = "float64", [_json_float(v) for v in array.ravel().tolist()]
        else:
            dtype, data = "int64", [int(v) for v in array.astype(np.int64).ravel().tolist()]
    else:
        dtype = "float64"
        data = [_json_float(v) for v in array.astype(np.float64).ravel().tolist()]
    return {"type": "ndarray", "dtype": dtype, "shape": [int(n) for n in array.shape], "data": data,
            "source": "list" if isinstance(obj, (list, tuple)) else "array", "orig_dtype": str(array.dtype)}


def decode_plain(plain):
    """Rebuild a trusted Python value from plain data, validating every field.

    Returns ``None``, ``Ellipsis``, ``bool``/``int``/``float``, ``str``, a NumPy array
    (bool, int64 or float64 only), a ``dict``/``list`` of those, or an
    :class:`Unsupported` marker. Malformed input raises ``ValueError``.

    >>> decode_plain({"type": "ndarray", "dtype": "int64", "shape": [2], "data": [1, 2]}).dtype
    dtype('int64')
    >>> decode_plain({"type": "ndarray", "dtype": "object", "shape": [1], "data": [1]})
    Traceback (most recent call last):
    ...
    ValueError: bad array dtype 'object'
    """
    import numpy as np

    if not isinstance(plain, dict) or not isinstance(plain.get("type"), str):
        raise ValueError("plain value must be a dict with a 'type'")
    kind = plain["type"]
    if kind == "none":
        return None
    if kind == "ellipsis":
        return Ellipsis
    if kind == "bool":
        if type(plain.get("value")) is not bool:
            raise ValueError("bad bool")
        return plain["value"]
    if kind == "int":
        if type(plain.get("value")) is not int:
            raise ValueError("bad int")
        return plain["value"]
    if kind == "float":
        return _decode_float(plain.get("value"))
    if kind == "str":
        if type(plain.get("value")) is not str:
            raise ValueError("bad str")
        return plain["value"][:MAX_TEXT]
    if kind == "ndarray":
        dtype = plain.get("dtype")
        if dtype not in ("bool", "int64", "float64"):
            raise ValueError(f"bad array dtype {dtype!r}")
        shape = plain.get("shape")
        if not isinstance(shape, list) or len(shape) > 32 or not all(type(n) is int and n >= 0 for n in shape):
            raise ValueError("bad array shape")
        data = plain.get("data")
        size = math.prod(shape)
        if not isinstance(data, list) or len(data) != size or size > MAX_ELEMENTS:
            raise ValueError("array data does not match its shape")
        if dtype == "float64":
            values = [_decode_float(v) for v in data]
        elif dtype == "int64":
            if not all(type(v) is int for v in data):
                raise ValueError("bad int array")
            values = data
        else:
            if not all(type(v) is bool for v in data):
                raise ValueError("bad bool array")
            values = data
        return np.array(values, dtype=dtype).reshape(shape)
    if kind == "dict":
        items = plain.get("items")
        if not isinstance(items, dict) or len(items) > MAX_ITEMS:
            raise ValueError("bad dict")
        return {str(k)[:200]: decode_plain(v) for k, v in items.items()}
    if kind == "list":
        items = plain.get("items")
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise ValueError("bad list")
        return [decode_plain(v) for v in items]
    if kind == "unsupported":
        return Unsupported(str(plain.get("kind", "type"))[:40], _short(plain.get("detail", ""), 200))
    raise ValueError(f"unknown plain type {kind!r}")


def _decode_float(value) -> float:
    if type(value) is float or type(value) is int:
        return float(value)
    if value in ("nan", "inf", "-inf"):
        return float(value)
    raise ValueError("bad float")


# --------------------------------------------------------------------------------------
# The results contract: what the child sends back, and the parent's check of it.
# --------------------------------------------------------------------------------------


class Outcome(TypedDict, total=False):
    """What happened to one cell, probe or call (the child writes it, the parent validates it)."""

    outcome: str            # one of OUTCOMES
    detail: str
    error: str
    name: str | None
    line: int | None
    cell: int | None
    forbidden: bool
    violations: list        # of str
    answer: dict            # plain data (to_plain)
    values: dict            # name -> plain data
    calls: list             # of Outcome


class ChildResults(TypedDict, total=False):
    """The child's report, rewritten after every question (the last complete one counts)."""

    running: str | None
    done: dict              # question id -> Outcome
    context_errors: list    # of Outcome (setup cells that failed)
    started: float
    finished: bool
    bootstrap_error: str


OUTCOMES = frozenset({"ok", "not_attempted", "memory", "raised", "syntax", "exit", "missing", "not_callable", "error"})
_OUTCOME_TEXT = {"detail", "error", "name"}
_PLAIN_KEYS = {"type", "value", "truncated", "items", "kind", "detail", "dtype", "shape", "data", "source", "orig_dtype"}
_PLAIN_TYPES = {"none", "ellipsis", "bool", "int", "float", "str", "ndarray", "dict", "list", "unsupported", "missing"}
MAX_INT = 2**63
MAX_QUESTIONS = 200


def _check(condition, what):
    if not condition:
        raise ValueError(f"results: {what}")


def _check_keys(data, allowed, where):
    _check(type(data) is dict, f"{where} is not an object")
    extra = sorted(k for k in data if k not in allowed)
    _check(not extra, f"unexpected key(s) {', '.join(str(k)[:30] for k in extra[:5])}" + (f" in {where}" if where != "results" else ""))


def _check_scalar(value, where):
    if type(value) is int:
        _check(-MAX_INT <= value <= MAX_INT, f"an integer out of range in {where}")
    elif type(value) is str:
        _check(len(value) <= MAX_TEXT, f"a string longer than {MAX_TEXT} characters in {where}")
    else:
        _check(value is None or type(value) in (bool, float), f"a {type(value).__name__} in {where}")


def _check_plain(plain, depth=0, budget=None):
    budget = budget if budget is not None else [MAX_ELEMENTS]
    _check(depth <= 22, "plain data nested too deeply")
    _check_keys(plain, _PLAIN_KEYS, "an answer")
    _check(plain.get("type") in _PLAIN_TYPES, "an answer of an unknown type")
    for key, value in plain.items():
        if key == "items":
            if type(value) is dict:
                _check(len(value) <= MAX_ITEMS, "too many items")
                for k, v in value.items():
                    _check_scalar(k, "an answer's keys")
                    _check_plain(v, depth + 1, budget)
            else:
                _check(type(value) is list and len(value) <= MAX_ITEMS, "bad items")
                for v in value:
                    _check_plain(v, depth + 1, budget)
        elif key in ("data", "shape"):
            _check(type(value) is list, f"an answer's {key} is not a list")
            budget[0] -= len(value)
            _check(budget[0] >= 0, f"answers hold more than {MAX_ELEMENTS} values")
            for v in value:
                _check(type(v) in (int, float, bool, str) and (type(v) is not str or len(v) <= 4),
                       f"a bad value in an answer's {key}")
                if type(v) is int:
                    _check(-MAX_INT <= v <= MAX_INT, "an integer out of range in an answer")
        else:
            _check_scalar(value, f"an answer's {key}")


def _check_outcome(outcome, depth=0):
    _check(depth <= 2, "outcomes nested too deeply")
    _check_keys(outcome, Outcome.__annotations__.keys(), "an outcome")
    _check(outcome.get("outcome") in OUTCOMES, "an unknown outcome")
    for key, value in outcome.items():
        if key in _OUTCOME_TEXT or key == "outcome":
            _check(value is None or (type(value) is str and len(value) <= MAX_TEXT), f"a bad {key}")
        elif key in ("line", "cell"):
            _check(value is None or (type(value) is int and 0 <= value < 10**9), f"a bad {key}")
        elif key == "forbidden":
            _check(type(value) is bool, "a bad forbidden flag")
        elif key == "violations":
            _check(type(value) is list and len(value) <= 50
                   and all(type(v) is str and len(v) <= 1000 for v in value), "bad violations")
        elif key == "answer":
            _check_plain(value)
        elif key == "values":
            _check(type(value) is dict and len(value) <= MAX_ITEMS, "bad values")
            for name, plain in value.items():
                _check(len(name) <= 200, "a bad value name")
                _check_plain(plain)
        elif key == "calls":
            _check(type(value) is list and len(value) <= MAX_ITEMS, "bad calls")
            for call in value:
                _check_outcome(call, depth + 1)


def validate_results(data) -> ChildResults:
    """Check the child's report against :class:`ChildResults`; raises ``ValueError`` with one line.

    Only the parent calls this, on data it parsed from the child's pipe: the types,
    the keys and the sizes are checked here so that the judges only ever see well-formed
    outcomes.

    >>> validate_results({"running": None, "done": {"q1": {"outcome": "ok", "values": {}}}})["done"]["q1"]["outcome"]
    'ok'
    >>> validate_results({"done": {"q1": {"outcome": "ok", "line": 10**30}}})
    Traceback (most recent call last):
    ...
    ValueError: results: a bad line
    """
    _check_keys(data, ChildResults.__annotations__.keys(), "results")
    running = data.get("running")
    _check(running is None or (type(running) is str and len(running) <= 100), "a bad running question")
    done = data.get("done", {})
    _check(type(done) is dict and len(done) <= MAX_QUESTIONS, "bad done")
    for qid, outcome in done.items():
        _check(len(qid) <= 100, "a bad question id")
        _check_outcome(outcome)
    errors = data.get("context_errors", [])
    _check(type(errors) is list and len(errors) <= 50, "bad context errors")
    for error in errors:
        _check_outcome(error)
    _check(type(data.get("started", 0.0)) in (int, float), "a bad start time")
    _check(type(data.get("finished", False)) is bool, "a bad finished flag")
    boot = data.get("bootstrap_error", "")
    _check(type(boot) is str and len(boot) <= MAX_TEXT, "a bad bootstrap error")
    return data


# --------------------------------------------------------------------------------------
# Probes: how a question's answer is read out of the namespace after its cell ran.
# --------------------------------------------------------------------------------------


def describe_args(args) -> str:
    """A short, value-free description of a call's arguments (safe for hidden inputs).

    >>> import numpy as np
    >>> describe_args((np.zeros((5, 5)), 3))
    'an input of shape (5, 5) and an int'
    """
    import numpy as np

    parts = []
    for arg in args:
        if isinstance(arg, np.ndarray):
            parts.append(f"an input of shape {tuple(arg.shape)}")
        else:
            parts.append(f"an {type(arg).__name__}" if type(arg).__name__[0] in "aeiou" else f"a {type(arg).__name__}")
    if not parts:
        return "no arguments"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def describe_exception(exc: BaseException) -> str:
    """``"ValueError: message"`` on one line, without running a traceback printer."""
    try:
        text = _short(str(exc), 200)
    except Exception:  # a student's __str__ may itself raise
        text = "(message unavailable)"
    name = _type_name(exc)
    return f"{name}: {text}" if text else name


def _call_outcome(fn, args):
    """Call ``fn(*args)`` and turn what happened into plain data."""
    try:
        value = fn(*args)
    except NotImplementedError as exc:
        return {"outcome": "not_attempted", "detail": describe_exception(exc)}
    except MemoryError:
        return {"outcome": "memory"}
    except RecursionError as exc:
        return {"outcome": "raised", "error": describe_exception(exc)}
    except Exception as exc:
        return {"outcome": "raised", "error": describe_exception(exc), "forbidden": isinstance(exc, SandboxViolation)}
    except BaseException as exc:  # SystemExit / KeyboardInterrupt from a student's function: that call only
        return {"outcome": "raised", "error": describe_exception(exc)}
    try:
        return {"outcome": "ok", "answer": to_plain(value)}
    except MemoryError:
        return {"outcome": "memory"}
    except Exception as exc:
        return {"outcome": "ok", "answer": {"type": "unsupported", "kind": "type",
                                            "detail": f"{_type_name(value)} ({describe_exception(exc)})"}}


def run_probe(spec: dict, namespace: dict, args_list=None) -> dict:
    """Read one question's answer from ``namespace`` as plain data.

    ``spec["kind"]`` is ``"value"`` (variables ``spec["names"]``), ``"call"`` (call the
    function ``spec["name"]`` on each argument tuple of ``args_list``),
    ``"keras_summary"`` (a Keras model, or a function building one, summarised as
    layer types, output shapes and parameter counts) or ``"predict"`` (class predictions
    of a Keras model for ``args_list[0][0]``, a batch of images).

    >>> run_probe({"kind": "value", "names": ["y"]}, {"y": 2})["values"]["y"]
    {'type': 'int', 'value': 2}
    """
    kind = spec.get("kind")
    if kind == "value":
        values = {}
        for name in spec["names"]:
            if name not in namespace:
                values[name] = {"type": "missing"}
            else:
                try:
                    values[name] = to_plain(namespace[name])
                except MemoryError:
                    return {"outcome": "memory"}
                except Exception as exc:
                    values[name] = {"type": "unsupported", "kind": "type", "detail": describe_exception(exc)}
        return {"outcome": "ok", "values": values}
    name = spec.get("name")
    if name not in namespace:
        return {"outcome": "missing", "name": name}
    target = namespace[name]
    if kind == "call":
        if not callable(target):
            return {"outcome": "not_callable", "name": name, "detail": _type_name(target)}
        return {"outcome": "ok", "calls": [_call_outcome(target, tuple(args)) for args in (args_list or [])]}
    if kind == "keras_summary":
        return _keras_summary(target)
    if kind == "predict":
        return _predict(target, args_list[0][0], spec)
    return {"outcome": "error", "error": f"unknown probe kind {kind!r}"}


def _keras_summary(target) -> dict:
    try:
        import keras
    except Exception as exc:  # pragma: no cover - keras is a course dependency
        return {"outcome": "error", "error": f"keras is not available ({describe_exception(exc)})"}
    if target is None or target is Ellipsis:
        return {"outcome": "ok", "answer": to_plain(target)}
    try:
        model = target if isinstance(target, keras.Model) else target()
    except NotImplementedError as exc:
        return {"outcome": "not_attempted", "detail": describe_exception(exc)}
    except Exception as exc:
        return {"outcome": "raised", "error": describe_exception(exc)}
    if model is None or model is Ellipsis:
        return {"outcome": "ok", "answer": to_plain(model)}
    if not isinstance(model, keras.Model):
        return {"outcome": "ok", "answer": {"type": "unsupported", "kind": "type", "detail": _type_name(model)}}
    layers = []
    for layer in model.layers[:MAX_ITEMS]:
        try:
            shape = list(layer.output.shape)
        except Exception:
            shape = []
        config = {}
        for key in ("filters", "kernel_size", "strides", "padding", "activation", "units", "pool_size", "rate", "use_bias",
                    "max_value"):
            value = getattr(layer, key, None)
            if value is None:
                continue
            if callable(value):
                value = getattr(value, "__name__", str(value))
            config[key] = list(value) if isinstance(value, tuple) else value
        layers.append({"class": type(layer).__name__, "name": layer.name,
                       "output_shape": [-1 if n is None else int(n) for n in shape],
                       "params": int(layer.count_params()), "config": config,
                       "inbound": _inbound_layer_names(model, layer)})
    return {"outcome": "ok", "answer": to_plain({"layers": layers, "total_params": int(model.count_params())})}


def _inbound_layer_names(model, layer) -> list[str]:
    """Names of the layers whose outputs feed ``layer`` in ``model`` (in call order; [] if Keras does not say).

    A layer may have been called in several graphs: the node used is the one ``model`` owns.
    """
    try:
        nodes = list(layer._inbound_nodes)
        owned = getattr(model, "_nodes", set())
        node = next((n for k, n in enumerate(nodes) if f"{id(layer)}_ib-{k}" in owned), nodes[0] if nodes else None)
        if node is None:
            return []
        return [str(t._keras_history.operation.name) for t in node.input_tensors][:MAX_ITEMS]
    except Exception:  # private Keras attributes: without them the wiring is simply not reported
        return []


def _predict(model, images, spec) -> dict:
    import numpy as np

    if model is None or model is Ellipsis:  # the stub (model = None): not attempted, as in check()
        return {"outcome": "not_attempted"}
    try:
        scores = model.predict(images, verbose=0, batch_size=int(spec.get("batch_size", 256)))
        labels = np.asarray(scores).reshape(len(images), -1).argmax(axis=1)
    except MemoryError:
        return {"outcome": "memory"}
    except Exception as exc:
        return {"outcome": "raised", "error": describe_exception(exc)}
    return {"outcome": "ok", "answer": to_plain(labels.astype(np.int64))}


# --------------------------------------------------------------------------------------
# The sandbox proper (only used when this file runs as the grader's child).
# --------------------------------------------------------------------------------------


class SandboxViolation(PermissionError):
    """Raised by the audit hook when graded code tries something not allowed."""


class _CappedWriter(io.TextIOBase):
    """``print`` target that keeps the first ``limit`` characters and drops the rest."""

    def __init__(self, stream, limit):
        self._stream, self._left = stream, limit
        self.dropped = 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        if self._left > 0:
            kept = text[: self._left]
            self._left -= len(kept)
            try:
                self._stream.write(kept)
            except Exception:
                pass
            if self._left <= 0:
                try:
                    self._stream.write("\n[output truncated by the grader]\n")
                except Exception:
                    pass
        else:
            self.dropped += len(text)
        return len(text)

    def flush(self):
        try:
            self._stream.flush()
        except Exception:
            pass


_WRITE_EVENTS = {
    # event: (positions of path arguments, positions of dir_fd arguments)
    "os.remove": ((0,), (1,)), "os.rmdir": ((0,), (1,)), "os.mkdir": ((0,), (2,)),
    "os.chmod": ((0,), (2,)), "os.chown": ((0,), (3,)), "os.utime": ((0,), (3,)),
    "os.rename": ((0, 1), (2, 3)), "os.link": ((0, 1), (2, 3)), "os.truncate": ((0,), ()),
    "os.chflags": ((0,), ()), "os.lchflags": ((0,), ()), "os.setxattr": ((0,), ()),
    "os.removexattr": ((0,), ()), "shutil.rmtree": ((0,), ()), "shutil.move": ((0, 1), ()),
    "shutil.copytree": ((1,), ()), "shutil.copyfile": ((1,), ()), "shutil.copymode": ((1,), ()),
    "shutil.copystat": ((1,), ()), "shutil.chown": ((0,), ()),
}
_READ_EVENTS = {"os.listdir": 0, "os.scandir": 0, "os.walk": 0, "os.fwalk": 0, "glob.glob": 0,
                "glob.glob/2": 0, "shutil.copyfile": 0, "shutil.copytree": 0, "os.listxattr": 0}
_PROCESS_EVENTS = {"os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.exec", "os.system",
                   "subprocess.Popen", "pty.spawn", "os.startfile", "os.popen", "os.kill", "os.killpg",
                   "signal.pthread_kill", "cpython.PyInterpreterState_New", "sys.addaudithook",
                   "resource.setrlimit", "resource.prlimit", "gc.get_objects", "gc.get_referrers",
                   "gc.get_referents", "os.chdir", "sqlite3.enable_load_extension", "sqlite3.load_extension",
                   "webbrowser.open", "ftplib.connect", "smtplib.connect", "nntplib.connect", "poplib.connect",
                   "imaplib.open", "telnetlib.Telnet.open", "urllib.Request", "http.client.connect"}
# A copy of course_utils.exercises.forbidden.ALWAYS_BANNED_MODULES: the child runs where course_utils cannot
# be imported (tests/test_exercises_agreement.py keeps the two equal).
_ALWAYS_BANNED_MODULES = ("course_utils", "_posixsubprocess", "_xxsubinterpreters", "_xxinterpchannels",
                          "_testcapi", "_testinternalcapi", "_cffi_backend", "cffi")
_EVENT_MESSAGES = {
    "os.fork": "starting a process (os.fork)", "os.forkpty": "starting a process (os.forkpty)",
    "os.posix_spawn": "starting a process (posix_spawn)", "os.spawn": "starting a process (os.spawn*)",
    "os.exec": "starting a program (os.exec*)", "os.system": "running a shell command (os.system)",
    "subprocess.Popen": "starting a process (subprocess)", "pty.spawn": "starting a process (pty)",
    "os.popen": "running a shell command (os.popen)", "os.kill": "sending a signal (os.kill)",
    "os.killpg": "sending a signal (os.killpg)", "signal.pthread_kill": "sending a signal",
    "cpython.PyInterpreterState_New": "creating a sub-interpreter",
    "sys.addaudithook": "adding an audit hook", "resource.setrlimit": "changing resource limits",
    "resource.prlimit": "changing resource limits", "os.chdir": "changing the working directory",
    "gc.get_objects": "inspecting the garbage collector", "gc.get_referrers": "inspecting the garbage collector",
    "gc.get_referents": "inspecting the garbage collector",
}


def _make_audit_hook(scratch, allow_read, deny_read, banned_modules, record):
    """Build the audit hook. Its settings live in immutable closure values only."""
    realpath = os.path.realpath
    sep = os.sep
    scratch = realpath(scratch)
    allow_read = tuple(sorted({realpath(p) for p in allow_read if p}))
    deny_read = tuple(sorted({realpath(p) for p in deny_read if p}))
    banned = tuple(sorted(set(_ALWAYS_BANNED_MODULES) | set(banned_modules)))
    readable_files = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    violation = SandboxViolation

    def under(path, root):
        return path == root or path.startswith(root if root.endswith(sep) else root + sep)

    def plain_path(path):
        if type(path) is str:
            return path
        if type(path) is bytes:
            return os.fsdecode(path)
        if isinstance(path, str):
            return str.__getitem__(path, slice(None))
        if isinstance(path, bytes):
            return os.fsdecode(bytes.__getitem__(path, slice(None)))
        return None

    def deny(what):
        record(what)
        raise violation(f"not allowed in graded code: {what}")

    def may_read(real):
        if under(real, scratch) or real in readable_files:
            return True
        best_allow = max((len(r) for r in allow_read if under(real, r)), default=-1)
        best_deny = max((len(r) for r in deny_read if under(real, r)), default=-1)
        return best_allow > best_deny

    def check_path(path, write, event, relative_ok=True):
        if type(path) is int:
            return
        text = plain_path(path)
        if text is None:
            deny(f"{event} with a {type(path).__name__} path (use a plain string)")
        if "\x00" in text:
            deny(f"{event} with a NUL in the path")
        if not relative_ok and not text.startswith(sep):
            deny(f"{event} with a relative path")
        real = realpath(text)
        if write:
            if not under(real, scratch) or real == scratch:
                deny(f"changing files outside the scratch directory ({event} {text[:120]!r})")
        elif not may_read(real):
            deny(f"reading outside the allowed folders ({event} {text[:120]!r})")

    def hook(event, args):
        if event == "import":
            name = args[0] if args and type(args[0]) is str else ""
            for module in banned:
                if name == module or name.startswith(module + "."):
                    deny(f"import {name}")
            return
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, 0))[:3]
            if type(flags) is not int:
                flags = 0
            write = bool(flags & write_flags) or (type(mode) is str and any(c in mode for c in "wax+"))
            check_path(path, write, "open", relative_ok=mode is not None)
            return
        if event in _WRITE_EVENTS:
            paths, dir_fds = _WRITE_EVENTS[event]
            for i in dir_fds:
                if i < len(args) and args[i] not in (None, -1):
                    deny(f"{event} relative to a directory descriptor")
            for i in paths:
                if i < len(args) and args[i] is not None:
                    check_path(args[i], True, event)
            if event in _READ_EVENTS:
                check_path(args[_READ_EVENTS[event]], False, event)
            return
        if event in _READ_EVENTS:
            i = _READ_EVENTS[event]
            if i < len(args) and args[i] is not None:
                check_path(args[i], False, event)
            return
        if event == "os.symlink":
            deny("creating a symbolic link")
        if event in _PROCESS_EVENTS:
            deny(_EVENT_MESSAGES.get(event, event))
        if event.startswith("socket."):
            deny(f"network access ({event})")
        if event.startswith("ctypes."):
            deny("calling C code through ctypes")
        if event == "sqlite3.connect" and args and args[0] != ":memory:":
            check_path(args[0], True, event)

    return hook


def _lower_limits(limits) -> None:
    import resource

    def set_limit(which, value):
        try:
            soft, hard = resource.getrlimit(which)
            hard_new = value if hard == resource.RLIM_INFINITY else min(hard, value)
            resource.setrlimit(which, (min(value, hard_new), hard_new))
        except (ValueError, OSError):
            pass

    cpu = int(limits.get("cpu_s", 10))
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    except (ValueError, OSError):
        set_limit(resource.RLIMIT_CPU, cpu)
    set_limit(resource.RLIMIT_AS, int(limits.get("memory_mb", 1024)) * 2**20)
    set_limit(resource.RLIMIT_FSIZE, int(limits.get("file_mb", 32)) * 2**20)
    set_limit(resource.RLIMIT_NOFILE, int(limits.get("open_files", 256)))
    set_limit(resource.RLIMIT_CORE, 0)
    if "nproc" in limits:
        set_limit(resource.RLIMIT_NPROC, int(limits["nproc"]))


def _remove_unaudited_os_functions() -> None:
    """Functions with no audit event that a root process could abuse (device nodes, chroot)."""
    import posix

    for name in ("mknod", "mkfifo", "chroot", "setns", "unshare", "pidfd_open"):
        for module in (os, posix):
            try:
                delattr(module, name)
            except AttributeError:
                pass


def _disarm_fork_exec(record) -> None:
    """``subprocess`` is imported before the hook (NumPy's testing module needs it); its C
    helper ``_posixsubprocess.fork_exec`` raises no audit event, so it is replaced by a stub.
    A fresh load of ``_posixsubprocess`` is refused by the hook (it fires an import event)."""
    import subprocess  # noqa: F401
    import _posixsubprocess

    _posixsubprocess.fork_exec = _forbidden_stub("starting a process (_posixsubprocess)", record)


def _module_locations(names) -> list[str]:
    """Files or folders of banned pure-Python modules: reading them is refused, so
    ``importlib.import_module`` (which raises no import event) cannot load them either."""
    import importlib.util

    found = []
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError, AttributeError):
            continue
        if spec is None:
            continue
        if spec.submodule_search_locations:
            found.extend(spec.submodule_search_locations)
        elif spec.origin and os.path.isabs(spec.origin):
            found.append(spec.origin)
    return found


class _Child:
    """Runs the job; every method here is trusted bootstrap code."""

    def __init__(self, scratch, results_fd):
        self.scratch, self.results_fd = scratch, results_fd
        with open(os.path.join(scratch, "job.json"), encoding="utf-8") as f:
            self.job = json.load(f)
        self.results = {"running": None, "done": {}, "context_errors": [], "started": time.time()}
        self.violations = []
        self._reserve = bytearray(8 * 2**20)  # freed on MemoryError so the report can still be written

    def record_violation(self, what):
        if len(self.violations) < 50:
            self.violations.append(str(what)[:300])

    def write_results(self):
        """Send the whole report as one frame, ``b"<length>\\n<json>"``, on the results pipe."""
        data = json.dumps(self.results, allow_nan=False).encode("utf-8")
        frame = b"%d\n" % len(data) + data
        view = memoryview(frame)
        while view:
            written = os.write(self.results_fd, view)
            view = view[written:]

    def load_inputs(self):
        import numpy as np

        self.inputs = {}
        path = os.path.join(self.scratch, "inputs.npz")
        if os.path.exists(path):
            with np.load(path, allow_pickle=False) as data:
                self.inputs = {key: data[key] for key in data.files}
            os.remove(path)  # off the disk before student code runs: each input reaches only its own call

    def args_for(self, qid):
        import numpy as np

        out = []
        for call in self.job.get("args", {}).get(qid, []):
            args = []
            for arg in call:  # {"array": key in inputs.npz} or {"value": a JSON number/string}
                if "array" in arg:
                    args.append(np.array(self.inputs[arg["array"]], copy=True))  # fresh copy: students may mutate
                else:
                    args.append(arg["value"])
            out.append(tuple(args))
        return out

    def patch_forbidden_calls(self, dotted_names, qid):
        saved = []
        for dotted in dotted_names:
            module_name, _, attr = dotted.rpartition(".")
            module = sys.modules.get(module_name)
            if module is None or not hasattr(module, attr):
                continue
            original = getattr(module, attr)
            package = module_name.split(".")[0]
            stub = _forbidden_stub(dotted, self.record_violation)
            # the same function is usually reachable from several submodules (numpy._core.numeric, ...)
            for name, mod in list(sys.modules.items()):
                if (name == package or name.startswith(package + ".")) and getattr(mod, attr, None) is original:
                    saved.append((mod, attr, original))
                    setattr(mod, attr, stub)
        return saved

    @staticmethod
    def restore(saved):
        for module, name, value in reversed(saved):
            setattr(module, name, value)

    def run(self):
        job = self.job
        limits = job.get("limits", {})
        for module in job.get("preload", []):
            __import__(module)
        import numpy  # noqa: F401  (every exercise uses it; imported before the hook for speed)

        self.load_inputs()
        _lower_limits(limits)
        out_limit = int(limits.get("output_chars", 200_000))
        sys.stdout = _CappedWriter(sys.stdout, out_limit)
        sys.stderr = _CappedWriter(sys.stderr, out_limit)
        sys.stdin = io.StringIO("")
        try:
            import signal

            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails instead of killing us
        except (AttributeError, ValueError, OSError):
            pass
        _close_other_descriptors(self.results_fd)  # bwrap's copies of the job and the hidden inputs
        if job.get("audit_hook", True):
            _remove_unaudited_os_functions()
            _disarm_fork_exec(self.record_violation)
            banned = job.get("forbidden_modules", [])
            deny_read = list(job.get("deny_read", [])) + _module_locations(banned)
            hook = _make_audit_hook(self.scratch, job.get("allow_read", []), deny_read, banned, self.record_violation)
            sys.addaudithook(hook)
            del hook
        self.write_results()
        namespace = {"__name__": "__main__", "__builtins__": builtins}
        for name, key in job.get("given", {}).items():  # the exercise's given data (e.g. training images)
            namespace[str(name)] = self.inputs[key]
        skip = set(job.get("skip", []))
        for cell in job["cells"]:
            qid = cell.get("question")
            if qid is not None and qid in skip:
                continue
            if qid is not None:
                self.results["running"] = qid
                self.write_results()
            self.violations = []
            saved = self.patch_forbidden_calls(job.get("forbidden_calls", {}).get(qid, []), qid) if qid else []
            try:
                outcome = self.exec_cell(cell, namespace)
                if qid is not None and outcome["outcome"] == "ok":
                    outcome = run_probe(job["probes"][qid], namespace, self.args_for(qid))
            except MemoryError:
                self._reserve = None
                outcome = {"outcome": "memory"}
            except BaseException as exc:  # SystemExit & co. from a probe: this question only
                outcome = {"outcome": "raised", "error": describe_exception(exc)}
            finally:
                self.restore(saved)
            if self._reserve is None:
                self._reserve = bytearray(8 * 2**20) if _try_alloc() else None
            if qid is None:
                if outcome["outcome"] != "ok":
                    self.results["context_errors"].append({"cell": cell.get("index"), **outcome})
                continue
            if self.violations:
                outcome["violations"] = list(self.violations)
            self.results["done"][qid] = outcome
            self.results["running"] = None
            self.write_results()
        self.results["finished"] = True
        self.write_results()

    def exec_cell(self, cell, namespace):
        label = f"<{cell.get('question') or 'setup'} cell>"
        try:
            code = compile(cell["source"], label, "exec")
        except SyntaxError as exc:
            return {"outcome": "syntax", "error": f"SyntaxError: {_short(exc.msg, 150)} (line {exc.lineno})"}
        except (ValueError, OverflowError, RecursionError) as exc:
            return {"outcome": "syntax", "error": describe_exception(exc)}
        try:
            exec(code, namespace)
        except NotImplementedError as exc:
            return {"outcome": "not_attempted", "detail": describe_exception(exc)}
        except MemoryError:
            self._reserve = None
            return {"outcome": "memory"}
        except SystemExit as exc:
            return {"outcome": "exit", "error": f"SystemExit({_short(exc.code, 60)!s})"}
        except KeyboardInterrupt:
            return {"outcome": "raised", "error": "KeyboardInterrupt"}
        except BaseException as exc:
            return {"outcome": "raised", "error": describe_exception(exc), "line": _student_line(exc, label),
                    "forbidden": isinstance(exc, SandboxViolation)}
        return {"outcome": "ok"}


def _try_alloc():
    try:
        bytearray(8 * 2**20)
        return True
    except MemoryError:
        return False


def _student_line(exc, label):
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == label:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _forbidden_stub(dotted, record):
    what = dotted if " " in dotted else f"calling {dotted}"

    def forbidden(*args, **kwargs):
        record(what)
        raise SandboxViolation(f"not allowed in graded code: {what}")

    forbidden.__name__ = dotted.rpartition(".")[2]
    return forbidden


def _close_other_descriptors(keep: int) -> None:
    os.closerange(3, keep)
    os.closerange(keep + 1, 1 << 16)


def main(argv) -> None:
    scratch, results_fd = argv[1], int(argv[2])
    os.chdir(scratch)
    child = _Child(scratch, results_fd)
    try:
        child.run()
    except BaseException as exc:  # the bootstrap itself failed: say so, the parent reports CRASH
        try:
            child.results["bootstrap_error"] = describe_exception(exc)
            child.write_results()
        except BaseException:
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:
            pass
        os._exit(0)  # skip atexit handlers and finalisers that student code may have registered


if __name__ == "__main__":
    main(sys.argv)
