"""Classic CNN architectures in a few lines of Keras: the building blocks, then whole networks.

Every block is a function ``block(x, ...) -> tensor`` on Keras tensors (the functional
API), so each network below is its stem, a loop over blocks and a classifier head. The
full networks are built at ImageNet size (224x224x3, 1000 classes) to count their
parameters and multiply-adds; they are far too big to train on a laptop. For training,
:func:`small_network` builds a small version of each idea for 28x28 grayscale images.

Where Keras ships the same network the parameter counts agree exactly::

    vgg16()                     == keras.applications.VGG16(weights=None)        138,357,544
    resnet(50, conv_bias=True)  == keras.applications.ResNet50(weights=None)      25,636,712
    densenet()                  == keras.applications.DenseNet121(weights=None)    8,062,504

>>> import keras
>>> x = keras.Input((56, 56, 64))
>>> basic_block(x, 64).shape, bottleneck_block(x, 64).shape
((None, 56, 56, 64), (None, 56, 56, 256))
>>> inception_module(keras.Input((28, 28, 192)), 64, 96, 128, 16, 32, 32).shape    # GoogLeNet 3a
(None, 28, 28, 256)
"""
from __future__ import annotations

import numbers

import keras
from keras import layers

IMAGENET_SHAPE = (224, 224, 3)
RESNET_STAGES = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}
"""ResNet depth -> (block kind, blocks per stage), Table 1 of He et al. (2016)."""
SMALL_KINDS = ("lenet", "alexnet", "vgg", "googlenet", "resnet", "resnext", "densenet")
"""The names :func:`small_network` knows, in historical order."""


# ---------------------------------------------------------------- building blocks

def vgg_block(x, filters: int, convs: int):
    """VGG: ``convs`` 3x3 convolutions (stride 1, 'same') then a 2x2 max-pool that halves the size.

    >>> vgg_block(keras.Input((224, 224, 3)), 64, convs=2).shape
    (None, 112, 112, 64)
    """
    _check_tensor(x)
    for _ in range(_check_count("convs", convs)):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    return layers.MaxPooling2D(2, strides=2)(x)


def inception_module(x, f1: int, f3_reduce: int, f3: int, f5_reduce: int, f5: int, pool_proj: int):
    """GoogLeNet's Inception module (v1): four parallel branches, concatenated along channels.

    The cheap 1x1 convolutions (``f3_reduce``, ``f5_reduce``) shrink the channels before
    the expensive 3x3 and 5x5 ones; ``pool_proj`` 1x1 filters follow a 3x3 max-pool.
    Output channels: ``f1 + f3 + f5 + pool_proj``.

    >>> inception_module(keras.Input((14, 14, 480)), 192, 96, 208, 16, 48, 64).shape   # 4a
    (None, 14, 14, 512)
    """
    _check_tensor(x)

    def conv(t, filters, size):
        return layers.Conv2D(filters, size, padding="same", activation="relu")(t)

    branch1 = conv(x, f1, 1)
    branch3 = conv(conv(x, f3_reduce, 1), f3, 3)
    branch5 = conv(conv(x, f5_reduce, 1), f5, 5)
    branch_pool = conv(layers.MaxPooling2D(3, strides=1, padding="same")(x), pool_proj, 1)
    return layers.Concatenate()([branch1, branch3, branch5, branch_pool])


def basic_block(x, filters: int, stride: int = 1, conv_bias: bool = False, shortcut: bool = True):
    """ResNet-18/34 residual block: ``relu(F(x) + shortcut(x))`` with F = two 3x3 conv + BN.

    ``shortcut=False`` is the *plain* block of He et al.'s comparison: the same layers, ``relu(F(x))``.

    >>> basic_block(keras.Input((56, 56, 64)), 128, stride=2).shape
    (None, 28, 28, 128)
    """
    _check_tensor(x)
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=conv_bias)(x)
    y = layers.ReLU()(layers.BatchNormalization()(y))
    y = layers.Conv2D(filters, 3, padding="same", use_bias=conv_bias)(y)
    y = layers.BatchNormalization()(y)
    if not shortcut:
        return layers.ReLU()(y)
    return layers.ReLU()(layers.Add()([_shortcut(x, filters, stride, conv_bias), y]))


def bottleneck_block(x, filters: int, stride: int = 1, groups: int = 1, width: int | None = None,
                     conv_bias: bool = False, stride_on_3x3: bool = False, split_paths: bool = False):
    """ResNet-50/101/152 residual block: 1x1 reduce to ``width`` -> 3x3 -> 1x1 expand to ``4 * filters``.

    ``width`` defaults to ``filters``. With ``groups > 1`` the 3x3 is a grouped
    convolution: that is the ResNeXt block (see :func:`resnext_block`). The original
    ResNet (and Keras) strides the first 1x1; ``stride_on_3x3=True`` strides the 3x3
    instead (ResNeXt, and torchvision's "ResNet v1.5"): same parameters, more multiply-adds.
    ``split_paths=True`` builds the grouped 3x3 with :func:`grouped_conv2d` (same result,
    faster to train on a CPU).

    >>> bottleneck_block(keras.Input((56, 56, 256)), 128, stride=2).shape
    (None, 28, 28, 512)
    """
    _check_tensor(x)
    width = width or filters
    first_stride, middle_stride = (1, stride) if stride_on_3x3 else (stride, 1)
    shortcut = _shortcut(x, 4 * filters, stride, conv_bias)
    y = layers.Conv2D(width, 1, strides=first_stride, use_bias=conv_bias)(x)
    y = layers.ReLU()(layers.BatchNormalization()(y))
    if split_paths:
        y = grouped_conv2d(y, width, 3, groups, strides=middle_stride, use_bias=conv_bias)
    else:
        y = layers.Conv2D(width, 3, strides=middle_stride, padding="same", groups=groups, use_bias=conv_bias)(y)
    y = layers.ReLU()(layers.BatchNormalization()(y))
    y = layers.Conv2D(4 * filters, 1, use_bias=conv_bias)(y)
    y = layers.BatchNormalization()(y)
    return layers.ReLU()(layers.Add()([shortcut, y]))


def grouped_conv2d(x, filters: int, kernel_size, groups: int, strides: int = 1, use_bias: bool = False):
    """A grouped convolution written out as parallel paths: split, transform, merge.

    The input channels are cut into ``groups`` equal slices; each slice gets its own
    ``filters // groups`` filters; the outputs are concatenated. It equals
    ``Conv2D(filters, kernel_size, padding="same", groups=groups)`` (same weights, same
    result) but trains much faster on a CPU, where TensorFlow's grouped kernel is slow.

    >>> grouped_conv2d(keras.Input((28, 28, 128)), 128, 3, groups=32).shape
    (None, 28, 28, 128)
    """
    _check_tensor(x)
    channels = x.shape[-1]
    if channels % groups or filters % groups:
        raise ValueError(f"groups={groups} must divide the input channels ({channels}) and filters ({filters})")
    size = channels // groups
    paths = [layers.Conv2D(filters // groups, kernel_size, strides=strides, padding="same", use_bias=use_bias)(
        x[..., g * size:(g + 1) * size]) for g in range(groups)]
    return layers.Concatenate()(paths) if groups > 1 else paths[0]


def _shortcut(x, channels, stride, conv_bias):
    """Identity when the shapes match, else a strided 1x1 projection + BN (the paper's option B)."""
    if stride == 1 and x.shape[-1] == channels:
        return x
    shortcut = layers.Conv2D(channels, 1, strides=stride, use_bias=conv_bias)(x)
    return layers.BatchNormalization()(shortcut)


def resnext_block(x, filters: int, cardinality: int = 32, base_width: int = 4, stride: int = 1,
                  conv_bias: bool = False):
    """ResNeXt block (split-transform-merge): a bottleneck whose 3x3 is split into ``cardinality`` groups.

    Each group is one of the paper's parallel paths; its width is ``base_width`` at
    ``filters = 64`` and doubles with ``filters`` (32x4d: 128 channels in 32 groups of 4).

    >>> resnext_block(keras.Input((56, 56, 64)), 64).shape
    (None, 56, 56, 256)
    """
    width = cardinality * base_width * filters // 64
    return bottleneck_block(x, filters, stride=stride, groups=cardinality, width=width,
                            conv_bias=conv_bias, stride_on_3x3=True)


def dense_layer(x, growth_rate: int, bottleneck: int = 4):
    """DenseNet-BC layer: BN-ReLU-1x1 conv (``bottleneck * k``), BN-ReLU-3x3 conv (``k``), then
    concatenate the ``k = growth_rate`` new channels to everything that came before.

    >>> dense_layer(keras.Input((56, 56, 64)), 32).shape
    (None, 56, 56, 96)
    """
    _check_tensor(x)
    y = layers.ReLU()(layers.BatchNormalization()(x))
    y = layers.Conv2D(bottleneck * growth_rate, 1, use_bias=False)(y)
    y = layers.ReLU()(layers.BatchNormalization()(y))
    y = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False)(y)
    return layers.Concatenate()([x, y])


def dense_block(x, num_layers: int, growth_rate: int = 32):
    """``num_layers`` dense layers: channels grow from ``c`` to ``c + num_layers * growth_rate``.

    >>> dense_block(keras.Input((56, 56, 64)), 6).shape       # DenseNet-121's first block
    (None, 56, 56, 256)
    """
    for _ in range(_check_count("num_layers", num_layers)):
        x = dense_layer(x, growth_rate)
    return x


def transition_layer(x, compression: float = 0.5):
    """Between dense blocks: BN-ReLU-1x1 conv keeping ``compression`` of the channels, 2x2 average pool.

    >>> transition_layer(keras.Input((56, 56, 256))).shape
    (None, 28, 28, 128)
    """
    _check_tensor(x)
    if not 0 < compression <= 1:
        raise ValueError(f"compression must be in (0, 1], got {compression}")
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Conv2D(int(x.shape[-1] * compression), 1, use_bias=False)(x)
    return layers.AveragePooling2D(2, strides=2)(x)


# ---------------------------------------------------------------- whole networks

def first_cnn(input_shape=(64, 64, 3)):
    """The lecture's first Keras CNN: two conv/max-pool stages, a 128-unit layer, one sigmoid output.

    >>> first_cnn().count_params()
    1625281
    """
    inputs = keras.Input(_check_shape(input_shape))
    x = layers.Conv2D(32, (3, 3), activation="relu")(inputs)
    x = layers.MaxPooling2D(pool_size=(2, 2))(x)
    x = layers.Conv2D(64, (3, 3), activation="relu")(x)
    x = layers.MaxPooling2D(pool_size=(2, 2))(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name="first_cnn")


def alexnet(input_shape=IMAGENET_SHAPE, classes: int = 1000, towers: int = 1):
    """AlexNet (Krizhevsky et al., 2012) without local response normalisation.

    ``towers=2`` reproduces the paper's two-GPU split: conv2, conv4 and conv5 only see
    the half of the channels on their own GPU (a grouped convolution, ``groups=2``).
    The input is zero-padded by 2 so that conv1 gives the paper's 55x55 maps.

    >>> alexnet().count_params(), alexnet(towers=2).count_params()
    (62378344, 60965224)
    """
    _check_shape(input_shape)
    if towers not in (1, 2):
        raise ValueError(f"towers must be 1 (one GPU) or 2 (the paper's split), got {towers!r}")
    inputs = keras.Input(input_shape)
    x = layers.ZeroPadding2D(2)(inputs)
    x = layers.Conv2D(96, 11, strides=4, activation="relu")(x)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = layers.Conv2D(256, 5, padding="same", groups=towers, activation="relu")(x)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = layers.Conv2D(384, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(384, 3, padding="same", groups=towers, activation="relu")(x)
    x = layers.Conv2D(256, 3, padding="same", groups=towers, activation="relu")(x)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = layers.Flatten()(x)
    for _ in range(2):
        x = layers.Dense(4096, activation="relu")(x)
        x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(_check_count("classes", classes), activation="softmax")(x)
    return keras.Model(inputs, outputs, name="alexnet" if towers == 1 else "alexnet_2towers")


def vgg16(input_shape=IMAGENET_SHAPE, classes: int = 1000):
    """VGG-16 (Simonyan & Zisserman, 2014): 13 3x3 convolutions in five blocks, three dense layers.

    The three dense layers hold 89 % of its 138,357,544 parameters at 224x224; on 32x32
    images (CIFAR) the first one sees a 1x1x512 map instead of 7x7x512:

    >>> vgg16(input_shape=(32, 32, 3), classes=10).count_params()
    33638218
    """
    inputs = keras.Input(_check_shape(input_shape))
    x = inputs
    for filters, convs in [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]:
        x = vgg_block(x, filters, convs)
    x = layers.Flatten()(x)
    x = layers.Dense(4096, activation="relu")(x)
    x = layers.Dense(4096, activation="relu")(x)
    outputs = layers.Dense(_check_count("classes", classes), activation="softmax")(x)
    return keras.Model(inputs, outputs, name="vgg16")


GOOGLENET_MODULES = {
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64), "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128),
}
"""Filters of GoogLeNet's nine Inception modules (Table 1 of Szegedy et al., 2015):
``#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj``."""


def googlenet(input_shape=IMAGENET_SHAPE, classes: int = 1000, aux_classifiers: bool = False):
    """GoogLeNet / Inception v1 (Szegedy et al., 2015), without local response normalisation.

    ``aux_classifiers=True`` adds the two auxiliary heads after 4a and 4d used only in
    training (the model then has three outputs).

    >>> googlenet().count_params()
    6998552
    """
    inputs = keras.Input(_check_shape(input_shape))
    classes = _check_count("classes", classes)
    x = layers.Conv2D(64, 7, strides=2, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    x = layers.Conv2D(64, 1, activation="relu")(x)
    x = layers.Conv2D(192, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    aux = []
    for name, filters in GOOGLENET_MODULES.items():
        if name in ("4a", "5a"):
            x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        x = inception_module(x, *filters)
        if aux_classifiers and name in ("4a", "4d"):
            aux.append(_googlenet_aux_head(x, classes))
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.4)(x)
    outputs = layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inputs, [outputs, *aux] if aux else outputs, name="googlenet")


def _googlenet_aux_head(x, classes):
    x = layers.AveragePooling2D(5, strides=3)(x)
    x = layers.Conv2D(128, 1, activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(1024, activation="relu")(x)
    x = layers.Dropout(0.7)(x)
    return layers.Dense(classes, activation="softmax")(x)


def resnet(depth: int = 50, input_shape=IMAGENET_SHAPE, classes: int = 1000, conv_bias: bool = False,
           stride_on_3x3: bool = False):
    """ResNet-18/34 (basic blocks) or ResNet-50/101/152 (bottleneck blocks), He et al. (2016).

    ``conv_bias=True`` gives every convolution a bias, as Keras' ``ResNet50`` does (a bias
    right before batch normalisation is redundant: BN subtracts the mean anyway).

    >>> resnet(18).count_params()
    11699112
    """
    if depth not in RESNET_STAGES:
        raise ValueError(f"depth must be one of {sorted(RESNET_STAGES)}, got {depth!r}")
    kind, stages = RESNET_STAGES[depth]
    inputs = keras.Input(_check_shape(input_shape))
    x = _resnet_stem(inputs, conv_bias)
    for stage, blocks in enumerate(stages):
        filters = 64 * 2 ** stage
        for b in range(blocks):
            stride = 2 if stage > 0 and b == 0 else 1
            if kind == "basic":
                x = basic_block(x, filters, stride, conv_bias=conv_bias)
            else:
                x = bottleneck_block(x, filters, stride, conv_bias=conv_bias, stride_on_3x3=stride_on_3x3)
    return keras.Model(inputs, _classifier_head(x, classes), name=f"resnet{depth}")


def resnext(depth: int = 50, cardinality: int = 32, base_width: int = 4, input_shape=IMAGENET_SHAPE,
            classes: int = 1000):
    """ResNeXt (Xie et al., 2017): ResNet-50/101/152's layout with :func:`resnext_block` blocks.

    The default is ResNeXt-50 (32x4d): 32 groups of 4 channels in the first stage.

    >>> resnext().count_params()
    25097128
    """
    if depth not in RESNET_STAGES or RESNET_STAGES[depth][0] != "bottleneck":
        raise ValueError(f"depth must be 50, 101 or 152 (bottleneck layouts), got {depth!r}")
    inputs = keras.Input(_check_shape(input_shape))
    x = _resnet_stem(inputs, conv_bias=False)
    for stage, blocks in enumerate(RESNET_STAGES[depth][1]):
        for b in range(blocks):
            x = resnext_block(x, 64 * 2 ** stage, cardinality, base_width, stride=2 if stage > 0 and b == 0 else 1)
    return keras.Model(inputs, _classifier_head(x, classes), name=f"resnext{depth}_{cardinality}x{base_width}d")


def densenet(blocks=(6, 12, 24, 16), growth_rate: int = 32, input_shape=IMAGENET_SHAPE, classes: int = 1000):
    """DenseNet-BC (Huang et al., 2017); the default ``blocks`` give DenseNet-121.

    >>> densenet().count_params()
    8062504
    """
    inputs = keras.Input(_check_shape(input_shape))
    x = layers.Conv2D(2 * growth_rate, 7, strides=2, padding="same", use_bias=False)(inputs)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    for i, num_layers in enumerate(blocks):
        x = dense_block(x, num_layers, growth_rate)
        if i < len(blocks) - 1:
            x = transition_layer(x)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    depth = 2 * sum(blocks) + len(blocks) + 1   # conv layers + the final dense layer
    return keras.Model(inputs, _classifier_head(x, classes), name=f"densenet{depth}")


def _resnet_stem(inputs, conv_bias):
    x = layers.Conv2D(64, 7, strides=2, padding="same", use_bias=conv_bias)(inputs)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    return layers.MaxPooling2D(3, strides=2, padding="same")(x)


def _classifier_head(x, classes):
    x = layers.GlobalAveragePooling2D()(x)
    return layers.Dense(_check_count("classes", classes), activation="softmax")(x)


# ---------------------------------------------------------------- small versions to train

def small_network(kind: str, input_shape=(28, 28, 1), classes: int = 10):
    """A small version of each architecture's idea for 28x28 images (Fashion-MNIST), quick to train.

    ``kind`` is one of :data:`SMALL_KINDS`; ``"lenet"`` is :func:`course_utils.models.lenet5_classic`.
    All but LeNet and the AlexNet/VGG style nets end with global average pooling and one
    dense layer. Batch normalisation layers get ``momentum=0.5`` (Keras' default is 0.99):
    after a few dozen training steps the running mean and variance used at test time
    would otherwise still remember their initial values.

    >>> [small_network(k).count_params() for k in ("lenet", "vgg")]
    [61706, 117434]
    """
    if kind not in SMALL_KINDS:
        raise ValueError(f"kind must be one of {SMALL_KINDS}, got {kind!r}")
    if kind == "lenet":
        from course_utils.models import lenet5_classic    # notebook 07's LeNet-5: tanh, average pooling

        if input_shape[0] != input_shape[1] or input_shape[2] != 1:
            raise ValueError(f"LeNet-5 takes square grayscale images (28 or 32 pixels), got {input_shape!r}")
        return lenet5_classic(input_shape[0], n_classes=classes)
    inputs = keras.Input(_check_shape(input_shape))
    if kind == "alexnet":      # large first kernel, overlapping max-pools, dropout in big dense layers
        x = layers.Conv2D(24, 5, padding="same", activation="relu")(inputs)
        x = layers.MaxPooling2D(3, strides=2)(x)
        x = layers.Conv2D(48, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(3, strides=2)(x)
        for filters in (64, 64, 48):
            x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(3, strides=2)(x)
        x = layers.Flatten()(x)
        for _ in range(2):
            x = layers.Dropout(0.5)(layers.Dense(128, activation="relu")(x))
        outputs = layers.Dense(classes, activation="softmax")(x)
        return keras.Model(inputs, outputs, name="small_alexnet")
    if kind == "vgg":          # only 3x3 convolutions, doubling the filters at every pool
        x = vgg_block(vgg_block(inputs, 16, 2), 32, 2)
        x = layers.Flatten()(x)
        x = layers.Dense(64, activation="relu")(x)
        outputs = layers.Dense(classes, activation="softmax")(x)
        return keras.Model(inputs, outputs, name="small_vgg")
    if kind == "googlenet":
        x = layers.Conv2D(24, 3, padding="same", activation="relu")(inputs)
        x = layers.MaxPooling2D(2)(x)
        x = inception_module(x, 16, 16, 24, 4, 8, 8)
        x = inception_module(x, 24, 24, 32, 4, 8, 8)
        x = layers.MaxPooling2D(2)(x)
    elif kind == "densenet":
        x = layers.Conv2D(16, 3, padding="same", use_bias=False)(inputs)
        x = layers.MaxPooling2D(2)(x)
        x = transition_layer(dense_block(x, 3, growth_rate=8))
        x = dense_block(x, 3, growth_rate=8)
        x = layers.ReLU()(layers.BatchNormalization()(x))
    else:                      # resnet and resnext share the stem and the layout
        x = layers.Conv2D(24, 3, padding="same", use_bias=False)(inputs)
        x = layers.ReLU()(layers.BatchNormalization()(x))
        x = layers.MaxPooling2D(2)(x)
        if kind == "resnet":
            x = basic_block(basic_block(x, 24), 48, stride=2)
        else:
            x = bottleneck_block(x, 16, groups=8, width=32, split_paths=True)
            x = bottleneck_block(x, 32, stride=2, groups=8, width=64, stride_on_3x3=True, split_paths=True)
    model = keras.Model(inputs, _classifier_head(x, classes), name=f"small_{kind}")
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.momentum = 0.5   # see the docstring: few steps, the running statistics must keep up
    return model


def plain_or_residual(blocks_per_stage: int, residual: bool, input_shape=(28, 28, 1), classes: int = 10,
                      width: int = 16):
    """He et al.'s CIFAR comparison in small: a strided 3x3 stem, two stages of ``blocks_per_stage``
    basic blocks (``width`` then ``2 * width`` filters, the second stage at half the resolution),
    global average pooling and a softmax; ``residual=False`` drops every shortcut and nothing else.

    It has ``4 * blocks_per_stage + 2`` weight layers. Batch normalisation layers get
    ``momentum=0.5``, as in :func:`small_network`.

    >>> [len([l for l in plain_or_residual(n, r).layers if isinstance(l, (layers.Conv2D, layers.Dense))])
    ...  for n, r in ((1, False), (7, False), (7, True))]      # the residual net adds one 1x1 projection
    [6, 30, 31]
    """
    if isinstance(blocks_per_stage, bool) or not isinstance(blocks_per_stage, int) or blocks_per_stage < 1:
        raise ValueError(f"blocks_per_stage must be an integer >= 1, got {blocks_per_stage!r}")
    inputs = keras.Input(_check_shape(input_shape))
    x = layers.Conv2D(width, 3, strides=2, padding="same", use_bias=False)(inputs)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    for stage, filters in enumerate((width, 2 * width)):
        for block in range(blocks_per_stage):
            x = basic_block(x, filters, stride=2 if stage and not block else 1, shortcut=residual)
    outputs = layers.Dense(classes, activation="softmax")(layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, outputs, name=f"{'residual' if residual else 'plain'}_{4 * blocks_per_stage + 2}")
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.momentum = 0.5
    return model


# ---------------------------------------------------------------- input checks

def _check_tensor(x):
    shape = getattr(x, "shape", None)
    if shape is None or len(shape) != 4:
        raise TypeError(f"expected a 4-D Keras tensor (batch, height, width, channels), got "
                        f"{type(x).__name__}{'' if shape is None else f' of shape {tuple(shape)}'}")


def _check_count(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _check_shape(input_shape):
    if (not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3
            or not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0 for n in input_shape)):
        raise ValueError(f"input_shape must be (height, width, channels) of positive integers, got {input_shape!r}")
    return tuple(int(n) for n in input_shape)
