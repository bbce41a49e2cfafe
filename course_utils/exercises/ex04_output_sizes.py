"""Exercise 04 · Output sizes, receptive fields and parameter counts.

Every reference comes from :mod:`course_utils.shapes` (the tested formulas), applied
to the slides' examples: 28 → 26, AlexNet's first layer, two stride-2 convolutions,
overlapping pooling and the slides' LeNet-5 variant (257,546 parameters).

>>> q2.check(364, 290_400, 105_705_600, 34_944)
✅ Correct! weights_per_neuron = 364, neurons = 290,400, connections = 105,705,600, parameters = 34,944.
>>> q2.check(363, 290_400, 105_705_600, 34_944)
❌ weights_per_neuron is 363, too small: forgot the bias? Each neuron also has one bias weight: 11 × 11 × 3 + 1. (3/4 correct)
"""
from __future__ import annotations

from course_utils.checks.questions import Exercise, FunctionQuestion, Mistake, PredictionQuestion, ValueQuestion
from course_utils.shapes import conv_output_size, conv_params, dense_params, receptive_field

ALEXNET = dict(input_size=224, kernel_size=11, stride=4, padding=2, in_channels=3, filters=96)


def _alexnet_counts():
    width = conv_output_size(ALEXNET["input_size"], ALEXNET["kernel_size"], ALEXNET["stride"], ALEXNET["padding"])
    per_neuron = conv_params(ALEXNET["kernel_size"], ALEXNET["in_channels"], 1)       # 11·11·3 weights + 1 bias
    neurons = width * width * ALEXNET["filters"]
    return {"weights_per_neuron": per_neuron, "neurons": neurons, "connections": neurons * per_neuron,
            "parameters": conv_params(ALEXNET["kernel_size"], ALEXNET["in_channels"], ALEXNET["filters"])}


def lenet_variant_params() -> list[int]:
    """Parameters per layer of the slides' Keras LeNet-5 variant (conv, pool, conv, pool, conv 1×1, flatten, dense, dense).

    >>> sum(lenet_variant_params())
    257546
    """
    size = conv_output_size(28, 5, padding="same")            # 28: 'same' keeps the size
    size = conv_output_size(size, 2, stride=2)                 # 14
    size = conv_output_size(size, 5)                           # 10
    size = conv_output_size(size, 2, stride=2)                 # 5
    flat = size * size * 120                                   # the 1×1 conv keeps 5×5, with 120 channels
    return [conv_params(5, 1, 6), 0, conv_params(5, 6, 16), 0, conv_params(1, 16, 120), 0,
            dense_params(flat, 84), dense_params(84, 10)]


q1 = ValueQuestion(
    "ex04.q1", points=2, names=["out_28", "alexnet_width"], integer=True, title="Output sizes",
    expected=lambda: (conv_output_size(28, 3), conv_output_size(224, 11, stride=4, padding=2)),
    mistakes={
        "out_28": [Mistake("off by one: a 3-wide kernel fits in 28 − 3 + 1 positions.", 25),
                   Mistake("with no padding the output shrinks: 28 − 3 + 1.", 28)],
        "alexnet_width": [Mistake("forgot the padding? Add 2P = 4 to the input: (224 + 4 − 11) / 4 + 1.", 54),
                          Mistake("forgot the + 1? out = (I + 2P − F) / S + 1.", 54.25),
                          Mistake("padding applied twice (P = 2 zeros per side means + 2P = + 4, not + 8), or rounded "
                                  "up? Round down: out = floor((I + 2P − F) / S) + 1.", 56),
                          Mistake("forgot the stride? Divide by S = 4 before adding 1.", 218)],
    },
    hint=["out = (I + 2P − F) / S + 1, rounded down.",
          "AlexNet: I = 224, P = 2, F = 11, S = 4, so (224 + 4 − 11) / 4 + 1."],
)

q2 = ValueQuestion(
    "ex04.q2", points=4, names=["weights_per_neuron", "neurons", "connections", "parameters"], integer=True,
    title="AlexNet conv1: weights, neurons, connections, parameters",
    expected=_alexnet_counts,
    mistakes={
        "weights_per_neuron": [
            Mistake("forgot the bias? Each neuron also has one bias weight: 11 × 11 × 3 + 1.", 363),
            Mistake("each neuron sees all 3 colour channels: 11 × 11 × 3 weights, plus 1 bias.", 122),
            Mistake("each neuron sees all 3 colour channels (11 × 11 × 3) and has a bias (+ 1).", 121)],
        "neurons": [Mistake("that is one feature map: there are 96 filters, one map each.", 3025)],
        "connections": [Mistake("count the bias connection too: every neuron has one more weight, its bias.", 290_400 * 363),
                        Mistake("that is the parameter count; connections = neurons × weights per neuron (nothing is shared).", 34_944)],
        "parameters": [Mistake("forgot the bias? One bias per filter: 96 × (11 × 11 × 3 + 1).", 96 * 363),
                       Mistake("that counts connections: the weights are SHARED by every position of a map, so "
                               "parameters = 96 filters × weights per neuron.", 105_705_600),
                       Mistake("that is one filter: there are 96.", 364)],
    },
    hint=["A neuron of conv1 looks at an 11 × 11 × 3 patch and has a bias.",
          "neurons = alexnet_width × alexnet_width × 96; connections = neurons × weights per neuron; "
          "parameters = weights per neuron × number of filters (weights are shared)."],
)

q3 = ValueQuestion(
    "ex04.q3", points=2, names=["rf", "jump"], integer=True,
    title="Receptive field of two 3×3, stride-2 convolutions",
    expected=lambda: receptive_field([(3, 2), (3, 2)])[-1],
    mistakes={"rf": [Mistake("that is for stride 1. With stride 2, the second layer's neighbours are 2 input "
                             "pixels apart (jump 2): r = 3 + (3 − 1) × 2.", 5),
                     Mistake("r_out = r_in + (K − 1) × J_in uses the jump BEFORE the layer (J = 2 for the "
                             "second one), not after it.", 11),
                     Mistake("padding does not change the receptive field's size.", 9)],
              "jump": [Mistake("the jump multiplies the strides: 2 × 2.", 2)]},
    hint=["Use r_out = r_in + (K − 1) × J_in and J_out = J_in × S, starting from r = 1, J = 1.",
          "Layer 1: r = 1 + 2 × 1 = 3, J = 2. Layer 2: r = 3 + 2 × 2 = ?"],
)

q4 = ValueQuestion(
    "ex04.q4", points=2, names=["pooled", "pool_params"], integer=True,
    title="Overlapping max pooling after AlexNet conv1",
    expected=lambda: (conv_output_size(55, 3, stride=2), 0),
    mistakes={"pooled": [Mistake("the stride is 2 (overlapping windows), not 3.", 18),
                         Mistake("off by one: 1 + (alexnet_width − 3) // 2.", 26),
                         Mistake("that is stride 1; the windows move by 2: 1 + (alexnet_width − 3) // 2.", 53)],
              "pool_params": [Mistake("max pooling has nothing to learn: it only takes a maximum.", 96)]},
    hint=["Pooling uses the same size formula as a convolution: 1 + (J − F) / s.",
          "Does computing a maximum need any weights?"],
)

q5 = ValueQuestion(
    "ex04.q5", points=3, names=["lenet_params", "lenet_total"], integer=True,
    title="Parameters of the slides' LeNet-5 variant",
    expected=lambda: (lenet_variant_params(), sum(lenet_variant_params())),
    mistakes={"lenet_params": [
        Mistake("one value per layer in summary() order, 8 in all: conv, pool, conv, pool, conv, flatten, dense, "
                "dense (pooling and flatten have 0).", [0] * 8, match="other_shape"),
        Mistake("forgot the biases? Each filter and each unit has one.",
                [150, 0, 2400, 0, 1920, 0, 252000, 840])],
        "lenet_total": [Mistake("forgot the biases? Each filter and each unit has one.", 257_310)]},
    hint=["Conv2D: (kh × kw × C_in + 1) × filters. Dense: (inputs + 1) × units. Pooling and Flatten: 0.",
          "Track the shapes: 28×28×1 → (same) 28×28×6 → 14×14×6 → 10×10×16 → 5×5×16 → 5×5×120 → 3000 → 84 → 10."],
)


def _output_size_cases(rng):
    cases = []
    for _ in range(8):
        f = int(rng.integers(1, 8))
        s = int(rng.integers(1, 5))
        p = int(rng.integers(0, 4))
        i = int(rng.integers(max(f - 2 * p, 1), 65))
        cases.append((i, f, s, p))
    cases.append((30, 4, 3, 1))      # (30 − 4 + 2) / 3 is not a whole number: needs the floor
    return cases


q6 = FunctionQuestion(
    "ex04.q6", points=3, name="output_size", title="Write output_size(I, F, S, P)", integer=True,
    reference=lambda i, f, s, p: conv_output_size(i, f, stride=s, padding=p),
    make_args=_output_size_cases,
    examples=[("I = 28, F = 3, S = 1, P = 0", (28, 3, 1, 0)), ("AlexNet conv1", (224, 11, 4, 2))],
    mistakes=[
        Mistake("did you round down? Use integer division: (I + 2 * P - F) // S + 1.",
                lambda i, f, s, p: (i + 2 * p - f) / s + 1),
        Mistake("forgot the padding? Add 2P.", lambda i, f, s, p: (i - f) // s + 1),
        Mistake("padding goes on both sides: + 2P, not + P.", lambda i, f, s, p: (i + p - f) // s + 1),
        Mistake("padding applied twice? + 2P in total, not + 4P.", lambda i, f, s, p: (i + 4 * p - f) // s + 1),
        Mistake("forgot the + 1?", lambda i, f, s, p: (i + 2 * p - f) // s),
        Mistake("round down, not up: (I + 2 * P - F) // S + 1.", lambda i, f, s, p: -(-(i + 2 * p - f) // s) + 1),
    ],
    hint=["out = floor((I + 2P − F) / S) + 1.",
          "Integer division // divides and rounds down in one step, and keeps the result an int."],
)

p1 = ValueQuestion(
    "ex04.p1", points=0, names=["same_pad"], integer=True, title="Practice: 'same' padding for a 5×5 kernel",
    expected=lambda: 2,
    mistakes=[Mistake("that pads too much: (F − 1) / 2 per side keeps the size at stride 1.", 4)],
    hint="At stride 1, out = I + 2P − F + 1 equals I when 2P = F − 1.",
    solution="same_pad = (5 - 1) // 2   # = 2 zeros per side",
)

p2 = PredictionQuestion(
    "ex04.p2", title="Predict, then check: two stride-2 convolutions with 'same' padding",
    expected=lambda: conv_output_size(conv_output_size(28, 3, 2, 1), 3, 2, 1),
    explanation="'same' padding keeps the size only at stride 1; with stride 2 each layer keeps every second "
                "window, ⌈I / 2⌉ of them: 28 → 14 → 7.",
    hint="Apply ⌊(I + 2P − F)/S⌋ + 1 twice, with F = 3, P = 1, S = 2.",
)

EXERCISE = Exercise("04_output_sizes_and_counts", "Output sizes, receptive fields and parameter counts",
                    [q1, q2, q3, q4, q5, q6, p1, p2])
