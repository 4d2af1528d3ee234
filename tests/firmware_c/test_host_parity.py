"""Host parity: the generated header, compiled with gcc and clang, against the Python
interpreter and the real references (TFLM for "tflm", ai-edge-litert BUILTIN_REF for "litert"),
byte for byte, on all 10,000 real test images, hostile inputs and several architectures."""

from __future__ import annotations

import numpy as np
import pytest

import tinyflash.runtime as rt
from tinyflash.export import reference

REFERENCES = {
    "tflm": reference.run_tflm,
    "litert": lambda model, x: reference.run_litert(model, x, "reference"),
}


def _c_outputs(run_driver, exe, x: np.ndarray, n_out: int = 10) -> np.ndarray:
    return np.frombuffer(run_driver(exe, x.tobytes()), np.int8).reshape(-1, n_out)


@pytest.mark.parametrize("rounding", ["tflm", "litert"])
def test_all_test_images_bit_exact(
    rounding, fw_run, host_driver, run_driver, pixels, quantize_pixels, hostile
):
    run_dir = fw_run()
    model_file = run_dir / "model_int8.tflite"
    x = np.concatenate([quantize_pixels(run_dir, pixels), hostile])  # (10000 + K, 784) int8
    c = _c_outputs(run_driver, host_driver(rounding=rounding), x)
    python = rt.load(model_file, rounding=rounding)(x)
    real = REFERENCES[rounding](model_file, x)
    np.testing.assert_array_equal(c, python)
    np.testing.assert_array_equal(c, real)


def test_clang_build_matches_gcc(fw_run, host_driver, run_driver, pixels, quantize_pixels, hostile):
    x = np.concatenate([quantize_pixels(fw_run(), pixels[:2000]), hostile])
    gcc = _c_outputs(run_driver, host_driver(cc="gcc"), x)
    clang = _c_outputs(run_driver, host_driver(cc="clang", opt="-Os"), x)
    np.testing.assert_array_equal(clang, gcc)


def test_classify_uint8_pixels(fw_run, host_driver, run_driver, pixels, quantize_pixels):
    """classify(): the 256-entry pixel table + argmax, against the interpreter on the same
    quantized pixels (first index on ties, as numpy)."""
    run_dir = fw_run()
    classes = np.frombuffer(run_driver(host_driver(mode=1), pixels.tobytes()), np.uint8)
    expected = rt.load(run_dir / "model_int8.tflite")(quantize_pixels(run_dir, pixels))
    np.testing.assert_array_equal(classes, np.argmax(expected, axis=1))


def test_quantize_pixels_matches_python(fw_run, host_driver, run_driver, quantize_pixels):
    """quantize(): every uint8 pixel value, as the Python side quantizes float32(p) / 255."""
    values = np.tile(np.arange(256, dtype=np.uint8), 4)[:784].reshape(1, 784)
    out = np.frombuffer(run_driver(host_driver(mode=3), values.tobytes()), np.int8)
    np.testing.assert_array_equal(out.reshape(1, 784), quantize_pixels(fw_run(), values))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("hidden", "activation"),
    [((37, 19), "sigmoid"), ((37, 19), "tanh"), ((37, 19), "linear"), ((37, 19), "relu")],
)
@pytest.mark.parametrize("rounding", ["tflm", "litert"])
def test_architectures_bit_exact(
    hidden, activation, rounding, fw_run, host_driver, run_driver, pixels, quantize_pixels, hostile
):
    run_dir = fw_run(hidden, activation)
    model_file = run_dir / "model_int8.tflite"
    x = np.concatenate([quantize_pixels(run_dir, pixels[:1000]), hostile])
    c = _c_outputs(run_driver, host_driver(hidden, activation, rounding), x)
    np.testing.assert_array_equal(c, rt.load(model_file, rounding=rounding)(x))
    np.testing.assert_array_equal(c, REFERENCES[rounding](model_file, x))


@pytest.mark.parametrize(("hidden", "activation"), [((32,), "relu"), ((37, 19), "tanh")])
def test_float_header_matches_tflite_float(
    hidden, activation, fw_run, host_driver, run_driver, pixels
):
    from tinyflash.train.model import preprocess

    run_dir = fw_run(hidden, activation)
    x = preprocess(pixels.reshape(-1, 28, 28))  # (N, 784) float32
    raw = run_driver(host_driver(hidden, activation, mode=2), x.tobytes())
    c = np.frombuffer(raw, np.float32).reshape(-1, 10)
    real = reference.run_litert(run_dir / "model_float32.tflite", x, "reference")
    # float32 sums in a different order than TFLite's kernels: equal within rounding noise.
    np.testing.assert_allclose(c, real, rtol=0, atol=1e-5)
