"""Dense prediction (course_utils.dense_prediction): the dense head as convolutions computes the same
function, the U-Net has its skips, and per-class IoU is right on hand-made label maps."""
import keras
import numpy as np
import pytest

from course_utils import dense_prediction as dp
from course_utils.models import lenet5_modern, lenet5_slides


@pytest.mark.parametrize("builder, kernel", [(lenet5_modern, (1, 1)), (lenet5_slides, (5, 5))])
def test_a_lenet_and_its_fully_convolutional_copy_agree(builder, kernel):
    keras.utils.set_random_seed(0)
    model = builder()
    dense = dp.fully_convolutional(model)
    assert dense.get_layer("f6_as_conv").kernel.shape[:2] == kernel      # the slides' 1x1 C5 leaves a 5x5 map
    images = np.random.default_rng(1).random((4, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(dense(images))[:, 0, 0],
                               keras.ops.convert_to_numpy(model(images)), rtol=1e-5, atol=1e-6)
    assert dense.count_params() == model.count_params()
    assert dense.compute_output_shape((1, 60, 60, 1)) == (1, 9, 9, 10)   # 60 -> 30 -> 26 -> 13 -> 9 either way


def test_a_fixed_input_size_gives_every_shape():
    dense = dp.fully_convolutional(lenet5_modern(), input_size=84)
    assert dense.output.shape == (None, 15, 15, 10)


def test_only_flatten_then_dense_heads_convert():
    x = keras.Input((8, 8, 1))
    pooled = keras.Model(x, keras.layers.Dense(3)(keras.layers.GlobalAveragePooling2D()(x)))
    with pytest.raises(ValueError, match="must end in one Flatten followed only by Dense layers"):
        dp.fully_convolutional(pooled)
    with pytest.raises(TypeError, match="must be a keras.Model, got str"):
        dp.fully_convolutional("lenet")


def test_the_unet_concatenates_and_the_plain_decoder_does_not():
    unet, plain = dp.small_unet(32, 4, (4, 8, 8)), dp.small_unet(32, 4, (4, 8, 8), skips=False)
    concat = [layer for layer in unet.layers if isinstance(layer, keras.layers.Concatenate)]
    assert [tuple(layer.output.shape[1:]) for layer in concat] == [(16, 16, 16), (32, 32, 8)]
    assert not any(isinstance(layer, keras.layers.Concatenate) for layer in plain.layers)
    assert unet.output.shape == plain.output.shape == (None, 32, 32, 4)
    # the skips only widen the two decoder convolutions' inputs: 3x3 x (their own filters) x filters more weights
    assert unet.count_params() - plain.count_params() == 9 * 8 * 8 + 9 * 4 * 4
    with pytest.raises(ValueError, match="divisible by 2 \\*\\* 2"):
        dp.small_unet(30, 3, (4, 8, 8))


def test_per_class_iou_by_hand():
    truth = np.array([[0, 0, 1, 1], [0, 2, 2, 1]])
    guess = np.array([[0, 1, 1, 1], [0, 2, 0, 1]])
    # pixels 0..7 row by row. class 0: true {0,1,4}, predicted {0,4,6}: 2 shared of 4 -> 1/2;
    # class 1: true {2,3,7}, predicted {1,2,3,7} -> 3/4; class 2: true {5,6}, predicted {5} -> 1/2
    np.testing.assert_allclose(dp.per_class_iou(truth, guess, 3), [0.5, 0.75, 0.5])
    assert dp.confusion_counts(truth, guess, 3).sum() == truth.size
    assert dp.per_class_iou(truth, truth, 3).tolist() == [1.0, 1.0, 1.0]


def test_per_class_iou_bad_input():
    with pytest.raises(ValueError, match="one shape"):
        dp.per_class_iou(np.zeros((2, 2), int), np.zeros((2, 3), int), 2)
    with pytest.raises(ValueError, match=r"predicted labels must be integers in 0..1, got int64 in 0..4"):
        dp.per_class_iou(np.zeros((2, 2), int), np.array([[0, 4], [1, 1]]), 2)
