"""Fixtures for the export tests: small models trained briefly on real MNIST.

`export_model(activation)` returns a `SmallModel`: the Keras model, its float/int8 TFLite bytes
and a slice of the real MNIST test set (uint8 pixels and float32 inputs = pixels / 255).
Cached per activation for the session.
"""

from __future__ import annotations

import gzip
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

_PICKLE = Path(np.__file__).parents[1] / "mnist" / "data" / "mnist.pkl.gz"
N_TEST = 2000  # test rows used by the fast tests (the full set is exercised by the pipeline)


@dataclass(frozen=True)
class SmallModel:
    keras: Any
    float32_tflite: bytes
    int8_tflite: bytes
    pixels: np.ndarray  # (N_TEST, 784) uint8
    x: np.ndarray  # (N_TEST, 784) float32 = pixels / 255
    y: np.ndarray  # (N_TEST,) int64


def _mnist() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Interim loader (Nielsen's pickle stores uint8 / 256) until tinyflash.train.data lands."""
    with gzip.open(_PICKLE, "rb") as f:
        (xtr, ytr), _, (xte, yte) = pickle.load(f, encoding="latin1")
    to_u8 = lambda v: np.round(v * 256).astype(np.uint8)  # noqa: E731
    return to_u8(xtr), ytr.astype(np.int64), to_u8(xte), yte.astype(np.int64)


@pytest.fixture(scope="session")
def mnist() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return _mnist()


@pytest.fixture(scope="session")
def export_model(mnist):
    cache: dict[str, SmallModel] = {}

    def make(activation: str = "relu") -> SmallModel:
        if activation not in cache:
            import keras
            import tensorflow as tf

            xtr, ytr, xte, yte = mnist
            keras.utils.set_random_seed(0)
            model = keras.Sequential(
                [
                    keras.Input((784,)),
                    keras.layers.Dense(32, activation=activation),
                    keras.layers.Dense(10, activation="softmax"),
                ]
            )
            model.compile("adam", "sparse_categorical_crossentropy")
            x = xtr[:6000].astype(np.float32) / 255
            model.fit(x, ytr[:6000], epochs=1, batch_size=64, verbose=0)

            conv = tf.lite.TFLiteConverter.from_keras_model(model)
            f32 = conv.convert()
            conv = tf.lite.TFLiteConverter.from_keras_model(model)
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
            conv.representative_dataset = lambda: ([x[i : i + 1]] for i in range(200))
            conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            conv.inference_input_type = tf.int8
            conv.inference_output_type = tf.int8
            i8 = conv.convert()
            pixels = xte[:N_TEST].reshape(-1, 784)
            cache[activation] = SmallModel(
                model, f32, i8, pixels, pixels.astype(np.float32) / 255, yte[:N_TEST]
            )
        return cache[activation]

    return make
