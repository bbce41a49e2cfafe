"""course_utils.training: the early-stopping point read off a curve is where Keras' EarlyStopping stops."""
import keras
import numpy as np
import pytest

from course_utils.training import StoppingPoint, early_stopping_epochs


class ReplayedLoss(keras.callbacks.Callback):
    """Feeds a fixed validation-loss curve to the callbacks after it, one value per epoch."""

    def __init__(self, curve):
        super().__init__()
        self.curve = curve

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.curve[epoch]


CURVES = [
    [0.9, 0.5, 0.6, 0.4, 0.45, 0.47, 0.5, 0.3, 0.2],     # a dip after the stop: Keras never sees it
    [0.5, 0.4, 0.3, 0.2, 0.1],                           # still improving: runs to the end
    [0.5, 0.5, 0.5, 0.5, 0.5],                           # equal is no improvement
    [0.3, 0.4, 0.35, 0.31, 0.29, 0.5, 0.6, 0.7, 0.8],     # a late best
]


@pytest.mark.parametrize("patience", [0, 1, 2, 3])
@pytest.mark.parametrize("curve", CURVES)
def test_it_stops_where_keras_stops(curve, patience):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience)
    history = model.fit(np.zeros((4, 1)), np.zeros((4, 1)), epochs=len(curve), verbose=0,
                        callbacks=[ReplayedLoss(curve), stop])
    stopped = len(history.history["loss"])
    best = int(np.argmin(curve[:stopped])) + 1
    assert early_stopping_epochs(curve, patience) == StoppingPoint(best, stopped)


def test_known_points_and_bad_input():
    assert early_stopping_epochs([0.9, 0.5, 0.6, 0.4, 0.45, 0.47, 0.5], patience=2) == (4, 6)
    assert early_stopping_epochs([1.0], patience=4) == (1, 1)
    with pytest.raises(ValueError, match="patience must be a whole number"):
        early_stopping_epochs([1.0], patience=-1)
    with pytest.raises(ValueError, match="empty"):
        early_stopping_epochs([], patience=2)
