"""The network: a multilayer perceptron, or image layers (train/layers.py) then a dense head.

    MLP (config.layers empty):
    input (N, H*W*C) float32 in [0, 1]   pixels / 255, flattened (MNIST: (N, 784))
    -> Dense(h1, activation) [-> Dropout] ... -> Dense(h_k, activation) [-> Dropout]
    -> Dense(classes, softmax)           (N, classes) probabilities

    CNN (config.layers given):
    input (N, H, W, C) float32 in [0, 1]  pixels / 255 (MNIST: (N, 28, 28, 1))
    -> the layer list (conv, pool, batch norm, residual add, ...) -> [Flatten if still 4-D]
    -> the same dense head: Dense(hidden...) -> Dense(classes, softmax)

Each Dense layer computes activation(x @ W + b) with W of shape (in_features, out_features):
a layer of perceptrons with a smooth (or piecewise linear) activation instead of a step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from tinyflash.train.config import TrainConfig

if TYPE_CHECKING:
    import keras

__all__ = [
    "INPUT_FEATURES",
    "build_model",
    "image_shape",
    "input_shape",
    "make_optimizer",
    "preprocess",
]

INPUT_FEATURES = 28 * 28  # MNIST's flattened input, the default of the dense models
PIXEL_SCALE = np.float32(255.0)


def image_shape(images: np.ndarray) -> tuple[int, int, int]:
    """(H, W, C) of images (N, H, W) or (N, H, W, C); C = 1 for the first."""
    if images.ndim == 3:
        return int(images.shape[1]), int(images.shape[2]), 1
    if images.ndim == 4:
        return int(images.shape[1]), int(images.shape[2]), int(images.shape[3])
    raise ValueError(f"expected images (N, H, W) or (N, H, W, C), found {images.shape}")


def input_shape(config: TrainConfig, images: np.ndarray) -> tuple[int, ...]:
    """The model input without the batch: (H*W*C,) for an MLP, (H, W, C) for a layer list."""
    h, w, c = image_shape(images)
    return (h, w, c) if config.layers else (h * w * c,)


def preprocess(images: np.ndarray, shape: Sequence[int | None] | None = None) -> np.ndarray:
    """Images (N, H, W[, C]) -> float32 (N, *shape), the model's input contract.

    uint8 pixels become pixels / 255 in [0, 1]; float32 images are taken as they are.
    shape: the model input without the batch, e.g. (784,) or (28, 28, 1); None = flattened
    (N, H*W*C), the dense models' input.
    """
    x = images.astype(np.float32)
    if images.dtype == np.uint8:
        x /= PIXEL_SCALE
    target = (-1,) if shape is None else tuple(int(d) for d in shape if d is not None)
    return x.reshape(len(images), *target)


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


def _dense_head(config: TrainConfig, x: keras.KerasTensor, num_classes: int) -> keras.KerasTensor:
    import keras

    for i, units in enumerate(config.hidden, start=1):
        x = keras.layers.Dense(units, activation=config.activation, name=f"dense_{i}")(x)
        if config.dropout > 0:
            x = keras.layers.Dropout(config.dropout, name=f"dropout_{i}")(x)
    return keras.layers.Dense(num_classes, activation="softmax", name="probabilities")(x)


def build_model(
    config: TrainConfig,
    num_classes: int = 10,
    shape: tuple[int, ...] = (INPUT_FEATURES,),
) -> keras.Model:
    """The compiled model for `config` (weights initialised from the global Keras seed).

    shape: the input without the batch, from `input_shape` ((features,) for an MLP,
    (H, W, C) for a layer list).
    """
    import keras

    from tinyflash.train.layers import build_layers

    if config.layers:
        if len(shape) != 3:
            raise ValueError(f"a layer list needs an image input (H, W, C), found {shape}")
        inputs = keras.Input(shape=shape, name="image")
        x = build_layers(config.layers, inputs)
        if len(x.shape) > 2:
            x = keras.layers.Flatten(name="flatten_head")(x)
        model = keras.Model(inputs, _dense_head(config, x, num_classes), name="cnn")
    else:
        layers: list[keras.layers.Layer] = [keras.Input(shape=shape, name="pixels")]
        for i, units in enumerate(config.hidden, start=1):
            layers.append(
                keras.layers.Dense(units, activation=config.activation, name=f"dense_{i}")
            )
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
