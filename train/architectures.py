"""The MLPerf Tiny convolutional architectures, as Keras builders (uncompiled, random weights).

    ds_cnn()          keyword spotting: (N, 49, 10, 1) -> (N, 12) softmax, 24,332 parameters
    mobilenet_v1()    visual wake words: (N, 96, 96, 3) -> (N, 2) softmax, alpha 0.25
    resnet8()         image classification: (N, 32, 32, 3) -> (N, 10) softmax, 78,666 parameters

`randomize_batch_norm` gives every BatchNormalization random statistics (so the scales folded
into the convolutions are not all 1), and `quantize_int8` converts a model to full-integer int8
.tflite bytes (per-channel weights) with representative data. The tests of tinyflash.runtime
and bench/runtime_cnn.py build their models here.

`quantize_int8` is TF's TFLiteConverter.from_keras_model with tinyflash.export's int8 settings,
without the export stage's manifest and checks: the tests only need the bytes.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

__all__ = ["batch_norm_from_data", "ds_cnn", "mobilenet_v1", "quantize_int8",
           "randomize_batch_norm", "resnet8"]  # fmt: skip


def _bn_relu(x: Any, relu: bool = True) -> Any:
    import keras

    x = keras.layers.BatchNormalization()(x)
    return keras.layers.ReLU()(x) if relu else x


def ds_cnn() -> Any:
    """DS-CNN (MLPerf Tiny keyword spotting): (N, 49, 10, 1) -> (N, 12) softmax.

    Conv2D 64 (10, 4) stride 2 SAME, no bias, BN, ReLU -> (N, 25, 5, 64); Dropout 0.2; 4 blocks of
    DepthwiseConv2D 3x3 SAME + BN + ReLU, Conv2D 64 1x1 + BN + ReLU (no biases) -> (N, 25, 5, 64);
    Dropout 0.4; AveragePooling2D (25, 5) -> (N, 1, 1, 64); Flatten; Dense 12 softmax.
    """
    import keras

    L = keras.layers
    inp = keras.Input((49, 10, 1))
    x = L.Conv2D(64, (10, 4), strides=(2, 2), padding="same", use_bias=False)(inp)
    x = _bn_relu(x)
    x = L.Dropout(0.2)(x)
    for _ in range(4):
        x = _bn_relu(L.DepthwiseConv2D(3, padding="same", use_bias=False)(x))
        x = _bn_relu(L.Conv2D(64, 1, use_bias=False)(x))
    x = L.Dropout(0.4)(x)
    x = L.AveragePooling2D(pool_size=(25, 5))(x)
    x = L.Flatten()(x)
    return keras.Model(inp, L.Dense(12, activation="softmax")(x))


def mobilenet_v1(alpha: float = 0.25) -> Any:
    """MobileNetV1 (MLPerf Tiny visual wake words): (N, 96, 96, 3) -> (N, 2) softmax.

    keras.applications.MobileNet with width `alpha`: Conv2D 3x3 stride 2 (32 * alpha channels)
    -> (N, 48, 48, 8) at 0.25; 13 blocks of DepthwiseConv2D 3x3 + BN + ReLU6, Conv2D 1x1 + BN +
    ReLU6, stride 2 in blocks 2, 4, 6, 12 -> (N, 3, 3, 1024 * alpha); GlobalAveragePooling2D
    (keepdims) -> (N, 1, 1, 256); Dropout; Conv2D 2 1x1 (the classifier); Reshape; softmax.
    """
    import keras

    return keras.applications.MobileNet(
        input_shape=(96, 96, 3), alpha=alpha, weights=None, classes=2
    )


def resnet8() -> Any:
    """ResNet-8 (MLPerf Tiny image classification): (N, 32, 32, 3) -> (N, 10) softmax.

    Conv2D 16 3x3 + BN + ReLU -> (N, 32, 32, 16); three residual stages of 16, 32, 64 channels
    (strides 1, 2, 2): Conv2D 3x3 + BN + ReLU, Conv2D 3x3 + BN, added to the skip path (a 1x1
    Conv2D with the stage's stride where the shape changes), ReLU -> (N, 32, 32, 16),
    (N, 16, 16, 32), (N, 8, 8, 64); AveragePooling2D 8 -> (N, 1, 1, 64); Flatten; Dense 10.
    """
    import keras

    L = keras.layers
    inp = keras.Input((32, 32, 3))
    x = _bn_relu(L.Conv2D(16, 3, padding="same")(inp))
    for filters, stride in ((16, 1), (32, 2), (64, 2)):
        y = _bn_relu(L.Conv2D(filters, 3, strides=stride, padding="same")(x))
        y = _bn_relu(L.Conv2D(filters, 3, padding="same")(y), relu=False)
        if stride != 1:
            x = L.Conv2D(filters, 1, strides=stride, padding="same")(x)
        x = L.ReLU()(L.Add()([x, y]))
    x = L.AveragePooling2D(pool_size=8)(x)
    x = L.Flatten()(x)
    return keras.Model(inp, L.Dense(10, activation="softmax")(x))


def randomize_batch_norm(model: Any, rng: np.random.Generator) -> None:
    """Random BatchNormalization statistics in place, so the folded scales are not all 1:
    moving variance U(0.5, 2), moving mean and beta N(0, 0.2), gamma U(0.5, 1.5)."""
    for w in model.weights:
        if "moving_variance" in w.path:
            w.assign(rng.uniform(0.5, 2.0, w.shape))
        elif "moving_mean" in w.path or "beta" in w.path:
            w.assign(rng.normal(0, 0.2, w.shape))
        elif "gamma" in w.path:
            w.assign(rng.uniform(0.5, 1.5, w.shape))


def batch_norm_from_data(model: Any, x: np.ndarray, rng: np.random.Generator) -> None:
    """Each BatchNormalization's moving mean and variance set to those of its input on x, in
    order; gamma U(0.5, 1.5), beta N(0, 0.2). An untrained MobileNet with the default
    statistics (or random ones) loses its input within a few layers: the signal shrinks ~10x
    per layer against the biases, so every row gives the same output (measured: identical
    from conv_pw_5 on), and a parity test on it would compare constants."""
    import keras

    for bn in [la for la in model.layers if isinstance(la, keras.layers.BatchNormalization)]:
        v = np.asarray(keras.Model(model.inputs, bn.input)(x, training=False))
        gamma, beta, _, _ = bn.get_weights()
        axes = tuple(range(v.ndim - 1))
        bn.set_weights([rng.uniform(0.5, 1.5, gamma.shape), rng.normal(0, 0.2, beta.shape),
                        v.mean(axis=axes), v.var(axis=axes) + 1e-3])  # fmt: skip


def quantize_int8(
    model: Any, calibration: np.ndarray, io_dtype: Literal["int8", "uint8"] = "int8"
) -> bytes:
    """Keras model -> full-integer .tflite bytes: int8 weights symmetric per-channel, int8
    activations, input and output `io_dtype` (uint8 adds a QUANTIZE at both ends).

    calibration: (N, *input shape) float32, fed one row at a time as the representative data.
    """
    import tensorflow as tf

    calibration = np.asarray(calibration, dtype=np.float32)
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([row[None]] for row in calibration)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = conv.inference_output_type = getattr(tf, io_dtype)
    return bytes(conv.convert())
