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
from cnn_models import architectures
from runtime_testkit import check_tensors

import tinyflash.runtime as rt

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")

ARCHITECTURES = architectures()  # tests/cnn_models.py: built once per session (cnn_models)


@pytest.fixture(scope="module")
def converted(cnn_models):
    """name -> {"int8": bytes, "float32": bytes, "shape": input shape}."""
    return {
        name: {k: (v.read_bytes() if k != "shape" else v) for k, v in entry.items()}
        for name, entry in cnn_models.items()
    }


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
