"""TANH: int8 on all 256 inputs for many input quantizations, and float32, against TFLM and
ai-edge-litert BUILTIN_REF."""

import pytest
from runtime_testkit import (
    ELEMENTWISE_INPUT_QUANT,
    check_float_unary,
    check_int8_table,
    unary_model,
)

import tinyflash.runtime as rt


@pytest.mark.parametrize("in_q", ELEMENTWISE_INPUT_QUANT)
def test_int8(in_q):
    check_int8_table(unary_model("TANH", 256, in_q, (1 / 128, 0)))


def test_float32():
    check_float_unary("TANH")


def test_rejects_other_output_quantization():
    with pytest.raises(rt.UnsupportedOperatorError, match="1/128"):
        rt.load(unary_model("TANH", 8, (0.1, 0), (1 / 256, -128)))
