"""Keras model questions checked against trusted reference builders, with fix-it feedback.

:class:`LayerSummaryQuestion` is a :class:`~course_utils.checks.questions.ModelQuestion`
whose expected layers are the summary of a *reference model* built in the trusted process
(from ``course_utils.models`` or ``course_utils.architectures``), read by the same
summariser the sandbox uses. Beyond layer types, output shapes and parameters it checks
each layer's activation, accepts equally correct layouts (``variants``: e.g. the two
orders Keras lists a residual block's branches in), and recognises known mistakes given as
*wrong builders*: when the student's model differs from the reference exactly where and how
a wrong model does, the feedback gives that mistake's advice::

    layer 3 (Conv2D) outputs (None, 14, 14, 16), expected (None, 10, 10, 16): did you use
    padding='same' on the second conv? ...

``compare="layers"`` compares the layers one by one, in ``model.layers`` order (the
``InputLayer`` left out; ``Activation("relu")`` counts as ``ReLU``; with
``fold_activations=True`` a separate ``ReLU``/``Activation``/``Softmax`` layer right after a
linear ``Conv2D``/``Dense`` counts as that layer's activation). ``compare="output"``, for
modules with parallel branches whose listing order depends on how they were written,
compares the number of layers of each type, the model's output shape, its parameter total
and the activations of its convolutions.

>>> import keras
>>> def reference():
...     return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, activation="relu")])
>>> def no_activation():
...     return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3)])
>>> q = LayerSummaryQuestion("demo.q1", points=1, name="build", reference=reference,
...                          mistakes=[LayerMistake("add activation='relu'.", no_activation)])
>>> q.check(reference)
✅ Correct! all 1 layers match (40 parameters).
>>> q.check(no_activation)
❌ layer 1 (Conv2D) uses activation 'linear', expected 'relu': add activation='relu'.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .codec import decode_plain
from .probes import run_probe
from .protocol import ERROR, FAIL, PASS, Kind, Probe
from .questions import ModelQuestion, Result, _fmt

FOLDABLE = ("Conv1D", "Conv2D", "Dense", "DepthwiseConv2D", "SeparableConv2D")
ACTIVATION_LAYERS = {"ReLU": "relu", "Softmax": "softmax"}
# What to try when no known mistake explains the difference (every rejected answer says what to try).
LAYER_TRY = "compare that layer with the question's description, in the order model.summary() lists them (q.hint() helps)"
MODULE_TRY = "count the layers of each branch against the question's description (q.hint() helps)"


@dataclass(frozen=True)
class Layer:
    """One layer as the feedback talks about it: type, output shape (batch axis ``None``), parameters, activation."""

    cls: str
    shape: tuple
    params: int
    activation: str | None = None

    def shape_text(self) -> str:
        return "(" + ", ".join("None" if n is None else str(n) for n in self.shape) + ")"


@dataclass
class LayerMistake:
    """A known mistake: its advice and a builder (or several equivalent ones) of a model that makes it.

    It matches a student's model that agrees with the wrong one up to and including the first
    layer where the student's differs from the reference (``exact=True``: all layers agree;
    for a mistake that leaves out a layer another mistake only moves).
    """

    advice: str
    builder: Callable | Sequence[Callable]
    exact: bool = False

    def builders(self) -> list[Callable]:
        return list(self.builder) if isinstance(self.builder, (list, tuple)) else [self.builder]


def summarise(model_or_builder) -> list[Layer]:
    """The reference's layers, read exactly as the sandbox reads a student's model.

    >>> import keras
    >>> summarise(lambda: keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")]))
    [Layer(cls='Dense', shape=(None, 2), params=10, activation='softmax')]
    """
    outcome = run_probe({"probe": Probe.KERAS_SUMMARY, "name": "model"}, {"model": model_or_builder})
    if outcome.get("outcome") != Kind.OK:
        raise ValueError(f"the reference model could not be built: {outcome.get('error', outcome)}")
    return layers_from_plain(decode_plain(outcome["answer"]))


def layers_from_plain(answer: dict) -> list[Layer]:
    """:class:`Layer` records from the decoded summary the sandbox sends (``{"layers": [...]}``)."""
    out = []
    for layer in answer["layers"]:
        shape = [int(n) for n in np.asarray(layer.get("output_shape", []), dtype=np.int64).ravel().tolist()]
        config = layer.get("config") if isinstance(layer.get("config"), dict) else {}
        activation = config.get("activation")
        cls = str(layer.get("class"))
        if cls == "InputLayer":
            continue
        if cls == "Activation" and activation in ("relu", "relu6"):
            cls, activation = "ReLU", None if activation == "relu" else activation   # the same layer as layers.ReLU()
        elif cls == "ReLU" and config.get("max_value") == 6:
            activation = "relu6"                # layers.ReLU(6.0), MobileNet's ReLU6: a ReLU clipped at 6
        out.append(Layer(cls, tuple(None if n < 0 else n for n in shape), int(layer.get("params")),
                         activation if isinstance(activation, str) else None))
    return out


def fold_activations(layers: list[Layer]) -> list[Layer]:
    """Count ``Conv2D`` + ``ReLU`` layer (or ``Activation``/``Softmax``) as one ``Conv2D(activation=...)``."""
    out: list[Layer] = []
    for layer in layers:
        activation = ACTIVATION_LAYERS.get(layer.cls) or (layer.activation if layer.cls == "Activation" else None)
        previous = out[-1] if out else None
        if (activation and previous is not None and previous.cls in FOLDABLE and previous.activation == "linear"
                and previous.shape == layer.shape):
            out[-1] = Layer(previous.cls, previous.shape, previous.params, activation)
        else:
            out.append(layer)
    return out


def first_difference(got: list[Layer], want: list[Layer]) -> tuple[int, str] | None:
    """``(index, message)`` of the first layer where ``got`` differs from ``want``; None when they agree."""
    for k in range(max(len(got), len(want))):
        n = k + 1
        if k >= len(got):
            w = want[k]
            return k, (f"the model ends after layer {k}: layer {n} should be a {w.cls} with output {w.shape_text()}"
                       if k else "the model has no layers")
        if k >= len(want):
            return k, (f"the model has {len(got)} layers, expected {len(want)}: layer {n} ({got[k].cls}) is one "
                       f"too many")
        g, w = got[k], want[k]
        if g.cls != w.cls:
            return k, f"layer {n} is {g.cls}, expected {w.cls}"
        if g.shape != w.shape:
            return k, f"layer {n} ({w.cls}) outputs {g.shape_text()}, expected {w.shape_text()}"
        if g.params != w.params:
            return k, f"layer {n} ({w.cls}) has {_fmt(g.params)} parameters, expected {_fmt(w.params)}"
        if g.activation != w.activation:
            return k, f"layer {n} ({w.cls}) uses activation '{g.activation}', expected '{w.activation}'"
    return None


def _activation_advice(got: Layer | None, want: Layer | None) -> str:
    if got is None or want is None or got.activation == want.activation or got.cls != want.cls:
        return ""
    if got.activation == "linear":
        return f"forgot activation='{want.activation}'?"
    if want.activation == "linear" and got.cls in FOLDABLE:
        return "keep this layer linear (no activation=...): the ReLU comes after BatchNormalization"
    return ""


class LayerSummaryQuestion(ModelQuestion):
    """A Keras model (or its builder) compared with trusted reference models; see the module docstring.

    ``reference`` builds the expected model; ``variants`` build other, equally correct
    layouts. ``mistakes`` are :class:`LayerMistake` s; ``error_advice`` is a list of
    ``(text, advice)``: when building the student's model raises an error containing
    ``text``, the advice follows the error (e.g. Keras' "incompatible shapes" from an Add).
    """

    def __init__(self, id, *, points, name: str, reference: Callable, variants: Sequence[Callable] = (),
                 compare: str = "layers", mistakes: Sequence[LayerMistake] = (),
                 error_advice: Sequence[tuple[str, str]] = (), fold_activations: bool = False, **kwargs):
        if compare not in ("layers", "output"):
            raise ValueError(f"compare must be 'layers' or 'output', got {compare!r}")
        super().__init__(id, points=points, name=name, expected_layers=self._expected_tuples, **kwargs)
        self.reference, self.variants, self.compare = reference, list(variants), compare
        self.mistakes, self.error_advice = list(mistakes), list(error_advice)
        self.fold = fold_activations
        self._layouts: list[list[Layer]] | None = None
        self._wrong: list[list[list[Layer]]] | None = None

    # --- trusted summaries, built once ---------------------------------------------
    def _read(self, builder) -> list[Layer]:
        layers = summarise(builder)
        return fold_activations(layers) if self.fold else layers

    def layouts(self) -> list[list[Layer]]:
        """The accepted layer lists: the reference's first, then the variants'."""
        if self._layouts is None:
            self._layouts = [self._read(b) for b in [self.reference, *self.variants]]
        return self._layouts

    def wrong_layouts(self) -> list[list[list[Layer]]]:
        if self._wrong is None:
            self._wrong = [[self._read(b) for b in m.builders()] for m in self.mistakes]
        return self._wrong

    def _expected_tuples(self) -> list[tuple]:
        return [(layer.cls, layer.shape[1:], layer.params) for layer in self.layouts()[0]]

    # --- judging ------------------------------------------------------------------
    def judge_outcome(self, outcome, args, *, hidden) -> Result:
        result = super().judge_outcome(outcome, args, hidden=hidden)
        if result.status == ERROR and outcome.get("outcome") == Kind.RAISED:
            error = str(outcome.get("error", ""))
            for text, advice in self.error_advice:
                if text.lower() in error.lower():
                    return Result(result.status, result.points, result.max_points, f"{result.message}: {advice}")
        return result

    def judge(self, outcome, args, *, hidden) -> Result:
        answer, problem = self.model_summary(outcome)
        if problem:
            return problem
        got = layers_from_plain(answer)
        if self.fold:
            got = fold_activations(got)
        if self.compare == "output":
            return self._judge_output(got)
        best = None
        for layout in self.layouts():
            difference = first_difference(got, layout)
            if difference is None:
                total = sum(layer.params for layer in layout)
                return self.result(PASS, self.success or f"all {len(layout)} layers match ({_fmt(total)} parameters).",
                                   1.0)
            if best is None or difference[0] > best[0][0]:
                best = (difference, layout)
        (index, message), layout = best
        advice = ""
        for mistake, wrong_layouts in zip(self.mistakes, self.wrong_layouts()):
            if any(first_difference(got, wrong) is None if mistake.exact else _agrees_through(got, wrong, index)
                   for wrong in wrong_layouts):
                advice = mistake.advice
                break
        if not advice:
            advice = _activation_advice(got[index] if index < len(got) else None,
                                        layout[index] if index < len(layout) else None)
        return self.result(FAIL, f"{message}: {advice or LAYER_TRY}")

    def _signature(self, layers: list[Layer]) -> dict:
        convs = [layer for layer in layers if layer.cls in FOLDABLE]
        return {"counts": Counter(layer.cls for layer in layers),
                "output": layers[-1].shape_text() if layers else "()",
                "params": sum(layer.params for layer in layers),
                "activations": Counter(layer.activation for layer in convs)}

    def _judge_output(self, got: list[Layer]) -> Result:
        want = self._signature(self.layouts()[0])
        have = self._signature(got)
        message, failed = None, None
        for cls in list(want["counts"]) + [c for c in have["counts"] if c not in want["counts"]]:
            if have["counts"][cls] != want["counts"][cls]:
                message = f"the module has {have['counts'][cls]} {cls} layer(s), expected {want['counts'][cls]}"
                failed = "counts"
                break
        if message is None and have["output"] != want["output"]:
            message, failed = f"the module outputs {have['output']}, expected {want['output']}", "output"
        if message is None and have["params"] != want["params"]:
            message = f"the module has {_fmt(have['params'])} parameters, expected {_fmt(want['params'])}"
            failed = "params"
        if message is None and have["activations"] != want["activations"]:
            wrong = sorted(a for a in have["activations"] if a not in want["activations"])
            expected = ", ".join(f"'{a}'" for a in sorted(want["activations"]))
            message = (f"{sum(have['activations'][a] for a in wrong)} convolution(s) use activation "
                       f"{', '.join(repr(a) for a in wrong)}, expected {expected}")
            failed = "activations"
            if wrong == ["linear"]:
                message += ": forgot activation='relu'?"
                return self.result(FAIL, message)
        if message is None:
            return self.result(PASS, self.success or f"output {want['output']}, {_fmt(want['params'])} parameters.", 1.0)
        order = ["counts", "output", "params", "activations"]
        checked = order[:order.index(failed) + 1]
        for mistake, wrong_layouts in zip(self.mistakes, self.wrong_layouts()):
            if any(all(self._signature(wrong)[key] == have[key] for key in checked) for wrong in wrong_layouts):
                return self.result(FAIL, f"{message}: {mistake.advice}")
        return self.result(FAIL, f"{message}: {MODULE_TRY}")


def _agrees_through(got: list[Layer], wrong: list[Layer], index: int) -> bool:
    """Does ``got`` match the wrong model up to and including layer ``index`` (and in length, if it ends there)?"""
    difference = first_difference(got, wrong)
    return difference is None or difference[0] > index

