"""course_utils.layers: im2col/col2im, forward passes against conv.conv2d and Keras, every
backward pass against numerical gradients, max-pool routing (ties included), a short
training run and the one-line errors for bad inputs."""
import math

import numpy as np
import pytest

import course_utils  # noqa: F401  (quiets TensorFlow before Keras is imported in the Keras tests)
from course_utils import conv, layers

SLIDE_IMAGE = np.array([[5, 8, 0, 4, 8], [3, 9, 2, 9, 2], [4, 9, 2, 3, 6], [5, 4, 8, 2, 0], [5, 8, 0, 0, 8]])
LAPLACIAN = np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]])
SLIDE_POOL = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)
# (kernel, stride, padding) combinations, with odd/even sizes so "same" pads asymmetrically.
GEOMETRIES = [(3, 1, 0), (3, 2, 1), (3, 2, "same"), (2, 2, "same"), (4, 1, "same"), (3, 3, "valid"), (1, 1, 0),
              ((2, 3), 1, 2)]


def rng(seed=0):
    return np.random.default_rng(seed)


def im2col_loops(x, kh, kw, stride, pad):
    """A plain reference: pad, then one flattened patch per (image, row, column)."""
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    oh, ow = (x.shape[1] - kh) // stride + 1, (x.shape[2] - kw) // stride + 1
    return np.array([img[i * stride:i * stride + kh, j * stride:j * stride + kw].ravel()
                     for img in x for i in range(oh) for j in range(ow)])


def projection(layer, x, dout):
    """f(.) = sum(forward(x) * dout), whose gradient with respect to the output is dout."""
    return lambda _: float(np.sum(layer.forward(x) * dout))


# --------------------------------------------------------------------------- im2col / col2im

@pytest.mark.parametrize("stride,pad", [(1, 0), (2, 1), (3, 2), (2, 0)])
def test_im2col_matches_plain_loops(stride, pad):
    x = rng().normal(size=(2, 7, 6, 3))
    np.testing.assert_array_equal(layers.im2col(x, 3, stride, pad), im2col_loops(x, 3, 3, stride, pad))


@pytest.mark.parametrize("kernel,stride,padding", GEOMETRIES)
def test_im2col_shape(kernel, stride, padding):
    x = np.zeros((3, 9, 8, 2))
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    oh = conv.conv2d(x, np.zeros((kh, kw, 2, 1)), padding=padding, stride=stride).shape[1]
    ow = conv.conv2d(x, np.zeros((kh, kw, 2, 1)), padding=padding, stride=stride).shape[2]
    assert layers.im2col(x, kernel, stride, padding).shape == (3 * oh * ow, kh * kw * 2)


def test_im2col_rows_follow_the_keras_weight_order():
    x = rng().normal(size=(1, 3, 3, 2))
    w = rng(1).normal(size=(3, 3, 2, 4))
    row = layers.im2col(x, 3)[0]
    np.testing.assert_array_equal(row, x[0].ravel())  # (kh, kw, C) order
    np.testing.assert_allclose(row @ w.reshape(-1, 4), np.einsum("ijc,ijcf->f", x[0], w))


@pytest.mark.parametrize("kernel,stride,padding", GEOMETRIES)
def test_col2im_is_the_adjoint_of_im2col(kernel, stride, padding):
    x = rng().normal(size=(2, 9, 8, 3))
    cols = layers.im2col(x, kernel, stride, padding)
    a = rng(1).normal(size=cols.shape)
    back = layers.col2im(a, x.shape, kernel, stride, padding)
    assert back.shape == x.shape
    assert math.isclose(np.sum(back * x), np.sum(a * cols), rel_tol=1e-12)


def test_col2im_counts_overlapping_patches():
    counts = layers.col2im(np.ones((4, 9)), (1, 4, 4, 1), 3)[0, :, :, 0]
    np.testing.assert_array_equal(counts, [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])
    # stride 2 and padding 1 on a 5x5 image: every pixel of the slide example is covered once or more
    counts = layers.col2im(np.ones((9, 9)), (1, 5, 5, 1), 3, stride=2, padding=1)[0, :, :, 0]
    np.testing.assert_array_equal(counts[0], [1, 2, 1, 2, 1])
    np.testing.assert_array_equal(counts[1], [2, 4, 2, 4, 2])


# --------------------------------------------------------------------------- forward passes

@pytest.mark.parametrize("kernel,stride,padding", GEOMETRIES)
def test_conv_forward_matches_conv2d(kernel, stride, padding):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    x, w, b = rng().normal(size=(3, 9, 8, 2)), rng(1).normal(size=(kh, kw, 2, 5)), rng(2).normal(size=5)
    np.testing.assert_allclose(layers.Conv2D(w, b, stride, padding).forward(x),
                               conv.conv2d(x, w, b, padding=padding, stride=stride), atol=1e-12)


def test_conv_forward_reproduces_the_slide_examples():
    weights = LAPLACIAN.reshape(3, 3, 1, 1)
    image = SLIDE_IMAGE.reshape(1, 5, 5, 1)
    strided = layers.Conv2D(weights, stride=2, padding=1).forward(image)[0, :, :, 0]
    np.testing.assert_array_equal(strided, [[9, -14, 26], [-1, -14, 19], [7, -16, 32]])
    padded = layers.Conv2D(weights, padding=1).forward(image)[0, :, :, 0]
    np.testing.assert_array_equal(padded, [[9, 18, -14, -1, 26], [-6, 14, -12, 25, -15], [-1, 17, -14, -7, 19],
                                           [7, -14, 24, -3, -16], [7, 23, -16, -10, 32]])
    relu = layers.ReLU().forward(strided)
    np.testing.assert_array_equal(relu, [[9, 0, 26], [0, 0, 19], [7, 0, 32]])


def test_maxpool_forward_slide_example_and_pool2d():
    pool = layers.MaxPool2D(2)
    out = pool.forward(SLIDE_POOL.reshape(1, 4, 4, 1))
    np.testing.assert_array_equal(out[0, :, :, 0], [[6, 8], [3, 4]])
    np.testing.assert_array_equal(pool.argmax[0, :, :, 0], [[3, 3], [0, 3]])
    x = rng().normal(size=(2, 7, 9, 3))   # odd sizes: the last row/column is dropped, like pool2d
    out = layers.MaxPool2D(3).forward(x)
    for n in range(2):
        np.testing.assert_array_equal(out[n], conv.pool2d(x[n], 3))


@pytest.mark.parametrize("stride,padding", [(1, "valid"), (2, "valid"), (1, "same"), (2, "same"), (2, 1)])
def test_conv_forward_matches_keras(stride, padding):
    import keras

    x, w, b = rng().normal(size=(2, 9, 8, 3)), rng(1).normal(size=(3, 3, 3, 4)), rng(2).normal(size=4)
    layer = keras.layers.Conv2D(4, 3, strides=stride, padding="valid" if padding == 1 else padding, dtype="float64")
    x_in = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0))) if padding == 1 else x
    layer.build(x_in.shape)
    layer.set_weights([w, b])
    np.testing.assert_allclose(layers.Conv2D(w, b, stride, padding).forward(x),
                               keras.ops.convert_to_numpy(layer(x_in)), rtol=1e-10, atol=1e-10)


def test_maxpool_forward_matches_keras():
    import keras

    x = rng().normal(size=(2, 7, 6, 3))
    expected = keras.ops.convert_to_numpy(keras.layers.MaxPooling2D(2, dtype="float64")(x))
    np.testing.assert_array_equal(layers.MaxPool2D(2).forward(x), expected)


def test_conv_gradients_match_keras_through_one_sgd_step():
    """One SGD step with learning rate 1 subtracts exactly the gradient, on any Keras backend."""
    import keras

    class ProjectionLoss(keras.losses.Loss):
        def call(self, y_true, y_pred):
            return keras.ops.sum(y_true * y_pred)

    x, w, b = rng().normal(size=(2, 7, 7, 3)), rng(1).normal(size=(3, 3, 3, 4)), rng(2).normal(size=4)
    ours = layers.Conv2D(w, b, stride=2, padding="same")
    dout = rng(3).normal(size=ours.forward(x).shape)
    ours.backward(dout)
    inputs = keras.Input(shape=(7, 7, 3), dtype="float64")
    conv_layer = keras.layers.Conv2D(4, 3, strides=2, padding="same", dtype="float64")
    model = keras.Model(inputs, conv_layer(inputs))
    conv_layer.set_weights([w, b])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss=ProjectionLoss(reduction="sum", dtype="float64"))
    model.train_on_batch(x, dout)
    new_w, new_b = conv_layer.get_weights()
    np.testing.assert_allclose(w - new_w, ours.dW, atol=1e-9)
    np.testing.assert_allclose(b - new_b, ours.db, atol=1e-9)


# --------------------------------------------------------------------------- backward passes

@pytest.mark.parametrize("kernel,stride,padding", [(3, 1, 0), (3, 2, 1), (2, 2, "same"), (3, 2, "same"), ((2, 3), 1, 1)])
def test_conv_gradient_check(kernel, stride, padding):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    x = rng().normal(size=(2, 5, 6, 2))
    layer = layers.Conv2D(rng(1).normal(size=(kh, kw, 2, 3)), rng(2).normal(size=3), stride, padding)
    dout = rng(3).normal(size=layer.forward(x).shape)
    dx = layer.backward(dout)
    f = projection(layer, x, dout)
    assert layers.gradient_check(f, x, dx) < 1e-6
    assert layers.gradient_check(f, layer.W, layer.dW) < 1e-6
    assert layers.gradient_check(f, layer.b, layer.db) < 1e-6


def test_conv_backward_tiny_example():
    image = np.arange(16, dtype=float).reshape(1, 4, 4, 1)
    k = np.arange(1, 10, dtype=float).reshape(3, 3)
    layer = layers.Conv2D(k.reshape(3, 3, 1, 1))
    layer.forward(image)
    dout = np.zeros((1, 2, 2, 1))
    dout[0, 0, 1, 0] = 1.0
    dx = layer.backward(dout)[0, :, :, 0]
    expected = np.zeros((4, 4))
    expected[0:3, 1:4] = k
    np.testing.assert_array_equal(dx, expected)
    np.testing.assert_array_equal(layer.dW[:, :, 0, 0], image[0, 0:3, 1:4, 0])
    np.testing.assert_array_equal(layer.db, [1.0])


@pytest.mark.parametrize("make", [lambda: layers.ReLU(), lambda: layers.MaxPool2D(2), lambda: layers.MaxPool2D(3),
                                  lambda: layers.Flatten()], ids=["relu", "maxpool2", "maxpool3", "flatten"])
def test_gradient_check_of_layers_without_parameters(make):
    layer = make()
    x = rng().normal(size=(2, 7, 6, 3))   # random normals: no ties and no zeros, so no kinks nearby
    dout = rng(1).normal(size=layer.forward(x).shape)
    assert layers.gradient_check(projection(layer, x, dout), x, layer.backward(dout)) < 1e-6


def test_dense_gradient_check():
    dense = layers.Dense(rng(1).normal(size=(6, 4)), rng(2).normal(size=4))
    x = rng().normal(size=(5, 6))
    dout = rng(3).normal(size=(5, 4))
    dx = (dense.forward(x), dense.backward(dout))[1]
    f = projection(dense, x, dout)
    for value, grad in ((x, dx), (dense.W, dense.dW), (dense.b, dense.db)):
        assert layers.gradient_check(f, value, grad) < 1e-6


def test_softmax_cross_entropy_values_and_gradient():
    logits = rng().normal(size=(6, 10))
    labels = rng(1).integers(0, 10, size=6)
    loss, dlogits = layers.softmax_cross_entropy(logits, labels)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert math.isclose(loss, -np.mean(np.log(p[np.arange(6), labels])), rel_tol=1e-12)  # the slide formula, averaged
    np.testing.assert_allclose(dlogits.sum(axis=1), 0, atol=1e-15)
    assert layers.gradient_check(lambda z: layers.softmax_cross_entropy(z, labels)[0], logits, dlogits) < 1e-6
    uniform, _ = layers.softmax_cross_entropy(np.zeros((3, 10)), np.array([0, 5, 9]))
    assert math.isclose(uniform, math.log(10))
    huge, dhuge = layers.softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([1]))  # no overflow
    assert math.isclose(huge, 1000.0) and np.isfinite(dhuge).all()


def test_whole_network_gradient_check():
    net = layers.Sequential([layers.Conv2D.initialize(2, 3, 3, padding=1, seed=1), layers.ReLU(), layers.MaxPool2D(2),
                             layers.Flatten(), layers.Dense.initialize(3 * 3 * 3, 4, seed=2)])
    x, y = rng().normal(size=(2, 6, 6, 2)), np.array([1, 3])

    def loss(_):
        return layers.softmax_cross_entropy(net.forward(x), y)[0]

    dx = net.backward(layers.softmax_cross_entropy(net.forward(x), y)[1])
    first, last = net.layers[0], net.layers[-1]
    for value, grad in ((x, dx), (first.W, first.dW), (first.b, first.db), (last.W, last.dW)):
        assert layers.gradient_check(loss, value, grad) < 1e-6


def test_maxpool_routes_the_gradient_to_the_max():
    pool = layers.MaxPool2D(2)
    pool.forward(SLIDE_POOL.reshape(1, 4, 4, 1))
    dx = pool.backward(np.array([[10.0, 20.0], [30.0, 40.0]]).reshape(1, 2, 2, 1))[0, :, :, 0]
    np.testing.assert_array_equal(dx, [[0, 0, 0, 0], [0, 10, 0, 20], [30, 0, 0, 0], [0, 0, 0, 40]])


def test_maxpool_ties_go_to_the_first_max_in_row_major_order():
    """Documented convention: at a tie the whole gradient goes to the first maximum (like np.argmax).

    The max is not differentiable at a tie; centred differences see the kink and give 1/2 to
    each tied input, which is why gradient checks must avoid ties.
    """
    x = np.array([[5, 5, 1, 0], [2, 5, 0, 0], [3, 3, 9, 9], [3, 3, 9, 9]], dtype=float).reshape(1, 4, 4, 1)
    pool = layers.MaxPool2D(2)
    pool.forward(x)
    dx = pool.backward(np.ones((1, 2, 2, 1)))[0, :, :, 0]
    np.testing.assert_array_equal(dx, [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])
    numeric = layers.numerical_gradient(lambda v: pool.forward(v).sum(), x.copy())[0, :, :, 0]
    np.testing.assert_allclose(numeric[0], [0.5, 0.5, 1, 0], atol=1e-6)


def test_maxpool_backward_gives_dropped_border_zero_gradient():
    pool = layers.MaxPool2D(2)
    x = rng().normal(size=(1, 5, 5, 1))
    pool.forward(x)
    dx = pool.backward(np.ones((1, 2, 2, 1)))
    assert dx.shape == x.shape and dx[0, 4, :, 0].sum() == 0 and dx[0, :, 4, 0].sum() == 0 and dx.sum() == 4


def test_gradient_check_catches_a_wrong_gradient():
    x = rng().normal(size=(1, 5, 5, 1))
    layer = layers.Conv2D(rng(1).normal(size=(3, 3, 1, 1)))
    dout = rng(2).normal(size=(1, 3, 3, 1))
    layer.forward(x)
    layer.backward(dout)
    flipped = layer.dW[::-1, ::-1]   # a classic bug: flipping the kernel gradient
    assert layers.gradient_check(projection(layer, x, dout), layer.W, flipped) > 1e-2


def test_numerical_gradient_and_relative_error():
    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(layers.numerical_gradient(lambda v: float(np.sum(v ** 3)), x), 3 * x ** 2, rtol=1e-9)
    np.testing.assert_array_equal(x, [1.0, -2.0, 0.5])  # restored after the in-place perturbations
    assert layers.relative_error([0.0, 0.0], [0.0, 0.0]) == 0.0
    assert math.isclose(layers.relative_error([1.0, 0.0], [0.0, 1.0]), math.sqrt(2) / 2)


# --------------------------------------------------------------------------- training

def test_sgd_updates_in_place_with_and_without_momentum():
    dense = layers.Dense(np.ones((2, 1)))
    w = dense.W
    dense.forward(np.ones((1, 2)))
    dense.backward(np.ones((1, 1)))
    sgd = layers.SGD(0.5, momentum=0.9)
    sgd.step([dense])
    sgd.step([dense])   # same gradient twice: v = -0.5, then -0.95
    assert dense.W is w
    np.testing.assert_allclose(dense.W.ravel(), [1 - 0.5 - 0.95] * 2)
    np.testing.assert_allclose(dense.b, [-1.45])


def test_a_short_training_run_lowers_the_loss():
    from course_utils.datasets import load_mnist

    (x_all, y_all), _ = load_mnist(source="sample")
    x, y = x_all[:256, :, :, None] / 255.0, y_all[:256].astype(int)
    model = layers.Sequential([layers.Conv2D.initialize(1, 4, 3, stride=2, seed=1), layers.ReLU(), layers.MaxPool2D(2),
                               layers.Flatten(), layers.Dense.initialize(6 * 6 * 4, 10, seed=2)])
    optimizer = layers.SGD(0.1, momentum=0.9)
    losses = []
    for step in range(24):
        batch = slice((step % 4) * 64, (step % 4 + 1) * 64)
        loss, dlogits = layers.softmax_cross_entropy(model.forward(x[batch]), y[batch])
        model.backward(dlogits)
        optimizer.step(model)
        losses.append(loss)
    assert losses[0] > 2.0
    assert np.mean(losses[-4:]) < 0.6 * losses[0]


# --------------------------------------------------------------------------- bad inputs

def one_line_error(kind, call, *fragments):
    with pytest.raises(kind) as info:
        call()
    message = str(info.value)
    assert "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message


def test_bad_inputs_give_one_clear_line():
    conv_layer = layers.Conv2D(np.ones((3, 3, 2, 4)))
    one_line_error(ValueError, lambda: conv_layer.forward(np.ones((5, 5, 2))), "(N, H, W, C)", "x[None]")
    one_line_error(ValueError, lambda: conv_layer.forward(np.ones((1, 5, 5, 3))), "2 input channels", "(1, 5, 5, 3)")
    one_line_error(ValueError, lambda: conv_layer.forward(np.full((1, 5, 5, 2), np.nan)), "NaN")
    one_line_error(TypeError, lambda: conv_layer.forward(None), "None")
    one_line_error(ValueError, lambda: conv_layer.forward(np.ones((1, 2, 2, 2))), "does not fit")
    one_line_error(RuntimeError, lambda: layers.Conv2D(np.ones((3, 3, 2, 4))).backward(np.ones((1, 3, 3, 4))),
                   "before Conv2D.forward()")
    conv_layer.forward(np.ones((1, 5, 5, 2)))
    one_line_error(ValueError, lambda: conv_layer.backward(np.ones((1, 2, 2, 4))), "(1, 3, 3, 4)")
    one_line_error(ValueError, lambda: layers.Conv2D(np.ones((3, 3, 2))), "4-D")
    one_line_error(ValueError, lambda: layers.Conv2D(np.ones((3, 3, 2, 4)), bias=np.ones(3)), "(4,)")
    one_line_error(ValueError, lambda: layers.Conv2D(np.ones((3, 3, 2, 4)), stride=0), "stride")
    one_line_error(ValueError, lambda: layers.Conv2D(np.ones((3, 3, 2, 4)), padding="full"), "padding")


def test_bad_inputs_for_im2col_col2im_pool_dense_and_loss():
    one_line_error(ValueError, lambda: layers.im2col(np.ones((4, 4)), 3), "4-D")
    one_line_error(ValueError, lambda: layers.im2col(np.ones((1, 4, 4, 1)), 0), "kernel_size")
    one_line_error(ValueError, lambda: layers.col2im(np.ones((3, 9)), (1, 4, 4, 1), 3), "(4, 9)")
    one_line_error(ValueError, lambda: layers.col2im(np.ones((4, 9)), (4, 4), 3), "x_shape")
    one_line_error(ValueError, lambda: layers.MaxPool2D(2).forward(np.ones((1, 1, 4, 1))), "at least 2x2")
    one_line_error(ValueError, lambda: layers.MaxPool2D(0), "positive int")
    one_line_error(ValueError, lambda: layers.MaxPool2D(2).forward(np.ones((4, 4, 1))), "x[None]")
    one_line_error(ValueError, lambda: layers.Dense(np.ones((3, 2))).forward(np.ones((1, 4))), "3 input features")
    one_line_error(ValueError, lambda: layers.Flatten().forward(np.ones(3)), "at least 2 axes")
    one_line_error(ValueError, lambda: layers.ReLU().forward([1.0, np.inf]), "NaN or infinity")
    one_line_error(ValueError, lambda: layers.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3])), "[0, 2]")
    one_line_error(ValueError, lambda: layers.softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0])), "integer")
    one_line_error(ValueError, lambda: layers.softmax_cross_entropy(np.zeros((2, 3)), np.array([0])), "shape (2,)")
    one_line_error(TypeError, lambda: layers.numerical_gradient(lambda v: 0.0, np.ones(3, dtype=np.float32)), "float64")
    one_line_error(ValueError, lambda: layers.gradient_check(lambda v: 0.0, np.ones(3), np.ones(2)), "shape")
    one_line_error(ValueError, lambda: layers.relative_error(np.ones(2), np.ones(3)), "equal shapes")
    one_line_error(ValueError, lambda: layers.SGD(-1.0), "learning_rate")
    one_line_error(RuntimeError, lambda: layers.SGD().step([layers.Dense(np.ones((2, 2)))]), "backward()")
    one_line_error(TypeError, lambda: layers.Sequential([np.ones(2)]), "forward()")


# --------------------------------------------------------------------------- overlapping pooling, max relative error

def test_maxpool_with_a_stride_matches_pool2d_and_the_slide_example():
    x5 = np.array([[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]], dtype=float)
    out = layers.MaxPool2D(3, stride=1).forward(x5.reshape(1, 5, 5, 1))[0, :, :, 0]
    np.testing.assert_array_equal(out, [[3, 3, 3], [3, 3, 3], [3, 2, 3]])   # the slides' 3x3 pooling
    x = rng().normal(size=(2, 9, 8, 3))
    for size, stride in ((3, 2), (2, 1), (3, 1), (2, 3)):
        got = layers.MaxPool2D(size, stride=stride).forward(x)
        for n in range(2):
            np.testing.assert_array_equal(got[n], conv.pool2d(x[n], size, stride))
    np.testing.assert_array_equal(layers.MaxPool2D(2, stride=2).forward(x), layers.MaxPool2D(2).forward(x))


def test_overlapping_maxpool_sums_the_gradients_of_every_window_an_input_wins():
    x = np.array([[0, 0, 0, 0], [0, 9, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]], dtype=float).reshape(1, 4, 4, 1)
    pool = layers.MaxPool2D(2, stride=1)
    pool.forward(x)
    dx = pool.backward(np.arange(1.0, 10.0).reshape(1, 3, 3, 1))[0, :, :, 0]
    # the 9 wins the four windows that contain it (gradients 1 + 2 + 4 + 5); the 1 wins the last window (9)
    assert dx[1, 1] == 12 and dx[3, 3] == 9 and dx.sum() == 45
    x = rng().normal(size=(2, 7, 6, 2))   # no ties: the numerical gradient is exact
    for size, stride in ((3, 2), (2, 1), (3, 1)):
        pool = layers.MaxPool2D(size, stride=stride)
        dout = rng(1).normal(size=pool.forward(x).shape)
        dx = pool.backward(dout)
        loss = lambda v: float((pool.forward(v) * dout).sum())   # noqa: E731
        assert layers.gradient_check(loss, x.copy(), dx) < 1e-8


def test_max_relative_error_sees_one_wrong_entry():
    a = np.array([10.0, 20.0, 30.0, 0.5])
    b = a.copy()
    b[3] = 1.0
    assert layers.relative_error(a, b) < 0.02             # the norm hides the small wrong entry
    assert math.isclose(layers.max_relative_error(a, b), 0.5 / 1.5)
    assert layers.max_relative_error(a, a) == 0.0 and layers.max_relative_error([0.0], [0.0]) == 0.0
    assert math.isclose(layers.max_relative_error([2.0], [1.0]), 1 / 3)
    one_line_error(ValueError, lambda: layers.max_relative_error(np.ones(2), np.ones(3)), "equal shapes")
    one_line_error(ValueError, lambda: layers.max_relative_error(np.ones(2), np.ones(2), floor=0), "floor")
    one_line_error(ValueError, lambda: layers.MaxPool2D(2, stride=0), "stride")
