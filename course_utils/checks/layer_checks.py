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
``fold_activations=True`` a separate ``ReLU``/``Activation``/``Softmax`` layer fed only by a
linear ``Conv2D``/``Dense`` counts as that layer's activation). ``compare="output"``, for
modules with parallel branches whose listing order depends on how they were written,
compares the number of layers of each type, the model's output shape, its parameter total
and the activations of its convolutions. Both then compare the *wiring* (:func:`wiring`:
which layers feed which, the order of an ``Add``'s or a ``Concatenate``'s inputs left free),
so that a layer in the wrong branch fails with a line that names it.

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
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import numpy as np

from .codec import decode_plain
from .probes import run_probe
from .protocol import ERROR, FAIL, PASS, Kind, Probe
from .questions import ModelQuestion, Result, _fmt

FOLDABLE = ("Conv1D", "Conv2D", "Dense", "DepthwiseConv2D", "SeparableConv2D")
WIRING_ADVICE = ("right layers, wrong connections: check which tensor each layer is called on (draw the graph: "
                 "the shortcut and every branch start from the block's input)")
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
    name: str = field(default="", compare=False, repr=False)
    inbound: tuple = field(default=(), compare=False, repr=False)   # names of the layers feeding this one

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
        inbound = layer.get("inbound") if isinstance(layer.get("inbound"), list) else []
        out.append(Layer(cls, tuple(None if n < 0 else n for n in shape), int(layer.get("params")),
                         activation if isinstance(activation, str) else None, name=str(layer.get("name", "")),
                         inbound=tuple(str(n) for n in inbound)))
    return out


def fold_activations(layers: list[Layer]) -> list[Layer]:
    """Count ``Conv2D`` + ``ReLU`` layer (or ``Activation``/``Softmax``) as one ``Conv2D(activation=...)``.

    The activation layer must be fed by the linear layer alone, and be its only consumer (without
    wiring: come right after it); whatever it fed is then fed by the folded layer.
    """
    consumers = Counter(name for layer in layers for name in layer.inbound)
    out: list[Layer] = []
    position: dict[str, int] = {}
    folded_into: dict[str, str] = {}
    for layer in layers:
        layer = replace(layer, inbound=tuple(folded_into.get(n, n) for n in layer.inbound))
        activation = ACTIVATION_LAYERS.get(layer.cls) or (layer.activation if layer.cls == "Activation" else None)
        if layer.inbound:
            at = position.get(layer.inbound[0]) if len(layer.inbound) == 1 else None
        else:
            at = len(out) - 1 if out else None
        parent = out[at] if at is not None else None
        if (activation and parent is not None and parent.cls in FOLDABLE and parent.activation == "linear"
                and parent.shape == layer.shape and (not layer.inbound or consumers[parent.name] == 1)):
            out[at] = replace(parent, activation=activation)
            folded_into[layer.name] = parent.name
        else:
            position[layer.name] = len(out)
            out.append(layer)
    return out


INPUT = (("input", "", 0, ""), ())   # the place of the model's input, shaped like a layer's


def has_wiring(layers: list[Layer]) -> bool:
    """Whether the summary says which layer feeds which (every layer named, some fed by another)."""
    return bool(layers) and all(layer.name for layer in layers) and any(layer.inbound for layer in layers)


def wiring(layers: list[Layer]) -> dict[str, tuple]:
    """Each layer's place in the graph: its own description and, recursively, its inputs' (sorted).

    Two models whose layers have the same places are wired alike, whatever the order their
    layers are listed in or an ``Add``'s inputs are given in. A name that is not a layer is
    the model's input.

    >>> conv = Layer("Conv2D", (None, 4, 4, 2), 20, "relu", name="c", inbound=("x",))
    >>> pool = Layer("MaxPooling2D", (None, 4, 4, 2), 0, name="p", inbound=("c",))
    >>> wiring([conv, pool])["p"] == (("MaxPooling2D", "(None, 4, 4, 2)", 0, ""),
    ...                                ((("Conv2D", "(None, 4, 4, 2)", 20, "relu"), (INPUT,)),))
    True
    """
    by_name = {layer.name: layer for layer in layers}
    places: dict[str, tuple] = {}

    def place(name: str) -> tuple:
        if name not in by_name:
            return INPUT
        if name not in places:
            layer = by_name[name]
            places[name] = (_own(layer), tuple(sorted(place(n) for n in layer.inbound)))
        return places[name]

    return {layer.name: place(layer.name) for layer in layers}


def _own(layer: Layer) -> tuple:
    return layer.cls, layer.shape_text(), layer.params, layer.activation or ""


def _describe_inputs(places: list[tuple], names: Sequence[str] = ()) -> str:
    """"the model's input", "Conv2D 'conv2d_3'" or "a MaxPooling2D", joined with "and"."""
    parts = []
    for k, place in enumerate(places):
        if place == INPUT:
            parts.append("the model's input")
        elif k < len(names):
            parts.append(f"{place[0][0]} '{names[k]}'")
        else:
            parts.append(f"a {place[0][0]}")
    return " and ".join(parts) or "nothing"


def wiring_difference(got: list[Layer], want: list[Layer]) -> str | None:
    """A line naming the first layer of ``got`` (in listing order) wired otherwise than in ``want``; None if alike.

    >>> x = Layer("MaxPooling2D", (None, 4, 4, 2), 0, name="pool", inbound=("input",))
    >>> c = Layer("Conv2D", (None, 4, 4, 2), 6, "relu", name="conv", inbound=("pool",))
    >>> wrong = [replace(c, inbound=("input",)), replace(x, inbound=("conv",))]
    >>> wiring_difference(wrong, [x, c])
    "Conv2D 'conv' (None, 4, 4, 2) takes its input from the model's input, expected from a MaxPooling2D"
    """
    got_places, want_places = wiring(got), wiring(want)
    unmatched = Counter(want_places.values())
    unmatched.subtract(Counter(got_places.values()))
    by_name = {layer.name: layer for layer in got}
    for layer in got:
        place = got_places[layer.name]
        if unmatched[place] < 0:
            inputs = [got_places.get(n, INPUT) for n in layer.inbound]
            message = (f"{layer.cls} '{layer.name}' {layer.shape_text()} takes its input from "
                       f"{_describe_inputs(inputs, [n if n in by_name else '' for n in layer.inbound])}")
            expected = [p for p, n in unmatched.items() if n > 0 and p[0] == place[0]]
            if expected:
                message += f", expected from {_describe_inputs(list(expected[0][1]))}"
            return message
    return None


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
        best, miswired = None, None
        for layout in self.layouts():
            difference = first_difference(got, layout)
            if difference is None:
                miswired = self._wiring_message(got, layout)
                if miswired is None:
                    total = sum(layer.params for layer in layout)
                    return self.result(PASS, self.success or
                                       f"all {len(layout)} layers match ({_fmt(total)} parameters).", 1.0)
            elif best is None or difference[0] > best[0][0]:
                best = (difference, layout)
        if miswired is not None:
            return self.result(FAIL, miswired)
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

    def _wiring_message(self, got: list[Layer], want: list[Layer]) -> str | None:
        """The wiring difference of a model whose layers match ``want`` (with its mistake's advice), or None."""
        if not (has_wiring(got) and has_wiring(want)):
            return None
        difference = wiring_difference(got, want)
        if difference is None:
            return None
        places = Counter(wiring(got).values())
        for mistake, wrong_layouts in zip(self.mistakes, self.wrong_layouts()):
            if any(has_wiring(wrong) and Counter(wiring(wrong).values()) == places for wrong in wrong_layouts):
                return f"{difference}: {mistake.advice}"
        return f"{difference}: {WIRING_ADVICE}"

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
            miswired = self._wiring_message(got, self.layouts()[0])
            if miswired is not None:
                return self.result(FAIL, miswired)
            return self.result(PASS, self.success or f"output {want['output']}, {_fmt(want['params'])} parameters.", 1.0)
        order = ["counts", "output", "params", "activations"]
        checked = order[:order.index(failed) + 1]
        for mistake, wrong_layouts in zip(self.mistakes, self.wrong_layouts()):
            if any(all(self._signature(wrong)[key] == have[key] for key in checked) for wrong in wrong_layouts):
                return self.result(FAIL, f"{message}: {mistake.advice}")
        return self.result(FAIL, f"{message}: {MODULE_TRY}")


def _agrees_through(got: list[Layer], wrong: list[Layer], index: int) -> bool:
    """Does ``got`` match the wrong model up to and including layer ``index``, with as many layers?

    The same length keeps a coincidence out: a 1×1 second conv agrees with "always project"'s
    1×1 shortcut conv at that layer, but that model has two layers more.
    """
    difference = first_difference(got, wrong)
    return len(got) == len(wrong) and (difference is None or difference[0] > index)

