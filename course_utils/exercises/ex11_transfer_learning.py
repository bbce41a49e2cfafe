"""Exercise 11 · Transfer learning: freeze a base, count what still trains, put a head on it, set up fine-tuning.

The bases are small convolutional stacks (Conv2D without bias, BatchNormalization, ReLU,
max pooling; random weights: nothing is downloaded) that the notebook's first context cell
builds, ``build_base("small")`` or ``build_base("deep")``. The same cell defines
``layer_report(model)`` (every layer, inside nested models too, with its type, its
parameters and whether training can change it) and ``call_on_base(name, kind, *args)``,
which calls the student's function on a fresh base and reports what it returns: the model
questions are :class:`BaseFunctionQuestion` s, judged on that plain report. ``check()``
runs the instructor's copy of that cell (:func:`context`), the grader's sandbox the
solution notebook's, so both judge the same report.

The references are :mod:`course_utils.transfer`; known mistakes are its switches
(``freeze=False``, ``pooling="flatten"``, ``keep_batchnorm_frozen=False``) or the wrong
functions below (:func:`unfreeze_bottom`, ...).
"""
from __future__ import annotations

import contextlib
import functools
import io
import json
from pathlib import Path

import numpy as np

from course_utils.checks import notebook_schema
from course_utils.checks.protocol import Probe
from course_utils.checks.questions import (CHECK_SEED, Exercise, FunctionQuestion, KERAS_MEMORY_MB, Mistake,
                                           PredictionQuestion, ValueQuestion, _copy_args, _fmt)

NOTEBOOK = "11_transfer_learning"
KERAS = {"preload": ("keras",), "memory_mb": KERAS_MEMORY_MB}
COUNTED_KIND, COUNTED_CLASSES = "deep", 5        # q1's classifier: the deep base and a 5-class head
PREDICTED_KIND, PREDICTED_CLASSES = "small", 10   # p1's: the small base and a 10-class head


# ---------------------------------------------------------------- the notebook's context cells, run here

def _context_sources() -> list[str]:
    """The solution notebook's context cells (read with the notebook schema: the bank imports nothing of grading)."""
    path = Path(__file__).resolve().parents[2] / "exercises" / "solutions" / f"{NOTEBOOK}.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [notebook_schema.cell_source(c) for c in cells if c["cell_type"] == "code" and notebook_schema.is_context(c)]


def context(**names) -> dict:
    """A fresh namespace of the notebook's first context cell (``build_base``, ``layer_report``, ...), plus ``names``."""
    namespace = dict(names)
    exec(_context_sources()[0], namespace)
    namespace.update(names)
    return namespace


def build_base(kind: str):
    return context()["build_base"](kind)


def report(function, kind, *args):
    """What the checks see of ``function(build_base(kind), *args)``: the notebook's ``call_on_base``."""
    return context(answer=function)["call_on_base"]("answer", kind, *args)


# ---------------------------------------------------------------- judging a model's report

class BaseFunctionQuestion(FunctionQuestion):
    """A function of a Keras base that returns a model (or the base), tried on fresh bases of hidden kinds.

    ``reference(kind, *args)`` and each mistake's ``wrong(kind, *args)`` return the report of a
    model (see :func:`report`). The sandbox calls ``call_on_base(name, kind, *args)`` from the
    notebook's context cell; :meth:`value_judge` compares the plain reports: the layers' types (a
    ``Dense`` followed by a ``Softmax`` or ``Activation("softmax")`` layer counts as a softmax
    ``Dense``), the output layer's units and activation, the output shape, and which layers
    with parameters training can change.
    """

    returns = "the model"
    try_advice = "print(layer_report(model)) shows what the check reads; compare it with the question's rules"

    def probe_spec(self) -> dict:
        return {"probe": Probe.CALL, "name": "call_on_base"}

    def hidden_args(self, rng) -> list[tuple]:
        return [(self.name, *args) for args in self.make_args(rng)]

    def check_args(self) -> list[tuple]:
        return ([(self.name, *args) for _, args in self.examples]
                + self.hidden_args(np.random.default_rng(CHECK_SEED)))

    def describe_args(self, args, hidden: bool) -> str:
        return super().describe_args(args[1:] if args and args[0] == self.name else args, hidden)

    def value_judge(self, returned, args_list, hidden):
        def judge_value(i, model_report, args, label, call):
            problem = difference(model_report, self.reference(*_copy_args(args[1:])))
            if not problem:
                return True, None, True
            advice = [m.advice for m in self.mistakes if _same_report(model_report, m.wrong(*args[1:]))]
            return False, f"on {label}, {problem}: {' Or: '.join(advice) if advice else self.try_advice}", True

        return judge_value

    def check_namespace(self, fn) -> dict:
        return context(**{self.name: fn})


def _folded(layers: list[dict]) -> list[dict]:
    """The report's layers with a softmax layer right after a linear Dense folded into it."""
    out = []
    for layer in layers:
        softmax = layer.get("class") == "Softmax" or (layer.get("class") == "Activation"
                                                      and layer.get("activation") == "softmax")
        if softmax and out and out[-1].get("class") == "Dense" and out[-1].get("activation") == "linear":
            out[-1] = {**out[-1], "activation": "softmax"}
        else:
            out.append(layer)
    return out


def difference(got, want) -> str | None:
    """The first way the report ``got`` differs from ``want`` (one phrase), or None when they agree.

    >>> layer = {"name": "conv1", "class": "Conv2D", "params": 72, "trainable": True, "units": None, "activation": "linear"}
    >>> difference({"layers": [layer], "output_shape": np.array([4])},
    ...            {"layers": [{**layer, "trainable": False}], "output_shape": np.array([4])})
    "layer 1 ('conv1', Conv2D) is trainable, expected frozen"
    """
    if not isinstance(got, dict) or "layers" not in got:
        what = got.get("not_a_model") if isinstance(got, dict) else type(got).__name__
        return f"the result is of type {what}, expected a Keras model"
    have, need = _folded(got["layers"]), _folded(want["layers"])
    for k, (g, w) in enumerate(zip(have, need), 1):
        if g.get("class") != w.get("class"):
            return f"layer {k} is {g.get('class')}, expected {w.get('class')}"
    if len(have) != len(need):
        return (f"the model has {len(have)} layers (nested models counted layer by layer), expected {len(need)}"
                + (f": layer {len(need) + 1} ({have[len(need)].get('class')}) is one too many"
                   if len(have) > len(need) else ""))
    g, w = have[-1], need[-1]
    if g.get("units") != w.get("units"):
        return f"the output layer has {_fmt(g.get('units'))} units, expected one per class"
    if g.get("activation") != w.get("activation"):
        return f"the output layer's activation is '{g.get('activation')}', expected '{w.get('activation')}'"
    if list(np.asarray(got["output_shape"]).tolist()) != list(np.asarray(want["output_shape"]).tolist()):
        return f"the model outputs shape {tuple(np.asarray(got['output_shape']).tolist())}, which is not the expected one"
    for k, (g, w) in enumerate(zip(have, need), 1):
        if w.get("params") and g.get("trainable") != w.get("trainable"):
            state = {True: "trainable", False: "frozen"}
            return (f"layer {k} ('{g.get('name')}', {g.get('class')}) is {state[bool(g.get('trainable'))]}, "
                    f"expected {state[bool(w.get('trainable'))]}")
    return None


def _same_report(got, wrong) -> bool:
    return wrong is not None and difference(got, wrong) is None


# ---------------------------------------------------------------- q2 · a feature extractor

def feature_extractor_report(kind, n_classes, **switches):
    from course_utils.transfer import feature_extractor

    return report(functools.partial(feature_extractor, **switches), kind, n_classes)


def _frozen_head(base, n_classes):
    from course_utils.transfer import feature_extractor

    model = feature_extractor(base, n_classes)
    model.trainable = False
    return model


def _extractor_cases(rng):
    kinds = rng.permutation(["small", "deep", "deep"]).tolist()
    return [(kind, int(n)) for kind, n in zip(kinds, rng.choice(np.arange(2, 11), size=3, replace=False))]


q2 = BaseFunctionQuestion(
    "ex11.q2", points=3, name="build_feature_extractor", title="A frozen base with a new head",
    reference=feature_extractor_report, make_args=_extractor_cases,
    examples=[("the 'small' base and 5 classes", ("small", 5))],
    mistakes=[
        Mistake("freeze the base: base.trainable = False, so that only the new head learns (feature extraction).",
                lambda kind, n: feature_extractor_report(kind, n, freeze=False)),
        Mistake("the question asks for GlobalAveragePooling2D: one average per channel, whatever the map size "
                "(Flatten keeps every position).", lambda kind, n: feature_extractor_report(kind, n, pooling="flatten")),
        Mistake("freeze the base only: the new head must stay trainable, or nothing learns.",
                lambda kind, n: report(_frozen_head, kind, n)),
    ],
    hint=["base.trainable = False; then keras.Sequential([base, layers.GlobalAveragePooling2D(), "
          "layers.Dense(n_classes, activation='softmax')]).",
          "The functional API works too: inputs = keras.Input(base.input.shape[1:]); x = base(inputs, training=False); "
          "..."],
    **KERAS,
)


# ---------------------------------------------------------------- q3 · fine-tuning set-up

def unfreeze_top_report(kind, k, **switches):
    from course_utils.transfer import unfreeze_top

    return report(functools.partial(unfreeze_top, **switches), kind, k)


def unfreeze_bottom(base, k):
    """A known mistake: the *first* k layers trainable (BatchNormalization frozen)."""
    import keras

    base.trainable = True
    for position, layer in enumerate(base.layers):
        layer.trainable = position < k and not isinstance(layer, keras.layers.BatchNormalization)
    return base


def unfreeze_in_frozen_base(base, k):
    """A known mistake: the top layers unfrozen, then the base frozen (so, in Keras, none of its layers trains)."""
    from course_utils.transfer import unfreeze_top

    unfreeze_top(base, k)
    base.trainable = False
    return base


def _unfreeze_cases(rng):
    return [("deep", int(rng.integers(2, 6))), ("deep", int(rng.integers(6, 11))), ("small", int(rng.integers(2, 7)))]


q3 = BaseFunctionQuestion(
    "ex11.q3", points=3, name="set_up_fine_tuning", title="Fine-tuning: unfreeze the top k layers, not BatchNorm",
    reference=unfreeze_top_report, make_args=_unfreeze_cases,
    examples=[("the 'deep' base and k = 4", ("deep", 4))],
    mistakes=[
        Mistake("keep every BatchNormalization layer frozen: its statistics must stay those of the pretrained base "
                "(and a frozen BatchNormalization runs in inference mode).",
                lambda kind, k: unfreeze_top_report(kind, k, keep_batchnorm_frozen=False)),
        Mistake("the top layers are the last ones, the closest to the head: base.layers[-k:], not base.layers[:k].",
                lambda kind, k: report(unfreeze_bottom, kind, k)),
        Mistake("freeze the other layers: only the last k (BatchNormalization excepted) may train.",
                lambda kind, k: unfreeze_top_report(kind, len(build_base(kind).layers))),
        Mistake("keep base.trainable = True and set the flags of its layers: in Keras a frozen model trains none of "
                "its layers, whatever their own flags say.", lambda kind, k: report(unfreeze_in_frozen_base, kind, k)),
    ],
    hint=["base.trainable = True first (a frozen model trains none of its layers, whatever theirs say); then "
          "set each layer's trainable flag.",
          "for i, layer in enumerate(base.layers): layer.trainable = i >= len(base.layers) - k and not "
          "isinstance(layer, layers.BatchNormalization)"],
    **KERAS,
)


# ---------------------------------------------------------------- q1 · counting what trains

def counted_classifier(freeze: bool):
    import keras

    from course_utils.transfer import feature_extractor, parameter_counts

    with_head = feature_extractor(build_base(COUNTED_KIND), COUNTED_CLASSES, freeze=freeze)
    assert isinstance(with_head, keras.Model)
    return parameter_counts(with_head)


def _counts():
    (trainable_before, non_trainable_before), (trainable_after, non_trainable_after) = (
        counted_classifier(False), counted_classifier(True))
    return trainable_before, non_trainable_before, trainable_after, non_trainable_after


def _total():
    return sum(counted_classifier(False))


q1 = ValueQuestion(
    "ex11.q1", points=2, names=["trainable_before", "non_trainable_before", "trainable_after", "non_trainable_after"],
    integer=True, title="Trainable and non-trainable parameters, before and after freezing the base",
    expected=_counts,
    mistakes={
        "trainable_before": [Mistake("BatchNormalization's moving mean and variance are never trainable, even in a "
                                     "trainable layer: only γ and β are.", _total)],
        "non_trainable_before": [Mistake("before freezing, the moving mean and variance of every BatchNormalization "
                                         "layer (2 per channel) are already non-trainable.", 0)],
        "trainable_after": [
            Mistake("after base.trainable = False the whole base is frozen: only the new head's weights and biases "
                    "still train.", lambda: counted_classifier(False)[0]),
            Mistake("freezing the base freezes BatchNormalization's γ and β too: only the head trains.",
                    lambda: counted_classifier(True)[0] + counted_classifier(False)[1]),
            Mistake("the head is a Dense layer on the pooled features: (channels + 1) × classes, with the bias.",
                    lambda: counted_classifier(True)[0] - COUNTED_CLASSES)],
        "non_trainable_after": [
            Mistake("the frozen base's weights all become non-trainable, not only the moving statistics.",
                    lambda: counted_classifier(False)[1]),
            Mistake("the moving statistics stay non-trainable: add them to the frozen weights.",
                    lambda: counted_classifier(True)[1] - counted_classifier(False)[1])],
    },
    hint=["Build the model and count, then set base.trainable = False and count again: sum np.prod(w.shape) over "
          "model.trainable_weights and over model.non_trainable_weights. Or count by hand from model.summary().",
          "Conv2D without bias: 3·3·C_in·filters; BatchNormalization: 4 per channel (γ, β trainable; moving mean and "
          "variance never); Dense: (inputs + 1) × units."],
)


# ---------------------------------------------------------------- q4 · what one training step changes

@functools.lru_cache(maxsize=1)
def one_step_counts() -> tuple[int, int]:
    """Run the notebook's experiment cell (the second context cell) here and count the changed arrays."""
    from course_utils.transfer import changed_weights

    namespace = context()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):   # the cell prints
        exec(_context_sources()[1], namespace)
    return (changed_weights(namespace["extraction_before"], namespace["extraction_after"]),
            changed_weights(namespace["tuning_before"], namespace["tuning_after"]))


def _weight_arrays():
    import keras

    model = keras.Sequential([build_base(COUNTED_KIND), keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(COUNTED_CLASSES)])
    return len(model.trainable_weights), len(model.non_trainable_weights), len(model.weights)


q4 = ValueQuestion(
    "ex11.q4", points=2, names=["changed_extraction", "changed_fine_tuning"], integer=True,
    title="Feature extraction vs fine-tuning: which weights does one step change?",
    expected=one_step_counts,
    mistakes={
        "changed_extraction": [
            Mistake("a frozen BatchNormalization layer runs in inference mode: its moving statistics do not change "
                    "either, so only the head's arrays move.", lambda: one_step_counts()[0] + _weight_arrays()[1]),
            Mistake("count weight arrays (model.get_weights() entries), not layers: the head has a kernel and a bias.",
                    1)],
        "changed_fine_tuning": [
            Mistake("in training mode BatchNormalization also updates its moving mean and variance: they change "
                    "although no gradient reaches them.", lambda: _weight_arrays()[0]),
            Mistake("count weight arrays (model.get_weights() entries), not layers.", 7)],
    },
    hint=["changed = sum(not np.array_equal(a, b) for a, b in zip(before, after)).",
          "Compare every array of the snapshots, the non-trainable ones included."],
)


# ---------------------------------------------------------------- p1 · predict what still trains

def predicted_trainable() -> int:
    from course_utils.transfer import feature_extractor, parameter_counts

    return parameter_counts(feature_extractor(build_base(PREDICTED_KIND), PREDICTED_CLASSES))[0]


p1 = PredictionQuestion(
    "ex11.p1", expected=predicted_trainable, title="Predict: how many parameters still train?",
    explanation="with the base frozen only the new Dense layer trains: (16 pooled features + 1 bias) × 10 classes. "
                "Every convolution and BatchNormalization weight of the base is frozen.",
    hint="Only the head learns. How many features does global average pooling give, and how many weights does a "
         "Dense layer have per class?",
)

EXERCISE = Exercise("11_transfer_learning", "Transfer learning: freeze, count, extract features, fine-tune",
                    [p1, q1, q2, q3, q4], timeout_s=60)
