"""Efficient CNNs in a few lines of Keras: the cheap building blocks, then whole networks.

Like :mod:`course_utils.architectures`, every block is a function ``block(x, ...) -> tensor``
on Keras tensors (the functional API). The blocks trade a full ``k x k x C x K``
convolution for cheaper pieces:

- :func:`separable_block`: a depthwise ``k x k`` convolution (one filter per channel) and a
  ``1 x 1`` pointwise one: ``k²C + CK`` weights instead of ``k²CK`` (MobileNet);
- :func:`factorised_conv`: a ``5 x 5`` as two ``3 x 3``, or a ``k x k`` as ``k x 1`` then ``1 x k``;
- :func:`fire_module`: SqueezeNet's ``1 x 1`` squeeze and mixed ``1 x 1`` / ``3 x 3`` expand;
- :func:`inverted_residual`: MobileNetV2's expand - depthwise - linear projection, with a
  shortcut between the thin ends (and EfficientNet's squeeze-and-excitation, ``se_ratio``).

Where Keras ships the network, the parameter count agrees exactly::

    mobilenet_v2() == keras.applications.MobileNetV2(weights=None)     3,538,984

:func:`small_network` builds a small version of each idea for 28x28 grayscale images.

>>> import keras
>>> x = keras.Input((56, 56, 32))
>>> separable_block(x, 64).shape, fire_module(x, 16, 64, 64).shape
((None, 56, 56, 64), (None, 56, 56, 128))
>>> inverted_residual(x, 32).shape, inverted_residual(x, 64, stride=2).shape
((None, 56, 56, 32), (None, 28, 28, 64))
"""
from __future__ import annotations

import math
import numbers

import keras
from keras import layers

from course_utils.architectures import _check_count, _check_shape, _check_tensor, basic_block
from course_utils.shapes import receptive_field

IMAGENET_SHAPE = (224, 224, 3)
MOBILENET_V2_BLOCKS = (  # (expansion t, output channels c, repeats n, first stride s): Table 2 of Sandler et al. (2018)
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
)
SQUEEZENET_FIRES = {  # name: (squeeze, expand 1x1, expand 3x3), Table 1 of Iandola et al. (2016)
    "fire2": (16, 64, 64), "fire3": (16, 64, 64), "fire4": (32, 128, 128), "fire5": (32, 128, 128),
    "fire6": (48, 192, 192), "fire7": (48, 192, 192), "fire8": (64, 256, 256), "fire9": (64, 256, 256),
}
SMALL_KINDS = ("nin", "squeezenet", "mobilenet", "mobilenetv2", "efficientnet", "wide_resnet")
"""The names :func:`small_network` knows, in historical order."""
EFFICIENTNET_CONSTANTS = (1.2, 1.1, 1.15)
"""EfficientNet's searched ``(alpha, beta, gamma)``: depth, width and resolution per step of phi (Tan & Le, 2019)."""
BN_MOMENTUM = 0.5
"""Batch-norm momentum of the small networks (as in notebook 09: only ~50 training steps)."""


# ---------------------------------------------------------------- building blocks

def separable_block(x, filters: int, kernel_size: int = 3, stride: int = 1, batch_norm: bool = True):
    """MobileNet's block: depthwise ``k x k`` conv -> BN -> ReLU -> pointwise ``1 x 1`` conv -> BN -> ReLU.

    Without batch norm it is ``DepthwiseConv2D`` followed by a ``1 x 1`` ``Conv2D``, which is
    exactly what Keras' ``SeparableConv2D`` computes (with ReLUs after each part).

    >>> separable_block(keras.Input((112, 112, 32)), 64, stride=2).shape
    (None, 56, 56, 64)
    """
    _check_tensor(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride, padding="same", use_bias=not batch_norm)(x)
    if batch_norm:
        x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Conv2D(_check_count("filters", filters), 1, use_bias=not batch_norm)(x)
    if batch_norm:
        x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def factorised_conv(x, filters: int, kernel_size: int = 5, asymmetric: bool = False, activation="relu"):
    """A ``k x k`` convolution replaced by cheaper ones that see the same ``k x k`` window.

    ``asymmetric=False``: ``(k - 1) / 2`` stacked ``3 x 3`` convolutions (VGG, Inception v3:
    a 5x5 becomes two 3x3, 18 instead of 25 weights per channel pair). ``asymmetric=True``:
    a ``k x 1`` then a ``1 x k`` convolution (Inception v3: 6 instead of 9 for a 3x3).
    Every piece has ``filters`` outputs, 'same' padding and ``activation``.

    >>> m = keras.Sequential([keras.Input((9, 9, 1)), *factorised_layers(8, 5)])
    >>> [l.kernel_size for l in m.layers], stack_receptive_field(m)
    ([(3, 3), (3, 3)], (5, 5))
    """
    _check_tensor(x)
    for layer in factorised_layers(filters, kernel_size, asymmetric, activation):
        x = layer(x)
    return x


def factorised_layers(filters: int, kernel_size: int = 5, asymmetric: bool = False, activation="relu"):
    """The layers of :func:`factorised_conv`, as a list (for ``keras.Sequential``).

    >>> [l.kernel_size for l in factorised_layers(8, 3, asymmetric=True)]
    [(3, 1), (1, 3)]
    """
    filters = _check_count("filters", filters)
    if isinstance(kernel_size, bool) or not isinstance(kernel_size, numbers.Integral) or kernel_size < 3 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be an odd integer >= 3, got {kernel_size!r}")
    if asymmetric:
        shapes = [(kernel_size, 1), (1, kernel_size)]
    else:
        shapes = [(3, 3)] * ((kernel_size - 1) // 2)
    return [layers.Conv2D(filters, shape, padding="same", activation=activation) for shape in shapes]


def stack_receptive_field(model) -> tuple[int, int]:
    """Receptive field ``(height, width)`` of a chain of conv / pooling layers, one axis at a time.

    Uses :func:`course_utils.shapes.receptive_field` on each axis's kernel sizes, strides
    and dilations; layers without a window (BN, activations, ...) are skipped.

    >>> m = keras.Sequential([keras.Input((16, 16, 1)), layers.Conv2D(1, (3, 1)), layers.Conv2D(1, (1, 3))])
    >>> stack_receptive_field(m)
    (3, 3)
    """
    axes = ([], [])
    for layer in model.layers:
        size = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
        if size is None:
            continue
        strides = getattr(layer, "strides", None) or size
        dilation = getattr(layer, "dilation_rate", (1, 1))
        for axis in (0, 1):
            axes[axis].append((size[axis], strides[axis], dilation[axis]))
    if not axes[0]:
        return (1, 1)
    return tuple(receptive_field(axis)[-1][0] for axis in axes)


def fire_module(x, squeeze: int, expand1x1: int, expand3x3: int, batch_norm: bool = False):
    """SqueezeNet's fire module: a ``1 x 1`` squeeze to few channels, then ``1 x 1`` and ``3 x 3``
    expand branches side by side, concatenated (``expand1x1 + expand3x3`` channels out).

    Parameters: ``(C s + s) + (s e1 + e1) + (9 s e3 + e3)`` for ``C`` input channels.

    >>> fire_module(keras.Input((55, 55, 96)), 16, 64, 64).shape      # SqueezeNet's fire2
    (None, 55, 55, 128)
    """
    _check_tensor(x)

    def conv(t, filters, size):
        t = layers.Conv2D(_check_count("filters", filters), size, padding="same", use_bias=not batch_norm)(t)
        if batch_norm:
            t = layers.BatchNormalization()(t)
        return layers.ReLU()(t)

    s = conv(x, squeeze, 1)
    return layers.Concatenate()([conv(s, expand1x1, 1), conv(s, expand3x3, 3)])


def squeeze_excite(x, reduced: int, activation="swish"):
    """Squeeze-and-excitation: global average pool -> ``1 x 1`` conv to ``reduced`` -> ``1 x 1``
    conv back -> sigmoid, then every channel of ``x`` multiplied by its weight.

    >>> squeeze_excite(keras.Input((14, 14, 96)), 4).shape
    (None, 14, 14, 96)
    """
    _check_tensor(x)
    channels = x.shape[-1]
    w = layers.GlobalAveragePooling2D(keepdims=True)(x)
    w = layers.Conv2D(_check_count("reduced", reduced), 1, activation=activation)(w)
    w = layers.Conv2D(channels, 1, activation="sigmoid")(w)
    return layers.Multiply()([x, w])


def inverted_residual(x, filters: int, expansion: int = 6, stride: int = 1, kernel_size: int = 3,
                      se_ratio: float | None = None, activation=None, momentum: float = 0.99):
    """MobileNetV2's inverted residual with a linear bottleneck (EfficientNet's MBConv with ``se_ratio``).

    ``1 x 1`` expand to ``expansion * C`` (skipped when ``expansion == 1``) -> BN -> ReLU6 ->
    depthwise ``k x k`` (stride ``stride``) -> BN -> ReLU6 -> ``1 x 1`` project to ``filters`` -> BN,
    with **no** activation after the projection (the linear bottleneck), and ``x`` added back
    when the shapes allow (stride 1, ``filters == C``). ``se_ratio`` inserts a squeeze-and-excite
    of ``max(1, int(C * se_ratio))`` channels after the depthwise conv (EfficientNet's
    MBConv, where ``activation="swish"``).

    >>> inverted_residual(keras.Input((56, 56, 24)), 24).shape
    (None, 56, 56, 24)
    """
    _check_tensor(x)
    act = activation or (lambda: layers.ReLU(6.0))
    if isinstance(act, str):
        act = (lambda name: lambda: layers.Activation(name))(act)
    channels = x.shape[-1]
    y = x
    if _check_count("expansion", expansion) != 1:
        y = layers.Conv2D(expansion * channels, 1, use_bias=False)(y)
        y = act()(layers.BatchNormalization(momentum=momentum)(y))
    y = layers.DepthwiseConv2D(kernel_size, strides=stride, padding="same", use_bias=False)(y)
    y = act()(layers.BatchNormalization(momentum=momentum)(y))
    if se_ratio:
        y = squeeze_excite(y, max(1, int(channels * se_ratio)), activation=activation or "relu")
    y = layers.Conv2D(_check_count("filters", filters), 1, use_bias=False)(y)
    y = layers.BatchNormalization(momentum=momentum)(y)      # linear: no activation here
    if stride == 1 and filters == channels:
        y = layers.Add()([x, y])
    return y


# ---------------------------------------------------------------- whole networks

def make_divisible(value: float, divisor: int = 8) -> int:
    """Round a channel count to a multiple of ``divisor``, never more than 10 % down (MobileNetV2's rule).

    >>> make_divisible(32 * 0.75), make_divisible(16 * 0.35), make_divisible(100)
    (24, 8, 104)
    """
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def compound_scaling(phi: float, alpha: float = 1.2, beta: float = 1.1, gamma: float = 1.15):
    """EfficientNet's compound scaling: ``(depth, width, resolution, FLOPs)`` multipliers for coefficient ``phi``.

    Depth, width and resolution grow as ``alpha ** phi``, ``beta ** phi`` and ``gamma ** phi``;
    a convolution's multiply-adds grow like depth x width² x resolution², so the FLOPs
    multiplier is ``(alpha beta² gamma²) ** phi`` (about ``2 ** phi`` with the searched constants).

    >>> [round(m, 4) for m in compound_scaling(1)]
    [1.2, 1.1, 1.15, 1.9203]
    """
    if isinstance(phi, bool) or not isinstance(phi, numbers.Real) or phi < 0:
        raise ValueError(f"phi must be a number >= 0, got {phi!r}")
    depth, width, resolution = alpha ** phi, beta ** phi, gamma ** phi
    return depth, width, resolution, depth * width ** 2 * resolution ** 2


def round_repeats(repeats: int, depth: float) -> int:
    """Layers of a stage after scaling its depth: rounded **up**, as EfficientNet does.

    >>> round_repeats(3, 1.2 ** 2)      # 4.32 -> 5
    5
    """
    return int(math.ceil(depth * _check_count("repeats", repeats)))


def mobilenet_v2(input_shape=IMAGENET_SHAPE, classes: int = 1000, alpha: float = 1.0, name: str | None = None):
    """MobileNetV2 (Sandler et al., 2018): a 3x3 stem, 17 inverted residuals, a 1x1 conv to 1280, GAP, dense.

    ``alpha`` scales every layer's width (rounded with :func:`make_divisible`).

    >>> mobilenet_v2().count_params()
    3538984
    """
    inputs = keras.Input(_check_shape(input_shape))
    x = layers.Conv2D(make_divisible(32 * alpha), 3, strides=2, padding="same", use_bias=False)(inputs)
    x = layers.ReLU(6.0)(layers.BatchNormalization()(x))
    for t, c, n, s in MOBILENET_V2_BLOCKS:
        for i in range(n):
            x = inverted_residual(x, make_divisible(c * alpha), expansion=t, stride=s if i == 0 else 1)
    x = layers.Conv2D(max(1280, make_divisible(1280 * alpha)), 1, use_bias=False)(x)
    x = layers.ReLU(6.0)(layers.BatchNormalization()(x))
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(_check_count("classes", classes), activation="softmax")(x)
    return keras.Model(inputs, outputs, name=name or f"mobilenetv2_{alpha:g}")


def squeezenet(input_shape=IMAGENET_SHAPE, classes: int = 1000, name: str = "squeezenet"):
    """SqueezeNet 1.0 (Iandola et al., 2016): AlexNet's accuracy with eight fire modules, no dense layer.

    The classifier is a ``1 x 1`` convolution to ``classes`` maps and a global average pool
    (Network in Network's head).

    >>> squeezenet().count_params()
    1248424
    """
    inputs = keras.Input(_check_shape(input_shape))
    x = layers.Conv2D(96, 7, strides=2, activation="relu")(inputs)
    for fire, sizes in SQUEEZENET_FIRES.items():
        if fire in ("fire2", "fire4", "fire8"):
            x = layers.MaxPooling2D(3, strides=2)(x)
        x = fire_module(x, *sizes)
    x = layers.Dropout(0.5)(x)
    x = layers.Conv2D(_check_count("classes", classes), 1, activation="relu")(x)
    outputs = layers.Softmax()(layers.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, outputs, name=name)


def wide_resnet(depth: int = 28, width: int = 10, input_shape=(32, 32, 3), classes: int = 10, name: str | None = None):
    """Wide ResNet WRN-``depth``-``width`` for CIFAR (Zagoruyko & Komodakis, 2016), pre-activation blocks.

    A 3x3 stem of 16 filters, then three groups of ``(depth - 4) / 6`` basic blocks with
    ``16 width``, ``32 width`` and ``64 width`` filters (the last two start with stride 2),
    BN-ReLU, global average pooling and a dense classifier. Widening by ``width``
    multiplies the weights of every 3x3 layer by ``width ** 2``; depth only adds blocks.

    >>> wide_resnet(16, 8).count_params()
    10968570
    """
    if isinstance(depth, bool) or not isinstance(depth, numbers.Integral) or depth < 10 or (depth - 4) % 6:
        raise ValueError(f"depth must be 6 n + 4 (10, 16, 22, 28, 40, ...), got {depth!r}")
    blocks, width = (depth - 4) // 6, _check_count("width", width)
    inputs = keras.Input(_check_shape(input_shape))
    x = layers.Conv2D(16, 3, padding="same", use_bias=False)(inputs)
    for group, filters in enumerate((16 * width, 32 * width, 64 * width)):
        for b in range(blocks):
            stride = 2 if group > 0 and b == 0 else 1
            y = layers.ReLU()(layers.BatchNormalization()(x))
            shortcut = x if x.shape[-1] == filters and stride == 1 else layers.Conv2D(
                filters, 1, strides=stride, use_bias=False)(y)
            y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(y)
            y = layers.ReLU()(layers.BatchNormalization()(y))
            y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
            x = layers.Add()([shortcut, y])
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(_check_count("classes", classes), activation="softmax")(x)
    return keras.Model(inputs, outputs, name=name or f"wrn_{depth}_{width}")


# ---------------------------------------------------------------- small versions to train

def small_network(kind: str, input_shape=(28, 28, 1), classes: int = 10, name: str | None = None):
    """A small version of each efficient design for 28x28 images, the budget of notebook 09's.

    ``kind`` is one of :data:`SMALL_KINDS`; ``name`` defaults to ``"small_<kind>"``.
    Every network ends with global average pooling; batch norm uses ``momentum=0.5``
    (see :func:`course_utils.architectures.small_network`).

    >>> [small_network(k).count_params() for k in ("nin", "mobilenet")]
    [30498, 22522]
    >>> small_network("squeezenet", name="mine").name
    'mine'
    """
    builders = {"nin": small_nin, "squeezenet": small_squeezenet, "mobilenet": small_mobilenet,
                "mobilenetv2": small_mobilenet_v2, "efficientnet": small_efficientnet, "wide_resnet": small_wide_resnet}
    if kind not in builders:
        raise ValueError(f"kind must be one of {SMALL_KINDS}, got {kind!r}")
    return builders[kind](input_shape, classes, name=name or f"small_{kind}")


def _stem(inputs, filters):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(inputs)
    return layers.ReLU()(layers.BatchNormalization()(x))


def _finish(inputs, x, classes, name, dense_head=True):
    if dense_head:
        x = layers.GlobalAveragePooling2D()(x)
        outputs = layers.Dense(_check_count("classes", classes), activation="softmax")(x)
    else:
        outputs = layers.Softmax()(layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, outputs, name=name)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.momentum = BN_MOMENTUM
    return model


def small_nin(input_shape=(28, 28, 1), classes: int = 10, name: str = "small_nin"):
    """Network in Network: each 3x3 conv followed by two 1x1 convs (a tiny MLP per pixel); the last
    1x1 conv has one map per class and global average pooling replaces the dense classifier.

    >>> small_nin().layers[-1].__class__.__name__
    'Softmax'
    """
    inputs = keras.Input(_check_shape(input_shape))
    x = inputs
    for filters, pool in ((24, True), (32, True), (48, False)):
        x = _stem(x, filters)
        for _ in range(2):
            x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(filters, 1, use_bias=False)(x)))
        if pool:
            x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(_check_count("classes", classes), 1)(x)
    return _finish(inputs, x, classes, name, dense_head=False)


def small_squeezenet(input_shape=(28, 28, 1), classes: int = 10, name: str = "small_squeezenet"):
    """Fire modules (with batch norm) between max-pools, and SqueezeNet's 1x1-conv + GAP classifier.

    >>> small_squeezenet().output.shape
    (None, 10)
    """
    inputs = keras.Input(_check_shape(input_shape))
    x = layers.MaxPooling2D(2)(_stem(inputs, 32))
    x = fire_module(x, 8, 32, 32, batch_norm=True)
    x = fire_module(x, 8, 32, 32, batch_norm=True)
    x = layers.MaxPooling2D(2)(x)
    x = fire_module(x, 16, 48, 48, batch_norm=True)
    x = layers.Conv2D(_check_count("classes", classes), 1)(x)
    return _finish(inputs, x, classes, name, dense_head=False)


def small_mobilenet(input_shape=(28, 28, 1), classes: int = 10, name: str = "small_mobilenet"):
    """MobileNet (v1): a 3x3 stem, then depthwise-separable blocks doubling the width at each stride 2.

    >>> small_mobilenet().count_params()
    22522
    """
    inputs = keras.Input(_check_shape(input_shape))
    x = layers.MaxPooling2D(2)(_stem(inputs, 24))
    for filters, stride in ((48, 1), (48, 1), (96, 2), (96, 1)):
        x = separable_block(x, filters, stride=stride)
    return _finish(inputs, x, classes, name)


def small_mobilenet_v2(input_shape=(28, 28, 1), classes: int = 10, name: str = "small_mobilenetv2"):
    """MobileNetV2: inverted residuals (expansion 4) with linear bottlenecks, then a wide 1x1 conv.

    >>> small_mobilenet_v2().output.shape
    (None, 10)
    """
    inputs = keras.Input(_check_shape(input_shape))
    x = layers.MaxPooling2D(2)(_stem(inputs, 24))
    for filters, expansion, stride in ((16, 1, 1), (24, 4, 1), (24, 4, 1), (48, 4, 2), (48, 4, 1)):
        x = inverted_residual(x, filters, expansion=expansion, stride=stride)
    x = layers.Conv2D(128, 1, use_bias=False)(x)
    x = layers.ReLU(6.0)(layers.BatchNormalization()(x))
    return _finish(inputs, x, classes, name)


def small_efficientnet(input_shape=(28, 28, 1), classes: int = 10, name: str = "small_efficientnet"):
    """EfficientNet's MBConv: inverted residuals with squeeze-and-excitation (ratio 1/4) and swish.

    >>> small_efficientnet().output.shape
    (None, 10)
    """
    inputs = keras.Input(_check_shape(input_shape))
    x = layers.MaxPooling2D(2)(_stem(inputs, 24))
    for filters, expansion, stride in ((16, 1, 1), (24, 4, 1), (24, 4, 1), (48, 4, 2), (48, 4, 1)):
        x = inverted_residual(x, filters, expansion=expansion, stride=stride, se_ratio=0.25, activation="swish")
    x = layers.Conv2D(128, 1, use_bias=False)(x)
    x = layers.Activation("swish")(layers.BatchNormalization()(x))
    return _finish(inputs, x, classes, name)


def small_wide_resnet(input_shape=(28, 28, 1), classes: int = 10, name: str = "small_wide_resnet",
                      filters: int = 36):
    """Wide ResNet's trade, small: notebook 09's small ResNet has two basic blocks (24, then 48 filters
    with stride 2); this one has a single, 1.5 times wider block (36 -> 72 filters, stride 2):
    half the residual depth for about the same multiply-adds.

    >>> small_wide_resnet().count_params()
    74638
    """
    inputs = keras.Input(_check_shape(input_shape))
    x = layers.MaxPooling2D(2)(_stem(inputs, _check_count("filters", filters)))
    x = basic_block(x, 2 * filters, stride=2)
    return _finish(inputs, x, classes, name)
