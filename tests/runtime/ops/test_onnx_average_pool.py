"""ONNX AveragePool single-node models against onnxruntime (optimizations off and on): windows
that overhang the border (explicit pads, SAME_UPPER / SAME_LOWER, stride 2 on odd sizes) with
count_include_pad 0 and 1, VALID, a window the size of the input. float32 within FLOAT_ATOL
(summed in float64, onnxruntime in float32); the QDQ int8 form equal off rounding ties."""

import numpy as np
import pytest
from onnx import helper
from onnx_testkit import float_gap, model_bytes, single_node

import tinyflash.runtime as rt
from tinyflash.export.reference import run_onnxruntime

CASES = {
    "3x3_stride2_pads_0011": {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [0, 0, 1, 1]},
    "3x3_pads1_include_pad": {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "count_include_pad": 1},
    "3x3_stride2_same_upper": {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "SAME_UPPER"},
    "2x2_same_lower_include": {
        "kernel_shape": [2, 2],
        "auto_pad": "SAME_LOWER",
        "count_include_pad": 1,
    },
    "2x2_valid": {"kernel_shape": [2, 2], "strides": [2, 2], "auto_pad": "VALID"},
    "9x7_whole": {"kernel_shape": [9, 7], "strides": [9, 7]},
}


@pytest.mark.parametrize("name", list(CASES))
def test_float_within_contract(name):
    x = np.random.default_rng(len(name)).normal(0, 1, (3, 4, 9, 7)).astype(np.float32)
    gap = float_gap(single_node("AveragePool", x, **CASES[name]), x)
    print(f"{name}: max |runtime - onnxruntime| {gap:.2e}")


@pytest.mark.parametrize("name", list(CASES))
def test_int8_qdq_equal_off_ties(name):
    """DQ -> AveragePool -> Q with one quantization (what tf2onnx writes). In exact arithmetic
    the result is round_half_even(mean of (q - zp)) + zp; for a window of an even number n of
    taps the mean is often exactly k + 1/2, and there the float error of each implementation's
    sum (float64 here, float32 in a CPU-dependent order in MLAS) picks the side. So: equal to
    onnxruntime (optimizations off and on) wherever the exact mean is not a tie (there the
    value is at least 1/n LSB from a boundary, far above any float error, on every CPU), and
    within 1 LSB at ties (measured, of the elements of windows with 4 or 6 taps: 2-3 % differ
    unoptimized, 8-15 % optimized, where onnxruntime runs a fused integer QLinearAveragePool
    with its own tie rule; all at ties)."""
    x_shape, zp = (200, 4, 9, 7), -3
    probe = single_node("AveragePool", np.zeros(x_shape, np.float32), **CASES[name])
    y_shape = (1, *rt.load(probe).output.shape)
    inits = {"s": np.float32(0.05), "z": np.int8(zp)}
    nodes = [
        helper.make_node("DequantizeLinear", ["x", "s", "z"], ["xf"]),
        helper.make_node("AveragePool", ["xf"], ["yf"], **CASES[name]),
        helper.make_node("QuantizeLinear", ["yf", "s", "z"], ["y"]),
    ]
    data = model_bytes(nodes, x_shape, y_shape, inits, "int8", "int8")
    xq = np.random.default_rng(3).integers(-128, 128, x_shape).astype(np.int8)
    centred = (xq.astype(np.float32) - zp).astype(np.float32)  # small integers: sums exact
    mean = run_onnxruntime(single_node("AveragePool", centred, **CASES[name]), centred)
    tie = np.abs(mean - np.floor(mean)) == 0.5  # S / n for integer S: exact when k + 1/2
    got = rt.load(data)(xq).astype(int)
    for optimize in (False, True):
        diff = np.abs(got - run_onnxruntime(data, xq, optimize=optimize))
        print(
            f"{name} optimize={optimize}: {tie.mean():.1e} ties, differ on {np.mean(diff != 0):.1e}"
        )
        assert not np.any(diff[~tie]) and diff.max(initial=0) <= 1


def test_dilations_refused():
    x = np.zeros((1, 2, 8, 8), np.float32)
    node = helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], dilations=[2, 2])
    data = model_bytes([node], x.shape, (1, 2, 6, 6), opset=19)
    with pytest.raises(rt.UnsupportedOperatorError, match="dilations"):
        rt.load(data)
