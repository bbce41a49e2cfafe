"""Keras questions: a model's summary and its predictions come back from the sandbox as
plain data; labels stay in the grader. (One sandboxed run: importing Keras takes seconds.)"""
import numpy as np
from course_utils.checks.codec import decode_plain, to_plain
from course_utils.checks.protocol import FAIL, PASS
from course_utils.checks.questions import AccuracyQuestion, ModelQuestion
from course_utils.grading import sandbox

BUILD = """
def build_model():
    return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, padding=PADDING),
                             keras.layers.Flatten(), keras.layers.Dense(3)])
"""
CONSTANT = """
model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                          keras.layers.Dense(3, kernel_initializer="zeros",
                                             bias_initializer=keras.initializers.Constant([0.0, 1.0, 0.0]))])
"""
LABELS = np.array([1] * 8 + [0, 2])           # a model always answering 1 is 80% right


def data():
    return np.random.default_rng(0).random((10, 8, 8, 1)), LABELS


MODEL_Q = ModelQuestion("k.q1", points=2, name="build_model",
                        expected_layers=[("Conv2D", (6, 6, 4), 40), ("Flatten", (144,), 0), ("Dense", (3,), 435)],
                        layer_advice={1: "no padding here ('valid')"})
ACC_Q = AccuracyQuestion("k.q2", points=4, name="model", data=data, thresholds=[(0.9, 1.0), (0.75, 0.5)])


def summary(padding_shape=(6, 6, 4)):
    layers = [{"class": "Conv2D", "name": "c", "output_shape": [-1, *padding_shape], "params": 40, "config": {}},
              {"class": "Flatten", "name": "f", "output_shape": [-1, 144], "params": 0, "config": {}},
              {"class": "Dense", "name": "d", "output_shape": [-1, 3], "params": 435, "config": {}}]
    return {"outcome": "ok", "answer": to_plain({"layers": layers, "total_params": 475})}


def test_model_question_messages():
    assert MODEL_Q.judge_outcome(summary(), [], hidden=False).status == PASS
    result = MODEL_Q.judge_outcome(summary((8, 8, 4)), [], hidden=False)
    assert result.status == FAIL
    assert result.message == "layer 1 (Conv2D) outputs (8, 8, 4), expected (6, 6, 4): no padding here ('valid')"
    assert not MODEL_Q.judge_outcome({"outcome": "ok", "answer": to_plain(None)}, [], hidden=False).attempted
    assert "expected a Keras model" in MODEL_Q.judge_outcome({"outcome": "ok", "answer": to_plain(3)}, [], hidden=False).message


def test_functional_models_input_layer_is_not_a_layer_to_match():
    functional = summary()
    layers = decode_plain(functional["answer"])["layers"]
    layers.insert(0, {"class": "InputLayer", "name": "i", "output_shape": [-1, 8, 8, 1], "params": 0, "config": {}})
    functional["answer"] = to_plain({"layers": layers, "total_params": 475})
    assert MODEL_Q.judge_outcome(functional, [], hidden=False).status == PASS


def test_accuracy_question_messages():
    result = ACC_Q.judge_outcome({"outcome": "ok", "answer": to_plain(np.ones(10, dtype=int))}, [], hidden=True)
    assert (result.status, result.points) == (FAIL, 2.0)
    assert result.message.startswith("accuracy 80.0% on 10 held-out images")
    assert ACC_Q.judge_outcome({"outcome": "ok", "answer": to_plain(LABELS)}, [], hidden=True).status == PASS
    assert "one prediction per image" in ACC_Q.judge_outcome({"outcome": "ok", "answer": to_plain([1])}, [],
                                                             hidden=True).message


def test_keras_questions_through_the_sandbox(isolation):
    cells = [{"question": None, "source": "import numpy as np\nimport keras\nPADDING = 'valid'"},
             {"question": "k.q1", "source": BUILD}, {"question": "k.q2", "source": CONSTANT}]
    arrays = {}
    job = {"cells": cells, "preload": ["keras"],
           "probes": {q.id: q.probe_spec() for q in (MODEL_Q, ACC_Q)},
           "args": {"k.q2": sandbox.encode_args("k.q2", ACC_Q.hidden_args(None), arrays)}}
    assert "labels" not in str(job) and set(arrays) == {"k.q2.0.0"}          # only images go to the child
    run = sandbox.run_child(job, arrays, sandbox.Limits(timeout_s=120, memory_mb=MODEL_Q.memory_mb))
    assert run.ended == "finished", run.detail
    assert MODEL_Q.judge_outcome(run.results["done"]["k.q1"], [], hidden=True).status == PASS
    result = ACC_Q.judge_outcome(run.results["done"]["k.q2"], [], hidden=True)
    assert (result.status, result.points) == (FAIL, 2.0)
