"""One call at the top of every notebook: seeds, quiet logs and consistent plots."""
import os
import random

import numpy as np

DEFAULT_SEED = 42
SEED_OFFSET_ENV = "COURSE_SEED_OFFSET"
"""Added to every seed below; ``tools/measure_spread.py`` sets it to run a notebook with other seeds."""


def seed_everything(seed: int = DEFAULT_SEED) -> None:
    """Seed Python, NumPy and (if installed) Keras so every run on this machine gives the same numbers.

    Another machine gives the same numbers up to the last bits of each sum, which training
    amplifies: see :mod:`course_utils.measured`.

    >>> seed_everything(0); a = np.random.rand()
    >>> seed_everything(0); bool(a == np.random.rand())
    True
    """
    seed = seed + seed_offset()
    random.seed(seed)
    np.random.seed(seed)
    try:
        import keras
    except ImportError:  # the numpy-only notebooks do not need Keras
        return
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def setup_notebook(seed: int = DEFAULT_SEED, *, keras: bool = False) -> None:
    """Prepare a notebook: seed the generators, set plot defaults and NumPy printing.

    ``keras=True`` also seeds Keras (importing it costs a few seconds, so the
    NumPy-only notebooks skip it).

    >>> setup_notebook(1)
    >>> np.get_printoptions()["precision"]
    4
    """
    import matplotlib

    if "MPLBACKEND" not in os.environ and not _in_ipython():
        matplotlib.use("Agg")
    matplotlib.rcParams.update(
        {
            "figure.figsize": (6.4, 3.6),
            "figure.dpi": 80,
            "savefig.dpi": 80,
            "axes.grid": False,
            "image.cmap": "gray",
            "font.size": 10,
        }
    )
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    if keras:
        seed_everything(seed)
    else:
        random.seed(seed + seed_offset())
        np.random.seed(seed + seed_offset())


def seed_offset() -> int:
    """``$COURSE_SEED_OFFSET`` as an integer (0 when unset).

    >>> seed_offset()
    0
    """
    text = os.environ.get(SEED_OFFSET_ENV, "").strip()
    if not text:
        return 0
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{SEED_OFFSET_ENV} must be an integer, got {text!r}") from None


def _in_ipython() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None
