"""Keras model -> .tflite bytes: float32, and full-integer int8 post-training quantization.

Both go through a Keras ExportArchive with an explicit input signature
`TensorSpec((None, *input_shape), float32, name="input")` ((None, 784) for a dense model,
(None, H, W, C) for a CNN), then `TFLiteConverter.from_saved_model`,
so tensor names do not depend on Keras's global name counters: the same model gives the same
bytes (tests convert twice and compare sha256).

Operators the converter emits (TF 2.21, checked by `tflite_ops` after every conversion; anything
else is an error), per Keras layer, identical for float32 and int8:

    Dense(relu)     -> FULLY_CONNECTED with fused_activation_function RELU
    Dense(linear)   -> FULLY_CONNECTED, fused NONE
    Dense(sigmoid)  -> FULLY_CONNECTED (NONE) + LOGISTIC
    Dense(tanh)     -> FULLY_CONNECTED (NONE) + TANH
    Dense(softmax)  -> FULLY_CONNECTED (NONE) + SOFTMAX (beta 1.0)
    Dropout         -> nothing
    Conv2D [+ BatchNormalization] [+ ReLU | ReLU6]
                    -> CONV_2D, the batch norm folded into its weights and bias, the ReLU
                       fused (fused_activation_function RELU / RELU6)
    DepthwiseConv2D -> DEPTHWISE_CONV_2D (the same folding and fusing)
    SeparableConv2D -> DEPTHWISE_CONV_2D + CONV_2D 1x1
    BatchNormalization that cannot be folded (its convolution's output is read elsewhere, or
                    no convolution before it) -> MUL + ADD with per-channel constants
    Add [+ ReLU]    -> ADD (fused RELU)
    MaxPooling2D, AveragePooling2D -> MAX_POOL_2D, AVERAGE_POOL_2D
    GlobalAveragePooling2D -> MEAN over axes [1, 2] (an int32 constant), keep_dims false
    Flatten         -> RESHAPE to the constant shape (-1, features) (see `static_flatten`)
    Reshape         -> RESHAPE to the constant shape (-1, *target shape) (the same)
    GlobalAveragePooling2D(keepdims=True) -> MEAN, keep_dims true
    Activation      -> fused into the operator before it, or RELU / RELU6 / LOGISTIC / TANH /
                       SOFTMAX
    ZeroPadding2D   -> PAD (keras.applications.MobileNet's are folded into its convolutions)
    Concatenate     -> CONCATENATION (the runtime requires its int8 inputs and output to
                       share one quantization)

keras.applications.MobileNet (alpha 0.25, 64x64) ends MEAN -> CONV_2D 1x1 -> RESHAPE ->
SOFTMAX: its classifier is a convolution, no FULLY_CONNECTED (tests/export/
test_any_model_images.py).

A dilated convolution (dilation_rate > 1) converted with a free batch size becomes
SPACE_TO_BATCH_ND -> CONV_2D -> BATCH_TO_SPACE_ND, which TFLM cannot run; with the batch fixed
at 1 the converter writes one CONV_2D / DEPTHWISE_CONV_2D with dilation factors. So a model
with a dilated convolution is converted with input (1, H, W, C) (its shape signature then says
1, not -1; litert still resizes it to a batch of N, every operator here allows that).

FULLY_CONNECTED inputs are (activation, weights, bias), and the bias index may be -1 (absent):
the converter drops all-zero biases (an untrained model has none at all) and folds the bias of
a linear layer into the following layer's. Measured: 784-32-16-10 linear -> biases on layers
1 and 3 only; 784-16-12-8-10 linear -> on layers 2 and 4 only. Readers must accept it.

Tensors, float32 model: input (1, F) float32 (batch resizable), weights (units, in) float32
(FULLY_CONNECTED keeps the kernel transposed), bias (units,) float32, output (1, classes).

CNN tensors: activations (1, H, W, C) NHWC; CONV_2D weights (C_out, kh, kw, C_in), DEPTHWISE
(1, kh, kw, C_in * m); int8 weights symmetric per-channel (quantized_dimension 0 for CONV_2D,
3 for DEPTHWISE_CONV_2D); every int8 convolution has an int32 bias (C_out,) (zeros if the Keras
layer has none).

int8 model: input (1, F) int8 with the input scale/zero point (pixels/255 calibrate to scale
1/255, zero point -128); weights (units, in) int8, symmetric per-channel (zero point 0, one scale
per output unit, quantized_dimension 0; TF 2.21 ignores the per-tensor flag); bias (units,) int32
with scale = input_scale * weight_scale[c], zero point 0; activations int8 per-tensor; LOGISTIC
and TANH outputs fixed by TFLite at scale 1/256 zp -128 and 1/128 zp 0; SOFTMAX output scale
1/256, zero point -128; output (1, classes) int8.
"""

from __future__ import annotations

import functools
import tempfile
import warnings
from typing import Any

import numpy as np

from tinyflash.errors import UserError
from tinyflash.export.keras_model import check_supported, input_shape, static_flatten
from tinyflash.runtime.ops import TFLITE_KERNELS

__all__ = ["SUPPORTED_OPS", "convert_float32", "convert_int8", "tflite_ops"]

# What an exported .tflite may contain: every operator the Python interpreter has a kernel for
# (runtime/ops/__init__.py, one registry), so each artifact is one tinyflash can run and verify.
# The C generator supports fewer: `tinyflash inspect` and codegen name what it lacks.
SUPPORTED_OPS = frozenset(TFLITE_KERNELS)


def _converter(model: Any, saved_model_dir: str) -> Any:
    """A TFLiteConverter for `model` exported with a fixed input name to `saved_model_dir`."""
    import keras
    import tensorflow as tf

    model = static_flatten(model)
    batch = 1 if _dilated(model) else None
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        "serve",
        functools.partial(model.__call__, training=False),
        [tf.TensorSpec((batch, *input_shape(model)), tf.float32, name="input")],
    )
    archive.write_out(saved_model_dir, verbose=False)
    return tf.lite.TFLiteConverter.from_saved_model(saved_model_dir)


def _dilated(model: Any) -> bool:
    """True if a convolution has a dilation rate > 1 (see the module doc)."""
    return any(max(getattr(layer, "dilation_rate", (1,))) > 1 for layer in model.layers)


def _check_ops(data: bytes, what: str) -> bytes:
    ops = tflite_ops(data)
    unexpected = sorted(set(ops) - SUPPORTED_OPS)
    if unexpected:
        raise UserError(
            f"{what}: the converter emitted {unexpected}; supported operators: "
            f"{sorted(SUPPORTED_OPS)}"
        )
    return data


def convert_float32(model: Any) -> bytes:
    """Keras model -> float32 .tflite bytes: input (1, F) or (1, H, W, C) float32, output
    (1, classes)."""
    check_supported(model)
    with tempfile.TemporaryDirectory(prefix="tinyflash-export-") as tmp:
        data = bytes(_converter(model, tmp).convert())
    return _check_ops(data, "float32 TFLite")


def convert_int8(model: Any, calibration: np.ndarray) -> bytes:
    """Keras model -> full-integer int8 .tflite bytes with int8 input and output.

    calibration: (N, *input shape) float32, e.g. (N, 784) or (N, 28, 28, 1), the model's float
    inputs (pixels / 255), N >= 1; fed one row at a time as the representative data set, in the
    given order.
    """
    import tensorflow as tf

    check_supported(model)
    shape = input_shape(model)
    calibration = np.asarray(calibration)
    if calibration.shape[1:] != shape or len(calibration) == 0:
        raise UserError(
            f"calibration: expected (N >= 1, {', '.join(map(str, shape))}) float inputs, "
            f"found {calibration.shape}"
        )
    calibration = np.ascontiguousarray(calibration, dtype=np.float32)

    def representative() -> Any:
        for i in range(len(calibration)):
            yield [calibration[i : i + 1]]

    with tempfile.TemporaryDirectory(prefix="tinyflash-export-") as tmp:
        conv = _converter(model, tmp)
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = representative
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
        with warnings.catch_warnings():  # "Statistics for quantized inputs were expected"
            warnings.simplefilter("ignore", UserWarning)
            data = bytes(conv.convert())
    return _check_ops(data, "int8 TFLite")


@functools.cache
def _builtin_names() -> dict[int, str]:
    from tensorflow.lite.python import schema_py_generated as schema

    ops = schema.BuiltinOperator
    return {v: k for k, v in vars(ops).items() if not k.startswith("_") and isinstance(v, int)}


def tflite_ops(data: bytes) -> list[str]:
    """The builtin operator names of subgraph 0, in execution order."""
    from tensorflow.lite.python import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
    names = _builtin_names()
    codes = [max(c.builtinCode, c.deprecatedBuiltinCode) for c in model.operatorCodes]
    return [names.get(codes[op.opcodeIndex], "?") for op in model.subgraphs[0].operators or []]
