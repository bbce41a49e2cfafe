"""Exercise 13 · Efficient CNNs: count what a convolution costs and what its cheap replacements save.

Every reference comes from tested course code: the counters of :mod:`course_utils.shapes`
(:func:`~course_utils.shapes.conv_params` and :func:`~course_utils.shapes.conv_macs`, whose
``groups=C`` is a depthwise convolution), the blocks of :mod:`course_utils.efficient`
(:func:`~course_utils.efficient.factorised_layers`, :func:`~course_utils.efficient.inverted_residual`)
and its EfficientNet arithmetic (:func:`~course_utils.efficient.compound_scaling`,
:func:`~course_utils.efficient.make_divisible`, :func:`~course_utils.efficient.round_repeats`).

Known mistakes of the inverted residual are given as the (wrong) models they produce:
:func:`mistake_inverted_residual` is the block with one switch flipped; the tests pin it, with
every switch at its default, to ``efficient.inverted_residual``.

>>> q1.check(73_728, 57_802_752, 8_768, 6_874_112)
✅ Correct! std_params = 73,728, std_macs = 57,802,752, sep_params = 8768, sep_macs = 6,874,112.
>>> q1.check(73_728, 57_802_752, 576, 6_874_112)
❌ sep_params is 576, too small: forgot the pointwise part? A separable convolution is a depthwise k × k convolution AND a 1 × 1 convolution from C_in to C_out channels. (3/4 correct)
"""
from __future__ import annotations

from course_utils.efficient import compound_scaling, factorised_layers, make_divisible, round_repeats
from course_utils.exercises.framework import Exercise, FunctionQuestion, Mistake, PredictionQuestion, ValueQuestion
from course_utils.exercises.layer_checks import LayerMistake, LayerSummaryQuestion
from course_utils.shapes import conv_macs, conv_params

PREDICT = dict(k=3, channels=32, size=56)                          # p1: a narrow layer, C = K = 32
LAYER = dict(k=3, c_in=64, c_out=128, size=28)                     # q1
FACTOR_CHANNELS = 48                                               # q3: 48 -> 48 channels
STAGE_INPUT, STAGE_FILTERS, STAGE_EXPANSION = (28, 28, 16), 24, 6  # q4: MobileNetV2's second stage, small
PHI, B0_RESOLUTION, B0_STAGE = 4, 224, (112, 3)                    # q5: EfficientNet-B0's 112-channel stage, 3 layers


# ---------------------------------------------------------------- references (course_utils.shapes / .efficient)

def standard_cost(k, c_in, c_out, h_out, w_out) -> tuple[int, int]:
    """``(weights, multiply-adds)`` of a standard ``k x k`` convolution without bias.

    >>> standard_cost(3, 64, 128, 28, 28)
    (73728, 57802752)
    """
    return conv_params(k, c_in, c_out, bias=False), conv_macs((h_out, w_out), k, c_in, c_out)


def separable_cost(k, c_in, c_out, h_out, w_out) -> tuple[int, int]:
    """``(weights, multiply-adds)`` of a depthwise-separable convolution without bias.

    The depthwise part is a convolution with ``groups = C_in`` (one ``k x k`` filter per
    channel), the pointwise part a ``1 x 1`` convolution from ``C_in`` to ``C_out``.

    >>> separable_cost(3, 64, 128, 28, 28)
    (8768, 6874112)
    """
    params = conv_params(k, c_in, c_in, bias=False, groups=c_in) + conv_params(1, c_in, c_out, bias=False)
    macs = conv_macs((h_out, w_out), k, c_in, c_in, groups=c_in) + conv_macs((h_out, w_out), 1, c_in, c_out)
    return params, macs


def predicted_saving() -> float:
    """p1: how many times fewer multiply-adds the separable 3x3 needs, 32 -> 32 channels."""
    p = PREDICT
    standard = standard_cost(p["k"], p["channels"], p["channels"], p["size"], p["size"])[1]
    return standard / separable_cost(p["k"], p["channels"], p["channels"], p["size"], p["size"])[1]


def layer_costs() -> tuple[int, int, int, int]:
    p = LAYER
    return standard_cost(p["k"], p["c_in"], p["c_out"], p["size"], p["size"]) + \
        separable_cost(p["k"], p["c_in"], p["c_out"], p["size"], p["size"])


def _stack_weights(kernel_size, asymmetric=False) -> int:
    c = FACTOR_CHANNELS
    return sum(conv_params(layer.kernel_size, c, c, bias=False) for layer in factorised_layers(c, kernel_size, asymmetric))


def factorised_counts() -> tuple:
    """q3: the 5x5 and its two 3x3, the 3x1 + 1x3 stack and its receptive field (height, width)."""
    import keras

    from course_utils.efficient import stack_receptive_field

    c = FACTOR_CHANNELS
    stack = keras.Sequential([keras.Input((9, 9, c)), *factorised_layers(c, 3, asymmetric=True)])
    return conv_params(5, c, c, bias=False), _stack_weights(5), _stack_weights(3, asymmetric=True), \
        stack_receptive_field(stack)


def compound_answers() -> tuple:
    """q5: EfficientNet-B0 scaled with phi = 4."""
    depth, width, resolution, flops = compound_scaling(PHI)
    filters, layers = B0_STAGE
    return depth, width, round(B0_RESOLUTION * resolution), flops, make_divisible(filters * width), \
        round_repeats(layers, depth)


def _model(input_shape, body):
    import keras

    inputs = keras.Input(input_shape)
    return keras.Model(inputs, body(inputs))


def mobile_stage(block):
    """The stage of question 4 around any ``block(x, filters, expansion, stride)``: stride 2, then stride 1."""
    def body(x):
        x = block(x, STAGE_FILTERS, STAGE_EXPANSION, 2)
        return block(x, STAGE_FILTERS, STAGE_EXPANSION, 1)
    return _model(STAGE_INPUT, body)


def reference_stage():
    from course_utils.efficient import inverted_residual

    return mobile_stage(lambda x, filters, expansion, stride: inverted_residual(x, filters, expansion, stride))


# ---------------------------------------------------------------- known mistakes, as models

def mistake_inverted_residual(x, filters, expansion=6, stride=1, *, linear_projection=True, shortcut="auto",
                              bias=False, expand_input=True, depthwise=True, stride_on_expand=False, relu6=True,
                              padding="same", shortcut_first=True):
    """The inverted residual with one thing changed (all defaults: exactly ``efficient.inverted_residual``)."""
    from keras import layers

    def act():
        return layers.ReLU(6.0) if relu6 else layers.ReLU()

    channels = x.shape[-1]
    hidden = expansion * (channels if expand_input else filters)
    y = layers.Conv2D(hidden, 1, strides=stride if stride_on_expand else 1, use_bias=bias)(x)
    y = act()(layers.BatchNormalization()(y))
    middle_stride = 1 if stride_on_expand else stride
    if depthwise:
        y = layers.DepthwiseConv2D(3, strides=middle_stride, padding=padding, use_bias=bias)(y)
    else:
        y = layers.Conv2D(hidden, 3, strides=middle_stride, padding=padding, use_bias=bias)(y)
    y = act()(layers.BatchNormalization()(y))
    y = layers.Conv2D(filters, 1, use_bias=bias)(y)
    y = layers.BatchNormalization()(y)
    if not linear_projection:
        y = act()(y)
    if shortcut == "always" or (shortcut == "auto" and stride == 1 and filters == channels):
        y = layers.Add()([x, y] if shortcut_first else [y, x])
    return y


def _stage_mistake(**switches):
    return lambda: mobile_stage(lambda x, f, e, s: mistake_inverted_residual(x, f, e, s, **switches))


STAGE_MISTAKES = [
    LayerMistake("the projection is linear: no activation after its BatchNormalization (the linear bottleneck "
                 "keeps the information a ReLU on few channels would destroy).", _stage_mistake(linear_projection=False)),
    LayerMistake("add the block's input back when the shapes allow it (stride 1 and filters equal to the input's "
                 "channels): layers.Add()([x, y]).", _stage_mistake(shortcut="never"), exact=True),
    LayerMistake("use_bias=False in the block's convolutions: each is followed by BatchNormalization, whose β "
                 "already shifts every channel.", _stage_mistake(bias=True)),
    LayerMistake("the 1×1 expansion multiplies the INPUT's channels: expansion × C_in filters, where C_in = "
                 "x.shape[-1].", _stage_mistake(expand_input=False)),
    LayerMistake("the middle convolution is depthwise: layers.DepthwiseConv2D(3, strides=stride, padding='same', "
                 "use_bias=False), one 3×3 filter per channel.", _stage_mistake(depthwise=False)),
    LayerMistake("the stride belongs to the depthwise 3×3 convolution; the 1×1 expansion keeps the size.",
                 _stage_mistake(stride_on_expand=True)),
    LayerMistake("MobileNetV2 uses ReLU6, a ReLU clipped at 6: layers.ReLU(6.0) (or max_value=6).",
                 _stage_mistake(relu6=False)),
]
# Wrong padding or a shortcut on the stride-2 block do not build (the Add's shapes differ): error_advice covers them.


# ---------------------------------------------------------------- questions

p1 = PredictionQuestion(
    "ex13.p1", title="Predict: how much does a separable 3×3 save on a narrow layer?",
    expected=predicted_saving,
    explanation="the separable/standard ratio is 1/K + 1/k² (notebook 13). With K = 32 output channels, "
                "1/K = 0.031 is no longer small next to 1/k² = 0.111: the saving is 1 / 0.142 ≈ 7, not 9. "
                "Only with hundreds of output channels does it approach k² = 9.",
    hint="Compare k²·C·K with k²·C + C·K: divide both by C·K.",
)

q1 = ValueQuestion(
    "ex13.q1", points=3, names=["std_params", "std_macs", "sep_params", "sep_macs"], integer=True,
    title="A standard and a depthwise-separable 3×3 convolution, counted",
    expected=layer_costs,
    mistakes={
        "std_params": [
            Mistake("no bias here (use_bias=False, BatchNormalization follows): count only the k·k·C_in·C_out weights.",
                    73_728 + 128),
            Mistake("that counts multiply-adds: parameters do not depend on the image size.", 57_802_752),
            Mistake("every filter sees all C_in input channels: k·k·C_in weights per filter, C_out filters.", 9 * 128)],
        "std_macs": [
            Mistake("those are the weights: each is used once per output position, so multiply by H_out × W_out.",
                    73_728),
            Mistake("no bias here, and a bias is an addition, not a multiply-add.", 28 * 28 * (73_728 + 128))],
        "sep_params": [
            Mistake("forgot the pointwise part? A separable convolution is a depthwise k × k convolution AND a 1 × 1 "
                    "convolution from C_in to C_out channels.", 576),
            Mistake("forgot the depthwise part? Before the 1 × 1 convolution comes one k × k filter per input channel.",
                    8_192),
            Mistake("no bias here (use_bias=False): count only the weights of the two parts.", 576 + 64 + 8_192 + 128),
            Mistake("the depthwise part has ONE k × k filter per input channel (k·k·C_in weights), not C_in filters "
                    "per channel.", 9 * 64 * 64 + 8_192),
            Mistake("the depthwise part does not depend on C_out: k·k·C_in, then C_in·C_out for the 1 × 1.",
                    9 * 64 * 128 + 8_192)],
        "sep_macs": [
            Mistake("those are the weights: multiply each part's weights by the H_out × W_out output positions.", 8_768),
            Mistake("forgot the pointwise part? Add the 1 × 1 convolution's H_out·W_out·C_in·C_out.", 28 * 28 * 576),
            Mistake("forgot the depthwise part? Add H_out·W_out·k·k·C_in.", 28 * 28 * 8_192),
            Mistake("no bias here, and a bias is an addition, not a multiply-add.", 28 * 28 * (576 + 64 + 8_192 + 128))],
    },
    hint=["Standard: k·k·C_in·C_out weights, each used at every one of the H_out·W_out positions.",
          "Separable: depthwise k·k·C_in + pointwise C_in·C_out weights; multiply-adds = H_out·W_out × weights."],
)


def _separable_cases(rng):
    cases = []
    for _ in range(8):
        k = int(rng.choice([1, 3, 5, 7]))
        c_in, c_out = int(rng.integers(1, 97)), int(rng.integers(1, 161))
        h_out, w_out = int(rng.integers(1, 65)), int(rng.integers(1, 65))
        cases.append((k, c_in, c_out, h_out, w_out))
    cases.append((3, 48, 96, 7, 20))          # not square: H_out and W_out both count
    return cases


q2 = FunctionQuestion(
    "ex13.q2", points=3, name="separable_cost", integer=True,
    title="Write separable_cost(k, c_in, c_out, h_out, w_out)",
    reference=separable_cost, make_args=_separable_cases,
    examples=[("MobileNet's first separable block (k = 3, 32 → 64 channels, 112 × 112 output)", (3, 32, 64, 112, 112))],
    mistakes=[
        Mistake("forgot the pointwise part? Add the 1 × 1 convolution: C_in·C_out weights.",
                lambda k, c, K, h, w: (k * k * c, h * w * k * k * c)),
        Mistake("forgot the depthwise part? Add its k·k·C_in weights.",
                lambda k, c, K, h, w: (c * K, h * w * c * K)),
        Mistake("no bias: the question counts weights only (each part is followed by BatchNormalization).",
                lambda k, c, K, h, w: (k * k * c + c + c * K + K, h * w * (k * k * c + c * K))),
        Mistake("multiply-adds count every output position: multiply the weights by h_out × w_out.",
                lambda k, c, K, h, w: (k * k * c + c * K, k * k * c + c * K)),
        Mistake("return (params, macs) in this order.",
                lambda k, c, K, h, w: (h * w * (k * k * c + c * K), k * k * c + c * K)),
        Mistake("the depthwise part has one k × k filter per input channel: k·k·C_in, not k·k·C_in·C_in.",
                lambda k, c, K, h, w: (k * k * c * c + c * K, h * w * (k * k * c * c + c * K))),
        Mistake("that is the standard convolution's cost (k·k·C_in·C_out); the separable one is k·k·C_in + C_in·C_out.",
                lambda k, c, K, h, w: (k * k * c * K, h * w * k * k * c * K)),
        Mistake("the output has h_out × w_out positions, and they need not be equal.",
                lambda k, c, K, h, w: (k * k * c + c * K, h * h * (k * k * c + c * K)) if h != w else None),
    ],
    hint=["params = k·k·c_in + c_in·c_out; every weight is used once per output position.",
          "return params, h_out * w_out * params"],
)

q3 = ValueQuestion(
    "ex13.q3", points=2, names=["weights_5x5", "weights_two_3x3", "weights_asymmetric", "rf_asymmetric"],
    integer=True, title="Factorised kernels: the weights they save, the window they keep",
    expected=factorised_counts,
    mistakes={
        "weights_5x5": [
            Mistake("that is one channel pair: the layer has 48 × 48 (input, output) pairs.", 25),
            Mistake("every filter sees all 48 input channels: 5·5·48 weights per filter, 48 filters.", 25 * 48),
            Mistake("without bias: 5·5·48·48 weights only.", 25 * 48 * 48 + 48)],
        "weights_two_3x3": [
            Mistake("that is one channel pair: multiply by the 48 × 48 pairs of each layer.", 18),
            Mistake("there are two 3×3 layers: 3·3·48·48 each.", 9 * 48 * 48),
            Mistake("stacked layers add their weights; they do not multiply.", 81 * 48 * 48)],
        "weights_asymmetric": [
            Mistake("that is one channel pair: multiply by the 48 × 48 pairs of each layer.", 6),
            Mistake("there are two layers, a 3×1 and a 1×3: 3·48·48 weights each.", 3 * 48 * 48),
            Mistake("that is the 3×3 convolution itself; the stack has a 3×1 and a 1×3 layer.", 9 * 48 * 48)],
        "rf_asymmetric": [
            Mistake("give (height, width): two numbers, as the window of one 3×3 kernel would be.", (3, 3),
                    match="other_shape"),
            Mistake("the second layer widens the other axis: 3×1 spans 3 rows, then 1×3 spans 3 columns of those.",
                    (3, 1)),
            Mistake("the second layer widens the other axis: 3×1 spans 3 rows, then 1×3 spans 3 columns of those.",
                    (1, 3)),
            Mistake("each axis grows only through the layer whose kernel is long on that axis: r = 1 + (3 − 1) + "
                    "(1 − 1) per axis.", (5, 5))],
    },
    hint=["A k_h × k_w kernel has k_h·k_w weights per (input, output) channel pair; here every layer maps 48 channels "
          "to 48.",
          "Receptive field per axis: r = 1 + Σ (k − 1) over the layers, with each layer's kernel length on that axis."],
)

q4 = LayerSummaryQuestion(
    "ex13.q4", points=3, name="mobile_stage", title="MobileNetV2's inverted residual block in Keras",
    reference=reference_stage,
    variants=[_stage_mistake(shortcut_first=False)],
    mistakes=STAGE_MISTAKES,
    error_advice=[("incompatible shapes", "an Add needs two tensors of the same shape: add the input back only when "
                                          "stride == 1 and filters == x.shape[-1] (a stride-2 block has no "
                                          "shortcut), and keep padding='same' on the depthwise convolution")],
    hint=["1×1 Conv2D(expansion × C_in, use_bias=False), BatchNormalization, ReLU(6.0); DepthwiseConv2D(3, "
          "strides=stride, padding='same', use_bias=False), BatchNormalization, ReLU(6.0); 1×1 Conv2D(filters, "
          "use_bias=False), BatchNormalization; then layers.Add()([x, y]) if stride == 1 and filters == C_in.",
          "C_in is x.shape[-1]. No activation after the last BatchNormalization: that is the linear bottleneck."],
)

FILTERS_ROUNDING = ("round the scaled channel count with make_divisible: to the nearest multiple of 8 (never "
                    "more than 10 % below), not to the nearest integer.")

q5 = ValueQuestion(
    "ex13.q5", points=3,
    names=["depth_mult", "width_mult", "image_size", "flops_factor", "stage_filters", "stage_layers"],
    rtol=5e-4, title="EfficientNet's compound scaling, by hand",
    expected=compound_answers,
    mistakes={
        "depth_mult": [Mistake("α^φ is a power: α multiplied by itself φ times, not α × φ.", 1.2 * PHI),
                       Mistake("raise α to the power φ.", 1.2)],
        "width_mult": [Mistake("β^φ is a power: β multiplied by itself φ times, not β × φ.", 1.1 * PHI),
                       Mistake("the width multiplier is β^φ; β² appears only in the FLOPs factor.", 1.1 ** (2 * PHI)),
                       Mistake("raise β to the power φ.", 1.1)],
        "image_size": [
            Mistake("round the size to the nearest whole number of pixels.", B0_RESOLUTION * 1.15 ** PHI),
            Mistake("round to the NEAREST whole number, not down.", int(B0_RESOLUTION * 1.15 ** PHI)),
            Mistake("γ^φ is a power: γ multiplied by itself φ times, not γ × φ.", B0_RESOLUTION * 1.15 * PHI),
            Mistake("the resolution multiplier is γ^φ; γ² appears only in the FLOPs factor.",
                    round(B0_RESOLUTION * 1.15 ** (2 * PHI)))],
        "flops_factor": [
            Mistake("that is 2^φ, the target the constants were searched for: compute (α·β²·γ²)^φ with the real ones.",
                    2.0 ** PHI),
            Mistake("width and resolution enter the cost squared (a layer's work grows with channels_in × channels_out "
                    "and with height × width): (α·β²·γ²)^φ.", (1.2 * 1.1 * 1.15) ** PHI),
            Mistake("raise α·β²·γ² to the power φ.", 1.2 * 1.1 ** 2 * 1.15 ** 2)],
        "stage_filters": [
            *[Mistake(FILTERS_ROUNDING, wrong) for wrong in (112 * 1.1 ** PHI, round(112 * 1.1 ** PHI),
                                                             int(112 * 1.1 ** PHI))],
            Mistake("make_divisible rounds to the NEAREST multiple of 8, not up.", 168)],
        "stage_layers": [
            Mistake("EfficientNet rounds the number of layers UP (math.ceil): a stage never loses depth to rounding.",
                    int(3 * 1.2 ** PHI)),
            Mistake("a number of layers is a whole number: round it up with math.ceil.", 3 * 1.2 ** PHI),
            Mistake("the depth multiplier is α^φ, not φ: multiply the 3 layers by α^φ, then round up.", 3 * PHI)],
    },
    hint=["d = α^φ, w = β^φ, r = γ^φ with α = 1.2, β = 1.1, γ = 1.15; FLOPs grow like d·w²·r².",
          "image_size = round(224 · r); stage_filters = make_divisible(112 · w) (nearest multiple of 8, never 10 % "
          "below); stage_layers = math.ceil(3 · d)."],
)

EXERCISE = Exercise("13_efficient_cnns", "Efficient CNNs: separable, factorised and inverted-residual blocks",
                    [p1, q1, q2, q3, q4, q5], timeout_s=60)
