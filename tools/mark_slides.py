"""Write the course's slide markup into the notebooks' cell metadata (and check it is there).

Each notebook below maps cell ids to a reveal.js slide type (see ``course_utils.slides``);
a cell not listed stays on the current slide (``-``), so it carries no markup. Only
``metadata.slideshow`` changes: sources, outputs and every other key stay byte for byte.
Applying twice changes nothing, so after a merge or a re-execution just run it again::

    python tools/mark_slides.py            # write the markup into the notebooks
    python tools/mark_slides.py --check    # exit 1 if a notebook differs from MARKUP

The split: the title and each ``##`` section start a slide, ``###`` parts and the bold
titles over key figures and results start a slide below it, set-up cells and side code
are skipped, long code goes to the speaker notes.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SLIDE_TYPES = ("slide", "subslide", "fragment", "skip", "notes", "-")

MARKUP: dict[str, dict[str, str]] = {
    "01_convolution_1d.ipynb": {
        "998bce13": "slide",  # # 01 · Convolution in 1D
        "f75ae520": "skip",  # **Set up the notebook**
        "d373f4bd": "skip",  # from course_utils.session import setup_notebook
        "cd82ec4d": "skip",  # **Import the tools**
        "caf7e3b6": "skip",  # import matplotlib.pyplot as plt
        "66f3f327": "slide",  # ## 1. The definition
        "eccea71e": "slide",  # ## 2. A worked example
        "4c0c6446": "subslide",  # **Look at them**
        "725a9d7b": "slide",  # ## 3. Three ways to compute it
        "71993979": "notes",  # def convolve_by_definition(x, h):
        "dcc91ee5": "subslide",  # ### Way 2: NumPy
        "add78a50": "subslide",  # ### Way 3: a matrix times a vector
        "dfd70792": "subslide",  # T = convolution_matrix(h, len(x))
        "196ceea3": "subslide",  # ### The answer
        "0266a97a": "subslide",  # **Look at the output**
        "bc0942f1": "slide",  # ## 4. Output length: `full`, `same`, `valid`
        "24bfb41e": "slide",  # ## 5. Commutativity: $x * h = h * x$
        "8ff8b932": "slide",  # ## 6. Smoothing and differentiating a signal
        "ad6a1041": "subslide",  # **Look at the smoothing**
        "81f26daf": "notes",  # slope = 2 * np.pi / 50 * np.cos(2 * np.pi * t / 50)
        "f9a80797": "subslide",  # **Look at the three derivatives**
        "391ade14": "slide",  # ## 7. A row of a real photo
        "66105b93": "subslide",  # **Look at the row and its derivative**
        "71e63f26": "slide",  # ## Summary
    },
    "02_convolution_2d.ipynb": {
        "79cb5ecf": "slide",  # # 02 · Convolution and cross-correlation in 2D
        "6c01d4d3": "skip",  # **Set up the notebook**
        "33b881ec": "skip",  # from course_utils.session import setup_notebook
        "a6a2c8d3": "skip",  # **Import the tools**
        "1ca3f6ba": "skip",  # import timeit
        "33f7ea52": "slide",  # ## 1. Images are matrices
        "fe95b56b": "notes",  # DIGIT_TABLE = """
        "9194616e": "subslide",  # **Check it: a rectangle of 8-bit values?**
        "38cff7f8": "subslide",  # masked = np.ma.masked_where((digit < 0) | (digit > 255), dig
        "842c189b": "slide",  # ## 2. The definitions, and why CNNs do not flip
        "993d7812": "subslide",  # kernel = np.array([[1, 2, 3], [0, 0, 0], [0, 0, -1]])
        "03589683": "subslide",  # **Convolution = cross-correlation with the flipped kernel (c
        "b56793ea": "subslide",  # **Slide the window: three steps**
        "e7cc9258": "subslide",  # **The whole valid output**
        "3711ff5f": "subslide",  # ### A slip on the slide
        "02f1078b": "subslide",  # slide_valid = np.array([[14, -12, 25], [-17, -14, 7], [-14,
        "597e02aa": "subslide",  # same = correlate2d(I, K, padding=1)
        "1aba5a14": "subslide",  # strided = correlate2d(I, K, padding=1, stride=2)
        "406d47da": "slide",  # ## 6. A feature detector on a smiley
        "ab01b749": "notes",  # smiley = np.array([[0, 0, 0, 0, 0, 0, 0],
        "e471d532": "subslide",  # **Where does the detector respond most?**
        "7c0a1e01": "slide",  # ## 7. Why convolutions: from a dense layer to a conv layer
        "7c0a1e02": "subslide",  # **Three 9×25 weight matrices: dense, local, shared**
        "7c0a1e08": "subslide",  # ### Translation equivariance
        "7c0a1e11": "subslide",  # **Look: the two orders differ only at the border**
        "7c0a1e13": "subslide",  # **Which layers break it: stride, pooling, dense**
        "7c0a1e15": "subslide",  # **Pooling buys approximate local invariance instead**
        "7c0a1e18": "slide",  # ## 8. Making it fast
        "9e7cf23e": "notes",  # def correlate2d_naive(image, kernel):
        "8b8da5eb": "subslide",  # ### Vectorised, way 2: loop over the kernel, not the image
        "4185a972": "notes",  # def correlate2d_shifted(image, kernel):
        "012d59aa": "subslide",  # ### Check everything against SciPy
        "92f2ac31": "notes",  # photo = load_sample_image()[:512, :512]
        "f1e22b41": "subslide",  # ### Time them
        "b3ab454f": "notes",  # def best_seconds(func, repeats=5):
    },
    "03_image_filters.ipynb": {
        "75264789": "slide",  # # 03 · Image filters: Sobel and friends
        "5ee1e489": "skip",  # **Set up the notebook**
        "a3e19d3a": "skip",  # from course_utils.session import setup_notebook
        "21681582": "skip",  # **Import the tools**
        "2f6a0bb7": "skip",  # import matplotlib.pyplot as plt
        "a326c9db": "slide",  # ## 1. The photo
        "25cf3ffe": "subslide",  # **Look at it**
        "977bb230": "slide",  # ## 2. The kernels and their sums
        "6e75dc89": "subslide",  # **Draw the 3×3 kernels**
        "7654cccf": "slide",  # ## 3. Smoothing: box and Gaussian blur
        "3971fceb": "notes",  # box_blur = convolve2d(image, KERNELS["box"], padding="same")
        "58b27eeb": "slide",  # ## 4. Sharpen and Laplacian
        "4b6123da": "subslide",  # **Look at them on the close-up**
        "7547f80d": "slide",  # ## 5. Sobel: written for convolution, flipped by cross-corre
        "88aa7820": "notes",  # step = np.repeat([[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]], 5, axis=0
        "5b0d80af": "slide",  # ## 6. Gradient magnitude and orientation
        "fdf57423": "subslide",  # **Draw the four maps**
        "b95734eb": "slide",  # ## 7. A simple edge map
        "ec3424bd": "subslide",  # **Look at the edge map**
        "bf0ac07d": "slide",  # ## 8. Noise: why we blur before differentiating
        "72fd53f5": "notes",  # wall = (slice(40, 280), slice(420, 490))
        "e5d6dd62": "subslide",  # **See the difference**
        "f6f402d3": "slide",  # ## 9. Hand-crafted features: a histogram of oriented gradien
        "e5df38d9": "subslide",  # **Draw the two cells and their histograms**
        "664eb890": "slide",  # ## 10. From hand-crafted to learned
        "ae7fddda": "slide",  # ## Summary
    },
    "04_padding_stride_dilation_channels.ipynb": {
        "c8169dfe": "slide",  # # 04 · Padding, stride, dilation, channels
        "79bab996": "skip",  # **Set up the notebook (with Keras)**
        "0f161da4": "skip",  # from course_utils.session import setup_notebook
        "3dd88088": "skip",  # **Import the tools**
        "74b7ee0a": "skip",  # import math
        "5ddb0918": "slide",  # ## 1. The output-size formula
        "72f24d96": "notes",  # questions = [
        "bc4851ed": "subslide",  # **A stride example: J = 7, K = 9, a 3×3 filter over L = 3 ch
        "f118a964": "notes",  # J, K, L, M, N, s = 7, 9, 3, 3, 3, 2
        "c71be0da": "subslide",  # **Ask Keras for the same shapes**
        "c64dd787": "notes",  # def keras_output_hw(input_hw, kernel, stride=1, padding=0, d
        "4de3ee04": "slide",  # ## 2. Why the floor matters: AlexNet's first layer
        "c915e4dd": "slide",  # ## 3. Dilation and Keras' `"same"`
        "d129df4a": "notes",  # checked, mismatches = 0, []
        "f9985846": "subslide",  # **Which input pixels does a dilated 3×3 kernel touch?**
        "0b6ef25a": "subslide",  # **Draw the taps for dilation 1, 2 and 3**
        "9e01a193": "notes",  # rng = np.random.default_rng(4)
        "7357474b": "slide",  # ## 4. Several input channels: an RGB example
        "91a4496d": "notes",  # red = [[156, 155, 156, 158, 158, 158], [153, 154, 157, 159,
        "1c7ce052": "subslide",  # **Compute every output we can**
        "c9b9d167": "subslide",  # **Check the lecture's per-channel sums for output[1, 0]**
        "29688b7a": "subslide",  # **Draw the output with the lecture's values**
        "4626ed1c": "slide",  # ## 5. Several filters: the output depth is the number of fil
        "1d85cfae": "notes",  # rng = np.random.default_rng(0)
        "c2095274": "subslide",  # **The slide's $W_{out} \\times W_{out} \\times D$ vs Keras: th
        "9621f675": "slide",  # ## 6. 1×1 convolutions mix channels
        "91a0db4b": "slide",  # ## 7. Padding types: zeros or copies of the border
        "3f52e381": "notes",  # image5 = np.array([[5, 8, 0, 4, 8], [3, 9, 2, 9, 2], [4, 9,
        "00fb79ee": "subslide",  # **Look at both padded inputs**
        "2f3e761d": "subslide",  # **And the stride-2 version of the same example**
        "bae47a08": "slide",  # ## 8. Explore
        "16d1b116": "slide",  # ## Summary
    },
    "05_pooling_receptive_fields.ipynb": {
        "7b14e6d4": "slide",  # # 05 · Pooling, receptive fields and counting
        "2433a9fa": "skip",  # **Set up the notebook** (seeds, plot style; `keras=True` bec
        "ce92722c": "skip",  # from course_utils.session import setup_notebook
        "d0927cc3": "skip",  # **Import the tools**
        "d7348e6a": "skip",  # import course_utils  # before keras: keeps TensorFlow's star
        "95b7434a": "slide",  # ## 1. Max pooling and average pooling
        "a0563078": "subslide",  # **Draw the input and both results**
        "597e4b78": "subslide",  # ### 3x3 pooling over a 5x5 convolved feature
        "ea34e5d2": "subslide",  # **Draw the window of the one output that is not 3**
        "cde6f8a7": "slide",  # ## 2. Overlapping pooling adds no parameters
        "0001022c": "notes",  # def windows_per_position(size, window, stride):
        "7ce6c979": "slide",  # ## 3. Pooling forgives small shifts
        "8ce5aa0b": "notes",  # sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
        "b1042c14": "subslide",  # **Shift one digit by one pixel and look**
        "7f96e75d": "notes",  # results = {}
        "e1fad73a": "slide",  # ## 4. Global average pooling
        "b15d013b": "slide",  # ## 5. Adaptive average pooling
        "e52788a0": "subslide",  # **Draw the windows for L = 14 and L = 11**
        "5eab372e": "slide",  # ## 6. Receptive fields
        "8cd9f612": "notes",  # def seen_by(size):
        "87d7bf9e": "subslide",  # **Draw the two receptive fields**
        "de72b695": "slide",  # ## 7. Counting neurons, weights, connections and parameters
        "7c088569": "subslide",  # ### Why not a fully connected network?
        "b0e9e5b2": "slide",  # ## 8. Memory: what a layer's output costs
        "06106d08": "notes",  # MiB, GiB = 2 ** 20, 2 ** 30
        "911ee3f0": "slide",  # ## Summary
    },
    "06_conv_layer_from_scratch.ipynb": {
        "928f6772": "slide",  # # 06 · A convolutional layer from scratch
        "1bc0ee99": "skip",  # **Set up the notebook**
        "cb0bebbb": "skip",  # from course_utils.session import setup_notebook
        "114d7231": "skip",  # **Imports**
        "1af673eb": "skip",  # import math
        "a5d1ba3c": "slide",  # ## 1 · The forward pass as one matrix product: im2col
        "e7f11d34": "subslide",  # **A tiny example: the four 3×3 patches of a 4×4 image**
        "cf1e77d4": "subslide",  # **Picture: each patch becomes a row, the convolution becomes
        "ff60a454": "subslide",  # **A teaching version of im2col with loops**
        "b0dc6a79": "notes",  # def im2col_loops(x, k, stride=1, padding=0):
        "d233e616": "subslide",  # **The slide example: padding 1 and stride 2**
        "f0b40247": "subslide",  # **Max pooling forward: keep the maximum, remember where it w
        "5df92231": "slide",  # ## 2 · The backward passes
        "eb47616d": "subslide",  # **Why col2im is the right backward: it is the adjoint of im2
        "3e4183c5": "notes",  # K = np.arange(1, 10, dtype=float).reshape(3, 3)
        "6b0d1f01": "subslide",  # **The input gradient in one formula: a full correlation with th
        "6b0d1f03": "subslide",  # **The same map is a transposed convolution**
        "235ec537": "subslide",  # **Max-pool backward: the gradient goes to the winner**
        "b4657e82": "subslide",  # **Picture: where the gradient lands**
        "bb87c781": "slide",  # ## 3 · Numerical gradient check
        "161fccd6": "subslide",  # **Check the conv layer: dx, dW and db**
        "56c80d58": "notes",  # x = rng.normal(size=(2, 6, 6, 3))
        "94f304be": "subslide",  # **Check the dense layer and softmax cross-entropy**
        "273dccee": "notes",  # z = rng.normal(size=(5, 10))
        "80d7e01c": "notes",  # small_net = layers.Sequential([layers.Conv2D.initialize(2, 3
        "94904bee": "slide",  # ## 4 · The same layer in Keras
        "cc5e3b91": "notes",  # x = rng.normal(size=(2, 9, 8, 3))
        "56c07107": "subslide",  # **Bonus: Keras' gradients, on any backend**
        "3328aa64": "notes",  # class ProjectionLoss(keras.losses.Loss):
        "6f574150": "slide",  # ## 5 · Train a tiny CNN with your own layers
        "d4f250e3": "notes",  # model = layers.Sequential([
        "dd037ac1": "notes",  # optimizer = layers.SGD(learning_rate=0.2)
        "5b11b7a8": "subslide",  # **The loss falls**
        "6ca8e562": "subslide",  # **Accuracy on held-out digits**
        "69f70813": "slide",  # ## Summary
    },
    "07_lenet5_keras.ipynb": {
        "f2e541ab": "slide",  # # 07 · LeNet-5 in Keras
        "aa578cad": "skip",  # **Set up the notebook**
        "bedbaa5a": "skip",  # from course_utils.session import setup_notebook
        "d1fa1b5e": "slide",  # ## 1. The original LeNet-5, shape by shape
        "e2716772": "notes",  # c1 = conv_output_size(32, 5)             # 6 filters 5x5, st
        "424897b6": "subslide",  # **Check the shapes against a Keras build**
        "0edaa89b": "subslide",  # **C1 by the numbers (the slides' exercise)**
        "16edb82b": "subslide",  # **A slide error: the filters are 5×5, not 5×4**
        "d6cf4022": "subslide",  # **What the 1998 network really was, and what we simplify**
        "1ab7c3e6": "notes",  # c3_inputs = 6 * 3 + 9 * 4 + 1 * 6          # connection tabl
        "5202f161": "slide",  # ## 2. The slides' Keras version
        "e9c3f86c": "notes",  # lenet = models.lenet5_slides()
        "897a15a3": "subslide",  # **Check every parameter count with the formulas**
        "8501e767": "notes",  # flatten_size = conv_output_size(5, 1) ** 2 * 120
        "e605383a": "subslide",  # **Where do the weights live?**
        "6db0da02": "notes",  # (x_all, y_all), (x_test_raw, y_test) = load_mnist()
        "04bfe893": "subslide",  # **Integer labels or one-hot: the same loss**
        "fce95f0d": "slide",  # ## 4. Train the slides' LeNet
        "04a338c3": "subslide",  # **Learning curves**
        "0dad0784": "subslide",  # **Evaluate on the test set**
        "fc4136e0": "notes",  # test_probs = lenet.predict(x_test, verbose=0)
        "8a8526a7": "subslide",  # fig = confusion_matrix(y_test, test_pred)
        "867bdcd7": "subslide",  # **Look at the mistakes**
        "6f851b14": "slide",  # ## 5. Classic (tanh, average pooling) vs modern (ReLU, max p
        "e6231f57": "notes",  # results = {}
        "d21cf6b3": "subslide",  # **Validation accuracy, epoch by epoch**
        "bf9138e1": "subslide",  # **Padding in C1 is the same as padding the image**
        "2fbe6ad3": "subslide",  # **Loading gives back the same model**
        "e712a852": "slide",  # ## 6. Targets on the full data
    },
    "09_classic_architectures.ipynb": {
        "b69a4dd2": "slide",  # # 09 · Classic CNN architectures
        "26f5d565": "skip",  # **Set up the notebook**
        "c237ce1e": "skip",  # from course_utils.session import setup_notebook
        "5dce9054": "skip",  # **A small helper to measure a model and free its memory**
        "d7a3ea43": "skip",  # # side code: bookkeeping for the comparison table at the end
        "5a1d0c31": "skip",  # **A helper to draw a block from the model itself**
        "5a1d0c32": "skip",  # # side code: one figure per block; the numbers under it come
        "28cf709f": "slide",  # ## 1. Recap: a first CNN and where its parameters live
        "df3627b7": "subslide",  # **Draw it, read from the model itself**
        "52b792ed": "notes",  # model = arch.first_cnn()
        "2584b294": "slide",  # ## 2. The ImageNet challenge, 2010–2017
        "2961820c": "slide",  # ## 3. AlexNet (2012): a big CNN trained on GPUs
        "659c47d8": "notes",  # one_gpu = arch.alexnet()
        "26bdc7e4": "slide",  # ## 4. VGG-16 (2014): only 3×3 filters, but deep
        "bbe97f1a": "subslide",  # **The VGG block, drawn from `arch.vgg_block`**
        "6d56ad11": "notes",  # ours = arch.vgg16()
        "cb0e7c51": "slide",  # ## 5. GoogLeNet (2014): parallel branches and 1×1 bottleneck
        "eb9735aa": "subslide",  # **The Inception module, drawn from `arch.inception_module`**
        "7439ac9b": "notes",  # f1, f3r, f3, f5r, f5, pool = arch.GOOGLENET_MODULES["3a"]
        "a7298e5b": "slide",  # ## 6. ResNet (2015): learn the difference, keep a shortcut
        "e79aae3a": "subslide",  # **The basic block (ResNet-18 and -34), drawn from `arch.basic_b
        "358e79fd": "subslide",  # **The degradation problem, measured: plain against residual,
        "32967a7d": "subslide",  # **The bottleneck block (ResNet-50, -101, -152), drawn from `ar
        "6469bc6a": "notes",  # reference = keras.applications.ResNet50(weights=None)
        "68c2b46d": "slide",  # ## 7. ResNeXt (2016): split, transform, merge
        "7b63a973": "subslide",  # **A grouped convolution is the paths side by side**
        "d8c42e15": "notes",  # inputs = keras.Input((6, 6, 16))
        "f61309cc": "subslide",  # **The ResNeXt block and ResNeXt-50 (32×4d)**
        "f8d016d8": "slide",  # ## 8. DenseNet (2017): reuse every earlier feature map
        "4af4c52a": "subslide",  # **A dense block and a transition, drawn from `arch.dense_block`
        "27d4c7f0": "notes",  # channels, after_transitions = 64, []
        "a3aa3cc5": "slide",  # ## 9. Multiply-adds: what one image costs
        "c26f1410": "subslide",  # **Plot parameters against multiply-adds**
        "0d65f032": "slide",  # ## 10. Small versions, trained to a plateau on Fashion-MNIST
        "3aeb1c2c": "notes",  # x_test, y_test = studies.fashion_split()[4:]
        "26567665": "subslide",  # **Test accuracy and epochs to the plateau, over three seeds**
        "8456af97": "subslide",  # **Plot test accuracy against cost, with the spread over seeds**
        "039ca09c": "slide",  # ## 11. From LeNet to DenseNet, in one table
        "9be0e7f0": "notes",  # model = arch.small_network("lenet", input_shape=(32, 32, 1))
        "3e267e9b": "slide",  # ## Summary and advice
    },
}


def marked(nb: dict, markup: dict[str, str]) -> dict:
    """The notebook with exactly ``markup``'s slide types in its cells (a new dict)."""
    ids = {cell.get("id") for cell in nb["cells"]}
    stale = sorted(set(markup) - ids)
    if stale:
        raise ValueError(f"cell ids not in the notebook (update MARKUP): {', '.join(stale)}")
    bad = sorted(set(markup.values()) - set(SLIDE_TYPES))
    if bad:
        raise ValueError(f"unknown slide types {bad}")
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        meta = cell.setdefault("metadata", {})
        if cell.get("id") in markup and markup[cell["id"]] != "-":
            meta["slideshow"] = {"slide_type": markup[cell["id"]]}
        else:
            meta.pop("slideshow", None)
    return nb


def dumps(nb: dict) -> str:
    """The notebook as nbformat writes it (one-space indent, sorted keys, UTF-8, final newline)."""
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook needs marking")
    args = parser.parse_args(argv)
    differ = []
    for name, markup in MARKUP.items():
        path = NOTEBOOKS / name
        text = path.read_text(encoding="utf-8")
        new = dumps(marked(json.loads(text), markup))
        if new != text:
            differ.append(name)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    verb = "differ from MARKUP" if args.check else "marked"
    print(f"{len(differ)} notebook(s) {verb}" + (f": {', '.join(differ)}" if differ else ""))
    return 1 if args.check and differ else 0


if __name__ == "__main__":
    sys.exit(main())
