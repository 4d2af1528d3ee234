"""The real-runtime executors (tinyflash.export.reference) against Keras and each other."""

from __future__ import annotations

import numpy as np
import pytest

from tinyflash.export.reference import (
    ExecutorInputError,
    run_litert,
    run_onnxruntime,
    run_tflm,
)
from tinyflash.runtime.quantize import dequantize, quantize


def _io_quant(model_bytes: bytes) -> tuple[tuple[float, int], tuple[float, int]]:
    from ai_edge_litert import interpreter as litert

    ip = litert.Interpreter(model_content=model_bytes)
    return ip.get_input_details()[0]["quantization"], ip.get_output_details()[0]["quantization"]


def _float_onnx(keras_model) -> bytes:
    import tensorflow as tf
    import tf2onnx

    spec = (tf.TensorSpec((None, 784), tf.float32, name="input"),)
    fn = tf.function(lambda x: {"output": keras_model(x, training=False)}, input_signature=spec)
    proto, _ = tf2onnx.convert.from_function(fn, input_signature=spec, opset=17)
    return proto.SerializeToString()


@pytest.mark.parametrize("kernels", ["reference", "default"])
def test_litert_float_matches_keras(export_model, kernels):
    m = export_model("relu")
    want = m.keras.predict(m.x, verbose=0)
    got = run_litert(m.float32_tflite, m.x, kernels=kernels)
    assert got.shape == (len(m.x), 10) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)  # float32 summation order differs


def test_tflm_float_matches_keras(export_model):
    m = export_model("relu")
    got = run_tflm(m.float32_tflite, m.x[:200])
    np.testing.assert_allclose(got, m.keras.predict(m.x[:200], verbose=0), atol=1e-5, rtol=0)


def test_tflm_and_litert_int8_agree_within_rounding(export_model):
    m = export_model("relu")
    (s_in, z_in), (s_out, z_out) = _io_quant(m.int8_tflite)
    xq = quantize(m.x, s_in, z_in, "int8")
    ref = run_litert(m.int8_tflite, xq, kernels="reference")
    micro = run_tflm(m.int8_tflite, xq)
    assert micro.dtype == ref.dtype == np.int8 and micro.shape == ref.shape == (len(m.x), 10)
    # Two requantization roundings (double vs single): a few LSB on a few rows, never more.
    diff = np.abs(micro.astype(np.int32) - ref)
    assert diff.max() <= 4
    assert (diff > 0).any(axis=1).mean() < 0.02
    # And both are the quantized Keras model: dequantized softmax within a few output LSBs.
    keras_out = m.keras.predict(m.x, verbose=0)
    assert np.abs(dequantize(micro, s_out, z_out) - keras_out).max() < 8 * s_out


def test_onnxruntime_float_matches_keras(export_model):
    m = export_model("relu")
    onnx_bytes = _float_onnx(m.keras)
    want = m.keras.predict(m.x, verbose=0)
    for optimize in (True, False):
        got = run_onnxruntime(onnx_bytes, m.x, optimize=optimize)
        assert got.shape == (len(m.x), 10) and got.dtype == np.float32
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


def test_batch_of_zero_rows(export_model):
    m = export_model("relu")
    empty = np.zeros((0, 784), np.float32)
    assert run_litert(m.float32_tflite, empty).shape == (0, 10)
    assert run_tflm(m.float32_tflite, empty).shape == (0, 10)


def test_paths_are_accepted(export_model, tmp_path):
    m = export_model("relu")
    path = tmp_path / "m.tflite"
    path.write_bytes(m.float32_tflite)
    np.testing.assert_array_equal(
        run_litert(path, m.x[:5]), run_litert(str(path), m.x[:5])
    )


@pytest.mark.parametrize(
    "bad, found",
    [
        (np.zeros((3, 784), np.float32), "float32"),  # int8 model fed float
        (np.zeros((3, 783), np.int8), "(3, 783)"),
        (np.zeros((784,), np.int8), "(784,)"),
    ],
)
@pytest.mark.parametrize("executor", ["litert", "tflm"])
def test_tflite_executors_reject_wrong_inputs(export_model, executor, bad, found):
    m = export_model("relu")
    run = {"litert": run_litert, "tflm": run_tflm}[executor]
    with pytest.raises(ExecutorInputError, match="expected") as info:
        run(m.int8_tflite, bad)
    assert found in str(info.value)


def test_onnxruntime_rejects_wrong_inputs(export_model):
    m = export_model("relu")
    onnx_bytes = _float_onnx(m.keras)
    with pytest.raises(ExecutorInputError, match="int8"):
        run_onnxruntime(onnx_bytes, np.zeros((2, 784), np.int8))
    with pytest.raises(ExecutorInputError, match=r"\(2, 10\)"):
        run_onnxruntime(onnx_bytes, np.zeros((2, 10), np.float32))
