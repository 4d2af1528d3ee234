"""The network: a Keras Sequential multilayer perceptron.

    input (N, 784) float32 in [0, 1]   pixels / 255
    -> Dense(h1, activation) [-> Dropout] ... -> Dense(h_k, activation) [-> Dropout]
    -> Dense(classes, softmax)         (N, classes) probabilities

Each Dense layer computes activation(x @ W + b) with W of shape (in_features, out_features):
a layer of perceptrons with a smooth (or piecewise linear) activation instead of a step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tinyflash.train.config import TrainConfig

if TYPE_CHECKING:
    import keras

__all__ = ["INPUT_FEATURES", "build_model", "make_optimizer", "preprocess"]

INPUT_FEATURES = 28 * 28
PIXEL_SCALE = np.float32(255.0)


def preprocess(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, 28, 28) -> float32 (N, 784) in [0, 1]: the model's input contract."""
    return images.reshape(len(images), INPUT_FEATURES).astype(np.float32) / PIXEL_SCALE


def make_optimizer(config: TrainConfig) -> keras.optimizers.Optimizer:
    import keras

    lr, name = config.learning_rate, config.optimizer
    return {
        "sgd": lambda: keras.optimizers.SGD(learning_rate=lr, momentum=config.momentum, name=name),
        "adam": lambda: keras.optimizers.Adam(learning_rate=lr, name=name),
        "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate=lr, name=name),
        "adagrad": lambda: keras.optimizers.Adagrad(learning_rate=lr, name=name),
        "adadelta": lambda: keras.optimizers.Adadelta(learning_rate=lr, name=name),
    }[config.optimizer]()


def build_model(config: TrainConfig, num_classes: int = 10) -> keras.Sequential:
    """The compiled MLP for `config` (weights initialised from the global Keras seed)."""
    import keras

    layers: list[keras.layers.Layer] = [keras.Input(shape=(INPUT_FEATURES,), name="pixels")]
    for i, units in enumerate(config.hidden, start=1):
        layers.append(keras.layers.Dense(units, activation=config.activation, name=f"dense_{i}"))
        if config.dropout > 0:
            layers.append(keras.layers.Dropout(config.dropout, name=f"dropout_{i}"))
    layers.append(keras.layers.Dense(num_classes, activation="softmax", name="probabilities"))
    model = keras.Sequential(layers, name="mlp")
    model.compile(
        optimizer=make_optimizer(config),
        loss=config.loss if config.loss == "mse" else "categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model
