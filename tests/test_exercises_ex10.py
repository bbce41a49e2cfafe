"""Exercise 10 (what CNNs learn): the given model is the course's trained LeNet, every check passes
the solution, names known mistakes with their fix, says "not attempted" for stubs and "returned
nothing" for a forgotten return; and the notebook graded end to end through the sandbox."""
import functools

import numpy as np
import pytest

from course_utils import explain
from course_utils.checks.protocol import PASS
from course_utils.exercises import ex10_what_cnns_learn as ex
from course_utils.grading.job import instructor_cells
from course_utils.grading.synthetic import graded_sources
from exercise_asserts import assert_mistakes_advised, assert_solution_full_marks, assert_stubs_not_attempted, assert_not_attempted, assert_wrong, check, grade_students, sourceless, stub

NOTEBOOK = "10_what_cnns_learn"


@pytest.fixture(scope="module")
def notebook():
    """The namespace of the notebook after its context cell and every solution (as a student's kernel)."""
    namespace = dict(ex.given_data())
    for cell in instructor_cells(ex.EXERCISE):
        if cell["question"] is None:
            exec(cell["source"], namespace)
    for qid, sources in graded_sources(NOTEBOOK).items():
        exec(sources["solution"], namespace)
    return namespace


def test_the_context_cell_rebuilds_the_course_model(notebook):
    images = ex.held_out_images()[0][:50]
    reference = ex.course_model()
    assert [layer.name for layer in notebook["model"].layers[:8]] == [layer.name for layer in reference.layers[:8]]
    assert notebook["model"].count_params() == reference.count_params() == 61_706
    np.testing.assert_allclose(notebook["model"].predict(images, verbose=0), reference.predict(images, verbose=0),
                               atol=1e-6)
    np.testing.assert_allclose(notebook["score_model"].predict(images, verbose=0),
                               explain.class_scores(reference, images), rtol=1e-5, atol=1e-5)
    assert notebook["digits"].shape == (8, 28, 28, 1) and notebook["digit_labels"].tolist() == [5, 2, 4, 6, 6, 5, 6, 9]


def test_the_grad_cam_mistake_generator_is_pinned_to_the_reference():
    image, label = ex._example(3)
    for layer in ex.GRAD_CAM_LAYERS:
        np.testing.assert_allclose(ex.grad_cam_variant(image, label, layer), ex.grad_cam(image, label, layer),
                                   rtol=1e-6, atol=1e-9)


def test_hidden_inputs_vary_and_stay_off_the_visible_digits():
    first, second = ex.q2.hidden_args(np.random.default_rng(1)), ex.q2.hidden_args(np.random.default_rng(2))
    assert not np.array_equal(first[0][0], second[0][0])
    visible = ex.digits()
    assert not any(np.array_equal(image, d) for image, _ in first + second for d in visible)
    layers = [args[2] for args in ex.q3.hidden_args(np.random.default_rng(0))]
    assert len(set(layers)) == 3 and set(layers) <= set(ex.GRAD_CAM_LAYERS)
    assert {tuple(args[2:]) for args in ex.q4.hidden_args(np.random.default_rng(0))} == {(5, 3), (6, 2), (4, 4)}


def test_q1_feature_maps(notebook):
    maps, peak = notebook["c3_maps"], notebook["c3_peak_channel"]
    assert maps.shape == (10, 10, 16) and peak == 3
    assert check(ex.q1, maps, peak).status == PASS
    assert check(ex.q1, maps.tolist(), float(peak)).status == PASS
    assert_wrong(check(ex.q1, maps[np.newaxis], peak), "shape (1, 10, 10, 16)", "drop the batch axis")
    assert_wrong(check(ex.q1, np.zeros((5, 5, 16)), peak), "S4's output")
    assert_wrong(check(ex.q1, np.moveaxis(maps, -1, 0), peak), "channels last")
    assert_wrong(check(ex.q1, maps, int(maps.mean(axis=(0, 1)).argmax())), "not the largest mean", "(1/2 correct)")
    assert_wrong(check(ex.q1, maps, peak + 1), "numbered from 0")
    assert_not_attempted(check(ex.q1, None, None))


def test_q2_saliency(notebook):
    assert check(ex.q2, notebook["saliency"]).status == PASS
    for mistake, advice in zip(ex.q2.mistakes, ("gradient of the probability", "take the absolute value",
                                                "with respect to C1's maps", "do not normalise",
                                                "keep only the score of class_index")):
        assert_wrong(check(ex.q2, sourceless(mistake.wrong)), advice)
    assert_wrong(check(ex.q2, sourceless(lambda image, c: ex.saliency(image, c)[np.newaxis])),
                 "on digits[0] and its label's class, the result has shape (1, 28, 28), expected (28, 28)")
    assert_wrong(check(ex.q2, sourceless(lambda image, c: None)), "returned nothing (None)")
    assert_not_attempted(check(ex.q2, stub))


def test_q3_grad_cam(notebook):
    assert check(ex.q3, notebook["grad_cam"]).status == PASS
    for mistake, advice in zip(ex.q3.mistakes, ("apply the ReLU", "average the gradient over the positions",
                                                "before the softmax", "do not normalise the map")):
        assert_wrong(check(ex.q3, sourceless(mistake.wrong)), advice)
    assert_wrong(check(ex.q3, lambda image, c, layer: np.ones((28, 28))),
                 "the result has shape (28, 28), expected (10, 10)", "no resizing")
    assert_not_attempted(check(ex.q3, stub))


def test_q4_occlusion(notebook):
    assert check(ex.q4, notebook["occlusion"]).status == PASS
    for mistake, advice in zip(ex.q4.mistakes[:3], ("1 paints a white square", "a gray 0.5 square",
                                                    "p(original) − p(occluded)")):
        assert_wrong(check(ex.q4, sourceless(mistake.wrong)), advice)
    assert_wrong(check(ex.q4, sourceless(lambda image, c, patch, stride: ex.occlusion(image, c, patch, stride)[:-1, :-1])),
                 "patch 6, stride 2, the result has shape (11, 11), expected (12, 12)", "(28 − patch) // stride + 1")
    assert_not_attempted(check(ex.q4, stub))


def test_q5_filter_responses(notebook):
    responses, best = notebook["responses"], notebook["best_filter"]
    assert best.tolist() == [2, 4] and responses.shape == (2, 6)
    np.testing.assert_allclose(responses, ex.edge_responses(), rtol=1e-5)
    assert check(ex.q5, responses, best).status == PASS
    assert check(ex.q5, responses.astype(np.float32), best.tolist()).status == PASS
    assert_wrong(check(ex.q5, ex.edge_responses(bias=False), best), "add each filter's bias")
    assert_wrong(check(ex.q5, ex.edge_responses(flip=True), ex.edge_responses(flip=True).argmax(axis=1)),
                 "cross-correlation", "without flipping")
    assert_wrong(check(ex.q5, ex.edge_responses(relu=True), best), "before the ReLU")
    assert_wrong(check(ex.q5, responses.T, best), "shape (6, 2), expected (2, 6)", "one row per pattern")
    assert_not_attempted(check(ex.q5, None, None))


def test_p1_prediction_explains_either_way():
    shares = ex.saliency_mass_on_ink()
    assert shares.shape == (8,) and shares.max() < 0.5            # most of every map is on the background
    right, wrong = check(ex.p1, "Background"), check(ex.p1, "ink")
    assert right.status == PASS and "gradient measures sensitivity" in right.message
    assert_wrong(wrong, "You predicted 'ink'; the experiment gives 'background'", "one pixel in seven")
    assert_wrong(check(ex.p1, "stroke"), "expected one of 'ink', 'background'")
    assert_not_attempted(check(ex.p1, None))


# --- through the grader --------------------------------------------------------------------

WRONG = {
    "ex10.q1": ("c3_maps = keras.ops.convert_to_numpy(keras.Model(model.input, model.get_layer('c3').output)(digits[:1]))\n"
                "c3_peak_channel = int(c3_maps[0].max(axis=(0, 1)).argmax())", 1.0, "drop the batch axis"),
    "ex10.q2": ("def saliency(image, class_index):\n    x = tf.convert_to_tensor(image[None])\n"
                "    with tf.GradientTape() as tape:\n        tape.watch(x)\n        p = model(x)[0, class_index]\n"
                "    return np.abs(tape.gradient(p, x).numpy()[0]).max(axis=-1)", 0.0, "gradient of the probability"),
    "ex10.q3": ("def grad_cam(image, class_index, layer):\n"
                "    g = keras.Model(score_model.input, [score_model.get_layer(layer).output, score_model.output])\n"
                "    with tf.GradientTape() as tape:\n        maps, scores = g(image[None])\n        s = scores[0, class_index]\n"
                "    alpha = tape.gradient(s, maps).numpy()[0].mean(axis=(0, 1))\n"
                "    return (maps.numpy()[0] * alpha).sum(axis=-1)", None, "apply the ReLU"),
    "ex10.q4": ("def occlusion(image, class_index, patch, stride):\n    n = (28 - patch) // stride + 1\n"
                "    copies = []\n    for i in range(n):\n        for j in range(n):\n            x = image.copy()\n"
                "            x[i * stride:i * stride + patch, j * stride:j * stride + patch] = 1\n"
                "            copies.append(x)\n    p = model.predict(np.array([image] + copies), verbose=0)[:, class_index]\n"
                "    return (p[0] - p[1:]).reshape(n, n)", 0.0, "1 paints a white square"),
    "ex10.q5": ("kernel, bias = model.get_layer('c1').get_weights()\n"
                "responses = np.einsum('pab,abk->pk', edges, kernel[:, :, 0, :])\n"
                "best_filter = responses.argmax(axis=1)", 1.0, "add each filter's bias"),
    "ex10.p1": ("prediction = 'ink'", 0.0, "one pixel in seven"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, isolation):
    return grade_students(tmp_path_factory.mktemp("ex10_grading"), NOTEBOOK, {qid: w[0] for qid, w in WRONG.items()})


def test_grader_passes_the_solution(graded):
    assert_solution_full_marks(graded, ex.EXERCISE)


def test_grader_gives_the_known_mistakes_their_advice(graded):
    assert_mistakes_advised(graded, ex.EXERCISE, WRONG)


def test_grader_says_not_attempted_for_the_stubs(graded):
    assert_stubs_not_attempted(graded, ex.EXERCISE)


def test_given_data_is_numeric_and_named_as_the_notebook_names_it():
    given = ex.EXERCISE.given()
    assert set(given) == {"lenet_weights", "digits", "digit_labels", "edges"}
    assert given["lenet_weights"].dtype == np.float32 and given["edges"].shape == (2, 5, 5)
    assert functools.reduce(lambda a, w: a + w.size, ex.course_model().get_weights(), 0) == given["lenet_weights"].size
