"""tinyflash.runtime.quantize against real QUANTIZE / DEQUANTIZE ops in ai-edge-litert and TFLM."""

import numpy as np
import pytest
from runtime_testkit import Op, T, build_model

from tinyflash.export.reference import run_litert, run_tflm
from tinyflash.runtime.quantize import dequantize, quantize, round_half_away_from_zero

CASES = [  # (scale, zero_point): MNIST input scale, exact power of two (exact ties), odd ones
    (1 / 255, -128),
    (0.125, 0),
    (0.125, 7),
    (0.0173, 127),
    (3.7, -3),
]


def _inputs(scale: float, n: int = 4096) -> np.ndarray:
    rng = np.random.default_rng(0)
    ties = (np.arange(-300, 300) + 0.5).astype(np.float32) * np.float32(scale)
    wide = rng.uniform(-200 * scale, 200 * scale, n).astype(np.float32)
    pixels = (np.arange(256, dtype=np.float32) / np.float32(255.0)).astype(np.float32)
    # Quotients beyond int32 are undefined behaviour in the C++ (x86 gives INT_MIN, then the
    # zero point wraps): not compared. 2e9 is the largest magnitude both define.
    edge = np.array([0.0, -0.0, 2e9 * scale, -2e9 * scale, 0.49999997 * scale, -0.49999997 * scale])
    return np.concatenate([ties, wide, pixels, edge.astype(np.float32)])


def _quantize_model(scale: float, zp: int, n: int) -> bytes:
    tensors = [T("x", (1, n), "float32"), T("q", (1, n), "int8", scale=[scale], zero_point=[zp])]
    return build_model(tensors, [Op("QUANTIZE", [0], [1])], [0], [1])


def _dequantize_model(scale: float, zp: int, n: int) -> bytes:
    tensors = [T("q", (1, n), "int8", scale=[scale], zero_point=[zp]), T("x", (1, n), "float32")]
    return build_model(tensors, [Op("DEQUANTIZE", [0], [1])], [0], [1])


def test_round_half_away_from_zero():
    v = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 0.49999997, -2.4999998], np.float32)
    np.testing.assert_array_equal(round_half_away_from_zero(v), [1, 2, 3, -1, -2, 0, -2])


@pytest.mark.parametrize("scale,zp", CASES)
def test_quantize_matches_litert_and_tflm(scale, zp):
    values = _inputs(scale)
    x = np.resize(values, (-(-values.size // 64), 64))  # rows of 64 (TFLM: one row per invoke)
    model = _quantize_model(scale, zp, 64)
    ours = quantize(x, scale, zp)
    np.testing.assert_array_equal(ours, run_litert(model, x, kernels="reference"))
    np.testing.assert_array_equal(ours, run_tflm(model, x))


@pytest.mark.parametrize("scale,zp", CASES)
def test_dequantize_matches_litert_and_tflm(scale, zp):
    q = np.arange(-128, 128, dtype=np.int8)[None]
    model = _dequantize_model(scale, zp, q.shape[1])
    ours = dequantize(q, scale, zp)
    assert ours.dtype == np.float32
    np.testing.assert_array_equal(ours, run_litert(model, q, kernels="reference"))
    np.testing.assert_array_equal(ours, run_tflm(model, q))


def test_quantize_rejects_bad_arguments():
    with pytest.raises(ValueError, match="dtype"):
        quantize(np.zeros(3, np.float32), 0.1, 0, dtype="int32")
    with pytest.raises(ValueError, match="scale"):
        quantize(np.zeros(3, np.float32), 0.0, 0)
