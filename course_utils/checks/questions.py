"""Questions, results and feedback messages shared by ``check()`` and the grader.

A question reads the student's answer as *plain data* (:mod:`course_utils.checks.codec`,
read by :mod:`course_utils.checks.probes`), compares it with a trusted reference and
returns a :class:`Result` with ONE line of specific feedback, checked in this order:
not attempted → type → shape → dtype → values (the first wrong element) → known
mistakes ("did you flip the kernel?"). The same :meth:`Question.judge` runs inside the
student's notebook (``q.check(answer)``, feedback only, visible example inputs) and in
the grader (hidden inputs, no values revealed).

Writing a question (see ``exercises/README.md``, "Add a question")::

    q1 = ValueQuestion("ex09.q1", points=2, names=["y"], title="Valid output",
                       expected=lambda: correlate2d(IMAGE, KERNEL),
                       mistakes=[Mistake("did you flip the kernel?", lambda: convolve2d(IMAGE, KERNEL))],
                       hint="Slide the kernel over every position where it fits.")
    q2 = FunctionQuestion("ex09.q2", points=3, name="correlate", title="Implement it",
                          reference=correlate2d, make_args=lambda rng: [(rng.normal(size=(5, 6)), ...)],
                          forbidden_modules=["scipy.signal"])

>>> q = ValueQuestion("demo.q1", points=1, names=["n"], expected=lambda: 26, integer=True,
...                   mistakes=[Mistake("did you forget the + 1?", 25)])
>>> q.check(26)
✅ Correct! n = 26.
>>> q.check(25)
❌ n is 25, too small: did you forget the + 1?
>>> q.check(None)
⏳ Not attempted yet: replace the placeholder and run the cell (q.hint() helps).
"""
from __future__ import annotations

import ast
import inspect
import math
import sys
import textwrap
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from . import hints
from .codec import NotAttempted, NotPlain, PlainType, Unsupported, decode_plain
from .forbidden import ALWAYS_BANNED_MODULES, forbidden_uses, patch_calls, restore
from .probes import run_probe
from .protocol import ERROR, FAIL, FORBIDDEN, MEMORY, PASS, Kind, Outcome, Probe, ProbeSpec, Status

NOT_ATTEMPTED = "Not attempted yet"   # how a not-attempted line starts (for people; code reads Result.attempted)
CHECK_SEED = 20240  # seed of the visible inputs that check() uses; the grader draws hidden ones


@dataclass(frozen=True)
class Result:
    """One question's outcome: a :class:`~course_utils.checks.protocol.Status`, points and a one-line message."""

    status: Status
    points: float
    max_points: float
    message: str
    attempted: bool = True

    def line(self) -> str:
        """The line ``check()`` prints."""
        if self.status == PASS:
            return f"✅ Correct! {self.message}".rstrip()
        if not self.attempted:
            return f"⏳ {self.message}"
        return f"❌ {self.message}"


class Mistake:
    """A known wrong answer and the advice to give when the student's answer matches it.

    ``wrong`` is the wrong value (or, for a :class:`ValueQuestion`, a function of no
    arguments computing it; for a :class:`FunctionQuestion`, a function of the same
    arguments as the reference). ``match="values"`` needs the same shape and close
    values; ``match="shape"`` only the same shape (e.g. "valid instead of full mode");
    ``match="other_shape"`` any shape but ``wrong``'s (give the right shape as ``wrong``).
    """

    def __init__(self, advice: str, wrong, match: str = "values"):
        if match not in ("values", "shape", "other_shape"):
            raise ValueError(f"match must be 'values', 'shape' or 'other_shape', got {match!r}")
        self.advice, self.wrong, self.match = advice, wrong, match

    def matches(self, answer, wrong, rtol, atol) -> bool:
        try:
            wrong = np.asarray(wrong, dtype=np.float64)
            answer = np.asarray(answer, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        if self.match == "other_shape":
            return answer.shape != wrong.shape
        if answer.shape != wrong.shape:
            return False
        return self.match == "shape" or bool(np.all(_isclose(answer, wrong, rtol, atol)))


def _isclose(a, b, rtol, atol):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.abs(a - b) <= atol + rtol * np.abs(b)
    return close | (np.isnan(a) & np.isnan(b)) | ((a == b) & np.isinf(a))


def _fmt(value) -> str:
    """A number as students read it: integers plainly, others to 4 significant decimals."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}" if abs(int(value)) >= 10_000 else str(int(value))
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return _fmt(int(value)) + ".0" if abs(value) < 10_000 else f"{value:,.1f}"
    if abs(value) >= 1e5 or abs(value) < 1e-3:
        return f"{value:.4g}"
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _describe_expected(expected) -> str:
    if isinstance(expected, np.ndarray) and expected.ndim > 0:
        return f"an array of shape {expected.shape}"
    if isinstance(expected, str):
        return "a string"
    if isinstance(expected, dict):
        return "a dict"
    return "a number"


def _describe_answer(answer) -> str:
    if isinstance(answer, Unsupported):
        return answer.detail or str(answer.reason)
    if isinstance(answer, bool):
        return f"a bool ({answer})"
    if isinstance(answer, (int, float)):
        return f"a single number ({_fmt(answer)})"
    if isinstance(answer, np.ndarray):
        return f"an array of shape {answer.shape}"
    if isinstance(answer, str):
        return "a string"
    if isinstance(answer, dict):
        return "a dict"
    if isinstance(answer, list):
        return "a list"
    return type(answer).__name__


def _index(idx) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


SHOW_VALUES, SHOW_ANSWER, SHOW_NOTHING = "values", "answer", "nothing"
TRY = {"shape": "work out the size of each axis first (q.hint() helps)",
       "values": "recompute that entry by hand, step by step, and compare (q.hint() helps)",
       "value": "recompute it by hand, step by step, and compare (q.hint() helps)"}


def compare(label: str, answer, expected, *, rtol=1e-6, atol=1e-9, integer=False, mistakes=(),
            mistake_values=(), show=SHOW_VALUES, dtype=None, answer_dtype=None) -> tuple[bool, str, bool]:
    """Compare a decoded answer with the trusted expected value.

    Returns ``(correct, message, attempted)``; the message is one line. ``show`` is what
    it may reveal (see :meth:`Question.shows`): ``"values"`` the expected value
    (practice questions), ``"answer"`` the answer's own value and the direction, never
    the expected value (graded questions), ``"nothing"`` the position and direction
    only (hidden inputs). ``mistake_values`` are the known mistakes' wrong values, in
    the order of ``mistakes``; ``dtype`` a dtype the answer must have (its original
    one is ``answer_dtype``). Arrays are compared with ``atol`` raised to ``rtol`` times
    their largest magnitude, so a float32 accumulator passes where float64 does.

    >>> compare("y", np.array([1.0, 2.0]), np.array([1.0, 3.0]))[1]
    'y[1] is 2.0, expected 3.0: recompute that entry by hand, step by step, and compare (q.hint() helps)'
    >>> compare("y", np.array([1.0, 2.0]), np.array([1.0, 3.0]), show="answer")[1].split(":")[0]
    'y[1] is 2.0, too small'
    >>> compare("y", np.array([1.0, 2.0]), np.array([1.0, 3.0]), show="nothing")[1].split(":")[0]
    'y[1] is too small'
    >>> compare("n", "26", 26)[1]
    'n is a string, expected a number: write the number itself, without quotes'
    """
    if answer is None or answer is Ellipsis or isinstance(answer, NotAttempted):
        return False, f"{label} is still the placeholder: replace it with your answer", False
    expected_scalar = not (isinstance(expected, np.ndarray) and expected.ndim > 0)
    # 1. type
    if isinstance(answer, Unsupported) or isinstance(answer, (str, dict, list)) or isinstance(answer, bool):
        advice = ": convert it to a NumPy array of numbers" if not expected_scalar else ": give a single number"
        if isinstance(answer, str):
            advice = ": write the number itself, without quotes"
        elif isinstance(answer, Unsupported) and answer.reason == NotPlain.RAGGED:
            advice = ": every row must have the same length"
        elif isinstance(answer, Unsupported) and answer.reason == NotPlain.NONE_INSIDE:
            advice = ": fill in every element"
        return False, f"{label} is {_describe_answer(answer)}, expected {_describe_expected(expected)}{advice}", True
    answer_array = np.asarray(answer)
    if expected_scalar:
        if answer_array.size != 1 or answer_array.ndim > 1:
            return False, (f"{label} is {_describe_answer(answer)}, expected a single number: give one value, "
                           f"not a list or an array"), True
        answer_array = answer_array.reshape(())
    else:
        if answer_array.ndim == 0:
            return False, (f"{label} is {_describe_answer(answer)}, expected {_describe_expected(expected)}: "
                           f"give every value, as an array"), True
        # 2. shape
        if answer_array.shape != expected.shape:
            message = f"{label} has shape {answer_array.shape}, expected {expected.shape}"
            return False, _with_mistake(message, answer_array, mistakes, mistake_values, rtol, atol, "shape"), True
    expected_array = np.asarray(expected, dtype=np.float64)
    # 3. dtype
    if answer_array.dtype == bool:
        return False, f"{label} holds True/False values, expected numbers: convert with .astype(float)", True
    if dtype is not None and answer_dtype is not None and np.dtype(answer_dtype) != np.dtype(dtype):
        return False, (f"{label} has dtype {answer_dtype}, expected {np.dtype(dtype)}: convert with "
                       f".astype(np.{np.dtype(dtype)})"), True
    values = answer_array.astype(np.float64)
    # 4. values
    scale = float(np.nanmax(np.abs(expected_array), initial=0.0)) if expected_array.ndim else 0.0
    close = _isclose(values, expected_array, rtol, max(atol, rtol * scale if math.isfinite(scale) else atol))
    if integer:
        close &= values == np.round(values)
    if bool(np.all(close)):
        return True, "", True
    first = tuple(np.argwhere(~close)[0]) if values.ndim else ()
    where = label + (_index(first) if first else "")
    raw_got = answer_array[first] if first else answer_array[()]
    raw_want = np.asarray(expected)[first] if first else np.asarray(expected)[()]
    got, want = float(raw_got), float(raw_want)
    unrounded = integer and math.isfinite(got) and got != round(got) and abs(got - want) < 1
    if not math.isfinite(got):
        direction = f"{_fmt(got)}, not a finite number"
    elif unrounded:
        direction = "not a whole number"
    else:
        direction = "too large" if got > want else "too small"
    if show == SHOW_NOTHING:
        message = f"{where} is {direction}"
    elif show == SHOW_ANSWER or not math.isfinite(got):
        message = f"{where} is {_fmt(raw_got)}, {direction}"
    elif unrounded:
        message = f"{where} is {_fmt(raw_got)}, expected the whole number {_fmt(raw_want)}"
    else:
        message = f"{where} is {_fmt(raw_got)}, expected {_fmt(raw_want)}"
    if values.ndim:
        wrong = int((~close).sum())
        if wrong > 1:
            message += f" ({wrong} of {close.size} values differ)"
    if unrounded:   # a known mistake's advice first: not every formula rounds down ('same' padding rounds up)
        known = [m.advice for m, w in zip(mistakes, mistake_values)
                 if m.match == "values" and w is not None and m.matches(values, w, rtol, atol)]
        return False, f"{message}: {' Or: '.join(known) if known else 'round down (floor) with //'}", True
    return False, _with_mistake(message, values, mistakes, mistake_values, rtol, atol, "values"), True


def _with_mistake(message, answer, mistakes, mistake_values, rtol, atol, stage) -> str:
    """``message`` with the advice of each known mistake the answer matches; with none, what to try.

    >>> _with_mistake("n is 28", 28, [Mistake("zeros at the border?", 28), Mistake("|gx| + |gy|?", 28)],
    ...               [28, 28], 1e-6, 1e-9, "values")
    'n is 28: zeros at the border? Or: |gx| + |gy|?'
    """
    advice = []
    for mistake, wrong in zip(mistakes, mistake_values):
        # A shape-only mistake explains a wrong shape; once the shape is right it says nothing.
        if stage == "values" and mistake.match != "values":
            continue
        if wrong is not None and mistake.matches(answer, wrong, rtol, atol) and mistake.advice not in advice:
            advice.append(mistake.advice)
    # Two known mistakes giving the same wrong answer: either may be the student's, so name both.
    fallback = TRY["value" if stage == "values" and np.ndim(answer) == 0 else stage]
    return f"{message}: {' Or: '.join(advice) if advice else fallback}"


def _expected_value(spec):
    value = spec() if callable(spec) else spec
    if isinstance(value, (list, tuple)):
        value = np.asarray(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        value = value.item()
    return value


# --------------------------------------------------------------------------------------
# Questions
# --------------------------------------------------------------------------------------


class Question:
    """Base class: one graded cell. Subclasses say how to probe and how to judge.

    ``points == 0`` makes a practice question, which may offer :meth:`solution`.
    ``forbidden_modules`` (dotted names) may not be imported anywhere in the graded
    notebook; ``forbidden_calls`` (e.g. ``"numpy.convolve"``) raise while this
    question's cell and probe run (best effort: the grader notes it, it does not
    catch every route to the same result).
    """


    def __init__(self, id: str, *, points: float, title: str = "", hint: str | Sequence[str] = (),
                 success: str = "", solution: str | None = None, forbidden_modules: Sequence[str] = (),
                 forbidden_calls: Sequence[str] = (), memory_mb: int | None = None, preload: Sequence[str] = ()):
        if not id or "." not in id:
            raise ValueError(f"question id must look like 'ex01.q1', got {id!r}")
        if points < 0:
            raise ValueError(f"points must be >= 0, got {points}")
        if solution is not None and points > 0:
            raise ValueError(f"{id}: only practice questions (points=0) may show a solution")
        self.id, self.points, self.title, self.success = id, float(points), title or id, success
        self.hints = [hint] if isinstance(hint, str) else list(hint)
        self._solution = solution
        self.forbidden_modules = tuple(forbidden_modules)
        self.forbidden_calls = tuple(forbidden_calls)
        self.memory_mb = memory_mb
        self.preload = tuple(preload)
        self.notebook_forbidden_modules = self.forbidden_modules   # the exercise sets the union of its questions'

    def shows(self, hidden: bool) -> str:
        """What this question's feedback may reveal: the one place that decides it.

        Practice questions show expected values; graded ones show the answer's own value,
        the direction and the known mistake, never the expected value; on hidden inputs
        only the position and the direction.

        >>> ValueQuestion("demo.p1", points=0, names=["n"], expected=1).shows(hidden=False)
        'values'
        >>> ValueQuestion("demo.q1", points=1, names=["n"], expected=1).shows(hidden=False)
        'answer'
        """
        if hidden:
            return SHOW_NOTHING
        return SHOW_VALUES if self.points == 0 else SHOW_ANSWER

    def forbidden_in_check(self, answers: dict) -> Result | None:
        """check()'s side of the grader's bans: FORBIDDEN when the answer's cell imports or calls what the grader refuses.

        ``answers`` is ``{name: value}``; the cell is the latest one in the notebook's
        history that binds one of the names (or, outside IPython, the answer function's
        own source). It uses the same declarations as the grader: the exercise's
        ``forbidden_modules`` (plus ``course_utils``) and this question's ``forbidden_calls``.
        """
        source, namespace = _answer_cell(answers)
        if source is None:
            return None
        uses = forbidden_uses(source, namespace, (*ALWAYS_BANNED_MODULES, *self.notebook_forbidden_modules),
                              self.forbidden_calls)
        return self.forbidden_result(uses[0]) if uses else None

    def forbidden_result(self, what: str) -> Result:
        """check()'s FORBIDDEN line for ``what`` (``"calling numpy.convolve"``, ``"import scipy.signal"``)."""
        return self.result(FORBIDDEN, f"not allowed in graded code: {what}: the grader gives 0 points for it, so "
                                      f"write this part yourself (q.hint() helps)")

    # --- what the grader's child process must do -------------------------------------
    def probe_spec(self) -> ProbeSpec:
        raise NotImplementedError

    def hidden_args(self, rng: np.random.Generator) -> list[tuple]:
        """Arguments the grader calls the student's code with (none for value questions)."""
        return []

    # --- judging ---------------------------------------------------------------------
    def judge(self, outcome: Outcome, args: list[tuple], *, hidden: bool) -> Result:
        """Turn the child's (or the kernel's) probe outcome into a :class:`Result`."""
        raise NotImplementedError

    def result(self, status: Status, message: str, fraction: float = 0.0, attempted: bool = True) -> Result:
        return Result(status, round(self.points * fraction, 4), self.points, message, attempted)

    def judge_outcome(self, outcome: Outcome, args: list[tuple], *, hidden: bool) -> Result:
        """Common outcomes first (errors, forbidden, memory), then :meth:`judge`."""
        kind = outcome.get("outcome")
        if outcome.get("violations") or outcome.get("forbidden"):
            what = (outcome.get("violations") or [outcome.get("error", "")])[0]
            return self.result(FORBIDDEN, f"not allowed in graded code: {what}")
        if kind == Kind.MEMORY:
            return self.result(MEMORY, "your code ran out of memory: use smaller arrays or fewer copies")
        if kind == Kind.SYNTAX:
            return self.result(ERROR, f"your cell does not parse: {outcome.get('error', 'SyntaxError')}")
        if kind == Kind.RAISED:
            line = f" (line {outcome['line']} of the cell)" if outcome.get("line") else ""
            return self.result(ERROR, f"your cell raised {outcome.get('error', 'an exception')}{line}")
        if kind == Kind.EXIT:
            return self.result(ERROR, "your cell called sys.exit()/exit(): remove that call")
        if kind == Kind.NOT_ATTEMPTED:
            return self.result(FAIL, f"{NOT_ATTEMPTED}: replace the placeholder and run the cell (q.hint() helps).",
                               attempted=False)
        if kind == Kind.MISSING:
            return self.result(FAIL, f"`{outcome.get('name')}` is not defined: keep the name the cell asks for")
        if kind == Kind.NOT_CALLABLE:
            return self.result(FAIL, f"`{outcome.get('name')}` is a {outcome.get('detail')}, expected a function")
        if kind != Kind.OK:
            return self.result(ERROR, f"could not read your answer ({kind})")
        try:
            return self.judge(outcome, args, hidden=hidden)
        except (ValueError, TypeError, KeyError) as exc:  # malformed plain data from a tampered child
            return self.result(ERROR, f"could not read your answer ({type(exc).__name__})")

    # --- the student's side ----------------------------------------------------------
    def check_args(self) -> list[tuple]:
        return []

    def check(self, *answers) -> None:
        """Print one line of feedback on ``answers`` (feedback only, never a grade)."""
        try:
            result = self.check_result(*answers)
        except Exception as exc:  # the checker must never break the notebook
            print(f"⚠️ The checker could not run ({type(exc).__name__}: {exc}). Please tell your instructor.")
            return
        print(result.line())

    def check_result(self, *answers) -> Result:
        raise NotImplementedError

    def hint(self) -> None:
        """Print the next hint (they get more specific); how many were shown is the session's (:mod:`.hints`)."""
        print(hints.SESSION.next_hint(self.id, self.hints))

    def solution(self) -> None:
        """Practice questions only: print a model solution."""
        if self._solution is None:
            print("This question is graded: no solution here. Ask for a hint with q.hint().")
            return
        print(self._solution.strip())

    def __repr__(self):
        return f"<{type(self).__name__} {self.id} ({self.points:g} points): {self.title}>"


class ValueQuestion(Question):
    """The answer is one or more variables (numbers or arrays) the cell assigns.

    ``expected`` is a value, or a function of no arguments computing it (evaluated
    once, lazily, from the tested ``course_utils`` code); with several ``names`` it
    returns one value per name (a tuple, or a dict by name). ``mistakes`` is one list
    for all names, or a dict ``{name: [Mistake, ...]}``. Each correct name earns its
    share of the points (``partial=True``).
    """


    def __init__(self, id, *, points, names: Sequence[str], expected, mistakes=(), rtol=1e-6, atol=1e-9,
                 integer=False, partial=True, **kwargs):
        super().__init__(id, points=points, **kwargs)
        self.names = [names] if isinstance(names, str) else list(names)
        self._expected_spec = expected
        self._expected = None
        self._mistakes = mistakes
        self.rtol, self.atol, self.integer, self.partial = rtol, atol, integer, partial

    def probe_spec(self) -> dict:
        return {"probe": Probe.VALUE, "names": list(self.names)}

    def expected(self) -> dict:
        """``{name: trusted expected value}``."""
        if self._expected is None:
            value = self._expected_spec() if callable(self._expected_spec) else self._expected_spec
            if len(self.names) == 1:
                values = {self.names[0]: value}
            elif isinstance(value, dict):
                values = dict(value)
            else:
                values = dict(zip(self.names, value))
            self._expected = {name: _expected_value(values[name]) for name in self.names}
        return self._expected

    def mistakes_for(self, name) -> list[Mistake]:
        if isinstance(self._mistakes, dict):
            return list(self._mistakes.get(name, ()))
        return list(self._mistakes)

    def judge(self, outcome, args, *, hidden) -> Result:
        expected = self.expected()
        correct, first_message, attempted_any, all_missing = 0, None, False, True
        for name in self.names:
            plain = outcome["values"].get(name, {"type": PlainType.MISSING})
            if plain.get("type") == PlainType.MISSING:
                ok, message, attempted = False, f"`{name}` is not defined: keep the variable name the cell uses", True
            else:
                all_missing = False
                answer = decode_plain(plain)
                mistakes = self.mistakes_for(name)
                wrong_values = [_expected_value(m.wrong) for m in mistakes]
                ok, message, attempted = compare(name, answer, expected[name], rtol=self.rtol, atol=self.atol,
                                                 integer=self.integer, mistakes=mistakes,
                                                 mistake_values=wrong_values, show=self.shows(hidden))
            correct += ok
            attempted_any |= attempted
            if not ok and first_message is None:
                first_message = message
        if correct == len(self.names):
            shown = ", ".join(f"{n} = {_fmt(v)}" if np.ndim(v) == 0 else f"all {np.size(v)} values of {n} are right"
                              for n, v in expected.items())
            return self.result(PASS, self.success or f"{shown}.", 1.0)
        if not attempted_any and not all_missing:
            return self.result(FAIL, f"{NOT_ATTEMPTED}: replace the placeholder and run the cell (q.hint() helps).",
                               attempted=False)
        fraction = correct / len(self.names) if self.partial else 0.0
        if len(self.names) > 1:
            first_message += f" ({correct}/{len(self.names)} correct)"
        return self.result(FAIL, first_message, fraction)

    def check_result(self, *answers) -> Result:
        if len(answers) != len(self.names):
            names = ", ".join(self.names)
            return self.result(FAIL, f"check() needs {len(self.names)} value(s): q.check({names})")
        forbidden = self.forbidden_in_check(dict(zip(self.names, answers)))
        if forbidden:
            return forbidden
        outcome = run_probe(self.probe_spec(), dict(zip(self.names, answers)))
        return self.judge_outcome(outcome, [], hidden=False)


class PredictionQuestion(ValueQuestion):
    """Predict, then check: the student commits to a prediction *before* running the cell that measures it.

    A practice question (no points, so feedback may show the measured value). The prediction
    is a number (right within ``rtol``, 10 % by default: a prediction, not a computation) or,
    with ``choices``, one of those words. Whatever the prediction, the line ends with
    ``explanation``: why the measured value is what it is, so a wrong guess teaches too.

    >>> q = PredictionQuestion("demo.p2", expected=lambda: 24, explanation="each pooling halves the size.")
    >>> q.check(25)
    ✅ Correct! Your prediction 25 is within 10% of the measured 24. Why: each pooling halves the size.
    >>> q.check(12)
    ❌ Your prediction 12 is too small: the measured value is 24. Why: each pooling halves the size.
    >>> PredictionQuestion("demo.p3", expected="same", choices=["smaller", "same", "larger"],
    ...                    explanation="padding 'same' keeps the size.").check("Larger")
    ❌ You predicted 'larger'; the experiment gives 'same'. Why: padding 'same' keeps the size.
    """


    def __init__(self, id, *, expected, explanation: str, name: str = "prediction", choices: Sequence[str] = (),
                 rtol: float = 0.1, atol: float = 0.0, **kwargs):
        if not explanation:
            raise ValueError(f"{id}: a prediction question needs an explanation to show after the check")
        super().__init__(id, points=0, names=[name], expected=expected, rtol=rtol, atol=atol, partial=False,
                         **kwargs)
        self.explanation = explanation.strip()
        self.choices = tuple(str(c).lower() for c in choices)

    def expected(self) -> dict:
        if not self.choices:
            return super().expected()
        value = self._expected_spec() if callable(self._expected_spec) else self._expected_spec
        if str(value).lower() not in self.choices:
            raise ValueError(f"{self.id}: the measured {value!r} is not one of the choices {self.choices}")
        return {self.names[0]: str(value).lower()}

    def judge(self, outcome, args, *, hidden) -> Result:
        name = self.names[0]
        plain = outcome["values"].get(name, {"type": PlainType.MISSING})
        if plain.get("type") == PlainType.MISSING:
            return self.result(FAIL, f"`{name}` is not defined: write your prediction as `{name} = ...`")
        answer = decode_plain(plain)
        if answer is None or answer is Ellipsis or isinstance(answer, NotAttempted):
            return self.result(FAIL, f"{NOT_ATTEMPTED}: write down your prediction first, then run the "
                                     f"experiment and check.", attempted=False)
        expected = self.expected()[name]
        why = f" Why: {self.explanation}"
        if self.choices:
            said = answer.strip().lower() if isinstance(answer, str) else None
            if said not in self.choices:
                shown = repr(answer) if isinstance(answer, str) else _describe_answer(answer)
                return self.result(FAIL, f"{name} is {shown}, expected one of "
                                         f"{', '.join(repr(c) for c in self.choices)}: pick one of these words")
            if said == expected:
                return self.result(PASS, f"You predicted {said!r}, and so it is.{why}", 1.0)
            return self.result(FAIL, f"You predicted {said!r}; the experiment gives {expected!r}.{why}")
        ok, message, _ = compare(name, answer, expected, rtol=self.rtol, atol=self.atol, show=SHOW_ANSWER)
        if ok:
            return self.result(PASS, f"Your prediction {_fmt(np.asarray(answer).reshape(()).item())} is within {self.rtol:.0%} of the measured "
                                     f"{_fmt(expected)}.{why}", 1.0)
        number = isinstance(answer, (int, float, np.integer, np.floating)) and not isinstance(answer, bool)
        if not number or not math.isfinite(float(answer)):
            return self.result(FAIL, message)     # not one finite number: compare's own advice
        direction = "too large" if float(answer) > float(expected) else "too small"
        return self.result(FAIL, f"Your prediction {_fmt(answer)} is {direction}: the measured value is "
                                 f"{_fmt(expected)}.{why}")


class FunctionQuestion(Question):
    """The answer is a function; it is called on several inputs and compared with ``reference``.

    ``make_args(rng)`` draws a list of argument tuples (the grader uses a hidden seed,
    ``check()`` a fixed visible one); ``examples`` are extra visible argument tuples
    (``(description, args)``) that ``check()`` tries first, e.g. the slide's example.
    ``mistakes`` hold wrong functions of the same arguments. The points are shared
    over the hidden tests (``partial=True``).
    """


    def __init__(self, id, *, points, name: str, reference: Callable, make_args: Callable, examples=(),
                 mistakes=(), rtol=1e-6, atol=1e-9, integer=False, partial=True, dtype=None, **kwargs):
        super().__init__(id, points=points, **kwargs)
        self.name, self.reference, self.make_args = name, reference, make_args
        self.examples = list(examples)
        self.mistakes = list(mistakes)
        self.rtol, self.atol, self.integer, self.partial, self.dtype = rtol, atol, integer, partial, dtype
        self.arg_names = list(inspect.signature(reference).parameters)

    def probe_spec(self) -> dict:
        return {"probe": Probe.CALL, "name": self.name}

    def hidden_args(self, rng) -> list[tuple]:
        return [tuple(args) for args in self.make_args(rng)]

    def check_args(self) -> list[tuple]:
        return [tuple(args) for _, args in self.examples] + self.hidden_args(np.random.default_rng(CHECK_SEED))

    def _labels(self, args_list, hidden):
        n_examples = 0 if hidden else len(self.examples)
        labels = []
        for i, args in enumerate(args_list):
            if i < n_examples:
                labels.append(self.examples[i][0])
            elif hidden:
                labels.append(f"hidden test {i + 1} of {len(args_list)} ({self.describe_args(args, hidden)})")
            else:
                labels.append(f"a test with {self.describe_args(args, hidden)}")
        return labels

    def describe_args(self, args, hidden: bool) -> str:
        """The arguments by name: arrays by shape, other values shown unless the test is hidden.

        >>> q = FunctionQuestion("demo.q2", points=1, name="f", reference=lambda x, h, n=1: x, make_args=lambda rng: [])
        >>> q.describe_args((np.zeros(12), np.zeros(4), 3), hidden=False)
        'x of shape (12,), h of shape (4,), n = 3'
        >>> q.describe_args((np.zeros(12), np.zeros(4), 3), hidden=True)
        'x of shape (12,), h of shape (4,), n (an int)'
        """
        parts = []
        for k, arg in enumerate(args):
            name = self.arg_names[k] if k < len(self.arg_names) else f"argument {k + 1}"
            if isinstance(arg, np.ndarray):
                parts.append(f"{name} of shape {tuple(arg.shape)}")
            elif hidden:
                kind = type(arg).__name__
                parts.append(f"{name} ({'an' if kind[0] in 'aeiou' else 'a'} {kind})")
            else:
                parts.append(f"{name} = {_fmt(arg) if isinstance(arg, (int, float)) else repr(arg)}")
        return ", ".join(parts) or "no arguments"

    def _mistake_values(self, args) -> list:
        """Each known mistake's wrong value on ``args`` (None where the mistake does not apply)."""
        values = []
        for mistake in self.mistakes:
            try:
                values.append(_expected_value(mistake.wrong(*_copy_args(args))))
            except Exception:  # a mistake that does not apply to this input
                values.append(None)
        return values

    def _explaining(self, returned: dict, wrong: dict) -> list[int]:
        """Indices of the known mistakes that may explain the function: no test contradicts them.

        A value mistake is contradicted by a test where the function returned a value of
        the mistake's shape but not the mistake's value: forgetting the padding and
        padding one side only give the same width on AlexNet conv1, not on the others.
        """
        def contradicted(k, j):
            value = wrong[j][k]
            return value is not None and np.shape(returned[j]) == np.shape(value) and \
                not self.mistakes[k].matches(returned[j], value, self.rtol, self.atol)

        return [k for k, m in enumerate(self.mistakes)
                if m.match != "values" or not any(contradicted(k, j) for j in returned)]

    returns = "the result"
    """What the function hands back, as "end it with `return` and ..." names it."""

    def value_judge(self, returned: dict, args_list, hidden: bool):
        """How :meth:`judge` weighs one returned value: ``judge_value(i, value, args, label, call)`` gives
        ``(ok, message or None, attempted)``. Here the value is compared with the reference's, offering
        the known mistakes that no test contradicts; a question whose answers are not arrays overrides it."""
        wrong = {i: self._mistake_values(args_list[i]) for i in returned}
        offered = self._explaining(returned, wrong)

        def judge_value(i, value, args, label, call):
            expected = _expected_value(self.reference(*_copy_args(args)))
            ok, text, attempted = compare(f"{self.name}(...)", value, expected, rtol=self.rtol, atol=self.atol,
                                          integer=self.integer, mistakes=[self.mistakes[k] for k in offered],
                                          mistake_values=[wrong[i][k] for k in offered], show=self.shows(hidden),
                                          dtype=self.dtype, answer_dtype=call["answer"].get("orig_dtype"))
            return ok, None if ok else f"on {label}, {text.replace(f'{self.name}(...)', 'the result', 1)}", attempted

        return judge_value

    def judge(self, outcome, args_list, *, hidden) -> Result:
        calls = outcome["calls"]
        if len(calls) != len(args_list):
            return self.result(ERROR, "could not read your function's results")
        labels = self._labels(args_list, hidden)
        returned = {i: decode_plain(call["answer"]) for i, call in enumerate(calls)
                    if call.get("outcome") == Kind.OK and call["answer"].get("type") != PlainType.NONE}
        judge_value = self.value_judge(returned, args_list, hidden)
        passed, first_message, not_attempted, raised = 0, None, 0, 0
        for i, (call, args, label) in enumerate(zip(calls, args_list, labels)):
            ok, message = False, None
            kind = call.get("outcome")
            if kind == Kind.NOT_ATTEMPTED:
                not_attempted += 1
                message = "your function still raises NotImplementedError: write its body"
            elif kind == Kind.MEMORY:
                message = f"your function ran out of memory on {label}"
            elif kind == Kind.RAISED:
                raised += 1
                prefix = "not allowed in graded code" if call.get("forbidden") else "your function raised"
                message = f"{prefix} {call.get('error')} on {label}" if not call.get("forbidden") else \
                    f"{prefix}: {call.get('error')}"
                if call.get("forbidden"):
                    return self.result(FORBIDDEN, message)
            elif kind == Kind.OK and i not in returned:
                message = f"your function returned nothing (None) on {label}: end it with `return` and {self.returns}"
            elif kind == Kind.OK:
                ok, message, attempted = judge_value(i, returned[i], args, label, call)
                if not attempted:
                    not_attempted += 1
            else:
                message = f"could not read your function's result on {label}"
            passed += ok
            if not ok and first_message is None:
                first_message = message
        total = len(calls)
        if passed == total:
            return self.result(PASS, self.success or f"{self.name} passed all {total} tests.", 1.0)
        if not_attempted == total:
            return self.result(FAIL, f"{NOT_ATTEMPTED}: write the function's body and run the cell (q.hint() helps).",
                               attempted=False)
        fraction = passed / total if self.partial else 0.0
        status = ERROR if raised and raised + not_attempted + passed == total else FAIL
        return self.result(status, f"{first_message} ({passed}/{total} tests passed)", fraction)

    def check_namespace(self, fn) -> dict:
        """What ``check()`` probes the student's function in: the grader's namespace holds the
        notebook's other definitions too (a question may need them, as exercise 11's do).

        >>> FunctionQuestion("demo.q1", points=1, name="f", reference=abs, make_args=lambda rng: []).check_namespace(abs)
        {'f': <built-in function abs>}
        """
        return {self.name: fn}

    def check_result(self, fn=None, *extra) -> Result:
        if extra:
            return self.result(FAIL, f"check() takes your function only: q.check({self.name})")
        if fn is None or fn is Ellipsis:
            return self.result(FAIL, f"{NOT_ATTEMPTED}: replace the placeholder and run the cell (q.hint() helps).",
                               attempted=False)
        forbidden = self.forbidden_in_check({self.name: fn})
        if forbidden:
            return forbidden
        args_list = self.check_args()
        # Replaced as the grader replaces them, so that calls through helpers are refused too,
        # even when the student's code catches the exception.
        violations = []
        saved = patch_calls(self.forbidden_calls, violations.append)
        try:
            outcome = run_probe(self.probe_spec(), self.check_namespace(fn), [_copy_args(a) for a in args_list])
        finally:
            restore(saved)
        if violations:
            return self.forbidden_result(violations[0])
        return self.judge_outcome(outcome, args_list, hidden=False)


def _answer_cell(answers: dict):
    """``(source, namespace)`` of the code that defined ``answers`` (``{name: value}``), or ``(None, {})``.

    In a notebook, the latest cell that binds one of the names, when the answer is that
    name's value there; otherwise a function's own source (a lambda's alone, not the
    line around it, which may be the ``check()`` call itself).

    >>> square = lambda v: v * v
    >>> _answer_cell({"f": square})[0]
    'lambda v: v * v'
    """
    shell = sys.modules["IPython"].get_ipython() if "IPython" in sys.modules else None
    if shell is not None and any(shell.user_ns.get(name, _UNSET) is value for name, value in answers.items()):
        for cell in reversed(list(shell.user_ns.get("In", []))):
            try:
                tree = ast.parse(cell)
            except SyntaxError:
                continue
            if set(answers) & _bound_names(tree):
                return cell, shell.user_ns
        return None, {}
    for value in answers.values():
        if callable(value):
            return _own_source(value), getattr(value, "__globals__", {})
    return None, {}


_UNSET = object()


def _own_source(fn) -> str | None:
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        return None
    if getattr(fn, "__name__", "") != "<lambda>":
        return source
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:   # a lambda inside a statement spread over several lines: no source to scan
        return None
    lambdas = [ast.get_source_segment(textwrap.dedent(source), node) for node in ast.walk(tree) if isinstance(node, ast.Lambda)]
    return "\n".join(lambdas) or None


def _bound_names(tree) -> set:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def _copy_args(args):
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)


class Exercise:
    """An exercise notebook: its file name (without ``.ipynb``), title and questions.

    ``timeout_s`` and ``memory_mb`` are the defaults for one grading run of the whole
    notebook (``grade --timeout`` overrides the first); a question may ask for more
    memory (Keras). ``given`` is a function of no arguments returning
    ``{variable name: numeric array}``: the data the notebook loads with ``course_utils``
    (e.g. the training images a graded cell trains on), which the grader puts in the
    sandbox's namespace before any cell runs (the sandbox cannot import ``course_utils``).
    """

    def __init__(self, notebook: str, title: str, questions: Sequence[Question], *, memory_mb: int = 1024,
                 timeout_s: float = 20.0, given: Callable[[], dict] | None = None):
        ids = [q.id for q in questions]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{notebook}: duplicate question ids {ids}")
        if timeout_s <= 0:
            raise ValueError(f"{notebook}: timeout_s must be > 0, got {timeout_s}")
        self.notebook, self.title, self.questions = notebook, title, list(questions)
        banned = tuple(sorted({m for q in questions for m in q.forbidden_modules}))   # as the grader bans them
        for q in self.questions:
            q.notebook_forbidden_modules = banned
        self.memory_mb = max([memory_mb] + [q.memory_mb or 0 for q in questions])
        self.timeout_s = float(timeout_s)
        self._given, self._given_cache = given, None

    def given(self) -> dict:
        """``{name: array}`` the grader defines in the sandbox before the cells run (cached; ``{}`` if none)."""
        if self._given is None:
            return {}
        if self._given_cache is None:
            arrays = {str(name): np.asarray(value) for name, value in self._given().items()}
            for name, value in arrays.items():
                if not name.isidentifier() or value.dtype.kind not in "biuf":
                    raise ValueError(f"{self.notebook}: given data must be numeric arrays with valid names, "
                                     f"got {name!r} of dtype {value.dtype}")
            self._given_cache = arrays
        return self._given_cache

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(f"{self.notebook} has no question {qid!r}")

    @property
    def max_points(self) -> float:
        return sum(q.points for q in self.questions)

    def __repr__(self):
        return f"<Exercise {self.notebook}: {len(self.questions)} questions, {self.max_points:g} points>"


# --------------------------------------------------------------------------------------
# Keras questions (the child imports Keras before its audit hook; give them more memory and time)
# --------------------------------------------------------------------------------------

KERAS_MEMORY_MB = 8192   # TensorFlow reserves a lot of address space (RLIMIT_AS counts it all)


class ModelQuestion(Question):
    """The answer is a Keras model, or a function of no arguments that builds one.

    The child returns the model's summary as plain data (per layer: class, output shape,
    parameters, a few settings); it is compared with ``expected_layers``, a list of
    ``(class name, output shape without the batch axis, parameters)`` — or a function
    returning such a list (e.g. built from a reference model in the parent). Feedback
    names the first layer that differs: "layer 3 (Conv2D) outputs (26, 26, 32), expected
    (28, 28, 32): padding='same'?".
    """


    def __init__(self, id, *, points, name: str, expected_layers, layer_advice: dict | None = None, **kwargs):
        kwargs.setdefault("preload", ("keras",))
        kwargs.setdefault("memory_mb", KERAS_MEMORY_MB)
        super().__init__(id, points=points, **kwargs)
        self.name, self._expected_layers, self.layer_advice = name, expected_layers, dict(layer_advice or {})

    def expected_layers(self) -> list[tuple]:
        spec = self._expected_layers() if callable(self._expected_layers) else self._expected_layers
        return [(str(c), tuple(int(n) for n in shape), int(p)) for c, shape, p in spec]

    def probe_spec(self) -> dict:
        return {"probe": Probe.KERAS_SUMMARY, "name": self.name}

    def model_summary(self, outcome):
        """The submitted model's summary (a dict with "layers"), or a Result saying why there is none."""
        answer = decode_plain(outcome["answer"])
        if answer is None or answer is Ellipsis:
            return None, self.result(FAIL, f"{NOT_ATTEMPTED}: build the model and run the cell (q.hint() helps).",
                                     attempted=False)
        if isinstance(answer, Unsupported) or not isinstance(answer, dict) or "layers" not in answer:
            return None, self.result(FAIL, f"`{self.name}` gave {_describe_answer(answer)}, expected a Keras model")
        return answer, None

    def judge(self, outcome, args, *, hidden) -> Result:
        answer, problem = self.model_summary(outcome)
        if problem:
            return problem
        # A functional model lists its InputLayer, a Sequential one does not: compare real layers only.
        got = [layer for layer in answer["layers"] if layer.get("class") != "InputLayer"]
        want = self.expected_layers()
        for k, (layer, (cls, shape, params)) in enumerate(zip(got, want), 1):
            g_cls = layer.get("class")
            g_shape = tuple(int(n) for n in np.asarray(layer.get("output_shape", [])).tolist()[1:])
            g_params = layer.get("params")
            advice = self.layer_advice.get(k, "")
            advice = f": {advice}" if advice else ""
            if g_cls != cls:
                return self.result(FAIL, f"layer {k} is {g_cls}, expected {cls}{advice}")
            if g_shape != shape:
                return self.result(FAIL, f"layer {k} ({cls}) outputs {g_shape}, expected {shape}{advice}")
            if g_params != params:
                return self.result(FAIL, f"layer {k} ({cls}) has {_fmt(g_params)} parameters, expected "
                                         f"{_fmt(params)}{advice}")
        if len(got) != len(want):
            return self.result(FAIL, f"the model has {len(got)} layers, expected {len(want)}")
        total = sum(p for _, _, p in want)
        return self.result(PASS, self.success or f"all {len(want)} layers match ({_fmt(total)} parameters).", 1.0)

    def check_result(self, model_or_builder=None) -> Result:
        forbidden = self.forbidden_in_check({self.name: model_or_builder})
        if forbidden:
            return forbidden
        outcome = run_probe(self.probe_spec(), {self.name: model_or_builder})
        return self.judge_outcome(outcome, [], hidden=False)


class AccuracyQuestion(Question):
    """The answer is a trained Keras model; it predicts held-out images whose labels stay here.

    ``data()`` returns ``(images, labels)`` (deterministic, e.g. the bundled test sample);
    only the images go to the child, which returns the predicted classes. ``thresholds``
    are ``(accuracy, fraction of the points)`` pairs, best first.
    """


    def __init__(self, id, *, points, name: str, data: Callable, thresholds=((0.9, 1.0), (0.8, 0.5)), **kwargs):
        kwargs.setdefault("preload", ("keras",))
        kwargs.setdefault("memory_mb", KERAS_MEMORY_MB)
        super().__init__(id, points=points, **kwargs)
        self.name, self._data, self.thresholds = name, data, sorted(thresholds, reverse=True)
        self._cache = None

    def data(self):
        if self._cache is None:
            images, labels = self._data()
            self._cache = (np.asarray(images, dtype=np.float32), np.asarray(labels).astype(np.int64).ravel())
        return self._cache

    def probe_spec(self) -> dict:
        return {"probe": Probe.PREDICT, "name": self.name}

    def hidden_args(self, rng) -> list[tuple]:
        return [(self.data()[0],)]

    def judge(self, outcome, args, *, hidden) -> Result:
        predicted = decode_plain(outcome["answer"])
        labels = self.data()[1]
        if not isinstance(predicted, np.ndarray) or predicted.shape != labels.shape:
            return self.result(FAIL, f"could not get one prediction per image from `{self.name}`")
        accuracy = float(np.mean(predicted == labels))
        for threshold, fraction in self.thresholds:
            if accuracy >= threshold:
                status = PASS if fraction == 1.0 else FAIL
                return self.result(status, f"accuracy {accuracy:.1%} on {len(labels):,} held-out images "
                                           f"(≥ {threshold:.0%} earns {fraction:.0%} of the points)", fraction)
        lowest = self.thresholds[-1][0]
        return self.result(FAIL, f"accuracy {accuracy:.1%} on {len(labels):,} held-out images, below {lowest:.0%}")

    def check_result(self, model=None) -> Result:
        if model is None or model is Ellipsis:
            return self.result(FAIL, f"{NOT_ATTEMPTED}: train the model and run the cell.", attempted=False)
        args = self.hidden_args(None)
        outcome = run_probe(self.probe_spec(), {self.name: model}, args)
        return self.judge_outcome(outcome, args, hidden=False)
