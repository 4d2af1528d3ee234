"""The issue's three convolutional architectures (tinyflash.train.architectures) with random
weights (and random BatchNormalization statistics), converted by TF's TFLiteConverter to
full-int8 (per-channel, random representative data) and float32: every operator output of
tinyflash.runtime equals TFLM (rounding="tflm") and ai-edge-litert BUILTIN_REF
(rounding="litert") byte for byte, and the float model is within 1e-5 of litert's reference
kernels and TFLM on every tensor.

    DS-CNN (MLPerf Tiny keyword spotting): 49x10x1, conv 10x4 stride 2, 4 depthwise-separable
        blocks of 64, average pool, dense 12.
    MobileNetV1 alpha 0.25 (visual wake words): 96x96x3, keras.applications.MobileNet, 2 classes
        (ReLU6, 13 depthwise-separable blocks, GlobalAveragePooling -> MEAN, 1x1-conv classifier).
    ResNet-8 (image classification): 32x32x3, three residual stages of 16, 32, 64 with a 1x1
        projection on the skip path when the shape changes, 10 classes.
Each model is converted once per module (a few seconds each); a handful of inputs each; DS-CNN
also with a uint8 interface (QUANTIZE requantizing at both ends).
"""

import numpy as np
import pytest
from runtime_testkit import check_tensors

import tinyflash.runtime as rt
from tinyflash.train.architectures import (
    ds_cnn,
    mobilenet_v1,
    quantize_int8,
    randomize_batch_norm,
    resnet8,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


def mixed():
    """The layers the three above do not reach: BatchNormalization with no convolution before
    it (MUL + ADD by per-channel constants), SeparableConv2D, MaxPooling2D with SAME
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


ARCHITECTURES = {
    "ds_cnn": ds_cnn,
    "mobilenet_v1_025": mobilenet_v1,
    "resnet8": resnet8,
    "mixed": mixed,
}


@pytest.fixture(scope="module")
def converted():
    """name -> {"int8": bytes, "float32": bytes, "shape": input shape}, converted once."""
    import keras
    import tensorflow as tf

    out = {}
    for name, build in ARCHITECTURES.items():
        keras.utils.set_random_seed(0)
        model = build()
        rng = np.random.default_rng(0)
        randomize_batch_norm(model, rng)
        shape = tuple(model.inputs[0].shape[1:])
        calib = rng.normal(0, 1, (32, *shape)).astype(np.float32)
        float32 = tf.lite.TFLiteConverter.from_keras_model(model).convert()
        out[name] = {"int8": quantize_int8(model, calib), "float32": float32, "shape": shape}
        if name == "ds_cnn":  # a uint8 interface: QUANTIZE uint8 -> int8 in, int8 -> uint8 out
            out[name]["uint8"] = quantize_int8(model, calib, io_dtype="uint8")
    return out


def _int8_inputs(shape, n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (n, *shape)).astype(np.int8)
    x[0] = -128
    x[1] = 127
    return x


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_int8_every_tensor_equals_tflm_and_litert(converted, name):
    model = converted[name]["int8"]
    x = _int8_inputs(converted[name]["shape"], 4)
    traces = check_tensors(model, x)
    ops = {op.op for op in rt.load(model).graph.operators}
    assert {"CONV_2D", "FULLY_CONNECTED"} <= ops or {"CONV_2D", "RESHAPE"} <= ops
    want = {"resnet8": {"ADD"}, "mixed": {"MUL", "ADD", "CONCATENATION", "MAX_POOL_2D"}}
    assert want.get(name, {"DEPTHWISE_CONV_2D"}) <= ops
    out = rt.load(model).graph
    final = out.tensors[out.outputs[0]].name
    # the two semantics are two facts only where they can differ: report, do not require
    diff = int(np.sum(traces["tflm"][final] != traces["litert"][final]))
    print(f"{name}: ops {sorted(ops)}; tflm vs litert output bytes differing: {diff}")


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_float32_every_tensor_within_1e5(converted, name):
    model = converted[name]["float32"]
    x = np.random.default_rng(1).normal(0, 1, (3, *converted[name]["shape"])).astype(np.float32)
    check_tensors(model, x, atol=1e-5)


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_model_call_takes_the_input_shape(converted, name):
    m = rt.load(converted[name]["int8"])
    shape = converted[name]["shape"]
    assert m.input.shape == shape
    y = m(_int8_inputs(shape, 3, seed=5))
    assert y.shape == (3, *m.output.shape) and y.dtype == np.int8
    with pytest.raises(rt.InputError, match="expected shape"):
        m(np.zeros((3, int(np.prod(shape))), np.int8))


def test_uint8_interface_every_tensor_equals_tflm_and_litert(converted):
    model = converted["ds_cnn"]["uint8"]
    x = _int8_inputs(converted["ds_cnn"]["shape"], 4).view(np.uint8)
    check_tensors(model, x)
    g = rt.load(model).graph
    assert g.operators[0].op == "QUANTIZE" and g.operators[-1].op == "QUANTIZE"
