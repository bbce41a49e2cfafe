"""Block diagrams drawn from a Keras model itself: its layers, their settings and connections.

:func:`layout` walks a model's graph back from its outputs and returns plain data: one
:class:`Box` per layer call (a label such as ``"Conv 3×3, 64"``, the output shape, a row
and a column) and one :class:`Edge` per connection. Rows run top to bottom (a box sits one
row below its deepest input); parallel branches sit side by side, left to right in the
order a merge (``Add``, ``Concatenate``) takes them; forks and merges are centred over
their branches. An edge that jumps over boxes of its own column (an identity shortcut, a
dense block's concatenation) is a *skip* edge, drawn as a bend on the left.
:func:`draw` draws a layout with matplotlib, and :func:`branches` lists what runs
in parallel into a merge, for the numbers printed under a figure.

>>> import keras
>>> from course_utils import architectures as arch
>>> residual = block(arch.basic_block, (8, 8, 16), 16)
>>> diagram = layout(residual)
>>> [box.label for box in diagram.boxes]
['Input', 'Conv 3×3, 16', 'BN', 'ReLU', 'Conv 3×3, 16', 'BN', 'Add', 'ReLU']
>>> [(diagram.box(e.source).label, diagram.box(e.target).label) for e in diagram.edges if e.skip]
[('Input', 'Add')]
"""
from __future__ import annotations

from dataclasses import dataclass

import keras
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

KIND_COLOURS = {
    "input": "#e0e0e0", "conv": "#c6dbef", "pool": "#fdd0a2", "norm": "#c7e9c0", "activation": "#fff2ae",
    "merge": "#fcbba1", "dense": "#dadaeb", "other": "#f0f0f0",
}
"""Fill colour of a box, by the kind of layer (:attr:`Box.kind`)."""

ACTIVATION_NAMES = {"relu": "ReLU", "sigmoid": "Sigmoid", "softmax": "Softmax", "tanh": "Tanh", "elu": "ELU",
                    "gelu": "GELU", "swish": "Swish", "silu": "SiLU", "relu6": "ReLU6", "leaky_relu": "LeakyReLU"}


@dataclass(frozen=True)
class Box:
    """One layer call: what it is (``label``), what it gives (``shape``, without the batch) and where it sits."""

    name: str
    label: str
    shape: tuple
    kind: str
    params: int
    row: int
    column: int
    x: float


@dataclass(frozen=True)
class Edge:
    """A connection ``source -> target`` (box names); ``skip`` when it jumps over boxes of its own column."""

    source: str
    target: str
    skip: bool


@dataclass(frozen=True)
class Layout:
    """A diagram as plain data: boxes top to bottom (inputs first) and their edges."""

    name: str
    boxes: tuple[Box, ...]
    edges: tuple[Edge, ...]

    def box(self, name: str) -> Box:
        """The box called ``name`` (a layer name; a layer called twice gets ``name#1``, ...)."""
        for candidate in self.boxes:
            if candidate.name == name:
                return candidate
        raise KeyError(f"no box named {name!r}; the boxes are {', '.join(b.name for b in self.boxes)}")

    def inputs_of(self, name: str) -> list[str]:
        """Names of the boxes that feed ``name``, in the order the layer takes them."""
        return [edge.source for edge in self.edges if edge.target == name]

    def outputs_of(self, name: str) -> list[str]:
        """Names of the boxes that ``name`` feeds."""
        return [edge.target for edge in self.edges if edge.source == name]


def block(builder, input_shape, *args, **kwargs) -> keras.Model:
    """A block function ``builder(x, *args, **kwargs)`` of :mod:`course_utils.architectures` as a Keras model.

    >>> from course_utils import architectures as arch
    >>> block(arch.vgg_block, (32, 32, 3), 8, convs=2).output.shape
    (None, 16, 16, 8)
    """
    if not callable(builder):
        raise TypeError(f"builder must be a block function such as architectures.vgg_block, got {builder!r}")
    inputs = keras.Input(tuple(input_shape))
    return keras.Model(inputs, builder(inputs, *args, **kwargs), name=getattr(builder, "__name__", "block"))


def layout(model) -> Layout:
    """The diagram of a built Keras model (functional or ``Sequential`` with an ``Input``) as plain data.

    >>> import keras
    >>> stack = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 3, activation="relu"),
    ...                           keras.layers.MaxPooling2D(2)])
    >>> [(box.label, box.shape, box.column) for box in layout(stack).boxes]
    [('Input', (28, 28, 1), 0), ('Conv 3×3, 8 + ReLU', (26, 26, 8), 0), ('MaxPool 2×2', (13, 13, 8), 0)]
    """
    calls, parents = _graph(model)
    names = _names(calls)
    rows = _rows(calls, parents)
    columns = _columns(calls, parents, rows)
    xs = _positions(calls, parents, columns)
    boxes = []
    for call in calls:
        operation, node_index = call
        tensor = operation if node_index is None else operation._inbound_nodes[node_index].output_tensors[0]
        boxes.append(Box(names[call], _label(call), tuple(tensor.shape[1:]), _kind(operation),
                         operation.count_params() if isinstance(operation, keras.layers.Layer) else 0,
                         rows[call], columns[call], xs[call]))
    edges = [Edge(names[source], names[call], _jumps_over(source, call, calls, rows, xs))
             for call in calls for source in parents[call]]
    return Layout(model.name, tuple(boxes), tuple(edges))


def branches(diagram: Layout, merge: str) -> list[list[str]]:
    """What runs in parallel into ``merge``: for each of its inputs, the labels of the boxes on that
    branch, top to bottom, back to the fork it leaves (an identity shortcut is an empty branch).

    >>> from course_utils import architectures as arch
    >>> diagram = layout(block(arch.dense_layer, (8, 8, 16), 4))
    >>> branches(diagram, diagram.boxes[-1].name)           # the last box: the Concatenate
    [[], ['BN', 'ReLU', 'Conv 1×1, 16', 'BN', 'ReLU', 'Conv 3×3, 4']]
    """
    if not any(box.name == merge for box in diagram.boxes):
        raise KeyError(f"no box named {merge!r}; the boxes are {', '.join(b.name for b in diagram.boxes)}")
    found = []
    for start in diagram.inputs_of(merge):
        path, name = [], start
        while len(diagram.inputs_of(name)) == 1 and len(diagram.outputs_of(name)) == 1:
            path.append(diagram.box(name).label)
            name = diagram.inputs_of(name)[0]
        found.append(path[::-1])
    return found


def draw(model_or_layout, title: str | None = None, ax=None, width: float = 2.3, height: float = 0.55):
    """Draw the diagram of a model (or of a :class:`Layout`); returns the matplotlib Figure.

    Boxes are ``width`` by ``height`` inches apart; each shows its label and output shape.

    >>> from course_utils import architectures as arch
    >>> fig = draw(block(arch.vgg_block, (32, 32, 3), 8, convs=2))
    >>> [t.get_text() for t in fig.axes[0].texts][:2]
    ['Input\\n32×32×3', 'Conv 3×3, 8 + ReLU\\n32×32×8']
    """
    diagram = model_or_layout if isinstance(model_or_layout, Layout) else layout(model_or_layout)
    if not diagram.boxes:
        raise ValueError("the layout has no boxes to draw")
    left = min(box.x for box in diagram.boxes)
    right = max(box.x for box in diagram.boxes)
    lanes = _skip_lanes(diagram)
    margin = 0.35 + 0.18 * (max(lanes.values(), default=-1) + 1)
    rows = max(box.row for box in diagram.boxes) + 1
    if ax is None:
        fig, ax = plt.subplots(figsize=((right - left) * width + width + 2 * margin, rows * height + 0.5))
    else:
        fig = ax.figure
    box_w, box_h = 0.86 * width, 0.7 * height
    where = {box.name: (box.x * width, -box.row * height) for box in diagram.boxes}
    for box in diagram.boxes:
        cx, cy = where[box.name]
        ax.add_patch(FancyBboxPatch((cx - box_w / 2, cy - box_h / 2), box_w, box_h,
                                    boxstyle="round,pad=0,rounding_size=0.06", facecolor=KIND_COLOURS[box.kind],
                                    edgecolor="#555555", linewidth=0.8))
        ax.text(cx, cy, f"{box.label}\n{format_shape(box.shape)}", ha="center", va="center", fontsize=7.5,
                linespacing=1.25)
    for edge in diagram.edges:
        (x0, y0), (x1, y1) = where[edge.source], where[edge.target]
        if edge.skip:
            bend = x0 - box_w / 2 - 0.18 * (lanes[edge] + 1)
            ax.plot([x0 - box_w / 2, bend, bend], [y0, y0, y1], color="#b2182b", linewidth=1.1)
            ax.add_patch(FancyArrowPatch((bend, y1), (x1 - box_w / 2, y1), arrowstyle="-|>", mutation_scale=8,
                                         color="#b2182b", linewidth=1.1, shrinkA=0, shrinkB=0))
        else:
            start, end = (x0, y0 - box_h / 2), (x1, y1 + box_h / 2)
            if x0 != x1 and y0 - y1 > 1.5 * height:   # a long edge keeps to a free lane, then turns
                fork = len(diagram.outputs_of(edge.source)) > 1
                turn = (x1, y0 - height / 2) if fork else (x0, y1 + height / 2)
                ax.plot([start[0], turn[0]], [start[1], turn[1]], color="#555555", linewidth=0.9)
                start = turn
            ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=8, color="#555555",
                                         linewidth=0.9, shrinkA=0, shrinkB=0))
    ax.set_xlim(left * width - box_w / 2 - margin, right * width + box_w / 2 + 0.2)
    ax.set_ylim(-(rows - 1) * height - box_h / 2 - 0.1, box_h / 2 + 0.1)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def format_shape(shape) -> str:
    """``(28, 28, 64)`` -> ``'28×28×64'`` (an unknown size prints as ``?``).

    >>> format_shape((28, 28, 64)), format_shape((None, 10))
    ('28×28×64', '?×10')
    """
    return "×".join("?" if n is None else str(n) for n in shape)


# ---------------------------------------------------------------- reading the graph

def _graph(model):
    """Every layer call that leads to the model's outputs, inputs first, and the calls feeding each.

    A call is ``(operation, node_index)``; a model input is ``(input tensor, None)``. The order
    is a depth-first walk from the outputs that visits a layer's inputs in the order it takes
    them, so the branches of a merge come out left to right.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"expected a built keras.Model (functional, or Sequential with an Input), "
                        f"got {type(model).__name__}")
    try:
        outputs, inputs = list(model.outputs), list(model.inputs)
    except (AttributeError, ValueError):
        raise ValueError(f"model {model.name!r} has no inputs and outputs yet: build it from a keras.Input") from None
    input_ids = {id(tensor): tensor for tensor in inputs}
    order, parents, seen = [], {}, set()

    def source_of(tensor):
        if id(tensor) in input_ids:
            return (input_ids[id(tensor)], None)
        operation, node_index, _ = tensor._keras_history
        if isinstance(operation, keras.layers.InputLayer):
            return (tensor, None)
        return (operation, node_index)

    def visit(call):
        key = (id(call[0]), call[1])
        if key in seen:
            return
        seen.add(key)
        feeding = [] if call[1] is None else [source_of(t) for t in call[0]._inbound_nodes[call[1]].input_tensors]
        for parent in feeding:
            visit(parent)
        parents[call] = feeding
        order.append(call)

    for tensor in outputs:
        visit(source_of(tensor))
    return order, parents


def _names(calls):
    names, used = {}, {}
    for call in calls:
        operation = call[0]
        base = "input" if call[1] is None else operation.name
        count = used.get(base, 0)
        used[base] = count + 1
        names[call] = base if count == 0 else f"{base}#{count}"
    return names


def _kind(operation) -> str:
    layers = keras.layers
    kinds = [("conv", (layers.Conv1D, layers.Conv2D, layers.Conv2DTranspose, layers.DepthwiseConv2D,
                       layers.SeparableConv2D)),
             ("pool", (layers.MaxPooling1D, layers.MaxPooling2D, layers.AveragePooling1D, layers.AveragePooling2D,
                       layers.GlobalAveragePooling1D, layers.GlobalAveragePooling2D, layers.GlobalMaxPooling2D)),
             ("norm", (layers.BatchNormalization, layers.LayerNormalization)),
             ("activation", (layers.ReLU, layers.Activation, layers.Softmax)),
             ("merge", (layers.Add, layers.Concatenate, layers.Multiply, layers.Average, layers.Maximum)),
             ("dense", (layers.Dense,))]
    if not isinstance(operation, keras.Operation):
        return "input"
    return next((kind for kind, types in kinds if isinstance(operation, types)), "other")


def _label(call) -> str:
    """What a box says: the layer type and the settings that change its shape or its weights."""
    layers = keras.layers
    operation, node_index = call
    if node_index is None:
        return "Input"
    config = operation.get_config() if hasattr(operation, "get_config") else {}
    activation = _activation_suffix(config.get("activation"))
    if isinstance(operation, (layers.Conv1D, layers.Conv2D)) and not isinstance(operation, layers.Conv2DTranspose):
        text = f"Conv {_by(config['kernel_size'])}, {config['filters']}"
        text += _stride_suffix(config["strides"])
        if max(config.get("dilation_rate", (1,))) > 1:
            text += f", dilation {_by(config['dilation_rate'], square=True)}"
        if config.get("groups", 1) > 1:
            text += f", {config['groups']} groups"
        return text + activation
    if isinstance(operation, layers.DepthwiseConv2D):
        multiplier = config.get("depth_multiplier", 1)
        return (f"Depthwise {_by(config['kernel_size'])}" + (f", ×{multiplier}" if multiplier > 1 else "")
                + _stride_suffix(config["strides"]) + activation)
    if isinstance(operation, layers.SeparableConv2D):
        return f"Separable {_by(config['kernel_size'])}, {config['filters']}" + _stride_suffix(config["strides"]) + \
            activation
    if isinstance(operation, layers.Conv2DTranspose):
        return f"ConvTranspose {_by(config['kernel_size'])}, {config['filters']}" + \
            _stride_suffix(config["strides"]) + activation
    if isinstance(operation, (layers.MaxPooling2D, layers.AveragePooling2D, layers.MaxPooling1D,
                              layers.AveragePooling1D)):
        kind = "MaxPool" if "Max" in type(operation).__name__ else "AvgPool"
        strides = config["strides"] or config["pool_size"]
        text = f"{kind} {_by(config['pool_size'])}"
        return text + ("" if tuple(strides) == tuple(config["pool_size"]) else f", stride {_by(strides, square=True)}")
    if isinstance(operation, (layers.GlobalAveragePooling1D, layers.GlobalAveragePooling2D)):
        return "GlobalAvgPool"
    if isinstance(operation, layers.GlobalMaxPooling2D):
        return "GlobalMaxPool"
    if isinstance(operation, layers.BatchNormalization):
        return "BN"
    if isinstance(operation, layers.ReLU):
        return "ReLU"
    if isinstance(operation, layers.Activation):
        return _activation_suffix(config["activation"]).removeprefix(" + ") or "Linear"
    if isinstance(operation, layers.Dense):
        return f"Dense {config['units']}" + activation
    if isinstance(operation, layers.Dropout):
        return f"Dropout {config['rate']:g}"
    if isinstance(operation, layers.ZeroPadding2D):
        (top, bottom), (left, right) = config["padding"]
        return f"ZeroPad {top}" if len({top, bottom, left, right}) == 1 else f"ZeroPad {config['padding']}"
    if isinstance(operation, layers.Add):
        return "Add"
    if isinstance(operation, layers.Concatenate):
        return "Concatenate"
    if type(operation).__name__ == "GetItem":
        return f"Slice [{_key_text(operation._inbound_nodes[node_index].arguments.args[1])}]"
    return type(operation).__name__


def _activation_suffix(activation) -> str:
    if activation in (None, "linear"):
        return ""
    name = activation if isinstance(activation, str) else getattr(activation, "get", lambda *_: None)("class_name")
    return f" + {ACTIVATION_NAMES.get(str(name), str(name))}"


def _by(size, square: bool = False) -> str:
    """``(3, 3)`` -> ``'3×3'``; with ``square=True`` a square size prints as one number (strides)."""
    size = tuple(size)
    if square and len(set(size)) == 1:
        return str(size[0])
    return "×".join(str(n) for n in size)


def _stride_suffix(strides) -> str:
    return "" if max(strides) == 1 else f", stride {_by(strides, square=True)}"


def _key_text(key) -> str:
    """An indexing key as Python writes it: ``(Ellipsis, slice(0, 4))`` -> ``'..., 0:4'``."""
    parts = key if isinstance(key, tuple) else (key,)

    def one(part):
        if part is Ellipsis:
            return "..."
        if isinstance(part, slice):
            text = f"{'' if part.start is None else part.start}:{'' if part.stop is None else part.stop}"
            return text + ("" if part.step is None else f":{part.step}")
        return str(part)

    return ", ".join(one(part) for part in parts)


# ---------------------------------------------------------------- placing the boxes

def _rows(calls, parents):
    rows = {}
    for call in calls:
        rows[call] = 1 + max((rows[p] for p in parents[call]), default=-1)
    return rows


def _columns(calls, parents, rows):
    """A box continues the column of its first input; a second branch leaving a box opens a new column."""
    columns, handed_on, taken = {}, set(), set()
    for call in calls:
        feeding = parents[call]
        fresh = max(columns.values(), default=-1) + 1
        if len(feeding) > 1:
            column = columns[feeding[0]]
        elif feeding and feeding[0] not in handed_on:
            column = columns[feeding[0]]
            handed_on.add(feeding[0])
        else:
            column = fresh
        if (rows[call], column) in taken:
            column = fresh
        columns[call] = column
        taken.add((rows[call], column))
    return columns


def _positions(calls, parents, columns):
    """Horizontal positions: a fork or merge sits centred over the columns of its branches, and the
    plain boxes right below a centred merge (or right above a centred fork) follow it."""
    children = {call: [] for call in calls}
    for call in calls:
        for parent in parents[call]:
            children[parent].append(call)
    xs = {call: float(columns[call]) for call in calls}
    centred = set()
    for call in calls:
        spread = sorted({columns[c] for c in (parents[call] if len(parents[call]) > 1 else children[call])})
        if len(spread) > 1 and (len(parents[call]) > 1 or len(children[call]) > 1):
            xs[call] = sum(spread) / len(spread)
            centred.add(call)
    for call in calls:                    # down from a centred merge
        feeding = parents[call]
        if call not in centred and len(feeding) == 1 and feeding[0] in centred and len(children[feeding[0]]) == 1:
            xs[call] = xs[feeding[0]]
            centred.add(call)
    for call in reversed(calls):          # up from a centred fork
        below = children[call]
        if call not in centred and len(below) == 1 and below[0] in centred and len(parents[below[0]]) == 1:
            xs[call] = xs[below[0]]
            centred.add(call)
    return xs


def _jumps_over(source, target, calls, rows, xs) -> bool:
    return xs[source] == xs[target] and any(
        xs[other] == xs[source] and rows[source] < rows[other] < rows[target] for other in calls)


def _skip_lanes(diagram: Layout) -> dict:
    """How far left each skip edge bends: nested or overlapping skips get separate lanes."""
    lanes = {}
    spans = []
    for edge in sorted((e for e in diagram.edges if e.skip),
                       key=lambda e: diagram.box(e.target).row - diagram.box(e.source).row):
        top, bottom = diagram.box(edge.source).row, diagram.box(edge.target).row
        busy = {lane for (t, b, lane) in spans if t < bottom and top < b}
        lane = next(k for k in range(len(spans) + 1) if k not in busy)
        spans.append((top, bottom, lane))
        lanes[edge] = lane
    return lanes
