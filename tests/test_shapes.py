"""course_utils.shapes: every slide size question, checked by hand and against real Keras layers."""
import itertools
import math

import numpy as np
import pytest

import course_utils  # noqa: F401  (before keras: quiet TensorFlow)
from course_utils.conv import correlate2d
from course_utils.shapes import (activation_memory, conv_macs, conv_fans, conv_output_size, conv_params, dense_params,
                                 effective_kernel_size, model_macs, receptive_field, same_padding)


# --- effective kernel size and output size ---------------------------------------------------------

def test_effective_kernel_size():
    assert [effective_kernel_size(3, d) for d in (1, 2, 3, 4)] == [3, 5, 7, 9]
    assert effective_kernel_size(1, dilation=5) == 1
    assert effective_kernel_size(5, dilation=3) == 13


@pytest.mark.parametrize("args, error", [((0,), ValueError), ((3, 0), ValueError), ((2.0,), TypeError),
                                         ((True,), TypeError), ((None,), TypeError), ((3, "2"), TypeError)])
def test_effective_kernel_size_bad_input(args, error):
    with pytest.raises(error, match="kernel_size|dilation"):
        effective_kernel_size(*args)


@pytest.mark.parametrize("kwargs, expected", [
    (dict(input_size=28, kernel_size=3), 26),                                  # KBTU Lecture 6
    (dict(input_size=32, kernel_size=5), 28),                                  # UNSW COMP9444: LeNet C1
    (dict(input_size=14, kernel_size=5), 10),                                  # LeNet C3
    (dict(input_size=28, kernel_size=2, stride=2), 14),                        # LeNet S2 (pooling)
    (dict(input_size=224, kernel_size=11, stride=4, padding=2), 55),           # UNSW COMP9444: AlexNet conv1
    (dict(input_size=227, kernel_size=11, stride=4), 55),                      # the size that divides exactly
    (dict(input_size=55, kernel_size=3, stride=2), 27),                        # UNSW COMP9444: overlapping pooling
    (dict(input_size=7, kernel_size=3, stride=2), 3),                          # UNSW COMP9444: J = 7, s = 2
    (dict(input_size=9, kernel_size=3, stride=2), 4),                          # UNSW COMP9444: K = 9, s = 2
    (dict(input_size=6, kernel_size=3), 4),                                    # UNSW COMP9444: J + 1 - M
    (dict(input_size=7, kernel_size=3), 5),                                    # UNSW COMP9444: K + 1 - N
    (dict(input_size=5, kernel_size=3, padding=1), 5),                         # A³ TensorFlow-Keras: zero padding keeps 5x5
    (dict(input_size=5, kernel_size=3, stride=2, padding=1), 3),               # A³ TensorFlow-Keras: stride 2 gives 3x3
    (dict(input_size=6, kernel_size=3), 4),                                    # TDTU intro: 6x6x3 -> 4x4x2
    (dict(input_size=28, kernel_size=5, padding="same"), 28),                  # A³ TensorFlow-Keras: LeNet-like with "same"
    (dict(input_size=5, kernel_size=3, stride=2, padding="same"), 3),
    (dict(input_size=7, kernel_size=3, dilation=2), 3),
    (dict(input_size=7, kernel_size=3, padding="valid"), 5),
])
def test_conv_output_size_slide_examples(kwargs, expected):
    assert conv_output_size(**kwargs) == expected


def test_alexnet_floor():
    # (224 + 2*2 - 11) / 4 + 1 = 55.25: the slide's "= 55" needs the floor; 227 with no padding divides exactly
    assert (224 + 2 * 2 - 11) / 4 + 1 == 55.25
    assert conv_output_size(224, 11, stride=4, padding=2) == math.floor(55.25) == 55
    assert (227 - 11) / 4 + 1 == 55.0
    assert (224 - 11) / 4 + 1 == 54.25 and conv_output_size(224, 11, stride=4) == 54


def test_conv_output_size_is_the_floor_formula():
    for i, f, s, p, d in itertools.product(range(1, 12), (1, 2, 3, 5), (1, 2, 3), (0, 1, 2), (1, 2)):
        span = d * (f - 1) + 1
        if i + 2 * p < span:
            continue
        assert conv_output_size(i, f, s, p, d) == (i + 2 * p - span) // s + 1 == math.floor((i - span + 2 * p) / s + 1)


def test_same_is_ceil_of_input_over_stride():
    for i, f, s, d in itertools.product(range(1, 15), (1, 2, 3, 4, 5), (1, 2, 3), (1, 2)):
        assert conv_output_size(i, f, s, "same", d) == math.ceil(i / s)


@pytest.mark.parametrize("args, kwargs, error, message", [
    ((3, 5), {}, ValueError, "does not fit"),
    ((5, 3), {"dilation": 3}, ValueError, "does not fit"),
    ((0, 3), {}, ValueError, "input_size must be >= 1"),
    ((5.0, 3), {}, TypeError, "input_size must be an integer"),
    ((None, 3), {}, TypeError, "input_size must be an integer"),
    ((5, 3), {"stride": 0}, ValueError, "stride must be >= 1"),
    ((5, 3), {"padding": -1}, ValueError, "padding must be >= 0"),
    ((5, 3), {"padding": "full"}, TypeError, "padding must be an integer"),
    ((5, 0), {}, ValueError, "kernel_size must be >= 1"),
])
def test_conv_output_size_bad_input(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        conv_output_size(*args, **kwargs)


# --- checked against Keras ---------------------------------------------------------------------------

def _keras_output_hw(size, kernel, stride, padding, dilation):
    import keras

    x = keras.Input(shape=(size, size, 1))
    y = x
    if isinstance(padding, int) and padding:
        y = keras.layers.ZeroPadding2D(padding)(y)
    conv = keras.layers.Conv2D(1, kernel, strides=stride, dilation_rate=dilation,
                               padding="same" if padding == "same" else "valid")
    model = keras.Model(x, conv(y))
    out = model(np.zeros((1, size, size, 1), dtype="float32"))     # run it: the real shape, not a formula
    return tuple(out.shape[1:3])


GRID = [(i, f, s, p, d) for i, f, s, p, d in itertools.product((5, 8, 11), (1, 2, 3, 5), (1, 2, 3), (0, 1, 2, "same"), (1, 2))
        # Keras' Conv2D refuses strides > 1 together with dilation > 1; kernels that do not fit are errors
        if not (s > 1 and d > 1) and (p == "same" or i + 2 * p >= d * (f - 1) + 1)]


def test_conv_output_size_matches_keras_conv2d():
    mismatches = []
    for i, f, s, p, d in GRID:
        expected = conv_output_size(i, f, s, p, d)
        got = _keras_output_hw(i, f, s, p, d)
        if got != (expected, expected):
            mismatches.append(((i, f, s, p, d), expected, got))
    assert len(GRID) > 100
    assert not mismatches


def test_conv_output_size_matches_numpy_conv_with_stride_and_dilation():
    # the NumPy convolution accepts stride and dilation together (Keras does not): same formula
    rng = np.random.default_rng(0)
    for i, f, s, p, d in itertools.product((7, 10), (2, 3), (2, 3), (0, 1, "same"), (2, 3)):
        if p != "same" and i + 2 * p < d * (f - 1) + 1:
            continue
        out = correlate2d(rng.random((i, i)), np.ones((f, f)), padding=p, stride=s, dilation=d)
        assert out.shape == (conv_output_size(i, f, s, p, d),) * 2


# --- padding ----------------------------------------------------------------------------------------

def test_same_padding_keeps_the_size():
    assert [same_padding(3), same_padding(5), same_padding(7), same_padding(1)] == [1, 2, 3, 0]
    assert same_padding(3, dilation=2) == 2 and same_padding(3, dilation=4) == 4
    for f, d in itertools.product((1, 3, 5, 7), (1, 2, 3)):
        assert conv_output_size(20, f, padding=same_padding(f, d), dilation=d) == 20


@pytest.mark.parametrize("args, error", [((2,), ValueError), ((4, 1), ValueError), ((0,), ValueError), ((3.0,), TypeError)])
def test_same_padding_bad_input(args, error):
    with pytest.raises(error):
        same_padding(*args)


# --- receptive field -------------------------------------------------------------------------------

def test_receptive_field_examples():
    # MINES ParisTech: two 3x3 convolutions with stride 2 -> r = 7 (and a jump of 4)
    assert receptive_field([(3, 2), (3, 2)]) == [(3, 2), (7, 4)]
    # LeNet-5 conv/pool stack
    assert receptive_field([(5, 1), (2, 2), (5, 1), (2, 2)]) == [(5, 1), (6, 2), (14, 2), (16, 4)]
    # stacked 3x3 stride-1 convolutions grow by 2 each: three of them see 7x7 (VGG's argument)
    assert receptive_field([(3, 1)] * 3)[-1] == (7, 1)
    # dilations 1, 2, 4 grow the field exponentially
    assert [r for r, _ in receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)])] == [3, 7, 15]
    assert receptive_field([]) == []


@pytest.mark.parametrize("layers, error, message", [
    ([(3, 0)], ValueError, "stride must be >= 1"),
    ([(0, 1)], ValueError, "kernel_size must be >= 1"),
    ([(3,)], ValueError, "each layer must be"),
    ([(3, 1, 1, 1)], ValueError, "each layer must be"),
    (["33"], ValueError, "each layer must be"),
    ([(3, 1.5)], TypeError, "stride must be an integer"),
    (None, TypeError, "layers is None"),
])
def test_receptive_field_bad_input(layers, error, message):
    with pytest.raises(error, match=message):
        receptive_field(layers)


# --- parameter counts ---------------------------------------------------------------------------------

def test_conv_params_slide_examples():
    assert conv_params(5, in_channels=1, filters=6) == 156            # UNSW COMP9444: LeNet C1, 6 x 26
    assert conv_params(5, in_channels=6, filters=16) == 2416          # A³ TensorFlow-Keras summary: conv2d_2
    assert conv_params(1, in_channels=16, filters=120) == 2040        # A³ TensorFlow-Keras summary: the 1x1 conv2d_3
    assert conv_params(5, in_channels=3, filters=100) == 7600         # A³ TensorFlow-Keras: (3 x 5 x 5 + 1) x 100
    assert conv_params(3, in_channels=3, filters=1) == 28             # UNSW COMP9444: 1 + L M N with L = 3
    assert conv_params(11, 3, 96) == 34944                            # AlexNet conv1 (one tower, no groups)
    assert conv_params((3, 5), 2, 4, bias=False) == 3 * 5 * 2 * 4
    assert conv_params(3, 128, 128, groups=32) == (9 * 4 + 1) * 128


def test_conv_params_match_keras():
    import keras

    for kernel, c_in, filters in [(5, 1, 6), (3, 3, 2), (1, 192, 16), ((3, 5), 4, 7)]:
        layer = keras.layers.Conv2D(filters, kernel)
        layer.build((None, 12, 12, c_in))
        assert layer.count_params() == conv_params(kernel, c_in, filters)


@pytest.mark.parametrize("kernel, c_in, filters", [(3, 64, 128), (5, 3, 32), ((1, 7), 16, 8)])
def test_conv_fans_give_the_std_of_keras_initialisers(kernel, c_in, filters):
    import keras

    from course_utils.mlp import init_std

    fan_in, fan_out = conv_fans(kernel, c_in, filters)
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    shape = (kh, kw, c_in, filters)
    assert (fan_in, fan_out) == (kh * kw * c_in, kh * kw * filters)
    he = np.asarray(keras.initializers.HeNormal(seed=0)(shape)).std()
    glorot = np.asarray(keras.initializers.GlorotUniform(seed=0)(shape)).std()
    np.testing.assert_allclose(he, init_std("he", fan_in, fan_out), rtol=0.05)
    np.testing.assert_allclose(glorot, init_std("glorot", fan_in, fan_out), rtol=0.05)


@pytest.mark.parametrize("args, kwargs, error, message", [
    ((3, 3, 4), {"groups": 2}, ValueError, "must divide"),
    ((0, 3, 4), {}, ValueError, "kernel_size must be >= 1"),
    ((3, 0, 4), {}, ValueError, "in_channels must be >= 1"),
    ((3, 3, None), {}, TypeError, "filters must be an integer"),
    (((3, 3, 3), 3, 4), {}, TypeError, "kernel_size must be an integer or a \\(height, width\\) pair"),
    ((None, 3, 4), {}, TypeError, "kernel_size must be an integer or"),
    ((3, 4, 4), {"groups": 0}, ValueError, "groups must be >= 1"),
])
def test_conv_params_bad_input(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        conv_params(*args, **kwargs)


def test_dense_params_slide_examples():
    assert dense_params(400, 120) == 48120                           # LeNet F5
    assert dense_params(3000, 84) == 252084                          # A³ TensorFlow-Keras summary: dense_1
    assert dense_params(84, 10) == 850                               # A³ TensorFlow-Keras summary: dense_2
    assert dense_params(3 * 512 * 512, 100) == 78643300              # A³ TensorFlow-Keras: the MLP comparison
    assert dense_params(10, 5, bias=False) == 50
    # A³ TensorFlow-Keras's LeNet-like summary: 257,546 parameters in all
    total = (conv_params(5, 1, 6) + conv_params(5, 6, 16) + conv_params(1, 16, 120)
             + dense_params(5 * 5 * 120, 84) + dense_params(84, 10))
    assert total == 257546


@pytest.mark.parametrize("args", [(None, 3), (0, 3), (3, -1), (2.5, 3)])
def test_dense_params_bad_input(args):
    with pytest.raises((TypeError, ValueError), match="in_features|units"):
        dense_params(*args)


# --- compute and memory --------------------------------------------------------------------------------

def test_conv_macs():
    assert conv_macs((28, 28), 3, 192, 32) == 43352064                      # MINES ParisTech: Inception 3x3, ~43 M
    macs = conv_macs((28, 28), 5, 1, 6)
    assert macs == 117600
    assert macs + 28 * 28 * 6 == 122304                                     # UNSW COMP9444: LeNet C1 "connections" add the bias
    assert conv_macs((4, 5), (3, 3), 3, 1) == 4 * 5 * 27
    assert conv_macs((10, 10), 3, 8, 8, groups=8) == 10 * 10 * 8 * 9        # depthwise


@pytest.mark.parametrize("args, message", [(((28, 28), 3, None, 4), "in_channels"), ((None, 3, 3, 4), "output_hw"),
                                           (((28,), 3, 3, 4), "output_hw"), (((28, 28), 3, 3, 0), "filters")])
def test_conv_macs_bad_input(args, message):
    with pytest.raises((TypeError, ValueError), match=message):
        conv_macs(*args)


def test_activation_memory():
    assert activation_memory((512, 512, 100)) == 512 * 512 * 100 * 4 == 100 * 2**20
    assert activation_memory((512, 512, 100), batch_size=100) / 2**30 == pytest.approx(9.765625)
    assert activation_memory((28, 28, 6), bytes_per_value=2) == 28 * 28 * 6 * 2
    assert activation_memory(np.zeros((2, 3)).shape) == 24


@pytest.mark.parametrize("args, kwargs, error", [((None,), {}, TypeError), (((),), {}, TypeError),
                                                 (((3, -1),), {}, ValueError), (((3, 2.5),), {}, TypeError),
                                                 (((3, 3),), {"batch_size": 0}, ValueError)])
def test_activation_memory_bad_input(args, kwargs, error):
    with pytest.raises(error, match="shape|batch_size"):
        activation_memory(*args, **kwargs)


def test_model_macs_counts_conv_depthwise_and_dense():
    import keras

    model = keras.Sequential([
        keras.Input(shape=(8, 8, 3)),
        keras.layers.Conv2D(4, 3),                 # 6x6x4 outputs, 27 MACs each
        keras.layers.DepthwiseConv2D(3),           # 4x4x4 outputs, 9 MACs each
        keras.layers.MaxPooling2D(2),              # not counted
        keras.layers.Flatten(),
        keras.layers.Dense(5),                     # 16 x 5
    ])
    expected = 6 * 6 * 4 * 27 + 4 * 4 * 4 * 9 + 16 * 5
    assert model_macs(model) == expected == conv_macs((6, 6), 3, 3, 4) + 576 + 80


def test_model_macs_bad_input():
    with pytest.raises(TypeError, match="model must be a built keras.Model"):
        model_macs(None)
    with pytest.raises(TypeError, match="got list"):
        model_macs([1, 2])
