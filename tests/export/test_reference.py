"""The real-runtime executors (tinyflash.export.reference) against Keras and each other."""

from __future__ import annotations

import numpy as np
import pytest

from tinyflash.errors import UserError
from tinyflash.export.reference import (
    ExecutorInputError,
    run_litert,
    run_onnxruntime,
    run_tflm,
)
from tinyflash.runtime.quantize import dequantize, quantize

N = 2000  # rows of the real test set used here; the pipeline tests run all 10,000


@pytest.fixture(scope="module")
def run(exported, test_set):
    import keras

    run_dir = exported()
    model = keras.models.load_model(run_dir / "model.keras", compile=False)
    x, _ = test_set
    return run_dir, model, x[:N], model.predict(x[:N], verbose=0)


def _io_quant(path) -> tuple[tuple[float, int], tuple[float, int]]:
    from ai_edge_litert import interpreter as litert

    ip = litert.Interpreter(model_path=str(path))
    return ip.get_input_details()[0]["quantization"], ip.get_output_details()[0]["quantization"]


@pytest.mark.parametrize("kernels", ["reference", "default"])
def test_litert_float_matches_keras(run, kernels):
    run_dir, _, x, want = run
    got = run_litert(run_dir / "model_float32.tflite", x, kernels=kernels)
    assert got.shape == (N, 10) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)  # float32 summation order differs


def test_tflm_float_matches_keras(run):
    run_dir, _, x, want = run
    got = run_tflm((run_dir / "model_float32.tflite").read_bytes(), x)
    assert got.shape == (N, 10) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


def test_tflm_and_litert_int8_agree_within_rounding(run):
    run_dir, _, x, want = run
    path = run_dir / "model_int8.tflite"
    (s_in, z_in), (s_out, z_out) = _io_quant(path)
    xq = quantize(x, s_in, z_in, "int8")
    ref = run_litert(path, xq, kernels="reference")
    micro = run_tflm(path, xq)
    assert micro.dtype == ref.dtype == np.int8 and micro.shape == ref.shape == (N, 10)
    # Two requantization roundings (double vs single): a few LSB on a few rows.
    diff = np.abs(micro.astype(np.int32) - ref)
    assert diff.max() <= 16 and (diff > 0).any(axis=1).mean() < 0.02
    # And both are the quantized Keras model: dequantized softmax within a few output LSBs.
    for y in (ref, micro):  # a bound on most elements, see test_pipeline for why
        lsb = np.abs(dequantize(y, s_out, z_out) - want) / s_out
        assert np.quantile(lsb, 0.99) <= 4 and lsb.max() <= 40


def test_tflm_threads_do_not_change_results(run):
    run_dir, _, x, _ = run
    path = run_dir / "model_int8.tflite"
    (s_in, z_in), _ = _io_quant(path)
    xq = quantize(x, s_in, z_in, "int8")  # N = 2000 rows: two threads of 1000
    np.testing.assert_array_equal(run_tflm(path, xq, threads=2), run_tflm(path, xq, threads=1))


def test_onnxruntime_float_matches_keras(run):
    run_dir, _, x, want = run
    for optimize in (True, False):
        got = run_onnxruntime(run_dir / "model_float32.onnx", x, optimize=optimize)
        assert got.shape == (N, 10) and got.dtype == np.float32
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


def test_onnxruntime_int8_unoptimized_equals_optimized_argmax(run):
    run_dir, _, x, _ = run
    (s_in, z_in), _ = _io_quant(run_dir / "model_int8.tflite")
    xq = quantize(x, s_in, z_in, "int8")
    a = run_onnxruntime(run_dir / "model_int8.onnx", xq, optimize=True)
    b = run_onnxruntime(run_dir / "model_int8.onnx", xq, optimize=False)
    assert a.dtype == b.dtype == np.int8
    assert np.abs(a.astype(np.int32) - b).max() <= 1


def test_batch_of_zero_rows(run):
    run_dir = run[0]
    empty = np.zeros((0, 784), np.float32)
    assert run_litert(run_dir / "model_float32.tflite", empty).shape == (0, 10)
    assert run_tflm(run_dir / "model_float32.tflite", empty).shape == (0, 10)


def test_str_path_and_bytes_give_the_same(run):
    run_dir, _, x, _ = run
    path = run_dir / "model_float32.tflite"
    by_bytes = run_litert(path.read_bytes(), x[:5])
    np.testing.assert_array_equal(run_litert(str(path), x[:5]), by_bytes)


@pytest.mark.parametrize(
    "bad, found",
    [
        (np.zeros((3, 784), np.float32), "float32"),  # int8 model fed float
        (np.zeros((3, 783), np.int8), "(3, 783)"),
        (np.zeros((784,), np.int8), "(784,)"),
    ],
)
@pytest.mark.parametrize("executor", [run_litert, run_tflm, run_onnxruntime])
def test_executors_reject_wrong_inputs(run, executor, bad, found):
    suffix = "onnx" if executor is run_onnxruntime else "tflite"
    with pytest.raises(ExecutorInputError, match="expected") as info:
        executor(run[0] / f"model_int8.{suffix}", bad)
    assert found in str(info.value)


def test_missing_model_file(tmp_path):
    with pytest.raises(UserError, match="model file not found"):
        run_litert(tmp_path / "absent.tflite", np.zeros((1, 784), np.float32))
