"""course_utils.efficient: counts against hand formulas and Keras, equal outputs, receptive fields, MACs."""
import numpy as np
import pytest

import course_utils  # noqa: F401  (quiet TensorFlow start-up)
import keras
from keras import layers

from course_utils import architectures as arch
from course_utils import efficient as eff
from course_utils.shapes import conv_macs, conv_params, dense_params, model_macs


def model_of(block, shape, *args, **kwargs):
    x = keras.Input(shape)
    return keras.Model(x, block(x, *args, **kwargs))


def test_separable_block_parameters_are_k2c_plus_ck():
    c, k = 32, 64
    m = model_of(eff.separable_block, (16, 16, c), k, batch_norm=False)
    assert m.count_params() == (9 * c + c) + (c * k + k) == 2_432
    bn = model_of(eff.separable_block, (16, 16, c), k)
    assert bn.count_params() == 9 * c + c * k + 4 * (c + k) == 2_720
    full = conv_params(3, c, k, bias=False)
    assert full == 9 * c * k and (9 * c + c * k) / full == pytest.approx(1 / k + 1 / 9)


def test_depthwise_then_pointwise_equals_separable_conv2d():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 9, 9, 5)).astype("float32")
    separable = layers.SeparableConv2D(7, 3, padding="same", depth_multiplier=2)
    depthwise = layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2, use_bias=False)
    pointwise = layers.Conv2D(7, 1)
    expected = keras.ops.convert_to_numpy(separable(x))
    depthwise.build(x.shape)
    pointwise.build((2, 9, 9, 10))
    dw_kernel, pw_kernel, bias = separable.get_weights()
    assert dw_kernel.shape == (3, 3, 5, 2) and pw_kernel.shape == (1, 1, 10, 7)
    depthwise.set_weights([dw_kernel])
    pointwise.set_weights([pw_kernel, bias])
    got = keras.ops.convert_to_numpy(pointwise(depthwise(x)))
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert separable.count_params() == depthwise.count_params() + pointwise.count_params() == 90 + 77


def test_model_macs_of_separable_depthwise_and_grouped_layers():
    x = keras.Input((10, 10, 16))
    sep = keras.Model(x, layers.SeparableConv2D(32, 3, strides=2, padding="same")(x))
    assert model_macs(sep) == 5 * 5 * 16 * 9 + 5 * 5 * 16 * 32 == 16_400
    twice = keras.Model(x, layers.SeparableConv2D(8, 3, depth_multiplier=2)(x))
    assert model_macs(twice) == 8 * 8 * 32 * 9 + 8 * 8 * 32 * 8 == 34_816
    dw = keras.Model(x, layers.DepthwiseConv2D(3, padding="same")(x))
    assert model_macs(dw) == conv_macs((10, 10), 3, 16, 16, groups=16) == 14_400
    grouped = keras.Model(x, layers.Conv2D(32, 3, padding="same", groups=4)(x))
    assert model_macs(grouped) == conv_macs((10, 10), 3, 16, 32, groups=4) == 100 * 32 * 9 * 4 == 115_200
    s1 = keras.Input((20, 6))
    sep1 = keras.Model(s1, layers.SeparableConv1D(4, 5)(s1))
    assert model_macs(sep1) == 16 * 6 * 5 + 16 * 6 * 4 == 864
    dw1 = keras.Model(s1, layers.DepthwiseConv1D(3)(s1))
    assert model_macs(dw1) == 18 * 6 * 3


def test_the_separable_saving_in_macs():
    x = keras.Input((14, 14, 64))
    full = keras.Model(x, layers.Conv2D(128, 3, padding="same", use_bias=False)(x))
    cheap = model_of(eff.separable_block, (14, 14, 64), 128, batch_norm=False)
    assert model_macs(full) == 196 * 9 * 64 * 128
    assert model_macs(cheap) == 196 * (9 * 64 + 64 * 128)
    assert model_macs(full) / model_macs(cheap) == pytest.approx(1 / (1 / 128 + 1 / 9))


@pytest.mark.parametrize("kernel, asymmetric, weights_per_pair, count", [(5, False, 18, 2), (7, False, 27, 3), (3, True, 6, 2),
                                                                         (7, True, 14, 2)])
def test_factorised_convs_keep_the_receptive_field(kernel, asymmetric, weights_per_pair, count):
    c = 8
    model = keras.Sequential([keras.Input((15, 15, c)), *eff.factorised_layers(c, kernel, asymmetric, activation=None)])
    assert len(model.layers) == count
    assert eff.stack_receptive_field(model) == (kernel, kernel)
    weights = sum(int(np.prod(layer.kernel.shape)) for layer in model.layers)
    assert weights == weights_per_pair * c * c < kernel * kernel * c * c
    # measured: the output at the centre depends on exactly a kernel x kernel window of the input
    for layer in model.layers:
        layer.kernel.assign(np.ones(layer.kernel.shape, "float32"))
        layer.bias.assign(np.zeros(layer.bias.shape, "float32"))
    impulse = np.zeros((1, 15, 15, c), "float32")
    impulse[0, 7, 7, 0] = 1.0
    reached = keras.ops.convert_to_numpy(model(impulse))[0, :, :, 0] != 0
    rows, cols = np.nonzero(reached)
    assert (int(np.ptp(rows)) + 1, int(np.ptp(cols)) + 1) == (kernel, kernel)


def test_stack_receptive_field_with_strides_and_pooling():
    model = keras.Sequential([keras.Input((32, 32, 1)), layers.Conv2D(1, 3, strides=2), layers.MaxPooling2D(2),
                              layers.Conv2D(1, (3, 1), dilation_rate=2)])
    assert eff.stack_receptive_field(model) == (3 + 1 * 2 + 2 * 4 * 2, 3 + 1 * 2)   # (13, 5)


def test_factorised_conv_rejects_even_kernels():
    with pytest.raises(ValueError, match="odd"):
        eff.factorised_layers(8, 4)


def test_fire_module_parameters_match_the_formula():
    c, s, e1, e3 = 96, 16, 64, 64
    m = model_of(eff.fire_module, (55, 55, c), s, e1, e3)
    assert m.count_params() == (c * s + s) + (s * e1 + e1) + (9 * s * e3 + e3) == 11_920
    assert m.output.shape == (None, 55, 55, 128)
    assert model_macs(m) == 55 * 55 * (c * s + s * e1 + 9 * s * e3)


def test_inverted_residual_parameters_and_shortcut():
    c, t, k = 24, 6, 24
    m = model_of(eff.inverted_residual, (56, 56, c), k, expansion=t)
    hidden = t * c
    assert m.count_params() == c * hidden + 4 * hidden + 9 * hidden + 4 * hidden + hidden * k + 4 * k == 9_456
    assert any(isinstance(layer, layers.Add) for layer in m.layers)
    # the projection is linear: the last layer before the addition is batch norm, not an activation
    add = next(layer for layer in m.layers if isinstance(layer, layers.Add))
    assert isinstance(add._inbound_nodes[0].parent_nodes[1].operation, layers.BatchNormalization)
    strided = model_of(eff.inverted_residual, (56, 56, c), 32, stride=2)
    assert strided.output.shape == (None, 28, 28, 32) and not any(isinstance(l, layers.Add) for l in strided.layers)
    assert model_macs(strided) == 56 * 56 * c * hidden + 28 * 28 * hidden * 9 + 28 * 28 * hidden * 32


def test_inverted_residual_with_squeeze_excite():
    c = 16
    plain = model_of(eff.inverted_residual, (14, 14, c), c, expansion=4)
    se = model_of(eff.inverted_residual, (14, 14, c), c, expansion=4, se_ratio=0.25, activation="swish")
    reduced = int(c * 0.25)
    assert se.count_params() - plain.count_params() == dense_params(64, reduced) + dense_params(reduced, 64) == 580


def test_mobilenet_v2_matches_keras_applications():
    ours = eff.mobilenet_v2()
    reference = keras.applications.MobileNetV2(weights=None)
    assert ours.count_params() == reference.count_params() == 3_538_984
    assert model_macs(ours) == model_macs(reference) == 300_774_272
    trainable = sum(int(np.prod(w.shape)) for w in ours.trainable_weights)
    assert trainable == 3_504_872


def test_mobilenet_v2_width_multiplier():
    half = eff.mobilenet_v2(alpha=0.5)
    reference = keras.applications.MobileNetV2(weights=None, alpha=0.5)
    assert half.count_params() == reference.count_params()


def test_efficientnet_b0_count_from_keras():
    assert keras.applications.EfficientNetB0(weights=None).count_params() == 5_330_571


def test_squeezenet_counts():
    model = eff.squeezenet()
    assert model.count_params() == 1_248_424
    assert not any(isinstance(layer, layers.Dense) for layer in model.layers)
    fires = sum(conv_params(1, c_in, s) + conv_params(1, s, e1) + conv_params(3, s, e3)
                for c_in, (s, e1, e3) in zip((96, 128, 128, 256, 256, 384, 384, 512), eff.SQUEEZENET_FIRES.values()))
    assert model.count_params() == conv_params(7, 3, 96) + fires + conv_params(1, 512, 1000)


def test_make_divisible():
    assert [eff.make_divisible(v) for v in (32, 16 * 0.35, 24 * 1.4, 1280 * 0.5)] == [32, 8, 32, 640]


def test_compound_scaling_and_rounded_repeats():
    depth, width, resolution, flops = eff.compound_scaling(4)
    assert (depth, round(width, 4), round(224 * resolution, 2), round(flops, 3)) == (2.0736, 1.4641, 391.78, 13.597)
    assert eff.compound_scaling(0) == (1.0, 1.0, 1.0, 1.0)
    assert eff.compound_scaling(2, *eff.EFFICIENTNET_CONSTANTS) == eff.compound_scaling(2)
    assert abs(eff.compound_scaling(1)[3] - 1.2 * 1.1**2 * 1.15**2) < 1e-12
    assert [eff.round_repeats(3, d) for d in (1.0, 1.1, 2.0736)] == [3, 4, 7]     # up, never down
    with pytest.raises(ValueError, match="phi must be a number >= 0"):
        eff.compound_scaling(-1)
    with pytest.raises(ValueError, match="repeats"):
        eff.round_repeats(0, 1.2)


@pytest.mark.parametrize("kind", eff.SMALL_KINDS)
def test_small_networks_take_a_name_and_classify(kind):
    model = eff.small_network(kind, name=f"my_{kind}")
    assert model.name == f"my_{kind}" and model.output.shape == (None, 10)
    assert eff.small_network(kind).name == f"small_{kind}"
    out = keras.ops.convert_to_numpy(model(np.zeros((2, 28, 28, 1), "float32")))
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    assert all(l.momentum == eff.BN_MOMENTUM for l in model.layers if isinstance(l, layers.BatchNormalization))


def test_small_networks_are_cheap():
    macs = {kind: model_macs(eff.small_network(kind)) for kind in eff.SMALL_KINDS}
    resnet = model_macs(arch.small_network("resnet"))
    assert macs["wide_resnet"] == pytest.approx(resnet, rel=0.05)    # one wider block for the work of two
    assert macs["mobilenet"] < resnet / 2 and macs["squeezenet"] < resnet / 2


def test_small_network_rejects_unknown_kinds():
    with pytest.raises(ValueError, match="kind must be one of"):
        eff.small_network("alexnet")
