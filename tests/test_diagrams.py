"""course_utils.diagrams: the layout read from each architecture block, label by label, and its drawing."""
import matplotlib

matplotlib.use("Agg")

import pytest

import course_utils  # noqa: F401  (quiet TensorFlow before Keras loads it)
import keras
from keras import layers

from course_utils import architectures as arch
from course_utils.diagrams import block, branches, draw, layout


def merges(diagram):
    return [box for box in diagram.boxes if box.kind == "merge"]


def test_vgg_stack_as_sequential_is_one_column():
    stack = keras.Sequential([keras.Input((32, 32, 3)), layers.Conv2D(64, 3, padding="same", activation="relu"),
                              layers.Conv2D(64, 3, padding="same", activation="relu"), layers.MaxPooling2D(2)])
    diagram = layout(stack)
    assert [(box.label, box.shape, box.row, box.column, box.x) for box in diagram.boxes] == [
        ("Input", (32, 32, 3), 0, 0, 0.0), ("Conv 3×3, 64 + ReLU", (32, 32, 64), 1, 0, 0.0),
        ("Conv 3×3, 64 + ReLU", (32, 32, 64), 2, 0, 0.0), ("MaxPool 2×2", (16, 16, 64), 3, 0, 0.0)]
    names = [box.name for box in diagram.boxes]
    assert [(e.source, e.target, e.skip) for e in diagram.edges] == [(a, b, False) for a, b in zip(names, names[1:])]


def test_vgg_block_from_the_builder_matches_the_sequential_stack():
    diagram = layout(block(arch.vgg_block, (224, 224, 3), 64, convs=3))
    assert [box.label for box in diagram.boxes] == ["Input"] + ["Conv 3×3, 64 + ReLU"] * 3 + ["MaxPool 2×2"]
    assert {box.column for box in diagram.boxes} == {0} and diagram.boxes[-1].shape == (112, 112, 64)
    assert [box.params for box in diagram.boxes] == [0, 1_792, 36_928, 36_928, 0]


def test_inception_module_has_four_branches_into_one_concatenate():
    diagram = layout(block(arch.inception_module, (28, 28, 192), *arch.GOOGLENET_MODULES["3a"]))
    [concat] = merges(diagram)
    assert concat.label == "Concatenate" and concat.shape == (28, 28, 256)
    assert branches(diagram, concat.name) == [
        ["Conv 1×1, 64 + ReLU"],
        ["Conv 1×1, 96 + ReLU", "Conv 3×3, 128 + ReLU"],
        ["Conv 1×1, 16 + ReLU", "Conv 5×5, 32 + ReLU"],
        ["MaxPool 3×3, stride 1", "Conv 1×1, 32 + ReLU"]]
    assert [diagram.box(name).column for name in diagram.inputs_of(concat.name)] == [0, 1, 2, 3]
    assert diagram.box("input").x == concat.x == 1.5 and concat.row == 3
    assert not any(edge.skip for edge in diagram.edges)
    assert len(diagram.outputs_of("input")) == 4


def test_basic_block_has_one_skip_edge_into_the_add():
    diagram = layout(block(arch.basic_block, (56, 56, 64), 64))
    assert [box.label for box in diagram.boxes] == ["Input", "Conv 3×3, 64", "BN", "ReLU", "Conv 3×3, 64", "BN",
                                                    "Add", "ReLU"]
    [add] = merges(diagram)
    assert [(e.source, e.target) for e in diagram.edges if e.skip] == [("input", add.name)]
    assert branches(diagram, add.name) == [[], ["Conv 3×3, 64", "BN", "ReLU", "Conv 3×3, 64", "BN"]]
    assert {box.column for box in diagram.boxes} == {0}


def test_basic_block_with_a_projection_puts_the_shortcut_beside_the_main_path():
    diagram = layout(block(arch.basic_block, (56, 56, 64), 128, stride=2))
    [add] = merges(diagram)
    assert branches(diagram, add.name) == [["Conv 1×1, 128, stride 2", "BN"],
                                           ["Conv 3×3, 128, stride 2", "BN", "ReLU", "Conv 3×3, 128", "BN"]]
    assert not any(edge.skip for edge in diagram.edges)
    assert (diagram.box("input").x, add.x, diagram.boxes[-1].x) == (0.5, 0.5, 0.5)   # centred over both paths
    assert diagram.boxes[-1].shape == (28, 28, 128)


def test_bottleneck_is_1x1_3x3_1x1():
    diagram = layout(block(arch.bottleneck_block, (56, 56, 256), 64))
    [add] = merges(diagram)
    shortcut, main = branches(diagram, add.name)
    assert shortcut == [] and [label for label in main if label.startswith("Conv")] == [
        "Conv 1×1, 64", "Conv 3×3, 64", "Conv 1×1, 256"]
    assert [box.shape[-1] for box in diagram.boxes if box.kind == "conv"] == [64, 64, 256]


def test_resnext_block_shows_its_groups():
    diagram = layout(block(arch.resnext_block, (56, 56, 256), 64))
    assert [box.label for box in diagram.boxes if box.kind == "conv"] == [
        "Conv 1×1, 128", "Conv 3×3, 128, 32 groups", "Conv 1×1, 256"]
    assert [box.params for box in diagram.boxes if box.kind == "conv"] == [32_768, 4_608, 32_768]


def test_grouped_conv_as_paths_is_one_column_per_group():
    diagram = layout(block(arch.grouped_conv2d, (28, 28, 16), 16, 3, groups=4))
    [concat] = merges(diagram)
    assert branches(diagram, concat.name) == [[f"Slice [..., {4 * g}:{4 * g + 4}]", "Conv 3×3, 4"] for g in range(4)]
    assert sorted({box.column for box in diagram.boxes if box.kind == "conv"}) == [0, 1, 2, 3]


def test_dense_block_concatenates_every_earlier_map():
    diagram = layout(block(arch.dense_block, (56, 56, 64), 3, growth_rate=32))
    concats = merges(diagram)
    assert [box.shape[-1] for box in concats] == [96, 128, 160]
    sources = ["input"] + [box.name for box in concats[:-1]]
    assert [(e.source, e.target) for e in diagram.edges if e.skip] == [(s, c.name) for s, c in zip(sources, concats)]
    for concat in concats:
        assert branches(diagram, concat.name) == [[], ["BN", "ReLU", "Conv 1×1, 128", "BN", "ReLU", "Conv 3×3, 32"]]


def test_transition_layer_labels():
    diagram = layout(block(arch.transition_layer, (56, 56, 256)))
    assert [(box.label, box.shape) for box in diagram.boxes] == [
        ("Input", (56, 56, 256)), ("BN", (56, 56, 256)), ("ReLU", (56, 56, 256)), ("Conv 1×1, 128", (56, 56, 128)),
        ("AvgPool 2×2", (28, 28, 128))]


def test_whole_network_labels():
    diagram = layout(arch.first_cnn())
    assert [box.label for box in diagram.boxes] == [
        "Input", "Conv 3×3, 32 + ReLU", "MaxPool 2×2", "Conv 3×3, 64 + ReLU", "MaxPool 2×2", "Flatten",
        "Dense 128 + ReLU", "Dense 1 + Sigmoid"]
    assert sum(box.params for box in diagram.boxes) == 1_625_281


def test_other_layer_settings_in_labels():
    inputs = keras.Input((16, 16, 3))
    x = layers.ZeroPadding2D(2)(inputs)
    x = layers.Conv2D(8, 5, strides=2, activation="relu")(x)
    x = layers.Conv2D(8, 3, dilation_rate=2, padding="same")(x)
    x = layers.Conv2DTranspose(4, 2, strides=2)(x)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = layers.Activation("tanh")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    assert [box.label for box in layout(keras.Model(inputs, outputs)).boxes] == [
        "Input", "ZeroPad 2", "Conv 5×5, 8, stride 2 + ReLU", "Conv 3×3, 8, dilation 2", "ConvTranspose 2×2, 4, stride 2",
        "MaxPool 3×3, stride 2", "Tanh", "GlobalAvgPool", "Dropout 0.5", "Dense 10 + Softmax"]


def test_shared_layers_and_several_inputs_get_their_own_boxes():
    a, b = keras.Input((4,)), keras.Input((4,))
    shared = layers.Dense(3)
    diagram = layout(keras.Model([a, b], layers.Add()([shared(a), shared(b)])))
    assert [box.name for box in diagram.boxes] == ["input", shared.name, "input#1", f"{shared.name}#1",
                                                   diagram.boxes[-1].name]
    assert [box.column for box in diagram.boxes] == [0, 0, 1, 1, 0]


def test_no_two_boxes_share_a_place():
    a, b = keras.Input((4,)), keras.Input((4,))
    diagram = layout(keras.Model([a, b], [layers.ReLU()(a), layers.Add()([a, b])]))
    places = [(box.row, box.column) for box in diagram.boxes]
    assert len(places) == len(set(places)) == 4


def test_draw_writes_every_box_and_bends_the_skip_edge():
    fig = draw(block(arch.basic_block, (8, 8, 16), 16), title="basic block")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == [
        "Input\n8×8×16", "Conv 3×3, 16\n8×8×16", "BN\n8×8×16", "ReLU\n8×8×16", "Conv 3×3, 16\n8×8×16", "BN\n8×8×16",
        "Add\n8×8×16", "ReLU\n8×8×16"]
    assert len(ax.lines) == 1 and len(ax.lines[0].get_xdata()) == 3     # the shortcut: left, down, (arrow) right
    assert ax.get_title() == "basic block"


def test_errors_are_one_line():
    with pytest.raises(TypeError, match="expected a built keras.Model .* got str"):
        layout("resnet")
    with pytest.raises(ValueError, match="has no inputs and outputs yet: build it from a keras.Input"):
        layout(keras.Sequential([layers.Dense(2)]))
    with pytest.raises(KeyError, match="no box named 'nope'"):
        branches(layout(block(arch.transition_layer, (8, 8, 4))), "nope")
    with pytest.raises(TypeError, match="builder must be a block function"):
        block("vgg_block", (8, 8, 3))


def test_depthwise_and_separable_convolutions_say_their_kernel_and_stride():
    x = keras.Input((16, 16, 8))
    y = keras.layers.DepthwiseConv2D(3, strides=2, padding="same")(x)
    y = keras.layers.DepthwiseConv2D(5, depth_multiplier=2, padding="same", activation="relu")(y)
    y = keras.layers.SeparableConv2D(12, 3, padding="same")(y)
    labels = [box.label for box in layout(keras.Model(x, y)).boxes]
    assert labels == ["Input", "Depthwise 3×3, stride 2", "Depthwise 5×5, ×2 + ReLU", "Separable 3×3, 12"]
