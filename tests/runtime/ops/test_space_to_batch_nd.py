"""SPACE_TO_BATCH_ND (with BATCH_TO_SPACE_ND after the convolution): what TF 2.21 emits for a
dilated Keras Conv2D / SeparableConv2D with a dynamic batch. Converted models, every tensor
(the batch-of-blocks ones included) equal to litert BUILTIN_REF; float within 1e-5.

TFLM cannot run these files: it sizes SPACE_TO_BATCH_ND's output by the file's declared
(1, h, w, c) although the kernel writes bh * bw batches (measured: its outputs differ from
litert's and ours), so only litert is a reference here; TFLM's own SPACE_TO_BATCH_ND is checked
on static-batch files in test_batch_to_space_nd.py."""

import numpy as np
import pytest
from runtime_testkit import check_tensors

import tinyflash.runtime as rt

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


@pytest.fixture(scope="module")
def dilated():
    """{"int8", "float32"}: 13x11x3 -> Conv2D dilation 2 -> SeparableConv2D dilation 3 -> GAP."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    L = keras.layers
    inp = keras.Input((13, 11, 3))
    x = L.Conv2D(8, 3, padding="same", dilation_rate=2, activation="relu")(inp)
    x = L.SeparableConv2D(8, 3, padding="same", dilation_rate=3)(x)
    x = L.Conv2D(4, 3, padding="valid", dilation_rate=2)(x)
    model = keras.Model(inp, L.GlobalAveragePooling2D()(x))
    calib = np.random.default_rng(0).normal(0, 1, (16, 13, 11, 3)).astype(np.float32)
    out = {"float32": tf.lite.TFLiteConverter.from_keras_model(model).convert()}
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([row[None]] for row in calib)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = conv.inference_output_type = tf.int8
    out["int8"] = conv.convert()
    return out


def test_int8(dilated):
    ops = [op.op for op in rt.load(dilated["int8"]).graph.operators]
    assert "SPACE_TO_BATCH_ND" in ops and "BATCH_TO_SPACE_ND" in ops
    x = np.random.default_rng(1).integers(-128, 128, (5, 13, 11, 3)).astype(np.int8)
    x[0] = -128
    traces = check_tensors(dilated["int8"], x, modes=("litert",))
    assert max(v.shape[0] for v in traces["litert"].values()) == 5 * 9  # 3x3 blocks


def test_float32(dilated):
    x = np.random.default_rng(2).normal(0, 1, (3, 13, 11, 3)).astype(np.float32)
    check_tensors(dilated["float32"], x, modes=("litert",), atol=1e-5)
