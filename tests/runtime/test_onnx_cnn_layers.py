"""A small Keras CNN with the layers the three architectures of test_onnx_cnn_models.py do not
reach in ONNX, exported by tinyflash.export.onnx and run against onnxruntime: Conv2D with ReLU6
(Clip), a BatchNormalization with no convolution before it (Mul + Add), DepthwiseConv2D with
depth multiplier 2 (Conv group = C, 2 filters per channel), MaxPooling2D with SAME overhang,
SeparableConv2D, Add then ReLU6, AveragePooling2D SAME, GlobalAveragePooling2D
(GlobalAveragePool + Squeeze), Dense softmax. tf2onnx's from_function (float) and from_tflite
(int8 QDQ, three Transposes) emit all of these; the test asserts the operator set so a converter
change that stops exercising one is seen.

float32: every tensor within 1e-5 of onnxruntime (optimized and not: measured 3e-8). int8: every
QDQ group given onnxruntime's int8 inputs within the bound of test_onnx_cnn_models.py, the pools'
rounding ties exempt (the 2x2 SAME AveragePool has them); the output within E2E_MAX_LSB.
"""

import numpy as np
import pytest
from onnx_testkit import average_pool_ties, ort_every_tensor, qdq_groups_on_reference_inputs
from test_onnx_cnn_models import E2E_MAX_LSB, int8_within_bound

import tinyflash.runtime as rt
from tinyflash.export.reference import run_onnxruntime

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")

SHAPE = (19, 19, 3)  # 10x10 after the conv, 5x5 after the max pool, 3x3 after the average


def _model():
    import keras

    L = keras.layers
    inp = keras.Input(SHAPE)
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu6")(inp)
    x = L.BatchNormalization()(x)
    x = L.DepthwiseConv2D(3, padding="same", depth_multiplier=2)(x)
    x = L.MaxPooling2D(3, strides=2, padding="same")(x)
    y = L.Conv2D(16, 1)(x)
    z = L.SeparableConv2D(16, 3, padding="same")(x)
    x = L.ReLU(6.0)(L.Add()([y, z]))
    x = L.AveragePooling2D(2, padding="same")(x)
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(inp, L.Dense(5, activation="softmax")(x))


@pytest.fixture(scope="module")
def exported():
    import keras
    import tensorflow as tf

    from tinyflash.export.onnx import convert_float32, convert_int8

    keras.utils.set_random_seed(0)
    model = _model()
    rng = np.random.default_rng(0)
    for w in model.weights:  # random BatchNormalization statistics, so Mul / Add are not 1 / 0
        if "moving_variance" in w.path or "gamma" in w.path:
            w.assign(rng.uniform(0.5, 2.0, w.shape))
        elif "moving_mean" in w.path or "beta" in w.path:
            w.assign(rng.normal(0, 0.2, w.shape))
    calib = rng.normal(0, 1, (32, *SHAPE)).astype(np.float32)
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([row[None]] for row in calib)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = conv.inference_output_type = tf.int8
    return {"float32": convert_float32(model), "int8": convert_int8(conv.convert())}


WANT = {"Conv", "Clip", "Mul", "Add", "MaxPool", "AveragePool", "GlobalAveragePool", "Squeeze"}


def test_float32_every_tensor_within_1e5(exported):
    data = exported["float32"]
    x = np.random.default_rng(1).normal(0, 1, (4, *SHAPE)).astype(np.float32)
    model = rt.load(data)
    assert WANT <= {op.op for op in model.graph.operators}
    ours = model.trace(x)
    for tensor, value in ort_every_tensor(data, x).items():
        np.testing.assert_allclose(ours[tensor], value, atol=1e-5, rtol=0, err_msg=tensor)
    np.testing.assert_allclose(model(x), run_onnxruntime(data, x), atol=1e-5, rtol=0)


def test_int8_every_tensor_within_bound(exported):
    data = exported["int8"]
    x = np.random.default_rng(2).integers(-128, 128, (8, *SHAPE)).astype(np.int8)
    x[0], x[1] = -128, 127
    model = rt.load(data)
    assert WANT | {"Transpose", "QuantizeLinear"} <= {op.op for op in model.graph.operators}
    ref = ort_every_tensor(data, x)
    ours = qdq_groups_on_reference_inputs(model, x, ref)
    ties = average_pool_ties(data, ref)
    assert ties and any(t.any() for t in ties.values())  # the 2x2 SAME pool has rounding ties
    int8_within_bound(ours, ref, ties)
    opt = np.abs(model(x).astype(int) - run_onnxruntime(data, x, optimize=True))
    assert opt.max() <= E2E_MAX_LSB
