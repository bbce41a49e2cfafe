"""Exercise 09 · Residual and Inception blocks: write them in Keras, count what they cost.

The references are the tested blocks of :mod:`course_utils.architectures`
(:func:`~course_utils.architectures.basic_block`, ResNet-18/34's residual block, and
:func:`~course_utils.architectures.inception_module`, GoogLeNet's module) and the formulas
of :mod:`course_utils.shapes`. The slides' Inception arithmetic is reproduced with
:func:`~course_utils.shapes.conv_macs`: 43,352,064 multiplications for 32 3×3 filters on
28×28×192, 6,021,120 with a 16-channel 1×1 bottleneck (the slide's "≈ 5.4 M parameters" is
both miscounted and misnamed: they are multiplications).

Known mistakes are given as the (wrong) models they produce: :func:`mistake_block` is the
residual block with one switch flipped, :func:`mistake_inception` the module; the tests pin
both, with every switch at its default, to the references.

>>> q5.check(43_352_064, 6_021_120)
✅ Correct! mults_naive = 43,352,064, mults_bottleneck = 6,021,120.
>>> q5.check(43_352_064, 5_400_000)
❌ mults_bottleneck is 5,400,000, too small: that is the slide's "≈ 5.4 M", which is miscounted: add the 1×1 reduction's multiplications (28·28·192·16) and the 3×3 convolution's (28·28·3·3·16·32). (1/2 correct)
"""
from __future__ import annotations

from course_utils.checks.layer_checks import LayerMistake, LayerSummaryQuestion
from course_utils.checks.questions import Exercise, Mistake, PredictionQuestion, ValueQuestion
from course_utils.shapes import conv_macs, conv_params, receptive_field

IDENTITY_INPUT = (8, 8, 16)          # q1: residual_block(x, 16, stride=1) keeps the shape
SMALL_INPUT = (28, 28, 1)            # q2: the small ResNet's digits
COUNT_INPUT, COUNT_FILTERS = (56, 56, 64), 128   # q3: ResNet-18's first block of stage 2
INCEPTION_INPUT = (28, 28, 192)      # q4, q5: GoogLeNet's module 3a
INCEPTION_3A = (64, 96, 128, 16, 32, 32)


# ---------------------------------------------------------------- references (course_utils.architectures)

def _model(input_shape, body):
    import keras

    inputs = keras.Input(input_shape)
    return keras.Model(inputs, body(inputs))


def reference_identity_model():
    from course_utils.architectures import basic_block

    return _model(IDENTITY_INPUT, lambda x: basic_block(x, 16, stride=1))


def small_resnet(block):
    """The small ResNet of question 2 around any ``block(x, filters, stride)``."""
    import keras
    from keras import layers

    inputs = keras.Input(SMALL_INPUT)
    x = layers.Conv2D(16, 3, padding="same", use_bias=False)(inputs)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = block(x, 16, 1)
    x = block(x, 32, 2)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))


def reference_small_resnet():
    from course_utils.architectures import basic_block

    return small_resnet(lambda x, filters, stride: basic_block(x, filters, stride))


def count_block_params(filters=COUNT_FILTERS, stride=2, input_shape=COUNT_INPUT) -> int:
    """Parameters (``count_params()``, BatchNorm's 4 per channel included) of one residual block.

    >>> count_block_params()
    230912
    """
    from course_utils.architectures import basic_block

    return _model(input_shape, lambda x: basic_block(x, filters, stride)).count_params()


def count_shortcut_params() -> int:
    """The projection shortcut's share: 1×1 convolution without bias + its BatchNormalization (4 per channel)."""
    return conv_params(1, COUNT_INPUT[-1], COUNT_FILTERS, bias=False) + 4 * COUNT_FILTERS


def reference_inception_model():
    from course_utils.architectures import inception_module

    return _model(INCEPTION_INPUT, lambda x: inception_module(x, *INCEPTION_3A))


def inception_multiplications() -> tuple[int, int]:
    """The slides' example: 32 3×3 filters on 28×28×192, without and with a 16-channel 1×1 bottleneck."""
    naive = conv_macs((28, 28), 3, 192, 32)
    bottleneck = conv_macs((28, 28), 1, 192, 16) + conv_macs((28, 28), 3, 16, 32)
    return naive, bottleneck


# ---------------------------------------------------------------- known mistakes, as models

def mistake_block(x, filters, stride=1, *, shortcut_first=True, bias=False, add_before_bn=False,
                  final_relu=True, relu_before_add=False, project="auto", projection_kernel=1, projection_bn=True,
                  stride_on_second=False, relu_in_conv=False, use_add_layer=True):
    """The residual block with one thing changed (all defaults: exactly ``architectures.basic_block``)."""
    from keras import layers

    needs_projection = stride != 1 or x.shape[-1] != filters
    shortcut = x
    if project == "always" or (project == "auto" and needs_projection):
        shortcut = layers.Conv2D(filters, projection_kernel, strides=stride, padding="same", use_bias=bias)(x)
        if projection_bn:
            shortcut = layers.BatchNormalization()(shortcut)
    first, second = (1, stride) if stride_on_second else (stride, 1)
    activation = "relu" if relu_in_conv else None
    y = layers.Conv2D(filters, 3, strides=first, padding="same", use_bias=bias, activation=activation)(x)
    y = layers.ReLU()(layers.BatchNormalization()(y))
    y = layers.Conv2D(filters, 3, strides=second, padding="same", use_bias=bias, activation=activation)(y)
    if not add_before_bn:
        y = layers.BatchNormalization()(y)
    if relu_before_add:
        y = layers.ReLU()(y)
    if use_add_layer:
        out = layers.Add()([shortcut, y] if shortcut_first else [y, shortcut])
    else:
        out = shortcut + y if shortcut_first else y + shortcut
    if add_before_bn:
        out = layers.BatchNormalization()(out)
    return layers.ReLU()(out) if final_relu and not relu_before_add else out


def _both_orders(make):
    """A builder for each order of the Add's inputs (Keras lists the branches' layers in that order)."""
    return [lambda first=first: make(first) for first in (True, False)]


def _identity_mistake(**switches):
    return _both_orders(lambda first: _model(IDENTITY_INPUT, lambda x: mistake_block(
        x, 16, 1, shortcut_first=first, **switches)))


def _small_mistake(head="gap", **switches):
    def make(first):
        if head == "gap":
            return small_resnet(lambda x, f, s: mistake_block(x, f, s, shortcut_first=first, **switches))
        import keras
        from keras import layers

        inputs = keras.Input(SMALL_INPUT)
        x = layers.Conv2D(16, 3, padding="same", use_bias=False)(inputs)
        x = layers.ReLU()(layers.BatchNormalization()(x))
        x = mistake_block(mistake_block(x, 16, 1), 32, 2, shortcut_first=first)
        x = layers.Flatten()(x)
        return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))
    return _both_orders(make)


BLOCK_MISTAKES = [
    ("add the shortcut with layers.Add()([shortcut, y]): a + between Keras tensors is not a layer the checker can "
     "see (and without a shortcut there is no residual block).", dict(use_add_layer=False)),
    ("use_bias=False in the block's convolutions: BatchNormalization's β already shifts every channel, so a "
     "bias right before it is wasted.", dict(bias=True)),
    ("shortcut added before BatchNorm? Normalise the second conv's output first, then add the shortcut: "
     "relu(BN(conv(...)) + shortcut).", dict(add_before_bn=True)),
    ("the ReLU comes after the addition, not before it: relu(F(x) + shortcut).", dict(relu_before_add=True)),
    ("apply ReLU after the addition: the block returns relu(F(x) + shortcut).", dict(final_relu=False)),
    ("keep the identity shortcut when the shape does not change (stride 1, same number of channels): project "
     "only when you must.", dict(project="always")),
]
EXACT = ("use_add_layer",)   # leaving the Add out only shifts the layers: match the whole model

PROJECTION_MISTAKES = [
    ("the stride goes on the block's first 3×3 convolution (and on the 1×1 projection), not on the second one.",
     dict(stride_on_second=True)),
    ("the projection shortcut is a 1×1 convolution (strides=stride, use_bias=False): it only has to match the shape.",
     dict(projection_kernel=3)),
    ("follow the 1×1 projection with BatchNormalization, like the main path.", dict(projection_bn=False)),
]

SHAPE_ADVICE = ("the shortcut must have F(x)'s shape: when the stride or the number of filters changes, project it "
                "with a 1×1 Conv2D(filters, 1, strides=stride, use_bias=False) and BatchNormalization")

q1 = LayerSummaryQuestion(
    "ex09.q1", points=3, name="identity_block_model", title="A residual block with an identity shortcut",
    reference=reference_identity_model,
    variants=[lambda: _model(IDENTITY_INPUT, lambda x: mistake_block(x, 16, 1, shortcut_first=False))],
    mistakes=[LayerMistake(advice, _identity_mistake(**switches), exact=set(switches) <= set(EXACT))
              for advice, switches in BLOCK_MISTAKES],
    error_advice=[("incompatible shapes", SHAPE_ADVICE)],
    hint=["Main path: Conv2D(3×3, strides=stride, padding='same', use_bias=False), BatchNormalization, ReLU, "
          "Conv2D(3×3, padding='same', use_bias=False), BatchNormalization. Then Add the shortcut, then ReLU.",
          "Keep the input as `shortcut`; if stride != 1 or its channels differ from filters, replace it by a 1×1 "
          "convolution with that stride and a BatchNormalization. End with layers.Add()([shortcut, y]), then ReLU."],
)

q2 = LayerSummaryQuestion(
    "ex09.q2", points=3, name="build_small_resnet", title="A small ResNet with a projection shortcut",
    reference=reference_small_resnet,
    variants=[lambda: small_resnet(lambda x, f, s: mistake_block(x, f, s, shortcut_first=False))],
    mistakes=[LayerMistake(advice, _small_mistake(**switches), exact=set(switches) <= set(EXACT))
              for advice, switches in BLOCK_MISTAKES + PROJECTION_MISTAKES]
    + [LayerMistake("end with GlobalAveragePooling2D (one average per channel), as ResNet does, not Flatten.",
                    _small_mistake(head="flatten"))],
    error_advice=[("incompatible shapes", SHAPE_ADVICE)],
    hint=["Stem: Conv2D(16, 3, padding='same', use_bias=False), BatchNormalization, ReLU. Then residual_block(x, 16, 1), "
          "residual_block(x, 32, 2), GlobalAveragePooling2D, Dense(10, activation='softmax').",
          "In the second block the shapes change (28×28×16 → 14×14×32): its shortcut needs the 1×1, stride-2 "
          "projection."],
)

q3 = ValueQuestion(
    "ex09.q3", points=2, names=["block_params", "shortcut_params"], integer=True,
    title="Parameters of a residual block with a projection",
    expected=lambda: (count_block_params(), count_shortcut_params()),
    mistakes={
        "block_params": [
            Mistake("count BatchNormalization as count_params() does: 4 numbers per channel (γ, β and the moving "
                    "mean and variance).", 230_912 - 3 * 2 * 128),
            Mistake("no biases here (use_bias=False): BatchNormalization's β replaces them.", 230_912 + 3 * 128),
            Mistake("include the three BatchNormalization layers: 4 × 128 numbers each.", 230_912 - 3 * 512),
            Mistake("the projection is a 1×1 convolution: 64 × 128 weights, not 3 × 3 × 64 × 128.",
                    230_912 + 8 * 64 * 128),
            Mistake("parameters do not depend on the image size: do not multiply by the output positions.",
                    230_912 * 28 * 28)],
        "shortcut_params": [
            Mistake("add the shortcut's BatchNormalization: 4 × 128.", 8_192),
            Mistake("the projection is a 1×1 convolution: 64 × 128 weights, not 3 × 3 × 64 × 128.", 73_728 + 512),
            Mistake("no bias (use_bias=False).", 8_192 + 128 + 512)],
    },
    hint=["Conv2D without bias: k × k × C_in × filters. BatchNormalization: 4 × channels (2 trainable, 2 not).",
          "3·3·64·128 + 512 + 3·3·128·128 + 512 + (1·1·64·128 + 512)."],
)

def mistake_inception(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj, *, reductions=True, pool_projection=True,
                      kernel5=5, activation="relu", pool_first=True):
    """The Inception module with one thing changed (all defaults: exactly ``architectures.inception_module``)."""
    from keras import layers

    def conv(t, filters, size):
        return layers.Conv2D(filters, size, padding="same", activation=activation)(t)

    branch1 = conv(x, f1, 1)
    branch3 = conv(conv(x, f3_reduce, 1), f3, 3) if reductions else conv(x, f3, 3)
    branch5 = conv(conv(x, f5_reduce, 1), f5, kernel5) if reductions else conv(x, f5, kernel5)
    if pool_first:
        branch_pool = layers.MaxPooling2D(3, strides=1, padding="same")(x)
        if pool_projection:
            branch_pool = conv(branch_pool, pool_proj, 1)
    else:
        branch_pool = layers.MaxPooling2D(3, strides=1, padding="same")(conv(x, pool_proj, 1))
    return layers.Concatenate()([branch1, branch3, branch5, branch_pool])


def _inception_mistake(**switches):
    return lambda: _model(INCEPTION_INPUT, lambda x: mistake_inception(x, *INCEPTION_3A, **switches))


INCEPTION_MISTAKES = [
    LayerMistake("put a 1×1 reduction (f3_reduce, f5_reduce filters) before the 3×3 and the 5×5 convolutions: "
                 "that is what makes the module cheap.", _inception_mistake(reductions=False)),
    LayerMistake("the max-pool branch ends with a 1×1 convolution (pool_proj filters): without it the pool passes "
                 "all 192 input channels on.", _inception_mistake(pool_projection=False)),
    LayerMistake("the third branch uses 5×5 kernels.", _inception_mistake(kernel5=3)),
    LayerMistake("the fourth branch pools first, then projects: MaxPooling2D(3, strides=1, padding='same') on the "
                 "module's input, then the 1×1 Conv2D(pool_proj) on the pooled maps.",
                 _inception_mistake(pool_first=False)),
]

q4 = LayerSummaryQuestion(
    "ex09.q4", points=3, name="inception_3a", title="An Inception module with 1×1 reductions",
    reference=reference_inception_model, compare="output", fold_activations=True,
    mistakes=INCEPTION_MISTAKES,
    error_advice=[("Concatenate", "every branch must keep the 28×28 size (padding='same' everywhere, and strides=1 "
                                  "on the max-pool, whose default stride is its pool size), and the branches are "
                                  "concatenated along the channels (axis=-1, the default)")],
    hint=["Four branches on the same input x: 1×1; 1×1 then 3×3; 1×1 then 5×5; 3×3 max-pool (strides=1, "
          "padding='same') then 1×1. Every Conv2D: padding='same', activation='relu'.",
          "layers.Concatenate() joins a list of tensors along the last axis, the channels: 64 + 128 + 32 + 32 = 256."],
)


q5 = ValueQuestion(
    "ex09.q5", points=2, names=["mults_naive", "mults_bottleneck"], integer=True,
    title="Multiplications with and without the 1×1 bottleneck",
    expected=inception_multiplications,
    mistakes={
        "mults_naive": [
            Mistake("that counts weights (3·3·192·32): each is used once per output position, 28 × 28 times.",
                    3 * 3 * 192 * 32),
            Mistake("every filter sees all 192 input channels: 28·28·3·3·192·32.", 28 * 28 * 3 * 3 * 32)],
        "mults_bottleneck": [
            Mistake("that is the slide's \"≈ 5.4 M\", which is miscounted: add the 1×1 reduction's multiplications "
                    "(28·28·192·16) and the 3×3 convolution's (28·28·3·3·16·32).", 5_400_000),
            Mistake("add the cost of the 1×1 reduction itself: 28·28·192·16.", 3_612_672),
            Mistake("add the 3×3 convolution, which now sees only the 16 reduced channels: 28·28·3·3·16·32.",
                    2_408_448),
            Mistake("those are weights (192·16 + 3·3·16·32): multiply each layer's by its 28 × 28 output positions.",
                    192 * 16 + 3 * 3 * 16 * 32)],
    },
    hint=["Multiplications of a convolution = output positions × filters × (k × k × input channels).",
          "Naive: 28·28·32 × 3·3·192. Bottleneck: 28·28·16 × 1·1·192, plus 28·28·32 × 3·3·16."],
)

q6 = ValueQuestion(
    "ex09.q6", points=2, names=["weights_5x5", "weights_two_3x3", "rf_two_3x3"], integer=True,
    title="One 5×5 convolution or two 3×3?",
    expected=lambda: (conv_params(5, 1, 1, bias=False), 2 * conv_params(3, 1, 1, bias=False),
                      receptive_field([(3, 1), (3, 1)])[-1][0]),
    mistakes={
        "weights_two_3x3": [Mistake("there are two 3×3 layers: 9 + 9.", 9),
                            Mistake("stacked layers add their weights (9 + 9); they do not multiply.", 81)],
        "weights_5x5": [Mistake("per pair of channels, without bias: 5 × 5.", 26)],
        "rf_two_3x3": [Mistake("each 3×3 layer adds 2 pixels to the receptive field: 1 + 2 + 2.", 6),
                       Mistake("the receptive fields do not multiply: r = 1 + (3 − 1) + (3 − 1).", 9)],
    },
    hint=["A k × k filter has k·k weights per (input channel, output channel) pair.",
          "Receptive field of stacked stride-1 layers: r = 1 + Σ (k − 1)."],
)

SHARE_INPUT, SHARE_FILTERS = (28, 28, 16), 32     # p1: the small ResNet's second block (16 -> 32, stride 2)


def projection_share() -> float:
    """Percentage of the block's parameters in its projection shortcut (1×1 conv + BatchNorm)."""
    shortcut = conv_params(1, SHARE_INPUT[-1], SHARE_FILTERS, bias=False) + 4 * SHARE_FILTERS
    return 100 * shortcut / count_block_params(SHARE_FILTERS, 2, SHARE_INPUT)


p1 = PredictionQuestion(
    "ex09.p1", title="Predict, then check: what the projection shortcut costs",
    expected=projection_share,
    explanation="the 1×1 projection has 16·32 weights (+ 4·32 for its BatchNorm) against 3·3·16·32 and "
                "3·3·32·32 for the two 3×3 convolutions: 640 of 14,720 parameters, about 4 %. The shortcut is "
                "cheap; the 3×3 convolutions cost the block.",
    hint="Count the weights k·k·C_in·C_out of the three convolutions; BatchNorm adds 4 per channel.",
)

EXERCISE = Exercise("09_residual_and_inception_blocks", "Residual and Inception blocks",
                    [q1, q2, q3, q4, q5, q6, p1], timeout_s=60)

