"""RELU, RELU6, RELU_N1_TO_1 as standalone ops: int8 on all 256 inputs (requantizing between
input and output scales), and float32, against TFLM and ai-edge-litert BUILTIN_REF."""

import pytest
from runtime_testkit import check_float_unary, check_int8_table, unary_model

import tinyflash.runtime as rt

QUANT = [  # (input, output): equal scales, rescaling up and down (shift +1, -1, 0)
    ((0.05, -3), (0.05, -128)),
    ((0.05, 10), (0.03, -128)),
    ((0.02, 0), (0.047, -20)),
    ((0.1, 5), (0.2, 0)),
]


@pytest.mark.parametrize("op", ["RELU", "RELU6", "RELU_N1_TO_1"])
@pytest.mark.parametrize("in_q,out_q", QUANT)
def test_int8(op, in_q, out_q):
    model = unary_model(op, 256, in_q, out_q)
    if op == "RELU_N1_TO_1":  # TFLM has no such kernel: our tflm mode refuses it too
        check_int8_table(model, modes=("litert",))
        with pytest.raises(rt.UnsupportedOperatorError, match="TFLM"):
            rt.load(model, rounding="tflm")
    else:
        check_int8_table(model)


@pytest.mark.parametrize("op", ["RELU", "RELU6", "RELU_N1_TO_1"])
def test_float32(op):
    check_float_unary(op, tflm=op != "RELU_N1_TO_1")
