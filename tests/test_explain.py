"""Saliency, Grad-CAM, occlusion and top activations on small models whose answers are known by hand."""
import numpy as np
import pytest

import course_utils  # noqa: F401  (before keras)
import keras
from course_utils import explain, models


def linear_model(weights, bias=(0.0, 0.0)):
    """4x4 image -> Flatten -> Dense(2, softmax) with the given (16, 2) weights."""
    inputs = keras.Input((4, 4, 1))
    x = keras.layers.Flatten(name="flatten")(keras.layers.Identity(name="identity")(inputs))
    outputs = keras.layers.Dense(2, activation="softmax", name="output")(x)
    model = keras.Model(inputs, outputs)
    model.get_layer("output").set_weights([np.asarray(weights, "float32"), np.asarray(bias, "float32")])
    return model


def conv_model(seed=0):
    """4x4 image -> 1x1 conv with kernels +1 and -1 (no bias) -> Flatten -> Dense(3, softmax)."""
    inputs = keras.Input((4, 4, 1))
    x = keras.layers.Conv2D(2, 1, use_bias=False, name="conv")(inputs)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="output")(x)
    model = keras.Model(inputs, outputs)
    model.get_layer("conv").set_weights([np.array([[[[1.0, -1.0]]]], "float32")])
    rng = np.random.default_rng(seed)
    model.get_layer("output").set_weights([rng.normal(size=(32, 3)).astype("float32"), np.zeros(3, "float32")])
    return model


def test_gradient_of_a_square():
    np.testing.assert_allclose(explain.gradient(lambda t: t ** 2, np.array([[1.0, -2.0]], "float32")), [[2.0, -4.0]])


def test_gradient_refuses_other_backends_in_one_line(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    with pytest.raises(NotImplementedError, match=r"TensorFlow backend only, but Keras runs on 'jax'") as info:
        explain.gradient(lambda t: t, np.zeros(2, "float32"))
    assert "\n" not in str(info.value)


def test_class_scores_are_the_logits_before_softmax():
    weights = np.arange(32, dtype="float32").reshape(16, 2) / 10
    model = linear_model(weights, bias=(0.5, -0.5))
    x = np.random.default_rng(0).random((3, 4, 4, 1)).astype("float32")
    logits = explain.class_scores(model, x)
    np.testing.assert_allclose(logits, x.reshape(3, 16) @ weights + [0.5, -0.5], rtol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras.ops.softmax(logits)),
                               model.predict(x, verbose=0), rtol=1e-5)


def test_saliency_of_a_linear_model_is_the_weight_image():
    weights = np.zeros((16, 2), "float32")
    weights[:, 1] = np.linspace(-1.5, 1.5, 16)
    model = linear_model(weights)
    x = np.random.default_rng(1).random((2, 4, 4, 1)).astype("float32")
    saliency = explain.saliency_map(model, x, [1, 0])
    np.testing.assert_allclose(saliency[0], np.abs(weights[:, 1]).reshape(4, 4), rtol=1e-6)
    np.testing.assert_allclose(saliency[1], 0)           # class 0's weights are all zero


def test_saliency_matches_finite_differences_on_lenet():
    model = models.lenet5_classic(input_size=28)
    x = np.random.default_rng(2).random((1, 28, 28, 1)).astype("float32")
    saliency = explain.saliency_map(model, x, [3])[0]
    eps = 1e-2
    for row, col in [(14, 14), (10, 20)]:
        plus, minus = x.copy(), x.copy()
        plus[0, row, col, 0] += eps
        minus[0, row, col, 0] -= eps
        numeric = (explain.class_scores(model, plus)[0, 3] - explain.class_scores(model, minus)[0, 3]) / (2 * eps)
        assert saliency[row, col] == pytest.approx(abs(numeric), rel=2e-2, abs=1e-5)


def test_grad_cam_matches_the_formula_by_hand():
    model = conv_model()
    x = np.random.default_rng(3).random((2, 4, 4, 1)).astype("float32")
    classes = np.array([0, 2])
    weights = model.get_layer("output").get_weights()[0]           # (4*4*2, 3), flatten order (row, col, channel)
    cam = explain.grad_cam(model, x, classes, "conv")
    for n, c in enumerate(classes):
        activations = np.concatenate([x[n], -x[n]], axis=-1)         # the two 1x1 kernels: +1 and -1
        grads = weights[:, c].reshape(4, 4, 2)                       # d score / d activation
        alpha = grads.mean(axis=(0, 1))
        expected = np.maximum((activations * alpha).sum(axis=-1), 0)
        np.testing.assert_allclose(cam[n], expected, rtol=1e-5, atol=1e-6)
    assert cam.shape == (2, 4, 4) and (cam >= 0).all()


def test_grad_cam_on_lenet_has_the_layer_resolution():
    model = models.lenet5_modern()
    x = np.random.default_rng(4).random((3, 28, 28, 1)).astype("float32")
    cam = explain.grad_cam(model, x, [0, 1, 2], "c3")
    assert cam.shape == (3, 10, 10) and (cam >= 0).all()


def test_layer_outputs_and_top_activating():
    model = conv_model()
    x = np.zeros((4, 4, 4, 1), "float32")
    x[0, 1, 2, 0], x[1, 3, 0, 0], x[2, 0, 0, 0], x[3, 2, 2, 0] = 0.5, 0.9, -1.0, 0.1
    outputs = explain.layer_outputs(model, x, ["conv", "flatten"])
    np.testing.assert_allclose(outputs["conv"][..., 1], -x[..., 0])
    assert outputs["flatten"].shape == (4, 32)
    assert list(explain.layer_outputs(model, x, "conv")) == ["conv"]
    indices, values, positions = explain.top_activating(model, x, "conv", channel=0, k=2)
    assert indices.tolist() == [1, 0] and values.tolist() == pytest.approx([0.9, 0.5])
    assert positions == [(3, 0), (1, 2)]
    indices, values, positions = explain.top_activating(model, x, "conv", channel=1, k=1)
    assert indices.tolist() == [2] and positions == [(0, 0)]       # -x is largest where x = -1


def test_occlusion_hurts_only_where_the_evidence_is():
    weights = np.zeros((16, 2), "float32")
    weights[1 * 4 + 2, 1] = 10.0                                   # class 1 looks at pixel (1, 2) only
    model = linear_model(weights)
    image = np.zeros((4, 4, 1), "float32")
    image[1, 2] = 1.0
    drops = explain.occlusion_sensitivity(model, image, class_index=1, patch=2, stride=1, fill=0.0)
    assert drops.shape == (3, 3)
    covers = np.zeros((3, 3), bool)
    covers[0:2, 1:3] = True                                        # patches whose 2x2 square holds (1, 2)
    p = 1 / (1 + np.exp(-10.0))
    np.testing.assert_allclose(drops[covers], p - 0.5, rtol=1e-5)
    np.testing.assert_allclose(drops[~covers], 0, atol=1e-6)


@pytest.mark.parametrize("call, message", [
    (lambda m: explain.saliency_map(m, np.zeros((1, 5, 5, 1)), [0]), r"expected a batch of images of shape \(N, 4, 4, 1\)"),
    (lambda m: explain.saliency_map(m, np.zeros((2, 4, 4, 1)), [0]), r"expected 2 class indices in 0..2"),
    (lambda m: explain.saliency_map(m, np.zeros((1, 4, 4, 1)), [3]), r"class indices in 0..2"),
    (lambda m: explain.class_scores(m, np.full((1, 4, 4, 1), np.nan)), "contain NaN"),
    (lambda m: explain.grad_cam(m, np.zeros((1, 4, 4, 1)), [0], "flatten"), "needs a layer with"),
    (lambda m: explain.top_activating(m, np.zeros((1, 4, 4, 1)), "conv", channel=2), r"channel must be in 0..1"),
    (lambda m: explain.occlusion_sensitivity(m, np.zeros((4, 4, 1)), 0, patch=5), "patch must be in 1..4"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call(conv_model())


def test_models_must_be_a_chain_ending_in_softmax():
    inputs = keras.Input((4, 4, 1))
    flat = keras.layers.Flatten()(inputs)
    branch = keras.layers.Add()([keras.layers.Dense(3)(flat), keras.layers.Dense(3)(flat)])
    outputs = keras.layers.Dense(2, activation="softmax")(branch)
    with pytest.raises(ValueError, match="single chain of layers"):
        explain.class_scores(keras.Model(inputs, outputs), np.zeros((1, 4, 4, 1)))
    logits_model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="must end in a Dense layer with softmax"):
        explain.saliency_map(logits_model, np.zeros((1, 4, 4, 1)), [0])
