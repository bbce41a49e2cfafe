"""The building blocks: plain-data conversion (what crosses the process boundary), the
comparison and its message order, reading submissions, the sandbox launcher."""
import json

import numpy as np
import pytest

from course_utils import sandbox
from course_utils.exercises.framework import (
    FORBIDDEN, FunctionQuestion, Mistake, PredictionQuestion, Question, Result, ValueQuestion, compare)
from course_utils.exercises.submission import InvalidNotebook, graded_cells, read_notebook, strip_magics
from course_utils.sandbox_child import NotAttempted, Unsupported, decode_plain, run_probe, to_plain
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
    assert roundtrip([[1, 2], [3]]).kind == "ragged"
    assert roundtrip(np.array([1 + 2j])).kind == "complex"
    assert roundtrip([1, None]).kind == "none_inside"


def test_decode_rejects_tampered_data():
    for bad in ({"type": "ndarray", "dtype": "object", "shape": [1], "data": [1]},
                {"type": "ndarray", "dtype": "float64", "shape": [3], "data": [1.0]},
                {"type": "ndarray", "dtype": "int64", "shape": [1], "data": ["1"]},
                {"type": "int", "value": 1.5}, {"type": "pickle", "value": "x"}, ["not", "a", "dict"]):
        with pytest.raises(ValueError):
            decode_plain(bad)


def test_probe_reads_values_and_calls_functions():
    out = run_probe({"kind": "value", "names": ["y", "z"]}, {"y": [1, 2]})
    assert out["values"]["z"] == {"type": "missing"} and out["values"]["y"]["shape"] == [2]

    def boom(x):
        raise ValueError("bad")

    out = run_probe({"kind": "call", "name": "f"}, {"f": boom}, [(np.zeros(2),)])
    assert out["calls"][0] == {"outcome": "raised", "error": "ValueError: bad", "forbidden": False}
    assert run_probe({"kind": "call", "name": "f"}, {"f": 3}, [])["outcome"] == "not_callable"
    assert run_probe({"kind": "call", "name": "f"}, {}, [])["outcome"] == "missing"


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


# --- submissions ------------------------------------------------------------------------

def nb_with(cells):
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


def code(source, qid=None, cell_id="c"):
    meta = {"course": {"question": qid}} if qid else {}
    return {"cell_type": "code", "id": cell_id, "metadata": meta, "source": source, "outputs": [],
            "execution_count": None}


def test_strip_magics_keeps_line_numbers():
    source, removed = strip_magics("a = 1\n    !ls\n%%time\nb = %env X\nc = 2")
    assert removed == [2, 3, 4]
    assert source.splitlines()[1] == "    pass  # removed by the grader: shell command"
    assert source.splitlines()[4] == "c = 2"


def test_graded_cells_rules():
    nb = nb_with([code("y = 1", "ex.q1", "a"), code("y = 2", "ex.q1", "b"), code("z = 1", "ex.q9", "c"),
                  {"cell_type": "markdown", "id": "d", "metadata": {"course": {"question": "ex.q2"}}, "source": "x"}])
    cells = graded_cells(nb, ["ex.q1", "ex.q2", "ex.q3"])
    assert cells.sources == {"ex.q1": "y = 2"}
    assert "markdown" in cells.missing["ex.q2"] and "deleted" in cells.missing["ex.q3"]
    assert any("the last one (cell 2)" in n for n in cells.notes)
    assert any("'ex.q9'" in n for n in cells.notes)


def test_read_notebook_limits_and_validation(tmp_path):
    path = tmp_path / "a.ipynb"
    path.write_text(json.dumps(nb_with([code("y = 1", "ex.q1")])), encoding="utf-8")
    assert read_notebook(path)["cells"][0]["source"] == "y = 1"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(InvalidNotebook, match="not valid JSON"):
        read_notebook(path)
    path.write_text(json.dumps({"nbformat": 3, "cells": []}), encoding="utf-8")
    with pytest.raises(InvalidNotebook, match="format 3"):
        read_notebook(path)
    path.write_bytes(b" " * (21 * 2**20))
    with pytest.raises(InvalidNotebook, match="MB allowed"):
        read_notebook(path)
    with pytest.raises(InvalidNotebook, match="cannot read"):
        read_notebook(tmp_path / "missing.ipynb")


# --- sandbox launcher -------------------------------------------------------------------

def test_limits_and_argument_encoding_validate_their_input():
    with pytest.raises(ValueError, match="timeout_s must be > 0"):
        sandbox.Limits(timeout_s=0)
    arrays = {}
    encoded = sandbox.encode_args("q", [(np.zeros(2), 3, np.int64(4))], arrays)
    assert encoded == [[{"array": "q.0.0"}, {"value": 3}, {"value": 4}]] and list(arrays) == ["q.0.0"]
    with pytest.raises(TypeError, match="hidden inputs must be"):
        sandbox.encode_args("q", [(object(),)], {})
    with pytest.raises(TypeError, match="numeric arrays"):
        sandbox.encode_args("q", [(np.array(["a"]),)], {})


def test_run_child_reports_values_and_cleans_up(tmp_path, monkeypatch, isolation):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    job = {"cells": [{"question": None, "source": "import numpy as np"},
                     {"question": "d.q1", "source": "def f(a, k):\n    print('hi')\n    return a * k"}],
           "probes": {"d.q1": {"kind": "call", "name": "f"}}, "args": {"d.q1": [[{"array": "d.0.0"}, {"value": 2}]]}}
    run = sandbox.run_child(job, {"d.0.0": np.arange(3)}, sandbox.Limits(timeout_s=20))
    assert run.ended == "finished", run.detail
    answer = decode_plain(run.results["done"]["d.q1"]["calls"][0]["answer"])
    assert answer.tolist() == [0, 2, 4]
    assert list(tmp_path.iterdir()) == []


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
