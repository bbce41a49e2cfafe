"""The grader's contract, defined once: statuses, the child's job and what it sends back.

Both sides import these names instead of writing the strings:

- :class:`Status`: how a question ended (PASS, FAIL, ..., FORBIDDEN), in ``Result``,
  ``grades.csv`` and the records;
- :class:`Kind`: what happened to one cell, probe or call in the child (an
  :class:`Outcome`'s ``"outcome"``); :class:`RunEnd`: how one whole child run ended
  (the parent decides it from the exit status);
- :class:`Probe`: how a question's answer is read out of the namespace (:class:`ProbeSpec`);
- :class:`Job` (``job.json``, what the parent asks) and :class:`ChildResults` (what the
  child answers, checked by :func:`validate_results` before anything judges it).

The members are strings (:class:`~course_utils.checks.codec.Wire`), so they travel as JSON
unchanged and compare equal to what the other side decoded.

>>> Status.PASS == "PASS", Kind.NOT_ATTEMPTED == "not_attempted", sorted(RunEnd)[:2]
(True, True, ['bootstrap', 'crash'])
"""
from __future__ import annotations

from typing import TypedDict

from .codec import MAX_ELEMENTS, MAX_ITEMS, MAX_TEXT, PlainType, Wire


class Status(Wire):
    """How one question ended, in ``check()``'s Result and in the grader's outputs."""

    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"
    TIMEOUT = "TIMEOUT"
    MEMORY = "MEMORY"
    CRASH = "CRASH"
    MISSING = "MISSING"
    INVALID = "INVALID"
    FORBIDDEN = "FORBIDDEN"


STATUSES = tuple(Status)
PASS, FAIL, ERROR, TIMEOUT, MEMORY, CRASH, MISSING, INVALID, FORBIDDEN = STATUSES


class Kind(Wire):
    """What happened to one cell, probe or call inside the child (an :class:`Outcome`'s ``"outcome"``)."""

    OK = "ok"
    NOT_ATTEMPTED = "not_attempted"   # the stub: NotImplementedError, None or ...
    MEMORY = "memory"
    RAISED = "raised"
    SYNTAX = "syntax"
    EXIT = "exit"
    MISSING = "missing"               # the name the probe reads is not defined
    NOT_CALLABLE = "not_callable"
    ERROR = "error"                   # the probe itself could not run


class RunEnd(Wire):
    """How one child run ended, as the parent classifies it (``ChildRun.ended``)."""

    FINISHED = "finished"
    TIMEOUT = "timeout"
    CRASH = "crash"
    BOOTSTRAP = "bootstrap"           # the grader's own child code failed: retrying cannot help


class Probe(Wire):
    """How the child reads a question's answer after its cell ran (:class:`ProbeSpec`'s ``"probe"``)."""

    VALUE = "value"                   # the variables ``names``
    CALL = "call"                     # call the function ``name`` on each hidden argument tuple
    KERAS_SUMMARY = "keras_summary"   # a Keras model (or its builder ``name``) as layers, shapes, parameters
    PREDICT = "predict"               # class predictions of the model ``name`` for the given images


class ProbeSpec(TypedDict, total=False):
    """What a question asks the child to read (``Question.probe_spec()``)."""

    probe: Probe
    names: list                       # Probe.VALUE
    name: str                         # the others
    batch_size: int                   # Probe.PREDICT


class Cell(TypedDict, total=False):
    """One cell the child runs: a graded slot (``question``) or an instructor's context cell (``None``)."""

    question: str | None
    index: int                        # its position in the notebook (1-based)
    source: str


class Job(TypedDict, total=False):
    """``job.json``: everything the child is told (the hidden inputs travel in ``inputs.npz``)."""

    cells: list                       # of Cell, in notebook order
    probes: dict                      # question id -> ProbeSpec
    args: dict                        # question id -> [[{"array": key} | {"value": number}, ...], ...]
    given: dict                       # variable name -> key in inputs.npz
    skip: list                        # question ids not to run (already done, or crashed before)
    forbidden_modules: list
    forbidden_calls: dict             # question id -> ["numpy.convolve", ...]
    preload: list                     # modules imported before the audit hook (keras)
    limits: dict                      # cpu_s, memory_mb, output_chars, file_mb, open_files[, nproc]
    audit_hook: bool
    allow_read: list
    deny_read: list


class Outcome(TypedDict, total=False):
    """What happened to one cell, probe or call (the child writes it, the parent validates it)."""

    outcome: Kind
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


OUTCOMES = frozenset(Kind)
_OUTCOME_TEXT = {"detail", "error", "name"}
_PLAIN_KEYS = {"type", "value", "truncated", "items", "kind", "detail", "dtype", "shape", "data", "source", "orig_dtype"}
_PLAIN_TYPES = frozenset(PlainType)
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

