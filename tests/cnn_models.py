"""The convolutional test models, built once per session (tests/conftest.py `cnn_models`).

The MLPerf Tiny architectures of tinyflash.train.architectures (DS-CNN keyword spotting,
MobileNetV1 0.25 visual wake words, ResNet-8 CIFAR-10) with seeded random weights and
randomized BatchNorm statistics, and `mixed`: the layers those three do not reach. Quantized
with random-normal calibration data (these models have no data set here; the parity tests
only need every kernel exercised on realistic scales).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def mixed() -> Any:
    """The layers the three MLPerf models do not reach: BatchNormalization with no convolution
    before it (MUL + ADD by per-channel constants), SeparableConv2D, MaxPooling2D with SAME
    overhang, Concatenate, ReLU6 after an Add. (With a dynamic batch TF 2.21 lowers a dilated
    Conv2D / SeparableConv2D to SPACE_TO_BATCH_ND + conv + BATCH_TO_SPACE_ND, which the runtime
    refuses by name; dilated CONV_2D / DEPTHWISE_CONV_2D themselves are tested per operator.)"""
    import keras

    L = keras.layers
    inp = keras.Input((15, 11, 3))
    x = L.BatchNormalization()(inp)
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu6")(x)
    y = L.SeparableConv2D(8, 3, padding="same")(x)
    x = L.ReLU(6.0)(L.Add()([x, y]))
    x = L.MaxPooling2D(3, strides=2, padding="same")(x)
    z = L.DepthwiseConv2D(3, padding="same", depth_multiplier=2, activation="relu")(x)
    x = L.Concatenate()([x, z])
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(inp, L.Dense(5, activation="softmax")(x))


def architectures() -> dict[str, Any]:
    from tinyflash.train.architectures import ds_cnn, mobilenet_v1, resnet8

    return {"ds_cnn": ds_cnn, "mobilenet_v1_025": mobilenet_v1, "resnet8": resnet8, "mixed": mixed}


def convert_all(folder: Path) -> dict[str, dict[str, Any]]:
    """name -> {"int8": path, "float32": path, "shape": input shape, and for ds_cnn "uint8": a
    uint8-interface twin}, written into `folder`."""
    import keras
    import tensorflow as tf

    from tinyflash.train.architectures import quantize_int8, randomize_batch_norm

    out: dict[str, dict[str, Any]] = {}
    for name, build in architectures().items():
        keras.utils.set_random_seed(0)
        model = build()
        rng = np.random.default_rng(0)
        randomize_batch_norm(model, rng)
        shape = tuple(model.inputs[0].shape[1:])
        calib = rng.normal(0, 1, (32, *shape)).astype(np.float32)
        entry: dict[str, Any] = {"shape": shape}
        files = {
            "int8": quantize_int8(model, calib),
            "float32": tf.lite.TFLiteConverter.from_keras_model(model).convert(),
        }
        if name == "ds_cnn":  # a uint8 interface: QUANTIZE uint8 -> int8 in, int8 -> uint8 out
            files["uint8"] = quantize_int8(model, calib, io_dtype="uint8")
        for kind, data in files.items():
            path = folder / f"{name}_{kind}.tflite"
            path.write_bytes(data)
            entry[kind] = path
        out[name] = entry
    return out
