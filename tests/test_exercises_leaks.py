"""No graded value is readable before grading: not in the released notebooks, the hints,
the known mistakes' advice, or check()'s feedback on wrong answers (practice questions may
show theirs)."""
import json
import re
from pathlib import Path

import numpy as np
import pytest

from course_utils.checks.protocol import PASS
from course_utils.checks.questions import FunctionQuestion, ValueQuestion
from course_utils.exercises import all_exercises

ROOT = Path(__file__).resolve().parent.parent
NUMBER = re.compile(r"(?<![\w.-])[-−]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.-])[-−]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
# Graded values that the question itself gives (an input equal to the answer), so text may name them.
GIVEN = {("ex01.q2", "n_same"): "equals N, which the question gives",
         ("ex03.q4", "flat_response"): "0.5 × each kernel's sum: the question gives the brightness 0.5"}


def numbers(text: str) -> list[float]:
    """Every number in ``text``, in order ("105,705,600" is one number, "−14" is negative).

    >>> numbers("364 | 290,400 and −14, 0.5")
    [364.0, 290400.0, -14.0, 0.5]
    """
    return [float(t.replace(",", "").replace("−", "-")) for t in NUMBER.findall(text)]


def _distinctive(value: float) -> bool:
    return abs(value) >= 10 or value != round(value) or value < 0


def references(value):
    """What would give a graded value away: a distinctive scalar, or runs of an array's values."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return [(float(array),)] if _distinctive(float(array)) else []
    flat = array.ravel().tolist()
    runs = []
    for length in (3, 4):
        for start in range(len(flat) - length + 1):
            run = tuple(flat[start:start + length])
            if length == 3 and any(_distinctive(v) for v in run) or length == 4 and len(set(run)) > 2:
                runs.append(run)
    return runs or ([tuple(flat)] if len(flat) > 1 and any(_distinctive(v) for v in flat) else [])


def _same(a, b):
    return abs(a - b) <= 5e-3 * max(1.0, abs(b)) and (abs(b) < 1 or round(a) == round(b) or a != round(a))


def contains(text_numbers, run) -> bool:
    n = len(run)
    return any(all(_same(text_numbers[i + k], run[k]) for k in range(n)) for i in range(len(text_numbers) - n + 1))


def _telling(run) -> bool:
    """False for a run of near-zero values (a ReLU map's dead corner, an occlusion map's flat
    background, float noise such as -5.96e-08): it reads like any index "0, 0, 0".

    >>> _telling((2.55e-05, -5.96e-08, -5.96e-08)), _telling((0.0, 0.25, 0.0))
    (False, True)
    """
    return any(abs(v) >= 0.01 for v in run)


def graded_references(exercise):
    """``[(qid, name, run)]`` for the exercise's graded value questions and its graded functions' visible examples."""
    out = []
    for q in exercise.questions:
        if q.points == 0:
            continue
        if isinstance(q, ValueQuestion):
            for name, value in q.expected().items():
                if (q.id, name) not in GIVEN:
                    out += [(q.id, name, run) for run in references(value) if len(run) == 1 or _telling(run)]
        elif isinstance(q, FunctionQuestion):
            for label, args in q.examples:
                reference = q.reference(*args)
                if isinstance(reference, dict):       # a model's layer report (exercise 11): no graded number
                    continue
                out += [(q.id, label, run) for run in references(reference)
                        if _telling(run) and any(abs(v) >= 10 or v != round(v) for v in run)]
    return out


def leaks(text: str, exercise):
    """The graded values of ``exercise`` that ``text`` shows."""
    found = numbers(text)
    return [(qid, name, run) for qid, name, run in graded_references(exercise) if contains(found, run)]


def released_texts():
    for name, exercise in all_exercises().items():
        nb = json.loads((ROOT / "exercises" / f"{name}.ipynb").read_text(encoding="utf-8"))
        for k, cell in enumerate(nb["cells"]):
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            yield f"{name} cell {k}", source, exercise
            for output in cell.get("outputs", []):
                yield f"{name} cell {k} output", json.dumps(output), exercise


def question_texts():
    for exercise in all_exercises().values():
        for q in exercise.questions:
            for hint in q.hints:
                yield f"{q.id} hint", hint, exercise
            mistakes = getattr(q, "mistakes", None)
            if isinstance(q, ValueQuestion):
                mistakes = [m for name in q.names for m in q.mistakes_for(name)]
            for m in mistakes or ():
                yield f"{q.id} mistake", m.advice, exercise
            for label, _ in getattr(q, "examples", ()):
                yield f"{q.id} example label", label, exercise


def test_the_scanner_finds_the_leaks_the_issue_quotes():
    exercises = all_exercises()
    assert [hit[:2] for hit in leaks("7 | 55 → 27, 0 parameters | 257,546", exercises["04_output_sizes_and_counts"])] \
        == [("ex04.q1", "alexnet_width"), ("ex04.q4", "pooled"), ("ex04.q5", "lenet_total"), ("ex04.q6", "AlexNet conv1")]
    assert leaks("middle row 17, −14, −7", exercises["02_cross_correlation_2d"])[0][:2] == ("ex02.q1", "valid")
    assert leaks("[[6, 8], [3, 4]]", exercises["05_pooling_forward_backward"])[0][:2] == ("ex05.q1", "pooled_2x2")
    assert leaks("a 3 × 3 kernel on a 5 × 5 image, stride 2", exercises["02_cross_correlation_2d"]) == []


def test_released_notebooks_do_not_show_graded_values():
    found = [(where, hit) for where, text, exercise in released_texts() if (hit := leaks(text, exercise))]
    assert found == []


def test_hints_advice_and_example_labels_do_not_show_graded_values():
    found = [(where, hit) for where, text, exercise in question_texts() if (hit := leaks(text, exercise))]
    assert found == []


OWN_VALUE = re.compile(r" is [^,:]+,| has [\d,]+ parameters,")


def feedback_lines():
    """check()'s line on every wrong answer of the corpus, with the question it is about."""
    from exercise_corpus import run_check_corpus

    exercises = {q.id: exercise for exercise in all_exercises().values() for q in exercise.questions}
    # The answer's own value ("n_same is 106, too large"; a model's "layer 1 (Conv2D) has 13,824 parameters,
    # expected ...") is the student's, not a graded one: leave it out.
    return [(qid, OWN_VALUE.sub(" is …,", result.message), exercises[qid])
            for qid, _, result, _ in run_check_corpus() if result.status != PASS]


def test_feedback_on_wrong_answers_does_not_show_graded_values():
    found = [(qid, line, hit) for qid, line, exercise in feedback_lines() if (hit := leaks(line, exercise))]
    assert found == []
