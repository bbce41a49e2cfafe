"""The bottom layer, course_utils/checks: plain-data conversion (what crosses the process
boundary), probes, the protocol's check of the child's report, the notebook schema, the
comparison and its message order, the question types, the hints a session has shown."""
import json

import numpy as np
import pytest

from course_utils.checks import hints, notebook_schema
from course_utils.checks.codec import NotAttempted, NotPlain, Unsupported, decode_plain, to_plain
from course_utils.checks.probes import run_probe
from course_utils.checks.protocol import FORBIDDEN, Kind, Probe, Status, validate_results
from course_utils.checks.questions import (FunctionQuestion, Mistake, PredictionQuestion, Question, Result,
                                           ValueQuestion, compare)
from exercise_asserts import sourceless


def roundtrip(value):
    return decode_plain(json.loads(json.dumps(to_plain(value))))


# --- plain data -------------------------------------------------------------------------

def test_plain_roundtrip_of_numbers_arrays_and_text():
    assert roundtrip(3) == 3 and type(roundtrip(3)) is int
    assert roundtrip(np.float32(0.5)) == 0.5
    assert roundtrip(True) is True
    assert roundtrip("26") == "26"
    array = roundtrip(np.arange(6).reshape(2, 3))
    assert array.dtype == np.int64 and array.shape == (2, 3) and array[1, 2] == 5
    floats = roundtrip([1.5, float("nan"), float("inf")])
    assert floats.dtype == np.float64 and np.isnan(floats[1]) and np.isinf(floats[2])
    assert roundtrip({"a": [1, 2]})["a"].tolist() == [1, 2]
    assert roundtrip(None) is None and roundtrip(...) is Ellipsis


def test_fake_objects_do_not_survive_conversion():
    class Fake:
        shape = (3,)

        def __eq__(self, other):
            return True

    class FakeFloat(float):
        def __eq__(self, other):
            return True

    class Sub(np.ndarray):
        def __eq__(self, other):
            return True

    assert isinstance(roundtrip(Fake()), Unsupported)
    assert isinstance(roundtrip([Fake(), Fake()]), Unsupported)
    value = roundtrip(FakeFloat(1.0))
    assert type(value) is float and value != 2.0
    sub = roundtrip(np.zeros(3).view(Sub))
    assert type(sub) is np.ndarray and not np.array_equal(sub, np.ones(3))
    assert roundtrip([[1, 2], [3]]).reason == NotPlain.RAGGED
    assert roundtrip(np.array([1 + 2j])).reason == NotPlain.COMPLEX
    assert roundtrip([1, None]).reason == NotPlain.NONE_INSIDE


def test_decode_rejects_tampered_data():
    for bad in ({"type": "ndarray", "dtype": "object", "shape": [1], "data": [1]},
                {"type": "ndarray", "dtype": "float64", "shape": [3], "data": [1.0]},
                {"type": "ndarray", "dtype": "int64", "shape": [1], "data": ["1"]},
                {"type": "int", "value": 1.5}, {"type": "pickle", "value": "x"}, ["not", "a", "dict"]):
        with pytest.raises(ValueError):
            decode_plain(bad)


def test_probe_reads_values_and_calls_functions():
    out = run_probe({"probe": Probe.VALUE, "names": ["y", "z"]}, {"y": [1, 2]})
    assert out["values"]["z"] == {"type": "missing"} and out["values"]["y"]["shape"] == [2]

    def boom(x):
        raise ValueError("bad")

    out = run_probe({"probe": Probe.CALL, "name": "f"}, {"f": boom}, [(np.zeros(2),)])
    assert out["calls"][0] == {"outcome": "raised", "error": "ValueError: bad", "forbidden": False}
    assert run_probe({"probe": Probe.CALL, "name": "f"}, {"f": 3}, [])["outcome"] == "not_callable"
    assert run_probe({"probe": Probe.CALL, "name": "f"}, {}, [])["outcome"] == "missing"


# --- comparison and messages ------------------------------------------------------------

def test_compare_message_order_type_shape_dtype_values():
    expected = np.array([1.0, 2.0, 3.0])
    assert compare("y", "1,2,3", expected)[1] == "y is a string, expected an array of shape (3,): write the number itself, without quotes"
    assert compare("y", np.zeros(4), expected)[1] == "y has shape (4,), expected (3,): work out the size of each axis first (q.hint() helps)"
    assert compare("y", np.array([True, False, True]), expected)[1] == "y holds True/False values, expected numbers: convert with .astype(float)"
    assert compare("y", np.array([1.0, 2.5, 0.0]), expected)[1] == ("y[1] is 2.5, expected 2.0 (2 of 3 values differ): recompute that entry by hand, "
                                                          "step by step, and compare (q.hint() helps)")
    assert compare("y", np.array([1.0, 2.0, 3.0]), expected) == (True, "", True)
    assert compare("y", None, expected)[2] is False
    assert compare("y", NotAttempted(), expected)[2] is False
    assert compare("m", np.zeros((2, 2)), np.eye(2))[1].startswith("m[0, 0] is 0.0, expected 1.0")


def test_compare_known_mistakes_and_tolerances():
    mistakes = [Mistake("did you flip it?", None), Mistake("valid mode?", None, match="shape")]
    wrong_values = [np.array([3.0, 2.0, 1.0]), np.zeros(2)]
    expected = np.array([1.0, 2.0, 3.0])
    text = compare("y", np.array([3.0, 2.0, 1.0]), expected, mistakes=mistakes, mistake_values=wrong_values)[1]
    assert text == "y[0] is 3.0, expected 1.0 (2 of 3 values differ): did you flip it?"
    assert compare("y", np.array([5.0, 6.0]), expected, mistakes=mistakes, mistake_values=wrong_values)[1].endswith("valid mode?")
    assert compare("y", expected + 1e-9, expected)[0]
    assert not compare("y", expected + 1e-3, expected)[0]
    assert compare("n", 26.0, 26, integer=True)[0]
    assert not compare("n", 26.5, 26, integer=True)[0]
    with pytest.raises(ValueError, match="match must be"):
        Mistake("x", 1, match="nearly")


def test_shape_only_mistake_says_nothing_once_the_shape_is_right():
    # On an input where 'valid' and 'full' outputs have the same length, the shape-only
    # advice must not be attached to an answer whose values are merely wrong.
    mistakes = [Mistake("valid mode?", None, match="shape")]
    expected = np.array([1.0, 2.0, 3.0])
    text = compare("y", np.array([1.0, 2.0, 4.0]), expected, mistakes=mistakes, mistake_values=[np.zeros(3)])[1]
    assert text == "y[2] is 4.0, expected 3.0: recompute that entry by hand, step by step, and compare (q.hint() helps)"


def test_function_tips_come_from_mistakes_that_no_test_contradicts():
    # On (1, 1) both mistakes give 0; (3, 1) tells them apart.
    q = FunctionQuestion("demo.q1", points=1, name="f", reference=lambda a, b: a + b,
                         make_args=lambda rng: [(1, 1), (3, 1)],
                         mistakes=[Mistake("subtracted b from a?", lambda a, b: a - b),
                                   Mistake("subtracted a from b?", lambda a, b: b - a)])
    assert q.check_result(lambda a, b: b - a).message == \
        "on a test with a = 1, b = 1, the result is 0, too small: subtracted a from b? (0/2 tests passed)"


def test_check_refuses_forbidden_calls_it_cannot_see_in_the_source():
    q = FunctionQuestion("demo.q1", points=1, name="f", reference=lambda x: x, make_args=lambda rng: [(np.ones(3),)],
                         forbidden_calls=["numpy.convolve"])

    def hidden_in_a_try(x):
        try:
            return np.convolve(x, [1.0])
        except Exception:
            return x

    result = q.check_result(sourceless(hidden_in_a_try))
    assert (result.status, result.message) == (FORBIDDEN, "not allowed in graded code: calling numpy.convolve: the "
                                                          "grader gives 0 points for it, so write this part yourself "
                                                          "(q.hint() helps)")
    assert np.convolve([1.0, 2.0], [1.0]).tolist() == [1.0, 2.0]     # restored afterwards


def test_question_arguments_are_validated():
    with pytest.raises(ValueError, match="question id"):
        ValueQuestion("q1", points=1, names=["y"], expected=1)
    with pytest.raises(ValueError, match="points must be >= 0"):
        ValueQuestion("ex.q1", points=-1, names=["y"], expected=1)
    with pytest.raises(ValueError, match="only practice questions"):
        ValueQuestion("ex.q1", points=1, names=["y"], expected=1, solution="y = 1")


def test_result_lines():
    assert Result("PASS", 1, 1, "y = 2.").line() == "✅ Correct! y = 2."
    assert Result("FAIL", 0, 1, "y is 3").line() == "❌ y is 3"
    assert Result("FAIL", 0, 1, "Not attempted yet: go", attempted=False).line() == "⏳ Not attempted yet: go"


def test_check_never_raises(capsys):
    q = FunctionQuestion("demo.q1", points=1, name="f", reference=lambda x: x, make_args=lambda rng: 1 / 0)
    q.check(lambda x: x)
    assert "checker could not run" in capsys.readouterr().out
    assert isinstance(q, Question)


# --- predict, then check ---------------------------------------------------------------
PREDICT_SIZE = PredictionQuestion("demo.p9", expected=lambda: 24, explanation="two poolings halve 96 twice.")
PREDICT_WORD = PredictionQuestion("demo.p8", expected="same", choices=["smaller", "same", "larger"],
                                  explanation="'same' padding keeps the size.")


@pytest.mark.parametrize("prediction", [24, 24.0, 22, 26.4, np.int64(25), [24]])
def test_prediction_within_ten_percent_passes_and_explains(prediction):
    result = PREDICT_SIZE.check_result(prediction)
    assert result.status == "PASS" and result.points == 0
    assert result.message.endswith("Why: two poolings halve 96 twice.")


@pytest.mark.parametrize("prediction, says", [(48, "too large: the measured value is 24"),
                                              (12, "too small: the measured value is 24"),
                                              (21, "too small")])
def test_wrong_prediction_shows_the_measurement_and_the_reason(prediction, says):
    result = PREDICT_SIZE.check_result(prediction)
    assert result.status == "FAIL" and says in result.message and "Why:" in result.message


@pytest.mark.parametrize("prediction, says", [("24", "without quotes"), (True, "a bool"),
                                              (float("nan"), "not a finite number")])
def test_prediction_that_is_not_a_number_says_what_to_write(prediction, says):
    result = PREDICT_SIZE.check_result(prediction)
    assert result.status == "FAIL" and says in result.message


def test_prediction_placeholder_is_not_attempted():
    result = PREDICT_SIZE.check_result(None)
    assert not result.attempted and "write down your prediction first" in result.message


@pytest.mark.parametrize("prediction, status", [("same", "PASS"), (" Same ", "PASS"), ("larger", "FAIL"),
                                                ("smaller", "FAIL")])
def test_choice_prediction_ignores_case_and_spaces(prediction, status):
    assert PREDICT_WORD.check_result(prediction).status == status


@pytest.mark.parametrize("prediction", ["bigger", 3])
def test_choice_prediction_outside_the_choices_lists_them(prediction):
    message = PREDICT_WORD.check_result(prediction).message
    assert "expected one of 'smaller', 'same', 'larger'" in message


def test_prediction_question_needs_an_explanation_and_has_no_points():
    with pytest.raises(ValueError, match="needs an explanation"):
        PredictionQuestion("demo.p7", expected=1, explanation="")
    assert PREDICT_SIZE.points == 0 and PREDICT_SIZE.shows(hidden=False) == "values"


# --- protocol, notebook schema, hints ------------------------------------------------------

def test_the_protocol_refuses_what_the_child_may_not_send():
    good = {"running": None, "done": {"q1": {"outcome": Kind.OK, "answer": to_plain([1.5, 2])}}, "finished": True}
    assert validate_results(json.loads(json.dumps(good)))["done"]["q1"]["answer"]["shape"] == [2]   # as the pipe gives it
    for bad, why in [({"done": {"q1": {"outcome": "won"}}}, "an unknown outcome"),
                     ({"done": {"q1": {"outcome": "ok", "answer": {"type": "pickle"}}}}, "an answer of an unknown type"),
                     ({"done": {"q1": {"outcome": "ok", "points": 10}}}, "unexpected key(s) points in an outcome"),
                     ({"finished": "yes"}, "a bad finished flag")]:
        with pytest.raises(ValueError, match=f"^results: {why}$".replace("(", r"\(").replace(")", r"\)")):
            validate_results(bad)
    assert [s.value for s in Status] == ["PASS", "FAIL", "ERROR", "TIMEOUT", "MEMORY", "CRASH", "MISSING", "INVALID",
                                         "FORBIDDEN"]


def test_notebook_schema_reads_graded_and_context_cells_and_nothing_malformed():
    graded = {"cell_type": "code", "metadata": {"course": {"question": "ex01.q1", "points": 2}}, "source": ""}
    context = {"cell_type": "code", "metadata": {"course": {"context": True}}, "source": ["import numpy", " as np"]}
    assert (notebook_schema.question_id(graded), notebook_schema.is_context(graded)) == ("ex01.q1", False)
    assert (notebook_schema.question_id(context), notebook_schema.is_context(context)) == (None, True)
    assert notebook_schema.cell_source(context) == "import numpy as np"
    for junk in [{"metadata": {"course": "ex01.q1"}}, {"metadata": {"course": {"question": 3}}}, {"metadata": None},
                 {"metadata": {"course": {"context": "yes"}}}, []]:
        assert (notebook_schema.question_id(junk), notebook_schema.is_context(junk)) == (None, False)


def test_hints_are_the_session_s_not_the_question_s(capsys):
    q = ValueQuestion("demo.h1", points=1, names=["n"], expected=1, hint=["first", "second"])
    hints.SESSION.reset(q.id)
    for _ in range(3):
        q.hint()
    assert capsys.readouterr().out.splitlines() == ["💡 Hint 1/2: first", "💡 Hint 2/2: second", "💡 Hint 2/2: second"]
    assert hints.SESSION.shown[q.id] == 3 and not any("hint" in name for name in vars(q) if name != "hints")
