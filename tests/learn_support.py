"""Helpers for tests/learn: the float32 tolerance and a Keras twin of a tinyflash.learn MLP."""

from __future__ import annotations

import numpy as np

from tinyflash.learn import MLP, Dense

EPS = float(np.finfo(np.float32).eps)
LONGEST_SUM = 784  # a pixel row times a weight column: the longest sum in these networks


def tolerance(layers: int, steps: int) -> float:
    return (layers + steps) * LONGEST_SUM * EPS


def assert_close(ours, keras, tol: float, what: str) -> None:
    ours, keras = np.asarray(ours, np.float64), np.asarray(keras, np.float64)
    scale = max(float(np.max(np.abs(keras))), np.finfo(np.float32).tiny)
    err = float(np.max(np.abs(ours - keras)))
    assert err <= tol * scale, f"{what}: max |ours - keras| = {err:.3g} > {tol:.3g} * {scale:.3g}"


def keras_twin(net: MLP, loss: str):
    """A Keras Sequential with `net`'s layers and a copy of its weights."""
    import keras

    layers = [keras.Input(shape=(net.dense[0].W.shape[0],))]
    for layer in net.layers:
        if isinstance(layer, Dense):
            layers.append(keras.layers.Dense(layer.b.shape[0], activation=layer.activation))
        else:
            layers.append(keras.layers.Dropout(layer.rate))
    model = keras.Sequential(layers)
    model.set_weights([p.copy() for p in net.params])
    loss_fn = {
        "categorical_crossentropy": keras.losses.CategoricalCrossentropy(),
        "mse": keras.losses.MeanSquaredError(),
    }[loss]
    return model, loss_fn
