"""MAX_POOL_2D and AVERAGE_POOL_2D single-operator models against TFLM and ai-edge-litert
BUILTIN_REF, both rounding modes: windows that overhang the border (SAME, stride 2 on odd sizes,
3x3 stride 1), VALID, a window larger than the stride, fused activations; float within 1e-5
(in practice bit-exact: the same float32 order)."""

import math

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema
from runtime_testkit import act_t, check_tensors, one_op, random_input

import tinyflash.runtime as rt

FUSED = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}
PAD = {"SAME": 0, "VALID": 1}


def pool_model(op, hw=(9, 7), c=3, k=(3, 3), stride=(2, 2), padding="SAME", fused="NONE",
               dtype="int8", out_q=None):  # fmt: skip
    o = schema.Pool2DOptionsT()
    o.padding, o.fusedActivationFunction = PAD[padding], FUSED[fused]
    o.strideH, o.strideW = stride
    o.filterHeight, o.filterWidth = k
    if padding == "SAME":
        out_hw = (math.ceil(hw[0] / stride[0]), math.ceil(hw[1] / stride[1]))
    else:
        out_hw = ((hw[0] - k[0]) // stride[0] + 1, (hw[1] - k[1]) // stride[1] + 1)
    q = None if dtype == "float32" else (0.047, -11)
    x = act_t("x", (1, *hw, c), q)
    y = act_t("y", (1, *out_hw, c), out_q or q)
    return one_op(op, [x], y, o, schema.BuiltinOptions.Pool2DOptions)


CASES = {
    "3x3_stride2_same_odd": {},
    "2x2_stride2_same_odd": {"k": (2, 2)},
    "3x3_stride1_same": {"stride": (1, 1)},
    "2x2_valid": {"k": (2, 2), "padding": "VALID"},
    "3x3_stride2_valid": {"padding": "VALID"},
    "global_5x5": {"hw": (5, 5), "k": (5, 5), "stride": (1, 1), "padding": "VALID"},
    "25x5_dscnn": {"hw": (25, 5), "k": (25, 5), "stride": (1, 1), "padding": "VALID", "c": 8},
    "window_larger_than_image": {"hw": (2, 3), "k": (4, 4), "stride": (3, 3)},
}


@pytest.mark.parametrize("op", ["MAX_POOL_2D", "AVERAGE_POOL_2D"])
@pytest.mark.parametrize("case", list(CASES))
def test_int8(op, case):
    model = pool_model(op, **CASES[case])
    check_tensors(model, random_input(model, 20))


@pytest.mark.parametrize("op", ["MAX_POOL_2D", "AVERAGE_POOL_2D"])
@pytest.mark.parametrize("fused", list(FUSED))
def test_int8_fused_activations(op, fused):
    model = pool_model(op, fused=fused)
    check_tensors(model, random_input(model, 20, seed=3))


@pytest.mark.parametrize("op", ["MAX_POOL_2D", "AVERAGE_POOL_2D"])
@pytest.mark.parametrize("case", ["3x3_stride2_same_odd", "2x2_valid", "25x5_dscnn"])
def test_float32(op, case):
    model = pool_model(op, **CASES[case], dtype="float32", fused="RELU6")
    check_tensors(model, random_input(model, 6), atol=1e-5)


def test_average_rounds_half_away_from_zero():
    """Sums of exactly k + 1/2 windows: the int8 average rounds ties away from zero."""
    model = pool_model("AVERAGE_POOL_2D", hw=(2, 2), k=(2, 2), padding="VALID", c=1)
    x = np.array([[1, 0, 0, 1], [-1, 0, 0, -1], [3, 2, 2, 3], [-3, -2, -2, -3]], np.int8)
    x = x.reshape(4, 2, 2, 1)
    got = check_tensors(model, x)["tflm"]["y"].reshape(-1)
    np.testing.assert_array_equal(got, [1, -1, 3, -3])  # 0.5, -0.5, 2.5, -2.5


def test_requantizing_pool_is_refused():
    model = pool_model("AVERAGE_POOL_2D", out_q=(0.05, 0))
    with pytest.raises(rt.UnsupportedOperatorError, match="AVERAGE_POOL_2D: input quantization"):
        rt.load(model)
