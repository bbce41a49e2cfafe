"""course_utils.architectures: exact parameter counts (Keras and papers), multiply-adds, block behaviour.

Every full-size network is built once (cached) and freed right away; the slow part of
this file is building VGG-16 and DenseNet-121 twice (ours and Keras').
"""
import functools

import numpy as np
import pytest

import course_utils  # noqa: F401  (quiet TensorFlow before Keras loads it)
import keras

from course_utils import architectures as arch
from course_utils.shapes import conv_macs, conv_params, dense_params, model_macs, receptive_field

BUILDERS = {
    "first_cnn": arch.first_cnn,
    "alexnet": arch.alexnet,
    "alexnet_2towers": lambda: arch.alexnet(towers=2),
    "vgg16": arch.vgg16,
    "keras_vgg16": lambda: keras.applications.VGG16(weights=None),
    "googlenet": arch.googlenet,
    "googlenet_aux": lambda: arch.googlenet(aux_classifiers=True),
    "resnet18": lambda: arch.resnet(18),
    "resnet34": lambda: arch.resnet(34),
    "resnet50": lambda: arch.resnet(50),
    "resnet50_bias": lambda: arch.resnet(50, conv_bias=True),
    "keras_resnet50": lambda: keras.applications.ResNet50(weights=None),
    "resnext50": arch.resnext,
    "densenet121": arch.densenet,
    "keras_densenet121": lambda: keras.applications.DenseNet121(weights=None),
}


@functools.lru_cache(maxsize=None)
def measured(name):
    """(total parameters, trainable parameters, multiply-adds, number of outputs) of one build."""
    model = BUILDERS[name]()
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    result = (model.count_params(), trainable, model_macs(model), len(model.outputs))
    del model
    keras.backend.clear_session()
    return result


# ------------------------------------------------------------ parameter counts

def test_first_cnn_from_the_slides():
    model = arch.first_cnn()
    assert [layer.count_params() for layer in model.layers if layer.count_params()] == [896, 18_496, 1_605_760, 129]
    assert model.count_params() == 1_625_281
    assert model_macs(model) == conv_macs((62, 62), 3, 3, 32) + conv_macs((29, 29), 3, 32, 64) + 14 * 14 * 64 * 128 + 128


def test_alexnet_one_and_two_towers():
    one, two = measured("alexnet")[0], measured("alexnet_2towers")[0]
    assert (one, two) == (62_378_344, 60_965_224)
    grouped_savings = sum(conv_params(k, i, o) - conv_params(k, i, o, groups=2)
                          for k, i, o in [(5, 96, 256), (3, 384, 384), (3, 384, 256)])
    assert one - two == grouped_savings == 1_413_120
    assert round(two / 1e6) == 61 and abs(two - 60e6) / 60e6 < 0.02   # the paper's "60 million"


def test_vgg16_matches_keras_exactly():
    assert measured("vgg16")[0] == measured("keras_vgg16")[0] == 138_357_544
    assert round(measured("vgg16")[0] / 1e6, 1) == 138.4      # the slides' "140M"


def test_googlenet_with_and_without_auxiliary_classifiers():
    params, _, _, outputs = measured("googlenet")
    assert (params, outputs) == (6_998_552, 1)
    aux = sum(conv_params(1, c, 128) + dense_params(2048, 1024) + dense_params(1024, 1000) for c in (512, 528))
    assert measured("googlenet_aux")[0] == params + aux == 13_378_280
    assert measured("googlenet_aux")[3] == 3


def test_googlenet_module_3a_against_the_paper_table():
    f1, f3r, f3, f5r, f5, pool = arch.GOOGLENET_MODULES["3a"]
    inputs = keras.Input((28, 28, 192))
    module = keras.Model(inputs, arch.inception_module(inputs, f1, f3r, f3, f5r, f5, pool))
    weights = module.count_params() - (f1 + f3r + f3 + f5r + f5 + pool)
    assert weights == 163_328 and weights // 1024 == 159            # the paper's "159K" (K = 1024)
    assert module.output.shape == (None, 28, 28, 256)


def test_resnets_match_keras_and_the_model_zoo():
    assert measured("resnet50_bias")[0] == measured("keras_resnet50")[0] == 25_636_712
    assert measured("resnet50_bias")[1] == measured("keras_resnet50")[1] == 25_583_592
    # without conv biases, as in the paper and PyTorch: 11.7 M, 21.8 M, 25.6 M trainable
    assert [measured(f"resnet{d}")[1] for d in (18, 34, 50)] == [11_689_512, 21_797_672, 25_557_032]
    assert [measured(f"resnet{d}")[0] for d in (18, 34, 50)] == [11_699_112, 21_814_696, 25_610_152]


def test_resnext50_32x4d():
    total, trainable, macs, _ = measured("resnext50")
    assert (total, trainable) == (25_097_128, 25_028_904)
    assert round(trainable / 1e6, 1) == 25.0 and round(macs / 1e9, 1) == 4.2   # the paper: 25.0 M, 4.2 G


def test_densenet121_matches_keras_exactly():
    assert measured("densenet121")[0] == measured("keras_densenet121")[0] == 8_062_504


def test_small_networks_are_small_and_fixed():
    expected = {"lenet": 61_706, "alexnet": 145_882, "vgg": 117_434, "googlenet": 17_530,
                "resnet": 44_194, "resnext": 34_498, "densenet": 21_938}
    assert tuple(expected) == arch.SMALL_KINDS
    for kind, count in expected.items():
        model = arch.small_network(kind)
        assert model.output.shape == (None, 10) and model.count_params() == count, kind
        momenta = {layer.momentum for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)}
        assert momenta <= {0.5}, kind
    keras.backend.clear_session()


# ------------------------------------------------------------ multiply-adds

def test_model_macs_small_hand_checked_models():
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3), keras.layers.Flatten(),
                              keras.layers.Dense(10)])
    assert model_macs(model) == 6 * 6 * 4 * (3 * 3 * 3) + 144 * 10 == 5_328
    grouped = keras.Sequential([keras.Input((4, 4, 8)), keras.layers.Conv2D(8, 1, groups=4)])
    assert model_macs(grouped) == 4 * 4 * 8 * (8 // 4) == 256
    inputs = keras.Input((6, 6, 16))
    paths = keras.Model(inputs, arch.grouped_conv2d(inputs, 16, 3, groups=4))
    assert model_macs(paths) == conv_macs((6, 6), 3, 16, 16, groups=4) == 6 * 6 * 16 * 9 * 4


def test_model_macs_of_the_classics():
    assert measured("vgg16")[2] == measured("keras_vgg16")[2] == 15_470_264_320       # ~15.5 G
    assert measured("resnet50")[2] == measured("keras_resnet50")[2] == 3_857_973_248   # ~3.9 G
    assert measured("alexnet_2towers")[2] == 724_406_816 and measured("alexnet")[2] == 1_135_256_096
    assert measured("densenet121")[2] == measured("keras_densenet121")[2] == 2_834_161_664
    assert measured("googlenet")[2] == 1_582_671_872
    assert (measured("resnet18")[2], measured("resnet34")[2]) == (1_814_073_344, 3_663_761_408)


def test_stride_on_3x3_costs_more_with_the_same_parameters():
    model = arch.resnet(50, stride_on_3x3=True)
    assert model.count_params() == measured("resnet50")[0]
    assert model_macs(model) == 4_089_184_256                                            # "4.1 G"
    keras.backend.clear_session()


def test_model_macs_rejects_unbuilt_models():
    with pytest.raises(ValueError, match="not built"):
        model_macs(keras.Sequential([keras.layers.Dense(3)]))


# ------------------------------------------------------------ the slides' arithmetic

def test_five_by_five_versus_two_three_by_three():
    c = 32
    assert receptive_field([(3, 1), (3, 1)])[-1][0] == 5
    assert conv_params(5, c, c, bias=False) == 25 * c * c and 2 * conv_params(3, c, c, bias=False) == 18 * c * c


def test_inception_bottleneck_example():
    assert conv_macs((28, 28), 3, 192, 32) == 43_352_064          # slide: "43 M parameters" (they are MACs)
    assert conv_params(3, 192, 32, bias=False) == 55_296           # the real parameter count
    with_bottleneck = conv_macs((28, 28), 1, 192, 16) + conv_macs((28, 28), 3, 16, 32)
    assert with_bottleneck == 2_408_448 + 3_612_672 == 6_021_120   # slide: "5.4 M"


def test_resnext_paths_cost_like_a_resnet_bottleneck():
    one_path = conv_params(1, 256, 4, bias=False) + conv_params(3, 4, 4, bias=False) + conv_params(1, 4, 256, bias=False)
    resnet = conv_params(1, 256, 64, bias=False) + conv_params(3, 64, 64, bias=False) + conv_params(1, 64, 256, bias=False)
    assert (32 * one_path, resnet) == (70_144, 69_632)


# ------------------------------------------------------------ blocks behave as described

def test_grouped_conv2d_equals_keras_groups():
    inputs = keras.Input((5, 5, 12))
    grouped = keras.Model(inputs, keras.layers.Conv2D(6, 3, padding="same", groups=3, use_bias=False)(inputs))
    paths = keras.Model(inputs, arch.grouped_conv2d(inputs, 6, 3, groups=3))
    kernel = grouped.layers[-1].kernel.numpy()
    convs = [layer for layer in paths.layers if isinstance(layer, keras.layers.Conv2D)]
    for g, conv in enumerate(convs):
        conv.kernel.assign(kernel[..., 2 * g:2 * (g + 1)])
    x = np.random.default_rng(0).normal(size=(2, 5, 5, 12)).astype("float32")
    np.testing.assert_allclose(paths.predict(x, verbose=0), grouped.predict(x, verbose=0), atol=1e-5)
    assert paths.count_params() == grouped.count_params() == 3 * 3 * 4 * 6


def test_residual_block_with_zero_gamma_is_the_identity():
    inputs = keras.Input((6, 6, 8))
    block = keras.Model(inputs, arch.basic_block(inputs, 8))
    [bn.gamma.assign(np.zeros(8)) for bn in block.layers[-3:] if isinstance(bn, keras.layers.BatchNormalization)]
    x = np.random.default_rng(0).random((2, 6, 6, 8)).astype("float32")
    np.testing.assert_allclose(block.predict(x, verbose=0), x, atol=1e-6)


def test_block_shapes():
    x = keras.Input((56, 56, 64))
    assert arch.basic_block(x, 64).shape == (None, 56, 56, 64)                       # identity shortcut
    assert arch.basic_block(x, 128, stride=2).shape == (None, 28, 28, 128)           # projection shortcut
    assert arch.bottleneck_block(x, 64).shape == (None, 56, 56, 256)
    assert arch.resnext_block(x, 128, stride=2).shape == (None, 28, 28, 512)
    assert arch.vgg_block(x, 32, 3).shape == (None, 28, 28, 32)
    assert arch.dense_block(x, 3, growth_rate=12).shape == (None, 56, 56, 100)
    assert arch.transition_layer(keras.Input((8, 8, 100))).shape == (None, 4, 4, 50)
    densenet = arch.densenet(blocks=(2, 2), growth_rate=8, input_shape=(32, 32, 3), classes=5)
    assert densenet.name == "densenet11" and densenet.output.shape == (None, 5)


# ------------------------------------------------------------ clear errors for bad input

@pytest.mark.parametrize("call, error, message", [
    (lambda: arch.basic_block(np.zeros((8, 8, 3)), 8), TypeError, "4-D Keras tensor"),
    (lambda: arch.bottleneck_block(None, 8), TypeError, "4-D Keras tensor"),
    (lambda: arch.inception_module(keras.Input((28, 192)), 1, 1, 1, 1, 1, 1), TypeError, "shape"),
    (lambda: arch.vgg_block(keras.Input((8, 8, 3)), 8, convs=0), ValueError, "convs"),
    (lambda: arch.dense_block(keras.Input((8, 8, 3)), num_layers=-1), ValueError, "num_layers"),
    (lambda: arch.dense_layer([1, 2], 8), TypeError, "4-D Keras tensor"),
    (lambda: arch.transition_layer(keras.Input((8, 8, 4)), compression=0), ValueError, "compression"),
    (lambda: arch.grouped_conv2d(keras.Input((8, 8, 10)), 8, 3, groups=4), ValueError, "must divide"),
    (lambda: arch.resnext_block("x", 64), TypeError, "4-D Keras tensor"),
    (lambda: arch.alexnet(towers=3), ValueError, "towers"),
    (lambda: arch.vgg16(input_shape=(224, 224)), ValueError, "input_shape"),
    (lambda: arch.first_cnn(input_shape=(64, 64, 0)), ValueError, "input_shape"),
    (lambda: arch.googlenet(classes=0), ValueError, "classes"),
    (lambda: arch.resnet(20), ValueError, "depth must be one of"),
    (lambda: arch.resnext(34), ValueError, "bottleneck"),
    (lambda: arch.densenet(input_shape=None), ValueError, "input_shape"),
    (lambda: arch.small_network("lenet5"), ValueError, "kind must be one of"),
    (lambda: arch.small_network("lenet", input_shape=(28, 28, 3)), ValueError, "grayscale"),
])
def test_bad_input_gives_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
